// File: plateau_jni.c - the native half of control 2, Plateau.
//
// A fixed-capacity native cache: Java_jleak_leakers_Plateau_put replaces
// the block in one slot (free the old one, malloc a new one). Memory grows
// until every slot is filled, then stays at capacity x block size.
#include <jni.h>
#include <stdlib.h>
#include <string.h>

#define kMaxSlots (1 << 20)
#define kMaxBlockBytes (1 << 30)

static unsigned char** g_slots = NULL;
static jint g_capacity = 0;

static void Throw(JNIEnv* env, const char* class_name, const char* message) {
  jclass cls = (*env)->FindClass(env, class_name);
  if (cls != NULL) (*env)->ThrowNew(env, cls, message);
}

// Creates the cache with `capacity` empty slots. Throws
// IllegalArgumentException for capacity outside [1, 2^20],
// IllegalStateException when called twice.
JNIEXPORT void JNICALL Java_jleak_leakers_Plateau_init(JNIEnv* env, jclass cls,
                                                       jint capacity) {
  if (capacity < 1 || capacity > kMaxSlots) {
    Throw(env, "java/lang/IllegalArgumentException",
          "Plateau.init: capacity must be in [1, 2^20]");
    return;
  }
  if (g_slots != NULL) {
    Throw(env, "java/lang/IllegalStateException",
          "Plateau.init: already initialized");
    return;
  }
  g_slots = calloc((size_t)capacity, sizeof(*g_slots));
  if (g_slots == NULL) {
    Throw(env, "java/lang/OutOfMemoryError", "Plateau.init: calloc failed");
    return;
  }
  g_capacity = capacity;
}

// Stores a new block of `bytes` bytes in `slot`, freeing the block it held.
// Returns the block's last byte. Throws IllegalStateException before init,
// IllegalArgumentException for a slot outside [0, capacity) or bytes outside
// [1, 2^30], OutOfMemoryError when malloc fails.
JNIEXPORT jint JNICALL Java_jleak_leakers_Plateau_put(JNIEnv* env, jclass cls,
                                                      jint slot, jint bytes) {
  if (g_slots == NULL) {
    Throw(env, "java/lang/IllegalStateException",
          "Plateau.put: cache not initialized");
    return -1;
  }
  if (slot < 0 || slot >= g_capacity) {
    Throw(env, "java/lang/IllegalArgumentException",
          "Plateau.put: slot out of range");
    return -1;
  }
  if (bytes < 1 || bytes > kMaxBlockBytes) {
    Throw(env, "java/lang/IllegalArgumentException",
          "Plateau.put: bytes must be in [1, 2^30]");
    return -1;
  }
  unsigned char* block = malloc((size_t)bytes);
  if (block == NULL) {
    Throw(env, "java/lang/OutOfMemoryError", "Plateau.put: malloc failed");
    return -1;
  }
  memset(block, slot & 0xff, (size_t)bytes);
  free(g_slots[slot]);
  g_slots[slot] = block;
  return block[bytes - 1];
}
