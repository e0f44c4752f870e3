// File: commands_test.cc
//
// The registry (commands.h) is the one list of subcommands: each entry
// registers exactly one, under a name of its own, and `jleak --help`
// lists every one it registers.

#include "harness/cli/commands.h"

#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace jleak {
namespace {

std::vector<CLI::App*> Subcommands(CLI::App& app) {
  return app.get_subcommands([](CLI::App*) { return true; });
}

TEST(RegistryTest, EachEntryRegistersExactlyOneSubcommand) {
  for (AddCommandFn add : kSubcommands) {
    CLI::App app;
    int exit_code = -1;
    add(app, &exit_code);
    ASSERT_EQ(Subcommands(app).size(), 1u);
    EXPECT_FALSE(Subcommands(app)[0]->get_description().empty())
        << Subcommands(app)[0]->get_name();
    EXPECT_EQ(exit_code, -1);  // set by the callback only, when it runs
  }
}

TEST(RegistryTest, HelpListsEverySubcommandOnceInRegistryOrder) {
  CLI::App app;
  int exit_code = 0;
  AddAllCommands(app, &exit_code);
  const std::vector<CLI::App*> commands = Subcommands(app);
  ASSERT_EQ(commands.size(), std::size(kSubcommands));
  std::set<std::string> names;
  const std::string help = app.help();
  size_t last = 0;
  for (CLI::App* c : commands) {
    EXPECT_TRUE(names.insert(c->get_name()).second) << c->get_name();
    const size_t at = help.find("  " + c->get_name() + " ");
    ASSERT_NE(at, std::string::npos) << c->get_name() << " not in\n" << help;
    EXPECT_GT(at, last) << c->get_name();
    last = at;
  }
}

}  // namespace
}  // namespace jleak
