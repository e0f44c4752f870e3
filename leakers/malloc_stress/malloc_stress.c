// File: malloc_stress.c - the native half of MallocStress, the sampling
// engine's stress workload.
//
// Each Java thread owns a Pool (create): kPoolSlots blocks that live across
// calls, so blocks allocated before an attach are freed during it, and
// blocks sampled during an attach are freed after the detach. Each
// operation (churn) picks a slot: an empty slot gets a block from one of
// malloc, calloc, realloc(NULL, n), posix_memalign, aligned_alloc,
// memalign or reallocarray(NULL, ...); a full one is checked (its fill
// pattern intact) and then freed, resized with realloc (the common prefix
// checked, the rest filled) or, rarely, freed by realloc(p, 0). A new
// block is checked too: calloc's zeroed, the aligned calls' alignment.
// Every check that fails counts an error; a lost or doubled free would
// abort in glibc. Sizes are prime-ish mixes of small (16 B-4 KiB), medium
// (to 256 KiB) and a few large (1-2 MiB, mmap'd) blocks.
#define _GNU_SOURCE
#include <jni.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { kPoolSlots = 64 };

struct Block {
  unsigned char* p;
  size_t size;
  unsigned char pattern;
};

struct Pool {
  struct Block slots[kPoolSlots];
  uint64_t rng;
  int64_t calls[8];  // by Kind
  int64_t frees;
  int64_t errors;
};

enum Kind {
  kMalloc,
  kCalloc,
  kReallocNull,
  kPosixMemalign,
  kAlignedAlloc,
  kMemalign,
  kReallocArray,
  kRealloc,
};

static uint64_t Next(struct Pool* pool) {  // xorshift64*
  uint64_t x = pool->rng;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  pool->rng = x;
  return x * 0x2545F4914F6CDD1DULL;
}

static size_t PickSize(struct Pool* pool) {
  const uint64_t r = Next(pool);
  switch (r % 64) {
    case 0:
      return 1048573 + (size_t)(r >> 32) % 1048576;  // large: mmap'd
    case 1:
    case 2:
    case 3:
    case 4:
    case 5:
    case 6:
    case 7:
      return 4099 + (size_t)(r >> 32) % 258049;  // medium
    default:
      return 16 + (size_t)(r >> 32) % 4081;  // small
  }
}

// The bytes a block's pattern is checked at: all of a small block, every
// 509th of a large one (and its last).
static size_t Step(size_t size) { return size <= 8192 ? 1 : 509; }

static void Fill(unsigned char* p, size_t from, size_t size, unsigned char v) {
  for (size_t i = from; i < size; i += Step(size)) p[i] = v;
  if (size > from) p[size - 1] = v;
}

static int Intact(const unsigned char* p, size_t size, unsigned char v) {
  for (size_t i = 0; i < size; i += Step(size)) {
    if (p[i] != v) return 0;
  }
  return size == 0 || p[size - 1] == v;
}

static void Allocate(struct Pool* pool, struct Block* b) {
  const size_t size = PickSize(pool);
  const size_t alignment = (size_t)64 << (Next(pool) % 7);  // 64 B-4 KiB
  const enum Kind kind = (enum Kind)(Next(pool) % 7);
  unsigned char* p = NULL;
  switch (kind) {
    case kMalloc:
      p = malloc(size);
      break;
    case kCalloc:
      p = calloc(1, size);
      if (p != NULL && !Intact(p, size, 0)) ++pool->errors;
      break;
    case kReallocNull:
      p = realloc(NULL, size);
      break;
    case kPosixMemalign: {
      void* q = NULL;
      if (posix_memalign(&q, alignment, size) == 0) p = q;
      break;
    }
    case kAlignedAlloc:
      p = aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment);
      break;
    case kMemalign:
      p = memalign(alignment, size);
      break;
    default:
      p = reallocarray(NULL, size / 8 + 1, 8);
      break;
  }
  if (p == NULL) {
    ++pool->errors;
    return;
  }
  if ((kind == kPosixMemalign || kind == kAlignedAlloc || kind == kMemalign) &&
      (uintptr_t)p % alignment != 0) {
    ++pool->errors;
  }
  if (kind == kReallocArray) {
    b->size = (size / 8 + 1) * 8;
  } else if (kind == kAlignedAlloc) {
    b->size = (size + alignment - 1) / alignment * alignment;
  } else {
    b->size = size;
  }
  ++pool->calls[kind];
  b->p = p;
  b->pattern = (unsigned char)(Next(pool) | 1);
  Fill(p, 0, b->size, b->pattern);
}

static void Release(struct Pool* pool, struct Block* b) {
  if (!Intact(b->p, b->size, b->pattern)) ++pool->errors;
  const uint64_t r = Next(pool) % 16;
  if (r < 9) {
    free(b->p);
    ++pool->frees;
    b->p = NULL;
  } else if (r < 15) {
    const size_t size = PickSize(pool);
    unsigned char* q = realloc(b->p, size);
    ++pool->calls[kRealloc];
    if (q == NULL) {  // the old block is still ours
      ++pool->errors;
      return;
    }
    const size_t kept = size < b->size ? size : b->size;
    // The common prefix moved intact; checked at the new block's steps.
    for (size_t i = 0; i < kept; i += Step(b->size)) {
      if (q[i] != b->pattern) {
        ++pool->errors;
        break;
      }
    }
    b->p = q;
    b->size = size;
    b->pattern = (unsigned char)(Next(pool) | 1);
    Fill(q, 0, size, b->pattern);
  } else {
    // glibc: realloc(p, 0) frees p and returns NULL.
    void* q = realloc(b->p, 0);
    ++pool->calls[kRealloc];
    ++pool->frees;
    if (q != NULL) free(q);
    b->p = NULL;
  }
}

JNIEXPORT jlong JNICALL Java_jleak_leakers_MallocStress_create(JNIEnv* env,
                                                               jclass cls,
                                                               jlong seed) {
  struct Pool* pool = calloc(1, sizeof(struct Pool));
  if (pool == NULL) return 0;
  pool->rng = (uint64_t)seed * 0x9E3779B97F4A7C15ULL | 1;
  return (jlong)(uintptr_t)pool;
}

// churn runs `ops` operations on the pool; returns the errors so far.
JNIEXPORT jlong JNICALL Java_jleak_leakers_MallocStress_churn(JNIEnv* env,
                                                              jclass cls,
                                                              jlong handle,
                                                              jint ops) {
  struct Pool* pool = (struct Pool*)(uintptr_t)handle;
  if (pool == NULL || ops < 0) {
    jclass e = (*env)->FindClass(env, "java/lang/IllegalArgumentException");
    if (e != NULL) (*env)->ThrowNew(env, e, "MallocStress.churn: bad pool or ops");
    return -1;
  }
  for (jint i = 0; i < ops; ++i) {
    struct Block* b = &pool->slots[Next(pool) % kPoolSlots];
    if (b->p == NULL) {
      Allocate(pool, b);
    } else {
      Release(pool, b);
    }
  }
  return pool->errors;
}

// destroy checks and frees every block and the pool; fills `counts` with
// {malloc, calloc, realloc(NULL), posix_memalign, aligned_alloc, memalign,
// reallocarray, realloc, frees, errors}.
JNIEXPORT void JNICALL Java_jleak_leakers_MallocStress_destroy(
    JNIEnv* env, jclass cls, jlong handle, jlongArray counts) {
  struct Pool* pool = (struct Pool*)(uintptr_t)handle;
  if (pool == NULL) return;
  for (int i = 0; i < kPoolSlots; ++i) {
    struct Block* b = &pool->slots[i];
    if (b->p == NULL) continue;
    if (!Intact(b->p, b->size, b->pattern)) ++pool->errors;
    free(b->p);
    ++pool->frees;
  }
  jlong out[10];
  for (int i = 0; i < 8; ++i) out[i] = pool->calls[i];
  out[8] = pool->frees;
  out[9] = pool->errors;
  free(pool);
  if ((*env)->GetArrayLength(env, counts) >= 10) {
    (*env)->SetLongArrayRegion(env, counts, 0, 10, out);
  }
}
