// File: launch_env.cc
//
// Command line and environment of the workload (see launch_env.h).

#include "harness/run/launch_env.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "agent/agent_options.h"

namespace jleak {
namespace {

// Env is an ordered NAME -> value view of an environ vector.
class Env {
 public:
  explicit Env(const std::vector<std::string>& environ) {
    for (const std::string& e : environ) {
      size_t eq = e.find('=');
      if (eq == std::string::npos) continue;
      Set(e.substr(0, eq), e.substr(eq + 1));
    }
  }
  const std::string* Get(const std::string& name) const {
    for (const auto& [k, v] : vars_) {
      if (k == name) return &v;
    }
    return nullptr;
  }
  std::string GetOr(const std::string& name) const {
    const std::string* v = Get(name);
    return v ? *v : "";
  }
  void Set(const std::string& name, const std::string& value) {
    for (auto& [k, v] : vars_) {
      if (k == name) {
        v = value;
        return;
      }
    }
    vars_.emplace_back(name, value);
  }
  void Unset(const std::string& name) {
    vars_.erase(
        std::remove_if(vars_.begin(), vars_.end(),
                       [&](const auto& kv) { return kv.first == name; }),
        vars_.end());
  }
  std::vector<std::string> ToEnviron() const {
    std::vector<std::string> out;
    for (const auto& [k, v] : vars_) out.push_back(k + "=" + v);
    return out;
  }

 private:
  std::vector<std::pair<std::string, std::string>> vars_;
};

}  // namespace

double DefaultIntervalSeconds(double duration_s) {
  if (duration_s <= 0) return kDefaultIntervalSeconds;
  return std::clamp(duration_s / 30, 2.0, kDefaultIntervalSeconds);
}

int LgSampleForBytes(int64_t bytes) {
  if (bytes <= 1) return 0;
  int lg = static_cast<int>(std::lround(std::log2(static_cast<double>(bytes))));
  return std::clamp(lg, 0, 40);
}

std::string PrependPreload(absl::string_view existing,
                           absl::string_view first) {
  std::vector<std::string> parts = {std::string(first)};
  // ld.so accepts ':' and ' ' as separators.
  for (absl::string_view p :
       absl::StrSplit(existing, absl::ByAnyChar(": "), absl::SkipEmpty())) {
    if (p != first) parts.emplace_back(p);
  }
  return absl::StrJoin(parts, ":");
}

std::string ComposeMallocConf(absl::string_view existing,
                              absl::string_view prof_prefix,
                              int lg_prof_sample) {
  std::string ours =
      absl::StrCat("prof:true,prof_active:true,lg_prof_sample:", lg_prof_sample,
                   ",prof_prefix:", prof_prefix);
  if (existing.empty()) return ours;
  return absl::StrCat(existing, ",", ours);
}

bool IsJavaLauncher(absl::string_view argv0) {
  size_t slash = argv0.rfind('/');
  absl::string_view base =
      slash == absl::string_view::npos ? argv0 : argv0.substr(slash + 1);
  return base == "java";
}

absl::StatusOr<LaunchPlan> BuildLaunchPlan(
    const LaunchSettings& s, const std::vector<std::string>& environ) {
  if (s.command.empty()) {
    return absl::InvalidArgumentError("no command given after `--`");
  }
  if (absl::StrContains(s.out_dir, ",") || absl::StrContains(s.out_dir, ":")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "output directory '", s.out_dir,
        "' contains ',' or ':', which MALLOC_CONF and the agent options "
        "cannot carry; choose another --out"));
  }
  LaunchPlan plan;
  if (s.mode == "auto") {
    plan.mode = IsJavaLauncher(s.command[0]) ? "jvm" : "native";
  } else if (s.mode == "jvm" || s.mode == "native") {
    plan.mode = s.mode;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("--mode must be auto, jvm or native, not '", s.mode, "'"));
  }
  plan.lg_prof_sample = LgSampleForBytes(s.sample_bytes);
  const bool sampling = s.engine == "sampling";
  if (!sampling && s.engine != "jemalloc") {
    return absl::InvalidArgumentError(absl::StrCat(
        "--engine must be jemalloc or sampling, not '", s.engine, "'"));
  }
  if (sampling && plan.mode != "jvm") {
    return absl::InvalidArgumentError(
        "--engine sampling needs a JVM (the agent's sampling engine starts "
        "in Agent_OnLoad); native programs run under jemalloc");
  }

  agent::AgentOptions agent;
  agent.out_dir = s.out_dir;
  agent.interval_seconds = s.interval_s;
  agent.force_gc = s.force_gc;
  agent.nmt = s.nmt && plan.mode == "jvm";
  agent.java_stacks = s.java_stacks;
  agent.sampling_engine = sampling;
  agent.lg_sample = plan.lg_prof_sample;
  plan.agent_options = agent::FormatAgentOptions(agent);

  Env env(environ);
  std::vector<std::pair<std::string, std::string>>& changes = plan.env_changes;
  auto set = [&](const std::string& name, const std::string& value) {
    env.Set(name, value);
    changes.emplace_back(name, value);
  };
  std::string preload =
      PrependPreload(env.GetOr("LD_PRELOAD"), s.jemalloc_path);
  plan.argv = s.command;
  if (plan.mode == "native") {
    // jemalloc first so it is the malloc everyone binds to; the agent
    // after it.
    preload = PrependPreload(
        PrependPreload(env.GetOr("LD_PRELOAD"), s.agent_path), s.jemalloc_path);
    set("JLEAK_AGENT_OPTIONS", plan.agent_options);
    plan.injection = "LD_PRELOAD";
  } else {
    plan.injected_jvm_flags.push_back(
        absl::StrCat("-agentpath:", s.agent_path, "=", plan.agent_options));
    if (s.nmt) {
      plan.injected_jvm_flags.push_back("-XX:NativeMemoryTracking=summary");
    }
    if (IsJavaLauncher(s.command[0])) {
      plan.argv.insert(plan.argv.begin() + 1, plan.injected_jvm_flags.begin(),
                       plan.injected_jvm_flags.end());
      plan.injection = "argv";
    } else {
      // The launcher splits JDK_JAVA_OPTIONS on white space.
      if (absl::StrContains(s.agent_path, " ") ||
          absl::StrContains(s.out_dir, " ")) {
        return absl::InvalidArgumentError(
            "with --mode=jvm on a command that is not `java`, the agent and "
            "output paths must not contain spaces (JDK_JAVA_OPTIONS)");
      }
      std::string opts = env.GetOr("JDK_JAVA_OPTIONS");
      for (const std::string& f : plan.injected_jvm_flags) {
        opts = opts.empty() ? f : opts + " " + f;
      }
      set("JDK_JAVA_OPTIONS", opts);
      plan.injection = "JDK_JAVA_OPTIONS";
    }
    // An inherited value would start the native agent inside the JVM too.
    env.Unset("JLEAK_AGENT_OPTIONS");
  }
  if (sampling) {
    // The JVM as users run it: its own malloc, no jemalloc settings.
    plan.envp = env.ToEnviron();
    return plan;
  }
  set("LD_PRELOAD", preload);
  set("MALLOC_CONF",
      ComposeMallocConf(env.GetOr("MALLOC_CONF"), s.out_dir + "/jeprof",
                        plan.lg_prof_sample));
  plan.envp = env.ToEnviron();
  return plan;
}

}  // namespace jleak
