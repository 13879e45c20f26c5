#!/usr/bin/python3
"""Generate fusim network workload YAML files into workloads/.

Usage: /usr/bin/python3 scripts/gen_workloads.py [OUTDIR]   (default: <repo>/workloads)

Standard library only.  The YAML is written as plain text (block style, one
mapping per layer, flow style only for short lists such as shapes and input
lists), so the output is byte-for-byte deterministic.

Network format (see the fusim docs): a network has `name`, optional `batch`,
`inputs` (name + [C, H, W] shape) and `layers`.  Layer types: conv, fc, gemm,
pool, add, sub, mul, div, max, min (element-wise, broadcasting), activation,
concat, slice (a view of channels), shuffle (a channel shuffle), softmax, layernorm and
reduce (reductions over channels).  A layer whose `inputs` key is omitted reads the previous
layer (the first layer reads the first network input); this script omits
`inputs` exactly in that case so the default path is exercised, and writes it
explicitly everywhere else.

Counting conventions used throughout: MACs = conv + fc + gemm multiply-
accumulates (pool/add/concat = 0); params = conv/fc weights + biases of the
layers that have a bias.  Batch norm is folded into the preceding conv and its
scale/shift are NOT counted, which is where most of the small gaps to
torchvision's published parameter counts come from (see each file's header).

The published reference figures and an independent shape/MAC/param checker
live in scripts/check_workloads.py.
"""

import os
import sys

# Key order used when writing a layer (unknown keys are a bug here).
_KEY_ORDER = [
    "name", "type", "inputs",
    "out_channels", "out_features", "m", "n", "k", "heads", "transpose_b",
    "mode", "global", "channels",
    "kernel", "stride", "padding", "dilation", "groups", "ceil_mode", "scale",
    "bias", "activation", "clip_min", "clip_max", "negative_slope",
    "survival", "fused_prune", "weight_density",
]

# Words a YAML 1.1 loader would turn into something other than a string.
_YAML_SPECIAL = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "none", "~"}


def _check_name(name):
    ok = (name and (name[0].isalpha() or name[0] == "_")
          and all(c.isalnum() or c in "_." for c in name)
          and name.lower() not in _YAML_SPECIAL)
    if not ok:
        raise ValueError("bad layer name %r" % (name,))
    return name


def _scalar(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, str):
        return v
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_scalar(x) for x in v) + "]"
    raise TypeError("cannot emit %r" % (v,))


class Net:
    """Minimal builder: records layers in topological order."""

    def __init__(self, name, header, inputs, batch=None):
        self.name = name
        self.header = header  # list of comment lines (without '# ')
        self.batch = batch
        self.inputs = [(_check_name(n), list(s)) for n, s in inputs]
        self.layers = []
        self._names = set(n for n, _ in self.inputs)
        self._channels = {}  # conv layers' output channels (for squeeze_excite)

    def _prev(self):
        return self.layers[-1]["name"] if self.layers else self.inputs[0][0]

    def add_layer(self, name, ltype, inputs=None, **attrs):
        _check_name(name)
        if name in self._names:
            raise ValueError("duplicate name %s" % name)
        if inputs is None:
            inputs = [self._prev()]
        elif isinstance(inputs, str):
            inputs = [inputs]
        for i in inputs:
            if i not in self._names:
                raise ValueError("%s: unknown input %s" % (name, i))
        layer = {"name": name, "type": ltype}
        # Omit `inputs` when it equals the documented default.
        if list(inputs) != [self._prev()]:
            layer["inputs"] = list(inputs)
        for k, v in attrs.items():
            if k not in _KEY_ORDER:
                raise KeyError(k)
            if v is None:
                continue
            layer[k] = v
        self.layers.append(layer)
        self._names.add(name)
        if ltype == "conv":
            self._channels[name] = attrs["out_channels"]
        return name

    # Convenience wrappers -------------------------------------------------
    def conv(self, name, out_channels, kernel, stride=1, padding=0, groups=1,
             bias=False, activation="none", inputs=None, dilation=1):
        return self.add_layer(
            name, "conv", inputs,
            out_channels=out_channels, kernel=kernel,
            stride=stride if stride != 1 else None,
            padding=padding if padding != 0 else None,
            dilation=dilation if dilation != 1 else None,
            groups=groups if groups != 1 else None,
            bias=bias,
            activation=activation if activation != "none" else None)

    def pool(self, name, mode, kernel=None, stride=1, padding=0, ceil_mode=False,
             global_=False, inputs=None):
        if global_:
            return self.add_layer(name, "pool", inputs, mode=mode, **{"global": True})
        return self.add_layer(
            name, "pool", inputs, mode=mode, kernel=kernel,
            stride=stride if stride != 1 else None,
            padding=padding if padding != 0 else None,
            ceil_mode=True if ceil_mode else None)

    def fc(self, name, out_features, bias=True, activation="none", inputs=None):
        return self.add_layer(
            name, "fc", inputs, out_features=out_features, bias=bias,
            activation=activation if activation != "none" else None)

    def add(self, name, inputs, activation="none"):
        return self.add_layer(
            name, "add", inputs,
            activation=activation if activation != "none" else None)

    def concat(self, name, inputs):
        return self.add_layer(name, "concat", inputs)

    def batchnorm(self, name, activation="none", inputs=None):
        return self.add_layer(name, "batchnorm", inputs,
                              activation=activation if activation != "none" else None)

    def mul(self, name, inputs):
        return self.add_layer(name, "mul", inputs)

    def slice(self, name, begin, end, inputs):
        return self.add_layer(name, "slice", inputs, channels=[begin, end])

    def shuffle(self, name, groups, inputs=None):
        return self.add_layer(name, "shuffle", inputs, groups=groups)

    def inverted_residual(self, p, x, cin, hidden, cout, kernel, stride, act, se=None):
        """MobileNetV2's block, also MobileNetV3's and EfficientNet's: a 1x1 expansion to
        `hidden` channels (when it differs from `cin`), a depthwise kernel x kernel conv, both
        with `act`; squeeze-excitation when `se` = (squeeze channels, inner activation, gate
        activation); a linear 1x1 projection; a residual add when the shape is kept."""
        block_in = x
        if hidden != cin:
            x = self.conv(p + "expand", hidden, 1, activation=act, inputs=x)
        x = self.conv(p + "dw", hidden, kernel, stride=stride, padding=kernel // 2,
                      groups=hidden, activation=act, inputs=x)
        if se:
            x = self.squeeze_excite(p, x, *se)
        x = self.conv(p + "project", cout, 1, inputs=x)
        if stride == 1 and cin == cout:
            x = self.add(p + "add", [block_in, x])
        return x

    def squeeze_excite(self, prefix, x, squeeze, inner, gate):
        """Squeeze-and-excitation on x: global average pool, 1x1 conv to `squeeze` channels
        with bias and `inner` activation, 1x1 conv back with bias and the `gate` activation,
        then x times the [C, 1, 1] gate (broadcast over H and W)."""
        channels = self._channels[x]
        self.pool(prefix + "se_pool", "avg", global_=True, inputs=x)
        self.conv(prefix + "se_reduce", squeeze, 1, bias=True, activation=inner)
        g = self.conv(prefix + "se_expand", channels, 1, bias=True, activation=gate)
        return self.mul(prefix + "se_scale", [x, g])

    # Output ------------------------------------------------------------------
    def to_yaml(self):
        out = []
        for line in self.header:
            out.append(("# " + line).rstrip())
        out.append("")
        out.append("name: %s" % self.name)
        if self.batch is not None:
            out.append("batch: %d" % self.batch)
        out.append("inputs:")
        for n, s in self.inputs:
            out.append("  - name: %s" % n)
            out.append("    shape: %s" % _scalar(s))
        out.append("layers:")
        for layer in self.layers:
            keys = [k for k in _KEY_ORDER if k in layer]
            for idx, k in enumerate(keys):
                prefix = "  - " if idx == 0 else "    "
                out.append("%s%s: %s" % (prefix, k, _scalar(layer[k])))
        return "\n".join(out) + "\n"


def _header(title, source, variant, convention, gap, extra=()):
    lines = [
        "fusim network workload: %s" % title,
        "Generated by scripts/gen_workloads.py -- do not edit by hand.",
        "",
        "Shapes source: %s" % source,
        "Variant: %s" % variant,
        "Param convention: %s" % convention,
        "Gap to published figures: %s" % gap,
    ]
    lines += list(extra)
    lines += ["Published reference figures: scripts/check_workloads.py, tests/data/published.yaml"]
    return _wrap(lines)


def _wrap(lines, width=96):
    out = []
    for line in lines:
        if len(line) <= width:
            out.append(line)
            continue
        indent = " " * (line.index(": ") + 2) if ": " in line[:40] else "  "
        cur = ""
        for word in line.split(" "):
            if cur and len(cur) + 1 + len(word) > width:
                out.append(cur)
                cur = indent + word
            else:
                cur = word if not cur else cur + " " + word
        out.append(cur)
    return out


def _inverted_residuals(net, prev, cin, cfg, act, first=0):
    """MobileNetV2's body: for each (t, c, n, s) of `cfg`, n inverted-residual blocks of
    expansion t to c channels, the first with stride s; blocks named b<first>_, b<first+1>_...
    after `prev` (cin channels). Returns the last block's output."""
    b = first
    for t, c, n, s in cfg:
        for i in range(n):
            prev = net.inverted_residual("b%d_" % b, prev, cin, cin * t, c, 3, s if i == 0 else 1,
                                         act)
            cin = c
            b += 1
    return prev


# ---------------------------------------------------------------------------
# MobileNetV2 1.0-224
# ---------------------------------------------------------------------------
def mobilenetv2():
    net = Net("mobilenetv2", _header(
        "MobileNetV2 1.0-224",
        "Sandler et al., 'MobileNetV2: Inverted Residuals and Linear Bottlenecks', CVPR 2018, "
        "Table 2 (t, c, n, s); layer details as in TF-slim nets/mobilenet/mobilenet_v2.py "
        "(V2_DEF) and torchvision mobilenet_v2.",
        "width multiplier 1.0, 224x224 input, ReLU6 after expansion and depthwise convs, linear "
        "projection, residual add when stride 1 and in == out channels, final 1x1 conv 1280, "
        "global avg pool, fc 1000 with bias (1000 classes; TF-slim uses 1001). Dropout omitted.",
        "conv weights only (BN folded, not counted, convs have no bias) + fc weights and bias.",
        "TF-slim README lists 300M MACs / 3.47M params (3 significant digits); the difference "
        "is rounding (TF-slim's 1001-class head adds 1,281 params). torchvision's 3,504,872 "
        "additionally counts the 34,112 BN scale/shift params.",
    ), [("image", [3, 224, 224])])

    net.conv("conv1", 32, 3, stride=2, padding=1, activation="relu6")
    cfg = [  # t, c, n, s
        (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
        (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
    ]
    prev = _inverted_residuals(net, "conv1", 32, cfg, "relu6")
    net.conv("conv_last", 1280, 1, activation="relu6", inputs=prev)
    net.pool("avgpool", "avg", global_=True)
    net.fc("fc", 1000, bias=True)
    return net


# ---------------------------------------------------------------------------
# ResNet-50 v1.5
# ---------------------------------------------------------------------------
def resnet50():
    net = Net("resnet50", _header(
        "ResNet-50 v1.5",
        "He et al., 'Deep Residual Learning for Image Recognition', CVPR 2016, Table 1 "
        "(50-layer column); v1.5 stride placement as in torchvision resnet50.",
        "v1.5 (torchvision): the stride-2 of each downsampling bottleneck is on the 3x3 conv "
        "(v1 puts it on the first 1x1). 7x7/2 stem, 3x3/2 max pool (pad 1), [3, 4, 6, 3] "
        "bottlenecks, 1x1 projection shortcut on the first block of every stage, ReLU after "
        "the add, global avg pool, fc 1000 with bias.",
        "conv weights only (BN folded, not counted, convs have no bias) + fc weights and bias.",
        "torchvision's 25,557,032 params include 53,120 BN scale/shift params (-0.21%); "
        "torchvision's 4.09 GFLOPS is conv+fc MACs given to 3 significant digits.",
    ), [("image", [3, 224, 224])])

    net.conv("conv1", 64, 7, stride=2, padding=3, activation="relu")
    net.pool("maxpool", "max", kernel=3, stride=2, padding=1)
    prev = "maxpool"
    for stage, (width, blocks, stride) in enumerate(
            [(64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)], start=1):
        for i in range(blocks):
            s = stride if i == 0 else 1
            p = "layer%d_%d_" % (stage, i)
            x = net.conv(p + "conv1", width, 1, activation="relu", inputs=prev)
            x = net.conv(p + "conv2", width, 3, stride=s, padding=1, activation="relu", inputs=x)
            x = net.conv(p + "conv3", width * 4, 1, inputs=x)
            if i == 0:
                sc = net.conv(p + "downsample", width * 4, 1, stride=s, inputs=prev)
            else:
                sc = prev
            prev = net.add(p + "add", [x, sc], activation="relu")
    net.pool("avgpool", "avg", global_=True, inputs=prev)
    net.fc("fc", 1000, bias=True)
    return net


# ---------------------------------------------------------------------------
# VGG-16
# ---------------------------------------------------------------------------
def vgg16():
    net = Net("vgg16", _header(
        "VGG-16 (configuration D)",
        "Simonyan & Zisserman, 'Very Deep Convolutional Networks for Large-Scale Image "
        "Recognition', ICLR 2015, Table 1 column D; identical to torchvision vgg16 (no BN).",
        "224x224 input, 13 3x3/1 pad-1 convs with bias + ReLU, 5 2x2/2 max pools, fc 4096-4096-"
        "1000 with bias. torchvision's AdaptiveAvgPool2d(7) is the identity at 224 and is "
        "omitted; dropout omitted.",
        "conv and fc weights + biases (this model has no BN).",
        "none for params (matches torchvision's 138,357,544 exactly); torchvision's 15.47 "
        "GFLOPS is conv+fc MACs to 4 significant digits.",
    ), [("image", [3, 224, 224])])
    cfg = [[64, 64], [128, 128], [256, 256, 256], [512, 512, 512], [512, 512, 512]]
    for bi, block in enumerate(cfg, start=1):
        for ci, c in enumerate(block, start=1):
            net.conv("conv%d_%d" % (bi, ci), c, 3, padding=1, bias=True, activation="relu")
        net.pool("pool%d" % bi, "max", kernel=2, stride=2)
    net.fc("fc6", 4096, activation="relu")
    net.fc("fc7", 4096, activation="relu")
    net.fc("fc8", 1000)
    return net


# ---------------------------------------------------------------------------
# AlexNet (torchvision single-tower)
# ---------------------------------------------------------------------------
def alexnet():
    net = Net("alexnet", _header(
        "AlexNet (torchvision single-tower variant)",
        "torchvision alexnet (based on Krizhevsky, 'One weird trick for parallelizing "
        "convolutional neural networks', 2014), NOT the two-group original of Krizhevsky et "
        "al. 2012.",
        "single tower, no groups, no LRN: conv 64 11x11/4 pad 2, maxpool 3/2, conv 192 5x5 "
        "pad 2, maxpool 3/2, conv 384/256/256 3x3 pad 1, maxpool 3/2, fc 4096-4096-1000, all "
        "with bias + ReLU (except the last fc). 224x224 input. torchvision's "
        "AdaptiveAvgPool2d(6) is the identity at 224 (the map is already 6x6) and is omitted.",
        "conv and fc weights + biases (this model has no BN).",
        "none for params (matches torchvision's 61,100,840 exactly). MACs: torchvision "
        "publishes only '0.71 GFLOPS' (2 significant digits); the exact conv+fc count is "
        "~0.6% above that rounded figure.",
    ), [("image", [3, 224, 224])])
    net.conv("conv1", 64, 11, stride=4, padding=2, bias=True, activation="relu")
    net.pool("pool1", "max", kernel=3, stride=2)
    net.conv("conv2", 192, 5, padding=2, bias=True, activation="relu")
    net.pool("pool2", "max", kernel=3, stride=2)
    net.conv("conv3", 384, 3, padding=1, bias=True, activation="relu")
    net.conv("conv4", 256, 3, padding=1, bias=True, activation="relu")
    net.conv("conv5", 256, 3, padding=1, bias=True, activation="relu")
    net.pool("pool5", "max", kernel=3, stride=2)
    net.fc("fc6", 4096, activation="relu")
    net.fc("fc7", 4096, activation="relu")
    net.fc("fc8", 1000)
    return net


# ---------------------------------------------------------------------------
# MobileNetV1 1.0-224
# ---------------------------------------------------------------------------
def mobilenetv1():
    net = Net("mobilenetv1", _header(
        "MobileNetV1 1.0-224",
        "Howard et al., 'MobileNets: Efficient Convolutional Neural Networks for Mobile Vision "
        "Applications', 2017, Table 1; strides as in TF-slim nets/mobilenet_v1.py "
        "(MOBILENETV1_CONV_DEFS).",
        "width multiplier 1.0, 224x224 input, 3x3/2 conv 32 then 13 depthwise-separable "
        "blocks (3x3 depthwise + 1x1 pointwise, BN+ReLU after each), global avg pool, fc 1000 "
        "with bias (TF-slim implements it as a 1x1 conv with 1001 classes). The 13th depthwise "
        "conv (1024 channels, 7x7 map) has stride 1: Table 1 of the paper says 's2' there but "
        "its own output size (7x7) and TF-slim use stride 1. 'SAME' padding is modelled as "
        "symmetric pad 1, which gives the same output sizes.",
        "conv weights only (BN folded, not counted, convs have no bias) + fc weights and bias.",
        "TF-slim's mobilenet_v1.md lists 569M MACs / 4.24M params (paper Table 8: 569M / "
        "4.2M). This file has 4,210,088 params: -0.71% from 4.24M (+0.24% from the paper's "
        "4.2M). TF-slim's figure includes its 1001-class head (+1,025) and, presumably, BN "
        "variables (10,944 BN channels), which are folded here and not counted.",
    ), [("image", [3, 224, 224])])
    net.conv("conv1", 32, 3, stride=2, padding=1, activation="relu")
    cfg = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
           (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1)]
    cin = 32
    for i, (c, s) in enumerate(cfg, start=1):
        net.conv("dw%d" % i, cin, 3, stride=s, padding=1, groups=cin, activation="relu")
        net.conv("pw%d" % i, c, 1, activation="relu")
        cin = c
    net.pool("avgpool", "avg", global_=True)
    net.fc("fc", 1000, bias=True)
    return net


# ---------------------------------------------------------------------------
# GoogLeNet (Inception v1)
# ---------------------------------------------------------------------------
_GOOGLENET_CFG = [
    # name, #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj  (paper Table 1)
    ("3a", 64, 96, 128, 16, 32, 32),
    ("3b", 128, 128, 192, 32, 96, 64),
    "pool",
    ("4a", 192, 96, 208, 16, 48, 64),
    ("4b", 160, 112, 224, 24, 64, 64),
    ("4c", 128, 128, 256, 24, 64, 64),
    ("4d", 112, 144, 288, 32, 64, 64),
    ("4e", 256, 160, 320, 32, 128, 128),
    "pool",
    ("5a", 256, 160, 320, 32, 128, 128),
    ("5b", 384, 192, 384, 48, 128, 128),
]


def googlenet():
    net = Net("googlenet", _header(
        "GoogLeNet (Inception v1)",
        "Szegedy et al., 'Going Deeper with Convolutions', CVPR 2015, Table 1 and Figure 2(b)/3; "
        "pooling/padding as in Caffe bvlc_googlenet (train_val.prototxt).",
        "paper architecture with real 5x5 convs (torchvision's googlenet uses 3x3 there and "
        "adds BN; not modelled). 224x224 input; LRN layers, dropout and the two auxiliary "
        "classifiers are omitted. Stride-2 max pools are 3x3/2 pad 0 with ceil_mode (Caffe "
        "rounding), giving the paper's 56/28/14/7 map sizes; the inception pool branch is a "
        "3x3/1 pad-1 max pool; final 7x7 avg pool == global avg pool; fc 1000.",
        "weights only, as the paper's Table 1 counts them (all convs and the fc are written "
        "with bias: false). The original (DistBelief / Caffe bvlc_googlenet) model does have "
        "biases on every conv and the fc: +8,280 params (+0.12%), 6,998,552 in total.",
        "the paper quotes ~1.5G multiply-adds / 6.8M params. Its params column is in units "
        "of 1024 weights (3a: 163,328 weights = 159K; linear 1,024,000 = 1000K), so 6.8M = "
        "6,797.7K = 6,960,845 weights; this file has 6,990,272 (+0.42%; rows 4a-5b of the "
        "table deviate from their own channel counts by -5% to +7.5%, largely cancelling). Its "
        "conv1 row (2.7K params, 34M ops) is wrong for a 7x7x3 -> 64 conv at 112x112 "
        "(9,408 weights, 118.0M MACs), so the true total is ~1.58G MACs, 5.5% above the "
        "quoted 1.5G. The reference used is the ops column with conv1 corrected (1,586M); "
        "see scripts/check_workloads.py.",
    ), [("image", [3, 224, 224])])
    net.conv("conv1", 64, 7, stride=2, padding=3, bias=False, activation="relu")
    net.pool("pool1", "max", kernel=3, stride=2, ceil_mode=True)
    net.conv("conv2_reduce", 64, 1, bias=False, activation="relu")
    net.conv("conv2", 192, 3, padding=1, bias=False, activation="relu")
    net.pool("pool2", "max", kernel=3, stride=2, ceil_mode=True)
    prev = "pool2"
    npool = 2
    for entry in _GOOGLENET_CFG:
        if entry == "pool":
            npool += 1
            prev = net.pool("pool%d" % npool, "max", kernel=3, stride=2, ceil_mode=True,
                            inputs=prev)
            continue
        tag, c1, c3r, c3, c5r, c5, pp = entry
        p = "inc%s_" % tag
        b1 = net.conv(p + "1x1", c1, 1, bias=False, activation="relu", inputs=prev)
        net.conv(p + "3x3_reduce", c3r, 1, bias=False, activation="relu", inputs=prev)
        b2 = net.conv(p + "3x3", c3, 3, padding=1, bias=False, activation="relu")
        net.conv(p + "5x5_reduce", c5r, 1, bias=False, activation="relu", inputs=prev)
        b3 = net.conv(p + "5x5", c5, 5, padding=2, bias=False, activation="relu")
        net.pool(p + "pool", "max", kernel=3, stride=1, padding=1, inputs=prev)
        b4 = net.conv(p + "pool_proj", pp, 1, bias=False, activation="relu")
        prev = net.concat("inc%s" % tag, [b1, b2, b3, b4])
    net.pool("avgpool", "avg", global_=True, inputs=prev)
    net.fc("fc", 1000, bias=False)
    return net


# ---------------------------------------------------------------------------
# SqueezeNet v1.0
# ---------------------------------------------------------------------------
def squeezenet():
    net = Net("squeezenet", _header(
        "SqueezeNet v1.0",
        "Iandola et al., 'SqueezeNet: AlexNet-level accuracy with 50x fewer parameters and "
        "<0.5MB model size', 2016, Table 1 / Figure 2 (left, no bypass); input size and pooling "
        "as in torchvision squeezenet1_0.",
        "v1.0 (not v1.1), no bypass connections. 224x224 input as in torchvision (the paper / "
        "Caffe use 227x227, giving 111x111 and 55x55 early maps instead of 109x109 and 54x54). "
        "conv1 96 7x7/2 pad 0, 3x3/2 max pools with ceil_mode, fire modules (squeeze 1x1 -> "
        "expand 1x1 || expand 3x3 pad 1 -> concat), conv10 1x1 1000 + ReLU, global avg pool. "
        "Dropout omitted.",
        "conv weights + biases (every conv has a bias; no BN).",
        "none for params (matches the paper's Table 1 total 1,248,424 and torchvision exactly). "
        "MACs: torchvision publishes only '0.82 GFLOPS' (2 significant digits).",
    ), [("image", [3, 224, 224])])
    net.conv("conv1", 96, 7, stride=2, bias=True, activation="relu")
    prev = net.pool("pool1", "max", kernel=3, stride=2, ceil_mode=True)
    fires = [  # squeeze, expand1x1, expand3x3 ; "pool" = 3x3/2 ceil max pool
        (2, 16, 64, 64), (3, 16, 64, 64), (4, 32, 128, 128), "pool4",
        (5, 32, 128, 128), (6, 48, 192, 192), (7, 48, 192, 192), (8, 64, 256, 256), "pool8",
        (9, 64, 256, 256),
    ]
    for f in fires:
        if isinstance(f, str):
            prev = net.pool(f, "max", kernel=3, stride=2, ceil_mode=True, inputs=prev)
            continue
        i, s, e1, e3 = f
        p = "fire%d_" % i
        sq = net.conv(p + "squeeze", s, 1, bias=True, activation="relu", inputs=prev)
        a = net.conv(p + "expand1x1", e1, 1, bias=True, activation="relu", inputs=sq)
        b = net.conv(p + "expand3x3", e3, 3, padding=1, bias=True, activation="relu", inputs=sq)
        prev = net.concat("fire%d" % i, [a, b])
    net.conv("conv10", 1000, 1, bias=True, activation="relu", inputs=prev)
    net.pool("avgpool", "avg", global_=True)
    return net


# ---------------------------------------------------------------------------
# Small synthetic networks for unit tests
# ---------------------------------------------------------------------------
def tiny_chain():
    net = Net("tiny_chain", [
        "fusim network workload: tiny_chain (synthetic test network)",
        "Generated by scripts/gen_workloads.py -- do not edit by hand.",
        "",
        "3-layer chain conv -> conv -> fc on a 3x16x16 input. No layer lists `inputs`, so the",
        "defaults (first layer <- first network input, others <- previous layer) are exercised.",
        "Expected (batch 1):",
        "  conv1 [3,16,16] -> [8,16,16]  MACs 8*16*16*3*9   =  55,296  params 216",
        "  conv2 [8,16,16] -> [16,8,8]   MACs 16*8*8*8*9    =  73,728  params 1,152",
        "  fc    1024 -> 10              MACs 1024*10       =  10,240  params 10,250",
        "  total MACs 139,264, params 11,618",
    ], [("image", [3, 16, 16])])
    net.conv("conv1", 8, 3, padding=1, activation="relu")
    net.conv("conv2", 16, 3, stride=2, padding=1, activation="relu")
    net.fc("fc", 10, bias=True)
    return net


def tiny_dag():
    net = Net("tiny_dag", [
        "fusim network workload: tiny_dag (synthetic test network)",
        "Generated by scripts/gen_workloads.py -- do not edit by hand.",
        "",
        "Small DAG: a residual add (stem -> res_conv -> add(stem, res_conv)) and a two-way",
        "branch (1x1 || 3x3) joined by concat, then max pool and fc. Input 3x16x16.",
        "Expected (batch 1):",
        "  stem      [3,16,16]  -> [16,16,16]  MACs 16*256*3*9  = 110,592  params 432",
        "  res_conv  [16,16,16] -> [16,16,16]  MACs 16*256*16*9 = 589,824  params 2,304",
        "  res_add   2 x [16,16,16] -> [16,16,16]",
        "  br_1x1    [16,16,16] -> [8,16,16]   MACs 8*256*16    =  32,768  params 128",
        "  br_3x3    [16,16,16] -> [8,16,16]   MACs 8*256*16*9  = 294,912  params 1,152",
        "  cat       [8,16,16] ++ [8,16,16] -> [16,16,16]",
        "  pool      max 2x2/2 -> [16,8,8]",
        "  fc        1024 -> 10                MACs 10,240              params 10,250",
        "  total MACs 1,038,336, params 14,266",
    ], [("image", [3, 16, 16])])
    net.conv("stem", 16, 3, padding=1, activation="relu")
    net.conv("res_conv", 16, 3, padding=1)
    net.add("res_add", ["stem", "res_conv"], activation="relu")
    net.conv("br_1x1", 8, 1, activation="relu", inputs="res_add")
    net.conv("br_3x3", 8, 3, padding=1, activation="relu", inputs="res_add")
    net.concat("cat", ["br_1x1", "br_3x3"])
    net.pool("pool", "max", kernel=2, stride=2)
    net.fc("fc", 10, bias=True)
    return net


# ---------------------------------------------------------------------------
# EfficientNet-B0
# ---------------------------------------------------------------------------
def efficientnet_b0():
    net = Net("efficientnet_b0", _header(
        "EfficientNet-B0",
        "Tan & Le, 'EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks', "
        "ICML 2019, Table 1 (stages: operator, resolution, channels, layers); block details as "
        "in torchvision efficientnet_b0 (MBConv with squeeze-excitation, SE squeeze channels = "
        "block input channels / 4).",
        "224x224 input, SiLU after the stem, expansion and depthwise convs, SE gate 1x1 convs "
        "with bias (SiLU, then sigmoid), linear projection, residual add when stride 1 and in "
        "== out channels, final 1x1 conv 1280 with SiLU, global avg pool, fc 1000 with bias. "
        "Dropout and stochastic depth omitted.",
        "conv weights (BN folded, not counted; the SE convs have biases) + fc weights and bias.",
        "torchvision's 5,288,548 params include 42,016 BN scale/shift params (21,008 channels) "
        "the workload does not count (-0.79%); the paper's 0.39B FLOPS are multiply-adds given "
        "to 2 significant digits.",
    ), [("image", [3, 224, 224])])

    net.conv("stem", 32, 3, stride=2, padding=1, activation="silu")
    cfg = [  # expand ratio, kernel, stride, out channels, layers
        (1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2), (6, 3, 2, 80, 3),
        (6, 5, 1, 112, 3), (6, 5, 2, 192, 4), (6, 3, 1, 320, 1),
    ]
    cin = 32
    prev = "stem"
    b = 0
    for t, k, s, c, n in cfg:
        for i in range(n):
            stride = s if i == 0 else 1
            prev = net.inverted_residual("b%d_" % b, prev, cin, cin * t, c, k, stride, "silu",
                                         (max(1, cin // 4), "silu", "sigmoid"))
            cin = c
            b += 1
    net.conv("head", 1280, 1, activation="silu", inputs=prev)
    net.pool("avgpool", "avg", global_=True)
    net.fc("fc", 1000, bias=True)
    return net


def _make_divisible(v, divisor=8):
    """torchvision's _make_divisible: round to a multiple of `divisor`, never 10% below."""
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


# ---------------------------------------------------------------------------
# MobileNetV3-Large 1.0-224
# ---------------------------------------------------------------------------
def mobilenetv3_large():
    net = Net("mobilenetv3_large", _header(
        "MobileNetV3-Large 1.0-224",
        "Howard et al., 'Searching for MobileNetV3', ICCV 2019, Table 1 (input, operator, exp "
        "size, #out, SE, NL, s); block details as in torchvision mobilenet_v3_large (SE "
        "squeeze channels = make_divisible(exp / 4, 8)).",
        "width 1.0, 224x224 input, hardswish stem, bneck blocks with ReLU or hardswish (NL), "
        "SE gate 1x1 convs with bias (ReLU, then hardsigmoid), linear projection, residual add "
        "when stride 1 and in == out channels, 1x1 conv 960 with hardswish, global avg pool, "
        "fc 1280 with bias and hardswish, fc 1000 with bias. Dropout omitted.",
        "conv weights (BN folded, not counted; the SE convs have biases) + fc weights and "
        "biases.",
        "torchvision's 5,483,032 params include 24,400 BN scale/shift params (-0.45%) the workload does "
        "not count (the paper's 5.4M is 2 significant digits); TF-slim's README gives 217M "
        "MACs (-0.19%), the paper 219M MAdds (+1.1%).",
    ), [("image", [3, 224, 224])])

    net.conv("stem", 16, 3, stride=2, padding=1, activation="hardswish")
    cfg = [  # kernel, expanded, out, SE, activation, stride
        (3, 16, 16, False, "relu", 1), (3, 64, 24, False, "relu", 2),
        (3, 72, 24, False, "relu", 1), (5, 72, 40, True, "relu", 2),
        (5, 120, 40, True, "relu", 1), (5, 120, 40, True, "relu", 1),
        (3, 240, 80, False, "hardswish", 2), (3, 200, 80, False, "hardswish", 1),
        (3, 184, 80, False, "hardswish", 1), (3, 184, 80, False, "hardswish", 1),
        (3, 480, 112, True, "hardswish", 1), (3, 672, 112, True, "hardswish", 1),
        (5, 672, 160, True, "hardswish", 2), (5, 960, 160, True, "hardswish", 1),
        (5, 960, 160, True, "hardswish", 1),
    ]
    cin = 16
    prev = "stem"
    for b, (k, exp, c, se, act, stride) in enumerate(cfg):
        gate = (_make_divisible(exp // 4), "relu", "hardsigmoid") if se else None
        prev = net.inverted_residual("b%d_" % b, prev, cin, exp, c, k, stride, act, gate)
        cin = c
    net.conv("head", 960, 1, activation="hardswish", inputs=prev)
    net.pool("avgpool", "avg", global_=True)
    net.fc("fc1", 1280, bias=True, activation="hardswish")
    net.fc("fc2", 1000, bias=True)
    return net


# ---------------------------------------------------------------------------
# ResNet-18
# ---------------------------------------------------------------------------
def resnet18():
    net = Net("resnet18", _header(
        "ResNet-18",
        "He et al., 'Deep Residual Learning for Image Recognition', CVPR 2016, Table 1 "
        "(18-layer column); layer details as in torchvision resnet18.",
        "224x224 input, 7x7/2 stem, 3x3/2 max pool (pad 1), [2, 2, 2, 2] basic blocks (two 3x3 "
        "convs, ReLU after the first and after the add), 1x1 stride-2 projection shortcut on "
        "the first block of stages 2-4, global avg pool, fc 1000 with bias.",
        "conv weights only (BN folded, not counted, convs have no bias) + fc weights and bias.",
        "torchvision's 11,689,512 params include 9,600 BN scale/shift params (4,800 channels) "
        "the workload does not count (-0.08%); torchvision's 1.81 GFLOPS is conv+fc MACs "
        "given to 3 significant digits.",
    ), [("image", [3, 224, 224])])

    net.conv("conv1", 64, 7, stride=2, padding=3, activation="relu")
    prev = net.pool("maxpool", "max", kernel=3, stride=2, padding=1)
    cin = 64
    for stage, (width, stride) in enumerate([(64, 1), (128, 2), (256, 2), (512, 2)], start=1):
        for i in range(2):
            s = stride if i == 0 else 1
            p = "layer%d_%d_" % (stage, i)
            x = net.conv(p + "conv1", width, 3, stride=s, padding=1, activation="relu",
                         inputs=prev)
            x = net.conv(p + "conv2", width, 3, padding=1, inputs=x)
            if s != 1 or cin != width:
                sc = net.conv(p + "downsample", width, 1, stride=s, inputs=prev)
            else:
                sc = prev
            prev = net.add(p + "add", [x, sc], activation="relu")
            cin = width
    net.pool("avgpool", "avg", global_=True, inputs=prev)
    net.fc("fc", 1000, bias=True)
    return net


def densenet121():
    net = Net("densenet121", _header(
        "DenseNet-121",
        "Huang et al., 'Densely Connected Convolutional Networks', CVPR 2017, Table 1 "
        "(DenseNet-121, k = 32); layer details as in torchvision densenet121.",
        "224x224 input, 7x7/2 stem (BN, ReLU), 3x3/2 max pool (pad 1), dense blocks of "
        "[6, 12, 24, 16] layers (each: BN, ReLU, 1x1 conv to 128, BN, ReLU, 3x3 conv to 32, "
        "reading the concat of the block's input and every earlier layer's output), transitions "
        "(BN, ReLU, 1x1 conv halving the channels, 2x2/2 avg pool), BN, ReLU, global avg pool, "
        "fc 1000 with bias.",
        "conv weights (convs have no bias) + the 2 C scale and shift of each batch norm that "
        "cannot be folded (the one on each concat: a batchnorm layer) + fc weights and bias; "
        "a batch norm right after a conv (the stem's, each layer's second) is folded into it "
        "and not counted.",
        "torchvision's 7,978,856 params include the scale and shift of the 59 folded batch "
        "norms (14,976) the workload does not count (-0.19%); torchvision's 2.83 GFLOPS is "
        "conv+fc MACs given to 3 significant digits.",
    ), [("image", [3, 224, 224])])
    net.conv("conv0", 64, 7, stride=2, padding=3, activation="relu")
    prev = net.pool("pool0", "max", kernel=3, stride=2, padding=1)
    channels = 64
    for b, layers in enumerate([6, 12, 24, 16], start=1):
        feats = [prev]
        for i in range(1, layers + 1):
            p = "block%d_layer%d_" % (b, i)
            x = feats[0] if len(feats) == 1 else net.concat(p + "cat", feats)
            x = net.batchnorm(p + "norm1", activation="relu", inputs=x)
            x = net.conv(p + "conv1", 128, 1, activation="relu", inputs=x)
            feats.append(net.conv(p + "conv2", 32, 3, padding=1, inputs=x))
        prev = net.concat("block%d_out" % b, feats)
        channels += 32 * layers
        if b < 4:
            p = "transition%d_" % b
            x = net.batchnorm(p + "norm", activation="relu", inputs=prev)
            channels //= 2
            x = net.conv(p + "conv", channels, 1, inputs=x)
            prev = net.pool(p + "pool", "avg", kernel=2, stride=2, inputs=x)
    net.batchnorm("norm5", activation="relu", inputs=prev)
    net.pool("avgpool", "avg", global_=True)
    net.fc("classifier", 1000, bias=True)
    return net


# ---------------------------------------------------------------------------
# BERT-base encoder
# ---------------------------------------------------------------------------
BERT_BASE = {"hidden": 768, "heads": 12, "ffn": 3072, "seq": 128}


def _attention(net, p, x, hidden, heads, seq):
    """Multi-head self-attention on x ([hidden, seq, 1]): Q, K, V projections; per head QK^T
    (K read transposed, as attention stores it) and a softmax over the keys scaled by
    1/sqrt(d); probabilities times V; the output projection (named p + "attn_out")."""
    d = hidden // heads
    q = net.add_layer(p + "query", "gemm", [x], m=seq, n=hidden, k=hidden, bias=True)
    k = net.add_layer(p + "key", "gemm", [x], m=seq, n=hidden, k=hidden, bias=True)
    v = net.add_layer(p + "value", "gemm", [x], m=seq, n=hidden, k=hidden, bias=True)
    net.add_layer(p + "scores", "gemm", [q, k], m=seq, n=seq, k=d, heads=heads,
                  transpose_b=True)
    probs = net.add_layer(p + "softmax", "softmax", groups=heads, scale=1 / d ** 0.5)
    net.add_layer(p + "context", "gemm", [probs, v], m=seq, n=d, k=seq, heads=heads)
    return net.add_layer(p + "attn_out", "gemm", m=seq, n=hidden, k=hidden, bias=True)


def _bert_layer(net, p, x, hidden, heads, ffn, seq):
    """One post-LN encoder layer of BERT on x ([hidden, seq, 1]: a token's features are its
    channels): Q, K, V projections; per head QK^T (K read transposed, as attention stores it)
    and a softmax over the keys scaled by 1/sqrt(d); probabilities times V; the output
    projection, residual add and layer norm; the GELU feed-forward block, residual add and
    layer norm. The head reshapes and transposes are views: head h of Q, K, V and of the
    context is channels [h d, (h + 1) d) of each token's row."""
    _attention(net, p, x, hidden, heads, seq)
    net.add(p + "attn_add", [p + "attn_out", x])
    h = net.add_layer(p + "attn_norm", "layernorm", bias=True)
    net.add_layer(p + "ffn_in", "gemm", m=seq, n=ffn, k=hidden, bias=True, activation="gelu")
    net.add_layer(p + "ffn_out", "gemm", m=seq, n=hidden, k=ffn, bias=True)
    net.add(p + "ffn_add", [p + "ffn_out", h])
    return net.add_layer(p + "ffn_norm", "layernorm", bias=True)


def _bert(name, title, layers):
    c = BERT_BASE
    net = Net(name, _header(
        title,
        "Devlin et al., 'BERT: Pre-training of Deep Bidirectional Transformers for Language "
        "Understanding', NAACL 2019 (BERT-base: L=12, H=768, A=12, FFN 4H = 3072); layer "
        "details as in Hugging Face transformers' BertLayer (post-LN, GELU, biases everywhere).",
        "Encoder only, sequence 128, %d layer(s); the input is the embeddings' output "
        "[768, 128, 1] (the embedding lookups, their layer norm and the pooler are not "
        "modelled). Attention: Q K^T and softmax(.) V per head (gemm heads: 12), no mask." % layers,
        "per layer: Q, K, V and output projections 4 (H^2 + H), FFN 2 H 4H + 4H + H, two layer "
        "norms 2 (2H) = 12 H^2 + 13 H = 7,087,872.",
        "none: MACs 12 s H^2 + 2 s^2 H = 931,135,488 per layer at s = 128 (projections 4 s H^2, "
        "FFN 8 s H^2, attention 2 s^2 H); params 7,087,872 per layer, the encoder part of "
        "BERT-base's 110 M (embeddings 23.8 M and the pooler 0.6 M are the rest).",
    ), [("embeddings", [c["hidden"], c["seq"], 1])])
    x = "embeddings"
    for i in range(layers):
        x = _bert_layer(net, "l%d_" % i, x, c["hidden"], c["heads"], c["ffn"], c["seq"])
    return net


def bert_base_layer():
    return _bert("bert_base_layer", "BERT-base encoder, one layer (sequence 128)", 1)


def bert_base():
    return _bert("bert_base", "BERT-base encoder, 12 layers (sequence 128)", 12)


def _vit_layer(net, p, x, hidden, heads, mlp, seq):
    """One pre-LN encoder layer of ViT on x ([hidden, seq, 1]): layer norm, Q, K, V, attention
    per head as in _bert_layer, the output projection and the residual add; layer norm, the
    GELU MLP and the residual add."""
    h = net.add_layer(p + "ln1", "layernorm", [x], bias=True)
    _attention(net, p, h, hidden, heads, seq)
    a = net.add(p + "attn_add", [p + "attn_out", x])
    net.add_layer(p + "ln2", "layernorm", [a], bias=True)
    net.add_layer(p + "mlp_in", "gemm", m=seq, n=mlp, k=hidden, bias=True, activation="gelu")
    net.add_layer(p + "mlp_out", "gemm", m=seq, n=hidden, k=mlp, bias=True)
    return net.add(p + "mlp_add", [p + "mlp_out", a])


def vit_b16():
    hidden, heads, mlp, layers, patch = 768, 12, 3072, 12, 16
    patches = (224 // patch) ** 2
    seq = patches + 1  # and the class token
    net = Net("vit_b16", _header(
        "ViT-B/16",
        "Dosovitskiy et al., 'An Image is Worth 16x16 Words', ICLR 2021, Table 1 (ViT-Base: 12 "
        "layers, hidden 768, MLP 3072, 12 heads), patch 16 at 224x224; layer details as in "
        "torchvision vit_b_16 (pre-LN, GELU, biases everywhere).",
        "Inputs: the image cut into its 196 16x16x3 patches, one row of 768 values each "
        "([768, 196, 1]), and the position embedding ([768, 197, 1]). The patch embedding is "
        "the paper's linear projection (the 16x16/16 conv as a gemm over the patches); the "
        "class token joins as a row above the patches (a pad: a copy, its values the fill), then "
        "the position embedding is added; 12 encoder layers, the final layer norm, the class "
        "token's row (a pad that crops the other 196) and the head (fc 1000).",
        "patch embedding 768 x 768 + 768; per layer 12 H^2 + 13 H = 7,087,872 (as BERT's); the "
        "final layer norm 2 H; head 768 x 1000 + 1000. The class token (the pad's fill) and "
        "the position embedding (an input) are not counted.",
        "torchvision's 86,567,656 params include the class token (768) and the position "
        "embedding (151,296) this workload does not count (-0.18%); its 17.56 GFLOPS are MACs "
        "to 4 significant digits (the exact count here: 17,563,828,224).",
    ), [("patches", [hidden, patches, 1]), ("pos_embed", [hidden, seq, 1])])
    net.add_layer("patch_embed", "gemm", ["patches"], m=patches, n=hidden, k=hidden, bias=True)
    net.add_layer("class_token", "pad", ["patch_embed"], padding=[1, 0, 0, 0])
    x = net.add("embed", ["class_token", "pos_embed"])
    for i in range(layers):
        x = _vit_layer(net, "l%d_" % i, x, hidden, heads, mlp, seq)
    net.add_layer("ln", "layernorm", [x], bias=True)
    net.add_layer("class_row", "pad", padding=[0, 0, 1 - seq, 0])
    net.fc("head", 1000, bias=True)
    return net


# ---------------------------------------------------------------------------
# ShuffleNetV2 1.0x
# ---------------------------------------------------------------------------
def shufflenetv2():
    net = Net("shufflenetv2", _header(
        "ShuffleNetV2 1.0x",
        "Ma et al., 'ShuffleNet V2: Practical Guidelines for Efficient CNN Architecture "
        "Design', ECCV 2018, Table 5 (1.0x: 24, 116, 232, 464, 1024 channels; 4, 8, 4 units); "
        "unit details as in torchvision shufflenet_v2_x1_0 (InvertedResidual).",
        "224x224 input, 3x3/2 conv 24 with ReLU, 3x3/2 max pool (pad 1); each stage's first "
        "unit (stride 2) joins two branches on the whole input (depthwise 3x3/2 -> 1x1 + ReLU; "
        "1x1 + ReLU -> depthwise 3x3/2 -> 1x1 + ReLU), the others split the channels in two "
        "halves (slice views), pass the first and run the second through 1x1 + ReLU -> "
        "depthwise 3x3 -> 1x1 + ReLU; concat, then a channel shuffle of 2 groups; 1x1 conv "
        "1024 with ReLU, global avg pool, fc 1000 with bias.",
        "conv weights only (BN folded, not counted, convs have no bias) + fc weights and bias.",
        "torchvision's 2,278,604 params include 16,180 BN scale/shift params (8,090 channels) "
        "the workload does not count (-0.71%); without them the count is exact. The paper's "
        "146M FLOPs are multiply-adds given to 3 significant digits (-0.75%).",
    ), [("image", [3, 224, 224])])

    net.conv("conv1", 24, 3, stride=2, padding=1, activation="relu")
    prev = net.pool("maxpool", "max", kernel=3, stride=2, padding=1)
    cin = 24
    for stage, (cout, units) in enumerate([(116, 4), (232, 8), (464, 4)], start=2):
        half = cout // 2
        for i in range(units):
            p = "stage%d_%d_" % (stage, i)
            if i == 0:
                b1 = net.conv(p + "b1_dw", cin, 3, stride=2, padding=1, groups=cin, inputs=prev)
                b1 = net.conv(p + "b1_pw", half, 1, activation="relu", inputs=b1)
                x = net.conv(p + "b2_pw1", half, 1, activation="relu", inputs=prev)
                stride = 2
            else:
                b1 = net.slice(p + "x1", 0, half, inputs=prev)
                x = net.slice(p + "x2", half, cout, inputs=prev)
                x = net.conv(p + "b2_pw1", half, 1, activation="relu", inputs=x)
                stride = 1
            x = net.conv(p + "b2_dw", half, 3, stride=stride, padding=1, groups=half, inputs=x)
            x = net.conv(p + "b2_pw2", half, 1, activation="relu", inputs=x)
            net.concat(p + "cat", [b1, x])
            prev = net.shuffle(p + "shuffle", 2)
            cin = cout
    net.conv("conv5", 1024, 1, activation="relu", inputs=prev)
    net.pool("avgpool", "avg", global_=True)
    net.fc("fc", 1000, bias=True)
    return net


# ---------------------------------------------------------------------------
# CIFAR-10 networks of the ARCHON study (Olyaiy, Ng and Lis, ICS 2021)
# ---------------------------------------------------------------------------
def _cifar_mobilenetv2_head(net):
    """The ARCHON study's MobileNetV2 head for CIFAR-10, in both variants: conv 3x3 3->32 with
    ReLU, then a first block that keeps its 1x1 expansion at expansion 1 (32 -> 32), as the
    authors' code has it; returns the block's output (16 channels)."""
    net.conv("conv1", 32, 3, padding=1, activation="relu")
    net.conv("b0_expand", 32, 1, activation="relu")
    net.conv("b0_dw", 32, 3, padding=1, groups=32, activation="relu")
    return net.conv("b0_project", 16, 1)


def mobilenetv2_cifar():
    net = Net("mobilenetv2_cifar", _header(
        "MobileNetV2 for CIFAR-10 (32x32), as trained in the ARCHON study",
        "compstruct/fusion-ml-models, cifar10/mobilenet/baseline/vanilla/mobilenet.py "
        "(build_model, InvertedBottleneck): the networks of Olyaiy, Ng and Lis, 'Accelerating "
        "DNNs inference with predictive layer fusion', ICS 2021.",
        "32x32x3 input; conv 3x3 3->32 stride 1 with ReLU; 17 inverted-residual blocks "
        "(expansion 1 for the first, which keeps its 1x1 expansion conv 32->32, 6 for the rest; ReLU after the expansion and the "
        "depthwise conv, linear projection; residual add when stride 1 and in == out "
        "channels) with channels 16, 24 x2, 32 x3, 64 x4 (the first stride 2), 96 x3, 160 x3 "
        "(the first stride 2), 320; conv 1x1 320->1280 with ReLU, global average pool, fc 10 "
        "with bias. Unlike ImageNet's MobileNetV2 only two blocks downsample (32 -> 16 -> 8).",
        "conv weights only (BN folded, convs without bias) + fc weights and bias.",
        "no published MAC or parameter count for this CIFAR variant: the counts are those of "
        "the authors' Keras definition (checked layer by layer in tests/scheduler/"
        "test_workloads.cpp).",
    ), [("image", [3, 32, 32])])
    _cifar_mobilenetv2_head(net)
    cfg = [  # t, c, n, s
        (6, 24, 2, 1), (6, 32, 3, 1), (6, 64, 4, 2),
        (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
    ]
    prev = _inverted_residuals(net, "b0_project", 16, cfg, "relu", first=1)
    net.conv("conv_last", 1280, 1, activation="relu", inputs=prev)
    net.pool("avgpool", "avg", global_=True)
    net.fc("fc", 10, bias=True)
    return net


# FusioNet's blocks: (in channels, out channels, expansion, stride, residual add), from the
# authors' cifar10/fusionet definition; scripts/archon_functional.py's FUSIONET has the same.
FUSIONET_BLOCKS = [(32, 32, 74, 1, False), (32, 32, 74, 1, True), (32, 32, 74, 1, True),
                   (32, 64, 74, 2, False), (64, 64, 37, 1, True), (64, 64, 37, 1, True),
                   (64, 64, 37, 1, True), (64, 96, 37, 2, False)] + \
    [(96, 96, 36, 1, True)] * 7 + [(96, 160, 36, 1, False)]


def fusionet():
    net = Net("fusionet", _header(
        "FusioNet for CIFAR-10 (32x32), the network ARCHON's predictive fusion was trained for",
        "compstruct/fusion-ml-models, cifar10/fusionet/vanilla/fusionet.py (build_model, "
        "ShuffleUnit, group_conv, ch_shuffle): Olyaiy, Ng and Lis, 'Accelerating DNNs "
        "inference with predictive layer fusion', ICS 2021.",
        "32x32x3 input; head: conv 3x3 3->32 with ReLU, 1x1 conv 32->32 in 4 groups with ReLU, "
        "channel shuffle (4 groups), depthwise 3x3 (linear); 16 shuffle units, each a 1x1 "
        "expansion C -> K = C x 74, 37 or 36 in 4 groups with ReLU, a depthwise 3x3 with ReLU, "
        "a linear 1x1 projection K -> M in 4 groups, a channel shuffle (4 groups), and a "
        "residual add where the authors have one (stride 1, C = M, not the first unit nor the "
        "last); tail: 1x1 conv 160->960 in 4 groups with ReLU, global average pool, fc 10 with "
        "bias. Stride 2 in units 4 and 8 (32 -> 16 -> 8).",
        "conv weights only (BN folded, convs without bias) + fc weights and bias.",
        "no published MAC or parameter count: the counts are those of the authors' Keras "
        "definition.",
    ), [("image", [3, 32, 32])])
    net.conv("conv1", 32, 3, padding=1, activation="relu")
    net.conv("head_pw", 32, 1, groups=4, activation="relu")
    net.add_layer("head_shuffle", "shuffle", groups=4)
    prev = net.conv("head_dw", 32, 3, padding=1, groups=32)
    for i, (c, m, e, s, residual) in enumerate(FUSIONET_BLOCKS, 1):
        p = "b%d_" % i
        k = c * e
        net.conv(p + "expand", k, 1, groups=4, activation="relu", inputs=prev)
        net.conv(p + "dw", k, 3, stride=s, padding=1, groups=k, activation="relu")
        net.conv(p + "project", m, 1, groups=4)
        x = net.add_layer(p + "shuffle", "shuffle", groups=4)
        prev = net.add(p + "add", [prev, x]) if residual else x
    net.conv("tail_pw", 960, 1, groups=4, activation="relu", inputs=prev)
    net.pool("avgpool", "avg", global_=True)
    net.fc("fc", 10, bias=True)
    return net


# The ShuffleNet-like compact baseline's units: (in channels, out channels, bottleneck channels,
# stride), from the authors' cifar10/shufflenet/baseline/vanilla/shufflenet.py (build_model:
# the bottleneck is int(in x expansion), expansion 1 for the first unit and 0.25 otherwise).
SHUFFLENET_CIFAR_UNITS = [(24, 240, 24, 1)] + [(240, 240, 60, 1)] * 3 + \
    [(240, 480, 60, 2)] + [(480, 480, 120, 1)] * 7 + \
    [(480, 960, 120, 2)] + [(960, 960, 240, 1)] * 3


def shufflenet_cifar():
    net = Net("shufflenet_cifar", _header(
        "ShuffleNet (3 groups) for CIFAR-10 (32x32), the compact baseline of the ARCHON study",
        "compstruct/fusion-ml-models, cifar10/shufflenet/baseline/vanilla/shufflenet.py "
        "(build_model, ShuffleUnit, group_conv, ch_shuffle; its Keras summary in test.out of the "
        "same folder); block shapes also in compstruct/fusion-timeloop-model, "
        "shufflenet/cifar10/bottlenecks/sim.py (bl_in_ch, bl_midd_ch, bl_out_ch, BL_GROUPS = 3): "
        "Olyaiy, Ng and Lis, 'Accelerating DNNs inference with predictive layer fusion', ICS "
        "2021.",
        "32x32x3 input; conv 3x3 3->24 with ReLU; 16 ShuffleNet (v1) units of 3 groups, each a "
        "1x1 conv C -> B in 3 groups with ReLU, a channel shuffle (3 groups), a depthwise 3x3 "
        "(linear), a 1x1 conv B -> M in 3 groups (linear); stride 1 and C = M: residual add, "
        "then ReLU; otherwise the 1x1 conv gives M - C channels, concatenated (conv first) with "
        "a 3x3 average pool (pad 1, the unit's stride) of the unit's input, then ReLU. Units: "
        "24 -> 240 (B = 24, stride 1), 3 x 240 (B = 60), 240 -> 480 (B = 60, stride 2), 7 x 480 "
        "(B = 120), 480 -> 960 (B = 120, stride 2), 3 x 960 (B = 240): bottlenecks 60/120/240 "
        "after the 24-channel stem, B = int(C x 0.25) (x 1 for the first unit, whose 1x1 conv "
        "24 -> 24 is grouped too). Global average pool, fc 10 with bias (its softmax omitted). "
        "TensorFlow's SAME padding of the stride-2 layers is written as padding 1 (same output "
        "shapes and MACs), as in mobilenetv2_cifar.yaml.",
        "conv weights only (BN folded, convs without bias) + fc weights and bias.",
        "no published MAC count. The authors' Keras summary (test.out) lists 883,306 params, "
        "47,232 of them batch norm (23,616 trainable scale/shift, 23,616 moving statistics): "
        "without them 836,074, this workload's count exactly. Their Timeloop model "
        "(bottlenecks/sim.py) gives the two stride-2 units' first 1x1 conv and depthwise conv "
        "120 and 240 channels where the Keras model they trained has 60 and 120 (B = C/4 of "
        "the unit's input); this workload follows the Keras model.",
    ), [("image", [3, 32, 32])])
    groups = 3
    prev = net.conv("conv1", 24, 3, padding=1, activation="relu")
    for i, (c, m, b, s) in enumerate(SHUFFLENET_CIFAR_UNITS):
        p = "b%d_" % i
        keep = s == 1 and c == m
        net.conv(p + "pw1", b, 1, groups=groups, activation="relu", inputs=prev)
        net.shuffle(p + "shuffle", groups)
        net.conv(p + "dw", b, 3, stride=s, padding=1, groups=b)
        x = net.conv(p + "pw2", m if keep else m - c, 1, groups=groups)
        if keep:
            prev = net.add(p + "add", [x, prev], activation="relu")
        else:
            pool = net.pool(p + "pool", "avg", kernel=3, stride=s, padding=1, inputs=prev)
            prev = net.add_layer(p + "cat", "concat", [x, pool], activation="relu")
    net.pool("avgpool", "avg", global_=True, inputs=prev)
    net.fc("fc", 10, bias=True)
    return net


# The modified MobileNetV2's blocks after the first: (in channels, out channels, stride), all
# with K = 864 expansion channels, from the authors' cifar10/mobilenet/modified/vanilla/
# mobilenet.py (expansions 54, 36, 27 and 21.6 times the block's input channels).
MOBILENETV2_CIFAR_MOD_K = 864
MOBILENETV2_CIFAR_MOD_BLOCKS = [(16, 24, 1), (24, 24, 1), (24, 24, 1), (24, 32, 2),
                                (32, 32, 1), (32, 32, 1), (32, 32, 1), (32, 40, 2)] + \
    [(40, 40, 1)] * 5 + [(40, 80, 1)]


def mobilenetv2_cifar_mod():
    net = Net("mobilenetv2_cifar_mod", _header(
        "MobileNetV2 for CIFAR-10 (32x32) as the ARCHON study modified it for fusion (K = 864)",
        "compstruct/fusion-ml-models, cifar10/mobilenet/modified/vanilla/mobilenet.py "
        "(build_model, InvertedBottleneck; its Keras summary in cifar10/mobilenet/modified/"
        "pruned/test.out); block shapes also in compstruct/fusion-timeloop-model, "
        "mobilenet/cifar10/bottlenecks/sim.py (f_in_ch, f_midd_ch = [864] * 14, f_out_ch, "
        "f_stride) and its head and tail in mobilenet/cifar10/head_and_tail/fused/: Olyaiy, Ng "
        "and Lis, 'Accelerating DNNs inference with predictive layer fusion', ICS 2021.",
        "32x32x3 input; conv 3x3 3->32 with ReLU; a first inverted-residual block at expansion "
        "1 (1x1 conv 32->32, depthwise 3x3, both with ReLU, linear 1x1 projection to 16); 14 "
        "blocks that all expand to K = 864 channels (1x1 conv with ReLU, depthwise 3x3 with "
        "ReLU, not ReLU6, linear 1x1 projection; residual add when stride 1 and in == out "
        "channels) with outputs 24 x3, 32 x4 (the first stride 2), 40 x6 (the first stride 2), "
        "80; conv 1x1 80->1280 with ReLU, global average pool, fc 10 with bias (its softmax "
        "omitted). The blocks of 40 channels expand by 21.6 in the authors' code: 40 x 21.6 = "
        "864.",
        "conv weights only (BN folded, convs without bias) + fc weights and bias.",
        "no published MAC count. The authors' Keras summary of the pruned model (same layers) "
        "lists 1,174,442 params, 104,416 of them batch norm (52,208 trainable scale/shift, "
        "52,208 moving statistics): without them 1,070,026, this workload's count exactly.",
    ), [("image", [3, 32, 32])])
    prev = _cifar_mobilenetv2_head(net)
    for i, (c, m, s) in enumerate(MOBILENETV2_CIFAR_MOD_BLOCKS, 1):
        prev = net.inverted_residual("b%d_" % i, prev, c, MOBILENETV2_CIFAR_MOD_K, m, 3, s,
                                     "relu")
    # The artifact prunes this network's fused weights to 0.013 (fusim's default is FusioNet's
    # 0.014): on each block's projection.
    for layer in net.layers:
        if layer["name"].endswith("_project") and layer["name"] != "b0_project":
            layer["fused_prune"] = 0.013
    net.conv("conv_last", 1280, 1, activation="relu", inputs=prev)
    net.pool("avgpool", "avg", global_=True)
    net.fc("fc", 10, bias=True)
    return net


# MnasNet's blocks for CIFAR-10: (in channels, expansion channels, out channels, depthwise
# kernel, stride, squeeze-excitation), from the authors' cifar10/mnasnet/baseline/vanilla/
# mnasnet.py (build_model, MNAS_block).
MNASNET_CIFAR_BLOCKS = [
    (16, 96, 24, 3, 1, False), (24, 144, 24, 3, 1, False),
    (24, 72, 40, 5, 2, True), (40, 120, 40, 5, 1, True), (40, 120, 40, 5, 1, True),
    (40, 240, 80, 3, 1, False), (80, 480, 80, 3, 1, False), (80, 480, 80, 3, 1, False),
    (80, 480, 80, 3, 1, False),
    (80, 480, 112, 3, 1, True), (112, 672, 112, 3, 1, True),
    (112, 672, 160, 5, 2, True), (160, 960, 160, 5, 1, True), (160, 960, 160, 5, 1, True),
    (160, 960, 320, 3, 1, False),
]


def mnasnet_cifar():
    net = Net("mnasnet_cifar", _header(
        "MnasNet for CIFAR-10 (32x32), the baseline MnasNet of the ARCHON study",
        "compstruct/fusion-ml-models, cifar10/mnasnet/baseline/vanilla/mnasnet.py (build_model, "
        "MNAS_block); block shapes also in compstruct/fusion-timeloop-model, "
        "mnasnet/cifar10/bottlenecks/sim.py (bl_in_ch, bl_expansions, bl_out_ch, bl_stride, "
        "bl_dw_kernel_size): Olyaiy, Ng and Lis, 'Accelerating DNNs inference with predictive "
        "layer fusion', ICS 2021.",
        "32x32x3 input; conv 3x3 3->32 with ReLU; a separable head: depthwise 3x3 with ReLU, "
        "linear 1x1 projection to 16; 15 MnasNet blocks (1x1 expansion with ReLU, depthwise "
        "k x k with ReLU, squeeze-excitation where the authors have one: global average pool, "
        "1x1 conv to K/4 with bias and ReLU, 1x1 conv back to K with bias and sigmoid, times "
        "the depthwise output; linear 1x1 projection; residual add when stride 1 and in == out "
        "channels): 16->24 (K 96, 3x3), 24 (144, 3x3), 24->40 (72, 5x5, stride 2, SE), 2 x 40 "
        "(120, 5x5, SE), 40->80 (240, 3x3), 3 x 80 (480, 3x3), 80->112 (480, 3x3, SE), 112 "
        "(672, 3x3, SE), 112->160 (672, 5x5, stride 2, SE), 2 x 160 (960, 5x5, SE), 160->320 "
        "(960, 3x3); global average pool straight after the last block (no 1x1 conv to 1280 "
        "in the authors' Keras model), fc 10 with bias (its softmax omitted). Only two blocks "
        "downsample (32 -> 16 -> 8). TensorFlow's SAME padding of the stride-2 depthwise convs "
        "is written as symmetric padding (same output shapes and MACs).",
        "conv weights only (BN folded; the SE convs have biases) + fc weights and bias.",
        "no published MAC or parameter count for this CIFAR variant: the counts are those of "
        "the authors' Keras definition. Their Timeloop tail "
        "(mnasnet/cifar10/head_and_tail/baseline/tail/sim.py) simulates a 1x1 conv 320 -> "
        "1280 before the fc (fc 1280 -> 10) that the Keras model they trained does not have; "
        "this workload follows the Keras model. The authors' modified MnasNet "
        "(cifar10/mnasnet/modified/, K = 960) is not this workload.",
    ), [("image", [3, 32, 32])])
    net.conv("conv1", 32, 3, padding=1, activation="relu")
    net.conv("b0_dw", 32, 3, padding=1, groups=32, activation="relu")
    prev = net.conv("b0_project", 16, 1)
    for i, (c, k, m, kernel, s, se) in enumerate(MNASNET_CIFAR_BLOCKS, 1):
        prev = net.inverted_residual("b%d_" % i, prev, c, k, m, kernel, s, "relu",
                                     (k // 4, "relu", "sigmoid") if se else None)
    net.pool("avgpool", "avg", global_=True, inputs=prev)
    net.fc("fc", 10, bias=True)
    return net


NETWORKS = [
    ("mobilenetv2.yaml", mobilenetv2),
    ("resnet50.yaml", resnet50),
    ("vgg16.yaml", vgg16),
    ("alexnet.yaml", alexnet),
    ("mobilenetv1.yaml", mobilenetv1),
    ("googlenet.yaml", googlenet),
    ("squeezenet.yaml", squeezenet),
    ("efficientnet_b0.yaml", efficientnet_b0),
    ("mobilenetv3_large.yaml", mobilenetv3_large),
    ("resnet18.yaml", resnet18),
    ("densenet121.yaml", densenet121),
    ("shufflenetv2.yaml", shufflenetv2),
    ("mobilenetv2_cifar.yaml", mobilenetv2_cifar),
    ("fusionet.yaml", fusionet),
    ("shufflenet_cifar.yaml", shufflenet_cifar),
    ("mobilenetv2_cifar_mod.yaml", mobilenetv2_cifar_mod),
    ("mnasnet_cifar.yaml", mnasnet_cifar),
    ("bert_base_layer.yaml", bert_base_layer),
    ("bert_base.yaml", bert_base),
    ("vit_b16.yaml", vit_b16),
    ("tiny_chain.yaml", tiny_chain),
    ("tiny_dag.yaml", tiny_dag),
]


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    outdir = argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(here), "workloads")
    os.makedirs(outdir, exist_ok=True)
    for fname, builder in NETWORKS:
        net = builder()
        path = os.path.join(outdir, fname)
        with open(path, "w", newline="\n") as f:
            f.write(net.to_yaml())
        print("wrote %s (%d layers)" % (path, len(net.layers)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
