// File: std_containers.cc - the native half of StdContainers.
//
// Three C++ call paths, each allocating through the standard library, one
// per Java native method:
//
//   Java_jleak_leakers_StdContainers_insert
//     -> jleak::leakers::stdc::LeakyCache::Insert    (std::vector<char> growth)
//        or jleak::leakers::stdc::BoundedCache::Insert (the control)
//   Java_jleak_leakers_StdContainers_append
//     -> jleak::leakers::stdc::Journal::Append       (std::string building)
//   Java_jleak_leakers_StdContainers_register
//     -> jleak::leakers::stdc::Registry::Register    (std::make_shared<Blob>)
//
// LeakyCache keeps every record forever: the leak. BoundedCache, Journal and
// Registry keep the last `keep` objects and free the older ones: healthy,
// flat after `keep` calls. The allocations are made in the user functions
// themselves (through std:: frames only), so each function is the first
// frame of the program's own code above its allocations. Every object is
// reachable from g_state, so the compiler cannot drop the allocations.
//
// Sizes (jemalloc size classes differ, so each path can be told apart in a
// profile): records 65,521 bytes by default (64 KiB class), journal entries
// 57,331 characters + NUL (56 KiB class), make_shared<Blob> blocks of
// 16 + 49,136 bytes (48 KiB class).
//
// Called from one Java thread; not thread-safe.
#include <jni.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

namespace jleak::leakers::stdc {

using Record = std::vector<char>;

// LeakyCache: appends every record to records_ and never drops one.
class LeakyCache {
 public:
  // Insert builds a record of `bytes` bytes by growing an empty vector,
  // keeps it, and returns its last byte.
  __attribute__((noinline)) int Insert(size_t bytes, char fill) {
    Record record;
    record.insert(record.end(), bytes, fill);  // one allocation of `bytes`
    records_.push_back(std::move(record));
    return records_.back().back();
  }
  size_t held() const { return records_.size(); }

 private:
  std::vector<Record> records_;  // never shrinks: this is the leak
};

// BoundedCache: LeakyCache's healthy twin; keeps the last `capacity` records.
class BoundedCache {
 public:
  explicit BoundedCache(size_t capacity) : records_(capacity) {}

  // Insert builds a record as LeakyCache::Insert does and puts it in place
  // of the oldest one, which is freed.
  __attribute__((noinline)) int Insert(size_t bytes, char fill) {
    Record record;
    record.insert(record.end(), bytes, fill);
    Record& slot = records_[inserted_++ % records_.size()];
    slot = std::move(record);
    return slot.back();
  }
  size_t held() const {
    return inserted_ < records_.size() ? inserted_ : records_.size();
  }

 private:
  std::vector<Record> records_;
  size_t inserted_ = 0;
};

// Journal: text entries of kEntryBytes characters, the last `keep` kept.
class Journal {
 public:
  static constexpr size_t kEntryBytes = 57'331;

  explicit Journal(size_t keep) : entries_(keep) {}

  // Append builds an entry "entry <seq>: jjj..." and puts it in place of
  // the oldest one. Returns its last character.
  __attribute__((noinline)) int Append(uint64_t seq) {
    char header[32];
    std::snprintf(header, sizeof header, "entry %llu: ",
                  static_cast<unsigned long long>(seq));
    std::string entry;
    entry.reserve(kEntryBytes);  // one allocation of kEntryBytes + 1
    entry.append(header);
    entry.append(kEntryBytes - entry.size(), 'j');
    std::string& slot = entries_[appended_++ % entries_.size()];
    slot = std::move(entry);
    return slot.back();
  }
  size_t held() const {
    return appended_ < entries_.size() ? appended_ : entries_.size();
  }

 private:
  std::vector<std::string> entries_;
  size_t appended_ = 0;
};

// Blob: a fixed-size object shared through std::shared_ptr.
struct Blob {
  static constexpr size_t kDataBytes = 49'123;  // prime

  explicit Blob(uint64_t blob_id) : id(blob_id) {
    std::memset(data, static_cast<int>(blob_id & 0x7f), sizeof data);
  }
  uint64_t id;
  unsigned char data[kDataBytes];
};
static_assert(sizeof(Blob) == 49'136, "StdContainers.BLOB_BYTES");

// Registry: blobs by registration order, the last `keep` kept.
class Registry {
 public:
  explicit Registry(size_t keep) : blobs_(keep) {}

  // Register makes a Blob with std::make_shared (one block: control block
  // and Blob) and drops the oldest. Returns the blob's last byte.
  __attribute__((noinline)) int Register(uint64_t id) {
    std::shared_ptr<Blob> blob = std::make_shared<Blob>(id);
    const int last = blob->data[Blob::kDataBytes - 1];
    blobs_[registered_++ % blobs_.size()] = std::move(blob);
    return last;
  }
  size_t held() const {
    return registered_ < blobs_.size() ? registered_ : blobs_.size();
  }

 private:
  std::vector<std::shared_ptr<Blob>> blobs_;
  size_t registered_ = 0;
};

// Everything the library holds; created by init, never deleted.
struct State {
  State(bool leak_records, size_t keep)
      : leak(leak_records), bounded(keep), journal(keep), registry(keep) {}

  bool leak;  // insert goes to `leaky` (the leak) or `bounded`
  LeakyCache leaky;
  BoundedCache bounded;
  Journal journal;
  Registry registry;
};

State* g_state = nullptr;

}  // namespace jleak::leakers::stdc

namespace {

using jleak::leakers::stdc::g_state;

constexpr jint kMaxKeep = 1 << 16;
constexpr jint kMaxRecordBytes = 1 << 28;

void Throw(JNIEnv* env, const char* class_name, const char* message) {
  jclass cls = env->FindClass(class_name);
  if (cls != nullptr) env->ThrowNew(cls, message);
}

// Ready: whether init ran; throws IllegalStateException if not.
bool Ready(JNIEnv* env, const char* method) {
  if (g_state != nullptr) return true;
  std::string message = std::string("StdContainers.") + method +
                        ": init was not called";
  Throw(env, "java/lang/IllegalStateException", message.c_str());
  return false;
}

// Call runs f, turning the standard library's exceptions into Java's.
template <typename F>
jint Call(JNIEnv* env, const char* method, F f) {
  try {
    return f();
  } catch (const std::bad_alloc&) {
    std::string message = std::string("StdContainers.") + method +
                          ": out of memory";
    Throw(env, "java/lang/OutOfMemoryError", message.c_str());
  } catch (const std::exception& e) {
    std::string message =
        std::string("StdContainers.") + method + ": " + e.what();
    Throw(env, "java/lang/IllegalStateException", message.c_str());
  }
  return -1;
}

}  // namespace

// Sets up the containers: with leak, insert keeps every record; journal,
// registry and (without leak) the record cache keep the last `keep`.
// Throws IllegalArgumentException for keep outside [1, 65536],
// IllegalStateException when called twice.
extern "C" JNIEXPORT void JNICALL Java_jleak_leakers_StdContainers_init(
    JNIEnv* env, jclass cls, jboolean leak, jint keep) {
  if (keep < 1 || keep > kMaxKeep) {
    Throw(env, "java/lang/IllegalArgumentException",
          "StdContainers.init: keep must be in [1, 65536]");
    return;
  }
  if (g_state != nullptr) {
    Throw(env, "java/lang/IllegalStateException",
          "StdContainers.init: called twice");
    return;
  }
  Call(env, "init", [&] {
    g_state = new jleak::leakers::stdc::State(leak == JNI_TRUE,
                                              static_cast<size_t>(keep));
    return 0;
  });
}

// Inserts one record of `bytes` bytes (LeakyCache or BoundedCache). Throws
// IllegalArgumentException for bytes outside [1, 2^28].
extern "C" JNIEXPORT jint JNICALL Java_jleak_leakers_StdContainers_insert(
    JNIEnv* env, jclass cls, jint bytes) {
  if (bytes < 1 || bytes > kMaxRecordBytes) {
    Throw(env, "java/lang/IllegalArgumentException",
          "StdContainers.insert: bytes must be in [1, 2^28]");
    return -1;
  }
  if (!Ready(env, "insert")) return -1;
  return Call(env, "insert", [&] {
    const size_t n = static_cast<size_t>(bytes);
    return g_state->leak ? g_state->leaky.Insert(n, 'r')
                         : g_state->bounded.Insert(n, 'r');
  });
}

// Appends one journal entry.
extern "C" JNIEXPORT jint JNICALL Java_jleak_leakers_StdContainers_append(
    JNIEnv* env, jclass cls, jlong seq) {
  if (!Ready(env, "append")) return -1;
  return Call(env, "append", [&] {
    return g_state->journal.Append(static_cast<uint64_t>(seq));
  });
}

// Registers one blob.
extern "C" JNIEXPORT jint JNICALL Java_jleak_leakers_StdContainers_register(
    JNIEnv* env, jclass cls, jlong id) {
  if (!Ready(env, "register")) return -1;
  return Call(env, "register", [&] {
    return g_state->registry.Register(static_cast<uint64_t>(id));
  });
}

// How many objects a container holds: 0 records, 1 journal entries,
// 2 blobs; -1 for another number or before init.
extern "C" JNIEXPORT jlong JNICALL Java_jleak_leakers_StdContainers_held(
    JNIEnv* env, jclass cls, jint container) {
  if (g_state == nullptr) return -1;
  switch (container) {
    case 0:
      return static_cast<jlong>(g_state->leak ? g_state->leaky.held()
                                              : g_state->bounded.held());
    case 1:
      return static_cast<jlong>(g_state->journal.held());
    case 2:
      return static_cast<jlong>(g_state->registry.held());
    default:
      return -1;
  }
}
