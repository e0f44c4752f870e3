#!/usr/bin/env bash
# leakers/measure.sh: the acceptance measurement of issue 5, reproducible.
#
# Runs each workload for DURATION seconds (default 30) under the profiling
# jemalloc (LD_PRELOAD, prof:true, lg_prof_sample:17) with a forced-GC
# checkpoint (System.gc + prof.dump, see common/jemalloc_jni.c) every
# DURATION/12 seconds, then reports, over the last 75% of the run (from the
# first checkpoint at or after 25% to the last):
#   - growth from the heap profiles (unsampled: each stack's bytes divided
#     by 1 - exp(-avg_size / 2^lg_prof_sample), as jeprof does) and from
#     jemalloc's exact stats.allocated (minus its internal allocations);
#   - leakers: growth rate vs the intended rate, and the site regex's bytes
#     in `jeprof --cum --base=<first> <last>` as a share of the diff;
#   - controls: growth vs 2% of the leak rate (5 MB/s -> 100 KB/s).
#
#   leakers/measure.sh [--duration S] [--out DIR] [WORKLOAD...]
#
# BAZEL (default "bazel") is the command used to build and find bazel-bin,
# e.g. BAZEL="bazel --output_base=/root/.cache/bazel-helper-leakers".
# Results: DIR/<workload>/{stdout,stderr,jeprof.*.heap,diff.txt} and
# DIR/summary.txt (default DIR: /tmp/jleak-measure).
# shellcheck source=ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../ci/lib.sh"

readonly JAVA_ELF=/usr/lib/jvm/java-17-openjdk-amd64/bin/java
duration=30 out=/tmp/jleak-measure
while [[ $# -gt 0 ]]; do
  case "$1" in
    --duration) duration="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -*) echo "measure.sh: unknown flag $1" >&2; exit 2 ;;
    *) break ;;
  esac
done

# name | directory | main class | args | intended bytes/s (leakers) or
# "control" | nominal bytes per unit ("-": --rate is bytes/s; "?": none
# known in advance) | site regex ("-": growth outside malloc)
readonly WORKLOADS=(
  "jni_malloc|jni_malloc|JniMalloc|--rate 5000000|5000000|-|Java_jleak_leakers_JniMalloc_leak"
  "jni_cpp|jni_cpp|JniCpp|--rate 5000000|5000000|-|jleak::leakers::graph::Node::Node"
  "direct_buffer|direct_buffer|DirectBuffer|--rate 5000000|5000000|-|Unsafe_AllocateMemory0"
  "unsafe|unsafe|UnsafeAlloc|--rate 5000000|5000000|-|Unsafe_AllocateMemory0"
  "zlib_deflater|zlib|ZlibLeak|--kind deflater --rate 20|5365760|268288|deflateInit2_"
  "zlib_gzip|zlib|ZlibLeak|--kind gzip --rate 20|5365760|268288|deflateInit2_"
  "zlib_inflater|zlib|ZlibLeak|--kind inflater --rate 700|5017600|7168|inflateInit2_"
  "java2d|java2d|Java2dColorConvert|--rate 60|?|?|Java_sun_java2d_cmm_lcms_LCMS_createNativeTransform"
  "threads|threads|ThreadLeak|--rate 20|?|?|-"
  "churn|churn|Churn|--rate 100000000|control|-|-"
  "plateau|plateau|Plateau|--rate 5000000|control|-|-"
  "warmup|warmup|Warmup|--rate 200|control|-|-"
  "zlib_bounded|zlib_bounded|ZlibBounded|--rate 100|control|-|-"
)
readonly CONTROL_LIMIT_BPS=100000  # 2% of the 5 MB/s leak rate

ci_build --symlink_prefix=/ //leakers/... //third_party/jemalloc:jemalloc //third_party/jemalloc:jeprof >&2
jemalloc="${bin}/third_party/jemalloc/lib/libjemalloc.so.2"
jeprof="${bin}/third_party/jemalloc/bin/jeprof"
mkdir -p "${out}"

# profile_total FILE: the unsampled total bytes of a heap_v2 file.
profile_total() {
  awk 'NR == 1 { split($0, h, "/"); period = h[2] }
       /^@/ { stack = 1; next }
       stack && /^  t\*:/ {
         gsub(":", "", $2); objs = $2; bytes = $3
         if (objs > 0) total += bytes / (1 - exp(-(bytes / objs) / period))
         stack = 0 }
       END { printf "%.0f\n", total }' "$1"
}

selected=("$@")
summary="${out}/summary.txt"
: >"${summary}"
for spec in "${WORKLOADS[@]}"; do
  IFS='|' read -r name dir main args intended per_unit site <<<"${spec}"
  if [[ ${#selected[@]} -gt 0 && " ${selected[*]} " != *" ${name} "* ]]; then continue; fi
  wdir="${out}/${name}"
  rm -rf "${wdir}" && mkdir -p "${wdir}"
  libs="${bin}/leakers/common"
  [[ -d "${bin}/leakers/${dir}" ]] && libs="${libs}:${bin}/leakers/${dir}"
  every="$(awk -v d="${duration}" 'BEGIN { print d / 12 }')"
  echo "== ${name}: ${args} --duration ${duration} --dump-every ${every}" >&2
  # shellcheck disable=SC2086  # args is a word list
  LD_PRELOAD="${jemalloc}" \
  MALLOC_CONF="prof:true,lg_prof_sample:17,prof_prefix:${wdir}/jeprof" \
    java -cp "${bin}/leakers/${dir}/${dir}.jar:${bin}/leakers/common/workload.jar:${bin}/leakers/common/args.jar" \
      -Djava.library.path="${libs}" "jleak.leakers.${main}" ${args} \
      --duration "${duration}" --dump-every "${every}" >"${wdir}/stdout" 2>"${wdir}/stderr"

  # Checkpoints: t, units, allocated, dump file.
  first="" last=""
  while read -r n t units alloc internal dump; do
    t="${t#t=}" units="${units#units=}" alloc="${alloc#allocated=}" dump="${dump#dump=}"
    file="$(ls "${wdir}"/jeprof.*."${dump}".heap)"
    total="$(profile_total "${file}")"
    echo "${t} ${units} ${alloc} ${total} ${file}" >>"${wdir}/checkpoints"
  done < <(grep '^jleak-checkpoint' "${wdir}/stdout" | cut -d' ' -f2-)
  first="$(awk -v d="${duration}" '$1 >= 0.25 * d - 0.05 { print; exit }' "${wdir}/checkpoints")"
  last="$(tail -n 1 "${wdir}/checkpoints")"
  read -r t0 u0 a0 p0 f0 <<<"${first}"
  read -r t1 u1 a1 p1 f1 <<<"${last}"
  "${jeprof}" --text --cum --show_bytes "${JAVA_ELF}" --base="${f0}" "${f1}" \
    >"${wdir}/diff.txt" 2>/dev/null || true
  {
    echo "## ${name}: ${args} --duration ${duration}"
    grep -v '^jleak-' "${wdir}/stdout"
    awk -v t0="${t0}" -v t1="${t1}" -v u0="${u0}" -v u1="${u1}" -v a0="${a0}" -v a1="${a1}" \
        -v p0="${p0}" -v p1="${p1}" -v intended="${intended}" -v per_unit="${per_unit}" \
        -v limit="${CONTROL_LIMIT_BPS}" 'BEGIN {
      dt = t1 - t0; du = u1 - u0
      printf "window t=%.1f..%.1f s (%d units): profile %+.0f B (%+.0f B/s), stats.allocated %+.0f B (%+.0f B/s)\n",
        t0, t1, du, p1 - p0, (p1 - p0) / dt, a1 - a0, (a1 - a0) / dt
      if (du > 0) printf "per unit: profile %.0f B, stats.allocated %.0f B\n", (p1 - p0) / du, (a1 - a0) / du
      if (intended == "control") {
        printf "control: profile %+.0f B/s, stats.allocated %+.0f B/s vs limit %d B/s: %s\n",
          (p1 - p0) / dt, (a1 - a0) / dt, limit,
          ((p1 - p0) / dt < limit && (a1 - a0) / dt < limit) ? "CLEAN" : "NOT CLEAN"
      } else if (intended != "?") {
        printf "leaker: profile rate / intended %d B/s = %.3f: %s\n", intended,
          (p1 - p0) / dt / intended,
          ((p1 - p0) / dt >= 0.8 * intended && (p1 - p0) / dt <= 1.2 * intended) ? "WITHIN 20%" : "OUTSIDE 20%"
        if (per_unit != "-") printf "per unit / nominal %d B = %.3f\n", per_unit, (p1 - p0) / du / per_unit
      }
    }'
    head -n 1 "${wdir}/diff.txt"
    if [[ "${site}" != "-" ]]; then
      grep -E -m 1 "${site}" "${wdir}/diff.txt" || echo "site ${site}: NOT FOUND in the diff"
    fi
    echo
  } | tee -a "${summary}"
done
