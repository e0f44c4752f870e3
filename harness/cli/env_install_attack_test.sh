#!/usr/bin/env bash
# File: env_install_attack_test.sh
#
# `jleak env` and `jleak install` attacked (issue 22, item 7), against the
# real binary:
#   env      hostile paths in --prefix/--jemalloc/--agent/--control-dir, in
#            the shell, Dockerfile and Kubernetes forms: refused (exit 2,
#            one line) or read back literally; nothing runs or expands
#            (env_forms_check.py)
#   install  a prefix owned by another uid (with a planted lib -> victim
#            link), a 0777 prefix, a prefix under a 0777 non-sticky parent,
#            a symlinked lib/, and a symlink planted where the temp file
#            goes (jleak runs as PID 1 of a new PID namespace, so its
#            NAME.tmp.<pid> is predictable): each refused with exit 2 and
#            one line, the victim untouched (content, owner, mode); then a
#            clean install and a reinstall work.
# Needs root (chown, unshare): tagged no-sandbox, as Bazel's sandbox maps
# one uid only.
#
#   bazel test //harness/cli:env_install_attack_test
set -euo pipefail

jleak="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
check="$(cd "$(dirname "$2")" && pwd)/$(basename "$2")"
root="$(mktemp -d "${TEST_TMPDIR:-/tmp}/envinst.XXXXXX")"
chmod 755 "${root}"
cd "${root}"
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

[[ "$(id -u)" -eq 0 ]] || { echo "needs root (chown, unshare)" >&2; exit 1; }

# ----------------------------------------------------------------- env
python3 "${check}" env-attacks "${jleak}" "${root}" || fail "env attacks (above)"

# ------------------------------------------------------------- install
# snapshot PATH...: content, owner, mode and listing, to compare after.
snapshot() {
  local p
  for p in "$@"; do
    if [[ -d "${p}" && ! -L "${p}" ]]; then
      stat -c '%n %u:%g %a %F' "${p}"
      (cd "${p}" && find . -mindepth 1 -printf '%p %u:%g %m %y %s\n' | sort)
      (cd "${p}" && find . -type f -exec sha256sum {} + | sort)
    else
      stat -c '%n %u:%g %a %F %s' "${p}"
      [[ -f "${p}" ]] && sha256sum "${p}" || true
    fi
  done
}

# refused NAME ARGS...: jleak ARGS must exit 2 with one line on stderr.
refused() {
  local name="$1" rc=0
  shift
  "$@" >"${name}.out" 2>"${name}.err" || rc=$?
  if [[ ${rc} -ne 2 ]]; then
    fail "${name}: exit ${rc}, want 2 ($(head -c 300 "${name}.err"))"
  elif [[ "$(wc -l <"${name}.err")" -ne 1 ]] || ! grep -q '^jleak install: ' "${name}.err"; then
    fail "${name}: not one line on stderr: $(cat "${name}.err")"
  else
    echo "${name}: refused: $(cat "${name}.err")"
  fi
}

victim_dir="${root}/victim"
mkdir "${victim_dir}"
printf 'precious\n' >"${victim_dir}/libjemalloc.so.2"
printf 'precious\n' >"${victim_dir}/file"
chown -R 65534:65534 "${victim_dir}"
chmod 0600 "${victim_dir}/file" "${victim_dir}/libjemalloc.so.2"
chmod 0700 "${victim_dir}"
victim_before="$(snapshot "${victim_dir}")"
victim_check() {
  [[ "$(snapshot "${victim_dir}")" == "${victim_before}" ]] ||
    fail "$1: the victim changed: $(diff <(echo "${victim_before}") <(snapshot "${victim_dir}") | head -5 | tr '\n' ' ')"
}

# 1. A prefix another uid made first, with lib/ planted as a link.
mkdir "${root}/foreign"
ln -s "${victim_dir}" "${root}/foreign/lib"
chown -h 65534:65534 "${root}/foreign" "${root}/foreign/lib"
before="$(snapshot "${root}/foreign")"
refused foreign "${jleak}" install --prefix "${root}/foreign"
[[ "$(snapshot "${root}/foreign")" == "${before}" ]] || fail "foreign: the prefix changed"
victim_check foreign

# 2. A prefix anyone may write (0777), and one that is ours but 0775.
for mode in 777 775; do
  mkdir "${root}/open${mode}"
  chmod "${mode}" "${root}/open${mode}"
  before="$(snapshot "${root}/open${mode}")"
  refused "open${mode}" "${jleak}" install --prefix "${root}/open${mode}"
  [[ "$(snapshot "${root}/open${mode}")" == "${before}" ]] || fail "open${mode}: the prefix changed"
done

# 3. A new prefix under a parent others may write (not sticky).
mkdir "${root}/ww"
chmod 777 "${root}/ww"
refused ww_parent "${jleak}" install --prefix "${root}/ww/p"
[[ ! -e "${root}/ww/p" ]] || fail "ww_parent: the prefix was made"

# 4. Our own prefix with lib/ -> the victim directory.
mkdir -p "${root}/linked"
ln -s "${victim_dir}" "${root}/linked/lib"
refused linked_lib "${jleak}" install --prefix "${root}/linked"
victim_check linked_lib

# 5. A link planted where the temp file of bin/jleak goes. In a new PID
# namespace jleak is PID 1, so NAME.tmp.<pid> is bin/jleak.tmp.1.
mkdir -p "${root}/planted/bin"
for pid in 1 2 3 4; do
  ln -s "${victim_dir}/file" "${root}/planted/bin/jleak.tmp.${pid}"
done
refused planted_tmp unshare --pid --fork --mount-proc "${jleak}" install --prefix "${root}/planted"
victim_check planted_tmp

# 6. A clean install, a reinstall, and `env --prefix` on it.
"${jleak}" install --prefix "${root}/good" >good.out 2>good.err || fail "good: $(cat good.err)"
for f in bin/jleak lib/libjemalloc.so.2 lib/libjleak_agent.so; do
  [[ -f "${root}/good/${f}" && ! -L "${root}/good/${f}" ]] || fail "good: no ${f}"
  [[ "$(stat -c %a "${root}/good/${f}")" == 755 ]] || fail "good: ${f} mode $(stat -c %a "${root}/good/${f}")"
done
[[ "$(stat -c %a "${root}/good")" == 755 ]] || fail "good: prefix mode $(stat -c %a "${root}/good")"
"${jleak}" install --prefix "${root}/good" >good2.out 2>good2.err || fail "reinstall: $(cat good2.err)"
! ls "${root}/good/bin" "${root}/good/lib" | grep -q '\.tmp\.' || fail "good: temp files left"
"${jleak}" env --prefix "${root}/good" --format shell | grep -q "^export LD_PRELOAD='${root}/good/lib/libjemalloc.so.2" ||
  fail "good: env --prefix"
victim_check end

if [[ ${failures} -ne 0 ]]; then
  echo "${failures} check(s) failed" >&2
  exit 1
fi
echo "PASS"
