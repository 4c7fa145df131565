#!/bin/sh
# The ETA accuracy goals of issue 12: `estimate evaluate` on the platform
# example and on the Alibaba restart, RUNS runs per scenario set (default
# 200), JSON into OUT (default ./eta-accuracy), then docs/eta-accuracy.md's tables
# printed from it (scripts/eta_tables.py). With --speeds-known the
# evaluations score the throughput ETA given the true node speeds too, and
# docs/evaluate.md's speeds-known tables are printed after each. Run from
# the repository root:
#   scripts/eta_accuracy.sh [RUNS] [OUT] [--speeds-known]
set -eu
runs=${1:-200}
out=${2:-eta-accuracy}
known=${3:-}
case "$known" in
"" | --speeds-known) ;;
*)
	echo "usage: scripts/eta_accuracy.sh [RUNS] [OUT] [--speeds-known]" >&2
	exit 2
	;;
esac
mkdir -p "$out"
go build -o "$out/blackstart" ./cmd/blackstart
echo "load before: $(cat /proc/loadavg)"
start=$(date +%s)
"$out/blackstart" estimate evaluate --runs "$runs" $known --format json examples/platform-2019.toml >"$out/platform-$runs.json"
mid=$(date +%s)
echo "platform: $((mid - start)) s, load $(cat /proc/loadavg)"
"$out/blackstart" estimate evaluate --runs "$runs" $known --format json --from-alibaba ../shared/data/alibaba-openb-2023 >"$out/alibaba-$runs.json"
end=$(date +%s)
echo "alibaba: $((end - mid)) s, load $(cat /proc/loadavg)"
for f in platform alibaba; do
	for s in perturbed calm; do
		echo "## $f, $s, $runs runs"
		python3 scripts/eta_tables.py "$out/$f-$runs.json" "$s"
	done
done
