// File: commands.h
//
// The registration functions of every `jleak` subcommand (see
// subcommand.h for the contract).

#ifndef JLEAK_HARNESS_CLI_COMMANDS_H_
#define JLEAK_HARNESS_CLI_COMMANDS_H_

#include "CLI/CLI.hpp"

namespace jleak {

void AddProfileCommand(CLI::App& jleak, int* exit_code);  // profile_command.cc
void AddAnalyzeCommand(CLI::App& jleak, int* exit_code);  // analyze_command.cc
void AddRunCommand(CLI::App& jleak, int* exit_code);      // run_command.cc
void AddCompareCommand(CLI::App& jleak, int* exit_code);  // compare_command.cc
void AddAttachCommand(CLI::App& jleak, int* exit_code);   // attach_command.cc
void AddSnapshotCommand(CLI::App& jleak,
                        int* exit_code);  // snapshot_command.cc
// env and install (env_command.cc).
void AddEnvCommand(CLI::App& jleak, int* exit_code);

// AddAllCommands registers every subcommand above on `jleak`.
inline void AddAllCommands(CLI::App& jleak, int* exit_code) {
  AddProfileCommand(jleak, exit_code);
  AddAnalyzeCommand(jleak, exit_code);
  AddRunCommand(jleak, exit_code);
  AddCompareCommand(jleak, exit_code);
  AddAttachCommand(jleak, exit_code);
  AddSnapshotCommand(jleak, exit_code);
  AddEnvCommand(jleak, exit_code);
}

}  // namespace jleak

#endif  // JLEAK_HARNESS_CLI_COMMANDS_H_
