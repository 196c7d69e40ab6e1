// The smoke test's JUnit XML: one <testcase> per spec, the form CI systems (GitLab, Jenkins,
// GitHub's test reporters) read.
#include <cstdio>
#include <filesystem>

#include "sweep/smoke.h"

namespace phenom {
namespace {

// Text as XML character data or an attribute value; characters XML 1.0 forbids become '?'.
std::string escaped(const std::string& text) {
  std::string out;
  for (const char ch : text) {
    const unsigned char c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += (c < 0x20 && c != '\n' && c != '\t' && c != '\r') ? '?' : ch;
    }
  }
  return out;
}

std::string seconds(double s) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.3f", s);
  return text;
}

}  // namespace

std::string junit_xml(const std::vector<SmokeCase>& cases, double total_seconds) {
  size_t failures = 0;
  for (const auto& c : cases) failures += !c.ok();
  const std::string counts = "tests=\"" + std::to_string(cases.size()) + "\" failures=\"" + std::to_string(failures) +
                             "\" errors=\"0\" skipped=\"0\" time=\"" + seconds(total_seconds) + "\"";
  std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"phenom smoke\" " + counts +
                    ">\n  <testsuite name=\"phenom smoke\" " + counts + ">\n";
  for (const auto& c : cases) {
    const std::filesystem::path path(c.file);
    std::string classname = "smoke";
    for (const auto& part : path.parent_path().relative_path()) {
      if (part != "." && part != "..") classname += "." + part.string();
    }
    xml += "    <testcase classname=\"" + escaped(classname) + "\" name=\"" + escaped(path.filename().string()) +
           "\" file=\"" + escaped(c.file) + "\" time=\"" + seconds(c.seconds) + "\">\n";
    if (!c.ok()) {
      xml += "      <failure type=\"" + escaped(c.failure_type) + "\" message=\"" + escaped(c.failure_message) + "\">" +
             escaped(c.details) + "</failure>\n";
    }
    std::string passed;
    for (const auto& p : c.passed) passed += "passed: " + p + "\n";
    xml += "      <system-out>" + escaped(passed) + "</system-out>\n    </testcase>\n";
  }
  return xml + "  </testsuite>\n</testsuites>\n";
}

}  // namespace phenom
