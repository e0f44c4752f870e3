// File: confined_symbolizer.cc
//
// A Symbolizer whose ELF/DWARF reading runs in a helper confined to the
// target (see confined_symbolizer.h).

#include "harness/cli/confined_symbolizer.h"

#include <unistd.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace jleak {
namespace {

enum : uint8_t { kName = 1, kDetail = 2, kWarnings = 3 };

// One frame is three fields; a reply holds at most this many frames
// (inlining depth), each string at most this long.
constexpr size_t kMaxFrames = 256;
constexpr size_t kMaxText = 16 << 10;
constexpr uint64_t kMaxReply = 8 << 20;
// A module's first name opens and sorts its symbol table: allow for a
// large libjvm on a loaded machine.
constexpr double kAnswerTimeoutS = 60;

// Clean: printable, one line, bounded (the target chose these names).
std::string Clean(const std::string& s) { return PrintableLine(s, kMaxText); }

SymbolizedAddress Unnamed(uint64_t address) {
  SymbolizedAddress s;
  s.address = address;
  s.frames.push_back({absl::StrFormat("0x%x", address), "", 0});
  return s;
}

void Serve(int sock, ElfSymbolizer& symbolizer) {
  for (;;) {
    absl::StatusOr<BrokerMessage> req =
        ReadBrokerMessage(sock, 1 << 16, absl::InfiniteFuture());
    if (!req.ok()) return;
    BrokerMessage reply;
    if (req->tag == kWarnings) {
      reply = OkReply(symbolizer.Warnings());
    } else if (req->fields.size() == 1 &&
               (req->tag == kName || req->tag == kDetail)) {
      absl::StatusOr<uint64_t> address = DecodeU64(req->fields[0]);
      if (!address.ok()) return;
      reply = OkReply(EncodeSymbolizedAddress(
          req->tag == kName ? symbolizer.SymbolizeName(*address)
                            : symbolizer.Symbolize(*address)));
    } else {
      return;
    }
    if (!WriteBrokerMessage(sock, reply).ok()) return;
  }
}

}  // namespace

std::vector<std::string> EncodeSymbolizedAddress(const SymbolizedAddress& s) {
  std::vector<std::string> f = {s.module, EncodeU64(s.module_offset),
                                s.resolved ? "1" : "0"};
  for (const SourceFrame& frame : s.frames) {
    f.push_back(frame.function);
    f.push_back(frame.file);
    f.push_back(EncodeU64(static_cast<uint64_t>(std::max(frame.line, 0))));
  }
  return f;
}

absl::StatusOr<SymbolizedAddress> DecodeSymbolizedAddress(
    uint64_t address, const std::vector<std::string>& f) {
  if (f.size() < 6 || (f.size() - 3) % 3 != 0 ||
      (f.size() - 3) / 3 > kMaxFrames) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed symbolizer answer (", f.size(), " fields)"));
  }
  SymbolizedAddress s;
  s.address = address;
  s.module = Clean(f[0]);
  absl::StatusOr<uint64_t> offset = DecodeU64(f[1]);
  if (!offset.ok()) return offset.status();
  s.module_offset = *offset;
  s.resolved = f[2] == "1";
  for (size_t i = 3; i < f.size(); i += 3) {
    absl::StatusOr<uint64_t> line = DecodeU64(f[i + 2]);
    if (!line.ok()) return line.status();
    SourceFrame frame;
    frame.function = Clean(f[i]);
    frame.file = Clean(f[i + 1]);
    frame.line = static_cast<int>(std::min<uint64_t>(*line, 1 << 30));
    if (frame.function.empty()) frame.function = "?";
    s.frames.push_back(std::move(frame));
  }
  return s;
}

absl::StatusOr<std::unique_ptr<ConfinedSymbolizer>> ConfinedSymbolizer::Start(
    const TargetHandles& target, std::vector<Mapping> mappings,
    ElfSymbolizerOptions options) {
  options.sysroot.clear();
  options.allow_debuginfod = false;
  // Made here, as jleak: the perf maps it reads are jleak's copies in the
  // run directory. The libraries are opened lazily, in the helper, after
  // it has become the target's user.
  auto symbolizer =
      std::make_unique<ElfSymbolizer>(std::move(mappings), std::move(options));
  ElfSymbolizer* inherited = symbolizer.get();
  absl::StatusOr<Helper> helper =
      StartHelper(target, [inherited](int sock, int root) {
        close(root);
        Serve(sock, *inherited);
      });
  if (!helper.ok()) return helper.status();
  std::unique_ptr<ConfinedSymbolizer> s(new ConfinedSymbolizer(*helper));
  if (absl::Status st = AwaitHelperReady(s->helper_); !st.ok()) {
    return absl::Status(
        st.code(),
        absl::StrCat("cannot read the target's libraries as its user: ",
                     st.message()));
  }
  return s;
}

ConfinedSymbolizer::~ConfinedSymbolizer() { StopHelper(&helper_); }

absl::StatusOr<std::unique_ptr<Symbolizer>> MakeAnalysisSymbolizer(
    const std::vector<Mapping>& mappings, const SymbolizerFlags& flags,
    const FoundMaps& found,
    const absl::flat_hash_map<std::string, std::string>& build_ids) {
  if (flags.confine == nullptr) {
    return std::unique_ptr<Symbolizer>(
        MakeSymbolizer(mappings, flags, found, build_ids));
  }
  absl::StatusOr<std::unique_ptr<ConfinedSymbolizer>> confined =
      ConfinedSymbolizer::Start(*flags.confine, mappings,
                                SymbolizerOptions(flags, found, build_ids));
  if (!confined.ok()) return confined.status();
  return std::unique_ptr<Symbolizer>(*std::move(confined));
}

SymbolizedAddress ConfinedSymbolizer::Ask(uint8_t op, uint64_t address) {
  auto& cache = op == kName ? names_ : details_;
  if (auto it = cache.find(address); it != cache.end()) return it->second;
  SymbolizedAddress result = Unnamed(address);
  if (helper_.socket >= 0) {
    BrokerMessage req;
    req.tag = op;
    req.fields = {EncodeU64(address)};
    absl::StatusOr<BrokerMessage> reply =
        CallHelper(&helper_, req, kMaxReply, absl::Seconds(kAnswerTimeoutS));
    absl::StatusOr<SymbolizedAddress> decoded =
        reply.ok() ? DecodeSymbolizedAddress(address, reply->fields)
                   : absl::StatusOr<SymbolizedAddress>(reply.status());
    if (decoded.ok()) {
      result = *std::move(decoded);
    } else {
      local_warnings_.push_back(absl::StrCat(
          "the helper that reads the target's libraries failed (",
          decoded.status().message(), "); the frames after it stay unnamed"));
      StopHelper(&helper_);
    }
  }
  cache[address] = result;
  return result;
}

SymbolizedAddress ConfinedSymbolizer::Symbolize(uint64_t address) {
  std::lock_guard<std::mutex> lock(mu_);
  return Ask(kDetail, address);
}

SymbolizedAddress ConfinedSymbolizer::SymbolizeName(uint64_t address) {
  std::lock_guard<std::mutex> lock(mu_);
  return Ask(kName, address);
}

std::vector<std::string> ConfinedSymbolizer::Warnings() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out = local_warnings_;
  if (helper_.socket < 0) return out;
  BrokerMessage req;
  req.tag = kWarnings;
  absl::StatusOr<BrokerMessage> reply =
      CallHelper(&helper_, req, kMaxReply, absl::Seconds(kAnswerTimeoutS));
  if (reply.ok()) {
    for (size_t i = 0; i < reply->fields.size() && i < 1000; ++i) {
      out.push_back(Clean(reply->fields[i]));
    }
  }
  return out;
}

}  // namespace jleak
