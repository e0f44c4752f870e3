#!/usr/bin/env bash
# ci/bench/bench_remote_cache.sh: what the shared build cache saves a CI
# run. Clones this checkout's HEAD twice, then runs ci/test.sh in the
# first ("cold": an empty cache, which it fills) and in the second ("warm":
# the filled cache), each clone with its own new output base and no disk
# cache, one after the other. Prints each run's wall time, exit code and
# Bazel's summary lines (processes: "N remote cache hit"; tests), then
# what the server holds and the requests it answered.
#
#   ci/bench/bench_remote_cache.sh [TARGET_PATTERN...]    # default: //...
#   ci/bench/bench_remote_cache.sh //profile/...          # a subset
#   FLAGS="--test_tag_filters=-fuzz" ci/bench/bench_remote_cache.sh
#
# The cache: a new ci/remote_cache.sh server in the scratch directory,
# stopped at the end; JLEAK_REMOTE_CACHE=URL uses a running one instead
# (empty it first, or the cold run is not cold). FLAGS: more ci/test.sh
# (bazel test) flags for both runs. HEAD is what is measured: commit
# first. The jemalloc tarball comes from this checkout's distfiles
# (JLEAK_DISTDIR) when present, so neither run fetches it. Scratch:
# $TMPDIR (default /var/tmp), two output bases and the cache (the whole
# suite: several GB); removed at the end unless KEEP=1. The runs go on
# when tests fail (the exit codes are printed); the script exits 2 when a
# run could not build or the clones could not be made.
# shellcheck source=ci/bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[[ $# -gt 0 ]] || set -- //...
read -r -a extra <<< "${FLAGS:-}"

head="$(git rev-parse HEAD)"
[[ -z "$(git status --porcelain --untracked-files=no)" ]] ||
  echo "bench_remote_cache: uncommitted changes are not measured (HEAD ${head:0:12})" >&2
scratch="$(mktemp -d "${TMPDIR:-/var/tmp}/jleak-cache-bench.XXXXXX")"
# As root the cache's nginx workers run as nobody, who must search here.
chmod 0711 "${scratch}"
url="${JLEAK_REMOTE_CACHE:-}"
cleanup() {
  local name
  for name in cold warm; do
    [[ -d "${scratch}/ob-${name}" ]] &&
      (cd "${scratch}/${name}" && bazel --output_base="${scratch}/ob-${name}" shutdown) >/dev/null 2>&1
  done
  if [[ -z "${JLEAK_REMOTE_CACHE:-}" ]]; then
    ci/remote_cache.sh stop --dir "${scratch}/cache" >/dev/null 2>&1 || true
  fi
  if [[ -n "${KEEP:-}" ]]; then
    echo "bench_remote_cache: kept ${scratch}" >&2
  else
    chmod -R u+w "${scratch}" 2>/dev/null || true
    rm -rf "${scratch}"
  fi
}
trap cleanup EXIT
if [[ -z "${url}" ]]; then
  url="$(ci/remote_cache.sh start --dir "${scratch}/cache")"
fi
if [[ -z "${JLEAK_DISTDIR:-}" && -d third_party/distfiles ]]; then
  export JLEAK_DISTDIR="${jleak_root}/third_party/distfiles"
fi

# run NAME PATTERN...: clone HEAD into scratch/NAME, run ci/test.sh there against the
# cache in output base scratch/ob-NAME; log in scratch/NAME.log.
run() {
  local name="$1" start end rc
  shift
  git clone -q --shared --no-checkout "${jleak_root}" "${scratch}/${name}" &&
    git -C "${scratch}/${name}" checkout -q --detach "${head}" || exit 2
  start="${EPOCHREALTIME}"
  set +e
  (cd "${scratch}/${name}" &&
    BAZEL="bazel --output_base=${scratch}/ob-${name}" JLEAK_REMOTE_CACHE="${url}" \
      ci/test.sh --disk_cache= "${extra[@]}" -- "$@") >"${scratch}/${name}.log" 2>&1
  rc=$?
  set -e
  end="${EPOCHREALTIME}"
  printf '%-5s %8.1f s  exit %d  (%s)\n' "${name}" \
    "$(awk -v s="${start}" -v e="${end}" 'BEGIN { print e - s }')" "${rc}" "${scratch}/${name}.log"
  grep -E 'INFO: [0-9]+ processes|Executed [0-9]+ out of|INFO: Build completed|FAILED: Build' \
    "${scratch}/${name}.log" | sed 's/^/      /'
  # 0 all passed, 3 some tests failed, 4 no tests: the run built.
  case "${rc}" in 0|3|4) ;; *) echo "bench_remote_cache: the ${name} run did not build" >&2; exit 2 ;; esac
}

echo "HEAD ${head:0:12}, targets $*, cache ${url}${FLAGS:+, flags ${FLAGS}}"
run cold "$@"
run warm "$@"
if [[ -z "${JLEAK_REMOTE_CACHE:-}" ]]; then
  ci/remote_cache.sh status --dir "${scratch}/cache" | sed 's/^/server: /'
fi
