#!/usr/bin/python3
"""Tests of scripts/onnx_to_fusim.py (stdlib unittest; run with Debian's /usr/bin/python3).

The models are built here with onnx.helper (no downloads). Expected shapes, MACs and
parameters are computed from the ONNX side (node attributes, initializers and ONNX shape
inference), independently of the importer. When FUSIM_BIN is set, the imported network is
also run through fusim and its report.json is compared with the same figures.
"""

import json
import os
import subprocess
import tempfile
import unittest

import numpy as np
import onnx
import yaml
from onnx import TensorProto, helper, numpy_helper, shape_inference

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "scripts", "onnx_to_fusim.py")
ARCH = os.path.join(ROOT, "configs", "systolic32.yaml")
PYTHON = "/usr/bin/python3"
OPSET = 13


def init(name, shape, seed):
    rng = np.random.default_rng(seed)
    return numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), name)


def vinfo(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def make_model(nodes, inputs, outputs, inits):
    graph = helper.make_graph(nodes, "g", inputs, outputs, initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    onnx.checker.check_model(model)
    return model


def cnn_model():
    """conv+BN+relu stem, residual add, two-way branch joined by concat, max pool,
    depthwise conv, global avg pool, flatten, Gemm (fc)."""
    N = helper.make_node
    inits = [
        init("stem_w", [16, 3, 3, 3], 1),
        init("bn_scale", [16], 2), init("bn_bias", [16], 3),
        init("bn_mean", [16], 4), init("bn_var", [16], 5),
        init("res_w", [16, 16, 3, 3], 6), init("res_b", [16], 7),
        init("b1_w", [8, 16, 1, 1], 8), init("b1_b", [8], 9),
        init("b3_w", [8, 16, 3, 3], 10),
        init("dw_w", [16, 1, 3, 3], 11),
        init("fc_w", [10, 16], 12), init("fc_b", [10], 13),
    ]
    nodes = [
        N("Conv", ["image", "stem_w"], ["stem_out"], name="stem", kernel_shape=[3, 3],
          pads=[1, 1, 1, 1]),
        N("BatchNormalization", ["stem_out", "bn_scale", "bn_bias", "bn_mean", "bn_var"],
          ["stem_bn"], name="stem_bn"),
        N("Relu", ["stem_bn"], ["stem_relu"], name="stem_relu"),
        N("Conv", ["stem_relu", "res_w", "res_b"], ["res_out"], name="res_conv",
          kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        N("Add", ["stem_relu", "res_out"], ["add_out"], name="res_add"),
        N("Relu", ["add_out"], ["add_relu"], name="res_relu"),
        N("Conv", ["add_relu", "b1_w", "b1_b"], ["b1_out"], name="br_1x1", kernel_shape=[1, 1]),
        N("Relu", ["b1_out"], ["b1_relu"], name="br_1x1_relu"),
        N("Conv", ["add_relu", "b3_w"], ["b3_out"], name="br_3x3", kernel_shape=[3, 3],
          pads=[2, 2, 2, 2], dilations=[2, 2]),
        N("Relu", ["b3_out"], ["b3_relu"], name="br_3x3_relu"),
        N("Concat", ["b1_relu", "b3_relu"], ["cat_out"], name="cat", axis=1),
        N("MaxPool", ["cat_out"], ["pool_out"], name="pool", kernel_shape=[2, 2],
          strides=[2, 2]),
        N("Conv", ["pool_out", "dw_w"], ["dw_out"], name="dw", kernel_shape=[3, 3],
          pads=[1, 1, 1, 1], strides=[2, 2], group=16),
        N("GlobalAveragePool", ["dw_out"], ["gap_out"], name="gap"),
        N("Flatten", ["gap_out"], ["flat"], name="flatten", axis=1),
        N("Gemm", ["flat", "fc_w", "fc_b"], ["logits"], name="fc", transB=1),
    ]
    return make_model(nodes, [vinfo("image", [1, 3, 16, 16])], [vinfo("logits", [1, 10])], inits)


def onnx_expectations(model):
    """name -> (type, [C, H, W], macs, params) from the ONNX model alone."""
    inferred = shape_inference.infer_shapes(model)
    shapes = {}
    for vi in list(inferred.graph.value_info) + list(inferred.graph.input) + \
            list(inferred.graph.output):
        shapes[vi.name] = [d.dim_value for d in vi.type.tensor_type.shape.dim]
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    producer = {}
    for node in model.graph.node:
        for o in node.output:
            producer[o] = node

    def chw(t):
        s = shapes[t][1:]
        return s + [1] * (3 - len(s))

    exp = {}
    for node in model.graph.node:
        at = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        if node.op_type == "Conv":
            w = inits[node.input[1]]
            out = shapes[node.output[0]]
            cin = shapes[node.input[0]][1]
            group = at.get("group", 1)
            macs = int(np.prod(out[1:])) * (cin // group) * w.shape[2] * w.shape[3]
            params = w.size + (inits[node.input[2]].size if len(node.input) > 2 else 0)
            exp[node.name] = ["conv", chw(node.output[0]), macs, params]
        elif node.op_type == "BatchNormalization":
            conv = producer[node.input[0]]
            exp[conv.name][3] += inits[node.input[1]].size  # one bias per output channel
        elif node.op_type in ("Gemm", "MatMul") and node.input[1] in inits:
            w = inits[node.input[1]]
            k = w.shape[1] if at.get("transB", 0) else w.shape[0]
            n = w.size // k
            rows = int(np.prod(shapes[node.input[0]][1:-1]))
            params = w.size + (inits[node.input[2]].size if len(node.input) > 2 else 0)
            kind = "fc" if len(shapes[node.input[0]]) == 2 else "gemm"
            exp[node.name] = [kind, chw(node.output[0]), rows * k * n, params]
        elif node.op_type == "MatMul":
            a, b = shapes[node.input[0]], shapes[node.input[1]]
            m, k, n = a[-2], a[-1], b[-1]
            exp[node.name] = ["gemm", [n, m, 1], m * k * n, 0]
        elif node.op_type in ("MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool"):
            exp[node.name] = ["pool", chw(node.output[0]), 0, 0]
        elif node.op_type == "Add" and not any(t in inits for t in node.input):
            exp[node.name] = ["add", chw(node.output[0]), 0, 0]
        elif node.op_type == "Concat":
            exp[node.name] = ["concat", chw(node.output[0]), 0, 0]
    return exp


def yaml_shapes(net):
    """Each layer's output [C, H, W], MACs and params by fusim's rules, read from the YAML."""
    shapes = {i["name"]: list(i["shape"]) for i in net["inputs"]}
    out = {}

    def pair(v, default):
        v = default if v is None else v
        return list(v) if isinstance(v, list) else [v, v]

    def extent(n, k, s, p, d, ceil):
        span = n + 2 * p - d * (k - 1) - 1
        o = (-(-span // s) if ceil else span // s) + 1
        return o - 1 if ceil and (o - 1) * s >= n + p else o

    for l in net["layers"]:
        ins = [shapes[i] for i in l["inputs"]]
        c, h, w = ins[0]
        macs = params = 0
        t = l["type"]
        if t == "conv":
            (kh, kw), (sh, sw) = pair(l["kernel"], 1), pair(l.get("stride"), 1)
            (ph, pw), d = pair(l.get("padding"), 0), l.get("dilation", 1)
            g = l.get("groups", 1)
            shape = [l["out_channels"], extent(h, kh, sh, ph, d, False),
                     extent(w, kw, sw, pw, d, False)]
            macs = int(np.prod(shape)) * (c // g) * kh * kw
            params = l["out_channels"] * (c // g) * kh * kw + \
                (l["out_channels"] if l.get("bias") else 0)
        elif t == "pool":
            if l.get("global"):
                shape = [c, 1, 1]
            else:
                (kh, kw), (sh, sw) = pair(l["kernel"], 1), pair(l.get("stride"), 1)
                (ph, pw), cm = pair(l.get("padding"), 0), l.get("ceil_mode", False)
                shape = [c, extent(h, kh, sh, ph, 1, cm), extent(w, kw, sw, pw, 1, cm)]
        elif t == "fc":
            shape = [l["out_features"], 1, 1]
            macs = c * h * w * l["out_features"]
            params = macs + (l["out_features"] if l.get("bias") else 0)
        elif t == "gemm":
            shape = [l["n"], l["m"], 1]
            macs = l["m"] * l["n"] * l["k"]
            if len(l["inputs"]) == 1:
                params = l["k"] * l["n"] + (l["n"] if l.get("bias") else 0)
        elif t == "add":
            shape = list(ins[0])
        elif t == "concat":
            shape = [sum(s[0] for s in ins), h, w]
        shapes[l["name"]] = shape
        out[l["name"]] = [t, shape, macs, params]
    return out


def run_import(model, tmp, extra=()):
    src = os.path.join(tmp, "model.onnx")
    dst = os.path.join(tmp, "model.yaml")
    onnx.save(model, src)
    p = subprocess.run([PYTHON, SCRIPT, src, "-o", dst] + list(extra),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    return p, dst


class OnnxImportTest(unittest.TestCase):
    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory()
        self.tmp = self._tmp.name

    def tearDown(self):
        self._tmp.cleanup()

    def import_ok(self, model, extra=()):
        p, dst = run_import(model, self.tmp, extra)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(dst) as f:
            text = f.read()
        return yaml.safe_load(text), dst, text

    def check_against_onnx(self, model, net):
        exp = onnx_expectations(model)
        got = yaml_shapes(net)
        self.assertEqual(sorted(got), sorted(exp))
        for name in exp:
            self.assertEqual(got[name], exp[name], name)
        return exp

    def run_fusim(self, yaml_path, exp):
        fusim = os.environ.get("FUSIM_BIN")
        if not fusim:
            self.skipTest("FUSIM_BIN not set")
        out = os.path.join(self.tmp, "out")
        p = subprocess.run([fusim, "--arch", ARCH, "--net", yaml_path, "--out", out, "--quiet"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True, cwd=ROOT)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(os.path.join(out, "report.json")) as f:
            report = json.load(f)
        self.assertEqual(report["macs"], sum(e[2] for e in exp.values()))
        self.assertEqual(report["params"], sum(e[3] for e in exp.values()))
        layers = {l["name"]: l for l in report["layers"]}
        self.assertEqual(sorted(layers), sorted(exp))
        for name, (kind, shape, macs, params) in exp.items():
            self.assertEqual([layers[name]["type"], layers[name]["output_shape"],
                              layers[name]["macs"], layers[name]["params"]],
                             [kind, shape, macs, params], name)

    # (a) the CNN: names, types, shapes, MACs, params, folds
    def test_cnn_yaml(self):
        model = cnn_model()
        net, _, _ = self.import_ok(model, ["--name", "tiny_onnx"])
        self.assertEqual(net["name"], "tiny_onnx")
        self.assertEqual(net["batch"], 1)
        self.assertEqual(net["inputs"], [{"name": "image", "shape": [3, 16, 16]}])
        by = {l["name"]: l for l in net["layers"]}
        self.assertEqual([l["name"] for l in net["layers"]],
                         ["stem", "res_conv", "res_add", "br_1x1", "br_3x3", "cat", "pool", "dw",
                          "gap", "fc"])
        self.assertEqual(by["stem"]["activation"], "relu")
        self.assertTrue(by["stem"]["bias"])  # batch norm folded
        self.assertEqual(by["res_conv"].get("activation", "none"), "none")
        self.assertEqual(by["res_add"]["inputs"], ["stem", "res_conv"])
        self.assertEqual(by["res_add"]["activation"], "relu")
        self.assertEqual(by["cat"]["inputs"], ["br_1x1", "br_3x3"])
        self.assertEqual(by["br_3x3"]["dilation"], 2)
        self.assertEqual(by["dw"]["groups"], 16)
        self.assertTrue(by["gap"]["global"])
        self.assertEqual(by["fc"]["inputs"], ["gap"])
        self.assertEqual(by["fc"]["out_features"], 10)
        self.assertTrue(by["fc"]["bias"])
        exp = self.check_against_onnx(model, net)
        self.assertEqual(exp["stem"][3], 16 * 3 * 9 + 16)

    def test_deterministic(self):
        model = cnn_model()
        _, _, a = self.import_ok(model)
        _, _, b = self.import_ok(model)
        self.assertEqual(a, b)

    # (b) fusim loads it and agrees on MACs
    def test_cnn_fusim(self):
        model = cnn_model()
        net, path, _ = self.import_ok(model)
        self.run_fusim(path, self.check_against_onnx(model, net))

    # (c) unsupported operators: all listed, exit 2, no file
    def test_unsupported(self):
        N = helper.make_node
        nodes = [
            N("Flatten", ["x"], ["f"], name="flat"),
            N("Gemm", ["f", "w"], ["y"], name="fc", transB=1),
            N("Softmax", ["y"], ["s"], name="my_softmax", axis=1),
            N("Sigmoid", ["y"], ["z"], name="my_sigmoid"),
        ]
        model = make_model(nodes, [vinfo("x", [1, 4, 2, 2])],
                           [vinfo("s", [1, 5]), vinfo("z", [1, 5])], [init("w", [5, 16], 1)])
        p, dst = run_import(model, self.tmp)
        self.assertEqual(p.returncode, 2)
        self.assertIn("Softmax", p.stderr)
        self.assertIn("my_softmax", p.stderr)
        self.assertIn("Sigmoid", p.stderr)
        self.assertIn("my_sigmoid", p.stderr)
        self.assertFalse(os.path.exists(dst))

    def test_asymmetric_pads_and_unfoldable_relu(self):
        N = helper.make_node
        nodes = [
            N("Conv", ["x", "w"], ["c"], name="asym", kernel_shape=[3, 3], pads=[0, 0, 1, 1]),
            N("Conv", ["x", "w"], ["d"], name="ok", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
            N("Relu", ["d"], ["r"], name="shared_relu"),
        ]
        model = make_model(nodes, [vinfo("x", [1, 2, 6, 6])],
                           [vinfo("c", [1, 2, 5, 5]), vinfo("d", [1, 2, 6, 6]),
                            vinfo("r", [1, 2, 6, 6])], [init("w", [2, 2, 3, 3], 1)])
        p, dst = run_import(model, self.tmp)
        self.assertEqual(p.returncode, 2)
        self.assertIn("asym", p.stderr)
        self.assertIn("asymmetric", p.stderr)
        self.assertIn("shared_relu", p.stderr)
        self.assertFalse(os.path.exists(dst))

    # (d) Clip(0, 6) -> relu6 (attributes or inputs); MatMul of two activations -> gemm
    def test_clip_relu6_and_matmul(self):
        N = helper.make_node
        nodes = [
            N("Conv", ["x", "w"], ["c"], name="conv", kernel_shape=[1, 1]),
            N("Clip", ["c", "lo", "hi"], ["r"], name="clip"),
            N("MatMul", ["a", "b"], ["ab"], name="mm"),
            N("MatMul", ["ab", "wm"], ["abw"], name="mm_w"),
        ]
        lo = numpy_helper.from_array(np.array(0, dtype=np.float32), "lo")
        hi = numpy_helper.from_array(np.array(6, dtype=np.float32), "hi")
        model = make_model(
            nodes, [vinfo("x", [1, 4, 5, 5]), vinfo("a", [1, 6, 8]), vinfo("b", [1, 8, 3])],
            [vinfo("r", [1, 2, 5, 5]), vinfo("abw", [1, 6, 7])],
            [init("w", [2, 4, 1, 1], 1), lo, hi, init("wm", [3, 7], 2)])
        net, path, _ = self.import_ok(model)
        by = {l["name"]: l for l in net["layers"]}
        self.assertEqual(by["conv"]["activation"], "relu6")
        self.assertEqual(by["mm"]["type"], "gemm")
        self.assertEqual(by["mm"]["inputs"], ["a", "b"])
        self.assertEqual([by["mm"][k] for k in "mnk"], [6, 3, 8])
        self.assertEqual([by["mm_w"][k] for k in "mnk"], [6, 7, 3])
        self.assertEqual(net["inputs"][1], {"name": "a", "shape": [6, 8, 1]})
        exp = onnx_expectations(model)
        got = yaml_shapes(net)
        for name in ("conv", "mm"):
            self.assertEqual(got[name], exp[name], name)
        self.assertEqual(got["mm_w"][2:], exp["mm_w"][2:])
        if os.environ.get("FUSIM_BIN"):
            exp["mm_w"] = got["mm_w"]  # fusim holds a [M, N] result as [N, M, 1]
            self.run_fusim(path, exp)

    def test_clip_opset6_attributes(self):
        N = helper.make_node
        graph = helper.make_graph(
            [N("Conv", ["x", "w"], ["c"], name="conv", kernel_shape=[1, 1]),
             N("Clip", ["c"], ["r"], name="clip", min=0.0, max=6.0)],
            "g", [vinfo("x", [1, 4, 5, 5])], [vinfo("r", [1, 2, 5, 5])],
            initializer=[init("w", [2, 4, 1, 1], 1)])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 9)])
        net, _, _ = self.import_ok(model)
        self.assertEqual(net["layers"][0]["activation"], "relu6")

    def test_symbolic_batch(self):
        N = helper.make_node
        graph = helper.make_graph(
            [N("Conv", ["x", "w"], ["c"], name="conv", kernel_shape=[3, 3], strides=[2, 2])],
            "g", [vinfo("x", ["N", 4, 9, 9])], [vinfo("c", ["N", 2, 4, 4])],
            initializer=[init("w", [2, 4, 3, 3], 1)])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
        net, _, _ = self.import_ok(model, ["--batch", "4"])
        self.assertEqual(net["batch"], 4)
        self.assertEqual(net["layers"][0]["stride"], 2)


if __name__ == "__main__":
    unittest.main(verbosity=2)
