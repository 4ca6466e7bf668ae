#!/usr/bin/env bash
# Where the time goes: CPU seconds spent by each process group — the Temporal dev server,
# Postgres, and the Node process (API + worker + load generator + receivers) — while one bench
# scenario runs, for the floor and for callhook, one after the other (nothing else running).
#   bash bench/cpu-by-process.sh burst
# Counted from the scenario's start (after the dev server's start-up and the warm-up) to its table,
# sampled every half second, so the last half second may be missed.
set -euo pipefail
cd "$(dirname "$0")/.."
scenario="${1:-burst}"
ticks=$(getconf CLK_TCK)
cpu_of() { # utime+stime (+ waited-for children) of the processes whose command line matches $1, in ticks
  local total=0 pid t
  for pid in $(pgrep -f "$1" || true); do
    t=$(awk '{print $14+$15+$16+$17}' "/proc/$pid/stat" 2>/dev/null || echo 0)
    total=$((total + t))
  done
  echo "$total"
}
snapshot() { echo "$(cpu_of 'temporal server start-dev') $(cpu_of 'postgres: ') $(cpu_of 'bench/run.ts')"; }
for variant in floor callhook; do
  out=$(mktemp)
  BENCH_SCENARIOS="$scenario" BENCH_VARIANTS="$variant" BENCH_RESULTS_DIR="$(mktemp -d)" npx tsx bench/run.ts > "$out" 2>&1 &
  runner=$!
  start=""; last=""
  while kill -0 "$runner" 2>/dev/null; do
    if [ -z "$start" ] && grep -q "▶ $scenario" "$out"; then start=$(snapshot); fi
    # Until the scenario's table is printed: the processes are still alive then (the run tears them down after).
    if [ -n "$start" ] && ! grep -q "\[$scenario\] —" "$out"; then last=$(snapshot); fi
    sleep 0.5
  done
  wait "$runner" || { cat "$out"; exit 1; }
  read -r t0 p0 n0 <<<"$start"; read -r t1 p1 n1 <<<"$last"
  awk -v v="$variant" -v s="$scenario" -v k="$ticks" -v t=$((t1 - t0)) -v p=$((p1 - p0)) -v n=$((n1 - n0)) \
    'BEGIN { printf "%s/%s CPU seconds: temporal %.1f, postgres %.1f, node %.1f, all %.1f\n", s, v, t/k, p/k, n/k, (t+p+n)/k }'
  grep -E "^ *(throughput|latency p50) " "$out" | head -2
  rm -f "$out"
done
