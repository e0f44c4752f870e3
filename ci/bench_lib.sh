# ci/bench_lib.sh: shared by the whole-process benchmarks in ci/ (sourced).
# `bench NAME CMD...` runs CMD $runs times, prints its median wall time and
# peak RSS to stderr, and echoes the median seconds.

# Prints "<seconds> <peak KiB>" for one run of the command.
measure() {
  /usr/bin/time -f '%e %M' -o "/tmp/jleak-bench.$$" "$@" >/dev/null 2>&1
  # time(1) puts "Command exited with non-zero status N" first when the
  # command says so (jleak analyze exits 1 on a leak): the figures are last.
  tail -n 1 "/tmp/jleak-bench.$$"
}

median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

bench() {
  local name="$1"; shift
  local times=() mems=()
  for ((i = 0; i < runs; i++)); do
    read -r t m < <(measure "$@")
    times+=("$t"); mems+=("$m")
  done
  local tm mm
  tm="$(printf '%s\n' "${times[@]}" | median)"
  mm="$(printf '%s\n' "${mems[@]}" | median)"
  printf '%-8s median %6.3f s   peak RSS %7d KiB   (runs: %s)\n' \
    "${name}" "${tm}" "${mm}" "${times[*]}" >&2
  echo "${tm}"
}
