// Fashion-MNIST from Debian's dataset-fashion-mnist package (gzip'd IDX files), with the
// corruptions of Zhang et al. 2017, each drawn once from the data seed.
#pragma once
#include <string>

#include "spec/options.h"

namespace phenom {

// How pixels are scaled: standardize (unit, then the training subset's mean and deviation), unit (/255), none.
enum class PixelScaling { kStandardize, kUnit, kNone };
template <>
struct Words<PixelScaling> {
  static constexpr std::array names{"standardize", "unit", "none"};
};
// What replaces the images' structure (Zhang et al.'s randomisation tests).
enum class InputCorruption { kNone, kShuffledPixels, kRandomPixels, kGaussian };
template <>
struct Words<InputCorruption> {
  static constexpr std::array names{"none", "shuffled_pixels", "random_pixels", "gaussian"};
};

struct FashionMnistOptions : TaskOptions {
  std::string data_dir;  // "": $PHENOM_FASHION_MNIST, else /usr/share/datasets/fashion-mnist
  int64_t n_train = 1000;
  int64_t n_test = 10000;
  int64_t n_val = 0;
  PixelScaling normalize = PixelScaling::kStandardize;
  bool downsample = false;
  bool flatten = true;
  double label_noise = 0.0;
  double random_labels = 0.0;
  InputCorruption input_corruption = InputCorruption::kNone;
  void visit(Visitor& v) override {
    v.field("data_dir", data_dir, "folder with the four *-ubyte.gz files (empty: $PHENOM_FASHION_MNIST, else "
                                  "/usr/share/datasets/fashion-mnist from `apt-get install dataset-fashion-mnist`)");
    v.field("n_train", n_train, "training images: a class-balanced subset of the 60,000, chosen by the seed",
            Between(10, 60000));
    v.field("n_test", n_test, "test images: a class-balanced subset of the 10,000 (10000: all)", Between(10, 10000));
    v.field("n_val", n_val, "validation images (evaluation set `val`, e.g. for early stopping): a class-balanced "
                            "subset of the training images not in n_train, with true labels (0: none)",
            Between(0, 50000));
    v.field("normalize", normalize, "unit: pixels / 255; standardize: then minus the training subset's mean pixel, "
                                    "divided by its standard deviation; none: raw 0..255");
    v.field("downsample", downsample, "2x2 average pooling to 14 x 14 (196 inputs)");
    v.field("flatten", flatten, "images as vectors [N, H*W] (false: [N, H, W]; the models flatten them)");
    v.field("label_noise", label_noise, "fraction of training labels replaced by a random OTHER class", Between(0, 1));
    v.field("random_labels", random_labels,
            "fraction of training labels replaced by a uniformly random class (1: all labels random; Zhang et al.)",
            Between(0, 1));
    v.field("input_corruption", input_corruption,
            "train and test images: shuffled_pixels (one fixed permutation for all images), random_pixels (an "
            "independent permutation per image), gaussian (noise with the data's mean and variance)");
  }
  void check(std::vector<std::pair<std::string, std::string>>& problems) const override {
    if (n_train + n_val > 60000) {
      problems.push_back({"n_val", "n_train + n_val = " + std::to_string(n_train + n_val) + " exceeds the 60,000 "
                                   "training images. Fix: lower n_val or n_train."});
    }
    if (n_val > 0 && input_corruption != InputCorruption::kNone) {
      problems.push_back({"n_val", "the validation images are clean, so they cannot be drawn with an input_corruption. "
                                   "Fix: set n_val: 0, or input_corruption: none."});
    }
    if (label_noise > 0 && random_labels > 0) {
      problems.push_back({"random_labels", "label_noise and random_labels are two ways of corrupting the same labels; "
                                           "set only one of them (the other to 0)."});
    }
  }
  InputSpec inputs() const override {
    InputSpec spec;
    spec.kind = InputSpec::Kind::kFeatures;
    spec.feature_dim = downsample ? 14 * 14 : 28 * 28;
    spec.num_classes = 10;
    return spec;
  }
  DataSize data_size() const override {
    const double train = static_cast<double>(n_train);
    return {train, train + static_cast<double>(n_test) + static_cast<double>(n_val)};
  }
};

// The folder the task reads: data_dir, else $PHENOM_FASHION_MNIST, else the Debian package's.
std::string fashion_mnist_dir(const std::string& data_dir);

}  // namespace phenom
