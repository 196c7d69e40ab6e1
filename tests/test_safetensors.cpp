// The safetensors reader parses files and never trusts them: every hostile header is refused
// with BadInput naming the file, every file phenom writes is sealed with a CRC-32, and a
// deterministic mutation fuzz never gets anything but a sound decoding or BadInput.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

#include "cli_helpers.h"
#include "core/error.h"
#include "core/safetensors.h"
#include "core/safetensors_format.h"

namespace phenom {
namespace {

using namespace phenom::testing;

// A file from its header's JSON text and its data bytes.
std::string safetensors_file(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((static_cast<uint64_t>(header.size()) >> (8 * i)) & 0xff);
  return out + header + data;
}

std::string with_header_length(std::string bytes, uint64_t length) {
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>((length >> (8 * i)) & 0xff);
  return bytes;
}

std::string refusal_of(const std::string& bytes) {
  try {
    decode_safetensors(bytes, "hostile.safetensors");
  } catch (const BadInput& e) {
    return e.what();
  }
  return "";
}

const std::string kSixFloats(24, '\x01');  // six F32 values' bytes

TEST(Safetensors, HostileHeadersAreRefusedNamingTheFile) {
  const std::string x = R"("x":{"dtype":"F32","shape":[2,3],"data_offsets":)";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"header length 2^64-1", with_header_length(safetensors_file("{" + x + "[0,24]}}", kSixFloats), ~uint64_t{0})},
      {"header length past the end", with_header_length(safetensors_file("{" + x + "[0,24]}}", kSixFloats), 1000)},
      {"offsets near 2^64", safetensors_file("{" + x + "[18446744073709551592,18446744073709551616]}}", kSixFloats)},
      {"offsets near 2^64, in range", safetensors_file("{" + x + "[18446744073709551584,18446744073709551608]}}", kSixFloats)},
      {"reversed offsets", safetensors_file("{" + x + "[24,0]}}", kSixFloats)},
      {"offsets past the data", safetensors_file("{" + x + "[0,24]}}", std::string(20, '\0'))},
      {"trailing bytes", safetensors_file("{" + x + "[0,24]}}", kSixFloats + "junk")},
      {"dtype x shape != offsets", safetensors_file("{" + x + "[0,20]}}", std::string(20, '\0'))},
      {"shape product wraps to 0", safetensors_file(R"({"x":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,0]}})", "")},
      {"shape beyond int64", safetensors_file(R"({"x":{"dtype":"U8","shape":[9223372036854775808],"data_offsets":[0,0]}})", "")},
      {"negative shape", safetensors_file(R"({"x":{"dtype":"F32","shape":[-2,-3],"data_offsets":[0,24]}})", kSixFloats)},
      {"fractional shape", safetensors_file(R"({"x":{"dtype":"F32","shape":[2.0,3],"data_offsets":[0,24]}})", kSixFloats)},
      {"overlapping ranges", safetensors_file("{" + x + R"([0,24]},"y":{"dtype":"F32","shape":[2],"data_offsets":[16,24]}})", kSixFloats)},
      {"a gap between ranges", safetensors_file("{" + x + R"([0,24]},"y":{"dtype":"U8","shape":[2],"data_offsets":[26,28]}})", kSixFloats + "\0\0\0\0")},
      {"sealed, data not 8-aligned", safetensors_file(R"({"__metadata__":{"crc32":"00000000"}})", "")},
      {"NUL in the header", safetensors_file("{" + x + "[0,24]}}" + std::string(1, '\0') + "  ", kSixFloats)},
      {"garbage after the JSON", safetensors_file("{" + x + "[0,24]}}xyz", kSixFloats)},
      {"a name given twice", safetensors_file("{" + x + "[0,24]}," + x + "[0,24]}}", kSixFloats)},
      {"BOOL that is 2", safetensors_file(R"({"b":{"dtype":"BOOL","shape":[2],"data_offsets":[0,2]}})", "\x01\x02")},
      {"dtype phenom does not read", safetensors_file(R"({"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}})", "\0\0\0\0")},
      {"an extra key in an entry", safetensors_file("{" + x + R"([0,24],"more":1}})", kSixFloats)},
      {"an entry that is a list", safetensors_file(R"({"x":[1,2]})", "")},
      {"metadata that is not strings", safetensors_file(R"({"__metadata__":{"step":5}})", "")},
      {"a header that is a list", safetensors_file("[1]", "")},
      {"a crc32 that does not match", safetensors_file(R"({"__metadata__":{"crc32":"00000000"},)" + x + "[0,24]}}", kSixFloats)},
      {"shorter than 8 bytes", std::string("\x10\0\0", 3)}};
  for (const auto& [what, bytes] : cases) {
    const std::string why = refusal_of(bytes);
    EXPECT_NE(why.find("'hostile.safetensors' is not a safetensors file"), std::string::npos) << what << ": " << why;
  }
  // What the format allows still reads: no tensors, a zero-size tensor, padding spaces.
  EXPECT_TRUE(decode_safetensors(safetensors_file("{}", ""), "a").empty());
  const auto empty = decode_safetensors(safetensors_file(R"({"e":{"dtype":"F32","shape":[0,3],"data_offsets":[0,0]}}   )", ""), "b");
  EXPECT_EQ(empty.at("e").sizes(), (std::vector<int64_t>{0, 3}));
}

TEST(Safetensors, EveryFileIsSealedAndOneFlippedDataByteIsRefused) {
  TempDir tmp;
  const std::map<std::string, torch::Tensor> t = {{"w", torch::arange(6, torch::kFloat)},
                                                  {"m", torch::tensor({true, false})}};
  write_safetensors(tmp / "w.safetensors", t, {{"step", "5"}});
  std::string bytes = slurp(tmp / "w.safetensors");
  const SafetensorsLayout layout = check_safetensors(bytes, "w");
  EXPECT_EQ(layout.metadata.at("step"), "5");
  EXPECT_EQ(layout.metadata.at(kSafetensorsCrcKey), safetensors_crc(bytes.data() + layout.data_start, bytes.size() - layout.data_start));
  EXPECT_TRUE(read_safetensors(tmp / "w.safetensors").at("w").equal(t.at("w")));
  bytes[bytes.size() - 5] ^= 0x10;  // one bit of w's last value
  write_text(tmp / "w.safetensors", bytes);
  EXPECT_NE(refusal_of(bytes).find("CRC-32 does not match"), std::string::npos);
}

// A mask named by a spec is checked when the spec loads: exit 2 naming `mask`, nothing created.
TEST(Safetensors, AMaskThatIsHostileOrNotZeroOneIsRefusedBeforeTheRun) {
  TempDir tmp;
  write_text(tmp / "bomb.safetensors", with_header_length(slurp(source_dir() + "/configs/grokking/mlp.yaml"), ~uint64_t{0}));
  write_safetensors(tmp / "half.safetensors", {{"layers.0.weight", torch::full({8, 22}, 0.5)}});
  for (const char* mask : {"bomb.safetensors", "half.safetensors"}) {
    write_text(tmp / "masked.yaml", std::string("device: cpu\ntask: {type: modular_arithmetic, modulus: 11}\n"
                                                "model: {type: mlp, width: 8}\noptimizer: {type: sgd, lr: 0.1}\nmask: ") + mask + "\n");
    const CliResult r = run_cli("run masked.yaml --out masked", tmp.path);
    EXPECT_EQ(r.code, 2) << r.output;
    EXPECT_NE(r.output.find("masked.yaml:5:7"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find(mask), std::string::npos) << r.output;
    EXPECT_FALSE(std::filesystem::exists(tmp / "masked")) << mask;
  }
}

// Mutations of sound files: byte flips, header numbers replaced by extreme ones, lengths
// rewritten, truncation, appended bytes. PHENOM_FUZZ_INPUTS sets the count (default 100000, half a
// second).
std::string mutate_bytes(std::string bytes, std::mt19937_64& rng) {
  static const std::vector<std::string> numbers = {"0", "1", "7", "-1", "24", "18446744073709551615", "18446744073709551616",
                                                   "9223372036854775807", "4611686018427387904", "1e400", "2.5", "null"};
  auto pick = [&](size_t n) { return n == 0 ? size_t{0} : static_cast<size_t>(rng() % n); };
  for (int e = 0, edits = 1 + static_cast<int>(pick(3)); e < edits; ++e) {
    switch (pick(6)) {
      case 0: if (!bytes.empty()) bytes[pick(bytes.size())] ^= static_cast<char>(1 << pick(8)); break;
      case 1: {  // a number in the header replaced
        const size_t at = bytes.find_first_of("0123456789", 8 + pick(bytes.size() > 8 ? bytes.size() - 8 : 1));
        if (at == std::string::npos || at < 8) break;
        const size_t end = bytes.find_first_not_of("0123456789", at);
        bytes.replace(at, (end == std::string::npos ? bytes.size() : end) - at, numbers[pick(numbers.size())]);
        break;
      }
      case 2: if (bytes.size() >= 8) bytes = with_header_length(bytes, pick(2) ? rng() : rng() % (bytes.size() + 16)); break;
      case 3: bytes.resize(pick(bytes.size() + 1)); break;
      case 4: bytes.append(1 + pick(16), static_cast<char>(pick(256))); break;
      default: bytes.insert(pick(bytes.size() + 1), 1, "{}[],:\" 0\0"[pick(10)]); break;
    }
  }
  return bytes;
}

TEST(Fuzz, SafetensorsReaderDecodesSoundlyOrRefusesEveryMutation) {
  std::vector<std::string> seeds;
  seeds.push_back(encode_safetensors({{"w", torch::randn({3, 4})}, {"b", torch::zeros({4}, torch::kDouble)},
                                      {"i", torch::tensor({1, 2}, torch::kLong)}, {"m", torch::tensor({true, false})}}));
  seeds.push_back(encode_safetensors({{"u", torch::tensor({1, 2, 3}, torch::kByte)}, {"j", torch::tensor({5}, torch::kInt)}}, {{"step", "3"}}));
  seeds.push_back(safetensors_file(R"({"x":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"y":{"dtype":"U8","shape":[4],"data_offsets":[24,28]}})",
                          kSixFloats + "abcd"));  // unsealed: data mutations decode
  seeds.push_back(safetensors_file(R"({"__metadata__":{"step":"7"},"b":{"dtype":"BOOL","shape":[3],"data_offsets":[0,3]},)"
                                   R"("d":{"dtype":"F64","shape":[1],"data_offsets":[3,11]},"e":{"dtype":"I32","shape":[0],"data_offsets":[11,11]}})",
                                   std::string("\1\0\1", 3) + std::string(8, '\0')));
  const char* env = std::getenv("PHENOM_FUZZ_INPUTS");
  const long inputs = env ? std::atol(env) : 100000;
  std::mt19937_64 rng(20261207);
  long decoded = 0, refused = 0;
  for (long i = 0; i < inputs; ++i) {
    const std::string bytes = mutate_bytes(seeds[rng() % seeds.size()], rng);
    try {
      const auto tensors = decode_safetensors(bytes, "fuzz");
      int64_t total = 0;  // a sound decoding accounts for every data byte, no more
      for (const auto& [name, t] : tensors) total += t.numel() * static_cast<int64_t>(t.element_size());
      const SafetensorsLayout layout = check_safetensors(bytes, "fuzz");
      ASSERT_EQ(static_cast<uint64_t>(total), bytes.size() - layout.data_start) << "input " << i;
      ++decoded;
    } catch (const BadInput&) {
      ++refused;
    } catch (const std::exception& e) {
      FAIL() << "input " << i << " threw " << typeid(e).name() << ": " << e.what();
    }
  }
  // Both outcomes occur: some mutations keep a sound file (data bytes of unsealed seeds, spaces).
  EXPECT_GT(decoded, inputs / 100);
  EXPECT_GT(refused, inputs / 2);
  std::cout << "[fuzz] " << inputs << " safetensors inputs: " << decoded << " decoded, " << refused << " refused\n";
}

}  // namespace
}  // namespace phenom
