// File: frame_filter.h
//
// FrameFilter: what each frame of an allocation stack is, so that a site is
// named by the code a user can change.
//
// - allocator: jemalloc's own sampling machinery, libc's malloc entry
//   points, C++ operator new, the JVM's os::malloc wrappers. Trimmed from
//   the top of every stack: the first frame shown is the code that asked
//   for the memory.
// - runtime: language runtime internals: the C++ standard library
//   (`std::vector<char>::_M_realloc_insert`, allocator traits,
//   `make_shared`'s control block), libc.
// - jvm: the JVM and the JDK: libjvm (`Unsafe_AllocateMemory0`), the JDK's
//   own native libraries and JNI entry points (`Java_java_util_zip_*`), and
//   Java frames of the JDK (`java.nio.ByteBuffer.allocateDirect`).
// - user: everything else. A site is named by its first user frame; the
//   runtime and jvm frames before it are shown folded, as "via ...".
//
// Rules are data, one per line, `#` comments: `[KIND] PATTERN`, where KIND
// is `allocator`, `runtime`, `jvm` or `user` (no KIND: allocator, the
// syntax of earlier versions). A pattern ending in `*` matches by prefix,
// otherwise exactly, against the frame's function name without its return
// type and parameters (`void std::vector<char>::_M_realloc_insert<char>(..)`
// is matched as `std::vector<char>::_M_realloc_insert<char>`) and against
// the whole name. `module:PATTERN` matches the file name of the frame's
// module instead; allocator module rules trim every leading frame of that
// module without symbolizing it (reading the preloaded jemalloc's DWARF
// costs more than the rest of a profile). `user` rules win over `runtime`
// and `jvm` (a team's own fork of a std-like library); otherwise runtime
// rules are tried before jvm rules. The defaults are kDefaultFrameRules
// below; users add more with `--trim-frames FILE` or `--trim RULE`.

#ifndef JLEAK_PROFILE_FRAME_FILTER_H_
#define JLEAK_PROFILE_FRAME_FILTER_H_

#include <array>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace jleak {

// The default rules, in the syntax above. Every entry says why it is there.
inline constexpr char kDefaultFrameRules[] = R"(
# ---- allocator: trimmed from the top of every stack ----
# The preloaded profiling allocator itself (any build of it).
module:libjemalloc.so*
# jemalloc's sampling path (prof.c, prof_sys.c) and its public entry points.
prof_backtrace*
je_*
imalloc*
ialloc*
iralloc*
ipalloc*
prof_alloc_prep
prof_tctx_create
malloc_default
do_rallocx
# libc allocation entry points (jemalloc replaces them when preloaded).
malloc
calloc
realloc
reallocarray
posix_memalign
aligned_alloc
memalign
valloc
pvalloc
strdup
strndup
# C++ allocation: operator new and the default allocator's direct call to it.
operator new*
operator new[]*
__gnu_cxx::new_allocator*
std::allocator*
# HotSpot's C-heap wrappers: the caller is the interesting frame
# (e.g. Unsafe_AllocateMemory0 above os::malloc).
os::malloc*
os::realloc*
AllocateHeap*
ReallocateHeap*

# ---- runtime: language runtime internals, folded under the user's frame ----
# The C++ standard library: containers growing (std::vector::_M_realloc_insert,
# std::__cxx11::basic_string::_M_mutate), allocator traits, GCC 12's
# std::__new_allocator, make_shared/allocate_shared control blocks
# (std::__shared_count, std::_Sp_counted_ptr_inplace), hashtable nodes.
runtime std::*
# libstdc++'s extensions and ABI support (__gnu_cxx::__normal_iterator,
# exception allocation in __cxxabiv1).
runtime __gnu_cxx::*
runtime __cxxabiv1::*
runtime __cxa_*
# Their shared libraries, for frames whose names are lost (stripped builds).
runtime module:libstdc++.so*
runtime module:libc++.so*
runtime module:libc++abi.so*
# glibc: stdio buffers (fopen, setvbuf), getaddrinfo, dlopen, thread start.
runtime module:libc.so*
runtime module:ld-linux*
runtime __libc_*
runtime _IO_*

# ---- jvm: the JVM and the JDK, folded under the user's frame ----
# HotSpot itself: Unsafe_AllocateMemory0, JVM_*, the JIT and the GC.
jvm module:libjvm.so
# The JDK's JNI entry points (Java_java_util_zip_Deflater_init,
# Java_sun_java2d_cmm_lcms_LCMS_createNativeTransform) and helpers.
jvm Java_java_*
jvm Java_javax_*
jvm Java_jdk_*
jvm Java_sun_*
# (JDK code under com.sun is listed by package: com.sun.jna, JavaMail's
# com.sun.mail and the JAXB RI's com.sun.xml.bind are libraries, not the JDK.)
jvm Java_com_sun_accessibility_*
jvm Java_com_sun_beans_*
jvm Java_com_sun_crypto_*
jvm Java_com_sun_imageio_*
jvm Java_com_sun_jarsigner_*
jvm Java_com_sun_java_*
jvm Java_com_sun_jdi_*
jvm Java_com_sun_jmx_*
jvm Java_com_sun_jndi_*
jvm Java_com_sun_management_*
jvm Java_com_sun_media_*
jvm Java_com_sun_naming_*
jvm Java_com_sun_net_*
jvm Java_com_sun_nio_*
jvm Java_com_sun_org_*
jvm Java_com_sun_rowset_*
jvm Java_com_sun_security_*
jvm Java_com_sun_source_*
jvm Java_com_sun_swing_*
jvm Java_com_sun_tools_*
jvm Java_com_sun_xml_internal_*
jvm JVM_*
jvm JNU_*
# The JDK's own native libraries (lib/*.so of the JDK), whose internal
# functions are the JDK's (its bundled LCMS, zip, image and font code).
jvm module:libjava.so
jvm module:libzip.so
jvm module:libnio.so
jvm module:libnet.so
jvm module:libjimage.so
jvm module:libverify.so
jvm module:libjli.so
jvm module:libinstrument.so
jvm module:libmanagement.so
jvm module:libmanagement_ext.so
jvm module:libawt.so
jvm module:libawt_headless.so
jvm module:libawt_xawt.so
jvm module:liblcms.so
jvm module:libmlib_image.so
jvm module:libfontmanager.so
jvm module:libjavajpeg.so
jvm module:libsplashscreen.so
jvm module:libjsound.so
jvm module:libsctp.so
jvm module:libextnet.so
jvm module:libj2pkcs11.so
jvm module:libj2gss.so
jvm module:libjaas.so
jvm module:libprefs.so
jvm module:librmi.so
jvm module:libattach.so
# The agent's placeholder for a Java thread whose Java frames could not be
# walked (agent/java_stacks.h): folded like the JVM's frames, so that it
# never names a site.
jvm [Java frames unavailable:*
# Java frames of the JDK's classes: ByteBuffer.allocateDirect,
# DirectByteBuffer.<init>, jdk.internal.misc.Unsafe.allocateMemory,
# Deflater.<init>, and lambdas and reflection frames generated for them.
jvm java.*
jvm javax.*
jvm jdk.*
jvm sun.*
# The JDK's com.sun packages (JDK 17's runtime image), not every com.sun:
# JNA (com.sun.jna) and others are third-party libraries.
jvm com.sun.accessibility.*
jvm com.sun.beans.*
jvm com.sun.crypto.*
jvm com.sun.imageio.*
jvm com.sun.jarsigner.*
jvm com.sun.java.*
jvm com.sun.java_cup.*
jvm com.sun.jdi.*
jvm com.sun.jmx.*
jvm com.sun.jndi.*
jvm com.sun.management.*
jvm com.sun.media.*
jvm com.sun.naming.*
jvm com.sun.net.*
jvm com.sun.nio.*
jvm com.sun.org.*
jvm com.sun.rowset.*
jvm com.sun.security.*
jvm com.sun.source.*
jvm com.sun.swing.*
jvm com.sun.tools.*
jvm com.sun.xml.internal.*
)";

// What a frame is; see the file comment. Allocator frames are trimmed
// before frames are classified, so they have no FrameKind.
enum class FrameKind {
  kUser,
  kRuntime,
  kJvm,
};
// FrameKindName: "user", "runtime", "jvm".
const char* FrameKindName(FrameKind kind);

// QualifiedName: a demangled function name without its return type and
// parameter list: "void ns::C<int>::f<char>(int) const" ->
// "ns::C<int>::f<char>".
absl::string_view QualifiedName(absl::string_view function);

class FrameFilter {
 public:
  // A filter with kDefaultFrameRules.
  FrameFilter();

  // Parse reads rules (syntax above) and returns them as written, one per
  // rule line; errors name the line.
  static absl::StatusOr<std::vector<std::string>> Parse(
      absl::string_view text, absl::string_view source_name);

  // Add takes one rule as Parse returns it.
  void Add(std::string rule);
  void AddAll(const std::vector<std::string>& rules) {
    for (const std::string& r : rules) Add(r);
  }

  bool IsAllocatorFrame(absl::string_view function) const;
  // IsAllocatorModule takes a module path; patterns match its file name.
  bool IsAllocatorModule(absl::string_view module_path) const;

  // Classify a frame that is not the allocator's. `module` is its module's
  // path, "[java]" for a Java frame, "[jit]" or empty.
  FrameKind Classify(absl::string_view function,
                     absl::string_view module) const;

  // Every rule, as added.
  const std::vector<std::string>& rules() const { return rules_; }

 private:
  // Patterns of one kind.
  struct Patterns {
    std::vector<std::string> exact;     // sorted
    std::vector<std::string> prefixes;  // without the '*'
    std::vector<std::string> module_exact;
    std::vector<std::string> module_prefixes;

    void Add(absl::string_view pattern);
    bool MatchesFunction(absl::string_view function) const;
    bool MatchesModule(absl::string_view module_path) const;
  };
  enum Slot { kAllocatorSlot, kRuntimeSlot, kJvmSlot, kUserSlot, kSlots };

  std::vector<std::string> rules_;
  std::array<Patterns, kSlots> by_kind_;
};

}  // namespace jleak

#endif  // JLEAK_PROFILE_FRAME_FILTER_H_
