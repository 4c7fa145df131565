#!/usr/bin/env python3
"""Plant, one at a time, the hand-made bugs that gremlins cannot make.

gremlins (scripts/mutation.sh) flips operators; it never changes a
constant, drops a term or a whole rule. These are the bugs of issue 19 that
the package tests once let through, and a few more of the same kind: each
is applied to a copy of the tree, the owning package's tests run, and the
bug is reported KILLED (a test failed) or LIVED.

    scripts/rule_mutants.py [--quick] [NAME-SUBSTRING...]

--quick runs only the tests named for each bug (seconds) instead of the
whole package (minutes for power). Not part of CI.
"""
import os, shutil, subprocess, sys, tempfile

# (name, file, text, replacement, package, tests that pin the rule)
MUTANTS = [
 ("continuous limit default 0.8 -> 0.85", "topology/load.go", "s := Site{ContinuousLimit: 0.8,", "s := Site{ContinuousLimit: 0.85,", "topology", "TestSiteDefaults|TestInheritance|TestDeviceAndServiceDefaults|TestLoadErrors"),
 ("PF not inherited from the supply", "topology/elements.go", "e.PowerFactor = sup.PowerFactor", "e.PowerFactor = b.m.Site.PowerFactor", "topology", "TestSiteDefaults|TestInheritance|TestDeviceAndServiceDefaults"),
 ("device measured_w ignored", "power/basis.go", "if d.MeasuredW > 0 {", "if false && d.MeasuredW > 0 {", "power", "TestBasisFigures"),
 ("UPS kW > kVA accepted", "topology/elements.go", "if e.CapacityVA > 0 && e.CapacityW > e.CapacityVA {", "if false && e.CapacityVA > 0 && e.CapacityW > e.CapacityVA {", "topology", "TestLoadErrors"),
 ("overload steps with the same time accepted", "topology/elements.go", "if e.Overload[k].TimeS >= e.Overload[k-1].TimeS {", "if e.Overload[k].TimeS > e.Overload[k-1].TimeS {", "topology", "TestLoadErrors"),
 ("lower bound: tail term dropped", "placement/plan.go", "lb = max(lb, it.est+work/cp+theta)", "lb = max(lb, it.est+work/cp)", "placement", "TestLowerBoundTerms|TestLowerBoundBruteForce"),
 ("lower bound: pinned-node pools dropped", "placement/plan.go", "			pools[key] = append(pools[key], it)\n			capOf[key]", "			_ = key\n			capOf[key]", "placement", "TestLowerBoundTerms|TestLowerBoundBruteForce"),
 ("lower bound: quorum ignored (all instances)", "placement/plan.go", "		if q := sv.ReadyQuorum; q > 0 && q <= len(ds) {\n			ready[s] = est[s] + ds[q-1]", "		if q := sv.ReadyQuorum; false && q > 0 && q <= len(ds) {\n			ready[s] = est[s] + ds[q-1]", "placement", "TestLowerBoundTerms|TestLowerBoundBruteForce"),
 ("lower bound: gated term dropped", "placement/plan.go", "	return max(lb, c.gatedBound(est, ready, work, take, lb))", "	return lb", "placement", "TestLowerBoundTerms|TestLowerBoundGatedTerm|TestLowerBoundBruteForce"),
 ("back-off cap 300 -> 600 s", "placement/cluster.go", "MaxBackoffS        = 300.0", "MaxBackoffS        = 600.0", "placement", "TestRetryRule|TestSimulatorDefaults"),
 ("projection back-off cap (estimate) 300 -> 600 s", "placement/cluster.go", "MaxBackoffS        = 300.0", "MaxBackoffS        = 600.0", "estimate", "TestProjectionBackoffCap|TestStaleThresholds"),
 ("stale after 900 -> 1200 s", "estimate/live.go", "const staleAfter = 900.0", "const staleAfter = 1200.0", "estimate", "TestStaleThresholds"),
 ("stale: timeout slack 30 -> 60 s", "estimate/live.go", "const timeoutSlack = 30.0", "const timeoutSlack = 60.0", "estimate", "TestStaleThresholds"),
 ("default timeout 300 -> 600 s", "placement/cluster.go", "DefaultTimeoutS    = 300.0", "DefaultTimeoutS    = 600.0", "placement", "TestSimulatorDefaults"),
 ("default concurrency 4 -> 2", "placement/cluster.go", "DefaultConcurrency = 4 ", "DefaultConcurrency = 2 ", "placement", "TestLowerBoundTerms"),
 ("default attempts 10 -> 8", "placement/cluster.go", "DefaultMaxAttempts = 10 ", "DefaultMaxAttempts = 8 ", "placement", "TestRetryRule|TestSimulatorDefaults"),
 ("verdict: over-rating at In (>= instead of >)", "power/verdict.go", "	case a.Ratio > 1+ratioTol:\n		a.Verdict = OverRating", "	case a.Ratio >= 1-ratioTol:\n		a.Verdict = OverRating", "power", "TestVerdictBoundaries"),
 ("IEC 60898 no-trip 1.13 -> 1.15", "power/trip.go", "c.NoTripX, c.MustTripX = 1.13, 1.45", "c.NoTripX, c.MustTripX = 1.15, 1.45", "power", "TestVerdictBoundaries"),
 ("90 % point: floor instead of ceil", "estimate/planned.go", "k90 := int(math.Ceil(0.9*float64(placed))) - 1", "k90 := int(math.Floor(0.9*float64(placed))) - 1", "estimate", "TestPlannedPoints"),
 ("evaluation error: relative to actual, not remaining", "estimate/evaluate.go", "d := (m.eta[e] - r.actual) / rem", "d := (m.eta[e] - r.actual) / r.actual", "estimate", "TestScoreFormulas"),
 ("climatology not clamped to now", "estimate/evaluate.go", "m.eta[3], m.lo[3], m.hi[3] = max(q.P50, m.now), max(q.P10, m.now), max(q.P90, m.now)", "m.eta[3], m.lo[3], m.hi[3] = q.P50, q.P10, q.P90", "estimate", "TestClimatology"),
 ("site frequency default 50 -> 60", "topology/load.go", "PowerFactor: 1, FrequencyHz: 50}", "PowerFactor: 1, FrequencyHz: 60}", "topology", "TestSiteDefaults"),
 ("default PSUs required: all instead of a majority", "topology/devices.go", "dm.PSUsRequired = (dm.PSUs + 1) / 2", "dm.PSUsRequired = dm.PSUs", "topology", "TestDeviceAndServiceDefaults"),
]


def main():
    args = sys.argv[1:]
    quick = "--quick" in args
    only = [a for a in args if a != "--quick"]
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    work = tempfile.mkdtemp(prefix="rule-mutants-")
    try:
        tree = os.path.join(work, "tree")
        shutil.copytree(repo, tree, ignore=shutil.ignore_patterns(".git", "node_modules"))
        # The tests read ../shared/data beside the repository.
        shared = os.path.join(os.path.dirname(repo), "shared")
        if os.path.isdir(shared):
            os.symlink(shared, os.path.join(work, "shared"))
        killed = lived = 0
        for name, f, old, new, pkg, tests in MUTANTS:
            if only and not any(o in name for o in only):
                continue
            path = os.path.join(tree, f)
            with open(path) as fh:
                src = fh.read()
            if old not in src:
                print(f"MISSING {name}: {f} no longer holds the text to mutate; update the table", flush=True)
                continue
            with open(path, "w") as fh:
                fh.write(src.replace(old, new, 1))
            cmd = ["go", "test", "-count=1", "./" + pkg]
            if quick:
                cmd += ["-run", tests]
            try:
                r = subprocess.run(cmd, cwd=tree, capture_output=True, text=True)
            finally:
                with open(path, "w") as fh:
                    fh.write(src)
            if r.returncode:
                killed += 1
                print(f"KILLED {name} ({pkg})", flush=True)
            else:
                lived += 1
                print(f"LIVED  {name} ({pkg}: {' '.join(cmd[3:])})", flush=True)
        print(f"{killed} killed, {lived} lived", flush=True)
        sys.exit(1 if lived else 0)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
