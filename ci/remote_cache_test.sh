#!/usr/bin/env bash
# File: remote_cache_test.sh
#
# The build cache of ci/remote_cache.sh, through Bazel's HTTP cache
# protocol: start (URL on 127.0.0.1), PUT then GET of a 3 MiB CAS blob
# (nginx's default body limit is 1 MiB) at /cache/cas/<its sha256> and of
# an action-cache entry at /cache/ac/<sha256>, each stored under
# DIR/data/cache/{cas,ac}/ with the same bytes; a miss is 404; DELETE,
# PROPFIND and a PUT outside /cache/ are refused and change nothing; no
# path in DIR is writable by others; a second start gives the same URL;
# stop ends nginx. Any refused PUT fails the test.
#
#   bazel test //ci:remote_cache_test
set -euo pipefail

fail() { echo "FAIL: $*" >&2; exit 1; }
script="${TEST_SRCDIR}/${TEST_WORKSPACE}/ci/remote_cache.sh"
[[ -x /usr/sbin/nginx ]] || fail "no /usr/sbin/nginx: install Debian's 'nginx' (ci/setup.sh)"

# Under /tmp, not $TEST_TMPDIR: as root, nginx's workers run as nobody,
# who cannot search /root/.cache/bazel. mktemp makes it 0700, ours.
dir="$(mktemp -d /tmp/jleak-remote-cache-test.XXXXXX)"
trap 'bash "${script}" stop --dir "${dir}" >/dev/null 2>&1 || true; rm -rf "${dir}"' EXIT
work="${TEST_TMPDIR}"

# http METHOD URL [BODY_FILE|-] [OUT_FILE]: prints the status code.
http() {
  python3 - "$@" <<'PY'
import sys, urllib.error, urllib.request
method, url = sys.argv[1], sys.argv[2]
body = open(sys.argv[3], "rb").read() if len(sys.argv) > 3 and sys.argv[3] != "-" else None
req = urllib.request.Request(url, data=body, method=method)
try:
    with urllib.request.urlopen(req, timeout=20) as r:
        code, data = r.status, r.read()
except urllib.error.HTTPError as e:
    code, data = e.code, e.read()
if len(sys.argv) > 4:
    open(sys.argv[4], "wb").write(data)
print(code)
PY
}
sha() { sha256sum "$1" | cut -d' ' -f1; }
expect() {  # expect WHAT GOT WANTED...
  local what="$1" got="$2"; shift 2
  for w in "$@"; do [[ "${got}" == "${w}" ]] && return 0; done
  fail "${what}: HTTP ${got}, expected $*"
}

url="$(bash "${script}" start --dir "${dir}")"
[[ "${url}" =~ ^http://127\.0\.0\.1:[0-9]+/cache$ ]] || fail "URL '${url}' is not on 127.0.0.1"
grep -Eq '^ *listen 127\.0\.0\.1:[0-9]+;' "${dir}/nginx.conf" || fail "nginx.conf listens elsewhere"
bash "${script}" status --dir "${dir}" >/dev/null || fail "status: not running after start"

# A CAS blob, larger than nginx's default client_max_body_size (1m).
head -c 3145728 /dev/urandom >"${work}/blob"
cas="$(sha "${work}/blob")"
expect "PUT /cas/" "$(http PUT "${url}/cas/${cas}" "${work}/blob")" 201 204
expect "GET /cas/" "$(http GET "${url}/cas/${cas}" - "${work}/got")" 200
cmp -s "${work}/blob" "${work}/got" || fail "GET /cas/ returned other bytes"
[[ "$(sha "${dir}/data/cache/cas/${cas}")" == "${cas}" ]] ||
  fail "the blob is not stored at data/cache/cas/<sha256>"

# An action-cache entry (Bazel's key: the action's digest).
printf 'ActionResult of %s\n' "${cas}" >"${work}/ac"
key="$(printf 'action %s' "${cas}" | sha256sum | cut -d' ' -f1)"
expect "PUT /ac/" "$(http PUT "${url}/ac/${key}" "${work}/ac")" 201 204
expect "GET /ac/" "$(http GET "${url}/ac/${key}" - "${work}/got")" 200
cmp -s "${work}/ac" "${work}/got" || fail "GET /ac/ returned other bytes"
cmp -s "${work}/ac" "${dir}/data/cache/ac/${key}" || fail "the entry is not stored at data/cache/ac/<sha256>"
# Written again (another build's upload of the same action): accepted.
expect "PUT /ac/ again" "$(http PUT "${url}/ac/${key}" "${work}/ac")" 201 204

# A miss, and what the cache refuses.
expect "GET of a missing blob" "$(http GET "${url}/cas/$(printf x | sha256sum | cut -d' ' -f1)")" 404
expect "DELETE" "$(http DELETE "${url}/cas/${cas}")" 403 405
expect "PROPFIND" "$(http PROPFIND "${url}/")" 403 405
expect "PUT outside /cache/" "$(http PUT "${url%/cache}/x" "${work}/ac")" 403 404 405
[[ -f "${dir}/data/cache/cas/${cas}" && ! -e "${dir}/data/x" ]] || fail "a refused request changed the files"

# No path in DIR that others may write to.
others="$(find "${dir}" -perm -o+w ! -type l)"
[[ -z "${others}" ]] || fail "writable by others: ${others}"

[[ "$(bash "${script}" start --dir "${dir}")" == "${url}" ]] || fail "a second start changed the URL"
pid="$(cat "${dir}/nginx.pid")"
bash "${script}" stop --dir "${dir}" 2>/dev/null
! kill -0 "${pid}" 2>/dev/null || fail "nginx (pid ${pid}) still runs after stop"
! bash "${script}" status --dir "${dir}" >/dev/null || fail "status: running after stop"
echo "PASS: ${url}: PUT/GET of /cas/ (3 MiB) and /ac/, 404 on a miss, DELETE/PROPFIND/other paths refused"
