// What yaml-cpp accepts but a spec must not: YAML it would silently misread.
#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <map>
#include <set>
#include <vector>
#include <sstream>

#include "core/text.h"
#include "spec/reader.h"

namespace phenom {
namespace {

bool plain_tag(const std::string& tag) {
  static const std::set<std::string> standard = {
      "", "?", "!", "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
      "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"};
  return standard.count(tag) > 0;
}

void check_node(const YAML::Node& node, const std::string& path, LoadContext& context) {
  if (!node.IsDefined()) return;
  if (!plain_tag(node.Tag())) {
    context.add(path, node, "the tag '" + node.Tag() + "' is not read by phenom (its value would be taken as "
                "plain YAML). Fix: remove the tag.");
  }
  if (node.IsSequence()) {
    for (size_t i = 0; i < node.size(); ++i) check_node(node[i], join_path(path, std::to_string(i)), context);
    return;
  }
  if (!node.IsMap()) return;
  std::set<std::string> keys;
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (!it->first.IsScalar()) {
      context.add(path, it->first, "a mapping key must be a plain word, not " + describe_node(it->first) + ".");
      continue;
    }
    const std::string key = it->first.Scalar();
    const std::string child = join_path(path, key);
    if (key == "<<") {
      context.add(child, it->first, "merge keys (<<) are not supported: phenom would not see the merged keys. "
                  "Fix: write the keys out (an override or a sweep axis shares a value across runs).");
      continue;
    }
    if (!keys.insert(key).second) {
      context.add(child, it->first, "the key '" + key + "' appears twice in this mapping (YAML would keep one "
                  "silently). Fix: delete one of them.");
    }
    check_node(it->second, child, context);
  }
}

// Nodes a document would have with every alias expanded: an alias bomb (each level's alias
// repeated) is refused before anything walks it.
constexpr uint64_t kMaxExpandedNodes = 100000;

// Counts documents, whether the second holds anything but a null, and the first's expanded size.
struct DocumentCounter : YAML::EventHandler {
  int documents = 0;
  bool second_has_content = false;
  YAML::Mark second_start, too_large_at;
  uint64_t expanded = 0;  // in the first document, saturating at kMaxExpandedNodes + 1
  std::map<YAML::anchor_t, uint64_t> anchored;             // an anchor's expanded size
  std::vector<std::pair<YAML::anchor_t, uint64_t>> open;  // open collections: anchor, `expanded` at start
  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents == 2) second_start = mark;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { leaf(mark, anchor); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    content();
    add(mark, anchored.count(anchor) ? anchored[anchor] : 1);
  }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor, const std::string&) override {
    content();
    leaf(mark, anchor);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    start(mark, anchor);
  }
  void OnSequenceEnd() override { end(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor, YAML::EmitterStyle::value) override {
    start(mark, anchor);
  }
  void OnMapEnd() override { end(); }
  void content() { second_has_content |= documents == 2; }
  void add(const YAML::Mark& mark, uint64_t n) {
    if (documents != 1 || expanded > kMaxExpandedNodes) return;
    expanded = std::min(expanded + n, kMaxExpandedNodes + 1);
    if (expanded > kMaxExpandedNodes) too_large_at = mark;
  }
  void leaf(const YAML::Mark& mark, YAML::anchor_t anchor) {
    add(mark, 1);
    if (anchor) anchored[anchor] = 1;
  }
  void start(const YAML::Mark& mark, YAML::anchor_t anchor) {
    content();
    add(mark, 1);
    open.emplace_back(anchor, expanded - 1);
  }
  void end() {
    if (open.empty()) return;
    const auto [anchor, at_start] = open.back();
    open.pop_back();
    if (anchor) anchored[anchor] = expanded - at_start;
  }
};

std::string at(const LoadContext& context, const YAML::Mark& mark) {
  return context.source + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

}  // namespace

YAML::Node parse_one_document(const std::string& yaml, LoadContext& context) {
  if (const size_t bad = invalid_utf8_at(yaml); bad != std::string::npos) {
    const size_t line_start = yaml.rfind('\n', bad == 0 ? 0 : bad - 1);
    YAML::Mark mark;
    mark.line = static_cast<int>(std::count(yaml.begin(), yaml.begin() + static_cast<std::ptrdiff_t>(bad), '\n'));
    mark.column = static_cast<int>(line_start == std::string::npos || yaml[line_start] != '\n' ? bad : bad - line_start - 1);
    context.problems.push_back({"", at(context, mark), "this byte is not UTF-8 (YAML is Unicode text, and run "
                                "directories, JSON and the reader need it). Fix: save the file as UTF-8."});
    return YAML::Node();
  }
  // Documents and the expanded size, from the parser's events (at most two documents:
  // YAML::LoadAll never returns on some malformed input), before anything walks the tree.
  std::istringstream stream(yaml);
  YAML::Parser parser(stream);
  DocumentCounter counter;
  for (int i = 0; i < 2 && parser.HandleNextDocument(counter); ++i) {
  }
  if (counter.expanded > kMaxExpandedNodes) {
    context.problems.push_back({"", at(context, counter.too_large_at),
                                "with its aliases (*name) expanded this YAML has more than " +
                                    std::to_string(kMaxExpandedNodes) + " nodes (an alias bomb?); a spec is far "
                                    "smaller. Fix: write the values out, or use fewer aliases of aliases."});
    return YAML::Node();
  }
  YAML::Node root = YAML::Load(yaml);
  if (counter.documents >= 2 && counter.second_has_content) {
    context.problems.push_back({"", at(context, counter.second_start),
                                "a second YAML document starts here (after '---'); a spec is one document, and "
                                "phenom would read only the first. Fix: keep one document per file."});
  }
  check_node(root, "", context);
  return root;
}

}  // namespace phenom
