// File: class_source_recorder.h
//
// ClassSourceRecorder: the JVM side of java-classes.map. For every
// prepared class (JVMTI ClassPrepare) and, when it starts, every class
// loaded before, it records where the class came from into ClassSources
// (class_sources.h), and writes the map beside java-frames.map after each
// snapshot. Never on the malloc hook's path: only in the ClassPrepare
// callback, at VMInit / attach, and on the agent thread.
//
// Per class, cheapest first:
// - the class's name (GetClassSignature) and loader (GetClassLoader);
// - boot loader: its module (the Class.module field, JDK 9+): a named
//   module is the runtime image, `jrt:/<module>` (kind jdk); the unnamed
//   one is -Xbootclasspath/a (kBootClassPath). No Java code runs;
// - other loaders: the protection domain, from the private native
//   Class.getProtectionDomain0 (one JNI call into the VM's native method,
//   no Java bytecode, no security check), then, once per protection
//   domain, its CodeSource's location URL read from the fields of
//   ProtectionDomain, CodeSource and URL (JNI field reads: no Java code,
//   so no class loading and no reentrancy). Platform-loader modules have
//   `jrt:/` locations and are the JDK's too.
// Modules and protection domains are cached by identity (JVMTI identity
// hash, then IsSameObject against a weak reference), so a jar's second
// class costs one JNI call and a hash lookup. Stats() says how many calls
// of each kind were made and the time spent, for agent.json.

#ifndef JLEAK_AGENT_CLASS_SOURCE_RECORDER_H_
#define JLEAK_AGENT_CLASS_SOURCE_RECORDER_H_

#include <jvmti.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "agent/class_sources.h"

namespace jleak::agent {

struct ClassSourceStats {
  ClassSources::Stats sources;
  int64_t prepared = 0;       // classes seen (ClassPrepare and the sweep)
  int64_t boot = 0;           // of those, of the boot loader
  int64_t jvmti_calls = 0;    // JVMTI functions called
  int64_t jni_calls = 0;      // JNI functions called (field reads, refs...)
  int64_t native_calls = 0;   // of those, getProtectionDomain0 calls
  int64_t cache_misses = 0;   // modules / domains looked at the first time
  int64_t failures = 0;       // a call refused; the class is not recorded
  int64_t record_ns = 0;      // time in RecordClass, all threads
  int64_t sweep_ns = 0;       // time of the sweep of loaded classes
  int64_t sweep_classes = 0;  // classes the sweep saw
  std::string main;           // the main class or jar, as the map says
};

class ClassSourceRecorder {
 public:
  // Create looks up what the recorder reads (JNI class, method and field
  // ids) on a thread attached to the JVM, in the live phase, and the main
  // program from the system properties. Unavailable: why not (the agent
  // then writes no class map).
  static absl::StatusOr<std::unique_ptr<ClassSourceRecorder>> Create(
      jvmtiEnv* jvmti, JNIEnv* env);
  ~ClassSourceRecorder();
  ClassSourceRecorder(const ClassSourceRecorder&) = delete;
  ClassSourceRecorder& operator=(const ClassSourceRecorder&) = delete;

  // RecordClass: from the ClassPrepare callback (any Java thread).
  void RecordClass(JNIEnv* env, jclass klass);
  // RecordLoadedClasses: every class loaded so far (at VMInit or attach).
  void RecordLoadedClasses(JNIEnv* env);

  // WriteMap rewrites `path` atomically when something was recorded since
  // the last write, or the last write went to another path.
  absl::Status WriteMap(const std::string& path);

  ClassSourceStats Stats() const;

 private:
  ClassSourceRecorder() = default;

  void RecordClassNoException(JNIEnv* env, jclass klass);

  // The source id of `object` (a module or a protection domain), cached by
  // identity; -1 on a JNI failure.
  int64_t SourceOf(JNIEnv* env, jobject object, bool boot_module);
  // Location: the code source of a module of the boot loader or a
  // protection domain, read from their fields.
  int64_t ComputeSource(JNIEnv* env, jobject object, bool boot_module);
  std::string UrlString(JNIEnv* env, jobject url);
  std::string StringField(JNIEnv* env, jobject object, jfieldID field);

  jvmtiEnv* jvmti_ = nullptr;
  bool has_modules_ = false;  // JDK 9+: Class.module, Module.name
  jmethodID get_protection_domain0_ = nullptr;
  jfieldID pd_codesource_ = nullptr, cs_location_ = nullptr;
  jfieldID url_protocol_ = nullptr, url_authority_ = nullptr,
           url_file_ = nullptr, url_ref_ = nullptr;
  jfieldID class_module_ = nullptr, module_name_ = nullptr;

  ClassSources sources_;

  // Identity cache: identity hash -> (weak reference, source id).
  struct Cached {
    jweak object;
    int64_t source;
  };
  mutable std::mutex cache_mu_;
  absl::flat_hash_map<jint, std::vector<Cached>> cache_;
  size_t cached_ = 0;

  std::mutex write_mu_;
  uint64_t written_generation_ = 0;
  std::string written_path_;  // empty: never written

  std::atomic<int64_t> prepared_{0}, boot_{0}, jvmti_calls_{0}, jni_calls_{0},
      native_calls_{0}, cache_misses_{0}, failures_{0}, record_ns_{0},
      sweep_ns_{0}, sweep_classes_{0};
  std::string main_;
};

}  // namespace jleak::agent

#endif  // JLEAK_AGENT_CLASS_SOURCE_RECORDER_H_
