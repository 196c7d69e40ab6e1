#include "models/dense.h"

#include "core/cpu_loops.h"
#include "core/gemm.h"

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

// h[b] = sum_t W[t V + x[b, t]] and its adjoint dW[t V + x[b, t]] += g[b]. The scatter splits
// columns across threads and sums each column over the examples in order, so its sums are the
// same on every run and for every thread count.
template <typename T, typename Finish = void (*)(T*, int64_t)>
void gather_rows(const torch::Tensor& weight, const torch::Tensor& tokens, int64_t vocab, torch::Tensor& out,
                 Finish finish = [](T*, int64_t) {}) {
  const int64_t B = tokens.size(0), positions = tokens.size(1), width = weight.size(1);
  const T* w = weight.data_ptr<T>();
  const int64_t* x = tokens.data_ptr<int64_t>();
  const int64_t s0 = tokens.stride(0), s1 = tokens.stride(1);  // a column slice of the inputs is used in place
  T* h = out.data_ptr<T>();
  at::parallel_for(0, B, std::max<int64_t>(1, (1 << 15) / std::max<int64_t>(width, 1)), [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) {
      T* __restrict row = h + b * width;
      check_token(x[b * s0], vocab);
      const T* first = w + x[b * s0] * width;
      for (int64_t j = 0; j < width; ++j) row[j] = first[j];
      for (int64_t t = 1; t < positions; ++t) {
        check_token(x[b * s0 + t * s1], vocab);
        const T* __restrict source = w + (t * vocab + x[b * s0 + t * s1]) * width;
        for (int64_t j = 0; j < width; ++j) row[j] += source[j];
      }
      finish(row, width);
    }
  });
}

template <typename T>
void scatter_rows(const torch::Tensor& grad, const torch::Tensor& tokens, int64_t vocab, torch::Tensor& out) {
  const int64_t B = tokens.size(0), positions = tokens.size(1), width = grad.size(1);
  const T* g = grad.data_ptr<T>();
  const int64_t* x = tokens.data_ptr<int64_t>();
  const int64_t s0 = tokens.stride(0), s1 = tokens.stride(1);
  T* d = out.data_ptr<T>();
  at::parallel_for(0, width, std::max<int64_t>(16, (1 << 15) / std::max<int64_t>(B * positions, 1)), [&](int64_t lo, int64_t hi) {
    for (int64_t b = 0; b < B; ++b) {
      const T* __restrict source = g + b * width;
      for (int64_t t = 0; t < positions; ++t) {
        T* __restrict row = d + (t * vocab + x[b * s0 + t * s1]) * width;
        for (int64_t j = lo; j < hi; ++j) row[j] += source[j];
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

// out[b] = act(sum_t W[t V + x[b, t]]): the gather of gather_rows with act applied to each row
// while it is in cache (the additions in the same order, so the same values as gather then act).
template <typename T>
void gather_rows_activated(const torch::Tensor& weight, const torch::Tensor& tokens, int64_t vocab, Pointwise a,
                           torch::Tensor& out) {
  gather_rows<T>(weight, tokens, vocab, out, [a](T* row, int64_t width) {
    for (int64_t j = 0; j < width; ++j) row[j] = act_value(a, row[j]);
  });
}

// dW[t V + x[b, t]] += act'(h[b]) g[b] with h[b] recomputed from W column by column: each thread
// owns a range of columns and walks the examples in order (deterministic sums, as scatter_rows).
template <typename T>
void scatter_rows_activated(const torch::Tensor& grad, const torch::Tensor& weight, const torch::Tensor& tokens,
                            int64_t vocab, Pointwise a, torch::Tensor& out) {
  const int64_t B = tokens.size(0), positions = tokens.size(1), width = grad.size(1);
  const T* g = grad.data_ptr<T>();
  const T* w = weight.data_ptr<T>();
  const int64_t* x = tokens.data_ptr<int64_t>();
  const int64_t s0 = tokens.stride(0), s1 = tokens.stride(1);
  T* d = out.data_ptr<T>();
  at::parallel_for(0, width, std::max<int64_t>(16, (1 << 15) / std::max<int64_t>(B * positions, 1)), [&](int64_t lo, int64_t hi) {
    std::vector<T> h(hi - lo);
    for (int64_t b = 0; b < B; ++b) {
      const T* __restrict first = w + x[b * s0] * width + lo;
      for (int64_t j = 0; j < hi - lo; ++j) h[j] = first[j];
      for (int64_t t = 1; t < positions; ++t) {
        const T* __restrict source = w + (t * vocab + x[b * s0 + t * s1]) * width + lo;
        for (int64_t j = 0; j < hi - lo; ++j) h[j] += source[j];
      }
      const T* __restrict gb = g + b * width + lo;
      for (int64_t j = 0; j < hi - lo; ++j) h[j] = act_slope_times(a, h[j], gb[j]);
      for (int64_t t = 0; t < positions; ++t) {
        T* __restrict row = d + (t * vocab + x[b * s0 + t * s1]) * width + lo;
        for (int64_t j = 0; j < hi - lo; ++j) row[j] += h[j];
      }
    }
  });
}

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
    AT_DISPATCH_FLOATING_TYPES(g.scalar_type(), "scatter_rows", [&] { scatter_rows<scalar_t>(g, tokens, vocab, d); });
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
    AT_DISPATCH_FLOATING_TYPES(w.scalar_type(), "gather_rows_activated",
                               [&] { gather_rows_activated<scalar_t>(w, tokens, vocab, a, y); });
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
      AT_DISPATCH_FLOATING_TYPES(w.scalar_type(), "scatter_rows_activated",
                                 [&] { scatter_rows_activated<scalar_t>(g, w, tokens, vocab, a, d); });
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
