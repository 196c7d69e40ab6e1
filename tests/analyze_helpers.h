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

namespace phenom::testing {

// The key-frequency showcase: configs/grokking/transformer_small.yaml with `overrides` trained in
// tmp/t, the fourier instrument's key directions of the embedding saved at `step` (their file in
// `tensors`), then projected out of hook_embed. Returns the ablation's row (clean, key-ablated and
// random-direction accuracies); empty when a step failed (the failure is reported).
inline nlohmann::json key_frequency_ablation(TempDir& tmp, const std::string& overrides, int step,
                                             std::string& tensors) {
  const std::string config = source_dir() + "/configs/grokking/transformer_small.yaml";
  const std::string at = " --steps " + std::to_string(step);
  CliResult r = run_cli("run " + config + " " + overrides + " --out t --no-plot --quiet", tmp.path);
  EXPECT_EQ(r.code, 0) << r.output;
  write_text(tmp / "fourier.yaml", "analyses:\n  - {type: fourier}\n");
  r = run_cli("analyze t fourier.yaml" + at, tmp.path);
  EXPECT_EQ(r.code, 0) << r.output;
  if (r.code != 0) return nlohmann::json();
  for (const auto& e : std::filesystem::directory_iterator(tmp / "t/analyses")) tensors = e.path().string();
  tensors += "/tensors/step_" + std::to_string(step) + ".0.fourier.safetensors";
  write_text(tmp / "ablate.yaml", "analyses:\n  - {type: ablation, hooks: [hook_embed], mode: project, directions: " +
                                      tensors + ", key: fourier/key_directions}\n");
  r = run_cli("analyze t ablate.yaml" + at, tmp.path);
  EXPECT_EQ(r.code, 0) << r.output;
  for (const auto& e : std::filesystem::directory_iterator(tmp / "t/analyses")) {
    if (e.path().filename().string().rfind("ablate-", 0) != 0) continue;
    std::ifstream in(e.path() / "results.jsonl");
    std::string line;
    std::getline(in, line);
    return nlohmann::json::parse(line);
  }
  return nlohmann::json();
}

}  // namespace phenom::testing
