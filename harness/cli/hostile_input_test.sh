#!/usr/bin/env bash
# File: hostile_input_test.sh
#
# `jleak analyze`, `profile` and `compare` on crafted input, as an attacker
# who controls a run directory copied from production would craft it (issue
# 22): a FIFO, a device and links named in timeline.jsonl, `../` names,
# numbers out of range in file names, JSON nested 100k levels deep, a sparse
# file of a terabyte, and regexes that backtrack exponentially on a 100 KB
# frame name. Each case must end within 60 s with the expected exit code;
# an error (exit 2) must be exactly one line on stderr naming the problem;
# nothing from outside the run directory may be echoed.
#
#   bazel test //harness/cli:hostile_input_test
#   harness/cli/hostile_input_test.sh path/to/jleak   # any build, e.g. an old one
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 JLEAK" >&2
  exit 2
fi
jleak="$(readlink -f "$1")"
work="$(mktemp -d "${TEST_TMPDIR:-/tmp}/hostile.XXXXXX")"
trap '[[ -n "${KEEP:-}" ]] || rm -rf "${work}"' EXIT
failures=0
# A reader gone wrong (one that reads /dev/zero to the end) is stopped by
# the address space limit, not by the machine's memory.
ulimit -v 8000000

# A file outside every run directory, standing in for /etc/shadow.
secret="${work}/secret"
echo "root:SECRET-6f1c-CONTENT:19000:0:99999:7:::" >"${secret}"

# heap N BYTES: a jemalloc heap_v2 profile whose one sampled stack (in an
# anonymous, JIT-like region named by the perf map) holds BYTES.
heap() {
  local bytes="$2"
  local objects=$((bytes / 524288 + 1))
  cat <<PROFILE
heap_v2/524288
  t*: ${objects}: ${bytes} [0: 0]
  t0: ${objects}: ${bytes} [0: 0]
@ 0x7f0000001010 0x7f0000002010
  t*: ${objects}: ${bytes} [0: 0]
  t0: ${objects}: ${bytes} [0: 0]

MAPPED_LIBRARIES:
7f0000000000-7f0000100000 rwxp 00000000 00:00 0
PROFILE
}

# rundir DIR: a valid run directory of 6 snapshots, 10 s apart, whose one
# site grows 1 MiB per snapshot (a clear leak: exit 1).
rundir() {
  local dir="$1"
  mkdir -p "${dir}"
  : >"${dir}/timeline.jsonl"
  for i in 0 1 2 3 4 5; do
    heap "${i}" $(((i + 1) * 1048576)) >"${dir}/snapshot-${i}.heap"
    printf '{"seq":%d,"file":"snapshot-%d.heap","dumped":true,"mono_ns":%d}\n' \
      "${i}" "${i}" "$((i * 10000000000))" >>"${dir}/timeline.jsonl"
  done
  printf '7f0000001000 2000 LeakyCache::Insert\n' >"${dir}/perf-1.map"
}

# timeline_naming DIR NAME: the third snapshot of DIR's timeline is NAME.
timeline_naming() {
  local dir="$1" name="$2"
  sed -i "3s|\"file\":\"snapshot-2.heap\"|\"file\":\"${name}\"|" \
    "${dir}/timeline.jsonl"
}

# check NAME WANT_EXIT WANT_STDERR -- ARGS...: runs jleak ARGS; WANT_STDERR
# is a grep -E pattern the one line on stderr must match (exit 2), or ""
# (any stderr: a normal run prints warnings).
check() {
  local name="$1" want="$2" pattern="$3"
  shift 4
  local out="${work}/${name}.out" err="${work}/${name}.err" rc=0
  local start=${SECONDS}
  timeout 60 "${jleak}" "$@" >"${out}" 2>"${err}" </dev/null || rc=$?
  local why=""
  if [[ ${rc} -eq 124 ]]; then
    why="hung: killed after 60 s"
  elif [[ ${rc} -ne ${want} ]]; then
    why="exit ${rc}, want ${want}"
  elif [[ -n "${pattern}" && "$(wc -l <"${err}")" -ne 1 ]]; then
    why="$(wc -l <"${err}") lines on stderr, want 1"
  elif [[ -n "${pattern}" ]] && ! grep -qE "${pattern}" "${err}"; then
    why="stderr does not match /${pattern}/"
  elif grep -q "SECRET" "${out}" "${err}"; then
    why="the content of a file outside the run directory was echoed"
  fi
  if [[ -n "${why}" ]]; then
    echo "FAIL: ${name}: ${why} ($((SECONDS - start)) s); stderr:" >&2
    head -c 600 "${err}" | sed 's/^/  | /' >&2
    failures=$((failures + 1))
  else
    echo "ok: ${name} (exit ${rc}, $((SECONDS - start)) s): $(head -c 200 "${err}" | head -n 1)"
  fi
}

# The control: the run directory as crafted is analyzed normally.
rundir "${work}/good"
check control 1 "" -- analyze --warmup 0 "${work}/good"

# (a) A FIFO named in the timeline: reading it would wait forever.
rundir "${work}/fifo"
rm "${work}/fifo/snapshot-2.heap"
mkfifo "${work}/fifo/snapshot-2.heap"
check fifo_in_timeline 2 'snapshot-2\.heap: is a FIFO, not a regular file' \
  -- analyze "${work}/fifo"
mkfifo "${work}/fifo.heap"
check fifo_to_profile 2 'fifo\.heap: is a FIFO, not a regular file' \
  -- profile "${work}/fifo.heap"
# A FIFO as the perf map beside the snapshots is not read: a normal run.
rundir "${work}/fifo_map"
rm "${work}/fifo_map/perf-1.map"
mkfifo "${work}/fifo_map/perf-1.map"
check fifo_perf_map 1 "" -- analyze --warmup 0 "${work}/fifo_map"

# (b) A device and links named in the timeline.
rundir "${work}/zero"
ln -s /dev/zero "${work}/zero/zero.heap"
timeline_naming "${work}/zero" zero.heap
check link_to_dev_zero 2 'zero\.heap: is a symbolic link' \
  -- analyze "${work}/zero"
rundir "${work}/device"
if mknod "${work}/device/dev.heap" c 1 5 2>/dev/null; then
  timeline_naming "${work}/device" dev.heap
  check char_device 2 'dev\.heap: is a character device, not a regular file' \
    -- analyze "${work}/device"
else
  echo "skip: char_device (mknod not permitted here; the /dev/zero link covers it)"
fi
rundir "${work}/link"
ln -s "${secret}" "${work}/link/shadow.heap"
timeline_naming "${work}/link" shadow.heap
check link_outside 2 'shadow\.heap: is a symbolic link' \
  -- analyze "${work}/link"
# A directory of .heap files (no timeline) with a link among them.
mkdir "${work}/heaps_link"
heap 0 1048576 >"${work}/heaps_link/jeprof.1.0.i0.heap"
ln -s "${secret}" "${work}/heaps_link/jeprof.1.1.i1.heap"
check link_in_listing 2 'jeprof\.1\.1\.i1\.heap: is a symbolic link' \
  -- analyze "${work}/heaps_link"

# (c) Paths out of the run directory in the timeline.
rundir "${work}/dotdot"
cp "${secret}" "${work}/secret.heap"
timeline_naming "${work}/dotdot" ../secret.heap
check dotdot_in_timeline 2 \
  "timeline\.jsonl:3: snapshot file name '\.\./secret\.heap' is not a bare file name" \
  -- analyze "${work}/dotdot"
rundir "${work}/absolute"
timeline_naming "${work}/absolute" "${work}/secret.heap"
check absolute_in_timeline 2 'timeline\.jsonl:3: snapshot file name .* is not a bare file name' \
  -- analyze "${work}/absolute"

# (d) Numbers out of range in snapshot file names (std::stoll threw).
mkdir "${work}/bignum"
for i in 0 1 2; do heap "${i}" 1048576 >"${work}/bignum/jeprof.7.${i}.i${i}.heap"; done
heap 3 1048576 >"${work}/bignum/jeprof.99999999999999999999999.0.i0.heap"
check bignum_pid 2 'jeprof\.99999999999999999999999\.0\.i0\.heap.*process id in the file name .* is out of range' \
  -- analyze "${work}/bignum"
mkdir "${work}/bigseq"
heap 0 1048576 >"${work}/bigseq/snapshot-184467440737095516160.heap"
check bignum_seq 2 'sequence number in the file name .* is out of range' \
  -- analyze "${work}/bigseq"
check bignum_profile 0 "" \
  -- profile "${work}/bignum/jeprof.99999999999999999999999.0.i0.heap"

# (e) JSON nested 100k levels deep: manifest.json, a timeline line, compare.
deep() { python3 -c "import sys; n=100000; sys.stdout.write(sys.argv[1] + '['*n + ']'*n + sys.argv[2])" "$@"; }
rundir "${work}/deep_manifest"
deep '{"settings":{"command":' '},"comparable":{"command":1}}' \
  >"${work}/deep_manifest/manifest.json"
check deep_manifest 2 'manifest\.json: nested deeper than 64 levels' \
  -- analyze "${work}/deep_manifest"
rundir "${work}/deep_line"
{ deep '{"seq":6,"file":"snapshot-5.heap","x":' '}'; echo; } \
  >>"${work}/deep_line/timeline.jsonl"
check deep_timeline_line 2 'timeline\.jsonl:7: nested deeper than 64 levels' \
  -- analyze "${work}/deep_line"
check deep_compare 2 '^jleak compare: candidate .*manifest\.json: nested deeper than 64 levels' \
  -- compare "${work}/good" "${work}/deep_manifest"

# (f) Regexes that backtrack exponentially, on a 100 KB frame name.
rundir "${work}/longname"
python3 -c "import sys; sys.stdout.write('7f0000001000 2000 ' + 'a' * 100000 + '\n')" \
  >"${work}/longname/perf-1.map"
check suppress_backtracking 1 "" \
  -- analyze --warmup 0 --suppress '(a*)*b' --suppress '(((a|b)*)*)*c' \
  "${work}/longname"
check expect_site_backtracking 1 "" \
  -- analyze --warmup 0 --expect leak --expect-site '(((a|b)*)*)*c' \
  --expect-clean-site '(a*)*b' "${work}/longname"
# Both judged the site that bears the 100 KB name (the perf map named it).
for c in suppress_backtracking expect_site_backtracking; do
  if ! grep -q '^jleak: LEAK: leak: a\{1000\}' "${work}/${c}.out" 2>/dev/null; then
    echo "FAIL: ${c}: the leak was not named by the 100 KB frame name" >&2
    failures=$((failures + 1))
  fi
done

# (g) A sparse file of a terabyte.
mkdir "${work}/sparse"
heap 0 1048576 >"${work}/sparse/snapshot-1.heap"
truncate -s 1T "${work}/sparse/snapshot-0.heap"
check sparse_terabyte 2 'snapshot-0\.heap: is 1\.0 TiB, over the limit of 4\.0 GiB' \
  -- analyze "${work}/sparse"
check sparse_profile 2 'snapshot-0\.heap: is 1\.0 TiB, over the limit' \
  -- profile "${work}/sparse/snapshot-0.heap"
rundir "${work}/sparse_timeline"
truncate -s 1T "${work}/sparse_timeline/timeline.jsonl"
check sparse_timeline 2 'timeline\.jsonl: is 1\.0 TiB, over the limit of 64\.0 MiB' \
  -- analyze "${work}/sparse_timeline"

if [[ ${failures} -gt 0 ]]; then
  echo "FAIL: ${failures} case(s) above" >&2
  exit 1
fi
echo "PASS: every crafted input ended in time, as expected"
