#!/usr/bin/env bash
# The service's GET eta latency under the 32-client load (issue 16's
# figure: p99 ≤ 200 ms), this checkout against another commit, alternated
# in one series.
#
#   scripts/bench-eta-load.sh [-n PAIRS] [BASE]
#
# BASE defaults to 6be5a83 (before the live estimator's speed work of
# issues 12 and 16). Both server test binaries are built first (`go test
# -c`; BASE's from `git archive` into a temporary directory), then
# BenchmarkIncidentLoad (32 clients, each posting its own incident's
# 1,000-event batches of the platform and reading its ETA after each; one
# op is every client's 4 batches) runs alternately PAIRS times (default 3),
# base first, from its own server/ directory. Printed per run: which, GET
# eta p50 and p99 (ms), POST p99 (ms), events/s and the process's CPU
# seconds; then the load average before and after. Meaningful only on an
# idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/bench-pair.lib.sh
bench_setup server 6be5a83 "$@"

run() { # which dir
  local out
  out=$(cd "$2/server" && /usr/bin/time -f 'cpu %U %S' "$tmp/$1.test" -test.run '^$' \
    -test.bench 'BenchmarkIncidentLoad$' -test.benchtime 1x 2>&1)
  if ! grep -q '^BenchmarkIncidentLoad' <<<"$out"; then
    echo "$1: no result" >&2
    echo "$out" >&2
    exit 1
  fi
  awk -v which="$1" '
    /^BenchmarkIncidentLoad/ {
      for (i = 3; i < NF; i++) v[$(i + 1)] = $i
    }
    /^cpu / { cpu = $2 + $3 }
    END {
      printf "%-5s eta p50 %8.1f ms  p99 %8.1f ms  post p99 %8.1f ms  %8.0f events/s  cpu %.1f s\n",
        which, v["eta-p50-ms"], v["eta-p99-ms"], v["post-p99-ms"], v["events/s"], cpu
    }' <<<"$out"
}

bench_alternate run
