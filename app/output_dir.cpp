#include "output_dir.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <system_error>

#include "common/error.h"

namespace fusim {

namespace fs = std::filesystem;

namespace {

std::string os_reason(int err) {
  return std::strerror(err);
}

// Absolute, with "." and ".." and the symbolic links of the part that exists resolved, and no
// trailing separator.
fs::path resolve(const std::string& p) {
  std::error_code ec;
  fs::path abs = fs::absolute(p, ec);
  if (ec) abs = fs::path(p);
  fs::path r = fs::weakly_canonical(abs, ec);
  if (ec) r = abs.lexically_normal();
  if (!r.has_filename() && r.has_parent_path() && r != r.root_path()) r = r.parent_path();
  return r;
}

// The host name, as a file name can hold it: temporary names carry it so that a run never takes
// another machine's live run (on a shared file system) for a dead one of its own.
std::string host_tag() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "host";
  std::string h;
  for (const char* c = buf; *c != '\0' && h.size() < 64; ++c)
    h += (std::isalnum(static_cast<unsigned char>(*c)) != 0 || *c == '.') ? *c : '_';
  return h.empty() ? "host" : h;
}

// ".NAME.fusim-HOST-": every temporary name fusim makes beside NAME starts with it.
std::string temp_prefix(const fs::path& target) {
  return "." + target.filename().string().substr(0, 100) + ".fusim-" + host_tag() + "-";
}

// A name beside `target` no other run uses at the same time: the prefix, this process's id and a
// counter made unique by the clock (creating it with O_EXCL or mkdir settles any collision).
std::string temp_name(const fs::path& target) {
  static std::atomic<unsigned long long> counter{0};
  const auto now =
      static_cast<unsigned long long>(std::chrono::steady_clock::now().time_since_epoch().count());
  const unsigned long long n = (now ^ (counter.fetch_add(1) << 48)) % 1000000000000ULL;
  return (target.parent_path() /
          (temp_prefix(target) + std::to_string(getpid()) + "-" + std::to_string(n)))
      .string();
}

bool is_fusim_file_name(const std::string& name) {
  const auto& names = output_file_names();
  return std::find(names.begin(), names.end(), name) != names.end();
}

// Deletes the files fusim writes from `dir`, then `dir` itself if that left it empty: never a
// file fusim does not write. True when `dir` is gone.
bool remove_fusim_dir(const std::string& dir) {
  for (const std::string& name : output_file_names()) unlink((dir + "/" + name).c_str());
  return rmdir(dir.c_str()) == 0 || errno == ENOENT;
}

// What killed runs (SIGKILL, SIGTERM, a crash) of this host left beside `target`: a temporary
// file or directory whose process is gone. Directories lose only fusim's own files.
void remove_stale_temps(const fs::path& target) {
  const std::string prefix = temp_prefix(target);
  std::error_code ec;
  fs::directory_iterator it(target.parent_path(), ec);
  if (ec) return;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) return;
    const std::string name = it->path().filename().string();
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string rest = name.substr(prefix.size());
    const std::size_t dash = rest.find('-');
    if (dash == 0 || dash == std::string::npos || rest.find_first_not_of("0123456789") != dash ||
        dash > 9)
      continue;
    const auto pid = static_cast<pid_t>(std::stol(rest.substr(0, dash)));
    if (kill(pid, 0) == 0 || errno != ESRCH) continue;  // alive, or not ours to judge
    struct stat st {};
    if (lstat(it->path().c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      remove_fusim_dir(it->path().string());
    } else if (S_ISREG(st.st_mode)) {
      unlink(it->path().c_str());
    }
  }
}

// Writes all of `text` to `fd`, then flushes it to disk. Returns 0 or the errno.
int write_all(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    done += static_cast<std::size_t>(n);
  }
  if (fsync(fd) != 0 && errno != EINVAL) return errno;
  return 0;
}

// Flushes a directory's entries (a rename, a new file) to disk; best effort.
void sync_dir(const std::string& dir) {
  const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  fsync(fd);
  close(fd);
}

// renameat2(RENAME_EXCHANGE): both names stay, their contents swap, in one step. Returns 0 or
// the errno (EINVAL, ENOSYS or EOPNOTSUPP where the kernel or file system cannot).
int exchange_dirs(const std::string& a, const std::string& b) {
#ifdef RENAME_EXCHANGE
  if (renameat2(AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE) == 0) return 0;
  return errno;
#else
  (void)a, (void)b;
  return ENOSYS;
#endif
}

}  // namespace

bool same_path(const std::string& a, const std::string& b) {
  if (resolve(a) == resolve(b)) return true;
  std::error_code ec;
  return fs::exists(a, ec) && fs::exists(b, ec) && fs::equivalent(a, b, ec);
}

bool directly_inside(const std::string& path, const std::string& dir) {
  return same_path(resolve(path).parent_path().string(), dir);
}

StagedDirectory::StagedDirectory(const std::string& dir, const std::string& option)
    : dir_(dir), target_(resolve(dir).string()), option_(option) {
  const fs::path target(target_);
  if (!target.has_filename() || target == target.root_path())
    throw InputError(dir_, 0, option_, "is the root directory; fusim replaces --out as a whole");
  struct stat st {};
  if (stat(target_.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) throw InputError(dir_, 0, option_, "exists and is not a directory");
    if (access(target_.c_str(), W_OK) != 0)
      throw InputError(dir_, 0, option_, "cannot write in the directory: " + os_reason(errno));
    std::error_code ec;
    fs::directory_iterator it(target, ec);
    for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
      const std::string name = it->path().filename().string();
      struct stat entry {};
      const bool regular = lstat(it->path().c_str(), &entry) == 0 && S_ISREG(entry.st_mode);
      if (!is_fusim_file_name(name) || !regular) {
        throw InputError(dir_, 0, option_,
                         "holds '" + name + "', which is not " +
                             (regular ? "a file fusim writes" : "a regular file") +
                             "; fusim replaces the whole directory and deletes nothing else: "
                             "remove it or choose another directory");
      }
    }
    if (ec) throw InputError(dir_, 0, option_, "cannot read the directory: " + ec.message());
  } else if (errno != ENOENT) {
    throw InputError(dir_, 0, option_, "cannot create the output directory: " + os_reason(errno));
  } else {
    std::error_code ec;
    fs::create_directories(target.parent_path(), ec);
    if (ec) {
      throw InputError(dir_, 0, option_, "cannot create the output directory: " + ec.message());
    }
  }
  remove_stale_temps(target);
  for (int attempt = 0;; ++attempt) {
    const std::string temp = temp_name(target);
    if (mkdir(temp.c_str(), 0777) == 0) {
      temp_ = temp;
      break;
    }
    if (errno != EEXIST || attempt == 100) {
      throw InputError(dir_, 0, option_,
                       "cannot create the output directory: cannot create '" + temp +
                           "' beside it: " + os_reason(errno));
    }
  }
}

StagedDirectory::~StagedDirectory() {
  if (!temp_.empty()) remove_fusim_dir(temp_);
}

void StagedDirectory::commit(const std::vector<OutputFile>& files) {
  for (const OutputFile& f : files) {
    const std::string path = temp_ + "/" + f.name;
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    int err = fd < 0 ? errno : write_all(fd, f.text());
    if (fd >= 0 && close(fd) != 0 && err == 0) err = errno;
    if (err != 0)
      throw InputError(dir_ + "/" + f.name, 0, option_, "cannot write the file: " + os_reason(err));
  }
  sync_dir(temp_);
  // The directory keeps the permissions it had.
  struct stat old {};
  if (stat(target_.c_str(), &old) == 0) chmod(temp_.c_str(), old.st_mode & 07777);

  // In place: swap the two directories in one step, or, where the file system cannot, move the
  // old one aside and the new one in (between the two, DIR is missing for an instant).
  std::string previous;
  for (int attempt = 0; previous.empty(); ++attempt) {
    if (rename(temp_.c_str(), target_.c_str()) == 0) {  // DIR missing, or an empty directory
      temp_.clear();
      break;
    }
    int err = errno;
    if (err == ENOTEMPTY || err == EEXIST) {
      err = exchange_dirs(temp_, target_);
      if (err == 0) {
        previous = temp_;
        temp_.clear();
        break;
      }
      if (err == EINVAL || err == ENOSYS || err == EOPNOTSUPP) {
        const std::string aside = temp_name(fs::path(target_));
        if (rename(target_.c_str(), aside.c_str()) == 0) {
          if (rename(temp_.c_str(), target_.c_str()) == 0) {
            previous = aside;
            temp_.clear();
            break;
          }
          err = errno;
          rename(aside.c_str(), target_.c_str());
        } else {
          err = errno;
        }
      }
    }
    // The directory may have appeared or vanished meanwhile (another run): try again.
    if ((err != ENOTEMPTY && err != EEXIST && err != ENOENT) || attempt == 10) {
      throw InputError(dir_, 0, option_, "cannot move the new files into place: " + os_reason(err));
    }
  }
  sync_dir(fs::path(target_).parent_path().string());
  if (!previous.empty() && !remove_fusim_dir(previous)) {
    std::cerr << "fusim: warning: the previous contents of " << dir_ << " are kept in " << previous
              << " (it holds files fusim does not write)\n";
  }
}

StagedFile::StagedFile(const std::string& path, const std::string& option)
    : path_(path), target_(resolve(path).string()), option_(option) {
  struct stat st {};
  if (stat(target_.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) throw InputError(path_, 0, option_, "is a directory");
    if (!S_ISREG(st.st_mode))
      throw InputError(path_, 0, option_, "exists and is not a regular file");
    if (access(target_.c_str(), W_OK) != 0)
      throw InputError(path_, 0, option_, "cannot write the file: " + os_reason(errno));
  } else if (errno != ENOENT) {
    throw InputError(path_, 0, option_, "cannot write the file: " + os_reason(errno));
  }
  const fs::path target(target_);
  remove_stale_temps(target);
  for (int attempt = 0;; ++attempt) {
    const std::string temp = temp_name(target);
    fd_ = open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd_ >= 0) {
      temp_ = temp;
      break;
    }
    if (errno != EEXIST || attempt == 100)
      throw InputError(path_, 0, option_, "cannot write the file: " + os_reason(errno));
  }
}

StagedFile::~StagedFile() {
  if (fd_ >= 0) close(fd_);
  if (!temp_.empty()) unlink(temp_.c_str());
}

void StagedFile::commit(const std::string& text) {
  if (temp_.empty()) throw InputError(path_, 0, option_, "written twice");
  int err = write_all(fd_, text);
  struct stat old {};
  if (err == 0 && stat(target_.c_str(), &old) == 0) fchmod(fd_, old.st_mode & 07777);
  if (close(fd_) != 0 && err == 0) err = errno;
  fd_ = -1;
  if (err == 0 && rename(temp_.c_str(), target_.c_str()) != 0) err = errno;
  if (err != 0) throw InputError(path_, 0, option_, "cannot write the file: " + os_reason(err));
  temp_.clear();
  sync_dir(fs::path(target_).parent_path().string());
}

}  // namespace fusim
