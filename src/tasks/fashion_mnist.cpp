#include "tasks/fashion_mnist.h"

#include <cmath>
#include <cstdlib>

#include "core/build_context.h"
#include "core/error.h"
#include "tasks/idx.h"
#include "tasks/task.h"

namespace phenom {

std::string fashion_mnist_dir(const std::string& data_dir) {
  if (!data_dir.empty()) return data_dir;
  if (const char* env = std::getenv("PHENOM_FASHION_MNIST"); env && *env) return env;
  return "/usr/share/datasets/fashion-mnist";
}

namespace {

struct Images {
  torch::Tensor pixels;  // uint8 [N, 28, 28]
  torch::Tensor labels;  // int64 [N]
};

Images load_split(const std::string& dir, const std::string& prefix) {
  IdxArray images = read_idx(dir + "/" + prefix + "-images-idx3-ubyte.gz");
  IdxArray labels = read_idx(dir + "/" + prefix + "-labels-idx1-ubyte.gz");
  if (images.dims.size() != 3 || labels.dims.size() != 1 || images.dims[0] != labels.dims[0]) {
    throw BadInput("the Fashion-MNIST files '" + prefix + "-*' in '" + dir + "' do not fit together (expected images "
                   "[N, 28, 28] and labels [N]). Fix: reinstall dataset-fashion-mnist.");
  }
  Images out;
  out.pixels = torch::from_blob(images.data.data(), images.dims, torch::kUInt8).clone();
  out.labels = torch::from_blob(labels.data.data(), {labels.dims[0]}, torch::kUInt8).to(torch::kLong);
  if (out.labels.max().item<int64_t>() > 9) {
    throw BadInput("'" + dir + "/" + prefix + "-labels-idx1-ubyte.gz' holds labels above 9. Fix: reinstall "
                   "dataset-fashion-mnist.");
  }
  return out;
}

// A class-balanced subset of n rows: n/10 per class (the first n%10 classes one more), chosen by `g`.
torch::Tensor balanced_subset(const torch::Tensor& labels, int64_t n, torch::Generator& g) {
  std::vector<torch::Tensor> picked;
  for (int64_t c = 0; c < 10; ++c) {
    const int64_t want = n / 10 + (c < n % 10 ? 1 : 0);
    auto members = (labels == c).nonzero().view(-1);
    if (members.size(0) < want) {
      throw BadInput("Fashion-MNIST has only " + std::to_string(members.size(0)) + " images of class " +
                     std::to_string(c) + " in this split; asked for " + std::to_string(want) + ".");
    }
    picked.push_back(members.index_select(0, torch::randperm(members.size(0), g, torch::kLong).slice(0, 0, want)));
  }
  auto rows = torch::cat(picked);
  return rows.index_select(0, torch::randperm(rows.size(0), g, torch::kLong));  // classes interleaved
}

class FashionMnist : public FixedSplitTask {
 public:
  FashionMnist(const FashionMnistOptions& o, BuildContext& context) : FixedSplitTask(context), options_(o) {
    const std::string dir = fashion_mnist_dir(o.data_dir);
    Images train = load_split(dir, "train"), test = load_split(dir, "t10k");
    torch::Generator& g = context.data;
    auto train_rows = balanced_subset(train.labels, o.n_train, g);
    auto test_rows = balanced_subset(test.labels, o.n_test, g);
    auto x_train = prepare(train.pixels.index_select(0, train_rows));
    auto x_test = prepare(test.pixels.index_select(0, test_rows));
    auto y_train = train.labels.index_select(0, train_rows);
    auto y_test = test.labels.index_select(0, test_rows);
    torch::Tensor x_val, y_val;
    if (o.n_val > 0) {  // drawn after train and test, so that they do not depend on n_val
      torch::Tensor unused = torch::ones({train.labels.size(0)}, torch::kBool);
      unused.index_fill_(0, train_rows, false);
      const torch::Tensor candidates = unused.nonzero().view(-1);
      const torch::Tensor val_rows =
          candidates.index_select(0, balanced_subset(train.labels.index_select(0, candidates), o.n_val, g));
      x_val = prepare(train.pixels.index_select(0, val_rows));
      y_val = train.labels.index_select(0, val_rows);
    }

    if (o.normalize != PixelScaling::kNone) {
      x_train = x_train / 255.0, x_test = x_test / 255.0;
      if (o.normalize == PixelScaling::kStandardize) {
        auto mean = x_train.mean(), std = x_train.std();
        x_train = (x_train - mean) / std, x_test = (x_test - mean) / std;
        if (x_val.defined()) x_val = (x_val / 255.0 - mean) / std;
      } else if (x_val.defined()) {
        x_val = x_val / 255.0;
      }
    }
    corrupt_labels(y_train, g);
    corrupt_inputs(x_train, x_test, g);
    if (!o.flatten) {
      const int64_t side = o.downsample ? 14 : 28;
      x_train = x_train.view({-1, side, side}), x_test = x_test.view({-1, side, side});
    }
    train_ = {x_train.to(context.device, context.dtype), y_train.to(context.device)};
    test_ = {x_test.to(context.device, context.dtype), y_test.to(context.device)};
    if (x_val.defined()) {
      if (!o.flatten) x_val = x_val.view({-1, o.downsample ? 14 : 28, o.downsample ? 14 : 28});
      val_ = {x_val.to(context.device, context.dtype), y_val.to(context.device)};
    }
  }
  std::vector<EvalSet> eval_sets() const override {
    std::vector<EvalSet> sets = FixedSplitTask::eval_sets();
    if (val_.inputs.defined()) sets.push_back({"val", &val_});
    return sets;
  }
  InputSpec inputs() const override { return options_.inputs(); }
  void describe(nlohmann::ordered_json& out) const override {
    out["n_train"] = train_.size();
    out["n_test"] = test_.size();
    if (val_.inputs.defined()) out["n_val"] = val_.size();
    out["num_classes"] = 10;
    out["feature_dim"] = options_.inputs().feature_dim;
    out["labels_changed"] = labels_changed_;  // training labels that now differ from the true ones
    out["labels_redrawn"] = labels_redrawn_;  // training labels the corruption drew anew
  }

 private:
  // uint8 [N, 28, 28] -> float64 [N, D] (downsampled if asked).
  torch::Tensor prepare(const torch::Tensor& pixels) const {
    auto x = pixels.to(torch::kDouble);
    if (options_.downsample) x = torch::avg_pool2d(x.unsqueeze(1), 2).squeeze(1);
    return x.flatten(1);
  }

  void corrupt_labels(torch::Tensor& labels, torch::Generator& g) {
    const double fraction = options_.label_noise > 0 ? options_.label_noise : options_.random_labels;
    if (fraction <= 0) return;
    const int64_t n = labels.size(0), count = std::llround(fraction * n);
    auto rows = torch::randperm(n, g, torch::kLong).slice(0, 0, count);
    auto old = labels.index_select(0, rows);
    torch::Tensor fresh;
    if (options_.label_noise > 0) {
      fresh = (old + torch::randint(1, 10, {count}, g, torch::kLong)) % 10;  // a uniformly random other class
    } else {
      fresh = torch::randint(0, 10, {count}, g, torch::kLong);
    }
    labels = labels.index_copy(0, rows, fresh);
    labels_redrawn_ = count;
    labels_changed_ = (fresh != old).sum().item<int64_t>();
  }

  void corrupt_inputs(torch::Tensor& train, torch::Tensor& test, torch::Generator& g) const {
    const InputCorruption kind = options_.input_corruption;
    const int64_t d = train.size(1);
    if (kind == InputCorruption::kShuffledPixels) {
      auto permutation = torch::randperm(d, g, torch::kLong);
      train = train.index_select(1, permutation), test = test.index_select(1, permutation);
    } else if (kind == InputCorruption::kRandomPixels) {
      for (torch::Tensor* x : {&train, &test}) {
        // One independent permutation per image: argsort of i.i.d. uniforms is a uniform permutation.
        auto order = torch::rand({x->size(0), d}, g, torch::kDouble).argsort(/*dim=*/1, /*descending=*/false);
        *x = x->gather(1, order);
      }
    } else if (kind == InputCorruption::kGaussian) {
      const double mean = train.mean().item<double>(), std = train.std().item<double>();
      train = torch::randn(train.sizes(), g, torch::kDouble) * std + mean;
      test = torch::randn(test.sizes(), g, torch::kDouble) * std + mean;
    }
  }

  FashionMnistOptions options_;
  Batch val_;  // validation images (n_val), or empty
  int64_t labels_changed_ = 0, labels_redrawn_ = 0;
};

}  // namespace

std::unique_ptr<Task> build_fashion_mnist(const TaskOptions& options, BuildContext& context) {
  return std::make_unique<FashionMnist>(dynamic_cast<const FashionMnistOptions&>(options), context);
}

}  // namespace phenom
