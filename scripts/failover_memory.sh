#!/usr/bin/env bash
# Issue 11's memory goal: `power failover --format json` on the largest
# generated site under 10 MB (4,700 racks of 40 devices) within a 2 GiB
# address space. Prints the model's size, the exit code (3: risks found),
# peak resident memory, wall time, the JSON's size and whether it parses.
# Usage: scripts/failover_memory.sh [RACKS]   (run from the repository root)
set -euo pipefail
racks=${1:-4700}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/blackstart" ./cmd/blackstart
"$dir/blackstart" generate --racks "$racks" --per-rack 40 --seed 1 -o "$dir/site.toml"
echo "model: $(stat -c %s "$dir/site.toml") bytes, $racks racks; load average $(cut -d' ' -f1-3 /proc/loadavg)"
set +e
/usr/bin/time -f "peak resident %M KiB, %e s wall, %U s user" -o "$dir/time" \
  prlimit --as=2147483648 "$dir/blackstart" power failover --format json "$dir/site.toml" >"$dir/out.json" 2>"$dir/err"
code=$?
set -e
echo "exit $code (3: risks found, the expected answer); $(cat "$dir/time" | tail -1)"
echo "JSON: $(stat -c %s "$dir/out.json") bytes; $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); s=d["summary"]; print(s["scenarios"], "scenarios,", s["risky_scenarios"], "risky, all written:", len(d["scenarios"]) == s["risky_scenarios"])' "$dir/out.json")"
head -c 500 "$dir/err"
