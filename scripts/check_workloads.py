#!/usr/bin/python3
"""Independent reference checker for fusim network workload YAML files.

Usage:
  /usr/bin/python3 scripts/check_workloads.py [-v] [--write-published] [FILE.yaml ...]

Loads each workload (default: every workloads/*.yaml), validates it against
the network format, infers every layer's output shape, computes total MACs and
parameters, and prints a table against the published figures in PUBLISHED
below.  Exit status is non-zero if a file is invalid, a real network is more
than TOLERANCE away from its published MACs or params, a synthetic network
does not give its exact expected totals, or tests/data/published.yaml is out
of date with PUBLISHED (regenerate it with --write-published).

This file deliberately shares no code with scripts/gen_workloads.py.
Needs python3-yaml: run it with /usr/bin/python3.

Counting rules (the fusim network format):
  conv   out = floor((H + 2p - d(k-1) - 1)/s) + 1
         MACs = batch*K*E*F*(C/groups)*kh*kw, params = K*(C/groups)*kh*kw (+K if bias)
  pool   out = floor((H + 2p - k)/s) + 1 (ceil instead with ceil_mode); global -> 1x1
  fc     in = C*H*W, out [out_features,1,1], MACs = batch*in*out, params in*out (+out)
  gemm   out [n,m,1], MACs = batch*m*n*k; 1 input: params k*n (+n); 2 inputs: none
  add, sub, mul, div, max, min: numpy-style broadcasting (per dimension equal or 1), out the
         per-dimension maximum; sub and div take two inputs, the others two or more
  activation (a layer applying its `activation` function) and add ... concat: no MACs, no params
  activation clip takes clip_min < clip_max, leaky_relu an optional negative_slope
  slice  channels [begin, end) of its one input (0 <= begin < end <= C): out [end-begin, H, W]
  shuffle  a permutation of its one input's channels in `groups` groups (groups divides C):
         out = in; slice and shuffle: no MACs, no params
"""

import glob
import math
import os
import sys

try:
    import yaml
except ImportError:  # pragma: no cover
    sys.exit("check_workloads.py needs PyYAML; run it with /usr/bin/python3")

TOLERANCE = 0.01

# ---------------------------------------------------------------------------
# Published reference figures.  `macs` / `params` are the integers we compare
# against; `source` says where they come from; `note` explains precision and
# any convention difference.  Keep tests/data/published.yaml in sync with
# --write-published.
# ---------------------------------------------------------------------------
PUBLISHED = [
    {
        "workload": "mobilenetv2.yaml",
        "macs": 300_000_000,
        "params": 3_470_000,
        "source": "TF-slim models/research/slim/nets/mobilenet/README.md, "
                  "mobilenet_v2_1.0_224: 300 M MACs, 3.47 M params "
                  "(paper Sandler et al. 2018 Table 4: 300M MAdds, 3.4M params)",
        "note": "Most precise published figures (300, 3.47; 3 s.f.). TF-slim has a 1001-class "
                "head (+1,281 params vs 1000 classes). torchvision's 3,504,872 params also count "
                "34,112 BN scale/shift params, which the workload (BN folded) does not.",
    },
    {
        "workload": "resnet50.yaml",
        "macs": 4_090_000_000,
        "params": 25_557_032,
        "source": "torchvision docs, ResNet50_Weights.IMAGENET1K_V1 (v1.5): num_params 25,557,032, "
                  "GFLOPS 4.09",
        "note": "v1.5 (stride 2 on the 3x3 conv). torchvision's params include 53,120 BN "
                "scale/shift params the workload does not count (-0.21%). GFLOPS in torchvision "
                "docs are conv+linear multiply-accumulates (3 s.f.). The ResNet paper's 3.8e9 "
                "'FLOPs' is for v1 and rounded.",
    },
    {
        "workload": "vgg16.yaml",
        "macs": 15_470_000_000,
        "params": 138_357_544,
        "source": "torchvision docs, VGG16_Weights.IMAGENET1K_V1: num_params 138,357,544, "
                  "GFLOPS 15.47",
        "note": "Params exact (conv+fc weights and biases, no BN). MACs given to 4 s.f.; "
                "commonly quoted as 15.5G MACs / 138M params.",
    },
    {
        "workload": "alexnet.yaml",
        "macs": 710_000_000,
        "params": 61_100_840,
        "source": "torchvision docs, AlexNet_Weights.IMAGENET1K_V1: num_params 61,100,840, "
                  "GFLOPS 0.71",
        "note": "torchvision single-tower variant. Params exact. MACs only published to 2 s.f. "
                "(0.71 G); the exact conv+fc count (714,188,480) is +0.59% from it. The original "
                "two-group AlexNet (Krizhevsky et al. 2012) is ~61M params / ~724M MACs and is "
                "not what this workload models.",
    },
    {
        "workload": "mobilenetv1.yaml",
        "macs": 569_000_000,
        "params": 4_240_000,
        "source": "TF-slim models/research/slim/nets/mobilenet_v1.md, MobileNet_v1_1.0_224: "
                  "569 M MACs, 4.24 M params (paper Howard et al. 2017 Table 8: 569M Mult-Adds, "
                  "4.2M params)",
        "note": "Most precise published params figure is TF-slim's 4.24M (paper: 4.2M). TF-slim "
                "counts a 1001-class head and BN parameters; the workload counts conv weights "
                "plus a 1000-class fc with bias (-0.19%).",
    },
    {
        "workload": "googlenet.yaml",
        "macs": 1_586_000_000,
        "params": 6_960_845,
        "source": "Szegedy et al., 'Going Deeper with Convolutions', CVPR 2015, Table 1 "
                  "(ops and params columns), with the conv1 row corrected -- see note",
        "note": "NOT the paper's headline figures (~1.5G multiply-adds, 6.8M params), which the "
                "true architecture misses by +5.5% MACs. Params: Table 1's params column is in "
                "units of 1024 weights (3a: 163,328 weights = 159K; linear 1,024,000 = 1000K), "
                "so its 6,797.7K total = 6,960,845 weights, used here; the paper, like the "
                "workload, counts weights only (no biases; Caffe bvlc_googlenet with biases: "
                "6,998,552). Rows 4a-5b of the column deviate from their own channel counts "
                "by -5% to +7.5% but largely cancel. MACs: the conv1 row (2.7K params, 34M "
                "ops) is wrong for a 7x7x3->64 conv at 112x112 (9,408 weights, 118.0M MACs); "
                "the reference is the ops column sum with conv1 corrected: 1,502M - 34M + 118M "
                "= 1,586M. MobileNetV1 paper Table 8 quotes GoogLeNet at 1550M / 6.8M.",
    },
    {
        "workload": "squeezenet.yaml",
        "macs": 820_000_000,
        "params": 1_248_424,
        "source": "params: Iandola et al. 2016 (SqueezeNet) Table 1 total, = torchvision "
                  "SqueezeNet1_0_Weights num_params 1,248,424; MACs: torchvision docs "
                  "SqueezeNet1_0_Weights GFLOPS 0.82",
        "note": "v1.0, 224x224 input as in torchvision (paper/Caffe: 227x227, which gives more "
                "MACs). Params exact (weights + biases). MACs published only to 2 s.f.",
    },
]

PUBLISHED += [
    {
        "workload": "efficientnet_b0.yaml",
        "macs": 390_000_000,
        "macs_unit": 10_000_000,
        "params": 5_288_548,
        "source": "torchvision docs, EfficientNet_B0_Weights.IMAGENET1K_V1: num_params "
                  "5,288,548, GFLOPS 0.39 (Tan & Le 2019, Table 2: 5.3M params, 0.39B FLOPS)",
        "note": "MACs published to 2 s.f. only (0.39 G): macs_unit says so, and the check "
                "measures the distance to the interval [0.385 G, 0.395 G] that rounds to it; "
                "the exact conv+fc count (385,814,752) is -1.07% from 0.39 G itself. "
                "torchvision's params include 42,016 BN scale/shift params the workload "
                "(BN folded) does not count (-0.79%); without them the count is exact.",
    },
    {
        "workload": "mobilenetv3_large.yaml",
        "macs": 217_000_000,
        "params": 5_483_032,
        "source": "MACs: TF-slim models/research/slim/nets/mobilenet/README.md, Large dm=1 "
                  "(float): 217 M MACs, 5.4 M params; params: torchvision docs, "
                  "MobileNet_V3_Large_Weights.IMAGENET1K_V1 num_params 5,483,032 (paper Howard "
                  "et al. 2019 Table 3: 219M MAdds, 5.4M params)",
        "note": "The paper's 219M MAdds is +1.1% from the conv+fc count, TF-slim's 217M -0.19%. "
                "torchvision's params include 24,400 BN scale/shift params (12,200 channels) the "
                "workload does not count (-0.45%); the 5.4M of TF-slim and the paper is 2 s.f.",
    },
    {
        "workload": "resnet18.yaml",
        "macs": 1_810_000_000,
        "macs_unit": 10_000_000,
        "params": 11_689_512,
        "source": "torchvision docs, ResNet18_Weights.IMAGENET1K_V1: num_params 11,689,512, "
                  "GFLOPS 1.81",
        "note": "GFLOPS in torchvision docs are conv+linear multiply-accumulates, given to 3 s.f. "
                "(macs_unit); the exact count (1,814,073,344) is +0.23% from 1.81 G itself. "
                "torchvision's params include 9,600 BN scale/shift params (4,800 channels) the "
                "workload (BN folded) does not count (-0.08%); without them the count is exact.",
    },
    {
        "workload": "densenet121.yaml",
        "macs": 2_830_000_000,
        "macs_unit": 10_000_000,
        "params": 7_978_856,
        "source": "torchvision docs, DenseNet121_Weights.IMAGENET1K_V1: num_params 7,978,856, "
                  "GFLOPS 2.83",
        "note": "GFLOPS in torchvision docs are conv+linear multiply-accumulates, given to 3 s.f. "
                "(macs_unit); the exact count (2,834,161,664) is +0.15% from 2.83 G itself. "
                "torchvision's params include the scale and shift of the 59 batch norms that "
                "follow a conv (14,976), which the workload folds into the conv and does not "
                "count (-0.19%); the other 61 (on each concat, in the transitions, the last) "
                "are batchnorm layers with their 2 C params.",
    },
    {
        "workload": "vit_b16.yaml",
        "macs": 17_560_000_000,
        "macs_unit": 10_000_000,
        "params": 86_567_656,
        "source": "torchvision docs, ViT_B_16_Weights.IMAGENET1K_V1: num_params 86,567,656, "
                  "GFLOPS 17.56",
        "note": "GFLOPS in torchvision docs are multiply-accumulates, to 4 s.f. (macs_unit); the "
                "exact count (17,563,828,224) is +0.02% from 17.56 G itself. torchvision's params "
                "include the class token (768, the fill of a pad here) and the position embedding "
                "(151,296, an input here), not counted (-0.18%).",
    },
    {
        "workload": "shufflenetv2.yaml",
        "macs": 146_000_000,
        "macs_unit": 1_000_000,
        "params": 2_278_604,
        "source": "MACs: Ma et al., 'ShuffleNet V2', ECCV 2018, Table 5 (ShuffleNet v2 1x: 146M "
                  "FLOPs, which the paper counts as multiply-adds); params: torchvision docs, "
                  "ShuffleNet_V2_X1_0_Weights.IMAGENET1K_V1 num_params 2,278,604",
        "note": "The paper's 146M is 3 s.f. (macs_unit); the exact conv+fc count (144,907,992) is "
                "-0.75% from 146M itself. torchvision's params include 16,180 BN scale/shift "
                "params (8,090 channels) the workload (BN folded) does not count (-0.71%); "
                "without them the count is exact. Channel split (slice views), concat and "
                "channel shuffle have no MACs.",
    },
    {
        "workload": "bert_base.yaml",
        "macs": 12 * (12 * 128 * 768 ** 2 + 2 * 128 ** 2 * 768),
        "params": 12 * (12 * 768 ** 2 + 13 * 768),
        "source": "BERT-base (Devlin et al. 2019: L=12, H=768, A=12, FFN 4H) at sequence s=128: "
                  "per layer MACs 12 s H^2 + 2 s^2 H (Q, K, V, output projections 4 s H^2, FFN "
                  "8 s H^2, Q K^T and P V 2 s^2 H) = 931,135,488, params 12 H^2 + 13 H "
                  "(projections 4 (H^2 + H), FFN 8 H^2 + 5 H, two layer norms 4 H) = 7,087,872; "
                  "times 12",
        "note": "Encoder only: Hugging Face bert-base-uncased's 109,482,240 parameters less the "
                "embeddings ((30,522 + 512 + 2) x 768 + 2 x 768 = 23,837,184) and the pooler "
                "(590,592) are exactly these 85,054,464. MACs are the usual 11.2 G (22.3 GFLOPs) "
                "for 128 tokens; softmax, layer norm, GELU and the residual adds are vector-unit "
                "work, not MACs.",
    },
    {
        "workload": "bert_base_layer.yaml",
        "macs": 12 * 128 * 768 ** 2 + 2 * 128 ** 2 * 768,
        "params": 12 * 768 ** 2 + 13 * 768,
        "source": "one BERT-base encoder layer at sequence 128: the per-layer figures of "
                  "bert_base.yaml (12 s H^2 + 2 s^2 H MACs, 12 H^2 + 13 H params)",
        "note": "A twelfth of bert_base.yaml's figures, exactly.",
    },
]

# Synthetic networks: exact expected totals (batch 1), derived by hand in the
# YAML headers.
EXPECTED_EXACT = {
    "tiny_chain.yaml": {"macs": 139_264, "params": 11_618, "layers": 3},
    "tiny_dag.yaml": {"macs": 1_038_336, "params": 14_266, "layers": 8},
}

# ---------------------------------------------------------------------------
# Loader / shape inference
# ---------------------------------------------------------------------------
TOP_KEYS = {"name", "batch", "inputs", "layers"}
INPUT_KEYS = {"name", "shape"}
COMMON_KEYS = {"name", "type", "inputs", "activation"}
TYPE_KEYS = {
    # survival (with relu), fused_prune, weight_density: ARCHON's block and pruning figures,
    # which change no shape (docs/archon.md).
    "conv": {"out_channels", "kernel", "stride", "padding", "dilation", "groups", "bias",
             "ceil_mode", "survival", "fused_prune", "weight_density"},
    "fc": {"out_features", "bias", "weight_density"},
    "gemm": {"m", "n", "k", "bias", "heads", "transpose_b"},
    "pool": {"mode", "global", "kernel", "stride", "padding", "ceil_mode"},
    "add": set(),
    "sub": set(),
    "mul": set(),
    "div": set(),
    "max": set(),
    "min": set(),
    "activation": set(),
    "concat": set(),
    "slice": {"channels"},
    "shuffle": {"groups"},
    "softmax": {"groups", "scale", "causal"},
    "layernorm": {"bias"},
    "reduce": {"mode"},
    "batchnorm": set(),
    "resize": {"scale", "mode"},
    "pad": {"padding"},
    "transpose": set(),
}
ELEMENTWISE = {"add", "sub", "mul", "div", "max", "min"}
ACTIVATIONS = {"relu", "relu6", "none", "clip", "leaky_relu", "sigmoid", "silu", "hardsigmoid",
               "hardswish", "gelu", "tanh"}
# Keys of an activation function's parameters, allowed on any layer with that activation.
ACTIVATION_KEYS = {"clip": {"clip_min", "clip_max"}, "leaky_relu": {"negative_slope"}}


class WorkloadError(Exception):
    pass


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _prod(shape):
    return shape[0] * shape[1] * shape[2]


def _pos_int(v, what):
    if not _is_int(v) or v <= 0:
        raise WorkloadError("%s must be a positive integer, got %r" % (what, v))
    return v


def _pair(v, what, minimum):
    if _is_int(v):
        v = [v, v]
    if (not isinstance(v, list) or len(v) != 2 or not all(_is_int(x) for x in v)
            or any(x < minimum for x in v)):
        raise WorkloadError("%s must be an int >= %d or a list of two, got %r"
                            % (what, minimum, v))
    return tuple(v)


def _bool(v, what):
    if not isinstance(v, bool):
        raise WorkloadError("%s must be true/false, got %r" % (what, v))
    return v


def _pads(v, what, minimum=0):
    """(top, left, bottom, right) of a padding: an int, [h, w] or the four; sides from
    `minimum` (a pad layer's crop: negative)."""
    if isinstance(v, list) and len(v) == 4:
        if not all(_is_int(x) and x >= minimum for x in v):
            raise WorkloadError("%s must hold ints >= %d, got %r" % (what, minimum, v))
        return tuple(v)
    ph, pw = _pair(v, what, minimum)
    return (ph, pw, ph, pw)


def _window_out(size, k, s, p, q, d, ceil_mode):
    span = size + p + q - d * (k - 1) - 1
    if span < 0:
        return 0
    return (math.ceil(span / s) if ceil_mode else span // s) + 1


def analyse(path):
    """Return dict(name, batch, layers=[...], macs, params) or raise WorkloadError."""
    with open(path) as f:
        doc = yaml.safe_load(f)
    if not isinstance(doc, dict):
        raise WorkloadError("top level must be a mapping")
    extra = set(doc) - TOP_KEYS
    if extra:
        raise WorkloadError("unknown top-level keys %s" % sorted(extra))
    if not isinstance(doc.get("name"), str) or not doc["name"]:
        raise WorkloadError("`name` must be a non-empty string")
    batch = _pos_int(doc.get("batch", 1), "batch")
    ins = doc.get("inputs")
    if not isinstance(ins, list) or not ins:
        raise WorkloadError("`inputs` must be a non-empty list")
    layers = doc.get("layers")
    if not isinstance(layers, list) or not layers:
        raise WorkloadError("`layers` must be a non-empty list")

    shapes = {}  # name -> (C, H, W)
    order = []
    for i, item in enumerate(ins):
        if not isinstance(item, dict) or set(item) - INPUT_KEYS:
            raise WorkloadError("input %d: bad entry %r" % (i, item))
        n = item.get("name")
        if not isinstance(n, str) or not n:
            raise WorkloadError("input %d: name must be a string" % i)
        if n in shapes:
            raise WorkloadError("duplicate name %s" % n)
        shp = item.get("shape")
        if not isinstance(shp, list) or len(shp) != 3:
            raise WorkloadError("input %s: shape must be [C, H, W]" % n)
        shapes[n] = tuple(_pos_int(x, "input %s shape" % n) for x in shp)
        order.append(n)

    rows = []
    total_macs = 0
    total_params = 0
    prev = order[0]
    for idx, L in enumerate(layers):
        if not isinstance(L, dict):
            raise WorkloadError("layer %d is not a mapping" % idx)
        name = L.get("name")
        if not isinstance(name, str) or not name:
            raise WorkloadError("layer %d: name must be a non-empty string" % idx)
        if name in shapes:
            raise WorkloadError("duplicate name %s" % name)
        t = L.get("type")
        if t not in TYPE_KEYS:
            raise WorkloadError("%s: unknown type %r" % (name, t))
        act = L.get("activation", "none")
        if act not in ACTIVATIONS:
            raise WorkloadError("%s: bad activation %r" % (name, act))
        if t == "activation" and act == "none":
            raise WorkloadError("%s: an activation layer needs a function" % name)
        extra = set(L) - COMMON_KEYS - TYPE_KEYS[t] - ACTIVATION_KEYS.get(act, set())
        if extra:
            raise WorkloadError("%s: keys %s not allowed for type %s" % (name, sorted(extra), t))
        if act == "clip":
            lo, hi = L.get("clip_min"), L.get("clip_max")
            if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (lo, hi)) \
                    or not lo < hi:
                raise WorkloadError("%s: clip needs numbers clip_min < clip_max" % name)
        srcs = L.get("inputs", [prev])
        if not isinstance(srcs, list) or not srcs or not all(isinstance(s, str) for s in srcs):
            raise WorkloadError("%s: inputs must be a non-empty list of names" % name)
        for s in srcs:
            if s not in shapes:
                raise WorkloadError("%s: input %s is not a network input or an earlier layer"
                                    % (name, s))
        in_shapes = [shapes[s] for s in srcs]
        macs = 0
        params = 0
        desc = ""

        if t == "conv":
            if len(srcs) != 1:
                raise WorkloadError("%s: conv takes exactly one input" % name)
            C, H, W = in_shapes[0]
            K = _pos_int(L.get("out_channels"), name + ".out_channels")
            if "kernel" not in L:
                raise WorkloadError("%s: conv needs kernel" % name)
            kh, kw = _pair(L["kernel"], name + ".kernel", 1)
            sh, sw = _pair(L.get("stride", 1), name + ".stride", 1)
            ph, pw, pb, pr = _pads(L.get("padding", 0), name + ".padding")
            dh, dw = _pair(L.get("dilation", 1), name + ".dilation", 1)
            g = _pos_int(L.get("groups", 1), name + ".groups")
            bias = _bool(L.get("bias", False), name + ".bias")
            # ceil_mode on a conv: plain ceil, as SCALE-Sim rounds (no last-window rule)
            cm = _bool(L.get("ceil_mode", False), name + ".ceil_mode")
            if C % g or K % g:
                raise WorkloadError("%s: groups %d does not divide C=%d / K=%d" % (name, g, C, K))
            E = _window_out(H, kh, sh, ph, pb, dh, cm)
            F = _window_out(W, kw, sw, pw, pr, dw, cm)
            if E < 1 or F < 1:
                raise WorkloadError("%s: empty output" % name)
            out = (K, E, F)
            macs = batch * K * E * F * (C // g) * kh * kw
            params = K * (C // g) * kh * kw + (K if bias else 0)
            desc = "k%dx%d s%d p%d g%d" % (kh, kw, sh, ph, g)
        elif t == "pool":
            if len(srcs) != 1:
                raise WorkloadError("%s: pool takes exactly one input" % name)
            C, H, W = in_shapes[0]
            mode = L.get("mode")
            if mode not in ("max", "avg"):
                raise WorkloadError("%s: pool mode must be max|avg" % name)
            if _bool(L.get("global", False), name + ".global"):
                for k in ("kernel", "stride", "padding", "ceil_mode"):
                    if k in L:
                        raise WorkloadError("%s: %s not allowed with global pooling" % (name, k))
                out = (C, 1, 1)
                desc = "global %s" % mode
            else:
                if "kernel" not in L:
                    raise WorkloadError("%s: pool needs kernel (or global: true)" % name)
                kh, kw = _pair(L["kernel"], name + ".kernel", 1)
                sh, sw = _pair(L.get("stride", 1), name + ".stride", 1)
                ph, pw, pb, pr = _pads(L.get("padding", 0), name + ".padding")
                cm = _bool(L.get("ceil_mode", False), name + ".ceil_mode")
                E = _window_out(H, kh, sh, ph, pb, 1, cm)
                F = _window_out(W, kw, sw, pw, pr, 1, cm)
                if E < 1 or F < 1:
                    raise WorkloadError("%s: empty output" % name)
                if cm and ((E - 1) * sh >= H + ph or (F - 1) * sw >= W + pw):
                    # PyTorch/Caffe drop a last window that starts in the padding;
                    # the fusim format (plain ceil) does not: warn, keep the spec value.
                    print("WARNING: %s: %s: last ceil_mode window starts in the padding; "
                          "PyTorch/Caffe would give one row/column less" % (path, name))
                out = (C, E, F)
                desc = "%s k%d s%d p%d%s" % (mode, kh, sh, ph, " ceil" if cm else "")
        elif t == "fc":
            if len(srcs) != 1:
                raise WorkloadError("%s: fc takes exactly one input" % name)
            C, H, W = in_shapes[0]
            nin = C * H * W
            nout = _pos_int(L.get("out_features"), name + ".out_features")
            bias = _bool(L.get("bias", False), name + ".bias")
            out = (nout, 1, 1)
            macs = batch * nin * nout
            params = nin * nout + (nout if bias else 0)
            desc = "%d -> %d" % (nin, nout)
        elif t == "gemm" and (L.get("heads", 1) != 1 or L.get("transpose_b", False)):
            # Attention: `heads` GEMMs of two activations; A [heads*k, m, 1], B [heads*n, k, 1]
            # or, with transpose_b, [heads*k, n, 1]; out [heads*n, m, 1]; no parameters.
            m = _pos_int(L.get("m"), name + ".m")
            n = _pos_int(L.get("n"), name + ".n")
            k = _pos_int(L.get("k"), name + ".k")
            h = _pos_int(L.get("heads", 1), name + ".heads")
            tb = _bool(L.get("transpose_b", False), name + ".transpose_b")
            if len(srcs) != 2 or "bias" in L:
                raise WorkloadError("%s: heads / transpose_b need two inputs and no bias" % name)
            want_b = (h * k, n, 1) if tb else (h * n, k, 1)
            if h > 1 and (in_shapes[0] != (h * k, m, 1) or in_shapes[1] != want_b):
                raise WorkloadError("%s: operands %s, expected %s and %s"
                                    % (name, in_shapes, (h * k, m, 1), want_b))
            if h == 1 and (_prod(in_shapes[0]) != m * k or _prod(in_shapes[1]) != k * n):
                raise WorkloadError("%s: operands %s do not hold m*k and k*n" % (name, in_shapes))
            out = (h * n, m, 1)
            macs = batch * h * m * n * k
            desc = "%d heads m%d n%d k%d%s" % (h, m, n, k, " B^T" if tb else "")
        elif t == "gemm":
            m = _pos_int(L.get("m"), name + ".m")
            n = _pos_int(L.get("n"), name + ".n")
            k = _pos_int(L.get("k"), name + ".k")
            bias = _bool(L.get("bias", False), name + ".bias")
            a = in_shapes[0]
            if a[0] * a[1] * a[2] != m * k:
                raise WorkloadError("%s: A has %d elements, expected m*k=%d"
                                    % (name, a[0] * a[1] * a[2], m * k))
            if len(srcs) == 1:
                params = k * n + (n if bias else 0)
            elif len(srcs) == 2:
                b = in_shapes[1]
                if b[0] * b[1] * b[2] != k * n:
                    raise WorkloadError("%s: B has %d elements, expected k*n=%d"
                                        % (name, b[0] * b[1] * b[2], k * n))
                if bias:
                    raise WorkloadError("%s: bias not allowed with two activation operands"
                                        % name)
            else:
                raise WorkloadError("%s: gemm takes one or two inputs" % name)
            out = (n, m, 1)
            macs = batch * m * n * k
            desc = "m%d n%d k%d" % (m, n, k)
        elif t in ELEMENTWISE:
            if len(srcs) < 2 or (t in ("sub", "div") and len(srcs) != 2):
                raise WorkloadError("%s: %s takes %s inputs" % (
                    name, t, "two" if t in ("sub", "div") else "two or more"))
            dims = []
            for d in range(3):
                sizes = set(s[d] for s in in_shapes) - {1}
                if len(sizes) > 1:
                    raise WorkloadError("%s: %s input shapes do not broadcast: %s"
                                        % (name, t, in_shapes))
                dims.append(sizes.pop() if sizes else 1)
            out = tuple(dims)
        elif t == "activation":
            if len(srcs) != 1:
                raise WorkloadError("%s: activation takes exactly one input" % name)
            out = in_shapes[0]
            desc = act
        elif t == "pad":  # a copy into a larger map
            if len(srcs) != 1 or "padding" not in L:
                raise WorkloadError("%s: pad takes one input and padding" % name)
            pt, pl, pb, pr = _pads(L["padding"], name + ".padding", -(1 << 16))
            C, H, W = in_shapes[0]
            out = (C, H + pt + pb, W + pl + pr)
        elif t == "transpose":  # a matrix [C, H, 1] copied into [H, C, 1]
            if len(srcs) != 1 or in_shapes[0][2] != 1:
                raise WorkloadError("%s: transpose takes one input [C, H, 1]" % name)
            C, H, _ = in_shapes[0]
            out = (H, C, 1)
        elif t == "resize":  # upsampling by whole factors
            if len(srcs) != 1:
                raise WorkloadError("%s: resize takes exactly one input" % name)
            sh, sw = _pair(L.get("scale"), name + ".scale", 1)
            if L.get("mode", "nearest") not in ("nearest", "bilinear"):
                raise WorkloadError("%s: resize mode must be nearest|bilinear" % name)
            C, H, W = in_shapes[0]
            out = (C, H * sh, W * sw)
            desc = "%s x%d" % (L.get("mode", "nearest"), sh)
        elif t == "batchnorm":  # a per-channel scale and shift
            if len(srcs) != 1:
                raise WorkloadError("%s: batchnorm takes exactly one input" % name)
            out = in_shapes[0]
            params = 2 * in_shapes[0][0]
        elif t == "concat":
            if any(s[1:] != in_shapes[0][1:] for s in in_shapes):
                raise WorkloadError("%s: concat H/W differ: %s" % (name, in_shapes))
            out = (sum(s[0] for s in in_shapes),) + in_shapes[0][1:]
        elif t == "slice":
            ch = L.get("channels")
            if len(srcs) != 1 or not isinstance(ch, list) or len(ch) != 2 or \
                    not all(_is_int(v) for v in ch) or not 0 <= ch[0] < ch[1] <= in_shapes[0][0]:
                raise WorkloadError("%s: slice needs one input and channels [begin, end) within "
                                    "its %s" % (name, in_shapes))
            out = (ch[1] - ch[0],) + in_shapes[0][1:]
        elif t == "shuffle":
            g = _pos_int(L.get("groups"), name + ".groups")
            if len(srcs) != 1 or in_shapes[0][0] % g != 0:
                raise WorkloadError("%s: shuffle needs one input whose channels groups divides"
                                    % name)
            out = in_shapes[0]
        elif t in ("softmax", "layernorm", "reduce"):
            if len(srcs) != 1:
                raise WorkloadError("%s: %s takes exactly one input" % (name, t))
            C, H, W = in_shapes[0]
            out = in_shapes[0]
            if t == "softmax":
                g = _pos_int(L.get("groups", 1), name + ".groups")
                if C % g:
                    raise WorkloadError("%s: groups %d does not divide C=%d" % (name, g, C))
                desc = "%d runs of %d channels" % (g, C // g)
            elif t == "layernorm":
                params = C * (2 if _bool(L.get("bias", False), name + ".bias") else 1)
            else:
                if L.get("mode") not in ("mean", "sum"):
                    raise WorkloadError("%s: reduce mode must be mean|sum" % name)
                out = (1, H, W)
                desc = L["mode"]
        shapes[name] = out
        prev = name
        total_macs += macs
        total_params += params
        rows.append({"name": name, "type": t, "inputs": srcs, "in": in_shapes, "out": out,
                     "macs": macs, "params": params, "desc": desc})
    return {"name": doc["name"], "batch": batch, "layers": rows,
            "macs": total_macs, "params": total_params}


# ---------------------------------------------------------------------------
# published.yaml
# ---------------------------------------------------------------------------
def _q(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def published_yaml_text():
    out = [
        "# Published MACs / parameter counts of the real-network workloads in workloads/.",
        "# Generated by: /usr/bin/python3 scripts/check_workloads.py --write-published",
        "# (source of truth: PUBLISHED in scripts/check_workloads.py). Do not edit by hand.",
        "# Workload counts must land within 1% of these (tolerance below); a figure with",
        "# macs_unit was published rounded to that unit: the distance is measured to the",
        "# interval of values that round to it.",
        "# Counting: MACs = conv+fc+gemm multiply-accumulates at batch 1; params = conv/fc",
        "# weights + biases of layers that have bias (BN folded, not counted).",
        "",
        "tolerance: %s" % TOLERANCE,
        "networks:",
    ]
    for p in PUBLISHED:
        out.append("  - workload: %s" % p["workload"])
        out.append("    macs: %d" % p["macs"])
        if "macs_unit" in p:
            out.append("    macs_unit: %d" % p["macs_unit"])
        out.append("    params: %d" % p["params"])
        out.append("    source: %s" % _q(p["source"]))
        out.append("    note: %s" % _q(p["note"]))
    return "\n".join(out) + "\n"


def _fmt(n):
    return "{:,}".format(n)


def _rel(a, b, unit=0):
    """(a - b) / b, or with `unit` (b was published rounded to it) the distance from a to the
    interval of values that round to b, relative to b."""
    d = a - b
    d = math.copysign(max(0.0, abs(d) - unit / 2), d)
    return d / b


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    verbose = "-v" in argv
    write_pub = "--write-published" in argv
    files = [a for a in argv[1:] if not a.startswith("-")]
    if not files:
        files = sorted(glob.glob(os.path.join(root, "workloads", "*.yaml")))
    pub_path = os.path.join(root, "tests", "data", "published.yaml")
    ok = True

    if write_pub:
        os.makedirs(os.path.dirname(pub_path), exist_ok=True)
        with open(pub_path, "w", newline="\n") as f:
            f.write(published_yaml_text())
        print("wrote %s" % pub_path)
    else:
        try:
            with open(pub_path) as f:
                current = f.read()
        except OSError:
            current = None
        if current != published_yaml_text():
            print("ERROR: %s is missing or out of date; run with --write-published" % pub_path)
            ok = False
    # Sanity: the generated published.yaml parses and round-trips the numbers.
    parsed = yaml.safe_load(published_yaml_text())
    for p, q in zip(PUBLISHED, parsed["networks"]):
        assert p == q, (p, q)

    pub = {p["workload"]: p for p in PUBLISHED}
    hdr = "%-16s %6s %16s %13s %16s %13s %8s %8s  %s" % (
        "workload", "layers", "MACs", "params", "pub MACs", "pub params",
        "dMACs", "dparams", "status")
    print(hdr)
    print("-" * len(hdr))
    seen = set()
    for path in files:
        base = os.path.basename(path)
        seen.add(base)
        try:
            r = analyse(path)
        except (WorkloadError, yaml.YAMLError) as e:
            print("%-16s INVALID: %s" % (base, e))
            ok = False
            continue
        if verbose:
            for row in r["layers"]:
                print("    %-26s %-6s %-28s %-16s %14s %11s  %s" % (
                    row["name"], row["type"], "+".join("x".join(map(str, s)) for s in row["in"]),
                    "x".join(map(str, row["out"])), _fmt(row["macs"]), _fmt(row["params"]),
                    row["desc"]))
        nl = len(r["layers"])
        if base in pub:
            p = pub[base]
            dm = _rel(r["macs"], p["macs"], p.get("macs_unit", 0))
            dp = _rel(r["params"], p["params"])
            good = abs(dm) <= TOLERANCE and abs(dp) <= TOLERANCE
            print("%-16s %6d %16s %13s %16s %13s %+7.2f%% %+7.2f%%  %s" % (
                base, nl, _fmt(r["macs"]), _fmt(r["params"]), _fmt(p["macs"]),
                _fmt(p["params"]), 100 * dm, 100 * dp, "ok" if good else "FAIL"))
        elif base in EXPECTED_EXACT:
            e = EXPECTED_EXACT[base]
            good = (r["macs"], r["params"], nl) == (e["macs"], e["params"], e["layers"])
            print("%-16s %6d %16s %13s %16s %13s %8s %8s  %s" % (
                base, nl, _fmt(r["macs"]), _fmt(r["params"]), _fmt(e["macs"]),
                _fmt(e["params"]), "exact", "exact", "ok" if good else "FAIL"))
        else:
            good = True
            print("%-16s %6d %16s %13s %16s %13s %8s %8s  %s" % (
                base, nl, _fmt(r["macs"]), _fmt(r["params"]), "-", "-", "-", "-", "no reference"))
        ok = ok and good
    if len(argv) == 1 or all(a.startswith("-") for a in argv[1:]):
        for name in list(pub) + list(EXPECTED_EXACT):
            if name not in seen:
                print("ERROR: workload %s not found" % name)
                ok = False
    print("tolerance %.0f%%: %s" % (100 * TOLERANCE, "PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
