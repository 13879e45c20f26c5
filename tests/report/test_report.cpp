// The stats registry and the report that walks it: a schema's order, rounding and nesting; every
// field report.json and the CSVs hold is registered (and so documented), and nothing else is.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <limits>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "report.h"
#include "stats/stats.h"
#include "test_util.h"

namespace {

struct Inner {
  std::int64_t hits = 0;
  static const fusim::StatSchema<Inner>& schema() {
    static const fusim::StatSchema<Inner> s = [] {
      fusim::StatSchema<Inner> r;
      r.add("hits", &Inner::hits, "requests", "hits");
      return r;
    }();
    return s;
  }
};

struct Outer {
  std::int64_t a = 0;
  double b = 0;
  Inner inner;
  std::vector<Inner> items;
};

const fusim::StatSchema<Outer>& outer_schema() {
  static const fusim::StatSchema<Outer> s = [] {
    fusim::StatSchema<Outer> r;
    r.add("a", &Outer::a, "bytes", "a count");
    r.add("b", &Outer::b, fusim::decimals(3), "cycles", "a time");
    r.include(Inner::schema(), [](const Outer& o) -> const Inner& { return o.inner; });
    r.list("items", "a list", Inner::schema(),
           [](const Outer& o) -> const std::vector<Inner>& { return o.items; });
    r.after("a").integer(
        "twice_a", "bytes", "derived", [](const Outer& o) { return 2 * o.a; }, fusim::kCsv);
    return r;
  }();
  return s;
}

std::vector<std::string> names(const fusim::StatNode& n) {
  std::vector<std::string> out;
  for (const auto& c : n.children) out.push_back(c.info->name);
  return out;
}

// Every key path of a parsed JSON value: "a", "a[].b", ... (the docs table's notation).
void json_paths(const nlohmann::json& j, const std::string& prefix, std::set<std::string>& out) {
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) {
      out.insert(prefix + k);
      json_paths(v, prefix + k + ".", out);
    }
  } else if (j.is_array()) {
    for (const auto& v : j) {
      if (!v.is_object()) continue;
      json_paths(v, prefix.substr(0, prefix.size() - 1) + "[].", out);
    }
  }
}

// The field paths of one table of docs/reference/output-fields.md ("## report.json", ...).
std::set<std::string> documented(const std::string& markdown, const std::string& file) {
  std::istringstream in(markdown);
  std::set<std::string> out;
  bool inside = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("## ", 0) == 0) inside = line == "## " + file;
    if (inside && line.rfind("| `", 0) == 0) out.insert(line.substr(3, line.find('`', 3) - 3));
  }
  return out;
}

}  // namespace

TEST_CASE("a schema keeps registration order, places fields after a named one, and nests",
          "[report]") {
  Outer o;
  o.a = 3;
  o.b = 1.23456;
  o.inner.hits = 7;
  o.items = {Inner{1}, Inner{2}};
  const fusim::StatNode n = outer_schema().snapshot(o);
  CHECK(names(n) == std::vector<std::string>{"a", "twice_a", "b", "hits", "items"});
  CHECK(n["twice_a"].integer == 6);
  CHECK(n["b"].real == 1.235);
  CHECK(n["hits"].integer == 7);
  REQUIRE(n["items"].children.size() == 2);
  CHECK(n["items"].children[1]["hits"].integer == 2);
  CHECK_THROWS_AS(n["nope"], std::out_of_range);

  std::vector<fusim::FieldDoc> json, csv;
  outer_schema().describe("", fusim::kJson, json);
  outer_schema().describe("", fusim::kCsv, csv);
  std::vector<std::string> json_paths;
  for (const auto& d : json) json_paths.push_back(d.path);
  CHECK(json_paths == std::vector<std::string>{"a", "b", "hits", "items", "items[].hits"});
  CHECK(csv.size() == 4);  // a, twice_a, b, hits: lists are JSON only unless registered for CSV
}

TEST_CASE("reals are rounded as registered, NaN and infinity become 0", "[report]") {
  CHECK(fusim::round_for_output(2.0 / 3.0, fusim::decimals(3)) == 0.667);
  CHECK(fusim::round_for_output(1.0 / 3.0, fusim::significant(10)) == 0.3333333333);
  CHECK(fusim::round_for_output(std::nan(""), fusim::decimals(3)) == 0);
  CHECK(fusim::round_for_output(std::numeric_limits<double>::infinity(), fusim::significant(10)) ==
        0);
  CHECK(fusim::format_real(0.5, fusim::decimals(3)) == "0.500");
}

TEST_CASE("every field of report.json and the CSVs is registered and documented, and only those",
          "[report]") {
  // mlu: the detailed DRAM model and a shared buffer, so every optional part is present.
  const auto run = fusim::test::run(fusim::test::src("configs/mlu.yaml"),
                                    fusim::test::src("workloads/tiny_dag.yaml"), {}, "optimal");
  const std::string md = fusim::output_fields_markdown();

  const auto report = nlohmann::json::parse(fusim::report_json(run->result));
  std::set<std::string> in_json;
  json_paths(report, "", in_json);
  CHECK(in_json == documented(md, "report.json"));
  CHECK_FALSE(report["shared_buffer"].is_null());
  CHECK(report["dram_model"] == "detailed");

  auto header = [](const std::string& csv) {
    std::set<std::string> cols;
    std::istringstream line(csv.substr(0, csv.find('\n')));
    for (std::string c; std::getline(line, c, ',');) cols.insert(c);
    return cols;
  };
  CHECK(header(fusim::layers_csv(run->result)) == documented(md, "layers.csv"));
  CHECK(header(fusim::groups_csv(run->result)) == documented(md, "groups.csv"));
}

TEST_CASE("the report tree carries the simulator's counters under their registered names",
          "[report]") {
  const auto run = fusim::test::run(fusim::test::src("configs/mlu.yaml"),
                                    fusim::test::src("workloads/tiny_dag.yaml"));
  const fusim::SimResult& s = run->result.sim;
  const fusim::StatNode tree = fusim::report_tree(run->result);
  CHECK(tree["offchip_weight_read_bytes"].integer == s.traffic.weight_read);
  CHECK(tree["offchip_weight_read_bytes"].info->unit == "bytes");
  REQUIRE(tree["dram_channels"].children.size() == s.dram_channels.size());
  std::int64_t hits = 0, group_hits = 0;
  for (const auto& ch : tree["dram_channels"].children) hits += ch["row_hits"].integer;
  for (const auto& g : tree["groups"].children) group_hits += g["dram_row_hits"].integer;
  CHECK(hits > 0);
  CHECK(hits == group_hits);  // the same requests, by channel and by group
  REQUIRE(tree["cores"].children.size() == s.cores.size());
  CHECK(tree["cores"].children[0]["compute_busy_cycles"].integer == s.cores[0].compute_busy_cycles);
}

TEST_CASE("groups.csv's layer list splits one way, whatever the layer names hold", "[report]") {
  // tiny_chain with names holding a space, a ';', a ',' and a backslash; optimal fuses all three.
  std::ifstream in(fusim::test::src("workloads/tiny_chain.yaml"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto rename = [&text](const std::string& from, const std::string& to) {
    const std::size_t at = text.find("name: " + from + "\n");
    REQUIRE(at != std::string::npos);
    text.replace(at, from.size() + 6, "name: " + to);
  };
  rename("conv1", "\"conv 1\"");
  rename("conv2", "\"conv;2\"");
  rename("fc", "\"f,c\\\\x\"");  // YAML "f,c\\x": the name f,c\x
  const std::string net = fusim::test::write_temp("names_with_separators.yaml", text);
  const auto run = fusim::test::run(fusim::test::src("configs/mlu.yaml"), net, {}, "optimal");
  REQUIRE(run->result.program->schedule.groups.size() == 1);
  const std::string csv = fusim::groups_csv(run->result);
  const std::string row = csv.substr(csv.find('\n') + 1);
  // A ';' and a backslash inside a name are escaped with a backslash; the ',' makes the cell
  // a quoted CSV field.
  CHECK(row.rfind("0,\"conv 1;conv\\;2;f,c\\\\x\",", 0) == 0);
  // report.json keeps the names as they are, in a list.
  const auto report = nlohmann::json::parse(fusim::report_json(run->result));
  CHECK(report["groups"][0]["layers"] == nlohmann::json::array({"conv 1", "conv;2", "f,c\\x"}));
}

TEST_CASE("the estimate's accuracy in report.json is its groups' simulated over predicted cycles",
          "[report]") {
  const auto run = fusim::test::run(fusim::test::src("configs/mlu.yaml"),
                                    fusim::test::src("workloads/mobilenetv2.yaml"), {}, "optimal");
  const auto report = nlohmann::json::parse(fusim::report_json(run->result));
  std::vector<double> ratios;
  for (const auto& g : report["groups"]) {
    const double predicted = g["predicted_cycles"].get<double>();
    if (predicted > 0) ratios.push_back(g["cycles"].get<double>() / predicted);
  }
  REQUIRE(ratios.size() >= 2);
  std::size_t within = 0;
  for (double r : ratios) within += std::abs(r - 1) <= 0.1 ? 1 : 0;
  CHECK(report["estimate_within_10pct"].get<double>() ==
        Approx(static_cast<double>(within) / static_cast<double>(ratios.size())));
  std::sort(ratios.begin(), ratios.end());
  const std::size_t n = ratios.size();
  const double median = n % 2 ? ratios[n / 2] : (ratios[n / 2 - 1] + ratios[n / 2]) / 2;
  CHECK(report["estimate_median_ratio"].get<double>() == Approx(median));
  CHECK(fusim::summary_text(run->result).find("estimate          simulated / predicted") !=
        std::string::npos);
}

TEST_CASE("the summary says how many bytes the DRAM's bursts carried when pieces waste them",
          "[report]") {
  // A 3 x 3 conv of 320 channels on a 7 x 7 map, layer by layer on mlu.yaml's 32 cores: its
  // grid cuts the channels into narrow slices, whose stores move a few bytes of each pixel in a
  // 64-byte burst of its own.
  const std::string net = fusim::test::write_temp("narrow_slices.yaml", R"(name: narrow
inputs:
  - {name: x, shape: [512, 7, 7]}
layers:
  - {name: c1, type: conv, out_channels: 320, kernel: 3, padding: 1}
)");
  const auto narrow = fusim::test::run(fusim::test::src("configs/mlu.yaml"), net, {}, "none");
  std::int64_t bursts = 0, asked = 0;
  for (const fusim::ChannelStats& c : narrow->result.sim.dram_channels) {
    bursts += c.reads + c.writes;
    asked += c.bytes_read + c.bytes_written;
  }
  REQUIRE(asked > 0);
  const double carried = static_cast<double>(bursts * narrow->arch->dram.burst_bytes_detailed()) /
                         static_cast<double>(asked);
  CHECK(carried > 1.01);
  char expected[64];
  std::snprintf(expected, sizeof expected, ", bursts carry %.2fx the bytes\n", carried);
  CHECK(fusim::summary_text(narrow->result).find(expected) != std::string::npos);
  // MobileNetV2's pieces fill their bursts (1.00x): the line says nothing of them.
  const auto whole = fusim::test::run(fusim::test::src("configs/mlu.yaml"),
                                      fusim::test::src("workloads/mobilenetv2.yaml"), {}, "none");
  CHECK(fusim::summary_text(whole->result).find("bursts carry") == std::string::npos);
}

TEST_CASE("a group whose layers run no kernel is reported as no-kernel, with no cycles",
          "[report]") {
  // A slice is a view of its input: layer by layer, it is a group of its own that runs nothing.
  const std::string net = fusim::test::write_temp("slice_between_convs.yaml", R"(name: slice_net
inputs:
  - name: image
    shape: [16, 8, 8]
layers:
  - name: conv1
    type: conv
    out_channels: 16
    kernel: 1
  - name: half
    type: slice
    channels: [0, 8]
  - name: conv2
    type: conv
    out_channels: 8
    kernel: 1
)");
  const auto run = fusim::test::run(fusim::test::src("configs/mlu.yaml"), net, {}, "none");
  const auto report = nlohmann::json::parse(fusim::report_json(run->result));
  REQUIRE(report["groups"].size() == 3);
  CHECK(report["groups"][0]["mapping"] == "single");
  CHECK(report["groups"][1]["layers"] == nlohmann::json::array({"half"}));
  CHECK(report["groups"][1]["mapping"] == "no-kernel");
  CHECK(report["groups"][1]["cycles"] == 0);
  CHECK(report["groups"][2]["mapping"] == "single");
  CHECK(fusim::groups_csv(run->result).find(",no-kernel,") != std::string::npos);
}
