// File: perf_map.cc
//
// Parsing of perf map files (see perf_map.h).

#include "profile/perf_map.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <iterator>
#include <map>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "harness/io/file_io.h"

namespace jleak {
namespace {

bool ParseHex(absl::string_view s, uint64_t* out) {
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s.remove_prefix(2);
  }
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out, 16);
  return ec == std::errc() && end == s.data() + s.size();
}

// Splits off the next space- or tab-delimited field of `rest`.
absl::string_view NextField(absl::string_view* rest) {
  *rest = absl::StripLeadingAsciiWhitespace(*rest);
  const size_t end = rest->find_first_of(" \t");
  absl::string_view field = rest->substr(0, end);
  rest->remove_prefix(end == absl::string_view::npos ? rest->size() : end);
  return field;
}

absl::StatusOr<PerfMapEntry> ParseLine(absl::string_view line) {
  absl::string_view rest = line;
  PerfMapEntry e;
  const absl::string_view start = NextField(&rest);
  if (!ParseHex(start, &e.start)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "expected a hex start address, got ", QuoteForMessage(start)));
  }
  const absl::string_view size = NextField(&rest);
  if (!ParseHex(size, &e.size)) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected a hex size, got ", QuoteForMessage(size)));
  }
  if (e.start + e.size < e.start) {
    return absl::InvalidArgumentError("start + size overflows");
  }
  e.name = std::string(absl::StripAsciiWhitespace(rest));
  if (e.name.empty()) {
    return absl::InvalidArgumentError("expected a name after the size");
  }
  return e;
}

// Inserts `e` into `table` (keyed by start, non-overlapping), cutting what
// it covers out of the entries already there: the newer line wins.
void InsertNewest(std::map<uint64_t, PerfMapEntry>* table, PerfMapEntry e) {
  const uint64_t s = e.start;
  const uint64_t lim = e.limit();
  auto it = table->lower_bound(s);
  if (it != table->begin()) {
    auto prev = std::prev(it);
    if (prev->second.limit() > s) {
      const uint64_t prev_limit = prev->second.limit();
      prev->second.size = s - prev->second.start;
      if (prev_limit > lim) {
        PerfMapEntry tail = prev->second;
        tail.start = lim;
        tail.size = prev_limit - lim;
        table->emplace(lim, std::move(tail));
      }
    }
  }
  while (it != table->end() && it->first < lim) {
    if (it->second.limit() <= lim) {
      it = table->erase(it);
      continue;
    }
    PerfMapEntry tail = std::move(it->second);
    tail.size = tail.limit() - lim;
    tail.start = lim;
    table->erase(it);
    table->emplace(lim, std::move(tail));
    break;
  }
  table->emplace(s, std::move(e));
}

}  // namespace

const PerfMapEntry* PerfMap::Find(uint64_t address) const {
  auto it = std::upper_bound(
      entries_.begin(), entries_.end(), address,
      [](uint64_t a, const PerfMapEntry& e) { return a < e.start; });
  if (it == entries_.begin()) return nullptr;
  --it;
  return address < it->limit() ? &*it : nullptr;
}

absl::StatusOr<PerfMap> ParsePerfMap(std::string_view std_text,
                                     std::string_view std_source_name) {
  // Debian's absl::string_view is its own type, not std::string_view.
  const absl::string_view text(std_text.data(), std_text.size());
  const absl::string_view source_name(std_source_name.data(),
                                      std_source_name.size());
  PerfMap map;
  std::map<uint64_t, PerfMapEntry> table;
  int line_number = 0;
  int parsed = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    absl::StatusOr<PerfMapEntry> e = ParseLine(line);
    if (!e.ok()) {
      if (map.skipped_lines_++ == 0) {
        map.first_error_ = absl::StrCat(source_name, ":", line_number, ": ",
                                        e.status().message());
      }
      continue;
    }
    ++parsed;
    if (e->size == 0) continue;
    InsertNewest(&table, *std::move(e));
  }
  if (parsed == 0 && map.skipped_lines_ > 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a perf map ('<hex start> <hex size> <name>' "
                     "lines): ",
                     map.first_error_));
  }
  map.entries_.reserve(table.size());
  for (auto& [start, entry] : table) map.entries_.push_back(std::move(entry));
  return map;
}

absl::StatusOr<PerfMap> ReadPerfMap(const std::string& path) {
  // A perf map lies in a run directory or /tmp, where others could plant a
  // FIFO, a device or a link: regular files only, links not followed, the
  // size bounded.
  absl::StatusOr<std::string> text =
      ReadFileToString(path, ReadOptions::InRunDirectory(kMaxMapFileBytes));
  if (!text.ok()) return text.status();
  return ParsePerfMap(*text, path);
}

}  // namespace jleak
