// Analyses are as durable as runs (one writer, torn rows and temporaries repaired, an unfinished
// run never marked complete, damaged checkpoints named with a fix analyze has), and --fresh removes
// only what phenom wrote.
#include <gtest/gtest.h>
#include <sys/file.h>

#include <nlohmann/json.hpp>

#include "analyze_helpers.h"

namespace fs = std::filesystem;

namespace phenom {
namespace {

using namespace phenom::testing;
using Json = nlohmann::json;

std::string only_analysis(const std::string& run) {
  std::vector<std::string> dirs;
  for (const auto& e : fs::directory_iterator(run + "/analyses")) dirs.push_back(e.path().string());
  EXPECT_EQ(dirs.size(), 1u);
  return dirs.empty() ? "" : dirs.front();
}

size_t whole_rows(const std::string& path) {
  std::istringstream in(slurp(path));
  size_t rows = 0;
  for (std::string line; std::getline(in, line);) {
    EXPECT_FALSE(Json::parse(line, nullptr, false).is_discarded()) << path << ": " << line;
    ++rows;
  }
  return rows;
}

TEST(AnalysisDurability, OneWriterAtATimeAndATornRowOrTemporaryIsRepaired) {
  TempDir tmp;
  write_text(tmp / "run.yaml", kMlp);
  ASSERT_EQ(run_cli("run run.yaml train.checkpoint_every=50 --out run --threads 1 --no-plot --quiet", tmp.path).code, 0);
  write_text(tmp / "a.yaml", "analyses:\n  - {type: loss_accuracy}\n  - {type: pca, hook: layers.0.hook_post, components: 2}\n");
  ASSERT_EQ(run_cli("analyze run a.yaml --steps 0,50 --quiet --no-plot", tmp.path).code, 0);
  const std::string out = only_analysis(tmp / "run");
  // A second process while one holds the analysis: refused, nothing appended.
  const int held = open((out + "/.lock").c_str(), O_RDWR);
  ASSERT_EQ(flock(held, LOCK_EX | LOCK_NB), 0);
  const std::string before = slurp(out + "/results.jsonl");
  const CliResult second = run_cli("analyze run a.yaml --steps all --no-plot", tmp.path);
  EXPECT_EQ(second.code, 2) << second.output;
  EXPECT_NE(second.output.find("another phenom analyze is writing"), std::string::npos) << second.output;
  EXPECT_EQ(slurp(out + "/results.jsonl"), before);
  close(held);
  // What a full disk or a kill leaves: a torn last row, a temporary. The next start repairs both.
  std::ofstream(out + "/results.jsonl", std::ios::app) << "{\"step\": 100, \"analysis\": \"0.loss";
  write_text(out + "/tensors/step_100.1.pca.safetensors.tmp.4242.0", "half");
  const CliResult resumed = run_cli("analyze run a.yaml --steps all --quiet --no-plot", tmp.path);
  EXPECT_EQ(resumed.code, 0) << resumed.output;
  EXPECT_EQ(whole_rows(out + "/results.jsonl"), 8u);  // 4 checkpoints x 2 instruments, each once
  EXPECT_FALSE(fs::exists(out + "/tensors/step_100.1.pca.safetensors.tmp.4242.0"));
  EXPECT_TRUE(fs::exists(out + "/DONE"));
  // A damaged checkpoint: named, with a fix that analyze has.
  std::string pt = slurp(tmp / "run/checkpoints/step_50.pt");
  pt[pt.size() / 2] ^= 0x01;
  write_text(tmp / "run/checkpoints/step_50.pt", pt);
  write_text(tmp / "b.yaml", "analyses:\n  - {type: weight_norm}\n");
  const CliResult damaged = run_cli("analyze run b.yaml --steps 50 --no-plot", tmp.path);
  EXPECT_EQ(damaged.code, 1) << damaged.output;
  EXPECT_NE(damaged.output.find("step_50.pt' is damaged"), std::string::npos) << damaged.output;
  EXPECT_NE(damaged.output.find("Fix: analyze the other steps"), std::string::npos) << damaged.output;
  EXPECT_EQ(damaged.output.find("start over with --fresh"), std::string::npos) << damaged.output;
}

TEST(AnalysisDurability, AnUnfinishedRunIsAnalysedButNotMarkedComplete) {
  TempDir tmp;
  write_text(tmp / "run.yaml", kMlp);
  const std::string train = "run run.yaml train.checkpoint_every=50 --out run --threads 1 --no-plot --quiet";
  ASSERT_EQ(run_cli(train + " --stop-at 100", tmp.path).code, 130);
  write_text(tmp / "a.yaml", "analyses:\n  - {type: weight_norm}\n");
  const CliResult partial = run_cli("analyze run a.yaml --steps all --no-plot", tmp.path);
  EXPECT_EQ(partial.code, 0) << partial.output;
  EXPECT_NE(partial.output.find("has not finished"), std::string::npos) << partial.output;
  const std::string out = only_analysis(tmp / "run");
  EXPECT_FALSE(fs::exists(out + "/DONE"));
  ASSERT_EQ(run_cli(train, tmp.path).code, 0);
  const CliResult complete = run_cli("analyze run a.yaml --steps all --quiet --no-plot", tmp.path);
  EXPECT_EQ(complete.code, 0) << complete.output;
  EXPECT_TRUE(fs::exists(out + "/DONE"));
  EXPECT_EQ(whole_rows(out + "/results.jsonl"), 4u);  // steps 0, 50, 100, 150
}

TEST(Fresh, RemovesOnlyWhatPhenomWroteAndKeepsAnalysesAside) {
  TempDir tmp;
  write_text(tmp / "run.yaml", kMlp);
  ASSERT_EQ(run_cli("run run.yaml --out run --threads 1 --quiet", tmp.path).code, 0);  // with figures
  ASSERT_TRUE(fs::exists(tmp / "run/plots/.phenom-files"));
  write_text(tmp / "a.yaml", "analyses:\n  - {type: weight_norm}\n");
  ASSERT_EQ(run_cli("analyze run a.yaml --quiet --no-plot", tmp.path).code, 0);
  const std::string analysis = fs::path(only_analysis(tmp / "run")).filename();
  const std::vector<std::string> mine = {"run/checkpoints/my_extra.bin", "run/plots/figure1.pdf", "run/tb/notes.txt",
                                         "run/analyses/paper.txt", "run/notes.txt"};
  for (const auto& f : mine) write_text(tmp / f, "mine\n");
  const CliResult fresh = run_cli("run run.yaml --out run --threads 1 --no-plot --fresh", tmp.path);
  EXPECT_EQ(fresh.code, 0) << fresh.output;
  for (const auto& f : mine) EXPECT_EQ(slurp(tmp / f), "mine\n") << f;
  EXPECT_NE(fresh.output.find("analyses of the replaced run are kept"), std::string::npos) << fresh.output;
  bool aside = false;
  for (const auto& e : fs::directory_iterator(tmp / "run/analyses")) {
    const std::string name = e.path().filename();
    if (name.rfind(analysis + ".before-fresh-", 0) == 0) aside = fs::exists(e.path() / "results.jsonl");
    EXPECT_NE(name, analysis) << "the replaced run's analysis is still where the new run's would go";
  }
  EXPECT_TRUE(aside);
  for (const auto& e : fs::directory_iterator(tmp / "run/plots")) {  // phenom's figures went, the user's stayed
    EXPECT_NE(e.path().extension(), ".png") << e.path();
  }
  EXPECT_TRUE(fs::exists(tmp / "run/checkpoints/last.pt"));
  // --force-fresh in a directory phenom did not create: its names replaced, nothing of the user's.
  const std::vector<std::string> theirs = {"other/checkpoints/resnet50_final.pth", "other/plots/figure1.pdf",
                                           "other/analyses/paper.txt", "other/tb/events.txt"};
  for (const auto& f : theirs) {
    fs::create_directories(fs::path(tmp / f).parent_path());
    write_text(tmp / f, "theirs\n");
  }
  const CliResult forced = run_cli("run run.yaml --out other --threads 1 --no-plot --quiet --force-fresh", tmp.path);
  EXPECT_EQ(forced.code, 0) << forced.output;
  for (const auto& f : theirs) EXPECT_EQ(slurp(tmp / f), "theirs\n") << f;
}

}  // namespace
}  // namespace phenom
