# Shared by the benchmark scripts (sourced): reading CPU time from /proc and wrk's latencies.

TICK=$(getconf CLK_TCK)

# cpu_ticks PID... -> utime+stime of those processes, summed, in clock ticks (TICK per second).
cpu_ticks() {
  local total=0
  for pid in "$@"; do
    [ -r "/proc/$pid/stat" ] || continue
    read -r -a f < <(sed 's/^.*) //' "/proc/$pid/stat")
    total=$(( total + f[11] + f[12] ))
  done
  echo $total
}

# to_us LATENCY -> microseconds, from wrk's forms such as 512.00us, 1.20ms or 2.00s.
to_us() {
  awk -v v="$1" 'BEGIN { n=v+0; if (v ~ /us$/) print n; else if (v ~ /ms$/) print n*1000; else if (v ~ /s$/) print n*1000000; else print n }'
}
