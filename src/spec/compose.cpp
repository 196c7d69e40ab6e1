// Composition: `defaults: [base.yaml, ...]` merges base specs under the one that names them.
// Mappings merge key by key, the including file winning; any other value (a list, a scalar) is
// taken whole from the file that sets it last. Every key remembers the file it came from, so a
// problem found later is reported at that file's line.
#include <filesystem>

#include "core/io.h"
#include "spec/reader.h"

namespace phenom {
namespace {

namespace fs = std::filesystem;
constexpr int kMaxDepth = 16;
constexpr int kMaxBases = 256;  // base files read for one spec, counting repeats (a diamond grows as 4^depth)

// A parsed tree and, for the parts not written in `file` itself, the file each came from.
struct Composed {
  YAML::Node root;
  std::string file;
  std::map<std::string, std::string> origin;  // key path -> file (the longest prefix applies)

  std::string file_of(const std::string& path) const {
    for (std::string p = path;;) {
      if (auto it = origin.find(p); it != origin.end()) return it->second;
      const size_t dot = p.rfind('.');
      if (dot == std::string::npos) return file;
      p.resize(dot);
    }
  }
};

// Puts `bottom` under `top` at `path` (both mappings): keys only in bottom are added, with their origin.
void merge_under(YAML::Node top, const YAML::Node& bottom, const std::string& path, Composed& into,
                 const Composed& from) {
  for (auto it = bottom.begin(); it != bottom.end(); ++it) {
    const std::string key = it->first.Scalar();
    const std::string child = join_path(path, key);
    const YAML::Node mine = static_cast<const YAML::Node&>(top)[key];
    if (mine.IsDefined() && !mine.IsNull()) {
      if (mine.IsMap() && it->second.IsMap()) merge_under(mine, it->second, child, into, from);
      continue;
    }
    if (mine.IsDefined()) top[key] = it->second;
    else top.force_insert(it->first, it->second);  // the base's key node: errors about it keep its file:line:col
    into.origin[child] = from.file_of(child);
    for (auto o = from.origin.lower_bound(child + "."); o != from.origin.end() && o->first.rfind(child + ".", 0) == 0;
         ++o) {
      into.origin[o->first] = o->second;
    }
  }
}

std::string mark_of(const std::string& file, const YAML::Node& node) {
  if (!node || node.Mark().line < 0) return file;
  return file + ":" + std::to_string(node.Mark().line + 1) + ":" + std::to_string(node.Mark().column + 1);
}

Composed compose(const std::string& file, YAML::Node parsed, LoadContext& context, std::vector<std::string>& stack);

// Reads and composes one base file named at `defaults.<i>` of `including`.
std::optional<Composed> load_base(const std::string& including, const YAML::Node& entry, const std::string& key,
                                  LoadContext& context, std::vector<std::string>& stack) {
  const auto blame = [&](const std::string& message) {
    context.problems.push_back({key, mark_of(including, entry), message});
    return std::nullopt;
  };
  if (!entry.IsScalar() || entry.Scalar().empty()) {
    return blame("found " + describe_node(entry) + "; allowed: the path of a base spec (relative to this file), "
                 "e.g. `defaults: [../base.yaml]`.");
  }
  const fs::path dir = fs::path(including).parent_path();
  const fs::path path = (fs::path(entry.Scalar()).is_absolute() ? fs::path(entry.Scalar()) : dir / entry.Scalar())
                            .lexically_normal();
  std::error_code error;
  const std::string canonical = fs::weakly_canonical(path, error).string();
  if (error || !fs::is_regular_file(path, error)) {
    return blame("cannot read the base spec '" + path.string() + "' (" + (error ? error.message() : "not a file") +
                 "; paths in defaults are relative to the file that names them). Fix: correct the path.");
  }
  if (++context.bases_loaded > kMaxBases) {
    return blame("the defaults read more than " + std::to_string(kMaxBases) + " base files for this spec (a base "
                 "listed many times at many levels?). Fix: list each base once, where it is needed.");
  }
  for (const auto& open : stack) {
    if (open == canonical) return blame("'" + path.string() + "' includes itself through its defaults (a cycle). "
                                        "Fix: remove one of the defaults entries that close the cycle.");
  }
  if (static_cast<int>(stack.size()) >= kMaxDepth) return blame("defaults nest more than 16 files deep. Fix: flatten them.");
  const std::string saved = context.source;
  context.source = path.string();
  YAML::Node root;
  try {
    root = parse_one_document(read_file(path.string()), context);
  } catch (const YAML::ParserException& e) {
    context.source = saved;
    throw SpecError({{"", path.string() + ":" + std::to_string(e.mark.line + 1) + ":" + std::to_string(e.mark.column + 1),
                      "malformed YAML in a base spec (named by " + mark_of(including, entry) + "): " + e.msg + "."}});
  }
  context.source = saved;
  if (!root || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  if (!root.IsMap()) {
    return blame("the base spec '" + path.string() + "' holds " + describe_node(root) + ", not a mapping of spec "
                 "sections. Fix: name a spec file.");
  }
  stack.push_back(canonical);
  Composed base = compose(path.string(), root, context, stack);
  stack.pop_back();
  return base;
}

Composed compose(const std::string& file, YAML::Node parsed, LoadContext& context, std::vector<std::string>& stack) {
  Composed self{parsed, file, {}};
  if (!parsed.IsMap() || !parsed["defaults"].IsDefined()) return self;
  const YAML::Node defaults = parsed["defaults"];
  std::vector<YAML::Node> entries;
  if (defaults.IsSequence()) {
    for (size_t i = 0; i < defaults.size(); ++i) entries.push_back(defaults[i]);
  } else {
    entries.push_back(defaults);
  }
  parsed.remove("defaults");
  // Later entries override earlier ones, and this file overrides them all.
  std::optional<Composed> below;
  for (size_t i = 0; i < entries.size(); ++i) {
    const std::string key = defaults.IsSequence() ? "defaults." + std::to_string(i) : "defaults";
    std::optional<Composed> base = load_base(file, entries[i], key, context, stack);
    if (!base) continue;
    if (below) merge_under(base->root, below->root, "", *base, *below);
    below = std::move(base);
  }
  if (below) merge_under(self.root, below->root, "", self, *below);
  return self;
}

}  // namespace

void compose_defaults(YAML::Node& root, LoadContext& context) {
  if (!root.IsMap() || !root["defaults"].IsDefined()) return;
  std::vector<std::string> stack{fs::weakly_canonical(fs::path(context.source)).string()};
  Composed composed = compose(context.source, root, context, stack);
  for (auto& [path, file] : composed.origin) context.origin[path] = file;
}

}  // namespace phenom
