"""make bench: runs the Rust, C and Python benchmark programs and the
libzmq one several times, prints one table of medians (with their spread)
against the baselines measured in the same run, checks the ratios against
the targets (issues 7, 17, 20 and 21), writes every figure as JSON, and
draws msgbus beside each peer and the scaling curves as PNGs.

    python bench/report.py --rust R --c C --zmq Z --reps N --out DIR [--quick]
"""

import argparse
import datetime
import json
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any, NamedTuple, Optional

Key = tuple[str, str, str, str, str]  # surface, workload, implementation, metric, params


class Target(NamedTuple):
    """`figure` (surface, workload, implementation, metric) over `baseline`
    must be at least (or at most) `bound`."""

    label: str
    figure: tuple[str, str, str, str]
    baseline: Optional[tuple[str, str, str, str]]
    bound: float
    at_least: bool


TARGETS = [
    # Issue 20: ahead of what users would write by hand, and of libzmq and
    # pyzmq, on every surface.
    Target("W1 Rust", ("rust", "W1", "msgbus", "throughput"), ("rust", "W1", "crossbeam", "throughput"), 0.7, True),
    Target("W1 Rust by name", ("rust", "W1", "msgbus by name", "throughput"), ("rust", "W1", "crossbeam", "throughput"),
           0, True),
    Target("W1 C", ("c", "W1", "msgbus", "throughput"), ("rust", "W1", "crossbeam", "throughput"), 0.6, True),
    Target("W1 C / libzmq", ("c", "W1", "msgbus", "throughput"), ("c", "W1", "libzmq", "throughput"), 2.5, True),
    Target("W1 Python", ("python", "W1", "msgbus", "throughput"), ("python", "W1", "SimpleQueue", "throughput"), 1.0,
           True),
    Target("W1 Py by name", ("python", "W1", "msgbus by name", "throughput"),
           ("python", "W1", "SimpleQueue", "throughput"), 0, True),
    Target("W1 Py / pyzmq", ("python", "W1", "msgbus", "throughput"), ("python", "W1", "pyzmq", "throughput"), 2, True),
    Target("W2 Rust", ("rust", "W2", "msgbus", "throughput"), ("rust", "W2", "crossbeam", "throughput"), 0.7, True),
    Target("W2 C", ("c", "W2", "msgbus", "throughput"), ("rust", "W2", "crossbeam", "throughput"), 0, True),
    Target("W2 Python", ("python", "W2", "msgbus", "throughput"), ("python", "W2", "SimpleQueue", "throughput"), 1.0,
           True),
    Target("W3 p50 Rust", ("rust", "W3", "msgbus", "p50"), ("rust", "W3", "crossbeam", "p50"), 2, False),
    Target("W3 p50 C", ("c", "W3", "msgbus", "p50"), ("rust", "W3", "crossbeam", "p50"), 0, False),
    Target("W3 p50 C/zmq", ("c", "W3", "msgbus", "p50"), ("c", "W3", "libzmq", "p50"), 0.05, False),
    Target("W3 p50 Python", ("python", "W3", "msgbus", "p50"), ("python", "W3", "SimpleQueue", "p50"), 0.5, False),
    Target("W3 p50 Py/zmq", ("python", "W3", "msgbus", "p50"), ("python", "W3", "pyzmq", "p50"), 0.5, False),
    Target("W3 p99 Rust", ("rust", "W3", "msgbus", "p99"), ("rust", "W3", "crossbeam", "p99"), 0, False),
    Target("W3 p99 Python", ("python", "W3", "msgbus", "p99"), ("python", "W3", "SimpleQueue", "p99"), 0, False),
    Target("W4 p50 Rust", ("rust", "W4", "msgbus", "p50"), ("rust", "W4", "crossbeam", "p50"), 2, False),
    Target("W4 p50 C", ("c", "W4", "msgbus", "p50"), ("rust", "W4", "crossbeam", "p50"), 0, False),
    Target("W4 p50 Python", ("python", "W4", "msgbus", "p50"), ("python", "W4", "SimpleQueue", "p50"), 0, False),
    Target("W4 p99 Rust", ("rust", "W4", "msgbus", "p99"), ("rust", "W4", "crossbeam", "p99"), 0, False),
    Target("S1 Rust", ("rust", "S1", "msgbus", "throughput"), ("rust", "S1", "plain loop", "throughput"), 0.5, True),
    Target("S1 C", ("c", "S1", "msgbus", "throughput"), ("rust", "S1", "plain loop", "throughput"), 0, True),
    Target("S1 Python", ("python", "S1", "msgbus", "throughput"), ("python", "S1", "plain loop", "throughput"), 0.5,
           True),
    Target("memory B/msg", ("rust", "memory", "msgbus", "bytes per queued message"), None, 128, False),
    # Issue 21: timing sampled by default costs W1 at most 5 %; timers fire
    # about as punctually as a sleeping thread wakes; pending timers are
    # bounded in memory.
    Target("W1 timing 1/64", ("rust", "W1 timing", "timing 1 in 64", "throughput"),
           ("rust", "W1 timing", "timing off", "throughput"), 0.95, True),
    Target("W1 timing all", ("rust", "W1 timing", "timing every message", "throughput"),
           ("rust", "W1 timing", "timing off", "throughput"), 0, True),
    Target("timer p50 late", ("rust", "timers", "msgbus", "p50 lateness"),
           ("rust", "timers", "thread::sleep", "p50 lateness"), 0, False),
    Target("timer p99 late", ("rust", "timers", "msgbus", "p99 lateness"),
           ("rust", "timers", "thread::sleep", "p99 lateness"), 0, False),
    Target("B/pending timer", ("rust", "timers", "msgbus", "bytes per pending timer"), None, 256, False),
    # 100 000 destinations and 100 000 listeners on one: each step within a
    # second (issue 17), and against a hand-written registry.
    *(Target(f"100k {label} s", ("rust", "registry", "msgbus", metric), None, 1, False)
      for label, metric in (("add", "add destinations"), ("remove", "remove destinations"),
                            ("register", "register listeners"), ("unregister", "unregister listeners"))),
    *(Target(f"100k {label}", ("rust", "registry", "msgbus", metric), ("rust", "registry", "hand-written", metric),
             0, False)
      for label, metric in (("add", "add destinations"), ("remove", "remove destinations"),
                            ("register", "register listeners"), ("unregister", "unregister listeners"))),
]


def run(command: list[str]) -> list[dict[str, Any]]:
    done = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True)
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def key(record: dict[str, Any]) -> Key:
    return (record["surface"], record["workload"], record["implementation"], record["metric"],
            json.dumps(record["params"], sort_keys=True))


def summarize(runs: list[list[dict[str, Any]]]) -> dict[Key, dict[str, Any]]:
    """Median, min and max of each figure over the repetitions."""
    values: dict[Key, list[float]] = {}
    units: dict[Key, str] = {}
    for records in runs:
        for record in records:
            values.setdefault(key(record), []).append(record["value"])
            units[key(record)] = record["unit"]
    return {
        k: {"median": statistics.median(v), "min": min(v), "max": max(v), "runs": len(v), "unit": units[k]}
        for k, v in values.items()
    }


def find(summary: dict[Key, dict[str, Any]], wanted: tuple[str, str, str, str]) -> Optional[dict[str, Any]]:
    return next((s for k, s in summary.items() if k[:4] == wanted), None)


def fmt(figure: dict[str, Any]) -> str:
    def num(x: float) -> str:
        return f"{x / 1e6:.2f} M" if x >= 1e5 else f"{x:.1f}"

    return f"{num(figure['median'])} ({num(figure['min'])}–{num(figure['max'])}) {figure['unit']}"


def table(summary: dict[Key, dict[str, Any]], verdicts: bool) -> list[dict[str, Any]]:
    """The rows against their baselines; with `verdicts`, each target met or
    not (a quick run's small sizes say nothing about targets)."""
    rows = []
    print(f"{'row':<15} {'msgbus: median (min–max)':<42} {'baseline: median (min–max)':<56} {'ratio':>6}  target")
    for target in TARGETS:
        figure = find(summary, target.figure)
        baseline = find(summary, target.baseline) if target.baseline else None
        if figure is None or (target.baseline and baseline is None):
            sys.exit(f"{target.label}: a figure is missing from the benchmark output")
        ratio = figure["median"] / baseline["median"] if baseline else figure["median"]
        goal, met = "", None
        if target.bound and verdicts:
            met = ratio >= target.bound if target.at_least else ratio <= target.bound
            goal = f"{'≥' if target.at_least else '≤'} {target.bound:g}  {'met' if met else 'NOT MET'}"
        shown_baseline = f"{fmt(baseline)} ({target.baseline[2]})" if baseline and target.baseline else "-"
        print(f"{target.label:<15} {fmt(figure):<42} {shown_baseline:<56} {ratio:>6.2f}  {goal}")
        rows.append({"row": target.label, "figure": figure, "baseline": baseline, "ratio": ratio,
                     "target": goal, "met": met})
    return rows


def plot(summary: dict[Key, dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = [("listeners", "listeners"), ("producers", "producer threads"), ("payload", "payload bytes")]
    figure, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    for axis, (param, label) in zip(axes, series):
        for workload in ("W1", "W2"):
            for implementation, style in (("msgbus", "-o"), ("crossbeam", "--s")):
                points = sorted(
                    (json.loads(k[4])[param], s["median"])
                    for k, s in summary.items()
                    if k[0] == "rust" and k[1] == f"{workload} {param}" and k[2] == implementation
                )
                if points:
                    xs, ys = zip(*points)
                    axis.plot(xs, [y / 1e6 for y in ys], style, label=f"{workload} {implementation}")
        axis.set_xscale("log", base=2)
        axis.set_xlabel(label)
        axis.set_ylabel("M deliveries/s (median)")
        axis.grid(True, alpha=0.3)
        axis.legend(fontsize=8)
    figure.suptitle("msgbus (Rust API) against a raw crossbeam channel: W1 serial, W2 parallel with 2 workers")
    figure.tight_layout()
    figure.savefig(path, dpi=100)


#: The peers' chart: a row per workload (and the metric drawn), a column
#: per surface.
PEER_ROWS = [("W1", "throughput"), ("W2", "throughput"), ("W3", "p50"), ("W4", "p50"), ("S1", "throughput")]
PEER_SURFACES = ("rust", "c", "python")
#: What each panel draws beside msgbus, as (surface, implementation): C's
#: rows also beside Rust's baselines, which its targets are measured against.
BESIDE: dict[tuple[str, str], list[tuple[str, str]]] = {
    ("rust", "W1"): [("rust", "msgbus by name"), ("rust", "crossbeam")],
    ("c", "W1"): [("c", "libzmq"), ("rust", "crossbeam")],
    ("python", "W1"): [("python", "msgbus by name"), ("python", "SimpleQueue"), ("python", "pyzmq")],
    ("rust", "W2"): [("rust", "crossbeam")],
    ("c", "W2"): [("rust", "crossbeam")],
    ("python", "W2"): [("python", "SimpleQueue")],
    ("rust", "W3"): [("rust", "crossbeam")],
    ("c", "W3"): [("c", "libzmq"), ("rust", "crossbeam")],
    ("python", "W3"): [("python", "SimpleQueue"), ("python", "pyzmq")],
    ("rust", "W4"): [("rust", "crossbeam")],
    ("c", "W4"): [("rust", "crossbeam")],
    ("python", "W4"): [("python", "SimpleQueue")],
    ("rust", "S1"): [("rust", "plain loop")],
    ("c", "S1"): [("rust", "plain loop")],
    ("python", "S1"): [("python", "plain loop")],
}


def plot_peers(summary: dict[Key, dict[str, Any]], path: Path) -> None:
    """One bar chart per surface and workload: msgbus and each peer's
    median (its figure under its name), the spread over the repetitions as
    an error bar."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(len(PEER_ROWS), len(PEER_SURFACES), figsize=(15, 3.4 * len(PEER_ROWS)))
    for axis_row, (workload, metric) in zip(axes, PEER_ROWS):
        for axis, surface in zip(axis_row, PEER_SURFACES):
            shown = []
            for side, name in [(surface, "msgbus"), *BESIDE[(surface, workload)]]:
                found = find(summary, (side, workload, name, metric))
                if found is not None:
                    shown.append((name if side == surface else f"{name} ({side})", found))
            scale = 1e6 if metric == "throughput" else 1
            medians = [f["median"] / scale for _, f in shown]
            spread = [[(f["median"] - f["min"]) / scale for _, f in shown],
                      [(f["max"] - f["median"]) / scale for _, f in shown]]
            colors = ["tab:blue" if name.startswith("msgbus") else "tab:gray" for name, _ in shown]
            axis.bar([f"{name}\n{m:.3g}" for (name, _), m in zip(shown, medians)], medians, yerr=spread,
                     color=colors, capsize=4)
            axis.set_title(f"{workload} {metric} ({surface})", fontsize=10)
            axis.set_ylabel("M msgs/s (more is better)" if metric == "throughput" else "µs (less is better)")
            axis.tick_params(axis="x", labelsize=8)
            axis.grid(True, axis="y", alpha=0.3)
    figure.suptitle("msgbus (blue) beside what a user would pick instead (gray): medians of one make bench run")
    figure.tight_layout(rect=(0, 0, 1, 0.98))
    figure.savefig(path, dpi=80)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rust", required=True)
    parser.add_argument("--c", required=True)
    parser.add_argument("--zmq", required=True)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()

    quick = ["--quick"] if args.quick else []
    # msgbus and its crossbeam baselines each in a process of their own (see
    # msgbus-bench's `Side`).
    programs = [[args.rust, "--only=msgbus", *quick], [args.rust, "--only=crossbeam", *quick], [args.c, *quick],
                [args.zmq, *quick], [sys.executable, str(Path(__file__).parent / "python" / "bench.py"), *quick]]
    runs = []
    for rep in range(args.reps):
        records = []
        for program in programs:
            print(f"repetition {rep + 1}/{args.reps}: {Path(program[0]).name} {' '.join(program[1:])}", file=sys.stderr)
            records += run(program)
        runs.append(records)
    summary = summarize(runs)
    rows = table(summary, verdicts=not args.quick)

    args.out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    result = {
        "when": stamp,
        "quick": args.quick,
        "repetitions": args.reps,
        "rows": rows,
        "figures": [dict(zip(("surface", "workload", "implementation", "metric"), k[:4]), params=json.loads(k[4]), **s)
                    for k, s in sorted(summary.items())],
    }
    (args.out / f"{stamp}.json").write_text(json.dumps(result, indent=1) + "\n")
    plot(summary, args.out / f"{stamp}-scaling.png")
    plot_peers(summary, args.out / f"{stamp}-peers.png")
    print(f"results: {args.out / stamp}.json, msgbus beside its peers: {args.out / stamp}-peers.png, "
          f"scaling curves: {args.out / stamp}-scaling.png")


if __name__ == "__main__":
    main()
