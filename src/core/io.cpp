#include "core/io.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <csignal>
#include <sstream>

namespace phenom {
namespace {

// Fault injection, compiled only into the test suite's binary (phenom_testing, with
// PHENOM_FAULT_INJECTION): with PHENOM_FAIL_IO_AFTER=N in the environment, the first N checked
// operations (write, fsync, rename) succeed and every later one fails with ENOSPC, as a full disk
// would; with PHENOM_KILL_IO_AFTER=N the process kills itself (SIGKILL, as kill -9 would) just
// before operation N. The shipped phenom has neither.
#ifdef PHENOM_FAULT_INJECTION
std::atomic<long> operations{0};

long limit_from(const char* name) {
  const char* text = std::getenv(name);
  return text && *text ? std::strtol(text, nullptr, 10) : -1L;
}

bool injected_failure() {
  static const long fail_after = limit_from("PHENOM_FAIL_IO_AFTER"), kill_at = limit_from("PHENOM_KILL_IO_AFTER");
  if (fail_after < 0 && kill_at < 0) return false;
  const long n = operations.fetch_add(1, std::memory_order_relaxed);
  if (n == kill_at) ::raise(SIGKILL);
  if (fail_after < 0 || n < fail_after) return false;
  errno = ENOSPC;
  return true;
}
#else
bool injected_failure() { return false; }
#endif

IoError io_error(const std::string& what, const std::string& path) {
  return IoError("cannot " + what + " '" + path + "': " + std::strerror(errno) +
                 ". Fix: free disk space or make the directory writable (or choose another with --out DIR), "
                 "then run the same command again: it resumes from the last checkpoint.");
}

void write_all(int fd, const char* data, size_t size, const std::string& path) {
  while (size > 0) {
    if (injected_failure()) throw io_error("write", path);
    const ssize_t written = ::write(fd, data, size);
    if (written < 0) {
      if (errno == EINTR) continue;
      throw io_error("write", path);
    }
    data += written;
    size -= static_cast<size_t>(written);
  }
}

void sync_fd(int fd, const std::string& path) {
  if (injected_failure() || ::fsync(fd) != 0) throw io_error("fsync", path);
}

std::string directory_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
}

}  // namespace

int try_lock_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw IoError("cannot create '" + path + "': " + std::strerror(errno));
  if (flock(fd, LOCK_EX | LOCK_NB) == 0) return fd;
  ::close(fd);
  return -1;
}

bool is_temporary_file(const std::string& name) { return name.find(".tmp.") != std::string::npos; }

void write_file_atomic(const std::string& path, const std::string& content) {
  static std::atomic<unsigned> counter{0};
  const std::string temporary = path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) throw io_error("write", path);
  try {
    write_all(fd, content.data(), content.size(), temporary);
    sync_fd(fd, temporary);
    if (::close(fd) != 0) {
      ::unlink(temporary.c_str());
      throw io_error("close", temporary);
    }
  } catch (...) {
    ::close(fd);
    ::unlink(temporary.c_str());
    throw;
  }
  if (injected_failure() || std::rename(temporary.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    ::unlink(temporary.c_str());
    errno = saved;
    throw io_error("rename '" + temporary + "' to", path);
  }
  // The rename itself is durable once the directory is synced (best effort: not every file
  // system lets a directory be opened for fsync).
  const int dir = ::open(directory_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError("cannot read '" + path + "': " + std::strerror(errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw IoError("cannot read '" + path + "': " + std::strerror(errno));
  return buffer.str();
}

size_t file_size(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) throw IoError("cannot read '" + path + "': " + std::strerror(errno));
  return static_cast<size_t>(info.st_size);
}

AppendFile::~AppendFile() {
  if (fd_ >= 0) ::close(fd_);
}

void AppendFile::open(const std::string& path) {
  if (fd_ >= 0) return;
  path_ = path;
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) throw io_error("append to", path);
}

void AppendFile::append(const std::string& text) { write_all(fd_, text.data(), text.size(), path_); }

void AppendFile::sync() {
  if (fd_ >= 0) sync_fd(fd_, path_);
}

void AppendFile::close() {
  if (fd_ < 0) return;
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) throw io_error("close", path_);
}

}  // namespace phenom
