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
                # key=value tokens only: a test's stderr may share the line.
                found[match[1]] = dict(re.findall(r"(\w+)=(\S+)", match[2]))
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


def found_from_outside(found: dict[str, dict[str, str]]) -> list[str]:
    """The cases an outside tester found (issue 17): what they did before
    the fix, as the issue measured it, and what this run's regression
    test measured."""
    f = lambda name, key: need(found, name)[key]  # noqa: E731
    n = lambda v: f"{int(v):,}"  # noqa: E731
    exits = [f"{f(f'python_exit_stuck_{w}', 'ended_ms')} ms" for w in ("sleep", "lock", "C")]
    rows = [
        ("1. sends racing `replace_destination` / remove + add",
         "`core/tests/registry.rs`",
         "accepted 117,217, refused `CLOSED` 2, every run",
         f"{n(f('replace_race', 'changes'))} changes: {n(f('replace_race', 'accepted'))} accepted, "
         f"{f('replace_race', 'refused')} refused"),
        ("2. forced shutdown while a call is stuck",
         "`core/tests/shutdown.rs`",
         "`TIMEOUT`, pending 3, discarded 0 until the call returns",
         f"`TIMEOUT`, pending {f('forced_shutdown_stuck', 'pending')}, discarded "
         f"{f('forced_shutdown_stuck', 'discarded')}, {f('forced_shutdown_stuck', 'freed')} payloads freed at once"),
        ("3. a worker the system cannot start",
         "`core/tests/faults.rs`",
         "3,000 accepted, 492 delivered, the rest lost",
         f"{n(f('no_worker', 'sent'))} sent, {n(f('no_worker', 'delivered'))} delivered by their senders, "
         f"{f('no_worker', 'pending')} pending"),
        ("4. registry at scale (bytes one change allocates, among 1,000 and 100,000)",
         "`core/tests/registry_scale.rs`, `make bench`",
         "a destination 70 KB and 4.3 MB, a listener 24 KB and 2.4 MB; 100,000 destinations 310 s",
         f"a destination {n(f('registry_destinations', 'add_small'))} B and "
         f"{n(f('registry_destinations', 'add_large'))} B, a listener {n(f('registry_listeners', 'add_small'))} B "
         f"and {n(f('registry_listeners', 'add_large'))} B"),
        ("5. exit with a listener stuck in `time.sleep`, on a lock, in C (exit timeout 0.2 s)",
         "`tests/python/test_process.py`",
         "hung for ever, even after Ctrl-C twice",
         f"ended after {', '.join(exits)}; Ctrl-C ended an unbounded wait "
         f"({f('python_exit_ctrl_c', 'sigints')} SIGINT); a worker woken while finalizing: "
         f"exit {f('python_wake_in_finalization', 'returncode')} (was SIGABRT)"),
        ("6. Ctrl-C during `unregister()` and a `block` send",
         "`tests/python/test_process.py`",
         "`KeyboardInterrupt` 6.5 s after SIGINT",
         f"{f('python_ctrl_c_unregister', 'ended_ms')} ms and {f('python_ctrl_c_blocked_send', 'ended_ms')} ms"),
        ("7. 100 MiB bytes to 4 parallel Python listeners",
         "`tests/python/test_memory.py`",
         "+500 MiB at the peak, 4 objects",
         f"+{f('python_fan_out', 'extra_mib')} MiB (the one copy on send), 1 object"),
        ("8. `fork()` with busy workers (Python), an inherited bus (C), a sub-interpreter",
         "`tests/python/test_process.py`, `tests/c/test_fork.c`",
         "1-3 of 80 children hung; C child's free hung; main buses shut down",
         f"{f('python_fork_busy', 'hung')} of {f('python_fork_busy', 'forks')} hung; "
         f"{f('c_fork', 'inherited_calls_refused')} calls on the inherited bus refused `CLOSED`, free returned; "
         f"sub-interpreter import: {f('python_subinterpreter', 'import')}"),
        ("9. a listener recursing through C",
         "`tests/python/test_process.py`",
         "SIGSEGV at ~600 levels (2 MiB stacks)",
         f"{n(f('python_deep_listener', 'depth'))} levels (8 MiB stacks)"),
    ]
    lines = [
        "Found from outside (issue 17), each with its regression test: before the fix as the issue",
        "measured it, and in this run.",
        "",
        "| case | test | before | this run |",
        "|---|---|---|---|",
    ]
    return lines + [f"| {case} | {test} | {before} | {now} |" for case, test, before, now in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logs", type=Path, required=True, help="directory of test output logs")
    parser.add_argument("--fuzz-log", type=Path, required=True)
    parser.add_argument("--c-logs", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    found = figures(sorted(args.logs.glob("*.log"))
                    + [args.c_logs / "test_bad_input-shared.log", args.c_logs / "test_fork-shared.log"])
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
        f"{n(stress['faults'])} listener faults injected | every message in exactly one outcome; every undelivered one dead-lettered once |",
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
        "| no crash, no leak, no broken accounting, one dead letter per undelivered message |",
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
    lines += [""] + found_from_outside(found) + [
        "",
        "The Python process's life is checked by `tests/python/test_process.py` in every",
        "`make test`: exit with busy listeners and no shutdown (20 times) and with stuck ones,",
        "Ctrl-C during blocked calls, `os.fork()`, sub-interpreters and deep listeners.",
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
