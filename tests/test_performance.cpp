// The fast paths must compute what the plain LibTorch ops compute.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <limits>
#include <torch/torch.h>

#include "ops/dense.h"
#include "ops/gemm.h"
#include "ops/loss.h"

namespace phenom {
namespace {

double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).abs().max().item<double>(); }

TEST(Gemm, BackendIsChosenAndNamed) {
  const GemmBackend& backend = gemm_backend();
  EXPECT_FALSE(backend.name.empty());
  EXPECT_EQ(backend.onednn, backend.reason.empty()) << backend.reason;
}

// Forward and both gradients of phenom::linear / phenom::matmul against at::linear / at::matmul,
// for both weight layouts, with and without bias, on strided inputs (a transposed view, a selected
// position of a sequence) and a 3-D input.
TEST(Dense, MatchesLibTorchForwardAndBackward) {
  torch::manual_seed(3);
  for (bool out_in : {true, false}) {
    for (bool with_bias : {true, false}) {
      for (int shape = 0; shape < 3; ++shape) {
        const int64_t in = 37, out = 29;
        torch::Tensor base = shape == 0   ? torch::randn({53, in})
                             : shape == 1 ? torch::randn({in, 53}).t()
                                          : torch::randn({11, 3, in});
        torch::Tensor w = torch::randn(out_in ? std::vector<int64_t>{out, in} : std::vector<int64_t>{in, out});
        torch::Tensor b = with_bias ? torch::randn({out}) : torch::Tensor();
        auto run = [&](bool fast) {
          torch::Tensor x = base.detach().clone().requires_grad_(true);
          torch::Tensor wv = w.detach().clone().requires_grad_(true);
          torch::Tensor bv = with_bias ? b.detach().clone().requires_grad_(true) : torch::Tensor();
          torch::Tensor y;
          if (fast) {
            y = out_in ? phenom::linear(x, wv, bv) : phenom::matmul(x, wv, bv);
          } else {
            y = out_in ? torch::nn::functional::linear(x, wv, bv) : torch::matmul(x, wv);
            if (!out_in && with_bias) y = y + bv;
          }
          torch::Tensor weights = torch::linspace(-1, 1, y.numel()).view(y.sizes());
          (y * weights).sum().backward();
          return std::vector<torch::Tensor>{y, x.grad(), wv.grad(), with_bias ? bv.grad() : torch::zeros({1})};
        };
        auto fast = run(true), reference = run(false);
        for (size_t i = 0; i < fast.size(); ++i) {
          ASSERT_EQ(fast[i].sizes(), reference[i].sizes()) << "output " << i;
          EXPECT_LT(max_abs_diff(fast[i], reference[i]), 1e-4 * (1 + reference[i].abs().max().item<double>()))
              << "output " << i << " out_in " << out_in << " bias " << with_bias << " shape " << shape;
        }
      }
    }
  }
}

// A Hessian-vector product through a dense layer (double backward) equals the analytic one:
// for f(W) = sum((x W^T)^2) / 2, the Hessian applied to V is V x^T x.
TEST(Dense, SecondDerivativesFlowThroughTheFastPath) {
  torch::manual_seed(4);
  torch::Tensor x = torch::randn({20, 7});
  torch::Tensor w = torch::randn({5, 7}).requires_grad_(true);
  torch::Tensor v = torch::randn({5, 7});
  torch::Tensor y = phenom::linear(x, w);
  torch::Tensor f = 0.5 * (y * y).sum();
  torch::Tensor g = torch::autograd::grad({f}, {w}, {}, true, true)[0];
  torch::Tensor hv = torch::autograd::grad({(g * v).sum()}, {w})[0];
  EXPECT_LT(max_abs_diff(hv, v.mm(x.t().mm(x))), 1e-3);
}

// Float64 and frozen (no-grad) inputs take the LibTorch path or skip the graph, with exact values.
TEST(Dense, Float64IsExactAndFrozenWeightsGetNoGradient) {
  torch::Tensor x = torch::randn({9, 4}, torch::kDouble), w = torch::randn({3, 4}, torch::kDouble);
  EXPECT_TRUE(torch::equal(phenom::linear(x, w), torch::nn::functional::linear(x, w)));
  torch::Tensor xf = torch::randn({9, 4}).requires_grad_(true), frozen = torch::randn({3, 4});
  phenom::linear(xf, frozen).sum().backward();
  EXPECT_TRUE(xf.grad().defined());
  EXPECT_FALSE(frozen.grad().defined());
}

// The token MLP's first layer: the gather/scatter pair equals one-hot(tokens) @ W in value,
// gradient and second derivative, on a column slice of the inputs (how the MLP calls it).
TEST(EmbeddingSum, EqualsOneHotMatmulWithGradients) {
  torch::manual_seed(5);
  const int64_t V = 11, T = 2, width = 6, B = 40;
  torch::Tensor inputs = torch::randint(0, V, {B, 3}, torch::kLong);
  torch::Tensor tokens = inputs.slice(1, 0, T);
  torch::Tensor one_hot = torch::cat({torch::one_hot(tokens.select(1, 0), V), torch::one_hot(tokens.select(1, 1), V)}, 1)
                              .to(torch::kFloat);
  torch::Tensor weight = torch::randn({T * V, width});
  torch::Tensor g = torch::randn({B, width});
  auto run = [&](bool fast) {
    torch::Tensor w = weight.clone().requires_grad_(true);
    torch::Tensor h = fast ? embedding_sum(w, tokens, V) : one_hot.mm(w);
    // f = sum(g * h^2) has a non-zero second derivative, so both passes are exercised.
    torch::Tensor f = (g * h * h).sum();
    torch::Tensor dw = torch::autograd::grad({f}, {w}, {}, true, true)[0];
    torch::Tensor hv = torch::autograd::grad({dw.sum()}, {w})[0];
    return std::vector<torch::Tensor>{h, dw, hv};
  };
  auto fast = run(true), reference = run(false);
  for (size_t i = 0; i < fast.size(); ++i) EXPECT_LT(max_abs_diff(fast[i], reference[i]), 1e-4) << "output " << i;
  EXPECT_THROW(embedding_sum(weight, torch::full({1, 2}, V, torch::kLong), V), std::exception);
}

// The fused quadratic activation equals x * x in value, gradient and second derivative.
TEST(Square, EqualsXTimesXWithGradients) {
  torch::manual_seed(8);
  torch::Tensor base = torch::randn({70000});  // above the parallel grain: both threads' chunks
  torch::Tensor g = torch::randn({70000});
  auto run = [&](bool fast) {
    torch::Tensor x = base.clone().requires_grad_(true);
    torch::Tensor y = fast ? phenom::square(x) : x * x;
    torch::Tensor dx = torch::autograd::grad({(y * g).sum()}, {x}, {}, true, true)[0];
    torch::Tensor ddx = torch::autograd::grad({(dx * dx).sum()}, {x})[0];
    return std::vector<torch::Tensor>{y, dx, ddx};
  };
  auto fast = run(true), reference = run(false);
  for (size_t i = 0; i < fast.size(); ++i) EXPECT_LT(max_abs_diff(fast[i], reference[i]), 1e-5) << "output " << i;
}

// What phenom guarantees on every CPU: at a fixed thread count the dense layers' products (forward
// and both gradients) are the same bits on every call, which is what a resume under the same
// thread plan needs. Across thread counts oneDNN may split a long reduction differently (it does
// at 3-4 threads on an AVX2 EPYC, and at 8 on an AVX-512 Xeon), so there only float32 rounding
// is asserted: the products agree to 1e-5 of their scale. Shapes: the grokking MLP's forward and
// weight gradient (4704 examples), and the small transformer's read-out.
TEST(Dense, SameBitsAtTheSameThreadCountAndRoundingAcrossCounts) {
  if (!gemm_backend().onednn) GTEST_SKIP() << "no oneDNN here: " << gemm_backend().reason;
  torch::manual_seed(11);
  const int before = at::get_num_threads();
  const std::vector<std::array<int64_t, 3>> shapes = {{4704, 500, 97}, {97, 4704, 500}, {500, 4704, 97}, {64, 3481, 256}};
  for (const auto& [m, k, n] : shapes) {
    const torch::Tensor x = torch::randn({m, k}), w = torch::randn({n, k}), g = torch::randn({m, n});
    auto products = [&] {
      torch::Tensor xv = x.clone().requires_grad_(true), wv = w.clone().requires_grad_(true);
      torch::Tensor y = phenom::linear(xv, wv);
      y.backward(g);
      return std::vector<torch::Tensor>{y.detach(), xv.grad(), wv.grad()};
    };
    at::set_num_threads(1);
    const std::vector<torch::Tensor> reference = products();
    for (int threads : {1, 2, 3, 4}) {
      at::set_num_threads(threads);
      const std::vector<torch::Tensor> first = products(), second = products();
      for (size_t i = 0; i < first.size(); ++i) {
        EXPECT_TRUE(torch::equal(first[i], second[i]))
            << m << "x" << k << "x" << n << " product " << i << ": two calls at " << threads << " threads differ";
        const double scale = reference[i].abs().max().item<double>();
        EXPECT_LE(max_abs_diff(first[i], reference[i]), 1e-5 * scale)
            << m << "x" << k << "x" << n << " product " << i << " at " << threads << " threads vs 1";
      }
    }
  }
  at::set_num_threads(before);
}

// The fused class-target MSE equals MSELoss against one-hot targets: value, gradient, and (through
// create_graph) second derivative; a target outside the classes is refused.
TEST(Loss, FusedClassMseEqualsMseAgainstOneHot) {
  torch::manual_seed(6);
  torch::Tensor logits = torch::randn({30, 7}), targets = torch::randint(0, 7, {30}, torch::kLong);
  auto run = [&](bool fast) {
    torch::Tensor x = logits.clone().requires_grad_(true);
    torch::Tensor loss = fast ? compute_loss(Loss::kMse, x, targets)
                              : torch::mse_loss(x, torch::one_hot(targets, 7).to(torch::kFloat));
    torch::Tensor g = torch::autograd::grad({loss}, {x}, {}, true, true)[0];
    torch::Tensor gg = torch::autograd::grad({(g * g).sum()}, {x})[0];
    torch::Tensor plain = torch::autograd::grad({fast ? compute_loss(Loss::kMse, x, targets) * 3
                                                      : torch::mse_loss(x, torch::one_hot(targets, 7).to(torch::kFloat)) * 3},
                                                {x})[0];
    return std::vector<torch::Tensor>{loss, g, gg, plain};
  };
  auto fast = run(true), reference = run(false);
  for (size_t i = 0; i < fast.size(); ++i) EXPECT_LT(max_abs_diff(fast[i], reference[i]), 1e-6) << "output " << i;
  EXPECT_THROW(compute_loss(Loss::kMse, logits, torch::full({30}, 7, torch::kLong)), std::exception);
}

// Evaluation's one-pass score equals LibTorch's loss and argmax accuracy, including ties (the
// first maximum wins), a NaN logit (counts as the highest), several row blocks and both float types.
TEST(Loss, ScoreClassesEqualsLossAndArgmax) {
  torch::manual_seed(8);
  for (auto dtype : {torch::kFloat, torch::kDouble}) {
    torch::Tensor logits = torch::randn({1000, 13}, dtype).round();  // many ties
    torch::Tensor targets = logits.argmax(1);
    targets.slice(0, 0, 500).random_(0, 13);
    logits[7][4] = std::numeric_limits<double>::quiet_NaN();
    const double expected_correct = (logits.argmax(1) == targets).sum().item<double>();
    for (const Loss loss : {Loss::kMse, Loss::kCrossEntropy}) {
      SCOPED_TRACE(word(loss));
      const ClassScore score = score_classes(loss, logits.slice(0, 8), targets.slice(0, 8));
      EXPECT_EQ(score.correct, (logits.slice(0, 8).argmax(1) == targets.slice(0, 8)).sum().item<int64_t>());
      EXPECT_NEAR(score.loss_sum / 992, compute_loss(loss, logits.slice(0, 8), targets.slice(0, 8)).item<double>(), 1e-5);
    }
    EXPECT_EQ(static_cast<double>(score_classes(Loss::kMse, logits, targets).correct), expected_correct);
    EXPECT_TRUE(std::isnan(score_classes(Loss::kMse, logits, targets).loss_sum));
  }
}

// The fused token-MLP first layer, act(embedding_sum), equals the two ops bit for bit (forward and
// gradient) for both activations, and its second derivative matches through create_graph.
TEST(EmbeddingSum, FusedActivationEqualsGatherThenActivation) {
  torch::manual_seed(9);
  const int64_t vocab = 11, positions = 2, width = 70;
  torch::Tensor tokens = torch::randint(0, vocab, {300, positions}, torch::kLong);
  torch::Tensor readout = torch::randn({width, 5});
  for (Pointwise act : {Pointwise::kQuadratic, Pointwise::kRelu}) {
    auto layer = [&](const torch::Tensor& w, bool fused) {
      if (fused) return embedding_sum_activated(w, tokens, vocab, act);
      const torch::Tensor h = embedding_sum(w, tokens, vocab);
      return act == Pointwise::kQuadratic ? phenom::square(h) : torch::relu(h);
    };
    auto run = [&](bool fused) {
      torch::manual_seed(10);
      torch::Tensor w = torch::randn({positions * vocab, width}).requires_grad_(true);
      torch::Tensor h = layer(w, fused);
      torch::Tensor loss = h.matmul(readout).pow(2).sum();
      torch::Tensor g = torch::autograd::grad({loss}, {w}, {}, true, true)[0];
      torch::Tensor gg = torch::autograd::grad({(g * g).sum()}, {w})[0];
      torch::Tensor plain = torch::autograd::grad({layer(w, fused).matmul(readout).sum()}, {w})[0];
      return std::vector<torch::Tensor>{h, plain, g, gg};
    };
    auto fused = run(true), reference = run(false);
    EXPECT_TRUE(torch::equal(fused[0], reference[0]));  // forward, bit for bit
    EXPECT_TRUE(torch::equal(fused[1], reference[1]));  // gradient without create_graph, bit for bit
    EXPECT_LT(max_abs_diff(fused[2], reference[2]) / reference[2].abs().max().item<double>(), 1e-5);
    EXPECT_LT(max_abs_diff(fused[3], reference[3]) / reference[3].abs().max().item<double>(), 1e-5);
  }
}

}  // namespace
}  // namespace phenom
