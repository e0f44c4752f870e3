"""The pinned jemalloc source and how it is configured: one visible place.

Loaded by WORKSPACE (the pin) and //profile:BUILD (the build).
"""

load("//bazel:repositories.bzl", "verified_source_tarball")

# Upstream jemalloc 5.3.0 release, byte-identical to Debian bookworm's
# jemalloc_5.3.0.orig.tar.bz2 (source package jemalloc 5.3.0-1).
# Keep in sync with ci/setup.sh (JEMALLOC_SHA256).
JEMALLOC_SOURCE = {
    "debian_source": "jemalloc",
    "file": "jemalloc_5.3.0.orig.tar.bz2",
    "sha256": "2db82d1e7119df3e71b7640219b6dfe84789bc0537983c3b7ac4f7189aecfeaa",
    "strip_prefix": "jemalloc-5.3.0",
}

# ./configure options, by unwinder.
#
# --enable-prof: heap profiling (prof.dump, heap_v2 files), the whole point.
# --disable-cxx: no operator new/delete in libjemalloc, so it does not drag
#   libstdc++ into every preloaded process; libstdc++'s own operator new
#   calls malloc, which is still ours.
# --disable-doc: no xsltproc needed, and faster.
# --enable-prof-libunwind: measured on OpenJDK 17 here, the default libgcc
#   unwinder stops at the first JIT-compiled Java frame (stack depth 6-7),
#   while libunwind walks through JIT frames to start_thread (depth 15-18),
#   which is what lets us put Java method names on native stacks.
# --disable-prof-libgcc: makes the libunwind choice explicit (configure
#   would otherwise prefer libgcc when both are available).
JEMALLOC_CONFIGURE_COMMON = [
    "--enable-prof",
    "--disable-cxx",
    "--disable-doc",
]

JEMALLOC_CONFIGURE_BY_UNWINDER = {
    "libunwind": [
        "--enable-prof-libunwind",
        "--disable-prof-libgcc",
        "--disable-prof-gcc",
    ],
    # For JVMs that misbehave under libunwind: shallower stacks, no extra
    # dependency.
    "libgcc": [
        "--disable-prof-libunwind",
        "--enable-prof-libgcc",
    ],
}

def jemalloc_repository(name = "jemalloc"):
    """Declares @jemalloc: the pinned, checksum-verified source tree."""
    verified_source_tarball(
        name = name,
        build_file = "//third_party:jemalloc.BUILD",
        **JEMALLOC_SOURCE
    )

def _configure_cmd(options):
    return """
set -euo pipefail
out="$$PWD/$(@D)"
src="$$PWD/$$(dirname $(location @jemalloc//:configure))"
work="$$(mktemp -d "$${TMPDIR:-/tmp}/jemalloc-build.XXXXXX")"
trap 'rm -rf "$$work"' EXIT
cp -rL "$$src/." "$$work/"
cd "$$work"
if ! ./configure %s >configure.out 2>&1; then
  tail -n 30 configure.out config.log >&2
  echo "jemalloc: ./configure failed (is libunwind-dev installed? run ci/setup.sh)" >&2
  exit 1
fi
if ! make -j"$$(nproc)" lib/libjemalloc.so.2 >make.out 2>&1; then
  tail -n 40 make.out >&2
  echo "jemalloc: make failed" >&2
  exit 1
fi
mkdir -p "$$out/lib" "$$out/bin"
cp lib/libjemalloc.so.2 "$$out/lib/libjemalloc.so.2"
cp bin/jeprof "$$out/bin/jeprof"
chmod 0755 "$$out/bin/jeprof"
""" % " ".join(options)

def jemalloc_build(name, unwinder_settings, visibility = None):
    """Builds libjemalloc.so.2 and jeprof for the selected unwinder only.

    Args:
      name: genrule name.
      unwinder_settings: dict from unwinder name to a config_setting label.
      visibility: visibility of the genrule.
    """
    native.genrule(
        name = name,
        srcs = [
            "@jemalloc//:configure",
            "@jemalloc//:srcs",
        ],
        outs = [
            "bin/jeprof",
            "lib/libjemalloc.so.2",
        ],
        cmd = select({
            unwinder_settings[u]: _configure_cmd(JEMALLOC_CONFIGURE_COMMON + opts)
            for u, opts in JEMALLOC_CONFIGURE_BY_UNWINDER.items()
        }),
        message = "Configuring and building jemalloc 5.3.0 with profiling",
        visibility = visibility,
    )
