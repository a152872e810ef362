#include "reference/storage/posix_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace outpost::storage {

void throw_io_error(std::string_view what, const std::filesystem::path& path, int error) {
  std::string message = std::string(what) + " " + path.string() + ": " + std::strerror(error);
  if (error == ENOSPC || error == EDQUOT) throw OutOfSpace(std::move(message));
  throw StorageError(std::move(message));
}

File::~File() {
  if (fd_ >= 0) ::close(fd_);  // errors here have nowhere to go; callers that care call close()
}

File::File(File&& other) noexcept : fd_(other.fd_), path_(std::move(other.path_)) { other.fd_ = -1; }

File& File::operator=(File&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    path_ = std::move(other.path_);
    other.fd_ = -1;
  }
  return *this;
}

File File::open(const std::filesystem::path& path, int flags, unsigned mode) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  if (fd < 0) throw_io_error("cannot open", path, errno);
  return File(fd, path);
}

File File::open_if_exists(const std::filesystem::path& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return File();
    throw_io_error("cannot open", path, errno);
  }
  return File(fd, path);
}

File File::create_temporary(const std::filesystem::path& directory, std::string_view prefix) {
  std::string name = (directory / (std::string(prefix) + "XXXXXX")).string();
  const int fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0) throw_io_error("cannot create a temporary file in", directory, errno);
  File file(fd, name);
  // mkstemp creates 0600; the file becomes a blob, and blobs get the same mode whichever way they arrived.
  if (::fchmod(fd, 0644) != 0) throw_io_error("cannot chmod", file.path(), errno);
  return file;
}

uint64_t File::size() const {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) throw_io_error("cannot stat", path_, errno);
  return static_cast<uint64_t>(st.st_size);
}

size_t File::read_at(uint64_t offset, std::span<char> out) const {
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_io_error("cannot read", path_, errno);
    }
    if (n == 0) break;  // end of file
    done += static_cast<size_t>(n);
  }
  return done;
}

void File::write_all(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_io_error("cannot write", path_, errno);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

void File::sync() {
  if (::fsync(fd_) != 0) throw_io_error("cannot fsync", path_, errno);
}

void File::truncate(uint64_t size) {
  if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) throw_io_error("cannot truncate", path_, errno);
}

void File::start_writeback(uint64_t offset, uint64_t length) noexcept {
  if (fd_ >= 0) (void)::sync_file_range(fd_, static_cast<off64_t>(offset), static_cast<off64_t>(length),
                                        SYNC_FILE_RANGE_WRITE);
}

void File::close() {
  const int fd = fd_;
  fd_ = -1;
  // Linux releases the descriptor even when close reports an error, so it is never retried.
  if (fd >= 0 && ::close(fd) != 0) throw_io_error("cannot close", path_, errno);
}

void sync_directory(const std::filesystem::path& directory) {
  File dir = File::open(directory, O_RDONLY | O_DIRECTORY);
  dir.sync();
  dir.close();
}

bool make_directory(const std::filesystem::path& directory) {
  if (::mkdir(directory.c_str(), 0755) == 0) return true;
  if (errno == EEXIST) {
    struct stat st {};
    if (::stat(directory.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return false;
    throw_io_error("not a directory:", directory, ENOTDIR);
  }
  throw_io_error("cannot create directory", directory, errno);
}

bool remove_file(const std::filesystem::path& path) {
  if (::unlink(path.c_str()) == 0) return true;
  if (errno == ENOENT) return false;
  throw_io_error("cannot remove", path, errno);
}

std::optional<uint64_t> size_if_exists(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return std::nullopt;
    throw_io_error("cannot stat", path, errno);
  }
  return static_cast<uint64_t>(st.st_size);
}

}  // namespace outpost::storage
