// File: elf_symbolizer_testlib.cc
//
// The test library for elf_symbolizer_test.cc (see the header). Compiled
// with -O2 -g so that InlinedHelper really is inlined and described by
// DW_TAG_inlined_subroutine. Keep the line numbers in the header in sync;
// the static_asserts fail the build when they drift.

#include "profile/elf_symbolizer_testlib.h"

// GCC would otherwise clone LeafFunction for constant arguments
// (LeafFunction.constprop.0) and the test could not find it by name.
#if defined(__clang__)
#define JLEAK_TESTLIB_NOIPA __attribute__((noinline))
#else
#define JLEAK_TESTLIB_NOIPA __attribute__((noipa))
#endif

namespace jleak_testlib {
namespace {

void* g_last_return_address = nullptr;
volatile int g_sink = 0;

JLEAK_TESTLIB_NOIPA int StaticFunction(int x) {
  g_sink = x;
  return g_sink * 7;
}

}  // namespace

int LeafFunction(int x);

// Padding, so that the line numbers in the header stay easy to keep.
//
//
//
//
//
JLEAK_TESTLIB_NOIPA int LeafFunction(int x) {
  static_assert(__LINE__ + 1 == kLeafEntryLine, "update the header");
  g_last_return_address = __builtin_return_address(0);
  g_sink = x;
  return g_sink + 1;
}

// Always inlined: the call to LeafFunction below runs in CallsInlined's
// code, and only DWARF's inlined-subroutine records can say it came from
// here.
//
//
//
//
//
__attribute__((always_inline)) inline int InlinedHelper(int x) {
  const int y = x * 3;
  g_sink = y;
  static_assert(__LINE__ + 1 == kHelperCallLine, "update the header");
  return LeafFunction(g_sink) * 5;
}

JLEAK_TESTLIB_NOIPA int CallsInlined(int x) {
  g_sink = x;
  static_assert(__LINE__ + 1 == kInlineSiteLine, "update the header");
  return InlinedHelper(g_sink) + 11;
}

}  // namespace jleak_testlib

namespace {

void* LastReturnAddress() { return jleak_testlib::g_last_return_address; }

const JleakTestlibApi kApi = {
    &jleak_testlib::LeafFunction,
    &jleak_testlib::CallsInlined,
    &jleak_testlib::StaticFunction,
    &LastReturnAddress,
};

}  // namespace

extern "C" __attribute__((visibility("default"))) const JleakTestlibApi*
jleak_testlib_api() {
  return &kApi;
}
