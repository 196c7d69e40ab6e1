// Helpers for tests of `phenom analyze`: train a run spec, analyse its last checkpoint, read rows.
#pragma once
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli_helpers.h"

namespace phenom::testing {

// A 2-layer transformer on p = 11 that fits its training split in 150 steps (the interventions' tests).
inline const char* kTransformer =
    "name: patch\ndevice: cpu\n"
    "task: {type: modular_arithmetic, modulus: 11, train_fraction: 0.6}\n"
    "model: {type: transformer, n_layers: 2, d_model: 32, n_heads: 4, d_head: 8}\n"
    "optimizer: {type: adamw, lr: 0.003}\n"
    "train: {steps: 150, loss: cross_entropy, eval_every: 50}\n";

// A width-32 MLP on p = 11 that fits 90% of the table in 150 steps.
inline const char* kMlp =
    "name: mlp\ndevice: cpu\n"
    "task: {type: modular_arithmetic, modulus: 11, train_fraction: 0.9}\n"
    "model: {type: mlp, width: 32}\noptimizer: {type: adamw, lr: 0.01}\n"
    "train: {steps: 150, loss: cross_entropy, eval_every: 50}\n";

// `run_yaml` trained in `tmp` (as tmp/run), then `analyses` (YAML list items) run on its last
// checkpoint: the result rows, and the analysis directory in `out`.
inline std::vector<nlohmann::json> analyze_trained(TempDir& tmp, const std::string& run_yaml,
                                                   const std::string& analyses, std::string& out) {
  write_text(tmp / "run.yaml", run_yaml);
  EXPECT_EQ(run_cli("run run.yaml --out run --threads 1 --no-plot --quiet", tmp.path).code, 0);
  write_text(tmp / "a.yaml", "analyses:\n" + analyses);
  CliResult r = run_cli("analyze run a.yaml --steps last --threads 1", tmp.path);
  EXPECT_EQ(r.code, 0) << r.output;
  std::vector<nlohmann::json> rows;
  if (r.code != 0) return rows;
  out = std::filesystem::directory_iterator(tmp / "run/analyses")->path();
  std::ifstream in(out + "/results.jsonl");
  for (std::string line; std::getline(in, line);) rows.push_back(nlohmann::json::parse(line));
  return rows;
}

// `analyses` (YAML list items) on tmp/run are refused: exit 2, with `expected` in the message.
inline void expect_refused(TempDir& tmp, const std::string& analyses, const std::string& expected) {
  write_text(tmp / "refused.yaml", "analyses:\n" + analyses);
  const CliResult r = run_cli("analyze run refused.yaml", tmp.path);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find(expected), std::string::npos) << "expected '" << expected << "' in: " << r.output;
}

}  // namespace phenom::testing
