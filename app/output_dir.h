// Output paths written all or nothing: --out DIR is replaced as a whole directory, and
// --schedule-out FILE as a whole file, only once every byte is written and flushed to disk.
// Both are staged before the run (so that an unwritable path fails before the simulation) and
// committed after it. docs/usage.md states the guarantee.
#pragma once

#include <string>
#include <vector>

#include "report.h"

namespace fusim {

// --out DIR. The constructor checks that DIR can be replaced (it is missing, or a directory that
// holds only files fusim writes, see output_file_names()), removes what killed fusim runs left
// beside it, creates DIR's parents and a fresh temporary sibling directory
// ".NAME.fusim-HOST-PID-N". commit() writes the files into that directory, flushes them, and
// swaps it into place with one rename (renameat2 RENAME_EXCHANGE when DIR exists), then deletes
// the previous run's files. The destructor removes the temporary directory when commit() did not
// run or failed. Errors are InputError naming DIR (or DIR/FILE) under the key `option`, with the
// operating system's reason.
class StagedDirectory {
 public:
  StagedDirectory(const std::string& dir, const std::string& option);
  ~StagedDirectory();
  StagedDirectory(const StagedDirectory&) = delete;
  StagedDirectory& operator=(const StagedDirectory&) = delete;

  void commit(const std::vector<OutputFile>& files);

 private:
  std::string dir_;     // as the user wrote it, for messages
  std::string target_;  // absolute, symbolic links resolved
  std::string temp_;    // the temporary sibling; empty once committed
  std::string option_;
};

// --schedule-out FILE: a temporary file ".NAME.fusim-HOST-PID-N" beside FILE, created by the
// constructor (FILE's directory must exist and be writable) and renamed over FILE by commit().
class StagedFile {
 public:
  StagedFile(const std::string& path, const std::string& option);
  ~StagedFile();
  StagedFile(const StagedFile&) = delete;
  StagedFile& operator=(const StagedFile&) = delete;

  void commit(const std::string& text);

 private:
  std::string path_;    // as the user wrote it
  std::string target_;  // absolute, symbolic links resolved
  std::string temp_;    // empty once committed
  std::string option_;
  int fd_ = -1;
};

// The same file or directory: equal once made absolute with symbolic links resolved, or, when
// both exist, the same inode (a hard link).
bool same_path(const std::string& a, const std::string& b);

// `path` names an entry directly inside directory `dir`.
bool directly_inside(const std::string& path, const std::string& dir);

}  // namespace fusim
