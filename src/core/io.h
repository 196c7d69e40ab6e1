// Checked file I/O (torch-free). Every write, flush, fsync, close and rename phenom makes goes
// through here and is checked: a failure throws IoError naming the path and the OS error, and a
// failed atomic write removes its temporary, so nothing a later run trusts is left half-written.
#pragma once
#include <string>

#include "core/error.h"

namespace phenom {

// A failed write, fsync or rename: exit 2, like other problems the user must fix (disk full,
// permissions, a vanished directory).
struct IoError : BadInput {
  using BadInput::BadInput;
};

// Writes a whole file through a temporary unique to this process in the same directory, fsync,
// rename, fsync of the directory: readers see the old content or the new, never a torn file.
void write_file_atomic(const std::string& path, const std::string& content);
// Whether a file name is such a temporary (`<file>.tmp.<pid>.<n>`): one a process that holds the
// directory's lock finds is a killed writer's, and removes.
bool is_temporary_file(const std::string& name);
std::string read_file(const std::string& path);

// An append-only file (metrics.jsonl, results.jsonl): each append is written whole or the run
// stops with IoError; sync() makes what was appended durable.
class AppendFile {
 public:
  AppendFile() = default;
  AppendFile(const AppendFile&) = delete;
  AppendFile& operator=(const AppendFile&) = delete;
  ~AppendFile();
  void open(const std::string& path);
  bool is_open() const { return fd_ >= 0; }
  void append(const std::string& text);
  void sync();
  void close();  // checked; the destructor closes unchecked

 private:
  int fd_ = -1;
  std::string path_;
};

// Takes an exclusive flock on `path` (created if missing): its descriptor, which holds the lock
// until closed, or -1 when another process holds it. IoError when the file cannot be opened.
int try_lock_file(const std::string& path);

// The size of a file in bytes (IoError when it cannot be read).
size_t file_size(const std::string& path);

}  // namespace phenom
