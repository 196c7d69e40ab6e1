// Shared by the sweep-level detectors: a run summary value grouped by a numeric swept key, and a
// small arithmetic expression over run-summary keys (e.g. a threshold "data.n_train * 10").
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "sweep/detector.h"

namespace phenom {

struct Point {
  double x = 0;
  std::vector<double> ys;  // one per run at this x (e.g. seeds), in table order
  double mean() const;
  double median() const;
  double min() const;
  double max() const;
};

// Points sorted by x; rows where x is not numeric or y is missing / not a number are skipped.
std::vector<Point> points_along(const std::vector<SweepRow>& rows, const std::string& x, const std::string& y);

// The point at x, or nullptr (points_along's x values, compared exactly).
const Point* point_at(const std::vector<Point>& points, double x);

// Spearman's rank correlation of paired values (ties get their mean rank); 0 when either is constant.
double spearman(const std::vector<double>& x, const std::vector<double>& y);

// Throws BadInput when `x` is not one of the sweep's axes (with "did you mean").
void require_swept(const std::string& detector, const std::string& x, const std::vector<std::string>& axes);

// + - * / and parentheses over numbers and names; `lookup` gives a name's value (throws if unknown).
// Throws std::invalid_argument on a syntax error.
double evaluate_expression(const std::string& text, const std::function<double(const std::string&)>& lookup);

}  // namespace phenom
