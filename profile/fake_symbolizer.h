// File: fake_symbolizer.h
//
// FakeSymbolizer: a Symbolizer over a fixed table, for tests of code that
// consumes symbols (naming, trimming, reports, analysis) without ELF files.

#ifndef JLEAK_PROFILE_FAKE_SYMBOLIZER_H_
#define JLEAK_PROFILE_FAKE_SYMBOLIZER_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "profile/symbolizer.h"

namespace jleak {

class FakeSymbolizer : public Symbolizer {
 public:
  // Names [address, address + size) as `functions` (innermost first; more
  // than one means inlined frames).
  void Add(uint64_t address, uint64_t size, std::vector<std::string> functions,
           std::string module = "/lib/libfake.so") {
    table_[address] = Entry{size, std::move(functions), std::move(module)};
  }

  SymbolizedAddress Symbolize(uint64_t address) override {
    ++lookups_;
    SymbolizedAddress out;
    out.address = address;
    auto it = table_.upper_bound(address);
    if (it != table_.begin() &&
        address < std::prev(it)->first + std::prev(it)->second.size) {
      --it;
      out.module = it->second.module;
      out.module_offset = address - it->first;
      for (const std::string& f : it->second.functions) {
        out.frames.push_back({f, "", 0});
      }
      out.resolved = true;
    } else {
      out.frames.push_back({absl::StrFormat("0x%x", address), "", 0});
    }
    return out;
  }

  // Counted apart from Symbolize(), so tests can tell which level was
  // asked for.
  SymbolizedAddress SymbolizeName(uint64_t address) override {
    ++name_lookups_;
    --lookups_;
    SymbolizedAddress s = Symbolize(address);
    s.frames.erase(s.frames.begin(), s.frames.end() - 1);
    return s;
  }

  std::vector<std::string> Warnings() const override { return warnings_; }
  void AddWarning(std::string w) { warnings_.push_back(std::move(w)); }
  int lookups() const { return lookups_; }
  int name_lookups() const { return name_lookups_; }

 private:
  struct Entry {
    uint64_t size;
    std::vector<std::string> functions;
    std::string module;
  };
  std::map<uint64_t, Entry> table_;
  std::vector<std::string> warnings_;
  int lookups_ = 0;
  int name_lookups_ = 0;
};

}  // namespace jleak

#endif  // JLEAK_PROFILE_FAKE_SYMBOLIZER_H_
