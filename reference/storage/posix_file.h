#pragma once
// The few POSIX file operations the disk storage needs, with errors turned into StorageError messages that name the
// file and the errno text. std::filesystem has no fsync and no pread, and its error messages omit what we were doing.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string_view>

#include "reference/storage/storage.h"

namespace outpost::storage {

// Throws StorageError "<what> <path>: <strerror(error)>".
[[noreturn]] void throw_io_error(std::string_view what, const std::filesystem::path& path, int error);

// An owned file descriptor, closed on destruction. Remembers its path for error messages.
class File {
 public:
  File() = default;
  File(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}
  ~File();
  File(File&& other) noexcept;
  File& operator=(File&& other) noexcept;
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  // open(2); throws StorageError on failure. open_if_exists returns an empty File when the path does not exist.
  static File open(const std::filesystem::path& path, int flags, unsigned mode = 0644);
  static File open_if_exists(const std::filesystem::path& path, int flags);
  // mkstemp(3) in `directory`: a new, uniquely named file (mode 0644) open for writing.
  static File create_temporary(const std::filesystem::path& directory, std::string_view prefix);

  explicit operator bool() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  const std::filesystem::path& path() const { return path_; }

  uint64_t size() const;                                    // fstat
  size_t read_at(uint64_t offset, std::span<char> out) const;  // pread until full or end of file
  void write_all(std::string_view bytes);                   // write(2) until everything is written
  void sync();                                              // fsync(2)
  void truncate(uint64_t size);                             // ftruncate(2)
  // Asks the kernel to start writing these bytes to the device now (Linux sync_file_range, SYNC_FILE_RANGE_WRITE),
  // without waiting. Only a hint that spreads the write-back over the time the bytes arrive, so that the sync() that
  // makes them durable has little left to wait for; failures are ignored (sync() reports what matters).
  void start_writeback(uint64_t offset, uint64_t length) noexcept;
  void close();                                             // close(2), reporting its error

 private:
  int fd_ = -1;
  std::filesystem::path path_;
};

// fsync(2) on a directory, so that entries created, renamed or removed in it survive a crash.
void sync_directory(const std::filesystem::path& directory);
// mkdir(2); returns true when it created the directory (the caller then syncs the parent), false when it existed.
bool make_directory(const std::filesystem::path& directory);
// unlink(2); returns false when the file did not exist.
bool remove_file(const std::filesystem::path& path);
// stat(2) size of a regular file; nullopt when it does not exist.
std::optional<uint64_t> size_if_exists(const std::filesystem::path& path);

}  // namespace outpost::storage
