# ci/bench_lib.sh: shared by the whole-process benchmarks in ci/ (sourced).
# `bench NAME CMD...` runs CMD $runs times, prints its median wall time and
# peak RSS to stderr, and echoes the median seconds.
#
# `bazel_cmd` is the Bazel command line the benchmarks build with: "bazel",
# or $BAZEL when set, e.g. BAZEL="bazel --output_base=/tmp/ob" to keep a
# benchmark's build out of a shared output base.
read -r -a bazel_cmd <<< "${BAZEL:-bazel}"

# Prints "<seconds> <peak KiB>" for one run of the command. Wall time from
# the shell's clock to the microsecond (time(1)'s %e has only 10 ms, too
# coarse for a command that takes 30 ms); peak RSS from time(1).
measure() {
  local start end
  start="${EPOCHREALTIME}"
  /usr/bin/time -f '%M' -o "/tmp/jleak-bench.$$" "$@" >/dev/null 2>&1 || true
  end="${EPOCHREALTIME}"
  # time(1) puts "Command exited with non-zero status N" first when the
  # command says so (jleak analyze exits 1 on a leak): the figure is last.
  echo "$(awk -v s="${start}" -v e="${end}" 'BEGIN { printf "%.4f", e - s }') $(tail -n 1 "/tmp/jleak-bench.$$")"
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
  printf '%-8s median %7.4f s   peak RSS %7d KiB   (runs: %s)\n' \
    "${name}" "${tm}" "${mm}" "${times[*]}" >&2
  echo "${tm}"
}
