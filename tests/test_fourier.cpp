// The fourier probe's mathematics on weights and logits built with known frequencies.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "ops/loss.h"
#include "probes/fourier_math.h"

namespace phenom {
namespace {

constexpr int64_t kP = 13;

// A column cos(2 pi f r / p + phase) over the residues r.
torch::Tensor wave(int64_t f, double phase, double amplitude = 1.0) {
  auto r = torch::arange(kP, torch::kDouble);
  return amplitude * torch::cos(r * (2 * M_PI * f / kP) + phase);
}

TEST(Fourier, SingleFrequencyUnitsHaveIprOneAndTheirFrequency) {
  // 3 units (columns) over two blocks (a-rows then b-rows), frequencies 2, 5, 5.
  auto a = torch::stack({wave(2, 0.3), wave(5, 1.0), wave(5, -0.4, 2.0)}, 1);
  auto b = torch::stack({wave(2, 1.3), wave(5, 0.1), wave(5, 2.0, 0.5)}, 1);
  FourierStats s = fourier_stats(torch::cat({a, b}, 0), kP, 0.9);
  EXPECT_EQ(s.power.sizes(), (std::vector<int64_t>{kP / 2 + 1, 3}));
  for (int64_t u = 0; u < 3; ++u) {
    EXPECT_NEAR(s.ipr[u].item<double>(), 1.0, 1e-9);
    EXPECT_NEAR(s.top_fraction[u].item<double>(), 1.0, 1e-9);
  }
  EXPECT_EQ(s.top_frequency[0].item<int64_t>(), 2);
  EXPECT_EQ(s.top_frequency[1].item<int64_t>(), 5);
  // Frequency 5 holds 1^2+1^2+2^2+0.5^2 = 6.25 of 8.25 units of power (0.76 < 0.9): both are key.
  EXPECT_EQ(s.key_frequencies, (std::vector<int64_t>{2, 5}));
  FourierStats strict = fourier_stats(torch::cat({a, b}, 0), kP, 0.7);
  EXPECT_EQ(strict.key_frequencies, (std::vector<int64_t>{5}));
}

// Powers of the smallest primitive root: 3 for 7 (3^k mod 7 = 1, 3, 2, 6, 4, 5), 2 for 13; none
// for a composite modulus.
TEST(Fourier, DiscreteLogOrderListsThePowersOfThePrimitiveRoot) {
  EXPECT_EQ(discrete_log_order(7), (std::vector<int64_t>{1, 3, 2, 6, 4, 5}));
  const std::vector<int64_t> order = discrete_log_order(kP);
  ASSERT_EQ(order.size(), static_cast<size_t>(kP - 1));
  EXPECT_EQ(order[1], 2);
  std::vector<int64_t> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t r = 1; r < kP; ++r) EXPECT_EQ(sorted[r - 1], r);  // every nonzero residue once
  EXPECT_TRUE(discrete_log_order(12).empty());
}

// A dead unit (all-zero weights) has no spectrum: it is not live and not counted in the median.
TEST(Fourier, DeadUnitsAreLeftOutOfTheMedians) {
  auto w = torch::stack({wave(3, 0.0), torch::zeros({kP}, torch::kDouble), torch::zeros({kP}, torch::kDouble)}, 1);
  FourierStats s = fourier_stats(w, kP, 0.9);
  EXPECT_EQ(s.live.sum().item<int64_t>(), 1);
  ASSERT_TRUE(live_median(s.ipr, s.live).has_value());
  EXPECT_NEAR(*live_median(s.ipr, s.live), 1.0, 1e-9);  // with the dead units counted it would be 0
  EXPECT_FALSE(live_median(s.ipr, torch::zeros({3}, torch::kBool)).has_value());
}

TEST(Fourier, EqualMixturesAndFlatSpectraHaveTheExpectedIpr) {
  // Two frequencies of equal amplitude: IPR = 2 * (1/2)^2 = 1/2; top fraction 1/2.
  auto mix = (wave(1, 0.0) + wave(4, 0.7)).unsqueeze(1);
  FourierStats s = fourier_stats(mix, kP, 0.9);
  EXPECT_NEAR(s.ipr[0].item<double>(), 0.5, 1e-9);
  EXPECT_NEAR(s.top_fraction[0].item<double>(), 0.5, 1e-9);
  // A delta at one residue has |F_k| = 1 for every k: P_0 = 1, P_f = 2 for f = 1..6, so
  // IPR = (1 + 6*4) / 13^2.
  auto delta = torch::zeros({kP, 1}, torch::kDouble);
  delta[3][0] = 1;
  EXPECT_NEAR(fourier_stats(delta, kP, 0.9).ipr[0].item<double>(), 25.0 / 169.0, 1e-12);
}

TEST(Fourier, NeuronsAsFunctionsOfBothOperandsAreAttributedToTheirFrequency) {
  // Unit 0: cos(w3 (a + b)) = cos(w3 a)cos(w3 b) - sin(w3 a)sin(w3 b): all power at frequency 3.
  // Unit 1: cos(w2 a) + sin(w5 b): half at 2, half at 5. Unit 2 adds a constant, which is ignored.
  auto x = torch::zeros({kP * kP, 3}, torch::kDouble);
  auto acc = x.accessor<double, 2>();
  const double w = 2 * M_PI / kP;
  for (int64_t a = 0; a < kP; ++a) {
    for (int64_t b = 0; b < kP; ++b) {
      acc[a * kP + b][0] = std::cos(3 * w * (a + b));
      acc[a * kP + b][1] = std::cos(2 * w * a) + std::sin(5 * w * b);
      acc[a * kP + b][2] = 4.0 + std::cos(3 * w * (a + b));
    }
  }
  FourierStats s = neuron_fourier_stats(x, kP, 0.9);
  EXPECT_NEAR(s.ipr[0].item<double>(), 1.0, 1e-9);
  EXPECT_NEAR(s.top_fraction[0].item<double>(), 1.0, 1e-9);
  EXPECT_EQ(s.top_frequency[0].item<int64_t>(), 3);
  EXPECT_NEAR(s.ipr[1].item<double>(), 0.5, 1e-9);
  EXPECT_NEAR(s.top_fraction[1].item<double>(), 0.5, 1e-9);
  EXPECT_NEAR(s.ipr[2].item<double>(), 1.0, 1e-9);
  EXPECT_EQ(s.key_frequencies, (std::vector<int64_t>{2, 3, 5}));
  // A dead neuron (all zeros) has IPR 0, not NaN.
  FourierStats dead = neuron_fourier_stats(torch::zeros({kP * kP, 1}, torch::kDouble), kP, 0.9);
  EXPECT_EQ(dead.ipr[0].item<double>(), 0.0);
  EXPECT_EQ(dead.top_fraction[0].item<double>(), 0.0);
}

// Logits over the full table, L[a*p + b, c].
torch::Tensor table(const std::function<double(int64_t, int64_t, int64_t)>& f) {
  auto L = torch::zeros({kP * kP, kP}, torch::kDouble);
  auto acc = L.accessor<double, 2>();
  for (int64_t a = 0; a < kP; ++a)
    for (int64_t b = 0; b < kP; ++b)
      for (int64_t c = 0; c < kP; ++c) acc[a * kP + b][c] = f(a, b, c);
  return L;
}

TEST(Fourier, RestrictedAndExcludedLogitsSeparateTheKeyFrequencyTerms) {
  const double w2 = 2 * M_PI * 2 / kP, w3 = 2 * M_PI * 3 / kP, w5 = 2 * M_PI * 5 / kP;
  auto algorithm = table([&](int64_t a, int64_t b, int64_t c) {
    return 3 * std::cos(w2 * (a + b - c)) + 0.5 * std::sin(w3 * (a + b - c) + 0.2);
  });
  auto other = table([&](int64_t a, int64_t b, int64_t c) { return std::cos(w5 * a) + 0.3 * std::sin(w2 * (a - b)) * c; });
  LogitSplit split = split_logits(algorithm + other, kP, {2, 3}, +1);
  EXPECT_TRUE(torch::allclose(split.restricted, algorithm, 1e-9, 1e-9));
  EXPECT_TRUE(torch::allclose(split.excluded, other, 1e-9, 1e-9));
  // Only frequency 2 is key: the frequency-3 term moves to the excluded part.
  LogitSplit only2 = split_logits(algorithm, kP, {2}, +1);
  auto f3 = table([&](int64_t a, int64_t b, int64_t c) { return 0.5 * std::sin(w3 * (a + b - c) + 0.2); });
  EXPECT_TRUE(torch::allclose(only2.excluded, f3, 1e-9, 1e-9));
  // Subtraction uses a - b - c.
  auto sub = table([&](int64_t a, int64_t b, int64_t c) { return std::cos(w2 * (a - b - c)); });
  EXPECT_TRUE(torch::allclose(split_logits(sub, kP, {2}, -1).restricted, sub, 1e-9, 1e-9));
}

// The probe's losses of the two parts, computed without building them, against compute_loss on
// split_logits' tensors: every pair for the restricted part, a subset of rows for the excluded.
TEST(Fourier, SplitLossesMatchTheLossesOfTheBuiltSplit) {
  torch::manual_seed(3);
  const auto logits = torch::randn({kP * kP, kP}, torch::kDouble) +
                      table([&](int64_t a, int64_t b, int64_t c) { return 2 * std::cos(2 * M_PI * 2 * (a - b - c) / kP); });
  const auto rows = torch::randperm(kP * kP, torch::kLong).slice(0, 0, kP * kP / 3);
  for (int sign : {+1, -1}) {
    const auto all = torch::arange(kP * kP, torch::kLong);
    const auto targets = ((all.div(kP, "floor") + sign * (all % kP)) % kP + kP) % kP;
    const LogitSplit split = split_logits(logits, kP, {2, 5}, sign);
    for (const Loss loss : {Loss::kMse, Loss::kCrossEntropy}) {
      SCOPED_TRACE(std::string(word(loss)) + " sign " + std::to_string(sign));
      const SplitLosses fast = split_losses(logits, kP, {2, 5}, sign, loss, rows);
      EXPECT_NEAR(fast.restricted, compute_loss(loss, split.restricted, targets).item<double>(), 1e-12);
      EXPECT_NEAR(fast.excluded,
                  compute_loss(loss, split.excluded.index_select(0, rows), targets.index_select(0, rows)).item<double>(),
                  1e-12);
    }
  }
}

}  // namespace
}  // namespace phenom
