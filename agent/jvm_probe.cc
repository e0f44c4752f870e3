// File: jvm_probe.cc
//
// A JVM's figures at a snapshot, over JNI and JVMTI (see jvm_probe.h).

#include "agent/jvm_probe.h"

#include <chrono>
#include <map>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "agent/nmt_summary.h"

namespace jleak::agent {
namespace {

jclass GlobalClass(JNIEnv* env, const char* name) {
  jclass local = env->FindClass(name);
  if (local == nullptr) {
    env->ExceptionClear();
    return nullptr;
  }
  auto global = static_cast<jclass>(env->NewGlobalRef(local));
  env->DeleteLocalRef(local);
  return global;
}

}  // namespace

void LookUpJavaHooks(AgentState& s, JNIEnv* env) {
  if ((s.reference_class = GlobalClass(env, "java/lang/ref/Reference"))) {
    s.wait_for_references = env->GetStaticMethodID(
        s.reference_class, "waitForReferenceProcessing", "()Z");
    env->ExceptionClear();
  }
  if ((s.runtime_class = GlobalClass(env, "java/lang/Runtime"))) {
    s.get_runtime = env->GetStaticMethodID(s.runtime_class, "getRuntime",
                                           "()Ljava/lang/Runtime;");
    s.total_memory = env->GetMethodID(s.runtime_class, "totalMemory", "()J");
    s.free_memory = env->GetMethodID(s.runtime_class, "freeMemory", "()J");
    env->ExceptionClear();
    if (!s.total_memory || !s.free_memory) s.get_runtime = nullptr;
  }
  jclass atomic = env->FindClass("java/util/concurrent/atomic/AtomicLong");
  if (atomic != nullptr) {
    s.atomic_long_get = env->GetMethodID(atomic, "get", "()J");
  }
  env->ExceptionClear();
  if (s.atomic_long_get && (s.bits_class = GlobalClass(env, "java/nio/Bits"))) {
    const char* sig = "Ljava/util/concurrent/atomic/AtomicLong;";
    s.bits_count = env->GetStaticFieldID(s.bits_class, "COUNT", sig);
    s.bits_capacity =
        env->GetStaticFieldID(s.bits_class, "TOTAL_CAPACITY", sig);
    env->ExceptionClear();
    if (!s.bits_capacity) s.bits_count = nullptr;
  }
}

JavaStats JvmProbe::CollectAfterGc(bool force_gc, int gc_wait_ms) {
  JavaStats js;
  // Local references made here are freed when the frame pops; the agent
  // thread never returns to Java, so without this they would pile up.
  if (env_->PushLocalFrame(64) != 0) {
    env_->ExceptionClear();
    return js;
  }
  const int64_t start = MonotonicNanos();
  if (force_gc) {
    const int64_t deadline = start + int64_t{gc_wait_ms} * 1000000;
    // The first GC finds unreachable DirectByteBuffers; the Reference
    // Handler then runs their Cleaners (freeing the native memory).
    // Waiting for it, then a second GC, also catches objects freed by
    // finalizers and java.lang.ref.Cleaner actions of the first round.
    js.gc_forced = s_.jvmti->ForceGarbageCollection() == JVMTI_ERROR_NONE;
    WaitForReferenceProcessing(deadline);
    if (MonotonicNanos() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (MonotonicNanos() < deadline) {
      s_.jvmti->ForceGarbageCollection();
      WaitForReferenceProcessing(deadline);
    }
    js.gc_ms = (MonotonicNanos() - start) / 1e6;
  }
  js.heap_used_bytes = HeapUsed();
  DirectBuffers(&js);
  NativeMemory(&js);
  jint count = 0;
  jthread* threads = nullptr;
  if (s_.jvmti->GetAllThreads(&count, &threads) == JVMTI_ERROR_NONE) {
    js.java_threads = count;
    s_.jvmti->Deallocate(reinterpret_cast<unsigned char*>(threads));
  }
  env_->PopLocalFrame(nullptr);
  return js;
}

void JvmProbe::Clear() {
  if (env_->ExceptionCheck()) env_->ExceptionClear();
}

// Reference.waitForReferenceProcessing() is what Bits.reserveMemory uses
// to wait for Cleaners; JNI may call it although it is private. It
// returns true while the Reference Handler still has work.
void JvmProbe::WaitForReferenceProcessing(int64_t deadline) {
  if (s_.wait_for_references == nullptr) return;
  while (MonotonicNanos() < deadline) {
    jboolean more = env_->CallStaticBooleanMethod(s_.reference_class,
                                                  s_.wait_for_references);
    if (env_->ExceptionCheck()) {
      env_->ExceptionClear();
      return;
    }
    if (!more) return;
  }
}

int64_t JvmProbe::HeapUsed() {
  if (s_.get_runtime == nullptr) return -1;
  jobject rt = env_->CallStaticObjectMethod(s_.runtime_class, s_.get_runtime);
  if (rt == nullptr) {
    Clear();
    return -1;
  }
  jlong total = env_->CallLongMethod(rt, s_.total_memory);
  jlong free = env_->CallLongMethod(rt, s_.free_memory);
  Clear();
  return total - free;
}

// java.nio.Bits counts direct buffers (the same figures as the
// BufferPoolMXBean "direct"), read without loading the management API.
void JvmProbe::DirectBuffers(JavaStats* js) {
  if (s_.bits_count == nullptr) return;
  jobject count = env_->GetStaticObjectField(s_.bits_class, s_.bits_count);
  jobject capacity =
      env_->GetStaticObjectField(s_.bits_class, s_.bits_capacity);
  Clear();
  if (count == nullptr || capacity == nullptr) return;
  js->direct_buffer_count = env_->CallLongMethod(count, s_.atomic_long_get);
  js->direct_buffer_bytes = env_->CallLongMethod(capacity, s_.atomic_long_get);
  Clear();
}

// The NMT summary, through the DiagnosticCommand MBean (what `jcmd PID
// VM.native_memory summary` prints). Only with nmt=1: the first call
// loads JMX, a few MB of heap and classes the workload did not ask for.
// At VM death it is asked only if it answered before: loading JMX on the
// exiting thread is not worth the risk.
void JvmProbe::NativeMemory(JavaStats* js) {
  if (!s_.options.nmt || s_.nmt_off) return;
  if (at_vm_death_ && !s_.nmt_answered) return;
  const std::string text = NativeMemorySummaryText();
  absl::StatusOr<std::map<std::string, int64_t>> nmt = ParseNmtSummary(text);
  if (nmt.ok()) {
    s_.nmt_answered = true;
    s_.nmt_failures = 0;
    js->nmt_committed = *std::move(nmt);
    return;
  }
  // Tracking off is final; anything else (an OutOfMemoryError while the
  // workload leaks) may pass, so give up after a few in a row.
  if (absl::IsFailedPrecondition(nmt.status()) || ++s_.nmt_failures >= 3) {
    s_.nmt_off = true;
    Say(absl::StrCat("no Native Memory Tracking figures: ",
                     text.empty() ? "the DiagnosticCommand MBean did not "
                                    "answer"
                                  : nmt.status().message()));
  }
}

// Every JNI call below is checked: with an exception pending, further
// calls are undefined, and an OutOfMemoryError is likely in a leak test.
std::string JvmProbe::NativeMemorySummaryText() {
  JNIEnv* e = env_;
  auto failed = [e](const void* result) {
    if (e->ExceptionCheck()) {
      e->ExceptionClear();
      return true;
    }
    return result == nullptr;
  };
  jclass factory = e->FindClass("java/lang/management/ManagementFactory");
  if (failed(factory)) return "";
  jclass object_name = e->FindClass("javax/management/ObjectName");
  if (failed(object_name)) return "";
  jclass server_class = e->FindClass("javax/management/MBeanServer");
  if (failed(server_class)) return "";
  jclass string_class = e->FindClass("java/lang/String");
  if (failed(string_class)) return "";
  jclass object_class = e->FindClass("java/lang/Object");
  if (failed(object_class)) return "";
  jmethodID get_server = e->GetStaticMethodID(
      factory, "getPlatformMBeanServer", "()Ljavax/management/MBeanServer;");
  if (failed(get_server)) return "";
  jmethodID name_init =
      e->GetMethodID(object_name, "<init>", "(Ljava/lang/String;)V");
  if (failed(name_init)) return "";
  jmethodID invoke = e->GetMethodID(
      server_class, "invoke",
      "(Ljavax/management/ObjectName;Ljava/lang/String;[Ljava/lang/Object;"
      "[Ljava/lang/String;)Ljava/lang/Object;");
  if (failed(invoke)) return "";
  jobject server = e->CallStaticObjectMethod(factory, get_server);
  if (failed(server)) return "";
  jstring name_text =
      e->NewStringUTF("com.sun.management:type=DiagnosticCommand");
  if (failed(name_text)) return "";
  jobject name = e->NewObject(object_name, name_init, name_text);
  if (failed(name)) return "";
  jobjectArray args = e->NewObjectArray(2, string_class, nullptr);
  if (failed(args)) return "";
  for (jsize i = 0; i < 2; ++i) {
    jstring arg = e->NewStringUTF(i == 0 ? "summary" : "scale=KB");
    if (failed(arg)) return "";
    e->SetObjectArrayElement(args, i, arg);
    if (failed(args)) return "";
  }
  jobjectArray params = e->NewObjectArray(1, object_class, args);
  if (failed(params)) return "";
  jstring type = e->NewStringUTF("[Ljava.lang.String;");
  if (failed(type)) return "";
  jobjectArray signature = e->NewObjectArray(1, string_class, type);
  if (failed(signature)) return "";
  jstring operation = e->NewStringUTF("vmNativeMemory");
  if (failed(operation)) return "";
  jobject result =
      e->CallObjectMethod(server, invoke, name, operation, params, signature);
  if (failed(result) || !e->IsInstanceOf(result, string_class)) return "";
  const char* chars =
      e->GetStringUTFChars(static_cast<jstring>(result), nullptr);
  if (failed(chars)) return "";
  std::string text = chars;
  e->ReleaseStringUTFChars(static_cast<jstring>(result), chars);
  return text;
}

}  // namespace jleak::agent
