// The shipped configs' published checks, shared by the calibration tests (the configs as shipped)
// and the slow tier's reduced checks (test_reduced.cpp), so that both assert the same thing.
#pragma once
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli_helpers.h"
#include "core/safetensors.h"

namespace phenom::testing {

// Runs the shipped sweep configs/CONFIG (with ARGS) two jobs at a time; returns its summary.json.
inline nlohmann::json shipped_sweep(const TempDir& tmp, const std::string& config, const std::string& args,
                                    const std::string& name) {
  CliResult r = run_cli("sweep " + source_dir() + "/configs/" + config + " " + args + " --jobs 2 --quiet --no-plot "
                        "--root runs", tmp.path);
  EXPECT_EQ(r.code, 0) << r.output;
  const std::string dir = sweep_dir_in(tmp / ("runs/" + name));
  return dir.empty() ? nlohmann::json::object() : nlohmann::json::parse(slurp(dir + "/summary.json"));
}

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

// S-T2 on an edge-of-stability sweep over two learning rates: the plateau sharpness follows 2/lr
// within 20% and both runs keep the base config's expectations.
inline void expect_plateau_follows_two_over_lr(const nlohmann::json& summary) {
  const auto& trend = summary["trend"];
  ASSERT_EQ(trend["points"].size(), 2u) << summary.dump();
  EXPECT_TRUE(trend["monotone_decreasing"].get<bool>()) << trend.dump();
  EXPECT_LE(trend["scaling"]["max_ratio_error"].get<double>(), 0.2) << trend.dump();
  EXPECT_TRUE(trend["detected"].get<bool>()) << trend.dump();
  EXPECT_TRUE(summary["expectations_met"].get<bool>()) << summary.dump();
}

// Sharp and flat minima in each of `seeds` seeds: the large batch over 2x sharper than the small
// one, SAM flatter and within 0.5 pp as accurate.
inline void expect_sharp_and_flat_minima(const nlohmann::json& summary, int seeds) {
  const auto& f = summary["flatness"];
  ASSERT_EQ(f["n_seeds"], seeds) << summary.dump();
  EXPECT_EQ(f["large_sharper"], seeds) << f.dump();
  EXPECT_EQ(f["sam_flatter"], seeds) << f.dump();
  EXPECT_EQ(f["sam_accuracy_kept"], seeds) << f.dump();
  EXPECT_TRUE(f["detected"].get<bool>()) << f.dump();
}

// The key-frequency ablation's row (key_frequency_ablation): clean >= 0.95, key directions
// projected out < 0.1, as many random directions >= 0.6; and the saved directions are two per key
// frequency, each of d_model 64.
inline void expect_key_frequencies_carry_the_algorithm(const nlohmann::json& row, const std::string& tensors) {
  ASSERT_FALSE(row.is_null());
  const auto saved = read_safetensors(tensors);
  const int64_t keys = saved.at("fourier/key_frequencies").numel();
  ASSERT_GE(keys, 1);
  EXPECT_EQ(saved.at("fourier/key_directions").sizes(), (std::vector<int64_t>{2 * keys, 64}));
  EXPECT_GE(row["ablation/clean/acc"].get<double>(), 0.95) << row;
  EXPECT_LT(row["ablation/hook_embed/acc"].get<double>(), 0.1) << row;
  EXPECT_GE(row["ablation/hook_embed/random/acc"].get<double>(), 0.6) << row;
}

}  // namespace phenom::testing
