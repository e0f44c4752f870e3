# ci/lib.sh: what the scripts of ci/ (and leakers/measure.sh) share.
# Sourced first thing, as `source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"`:
#   - turns on `set -euo pipefail`;
#   - answers -h/--help as the script's first argument with the script's
#     opening comment, and exits 0;
#   - goes to the repository root (`jleak_root`);
#   - reads $BAZEL into `bazel_cmd`: the Bazel command line to build with,
#     "bazel" unless set, e.g. BAZEL="bazel --output_base=/tmp/ob" keeps a
#     script's build out of the workspace's output base.
# Functions:
#   ci_build [FLAG...] TARGET...  bazel build, quietly (no INFO lines, no
#       progress); then sets `bin` (bazel-bin for those flags: -c opt gives
#       the opt tree) and `java` (the real path of the `java` on PATH).
#       Arguments starting with // or @ are targets, the others flags.
#   median             the median of the numbers on stdin, one a line.
#   apt_installed PKG  whether Debian package PKG is installed.
#   apt_install PKG... installs them (no recommends), as root or through
#       password-less sudo (`sudo_cmd`); run `apt_update` first on a fresh
#       machine. Debian starts nginx's default site on port 80 when it
#       installs the package: a fresh install's service is stopped and
#       disabled (ci/remote_cache.sh runs its own nginx, on loopback).
# shellcheck shell=bash
set -euo pipefail

case "${1:-}" in
  -h|--help)
    awk 'NR == 1 { next } !/^#/ || /^# shellcheck/ { exit } { sub(/^# ?/, ""); print }' "$0"
    exit 0 ;;
esac

jleak_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${jleak_root}"
read -r -a bazel_cmd <<< "${BAZEL:-bazel}"

ci_build() {
  local flags=() targets=() a
  for a in "$@"; do
    case "${a}" in //*|@*) targets+=("${a}") ;; *) flags+=("${a}") ;; esac
  done
  "${bazel_cmd[@]}" build --ui_event_filters=-info --noshow_progress \
    "${flags[@]}" "${targets[@]}"
  # shellcheck disable=SC2034  # bin and java are for the caller
  bin="$("${bazel_cmd[@]}" info "${flags[@]}" bazel-bin 2>/dev/null)"
  # shellcheck disable=SC2034
  java="$(readlink -f "$(command -v java)")"
}

median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

sudo_cmd=()
[[ "$(id -u)" -eq 0 ]] || sudo_cmd=(sudo -n)

apt_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

apt_update() { "${sudo_cmd[@]}" apt-get update -qq; }

apt_install() {
  local fresh_nginx=0
  if [[ " $* " == *" nginx "* ]] && ! apt_installed nginx; then fresh_nginx=1; fi
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq \
    --no-install-recommends "$@" >/dev/null
  if [[ "${fresh_nginx}" -eq 1 ]]; then
    if [[ -d /run/systemd/system ]]; then
      "${sudo_cmd[@]}" systemctl disable --now nginx.service >/dev/null 2>&1 || true
    else
      "${sudo_cmd[@]}" invoke-rc.d nginx stop >/dev/null 2>&1 || true
      "${sudo_cmd[@]}" update-rc.d nginx disable >/dev/null 2>&1 || true
    fi
  fi
}
