"""Runs the README's quick starts as a reader would, so they cannot rot.

The shell blocks of the C, C++ and Python quick starts, then those of the
"One bus across languages" examples, run in one bash session, in a
scratch directory that plays the reader's project: it holds the snippets
the README names (`app.c`: followed by a block becomes the file app.c),
`python` links to the repository's package, `make` runs the repository's
Makefile, HOME is scratch, and a fresh virtual environment is first on
PATH. Each program must print the seed's reply. The Rust quick
start is a doctest of the core crate (core/src/lib.rs includes README.md).
Inline commands are checked too: every `cargo …` span runs, and every
`make …` span names a target of the Makefile.

    python3 tests/readme/run.py
"""

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
REPLY = "N8K5CharlieMessageListener"
SHELL_SECTIONS = (
    ("## Quick start\n", "### C\n"),
    ("## Quick start\n", "### C++\n"),
    ("## Quick start\n", "### Python\n"),
    ("## One bus across languages\n", "### Python calls C\n"),
    ("## One bus across languages\n", "### C embeds Python\n"),
)


def sections_of(readme: str, chapter: str) -> dict[str, str]:
    """The text of each `### ` section under the `## ` heading `chapter`."""
    start = readme.index(chapter)
    end = readme.index("\n## ", start + 1)
    parts = re.split(r"^(### .*\n)", readme[start:end], flags=re.M)
    return {(chapter, heading): text for heading, text in zip(parts[1::2], parts[2::2])}


def shell_blocks(section: str) -> list[str]:
    return re.findall(r"^```sh\n(.*?)^```$", section, flags=re.M | re.S)


def named_files(section: str) -> dict[str, str]:
    return dict(re.findall(r"^`([\w.]+)`:\n\n```\w+\n(.*?)^```$", section, flags=re.M | re.S))


def run_quick_starts(sections: dict[tuple[str, str], str]) -> None:
    with tempfile.TemporaryDirectory(prefix="msgbus-readme-") as scratch:
        project = Path(scratch)
        (project / "home").mkdir()
        (project / "python").symlink_to(REPO / "python")
        script = [f'make() {{ command make --no-print-directory -C "{REPO}" "$@"; }}']
        for key in SHELL_SECTIONS:
            section = sections[key]
            for name, text in named_files(section).items():
                (project / name).write_text(text)
            blocks = shell_blocks(section)
            assert blocks, f"no sh block under {key[1].strip()}"
            script += blocks
        subprocess.run([sys.executable, "-m", "venv", str(project / "venv")], check=True)
        env = dict(os.environ, HOME=str(project / "home"))
        # The toolchain stays where the real HOME has it.
        env.setdefault("RUSTUP_HOME", str(Path.home() / ".rustup"))
        env.setdefault("CARGO_HOME", str(Path.home() / ".cargo"))
        env["PATH"] = f"{project / 'venv' / 'bin'}:{env['PATH']}"
        env.pop("VIRTUAL_ENV", None)
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", "\n".join(script)],
            cwd=project, env=env, stdout=subprocess.PIPE, text=True,
        )
        replies = done.stdout.splitlines().count(REPLY)
        if done.returncode != 0 or replies != len(SHELL_SECTIONS):
            sys.exit(f"{done.stdout}\nquick starts: exit {done.returncode}, {replies} of {len(SHELL_SECTIONS)} replies")
        print(f"README: the C, C++ and Python quick starts and both one-bus examples each printed {REPLY}")


def check_inline_commands(readme: str) -> None:
    spans = re.findall(r"(?<!`)`((?:cargo|make) [^`]+)`(?!`)", readme)
    rules = re.findall(r"^([\w-]+(?: [\w-]+)*):(?!=)", (REPO / "Makefile").read_text(), flags=re.M)
    targets = {target for rule in rules for target in rule.split()}
    for span in spans:
        words = span.split()
        if words[0] == "make":
            unknown = [w for w in words[1:] if "=" not in w and w not in targets]
            assert not unknown, f"README names make targets that do not exist: {span}"
        else:
            subprocess.run(words, cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    print(f"README: {len(spans)} inline cargo and make commands checked")


def main() -> None:
    readme = (REPO / "README.md").read_text()
    sections = sections_of(readme, "## Quick start\n") | sections_of(readme, "## One bus across languages\n")
    assert "```rust" in sections[("## Quick start\n", "### Rust\n")], "the Rust quick start is a doctest of core"
    run_quick_starts(sections)
    check_inline_commands(readme)


if __name__ == "__main__":
    main()
