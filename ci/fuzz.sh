#!/usr/bin/env bash
# ci/fuzz.sh: the long fuzzing run, beyond the 30 s of each fuzz test in the
# suite. Runs every fuzzer (or those named) for MINUTES each, at most
# PARALLEL at once (one process each, under nice -n 10), starting from its
# checked-in corpus, then minimizes what it grew
# (libFuzzer -merge=1) back into testdata/fuzz/<fuzzer>/ so that every CI
# run starts from there. Prints each fuzzer's exec count and corpus size;
# any crashing input is copied to testdata/fuzz/regressions/ and the script
# fails (fix it, keep the input: the fuzz tests replay the corpus).
#
#   ci/fuzz.sh [--minutes N] [--parallel N] [--target NAME]...
# Defaults: 30 minutes, 2 at once, every fuzzer. Commit the changed
# testdata/fuzz/.
# BAZEL="bazel --output_base=DIR" builds elsewhere.
#
# Fuzzers: heap_profile (//profile:heap_profile_fuzzer: the heap profile
# parser and the stack namer), run_metadata
# (//harness/analyze:run_metadata_fuzzer: timeline.jsonl, manifest.json,
# perf maps and Java frame names) and run_directory
# (//harness/load:run_directory_fuzzer: a whole run directory, its file
# names, FIFOs and links included, loaded and analyzed) and broker_protocol
# (//harness/run:broker_protocol_fuzzer: what jleak reads back from an
# attached target: its helper's messages, agent.json and timeline lines)
# and memory_map (//harness/analyze:memory_map_fuzzer: memory-SEQ.json and
# its folding by pattern).
# shellcheck source=ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
minutes=30
parallel=2
targets=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --minutes) minutes="$2"; shift ;;
    --parallel) parallel="$2"; shift ;;
    --target) targets+=("$2"); shift ;;
    *) echo "usage: $0 [--minutes N] [--parallel N] [--target heap_profile|run_metadata|run_directory|broker_protocol|memory_map]..." >&2; exit 2 ;;
  esac
  shift
done
[[ ${#targets[@]} -gt 0 ]] || targets=(heap_profile run_metadata run_directory broker_protocol memory_map)

declare -A label=(
  [heap_profile]=//profile:heap_profile_fuzzer
  [run_metadata]=//harness/analyze:run_metadata_fuzzer
  [run_directory]=//harness/load:run_directory_fuzzer
  [broker_protocol]=//harness/run:broker_protocol_fuzzer
  [memory_map]=//harness/analyze:memory_map_fuzzer
)
labels=()
for t in "${targets[@]}"; do
  [[ -n "${label[$t]:-}" ]] || { echo "fuzz: unknown fuzzer '$t'" >&2; exit 2; }
  labels+=("${label[$t]}")
done
ci_build "${labels[@]}"

tmp="$(mktemp -d /tmp/jleak-fuzz.XXXXXX)"
trap 'rm -rf "${tmp}"' EXIT
pids=()
status=0
for t in "${targets[@]}"; do
  fuzzer="${bin}/${label[$t]#//}"; fuzzer="${fuzzer/://}"
  mkdir -p "${tmp}/${t}/work" "${tmp}/${t}/artifacts" "testdata/fuzz/${t}"
  cp "testdata/fuzz/${t}"/* "${tmp}/${t}/work/" 2>/dev/null || true
  if [[ "${t}" == "heap_profile" ]]; then
    cp testdata/profiles/*/*.heap "${tmp}/${t}/work/"
  fi
  # At most `parallel` at once: wait for the oldest before starting more.
  if [[ ${#pids[@]} -ge ${parallel} ]]; then
    wait "${pids[0]}" || status=1
    pids=("${pids[@]:1}")
  fi
  echo "fuzz: ${t}: ${minutes} min from $(ls "testdata/fuzz/${t}" | wc -l) corpus inputs" >&2
  nice -n 10 "${fuzzer}" -max_total_time=$((minutes * 60)) -timeout=10 \
    -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
    -artifact_prefix="${tmp}/${t}/artifacts/" "${tmp}/${t}/work" \
    >"${tmp}/${t}/log" 2>&1 &
  pids+=($!)
done
for pid in "${pids[@]}"; do
  wait "${pid}" || status=1
done

crashes=0
for t in "${targets[@]}"; do
  fuzzer="${bin}/${label[$t]#//}"; fuzzer="${fuzzer/://}"
  log="${tmp}/${t}/log"
  runs="$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "${log}" | grep -oE '[0-9]+$' || true)"
  [[ -n "${runs}" ]] || runs="$(grep -oE 'Done [0-9]+ runs' "${log}" | grep -oE '[0-9]+' || echo '?')"
  cov="$(grep -E '^#[0-9]+' "${log}" | tail -n 1 | grep -oE 'cov: [0-9]+ ft: [0-9]+' || true)"
  # Keep only what adds coverage: merge the old corpus and the grown one
  # into a fresh directory, which replaces the checked-in one.
  mkdir -p "${tmp}/${t}/merged"
  "${fuzzer}" -merge=1 -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    "${tmp}/${t}/merged" "testdata/fuzz/${t}" "${tmp}/${t}/work" \
    >"${tmp}/${t}/merge.log" 2>&1 || true
  if [[ -n "$(ls -A "${tmp}/${t}/merged")" ]]; then
    rm -f "testdata/fuzz/${t}"/*
    cp "${tmp}/${t}/merged"/* "testdata/fuzz/${t}/"
  fi
  echo "fuzz: ${t}: ${runs} inputs run in ${minutes} min (${cov:-no coverage line}); corpus now $(ls "testdata/fuzz/${t}" | wc -l) inputs" >&2
  cp "${log}" "${JLEAK_FUZZ_LOGS:-${tmp}}/${t}.log" 2>/dev/null || true
  for a in "${tmp}/${t}/artifacts"/*; do
    [[ -e "${a}" ]] || continue
    crashes=$((crashes + 1))
    mkdir -p testdata/fuzz/regressions
    cp "${a}" "testdata/fuzz/regressions/${t}-$(basename "${a}")"
    echo "fuzz: ${t}: CRASH: testdata/fuzz/regressions/${t}-$(basename "${a}")" >&2
    grep -m 3 -E 'ERROR|runtime error|terminate|SUMMARY' "${log}" >&2 || true
  done
done
if [[ "${crashes}" -gt 0 || "${status}" -ne 0 ]]; then
  echo "fuzz: ${crashes} crashing input(s); see above" >&2
  exit 1
fi
