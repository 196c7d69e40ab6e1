// The discrete Fourier spectrum of weights over residues, per unit (neuron / embedding column).
#pragma once
#include <torch/torch.h>

#include <optional>
#include <string>
#include <vector>

namespace phenom {

struct FourierStats {
  // power [n_freq, units]: frequency f in 0..p/2 holds |F_f|^2 + |F_{p-f}|^2 (f and -f together),
  // summed over the blocks of rows (MLP: the a-block and the b-block).
  torch::Tensor power;
  torch::Tensor ipr;           // [units]: sum_f P_f^2 / (sum_f P_f)^2; 1 for a single frequency
  torch::Tensor top_fraction;  // [units]: max_f P_f / sum_f P_f
  torch::Tensor top_frequency; // [units]: argmax_f P_f (int64)
  std::vector<int64_t> key_frequencies;  // fewest f >= 1 holding key_fraction of the power of f >= 1
  std::vector<int64_t> strongest;        // every f >= 1, strongest first
  torch::Tensor live;                    // [units] bool: has power at f >= 1 (a dead unit has no spectrum)
};

// The median of `values` over the live units; nullopt when every unit is dead.
std::optional<double> live_median(const torch::Tensor& values, const torch::Tensor& live);

// For a prime p: the residues g^0, g^1, ..., g^(p-2) of its smallest primitive root g, the order in
// which a*b mod p becomes addition of exponents mod p-1 (the discrete-log basis); empty when p
// is not prime.
std::vector<int64_t> discrete_log_order(int64_t p);

// weights: [blocks * p, units] (rows: residues of each block in turn).
FourierStats fourier_stats(const torch::Tensor& weights, int64_t p, double key_fraction);

// Neurons as functions of (a, b): activations [p*p, units] (row a*p + b). The 2-D spectrum of each
// unit is attributed to frequency f when both of its indices fold to 0 or f (the terms cos(wa),
// sin(wb), cos(wa)cos(wb), ... of one frequency w); the constant and cross-frequency terms are
// counted in the total only. Returns power [n_freq, units] (row 0 unused, zero) with IPR and top
// fraction computed over frequencies 1..p/2, the top fraction relative to all non-constant power.
FourierStats neuron_fourier_stats(const torch::Tensor& activations, int64_t p, double key_fraction);

// Splits logits over the full table, L [p*p, p] (row a*p + b, column c), into the part spanned by
// cos(w_k s), sin(w_k s) with s = (a + sign*b - c) mod p and w_k = 2*pi*k/p for the key
// frequencies k (the algorithm's trig-identity terms; Nanda et al.'s "restricted" logits) and
// the rest ("excluded" logits = L - restricted). sign = +1 for a+b, -1 for a-b.
struct LogitSplit {
  torch::Tensor restricted, excluded;  // both [p*p, p], double
};
LogitSplit split_logits(const torch::Tensor& logits, int64_t p, const std::vector<int64_t>& key_frequencies, int sign);

// The losses of the two parts against the task's targets c = (a + sign*b) mod p, without building
// them: every restricted row is one profile h(s) read at s = (base - c) mod p, with the target at
// s = 0, so the restricted loss (over all pairs) is one row's; the excluded loss is over the table
// rows `rows` (e.g. the training pairs), in one pass. loss: "mse" (mean over rows and classes
// against one-hot, as compute_loss) or "cross_entropy". Same values as compute_loss on
// split_logits' tensors, up to rounding.
struct SplitLosses {
  double restricted = 0, excluded = 0;
};
SplitLosses split_losses(const torch::Tensor& logits, int64_t p, const std::vector<int64_t>& key_frequencies, int sign,
                         Loss loss, const torch::Tensor& rows);

}  // namespace phenom
