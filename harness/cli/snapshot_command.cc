// File: snapshot_command.cc
//
// `jleak snapshot PID`: one GC'd snapshot of a JVM that is already
// running, added to a folder that grows over hours or days.
//
//   jleak snapshot --out DIR PID          one GC'd snapshot, appended to DIR
//   jleak snapshot --stop --out DIR PID   a last one, and sampling off
//       The first snapshot turns sampling on and it stays on; `jleak
//       analyze DIR` at any time.
//
// The JVM is reached as `jleak attach` reaches it (attach_target.h). Every
// failure is one line on stderr and exit 2; the folder is only added to
// when the snapshot is whole.

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "agent/control_protocol.h"
#include "harness/analyze/timeline.h"
#include "harness/cli/attach_target.h"
#include "harness/cli/commands.h"
#include "harness/cli/subcommand.h"
#include "harness/io/file_io.h"
#include "harness/run/agent_client.h"
#include "harness/run/agent_json.h"
#include "harness/run/launch_env.h"
#include "harness/run/manifest.h"
#include "harness/run/run_paths.h"
#include "nlohmann/json.hpp"

namespace jleak {
namespace {

using agent::ControlAction;
using agent::ControlRequest;

// NextSeq: the sequence number the next snapshot of a folder gets.
int64_t NextSeq(const std::vector<TimelineLine>& timeline) {
  int64_t next = 0;
  for (const TimelineLine& e : timeline) {
    next = std::max(next, e.point.seq + 1);
  }
  return next;
}

int RunSnapshot(AttachSettings s, const std::vector<std::string>& argv) {
  const Command cmd("snapshot");
  if (s.out_dir.empty()) {
    return cmd.Fail(
        "--out DIR is required: the folder this collection grows "
        "in (the same one every time)");
  }
  s.out_dir = Absolute(s.out_dir);
  const std::string manifest_path = s.out_dir + "/manifest.json";
  const nlohmann::json old =
      ParseAgentJson(ReadFileToString(manifest_path).value_or("{}"))
          .value_or(nlohmann::json::object());
  // The collection's timeline so far: one that does not read (damaged or
  // planted) is not added to, as `jleak analyze` would refuse it.
  const std::string timeline_path = s.out_dir + "/timeline.jsonl";
  absl::StatusOr<std::vector<TimelineLine>> timeline = ReadTimeline(s.out_dir);
  if (!timeline.ok()) return cmd.Fail(timeline.status());
  absl::StatusOr<Connected> c = Connect(s, cmd);
  if (!c.ok()) return cmd.Fail(c.status());
  if (absl::Status st = CreateRunDir(s.out_dir, /*may_exist=*/true); !st.ok()) {
    return cmd.Fail(st);
  }
  const TargetProcess& t = c->target;
  if (old.is_object() && old.contains("target")) {
    const nlohmann::json& ot = old.at("target");
    auto number = [&ot](const char* key) -> int64_t {
      auto it = ot.find(key);
      return it != ot.end() && it->is_number_integer() ? it->get<int64_t>()
                                                       : -1;
    };
    if (!ot.is_object() || number("pid") != t.pid ||
        number("start_ticks") != static_cast<int64_t>(t.start_ticks)) {
      return cmd.Fail(absl::StrCat(
          s.out_dir,
          " holds snapshots of another process (or of an earlier run of "
          "this one); use a new --out for JVM ",
          t.pid));
    }
  }
  AgentClient& client = *c->client;
  absl::StatusOr<ControlRequest> r = client.NewRequest(
      s.stop ? ControlAction::kStop : ControlAction::kSnapshot);
  if (!r.ok()) return cmd.Fail(r.status());
  r->lg_sample = LgSampleForBytes(s.sample_bytes);
  r->force_gc = !s.no_gc;
  if (absl::Status st = client.Send(*r); !st.ok()) return cmd.Fail(st);
  absl::StatusOr<nlohmann::json> answer =
      client.WaitForAnswer(*r, /*finished=*/true, kSnapshotTimeoutS);
  if (!answer.ok()) {
    client.Cleanup(*r);
    if (absl::IsAborted(answer.status())) {
      return cmd.Fail(absl::StrCat("JVM ", s.pid, " exited"));
    }
    return cmd.Fail(answer.status());
  }
  if (absl::Status st = CheckAnswer(*answer, s.pid); !st.ok()) {
    client.Cleanup(*r);
    return cmd.Fail(st);
  }
  // The agent wrote snapshot-0.heap and one timeline line: they become
  // the folder's next snapshot.
  std::vector<std::string> lines = absl::StrSplit(
      client.ReadOutput(*r, "timeline.jsonl", 64 << 20).value_or(""), '\n',
      absl::SkipEmpty());
  if (lines.empty()) {
    client.Cleanup(*r);
    return cmd.Fail(absl::StrCat("the agent in JVM ", s.pid,
                                 " wrote no snapshot; see its stderr"));
  }
  std::optional<nlohmann::json> parsed = ParseAgentJson(lines.back());
  nlohmann::ordered_json line;
  if (parsed) line = nlohmann::ordered_json::parse(parsed->dump());
  const int64_t seq = NextSeq(*timeline);
  const std::string file = absl::StrCat("snapshot-", seq, ".heap");
  if (!parsed || !JsonFlag(*parsed, "dumped")) {
    client.Cleanup(*r);
    return cmd.Fail(absl::StrCat(
        "the snapshot could not be written in JVM ", s.pid, ": ",
        parsed ? JsonText(*parsed, "error", "?") : "unreadable timeline line"));
  }
  absl::StatusOr<std::string> heap =
      client.ReadOutput(*r, JsonText(*parsed, "file", ""), uint64_t{2} << 30);
  if (!heap.ok()) {
    client.Cleanup(*r);
    return cmd.Fail(heap.status());
  }
  if (absl::Status st = WriteFileAtomically(s.out_dir + "/" + file, *heap);
      !st.ok()) {
    client.Cleanup(*r);
    return cmd.Fail(st);
  }
  line["seq"] = seq;
  line["file"] = file;
  std::string text = ReadFileToString(timeline_path).value_or("");
  text += line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
          "\n";
  if (absl::Status st = WriteFileAtomically(timeline_path, text); !st.ok()) {
    client.Cleanup(*r);
    return cmd.Fail(st);
  }
  // The maps name every frame seen so far; the latest replaces the last.
  for (const std::string& name :
       {std::string(agent::kAgentReportName), std::string("java-frames.map"),
        absl::StrCat("perf-", t.ns_pid, ".map")}) {
    if (absl::StatusOr<std::string> f = client.ReadOutput(*r, name, 256 << 20);
        f.ok()) {
      WriteFileAtomically(s.out_dir + "/" + name, *f).IgnoreError();
    }
  }
  const std::string kind = JsonText(*parsed, "kind", "");
  nlohmann::ordered_json m;
  m["tool"] = kToolVersion;
  m["mode"] = "snapshot";
  m["jleak_argv"] = argv;
  m["settings"] = {{"command", t.cmdline},
                   {"out_dir", s.out_dir},
                   {"sample_bytes", int64_t{1} << r->lg_sample},
                   {"force_gc", !s.no_gc}};
  m["target"] = TargetJson(*c);
  m["engine"] = EngineJson(AnswerEngine(*answer));
  m["agent"] = *answer;
  m["build_ids"] = BuildIds(s.out_dir, client);
  m["state"] = kind == "final" ? "finished" : "collecting";
  if (absl::Status st = WriteJson(manifest_path, m); !st.ok()) {
    client.Cleanup(*r);
    return cmd.Fail(st);
  }
  client.Cleanup(*r);
  const int count = static_cast<int>(timeline->size()) + 1;
  if (kind == "final") {
    cmd.Say(absl::StrCat("snapshot ", seq, " (final) of JVM ", s.pid, " in ",
                         s.out_dir, "; sampling is off again. ", count,
                         " snapshot(s): `jleak analyze ", s.out_dir, "`"));
  } else {
    cmd.Say(absl::StrCat(
        "snapshot ", seq,
        kind == "baseline" ? " (baseline: sampling is on from now)" : "",
        " of JVM ", s.pid, " in ", s.out_dir, "; ", count,
        " snapshot(s) so far. Sampling stays on until `jleak snapshot --stop "
        "--out ",
        s.out_dir, " ", s.pid, "`; `jleak analyze ", s.out_dir,
        "` once there are 5 or more"));
  }
  return kExitOk;
}

}  // namespace

void AddSnapshotCommand(CLI::App& jleak, int* exit_code) {
  auto snap = std::make_shared<AttachSettings>();
  CLI::App* snapshot = jleak.add_subcommand(
      "snapshot",
      "Take one GC'd snapshot of a running JVM into a folder that grows over "
      "hours or days. The first turns sampling on, and it stays on until "
      "--stop.\n"
      "  jleak snapshot --out DIR PID\n"
      "  jleak snapshot --stop --out DIR PID\n"
      "  jleak analyze DIR\n"
      "Exit: 0 taken, 2 not (one line says why).");
  AddTargetOptions(snapshot, snap.get());
  snapshot->add_option("--out", snap->out_dir,
                       "The collection's folder (created if needed; the same "
                       "for every snapshot of one JVM)");
  snapshot->add_flag("--stop", snap->stop,
                     "Take a final snapshot and turn sampling off");
  snapshot->callback([snap, exit_code] {
    *exit_code =
        RunSnapshot(*snap, {"jleak", "snapshot", absl::StrCat(snap->pid)});
  });
}

}  // namespace jleak
