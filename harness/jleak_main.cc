// File: jleak_main.cc
//
// `jleak`: the command line of the native-memory leak harness.
//
//   jleak --help              the subcommands, from the registry
//   jleak SUBCOMMAND --help   one's usage
//
// Each subcommand lives in its own file (see subcommand.h), registered by
// the one list of them, commands.h's kSubcommands; this file only
// dispatches and maps command-line errors to exit code 2.

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <exception>

#include "CLI/CLI.hpp"
#include "harness/cli/commands.h"
#include "harness/cli/subcommand.h"

int main(int argc, char** argv) {
  // Started with stdin, stdout or stderr closed, the next file jleak opens
  // (a pipe for the workload's output, a report) would take that number and
  // receive whatever is printed there: open /dev/null on them first.
  for (int fd = 0; fd <= 2; ++fd) {
    if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
      const int null = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
      if (null >= 0 && null != fd) {
        dup2(null, fd);
        close(null);
      }
    }
  }
  CLI::App app{
      "jleak: find native memory leaks in JVMs (and other programs) with "
      "jemalloc heap profiles.\n"
      "Exit codes: 0 ok/clean, 1 leak found, 2 bad input, harness error or "
      "inconclusive."};
  app.name("jleak");
  app.require_subcommand(1);
  app.set_version_flag("--version", "jleak 0.1.0");

  // One line per error, as every other jleak error: CLI11 would add "Run
  // with --help for more information." on a second line.
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return std::string("jleak: ") + e.what() + " (see --help)\n";
  });

  int exit_code = jleak::kExitOk;
  jleak::AddAllCommands(app, &exit_code);

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help, --version
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return jleak::kExitTrouble;
  } catch (const std::exception& e) {
    // The last resort: the commands return errors as absl::Status, but a
    // library may still throw (an allocation that fails on crafted input).
    // One line and exit 2, never abort()'s 134.
    std::fprintf(stderr, "jleak: internal error: %s\n", e.what());
    return jleak::kExitTrouble;
  }
  return exit_code;
}
