#include "ops/dense.h"

#include "ops/cpu_loops.h"
#include "ops/gemm.h"

#include <vector>

namespace phenom {
namespace {

// A 2-D float32 tensor seen as a row-major matrix for sgemm: (pointer, transposed?, leading dim).
// Row- or column-strided views (slices, .t(), a selected position) are used in place.
struct MatrixView {
  const float* data;
  bool transposed;
  int64_t ld;
  torch::Tensor keep;  // owns a contiguous copy when the view could not be used directly
};

MatrixView as_matrix(const torch::Tensor& x, bool transpose) {
  const int64_t rows = x.size(0), cols = x.size(1);
  if (x.stride(1) == 1 && (rows == 1 || x.stride(0) >= std::max<int64_t>(cols, 1))) {
    return {x.data_ptr<float>(), transpose, rows == 1 ? std::max<int64_t>(cols, 1) : x.stride(0), {}};
  }
  if (x.stride(0) == 1 && x.stride(1) >= std::max<int64_t>(rows, 1) && cols > 1) {
    return {x.data_ptr<float>(), !transpose, x.stride(1), {}};
  }
  torch::Tensor copy = x.contiguous();
  return {copy.data_ptr<float>(), transpose, std::max<int64_t>(cols, 1), copy};
}

// op(a) @ op(b) for 2-D float32 CPU tensors on oneDNN.
torch::Tensor gemm(const torch::Tensor& a, bool transpose_a, const torch::Tensor& b, bool transpose_b) {
  const int64_t M = transpose_a ? a.size(1) : a.size(0), K = transpose_a ? a.size(0) : a.size(1);
  const int64_t N = transpose_b ? b.size(0) : b.size(1);
  torch::Tensor c = torch::empty({M, N}, a.options());
  if (M == 0 || N == 0) return c;
  if (K == 0) return c.zero_();
  MatrixView A = as_matrix(a, transpose_a), B = as_matrix(b, transpose_b);
  onednn_sgemm(A.transposed ? 'T' : 'N', B.transposed ? 'T' : 'N', M, N, K, 1.0f, A.data, A.ld, B.data, B.ld, 0.0f,
               c.data_ptr<float>(), N);
  return c;
}

bool use_onednn(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b) {
  const auto cpu_float = [](const torch::Tensor& t) { return t.device().is_cpu() && t.scalar_type() == torch::kFloat; };
  return gemm_backend().onednn && cpu_float(x) && cpu_float(w) && (!b.defined() || cpu_float(b)) && w.dim() == 2 &&
         x.dim() >= 1 && !x.is_sparse();
}

torch::Tensor dense(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b, bool out_in);

// y = x op(W) + b with x flattened to [rows, in]; op(W) = W^T for [out, in], W for [in, out].
// LibTorch 1.13's custom functions take no undefined tensors, so the bias-free layer is its own
// function; both share these two bodies.
torch::Tensor dense_forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& w,
                            const torch::Tensor& b, bool out_in) {
  const int64_t in = x.size(-1), out = out_in ? w.size(0) : w.size(1);
  torch::Tensor y = gemm(x.reshape({-1, in}), false, w, out_in);
  if (b.defined()) y.add_(b);
  ctx->save_for_backward({x, w});
  ctx->saved_data["out_in"] = out_in;
  std::vector<int64_t> shape = x.sizes().vec();
  shape.back() = out;
  return y.view(shape);
}

// Returns {dx, dw, db}; each product is itself a dense() call, so the backward is differentiable
// (create_graph, Hessian-vector products).
torch::autograd::tensor_list dense_backward(torch::autograd::AutogradContext* ctx, const torch::Tensor& grad,
                                            bool bias) {
  const auto saved = ctx->get_saved_variables();
  const torch::Tensor &x = saved[0], &w = saved[1];
  const bool out_in = ctx->saved_data["out_in"].toBool();
  const int64_t in = x.size(-1), out = out_in ? w.size(0) : w.size(1);
  const torch::Tensor g = grad.reshape({-1, out});
  torch::Tensor dx, dw, db;
  if (ctx->needs_input_grad(0)) dx = dense(g, w, {}, !out_in).view(x.sizes());  // g op(W)^T
  if (ctx->needs_input_grad(1)) {
    const torch::Tensor x2 = x.reshape({-1, in});
    dw = out_in ? dense(g.t(), x2, {}, false) : dense(x2.t(), g, {}, false);  // g^T x or x^T g
  }
  if (bias && ctx->needs_input_grad(2)) db = g.sum(0);
  return {dx, dw, db};
}

struct DenseBias : torch::autograd::Function<DenseBias> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& w, const torch::Tensor& b, bool out_in) {
    return dense_forward(ctx, x, w, b, out_in);
  }
  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    auto d = dense_backward(ctx, grads[0], true);
    return {d[0], d[1], d[2], torch::Tensor()};
  }
};

struct DenseNoBias : torch::autograd::Function<DenseNoBias> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& w, bool out_in) {
    return dense_forward(ctx, x, w, {}, out_in);
  }
  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    auto d = dense_backward(ctx, grads[0], false);
    return {d[0], d[1], torch::Tensor()};
  }
};

torch::Tensor dense(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b, bool out_in) {
  if (!use_onednn(x, w, b)) {
    if (out_in) return torch::nn::functional::linear(x, w, b);
    return b.defined() ? torch::matmul(x, w) + b : torch::matmul(x, w);
  }
  return b.defined() ? DenseBias::apply(x, w, b, out_in) : DenseNoBias::apply(x, w, out_in);
}

void check_token(int64_t token, int64_t vocab) {
  if (token < 0 || token >= vocab) {
    throw std::out_of_range("token " + std::to_string(token) + " is outside the vocabulary [0, " +
                            std::to_string(vocab) + ")");
  }
}

// The rows of W that example b reads: W[t V + x[b, t]] for each position t (a column slice of
// the inputs is used in place through its strides).
struct TokenRows {
  const int64_t* x;
  int64_t s0, s1, positions, vocab;
  TokenRows(const torch::Tensor& tokens, int64_t vocab_size)
      : x(tokens.data_ptr<int64_t>()), s0(tokens.stride(0)), s1(tokens.stride(1)), positions(tokens.size(1)),
        vocab(vocab_size) {}
  int64_t token(int64_t b, int64_t t) const { return x[b * s0 + t * s1]; }
  int64_t row(int64_t b, int64_t t) const { return t * vocab + token(b, t); }
};

// out[j] = sum_t W[row(b, t), lo + j] for j < hi - lo: the first row copied, the others added in
// order, so the forward gather and the backward's recomputation give the same values.
template <typename T>
void sum_rows(const T* w, int64_t width, const TokenRows& rows, int64_t b, int64_t lo, int64_t hi, T* __restrict out) {
  const T* __restrict first = w + rows.row(b, 0) * width + lo;
  for (int64_t j = 0; j < hi - lo; ++j) out[j] = first[j];
  for (int64_t t = 1; t < rows.positions; ++t) {
    const T* __restrict source = w + rows.row(b, t) * width + lo;
    for (int64_t j = 0; j < hi - lo; ++j) out[j] += source[j];
  }
}

// h[b] = sum_t W[t V + x[b, t]], then finish(h[b]) on the row while it is in cache.
template <typename T, typename Finish = void (*)(T*, int64_t)>
void gather_rows(const torch::Tensor& weight, const torch::Tensor& tokens, int64_t vocab, torch::Tensor& out,
                 Finish finish = [](T*, int64_t) {}) {
  const TokenRows rows(tokens, vocab);
  const int64_t B = tokens.size(0), width = weight.size(1);
  const T* w = weight.data_ptr<T>();
  T* h = out.data_ptr<T>();
  at::parallel_for(0, B, std::max<int64_t>(1, (1 << 15) / std::max<int64_t>(width, 1)), [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) {
      for (int64_t t = 0; t < rows.positions; ++t) check_token(rows.token(b, t), vocab);
      sum_rows(w, width, rows, b, 0, width, h + b * width);
      finish(h + b * width, width);
    }
  });
}

// The adjoint: dW[t V + x[b, t], j] += source(b)[j]. Each thread owns a range of columns [lo, hi)
// and walks the examples in order, so the sums are the same on every run and for every thread
// count. source(b, lo, hi, scratch) returns example b's values for those columns (scratch has
// hi - lo elements it may fill).
template <typename T, typename Source>
void scatter_rows(const TokenRows& rows, int64_t B, torch::Tensor& out, const Source& source) {
  const int64_t width = out.size(1);
  T* d = out.data_ptr<T>();
  at::parallel_for(0, width, std::max<int64_t>(16, (1 << 15) / std::max<int64_t>(B * rows.positions, 1)),
                   [&](int64_t lo, int64_t hi) {
                     std::vector<T> scratch(hi - lo);
                     for (int64_t b = 0; b < B; ++b) {
                       const T* __restrict values = source(b, lo, hi, scratch.data());
                       for (int64_t t = 0; t < rows.positions; ++t) {
                         T* __restrict row = d + rows.row(b, t) * width + lo;
                         for (int64_t j = 0; j < hi - lo; ++j) row[j] += values[j];
                       }
                     }
                   });
}

// Pointwise activations the fused first layer applies: value and derivative (relu' = 0 at 0, as
// LibTorch's threshold_backward).
template <typename T>
inline T act_value(Pointwise a, T h) { return a == Pointwise::kQuadratic ? h * h : (h > T(0) ? h : T(0)); }
template <typename T>
inline T act_slope_times(Pointwise a, T h, T g) { return a == Pointwise::kQuadratic ? T(2) * h * g : (h > T(0) ? g : T(0)); }

bool rows_applicable(const torch::Tensor& weight, const torch::Tensor& tokens) {
  return cpu_loop_dtype(weight) && tokens.device().is_cpu() && weight.dim() == 2 && tokens.dim() == 2 &&
         tokens.scalar_type() == torch::kLong && tokens.size(1) > 0;
}

struct ScatterRows;

struct GatherRows : torch::autograd::Function<GatherRows> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& weight,
                               const torch::Tensor& tokens, int64_t vocab) {
    const torch::Tensor w = weight.contiguous(), &x = tokens;
    torch::Tensor h = torch::empty({x.size(0), w.size(1)}, w.options());
    AT_DISPATCH_FLOATING_TYPES(w.scalar_type(), "gather_rows", [&] { gather_rows<scalar_t>(w, x, vocab, h); });
    ctx->save_for_backward({x});
    ctx->saved_data["vocab"] = vocab;
    ctx->saved_data["rows"] = w.size(0);
    return h;
  }
  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::tensor_list grads);
};

struct ScatterRows : torch::autograd::Function<ScatterRows> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& grad,
                               const torch::Tensor& tokens, int64_t vocab, int64_t rows) {
    const torch::Tensor g = grad.contiguous();
    torch::Tensor d = torch::zeros({rows, g.size(1)}, g.options());
    AT_DISPATCH_FLOATING_TYPES(g.scalar_type(), "scatter_rows", [&] {
      const scalar_t* gv = g.data_ptr<scalar_t>();
      const int64_t width = g.size(1);
      scatter_rows<scalar_t>(TokenRows(tokens, vocab), g.size(0), d,
                             [&](int64_t b, int64_t lo, int64_t, scalar_t*) { return gv + b * width + lo; });
    });
    ctx->save_for_backward({tokens});
    ctx->saved_data["vocab"] = vocab;
    return d;
  }
  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::tensor_list grads) {
    const torch::Tensor tokens = ctx->get_saved_variables()[0];
    return {GatherRows::apply(grads[0], tokens, ctx->saved_data["vocab"].toInt()), torch::Tensor(), torch::Tensor(),
            torch::Tensor()};
  }
};

torch::autograd::tensor_list GatherRows::backward(torch::autograd::AutogradContext* ctx, torch::autograd::tensor_list grads) {
  const torch::Tensor tokens = ctx->get_saved_variables()[0];
  return {ScatterRows::apply(grads[0], tokens, ctx->saved_data["vocab"].toInt(), ctx->saved_data["rows"].toInt()),
          torch::Tensor(), torch::Tensor()};
}

struct GatherRowsActivated : torch::autograd::Function<GatherRowsActivated> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& weight,
                               const torch::Tensor& tokens, int64_t vocab, int64_t activation) {
    const torch::Tensor w = weight.contiguous();
    torch::Tensor y = torch::empty({tokens.size(0), w.size(1)}, w.options());
    const auto a = static_cast<Pointwise>(activation);
    AT_DISPATCH_FLOATING_TYPES(w.scalar_type(), "gather_rows_activated", [&] {
      gather_rows<scalar_t>(w, tokens, vocab, y, [a](scalar_t* row, int64_t width) {
        for (int64_t j = 0; j < width; ++j) row[j] = act_value(a, row[j]);
      });
    });
    ctx->save_for_backward({weight, tokens});
    ctx->saved_data["vocab"] = vocab;
    ctx->saved_data["activation"] = activation;
    return y;
  }
  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor &weight = saved[0], &tokens = saved[1];
    const int64_t vocab = ctx->saved_data["vocab"].toInt();
    const auto a = static_cast<Pointwise>(ctx->saved_data["activation"].toInt());
    torch::Tensor d;
    if (torch::GradMode::is_enabled()) {  // differentiable: recompute h with the gather, scatter act'(h) g
      const torch::Tensor h = GatherRows::apply(weight, tokens, vocab);
      const torch::Tensor dh = a == Pointwise::kQuadratic ? 2 * h * grads[0] : grads[0] * (h > 0).to(h.dtype());
      d = ScatterRows::apply(dh, tokens, vocab, weight.size(0));
    } else {
      const torch::Tensor w = weight.contiguous(), g = grads[0].contiguous();
      d = torch::zeros_like(w);
      // dW[t V + x[b, t]] += act'(h[b]) g[b], with h[b] recomputed from W for the thread's columns.
      AT_DISPATCH_FLOATING_TYPES(w.scalar_type(), "scatter_rows_activated", [&] {
        const scalar_t* wv = w.data_ptr<scalar_t>();
        const scalar_t* gv = g.data_ptr<scalar_t>();
        const int64_t width = w.size(1);
        const TokenRows rows(tokens, vocab);
        scatter_rows<scalar_t>(rows, g.size(0), d, [&](int64_t b, int64_t lo, int64_t hi, scalar_t* h) {
          sum_rows(wv, width, rows, b, lo, hi, h);
          const scalar_t* __restrict gb = gv + b * width + lo;
          for (int64_t j = 0; j < hi - lo; ++j) h[j] = act_slope_times(a, h[j], gb[j]);
          return static_cast<const scalar_t*>(h);
        });
      });
    }
    return {d, torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

// y = x^2 in one pass and its gradient 2 x g in one pass (LibTorch's x * x backward is three
// tensors); under create_graph the gradient is built from LibTorch ops, so it stays differentiable.
struct Square : torch::autograd::Function<Square> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x) {
    const torch::Tensor input = x.contiguous();
    torch::Tensor y = torch::empty_like(input);
    AT_DISPATCH_FLOATING_TYPES(input.scalar_type(), "square", [&] {
      const scalar_t* __restrict in = input.data_ptr<scalar_t>();
      scalar_t* __restrict out = y.data_ptr<scalar_t>();
      parallel_chunks(input.numel(), [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) out[i] = in[i] * in[i];
      });
    });
    ctx->save_for_backward({input});
    return y;
  }
  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::tensor_list grads) {
    const torch::Tensor x = ctx->get_saved_variables()[0];
    if (torch::GradMode::is_enabled()) return {2 * x * grads[0]};
    const torch::Tensor g = grads[0].contiguous();
    torch::Tensor d = torch::empty_like(x);
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "square_backward", [&] {
      const scalar_t* __restrict in = x.data_ptr<scalar_t>();
      const scalar_t* __restrict gv = g.data_ptr<scalar_t>();
      scalar_t* __restrict out = d.data_ptr<scalar_t>();
      parallel_chunks(x.numel(), [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) out[i] = scalar_t(2) * in[i] * gv[i];
      });
    });
    return {d};
  }
};

}  // namespace

torch::Tensor square(const torch::Tensor& x) {
  return cpu_loop_dtype(x) ? Square::apply(x) : x * x;
}

torch::Tensor embedding_sum(const torch::Tensor& weight, const torch::Tensor& tokens, int64_t vocab) {
  if (rows_applicable(weight, tokens)) return GatherRows::apply(weight, tokens, vocab);
  torch::Tensor h;
  for (int64_t t = 0; t < tokens.size(1); ++t) {
    auto rows = weight.index_select(0, tokens.select(1, t) + t * vocab);
    h = t == 0 ? rows : h + rows;
  }
  return h;
}

torch::Tensor embedding_sum_activated(const torch::Tensor& weight, const torch::Tensor& tokens, int64_t vocab,
                                      Pointwise activation) {
  if (rows_applicable(weight, tokens)) {
    return GatherRowsActivated::apply(weight, tokens, vocab, static_cast<int64_t>(activation));
  }
  const torch::Tensor h = embedding_sum(weight, tokens, vocab);
  return activation == Pointwise::kQuadratic ? phenom::square(h) : torch::relu(h);
}

torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) {
  return dense(x, weight, bias, true);
}

torch::Tensor matmul(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) {
  return dense(x, weight, bias, false);
}

}  // namespace phenom
