#!/usr/bin/env bash
# ci/setup.sh: install, from Debian's archive only, everything this project
# needs on a fresh Debian bookworm machine, and fetch the pinned jemalloc
# source tarball.
#
# Idempotent: a second run installs nothing new and re-verifies the tarball.
# Must run as root, or as a user who can use sudo without a password.
#
#   ci/setup.sh            # install packages + fetch jemalloc source
#   ci/setup.sh --check    # only report what is missing, change nothing
# shellcheck source=ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Debian packages, and why each is here.
readonly PACKAGES=(
  # Build system: Debian's Bazel 4.2.3 and the rule sets it would otherwise
  # download (see bazel/README.md for the redirections).
  bazel-bootstrap bazel-rules-cc bazel-rules-java bazel-platforms bazel-skylib
  # Toolchains: C/C++ compiler, make for jemalloc's configure/make, bzip2 to
  # unpack its tarball, the JDK for the Java workloads.
  build-essential make bzip2 openjdk-17-jdk-headless
  # Test and benchmark libraries.
  googletest libgtest-dev libbenchmark-dev
  # jemalloc --enable-prof-libunwind: walks through JIT frames.
  libunwind-dev
  # Libraries of our own C++ code: abseil (Status/StatusOr, strings, flags),
  # elfutils libdw (ELF/DWARF symbolization), nlohmann-json (manifests,
  # reports), zlib (gzipped pprof output), protobuf (pprof profile.proto),
  # pkg-config to find their link flags.
  libabsl-dev libdw-dev libelf-dev nlohmann-json3-dev zlib1g-dev
  libprotobuf-dev protobuf-compiler pkg-config
  # CLI11: subcommands and --help for the jleak command line.
  libcli11-dev
  # RE2: --suppress/--expect-* regexes in linear time, no recursion.
  libre2-dev
  # clang + its runtimes (libFuzzer, ASan, UBSan) for the fuzzers of the
  # profile parser and of the run-directory readers (ci/fuzz.sh).
  clang-14 libclang-rt-14-dev
  # Reference profile reader (jeprof) used to cross-check our own parser.
  libjemalloc-dev
  # jeprof shells out to these (addr2line, nm, objdump) and perl.
  binutils perl
  # python3: run_command_test.sh reads manifests and reports (JSON).
  python3
  # /usr/bin/time: peak memory in ci/bench/bench_profile.sh.
  time
  # Headless browser: opens the HTML leak report and screenshots it
  # (//harness/report:report_html_browser_test, tag "browser").
  chromium
  # nginx (its WebDAV module): the HTTP build cache of ci/remote_cache.sh,
  # checked by //ci:remote_cache_test. Debian's own nginx service, which
  # the package would start on port 80, is stopped and disabled.
  nginx
  # Real third-party JNI libraries, run as the suite's leakers and healthy
  # twins (leakers/zstd_jni, sqlite_jdbc, jna, turbojpeg; jars through
  # @debian_java, native halves from Debian's paths): zstd-jni, Xerial
  # sqlite-jdbc, JNA, libjpeg-turbo's TurboJPEG binding (its TJLoader loads
  # /usr/lib/x86_64-linux-gnu/libturbojpeg.so, which only the -dev package
  # provides).
  libzstd-jni-java libzstd-jni1 libxerial-sqlite-jdbc-java
  libxerial-sqlite-jdbc-jni libjna-java libjna-jni
  libturbojpeg-java libturbojpeg0-dev
  # util-linux: unshare, for the PID-namespace test of `jleak attach`
  # (//harness/cli:pidns_attach_test), and setpriv.
  util-linux
)

# The pinned jemalloc source: Debian's copy of the upstream 5.3.0 release.
# Keep in sync with bazel/jemalloc.bzl (JEMALLOC_SHA256).
readonly JEMALLOC_TARBALL="jemalloc_5.3.0.orig.tar.bz2"
readonly JEMALLOC_SHA256="2db82d1e7119df3e71b7640219b6dfe84789bc0537983c3b7ac4f7189aecfeaa"
readonly DISTDIR="${JLEAK_DISTDIR:-${jleak_root}/third_party/distfiles}"

log() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

check_only=0
case "${1:-}" in
  --check) check_only=1 ;;
  "") ;;
  *) die "unknown argument '$1' (try --help)" ;;
esac

command -v apt-get >/dev/null 2>&1 ||
  die "apt-get not found: this script supports Debian bookworm only"
command -v dpkg-query >/dev/null 2>&1 || die "dpkg-query not found"

if [[ "$(id -u)" -ne 0 && "${check_only}" -eq 0 ]] &&
   ! { command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; }; then
  die "must run as root or with password-less sudo (uid $(id -u))"
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  apt_installed "${pkg}" || missing+=("${pkg}")
done

tarball_ok() {
  [[ -f "${DISTDIR}/${JEMALLOC_TARBALL}" ]] &&
    echo "${JEMALLOC_SHA256}  ${DISTDIR}/${JEMALLOC_TARBALL}" |
      sha256sum --check --status -
}

if [[ "${check_only}" -eq 1 ]]; then
  status=0
  if [[ ${#missing[@]} -gt 0 ]]; then
    log "missing packages: ${missing[*]}"; status=1
  else
    log "all ${#PACKAGES[@]} packages installed"
  fi
  if tarball_ok; then log "jemalloc source OK: ${DISTDIR}/${JEMALLOC_TARBALL}"
  else log "jemalloc source missing or wrong: ${DISTDIR}/${JEMALLOC_TARBALL}"; status=1; fi
  exit "${status}"
fi

# deb-src is needed for `apt-get source jemalloc`.
readonly SRC_LIST=/etc/apt/sources.list.d/jleak-deb-src.sources
need_update=0
if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ &&
   ! grep -qs '^deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/*.list; then
  [[ -f /etc/apt/sources.list.d/debian.sources ]] ||
    die "no /etc/apt/sources.list.d/debian.sources to derive a deb-src entry from"
  log "adding deb-src entry ${SRC_LIST}"
  sed 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources |
    "${sudo_cmd[@]}" tee "${SRC_LIST}" >/dev/null
  need_update=1
fi

if [[ ${#missing[@]} -gt 0 || ${need_update} -eq 1 ]] || ! tarball_ok; then
  log "apt-get update"
  apt_update || die "apt-get update failed (is Debian's archive reachable?)"
fi

if [[ ${#missing[@]} -gt 0 ]]; then
  log "installing: ${missing[*]}"
  apt_install "${missing[@]}" || die "apt-get install failed for: ${missing[*]}"
else
  log "all ${#PACKAGES[@]} packages already installed"
fi

if tarball_ok; then
  log "jemalloc source already present and verified"
else
  log "fetching jemalloc source package into ${DISTDIR}"
  mkdir -p "${DISTDIR}"
  tmp="$(mktemp -d)"
  # apt downloads as its unprivileged _apt user, which must own the folder.
  if id _apt >/dev/null 2>&1; then chown _apt "${tmp}"; fi
  trap 'rm -rf "${tmp}"' EXIT
  # Only the orig tarball is used; --download-only skips unpacking.
  (cd "${tmp}" && apt-get source --download-only -qq jemalloc >/dev/null) ||
    die "apt-get source jemalloc failed"
  [[ -f "${tmp}/${JEMALLOC_TARBALL}" ]] ||
    die "Debian's jemalloc source package has no ${JEMALLOC_TARBALL} (got: $(ls "${tmp}"))"
  got="$(sha256sum "${tmp}/${JEMALLOC_TARBALL}" | cut -d' ' -f1)"
  [[ "${got}" == "${JEMALLOC_SHA256}" ]] ||
    die "${JEMALLOC_TARBALL}: sha256 ${got}, expected ${JEMALLOC_SHA256}"
  mv "${tmp}/${JEMALLOC_TARBALL}" "${DISTDIR}/"
  log "jemalloc source verified: ${DISTDIR}/${JEMALLOC_TARBALL}"
fi

log "done"
