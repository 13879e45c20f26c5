// Bad inputs: every loader error is an InputError naming the file, the 1-based line and the key
// path of the problem, with a message that names what is wrong.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "arch/arch.h"
#include "arch/arch_io.h"
#include "common/error.h"
#include "lower/lower.h"
#include "network/network.h"
#include "network/network_io.h"
#include "schedule/program.h"
#include "schedule/program_io.h"
#include "search/search.h"
#include "test_util.h"

namespace {

using fusim::InputError;
using fusim::test::error_of;
using fusim::test::src;
using fusim::test::write_temp;

// 1-based line of the first line of `text` containing `needle` (0 when absent).
int line_of(const std::string& text, const std::string& needle) {
  std::istringstream in(text);
  int n = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
    if (line.find(needle) != std::string::npos) return n;
  }
  return 0;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Replaces the first occurrence of `from` (which must exist) by `to`.
std::string replace_once(std::string text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

void check_error(const std::optional<InputError>& e, const std::string& file, int line,
                 const std::string& key, const std::vector<std::string>& mentions) {
  REQUIRE(e.has_value());
  INFO("what(): " << e->what());
  CHECK(e->file() == file);
  CHECK(e->line() == line);
  CHECK(e->key() == key);
  const std::string what = e->what();
  for (const std::string& m : mentions) {
    INFO("expected to mention: " << m);
    CHECK(what.find(m) != std::string::npos);
  }
}

#define CHECK_INPUT_ERROR(call, file, line, key, ...)                           \
  do {                                                                          \
    INFO("checked at " << __FILE__ << ":" << __LINE__);                         \
    check_error(error_of([&] { (void)(call); }), file, line, key, __VA_ARGS__); \
  } while (0)

// A valid network header followed by `layers` (YAML text for the list items).
std::string net_text(const std::string& layers) {
  return "name: t\n"
         "inputs:\n"
         "  - name: image\n"
         "    shape: [3, 16, 16]\n"
         "layers:\n" +
         layers;
}

// The systolic32 config, inherited through `base:`, plus `extra` keys.
std::string arch_text(const std::string& extra) {
  return "base: " + src("configs/systolic32.yaml") + "\n" + extra;
}

}  // namespace

// --- files and YAML --------------------------------------------------------------------------

TEST_CASE("a missing file names the path", "[loader]") {
  const std::string path = "fusim_test_does_not_exist.yaml";
  // With the operating system's reason.
  CHECK_INPUT_ERROR(fusim::load_network(path), path, 0, "",
                    {path, "cannot open file: No such file or directory"});
  CHECK_INPUT_ERROR(fusim::load_arch(path, {}), path, 0, "", {path, "cannot open"});
  const fusim::Network net = fusim::load_network(src("workloads/tiny_chain.yaml"));
  const fusim::Arch arch = fusim::load_arch(src("configs/systolic32.yaml"));
  CHECK_INPUT_ERROR(fusim::load_program(path, net, arch), path, 0, "", {path, "cannot open"});
  // A directory is not a file (and not an empty YAML document).
  const std::string dir = src("workloads");
  CHECK_INPUT_ERROR(fusim::load_network(dir), dir, 0, "", {dir, "directory"});
}

TEST_CASE("malformed YAML names the line", "[loader]") {
  const std::string text = net_text(
      "  - name: conv1\n"
      "    type: conv\n"
      "    kernel: [3, 3\n"
      "    out_channels: 8\n");
  const std::string path = write_temp("malformed.yaml", text);
  const auto e = error_of([&] { fusim::load_network(path); });
  REQUIRE(e.has_value());
  INFO(e->what());
  CHECK(e->file() == path);
  CHECK(e->key().empty());
  CHECK(std::string(e->what()).find("malformed YAML") != std::string::npos);
  // yaml-cpp reports an unclosed flow sequence where it gives up: somewhere from the bracket on.
  CHECK(e->line() >= line_of(text, "[3, 3"));
  CHECK(e->line() <= line_of(text, "out_channels") + 1);
}

TEST_CASE("the top level must be a mapping", "[loader]") {
  const std::string list = write_temp("toplist.yaml", "# a list\n- name: a\n- name: b\n");
  CHECK_INPUT_ERROR(fusim::load_network(list), list, 2, "", {list, "mapping at the top level"});
  const std::string scalar = write_temp("topscalar.yaml", "just a string\n");
  CHECK_INPUT_ERROR(fusim::load_arch(scalar, {}), scalar, 1, "", {"mapping at the top level"});
  const std::string empty = write_temp("topempty.yaml", "");
  const auto e = error_of([&] { fusim::load_network(empty); });
  REQUIRE(e.has_value());
  CHECK(e->file() == empty);
  CHECK(std::string(e->what()).find("mapping at the top level") != std::string::npos);
}

TEST_CASE("a YAML merge key is named, not reported as the keys it would bring", "[loader]") {
  const std::string text = net_text(
      "  - name: conv1\n"
      "    <<: {type: conv, kernel: 3}\n"
      "    out_channels: 8\n");
  const std::string p = write_temp("merge_key.yaml", text);
  CHECK_INPUT_ERROR(fusim::load_network(p), p, line_of(text, "<<:"), "layers[0].<<",
                    {"merge keys", "not supported"});
}

TEST_CASE("duplicate keys are rejected where the second one is", "[loader]") {
  const std::string top = "name: a\nbatch: 1\nname: b\n";
  const std::string p1 = write_temp("dupkey_top.yaml", top);
  CHECK_INPUT_ERROR(fusim::load_network(p1), p1, 3, "name", {"duplicate key"});

  const std::string text = net_text(
      "  - name: conv1\n"
      "    type: conv\n"
      "    kernel: 3\n"
      "    out_channels: 8\n"
      "    kernel: 5\n");
  const std::string p2 = write_temp("dupkey_layer.yaml", text);
  CHECK_INPUT_ERROR(fusim::load_network(p2), p2, line_of(text, "kernel: 5"), "layers[0].kernel",
                    {"duplicate key"});

  const std::string arch = arch_text("cores:\n  count: 1\n  count: 2\n");
  const std::string p3 = write_temp("dupkey_arch.yaml", arch);
  CHECK_INPUT_ERROR(fusim::load_arch(p3, {}), p3, 4, "cores.count", {"duplicate key"});
}

// --- network keys and values -----------------------------------------------------------------

TEST_CASE("network: unknown keys", "[loader]") {
  const std::string layer_text = net_text(
      "  - name: conv1\n"
      "    type: conv\n"
      "    out_channels: 8\n"
      "    kernel: 3\n"
      "  - name: conv2\n"
      "    type: conv\n"
      "    out_channels: 8\n"
      "    kernel: 3\n"
      "    paddding: 1\n");
  const std::string p1 = write_temp("unknown_layer_key.yaml", layer_text);
  CHECK_INPUT_ERROR(fusim::load_network(p1), p1, line_of(layer_text, "paddding"),
                    "layers[1].paddding", {"unknown key"});

  const std::string top_text = net_text(
                                   "  - name: conv1\n"
                                   "    type: conv\n"
                                   "    out_channels: 8\n"
                                   "    kernel: 3\n") +
                               "outputs: [conv1]\n";
  const std::string p2 = write_temp("unknown_top_key.yaml", top_text);
  CHECK_INPUT_ERROR(fusim::load_network(p2), p2, line_of(top_text, "outputs"), "outputs",
                    {"unknown key"});

  // A misspelt optional key: unknown, with the nearest valid name.
  CHECK_INPUT_ERROR(fusim::load_network(p1), p1, line_of(layer_text, "paddding"),
                    "layers[1].paddding", {"unknown key 'paddding' (did you mean 'padding'?)"});

  // A misspelt required key is reported where it is, as unknown, naming the required key; not
  // as the required key missing.
  const std::string typo_text = net_text(
      "  - name: conv1\n"
      "    type: conv\n"
      "    out_channels: 8\n"
      "    kernal: 3\n");
  const std::string p3 = write_temp("typo_kernel.yaml", typo_text);
  CHECK_INPUT_ERROR(fusim::load_network(p3), p3, line_of(typo_text, "kernal"), "layers[0].kernal",
                    {"unknown key 'kernal' (did you mean 'kernel'?)"});
  const std::string oc_text = net_text(
      "  - name: conv1\n"
      "    type: conv\n"
      "    out_channel: 8\n"
      "    kernel: 3\n");
  const std::string p4 = write_temp("typo_out_channels.yaml", oc_text);
  CHECK_INPUT_ERROR(fusim::load_network(p4), p4, line_of(oc_text, "out_channel"),
                    "layers[0].out_channel",
                    {"unknown key 'out_channel' (did you mean 'out_channels'?)"});
  const std::string p5 =
      write_temp("typo_top.yaml", replace_once(layer_text, "inputs:", "inptus:"));
  CHECK_INPUT_ERROR(fusim::load_network(p5), p5, 2, "inptus",
                    {"unknown key 'inptus' (did you mean 'inputs'?)"});
  // A required key that is simply absent is still reported missing, and a far-off key is
  // unknown with no suggestion.
  const std::string none_text = replace_once(oc_text, "    out_channel: 8\n", "    colour: 8\n");
  const std::string p6 = write_temp("no_out_channels.yaml", none_text);
  CHECK_INPUT_ERROR(fusim::load_network(p6), p6, line_of(none_text, "name: conv1"),
                    "layers[0].out_channels", {"missing required key"});
  // The short gemm keys m, n and k are one edit apart and all valid: a missing `m` next to `n`
  // is missing, not a misspelt `n`.
  const std::string gemm_text = net_text(
      "  - name: g\n"
      "    type: gemm\n"
      "    n: 8\n"
      "    k: 768\n");
  const std::string p7 = write_temp("gemm_no_m.yaml", gemm_text);
  CHECK_INPUT_ERROR(fusim::load_network(p7), p7, line_of(gemm_text, "name: g"), "layers[0].m",
                    {"missing required key"});
}

TEST_CASE("network: wrong types and out-of-range values", "[loader]") {
  auto one_conv = [](const std::string& body) {
    return net_text("  - name: conv1\n    type: conv\n" + body);
  };
  {
    const std::string text = one_conv("    out_channels: 8\n    kernel: \"abc\"\n");
    const std::string p = write_temp("kernel_abc.yaml", text);
    CHECK_INPUT_ERROR(fusim::load_network(p), p, line_of(text, "abc"), "layers[0].kernel",
                      {"expected an integer", "abc"});
  }
  {
    const std::string text = one_conv("    out_channels: 0\n    kernel: 3\n");
    const std::string p = write_temp("outch_zero.yaml", text);
    CHECK_INPUT_ERROR(fusim::load_network(p), p, line_of(text, "out_channels"),
                      "layers[0].out_channels", {"out of range"});
  }
  {
    const std::string text = one_conv("    out_channels: 8\n    kernel: -1\n");
    const std::string p = write_temp("kernel_neg.yaml", text);
    CHECK_INPUT_ERROR(fusim::load_network(p), p, line_of(text, "kernel"), "layers[0].kernel",
                      {"-1", "out of range"});
  }
  {
    const std::string text = one_conv("    out_channels: 8\n    kernel: [3, 0]\n");
    const std::string p = write_temp("kernel_list_zero.yaml", text);
    CHECK_INPUT_ERROR(fusim::load_network(p), p, line_of(text, "kernel"), "layers[0].kernel",
                      {"out of range"});
  }
  {
    const std::string text = one_conv("    out_channels: 8\n    kernel: [3, 3, 3]\n");
    const std::string p = write_temp("kernel_list3.yaml", text);
    CHECK_INPUT_ERROR(fusim::load_network(p), p, line_of(text, "kernel"), "layers[0].kernel",
                      {"list of 2 integers"});
  }
  {
    const std::string text = one_conv("    out_channels: 8\n    kernel: 3\n    bias: yes\n");
    const std::string p = write_temp("bias_yes.yaml", text);
    CHECK_INPUT_ERROR(fusim::load_network(p), p, line_of(text, "bias"), "layers[0].bias",
                      {"true or false"});
  }
  {
    const std::string text = one_conv("    out_channels: 99999999999999999999999\n    kernel: 3\n");
    const std::string p = write_temp("outch_huge.yaml", text);
    CHECK_INPUT_ERROR(fusim::load_network(p), p, line_of(text, "out_channels"),
                      "layers[0].out_channels", {"expected an integer"});
  }
  {
    const std::string text = net_text("  - name: x\n    type: deconv\n");
    const std::string p = write_temp("bad_type.yaml", text);
    CHECK_INPUT_ERROR(fusim::load_network(p), p, line_of(text, "deconv"), "layers[0].type",
                      {"deconv", "conv", "concat"});
  }
  {
    const std::string text =
        "name: t\ninputs:\n  - name: image\n    shape: [3, 16]\nlayers:\n  - name: p\n"
        "    type: pool\n    mode: max\n    global: true\n";
    const std::string p = write_temp("input_shape2.yaml", text);
    CHECK_INPUT_ERROR(fusim::load_network(p), p, 4, "inputs[0].shape", {"3 integers"});
  }
  {
    const std::string text = "name: t\ninputs: []\nlayers:\n  - name: p\n    type: add\n";
    const std::string p = write_temp("no_inputs.yaml", text);
    CHECK_INPUT_ERROR(fusim::load_network(p), p, 2, "inputs", {"at least one input"});
  }
  {
    const std::string text = net_text("  []\n");
    const std::string p = write_temp("no_layers.yaml", text);
    CHECK_INPUT_ERROR(fusim::load_network(p), p, 6, "layers", {"no layers"});
  }
}

TEST_CASE("network: a 10^12-channel layer is rejected by the limits", "[loader]") {
  const std::string text = net_text(
      "  - name: huge\n"
      "    type: conv\n"
      "    out_channels: 1000000000000\n"
      "    kernel: 1\n");
  const std::string p = write_temp("huge_channels.yaml", text);
  CHECK_INPUT_ERROR(fusim::load_network(p), p, line_of(text, "1000000000000"),
                    "layers[0].out_channels", {"1000000000000", "out of range"});

  // Channels that reach 10^12 through concats (each doubling the channels) are caught after
  // shape inference, at the first layer past the limits.
  std::string layers =
      "  - name: c0\n"
      "    type: conv\n"
      "    out_channels: 1048576\n"
      "    kernel: 1\n";
  for (int i = 1; i <= 60; ++i) {
    const std::string prev = "c" + std::to_string(i - 1);
    layers += "  - name: c" + std::to_string(i) + "\n    type: concat\n    inputs: [" + prev +
              ", " + prev + "]\n";
  }
  const std::string text2 = net_text(layers);
  const std::string p2 = write_temp("huge_concat.yaml", text2);
  // c0 is 2^20 x 16 x 16 = 2^28 elements; c13 is the first above 2^40.
  CHECK_INPUT_ERROR(fusim::load_network(p2), p2, line_of(text2, "name: c13"), "layers.c13",
                    {"size limits"});

  // A tensor over the limit from a large (but in-range) input.
  const std::string text3 =
      "name: t\ninputs:\n  - name: image\n    shape: [1, 65536, 65536]\nlayers:\n"
      "  - name: wide\n    type: conv\n    out_channels: 1048576\n    kernel: 1\n";
  const std::string p3 = write_temp("huge_tensor.yaml", text3);
  CHECK_INPUT_ERROR(fusim::load_network(p3), p3, line_of(text3, "name: wide"), "layers.wide",
                    {"size limits"});
}

// --- network graph and shapes ----------------------------------------------------------------

TEST_CASE("network: dangling inputs, duplicates and cycles", "[loader]") {
  {
    const std::string text = net_text(
        "  - name: conv1\n"
        "    type: conv\n"
        "    out_channels: 8\n"
        "    kernel: 3\n"
        "  - name: conv2\n"
        "    type: conv\n"
        "    inputs: [conv_one]\n"
        "    out_channels: 8\n"
        "    kernel: 3\n");
    const std::string p = write_temp("dangling.yaml", text);
    CHECK_INPUT_ERROR(fusim::load_network(p), p, line_of(text, "conv_one"), "layers[1].inputs",
                      {"conv_one"});
  }
  {
    const std::string text = net_text(
        "  - name: conv1\n"
        "    type: conv\n"
        "    out_channels: 8\n"
        "    kernel: 3\n"
        "  - name: conv1\n"
        "    type: conv\n"
        "    out_channels: 8\n"
        "    kernel: 3\n");
    const std::string p = write_temp("dup_layer.yaml", text);
    CHECK_INPUT_ERROR(fusim::load_network(p), p, 10, "layers[1].name", {"duplicate", "conv1"});
  }
  {
    const std::string text = net_text(
        "  - name: image\n"
        "    type: conv\n"
        "    out_channels: 8\n"
        "    kernel: 3\n");
    const std::string p = write_temp("layer_named_input.yaml", text);
    CHECK_INPUT_ERROR(fusim::load_network(p), p, 6, "layers[0].name", {"duplicate", "image"});
  }
  {
    const std::string text = net_text(
        "  - name: conv1\n"
        "    type: conv\n"
        "    inputs: [conv1]\n"
        "    out_channels: 8\n"
        "    kernel: 3\n");
    const std::string p = write_temp("self_loop.yaml", text);
    CHECK_INPUT_ERROR(fusim::load_network(p), p, line_of(text, "inputs: [conv1]"),
                      "layers[0].inputs", {"conv1", "its own output"});
  }
  {
    const std::string text = net_text(
        "  - name: stem\n"
        "    type: conv\n"
        "    out_channels: 8\n"
        "    kernel: 3\n"
        "    padding: 1\n"
        "  - name: a\n"
        "    type: add\n"
        "    inputs: [stem, b]\n"
        "  - name: b\n"
        "    type: add\n"
        "    inputs: [stem, a]\n");
    const std::string p = write_temp("cycle.yaml", text);
    const auto e = error_of([&] { fusim::load_network(p); });
    REQUIRE(e.has_value());
    INFO(e->what());
    CHECK(e->file() == p);
    CHECK(e->key() == "layers");
    // The line of one of the two layers on the cycle.
    CHECK((e->line() == line_of(text, "name: a") || e->line() == line_of(text, "name: b")));
    const std::string what = e->what();
    CHECK(what.find("cycle") != std::string::npos);
    CHECK(what.find("'a'") != std::string::npos);
    CHECK(what.find("'b'") != std::string::npos);
  }
  {
    // Layers may refer to layers defined further down: no cycle, loads fine.
    const std::string text = net_text(
        "  - name: last\n"
        "    type: fc\n"
        "    inputs: [first]\n"
        "    out_features: 10\n"
        "  - name: first\n"
        "    type: conv\n"
        "    inputs: [image]\n"
        "    out_channels: 8\n"
        "    kernel: 3\n");
    const std::string p = write_temp("forward_ref.yaml", text);
    const fusim::Network net = fusim::load_network(p);
    CHECK(net.layer(0).name == "first");
    CHECK(net.layer(1).name == "last");
  }
}

TEST_CASE("network: shape errors name the layers involved", "[loader]") {
  {
    const std::string text = net_text(
        "  - name: left\n"
        "    type: conv\n"
        "    inputs: [image]\n"
        "    out_channels: 8\n"
        "    kernel: 3\n"
        "    padding: 1\n"
        "  - name: right\n"
        "    type: conv\n"
        "    inputs: [image]\n"
        "    out_channels: 16\n"
        "    kernel: 3\n"
        "    padding: 1\n"
        "  - name: sum\n"
        "    type: add\n"
        "    inputs: [left, right]\n");
    const std::string p = write_temp("add_mismatch.yaml", text);
    CHECK_INPUT_ERROR(fusim::load_network(p), p, line_of(text, "name: sum"), "layers.sum",
                      {"shape mismatch", "'left'", "'right'", "[8, 16, 16]", "[16, 16, 16]"});
  }
  {
    const std::string text = net_text(
        "  - name: full\n"
        "    type: conv\n"
        "    inputs: [image]\n"
        "    out_channels: 8\n"
        "    kernel: 3\n"
        "    padding: 1\n"
        "  - name: half\n"
        "    type: conv\n"
        "    inputs: [image]\n"
        "    out_channels: 8\n"
        "    kernel: 3\n"
        "    stride: 2\n"
        "    padding: 1\n"
        "  - name: cat\n"
        "    type: concat\n"
        "    inputs: [full, half]\n");
    const std::string p = write_temp("concat_mismatch.yaml", text);
    CHECK_INPUT_ERROR(fusim::load_network(p), p, line_of(text, "name: cat"), "layers.cat",
                      {"'full'", "'half'", "height and width"});
  }
  {
    const std::string text = net_text(
        "  - name: g\n"
        "    type: conv\n"
        "    out_channels: 8\n"
        "    kernel: 3\n"
        "    groups: 2\n");
    const std::string p = write_temp("groups.yaml", text);
    CHECK_INPUT_ERROR(fusim::load_network(p), p, line_of(text, "name: g"), "layers.g",
                      {"groups (2)", "'image'", "(3)"});
  }
  {
    const std::string text = net_text(
        "  - name: big\n"
        "    type: conv\n"
        "    out_channels: 8\n"
        "    kernel: 17\n"
        "    padding: 0\n");
    const std::string p = write_temp("kernel_too_big.yaml", text);
    CHECK_INPUT_ERROR(fusim::load_network(p), p, line_of(text, "name: big"), "layers.big",
                      {"17x17", "[3, 16, 16]", "'image'"});
  }
  {
    const std::string text = net_text(
        "  - name: pool\n"
        "    type: pool\n"
        "    mode: max\n"
        "    kernel: 2\n"
        "    padding: 2\n");
    const std::string p = write_temp("pad_too_big.yaml", text);
    CHECK_INPUT_ERROR(fusim::load_network(p), p, line_of(text, "name: pool"), "layers.pool",
                      {"padding 2", "kernel's height, 2", "kernel 2x2"});
  }
  {
    // One padding on a [1, 7] kernel: the height is the dimension at fault, and the message
    // points to the list form with the padding that was most likely meant.
    const std::string text = net_text(
        "  - name: c17\n"
        "    type: conv\n"
        "    out_channels: 8\n"
        "    kernel: [1, 7]\n"
        "    padding: 3\n");
    const std::string p = write_temp("pad_one_by_seven.yaml", text);
    CHECK_INPUT_ERROR(
        fusim::load_network(p), p, line_of(text, "name: c17"), "layers.c17",
        {"padding 3", "kernel's height, 1", "kernel 1x7", "[h, w]", "padding: [0, 3]"});
    const std::string text_w = replace_once(text, "kernel: [1, 7]", "kernel: [7, 1]");
    const std::string pw = write_temp("pad_seven_by_one.yaml", text_w);
    CHECK_INPUT_ERROR(fusim::load_network(pw), pw, line_of(text_w, "name: c17"), "layers.c17",
                      {"kernel's width, 1", "padding: [3, 0]"});
    // The list form is accepted.
    const std::string ok = replace_once(text, "padding: 3", "padding: [0, 3]");
    const fusim::Network net = fusim::load_network(write_temp("pad_list.yaml", ok));
    CHECK(net.layer(0).out_shape.w == 16);
  }
  {
    const std::string text = net_text(
        "  - name: one\n"
        "    type: add\n"
        "    inputs: [image]\n");
    const std::string p = write_temp("add_one.yaml", text);
    CHECK_INPUT_ERROR(fusim::load_network(p), p, line_of(text, "name: one"), "layers.one",
                      {"add", "got 1"});
  }
  {
    const std::string text = net_text(
        "  - name: mm\n"
        "    type: gemm\n"
        "    m: 16\n"
        "    n: 4\n"
        "    k: 16\n");
    const std::string p = write_temp("gemm_mismatch.yaml", text);
    CHECK_INPUT_ERROR(fusim::load_network(p), p, line_of(text, "name: mm"), "layers.mm",
                      {"'image'", "768", "256"});
  }
}

// --- arch --------------------------------------------------------------------------------------

TEST_CASE("arch: bad keys and values", "[loader]") {
  {
    const std::string text = arch_text("cores:\n  pe_array:\n    colums: 64\n");
    const std::string p = write_temp("arch_unknown.yaml", text);
    CHECK_INPUT_ERROR(fusim::load_arch(p, {}), p, 4, "cores.pe_array.colums",
                      {"unknown key 'colums' (did you mean 'cols'?)"});
  }
  {
    const std::string text = arch_text("memory: 1\n");
    const std::string p = write_temp("arch_unknown_top.yaml", text);
    CHECK_INPUT_ERROR(fusim::load_arch(p, {}), p, 2, "memory", {"unknown key"});
  }
  {
    const std::string full = read_text(src("configs/systolic32.yaml"));
    const std::string text = replace_once(full, "  count: 1\n", "");
    const std::string p = write_temp("arch_no_count.yaml", text);
    CHECK_INPUT_ERROR(fusim::load_arch(p, {}), p, 0, "cores.count", {"missing required key"});
  }
  {
    const std::string text = arch_text("cores:\n  pe_array:\n    dataflow: row_stationary\n");
    const std::string p = write_temp("arch_dataflow.yaml", text);
    CHECK_INPUT_ERROR(fusim::load_arch(p, {}), p, 4, "cores.pe_array.dataflow",
                      {"row_stationary", "weight_stationary", "output_stationary"});
  }
  {
    const std::string text = arch_text("data_width_bits: 12\n");
    const std::string p = write_temp("arch_width.yaml", text);
    CHECK_INPUT_ERROR(fusim::load_arch(p, {}), p, 2, "data_width_bits", {"multiple of 8"});
  }
  {
    const std::string text = arch_text("clock_mhz: fast\n");
    const std::string p = write_temp("arch_clock.yaml", text);
    CHECK_INPUT_ERROR(fusim::load_arch(p, {}), p, 2, "clock_mhz", {"expected a number", "fast"});
  }
  {
    const std::string text = arch_text("dram:\n  preset: DDR9-1\n");
    const std::string p = write_temp("arch_preset.yaml", text);
    CHECK_INPUT_ERROR(fusim::load_arch(p, {}), p, 3, "dram.preset",
                      {"DDR9-1", "DDR4-3200", "HBM2"});
  }
  {
    const std::string text = arch_text("cores:\n  buffers:\n    weight: 4096\n");
    const std::string p = write_temp("arch_buffer_scalar.yaml", text);
    CHECK_INPUT_ERROR(fusim::load_arch(p, {}), p, 4, "cores.buffers.weight", {"mapping"});
  }
}

TEST_CASE("arch: cores.engines", "[loader]") {
  {
    const std::string text = arch_text("cores:\n  engines: [pe_array]\n");
    const std::string p = write_temp("arch_no_vector.yaml", text);
    CHECK_INPUT_ERROR(fusim::load_arch(p, {}), p, 3, "cores.engines",
                      {"no engine for elementwise work", "vector_unit"});
  }
  {
    const std::string text = arch_text("cores:\n  engines: [pe_array, tensor_core]\n");
    const std::string p = write_temp("arch_bad_engine.yaml", text);
    CHECK_INPUT_ERROR(fusim::load_arch(p, {}), p, 3, "cores.engines",
                      {"'tensor_core'", "pe_array, vector_unit"});
  }
  {
    const std::string text = arch_text("cores:\n  engines: [pe_array, vector_unit, pe_array]\n");
    const std::string p = write_temp("arch_twice.yaml", text);
    CHECK_INPUT_ERROR(fusim::load_arch(p, {}), p, 3, "cores.engines", {"'pe_array' twice"});
  }
  {
    const std::string text = arch_text("cores:\n  engines: pe_array\n");
    const std::string p = write_temp("arch_engines_scalar.yaml", text);
    CHECK_INPUT_ERROR(fusim::load_arch(p, {}), p, 3, "cores.engines", {"list"});
  }
}

TEST_CASE("arch: keys of the other DRAM model", "[loader]") {
  {
    const std::string text = arch_text("dram:\n  tck_ps: 625\n");
    const std::string p = write_temp("arch_detailed_key.yaml", text);
    CHECK_INPUT_ERROR(fusim::load_arch(p, {}), p, 3, "dram.tck_ps", {"detailed DRAM model only"});
  }
  {
    const std::string text = arch_text("dram:\n  model: simple\n  timing_ck: {tRCD: 3}\n");
    const std::string p = write_temp("arch_detailed_map.yaml", text);
    CHECK_INPUT_ERROR(fusim::load_arch(p, {}), p, 4, "dram.timing_ck.tRCD",
                      {"detailed DRAM model only"});
  }
  {
    // A preset makes the model detailed: the base file's simple-model key is refused there.
    const std::string text = arch_text("dram:\n  preset: HBM2\n");
    const std::string p = write_temp("arch_simple_key.yaml", text);
    const std::string base = src("configs/systolic32.yaml");
    CHECK_INPUT_ERROR(fusim::load_arch(p, {}), base,
                      line_of(read_text(base), "bytes_per_cycle_per_channel"),
                      "dram.bytes_per_cycle_per_channel", {"simple DRAM model only"});
  }
  {
    // The detailed model without a preset: the device keys not given are missing.
    const std::string full = read_text(src("configs/systolic32.yaml"));
    const std::string text =
        replace_once(full, "  bytes_per_cycle_per_channel: 10\n  latency_cycles: 100\n",
                     "  model: detailed\n  tck_ps: 625\n");
    const std::string p = write_temp("arch_detailed_missing.yaml", text);
    CHECK_INPUT_ERROR(fusim::load_arch(p, {}), p, 0, "dram.bus_bytes", {"missing required key"});
  }
}

TEST_CASE("arch: base files", "[loader]") {
  {
    const std::string text = "base: fusim_test_no_such_base.yaml\nclock_mhz: 500\n";
    const std::string p = write_temp("arch_missing_base.yaml", text);
    CHECK_INPUT_ERROR(fusim::load_arch(p, {}), p, 1, "base",
                      {"fusim_test_no_such_base.yaml", "cannot open", "No such file or directory"});
  }
  {
    // An error in the base file names the base file.
    const std::string base_text = "name: b\nclock_mhz: -5\n";
    const std::string base = write_temp("arch_bad_base.yaml", base_text);
    const std::string text = "base: " + base + "\n";
    const std::string p = write_temp("arch_uses_bad_base.yaml", text);
    CHECK_INPUT_ERROR(fusim::load_arch(p, {}), base, 2, "clock_mhz", {"out of range"});
  }
  {
    // A file that is its own base (named relative to itself).
    const std::string first = write_temp("arch_loop.yaml", "");
    const std::string p =
        write_temp("arch_loop.yaml", "base: " + first.substr(first.find_last_of('/') + 1) + "\n");
    const auto e = error_of([&] { fusim::load_arch(p, {}); });
    REQUIRE(e.has_value());
    CHECK(e->key() == "base");
    CHECK(std::string(e->what()).find("loop") != std::string::npos);
  }
}

TEST_CASE("arch: -p overrides", "[loader]") {
  const std::string arch = src("configs/systolic32.yaml");
  CHECK_INPUT_ERROR(fusim::load_arch(arch, {"cores.pe_array.colums=3"}),
                    "-p cores.pe_array.colums=3", 0, "cores.pe_array.colums",
                    {"unknown key 'colums' (did you mean 'cols'?)"});
  CHECK_INPUT_ERROR(fusim::load_arch(arch, {"cores.count"}), "-p cores.count", 0, "",
                    {"-p cores.count", "key.path=value"});
  CHECK_INPUT_ERROR(fusim::load_arch(arch, {"=3"}), "-p =3", 0, "", {"key.path=value"});
  CHECK_INPUT_ERROR(fusim::load_arch(arch, {"cores.count=0"}), "-p cores.count=0", 0, "cores.count",
                    {"-p cores.count=0", "out of range"});
  // Each core is three SystemC threads: 32,949 cores ran a sanitizer build out of memory
  // mappings (fuzz/regressions/run/oom-32949-cores.yaml).
  CHECK_INPUT_ERROR(fusim::load_arch(arch, {"cores.count=4097"}), "-p cores.count=4097", 0,
                    "cores.count", {"out of range [1, 4096]"});
  CHECK(fusim::load_arch(arch, {"cores.count=4096"}).core_count == 4096);
  CHECK_INPUT_ERROR(fusim::load_arch(arch, {"cores..count=2"}), "-p cores..count=2", 0,
                    "cores..count", {"empty key"});
  CHECK_INPUT_ERROR(fusim::load_arch(arch, {"cores.count.=2"}), "-p cores.count.=2", 0,
                    "cores.count.", {"empty key"});
  CHECK_INPUT_ERROR(fusim::load_arch(arch, {".cores.count=2"}), "-p .cores.count=2", 0,
                    ".cores.count", {"empty key"});
  CHECK_INPUT_ERROR(fusim::load_arch(arch, {"base=x.yaml"}), "-p base=x.yaml", 0, "base",
                    {"cannot be overridden"});
  CHECK_INPUT_ERROR(fusim::load_arch(arch, {"cores.count=[1"}), "-p cores.count=[1", 0, "",
                    {"malformed YAML"});
  CHECK_INPUT_ERROR(fusim::load_arch(arch, {"cores=2"}), "-p cores=2", 0, "cores", {"mapping"});
  // A later good override does not hide an earlier bad one.
  CHECK_INPUT_ERROR(fusim::load_arch(arch, {"cores.count=abc", "cores.count=2"}),
                    "-p cores.count=abc", 0, "cores.count", {"abc"});
  // And good overrides apply.
  CHECK(fusim::load_arch(arch, {"cores.count=4", "dram.preset=HBM2", "dram.model=simple"})
            .core_count == 4);
}

TEST_CASE("a buffer too small for any tile names the buffer key and the arch file", "[loader]") {
  const std::string arch_path = src("configs/systolic32.yaml");
  const fusim::Arch arch = fusim::load_arch(arch_path, {"cores.buffers.weight.capacity_bytes=16"});
  const fusim::Network net = fusim::load_network(src("workloads/tiny_chain.yaml"));
  CHECK_INPUT_ERROR(fusim::lower(net, arch, fusim::schedule_layer_by_layer(net, arch)), arch_path,
                    0, "cores.buffers.weight.capacity_bytes", {"conv1", "buffer too small"});
}

TEST_CASE("an error line escapes the control characters of names, as JSON does", "[loader]") {
  // A newline in a layer name must not split the one-line error, nor an escape drive the terminal.
  const fusim::InputError e("dir\nname/net.yaml", 3, "layers.a\tb", "layer 'x\x1by' is \r bad");
  const std::string w = e.what();
  CHECK(w == "dir\\nname/net.yaml:3: key 'layers.a\\tb': layer 'x\\u001by' is \\r bad");
  CHECK(w.find('\n') == std::string::npos);
}

// --- programs ----------------------------------------------------------------------------------

TEST_CASE("program: bad programs name the command", "[loader]") {
  const fusim::Network net = fusim::load_network(src("workloads/tiny_chain.yaml"));
  const fusim::Arch arch = fusim::load_arch(src("configs/systolic32.yaml"));
  const std::string good = fusim::program_to_yaml(
      fusim::lower(net, arch, fusim::schedule_layer_by_layer(net, arch)), net);
  // The unmodified text loads.
  {
    const std::string p = write_temp("prog_good.yaml", good);
    const fusim::Program prog = fusim::load_program(p, net, arch);
    CHECK(prog.schedule.groups.size() == 3);
    REQUIRE(prog.cores.size() == 1);
  }
  // The program's layout, which the cases below rely on.
  const int cmd0 = line_of(good, "- commands:") + 1;
  REQUIRE(line_of(good, "{op: load, layer: \"conv1\", kind: weight") == cmd0);
  const int conv2_load = line_of(good, "{op: load, layer: \"conv2\", kind: weight");
  const int fc_load = line_of(good, "{op: load, layer: \"fc\", kind: weight");
  const int group_conv2 = line_of(good, "layers: [\"conv2\"]");
  REQUIRE(conv2_load > cmd0);
  REQUIRE(group_conv2 > 0);

  SECTION("unknown layer in a group") {
    const std::string text = replace_once(good, "layers: [\"conv2\"]", "layers: [\"conv9\"]");
    const std::string p = write_temp("prog_group_unknown.yaml", text);
    CHECK_INPUT_ERROR(fusim::load_program(p, net, arch), p, group_conv2, "groups[1].layers",
                      {"conv9"});
  }
  SECTION("unknown layer in a command") {
    const std::string text =
        replace_once(good, "{op: load, layer: \"conv2\"", "{op: load, layer: \"conv9\"");
    const std::string p = write_temp("prog_cmd_unknown.yaml", text);
    const std::string key = "cores[0].commands[" + std::to_string(conv2_load - cmd0) + "].layer";
    CHECK_INPUT_ERROR(fusim::load_program(p, net, arch), p, conv2_load, key,
                      {"conv9", "tiny_chain"});
  }
  SECTION("a layer in two groups") {
    const std::string text =
        replace_once(good, "layers: [\"conv2\"]", "layers: [\"conv2\", \"conv1\"]");
    const std::string p = write_temp("prog_two_groups.yaml", text);
    CHECK_INPUT_ERROR(fusim::load_program(p, net, arch), p, group_conv2, "groups[1].layers",
                      {"conv1", "already in group 0"});
  }
  SECTION("a layer in no group") {
    const std::string text = replace_once(good, "  - {cores: 1, layers: [\"conv2\"]}\n", "");
    const std::string p = write_temp("prog_no_group.yaml", text);
    CHECK_INPUT_ERROR(fusim::load_program(p, net, arch), p, line_of(text, "groups:") + 1, "groups",
                      {"conv2", "no group"});
  }
  SECTION("groups out of order") {
    std::string text = replace_once(good, "layers: [\"conv1\"]", "layers: [\"@\"]");
    text = replace_once(text, "layers: [\"conv2\"]", "layers: [\"conv1\"]");
    text = replace_once(text, "layers: [\"@\"]", "layers: [\"conv2\"]");
    const std::string p = write_temp("prog_order.yaml", text);
    CHECK_INPUT_ERROR(fusim::load_program(p, net, arch), p, line_of(text, "groups:") + 1, "groups",
                      {"conv2", "conv1", "before its input"});
  }
  SECTION("deps pointing forward") {
    const std::string text = replace_once(good, "deps: [1, 0]", "deps: [1, 3]");
    const std::string p = write_temp("prog_forward_dep.yaml", text);
    CHECK_INPUT_ERROR(fusim::load_program(p, net, arch), p, cmd0 + 2, "cores[0].commands[2].deps",
                      {"index 3", "earlier command"});
  }
  SECTION("deps that are not indices") {
    const std::string text = replace_once(good, "deps: [1, 0]", "deps: [one]");
    const std::string p = write_temp("prog_dep_name.yaml", text);
    CHECK_INPUT_ERROR(fusim::load_program(p, net, arch), p, cmd0 + 2, "cores[0].commands[2].deps",
                      {"command indices"});
  }
  SECTION("freeing a store") {
    const std::string text = replace_once(good, "frees: [2]}",
                                          "frees: [2]}\n      - {op: load, layer: \"conv1\", kind: "
                                          "ifmap, buffer: input, bytes: 1, addr: 0, frees: [3]}");
    const std::string p = write_temp("prog_free_store.yaml", text);
    CHECK_INPUT_ERROR(fusim::load_program(p, net, arch), p, cmd0 + 4, "cores[0].commands[4].frees",
                      {"command 3", "allocates nothing"});
  }
  SECTION("wrong core count") {
    const fusim::Arch arch2 = fusim::load_arch(src("configs/systolic32.yaml"), {"cores.count=2"});
    const std::string p = write_temp("prog_cores.yaml", good);
    CHECK_INPUT_ERROR(fusim::load_program(p, net, arch2), p, cmd0 - 1, "cores",
                      {"1 cores", "the arch 2"});
  }
  SECTION("a group on more cores than the arch has") {
    const std::string text =
        replace_once(good, "{cores: 1, layers: [\"conv2\"]}", "{cores: 2, layers: [\"conv2\"]}");
    const std::string p = write_temp("prog_group_cores.yaml", text);
    CHECK_INPUT_ERROR(fusim::load_program(p, net, arch), p, group_conv2, "groups[1].cores",
                      {"out of range"});
  }
  SECTION("a compute too long to simulate") {
    const std::string text = replace_once(
        good, "m: 256, n: 8, k: 27, count: 1, stream: {m: 256, n: 8, k: 27, count: 1, done: 0}",
        "m: 1073741824, n: 1073741824, k: 1073741824, count: 1048576");
    const std::string p = write_temp("prog_huge_compute.yaml", text);
    CHECK_INPUT_ERROR(fusim::load_program(p, net, arch), p, cmd0 + 2, "cores[0].commands[2]",
                      {"2^52 cycles"});
  }
  SECTION("a stream too long to simulate") {
    const std::string text =
        replace_once(good, "stream: {m: 256, n: 8, k: 27, count: 1, done: 0}",
                     "stream: {m: 1099511627776, n: 1073741824, k: 1073741824, count: 1, done: 0}");
    const std::string p = write_temp("prog_huge_stream.yaml", text);
    CHECK_INPUT_ERROR(fusim::load_program(p, net, arch), p, cmd0 + 2,
                      "cores[0].commands[2].stream.m", {"2^63 MACs"});
  }
  SECTION("a compute larger than its stream") {
    const std::string text = replace_once(good, "stream: {m: 256, n: 8, k: 27, count: 1, done: 0}",
                                          "stream: {m: 255, n: 8, k: 27, count: 1, done: 0}");
    const std::string p = write_temp("prog_small_stream.yaml", text);
    CHECK_INPUT_ERROR(fusim::load_program(p, net, arch), p, cmd0 + 2, "cores[0].commands[2].stream",
                      {"more MACs than the stream"});
  }
  SECTION("a stream position past its end") {
    const std::string text = replace_once(good, "stream: {m: 256, n: 8, k: 27, count: 1, done: 0}",
                                          "stream: {m: 256, n: 8, k: 27, count: 1, done: 55296}");
    const std::string p = write_temp("prog_stream_done.yaml", text);
    CHECK_INPUT_ERROR(fusim::load_program(p, net, arch), p, cmd0 + 2,
                      "cores[0].commands[2].stream.done", {"out of range"});
  }
  SECTION("a load bigger than the buffer") {
    const std::string text = replace_once(good, "bytes: 3075", "bytes: 100000");
    const std::string p = write_temp("prog_big_load.yaml", text);
    const std::string key = "cores[0].commands[" + std::to_string(fc_load - cmd0) + "].bytes";
    CHECK_INPUT_ERROR(fusim::load_program(p, net, arch), p, fc_load, key,
                      {"100000", "weight buffer", "65536"});
  }
  SECTION("a strided load whose pieces do not divide its bytes") {
    const std::string text =
        replace_once(good, "bytes: 3075, addr: ", "bytes: 3075, piece: 4, stride: 7, addr: ");
    const std::string p = write_temp("prog_piece.yaml", text);
    const std::string key = "cores[0].commands[" + std::to_string(fc_load - cmd0) + "].piece";
    CHECK_INPUT_ERROR(fusim::load_program(p, net, arch), p, fc_load, key,
                      {"3075 bytes", "4-byte pieces"});
  }
  SECTION("a strided store of zero bytes names bytes, not piece") {
    const std::string store = "{op: store, layer: \"conv2\", kind: ofmap, buffer: output, ";
    const std::string text =
        replace_once(good, store + "bytes: 1024,", store + "bytes: 0, piece: 64, stride: 128,");
    const std::string p = write_temp("prog_store_zero.yaml", text);
    const int line = line_of(text, store);
    const std::string key = "cores[0].commands[" + std::to_string(line - cmd0) + "].bytes";
    CHECK_INPUT_ERROR(fusim::load_program(p, net, arch), p, line, key,
                      {"a store in pieces", "at least one byte"});
  }
  SECTION("a strided load whose stride is shorter than its pieces") {
    const std::string text =
        replace_once(good, "bytes: 3075, addr: ", "bytes: 3075, piece: 5, stride: 3, addr: ");
    const std::string p = write_temp("prog_stride.yaml", text);
    const std::string key = "cores[0].commands[" + std::to_string(fc_load - cmd0) + "].stride";
    CHECK_INPUT_ERROR(fusim::load_program(p, net, arch), p, fc_load, key, {"out of range"});
  }
  SECTION("a strided load past the address space") {
    const std::string text = replace_once(
        good, "bytes: 3075, addr: ", "bytes: 3075, piece: 1, stride: 1099511627776, addr: ");
    const std::string p = write_temp("prog_stride_far.yaml", text);
    const std::string key = "cores[0].commands[" + std::to_string(fc_load - cmd0) + "].stride";
    CHECK_INPUT_ERROR(fusim::load_program(p, net, arch), p, fc_load, key, {"2^48"});
  }
  SECTION("a load whose tail is all its bytes") {
    const std::string text = replace_once(
        good, "bytes: 3075, addr: ", "bytes: 3075, tail: {addr: 0, bytes: 3075}, addr: ");
    const std::string p = write_temp("prog_tail_all.yaml", text);
    const std::string key = "cores[0].commands[" + std::to_string(fc_load - cmd0) + "].tail.bytes";
    CHECK_INPUT_ERROR(fusim::load_program(p, net, arch), p, fc_load, key, {"out of range"});
  }
  SECTION("a load whose tail reaches past the address space") {
    const std::string text = replace_once(
        good,
        "bytes: 3075, addr: ", "bytes: 3075, tail: {addr: 281474976710650, bytes: 10}, addr: ");
    const std::string p = write_temp("prog_tail_far.yaml", text);
    const std::string key = "cores[0].commands[" + std::to_string(fc_load - cmd0) + "].tail";
    CHECK_INPUT_ERROR(fusim::load_program(p, net, arch), p, fc_load, key, {"2^48"});
  }
  SECTION("pieces that divide a load's bytes before its tail, not all of them") {
    const std::string text =
        replace_once(good, "bytes: 3075, addr: ",
                     "bytes: 3075, piece: 5, stride: 10, tail: {addr: 0, bytes: 3}, addr: ");
    const std::string p = write_temp("prog_tail_piece.yaml", text);
    const std::string key = "cores[0].commands[" + std::to_string(fc_load - cmd0) + "].piece";
    CHECK_INPUT_ERROR(fusim::load_program(p, net, arch), p, fc_load, key,
                      {"3072 bytes before the tail", "5-byte pieces"});
  }
  SECTION("a program for another network") {
    const std::string text = replace_once(good, "network: \"tiny_chain\"", "network: \"vgg16\"");
    const std::string p = write_temp("prog_other_net.yaml", text);
    CHECK_INPUT_ERROR(fusim::load_program(p, net, arch), p, line_of(text, "network:"), "network",
                      {"vgg16", "tiny_chain"});
  }
  SECTION("a missing sync") {
    const std::string text = good.substr(0, good.rfind("      - {op: sync}"));
    const std::string p = write_temp("prog_sync.yaml", text);
    const auto e = error_of([&] { fusim::load_program(p, net, arch); });
    REQUIRE(e.has_value());
    INFO(e->what());
    CHECK(e->key() == "cores[0].commands");
    CHECK(std::string(e->what()).find("2 syncs for 3 groups") != std::string::npos);
  }
  SECTION("an unknown key in a command") {
    const std::string text = replace_once(good, "{op: sync}", "{op: sync, layer: \"conv1\"}");
    const std::string p = write_temp("prog_sync_layer.yaml", text);
    const int line = line_of(text, "{op: sync, layer");
    CHECK_INPUT_ERROR(fusim::load_program(p, net, arch), p, line,
                      "cores[0].commands[" + std::to_string(line - cmd0) + "].layer",
                      {"unknown key 'layer'"});
  }
  SECTION("a misspelt key in a command") {
    // `memory` is optional: the reader is told it is valid, so it is suggested.
    const std::string text =
        replace_once(good, "bytes: 3075, addr: ", "bytes: 3075, memroy: shared, addr: ");
    const std::string p = write_temp("prog_memroy.yaml", text);
    const std::string key = "cores[0].commands[" + std::to_string(fc_load - cmd0) + "].memroy";
    CHECK_INPUT_ERROR(fusim::load_program(p, net, arch), p, fc_load, key,
                      {"unknown key 'memroy' (did you mean 'memory'?)"});
    // A misspelt required key is reported as unknown, not as the required key missing.
    const std::string text2 = replace_once(good, "bytes: 3075, addr: ", "bytes: 3075, adr: ");
    const std::string p2 = write_temp("prog_adr.yaml", text2);
    const std::string key2 = "cores[0].commands[" + std::to_string(fc_load - cmd0) + "].adr";
    CHECK_INPUT_ERROR(fusim::load_program(p2, net, arch), p2, fc_load, key2,
                      {"unknown key 'adr' (did you mean 'addr'?)"});
  }
}

namespace {

// Core 0's commands with `keep(i)` false removed, or with command `dup` copied right after
// itself (freeing nothing); deps and frees renumbered (those naming a removed command dropped).
std::vector<fusim::Command> edit_commands(const std::vector<fusim::Command>& list,
                                          const std::function<bool(std::size_t)>& keep,
                                          std::size_t dup = SIZE_MAX) {
  std::vector<long> to(list.size(), -1);
  std::vector<fusim::Command> out;
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (!keep(i)) continue;
    to[i] = static_cast<long>(out.size());
    out.push_back(list[i]);
    if (i == dup) out.push_back(list[i]), out.back().frees.clear();
  }
  for (fusim::Command& c : out) {
    for (auto* v : {&c.deps, &c.frees}) {
      std::vector<std::uint32_t> w;
      for (std::uint32_t d : *v)
        if (to[d] >= 0) w.push_back(static_cast<std::uint32_t>(to[d]));
      *v = w;
    }
  }
  return out;
}

}  // namespace

TEST_CASE("program: a multicast load names a load of another core with the same bytes",
          "[loader]") {
  // tiny_chain layer by layer on 2 cores: conv1 splits into two row bands, core 1 receiving
  // conv1's weights from core 0's first load.
  const fusim::Network net = fusim::load_network(src("workloads/tiny_chain.yaml"));
  const fusim::Arch arch = fusim::load_arch(src("configs/systolic32.yaml"), {"cores.count=2"});
  const std::string good = fusim::program_to_yaml(
      fusim::lower(net, arch, fusim::schedule_layer_by_layer(net, arch)), net);
  const std::string mc = "multicast: {core: 0, command: 0}";
  const int line = line_of(good, mc);
  REQUIRE(line > 0);
  // The line of core 1's "- commands:": the second one.
  const int core0 = line_of(good, "- commands:");
  const int core1 = core0 + line_of(good.substr(good.find("- commands:") + 1), "- commands:") - 1;
  REQUIRE(core1 > core0);
  const std::string key = "cores[1].commands[" + std::to_string(line - core1 - 1) + "].multicast";
  {
    const std::string p = write_temp("prog_mc_good.yaml", good);
    const fusim::Program prog = fusim::load_program(p, net, arch);
    CHECK(fusim::program_to_yaml(prog, net) == good);
  }
  SECTION("its own core") {
    const std::string p =
        write_temp("prog_mc_self.yaml", replace_once(good, mc, "multicast: {core: 1, command: 0}"));
    CHECK_INPUT_ERROR(fusim::load_program(p, net, arch), p, line, key + ".core", {"own core"});
  }
  SECTION("a command the leader does not have") {
    const std::string p = write_temp("prog_mc_none.yaml",
                                     replace_once(good, mc, "multicast: {core: 0, command: 9999}"));
    CHECK_INPUT_ERROR(fusim::load_program(p, net, arch), p, line, key + ".command",
                      {"no command 9999"});
  }
  SECTION("a load of other bytes") {
    const std::string p = write_temp("prog_mc_other.yaml",
                                     replace_once(good, mc, "multicast: {core: 0, command: 1}"));
    CHECK_INPUT_ERROR(fusim::load_program(p, net, arch), p, line, key + ".command",
                      {"command 1 of core 0", "same bytes"});
  }
  SECTION("a command that is not a load") {
    const std::string p = write_temp("prog_mc_compute.yaml",
                                     replace_once(good, mc, "multicast: {core: 0, command: 2}"));
    CHECK_INPUT_ERROR(fusim::load_program(p, net, arch), p, line, key + ".command",
                      {"not a load from memory"});
  }
}

TEST_CASE("program: a replayed program must do its layers' work", "[loader][work]") {
  // tiny_chain layer by layer on systolic32: one core; conv1's commands are 0 (weight load),
  // 1 (ifmap load), 2 (compute, m x n = 256 x 8 = 2,048 bytes of output), 3 (store), 4 (sync).
  const fusim::Network net = fusim::load_network(src("workloads/tiny_chain.yaml"));
  const fusim::Arch arch = fusim::load_arch(src("configs/systolic32.yaml"));
  const fusim::Program good = fusim::lower(net, arch, fusim::schedule_layer_by_layer(net, arch));
  const std::string good_text = fusim::program_to_yaml(good, net);
  const int cmd0 = line_of(good_text, "- commands:") + 1;
  REQUIRE(line_of(good_text,
                  "{op: compute, layer: \"conv1\", bytes: 2048, unit: pe_array, m: 256, "
                  "n: 8") == cmd0 + 2);
  auto load = [&](const fusim::Program& p, const std::string& name) {
    const std::string path = write_temp(name, fusim::program_to_yaml(p, net));
    return std::make_pair(path, [&net, &arch, path] { fusim::load_program(path, net, arch); });
  };
  auto key = [](std::size_t i, const std::string& k) {
    return "cores[0].commands[" + std::to_string(i) + "]." + k;
  };
  auto line = [&](std::size_t i) { return cmd0 + static_cast<int>(i); };

  SECTION("every load deleted, every compute 1x1x1, every store 1 byte") {
    fusim::Program p = good;
    p.cores[0] = edit_commands(
        p.cores[0], [&](std::size_t i) { return good.cores[0][i].op != fusim::CommandOp::Load; });
    for (fusim::Command& c : p.cores[0]) {
      if (c.op == fusim::CommandOp::Compute) c.work.m = c.work.n = c.work.k = 1, c.work.stream = {};
      if (c.op == fusim::CommandOp::Store) c.bytes = 1;
    }
    const auto loaded = load(p, "prog_no_loads.yaml");
    const std::string& path = loaded.first;
    const auto& f = loaded.second;
    CHECK_INPUT_ERROR(f(), path, line(0), key(0, "deps"),
                      {"operand check", "conv1", "no load of its weights"});
  }
  SECTION("every compute 1x1x1 (loads kept)") {
    fusim::Program p = good;
    for (fusim::Command& c : p.cores[0])
      if (c.op == fusim::CommandOp::Compute) c.work.m = c.work.n = c.work.k = 1, c.work.stream = {};
    const auto loaded = load(p, "prog_1x1x1.yaml");
    const std::string& path = loaded.first;
    const auto& f = loaded.second;
    CHECK_INPUT_ERROR(f(), path, line(2), key(2, "m"),
                      {"work check", "layer 'conv1' gets 1 MACs", "exactly 55,296, each once"});
  }
  SECTION("a compute done twice") {
    fusim::Program p = good;
    p.cores[0] = edit_commands(
        p.cores[0], [](std::size_t) { return true; }, 2);
    const auto loaded = load(p, "prog_twice.yaml");
    const std::string& path = loaded.first;
    const auto& f = loaded.second;
    CHECK_INPUT_ERROR(f(), path, line(3), key(3, "m"),
                      {"work check", "gets 110,592 MACs", "exactly 55,296"});
  }
  SECTION("a compute on the wrong unit") {
    fusim::Program p = good;
    fusim::Command& c = p.cores[0][2];
    c.work = fusim::TileWork{};
    c.work.kind = fusim::WorkKind::Elementwise;
    c.work.ops = 55296;
    const auto loaded = load(p, "prog_unit.yaml");
    const std::string& path = loaded.first;
    const auto& f = loaded.second;
    CHECK_INPUT_ERROR(f(), path, line(2), key(2, "ops"),
                      {"work check", "operations on the vector unit", "exactly 0"});
  }
  SECTION("a compute whose input load was removed") {
    fusim::Program p = good;
    p.cores[0] = edit_commands(p.cores[0], [](std::size_t i) { return i != 1; });
    const auto loaded = load(p, "prog_no_input.yaml");
    const std::string& path = loaded.first;
    const auto& f = loaded.second;
    CHECK_INPUT_ERROR(f(), path, line(1), key(1, "deps"),
                      {"operand check", "reads network input 'image'", "no ifmap load"});
  }
  SECTION("a compute that no longer depends on its weights") {
    fusim::Program p = good;
    p.cores[0][7].deps = {6};  // conv2's compute: its ifmap load only
    const auto loaded = load(p, "prog_no_weight_dep.yaml");
    const std::string& path = loaded.first;
    const auto& f = loaded.second;
    CHECK_INPUT_ERROR(f(), path, line(7), key(7, "deps"),
                      {"operand check", "conv2", "no load of its weights"});
  }
  SECTION("a compute that allocates 1 byte for a 2,048-byte output") {
    fusim::Program p = good;
    p.cores[0][2].bytes = 1;
    const auto loaded = load(p, "prog_small_alloc.yaml");
    const std::string& path = loaded.first;
    const auto& f = loaded.second;
    CHECK_INPUT_ERROR(f(), path, line(2), key(2, "bytes"),
                      {"allocation check", "256 x 8", "the 1 bytes it allocates"});
  }
  SECTION("a store of 60,000 bytes from a 2,048-byte allocation") {
    fusim::Program p = good;
    p.cores[0][3].bytes = 60000;
    const auto loaded = load(p, "prog_big_store.yaml");
    const std::string& path = loaded.first;
    const auto& f = loaded.second;
    CHECK_INPUT_ERROR(f(), path, line(3), key(3, "bytes"),
                      {"store check", "moves 60,000 bytes", "frees hold 2,048"});
  }
  SECTION("a store that names no allocation") {
    fusim::Program p = good;
    p.cores[0][3].deps.clear();
    p.cores[0][3].frees.clear();
    const auto loaded = load(p, "prog_store_nothing.yaml");
    const std::string& path = loaded.first;
    const auto& f = loaded.second;
    CHECK_INPUT_ERROR(f(), path, line(3), key(3, "deps"), {"store check", "names no allocation"});
  }
  // fc's stores (one per chunk of its 10 outputs), the last of them the program's last store.
  std::vector<std::size_t> fc_stores;
  for (std::size_t i = 0; i < good.cores[0].size(); ++i) {
    const fusim::Command& c = good.cores[0][i];
    if (c.op == fusim::CommandOp::Store && net.layer(c.layer).name == "fc") fc_stores.push_back(i);
  }
  REQUIRE(!fc_stores.empty());
  SECTION("a network output stored in part") {
    fusim::Program p = good;
    const std::size_t last = fc_stores.back();
    p.cores[0][last].bytes -= 1;
    const auto loaded = load(p, "prog_half_output.yaml");
    const std::string& path = loaded.first;
    const auto& f = loaded.second;
    CHECK_INPUT_ERROR(f(), path, line(last), key(last, "bytes"),
                      {"output check", "'fc' is a network output", "stores 9 of its 10 bytes"});
  }
  SECTION("a network output never stored") {
    fusim::Program p = good;
    p.cores[0] = edit_commands(p.cores[0], [&](std::size_t i) {
      return std::find(fc_stores.begin(), fc_stores.end(), i) == fc_stores.end();
    });
    const auto loaded = load(p, "prog_no_output.yaml");
    const std::string& path = loaded.first;
    const auto& f = loaded.second;
    const std::string text = fusim::program_to_yaml(p, net);
    CHECK_INPUT_ERROR(f(), path, line_of(text, "layers: [\"fc\"]"), "groups[2].layers",
                      {"output check", "stores 0 of its 10 bytes"});
  }
  SECTION("a command in another layer's group") {
    fusim::Program p = good;
    p.cores[0][5].layer = 0;  // conv2's weight load, tagged conv1
    const auto loaded = load(p, "prog_wrong_group.yaml");
    const std::string& path = loaded.first;
    const auto& f = loaded.second;
    CHECK_INPUT_ERROR(f(), path, line(5), key(5, "layer"),
                      {"layer 'conv1' is in group 0", "the command is in group 1"});
  }
}

TEST_CASE("program: a fused group's halo recompute is accepted, more is not", "[loader][work]") {
  // tiny_chain's conv1 and conv2 fused on 2 cores: each core recomputes conv1's halo rows.
  const fusim::Network net = fusim::load_network(src("workloads/tiny_chain.yaml"));
  const fusim::Arch arch = fusim::load_arch(src("configs/systolic32.yaml"), {"cores.count=2"});
  fusim::Schedule s;
  s.algorithm = "test";
  s.groups.push_back({{0, 1}, 2, 0});
  s.groups.push_back({{2}, 2, 0});
  const fusim::Program good = fusim::lower(net, arch, s);
  std::int64_t conv1_macs = 0;
  for (const auto& core : good.cores)
    for (const auto& c : core)
      if (c.op == fusim::CommandOp::Compute && c.layer == 0) conv1_macs += c.work.macs();
  REQUIRE(conv1_macs > net.layer(0).macs_per_item());  // the halo recompute
  const std::string ok = write_temp("prog_fused.yaml", fusim::program_to_yaml(good, net));
  CHECK_NOTHROW(fusim::load_program(ok, net, arch));
  // Core 1 computes its first conv1 tile twice: beyond the cost model's recompute.
  fusim::Program p = good;
  std::size_t first = 0;
  while (p.cores[1][first].op != fusim::CommandOp::Compute) ++first;
  p.cores[1] = edit_commands(
      p.cores[1], [](std::size_t) { return true; }, first);
  const std::string path = write_temp("prog_fused_twice.yaml", fusim::program_to_yaml(p, net));
  const auto e = error_of([&] { fusim::load_program(path, net, arch); });
  REQUIRE(e);
  INFO(e->what());
  CHECK(e->key() == "cores[1].commands[" + std::to_string(first + 1) + "].m");
  CHECK_THAT(e->message(), Catch::Contains("work check") &&
                               Catch::Contains("with the halo rows its fused group recomputes"));
}

TEST_CASE("program: a concat output is stored by the layers it joins", "[loader][work]") {
  // dl_min: cat joins nine network inputs (in place already) and the conv c.
  const fusim::Network net = fusim::load_network(src("tests/data/dl_min.yaml"));
  const fusim::Arch arch = fusim::load_arch(src("configs/systolic32.yaml"));
  const fusim::Program good = fusim::lower(net, arch, fusim::schedule_layer_by_layer(net, arch));
  CHECK_NOTHROW(fusim::load_program(write_temp("prog_cat.yaml", fusim::program_to_yaml(good, net)),
                                    net, arch));
  fusim::Program p = good;
  const int c = net.find_layer("c");
  REQUIRE(c >= 0);
  for (auto& core : p.cores) {
    for (auto& cmd : core) {
      if (cmd.op == fusim::CommandOp::Store && cmd.layer == c) cmd.bytes /= 2;
    }
  }
  const std::string text = fusim::program_to_yaml(p, net);
  const std::string path = write_temp("prog_cat_half.yaml", text);
  const std::int64_t c_bytes = net.layer(c).out_shape.elements() * arch.element_bytes();
  const auto e = error_of([&] { fusim::load_program(path, net, arch); });
  REQUIRE(e);
  INFO(e->what());
  CHECK_THAT(e->message(), Catch::Contains("output check: layer 'cat' is a network output") &&
                               Catch::Contains("of its " + std::to_string(c_bytes / 1000) + ","));
}
