#!/usr/bin/env bash
# ci/sensitivity.sh: the smallest JNI leak rate jleak judges a leak.
#
# Runs the JNI malloc leaker under `jleak run --duration DURATION` (default
# 60 s) with jleak's default settings (interval, sampling, warm-up,
# budgets) at each RATE (bytes/s) given, in 65,521-byte blocks, and prints
# the verdict line of each run.
#
#   ci/sensitivity.sh [DURATION] RATE...
#   ci/sensitivity.sh 60 17476 8738 4369     # 1, 1/2, 1/4 MiB per minute
#   SAMPLE_BYTES=65536 ci/sensitivity.sh ... # finer sampling than the
#                                            # default 512 KiB
#   REPEAT=5 ci/sensitivity.sh ...           # each rate 5 times
# shellcheck source=ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
duration="${1:-60}"; shift || true
[[ $# -gt 0 ]] || set -- 17476 8738 4369

ci_build //harness:jleak //third_party/jemalloc:jemalloc //agent:libjleak_agent.so \
  //leakers/jni_malloc //leakers/jni_malloc:libjni_malloc.so
cp="${bin}/leakers/jni_malloc/jni_malloc.jar:${bin}/leakers/common/workload.jar:${bin}/leakers/common/args.jar"
root="$(mktemp -d /tmp/jleak-sensitivity.XXXXXX)"

for rate in "$@"; do
  for ((k = 0; k < ${REPEAT:-1}; k++)); do
    set +e
    "${bin}/harness/jleak" run --out "${root}/rate-${rate}-${k}" \
      --duration "${duration}" --no-analyze \
      --sample-bytes "${SAMPLE_BYTES:-524288}" -- \
      "${java}" -cp "${cp}" -Djava.library.path="${bin}/leakers/jni_malloc" \
      jleak.leakers.JniMalloc --rate "${rate}" --block-bytes 65521 \
      --duration "$((duration + 30))" >/dev/null 2>&1
    verdict="$("${bin}/harness/jleak" analyze "${root}/rate-${rate}-${k}" 2>&1 | head -n 1)"
    set -e
    printf '%8d B/s (%.2f MiB/min), sampling %s B: %s\n' "${rate}" \
      "$(awk -v r="${rate}" 'BEGIN { print r * 60 / 1048576 }')" \
      "${SAMPLE_BYTES:-524288}" "${verdict}" | tee -a "${root}/verdicts.txt"
  done
done
echo "summary (leak verdicts; of those, naming Java_jleak_leakers_JniMalloc_leak):"
for rate in "$@"; do
  runs="$(grep -c "^ *${rate} B/s" "${root}/verdicts.txt" || true)"
  leaks="$(grep "^ *${rate} B/s" "${root}/verdicts.txt" | grep -c 'jleak: LEAK' || true)"
  named="$(grep "^ *${rate} B/s" "${root}/verdicts.txt" | grep 'jleak: LEAK' |
    grep -c 'Java_jleak_leakers_JniMalloc_leak' || true)"
  printf '%8d B/s: %d of %d runs leak, %d name the JNI function\n' \
    "${rate}" "${leaks}" "${runs}" "${named}"
done
echo "run directories: ${root}"
