// File: subcommand.h
//
// How a `jleak` subcommand plugs into the one binary (//harness:jleak):
// each command file defines `void AddFooCommand(CLI::App& jleak,
// int* exit_code)` that registers its options and sets a callback which
// runs the command and stores its exit code, and jleak_main.cc calls it.
//
// Exit codes are shared by every subcommand and never confuse a verdict
// with a broken harness.

#ifndef JLEAK_HARNESS_CLI_SUBCOMMAND_H_
#define JLEAK_HARNESS_CLI_SUBCOMMAND_H_

namespace jleak {

inline constexpr int kExitOk = 0;       // success; `analyze`: clean
inline constexpr int kExitLeak = 1;     // `analyze`/`run`: a leak was found
inline constexpr int kExitTrouble = 2;  // bad input, harness error,
                                        // or an inconclusive verdict

}  // namespace jleak

#endif  // JLEAK_HARNESS_CLI_SUBCOMMAND_H_
