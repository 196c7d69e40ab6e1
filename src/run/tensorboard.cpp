#include "run/tensorboard.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <vector>

namespace phenom {
namespace {

// Protocol-buffer wire format: varints, length-delimited fields, fixed 32/64-bit fields.
std::string varint(uint64_t v) {
  std::string out;
  for (; v >= 0x80; v >>= 7) out += static_cast<char>((v & 0x7f) | 0x80);
  return out + static_cast<char>(v);
}
std::string key(int field, int wire) { return varint(static_cast<uint64_t>(field) << 3 | static_cast<uint64_t>(wire)); }
std::string bytes_field(int field, const std::string& data) { return key(field, 2) + varint(data.size()) + data; }
std::string varint_field(int field, uint64_t v) { return key(field, 0) + varint(v); }
template <class T>
std::string fixed_field(int field, T value) {  // double: wire type 1; float: 5 (little-endian, as x86 is)
  char raw[sizeof(T)];
  std::memcpy(raw, &value, sizeof(T));
  return key(field, sizeof(T) == 8 ? 1 : 5) + std::string(raw, sizeof(T));
}

// Event: wall_time 1, step 2, file_version 3, summary 5.
std::string event(double wall_time, int64_t step, const std::string& payload) {
  return fixed_field(1, wall_time) + varint_field(2, static_cast<uint64_t>(step)) + payload;
}
// Summary: repeated Value value = 1. Value: tag 1, simple_value 2, image 4, tensor 8, metadata 9.
std::string summary_event(double wall_time, int64_t step, const std::string& values) {
  return event(wall_time, step, bytes_field(5, values));
}
// SummaryMetadata.plugin_data (1): PluginData { plugin_name 1, content 2 }.
std::string plugin_metadata(const std::string& plugin, const std::string& content = "") {
  return bytes_field(9, bytes_field(1, bytes_field(1, plugin) + (content.empty() ? "" : bytes_field(2, content))));
}

uint32_t masked(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }

std::string le32(uint32_t v) {
  char raw[4];
  std::memcpy(raw, &v, 4);
  return std::string(raw, 4);
}

uint32_t be32(const std::string& s, size_t at) {
  return static_cast<uint32_t>(static_cast<unsigned char>(s[at])) << 24 |
         static_cast<uint32_t>(static_cast<unsigned char>(s[at + 1])) << 16 |
         static_cast<uint32_t>(static_cast<unsigned char>(s[at + 2])) << 8 |
         static_cast<uint32_t>(static_cast<unsigned char>(s[at + 3]));
}

}  // namespace

uint32_t crc32c(const std::string& data) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t crc = 0xffffffffu;
  for (unsigned char b : data) crc = table[(crc ^ b) & 0xff] ^ (crc >> 8);
  return crc ^ 0xffffffffu;
}

std::string tfrecord(const std::string& record) {
  const uint64_t length = record.size();
  char raw[8];
  std::memcpy(raw, &length, 8);
  const std::string header(raw, 8);
  return header + le32(masked(crc32c(header))) + record + le32(masked(crc32c(record)));
}

namespace tb {

std::string file_version_event(double wall_time) { return event(wall_time, 0, bytes_field(3, "brain.Event:2")); }

std::string scalars_event(const MetricRow& row, double wall_time) {
  std::string values;
  for (const auto& [name, value] : row.values) {
    values += bytes_field(1, bytes_field(1, name) + fixed_field(2, static_cast<float>(value)));
  }
  return summary_event(wall_time, row.step, values);
}

std::string text_event(const std::string& tag, const std::string& markdown, int64_t step, double wall_time) {
  // TensorProto: dtype 1 (DT_STRING = 7), tensor_shape 2 (one dim of size 1), string_val 8.
  const std::string tensor = varint_field(1, 7) + bytes_field(2, bytes_field(2, varint_field(1, 1))) + bytes_field(8, markdown);
  return summary_event(wall_time, step, bytes_field(1, bytes_field(1, tag) + plugin_metadata("text") + bytes_field(8, tensor)));
}

std::string hparams_start_event(const std::vector<std::pair<std::string, std::string>>& hparams, double wall_time) {
  // SessionStartInfo: map<string, google.protobuf.Value> hparams 1 (entries: key 1, value 2;
  // Value: number_value 2, string_value 3), start_time_secs 5. HParamsPluginData: version 1 (0),
  // session_start_info 3.
  std::string info;
  for (const auto& [name, text] : hparams) {
    char* end = nullptr;
    const double number = std::strtod(text.c_str(), &end);
    const bool numeric = !text.empty() && end && *end == '\0';
    const std::string value = numeric ? fixed_field(2, number) : bytes_field(3, text);
    info += bytes_field(1, bytes_field(1, name) + bytes_field(2, value));
  }
  info += fixed_field(5, wall_time);
  const std::string tensor = varint_field(1, 1);  // a DT_FLOAT tensor, for readers that expect one
  return summary_event(wall_time, 0, bytes_field(1, bytes_field(1, "_hparams_/session_start_info") +
                                                        plugin_metadata("hparams", bytes_field(3, info)) +
                                                        bytes_field(8, tensor)));
}

std::string hparams_end_event(bool success, double wall_time) {
  // SessionEndInfo: status 1 (STATUS_SUCCESS 1, STATUS_FAILURE 2), end_time_secs 2.
  const std::string info = varint_field(1, success ? 1 : 2) + fixed_field(2, wall_time);
  return summary_event(wall_time, 0, bytes_field(1, bytes_field(1, "_hparams_/session_end_info") +
                                                        plugin_metadata("hparams", bytes_field(4, info)) +
                                                        bytes_field(8, varint_field(1, 1))));
}

std::string image_event(const std::string& tag, const std::string& png, int64_t step, double wall_time) {
  if (png.size() < 26 || png.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0 || png.compare(12, 4, "IHDR") != 0) return "";
  const uint32_t width = be32(png, 16), height = be32(png, 20);
  const int colour = static_cast<unsigned char>(png[25]);  // 0 grey, 2 RGB, 4 grey+alpha, 6 RGBA
  const int channels = colour == 6 ? 4 : colour == 2 ? 3 : colour == 4 ? 2 : 1;
  // Summary.Image: height 1, width 2, colorspace 3, encoded_image_string 4.
  const std::string image = varint_field(1, height) + varint_field(2, width) + varint_field(3, channels) + bytes_field(4, png);
  return summary_event(wall_time, step, bytes_field(1, bytes_field(1, tag) + bytes_field(4, image)));
}

}  // namespace tb

double wall_clock_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void TensorBoardLog::configure(std::string dir, std::string spec_text,
                               std::vector<std::pair<std::string, std::string>> hparams) {
  dir_ = std::move(dir);
  spec_text_ = std::move(spec_text);
  hparams_ = std::move(hparams);
}

bool is_phenom_event_file(const std::string& name) {
  const std::string prefix = "events.out.tfevents.", suffix = ".phenom";
  return name.rfind(prefix, 0) == 0 && name.size() > prefix.size() + suffix.size() &&
         (name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0 || is_temporary_file(name));
}

void TensorBoardLog::rewrite(const MetricHistory& history) {
  if (!enabled()) return;
  file_.close();
  std::error_code error;
  std::vector<std::filesystem::path> own;  // phenom's event files only: anything else in tb/ stays
  for (const auto& entry : std::filesystem::directory_iterator(dir_, error)) {
    if (is_phenom_event_file(entry.path().filename().string())) own.push_back(entry.path());
  }
  for (const auto& path : own) std::filesystem::remove(path, error);
  error.clear();
  std::filesystem::create_directories(dir_, error);
  if (error) throw IoError("cannot create '" + dir_ + "': " + error.message());
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  const double now = wall_clock_seconds();
  path_ = dir_ + "/events.out.tfevents." + std::to_string(static_cast<int64_t>(now)) + "." + host + ".phenom";
  std::string text = tfrecord(tb::file_version_event(now));
  std::string indented;  // the spec as a Markdown code block
  for (size_t start = 0; start < spec_text_.size();) {
    const size_t end = spec_text_.find('\n', start);
    indented += "    " + spec_text_.substr(start, end == std::string::npos ? std::string::npos : end - start) + "\n";
    start = end == std::string::npos ? spec_text_.size() : end + 1;
  }
  text += tfrecord(tb::text_event("spec", indented, 0, now));
  text += tfrecord(tb::hparams_start_event(hparams_, now));
  for (const auto& r : history.rows()) text += tfrecord(tb::scalars_event(r, now));
  write_file_atomic(path_, text);
  file_.open(path_);
}

void TensorBoardLog::append(const std::string& event) {
  if (!enabled() || event.empty()) return;
  if (!file_.is_open()) file_.open(path_);
  file_.append(tfrecord(event));
}

void TensorBoardLog::row(const MetricRow& row) { append(tb::scalars_event(row, wall_clock_seconds())); }

void TensorBoardLog::finish(const std::string& plots_dir, bool success, int64_t step) {
  if (!enabled()) return;
  std::error_code error;
  std::vector<std::filesystem::path> figures;
  for (const auto& entry : std::filesystem::directory_iterator(plots_dir, error)) {
    if (entry.path().extension() == ".png") figures.push_back(entry.path());
  }
  std::sort(figures.begin(), figures.end());
  for (const auto& figure : figures) {
    append(tb::image_event("plots/" + figure.stem().string(), read_file(figure.string()), step, wall_clock_seconds()));
  }
  append(tb::hparams_end_event(success, wall_clock_seconds()));
  file_.close();
}

}  // namespace phenom
