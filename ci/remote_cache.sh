#!/usr/bin/env bash
# ci/remote_cache.sh: a Bazel HTTP build cache on this machine, for CI jobs
# and to try --config=remote-cache: Debian's nginx with WebDAV PUT,
# listening on 127.0.0.1 only, configured and run from a private directory.
#
#   ci/remote_cache.sh start [--dir DIR] [--port PORT]   # prints the URL
#   ci/remote_cache.sh url [--dir DIR]       # the URL of the running cache
#   ci/remote_cache.sh status [--dir DIR]    # URL, pid, size, requests seen
#   ci/remote_cache.sh stop [--dir DIR]      # the files stay; rm -rf DIR
# then
#   JLEAK_REMOTE_CACHE="$(ci/remote_cache.sh url)" ci/test.sh
#   bazel build --config=remote-cache --remote_cache="$(ci/remote_cache.sh url)" //...
#
# The URL is http://127.0.0.1:PORT/cache: Bazel GETs and PUTs
# /cache/ac/<sha256> (action results) and /cache/cas/<sha256> (file
# contents); any other method or path is refused. A PUT is written to a
# temporary file, then renamed: a reader never sees half a blob. Bodies up
# to $JLEAK_REMOTE_CACHE_MAX_BODY (nginx size, default 4g). Nothing
# expires: `status` shows the size; delete DIR/data/cache to empty it.
#
# DIR: --dir, else $JLEAK_REMOTE_CACHE_DIR, else /var/tmp/jleak-remote-cache-UID.
# Made mode 0700 and owned by the caller (an existing DIR must be too, and
# not a link). It holds nginx.conf (written at each start), nginx.pid, url,
# logs/ (error.log, access.log), tmp/ and data/cache/{ac,cas}/. As root,
# nginx's workers run as nobody: DIR is then 0711 (searched, not listed),
# data/ and tmp/ belong to nobody (0700), and DIR must lie where nobody can
# search (under /var/tmp or /tmp, not /root). PORT: a free one by default.
# Without nginx, `start` installs Debian's package (apt-get, as root or
# through password-less sudo; ci/setup.sh installs it too) and leaves
# Debian's own nginx service stopped.
# shellcheck disable=SC2317  # functions called through "cmd_${command}"
caller_pwd="$(pwd)"
# shellcheck source=ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

log() { printf 'remote_cache: %s\n' "$*" >&2; }
die() { printf 'remote_cache: error: %s\n' "$*" >&2; exit 2; }

command="${1:-}"
[[ $# -gt 0 ]] && shift
dir="${JLEAK_REMOTE_CACHE_DIR:-/var/tmp/jleak-remote-cache-$(id -u)}"
port=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --dir) dir="${2:?--dir takes a directory}"; shift 2 ;;
    --port) port="${2:?--port takes a number}"; shift 2 ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
done
[[ "${dir}" == /* ]] || dir="${caller_pwd}/${dir}"
[[ "${dir}" =~ ^[A-Za-z0-9._/+-]+$ ]] ||
  die "--dir: letters, digits and ._/+- only (it is written into nginx.conf), not '${dir}'"
[[ -z "${port}" || "${port}" =~ ^[0-9]+$ ]] || die "--port takes a number, not '${port}'"
max_body="${JLEAK_REMOTE_CACHE_MAX_BODY:-4g}"
[[ "${max_body}" =~ ^[0-9]+[kKmMgG]?$ ]] || die "JLEAK_REMOTE_CACHE_MAX_BODY: an nginx size (4g), not '${max_body}'"
nginx=/usr/sbin/nginx
nginx_args=(-p "${dir}/" -c "${dir}/nginx.conf" -e "${dir}/logs/error.log")

# running: succeeds when DIR's nginx runs; sets pid.
running() {
  pid="$(cat "${dir}/nginx.pid" 2>/dev/null)" || return 1
  [[ "${pid}" =~ ^[0-9]+$ ]] && kill -0 "${pid}" 2>/dev/null &&
    tr '\0' ' ' <"/proc/${pid}/cmdline" 2>/dev/null | grep -qF -- "${dir}/nginx.conf"
}

# private_dir PATH: makes PATH, or accepts it when it is a directory (not a
# link) owned by the caller that no one else may write to.
private_dir() {
  if [[ ! -e "$1" && ! -L "$1" ]]; then
    mkdir -m 0700 "$1"
  fi
  [[ -d "$1" && ! -L "$1" && -O "$1" ]] ||
    die "$1 exists and is not a directory of uid $(id -u) (a link, or someone else's)"
  [[ -z "$(find "$1" -maxdepth 0 -perm /022)" ]] ||
    die "$1 is writable by others; use a private directory"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

write_config() {  # write_config PORT USER_LINE
  cat >"${dir}/nginx.conf" <<EOF
# Written by ci/remote_cache.sh at each start: Bazel's HTTP cache.
$2
worker_processes 2;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log warn;
events { worker_connections 512; }
http {
  access_log ${dir}/logs/access.log;
  log_not_found off;  # a miss is a 404, not an error
  types { }
  default_type application/octet-stream;
  sendfile on;
  server_tokens off;
  # Every temporary file in DIR: none in Debian's /var/lib/nginx.
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  server {
    listen 127.0.0.1:$1;
    root ${dir}/data;
    location / { return 404; }
    location /cache/ {
      limit_except GET PUT { deny all; }
      dav_methods PUT;
      create_full_put_path on;
      dav_access user:rw;
      client_max_body_size ${max_body};
    }
  }
}
EOF
}

cmd_url() {
  running || { log "not running (${dir})"; exit 1; }
  cat "${dir}/url"
}

cmd_status() {
  if ! running; then echo "not running (${dir})"; exit 1; fi
  local files size
  files="$(find "${dir}/data/cache" -type f 2>/dev/null | wc -l)"
  size="$(du -sh "${dir}/data/cache" 2>/dev/null | cut -f1)"
  echo "running: $(cat "${dir}/url") (nginx pid ${pid}, ${dir})"
  echo "entries: ${files} (${size:-0} in ${dir}/data/cache)"
  # Bazel's requests, from the access log: method, path prefix, status.
  awk '{ split($6, m, "\""); p = $7; sub(/^\/cache\//, "", p); sub(/\/.*/, "", p)
         n[m[2] " /" p "/ " $9]++ }
       END { for (k in n) printf "  %-22s %d\n", k, n[k] }' \
    "${dir}/logs/access.log" 2>/dev/null | sort
}

cmd_start() {
  if running; then cat "${dir}/url"; return 0; fi
  if ! apt_installed nginx || [[ ! -x "${nginx}" ]]; then
    log "installing Debian's nginx"
    apt_update
    apt_install nginx
  fi
  "${nginx}" -V 2>&1 | grep -q -- '--with-http_dav_module' ||
    die "${nginx} has no WebDAV module (http_dav_module)"
  private_dir "${dir}"
  local user_line worker
  user_line="# not root: the workers run as uid $(id -u), like the master"
  mkdir -p "${dir}/logs" "${dir}/tmp" "${dir}/data/cache"
  chmod 0700 "${dir}/logs" "${dir}/tmp" "${dir}/data"
  if [[ "$(id -u)" -eq 0 ]]; then
    worker="nobody:$(id -gn nobody)"
    user_line="user ${worker/:/ };"
    chmod 0711 "${dir}"
    chown -R "${worker}" "${dir}/tmp" "${dir}/data"
    setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups -- \
      test -w "${dir}/data/cache" -a -w "${dir}/tmp" ||
      die "nginx's workers (nobody) cannot reach ${dir}: choose a --dir whose parents anyone may search (under /var/tmp)"
  fi
  local tries=0 p
  while :; do
    p="${port:-$(free_port)}"
    write_config "${p}" "${user_line}"
    "${nginx}" -t -q "${nginx_args[@]}" || die "nginx refused ${dir}/nginx.conf"
    if "${nginx}" "${nginx_args[@]}"; then break; fi
    tries=$((tries + 1))
    # Another process may have taken the free port since: try another.
    [[ -z "${port}" && "${tries}" -lt 3 ]] || die "nginx did not start; see ${dir}/logs/error.log"
  done
  echo "http://127.0.0.1:${p}/cache" >"${dir}/url"
  # Ready when it answers.
  for ((i = 0; i < 50; i++)); do
    if running && (exec 3<>"/dev/tcp/127.0.0.1/${p}") 2>/dev/null; then
      cat "${dir}/url"
      return 0
    fi
    sleep 0.1
  done
  die "nginx did not answer on 127.0.0.1:${p}; see ${dir}/logs/error.log"
}

cmd_stop() {
  if ! running; then log "not running (${dir})"; return 0; fi
  "${nginx}" "${nginx_args[@]}" -s quit 2>/dev/null || kill -TERM "${pid}"
  for ((i = 0; i < 100; i++)); do
    kill -0 "${pid}" 2>/dev/null || { log "stopped (files kept in ${dir})"; return 0; }
    sleep 0.1
  done
  die "nginx (pid ${pid}) did not stop"
}

case "${command}" in
  start|stop|status|url) "cmd_${command}" ;;
  *) die "usage: $0 start|stop|status|url [--dir DIR] [--port PORT] (try --help)" ;;
esac
