#include "sweep/slurm_script.h"

#include <filesystem>

#include "spec/spec.h"

namespace fs = std::filesystem;

namespace phenom {

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

namespace {

std::string absolute(const std::string& path) { return fs::absolute(path).lexically_normal().string(); }

}  // namespace

std::string sbatch_script(const SweepRequest& request, const std::string& name, const SlurmOptions& slurm,
                          size_t jobs, const std::string& sweep_dir) {
  std::string array = "0-" + std::to_string(jobs - 1);
  if (slurm.max_parallel > 0) array += "%" + std::to_string(slurm.max_parallel);
  std::string s = "#!/bin/bash\n";
  s += "# Written by `phenom sweep --slurm`: one array task per job of " + absolute(sweep_dir) + "/manifest.jsonl.\n";
  s += "# Submit with: sbatch " + (request.slurm_file == "-" ? absolute(sweep_dir + "/sweep.sbatch") : absolute(request.slurm_file)) + "\n";
  s += "# A task warned by SIGUSR1 (time limit) or SIGTERM (preemption) checkpoints and exits; a requeued\n";
  s += "# or resubmitted task resumes its run exactly. Aggregate afterwards with `phenom sweep ... --aggregate`.\n";
  s += "#SBATCH --job-name=phenom-" + name + "\n";
  s += "#SBATCH --array=" + array + "\n";
  s += "#SBATCH --cpus-per-task=" + std::to_string(slurm.cpus_per_task) + "\n";
  s += "#SBATCH --time=" + slurm.time + "\n";
  s += "#SBATCH --mem=" + slurm.mem + "\n";
  if (!slurm.partition.empty()) s += "#SBATCH --partition=" + slurm.partition + "\n";
  if (!slurm.account.empty()) s += "#SBATCH --account=" + slurm.account + "\n";
  s += "#SBATCH --output=" + absolute(sweep_dir) + "/logs/%A_%a.out\n";
  if (slurm.signal_seconds > 0) s += "#SBATCH --signal=B:USR1@" + std::to_string(slurm.signal_seconds) + "\n";
  s += "#SBATCH --requeue\n";
  s += "#SBATCH --chdir=" + absolute(".") + "\n";
  std::string command = "exec " + shell_quote(fs::read_symlink("/proc/self/exe").string()) +
                        " sweep " + shell_quote(absolute(request.spec_path));
  for (const auto& a : request.arguments) command += " " + shell_quote(a);
  command += " --root " + shell_quote(absolute(request.root)) + " --threads " + std::to_string(slurm.cpus_per_task) +
             " --index \"$SLURM_ARRAY_TASK_ID\"";
  return s + command + "\n";
}

}  // namespace phenom
