#!/usr/bin/env python3
"""Print one scenario set of an `estimate evaluate --format json` output as
docs/eta-accuracy.md's accuracy table: eta_tables.py EVAL.json perturbed|calm.
When the evaluation scored the speeds_known diagnostic (--speeds-known),
docs/evaluate.md's table of it follows."""
import json
import sys


def interval(x, signed=False):
    if x is None or x["value"] is None:
        return "n/a"
    f = "%+.2f" if signed else "%.2f"
    return (f + " [" + f + ", " + f + "]") % (x["value"], x["ci95_low"], x["ci95_high"])


def points(ev, scen):
    """Each scoring point of scenario set scen: its label ("10 % up") and
    its scores by estimator."""
    for point, label in (("instances", "up"), ("duration", "of time")):
        for progress in (0.1, 0.25, 0.5, 0.75):
            yield "%d %% %s" % (round(progress * 100), label), {
                s["estimator"]: s for s in ev["scores"]
                if s["scenario"] == scen and s["point"] == point and s["progress"] == progress}


def main():
    ev = json.load(open(sys.argv[1]))
    scen = sys.argv[2]
    print("| at | throughput median \\|error\\| | p90 | bias | coverage (80 %) "
          "| RAM median | replay median | climatology median |")
    print("|---|---|---|---|---|---|---|---|")
    for at, d in points(ev, scen):
        t = d["throughput"]
        print("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            at, interval(t["median_abs_error"]), interval(t["p90_abs_error"]),
            interval(t["median_signed_error"], True), interval(t["coverage"]),
            interval(d["ram"]["median_abs_error"]),
            interval(d["replay"]["median_abs_error"]),
            interval(d["climatology"]["median_abs_error"])))
    if ev.get("speeds_known"):
        speeds_known(ev, scen)


def speeds_known(ev, scen):
    print()
    print("| at | throughput median \\|error\\| | speeds known | replay | throughput bias "
          "| speeds known bias | throughput coverage | speeds known coverage |")
    print("|---|---|---|---|---|---|---|---|")
    for at, d in points(ev, scen):
        t, k, r = d["throughput"], d["speeds_known"], d["replay"]
        print("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            at, interval(t["median_abs_error"]), interval(k["median_abs_error"]),
            interval(r["median_abs_error"]),
            interval(t["median_signed_error"], True), interval(k["median_signed_error"], True),
            interval(t["coverage"]), interval(k["coverage"])))


if __name__ == "__main__":
    main()
