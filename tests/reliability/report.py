#!/usr/bin/env python3
"""Writes RELIABILITY.md from the output of the reliability tests.

The tests print one `RELIABILITY <test> key=value ...` line each (the Rust
stress, shutdown and fault tests, the C bad-input table, the Python memory
test); pytest's summary counts the Python bad-input cases; libFuzzer prints
its final stats; the C runner leaves a log per
build (shared, static, ASan, valgrind). Every figure in the report comes
from those files: a missing one fails the report instead of leaving a gap.

    report.py --logs target/reliability --fuzz-log target/fuzz/fuzz.log \\
              --c-logs target/c-tests --out RELIABILITY.md
"""

import argparse
import datetime
import re
import sys
from pathlib import Path


def figures(logs: list[Path]) -> dict[str, dict[str, str]]:
    """The `RELIABILITY name k=v ...` lines of `logs`, by name (last wins)."""
    found: dict[str, dict[str, str]] = {}
    for log in logs:
        for line in log.read_text(errors="replace").splitlines():
            match = re.search(r"RELIABILITY (\w+) (.*)$", line)
            if match:
                found[match[1]] = dict(p.split("=", 1) for p in match[2].split())
    return found


def fuzz_stats(log: Path) -> dict[str, str]:
    stats = dict(re.findall(r"^stat::(\w+):\s+(\d+)", log.read_text(errors="replace"), re.M))
    if "number_of_executed_units" not in stats:
        sys.exit(f"{log}: no libFuzzer final stats (was it run with -print_final_stats=1?)")
    return stats


def c_runs(directory: Path, test: str) -> list[tuple[str, str]]:
    """(build, "N passed, M failed") for each build of one C test."""
    runs = []
    for build in ("shared", "static", "asan", "valgrind"):
        log = directory / f"{test}-{build}.log"
        if not log.exists():
            sys.exit(f"{log} is missing: run make test-c first")
        counts = re.findall(r"^\d+ passed, \d+ failed$", log.read_text(errors="replace"), re.M)
        runs.append((build, counts[-1] if counts else "no summary (crashed?)"))
    return runs


def pytest_passed(log: Path) -> str:
    """The number of passed tests in a pytest run's summary, which must show no failure."""
    summary = re.findall(r"^=*\s*(\d+) passed(.*) in [\d.]+s", log.read_text(errors="replace"), re.M)
    if not summary or "failed" in summary[-1][1] or "error" in summary[-1][1]:
        sys.exit(f"{log}: no passing pytest summary")
    return summary[-1][0]


def need(found: dict[str, dict[str, str]], name: str) -> dict[str, str]:
    if name not in found:
        sys.exit(f"no RELIABILITY {name} line in the logs")
    return found[name]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logs", type=Path, required=True, help="directory of test output logs")
    parser.add_argument("--fuzz-log", type=Path, required=True)
    parser.add_argument("--c-logs", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    found = figures(sorted(args.logs.glob("*.log")) + [args.c_logs / "test_bad_input-shared.log"])
    stress = need(found, "stress")
    shutdown = need(found, "shutdown_under_load")
    faults = need(found, "listener_faults")
    bad_c = need(found, "bad_input_c")
    bad_py = pytest_passed(args.logs / "python_bad_input.log")
    memory = need(found, "python_memory")
    fuzz = fuzz_stats(args.fuzz_log)
    n = lambda v: f"{int(v):,}"  # noqa: E731

    lines = [
        "# Reliability",
        "",
        "What the reliability tests ran and checked in one run of `make reliability` (part of",
        f"`make test`) on {datetime.date.today().isoformat()}. Written by `tests/reliability/report.py` from the",
        "tests' output, not by hand; `make reliability REPORT=RELIABILITY.md` refreshes this file.",
        "",
        "| check | ran | found |",
        "|---|---|---|",
        f"| accounting law under random load (`core/tests/stress.rs`, seed {stress['seed']}, "
        f"{stress['seconds']} s, {stress['threads']} threads, shutdown {'forced' if stress['forced'] == 'true' else 'graceful'}) "
        f"| {n(stress['operations'])} operations, {n(stress['messages'])} messages accounted, "
        f"{n(stress['faults'])} listener faults injected | every message in exactly one outcome |",
        f"| graceful shutdown under load (`core/tests/shutdown_under_load.rs`) "
        f"| {shutdown['rounds']} rounds × {shutdown['producers']} producers: {n(shutdown['accepted'])} accepted, "
        f"{n(shutdown['refused_closed'])} refused with `closed` | all accepted delivered; no bus thread left |",
        f"| faulty listeners (`core/tests/faults.rs`) | {n(faults['messages'])} messages on "
        f"{faults['destination_types']} destination types, {n(faults['failed_messages'])} failed by panics and errors "
        "| counted; bus live; shutdown gives up at its timeout |",
        f"| bad input, C (`tests/c/test_bad_input.c`) | {n(bad_c['rows'])} rows over every exported function "
        "| exact result code and detail for each |",
        f"| bad input, Python (`tests/python/test_bad_input.py`) | {n(bad_py)} cases | typed exception for each |",
        f"| fuzzing the C API (`tests/fuzz/fuzz_bus.c`, ASan+UBSan) | {n(fuzz['number_of_executed_units'])} "
        f"executions, {n(fuzz.get('new_units_added', '0'))} new inputs, peak RSS {fuzz.get('peak_rss_mb', '?')} MB "
        "| no crash, no leak, no broken accounting |",
        f"| Python memory (`tests/python/test_memory.py`) | {n(memory['messages'])} messages with values "
        f"| resident {n(memory['start_kib'])} KiB before, {n(memory['peak_kib'])} KiB at most, "
        f"{n(memory['end_kib'])} KiB after |",
        "",
        "The C tests under each build (`tests/c/run.sh`):",
        "",
        "| test | shared | static | ASan+UBSan+LSan | valgrind |",
        "|---|---|---|---|---|",
    ]
    for test in ("test_bad_input", "test_concurrency"):
        runs = c_runs(args.c_logs, test)
        lines.append(f"| `{test}.c` | " + " | ".join(counts for _, counts in runs) + " |")
    lines += [
        "",
        "The Python process's life is checked by `tests/python/test_process.py` in every",
        "`make test`: exit with busy listeners and no shutdown (20 times), Ctrl-C during a",
        "blocked `send_synchronous`, and a bus inherited through `os.fork()`.",
        "",
        "Replay the stress run with `MSGBUS_STRESS_SEED=<seed> cargo test -p msgbus --test stress`;",
        "run it longer with `make soak SOAK_SECONDS=600`, the fuzzer with `make fuzz FUZZ_SECONDS=600`.",
        "",
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
