// An analysis directory (RUN/analyses/<name>-<hash8>/) is as durable as a run directory: one
// process writes it at a time, and what a killed or failed writer left is repaired on the next start.
#pragma once
#include <string>

namespace phenom {

// Creates the directory and holds its lock (DIR/.lock) while alive. BadInput, naming the
// directory, while another process holds it.
class AnalysisLock {
 public:
  explicit AnalysisLock(const std::string& dir);
  ~AnalysisLock();
  AnalysisLock(const AnalysisLock&) = delete;
  AnalysisLock& operator=(const AnalysisLock&) = delete;

 private:
  int fd_ = -1;
};

// Under the lock: removes temporaries (*.tmp.*) a killed writer left anywhere in the directory,
// and cuts results.jsonl back to its last whole row (a full disk or a kill can tear the last one),
// so that the rows appended next follow a whole row.
void repair_analysis_dir(const std::string& dir);

}  // namespace phenom
