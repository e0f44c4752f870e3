// File: pprof_writer.cc
//
// NamedProfile -> pprof profile.proto (see pprof_writer.h).

#include "profile/pprof_writer.h"

#include <zlib.h>

#include <cmath>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace jleak {
namespace {

namespace pb = perftools::profiles;

class StringTable {
 public:
  explicit StringTable(pb::Profile* p) : p_(p) { Intern(""); }
  int64_t Intern(const std::string& s) {
    auto [it, inserted] = index_.emplace(s, p_->string_table_size());
    if (inserted) p_->add_string_table(s);
    return it->second;
  }

 private:
  pb::Profile* p_;
  absl::flat_hash_map<std::string, int64_t> index_;
};

}  // namespace

pb::Profile BuildPprof(const NamedProfile& profile,
                       const PprofOptions& options) {
  pb::Profile out;
  StringTable strings(&out);
  auto add_type = [&](pb::ValueType* vt, const char* type, const char* unit) {
    vt->set_type(strings.Intern(type));
    vt->set_unit(strings.Intern(unit));
  };
  add_type(out.add_sample_type(), "inuse_objects", "count");
  add_type(out.add_sample_type(), "inuse_space", "bytes");
  add_type(out.mutable_period_type(), "space", "bytes");
  out.set_period(static_cast<int64_t>(profile.sample_period));
  out.set_default_sample_type(strings.Intern("inuse_space"));
  out.set_time_nanos(options.time_nanos);
  out.set_duration_nanos(options.duration_nanos);
  if (!options.comment.empty())
    out.add_comment(strings.Intern(options.comment));

  // Mappings: one per executable file mapping that a frame points into.
  absl::flat_hash_map<std::string, uint64_t> mapping_ids;
  auto mapping_id = [&](const NamedFrame& f) -> uint64_t {
    if (f.module.empty() || f.module[0] != '/') return 0;
    auto it = mapping_ids.find(f.module);
    if (it != mapping_ids.end()) return it->second;
    pb::Mapping* m = out.add_mapping();
    m->set_id(out.mapping_size());
    for (const Mapping& pm : profile.mappings) {
      if (pm.path == f.module && pm.executable()) {
        m->set_memory_start(pm.start);
        m->set_memory_limit(pm.limit);
        m->set_file_offset(pm.offset);
        break;
      }
    }
    m->set_filename(strings.Intern(f.module));
    m->set_has_functions(true);
    m->set_has_filenames(true);
    m->set_has_line_numbers(true);
    m->set_has_inline_frames(true);
    mapping_ids.emplace(f.module, m->id());
    return m->id();
  };

  absl::flat_hash_map<std::string, uint64_t> function_ids;
  auto function_id = [&](const NamedFrame& f) -> uint64_t {
    const std::string key = absl::StrCat(f.function, "\n", f.file);
    auto it = function_ids.find(key);
    if (it != function_ids.end()) return it->second;
    pb::Function* fn = out.add_function();
    fn->set_id(out.function_size());
    fn->set_name(strings.Intern(f.function));
    fn->set_system_name(fn->name());
    fn->set_filename(strings.Intern(f.file));
    function_ids.emplace(key, fn->id());
    return fn->id();
  };

  // A Location is one address with its inlined frames; the key includes
  // the names because a diff may join two processes' address spaces.
  absl::flat_hash_map<std::string, uint64_t> location_ids;
  for (const NamedStack& s : profile.stacks) {
    const int64_t objects = std::llround(s.counts.objects);
    const int64_t bytes = std::llround(s.counts.bytes);
    if (objects == 0 && bytes == 0) continue;
    pb::Sample* sample = out.add_sample();
    sample->add_value(objects);
    sample->add_value(bytes);
    for (size_t i = 0; i < s.frames.size();) {
      size_t j = i;
      std::string key =
          absl::StrCat(s.frames[i].module, "@", s.frames[i].address);
      while (s.frames[j].inlined && j + 1 < s.frames.size() &&
             s.frames[j + 1].address == s.frames[i].address) {
        ++j;
      }
      for (size_t k = i; k <= j; ++k)
        absl::StrAppend(&key, ";", s.frames[k].function);
      auto it = location_ids.find(key);
      if (it == location_ids.end()) {
        pb::Location* loc = out.add_location();
        loc->set_id(out.location_size());
        loc->set_mapping_id(mapping_id(s.frames[i]));
        loc->set_address(s.frames[i].address);
        for (size_t k = i; k <= j; ++k) {
          pb::Line* line = loc->add_line();
          line->set_function_id(function_id(s.frames[k]));
          line->set_line(s.frames[k].line);
        }
        it = location_ids.emplace(key, loc->id()).first;
      }
      sample->add_location_id(it->second);
      i = j + 1;
    }
  }
  return out;
}

absl::StatusOr<std::string> SerializePprofGzipped(const pb::Profile& profile) {
  std::string raw;
  if (!profile.SerializeToString(&raw)) {
    return absl::InternalError("cannot serialize the pprof profile");
  }
  z_stream z{};
  // windowBits 15 + 16: a gzip header and trailer, not raw zlib.
  if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8,
                   Z_DEFAULT_STRATEGY) != Z_OK) {
    return absl::InternalError("zlib deflateInit2 failed");
  }
  std::string gz(deflateBound(&z, raw.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(raw.data());
  z.avail_in = raw.size();
  z.next_out = reinterpret_cast<Bytef*>(gz.data());
  z.avail_out = gz.size();
  const int rc = deflate(&z, Z_FINISH);
  gz.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) return absl::InternalError("zlib deflate failed");
  return gz;
}

absl::StatusOr<std::string> Gunzip(const std::string& gz) {
  z_stream z{};
  if (inflateInit2(&z, 15 + 16) != Z_OK) {
    return absl::InternalError("zlib inflateInit2 failed");
  }
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = gz.size();
  std::string out;
  char buf[1 << 16];
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof(buf);
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof(buf) - z.avail_out);
  }
  inflateEnd(&z);
  if (rc != Z_STREAM_END) {
    return absl::InvalidArgumentError("not a complete gzip stream");
  }
  return out;
}

}  // namespace jleak
