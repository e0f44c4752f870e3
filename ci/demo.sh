#!/usr/bin/env bash
# ci/demo.sh: the main job, end to end, on a machine set up by ci/setup.sh.
#
# Builds jemalloc with profiling from the pinned source and the smoke JVM
# workload (Java + JNI), runs the workload with the profiling allocator
# preloaded, and shows the heap profiles it wrote and the native site that
# jeprof names in them.
#
#   ci/demo.sh [OUTPUT_DIR]     # default: ./jleak-demo-out
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

out="${1:-jleak-demo-out}"
log() { printf 'demo: %s\n' "$*" >&2; }

log "building //profiler:jemalloc, //profiler:jeprof, //leakers/smoke:smoke"
bazel build --ui_event_filters=-info --noshow_progress \
  //profiler:jemalloc //profiler:jeprof //leakers/smoke:smoke \
  //leakers/smoke:libsmoke_jni.so
bin="$(bazel info bazel-bin 2>/dev/null)"

rm -rf "${out}"
mkdir -p -m 0700 "${out}"
out="$(cd "${out}" && pwd)"
java="$(readlink -f "$(command -v java)")"

log "running the smoke workload under the profiling jemalloc (output: ${out})"
LD_PRELOAD="${bin}/profiler/lib/libjemalloc.so.2" \
MALLOC_CONF="prof:true,prof_final:true,lg_prof_sample:17,prof_prefix:${out}/jeprof" \
  "${java}" -cp "${bin}/leakers/smoke/smoke.jar:${bin}/leakers/common/args.jar" \
    -Djava.library.path="${bin}/leakers/smoke" jleak.smoke.Smoke --blocks 16

shopt -s nullglob
profiles=("${out}"/jeprof.*.heap)
if [[ ${#profiles[@]} -eq 0 ]]; then
  log "error: no heap profile was written in ${out}"
  exit 1
fi
log "heap profiles written:"
ls -l "${profiles[@]}" >&2
head -n 2 "${profiles[0]}" >&2

log "top allocation sites by cumulative bytes (jeprof), JNI site highlighted:"
"${bin}/profiler/bin/jeprof" --text --cum --show_bytes "${java}" "${profiles[-1]}" \
  2>/dev/null | grep -E 'Total|Java_' | head -n 5
