#!/usr/bin/env bash
# Mutation testing of the core packages (not part of CI).
#
#   scripts/mutation.sh [-g] [-s] [-b BUDGET] [-w WORKERS] [-k COEFFICIENT] [-n NICE] [-o REPORT] [-l LOGDIR] [PACKAGE...]
#
# PACKAGE defaults to the core: topology power placement estimate and the
# sub-packages of data. The report (REPORT, default mutation-report.md)
# gives per package the mutants killed, lived, timed out, not viable and
# not covered, the score (killed over killed + lived), the mutant coverage
# ((killed + lived) over every mutant found) and the timed-out share
# (timed out over killed + lived + timed out), with every survivor.
#
# By default it runs scripts/mutschema (see its doc comment and
# docs/mutation.md): gremlins v0.6.0's mutants (its dry run gives the list
# and the covered verdict; gremlins is installed with `go install` when
# missing), all compiled into one test binary per package, each mutant run
# against only the tests that cover it, WORKERS at a time (default 2),
# with a timeout of COEFFICIENT (default 10) times those tests' measured
# time plus 5 s, under nice -n NICE (default 19). -s runs two stages:
# every covered mutant against -test.short, then the LIVED and TIMED OUT
# ones (and those only the whole suite covers) against the whole suite;
# without -s one stage runs the whole suite. LOGDIR (default
# mutation-logs, git-ignored) gets PKG.json (every mutant, its verdict and
# covering tests) and PKG.survivors.txt. BUDGET (default none) bounds the
# whole run, as `timeout` takes it (the package under way is then
# reported as partial); `kill -USR1` on the mutschema process cuts the
# package under way and goes on with the next.
#
# -g runs gremlins' own runner instead (one compile and the package's
# whole test run a mutant: about 10 minutes a package on 2 idle cores,
# hours on a shared machine). Then WORKERS defaults to 1 and BUDGET to 30m
# a package; the test cache is cleared before each package (with a warm
# cache gremlins' timing pass is too fast and nearly every mutant times
# out); a package stopped by its budget is reported from the results it
# had, marked "partial"; raise -k when the timed-out share is 5 % or more;
# with -l gremlins' own log of each package is kept in LOGDIR. -s is then
# stage 1 of the two-stage run: every mutant meets the package's fast
# subset (GOFLAGS=-short), built without vet and DWARF (-vet=off
# -ldflags=-w); stage 2 re-plants every LIVED and TIMED OUT mutant of that
# run one at a time against the whole suite:
# scripts/recheck_survivors.py LOGDIR/PKG.log PKG.
set -euo pipefail
cd "$(dirname "$0")/.."

budget="" workers="" coef=10 niceness=19 report=mutation-report.md logdir=""
short="" useg=""
while getopts "gsb:w:k:n:o:l:" opt; do
  case $opt in
    g) useg=1 ;;
    s) short=1 ;;
    b) budget=$OPTARG ;;
    w) workers=$OPTARG ;;
    k) coef=$OPTARG ;;
    n) niceness=$OPTARG ;;
    o) report=$OPTARG ;;
    l) logdir=$OPTARG ;;
    *) sed -n '2,41p' "$0" >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
pkgs=("$@")
if [ ${#pkgs[@]} -eq 0 ]; then
  pkgs=(topology power placement estimate data/events data/readings data/generate data/alibaba data/netbox data/store)
fi

version=v0.6.0
gremlins=$(go env GOPATH)/bin/gremlins
if ! [ -x "$gremlins" ] || ! go version -m "$gremlins" | grep -q "gremlins[[:space:]]*${version}"; then
  go install "github.com/go-gremlins/gremlins/cmd/gremlins@${version}"
fi

if [ -z "$useg" ]; then
  bin=$(mktemp -d)
  trap 'rm -rf "$bin"' EXIT
  go build -o "$bin/mutschema" ./scripts/mutschema
  stages=(-short=false -stage2=false)
  [ -n "$short" ] && stages=(-short=true -stage2=true)
  limit=()
  [ -n "$budget" ] && limit=(timeout -k 1m "$budget")
  "${limit[@]}" nice -n "$niceness" "$bin/mutschema" -gremlins "$gremlins" -w "${workers:-2}" -k "$coef" \
    "${stages[@]}" -o "$report" -l "${logdir:-mutation-logs}" "${pkgs[@]}"
  exit
fi
budget=${budget:-30m} workers=${workers:-1}

tests="the whole suite"
if [ -n "$short" ]; then
  export GOFLAGS="${GOFLAGS:+$GOFLAGS }-short -vet=off -ldflags=-w"
  tests="stage 1, GOFLAGS=$GOFLAGS"
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
