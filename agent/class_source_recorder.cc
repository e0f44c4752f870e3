// File: class_source_recorder.cc
//
// Where each Java class came from, read through JVMTI and JNI (see
// class_source_recorder.h).

#include "agent/class_source_recorder.h"

#include <limits.h>
#include <stdlib.h>
#include <time.h>

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agent/java_stacks.h"
#include "agent/perf_map_writer.h"
#include "profile/java_frame.h"

namespace jleak::agent {
namespace {

// The cache holds at most this many objects; past it, sources are looked
// up every time (still correct, only slower).
constexpr size_t kMaxCachedObjects = 1 << 16;

// The monotonic clock (a vDSO call, unlike the thread CPU clock's system
// call, which cost as much as recording a class): the time measured is an
// upper bound of the CPU time, exact on an idle machine.
int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

void Bump(std::atomic<int64_t>& c, int64_t by = 1) {
  c.fetch_add(by, std::memory_order_relaxed);
}

void Deallocate(jvmtiEnv* jvmti, void* p) {
  if (p != nullptr) jvmti->Deallocate(static_cast<unsigned char*>(p));
}

// JvmtiProperty: a property the VM was started with; empty when none.
std::string JvmtiProperty(jvmtiEnv* jvmti, const char* name) {
  char* value = nullptr;
  std::string out;
  if (jvmti->GetSystemProperty(name, &value) == JVMTI_ERROR_NONE && value) {
    out = value;
  }
  Deallocate(jvmti, value);
  return out;
}

// FieldId: a field of a JDK class, or null (with the exception cleared).
jfieldID FieldId(JNIEnv* env, jclass klass, const char* name,
                 const char* signature) {
  if (klass == nullptr) return nullptr;
  jfieldID id = env->GetFieldID(klass, name, signature);
  if (id == nullptr) env->ExceptionClear();
  return id;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ClassSourceRecorder>>
ClassSourceRecorder::Create(jvmtiEnv* jvmti, JNIEnv* env) {
  std::unique_ptr<ClassSourceRecorder> r(new ClassSourceRecorder());
  r->jvmti_ = jvmti;
  jint version = 0;
  r->has_modules_ =
      jvmti->GetVersionNumber(&version) == JVMTI_ERROR_NONE &&
      (version & JVMTI_VERSION_MASK_MAJOR) >= (9 << JVMTI_VERSION_SHIFT_MAJOR);
  jclass class_class = env->FindClass("java/lang/Class");
  jclass pd = env->FindClass("java/security/ProtectionDomain");
  jclass cs = env->FindClass("java/security/CodeSource");
  jclass url = env->FindClass("java/net/URL");
  env->ExceptionClear();
  if (class_class != nullptr) {
    r->get_protection_domain0_ =
        env->GetMethodID(class_class, "getProtectionDomain0",
                         "()Ljava/security/ProtectionDomain;");
    env->ExceptionClear();
  }
  r->pd_codesource_ =
      FieldId(env, pd, "codesource", "Ljava/security/CodeSource;");
  r->cs_location_ = FieldId(env, cs, "location", "Ljava/net/URL;");
  r->url_protocol_ = FieldId(env, url, "protocol", "Ljava/lang/String;");
  r->url_authority_ = FieldId(env, url, "authority", "Ljava/lang/String;");
  r->url_file_ = FieldId(env, url, "file", "Ljava/lang/String;");
  r->url_ref_ = FieldId(env, url, "ref", "Ljava/lang/String;");
  if (r->has_modules_) {
    jclass module = env->FindClass("java/lang/Module");
    env->ExceptionClear();
    r->module_name_ = FieldId(env, module, "name", "Ljava/lang/String;");
    r->class_module_ =
        FieldId(env, class_class, "module", "Ljava/lang/Module;");
    if (r->module_name_ == nullptr || r->class_module_ == nullptr) {
      r->has_modules_ = false;
    }
    if (module != nullptr) env->DeleteLocalRef(module);
  }
  for (jclass c : {class_class, pd, cs, url}) {
    if (c != nullptr) env->DeleteLocalRef(c);
  }
  if (r->get_protection_domain0_ == nullptr || r->pd_codesource_ == nullptr ||
      r->cs_location_ == nullptr || r->url_protocol_ == nullptr ||
      r->url_authority_ == nullptr || r->url_file_ == nullptr ||
      r->url_ref_ == nullptr) {
    return absl::UnavailableError(
        "this JDK's Class, ProtectionDomain, CodeSource or URL lack the "
        "members the agent reads; no java-classes.map");
  }
  // The main program. JVMTI has the launcher's properties; a relative
  // -jar path is relative to the JVM's working directory, which realpath
  // resolves against, and class path URLs are canonical.
  MainProgram main = MainOfCommand(JvmtiProperty(jvmti, "sun.java.command"),
                                   JvmtiProperty(jvmti, "java.class.path"));
  if (!main.main_jar.empty()) {
    char resolved[PATH_MAX];
    if (realpath(main.main_jar.c_str(), resolved) != nullptr) {
      main.main_jar = resolved;
    }
  }
  r->main_ = main.main_jar.empty() ? main.main_class : main.main_jar;
  r->sources_.SetMain(std::move(main));
  return r;
}

ClassSourceRecorder::~ClassSourceRecorder() = default;

std::string ClassSourceRecorder::StringField(JNIEnv* env, jobject object,
                                             jfieldID field) {
  auto value = static_cast<jstring>(env->GetObjectField(object, field));
  Bump(jni_calls_);
  std::string out;
  if (value == nullptr) return out;
  if (const char* chars = env->GetStringUTFChars(value, nullptr)) {
    out = chars;
    env->ReleaseStringUTFChars(value, chars);
  }
  env->DeleteLocalRef(value);
  Bump(jni_calls_, 3);
  return out;
}

// What URLStreamHandler.toExternalForm gives, from the fields it reads:
// protocol ":" ["//" authority] file ["#" ref]  (file is path ["?" query]).
std::string ClassSourceRecorder::UrlString(JNIEnv* env, jobject url) {
  std::string out = StringField(env, url, url_protocol_);
  out += ':';
  const std::string authority = StringField(env, url, url_authority_);
  if (!authority.empty()) absl::StrAppend(&out, "//", authority);
  out += StringField(env, url, url_file_);
  const std::string ref = StringField(env, url, url_ref_);
  if (!ref.empty()) absl::StrAppend(&out, "#", ref);
  return out;
}

int64_t ClassSourceRecorder::ComputeSource(JNIEnv* env, jobject object,
                                           bool boot_module) {
  Bump(cache_misses_);
  if (boot_module) {
    const std::string name = StringField(env, object, module_name_);
    if (name.empty()) {
      return sources_.SourceId(CodeSourceKind::kOther, kBootClassPath);
    }
    return sources_.SourceId(CodeSourceKind::kJdk, absl::StrCat("jrt:/", name));
  }
  jobject cs = env->GetObjectField(object, pd_codesource_);
  Bump(jni_calls_);
  if (cs == nullptr) {
    return sources_.SourceId(CodeSourceKind::kOther, kNoCodeSource);
  }
  jobject url = env->GetObjectField(cs, cs_location_);
  Bump(jni_calls_);
  env->DeleteLocalRef(cs);
  if (url == nullptr) {
    return sources_.SourceId(CodeSourceKind::kOther, kNoLocation);
  }
  const std::string location = UrlString(env, url);
  env->DeleteLocalRef(url);
  // The platform loader's modules: the runtime image, like the boot ones.
  return sources_.SourceId(absl::StartsWith(location, "jrt:")
                               ? CodeSourceKind::kJdk
                               : CodeSourceKind::kOther,
                           location);
}

int64_t ClassSourceRecorder::SourceOf(JNIEnv* env, jobject object,
                                      bool boot_module) {
  jint hash = 0;
  Bump(jvmti_calls_);
  if (jvmti_->GetObjectHashCode(object, &hash) != JVMTI_ERROR_NONE) {
    return ComputeSource(env, object, boot_module);
  }
  {
    std::lock_guard<std::mutex> lock(cache_mu_);
    if (auto it = cache_.find(hash); it != cache_.end()) {
      for (const Cached& c : it->second) {
        Bump(jni_calls_);
        if (env->IsSameObject(c.object, object)) return c.source;
      }
    }
  }
  const int64_t source = ComputeSource(env, object, boot_module);
  if (source < 0) return source;
  std::lock_guard<std::mutex> lock(cache_mu_);
  if (cached_ < kMaxCachedObjects) {
    jweak weak = env->NewWeakGlobalRef(object);
    Bump(jni_calls_);
    if (weak != nullptr) {
      cache_[hash].push_back({weak, source});
      ++cached_;
    }
  }
  return source;
}

void ClassSourceRecorder::RecordClass(JNIEnv* env, jclass klass) {
  const int64_t start = NowNs();
  Bump(prepared_);
  // JNI must not be called with an exception pending: one the thread had
  // is set aside and thrown again at the end.
  jthrowable pending = env->ExceptionOccurred();
  if (pending != nullptr) env->ExceptionClear();
  RecordClassNoException(env, klass);
  if (pending != nullptr) {
    env->Throw(pending);
    env->DeleteLocalRef(pending);
  }
  Bump(record_ns_, NowNs() - start);
}

void ClassSourceRecorder::RecordClassNoException(JNIEnv* env, jclass klass) {
  char* signature = nullptr;
  jobject loader = nullptr;
  Bump(jvmti_calls_, 2);
  if (jvmti_->GetClassSignature(klass, &signature, nullptr) !=
          JVMTI_ERROR_NONE ||
      signature == nullptr ||
      jvmti_->GetClassLoader(klass, &loader) != JVMTI_ERROR_NONE) {
    Deallocate(jvmti_, signature);
    Bump(failures_);
    return;
  }
  std::string name = JavaClassName(signature);
  // Hidden classes (lambdas) only: the check is cheaper than the copy.
  if (absl::StrContains(name, ".0x")) name = WithoutHiddenClassAddress(name);
  Deallocate(jvmti_, signature);
  int64_t source = -1;
  if (loader == nullptr) {
    Bump(boot_);
    jobject module = nullptr;
    if (!has_modules_) {
      // Before modules (JDK 8), the boot loader's classes are the JDK's.
      source = sources_.SourceId(CodeSourceKind::kJdk, "jrt:/");
    } else {
      module = env->GetObjectField(klass, class_module_);
      Bump(jni_calls_);
      if (module != nullptr) {
        source = SourceOf(env, module, /*boot_module=*/true);
        env->DeleteLocalRef(module);
      }
    }
  } else {
    Bump(jni_calls_);
    Bump(native_calls_);
    jobject pd = env->CallObjectMethod(klass, get_protection_domain0_);
    if (env->ExceptionCheck()) {
      env->ExceptionClear();
      pd = nullptr;
    } else if (pd == nullptr) {
      source = sources_.SourceId(CodeSourceKind::kOther, kNoProtectionDomain);
    }
    if (pd != nullptr) {
      source = SourceOf(env, pd, /*boot_module=*/false);
      env->DeleteLocalRef(pd);
    }
    env->DeleteLocalRef(loader);
  }
  if (source < 0 || !sources_.Add(name, source)) Bump(failures_);
}

void ClassSourceRecorder::RecordLoadedClasses(JNIEnv* env) {
  const int64_t start = NowNs();
  jint count = 0;
  jclass* classes = nullptr;
  Bump(jvmti_calls_);
  if (jvmti_->GetLoadedClasses(&count, &classes) != JVMTI_ERROR_NONE) return;
  for (jint i = 0; i < count; ++i) {
    // Arrays and primitives are loaded but never prepared.
    jint status = 0;
    Bump(jvmti_calls_);
    if (jvmti_->GetClassStatus(classes[i], &status) == JVMTI_ERROR_NONE &&
        (status & JVMTI_CLASS_STATUS_PREPARED) != 0 &&
        (status & (JVMTI_CLASS_STATUS_ARRAY | JVMTI_CLASS_STATUS_PRIMITIVE)) ==
            0) {
      RecordClass(env, classes[i]);
    }
    env->DeleteLocalRef(classes[i]);
  }
  Deallocate(jvmti_, classes);
  Bump(sweep_classes_, count);
  Bump(sweep_ns_, NowNs() - start);
}

absl::Status ClassSourceRecorder::WriteMap(const std::string& path) {
  std::lock_guard<std::mutex> lock(write_mu_);
  const uint64_t generation = sources_.generation();
  // A standby agent writes to a new directory each session.
  if (path == written_path_ && generation == written_generation_) {
    return absl::OkStatus();
  }
  absl::Status st = WriteFileAtomically(path, sources_.MapText());
  if (st.ok()) {
    written_path_ = path;
    written_generation_ = generation;
  }
  return st;
}

ClassSourceStats ClassSourceRecorder::Stats() const {
  ClassSourceStats st;
  st.sources = sources_.stats();
  auto get = [](const std::atomic<int64_t>& c) {
    return c.load(std::memory_order_relaxed);
  };
  st.prepared = get(prepared_);
  st.boot = get(boot_);
  st.jvmti_calls = get(jvmti_calls_);
  st.jni_calls = get(jni_calls_);
  st.native_calls = get(native_calls_);
  st.cache_misses = get(cache_misses_);
  st.failures = get(failures_);
  st.record_ns = get(record_ns_);
  st.sweep_ns = get(sweep_ns_);
  st.sweep_classes = get(sweep_classes_);
  st.main = main_;
  return st;
}

}  // namespace jleak::agent
