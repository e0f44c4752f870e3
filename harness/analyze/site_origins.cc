// File: site_origins.cc
//
// Frame origins of a site, jleak's own stacks and unnamed JIT frames (see
// site_origins.h).

#include "harness/analyze/site_origins.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "profile/frame_filter.h"

namespace jleak {
namespace {

constexpr char kAgentNamespace[] = "jleak::agent::";
constexpr char kAgentLibrary[] = "libjleak_agent.so";

absl::string_view BaseName(absl::string_view path) {
  const size_t slash = path.rfind('/');
  return slash == absl::string_view::npos ? path : path.substr(slash + 1);
}

// InFile: a native frame of a mapped file (a path), as IsStableFrame says
// of native frames.
bool InFile(const NamedFrame& f) {
  return !IsJavaFrame(f) && !f.module.empty() && f.module[0] == '/';
}

}  // namespace

bool IsSyntheticJavaFrame(absl::string_view method) {
  return absl::StrContains(method, "lambda$") ||
         absl::StrContains(method, "$$Lambda") ||
         absl::StrContains(method, "LambdaForm$") ||
         absl::StrContains(method, ".access$") ||
         absl::StartsWith(method, "java.lang.invoke.") ||
         absl::StartsWith(method, "jdk.internal.reflect.") ||
         absl::StartsWith(method, "sun.reflect.");
}

std::string JavaClassOf(absl::string_view method) {
  const size_t dot = method.rfind('.');
  if (dot == absl::string_view::npos || dot == 0) return std::string(method);
  return std::string(method.substr(0, dot));
}

std::string NativeLibraryName(absl::string_view module) {
  absl::string_view name = BaseName(module);
  const size_t so = name.find(".so");
  if (so != absl::string_view::npos && so > 0) name = name.substr(0, so);
  return std::string(name);
}

void ClassifySite(const OriginClassifier& classifier, SiteSeries& site) {
  const std::vector<NamedFrame>& frames = site.frames;
  site.origins.assign(frames.size(), "");
  site.app_frame = -1;
  site.app_caller = -1;
  site.through.clear();
  site.entry.clear();
  site.app_native = false;
  for (size_t i = 0; i < frames.size(); ++i) {
    if (!IsJavaFrame(frames[i])) continue;
    const FrameOrigin origin = classifier.Classify(frames[i].function);
    site.origins[i] = OriginKindName(origin.kind);
    if (site.app_frame < 0 && origin.kind == OriginKind::kApplication) {
      site.app_frame = static_cast<int>(i);
    }
  }
  if (site.app_frame < 0) return;
  const size_t app = static_cast<size_t>(site.app_frame);
  if (app + 1 < frames.size() &&
      site.origins[app + 1] == OriginKindName(OriginKind::kApplication) &&
      frames[app + 1].function != frames[app].function &&
      !IsSyntheticJavaFrame(frames[app + 1].function)) {
    site.app_caller = static_cast<int>(app + 1);
  }
  // Where the application called in: the outermost library frame below it,
  // else the outermost JDK frame (java.util.zip.Deflater).
  int library = -1, jdk = -1;
  for (size_t i = 0; i < app; ++i) {
    // Method handles, reflection and lambdas are how the call got there,
    // not what it called.
    if (IsSyntheticJavaFrame(frames[i].function)) continue;
    if (site.origins[i] == OriginKindName(OriginKind::kLibrary)) {
      library = static_cast<int>(i);
    } else if (site.origins[i] == OriginKindName(OriginKind::kJdk)) {
      jdk = static_cast<int>(i);
    }
  }
  const int entry = library >= 0 ? library : jdk;
  // What allocated: the user's native code (a JNI library, or the library
  // it wraps), else the first native frame in a file (libjvm for Unsafe).
  int native = -1;
  for (size_t i = 0; i < app && native < 0; ++i) {
    if (InFile(frames[i]) && frames[i].kind == FrameKind::kUser) {
      native = static_cast<int>(i);
    }
  }
  for (size_t i = 0; i < app && native < 0; ++i) {
    if (InFile(frames[i])) native = static_cast<int>(i);
  }
  site.app_native = entry < 0 && native >= 0;
  if (entry >= 0) site.entry = JavaClassOf(frames[entry].function);
  site.through = site.entry;
  if (native >= 0) {
    if (!site.through.empty()) site.through += " → ";
    site.through += NativeLibraryName(frames[native].module);
  }
}

bool IsJleakOwnStack(const std::vector<NamedFrame>& frames) {
  for (const NamedFrame& f : frames) {
    if (absl::StrContains(f.function, kAgentNamespace) ||
        BaseName(f.module) == kAgentLibrary) {
      return true;
    }
  }
  return false;
}

int NameUnnamedJitFrames(std::vector<NamedFrame>& frames) {
  int renamed = 0;
  for (NamedFrame& f : frames) {
    if (!f.module.empty() || f.function.size() < 3 ||
        !absl::StartsWith(f.function, "0x")) {
      continue;
    }
    bool hex = true;
    for (size_t i = 2; i < f.function.size() && hex; ++i) {
      hex = absl::ascii_isxdigit(static_cast<unsigned char>(f.function[i]));
    }
    if (!hex) continue;
    f.function = kUnnamedJitFrame;
    ++renamed;
  }
  return renamed;
}

const char kUnnamedJitHint[] =
    "some frames are JIT-compiled Java code that nothing names ([JIT-compiled "
    "Java code: no perf map]): run under jleak's agent (`jleak run`, or "
    "attach it) to record Java stacks, or start the JVM with "
    "-XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit (or run `jcmd "
    "PID Compiler.perfmap` before it exits) and give /tmp/perf-PID.map with "
    "--perf-map or beside the .heap files";

}  // namespace jleak
