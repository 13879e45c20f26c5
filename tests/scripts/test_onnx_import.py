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
import sys
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
        if len(s) == 2:  # a sequence [S, D] is held as [D, S, 1]
            return [s[1], s[0], 1]
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

    def pads(v):
        """[top, left, bottom, right] of fusim's padding (an int, [h, w] or the four)."""
        v = pair(v, 0)
        return v if len(v) == 4 else v + v

    def extent(n, k, s, p, q, d, ceil):
        span = n + p + q - d * (k - 1) - 1
        o = (-(-span // s) if ceil else span // s) + 1
        return o - 1 if ceil and (o - 1) * s >= n + p else o

    for l in net["layers"]:
        ins = [shapes[i] for i in l["inputs"]]
        c, h, w = ins[0]
        macs = params = 0
        t = l["type"]
        if t == "conv":
            (kh, kw), (sh, sw) = pair(l["kernel"], 1), pair(l.get("stride"), 1)
            (pt, pl, pb, pr), d = pads(l.get("padding")), l.get("dilation", 1)
            g = l.get("groups", 1)
            shape = [l["out_channels"], extent(h, kh, sh, pt, pb, d, False),
                     extent(w, kw, sw, pl, pr, d, False)]
            macs = int(np.prod(shape)) * (c // g) * kh * kw
            params = l["out_channels"] * (c // g) * kh * kw + \
                (l["out_channels"] if l.get("bias") else 0)
        elif t == "pool":
            if l.get("global"):
                shape = [c, 1, 1]
            else:
                (kh, kw), (sh, sw) = pair(l["kernel"], 1), pair(l.get("stride"), 1)
                (pt, pl, pb, pr), cm = pads(l.get("padding")), l.get("ceil_mode", False)
                shape = [c, extent(h, kh, sh, pt, pb, 1, cm), extent(w, kw, sw, pl, pr, 1, cm)]
        elif t == "fc":
            shape = [l["out_features"], 1, 1]
            macs = c * h * w * l["out_features"]
            params = macs + (l["out_features"] if l.get("bias") else 0)
        elif t == "gemm":
            heads = l.get("heads", 1)
            shape = [heads * l["n"], l["m"], 1]
            macs = heads * l["m"] * l["n"] * l["k"]
            if len(l["inputs"]) == 1:
                params = l["k"] * l["n"] + (l["n"] if l.get("bias") else 0)
        elif t in ("add", "sub", "mul", "div", "max", "min"):
            shape = [max(s[d] for s in ins) for d in range(3)]
        elif t == "activation":
            shape = list(ins[0])
        elif t == "concat":
            shape = [sum(s[0] for s in ins), h, w]
        elif t == "slice":
            shape = [l["channels"][1] - l["channels"][0], h, w]
        elif t in ("shuffle", "softmax"):
            shape = list(ins[0])
        elif t == "layernorm":
            shape = list(ins[0])
            params = c * (2 if l.get("bias") else 1)
        elif t == "batchnorm":  # a per-channel scale and shift
            shape = list(ins[0])
            params = 2 * c
        elif t == "resize":
            sh, sw = pair(l["scale"], 1)
            shape = [c, h * sh, w * sw]
        elif t == "depth_to_space":
            b = l["block"]
            shape = [c // (b * b), h * b, w * b]
        elif t == "pad":
            (pt, pl, pb, pr) = pads(l["padding"])
            shape = [c, h + pt + pb, w + pl + pr]
        elif t == "reduce":
            shape = [1, h, w]
        elif t == "transpose":
            shape = [h, c, 1]
        else:
            raise AssertionError("layer type %s" % t)
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


def refused(test, model, tmp, *needles):
    """Imports `model` expecting a refusal: exit 2, each of `needles` on stderr, no file written
    (an earlier import's file is removed first). Returns the process."""
    stale = os.path.join(tmp, "model.yaml")
    if os.path.exists(stale):
        os.remove(stale)
    p, dst = run_import(model, tmp)
    test.assertEqual(p.returncode, 2, p.stderr)
    for needle in needles:
        test.assertIn(needle, p.stderr)
    test.assertFalse(os.path.exists(dst))
    return p


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

    def fusim_report(self, yaml_path):
        """fusim's report.json for the network, or None without FUSIM_BIN."""
        fusim = os.environ.get("FUSIM_BIN")
        if not fusim:
            return None
        out = os.path.join(self.tmp, "out")
        p = subprocess.run([fusim, "--arch", ARCH, "--net", yaml_path, "--out", out, "--quiet"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True, cwd=ROOT)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(os.path.join(out, "report.json")) as f:
            return json.load(f)

    def run_fusim(self, yaml_path, exp):
        report = self.fusim_report(yaml_path)
        if report is None:
            self.skipTest("FUSIM_BIN not set")
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
            N("Softmax", ["x"], ["s"], name="my_softmax", axis=2),
            N("Erf", ["y"], ["z"], name="my_erf"),
        ]
        model = make_model(nodes, [vinfo("x", [1, 4, 2, 2])],
                           [vinfo("s", [1, 4, 2, 2]), vinfo("z", [1, 5])], [init("w", [5, 16], 1)])
        refused(self, model, self.tmp, "Softmax", "my_softmax", "Erf", "my_erf")

    def test_view_of_size_folded(self):
        """torch's x.view(x.size(0), -1) before an fc (Shape, Gather, Unsqueeze, Concat with
        -1, Reshape; symbolic batch, opset 11): the shape is evaluated, the Reshape is the
        flatten, the ReLU still folds into the conv (the Shape node is not a reader), and the
        network is the one a Flatten gives."""
        N = helper.make_node

        def model(flatten):
            nodes = [N("Conv", ["x", "w", "b"], ["c"], name="conv", kernel_shape=[3, 3],
                       pads=[1, 1, 1, 1]),
                     N("Relu", ["c"], ["r"], name="relu")]
            if flatten:
                nodes.append(N("Flatten", ["r"], ["f"], name="flat", axis=1))
            else:
                nodes += [N("Shape", ["r"], ["s"]),
                          N("Constant", [], ["i0"], value=numpy_helper.from_array(
                              np.array(0, dtype=np.int64))),
                          N("Gather", ["s", "i0"], ["n"], axis=0),
                          N("Unsqueeze", ["n"], ["n1"], axes=[0]),
                          N("Concat", ["n1", "m1"], ["shp"], axis=0),
                          N("Reshape", ["r", "shp"], ["f"], name="view")]
            nodes.append(N("Gemm", ["f", "fw", "fb"], ["y"], name="fc", transB=1))
            inits = [init("w", [8, 3, 3, 3], 1), init("b", [8], 2), init("fw", [10, 512], 3),
                     init("fb", [10], 4), int64s("m1", [-1])]
            graph = helper.make_graph(nodes, "g", [vinfo("x", ["N", 3, 8, 8])],
                                      [vinfo("y", ["N", 10])], initializer=inits)
            m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)])
            onnx.checker.check_model(m)
            return m

        net, path, _ = self.import_ok(model(False), ["--batch", "2"])
        flat, _, _ = self.import_ok(model(True), ["--batch", "2"])
        self.assertEqual(net["layers"], flat["layers"])
        self.assertEqual(net["batch"], 2)
        self.assertEqual([l["name"] for l in net["layers"]], ["conv", "fc"])
        self.assertEqual(net["layers"][0]["activation"], "relu")

    def test_tf2onnx_nhwc_boundaries(self):
        """tf2onnx exports a TensorFlow model with an NHWC input read by a Transpose to NCHW
        and a Transpose back to NHWC before the output: the input is [C, H, W], both Transposes
        pass through, and the network is the one the NCHW model gives. A Transpose of a map
        elsewhere (not at an input or an output) is a view too (the map channels last, as fusim
        holds it): an activation after it is a layer on the same map."""
        N = helper.make_node

        def model(nhwc, inner=False):
            x, y = ("x_nhwc", "y_nhwc") if nhwc else ("x", "y")
            nodes = []
            if nhwc:
                nodes.append(N("Transpose", ["x_nhwc"], ["x"], name="to_nchw", perm=[0, 3, 1, 2]))
            nodes += [N("Conv", ["x", "w"], ["c"], name="conv", kernel_shape=[3, 3],
                        pads=[1, 1, 1, 1]),
                      N("Relu", ["c"], ["r"], name="relu")]
            if inner:
                nodes += [N("Transpose", ["r"], ["t"], name="inner", perm=[0, 2, 3, 1]),
                          N("Relu", ["t"], ["y"], name="after")]
            elif nhwc:
                nodes.append(N("Transpose", ["r"], ["y_nhwc"], name="to_nhwc", perm=[0, 2, 3, 1]))
            else:
                nodes.append(N("Identity", ["r"], ["y"], name="out"))
            shape_in = [1, 12, 10, 3] if nhwc else [1, 3, 12, 10]
            shape_out = [1, 12, 10, 8] if nhwc else [1, 8, 12, 10]
            return make_model(nodes, [vinfo(x, shape_in)], [vinfo(y, shape_out)],
                              [init("w", [8, 3, 3, 3], 1)])

        net, path, _ = self.import_ok(model(True))
        ref, _, _ = self.import_ok(model(False))
        self.assertEqual(net["inputs"], [{"name": "x_nhwc", "shape": [3, 12, 10]}])
        self.assertEqual(len(net["layers"]), 1)
        self.assertEqual({k: v for k, v in net["layers"][0].items() if k != "inputs"},
                         {k: v for k, v in ref["layers"][0].items() if k != "inputs"})
        self.assertEqual(net["layers"][0]["activation"], "relu")
        os.remove(path)
        net, _, _ = self.import_ok(model(True, inner=True))
        self.assertEqual([(l["name"], l["type"], l["inputs"]) for l in net["layers"]],
                         [("conv", "conv", ["x_nhwc"]), ("after", "activation", ["conv"])])

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
        net, path, _ = self.import_ok(model)
        by = {l["name"]: l for l in net["layers"]}
        # Asymmetric pads are fusim's [top, left, bottom, right].
        self.assertEqual(by["asym"]["padding"], [0, 0, 1, 1])
        self.assertEqual(by["ok"]["padding"], 1)
        shapes = yaml_shapes(net)
        self.assertEqual(shapes["asym"][1], [2, 5, 5])  # ONNX's: 6 + 0 + 1 - 2
        self.assertEqual(shapes["ok"][1], [2, 6, 6])
        # The relu of a tensor read twice is a layer of its own.
        self.assertEqual(by["ok"].get("activation", "none"), "none")
        self.assertEqual(by["shared_relu"],
                         {"name": "shared_relu", "type": "activation", "inputs": ["ok"],
                          "activation": "relu"})
        report = self.fusim_report(path)
        if report is not None:
            layers = {l["name"]: l for l in report["layers"]}
            self.assertEqual(layers["asym"]["output_shape"], [2, 5, 5])

    def test_tf_same_padding_and_pad_nodes(self):
        """TensorFlow's SAME padding of stride-2 convs as tf2onnx writes it: auto_pad
        SAME_UPPER, or an explicit zero Pad before a VALID conv (folded into its padding). A
        Pad read by anything else, or padding channels, is reported."""
        N = helper.make_node
        pads = numpy_helper.from_array(np.array([0, 0, 0, 0, 0, 0, 1, 1], dtype=np.int64), "pads")
        nodes = [
            N("Conv", ["x", "w"], ["a"], name="same", kernel_shape=[3, 3], strides=[2, 2],
              auto_pad="SAME_UPPER"),
            N("Pad", ["x", "pads"], ["xp"], name="pad", mode="constant"),
            N("Conv", ["xp", "w"], ["b"], name="explicit", kernel_shape=[3, 3], strides=[2, 2]),
        ]
        model = make_model(nodes, [vinfo("x", [1, 2, 8, 8])],
                           [vinfo("a", [1, 2, 4, 4]), vinfo("b", [1, 2, 4, 4])],
                           [init("w", [2, 2, 3, 3], 1), pads])
        net, path, _ = self.import_ok(model)
        by = {l["name"]: l for l in net["layers"]}
        self.assertEqual(sorted(by), ["explicit", "same"])
        self.assertEqual(by["same"]["padding"], [0, 0, 1, 1])
        self.assertEqual(by["explicit"]["padding"], [0, 0, 1, 1])
        self.assertEqual(by["explicit"]["inputs"], ["x"])
        report = self.fusim_report(path)
        if report is not None:
            layers = {l["name"]: l for l in report["layers"]}
            for name in ("same", "explicit"):
                self.assertEqual(layers[name]["output_shape"], [2, 4, 4])
                self.assertEqual(layers[name]["macs"], 2 * 16 * 2 * 9)
        # A Pad read by a Relu, and a reflect Pad before a conv: pad layers (copies), the Relu
        # the first one's attribute.
        nodes = [N("Pad", ["x", "pads"], ["xp"], name="pad_to_relu", mode="constant"),
                 N("Relu", ["xp"], ["r"], name="relu"),
                 N("Pad", ["x", "pads"], ["xr"], name="reflect", mode="reflect"),
                 N("Conv", ["xr", "w"], ["c"], name="conv", kernel_shape=[3, 3])]
        model = make_model(nodes, [vinfo("x", [1, 2, 8, 8])],
                           [vinfo("r", [1, 2, 9, 9]), vinfo("c", [1, 2, 7, 7])],
                           [init("w", [2, 2, 3, 3], 1), pads])
        net, path, _ = self.import_ok(model)
        by = {l["name"]: l for l in net["layers"]}
        self.assertEqual(by["pad_to_relu"], {"name": "pad_to_relu", "type": "pad", "inputs": ["x"],
                                             "padding": [0, 0, 1, 1], "activation": "relu"})
        self.assertEqual(by["reflect"]["type"], "pad")
        self.assertEqual(yaml_shapes(net)["conv"][1], [2, 7, 7])
        report = self.fusim_report(path)
        if report is not None:
            layers = {l["name"]: l for l in report["layers"]}
            self.assertEqual(layers["reflect"]["output_shape"], [2, 9, 9])
            self.assertEqual(layers["reflect"]["vector_ops"], 2 * 81)
        # A Pad of channels: listed, exit 2, no file.
        bad = numpy_helper.from_array(np.array([0, 1, 0, 0, 0, 1, 0, 0], dtype=np.int64), "bad")
        nodes = [N("Pad", ["x", "bad"], ["xc"], name="pad_channels", mode="constant"),
                 N("Conv", ["xc", "w4"], ["c"], name="conv", kernel_shape=[1, 1])]
        model = make_model(nodes, [vinfo("x", [1, 2, 8, 8])], [vinfo("c", [1, 2, 8, 8])],
                           [init("w4", [2, 4, 1, 1], 2), bad])
        refused(self, model, self.tmp, "pad_channels")

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
        # A sequence [1, M, K] is held as [K, M, 1], as a gemm's [M, N] result is [N, M, 1].
        self.assertEqual(net["inputs"][1], {"name": "a", "shape": [8, 6, 1]})
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
        # Without --batch: 1, and stderr says so.
        p, dst = run_import(model, self.tmp)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("symbolic batch; using 1", p.stderr)

    def test_input_shape_for_symbolic_height_and_width(self):
        """A detection-style export leaves H and W open: refused with a pointer to
        --input-shape, which fixes them (and the batch)."""
        N = helper.make_node
        graph = helper.make_graph(
            [N("Conv", ["img", "w"], ["c"], name="conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
             N("MaxPool", ["c"], ["p"], name="pool", kernel_shape=[2, 2], strides=[2, 2])],
            "g", [vinfo("img", ["N", 3, "H", "W"])], [vinfo("p", ["N", 8, "H2", "W2"])],
            initializer=[init("w", [8, 3, 3, 3], 1)])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
        refused(self, model, self.tmp, "--input-shape img=")
        net, _, _ = self.import_ok(model, ["--input-shape", "img=2,3,96,128"])
        self.assertEqual(net["batch"], 2)
        self.assertEqual(net["inputs"][0]["shape"], [3, 96, 128])
        self.assertEqual(yaml_shapes(net)["pool"][1], [8, 48, 64])
        for bad in (["--input-shape", "image=1,3,96,128"], ["--input-shape", "img=1,3,96"],
                    ["--input-shape", "img=1,3,0,8"], ["--input-shape", "img=2,3,8,8",
                                                       "--batch", "4"]):
            p, dst = run_import(model, self.tmp, bad)
            self.assertEqual(p.returncode, 2, bad)
            self.assertIn("error", p.stderr)


# Vector-unit operations per element of each activation function (docs/network-format.md); as
# an attribute, relu, relu6 and clip are free.
ACT_OPS = {"relu": 1, "relu6": 2, "clip": 2, "leaky_relu": 2, "sigmoid": 1, "tanh": 1, "silu": 2,
           "gelu": 2, "hardsigmoid": 3, "hardswish": 4}
CLAMPS = ("relu", "relu6", "clip")


def silu(N, x, out, name):
    """SiLU as torch.onnx writes it: x * Sigmoid(x)."""
    return [N("Sigmoid", [x], [out + "_sig"], name=name + "_sigmoid"),
            N("Mul", [x, out + "_sig"], [out], name=name)]


class OperatorImportTest(unittest.TestCase):
    """Squeeze-excitation, SiLU, HardSwish, GELU, Clip, LeakyRelu, Tanh, element-wise layers
    with broadcasting and ReduceMean, as exporters write them."""

    setUp = OnnxImportTest.setUp
    tearDown = OnnxImportTest.tearDown
    import_ok = OnnxImportTest.import_ok
    fusim_report = OnnxImportTest.fusim_report

    def check(self, model, expected):
        """Imports `model`; `expected`: layer name -> (type, activation, [C, H, W], macs,
        params, vector operations). Checks the YAML, then fusim's report.json."""
        net, path, _ = self.import_ok(model)
        by = {l["name"]: l for l in net["layers"]}
        self.assertEqual(sorted(by), sorted(expected))
        shapes = yaml_shapes(net)
        for name, (kind, act, shape, macs, params, _) in expected.items():
            self.assertEqual([by[name]["type"], by[name].get("activation", "none")], [kind, act],
                             name)
            self.assertEqual(shapes[name], [kind, shape, macs, params], name)
        report = self.fusim_report(path)
        if report is None:
            return net
        layers = {l["name"]: l for l in report["layers"]}
        for name, (kind, _, shape, macs, params, ops) in expected.items():
            got = layers[name]
            self.assertEqual([got["type"], got["output_shape"], got["macs"], got["params"],
                              got["vector_ops"]], [kind, shape, macs, params, ops], name)
        self.assertEqual(report["macs"], sum(e[3] for e in expected.values()))
        return net

    @staticmethod
    def act_ops(act, elements, layer=False):
        if act == "none" or (act in CLAMPS and not layer):
            return 0
        return ACT_OPS[act] * elements

    def test_unfoldable_batch_norm(self):
        """DenseNet's dense layer as torchvision exports it: BN -> ReLU -> 1x1 conv -> BN ->
        ReLU -> 3x3 conv, the first BN over a concat (not foldable: a batchnorm layer, its ReLU
        an attribute), the second after a conv (folded into it as a bias)."""
        N = helper.make_node
        bn = lambda p, c, seed: [init(p + s, [c], seed + i) for i, s in
                                 enumerate(("_s", "_b", "_m", "_v"))]
        inits = ([init("w0", [8, 8, 3, 3], 1), init("w1", [16, 16, 1, 1], 2),
                  init("w2", [8, 16, 3, 3], 3)] + bn("n1", 16, 10) + bn("n2", 16, 20))
        nodes = [N("Conv", ["x", "w0"], ["c0"], name="l0", kernel_shape=[3, 3],
                   pads=[1, 1, 1, 1]),
                 N("Concat", ["x", "c0"], ["cat"], name="cat", axis=1),
                 N("BatchNormalization", ["cat", "n1_s", "n1_b", "n1_m", "n1_v"], ["b1"],
                   name="norm1"),
                 N("Relu", ["b1"], ["r1"], name="relu1"),
                 N("Conv", ["r1", "w1"], ["c1"], name="conv1", kernel_shape=[1, 1]),
                 N("BatchNormalization", ["c1", "n2_s", "n2_b", "n2_m", "n2_v"], ["b2"],
                   name="norm2"),
                 N("Relu", ["b2"], ["r2"], name="relu2"),
                 N("Conv", ["r2", "w2"], ["y"], name="conv2", kernel_shape=[3, 3],
                   pads=[1, 1, 1, 1])]
        model = make_model(nodes, [vinfo("x", [1, 8, 8, 8])], [vinfo("y", [1, 8, 8, 8])], inits)
        px = 64
        # The batchnorm: 2 parameters per channel (scale and shift), one multiply-add per
        # element, the ReLU free.
        self.check(model, {
            "l0": ("conv", "none", [8, 8, 8], 8 * px * 72, 8 * 72, 0),
            "cat": ("concat", "none", [16, 8, 8], 0, 0, 0),
            "norm1": ("batchnorm", "relu", [16, 8, 8], 0, 2 * 16, 16 * px),
            "conv1": ("conv", "relu", [16, 8, 8], 16 * px * 16, 16 * 16 + 16, 0),
            "conv2": ("conv", "none", [8, 8, 8], 8 * px * 144, 8 * 144, 0),
        })

    def test_batch_norm_of_fc_features(self):
        """An MLP head with BatchNorm1d on [N, C] (Gemm -> BN -> ReLU -> Gemm -> ReLU -> BN):
        the first BN folds into its fc as a bias (its ReLU then the fc's attribute), the second,
        after a ReLU, is a batchnorm layer over the features ([C, 1, 1]); a BN of a rank-3
        tensor is refused, named."""
        N = helper.make_node
        bn = lambda p, c, seed: [init(p + s, [c], seed + i) for i, s in
                                 enumerate(("_s", "_b", "_m", "_v"))]
        inits = ([init("w1", [32, 64], 1), init("w2", [16, 32], 2)] + bn("n1", 32, 10) +
                 bn("n2", 16, 20))
        nodes = [N("Gemm", ["x", "w1"], ["f1"], name="fc1", transB=1),
                 N("BatchNormalization", ["f1", "n1_s", "n1_b", "n1_m", "n1_v"], ["b1"],
                   name="bn1"),
                 N("Relu", ["b1"], ["r1"], name="relu1"),
                 N("Gemm", ["r1", "w2"], ["f2"], name="fc2", transB=1),
                 N("Relu", ["f2"], ["r2"], name="relu2"),
                 N("BatchNormalization", ["r2", "n2_s", "n2_b", "n2_m", "n2_v"], ["y"],
                   name="bn2")]
        model = make_model(nodes, [vinfo("x", [1, 64])], [vinfo("y", [1, 16])], inits)
        net = self.check(model, {
            "fc1": ("fc", "relu", [32, 1, 1], 64 * 32, 64 * 32 + 32, 0),
            "fc2": ("fc", "relu", [16, 1, 1], 32 * 16, 32 * 16, 0),
            "bn2": ("batchnorm", "none", [16, 1, 1], 0, 2 * 16, 16),
        })
        by = {l["name"]: l for l in net["layers"]}
        self.assertTrue(by["fc1"]["bias"])
        seq = make_model([N("BatchNormalization", ["x", "n1_s", "n1_b", "n1_m", "n1_v"], ["y"],
                            name="bn_seq")],
                         [vinfo("x", [1, 32, 8])], [vinfo("y", [1, 32, 8])], bn("n1", 32, 10))
        refused(self, seq, self.tmp, "BatchNormalization node 'bn_seq'")

    def test_conv_transpose_and_depth_to_space(self):
        """U-Net's upsampling as torch.onnx writes nn.ConvTranspose2d(16, 8, 2, stride=2) (bias,
        a ReLU after it): a 1x1 sub-pixel conv to 8 x 4 channels with the ConvTranspose's MACs
        and weights (its bias four times), then depth_to_space by 2 named after the node; an
        ESPCN tail with PixelShuffle (DepthToSpace, CRD)."""
        N = helper.make_node
        nodes = [N("Conv", ["x", "w0"], ["c0"], name="enc", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
                 N("Relu", ["c0"], ["r0"], name="enc_relu"),
                 N("ConvTranspose", ["r0", "wt", "bt"], ["u"], name="up", kernel_shape=[2, 2],
                   strides=[2, 2]),
                 N("Relu", ["u"], ["ur"], name="up_relu"),
                 N("Conv", ["ur", "w1"], ["c1"], name="ps_conv", kernel_shape=[3, 3],
                   pads=[1, 1, 1, 1]),
                 N("DepthToSpace", ["c1"], ["y"], name="shuffle", blocksize=2, mode="CRD")]
        model = make_model(nodes, [vinfo("x", [1, 4, 6, 6])], [vinfo("y", [1, 3, 24, 24])],
                           [init("w0", [16, 4, 3, 3], 1), init("wt", [16, 8, 2, 2], 2),
                            init("bt", [8], 3), init("w1", [12, 8, 3, 3], 4)])
        net = self.check(model, {
            "enc": ("conv", "relu", [16, 6, 6], 16 * 36 * 36, 16 * 36, 0),
            "up_subpixel": ("conv", "none", [32, 6, 6], 16 * 32 * 36, 16 * 32 + 32, 0),
            "up": ("depth_to_space", "relu", [8, 12, 12], 0, 0,
                   8 * 144 + self.act_ops("relu", 8 * 144)),  # the ReLU free as an attribute
            "ps_conv": ("conv", "none", [12, 12, 12], 12 * 144 * 72, 12 * 72, 0),
            "shuffle": ("depth_to_space", "none", [3, 24, 24], 0, 0, 3 * 576),
        })
        by = {l["name"]: l for l in net["layers"]}
        self.assertEqual((by["up"]["inputs"], by["up"]["block"]), (["up_subpixel"], 2))
        self.assertEqual(by["up_subpixel"]["kernel"], 1)

    def test_conv_transpose_padded(self):
        """The transposed convs of DCGAN and CenterNet (kernel 4, stride 2, pads 1), of a
        decoder (kernel 3, stride 2, pads 1, output_padding 1, 2 groups, no bias) and of FCN-32s
        (kernel 64, stride 32, pads 16): each output phase a stride-1 conv, the phases whose
        windows agree one conv, joined by a concat, then depth_to_space. MACs and weights are
        the transposed conv's own, C_in C_out k^2 H W / g and C_in C_out k^2 / g; the bias
        s^2 copies. Refused with the node named: an output that is not stride x input, and
        dilations."""
        N = helper.make_node
        nodes = [N("ConvTranspose", ["x", "w4", "b4"], ["u4"], name="dcgan", kernel_shape=[4, 4],
                   strides=[2, 2], pads=[1, 1, 1, 1]),
                 N("ConvTranspose", ["u4", "w3"], ["u3"], name="dec", kernel_shape=[3, 3],
                   strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 1], group=2),
                 N("ConvTranspose", ["u3", "w64"], ["y"], name="fcn", kernel_shape=[64, 64],
                   strides=[32, 32], pads=[16, 16, 16, 16])]
        model = make_model(nodes, [vinfo("x", [1, 8, 3, 3])], [vinfo("y", [1, 2, 384, 384])],
                           [init("w4", [8, 6, 4, 4], 1), init("b4", [6], 2),
                            init("w3", [6, 2, 3, 3], 3), init("w64", [4, 2, 64, 64], 4)])
        # dcgan: rows and columns each phase 0 (2 taps, pads 1 before) and phase 1 (2 taps,
        # 1 after): four convs of 2x2 kernels, 6 channels each.
        exp = {}
        for i, pad in enumerate(([1, 1, 0, 0], [1, 0, 0, 1], [0, 1, 1, 0], [0, 0, 1, 1])):
            exp["dcgan_subpixel_%d" % i] = ("conv", "none", [6, 3, 3], 6 * 9 * 8 * 4,
                                            8 * 6 * 4 + 6, 0)
        exp["dcgan_subpixel"] = ("concat", "none", [24, 3, 3], 0, 0, 0)
        exp["dcgan"] = ("depth_to_space", "none", [6, 6, 6], 0, 0, 6 * 36)
        # dec: phase 0 one tap, phase 1 two taps (1 after): kernels 1x1, 1x2, 2x1, 2x2 over
        # 3 of 6 channels per group, 4 outputs each.
        for i, (k, pad) in enumerate((([1, 1], None), ([1, 2], [0, 0, 0, 1]),
                                      ([2, 1], [0, 0, 1, 0]), ([2, 2], [0, 0, 1, 1]))):
            exp["dec_subpixel_%d" % i] = ("conv", "none", [4, 6, 6], 4 * 36 * 3 * k[0] * k[1],
                                          4 * 3 * k[0] * k[1], 0)
        exp["dec_subpixel"] = ("concat", "none", [16, 6, 6], 0, 0, 0)
        exp["dec"] = ("depth_to_space", "none", [4, 12, 12], 0, 0, 4 * 144)
        # fcn: a + 16 = 32 u + v: phases 0-15 (u 0, pads 1 before) and 16-31 (u 1, 1 after),
        # 2 taps each.
        for i, n in enumerate((256, 256, 256, 256)):
            exp["fcn_subpixel_%d" % i] = ("conv", "none", [2 * n, 12, 12], 2 * n * 144 * 4 * 4,
                                          2 * n * 4 * 4, 0)
        exp["fcn_subpixel"] = ("concat", "none", [2048, 12, 12], 0, 0, 0)
        exp["fcn"] = ("depth_to_space", "none", [2, 384, 384], 0, 0, 2 * 384 * 384)
        net = self.check(model, exp)
        by = {l["name"]: l for l in net["layers"]}
        self.assertEqual([by["dcgan_subpixel_%d" % i].get("padding") for i in range(4)],
                         [[1, 1, 0, 0], [1, 0, 0, 1], [0, 1, 1, 0], [0, 0, 1, 1]])
        self.assertEqual([by["dec_subpixel_%d" % i]["kernel"] for i in range(4)],
                         [1, [1, 2], [2, 1], 2])
        self.assertEqual(by["dec_subpixel_3"]["groups"], 2)
        # The transposed convs' own counts: MACs C_in C_out k^2 H W / g, weights C_in C_out k^2
        # / g (the bias aside).
        self.assertEqual(sum(exp["dcgan_subpixel_%d" % i][3] for i in range(4)),
                         8 * 6 * 16 * 9)
        self.assertEqual(sum(exp["dec_subpixel_%d" % i][3] for i in range(4)),
                         6 * 4 * 9 * 36 // 2)
        self.assertEqual(sum(exp["fcn_subpixel_%d" % i][3] for i in range(4)),
                         4 * 2 * 64 * 64 * 144)
        for bad, why in (({"pads": [0, 0, 0, 0]}, "output is at most stride x input"),
                         ({"dilations": [2, 2]}, "dilations")):
            attrs = dict(kernel_shape=[4, 4], strides=[2, 2], pads=[1, 1, 1, 1])
            attrs.update(bad)
            out = 8 if "pads" in bad else 9  # (3 - 1) 2 + (k - 1) d + 1 - 2
            model = make_model([N("ConvTranspose", ["x", "wt"], ["u"], name="odd_up", **attrs)],
                               [vinfo("x", [1, 16, 3, 3])], [vinfo("u", [1, 8, out, out])],
                               [init("wt", [16, 8, 4, 4], 2)])
            refused(self, model, self.tmp, "ConvTranspose node 'odd_up'", why)

    def test_conv_transpose_cropped(self):
        """A decoder's kernel 3, stride 2, pads 1 without output_padding (2 H - 1): the
        sub-pixel form of 2 H (NAME_full) and a pad of -1 row and column (the crop, named
        after the node); and an ONNX Pad with negative pads, a crop of its own."""
        N = helper.make_node
        nodes = [N("ConvTranspose", ["x", "w3", "b3"], ["u"], name="up", kernel_shape=[3, 3],
                   strides=[2, 2], pads=[1, 1, 1, 1]),
                 N("Pad", ["u", "pads"], ["y"], name="crop_top")]
        model = make_model(nodes, [vinfo("x", [1, 8, 4, 4])], [vinfo("y", [1, 6, 6, 7])],
                           [init("w3", [8, 6, 3, 3], 1), init("b3", [6], 2),
                            int64s("pads", [0, 0, -1, 0, 0, 0, 0, 0])])
        exp = {}
        # Phase 0 one tap, phase 1 two taps (1 after): kernels 1x1, 1x2, 2x1, 2x2.
        for i, k in enumerate(([1, 1], [1, 2], [2, 1], [2, 2])):
            exp["up_subpixel_%d" % i] = ("conv", "none", [6, 4, 4], 6 * 16 * 8 * k[0] * k[1],
                                         8 * 6 * k[0] * k[1] + 6, 0)
        exp["up_subpixel"] = ("concat", "none", [24, 4, 4], 0, 0, 0)
        exp["up_full"] = ("depth_to_space", "none", [6, 8, 8], 0, 0, 6 * 64)
        exp["up"] = ("pad", "none", [6, 7, 7], 0, 0, 6 * 49)
        exp["crop_top"] = ("pad", "none", [6, 6, 7], 0, 0, 6 * 42)
        net = self.check(model, exp)
        by = {l["name"]: l for l in net["layers"]}
        self.assertEqual((by["up"]["inputs"], by["up"]["padding"]), (["up_full"], [0, 0, -1, -1]))
        self.assertEqual(by["crop_top"]["padding"], [-1, 0, 0, 0])
        # The transposed conv's own MACs: C_in C_out k^2 H W.
        self.assertEqual(sum(exp["up_subpixel_%d" % i][3] for i in range(4)), 8 * 6 * 9 * 16)

    def test_transposed_phases_compute_the_transposed_conv(self):
        """transposed_phases on numbers: along one axis, random input and kernel, every output
        phase's stride-1 conv (its taps, its padding, its tap m weighing w[v + (n - 1 - m) s])
        gives the transposed conv computed by scattering each input times each tap."""
        sys.path.insert(0, os.path.join(ROOT, "scripts"))
        from onnx_to_fusim import Unsupported, transposed_phases
        rng = np.random.default_rng(7)
        cases = [(2, 2, 0, 0), (4, 2, 1, 0), (3, 2, 1, 1), (3, 2, 0, 0), (5, 2, 2, 1),
                 (6, 3, 2, 1), (64, 32, 16, 0), (16, 8, 4, 0), (3, 3, 0, 0), (5, 3, 1, 0)]
        # An output short of s h (the same padding after as before, no output_padding): the
        # phases' first rows are it, the rest cropped.
        crops = [(3, 2, 1, 0), (5, 2, 2, 0), (4, 2, 2, 0), (7, 4, 3, 0)]
        for k, s, begin, op in cases + crops:
            h = 5
            end = k + op - begin - s  # output s h
            out = s * h if (k, s, begin, op) in cases else (h - 1) * s + k + op - 2 * begin
            self.assertGreaterEqual(end, 0 if out == s * h else -s, (k, s, begin, op))
            self.assertLessEqual(out, s * h)
            x, w = rng.standard_normal(h), rng.standard_normal(k)
            full = np.zeros((h - 1) * s + k + op)
            for i in range(h):
                full[i * s:i * s + k] += x[i] * w
            want = full[begin:begin + out]
            got = np.zeros(s * h)
            for a, (n, before, after, v) in enumerate(transposed_phases(k, s, begin)):
                self.assertEqual(before + after, n - 1)
                xp = np.concatenate([np.zeros(before), x, np.zeros(after)])
                taps = [w[v + (n - 1 - m) * s] for m in range(n)]
                for q in range(h):
                    got[q * s + a] = sum(xp[q + m] * taps[m] for m in range(n))
            np.testing.assert_allclose(got[:out], want, rtol=1e-12, atol=1e-12,
                                       err_msg=str((k, s, begin, op)))
        with self.assertRaises(Unsupported):
            transposed_phases(2, 4, 0)  # phases 2 and 3 have no tap
        with self.assertRaises(Unsupported):
            transposed_phases(4, 2, 3)  # its taps start past the input's first row

    def test_resize_and_upsample(self):
        """An FPN merge as torch.onnx writes F.interpolate (opset 13): nearest by scales
        [1, 1, 2, 2] (asymmetric, floor) added to a lateral 1x1 conv, bilinear by sizes
        (pytorch_half_pixel); align_corners and a fractional scale are reported. Upsample at
        opset 9."""
        N = helper.make_node
        f32 = lambda name, v: numpy_helper.from_array(np.array(v, dtype=np.float32), name)
        i64 = lambda name, v: numpy_helper.from_array(np.array(v, dtype=np.int64), name)
        inits = [init("wl", [8, 8, 1, 1], 1), init("wc", [8, 4, 1, 1], 2),
                 init("ws", [8, 8, 3, 3], 3), f32("up2", [1, 1, 2, 2]),
                 i64("size", [1, 8, 32, 16])]
        nodes = [N("Conv", ["fine", "wl"], ["lat"], name="lateral", kernel_shape=[1, 1]),
                 N("Conv", ["coarse", "wc"], ["top"], name="top", kernel_shape=[1, 1]),
                 N("Resize", ["top", "", "up2"], ["topup"], name="up", mode="nearest",
                   coordinate_transformation_mode="asymmetric", nearest_mode="floor"),
                 N("Add", ["lat", "topup"], ["merged"], name="merge"),
                 N("Conv", ["merged", "ws"], ["p"], name="smooth", kernel_shape=[3, 3],
                   pads=[1, 1, 1, 1]),
                 N("Resize", ["p", "", "", "size"], ["big"], name="bil", mode="linear",
                   coordinate_transformation_mode="pytorch_half_pixel")]
        model = make_model(nodes, [vinfo("fine", [1, 8, 8, 8]), vinfo("coarse", [1, 4, 4, 4])],
                           [vinfo("big", [1, 8, 32, 16])], inits)
        px = 64
        self.check(model, {
            "lateral": ("conv", "none", [8, 8, 8], 8 * px * 8, 64, 0),
            "top": ("conv", "none", [8, 4, 4], 8 * 16 * 4, 32, 0),
            "up": ("resize", "none", [8, 8, 8], 0, 0, 8 * px),
            "merge": ("add", "none", [8, 8, 8], 0, 0, 8 * px),
            "smooth": ("conv", "none", [8, 8, 8], 8 * px * 72, 8 * 72, 0),
            "bil": ("resize", "none", [8, 32, 16], 0, 0, 7 * 8 * 32 * 16),
        })
        net, _, _ = self.import_ok(model)
        by = {l["name"]: l for l in net["layers"]}
        self.assertEqual((by["up"]["scale"], by["up"]["mode"]), (2, "nearest"))
        self.assertEqual((by["bil"]["scale"], by["bil"]["mode"]), ([4, 2], "bilinear"))
        # align_corners and a fractional scale: listed, exit 2.
        nodes = [N("Resize", ["fine", "", "up2"], ["a"], name="corners", mode="linear",
                   coordinate_transformation_mode="align_corners"),
                 N("Resize", ["fine", "", "half"], ["b"], name="fraction", mode="nearest")]
        model = make_model(nodes, [vinfo("fine", [1, 8, 8, 8])],
                           [vinfo("a", [1, 8, 16, 16]), vinfo("b", [1, 8, 12, 12])],
                           [f32("up2", [1, 1, 2, 2]), f32("half", [1, 1, 1.5, 1.5])])
        refused(self, model, self.tmp, "corners", "fraction")
        # Upsample (opset 9), nearest by a scales input.
        graph = helper.make_graph(
            [N("Upsample", ["fine", "s"], ["u"], name="upsample", mode="nearest")], "g",
            [vinfo("fine", [1, 8, 8, 8])], [vinfo("u", [1, 8, 24, 24])],
            initializer=[f32("s", [1, 1, 3, 3])])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 9)])
        net, _, _ = self.import_ok(model)
        self.assertEqual(net["layers"][0]["type"], "resize")
        self.assertEqual(net["layers"][0]["scale"], 3)

    def test_nearest_downsample(self):
        """A nearest Resize that shrinks (F.interpolate(scale_factor=0.5) at ONNX's default
        half-pixel coordinates, and sizes a quarter of the width): a 1x1 max pool of stride k,
        one element read and moved per output element; a bilinear one that shrinks is refused,
        named."""
        N = helper.make_node
        f32 = lambda name, v: numpy_helper.from_array(np.array(v, dtype=np.float32), name)
        i64 = lambda name, v: numpy_helper.from_array(np.array(v, dtype=np.int64), name)
        nodes = [N("Resize", ["x", "", "half"], ["a"], name="half", mode="nearest"),
                 N("Resize", ["a", "", "", "size"], ["b"], name="narrow", mode="nearest",
                   coordinate_transformation_mode="asymmetric", nearest_mode="floor")]
        model = make_model(nodes, [vinfo("x", [1, 8, 16, 16])], [vinfo("b", [1, 8, 4, 2])],
                           [f32("half", [1, 1, 0.5, 0.5]), i64("size", [1, 8, 4, 2])])
        net = self.check(model, {
            "half": ("pool", "none", [8, 8, 8], 0, 0, 8 * 64),
            "narrow": ("pool", "none", [8, 4, 2], 0, 0, 8 * 8),
        })
        by = {l["name"]: l for l in net["layers"]}
        self.assertEqual([by["half"]["kernel"], by["half"]["stride"]], [1, 2])
        self.assertEqual(by["narrow"]["stride"], [2, 4])
        bad = make_model([N("Resize", ["x", "", "half"], ["a"], name="bil_down", mode="linear")],
                         [vinfo("x", [1, 8, 16, 16])], [vinfo("a", [1, 8, 8, 8])],
                         [f32("half", [1, 1, 0.5, 0.5])])
        refused(self, bad, self.tmp, "Resize node 'bil_down'", "shrinks")

    def test_se_block_with_silu(self):
        """EfficientNet's MBConv: 1x1 expand + BN + SiLU, depthwise + SiLU, SE (global pool,
        1x1 + SiLU, 1x1 + Sigmoid, gate Mul), 1x1 project, residual Add."""
        N = helper.make_node
        inits = [init("ew", [32, 8, 1, 1], 1), init("bn_s", [32], 2), init("bn_b", [32], 3),
                 init("bn_m", [32], 4), init("bn_v", [32], 5), init("dww", [32, 1, 3, 3], 6),
                 init("rw", [8, 32, 1, 1], 7), init("rb", [8], 8), init("xw", [32, 8, 1, 1], 9),
                 init("xb", [32], 10), init("pw", [8, 32, 1, 1], 11)]
        nodes = [N("Conv", ["x", "ew"], ["e"], name="expand", kernel_shape=[1, 1]),
                 N("BatchNormalization", ["e", "bn_s", "bn_b", "bn_m", "bn_v"], ["eb"],
                   name="bn")]
        nodes += silu(N, "eb", "ea", "expand_silu")
        nodes += [N("Conv", ["ea", "dww"], ["d"], name="dw", kernel_shape=[3, 3],
                    pads=[1, 1, 1, 1], group=32)]
        nodes += silu(N, "d", "da", "dw_silu")
        nodes += [N("GlobalAveragePool", ["da"], ["p"], name="squeeze"),
                  N("Conv", ["p", "rw", "rb"], ["r"], name="se_reduce", kernel_shape=[1, 1])]
        nodes += silu(N, "r", "ra", "se_reduce_silu")
        nodes += [N("Conv", ["ra", "xw", "xb"], ["g"], name="se_expand", kernel_shape=[1, 1]),
                  N("Sigmoid", ["g"], ["gs"], name="gate"),
                  N("Mul", ["da", "gs"], ["s"], name="se_scale"),
                  N("Conv", ["s", "pw"], ["o"], name="project", kernel_shape=[1, 1]),
                  N("Add", ["x", "o"], ["y"], name="residual")]
        model = make_model(nodes, [vinfo("x", [1, 8, 8, 8])], [vinfo("y", [1, 8, 8, 8])], inits)
        px = 64
        self.check(model, {
            "expand": ("conv", "silu", [32, 8, 8], 32 * px * 8, 32 * 8 + 32,
                       self.act_ops("silu", 32 * px)),
            "dw": ("conv", "silu", [32, 8, 8], 32 * px * 9, 32 * 9,
                   32 * px * 9 + self.act_ops("silu", 32 * px)),
            "squeeze": ("pool", "none", [32, 1, 1], 0, 0, 32 * px),
            "se_reduce": ("conv", "silu", [8, 1, 1], 8 * 32, 8 * 32 + 8, self.act_ops("silu", 8)),
            "se_expand": ("conv", "sigmoid", [32, 1, 1], 32 * 8, 32 * 8 + 32,
                          self.act_ops("sigmoid", 32)),
            "se_scale": ("mul", "none", [32, 8, 8], 0, 0, 32 * px),
            "project": ("conv", "none", [8, 8, 8], 8 * px * 32, 8 * 32, 0),
            "residual": ("add", "none", [8, 8, 8], 0, 0, 8 * px),
        })

    def test_mobilenetv3_block_hardswish(self):
        """MobileNetV3's bneck at opset 14: HardSwish ops, an SE gate with Relu and
        HardSigmoid; the older export x * HardSigmoid(x); a HardSwish of a tensor read twice."""
        N = helper.make_node
        inits = [init("ew", [24, 8, 1, 1], 1), init("dww", [24, 1, 5, 5], 2),
                 init("rw", [8, 24, 1, 1], 3), init("rb", [8], 4), init("xw", [24, 8, 1, 1], 5),
                 init("xb", [24], 6), init("pw", [8, 24, 1, 1], 7)]
        hs = dict(alpha=1.0 / 6, beta=0.5)
        nodes = [N("Conv", ["x", "ew"], ["e"], name="expand", kernel_shape=[1, 1]),
                 N("HardSwish", ["e"], ["ea"], name="expand_hs"),
                 N("Conv", ["ea", "dww"], ["d"], name="dw", kernel_shape=[5, 5],
                   pads=[2, 2, 2, 2], strides=[2, 2], group=24),
                 N("HardSigmoid", ["d"], ["dh"], name="dw_hsig", **hs),
                 N("Mul", ["d", "dh"], ["da"], name="dw_hs"),
                 N("GlobalAveragePool", ["da"], ["p"], name="squeeze"),
                 N("Conv", ["p", "rw", "rb"], ["r"], name="se_reduce", kernel_shape=[1, 1]),
                 N("Relu", ["r"], ["ra"], name="se_relu"),
                 N("Conv", ["ra", "xw", "xb"], ["g"], name="se_expand", kernel_shape=[1, 1]),
                 N("HardSigmoid", ["g"], ["gs"], name="gate", **hs),
                 N("Mul", ["gs", "da"], ["s"], name="se_scale"),
                 N("Conv", ["s", "pw"], ["o"], name="project", kernel_shape=[1, 1]),
                 N("HardSwish", ["o"], ["oh"], name="shared_hs")]
        graph = helper.make_graph(nodes, "g", [vinfo("x", [1, 8, 8, 8])],
                                  [vinfo("o", [1, 8, 4, 4]), vinfo("oh", [1, 8, 4, 4])],
                                  initializer=inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
        onnx.checker.check_model(model)
        self.check(model, {
            "expand": ("conv", "hardswish", [24, 8, 8], 24 * 64 * 8, 24 * 8,
                       self.act_ops("hardswish", 24 * 64)),
            "dw": ("conv", "hardswish", [24, 4, 4], 24 * 16 * 25, 24 * 25,
                   24 * 16 * 25 + self.act_ops("hardswish", 24 * 16)),
            "squeeze": ("pool", "none", [24, 1, 1], 0, 0, 24 * 16),
            "se_reduce": ("conv", "relu", [8, 1, 1], 8 * 24, 8 * 24 + 8, 0),
            "se_expand": ("conv", "hardsigmoid", [24, 1, 1], 24 * 8, 24 * 8 + 24,
                          self.act_ops("hardsigmoid", 24)),
            "se_scale": ("mul", "none", [24, 4, 4], 0, 0, 24 * 16),
            "project": ("conv", "none", [8, 4, 4], 8 * 16 * 24, 8 * 24, 0),
            "shared_hs": ("activation", "hardswish", [8, 4, 4], 0, 0,
                          self.act_ops("hardswish", 8 * 16, layer=True)),
        })

    def test_hardswish_decomposed_forms(self):
        """HardSwish and HardSigmoid as other exporters write them: x * clip(x + 3, 0, 6) / 6
        with the division first (folds into its conv) or last, by 6 or times 1/6 (on a network
        input: a layer); clip(x + 3, 0, 6) / 6 as an SE gate (folds into its conv)."""
        N = helper.make_node
        c = lambda n, v: numpy_helper.from_array(np.array(v, dtype=np.float32), n)  # noqa: E731
        inits = [init("w", [8, 8, 1, 1], 1), init("w2", [8, 8, 1, 1], 2), c("three", 3.0),
                 c("zero", 0.0), c("six", 6.0), c("sixth", 1.0 / 6)]
        nodes = [N("Conv", ["x", "w"], ["h"], name="conv", kernel_shape=[1, 1]),
                 N("Add", ["h", "three"], ["h1"], name="a1"),
                 N("Clip", ["h1", "zero", "six"], ["h2"], name="c1"),
                 N("Div", ["h2", "six"], ["h3"], name="d1"),
                 N("Mul", ["h", "h3"], ["y"], name="hs1"),
                 N("Add", ["three", "x"], ["x1"], name="a2"),
                 N("Clip", ["x1", "zero", "six"], ["x2"], name="c2"),
                 N("Mul", ["x2", "x"], ["x3"], name="m2"),
                 N("Mul", ["x3", "sixth"], ["z"], name="hs2"),
                 N("Conv", ["y", "w2"], ["g"], name="gate_conv", kernel_shape=[1, 1]),
                 N("Add", ["g", "three"], ["g1"], name="a3"),
                 N("Clip", ["g1", "zero", "six"], ["g2"], name="c3"),
                 N("Div", ["g2", "six"], ["g3"], name="d3"),
                 N("Mul", ["z", "g3"], ["o"], name="gated")]
        model = make_model(nodes, [vinfo("x", [1, 8, 4, 4])], [vinfo("o", [1, 8, 4, 4])], inits)
        e = 8 * 16
        self.check(model, {
            "conv": ("conv", "hardswish", [8, 4, 4], e * 8, 64, self.act_ops("hardswish", e)),
            "hs2": ("activation", "hardswish", [8, 4, 4], 0, 0,
                    self.act_ops("hardswish", e, True)),
            "gate_conv": ("conv", "hardsigmoid", [8, 4, 4], e * 8, 64,
                          self.act_ops("hardsigmoid", e)),
            "gated": ("mul", "none", [8, 4, 4], 0, 0, e),
        })

    def test_gelu_erf_forms(self):
        """GELU as torch.onnx writes it, x * 0.5 * (1 + erf(x / sqrt(2))), with the two Muls
        in either order; the first folds into its conv, the second reads a network input."""
        N = helper.make_node
        c = lambda n, v: numpy_helper.from_array(np.array(v, dtype=np.float32), n)  # noqa: E731
        inits = [init("w", [16, 8, 1, 1], 1), c("sqrt2", 2 ** 0.5), c("one", 1.0),
                 c("half", 0.5)]
        nodes = [N("Conv", ["x", "w"], ["h"], name="conv", kernel_shape=[1, 1]),
                 N("Div", ["h", "sqrt2"], ["h1"], name="g1_div"),
                 N("Erf", ["h1"], ["h2"], name="g1_erf"),
                 N("Add", ["h2", "one"], ["h3"], name="g1_add"),
                 N("Mul", ["h", "h3"], ["h4"], name="g1_mul"),
                 N("Mul", ["h4", "half"], ["y"], name="gelu1"),
                 N("Div", ["x", "sqrt2"], ["x1"], name="g2_div"),
                 N("Erf", ["x1"], ["x2"], name="g2_erf"),
                 N("Add", ["one", "x2"], ["x3"], name="g2_add"),
                 N("Mul", ["x3", "half"], ["x4"], name="g2_half"),
                 N("Mul", ["x", "x4"], ["z"], name="gelu2")]
        model = make_model(nodes, [vinfo("x", [1, 8, 4, 4])],
                           [vinfo("y", [1, 16, 4, 4]), vinfo("z", [1, 8, 4, 4])], inits)
        self.check(model, {
            "conv": ("conv", "gelu", [16, 4, 4], 16 * 16 * 8, 16 * 8,
                     self.act_ops("gelu", 16 * 16)),
            "gelu2": ("activation", "gelu", [8, 4, 4], 0, 0, self.act_ops("gelu", 128, True)),
        })

    def test_clip_leaky_tanh_elementwise_reducemean(self):
        """Clip(-1, 2) and LeakyRelu fold into convs; Tanh of a network input is a layer; Sub,
        Div, Max, Min of activations broadcast [1, 1, H, W] and [1, C, 1, 1]; ReduceMean over H
        and W is a global average pool."""
        N = helper.make_node
        lo = numpy_helper.from_array(np.array(-1, dtype=np.float32), "lo")
        hi = numpy_helper.from_array(np.array(2, dtype=np.float32), "hi")
        inits = [init("w", [8, 4, 3, 3], 1), init("w1", [1, 4, 1, 1], 2), lo, hi]
        nodes = [N("Conv", ["x", "w"], ["c"], name="conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
                 N("Clip", ["c", "lo", "hi"], ["cc"], name="clip"),
                 N("Conv", ["x", "w1"], ["m"], name="mask", kernel_shape=[1, 1]),
                 N("LeakyRelu", ["m"], ["ml"], name="leaky", alpha=0.1),
                 N("Tanh", ["x"], ["t"], name="tanh"),
                 N("ReduceMean", ["cc"], ["cm"], name="mean", axes=[2, 3], keepdims=1),
                 N("Sub", ["cc", "ml"], ["d"], name="sub"),
                 N("Div", ["d", "cm"], ["q"], name="div"),
                 N("Max", ["q", "cm"], ["mx"], name="max"),
                 N("Min", ["mx", "ml", "cc"], ["mn"], name="min"),
                 N("ReduceMean", ["t"], ["tm"], name="mean2", axes=[-1, -2], keepdims=0)]
        model = make_model(nodes, [vinfo("x", [1, 4, 6, 6])],
                           [vinfo("mn", [1, 8, 6, 6]), vinfo("tm", [1, 4])], inits)
        net = self.check(model, {
            "conv": ("conv", "clip", [8, 6, 6], 8 * 36 * 36, 8 * 36, 0),
            "mask": ("conv", "leaky_relu", [1, 6, 6], 36 * 4, 4, self.act_ops("leaky_relu", 36)),
            "tanh": ("activation", "tanh", [4, 6, 6], 0, 0, self.act_ops("tanh", 144, True)),
            "mean": ("pool", "none", [8, 1, 1], 0, 0, 8 * 36),
            "sub": ("sub", "none", [8, 6, 6], 0, 0, 288),
            "div": ("div", "none", [8, 6, 6], 0, 0, 2 * 288),
            "max": ("max", "none", [8, 6, 6], 0, 0, 288),
            "min": ("min", "none", [8, 6, 6], 0, 0, 2 * 288),
            "mean2": ("pool", "none", [4, 1, 1], 0, 0, 144),
        })
        by = {l["name"]: l for l in net["layers"]}
        self.assertEqual([by["conv"]["clip_min"], by["conv"]["clip_max"]], [-1.0, 2.0])
        self.assertEqual(by["mask"]["negative_slope"], 0.1)
        self.assertEqual(by["min"]["inputs"], ["max", "mask", "conv"])

    def test_refused_operands(self):
        """Still refused, each named: Mul by a constant, Sub of different ranks, Erf alone,
        ReduceMean over channels, a one-sided Clip."""
        N = helper.make_node
        k = numpy_helper.from_array(np.array(3, dtype=np.float32), "k")
        lo = numpy_helper.from_array(np.array(-1, dtype=np.float32), "lo")
        nodes = [N("Mul", ["x", "k"], ["a"], name="scale_by_const"),
                 N("Sub", ["x", "v"], ["b"], name="rank_mismatch"),
                 N("Erf", ["x"], ["c"], name="lone_erf"),
                 N("ReduceMean", ["x"], ["d"], name="channel_mean", axes=[1]),
                 N("Clip", ["x", "lo"], ["e"], name="one_sided")]
        model = make_model(nodes, [vinfo("x", [1, 4, 3, 3]), vinfo("v", [1, 3])],
                           [vinfo("a", [1, 4, 3, 3]), vinfo("b", [1, 4, 3, 3]),
                            vinfo("c", [1, 4, 3, 3]), vinfo("d", [1, 1, 3, 3]),
                            vinfo("e", [1, 4, 3, 3])], [k, lo])
        p, dst = run_import(model, self.tmp)
        self.assertEqual(p.returncode, 2)
        for name in ("scale_by_const", "rank_mismatch", "lone_erf", "channel_mean", "one_sided"):
            self.assertIn(name, p.stderr)
        self.assertIn("constant operand", p.stderr)
        self.assertIn("same rank", p.stderr)
        self.assertFalse(os.path.exists(dst))


class CheckedImport(unittest.TestCase):
    """The imports checked in the YAML and in fusim's report.json (OperatorImportTest.check),
    for the test classes of whole models below; no tests of its own."""

    setUp = OnnxImportTest.setUp
    tearDown = OnnxImportTest.tearDown
    import_ok = OnnxImportTest.import_ok
    fusim_report = OnnxImportTest.fusim_report
    check = OperatorImportTest.check
    act_ops = staticmethod(OperatorImportTest.act_ops)


def int64s(name, values):
    return numpy_helper.from_array(np.array(values, dtype=np.int64), name)


class ViewImportTest(unittest.TestCase):
    """Channel Split and Slice as torch.onnx writes them (chunk, x[:, a:b]): slice views."""

    setUp = OnnxImportTest.setUp
    tearDown = OnnxImportTest.tearDown
    import_ok = OnnxImportTest.import_ok

    def fusim_layer_by_layer(self, yaml_path):
        """report.json of a layer-by-layer run on systolic32 (one core), or None."""
        fusim = os.environ.get("FUSIM_BIN")
        if not fusim:
            return None
        out = os.path.join(self.tmp, "out")
        p = subprocess.run([fusim, "--arch", ARCH, "--net", yaml_path, "--out", out, "--quiet",
                            "--fusion", "none"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True, cwd=ROOT)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(os.path.join(out, "report.json")) as f:
            return json.load(f)

    def test_split_and_slice(self):
        """conv 16 -> Split [8, 8] (opset 13: sizes as an input) -> 1x1 conv on the second
        half; Slice [0, 4) (constant inputs, ends past the end) and Slice [4, big) of the first
        half, concatenated with the conv."""
        N = helper.make_node
        inits = [init("w0", [16, 4, 1, 1], 1), init("w1", [8, 8, 1, 1], 2),
                 init("w1h", [8, 16, 1, 1], 3), int64s("sizes", [8, 8]), int64s("s0", [0]),
                 int64s("e0", [4]), int64s("s1", [4]), int64s("e1", [2 ** 62]),
                 int64s("ax", [1])]
        nodes = [N("Conv", ["x", "w0"], ["a"], name="stem", kernel_shape=[1, 1]),
                 N("Split", ["a", "sizes"], ["h0", "h1"], name="split", axis=1),
                 N("Conv", ["h1", "w1"], ["b"], name="pw", kernel_shape=[1, 1]),
                 N("Slice", ["h0", "s0", "e0", "ax"], ["q0"], name="first"),
                 N("Slice", ["h0", "s1", "e1", "ax"], ["q1"], name="second"),
                 N("Concat", ["q1", "b", "q0"], ["y"], name="cat", axis=1),
                 N("Conv", ["y", "w1h"], ["z"], name="head", kernel_shape=[1, 1])]
        model = make_model(nodes, [vinfo("x", [1, 4, 6, 6])], [vinfo("z", [1, 8, 6, 6])], inits)
        net, path, _ = self.import_ok(model)
        by = {l["name"]: l for l in net["layers"]}
        self.assertEqual(sorted(by), ["cat", "first", "head", "pw", "second", "split",
                                      "split_2", "stem"])
        self.assertEqual([by["split"]["type"], by["split"]["inputs"], by["split"]["channels"]],
                         ["slice", ["stem"], [0, 8]])
        self.assertEqual(by["split_2"]["channels"], [8, 16])
        self.assertEqual(by["pw"]["inputs"], ["split_2"])
        self.assertEqual([by["first"]["inputs"], by["first"]["channels"]], [["split"], [0, 4]])
        self.assertEqual(by["second"]["channels"], [4, 8])
        self.assertEqual(by["cat"]["inputs"], ["second", "pw", "first"])
        shapes = yaml_shapes(net)
        self.assertEqual(shapes["split_2"], ["slice", [8, 6, 6], 0, 0])
        self.assertEqual(shapes["cat"], ["concat", [16, 6, 6], 0, 0])
        report = self.fusim_layer_by_layer(path)
        if report is None:
            self.skipTest("FUSIM_BIN not set")
        self.assertEqual(report["macs"], 36 * (16 * 4 + 8 * 8 + 8 * 16))
        layers = {l["name"]: l for l in report["layers"]}
        self.assertEqual([layers["split_2"]["output_shape"], layers["split_2"]["unit"],
                          layers["split_2"]["vector_ops"]], [[8, 6, 6], "none", 0])
        # Bytes, int8, layer by layer: the input, pw's 8 channels of the stem, and the head's
        # concat (16 channels); stores: the stem, pw (into the concat), the head. The concat's
        # slices are foreign operands, read in its tensor.
        self.assertEqual(report["offchip_ifmap_read_bytes"], 36 * (4 + 8 + 16))
        self.assertEqual(report["offchip_ofmap_write_bytes"], 36 * (16 + 8 + 8))
        for g in report["groups"]:
            self.assertEqual(g["offchip_read_bytes"], g["predicted_offchip_read_bytes"])
            self.assertEqual(g["offchip_write_bytes"], g["predicted_offchip_write_bytes"])

    def test_split_opset11_attribute_and_refusals(self):
        """Opset 11: split sizes as an attribute; refused, each named: a Split along H, a Slice
        with a step, a slice that is a graph output."""
        N = helper.make_node
        nodes = [N("Split", ["x"], ["a", "b"], name="halves", axis=1, split=[2, 6]),
                 N("Relu", ["a"], ["ra"], name="ra"), N("Relu", ["b"], ["rb"], name="rb"),
                 N("Split", ["x"], ["h0", "h1"], name="rows", axis=2),
                 N("Slice", ["x", "st", "en", "ax", "sp"], ["s"], name="stepped"),
                 N("Split", ["x"], ["o0", "o1"], name="to_output", axis=1)]
        graph = helper.make_graph(
            nodes, "g", [vinfo("x", [1, 8, 4, 4])],
            [vinfo("ra", [1, 2, 4, 4]), vinfo("rb", [1, 6, 4, 4]), vinfo("h0", [1, 8, 2, 4]),
             vinfo("h1", [1, 8, 2, 4]), vinfo("s", [1, 4, 4, 4]), vinfo("o0", [1, 4, 4, 4]),
             vinfo("o1", [1, 4, 4, 4])],
            initializer=[int64s("st", [0]), int64s("en", [8]), int64s("ax", [1]),
                         int64s("sp", [2])])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)])
        p = refused(self, model, self.tmp,
                    "Split node 'rows': Split along axis 2",
                    "Slice node 'stepped': Slice with step 2",
                    "Split node 'to_output'",
                    "cannot be a network output")
        self.assertNotIn("'halves'", p.stderr)
        # Without the refused nodes it imports: an activation layer on each slice (a view takes
        # no activation attribute).
        del model.graph.node[3:]
        del model.graph.output[2:]
        net, _, _ = self.import_ok(model)
        by = {l["name"]: l for l in net["layers"]}
        self.assertEqual(by["halves"]["channels"], [0, 2])
        self.assertEqual(by["halves_2"]["channels"], [2, 8])
        self.assertEqual([by["ra"]["type"], by["ra"]["inputs"]], ["activation", ["halves"]])

    @staticmethod
    def shufflenet_unit(N, p, x, c, hw, seed):
        """torchvision's InvertedResidual at stride 1 as torch.onnx writes it at opset 11:
        Split (attribute) of x into halves, 1x1 + BN + ReLU, depthwise 3x3 + BN, 1x1 + BN +
        ReLU on the second, Concat, then channel_shuffle(2) as Reshape -> Transpose ->
        Reshape with constant shapes. Returns (nodes, initializers, output tensor)."""
        h = c // 2
        inits = [int64s(p + "shape5", [1, 2, h, hw, hw]), int64s(p + "shape4", [1, c, hw, hw])]
        nodes = [N("Split", [x], [p + "x1", p + "x2"], name=p + "split", axis=1, split=[h, h])]
        t = p + "x2"
        for k, (kind, group, relu) in enumerate([("pw1", 1, True), ("dw", h, False),
                                                 ("pw2", 1, True)]):
            kh = 3 if kind == "dw" else 1
            inits += [init(p + kind + "_w", [h, h // group, kh, kh], seed + 6 * k),
                      init(p + kind + "_s", [h], seed + 6 * k + 1),
                      init(p + kind + "_b", [h], seed + 6 * k + 2),
                      init(p + kind + "_m", [h], seed + 6 * k + 3),
                      numpy_helper.from_array(np.ones(h, dtype=np.float32), p + kind + "_v")]
            nodes += [N("Conv", [t, p + kind + "_w"], [p + kind], name=p + kind,
                        kernel_shape=[kh, kh], pads=[kh // 2] * 4, group=group),
                      N("BatchNormalization", [p + kind] + [p + kind + s for s in
                                                            ("_s", "_b", "_m", "_v")],
                        [p + kind + "_bn"], name=p + kind + "_bn")]
            t = p + kind + "_bn"
            if relu:
                nodes.append(N("Relu", [t], [p + kind + "_relu"], name=p + kind + "_relu"))
                t = p + kind + "_relu"
        nodes += [N("Concat", [p + "x1", t], [p + "cat"], name=p + "cat", axis=1),
                  N("Reshape", [p + "cat", p + "shape5"], [p + "r5"], name=p + "view"),
                  N("Transpose", [p + "r5"], [p + "tr"], name=p + "transpose",
                    perm=[0, 2, 1, 3, 4]),
                  N("Reshape", [p + "tr", p + "shape4"], [p + "out"], name=p + "shuffle")]
        return nodes, inits, p + "out"

    def test_shufflenet_units(self):
        """Two ShuffleNetV2 units and a 1x1 head: the units' Splits become slices, each
        Reshape/Transpose/Reshape one shuffle layer (copied: the next unit's slices read it;
        a view: the head, a dense conv, reads it); shapes, MACs, vector operations and bytes."""
        N = helper.make_node
        c, hw = 16, 8
        n1, i1, o1 = self.shufflenet_unit(N, "u1_", "x", c, hw, 1)
        n2, i2, o2 = self.shufflenet_unit(N, "u2_", o1, c, hw, 30)
        nodes = n1 + n2 + [N("Conv", [o2, "head_w"], ["y"], name="head", kernel_shape=[1, 1])]
        inits = i1 + i2 + [init("head_w", [8, c, 1, 1], 60)]
        graph = helper.make_graph(nodes, "g", [vinfo("x", [1, c, hw, hw])],
                                  [vinfo("y", [1, 8, hw, hw])], initializer=inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)])
        onnx.checker.check_model(model)
        net, path, _ = self.import_ok(model)
        by = {l["name"]: l for l in net["layers"]}
        h, px = c // 2, hw * hw
        self.assertEqual(sorted(by), sorted(
            ["head"] + [u + n for u in ("u1_", "u2_") for n in
                        ("split", "split_2", "pw1", "dw", "pw2", "cat", "shuffle")]))
        self.assertEqual([by["u1_shuffle"]["type"], by["u1_shuffle"]["groups"],
                          by["u1_shuffle"]["inputs"]], ["shuffle", 2, ["u1_cat"]])
        self.assertEqual(by["u1_cat"]["inputs"], ["u1_split", "u1_pw2"])
        self.assertEqual([by["u2_split"]["inputs"], by["u2_split"]["channels"]],
                         [["u1_shuffle"], [0, h]])
        self.assertEqual(by["u2_split_2"]["channels"], [h, c])
        self.assertEqual(by["u1_pw1"]["inputs"], ["u1_split_2"])
        self.assertTrue(by["u1_pw1"]["bias"])  # batch norm folded
        self.assertEqual(by["u1_pw2"]["activation"], "relu")
        self.assertEqual(by["head"]["inputs"], ["u2_shuffle"])
        shapes = yaml_shapes(net)
        self.assertEqual(shapes["u2_shuffle"], ["shuffle", [c, hw, hw], 0, 0])
        unit_macs = px * (h * h + 9 * h + h * h)
        report = self.fusim_layer_by_layer(path)
        if report is None:
            self.skipTest("FUSIM_BIN not set")
        self.assertEqual(report["macs"], 2 * unit_macs + px * c * 8)
        self.assertEqual(report["params"], 2 * (2 * (h * h + h) + 9 * h + h) + 8 * c)
        layers = {l["name"]: l for l in report["layers"]}
        self.assertEqual([layers["u1_shuffle"]["unit"], layers["u1_shuffle"]["vector_ops"]],
                         ["vector", c * px])  # copied: the next unit's slices read it
        self.assertEqual([layers["u2_shuffle"]["unit"], layers["u2_shuffle"]["vector_ops"]],
                         ["none", 0])  # a view: the head reads the concat under it
        # Bytes, int8, layer by layer: per unit pw1 reads its half, dw and pw2 theirs; u1's
        # shuffle reads u1's concat and writes its copy; the head reads u2's concat.
        self.assertEqual(report["offchip_ifmap_read_bytes"], px * (2 * 3 * h + c + c))
        self.assertEqual(report["offchip_ofmap_write_bytes"], px * (2 * 3 * h + c + 8))
        for g in report["groups"]:
            self.assertEqual(g["offchip_read_bytes"], g["predicted_offchip_read_bytes"])
            self.assertEqual(g["offchip_write_bytes"], g["predicted_offchip_write_bytes"])

    def test_reshape_transpose_not_a_shuffle(self):
        """A Transpose with another perm is not a shuffle: it is refused, named."""
        N = helper.make_node
        nodes = [N("Reshape", ["x", "s5"], ["r"], name="view"),
                 N("Transpose", ["r"], ["t"], name="swap_hw", perm=[0, 1, 2, 4, 3]),
                 N("Reshape", ["t", "s4"], ["y"], name="back")]
        model = make_model(nodes, [vinfo("x", [1, 8, 4, 4])], [vinfo("y", [1, 8, 4, 4])],
                           [int64s("s5", [1, 2, 4, 4, 4]), int64s("s4", [1, 8, 4, 4])])
        refused(self, model, self.tmp, "Transpose node 'swap_hw'")


def f32s(name, value):
    return numpy_helper.from_array(np.array(value, dtype=np.float32), name)


def bert_layer_model(opset, decomposed, S=16, D=32, H=4, F=64, dynamic=False, hf=False,
                     distil=False):
    """One BERT encoder layer as torch.onnx writes it (Hugging Face BertLayer, no mask): Q, K, V
    MatMul + Add bias, Reshape [1, S, H, d] and Transpose (K to [1, H, d, S]), MatMul, Div by
    sqrt(d), Softmax, MatMul by V, Transpose and Reshape back, the output projection, residual
    Add, layer norm (LayerNormalization at opset 17, else decomposed), the Erf-GELU feed-forward
    block, residual Add, layer norm. `dynamic`: the Reshapes' shapes computed from the tensors'
    as Hugging Face's code writes them (x.size()[:-1] + (H, d); the merge from size(0), size(1)
    and D), with Shape, Slice, Gather, Unsqueeze, Cast and Concat. `hf`: the whole of
    Hugging Face's BertModel front as its export writes it: integer inputs input_ids,
    token_type_ids and attention_mask; the word and token-type embeddings gathered by them, the
    position embeddings gathered by the position_ids buffer sliced to the input's length (from
    Shape, folded), their sum and layer norm; the extended mask (1 - mask[:, None, None, :]) *
    -10000 added to the scaled scores. `distil`: DistilBERT's attention: Q divided by sqrt(d)
    before Q K^T, and the mask (mask == 0) reshaped to [1, 1, 1, S], expanded over the heads and
    queries, in a Where that fills the masked scores with the float minimum."""
    N = helper.make_node
    d = D // H
    inits = [int64s("heads_shape", [1, S, H, d]), int64s("seq_shape", [1, S, D]),
             f32s("sqrt_d", d ** 0.5), f32s("sqrt2", 2 ** 0.5), f32s("one", 1.0),
             f32s("half", 0.5), f32s("two", 2.0), f32s("eps", 1e-12)]
    nodes = []
    for i, (p, cin, cout) in enumerate([("q", D, D), ("k", D, D), ("v", D, D), ("o", D, D),
                                        ("f1", D, F), ("f2", F, D)]):
        inits += [init(p + "_w", [cin, cout], 10 + i), init(p + "_b", [cout], 20 + i)]
    for i, p in enumerate(("ln1", "ln2")):
        inits += [init(p + "_g", [D], 30 + i), init(p + "_beta", [D], 40 + i)]

    def linear(p, x):
        nodes.append(N("MatMul", [x, p + "_w"], [p + "_mm"], name=p + "_mm"))
        nodes.append(N("Add", [p + "_mm", p + "_b"], [p], name=p + "_bias"))
        return p

    def layer_norm(p, x):
        if not decomposed:
            nodes.append(N("LayerNormalization", [x, p + "_g", p + "_beta"], [p], name=p,
                           axis=-1, epsilon=1e-12))
            return p
        nodes.extend([
            N("ReduceMean", [x], [p + "_mean"], name=p + "_mean", axes=[-1]),
            N("Sub", [x, p + "_mean"], [p + "_d"], name=p + "_sub"),
            N("Pow", [p + "_d", "two"], [p + "_sq"], name=p + "_pow"),
            N("ReduceMean", [p + "_sq"], [p + "_var"], name=p + "_var", axes=[-1]),
            N("Add", [p + "_var", "eps"], [p + "_ve"], name=p + "_eps"),
            N("Sqrt", [p + "_ve"], [p + "_std"], name=p + "_sqrt"),
            N("Div", [p + "_d", p + "_std"], [p + "_n"], name=p + "_div"),
            N("Mul", [p + "_n", p + "_g"], [p + "_s"], name=p + "_scale"),
            N("Add", [p + "_s", p + "_beta"], [p], name=p)])
        return p

    if dynamic:
        inits += [int64s("i0", [0]), int64s("im1", [-1]), int64s("gi0", 0), int64s("gi1", 1),
                  int64s("hd", [H, d]), int64s("dd", [D]), int64s("ax0", [0])]

    def unsqueeze(x, y):  # axes: an attribute below opset 13, an input from 13
        if opset < 13:
            return N("Unsqueeze", [x], [y], axes=[0])
        return N("Unsqueeze", [x, "ax0"], [y])

    graph_inputs = [vinfo("x", [1, S, D])]
    if hf:
        V, P = 50, max(64, S)
        inits += [init("word_embeddings.weight", [V, D], 50), init("emb_ln_g", [D], 51),
                  init("token_type_embeddings.weight", [2, D], 52), init("emb_ln_b", [D], 53),
                  init("position_embeddings.weight", [P, D], 54),
                  numpy_helper.from_array(np.arange(P, dtype=np.int64)[None, :], "position_ids"),
                  int64s("zero", [0]), int64s("one_i", [1]), int64s("gi1", 1),
                  f32s("minus", -10000.0)]
        ids = lambda name: helper.make_tensor_value_info(name, TensorProto.INT64, [1, S])  # noqa
        graph_inputs = [ids("input_ids"), ids("token_type_ids"), ids("attention_mask")]
        nodes += [N("Gather", ["word_embeddings.weight", "input_ids"], ["we"], name="word"),
                  N("Gather", ["token_type_embeddings.weight", "token_type_ids"], ["te"],
                    name="token_type"),
                  N("Add", ["we", "te"], ["e1"], name="emb_add"),
                  N("Shape", ["input_ids"], ["ids_shape"]),
                  N("Gather", ["ids_shape", "gi1"], ["seq_len"], axis=0),
                  N("Unsqueeze", ["seq_len", "zero"], ["seq_end"]),
                  N("Slice", ["position_ids", "zero", "seq_end", "one_i"], ["pos_ids"]),
                  N("Gather", ["position_embeddings.weight", "pos_ids"], ["pe"]),
                  N("Add", ["e1", "pe"], ["e2"], name="pos_add"),
                  N("LayerNormalization", ["e2", "emb_ln_g", "emb_ln_b"], ["x"], name="emb_ln",
                    axis=-1, epsilon=1e-12),
                  N("Unsqueeze", ["attention_mask", "one_i"], ["m1"]),
                  N("Unsqueeze", ["m1", "two_i"], ["m2"]),
                  N("Cast", ["m2"], ["m3"], to=TensorProto.FLOAT),
                  N("Sub", ["one", "m3"], ["m4"]),
                  N("Mul", ["m4", "minus"], ["ext_mask"])]
        inits.append(int64s("two_i", [2]))
    for p, perm in (("q", [0, 2, 1, 3]), ("k", [0, 2, 3, 1]), ("v", [0, 2, 1, 3])):
        linear(p, "x")
        shape = "heads_shape"
        if dynamic:  # x.size()[:-1] + (H, d)
            shape = p + "_hs"
            nodes += [N("Shape", [p], [p + "_s"]),
                      N("Slice", [p + "_s", "i0", "im1"], [p + "_s2"]),
                      N("Concat", [p + "_s2", "hd"], [shape], axis=0)]
        nodes.append(N("Reshape", [p, shape], [p + "_r"], name=p + "_heads"))
        nodes.append(N("Transpose", [p + "_r"], [p + "_t"], name=p + "_t", perm=perm))
    if distil:
        graph_inputs.append(helper.make_tensor_value_info("attention_mask", TensorProto.INT64,
                                                          [1, S]))
        inits += [int64s("zero_i", 0), int64s("mask_shape", [1, 1, 1, S]),
                  int64s("scores_shape", [1, H, S, S]), f32s("fill", -3.4e38)]
        nodes += [N("Div", ["q_t", "sqrt_d"], ["q_s"], name="q_scale"),
                  N("MatMul", ["q_s", "k_t"], ["scores"], name="scores"),
                  N("Equal", ["attention_mask", "zero_i"], ["m0"]),
                  N("Reshape", ["m0", "mask_shape"], ["m1"]),
                  N("Expand", ["m1", "scores_shape"], ["m2"]),
                  N("Where", ["m2", "fill", "scores"], ["masked"], name="masked_fill")]
    else:
        nodes += [N("MatMul", ["q_t", "k_t"], ["scores"], name="scores"),
                  N("Div", ["scores", "sqrt_d"], ["scaled"], name="scale")]
    if hf:
        nodes.append(N("Add", ["scaled", "ext_mask"], ["masked"], name="mask_add"))
    nodes += [N("Softmax", ["masked" if hf or distil else "scaled"], ["probs"], name="probs",
                axis=-1),
              N("MatMul", ["probs", "v_t"], ["ctx"], name="ctx"),
              N("Transpose", ["ctx"], ["ctx_t"], name="ctx_t", perm=[0, 2, 1, 3])]
    merge = "seq_shape"
    if dynamic:  # (ctx.size(0), ctx.size(1), D), the sizes cast as torch writes them
        merge = "merge_shape"
        nodes += [N("Shape", ["ctx_t"], ["cs"]),
                  N("Gather", ["cs", "gi0"], ["n0"], axis=0),
                  N("Gather", ["cs", "gi1"], ["n1"], axis=0),
                  N("Cast", ["n1"], ["n1c"], to=TensorProto.INT64),
                  unsqueeze("n0", "n0u"), unsqueeze("n1c", "n1u"),
                  N("Concat", ["n0u", "n1u", "dd"], [merge], axis=0)]
    nodes.append(N("Reshape", ["ctx_t", merge], ["ctx_r"], name="ctx_merge"))
    linear("o", "ctx_r")
    nodes.append(N("Add", ["o", "x"], ["res1"], name="res1"))
    h = layer_norm("ln1", "res1")
    linear("f1", h)
    nodes += [N("Div", ["f1", "sqrt2"], ["g1"], name="g_div"),
              N("Erf", ["g1"], ["g2"], name="g_erf"),
              N("Add", ["g2", "one"], ["g3"], name="g_add"),
              N("Mul", ["f1", "g3"], ["g4"], name="g_mul"),
              N("Mul", ["g4", "half"], ["gelu"], name="gelu")]
    linear("f2", "gelu")
    nodes.append(N("Add", ["f2", "ln1"], ["res2"], name="res2"))
    layer_norm("ln2", "res2")
    graph = helper.make_graph(nodes, "bert_layer", graph_inputs,
                              [vinfo("ln2", [1, S, D])], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    onnx.checker.check_model(model)
    return model


class TransformerImportTest(CheckedImport):
    """A BERT encoder layer as torch.onnx writes it: MatMul + bias, the heads' Reshape and
    Transpose, Softmax, LayerNormalization (opset 17) or its decomposed form (opset 13), the
    Erf-GELU. Checked in the YAML and in fusim's report.json (shapes, MACs, parameters, vector
    operations)."""

    S, D, H, F = 16, 32, 4, 64

    def expected(self, ln1, ln2):
        S, D, H, F = self.S, self.D, self.H, self.F
        d = D // H
        lin = lambda n: ("gemm", "none", [n, S, 1], S * D * n, D * n + n, 0)  # noqa: E731
        seq = S * D
        return {
            "q_mm": lin(D), "k_mm": lin(D), "v_mm": lin(D), "o_mm": lin(D),
            # Per head: Q K^T (M = S, N = S, K = d) and P V (M = S, N = d, K = S).
            "scores": ("gemm", "none", [H * S, S, 1], H * S * S * d, 0, 0),
            "probs": ("softmax", "none", [H * S, S, 1], 0, 0, 5 * H * S * S + H * S),
            "ctx": ("gemm", "none", [D, S, 1], H * S * d * S, 0, 0),
            "res1": ("add", "none", [D, S, 1], 0, 0, seq),
            ln1: ("layernorm", "none", [D, S, 1], 0, 2 * D, 6 * seq + 3 * S),
            "f1_mm": ("gemm", "gelu", [F, S, 1], S * D * F, D * F + F, self.act_ops("gelu", S * F)),
            "f2_mm": ("gemm", "none", [D, S, 1], S * F * D, F * D + D, 0),
            "res2": ("add", "none", [D, S, 1], 0, 0, seq),
            ln2: ("layernorm", "none", [D, S, 1], 0, 2 * D, 6 * seq + 3 * S),
        }

    def check_attention(self, net, inputs=True):
        by = {l["name"]: l for l in net["layers"]}
        if inputs:
            self.assertEqual(net["inputs"], [{"name": "x", "shape": [self.D, self.S, 1]}])
        self.assertEqual((by["scores"]["inputs"], by["scores"]["heads"],
                          by["scores"]["transpose_b"]), (["q_mm", "k_mm"], self.H, True))
        self.assertEqual((by["ctx"]["inputs"], by["ctx"]["heads"]), (["probs", "v_mm"], self.H))
        self.assertNotIn("transpose_b", by["ctx"])
        self.assertEqual(by["probs"]["groups"], self.H)
        self.assertAlmostEqual(by["probs"]["scale"], 1 / (self.D // self.H) ** 0.5, places=6)
        self.assertEqual(by["o_mm"]["inputs"], ["ctx"])  # the merge of the heads is a view

    def test_bert_layer_opset17(self):
        net = self.check(bert_layer_model(17, False), self.expected("ln1", "ln2"))
        self.check_attention(net)
        by = {l["name"]: l for l in net["layers"]}
        self.assertEqual(by["ln2"]["inputs"], ["res2"])
        self.assertTrue(by["ln1"]["bias"])

    def test_hugging_face_embeddings_and_mask(self):
        """BertModel's front as Hugging Face exports it (bert_layer_model's `hf`): the
        embeddings gathered by the integer inputs are network inputs [D, S, 1] named after their
        tables, the position embeddings (a constant once the position ids fold) a network input
        added to them, the mask an input [heads S, 1, 1] added to the scores (one addition per
        score), the ids themselves no input; the layer is otherwise the one without them."""
        S, D, H = self.S, self.D, self.H
        exp = self.expected("ln1", "ln2")
        exp["emb_add"] = ("add", "none", [D, S, 1], 0, 0, S * D)
        exp["pos_add"] = ("add", "none", [D, S, 1], 0, 0, S * D)
        exp["emb_ln"] = ("layernorm", "none", [D, S, 1], 0, 2 * D, 6 * S * D + 3 * S)
        exp["mask_add"] = ("add", "none", [H * S, S, 1], 0, 0, H * S * S)
        net = self.check(bert_layer_model(17, False, hf=True), exp)
        self.assertEqual(net["inputs"], [
            {"name": "word_embeddings", "shape": [D, S, 1]},
            {"name": "token_type_embeddings", "shape": [D, S, 1]},
            {"name": "position_embeddings", "shape": [D, S, 1]},
            {"name": "attention_mask", "shape": [H * S, 1, 1]}])
        by = {l["name"]: l for l in net["layers"]}
        self.assertEqual(by["emb_add"]["inputs"], ["word_embeddings", "token_type_embeddings"])
        self.assertEqual(by["pos_add"]["inputs"], ["emb_add", "position_embeddings"])
        self.assertEqual(by["q_mm"]["inputs"], ["emb_ln"])
        self.assertEqual(by["mask_add"]["inputs"], ["scores", "attention_mask"])
        self.assertEqual(by["probs"]["inputs"], ["mask_add"])
        self.assertEqual(by["probs"]["groups"], H)
        self.assertAlmostEqual(by["probs"]["scale"], 1 / (D // H) ** 0.5, places=6)
        # An integer input read otherwise: named, with what fusim takes it as.
        N = helper.make_node
        ids = helper.make_tensor_value_info("ids", TensorProto.INT64, [1, 4, 8, 8])
        bad = make_model([N("Cast", ["ids"], ["f"], to=TensorProto.FLOAT),
                          N("Relu", ["f"], ["y"], name="relu_of_ids")],
                         [ids], [vinfo("y", [1, 4, 8, 8])], [])
        refused(self, bad, self.tmp, "Relu node 'relu_of_ids'", "integer input 'ids'")

    def test_distilbert_attention(self):
        """DistilBERT's attention as torch.onnx writes it: Q / sqrt(d) before Q K^T (the scale
        moves to the softmax, one multiply per score instead of per query element) and
        masked_fill as a Where over the mask expanded to [1, heads, S, S] (an add of the mask
        input [heads S, 1, 1], one operation per score)."""
        S, H = self.S, self.H
        exp = self.expected("ln1", "ln2")
        exp["masked_fill"] = ("add", "none", [H * S, S, 1], 0, 0, H * S * S)
        net = self.check(bert_layer_model(17, False, distil=True), exp)
        self.assertEqual(net["inputs"][1], {"name": "attention_mask", "shape": [H * S, 1, 1]})
        self.check_attention(net, inputs=False)
        by = {l["name"]: l for l in net["layers"]}
        self.assertEqual(by["masked_fill"]["inputs"], ["scores", "attention_mask"])
        self.assertEqual(by["probs"]["inputs"], ["masked_fill"])

    def test_bert_layer_decomposed_layer_norm(self):
        """Below opset 17 torch writes the layer norm as ReduceMean, Sub, Pow, ReduceMean, Add,
        Sqrt, Div, Mul, Add: one layernorm, named after the last Add."""
        net = self.check(bert_layer_model(13, True), self.expected("ln1", "ln2"))
        self.check_attention(net)

    def test_bert_layer_shapes_computed(self):
        """The Reshapes' shapes computed from the tensors' (Shape, Slice, Gather, Cast,
        Unsqueeze, Concat) as Hugging Face exports write them: evaluated to constants, the
        same layers as with constant shapes (opset 13; opset 11 with Unsqueeze's axes as an
        attribute)."""
        for opset in (11, 13):
            with self.subTest(opset=opset):
                static, _, _ = self.import_ok(bert_layer_model(opset, True))
                net = self.check(bert_layer_model(opset, True, dynamic=True),
                                 self.expected("ln1", "ln2"))
                self.check_attention(net)
                self.assertEqual(net["layers"], static["layers"])

    def test_reductions_and_refusals(self):
        """ReduceMean / ReduceSum over the features are reduce layers; a Softmax over the
        tokens and a Transpose fusim cannot express are refused, named."""
        N = helper.make_node
        nodes = [N("ReduceMean", ["x"], ["m"], name="feat_mean", axes=[-1], keepdims=1),
                 N("ReduceSum", ["x", "ax"], ["s"], name="feat_sum", keepdims=1),
                 N("Softmax", ["x"], ["p"], name="feat_softmax", axis=-1)]
        model = make_model(nodes, [vinfo("x", [1, 8, 16])],
                           [vinfo("m", [1, 8, 1]), vinfo("s", [1, 8, 1]), vinfo("p", [1, 8, 16])],
                           [int64s("ax", [2])])
        self.check(model, {
            "feat_mean": ("reduce", "none", [1, 8, 1], 0, 0, 8 * 16 + 8),
            "feat_sum": ("reduce", "none", [1, 8, 1], 0, 0, 8 * 16),
            "feat_softmax": ("softmax", "none", [16, 8, 1], 0, 0, 5 * 128 + 8),
        })
        bad = make_model([N("Softmax", ["x"], ["p"], name="token_softmax", axis=1),
                          N("Transpose", ["x"], ["t"], name="odd_transpose", perm=[1, 0, 2])],
                         [vinfo("x", [1, 8, 16])], [vinfo("p", [1, 8, 16]), vinfo("t", [8, 1, 16])],
                         [])
        refused(self, bad, self.tmp,
                "Softmax node 'token_softmax'",
                "Transpose node 'odd_transpose'")


def layer_norm_nodes(p, x, D, decomposed, seed, eps):
    """A layer norm of x over its last axis named p (its scale and bias initializers p_g and
    p_beta, random from `seed`): LayerNormalization (opset 17), or, `decomposed`, as torch
    writes it below opset 17 (ReduceMean, Sub, Pow by the constant "two", ReduceMean, Add of
    the constant "eps", Sqrt, Div, Mul, Add; the model holds both constants). Returns (nodes,
    initializers)."""
    N = helper.make_node
    inits = [init(p + "_g", [D], seed), init(p + "_beta", [D], seed + 1)]
    if not decomposed:
        return [N("LayerNormalization", [x, p + "_g", p + "_beta"], [p], name=p, axis=-1,
                  epsilon=eps)], inits
    return [N("ReduceMean", [x], [p + "_mean"], axes=[-1]),
            N("Sub", [x, p + "_mean"], [p + "_d"]),
            N("Pow", [p + "_d", "two"], [p + "_sq"]),
            N("ReduceMean", [p + "_sq"], [p + "_var"], axes=[-1]),
            N("Add", [p + "_var", "eps"], [p + "_ve"]),
            N("Sqrt", [p + "_ve"], [p + "_std"]),
            N("Div", [p + "_d", p + "_std"], [p + "_n"]),
            N("Mul", [p + "_n", p + "_g"], [p + "_s"]),
            N("Add", [p + "_s", p + "_beta"], [p], name=p)], inits


def vit_model(opset, unbind="split", sdpa=False, S_side=4, P=8, D=32, H=4, F=64, depth=2,
              classes=10, avg=False):
    """timm's VisionTransformer (class token, pre-norm blocks with a fused qkv projection,
    Erf-GELU MLP, final norm, the class token's features into the head) as torch.onnx writes it
    in eval mode: the patch embedding's Conv (kernel = stride = P), x.flatten(2).transpose(1,
    2) as a Reshape to [1, D, -1] and a Transpose; the class token expanded over the batch with
    torch's expand(x.shape[0], -1, -1) (Shape, Gather, Unsqueeze, Concat, ConstantOfShape, Mul,
    Equal, Where, Expand) and concatenated along the tokens; the position embedding added;
    qkv.reshape(B, N, 3, heads, d).permute(2, 0, 3, 1, 4); q, k, v by `unbind`: "split" (Split
    and Squeeze, opset 13+) or "gather" (qkv[0], qkv[1], qkv[2]); attention as timm writes it
    without fused attention (q * scale, q @ k.transpose(-2, -1), softmax, @ v), or with `sdpa`
    as torch exports F.scaled_dot_product_attention at opset 14 (q and k^T each multiplied by
    the square root of the scale, computed from q's shape by Shape, Slice, Cast, Sqrt, Div and
    Sqrt); the layer norm LayerNormalization at opset 17, decomposed below; then x[:, 0] (a
    Gather along axis 1), or with `avg` timm's global_pool="avg" (x[:, 1:] by a Slice, then
    its mean over the tokens), and the head's Gemm."""
    N = helper.make_node
    d = D // H
    S = S_side * S_side + 1
    img = S_side * P
    nodes = []
    inits = [init("pe_w", [D, 3, P, P], 1), init("pe_b", [D], 2),
             init("cls_token", [1, 1, D], 3), init("pos_embed", [1, S, D], 4),
             int64s("flat_shape", [1, D, -1]), int64s("qkv_shape", [1, S, 3, H, d]),
             int64s("seq_shape", [1, S, D]), int64s("gi0", 0), int64s("ax0", [0]),
             int64s("minus_ones", [-1, -1]), int64s("neg1", -1),
             f32s("scale", d ** -0.5), f32s("sqrt2", 2 ** 0.5), f32s("one", 1.0),
             f32s("half", 0.5), f32s("two", 2.0), f32s("eps", 1e-6),
             init("head_w", [classes, D], 5), init("head_b", [classes], 6)]
    nodes += [N("Conv", ["x", "pe_w", "pe_b"], ["pe"], name="patch_embed", kernel_shape=[P, P],
                strides=[P, P]),
              N("Reshape", ["pe", "flat_shape"], ["pe_f"], name="flatten"),
              N("Transpose", ["pe_f"], ["tok"], name="to_tokens", perm=[0, 2, 1]),
              # torch's expand(x.shape[0], -1, -1)
              N("Shape", ["tok"], ["tok_shape"]),
              N("Gather", ["tok_shape", "gi0"], ["batch"], axis=0),
              N("Unsqueeze", ["batch", "ax0"], ["batch1"]),
              N("Concat", ["batch1", "minus_ones"], ["size"], axis=0),
              N("Shape", ["size"], ["size_shape"]),
              N("ConstantOfShape", ["size_shape"], ["ones"],
                value=numpy_helper.from_array(np.array([1], dtype=np.int64))),
              N("Mul", ["ones", "neg1"], ["neg_ones"]),
              N("Equal", ["size", "neg_ones"], ["is_neg"]),
              N("Where", ["is_neg", "ones", "size"], ["size1"]),
              N("Expand", ["cls_token", "size1"], ["cls"]),
              N("Concat", ["cls", "tok"], ["t0"], name="cls_concat", axis=1),
              N("Add", ["t0", "pos_embed"], ["t_0"], name="pos_add")]

    def linear(p, x, cin, cout, seed):
        inits.extend([init(p + "_w", [cin, cout], seed), init(p + "_b", [cout], seed + 1)])
        nodes.append(N("MatMul", [x, p + "_w"], [p + "_mm"], name=p))
        nodes.append(N("Add", [p + "_mm", p + "_b"], [p + "_out"], name=p + "_bias"))
        return p + "_out"

    def layer_norm(p, x, seed):
        more, more_inits = layer_norm_nodes(p, x, D, opset < 17, seed, 1e-6)
        nodes.extend(more)
        inits.extend(more_inits)
        return p

    if sdpa:  # the scale from q's last dimension, as torch's symbolic computes it
        inits += [int64s("last", [-1]), int64s("big", [2 ** 62])]
    x = "t_0"
    for b in range(depth):
        p = "b%d_" % b
        ln1 = layer_norm(p + "ln1", x, 100 * b + 10)
        qkv = linear(p + "qkv", ln1, D, 3 * D, 100 * b + 20)
        nodes += [N("Reshape", [qkv, "qkv_shape"], [p + "qkv_r"]),
                  N("Transpose", [p + "qkv_r"], [p + "qkv_t"], perm=[2, 0, 3, 1, 4])]
        q, k, v = (p + n for n in ("q", "k", "v"))
        if unbind == "split":
            inits.append(int64s(p + "split", [1, 1, 1]))
            nodes.append(N("Split", [p + "qkv_t", p + "split"],
                           [q + "_5", k + "_5", v + "_5"], axis=0))
            nodes += [N("Squeeze", [t + "_5", "ax0"], [t], name=t) for t in (q, k, v)]
        else:
            for i, t in enumerate((q, k, v)):
                inits.append(int64s(t + "_i", i))
                nodes.append(N("Gather", [p + "qkv_t", t + "_i"], [t], name=t, axis=0))
        if sdpa:
            nodes += [N("Shape", [q], [p + "qs"]),
                      N("Slice", [p + "qs", "last", "big"], [p + "qd"]),
                      N("Cast", [p + "qd"], [p + "qdf"], to=TensorProto.FLOAT),
                      N("Sqrt", [p + "qdf"], [p + "qsq"]),
                      N("Div", ["one", p + "qsq"], [p + "sc"]),
                      N("Sqrt", [p + "sc"], [p + "sqrt_sc"]),
                      N("Mul", [q, p + "sqrt_sc"], [p + "q_s"]),
                      N("Transpose", [k], [p + "kT"], perm=[0, 1, 3, 2]),
                      N("Mul", [p + "kT", p + "sqrt_sc"], [p + "kT_s"]),
                      N("MatMul", [p + "q_s", p + "kT_s"], [p + "attn"], name=p + "scores")]
        else:
            nodes += [N("Mul", [q, "scale"], [p + "q_s"]),
                      N("Transpose", [k], [p + "kT"], perm=[0, 1, 3, 2]),
                      N("MatMul", [p + "q_s", p + "kT"], [p + "attn"], name=p + "scores")]
        nodes += [N("Softmax", [p + "attn"], [p + "probs"], name=p + "probs", axis=-1),
                  N("MatMul", [p + "probs", v], [p + "ctx"], name=p + "ctx"),
                  N("Transpose", [p + "ctx"], [p + "ctx_t"], perm=[0, 2, 1, 3]),
                  N("Reshape", [p + "ctx_t", "seq_shape"], [p + "ctx_r"])]
        proj = linear(p + "proj", p + "ctx_r", D, D, 100 * b + 30)
        nodes.append(N("Add", [x, proj], [p + "res1"], name=p + "res1"))
        ln2 = layer_norm(p + "ln2", p + "res1", 100 * b + 40)
        f1 = linear(p + "fc1", ln2, D, F, 100 * b + 50)
        nodes += [N("Div", [f1, "sqrt2"], [p + "g1"]), N("Erf", [p + "g1"], [p + "g2"]),
                  N("Add", [p + "g2", "one"], [p + "g3"]),
                  N("Mul", [f1, p + "g3"], [p + "g4"]),
                  N("Mul", [p + "g4", "half"], [p + "gelu"], name=p + "gelu")]
        f2 = linear(p + "fc2", p + "gelu", F, D, 100 * b + 60)
        nodes.append(N("Add", [p + "res1", f2], [p + "res2"], name=p + "res2"))
        x = p + "res2"
    norm = layer_norm("norm", x, 900)
    if avg:
        inits += [int64s("one_i", [1]), int64s("big", [2 ** 62]), int64s("ax1", [1])]
        nodes += [N("Slice", [norm, "one_i", "big", "ax1"], ["patch_out"], name="patch_tokens"),
                  N("ReduceMean", ["patch_out"], ["cls_out"], name="token_mean", axes=[1],
                    keepdims=0)]
    else:
        nodes.append(N("Gather", [norm, "gi0"], ["cls_out"], name="cls_select", axis=1))
    nodes.append(N("Gemm", ["cls_out", "head_w", "head_b"], ["logits"], name="head", transB=1))
    graph = helper.make_graph(nodes, "vit", [vinfo("x", [1, 3, img, img])],
                              [vinfo("logits", [1, classes])], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    onnx.checker.check_model(model)
    return model


class VitImportTest(CheckedImport):
    """timm's ViT as torch.onnx writes it (vit_model): the patch embedding, class token and
    position embedding, the fused qkv projection split into the heads, x[:, 0] before the head.
    Checked in the YAML and in fusim's report.json (shapes, MACs, parameters, vector
    operations), and, layer by layer, the off-chip bytes the qkv slices are read with."""

    side, P, D, H, F, classes = 4, 8, 32, 4, 64, 10

    def expected(self, unbind_names, ln=("ln1", "ln2", "norm")):
        S, D, H, F, P = self.side ** 2 + 1, self.D, self.H, self.F, self.P
        d, T, k = D // H, S - 1, 3 * P * P
        seq = S * D
        lin = lambda n, cin: ("gemm", "none", [n, S, 1], S * cin * n, cin * n + n, 0)  # noqa
        exp = {
            # The conv as a gemm over the 16 patches of 3 x 8 x 8 pixels.
            "patch_embed": ("gemm", "none", [D, T, 1], T * k * D, k * D + D, 0),
            # The class token: a pad of one row above the patches, a move per output element.
            "cls_concat": ("pad", "none", [D, S, 1], 0, 0, seq),
            "pos_add": ("add", "none", [D, S, 1], 0, 0, seq),
            "norm": ("layernorm", "none", [D, S, 1], 0, 2 * D, 6 * seq + 3 * S),
            # x[:, 0]: row 0 copied (the rest cropped), one move per feature.
            "cls_select": ("pad", "none", [D, 1, 1], 0, 0, D),
            "head": ("fc", "none", [self.classes, 1, 1], D * self.classes,
                     D * self.classes + self.classes, 0),
        }
        for b in range(2):
            p = "b%d_" % b
            exp.update({
                p + "ln1": ("layernorm", "none", [D, S, 1], 0, 2 * D, 6 * seq + 3 * S),
                p + "qkv": lin(3 * D, D),
                p + "scores": ("gemm", "none", [H * S, S, 1], H * S * S * d, 0, 0),
                p + "probs": ("softmax", "none", [H * S, S, 1], 0, 0, 5 * H * S * S + H * S),
                p + "ctx": ("gemm", "none", [D, S, 1], H * S * d * S, 0, 0),
                p + "proj": lin(D, D),
                p + "res1": ("add", "none", [D, S, 1], 0, 0, seq),
                p + "ln2": ("layernorm", "none", [D, S, 1], 0, 2 * D, 6 * seq + 3 * S),
                p + "fc1": ("gemm", "gelu", [F, S, 1], S * D * F, D * F + F,
                            self.act_ops("gelu", S * F)),
                p + "fc2": lin(D, F),
                p + "res2": ("add", "none", [D, S, 1], 0, 0, seq),
            })
            for t in ("q", "k", "v"):
                exp[unbind_names(p, t)] = ("slice", "none", [D, S, 1], 0, 0, 0)
        return exp

    def check_vit(self, net, q_name):
        S, D, H = self.side ** 2 + 1, self.D, self.H
        by = {l["name"]: l for l in net["layers"]}
        # The image read as its patches; the position embedding an input of its own.
        self.assertEqual(net["inputs"], [{"name": "x", "shape": [3 * self.P ** 2, S - 1, 1]},
                                         {"name": "pos_embed", "shape": [D, S, 1]}])
        self.assertEqual(by["cls_concat"]["padding"], [1, 0, 0, 0])
        self.assertEqual(by["pos_add"]["inputs"], ["cls_concat", "pos_embed"])
        self.assertEqual(by["cls_select"]["padding"], [0, 0, 1 - S, 0])
        for b in range(2):
            p = "b%d_" % b
            q, k, v = (q_name(p, t) for t in ("q", "k", "v"))
            self.assertEqual([by[t]["channels"] for t in (q, k, v)],
                             [[0, D], [D, 2 * D], [2 * D, 3 * D]])
            self.assertEqual([by[t]["inputs"] for t in (q, k, v)], [[p + "qkv"]] * 3)
            self.assertEqual((by[p + "scores"]["inputs"], by[p + "scores"]["heads"],
                              by[p + "scores"]["transpose_b"]), ([q, k], H, True))
            self.assertEqual((by[p + "ctx"]["inputs"], by[p + "ctx"]["heads"]), ([p + "probs", v], H))
            self.assertAlmostEqual(by[p + "probs"]["scale"], 1 / (D // H) ** 0.5, places=6)
            self.assertEqual(by[p + "proj"]["inputs"], [p + "ctx"])

    def test_vit_unbind_split_opset17(self):
        names = lambda p, t: p + t  # noqa: E731 - the Squeeze after the Split
        net = self.check(vit_model(17), self.expected(names))
        self.check_vit(net, names)

    def test_vit_gather_decomposed_layer_norm(self):
        names = lambda p, t: p + t  # noqa: E731 - the Gathers
        net = self.check(vit_model(13, unbind="gather"), self.expected(names))
        self.check_vit(net, names)

    def test_vit_scaled_dot_product_attention(self):
        """F.scaled_dot_product_attention as torch exports it at opset 14: the square root of
        the scale on q and on k^T, computed from q's shape, one softmax scale of 1 / sqrt(d)."""
        names = lambda p, t: p + t  # noqa: E731
        net = self.check(vit_model(14, sdpa=True), self.expected(names))
        self.check_vit(net, names)

    def test_qkv_slices_read_once_layer_by_layer(self):
        """Layer by layer (--fusion none on one core), the scores read q and k and the context
        reads v from the qkv projection's output, each a slice of a third of its channels read
        token by token: S D bytes each, once."""
        fusim = os.environ.get("FUSIM_BIN")
        if not fusim:
            self.skipTest("FUSIM_BIN not set")
        _, path, _ = self.import_ok(vit_model(17))
        out = os.path.join(self.tmp, "out")
        p = subprocess.run([fusim, "--arch", ARCH, "--net", path, "--out", out, "--quiet",
                            "--fusion", "none", "--cores", "1", "--shared-fmaps", "off"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True, cwd=ROOT)
        self.assertEqual(p.returncode, 0, p.stderr)
        with open(os.path.join(out, "report.json")) as f:
            report = json.load(f)
        groups = {tuple(g["layers"]): g for g in report["groups"]}
        S, D = self.side ** 2 + 1, self.D
        for b in ("b0_", "b1_"):
            self.assertEqual(groups[(b + "scores",)]["offchip_read_bytes"], 2 * S * D)
            # The probabilities [heads S, S] and v.
            self.assertEqual(groups[(b + "ctx",)]["offchip_read_bytes"], self.H * S * S + S * D)
        for g in report["groups"]:
            self.assertEqual(g["offchip_read_bytes"], g["predicted_offchip_read_bytes"])
            self.assertEqual(g["offchip_write_bytes"], g["predicted_offchip_write_bytes"])

    def test_vit_average_pool(self):
        """timm's global_pool="avg": x[:, 1:] (a Slice along the tokens) is a pad cropping the
        class token's row, then the mean over the patches' tokens a global average pool."""
        S, D = self.side ** 2 + 1, self.D
        names = lambda p, t: p + t  # noqa: E731
        exp = self.expected(names)
        del exp["cls_select"]
        exp["patch_tokens"] = ("pad", "none", [D, S - 1, 1], 0, 0, D * (S - 1))
        exp["token_mean"] = ("pool", "none", [D, 1, 1], 0, 0, D * (S - 1))
        net = self.check(vit_model(17, avg=True), exp)
        by = {l["name"]: l for l in net["layers"]}
        self.assertEqual(by["patch_tokens"]["padding"], [-1, 0, 0, 0])
        self.assertEqual(by["head"]["inputs"], ["token_mean"])

    def test_vit_refusals(self):
        """A map made a sequence other than by a patch embedding, and a Gather of a feature,
        are refused, named; any token is taken (DeiT's distillation token, x[:, 1])."""
        N = helper.make_node
        inits = [init("w", [8, 3, 3, 3], 1), int64s("flat", [1, 8, -1]), int64s("i3", 3)]
        bad = make_model([N("Conv", ["x", "w"], ["c"], name="overlapping", kernel_shape=[3, 3],
                            pads=[1, 1, 1, 1]),
                          N("Reshape", ["c", "flat"], ["f"]),
                          N("Transpose", ["f"], ["t"], perm=[0, 2, 1]),
                          N("Gather", ["t", "i3"], ["y"], name="fourth_token", axis=1)],
                         [vinfo("x", [1, 3, 4, 4])], [vinfo("y", [1, 8])], inits)
        refused(self, bad, self.tmp, "Conv node 'overlapping'", "patch embedding")
        bad = make_model([N("Gather", ["s", "i3"], ["y"], name="fourth_feature", axis=2)],
                         [vinfo("s", [1, 6, 8])], [vinfo("y", [1, 6])], inits[2:])
        refused(self, bad, self.tmp, "Gather node 'fourth_feature'", "axis 2")
        ok = make_model([N("Gather", ["s", "i3"], ["y"], name="fourth_token", axis=1)],
                        [vinfo("s", [1, 6, 8])], [vinfo("y", [1, 8])], inits[2:])
        net, _, _ = self.import_ok(ok)
        self.assertEqual([(l["type"], l["padding"]) for l in net["layers"]],
                         [("pad", [-3, 0, -2, 0])])


def gpt2_model(opset=14, S=8, D=32, H=4, V=50, P=16, depth=2, float_mask=False,
               gelu="gpt2"):
    """Hugging Face's GPT2LMHeadModel as torch.onnx writes it (no past, eval): integer
    input_ids; the token embeddings gathered by them, the position embeddings gathered by
    arange(S) (folded); per block ln_1, the Conv1D c_attn (x.view(-1, D), Gemm with its bias,
    view back), split(D, dim=2) into q, k, v, the heads' view and permute, q @ k^T divided by
    value.size(-1) ** 0.5 (Shape, Gather, Cast, Pow: folded), the causal mask sliced from the
    `bias` buffer by the keys' and queries' lengths (folded) in a Where with the float minimum
    (with `float_mask`: an Add of a constant 0 / -inf mask instead), Softmax, @ v, the heads
    merged, c_proj, the residual; ln_2, the MLP's c_fc, gelu_new (the tanh approximation as
    GPT-2 writes it: 0.5 * x * (1 + tanh(...)); "torch": as torch exports
    F.gelu(approximate="tanh"), (x * 0.5) last), c_proj, the residual; ln_f and the tied
    lm_head (MatMul by the embeddings' transpose, an initializer). Layer norms are
    LayerNormalization at opset 17 and above, decomposed below."""
    N = helper.make_node
    d = D // H
    nodes, inits = [], []
    inits += [init("wte", [V, D], 1), init("wpe", [P, D], 2),
              numpy_helper.from_array(np.tril(np.ones((P, P), dtype=bool))[None, None], "bias"),
              int64s("gi0", 0), int64s("gi1", 1), int64s("gi2", 2), int64s("gi3", 3),
              int64s("ax0", [0]), int64s("flat2", [-1, D]), int64s("seq3", [1, S, D]),
              int64s("heads_shape", [1, S, H, d]), int64s("ax23", [2, 3]),
              int64s("zero", [0]), f32s("minval", np.finfo(np.float32).min), f32s("half", 0.5),
              f32s("one", 1.0), f32s("kappa", 0.044715), f32s("beta", (2 / np.pi) ** 0.5),
              f32s("three", 3.0), f32s("eps", 1e-5), f32s("two", 2.0),
              init("lm_head", [D, V], 3)]
    ids = helper.make_tensor_value_info("input_ids", TensorProto.INT64, [1, S])
    nodes += [N("Shape", ["input_ids"], ["ids_shape"]),
              N("Gather", ["ids_shape", "gi1"], ["seq_len"], axis=0),
              N("Range", ["zero_s", "seq_len", "one_s"], ["pos"]),
              N("Unsqueeze", ["pos", "ax0"], ["pos_ids"]),
              N("Gather", ["wte", "input_ids"], ["inputs_embeds"], name="wte_gather"),
              N("Gather", ["wpe", "pos_ids"], ["position_embeds"]),
              N("Add", ["inputs_embeds", "position_embeds"], ["h0"], name="embed_add")]
    inits += [int64s("zero_s", 0), int64s("one_s", 1)]

    def layer_norm(p, x, seed):
        more, more_inits = layer_norm_nodes(p, x, D, opset < 17, seed, 1e-5)
        nodes.extend(more)
        inits.extend(more_inits)
        return p

    def conv1d(p, x, nin, nout, seed):
        """HF's Conv1D: x.view(-1, nin), addmm (a Gemm with the bias), view back."""
        inits.extend([init(p + "_w", [nin, nout], seed), init(p + "_b", [nout], seed + 1),
                      int64s(p + "_out_shape", [1, S, nout])])
        nodes.extend([N("Reshape", [x, "flat2" if nin == D else p + "_flat"], [p + "_2d"]),
                      N("Gemm", [p + "_2d", p + "_w", p + "_b"], [p + "_mm"], name=p),
                      N("Reshape", [p + "_mm", p + "_out_shape"], [p + "_out"])])
        if nin != D:
            inits.append(int64s(p + "_flat", [-1, nin]))
        return p + "_out"

    x = "h0"
    for b in range(depth):
        p = "h%d_" % b
        ln1 = layer_norm(p + "ln_1", x, 100 * b + 10)
        qkv = conv1d(p + "c_attn", ln1, D, 3 * D, 100 * b + 20)
        inits.append(int64s(p + "split", [D, D, D]))
        nodes.append(N("Split", [qkv, p + "split"], [p + "q0", p + "k0", p + "v0"], axis=2,
                       name=p + "split"))
        for t in ("q", "k", "v"):
            nodes += [N("Reshape", [p + t + "0", "heads_shape"], [p + t + "_h"]),
                      N("Transpose", [p + t + "_h"], [p + t], perm=[0, 2, 1, 3])]
        nodes += [N("Transpose", [p + "k"], [p + "kT"], perm=[0, 1, 3, 2]),
                  N("MatMul", [p + "q", p + "kT"], [p + "w"], name=p + "scores"),
                  # value.size(-1) ** 0.5
                  N("Shape", [p + "v"], [p + "vs"]),
                  N("Gather", [p + "vs", "gi3"], [p + "vd"], axis=0),
                  N("Cast", [p + "vd"], [p + "vdf"], to=TensorProto.FLOAT),
                  N("Pow", [p + "vdf", "half"], [p + "sqrt_d"]),
                  N("Div", [p + "w", p + "sqrt_d"], [p + "ws"])]
        if float_mask:
            inits.append(numpy_helper.from_array(
                np.triu(np.full((S, S), -np.inf, dtype=np.float32), 1)[None, None],
                p + "causal"))
            nodes.append(N("Add", [p + "ws", p + "causal"], [p + "masked"], name=p + "mask"))
        else:
            # bias[:, :, key_length - query_length : key_length, :key_length]
            nodes += [N("Shape", [p + "q"], [p + "qs"]),
                      N("Gather", [p + "qs", "gi2"], [p + "ql"], axis=0),
                      N("Shape", [p + "k"], [p + "ks"]),
                      N("Gather", [p + "ks", "gi2"], [p + "kl"], axis=0),
                      N("Sub", [p + "kl", p + "ql"], [p + "st"]),
                      N("Unsqueeze", [p + "st", "ax0"], [p + "st1"]),
                      N("Unsqueeze", [p + "kl", "ax0"], [p + "kl1"]),
                      N("Concat", [p + "st1", "zero"], [p + "starts"], axis=0),
                      N("Concat", [p + "kl1", p + "kl1"], [p + "ends"], axis=0),
                      N("Slice", ["bias", p + "starts", p + "ends", "ax23"], [p + "cmask"]),
                      N("Where", [p + "cmask", p + "ws", "minval"], [p + "masked"],
                        name=p + "mask")]
        nodes += [N("Softmax", [p + "masked"], [p + "probs"], name=p + "probs", axis=-1),
                  N("MatMul", [p + "probs", p + "v"], [p + "ctx"], name=p + "ctx"),
                  N("Transpose", [p + "ctx"], [p + "ctx_t"], perm=[0, 2, 1, 3]),
                  N("Reshape", [p + "ctx_t", "seq3"], [p + "merged"])]
        proj = conv1d(p + "attn_proj", p + "merged", D, D, 100 * b + 30)
        nodes.append(N("Add", [proj, x], [p + "res1"], name=p + "res1"))
        ln2 = layer_norm(p + "ln_2", p + "res1", 100 * b + 40)
        h = conv1d(p + "c_fc", ln2, D, 4 * D, 100 * b + 50)
        if gelu == "gpt2":  # 0.5 * x * (1.0 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))
            nodes += [N("Mul", [h, "half"], [p + "g0"]),
                      N("Pow", [h, "three"], [p + "g1"]),
                      N("Mul", [p + "g1", "kappa"], [p + "g2"]),
                      N("Add", [h, p + "g2"], [p + "g3"]),
                      N("Mul", [p + "g3", "beta"], [p + "g4"]),
                      N("Tanh", [p + "g4"], [p + "g5"]),
                      N("Add", [p + "g5", "one"], [p + "g6"]),
                      N("Mul", [p + "g0", p + "g6"], [p + "gelu"], name=p + "gelu")]
        else:  # torch's symbolic: the inner product first, x * 0.5 after the tanh
            nodes += [N("Pow", [h, "three"], [p + "g1"]),
                      N("Mul", ["kappa", p + "g1"], [p + "g2"]),
                      N("Add", [h, p + "g2"], [p + "g3"]),
                      N("Mul", ["beta", p + "g3"], [p + "g4"]),
                      N("Tanh", [p + "g4"], [p + "g5"]),
                      N("Mul", [h, "half"], [p + "g0"]),
                      N("Add", ["one", p + "g5"], [p + "g6"]),
                      N("Mul", [p + "g0", p + "g6"], [p + "gelu"], name=p + "gelu")]
        f = conv1d(p + "mlp_proj", p + "gelu", 4 * D, D, 100 * b + 60)
        nodes.append(N("Add", [p + "res1", f], [p + "res2"], name=p + "res2"))
        x = p + "res2"
    lnf = layer_norm("ln_f", x, 900)
    nodes.append(N("MatMul", [lnf, "lm_head"], ["logits"], name="lm_head"))
    graph = helper.make_graph(nodes, "gpt2", [ids], [vinfo("logits", [1, S, V])],
                              initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    onnx.checker.check_model(model)
    return model


class Gpt2ImportTest(CheckedImport):
    """Hugging Face's GPT-2 as torch.onnx writes it (gpt2_model): Conv1D's Gemm over the
    tokens as rows, the split of c_attn's output along the features, the causal mask, the
    tanh GELU. Checked in the YAML and in fusim's report.json."""

    S, D, H, V = 8, 32, 4, 50

    def expected(self, ln):
        S, D, H, V = self.S, self.D, self.H, self.V
        d, seq = D // H, S * D
        lin = lambda n, cin, act="none": (  # noqa: E731
            "gemm", act, [n, S, 1], S * cin * n, cin * n + n,
            0 if act == "none" else self.act_ops(act, S * n))
        exp = {"embed_add": ("add", "none", [D, S, 1], 0, 0, seq),
               ln("ln_f"): ("layernorm", "none", [D, S, 1], 0, 2 * D, 6 * seq + 3 * S),
               "lm_head": ("gemm", "none", [V, S, 1], S * D * V, D * V, 0)}
        for b in range(2):
            p = "h%d_" % b
            exp.update({
                ln(p + "ln_1"): ("layernorm", "none", [D, S, 1], 0, 2 * D, 6 * seq + 3 * S),
                p + "c_attn": lin(3 * D, D),
                p + "split": ("slice", "none", [D, S, 1], 0, 0, 0),
                p + "split_2": ("slice", "none", [D, S, 1], 0, 0, 0),
                p + "split_3": ("slice", "none", [D, S, 1], 0, 0, 0),
                p + "scores": ("gemm", "none", [H * S, S, 1], H * S * S * d, 0, 0),
                # The causal mask: one select per score more.
                p + "probs": ("softmax", "none", [H * S, S, 1], 0, 0, 6 * H * S * S + H * S),
                p + "ctx": ("gemm", "none", [D, S, 1], H * S * d * S, 0, 0),
                p + "attn_proj": lin(D, D),
                p + "res1": ("add", "none", [D, S, 1], 0, 0, seq),
                ln(p + "ln_2"): ("layernorm", "none", [D, S, 1], 0, 2 * D, 6 * seq + 3 * S),
                p + "c_fc": lin(4 * D, D, "gelu"),
                p + "mlp_proj": lin(D, 4 * D),
                p + "res2": ("add", "none", [D, S, 1], 0, 0, seq),
            })
        return exp

    def check_gpt2(self, net):
        S, D, H = self.S, self.D, self.H
        by = {l["name"]: l for l in net["layers"]}
        self.assertEqual(net["inputs"], [{"name": "wte", "shape": [D, S, 1]},
                                         {"name": "wpe", "shape": [D, S, 1]}])
        for b in range(2):
            p = "h%d_" % b
            self.assertEqual([by[p + t]["channels"] for t in ("split", "split_2", "split_3")],
                             [[0, D], [D, 2 * D], [2 * D, 3 * D]])
            self.assertEqual((by[p + "scores"]["inputs"], by[p + "scores"]["transpose_b"]),
                             ([p + "split", p + "split_2"], True))
            self.assertEqual(by[p + "ctx"]["inputs"], [p + "probs", p + "split_3"])
            self.assertTrue(by[p + "probs"]["causal"])
            self.assertEqual(by[p + "probs"]["groups"], H)
            self.assertAlmostEqual(by[p + "probs"]["scale"], 1 / (D // H) ** 0.5, places=6)
            self.assertEqual(by[p + "c_fc"]["activation"], "gelu")

    def test_gpt2_opset14_where_mask(self):
        net = self.check(gpt2_model(14), self.expected(lambda n: n))
        self.check_gpt2(net)

    def test_gpt2_opset17_float_mask_torch_gelu(self):
        net = self.check(gpt2_model(17, float_mask=True, gelu="torch"),
                         self.expected(lambda n: n))
        self.check_gpt2(net)

    def test_not_causal_refused(self):
        """A constant mask that is not causal (a band) is not taken for one: refused, named."""
        N = helper.make_node
        band = np.tril(np.ones((4, 4), dtype=bool)) & np.triu(np.ones((4, 4), dtype=bool), -1)
        model = make_model(
            [N("Transpose", ["x"], ["kT"], perm=[0, 2, 1]),
             N("MatMul", ["x", "kT"], ["s"], name="scores"),
             N("Where", ["band", "s", "fill"], ["m"], name="band_mask"),
             N("Softmax", ["m"], ["p"], axis=-1)],
            [vinfo("x", [1, 4, 8])], [vinfo("p", [1, 4, 4])],
            [numpy_helper.from_array(band[None], "band"), f32s("fill", -1e9)])
        refused(self, model, self.tmp, "Where node 'band_mask'")


class TokenBatchNormTest(CheckedImport):
    """BatchNorm1d of a sequence's tokens as rows (LeViT's Linear_BN: BatchNorm1d of
    x.flatten(0, 1), reshaped back): folded into the linear before it, else a batchnorm layer
    over the features; a BatchNorm over [N, C, L] is refused, named."""

    def test_linear_bn(self):
        N = helper.make_node
        S, C, D = 6, 8, 16
        inits = [init("w", [C, D], 1), int64s("flat_c", [-1, C]), int64s("flat_d", [-1, D]),
                 int64s("seq_c", [1, S, C]), int64s("seq_d", [1, S, D])]
        for p, n in (("bn0", C), ("bn1", D)):
            inits += [init(p + "_s", [n], 2), init(p + "_b", [n], 3), init(p + "_m", [n], 4),
                      numpy_helper.from_array(np.ones(n, np.float32), p + "_v")]
        nodes = [N("Reshape", ["x", "flat_c"], ["x2"]),
                 N("BatchNormalization", ["x2", "bn0_s", "bn0_b", "bn0_m", "bn0_v"], ["y2"],
                   name="input_bn"),
                 N("Reshape", ["y2", "seq_c"], ["y"]),
                 N("MatMul", ["y", "w"], ["z"], name="linear"),
                 N("Reshape", ["z", "flat_d"], ["z2"]),
                 N("BatchNormalization", ["z2", "bn1_s", "bn1_b", "bn1_m", "bn1_v"], ["o2"],
                   name="linear_bn"),
                 N("Reshape", ["o2", "seq_d"], ["o"]),
                 N("Relu", ["o"], ["r"], name="relu")]
        model = make_model(nodes, [vinfo("x", [1, S, C])], [vinfo("r", [1, S, D])], inits)
        net = self.check(model, {
            # Of the network input: a per-feature affine of its own, 2 C parameters.
            "input_bn": ("batchnorm", "none", [C, S, 1], 0, 2 * C, S * C),
            # After the linear: folded into its bias; the ReLU its attribute.
            "linear": ("gemm", "relu", [D, S, 1], S * C * D, C * D + D, 0)})
        by = {l["name"]: l for l in net["layers"]}
        self.assertEqual(by["linear"]["inputs"], ["input_bn"])
        self.assertTrue(by["linear"]["bias"])
        bad = make_model([N("BatchNormalization", ["x", "bn0_s", "bn0_b", "bn0_m", "bn0_v"],
                            ["y"], name="bn_ncl")],
                         [vinfo("x", [1, C, S])], [vinfo("y", [1, C, S])], inits[5:9])
        refused(self, bad, self.tmp, "BatchNormalization node 'bn_ncl'", "[N, C, L]")


def mixer_model(side=4, P=8, D=32, T=24, C=64, depth=2, classes=10):
    """timm's MlpMixer as torch.onnx writes it (opset 17): the patch embedding's Conv, Reshape
    and Transpose; per block x + mlp_tokens(norm1(x).transpose(1, 2)).transpose(1, 2), then x +
    mlp_channels(norm2(x)) (MatMul + bias, Erf-GELU); the final norm, the mean over the tokens
    (ReduceMean over axis 1) and the head's Gemm."""
    N = helper.make_node
    S = side * side
    nodes, inits = [], [init("pe_w", [D, 3, P, P], 1), init("pe_b", [D], 2),
                        int64s("flat", [1, D, -1]), f32s("sqrt2", 2 ** 0.5), f32s("one", 1.0),
                        f32s("half", 0.5), init("head_w", [classes, D], 3),
                        init("head_b", [classes], 4)]
    nodes += [N("Conv", ["x", "pe_w", "pe_b"], ["pe"], name="stem", kernel_shape=[P, P],
                strides=[P, P]),
              N("Reshape", ["pe", "flat"], ["pe_f"]),
              N("Transpose", ["pe_f"], ["t_0"], perm=[0, 2, 1])]

    def mlp(p, x, cin, hidden, cout, seed):
        inits.extend([init(p + "1_w", [cin, hidden], seed), init(p + "1_b", [hidden], seed + 1),
                      init(p + "2_w", [hidden, cout], seed + 2),
                      init(p + "2_b", [cout], seed + 3)])
        nodes.extend([N("MatMul", [x, p + "1_w"], [p + "1_mm"], name=p + "1"),
                      N("Add", [p + "1_mm", p + "1_b"], [p + "1_o"]),
                      N("Div", [p + "1_o", "sqrt2"], [p + "g1"]),
                      N("Erf", [p + "g1"], [p + "g2"]),
                      N("Add", [p + "g2", "one"], [p + "g3"]),
                      N("Mul", [p + "1_o", p + "g3"], [p + "g4"]),
                      N("Mul", [p + "g4", "half"], [p + "gelu"]),
                      N("MatMul", [p + "gelu", p + "2_w"], [p + "2_mm"], name=p + "2"),
                      N("Add", [p + "2_mm", p + "2_b"], [p + "2_o"])])
        return p + "2_o"

    def layer_norm(p, x, seed):
        more, more_inits = layer_norm_nodes(p, x, D, False, seed, 1e-5)
        nodes.extend(more)
        inits.extend(more_inits)
        return p

    x = "t_0"
    for b in range(depth):
        p = "b%d_" % b
        n1 = layer_norm(p + "norm1", x, 100 * b + 10)
        nodes.append(N("Transpose", [n1], [p + "tT"], name=p + "to_tokens", perm=[0, 2, 1]))
        tok = mlp(p + "tok", p + "tT", S, T, S, 100 * b + 20)
        nodes += [N("Transpose", [tok], [p + "tB"], name=p + "from_tokens", perm=[0, 2, 1]),
                  N("Add", [x, p + "tB"], [p + "res1"], name=p + "res1")]
        n2 = layer_norm(p + "norm2", p + "res1", 100 * b + 30)
        ch = mlp(p + "ch", n2, D, C, D, 100 * b + 40)
        nodes.append(N("Add", [p + "res1", ch], [p + "res2"], name=p + "res2"))
        x = p + "res2"
    norm = layer_norm("norm", x, 900)
    nodes += [N("ReduceMean", [norm], ["pooled"], name="pool", axes=[1], keepdims=0),
              N("Gemm", ["pooled", "head_w", "head_b"], ["logits"], name="head", transB=1)]
    graph = helper.make_graph(nodes, "mixer", [vinfo("x", [1, 3, side * P, side * P])],
                              [vinfo("logits", [1, classes])], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    return model


class MixerImportTest(CheckedImport):
    """timm's MLP-Mixer (mixer_model): the token-mixing MLP between two transposes, real
    copies of [N, S, D] into [N, D, S] and back; the mean over the tokens."""

    def test_mixer(self):
        S, P, D, T, C = 16, 8, 32, 24, 64
        k = 3 * P * P
        seq = S * D
        ln = ("layernorm", "none", [D, S, 1], 0, 2 * D, 6 * seq + 3 * S)
        exp = {"stem": ("gemm", "none", [D, S, 1], S * k * D, k * D + D, 0),
               "norm": ln,
               "pool": ("pool", "none", [D, 1, 1], 0, 0, seq),
               "head": ("fc", "none", [10, 1, 1], D * 10, D * 10 + 10, 0)}
        for b in range(2):
            p = "b%d_" % b
            exp.update({
                p + "norm1": ln,
                # [S, D] copied into [D, S]: one move per element.
                p + "to_tokens": ("transpose", "none", [S, D, 1], 0, 0, seq),
                # The token MLP: gemms over the features' rows, m = D.
                p + "tok1": ("gemm", "gelu", [T, D, 1], D * S * T, S * T + T,
                             self.act_ops("gelu", D * T)),
                p + "tok2": ("gemm", "none", [S, D, 1], D * T * S, T * S + S, 0),
                p + "from_tokens": ("transpose", "none", [D, S, 1], 0, 0, seq),
                p + "res1": ("add", "none", [D, S, 1], 0, 0, seq),
                p + "norm2": ln,
                p + "ch1": ("gemm", "gelu", [C, S, 1], S * D * C, D * C + C,
                            self.act_ops("gelu", S * C)),
                p + "ch2": ("gemm", "none", [D, S, 1], S * C * D, C * D + D, 0),
                p + "res2": ("add", "none", [D, S, 1], 0, 0, seq),
            })
        net = self.check(mixer_model(), exp)
        by = {l["name"]: l for l in net["layers"]}
        self.assertEqual(by["b0_tok1"]["inputs"], ["b0_to_tokens"])
        self.assertEqual(by["b0_res1"]["inputs"], ["stem", "b0_from_tokens"])


def convnext_model(gamma_nchw=True, dims=(16, 32), depths=(1, 1), img=32, classes=10):
    """ConvNeXt as torch.onnx writes torchvision's (gamma_nchw: its layer scale [C, 1, 1]
    multiplied after the permute back) or timm's (gamma [C] before it): a 4x4/4 stem conv and
    LayerNorm2d (Transpose to channels last, LayerNormalization, Transpose back); per block a
    7x7 depthwise conv, the channels-last layer norm and MLP (MatMul + bias, Erf-GELU, MatMul +
    bias) and the layer scale, then the residual add; between stages LayerNorm2d and a 2x2/2
    conv; the head's global average pool, LayerNorm2d, Flatten and Gemm."""
    N = helper.make_node
    nodes, inits = [], [f32s("sqrt2", 2 ** 0.5), f32s("one", 1.0), f32s("half", 0.5)]

    def ln2d(p, x, c, seed):
        inits.extend([init(p + "_g", [c], seed), init(p + "_b", [c], seed + 1)])
        nodes.extend([N("Transpose", [x], [p + "_cl"], perm=[0, 2, 3, 1]),
                      N("LayerNormalization", [p + "_cl", p + "_g", p + "_b"], [p + "_n"],
                        name=p, axis=-1, epsilon=1e-6),
                      N("Transpose", [p + "_n"], [p + "_out"], perm=[0, 3, 1, 2])])
        return p + "_out"

    def conv(p, x, cin, cout, k, s, seed, groups=1, pad=0):
        inits.extend([init(p + "_w", [cout, cin // groups, k, k], seed),
                      init(p + "_b", [cout], seed + 1)])
        nodes.append(N("Conv", [x, p + "_w", p + "_b"], [p + "_out"], name=p, kernel_shape=[k, k],
                       strides=[s, s], pads=[pad] * 4, group=groups))
        return p + "_out"

    x = ln2d("stem_norm", conv("stem", "x", 3, dims[0], 4, 4, 1), dims[0], 3)
    for i, (c, depth) in enumerate(zip(dims, depths)):
        if i > 0:
            x = conv("down%d" % i, ln2d("down%d_norm" % i, x, dims[i - 1], 10 * i),
                     dims[i - 1], c, 2, 2, 10 * i + 2)
        for b in range(depth):
            p = "s%d_b%d_" % (i, b)
            seed = 100 * i + 20 * b + 30
            dw = conv(p + "dw", x, c, c, 7, 1, seed, groups=c, pad=3)
            inits.extend([init(p + "ln_g", [c], seed + 2), init(p + "ln_b", [c], seed + 3),
                          init(p + "pw1_w", [c, 4 * c], seed + 4), init(p + "pw1_b", [4 * c], 5),
                          init(p + "pw2_w", [4 * c, c], seed + 6), init(p + "pw2_b", [c], 7),
                          init(p + "gamma", [c, 1, 1] if gamma_nchw else [c], seed + 8)])
            nodes += [N("Transpose", [dw], [p + "cl"], perm=[0, 2, 3, 1]),
                      N("LayerNormalization", [p + "cl", p + "ln_g", p + "ln_b"], [p + "ln"],
                        name=p + "ln", axis=-1, epsilon=1e-6),
                      N("MatMul", [p + "ln", p + "pw1_w"], [p + "h1"], name=p + "pw1"),
                      N("Add", [p + "h1", p + "pw1_b"], [p + "h1b"]),
                      N("Div", [p + "h1b", "sqrt2"], [p + "g1"]), N("Erf", [p + "g1"], [p + "g2"]),
                      N("Add", [p + "g2", "one"], [p + "g3"]),
                      N("Mul", [p + "h1b", p + "g3"], [p + "g4"]),
                      N("Mul", [p + "g4", "half"], [p + "gelu"]),
                      N("MatMul", [p + "gelu", p + "pw2_w"], [p + "h2"], name=p + "pw2"),
                      N("Add", [p + "h2", p + "pw2_b"], [p + "h2b"])]
            if gamma_nchw:
                nodes += [N("Transpose", [p + "h2b"], [p + "back"], perm=[0, 3, 1, 2]),
                          N("Mul", [p + "back", p + "gamma"], [p + "scaled"])]
            else:
                nodes += [N("Mul", [p + "h2b", p + "gamma"], [p + "scaled_cl"]),
                          N("Transpose", [p + "scaled_cl"], [p + "scaled"], perm=[0, 3, 1, 2])]
            nodes.append(N("Add", [x, p + "scaled"], [p + "out"], name=p + "add"))
            x = p + "out"
    c = dims[-1]
    nodes.append(N("GlobalAveragePool", [x], ["pooled"], name="pool"))
    x = ln2d("head_norm", "pooled", c, 900)
    inits += [init("fc_w", [classes, c], 910), init("fc_b", [classes], 911)]
    nodes += [N("Flatten", [x], ["flat"], axis=1),
              N("Gemm", ["flat", "fc_w", "fc_b"], ["logits"], name="head", transB=1)]
    graph = helper.make_graph(nodes, "convnext", [vinfo("x", [1, 3, img, img])],
                              [vinfo("logits", [1, classes])], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    return model


class ConvNextImportTest(CheckedImport):
    """ConvNeXt (convnext_model): maps permuted channels last are views of fusim's NHWC maps,
    so the layer norms over their channels are layernorm layers, the MLP's MatMuls 1x1 convs,
    and the layer scale folds into the second; torchvision's and timm's orders."""

    def test_convnext(self):
        d0, d1 = 16, 32
        ln = lambda c, hw: ("layernorm", "none", [c, hw, hw], 0, 2 * c,  # noqa: E731
                            6 * c * hw * hw + 3 * hw * hw)
        exp = {"stem": ("conv", "none", [d0, 8, 8], d0 * 48 * 64, d0 * 48 + d0, 0),
               "stem_norm": ln(d0, 8),
               "down1_norm": ln(d0, 8),
               "down1": ("conv", "none", [d1, 4, 4], d1 * d0 * 4 * 16, d1 * d0 * 4 + d1, 0),
               "pool": ("pool", "none", [d1, 1, 1], 0, 0, d1 * 16),
               "head_norm": ln(d1, 1),
               "head": ("fc", "none", [10, 1, 1], d1 * 10, d1 * 10 + 10, 0)}
        for i, (c, hw) in enumerate(((d0, 8), (d1, 4))):
            p = "s%d_b0_" % i
            px = hw * hw
            exp.update({
                # Depthwise 7x7: MACs on the vector unit.
                p + "dw": ("conv", "none", [c, hw, hw], c * 49 * px, c * 49 + c, c * 49 * px),
                p + "ln": ln(c, hw),
                p + "pw1": ("conv", "gelu", [4 * c, hw, hw], px * c * 4 * c, c * 4 * c + 4 * c,
                            self.act_ops("gelu", 4 * c * px)),
                # The layer scale folded: no layer of its own.
                p + "pw2": ("conv", "none", [c, hw, hw], px * 4 * c * c, 4 * c * c + c, 0),
                p + "add": ("add", "none", [c, hw, hw], 0, 0, c * px),
            })
        for gamma_nchw in (True, False):
            with self.subTest(gamma_nchw=gamma_nchw):
                net = self.check(convnext_model(gamma_nchw), exp)
                by = {l["name"]: l for l in net["layers"]}
                self.assertEqual(by["s0_b0_pw1"]["kernel"], 1)
                self.assertEqual(by["s0_b0_pw1"]["inputs"], ["s0_b0_ln"])
                self.assertEqual(by["s0_b0_add"]["inputs"], ["stem_norm", "s0_b0_pw2"])
                self.assertEqual(by["head"]["inputs"], ["head_norm"])


class Conv1dImportTest(CheckedImport):
    """A 1-D convolutional network as torch.onnx writes it (an audio or keyword-spotting net):
    its rank-3 input read by Conv1d is a 1-D map [N, C, L], held [C, L, 1]; Conv1d (BatchNorm1d
    folded, ReLU), MaxPool1d, a depthwise Conv1d of stride 2 and dilation 2, a residual Add, a
    BatchNorm1d after it (a batchnorm layer), the mean over L (ReduceMean) and a Linear; a
    branch through Transpose(0, 2, 1) to a sequence and its LayerNormalization (wav2vec2's
    feature encoder feeding its transformer)."""

    def model(self):
        N = helper.make_node
        C, L = 8, 64
        inits = [init("w1", [16, C, 5], 1), init("b1", [16], 2), init("w2", [16, 1, 3], 3),
                 init("w3", [16, 16, 1], 4), init("fc_w", [16, 10], 5), init("fc_b", [10], 6),
                 init("ln_g", [16], 7), init("ln_b", [16], 8)]
        for p in ("bn1", "bn2"):
            inits += [init(p + "_s", [16], 9), init(p + "_b", [16], 10),
                      init(p + "_m", [16], 11),
                      numpy_helper.from_array(np.ones(16, np.float32), p + "_v")]
        nodes = [N("Conv", ["x", "w1", "b1"], ["c1"], name="conv1", kernel_shape=[5],
                   pads=[2, 2]),
                 N("BatchNormalization", ["c1", "bn1_s", "bn1_b", "bn1_m", "bn1_v"], ["n1"]),
                 N("Relu", ["n1"], ["r1"]),
                 N("MaxPool", ["r1"], ["p1"], name="pool1", kernel_shape=[2], strides=[2]),
                 N("Conv", ["p1", "w2"], ["c2"], name="dw", kernel_shape=[3], strides=[2],
                   pads=[2, 2], dilations=[2], group=16),
                 N("Conv", ["c2", "w3"], ["c3"], name="pw", kernel_shape=[1]),
                 N("Relu", ["c3"], ["r3"]),
                 N("MaxPool", ["p1"], ["p2"], name="skip_pool", kernel_shape=[2], strides=[2]),
                 N("Add", ["r3", "p2"], ["s"], name="res"),
                 N("BatchNormalization", ["s", "bn2_s", "bn2_b", "bn2_m", "bn2_v"], ["n2"],
                   name="res_bn"),
                 N("ReduceMean", ["n2"], ["m"], name="mean_l", axes=[2], keepdims=0),
                 N("Gemm", ["m", "fc_w", "fc_b"], ["y"], name="fc"),
                 N("Transpose", ["n2"], ["seq"], perm=[0, 2, 1]),
                 N("LayerNormalization", ["seq", "ln_g", "ln_b"], ["z"], name="seq_ln",
                   axis=-1)]
        graph = helper.make_graph(nodes, "conv1d", [vinfo("x", [1, C, L])],
                                  [vinfo("y", [1, 10]), vinfo("z", [1, 16, 16])], initializer=inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
        onnx.checker.check_model(model)
        return model

    def test_conv1d(self):
        C, L = 8, 64
        exp = {
            # Conv1d 8 -> 16, k 5, pads 2: [16, 64, 1]; its BatchNorm1d folded, its ReLU too.
            "conv1": ("conv", "relu", [16, L, 1], 16 * C * 5 * L, 16 * C * 5 + 16, 0),
            "pool1": ("pool", "none", [16, 32, 1], 0, 0, 16 * 32 * 2),
            # Depthwise, stride 2, dilation 2, pads 2: (32 + 4 - 4 - 1) // 2 + 1 = 16.
            "dw": ("conv", "none", [16, 16, 1], 16 * 3 * 16, 16 * 3, 16 * 3 * 16),
            "pw": ("conv", "relu", [16, 16, 1], 16 * 16 * 16, 16 * 16, 0),
            "skip_pool": ("pool", "none", [16, 16, 1], 0, 0, 16 * 16 * 2),
            "res": ("add", "none", [16, 16, 1], 0, 0, 16 * 16),
            # After an add: a per-channel affine of its own.
            "res_bn": ("batchnorm", "none", [16, 16, 1], 0, 32, 16 * 16),
            # The mean over L: a global average pool.
            "mean_l": ("pool", "none", [16, 1, 1], 0, 0, 16 * 16),
            "fc": ("fc", "none", [10, 1, 1], 160, 170, 0),
            # Transposed to a sequence of 16 tokens of 16 features: the same tensor.
            "seq_ln": ("layernorm", "none", [16, 16, 1], 0, 32, 6 * 256 + 3 * 16),
        }
        net = self.check(self.model(), exp)
        by = {l["name"]: l for l in net["layers"]}
        self.assertEqual(net["inputs"], [{"name": "x", "shape": [C, L, 1]}])
        self.assertEqual((by["conv1"]["kernel"], by["conv1"]["padding"]), ([5, 1], [2, 0]))
        self.assertEqual((by["dw"]["kernel"], by["dw"]["stride"], by["dw"]["dilation"],
                          by["dw"]["groups"]), ([3, 1], [2, 1], 2, 16))
        self.assertEqual(by["pool1"]["kernel"], [2, 1])
        self.assertEqual(by["seq_ln"]["inputs"], ["res_bn"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
