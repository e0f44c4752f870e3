// File: subcommand.h
//
// How a `jleak` subcommand plugs into the one binary (//harness:jleak):
// its file defines `void AddFooCommand(CLI::App& jleak, int* exit_code)`
// that registers exactly one subcommand, its options and a callback which
// runs the command and stores its exit code; the registry (commands.h)
// lists AddFooCommand, and jleak_main.cc registers the registry's.
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
