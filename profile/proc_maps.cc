// File: proc_maps.cc
//
// Parsing of /proc/<pid>/maps lines (see proc_maps.h).

#include "profile/proc_maps.h"

#include <algorithm>
#include <charconv>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace jleak {
namespace {

bool ParseHex(absl::string_view s, uint64_t* out) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out, 16);
  return ec == std::errc() && end == s.data() + s.size();
}

bool ParseDec(absl::string_view s, uint64_t* out) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out, 10);
  return ec == std::errc() && end == s.data() + s.size();
}

// Splits off the next space-delimited field of `rest`.
absl::string_view NextField(absl::string_view* rest) {
  *rest = absl::StripLeadingAsciiWhitespace(*rest);
  const size_t space = rest->find(' ');
  absl::string_view field = rest->substr(0, space);
  rest->remove_prefix(space == absl::string_view::npos ? rest->size() : space);
  return field;
}

}  // namespace

absl::StatusOr<Mapping> ParseMapsLine(absl::string_view line) {
  // start-limit perms offset dev inode [path]; the path may contain spaces
  // and is the rest of the line after the inode.
  absl::string_view rest = line;
  Mapping m;
  const absl::string_view range = NextField(&rest);
  const size_t dash = range.find('-');
  if (dash == absl::string_view::npos ||
      !ParseHex(range.substr(0, dash), &m.start) ||
      !ParseHex(range.substr(dash + 1), &m.limit) || m.limit < m.start) {
    return absl::InvalidArgumentError(absl::StrCat(
        "expected '<start>-<end>' hex address range, got '", range, "'"));
  }
  m.perms = std::string(NextField(&rest));
  if (m.perms.size() != 4) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected permissions like 'r-xp', got '", m.perms, "'"));
  }
  if (!ParseHex(NextField(&rest), &m.offset)) {
    return absl::InvalidArgumentError("expected a hex file offset");
  }
  m.device = std::string(NextField(&rest));
  if (m.device.find(':') == std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected a 'major:minor' device, got '", m.device, "'"));
  }
  if (!ParseDec(NextField(&rest), &m.inode)) {
    return absl::InvalidArgumentError("expected a decimal inode");
  }
  m.path = std::string(absl::StripAsciiWhitespace(rest));
  return m;
}

absl::StatusOr<std::vector<Mapping>> ParseMaps(absl::string_view text,
                                               absl::string_view source_name,
                                               int first_line) {
  std::vector<Mapping> mappings;
  int line_number = first_line;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::StripAsciiWhitespace(line).empty()) {
      absl::StatusOr<Mapping> m = ParseMapsLine(line);
      if (!m.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(source_name, ":", line_number,
                         ": bad maps line: ", m.status().message()));
      }
      mappings.push_back(*std::move(m));
    }
    ++line_number;
  }
  // /proc maps are sorted; a hand-edited copy might not be.
  std::stable_sort(
      mappings.begin(), mappings.end(),
      [](const Mapping& a, const Mapping& b) { return a.start < b.start; });
  return mappings;
}

const Mapping* FindMapping(const std::vector<Mapping>& mappings,
                           uint64_t address) {
  auto it = std::upper_bound(
      mappings.begin(), mappings.end(), address,
      [](uint64_t a, const Mapping& m) { return a < m.start; });
  if (it == mappings.begin()) return nullptr;
  --it;
  return address < it->limit ? &*it : nullptr;
}

}  // namespace jleak
