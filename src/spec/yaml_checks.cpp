// What yaml-cpp accepts but a spec must not: YAML it would silently misread.
#include <yaml-cpp/eventhandler.h>

#include <set>
#include <sstream>

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

// Counts documents, and whether the second holds anything but a null.
struct DocumentCounter : YAML::EventHandler {
  int documents = 0;
  bool second_has_content = false;
  YAML::Mark second_start;
  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents == 2) second_start = mark;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override { content(); }
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override { content(); }
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    content();
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    content();
  }
  void OnMapEnd() override {}
  void content() { second_has_content |= documents == 2; }
};

}  // namespace

YAML::Node parse_one_document(const std::string& yaml, LoadContext& context) {
  YAML::Node root = YAML::Load(yaml);
  // Is there a second document with content? (Counted with an event handler and at most two
  // documents: YAML::LoadAll never returns on some malformed input.)
  std::istringstream stream(yaml);
  YAML::Parser parser(stream);
  DocumentCounter counter;
  for (int i = 0; i < 2 && parser.HandleNextDocument(counter); ++i) {
  }
  if (counter.documents >= 2 && counter.second_has_content) {
    context.problems.push_back({"", context.source + ":" + std::to_string(counter.second_start.line + 1) + ":" +
                                        std::to_string(counter.second_start.column + 1),
                                "a second YAML document starts here (after '---'); a spec is one document, and "
                                "phenom would read only the first. Fix: keep one document per file."});
  }
  check_node(root, "", context);
  return root;
}

}  // namespace phenom
