#include "core/safetensors_format.h"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "core/error.h"

namespace phenom {
namespace {

constexpr uint64_t kMaxHeader = 100'000'000;  // the format's own bound on the JSON header (bytes)

struct Refusal {
  const std::string& path;
  BadInput operator()(const std::string& why) const {
    return BadInput("'" + path + "' is not a safetensors file phenom can trust (" + why + ").");
  }
};

// a * b, or false when it would exceed `limit`.
bool checked_mul(uint64_t a, uint64_t b, uint64_t limit, uint64_t& out) {
  if (a != 0 && b > limit / a) return false;
  out = a * b;
  return true;
}

SafetensorsEntry parse_entry(const std::string& name, const nlohmann::json& e, const Refusal& bad) {
  SafetensorsEntry out{name};
  if (!e.is_object() || e.size() != 3 || !e.contains("dtype") || !e.contains("shape") || !e.contains("data_offsets")) {
    throw bad("tensor '" + name + "' needs exactly dtype, shape and data_offsets");
  }
  const uint64_t size = e["dtype"].is_string() ? safetensors_element_size(e["dtype"].get<std::string>()) : 0;
  if (size == 0) throw bad("tensor '" + name + "' has dtype " + e["dtype"].dump() + "; phenom reads F32, F64, I64, I32, BOOL, U8");
  out.dtype = e["dtype"].get<std::string>();
  uint64_t count = 1;
  if (!e["shape"].is_array()) throw bad("tensor '" + name + "' has a shape that is not a list");
  for (const auto& d : e["shape"]) {
    if (!d.is_number_unsigned()) throw bad("tensor '" + name + "' has a shape entry " + d.dump());
    const uint64_t n = d.get<uint64_t>();
    if (!checked_mul(count, n, static_cast<uint64_t>(std::numeric_limits<int64_t>::max()), count)) {
      throw bad("tensor '" + name + "' has a shape too large to exist");
    }
    out.shape.push_back(static_cast<int64_t>(n));
  }
  const auto& off = e["data_offsets"];
  if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned()) {
    throw bad("tensor '" + name + "' needs data_offsets [begin, end] of two non-negative integers");
  }
  out.begin = off[0].get<uint64_t>();
  out.end = off[1].get<uint64_t>();
  uint64_t bytes = 0;
  if (!checked_mul(count, size, std::numeric_limits<uint64_t>::max(), bytes) || out.begin > out.end ||
      out.end - out.begin != bytes) {
    throw bad("tensor '" + name + "' has data_offsets " + off.dump() + " that do not hold its dtype and shape");
  }
  return out;
}

// The header's JSON, parsed from exactly its bytes, a name given twice refused.
nlohmann::json parse_header(const std::string& text, const Refusal& bad) {
  if (text.find('\0') != std::string::npos) throw bad("the header holds a NUL byte");
  std::set<std::string> keys;
  bool duplicate = false;
  const nlohmann::json::parser_callback_t note_keys = [&](int depth, nlohmann::json::parse_event_t event,
                                                          nlohmann::json& parsed) {
    if (event == nlohmann::json::parse_event_t::key && depth == 1 && !keys.insert(parsed.get<std::string>()).second) {
      duplicate = true;
    }
    return true;
  };
  const auto header = nlohmann::json::parse(text, note_keys, false);
  if (header.is_discarded() || !header.is_object()) throw bad("the header is not a JSON object");
  if (duplicate) throw bad("the header names a tensor twice");
  return header;
}

std::map<std::string, std::string> parse_metadata(const nlohmann::json& m, const Refusal& bad) {
  if (!m.is_object()) throw bad("__metadata__ is not a map of strings");
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : m.items()) {
    if (!value.is_string()) throw bad("__metadata__." + key + " is not a string");
    out[key] = value.get<std::string>();
  }
  return out;
}

// The ranges tile the data exactly: none overlaps another, none is missing, nothing trails.
void check_tiling(std::vector<SafetensorsEntry>& entries, uint64_t data_size, const Refusal& bad) {
  std::sort(entries.begin(), entries.end(), [](const SafetensorsEntry& a, const SafetensorsEntry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t at = 0;
  for (const auto& e : entries) {
    if (e.begin != at) throw bad("tensor '" + e.name + "' does not start where the one before it ends, byte " + std::to_string(at));
    at = e.end;
  }
  if (at > data_size) throw bad("its tensors end at byte " + std::to_string(at) + " of " + std::to_string(data_size) + " data bytes");
  if (at < data_size) throw bad(std::to_string(data_size - at) + " bytes follow the last tensor");
}

}  // namespace

uint64_t safetensors_element_size(const std::string& dtype) {
  if (dtype == "F64" || dtype == "I64") return 8;
  if (dtype == "F32" || dtype == "I32") return 4;
  if (dtype == "BOOL" || dtype == "U8") return 1;
  return 0;
}

std::string safetensors_crc(const char* data, size_t size) {
  const uLong crc = crc32_z(crc32_z(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(data), size);
  char text[9];
  std::snprintf(text, sizeof text, "%08lx", static_cast<unsigned long>(crc));
  return text;
}

SafetensorsLayout check_safetensors(const std::string& bytes, const std::string& path) {
  const Refusal bad{path};
  if (bytes.size() < 8) throw bad("shorter than its 8-byte header length");
  uint64_t length = 0;
  for (int i = 0; i < 8; ++i) length |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  if (length > bytes.size() - 8 || length > kMaxHeader) {
    throw bad("its header length " + std::to_string(length) + " does not fit in its " + std::to_string(bytes.size()) + " bytes");
  }
  SafetensorsLayout layout;
  layout.data_start = 8 + length;
  const nlohmann::json header = parse_header(bytes.substr(8, length), bad);
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") layout.metadata = parse_metadata(entry, bad);
    else layout.entries.push_back(parse_entry(name, entry, bad));
  }
  const char* data = bytes.data() + layout.data_start;
  const uint64_t data_size = bytes.size() - layout.data_start;
  check_tiling(layout.entries, data_size, bad);
  const auto crc = layout.metadata.find(kSafetensorsCrcKey);
  if (crc != layout.metadata.end() && (crc->second != safetensors_crc(data, data_size) || layout.data_start % 8 != 0)) {
    throw bad("its CRC-32 does not match its data, or its data does not start 8-byte aligned as phenom writes "
              "it: the file changed after phenom wrote it");
  }
  for (const auto& e : layout.entries) {
    if (e.dtype != "BOOL") continue;
    for (uint64_t i = e.begin; i < e.end; ++i) {
      if (static_cast<unsigned char>(data[i]) > 1) throw bad("tensor '" + e.name + "' holds a BOOL that is not 0 or 1");
    }
  }
  return layout;
}

}  // namespace phenom
