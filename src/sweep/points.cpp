#include "sweep/points.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <map>
#include <stdexcept>

#include "core/error.h"
#include "core/text.h"

namespace phenom {

double Point::mean() const {
  double s = 0;
  for (double y : ys) s += y;
  return ys.empty() ? 0.0 : s / static_cast<double>(ys.size());
}
double Point::median() const {
  if (ys.empty()) return 0.0;
  std::vector<double> v = ys;
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}
double Point::min() const { return ys.empty() ? 0.0 : *std::min_element(ys.begin(), ys.end()); }
double Point::max() const { return ys.empty() ? 0.0 : *std::max_element(ys.begin(), ys.end()); }

std::vector<Point> points_along(const std::vector<SweepRow>& rows, const std::string& x, const std::string& y) {
  std::map<double, Point> groups;
  for (const auto& row : rows) {
    auto it = row.swept.find(x);
    const Json* value = summary_value(row.summary, y);
    if (it == row.swept.end() || !value || !value->is_number()) continue;
    char* end = nullptr;
    const double xv = std::strtod(it->second.c_str(), &end);
    if (end == it->second.c_str()) continue;
    groups[xv].x = xv;
    groups[xv].ys.push_back(value->get<double>());
  }
  std::vector<Point> points;
  for (auto& [xv, point] : groups) points.push_back(std::move(point));
  return points;
}

const Point* point_at(const std::vector<Point>& points, double x) {
  for (const auto& p : points) if (p.x == x) return &p;
  return nullptr;
}

void require_swept(const std::string& detector, const std::string& x, const std::vector<std::string>& axes) {
  if (std::find(axes.begin(), axes.end(), x) != axes.end()) return;
  std::string near = closest_match(x, axes);
  throw BadInput("sweep_detectors " + detector + ": x '" + x + "' is not a swept key" +
                 (near.empty() ? "" : "; did you mean '" + near + "'?") + " Swept keys: " + join(axes) + ".");
}

// Ranks with ties averaged (for Spearman's rho).
static std::vector<double> ranks(const std::vector<double>& v) {
  std::vector<size_t> order(v.size());
  for (size_t i = 0; i < v.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
  std::vector<double> r(v.size());
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
    for (size_t k = i; k <= j; ++k) r[order[k]] = (static_cast<double>(i + j) / 2.0) + 1;
    i = j + 1;
  }
  return r;
}

static double pearson(const std::vector<double>& a, const std::vector<double>& b) {
  const double n = static_cast<double>(a.size());
  double ma = 0, mb = 0;
  for (size_t i = 0; i < a.size(); ++i) ma += a[i] / n, mb += b[i] / n;
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : 0.0;
}

double spearman(const std::vector<double>& x, const std::vector<double>& y) { return pearson(ranks(x), ranks(y)); }

namespace {

// Recursive descent: expr = term (('+'|'-') term)*; term = factor (('*'|'/') factor)*;
// factor = number | name | '(' expr ')' | '-' factor.
class Parser {
 public:
  Parser(const std::string& text, const std::function<double(const std::string&)>& lookup)
      : text_(text), lookup_(lookup) {}
  double parse() {
    double v = expr();
    skip();
    if (pos_ != text_.size()) fail("unexpected '" + text_.substr(pos_, 1) + "'");
    return v;
  }

 private:
  void skip() { while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_; }
  bool eat(char c) {
    skip();
    if (pos_ < text_.size() && text_[pos_] == c) { ++pos_; return true; }
    return false;
  }
  [[noreturn]] void fail(const std::string& what) const {
    throw std::invalid_argument("in '" + text_ + "' at character " + std::to_string(pos_ + 1) + ": " + what);
  }
  double expr() {
    double v = term();
    for (;;) {
      if (eat('+')) v += term();
      else if (eat('-')) v -= term();
      else return v;
    }
  }
  double term() {
    double v = factor();
    for (;;) {
      if (eat('*')) v *= factor();
      else if (eat('/')) v /= factor();
      else return v;
    }
  }
  double factor() {
    skip();
    if (eat('(')) {
      double v = expr();
      if (!eat(')')) fail("missing ')'");
      return v;
    }
    if (eat('-')) return -factor();
    if (pos_ >= text_.size()) fail("expected a number or a name");
    const char c = text_[pos_];
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
      char* end = nullptr;
      double v = std::strtod(text_.c_str() + pos_, &end);
      pos_ = static_cast<size_t>(end - text_.c_str());
      return v;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t start = pos_;
      while (pos_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[pos_])) ||
                                     std::string("._/").find(text_[pos_]) != std::string::npos)) {
        ++pos_;
      }
      return lookup_(text_.substr(start, pos_ - start));
    }
    fail("expected a number or a name");
  }
  const std::string& text_;
  const std::function<double(const std::string&)>& lookup_;
  size_t pos_ = 0;
};

}  // namespace

double evaluate_expression(const std::string& text, const std::function<double(const std::string&)>& lookup) {
  return Parser(text, lookup).parse();
}

}  // namespace phenom
