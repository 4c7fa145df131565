#!/usr/bin/env bash
# Mutation testing of the core packages with gremlins (not part of CI: one
# package takes about 10 minutes on 2 idle cores, more on a shared machine).
#
#   scripts/mutation.sh [-s] [-b BUDGET] [-w WORKERS] [-k COEFFICIENT] [-n NICE] [-o REPORT] [-l LOGDIR] [PACKAGE...]
#
# PACKAGE defaults to the core: topology power placement estimate and the
# sub-packages of data. For each package it clears the test cache (with a
# warm cache gremlins' timing pass is too fast and nearly every mutant
# times out), runs gremlins v0.6.0 (installed with `go install` when
# missing) under nice -n NICE (default 19) with WORKERS workers (default 1) and the timeout
# coefficient (default 10) for at most BUDGET (default 30m, as `timeout`
# takes it), and writes REPORT (default mutation-report.md): per package
# the mutants killed, lived, timed out, not viable and not covered, the
# score (killed over killed + lived), the mutant coverage ((killed + lived)
# over every mutant found) and the timed-out share, with every survivor.
# A package stopped by its budget is reported from the results it had,
# marked "partial". Raise -k when the timed-out share is 5 % or more (on a
# loaded machine -k 20 or more). With -l, gremlins' own log of each package
# is kept in LOGDIR (default: a temporary directory, removed at the end).
#
# -s is stage 1 of the two-stage run: every mutant meets the package's
# fast subset (GOFLAGS=-short; the slow tests shorten under testing.Short()),
# built without vet and DWARF (-vet=off -ldflags=-w: a third less time a
# mutant here, where the link dominates; vet's verdict is not a test's).
# Stage 2 re-plants every LIVED and TIMED OUT mutant of that run one at a
# time against the whole suite: scripts/recheck_survivors.py LOGDIR/PKG.log
# PKG. A mutant the subset kills, the whole suite kills too, so the final
# figures are the whole suite's.
set -euo pipefail
cd "$(dirname "$0")/.."

budget=30m workers=1 coef=10 niceness=19 report=mutation-report.md logdir=""
short=""
while getopts "sb:w:k:n:o:l:" opt; do
  case $opt in
    s) short=1 ;;
    b) budget=$OPTARG ;;
    w) workers=$OPTARG ;;
    k) coef=$OPTARG ;;
    n) niceness=$OPTARG ;;
    o) report=$OPTARG ;;
    l) logdir=$OPTARG ;;
    *) sed -n '2,31p' "$0" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
pkgs=("$@")
if [ ${#pkgs[@]} -eq 0 ]; then
  pkgs=(topology power placement estimate data/events data/readings data/generate data/alibaba data/netbox data/store)
fi

tests="the whole suite"
if [ -n "$short" ]; then
  export GOFLAGS="${GOFLAGS:+$GOFLAGS }-short -vet=off -ldflags=-w"
  tests="stage 1, GOFLAGS=$GOFLAGS"
fi

version=v0.6.0
gremlins=$(go env GOPATH)/bin/gremlins
if ! [ -x "$gremlins" ] || ! go version -m "$gremlins" | grep -q "gremlins[[:space:]]*${version}"; then
  go install "github.com/go-gremlins/gremlins/cmd/gremlins@${version}"
fi

if [ -n "$logdir" ]; then
  mkdir -p "$logdir"
  logs=$logdir
else
  logs=$(mktemp -d)
  trap 'rm -rf "$logs"' EXIT
fi
{
  echo "# Mutation testing ($(date -u +%Y-%m-%dT%H:%MZ), gremlins ${version}, commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'))"
  echo
  echo "workers ${workers}, timeout coefficient ${coef}, nice ${niceness}, budget ${budget} per package, tests: ${tests}, load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "| package | killed | lived | timed out | not viable | not covered | score | mutant coverage | timed out % | run |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
} >"$report"
survivors=""
for p in "${pkgs[@]}"; do
  log="$logs/${p//\//_}.log"
  go clean -testcache
  start=$(date +%s)
  status=complete
  if ! timeout -k 2m "$budget" nice -n "$niceness" "$gremlins" unleash --workers "$workers" \
      --timeout-coefficient "$coef" "./$p" >"$log" 2>&1; then
    status=partial
  fi
  secs=$(($(date +%s) - start))
  count() { grep -c "^ *$1 " "$log" || true; }
  k=$(count KILLED) l=$(count LIVED) t=$(count "TIMED OUT") v=$(count "NOT VIABLE") n=$(count "NOT COVERED")
  # gremlins lists the uncovered mutants only in its summary line.
  if [ "$n" = 0 ]; then
    n=$(sed -n 's/.*Not covered: \([0-9]*\).*/\1/p' "$log" | tail -1)
    n=${n:-0}
  fi
  row=$(awk -v k="$k" -v l="$l" -v t="$t" -v v="$v" -v n="$n" 'BEGIN {
    tested = k + l; all = k + l + t + v + n
    printf "%s | %s | %s | %s | %s | %s | %s | %s", k, l, t, v, n,
      (tested ? sprintf("%.1f %%", 100 * k / tested) : "-"),
      (all ? sprintf("%.1f %%", 100 * (k + l) / all) : "-"),
      (k + l + t ? sprintf("%.1f %%", 100 * t / (k + l + t)) : "-") }')
  echo "| ${p} | ${row} | ${status}, ${secs} s |" >>"$report"
  lived=$(grep "^ *LIVED " "$log" | sed 's/^ *LIVED */- /' | sort || true)
  if [ -n "$lived" ]; then
    survivors+=$'\n'"## ${p}: survivors"$'\n\n'"${lived}"$'\n'
  fi
  echo "${p}: ${row} (${status}, ${secs} s)" >&2
done
echo "$survivors" >>"$report"
echo "report: $report" >&2
