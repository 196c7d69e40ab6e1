// A deterministic mutation fuzz of the spec reader and the command-line overrides, seeded with
// the shipped configs: every input must either load or be refused as bad input (SpecError or
// BadInput: exit 2 in the CLI), never throw anything else. PHENOM_FUZZ_INPUTS sets the count
// (default 20000; the documented long run used 10^6).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <random>

#include "core/error.h"
#include "core/io.h"
#include "spec/spec.h"

namespace phenom {
namespace {

const std::vector<std::string> kTokens = {
    "-1", "0", "1e308", "-1e308", ".nan", ".inf", "-.inf", "null", "~", "[]", "{}", "true", "no",
    "99999999999999999999", "0x10", "1.5", "''", "\"\"", "[1, 2", "{a: 1", "&a", "*a", "!!str", "!custom",
    "<<: {x: 1}", "---", "...", "? x", "| ", "> ", "%YAML 1.2", "@", "`", "range(0,3)", "inf", "2/3", "é",
    "\t", "#", ": ", "- ", "type: mlp", "every: 0", "steps: -5", "lr: 1e-3"};
const std::string kChars = "{}[]:,-#&*!|>'\"%@` \n\t0123456789.e+_abcxyz";

std::vector<std::string> seed_texts() {
  std::vector<std::string> texts;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(std::string(PHENOM_SOURCE_DIR) + "/configs")) {
    if (entry.path().extension() == ".yaml") texts.push_back(read_file(entry.path().string()));
  }
  std::sort(texts.begin(), texts.end());
  return texts;
}

std::string mutate(std::string text, std::mt19937_64& rng) {
  auto pick = [&](size_t n) { return n == 0 ? size_t{0} : static_cast<size_t>(rng() % n); };
  const int edits = 1 + static_cast<int>(pick(4));
  for (int e = 0; e < edits; ++e) {
    const size_t at = pick(text.size() + 1);
    switch (pick(7)) {
      case 0: text.erase(at, 1 + pick(12)); break;
      case 1: text.insert(at, 1, kChars[pick(kChars.size())]); break;
      case 2: text.insert(at, kTokens[pick(kTokens.size())]); break;
      case 3: {  // duplicate a line
        const size_t start = text.rfind('\n', at == 0 ? 0 : at - 1), end = text.find('\n', at);
        const size_t from = start == std::string::npos ? 0 : start + 1;
        text.insert(from, text.substr(from, (end == std::string::npos ? text.size() : end) - from) + "\n");
        break;
      }
      case 4: {  // replace the value after a colon
        const size_t colon = text.find(": ", at);
        if (colon == std::string::npos) break;
        const size_t end = text.find_first_of(",}\n", colon + 2);
        text.replace(colon + 2, (end == std::string::npos ? text.size() : end) - colon - 2, kTokens[pick(kTokens.size())]);
        break;
      }
      case 5: text.insert(at, std::string(1 + pick(4), ' ')); break;  // indentation
      default: text = text.substr(0, at); break;                         // truncation
    }
  }
  return text;
}

std::vector<std::string> random_overrides(std::mt19937_64& rng) {
  static const std::vector<std::string> keys = {
      "name", "seed", "task", "task.type", "task.modulus", "model", "model.width", "model.x.y", "optimizer.lr",
      "train.steps", "probes.0.every", "probes.99999999999999999999.every", "probes.-1", "expect.final.test/acc",
      "sweep.seed", "name.x", "threads", "train.checkpoint_every", "detectors.0", ".", "a..b", "", "=x"};
  std::vector<std::string> out;
  const size_t n = rng() % 3;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(keys[rng() % keys.size()] + "=" + kTokens[rng() % kTokens.size()]);
  }
  return out;
}

TEST(Fuzz, SpecReaderAcceptsOrRefusesEveryMutationWithBadInput) {
  const std::vector<std::string> seeds = seed_texts();
  ASSERT_GE(seeds.size(), 10u);
  const char* env = std::getenv("PHENOM_FUZZ_INPUTS");
  const long inputs = env ? std::atol(env) : 20000;
  std::mt19937_64 rng(20261202);
  long loaded = 0, refused = 0;
  for (long i = 0; i < inputs; ++i) {
    const std::string text = mutate(seeds[rng() % seeds.size()], rng);
    const std::vector<std::string> overrides = (i % 4 == 0) ? random_overrides(rng) : std::vector<std::string>{};
    try {
      load_spec_text(text, overrides, "fuzz.yaml");
      ++loaded;
    } catch (const SpecError&) {
      ++refused;
    } catch (const BadInput&) {
      ++refused;
    } catch (const std::exception& e) {
      std::string args;
      for (const auto& o : overrides) args += " " + o;
      FAIL() << "input " << i << " threw " << typeid(e).name() << ": " << e.what() << "\noverrides:" << args
             << "\n--- text ---\n" << text;
    }
  }
  // Both outcomes occur: the mutations neither all break the specs nor leave them all intact.
  EXPECT_GT(loaded, inputs / 50);
  EXPECT_GT(refused, inputs / 10);
  std::cout << "[fuzz] " << inputs << " inputs: " << loaded << " loaded, " << refused << " refused (exit 2)\n";
}

}  // namespace
}  // namespace phenom
