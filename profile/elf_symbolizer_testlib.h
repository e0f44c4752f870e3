// File: elf_symbolizer_testlib.h
//
// A small shared library with known functions, built by Bazel and loaded
// with dlopen by elf_symbolizer_test.cc, so that the symbolizer is tested
// on a real ELF object with real DWARF, mapped by the real loader.
//
// The line numbers below are checked against the source by static_asserts
// in elf_symbolizer_testlib.cc, so the test and the library cannot drift.

#ifndef JLEAK_PROFILE_ELF_SYMBOLIZER_TESTLIB_H_
#define JLEAK_PROFILE_ELF_SYMBOLIZER_TESTLIB_H_

namespace jleak_testlib {

// The line of LeafFunction's first statement: where its -O2 code starts
// (binutils' addr2line agrees).
inline constexpr int kLeafEntryLine = 41;
// The line, inside the always-inlined InlinedHelper, of its call to
// LeafFunction.
inline constexpr int kHelperCallLine = 58;
// The line, inside CallsInlined, where InlinedHelper is called (inlined).
inline constexpr int kInlineSiteLine = 64;

}  // namespace jleak_testlib

// What the test needs from the library, looked up with dlsym by this name.
struct JleakTestlibApi {
  // jleak_testlib::LeafFunction(int): not inlined, in a namespace.
  int (*leaf_function)(int);
  // jleak_testlib::CallsInlined(int): calls InlinedHelper, which is inlined
  // and calls LeafFunction.
  int (*calls_inlined)(int);
  // A function with internal linkage: only in .symtab, not .dynsym.
  int (*static_function)(int);
  // The return address LeafFunction saw on its last call.
  void* (*last_return_address)();
};

extern "C" const JleakTestlibApi* jleak_testlib_api();

#endif  // JLEAK_PROFILE_ELF_SYMBOLIZER_TESTLIB_H_
