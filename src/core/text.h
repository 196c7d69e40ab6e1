// Small string utilities shared by the spec layer and the run directory (no torch). File I/O is
// in core/io.h.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace phenom {

// Shortest text that parses back to exactly the same double ("0.01", "1e-05", "5").
std::string format_double(double value);

// Levenshtein distance, for "did you mean".
size_t edit_distance(const std::string& a, const std::string& b);

// The closest candidate within a small edit distance, or "" when nothing is close.
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

// "a, b, c"
std::string join(const std::vector<std::string>& items, const std::string& separator = ", ");

// FNV-1a 64-bit: stable across platforms and releases (used for run-directory names).
uint64_t fnv1a64(const std::string& text);
std::string hex8(uint64_t hash);

// The offset of the first byte that is not well-formed UTF-8 (overlong forms, surrogates and
// code points above U+10FFFF included), or std::string::npos when all of it is.
size_t invalid_utf8_at(const std::string& text);

}  // namespace phenom
