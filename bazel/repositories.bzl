"""Repository rules that serve, from Debian packages, what Bazel 4.2.3 would
otherwise download. See bazel/README.md for the measured reasons.

Nothing here touches the network: every rule reads from the local file
system (Debian's /usr/share/bazel trees, /usr/src/googletest) or from the
pinned tarball that ci/setup.sh fetched through `apt-get source`.
"""

# Debian's rules_cc 0.0.4 loads `use_cpp_toolchain`, which Bazel 4.2.3's
# @bazel_tools does not define. These two files are the only users; the
# replacement is what `use_cpp_toolchain()` expands to.
_RULES_CC_PATCHED_FILES = [
    "cc/private/rules_impl/cc_flags_supplier.bzl",
    "cc/private/rules_impl/compiler_flag.bzl",
]

def _debian_rules_cc_impl(rctx):
    src = rctx.path(rctx.attr.path)
    if not src.exists:
        fail("Debian's rules_cc is not at %s: run ci/setup.sh (package bazel-rules-cc)" % src)
    for entry in src.readdir():
        if entry.basename != "cc":
            rctx.symlink(entry, entry.basename)

    # cc/ is copied, not linked, because two of its files are patched.
    res = rctx.execute(["cp", "-r", str(src.get_child("cc")), "."])
    if res.return_code != 0:
        fail("copying %s/cc failed: %s" % (src, res.stderr))
    for f in _RULES_CC_PATCHED_FILES:
        text = rctx.read(f)
        text = text.replace(', "use_cpp_toolchain")', ")")
        text = text.replace(
            "use_cpp_toolchain()",
            '["@bazel_tools//tools/cpp:toolchain_type"]',
        )
        if "use_cpp_toolchain" in text:
            fail("%s: could not patch out use_cpp_toolchain; has bazel-rules-cc changed?" % f)
        rctx.file(f, text, legacy_utf8 = False)

debian_rules_cc = repository_rule(
    implementation = _debian_rules_cc_impl,
    attrs = {"path": attr.string(default = "/usr/share/bazel/rules/cc")},
    doc = "Debian's bazel-rules-cc, patched to load on Bazel 4.2.3.",
)

def _coverage_tools_stub_impl(rctx):
    # `bazel test` resolves these two labels even when coverage is off.
    rctx.file("WORKSPACE", 'workspace(name = "%s")\n' % rctx.name)
    rctx.file("BUILD", """\
# Stand-in for Bazel's downloaded coverage tools; coverage is not used here.
filegroup(name = "coverage_report_generator", visibility = ["//visibility:public"])
filegroup(name = "lcov_merger", visibility = ["//visibility:public"])
""")

coverage_tools_stub = repository_rule(
    implementation = _coverage_tools_stub_impl,
    doc = "Empty @remote_coverage_tools so `bazel test` does not download it.",
)

def _system_directory_repository_impl(rctx):
    src = rctx.path(rctx.attr.path)
    if not src.exists:
        fail("%s not found: run ci/setup.sh (Debian package %s)" %
             (src, rctx.attr.package))
    for entry in src.readdir():
        if entry.basename not in ("BUILD", "BUILD.bazel", "WORKSPACE"):
            rctx.symlink(entry, entry.basename)
    rctx.file("WORKSPACE", 'workspace(name = "%s")\n' % rctx.name)
    rctx.symlink(rctx.attr.build_file, "BUILD.bazel")

system_directory_repository = repository_rule(
    implementation = _system_directory_repository_impl,
    attrs = {
        "path": attr.string(mandatory = True),
        "package": attr.string(mandatory = True),
        "build_file": attr.label(mandatory = True, allow_single_file = True),
    },
    doc = """Like new_local_repository, but says which Debian package to
    install when the directory is missing.""",
)

def _verified_source_tarball_impl(rctx):
    distdir = rctx.os.environ.get("JLEAK_DISTDIR", "")
    if not distdir:
        distdir = str(rctx.path(Label("//:WORKSPACE")).dirname) + "/third_party/distfiles"
    tarball = rctx.path(distdir + "/" + rctx.attr.file)
    if not tarball.exists:
        fail(("%s not found. It comes from Debian's source package " +
              "(apt-get source --download-only %s); run ci/setup.sh to " +
              "fetch and verify it.") % (tarball, rctx.attr.debian_source))
    res = rctx.execute(["sha256sum", str(tarball)])
    if res.return_code != 0:
        fail("sha256sum %s failed: %s" % (tarball, res.stderr))
    got = res.stdout.split(" ")[0]
    if got != rctx.attr.sha256:
        fail(("checksum mismatch for %s: sha256 is %s, the pin is %s. " +
              "Delete it and run ci/setup.sh again.") %
             (tarball, got, rctx.attr.sha256))
    rctx.extract(tarball, stripPrefix = rctx.attr.strip_prefix)
    rctx.file("WORKSPACE", 'workspace(name = "%s")\n' % rctx.name)
    rctx.symlink(rctx.attr.build_file, "BUILD.bazel")

verified_source_tarball = repository_rule(
    implementation = _verified_source_tarball_impl,
    attrs = {
        "file": attr.string(mandatory = True),
        "sha256": attr.string(mandatory = True),
        "strip_prefix": attr.string(),
        "debian_source": attr.string(mandatory = True),
        "build_file": attr.label(mandatory = True, allow_single_file = True),
    },
    environ = ["JLEAK_DISTDIR"],
    doc = "A source tarball from a local distdir, checked against its sha256.",
)

def _pkg_config_libraries_impl(rctx):
    pkg_config = rctx.which("pkg-config")
    if pkg_config == None:
        fail("pkg-config not found: run ci/setup.sh")
    targets = []
    for name, modules in rctx.attr.libraries.items():
        flags = {}
        for kind in ("--cflags", "--libs"):
            res = rctx.execute([pkg_config, kind] + modules)
            if res.return_code != 0:
                fail(("pkg-config %s %s failed: %s\nThe Debian package providing " +
                      "it is missing; run ci/setup.sh.") %
                     (kind, " ".join(modules), res.stderr.strip()))
            flags[kind] = res.stdout.strip().split(" ") if res.stdout.strip() else []
        targets.append("""
cc_library(
    name = "{name}",
    copts = {copts},
    defines = {defines},
    linkopts = {linkopts},
)
""".format(
            name = name,
            copts = [f for f in flags["--cflags"] if not f.startswith("-D")],
            defines = [f[2:] for f in flags["--cflags"] if f.startswith("-D")],
            linkopts = flags["--libs"],
        ))
    rctx.file("WORKSPACE", 'workspace(name = "%s")\n' % rctx.name)
    rctx.file("BUILD.bazel", "\n".join([
        "# Generated by pkg_config_libraries (bazel/repositories.bzl): link",
        "# flags of Debian -dev packages, as pkg-config reports them.",
        'package(default_visibility = ["//visibility:public"])',
    ] + targets))

pkg_config_libraries = repository_rule(
    implementation = _pkg_config_libraries_impl,
    attrs = {
        "libraries": attr.string_list_dict(
            mandatory = True,
            doc = "Target name -> pkg-config modules it links.",
        ),
    },
    configure = True,
    doc = "cc_library targets for system libraries found with pkg-config.",
)
