// File: make_synthetic_profiles.cc
//
// make_synthetic_profiles: writes a directory of synthetic jemalloc heap
// profiles (synthetic_profile.h) as a production collection would leave
// them: jeprof.<pid>.<seq>.i<seq>.heap, their modification times
// `--interval` seconds apart, and planted.txt naming the functions where
// the leak was planted (one per line), for `jleak analyze` to find.
//
//   bazel run -c opt //profile:make_synthetic_profiles -- --out /tmp/syn
//     --stacks 10000 --snapshots 1000
//     --module /usr/lib/jvm/java-17-openjdk-amd64/lib/server/libjvm.so
//   (one command line)
//   jleak analyze /tmp/syn     # must name the function in planted.txt
//
// Without --module the functions are made up (their module does not
// exist: frames show as libsynthetic.so+0x...). Snapshots are written on
// --jobs threads; the output is the same whatever their number.

#include <sys/stat.h>
#include <utime.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "profile/synthetic_profile.h"

namespace {

// WriteFile writes `text` to `path` whole, or returns false.
bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(text.data(), static_cast<std::streamsize>(text.size()));
  f.close();
  return static_cast<bool>(f);
}

}  // namespace

int main(int argc, char** argv) {
  jleak::SyntheticOptions o;
  std::string out, module_path;
  int functions = 4000;
  double interval = 300;
  int jobs =
      static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  CLI::App app{
      "Write a series of synthetic jemalloc heap profiles with a "
      "planted leak (see profile/synthetic_profile.h)."};
  app.add_option("--out", out, "Directory to write (created)")->required();
  app.add_option("--stacks", o.stacks, "Distinct stacks per profile")
      ->check(CLI::Range(1, 10000000));
  app.add_option("--snapshots", o.snapshots, "Profiles in the series")
      ->check(CLI::Range(1, 1000000));
  app.add_option("--min-depth", o.min_depth, "Fewest frames per stack")
      ->check(CLI::Range(6, 500));
  app.add_option("--max-depth", o.max_depth, "Most frames per stack")
      ->check(CLI::Range(6, 500));
  app.add_option("--planted", o.planted, "Leaking stacks")
      ->check(CLI::Range(0, 1000));
  app.add_option("--seed", o.seed, "Random seed");
  app.add_option("--module", module_path,
                 "A real ELF file whose functions make the stacks (e.g. "
                 "libjvm.so); default: made-up functions");
  app.add_option("--functions", functions, "Functions to build stacks of")
      ->check(CLI::Range(8, 10000000));
  app.add_option("--interval", interval,
                 "Seconds between snapshots (file modification times)");
  app.add_option("--jobs", jobs, "Threads writing snapshots")
      ->check(CLI::Range(1, 256));
  CLI11_PARSE(app, argc, argv);
  if (o.max_depth < o.min_depth) o.max_depth = o.min_depth;

  jleak::SyntheticModule module;
  if (module_path.empty()) {
    module = jleak::MadeUpModule(functions);
  } else {
    absl::StatusOr<jleak::SyntheticModule> m =
        jleak::ElfModule(module_path, functions);
    if (!m.ok()) {
      std::cerr << "make_synthetic_profiles: " << m.status().message() << "\n";
      return 2;
    }
    module = *std::move(m);
  }
  mkdir(out.c_str(), 0755);
  const jleak::SyntheticSeries series(o, std::move(module));
  std::string planted;
  for (const std::string& f : series.planted_functions()) {
    absl::StrAppend(&planted, f, "\n");
  }
  if (!WriteFile(out + "/planted.txt", planted)) {
    std::cerr << "make_synthetic_profiles: cannot write to " << out << "\n";
    return 2;
  }

  // Modification times a fixed interval apart, ending now.
  const time_t t0 = time(nullptr) - static_cast<time_t>(interval * o.snapshots);
  std::atomic<int> next{0};
  std::atomic<bool> failed{false};
  auto worker = [&] {
    for (int i = next++; i < o.snapshots && !failed; i = next++) {
      const std::string path =
          absl::StrCat(out, "/jeprof.4242.", i, ".i", i, ".heap");
      if (!WriteFile(path, series.SnapshotText(i))) {
        failed = true;
        return;
      }
      const time_t t = t0 + static_cast<time_t>(interval * i);
      struct utimbuf times = {t, t};
      utime(path.c_str(), &times);
    }
  };
  std::vector<std::thread> threads;
  for (int j = 0; j < jobs; ++j) threads.emplace_back(worker);
  for (std::thread& t : threads) t.join();
  if (failed) {
    std::cerr << "make_synthetic_profiles: cannot write to " << out << "\n";
    return 2;
  }
  std::cout << o.snapshots << " profiles of " << o.stacks << " stacks in "
            << out << "; planted at: " << planted;
  return 0;
}
