// File: userns_launcher.cc
//
// A test tool for userns_attach_test (pidns_attach_test.sh with a user
// namespace): runs a command as uid 0 of a new user namespace that root
// creates and maps to host uids HOST_UID.. (as a container runtime does),
// in new PID and mount namespaces with its own /proc and a private /tmp:
//
//   userns_launcher 100000 java ...     # java is PID 1 there, host uid 100000
//
// util-linux's unshare cannot do this without newuidmap and /etc/subuid:
// the map must be written from outside before the child becomes uid 0, so
// the two synchronize over pipes. Exits with the command's status.

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "userns_launcher: %s: %s\n", what, std::strerror(errno));
  _exit(127);
}

void WriteFile(const std::string& path, const std::string& text) {
  const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write(fd, text.data(), text.size()) !=
                    static_cast<ssize_t>(text.size())) {
    Die(path.c_str());
  }
  close(fd);
}

int Wait(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return 127;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: userns_launcher HOST_UID COMMAND...\n");
    return 2;
  }
  const std::string host_uid = argv[1];
  int ready[2], mapped[2];
  if (pipe(ready) != 0 || pipe(mapped) != 0) Die("pipe");
  const pid_t child = fork();
  if (child < 0) Die("fork");
  if (child == 0) {
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID) != 0) {
      Die("unshare");
    }
    char c = 'x';
    if (write(ready[1], &c, 1) != 1 || read(mapped[0], &c, 1) != 1) {
      Die("sync");
    }
    // Root of the new namespace (host HOST_UID); its capabilities there
    // are kept.
    if (setresgid(0, 0, 0) != 0 || setresuid(0, 0, 0) != 0) Die("setresuid");
    const pid_t init = fork();  // PID 1 of the new PID namespace
    if (init < 0) Die("fork");
    if (init == 0) {
      if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
          mount("proc", "/proc", "proc", 0, nullptr) != 0 ||
          mount("tmpfs", "/tmp", "tmpfs", 0, nullptr) != 0 ||
          chdir("/tmp") != 0) {
        Die("mount");
      }
      execvp(argv[2], argv + 2);
      Die(argv[2]);
    }
    _exit(Wait(init));
  }
  char c = 0;
  if (read(ready[0], &c, 1) != 1) Die("sync");
  const std::string map = "0 " + host_uid + " 65536\n";
  WriteFile("/proc/" + std::to_string(child) + "/uid_map", map);
  WriteFile("/proc/" + std::to_string(child) + "/gid_map", map);
  if (write(mapped[1], &c, 1) != 1) Die("sync");
  return Wait(child);
}
