// File: embed_files.cc
//
// The host tool behind cc_embed_files (//bazel:embed.bzl): turns files into
// a C++ header and source that hold their bytes as constants, so that a
// page, a stylesheet or a script can be kept in the tree as what it is and
// still ship inside a single binary (no files to install beside it, no
// paths to find at run time).
//
//   embed_files --header_out=out/assets.h --source_out=out/assets.cc
//       --include=pkg/assets.h --namespace=project::assets
//       kReportHtml=pkg/report.html kReportCss=pkg/report.css
//
// For each SYMBOL=PATH the header declares
//   extern const std::string_view SYMBOL;  // the bytes of PATH
// and the source defines it over a char array with a terminating NUL (so
// .data() is also a C string when the file holds no NUL). Bytes are
// written as a string literal, one literal per line of the input, with
// everything but printable ASCII escaped, so the generated file is
// readable and diffs well, and is the same for the same inputs (the build
// stays reproducible).
//
// Only the standard library: this runs at build time, in the exec
// configuration, and must build wherever the project builds.
//
// Exit codes: 0 written, 1 an input or output failed, 2 bad arguments.

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace {

struct Input {
  std::string symbol;
  std::string path;
  std::string bytes;
};

int Usage(const std::string& why) {
  std::cerr << "embed_files: " << why
            << "\nusage: embed_files --header_out=H --source_out=CC "
               "--include=INCLUDE_PATH_OF_H [--namespace=A::B] "
               "SYMBOL=PATH...\n";
  return 2;
}

bool IsIdentifier(const std::string& s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

// IsNamespace: empty, or identifiers joined by "::".
bool IsNamespace(const std::string& ns) {
  if (ns.empty()) return true;
  size_t from = 0;
  while (true) {
    const size_t sep = ns.find("::", from);
    if (!IsIdentifier(ns.substr(from, sep - from))) return false;
    if (sep == std::string::npos) return true;
    from = sep + 2;
  }
}

// Guard: the include guard of a header at `include`, as Google style
// spells it (path upper-cased, every other character an underscore).
std::string Guard(const std::string& include) {
  std::string g;
  for (char c : include) {
    if (c >= 'a' && c <= 'z') {
      g += static_cast<char>(c - 'a' + 'A');
    } else if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
      g += c;
    } else {
      g += '_';
    }
  }
  return g + "_";
}

// Literal: `bytes` as C++ string literals, one per input line. Printable
// ASCII stays as it is except \ and " (escaped) and ? (escaped, so no
// trigraph can form); everything else is a three-digit octal escape, which
// never swallows a following digit as a hex escape would.
std::string Literal(const std::string& bytes) {
  if (bytes.empty()) return "    \"\"";
  std::string out;
  bool open = false;
  for (size_t i = 0; i < bytes.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(bytes[i]);
    if (!open) {
      out += "    \"";
      open = true;
    }
    if (c == '\\' || c == '"' || c == '?') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c >= 0x20 && c < 0x7F) {
      out += static_cast<char>(c);
    } else {
      char oct[5];
      std::snprintf(oct, sizeof(oct), "\\%03o", c);
      out += oct;
    }
    if (c == '\n' && i + 1 < bytes.size()) {
      out += "\"\n";
      open = false;
    }
  }
  out += "\"";
  return out;
}

bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    std::cerr << "embed_files: cannot write " << path << "\n";
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string header_out, source_out, include, ns;
  std::vector<Input> inputs;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto take = [&](const char* prefix, std::string* value) {
      const std::string p = prefix;
      if (arg.compare(0, p.size(), p) != 0) return false;
      *value = arg.substr(p.size());
      return true;
    };
    if (take("--header_out=", &header_out) ||
        take("--source_out=", &source_out) || take("--include=", &include) ||
        take("--namespace=", &ns)) {
      continue;
    }
    if (arg.rfind("--", 0) == 0) return Usage("unknown flag " + arg);
    const size_t eq = arg.find('=');
    if (eq == std::string::npos) return Usage("expected SYMBOL=PATH: " + arg);
    Input in;
    in.symbol = arg.substr(0, eq);
    in.path = arg.substr(eq + 1);
    if (!IsIdentifier(in.symbol)) return Usage("bad symbol " + in.symbol);
    for (const Input& other : inputs) {
      if (other.symbol == in.symbol) return Usage("symbol twice " + in.symbol);
    }
    inputs.push_back(std::move(in));
  }
  if (header_out.empty() || source_out.empty() || include.empty()) {
    return Usage("--header_out, --source_out and --include are required");
  }
  if (!IsNamespace(ns)) return Usage("bad namespace " + ns);

  for (Input& in : inputs) {
    std::ifstream file(in.path, std::ios::binary);
    std::ostringstream bytes;
    bytes << file.rdbuf();
    if (!file) {
      std::cerr << "embed_files: cannot read " << in.path << "\n";
      return 1;
    }
    in.bytes = bytes.str();
  }

  const std::string open_ns = ns.empty() ? "" : "namespace " + ns + " {\n\n";
  const std::string close_ns =
      ns.empty() ? "" : "}  // namespace " + ns + "\n\n";
  const std::string guard = Guard(include);

  std::string h =
      "// File: " + include +
      "\n//\n// Generated by //bazel/embed:embed_files (cc_embed_files in "
      "//bazel:embed.bzl).\n// Do not edit: edit the embedded files.\n\n"
      "#ifndef " +
      guard + "\n#define " + guard + "\n\n#include <string_view>\n\n" + open_ns;
  std::string cc = "// Generated by //bazel/embed:embed_files from:\n";
  for (const Input& in : inputs) cc += "//   " + in.path + "\n";
  cc += "// Do not edit.\n\n#include \"" + include + "\"\n\n" + open_ns +
        "namespace {\n\n";
  std::string defs;
  for (const Input& in : inputs) {
    h += "// The " + std::to_string(in.bytes.size()) + " bytes of " + in.path +
         ".\nextern const std::string_view " + in.symbol + ";\n\n";
    cc += "constexpr char " + in.symbol + "Bytes[] =\n" + Literal(in.bytes) +
          ";\n\n";
    // The array's terminating NUL is not part of the file.
    defs += "const std::string_view " + in.symbol + "(" + in.symbol +
            "Bytes, sizeof(" + in.symbol + "Bytes) - 1);\n";
  }
  h += close_ns + "#endif  // " + guard + "\n";
  cc += "}  // namespace\n\n" + defs;
  if (!ns.empty()) cc += "\n}  // namespace " + ns + "\n";
  if (!WriteFile(header_out, h) || !WriteFile(source_out, cc)) return 1;
  return 0;
}
