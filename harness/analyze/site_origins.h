// File: site_origins.h
//
// Whose code a site's frames are, and what that says of the site (issue
// 19): which frame is the application's first (the code a person fixes),
// how it reaches the allocation (the library entry and the native library
// that allocated), whether the site is jleak's own agent's, and a name for
// JIT-compiled frames nothing names. Pure: frames in, labels out; the
// origin of a Java frame is profile/code_origin.h's.
//
//   OriginClassifier classify(origins, rules, filter);
//   ClassifySite(classify, site);
//   // site.origins[i]: "application", site.app_frame: 8,
//   // site.through: "com.github.luben.zstd.ZstdOutputStreamNoFinalizer →
//   // libzstd"
//
// The application frame is the first (innermost) Java frame of origin
// application; its caller is named too (`app_caller`) when it is an
// application method a person wrote: `work` from `useAndForget`, where
// the second forgot to close the connection the first uses. The entry is the
// outermost library Java frame below it (where the application called into the
// library), else the outermost JDK one, method handles and reflection skipped;
// the native library is that of the first native frame of the user's code
// (FrameKind::kUser), else of the first native frame in a file. A site whose
// application frame calls native code straight, with no JDK or library Java
// frame between, is the application's own JNI code
// (`app_native`): it keeps the site headline of today (analysis.h).

#ifndef JLEAK_HARNESS_ANALYZE_SITE_ORIGINS_H_
#define JLEAK_HARNESS_ANALYZE_SITE_ORIGINS_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "harness/analyze/analysis.h"
#include "profile/code_origin.h"
#include "profile/named_profile.h"

namespace jleak {

// ClassifySite sets site.origins, app_frame, through and app_native from
// site.frames.
void ClassifySite(const OriginClassifier& classifier, SiteSeries& site);

// IsSyntheticJavaFrame: a frame no person wrote as such: a lambda's body
// or class, a method handle's or reflection's machinery, an accessor.
bool IsSyntheticJavaFrame(absl::string_view method);

// JavaClassOf: the class of a Java frame's method name
// ("a.b.C$D.m" -> "a.b.C$D"); the name itself when it has no '.'.
std::string JavaClassOf(absl::string_view method);

// NativeLibraryName: a module path as the through-chain names it: its
// file name up to ".so" ("/usr/lib/x86_64-linux-gnu/libzstd.so.1.5.4" ->
// "libzstd"), or the whole file name.
std::string NativeLibraryName(absl::string_view module);

// IsJleakOwnStack: whether a stack holds a frame of jleak's own agent (a
// function in namespace jleak::agent, or one in libjleak_agent.so): its
// allocations are jleak's footprint, not the program's.
bool IsJleakOwnStack(const std::vector<NamedFrame>& frames);

// What an unnamed JIT frame is called: native code at an address in no
// mapped file and no perf map (production profiles of a JVM).
inline constexpr char kUnnamedJitFrame[] =
    "[JIT-compiled Java code: no perf map]";

// NameUnnamedJitFrames renames frames that are bare addresses ("0x7f...",
// in no module or an anonymous mapping) kUnnamedJitFrame; returns how many.
int NameUnnamedJitFrames(std::vector<NamedFrame>& frames);

// The warning that says how to have such frames named next time.
extern const char kUnnamedJitHint[];

}  // namespace jleak

#endif  // JLEAK_HARNESS_ANALYZE_SITE_ORIGINS_H_
