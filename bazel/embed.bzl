"""cc_embed_files: files of the tree as constants of a C++ library.

Some of our C++ writes text that is not C++: the HTML report's page, its
stylesheet and its script. Kept as `.html`/`.css`/`.js` files they can be
edited, linted and reviewed as what they are; this rule puts their bytes
into a `cc_library` at build time, so the binary stays self-contained (no
files to install beside it, no paths to look up at run time).

Example:

    load("//bazel:embed.bzl", "cc_embed_files")

    cc_embed_files(
        name = "report_html_assets",
        srcs = ["html/report.html", "html/report.css", "html/report.js"],
        namespace = "jleak::report_assets",
    )

    cc_library(
        name = "report_html",
        ...
        deps = [":report_html_assets"],
    )

gives `:report_html_assets`, a `cc_library` whose header
`report_html_assets.h` (included as "harness/report/report_html_assets.h",
the package's path) declares, one per file, named after its basename in
CamelCase with a `k`:

    namespace jleak::report_assets {
    extern const std::string_view kReportHtml;  // bytes of html/report.html
    extern const std::string_view kReportCss;
    extern const std::string_view kReportJs;
    }

Each is constant-initialized (safe to read from other static
initializers); `.data()` is NUL-terminated. The bytes are copied exactly
(no encoding, no newline changes). The generated source comes from
//bazel/embed:embed_files, a small C++ tool built for the exec platform:
no Python or shell at build time, so the action is hermetic and the output
the same on every machine.
"""

def _symbol(basename):
    """kCamelCase of a file's basename: "report_test.js" -> "kReportTestJs"."""
    out = "k"
    upper = True
    for c in basename.elems():
        if c.isalnum():
            out += c.upper() if upper else c
            upper = False
        else:
            upper = True
    return out

def _include_path(f):
    """The path a #include of generated file `f` spells."""
    if f.short_path.startswith("../"):
        return "external/" + f.short_path[3:]
    return f.short_path

def _embed_files_impl(ctx):
    symbols = {}
    args = ctx.actions.args()
    args.add("--header_out=" + ctx.outputs.header.path)
    args.add("--source_out=" + ctx.outputs.source.path)
    args.add("--include=" + _include_path(ctx.outputs.header))
    if ctx.attr.namespace:
        args.add("--namespace=" + ctx.attr.namespace)
    for f in ctx.files.srcs:
        symbol = _symbol(f.basename)
        if symbol == "k" or symbol[1].isdigit():
            fail("cannot name a constant after %s" % f.short_path, "srcs")
        if symbol in symbols:
            fail("%s and %s both give %s; rename one" % (
                symbols[symbol],
                f.short_path,
                symbol,
            ), "srcs")
        symbols[symbol] = f.short_path
        args.add("%s=%s" % (symbol, f.path))
    ctx.actions.run(
        executable = ctx.executable._tool,
        arguments = [args],
        inputs = ctx.files.srcs,
        outputs = [ctx.outputs.header, ctx.outputs.source],
        mnemonic = "EmbedFiles",
        progress_message = "Embedding %d files in %s" % (
            len(ctx.files.srcs),
            ctx.outputs.header.short_path,
        ),
    )
    return [DefaultInfo(files = depset([ctx.outputs.header, ctx.outputs.source]))]

_embed_files = rule(
    implementation = _embed_files_impl,
    attrs = {
        "header": attr.output(mandatory = True),
        "namespace": attr.string(),
        "source": attr.output(mandatory = True),
        "srcs": attr.label_list(allow_files = True, mandatory = True),
        "_tool": attr.label(
            default = "//bazel/embed:embed_files",
            executable = True,
            cfg = "exec",
        ),
    },
)

def cc_embed_files(name, srcs, namespace = "", copts = [], **kwargs):
    """A cc_library holding the bytes of `srcs` as std::string_view constants.

    Args:
      name: the library; its header is `<name>.h` in this package.
      srcs: the files to embed (sources or generated files). Constants are
        named after their basenames, which must therefore differ.
      namespace: C++ namespace of the constants, e.g. "jleak::assets";
        empty for the global namespace.
      copts: compiler options of the generated source.
      **kwargs: the common attributes of cc_library (visibility, testonly,
        tags, ...).
    """
    if not srcs:
        fail("cc_embed_files needs at least one file", "srcs")
    if namespace.startswith(":") or namespace.endswith(":"):
        fail("namespace %r: write it without leading or trailing ::" % namespace, "namespace")
    _embed_files(
        name = name + "__files",
        srcs = srcs,
        namespace = namespace,
        header = name + ".h",
        source = name + ".cc",
        visibility = ["//visibility:private"],
        testonly = kwargs.get("testonly", False),
        tags = kwargs.get("tags", []),
    )
    native.cc_library(
        name = name,
        srcs = [name + ".cc"],
        hdrs = [name + ".h"],
        copts = copts,
        **kwargs
    )
