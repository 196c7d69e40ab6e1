// Hostile input beyond the fuzzers' reach: alias bombs, exploding or looping defaults, numbers out
// of any range, invalid UTF-8, grids too large to expand. Each is refused at once with exit 2 (or
// SpecError in process), naming where, before anything is created.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include "cli_helpers.h"
#include "core/error.h"
#include "spec/spec.h"

namespace fs = std::filesystem;

namespace phenom {
namespace {

using namespace phenom::testing;

// Ten levels of ten aliases each: 10^10 nodes once expanded, a few hundred bytes as text.
std::string alias_bomb() {
  std::string text = "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int level = 1; level < 10; ++level) {
    const std::string below = "*l" + std::to_string(level - 1);
    text += "l" + std::to_string(level) + ": &l" + std::to_string(level) + " [" + below;
    for (int i = 1; i < 10; ++i) text += ", " + below;
    text += "]\n";
  }
  return text;
}

std::string spec_problems(const std::string& path) {
  try {
    load_spec(path);
  } catch (const SpecError& e) {
    return e.what();
  }
  return "";
}

TEST(Hostile, AnAliasBombIsRefusedAtItsLineInASpecOrABase) {
  TempDir tmp;
  const auto start = std::chrono::steady_clock::now();
  write_text(tmp / "bomb.yaml", "name: bomb\n" + alias_bomb());
  const std::string direct = spec_problems(tmp / "bomb.yaml");
  EXPECT_NE(direct.find("bomb.yaml:6:"), std::string::npos) << direct;  // l4: where the count passes 100,000
  EXPECT_NE(direct.find("alias"), std::string::npos) << direct;
  write_text(tmp / "spec.yaml", "defaults: [bomb.yaml]\nname: uses-a-bomb\n");
  const std::string based = spec_problems(tmp / "spec.yaml");
  EXPECT_NE(based.find("bomb.yaml:6:"), std::string::npos) << based;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));  // was: an hour at 100% CPU
}

TEST(Hostile, DefaultsThatExplodeOrLoopAreRefusedAndABasesUnknownKeyHasItsLine) {
  TempDir tmp;
  // A diamond: every level lists the next four times (4^9 loads).
  for (int level = 0; level < 9; ++level) {
    const std::string next = "d" + std::to_string(level + 1) + ".yaml";
    write_text(tmp / ("d" + std::to_string(level) + ".yaml"),
               "defaults: [" + next + ", " + next + ", " + next + ", " + next + "]\n");
  }
  write_text(tmp / "d9.yaml", "seed: 1\n");
  const auto start = std::chrono::steady_clock::now();
  const std::string diamond = spec_problems(tmp / "d0.yaml");
  EXPECT_NE(diamond.find("more than 256 base files"), std::string::npos) << diamond;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  // A symlink that points at itself: a spec error, not a filesystem exception.
  fs::create_symlink("loop.yaml", tmp / "loop.yaml");
  write_text(tmp / "looped.yaml", "defaults: [loop.yaml]\n");
  const std::string loop = spec_problems(tmp / "looped.yaml");
  EXPECT_NE(loop.find("looped.yaml:1:12"), std::string::npos) << loop;
  EXPECT_NE(loop.find("cannot read the base spec"), std::string::npos) << loop;
  // A misspelt section in a base: its file, line and column.
  write_text(tmp / "base.yaml", "seed: 1\ntsak: {type: modular_arithmetic}\n");
  write_text(tmp / "top.yaml", "defaults: [base.yaml]\nname: top\n");
  const std::string unknown = spec_problems(tmp / "top.yaml");
  EXPECT_NE(unknown.find("base.yaml:2:1: tsak: unknown key 'tsak'"), std::string::npos) << unknown;
}

TEST(Hostile, NumbersBeyondAnyRangeAndTextThatIsNotUtf8AreExit2BeforeAnythingIsCreated) {
  TempDir tmp;
  write_text(tmp / "spec.yaml", small_grokking_spec(10));
  write_text(tmp / "a.yaml", "analyses:\n  - {type: loss_accuracy}\n");
  const auto refused = [&](const std::string& args, const std::string& says) {
    const CliResult r = run_cli(args, tmp.path);
    EXPECT_EQ(r.code, 2) << args << "\n" << r.output;
    EXPECT_NE(r.output.find(says), std::string::npos) << args << "\n" << r.output;
    EXPECT_FALSE(fs::exists(tmp / "runs")) << args;
  };
  refused("run spec.yaml --threads 0", "allowed: a whole number from 1 to 4096. Fix: e.g. --threads 2");
  refused("sweep spec.yaml --jobs 99999999999999999999", "allowed: a whole number from 1 to 4096");
  refused("analyze nowhere a.yaml --steps 99999999999999999999", "at most 18 digits");
  refused("validate spec.yaml task.modulus=9223372036854775807", "task.modulus: 9223372036854775807 is too large");
  refused("validate spec.yaml expect.final.test/acc=.nan", "nothing compares to NaN");
  refused("sweep spec.yaml 'seed=range(0,1000000000)'", "the range has 1000000000 values; a sweep has at most 100000 jobs");
  refused("sweep spec.yaml 'seed=range(0,1000)' 'optimizer.lr=range(1,1000)'", "(1000 seed x 999 optimizer.lr) has more than 100000 jobs");
  write_text(tmp / "name.yaml", small_grokking_spec(10) + "name: \xff\xfe\n");
  refused("run name.yaml", "name.yaml:10:7: this byte is not UTF-8");
  refused("run spec.yaml name=caf\xe9", "command line override 1: it is not UTF-8 text");
}

}  // namespace
}  // namespace phenom
