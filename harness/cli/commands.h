// File: commands.h
//
// The registry of `jleak` subcommands: kSubcommands is the one list of
// them. `jleak --help` lists what it registers, in its order; nothing
// else enumerates them (see subcommand.h for how one plugs in).

#ifndef JLEAK_HARNESS_CLI_COMMANDS_H_
#define JLEAK_HARNESS_CLI_COMMANDS_H_

#include "CLI/CLI.hpp"

namespace jleak {

// Each registers one subcommand, its options and its callback; defined in
// the file named after it (profile_command.cc, ...; env and install in
// env_command.cc).
void AddProfileCommand(CLI::App& jleak, int* exit_code);
void AddAnalyzeCommand(CLI::App& jleak, int* exit_code);
void AddRunCommand(CLI::App& jleak, int* exit_code);
void AddCompareCommand(CLI::App& jleak, int* exit_code);
void AddAttachCommand(CLI::App& jleak, int* exit_code);
void AddSnapshotCommand(CLI::App& jleak, int* exit_code);
void AddEnvCommand(CLI::App& jleak, int* exit_code);
void AddInstallCommand(CLI::App& jleak, int* exit_code);

using AddCommandFn = void (*)(CLI::App& jleak, int* exit_code);

// kSubcommands: every subcommand, in the order `jleak --help` lists them:
// first the development loop, then production.
inline constexpr AddCommandFn kSubcommands[] = {
    AddProfileCommand, AddAnalyzeCommand,  AddRunCommand, AddCompareCommand,
    AddAttachCommand,  AddSnapshotCommand, AddEnvCommand, AddInstallCommand,
};

// AddAllCommands registers every subcommand of kSubcommands on `jleak`.
inline void AddAllCommands(CLI::App& jleak, int* exit_code) {
  for (AddCommandFn add : kSubcommands) add(jleak, exit_code);
}

}  // namespace jleak

#endif  // JLEAK_HARNESS_CLI_COMMANDS_H_
