#!/usr/bin/env python3
"""Where a tracked request's CPU goes in the running proxy, from `perf script` output.

Reads demangled `perf script -F comm,tid,ip,sym` text (call stacks, leaf first) of one instance and
prints microseconds per request by part: every sample is charged to the first part (in the order
below) whose frame appears in its stack, so the parts add up to the whole. Samples are scaled to
the CPU time /proc measured for the same load in a window without perf (`CPU_US` per request): perf's
own overhead (copying stacks) is charged to the sampled threads, but no sample lands in it, so the
shares hold and the whole comes from the unperturbed window.

Usage: tracking-profile.py SCRIPT_OUTPUT REQUESTS CPU_US_PER_REQUEST [NAME RESULTS]
       tracking-profile.py --summary RESULTS
With NAME and RESULTS, the figures are also appended to RESULTS (a JSON line); --summary prints the
median of each part per instance over the rounds, instances side by side.
"""
import collections
import json
import statistics
import sys

# (part, frame substrings): tracking's parts first, most specific first, then the rest by thread.
# A part is charged on whichever thread it runs: the loops, or the activity builder's task.
PARTS = [
    ("rule decision", ["RuleSet.decide("]),
    ("begin: rest (headers, request id, clocks)", ["ActivityTracker.begin"]),
    ("activity (client IP, user, metadata, description)", ["TrackingPolicy.activity(for"]),
    ("row: values and encoding", ["ActivityWriter.encode(", "rowValues.getter", "outlined destroy of ActivityRowValues"]),
    # `LoopActivityRows.handOff`: builds before the activity builder handed a loop turn's rows over.
    ("hand-offs (rows to the writer)", ["LoopActivityRows.handOff", "ActivityWriter.record("]),
    ("finish: rest", ["ActivityTracker.finish", "LoopActivityRows.add", "ProxyServerHandler.record(", "FinishedActivity.init("]),
    ("builder: rest (its ticks, releasing requests)", ["ActivityBuilder."]),
    ("pending activity released", ["PendingActivity.__deallocating_deinit"]),
]


def stacks(path):
    """Yields (thread name, whether the sample is in the kernel, frames leaf first) per sample."""
    comm, kernel, frames = None, False, None
    with open(path, errors="replace") as text:
        for line in text:
            if not line.strip():
                if frames is not None:
                    yield comm, kernel, frames
                comm, frames = None, None
            elif not line[0].isspace():
                if frames is not None:
                    yield comm, kernel, frames
                comm, kernel, frames = line.split()[0], False, []
            elif frames is not None:
                parts = line.strip().split(" ", 1)
                if not frames:
                    kernel = parts[0].startswith("ffffffff")
                frames.append(parts[1] if len(parts) > 1 else "?")
    if frames is not None:
        yield comm, kernel, frames


SUMMED = ["= tracking code (on any thread)"]
REST = ["event loops: the proxying itself, user", "event loops: the proxying itself, kernel", "other threads (writer, spool, pools)"]
WHOLE = "= all (CPU per request, /proc)"


def summary(results):
    by_instance = collections.defaultdict(lambda: collections.defaultdict(list))
    order = []
    with open(results) as lines:
        for line in lines:
            row = json.loads(line)
            if row["name"] not in order:
                order.append(row["name"])
            for part, figure in row["parts"].items():
                by_instance[row["name"]][part].append(figure)
    print("  medians over the rounds, us per request:")
    print("    " + " " * 55 + "".join(f"{name:>10s}" for name in order))
    for part in [name for name, _ in PARTS] + SUMMED + REST + [WHOLE]:
        cells = "".join(f"{statistics.median(by_instance[name][part]):10.2f}" for name in order)
        print(f"    {part:55s}{cells}")


def main():
    if sys.argv[1] == "--summary":
        summary(sys.argv[2])
        return
    path, requests, cpu_us = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    charged = collections.Counter()
    total = 0
    for comm, kernel, frames in stacks(path):
        total += 1
        part = None
        for name, needles in PARTS:
            if any(needle in frame for frame in frames for needle in needles):
                part = name
                break
        if part is None:
            if comm.startswith("NIO-ELT"):
                part = "event loops: the proxying itself, kernel" if kernel else "event loops: the proxying itself, user"
            else:
                part = "other threads (writer, spool, pools)"
        charged[part] += 1
    if total == 0:
        print("    no samples")
        return
    scale = cpu_us / total  # microseconds per request per sample
    figures = {name: charged[name] * scale for name, _ in PARTS}
    figures[SUMMED[0]] = sum(figures.values())
    figures.update({name: charged[name] * scale for name in REST})
    figures[WHOLE] = cpu_us
    for name, figure in figures.items():
        print(f"    {name:55s} {figure:6.2f} us/req")
    print(f"    ({total} samples of {requests} requests)")
    if len(sys.argv) > 5:
        with open(sys.argv[5], "a") as results:
            results.write(json.dumps({"name": sys.argv[4], "parts": figures}) + "\n")


if __name__ == "__main__":
    main()
