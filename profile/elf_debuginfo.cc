// File: elf_debuginfo.cc
//
// Finding separate debug files for libdwfl (see elf_debuginfo.h).

#include "profile/elf_debuginfo.h"

#include <elfutils/libdwelf.h>
#include <fcntl.h>
#include <gelf.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace jleak::elf_internal {
namespace {

std::string Dirname(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

uint32_t FileCrc32(int fd) {
  uLong crc = crc32(0L, Z_NULL, 0);
  unsigned char buf[1 << 16];
  ssize_t n;
  off_t at = 0;  // pread: the fd's own offset stays where libelf wants it
  while ((n = pread(fd, buf, sizeof buf, at)) > 0) {
    crc = crc32(crc, buf, static_cast<uInt>(n));
    at += n;
  }
  return static_cast<uint32_t>(crc);
}

// Whether the file open at `fd` is the debug file of a module with build-id
// `id` (or, without one, whose .gnu_debuglink has CRC `crc`), as libdw's
// own search decides it.
bool IsDebugFileFor(int fd, const unsigned char* id, int id_len,
                    GElf_Word crc) {
  if (id_len > 0) {
    Elf* elf = elf_begin(fd, ELF_C_READ_MMAP, nullptr);
    if (elf == nullptr) return false;
    const void* found = nullptr;
    const ssize_t len = dwelf_elf_gnu_build_id(elf, &found);
    const bool same = len == id_len && std::memcmp(found, id, len) == 0;
    elf_end(elf);
    return same;
  }
  return crc == 0 || FileCrc32(fd) == crc;
}

// DebugFileCandidates: where the debug file of a module with build-id
// `hex` ("" for none), read from `file_name`, whose .gnu_debuglink is
// `debuglink_file` (or null), may be, in the order libdw tries them.
std::vector<std::string> DebugFileCandidates(const DebuginfoSearch& search,
                                             const std::string& hex,
                                             const char* file_name,
                                             const char* debuglink_file) {
  std::vector<std::string> candidates;
  if (!hex.empty()) {
    for (const std::string& dir : search.path) {
      if (dir.empty() || dir[0] != '/') continue;
      candidates.push_back(absl::StrCat(dir, "/.build-id/", hex.substr(0, 2),
                                        "/", hex.substr(2), ".debug"));
    }
  }
  if (debuglink_file != nullptr && debuglink_file[0] != '\0' &&
      file_name != nullptr) {
    const std::string dir = Dirname(file_name);
    for (const std::string& entry : search.path) {
      if (entry.empty()) {
        candidates.push_back(absl::StrCat(dir, "/", debuglink_file));
      } else if (entry[0] != '/') {
        candidates.push_back(
            absl::StrCat(dir, "/", entry, "/", debuglink_file));
      } else if (dir[0] == '/') {
        candidates.push_back(absl::StrCat(entry, dir, "/", debuglink_file));
      }
    }
  }
  return candidates;
}

// FindDebuginfo is libdwfl's find_debuginfo callback. Without
// DEBUGINFOD_URLS it searches only the local debug directories, as
// dwfl_standard_find_debuginfo does before it falls back to debuginfod:
// that fallback loads libdebuginfod and its network stack for every module
// that has no local debug file (most of a JVM's), which costs more than
// naming a whole profile.
int FindDebuginfo(Dwfl_Module* mod, void** userdata, const char* modname,
                  Dwarf_Addr base, const char* file_name,
                  const char* debuglink_file, GElf_Word debuglink_crc,
                  char** debuginfo_file_name) {
  const auto* state = static_cast<const DebuginfoSearch*>(*userdata);
  // Besides the module's own debug file, libdw asks for dwz's shared
  // "alt" file by its .gnu_debugaltlink name: that search needs the
  // module's Dwarf, which only the standard search can see.
  GElf_Addr bias = 0;
  Elf* main_elf = dwfl_module_getelf(mod, &bias);
  GElf_Word own_crc = 0;
  const char* own_link = main_elf == nullptr
                             ? nullptr
                             : dwelf_elf_gnu_debuglink(main_elf, &own_crc);
  const bool main_request =
      (own_link == nullptr && debuglink_file == nullptr) ||
      (own_link != nullptr && debuglink_file != nullptr &&
       std::strcmp(own_link, debuglink_file) == 0);
  if (state == nullptr || state->use_debuginfod || !main_request) {
    return dwfl_standard_find_debuginfo(mod, userdata, modname, base, file_name,
                                        debuglink_file, debuglink_crc,
                                        debuginfo_file_name);
  }

  const unsigned char* id = nullptr;
  GElf_Addr id_vaddr = 0;
  const int id_len = dwfl_module_build_id(mod, &id, &id_vaddr);
  const std::vector<std::string> candidates = DebugFileCandidates(
      *state, BuildIdHex(id, std::max(id_len, 0)), file_name, debuglink_file);
  struct stat main_st = {};
  const bool have_main = file_name != nullptr && stat(file_name, &main_st) == 0;
  for (const std::string& c : candidates) {
    const int fd = open(c.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    struct stat st;
    // Never the binary itself (a debuglink naming its own file).
    const bool is_main = have_main && fstat(fd, &st) == 0 &&
                         st.st_dev == main_st.st_dev &&
                         st.st_ino == main_st.st_ino;
    if (!is_main && IsDebugFileFor(fd, id, id_len, debuglink_crc)) {
      *debuginfo_file_name = strdup(c.c_str());
      return fd;
    }
    close(fd);
  }
  errno = 0;
  return -1;
}

}  // namespace

std::string BuildIdHex(const unsigned char* bits, int len) {
  std::string out;
  out.reserve(2 * len);
  for (int i = 0; i < len; ++i) absl::StrAppendFormat(&out, "%02x", bits[i]);
  return out;
}

std::unique_ptr<DwflState> MakeDwflState(const ElfSymbolizerOptions& options) {
  // "" and ".debug" are the binary's own directory and its .debug
  // subdirectory (for .gnu_debuglink); absolute entries serve build-id
  // lookups too.
  std::vector<std::string> path = {"", ".debug"};
  for (const std::string& dir : options.debug_dirs) {
    if (!options.sysroot.empty()) path.push_back(options.sysroot + dir);
    path.push_back(dir);
  }
  auto state = std::make_unique<DwflState>();
  state->debuginfo_path = absl::StrJoin(path, ":");
  state->debuginfo_path_ptr = state->debuginfo_path.data();
  state->callbacks.find_elf = dwfl_build_id_find_elf;
  state->callbacks.find_debuginfo = FindDebuginfo;
  state->callbacks.debuginfo_path = &state->debuginfo_path_ptr;
  state->search.path = std::move(path);
  const char* urls = std::getenv("DEBUGINFOD_URLS");
  state->search.use_debuginfod =
      options.allow_debuginfod && urls != nullptr && urls[0] != '\0';
  return state;
}

}  // namespace jleak::elf_internal
