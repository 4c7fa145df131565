#!/usr/bin/env bash
# BenchmarkLive of this checkout against the code before issue 12 (or any
# other commit), alternated in one series, for issue 12's speed goal (≤ 4 s
# median of 3, and at least 20 % faster than before the issue).
#
#   scripts/bench-live.sh [-n PAIRS] [BASE]
#
# BASE defaults to 1413e0b (the code before issue 12). Both test binaries
# are built first (`go test -c`: BASE's from `git archive` into a temporary
# directory), then run alternately PAIRS times (default 3), base first,
# each as `-test.run '^$' -test.bench 'BenchmarkLive$' -test.benchtime 1x`
# from its own estimate/ directory under /usr/bin/time. Printed per run:
# which, the benchmark's ns/op (wall time of the million events, setup
# excluded), and the process's user+system CPU seconds (setup included:
# generating the event stream, about 1.5 s); then the median ns/op of
# each and their ratio, and the load average before and after. Wall time
# means something only on an idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/bench-pair.lib.sh
bench_setup estimate 1413e0b "$@"

run() { # which dir
  local out
  out=$(cd "$2/estimate" && /usr/bin/time -f 'cpu %U %S' "$tmp/$1.test" -test.run '^$' \
    -test.bench 'BenchmarkLive$' -test.benchtime 1x 2>&1)
  local ns cpu
  ns=$(awk '/^BenchmarkLive/ {print $3}' <<<"$out")
  cpu=$(awk '/^cpu / {printf "%.1f", $2 + $3}' <<<"$out")
  if [ -z "$ns" ]; then
    echo "$1: no result" >&2
    echo "$out" >&2
    exit 1
  fi
  printf '%-5s %8.2f s  cpu %6s s\n' "$1" "$(awk -v n="$ns" 'BEGIN {print n / 1e9}')" "$cpu"
  echo "$1 $ns" >>"$tmp/results"
}

bench_alternate run
awk '{v[$1] = v[$1] " " $2}
  END {
    for (k in v) {
      n = split(substr(v[k], 2), a, " ")
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
      m[k] = (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
      printf "median %-5s %.2f s\n", k, m[k] / 1e9
    }
    printf "head / base: %.3f (goal: <= 0.80, and head <= 4 s)\n", m["head"] / m["base"]
  }' "$tmp/results"
