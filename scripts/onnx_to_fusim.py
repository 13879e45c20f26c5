#!/usr/bin/python3
"""Import an ONNX model as a fusim network YAML file.

Usage:
    /usr/bin/python3 scripts/onnx_to_fusim.py model.onnx -o workloads/model.yaml [--name NAME] [--batch N]
        [--input-shape NAME=D0,D1,...]

Supported operators (default ONNX domain):
  Conv                         -> conv (2-D; padding [top, left, bottom, right], one dilation
                                  for both axes; 1-D over [N, C, L] as a kernel [k, 1] over
                                  [C, L, 1])
  Gemm, MatMul                 -> fc (B an initializer, A flattened [batch, K]),
                                  gemm m,n,k (B an initializer, A [batch, ..., M, K]),
                                  gemm with two inputs (MatMul of two activations)
  MaxPool, AveragePool         -> pool (kernel_shape, strides, pads, ceil_mode)
  GlobalAveragePool/MaxPool    -> pool global
  Add, Sum, Sub, Mul, Div,
  Max, Min                     -> add / sub / mul / div / max / min of two or more activations
                                  with numpy-style broadcasting (each of C, H, W equal or 1:
                                  an SE gate [N, C, 1, 1] times [N, C, H, W]); operands of the
                                  same rank
  Concat                       -> concat (the channels; constant tokens along a sequence's
                                  tokens: a pad)
  Split, Slice (the channels)  -> slice channels [begin, end) of the input, a view (Split: one
                                  per output read by a node; split sizes as an attribute,
                                  opset < 13, or an input, or num_outputs, opset 18; Slice:
                                  starts/ends/axes/steps as attributes, opset < 10, or
                                  constant inputs, step 1, on channels only)
  Relu, Clip(0, 6), Clip(0,),
  Clip(lo, hi), Sigmoid, Tanh,
  LeakyRelu, HardSigmoid,
  HardSwish                    -> activation relu / relu6 / relu / clip (clip_min, clip_max) /
                                  sigmoid / tanh / leaky_relu (negative_slope) / hardsigmoid /
                                  hardswish: the producing layer's attribute when the tensor
                                  is its output alone, else an activation layer
  Mul(x, Sigmoid(x))           -> activation silu (SiLU / swish as exporters write it)
  Mul(x, HardSigmoid(x))       -> activation hardswish (alpha 1/6, beta 0.5)
  Div(x, s) -> Erf -> Add(1) ->
  Mul(x, .) -> Mul(0.5)        -> activation gelu (the Erf form; the Mul factors in any order)
  Clip(x + 3, 0, 6) / 6        -> activation hardsigmoid (/ 6 or * 1/6)
  x * Clip(x + 3, 0, 6) / 6    -> activation hardswish (the / 6 before or after the x *)
  ReduceMean over H and W      -> pool avg global (keepdims 0 or 1)
  ReduceMean, ReduceSum over
  the last axis of [N, S, D]   -> reduce mean / sum (keepdims 1)
  Softmax over the last axis   -> softmax (groups = the heads of a [N, heads, S, S'] tensor; a
                                  Div or Mul by a constant just before it is its `scale`)
  LayerNormalization (axis -1),
  and its decomposed form      -> layernorm (bias: true when it has one); the decomposed form:
                                  ReduceMean, Sub, Pow 2, ReduceMean, Add eps, Sqrt, Div, then
                                  optionally Mul scale and Add bias
  Reshape [N, S, D] ->
  [N, S, heads, d], Transpose  -> views of the heads (no layer) read by MatMul (gemm with
                                  heads, transpose_b for K^T) and Softmax; the context's
                                  Transpose and Reshape back to [N, S, D] are views too
  Resize (opset 10+), Upsample -> resize by whole factors of H and W (scales, or sizes that are
                                  whole multiples): nearest with asymmetric + floor or
                                  half-pixel + round, linear with half-pixel centres;
                                  nearest shrinking by whole factors k -> pool 1x1, stride k
  Pad (of H and W; constant,
  reflect or edge)             -> folded into the padding of the convs that alone read it
                                  when it pads with zeros, else pad (a copy)
  BatchNormalization           -> folded into the preceding conv, or fc of [N, C] (bias: true)
                                  when its output is read by it alone and has no activation;
                                  otherwise batchnorm (a per-channel affine: DenseNet's BN
                                  after a concat)
  Add with an initializer      -> bias folded into the preceding conv / fc / gemm (bias: true)
  Add with another constant    -> add of a network input holding it (position embeddings)
  Gather [V, D] by integer ids -> network input [D, S, 1] (an embedding lookup, the host's)
  scores + mask, or Where(mask,
  fill, scores), the mask from
  an integer input             -> add of a network input [heads S, 1, 1] (the attention mask)
  Reshape [N,C,H,W] ->
  [N,g,C/g,H,W], Transpose
  perm [0,2,1,3,4], Reshape
  [N,C,H,W]                    -> shuffle groups g (a channel shuffle as torch.onnx exports
                                  ShuffleNet's channel_shuffle)
  Flatten, Reshape, Identity,
  Dropout                      -> pass through (they keep the batch dimension)
  DepthToSpace (DCR, CRD)      -> depth_to_space (block)
  ConvTranspose whose output
  is stride x input or less    -> a stride-1 conv per class of output phases (NAME_subpixel,
                                  or _0, _1, ... and a concat NAME_subpixel) + depth_to_space s
                                  (+ a cropping pad when the output is short of it)
  Transpose [0,3,1,2] of an
  NHWC input, [0,2,3,1] before
  an output                    -> pass through (tf2onnx's layout changes at the boundaries)
  Transpose [0,2,1] of a
  sequence not read as a
  MatMul's B                   -> transpose (a copy); [0,2,3,1] and back, views (ConvNeXt)
  timm's ViT, Hugging Face's
  GPT-2, MLP-Mixer, ConvNeXt   -> their patterns (patch embedding, class token, fused qkv,
                                  Conv1D, causal mask, tanh GELU, layer scale): docs/importers.md
  Constant                     -> constant operand (no layer)
  Shape, Size of a tensor of
  known shape; Gather, Cast,
  Unsqueeze, Squeeze, Concat,
  Slice, arithmetic, ... of
  constants                    -> evaluated to constants (the shape computations exporters
                                  write before a Reshape; no layer)

Folding (batch norm, bias) is done only when the tensor being folded is read by that one node
alone (and every pass-through on the way from the layer as well); otherwise a batch norm becomes
a batchnorm layer and a bias is reported. An activation that cannot be folded becomes an activation layer. HardSigmoid's alpha
and beta are not kept (the cost does not depend on them). Every operator or attribute fusim
cannot express is listed on stderr (op type and node name) and the script exits with status 2
without writing a file.

Exit status: 0 written; 2 unsupported model or bad input; 1 internal error.
"""

import argparse
import json
import os
import re
import sys

import numpy as np
import onnx
from onnx import TensorProto, numpy_helper, shape_inference

PROG = "onnx_to_fusim"


INTEGER_TYPES = {TensorProto.INT64, TensorProto.INT32, TensorProto.INT16, TensorProto.INT8,
                 TensorProto.UINT8, TensorProto.BOOL}


class Unsupported(Exception):
    """A node that fusim cannot express (the message says why)."""


class BadInput(Exception):
    """A model this importer cannot read (not tied to one node)."""


def attrs_of(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def text_attr(attrs, key, default):
    """A string attribute of attrs_of()'s dict (onnx gives bytes), or `default`."""
    v = attrs.get(key, default)
    return v.decode() if isinstance(v, bytes) else v


def node_label(node, index):
    return node.name if node.name else "#%d" % index


# --------------------------------------------------------------------------------------------
# Output tensors: each activation tensor of the ONNX graph maps to a fusim producer.


class TensorInfo:
    """One activation tensor: the fusim layer or input that holds it.

    fusim_name  name of the fusim layer or network input holding the data
    fusim_shape (C, H, W) fusim computes for that layer or input
    onnx_shape  full ONNX shape (batch first)
    exclusive   True when the path from the fusim layer to this tensor reads nothing else:
                the tensor is the layer's own output, or it was reached through pass-throughs
                / folds whose input tensors each had exactly one consumer
    layer       the fusim layer dict (None for a network input)
    """

    def __init__(self, fusim_name, fusim_shape, onnx_shape, exclusive, layer, heads=None,
                 scale=1.0, causal=False, layout=None):
        self.fusim_name = fusim_name
        self.fusim_shape = tuple(fusim_shape)
        self.onnx_shape = tuple(onnx_shape)
        self.exclusive = exclusive
        self.layer = layer
        # A view of attention heads over the fusim tensor [heads * d, S, 1]: (order, heads, d)
        # with order "shd" ([N, S, heads, d]), "hsd" ([N, heads, S, d]) or "hds" ([N, heads, d,
        # S]); "hds" with heads 1 is a transposed sequence [N, D, S]. A fused projection's
        # output [parts heads d, S, 1] (timm's qkv: parts 3) viewed as [N, S, parts, heads, d]
        # is "sphd", transposed to [parts, N, heads, S, d] "pnhsd"; part i of that is channels
        # [i heads d, (i + 1) heads d), a "hsd" view of a slice. None: not a view.
        self.heads = heads
        # A constant factor a Softmax reading this tensor applies (Div / Mul by a constant).
        self.scale = scale
        # A causal mask a Softmax reading this tensor applies (causal_mask).
        self.causal = causal
        # How the ONNX shape maps onto fusim's [C, H, W] (chw_for): None, chw_of's rule;
        # "flat", the tokens of a sequence [N, S, D] flattened into rows [N S, D] (GPT-2's
        # Conv1D, x.view(-1, D) before its addmm), fusim's [D, S, 1]; "nhwc", a map permuted
        # channels last [N, H, W, C] (ConvNeXt's x.permute(0, 2, 3, 1)), fusim's [C, H, W], the
        # same bytes; "ncl", a 1-D map [N, C, L] (a Conv1d's input or output), fusim's [C, L,
        # 1], where a rank-3 tensor is otherwise a sequence [N, S, D] held as [D, S, 1].
        self.layout = layout

    flat = property(lambda self: self.layout == "flat")
    nhwc = property(lambda self: self.layout == "nhwc")
    ncl = property(lambda self: self.layout == "ncl")


def chw_for(onnx_shape, layout, batch):
    """fusim (C, H, W) for an ONNX shape in `layout` (TensorInfo.layout): [N S, D] "flat" ->
    [D, S, 1]; [N, H, W, C] "nhwc" -> [C, H, W]; [N, C, L] "ncl" -> [C, L, 1]; else chw_of."""
    if layout == "flat":
        return (onnx_shape[1], onnx_shape[0] // batch, 1)
    if layout == "nhwc":
        return (onnx_shape[3], onnx_shape[1], onnx_shape[2])
    if layout == "ncl":
        return (onnx_shape[1], onnx_shape[2], 1)
    return chw_of(onnx_shape)


def window_2d(a):
    """A 1-D window's attributes (kernel_shape [k], strides [s], pads [b, e], dilations [d]) as
    the 2-D window fusim runs it over [C, L, 1]: [k, 1], [s, 1], [b, 0, e, 0], [d, d] (the width
    has one tap, so its dilation does nothing)."""
    out = dict(a)
    if "kernel_shape" in a:
        out["kernel_shape"] = [int(a["kernel_shape"][0]), 1]
    if "strides" in a:
        out["strides"] = [int(a["strides"][0]), 1]
    if "pads" in a:
        b, e = (int(v) for v in a["pads"])
        out["pads"] = [b, 0, e, 0]
    if "dilations" in a:
        out["dilations"] = [int(a["dilations"][0])] * 2
    return out


def chw_of(onnx_shape):
    """fusim (C, H, W) for an ONNX activation shape (batch first). A rank-3 tensor is a
    sequence [batch, tokens, features]: fusim holds it as [features, tokens, 1] (a token's
    features are its channels), as a gemm's [M, N] result is [N, M, 1]."""
    per = list(onnx_shape[1:])
    if len(per) == 3:
        return tuple(per)
    if len(per) == 2:
        return (per[1], per[0], 1)
    if len(per) == 1:
        return (per[0], 1, 1)
    raise Unsupported("tensor of rank %d (fusim tensors are [batch, C, H, W] at most)"
                      % len(onnx_shape))


def f32(v):
    """A float32 value (ONNX attributes and tensors) as the shortest decimal that is it."""
    return float(str(np.float32(v)))


def prod(xs):
    p = 1
    for x in xs:
        p *= int(x)
    return p


def out_extent(n, k, s, p, q, d, ceil_mode):
    """Outputs of a window over n (p before, q after), fusim's rule."""
    span = n + p + q - d * (k - 1) - 1
    if span < 0:
        return 0
    out = ((span + s - 1) // s if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1
    return out


def transposed_phases(k, s, begin):
    """The sub-pixel form of a transposed conv along one axis (kernel k, stride s, `begin`
    padding before, output s times the input): output i s - begin + t gets input i times tap t,
    so output s q + a, with a + begin = u s + v, gets x[q + u - j] w[v + j s] for the n taps
    v, v + s, ... below k: a stride-1 conv of n taps padded n - 1 - u before and u after, its
    tap m weighing w[v + (n - 1 - m) s]. Returns (n, before, after, v) per phase a < s, or
    Unsupported."""
    phases = []
    for a in range(s):
        u, v = divmod(a + begin, s)
        n = (k - v + s - 1) // s
        if n < 1 or u > n - 1:
            raise Unsupported("a transposed conv of kernel %d, stride %d, padding %d: output "
                              "phase %d has %s" % (k, s, begin, a, "no tap" if n < 1 else
                                                   "its taps past the input's start"))
        phases.append((n, n - 1 - u, u, v))
    return phases


class Importer:
    def __init__(self, model, batch_override):
        self.model = model
        self.graph = model.graph
        self.input_shapes = {}  # --input-shape: graph input name -> every dimension
        self.errors = []  # (op_type, node label, reason)
        self.layers = []  # fusim layer dicts in emission order
        self.names = set()
        self.tensors = {}  # onnx tensor name -> TensorInfo
        self.poisoned = set()  # tensors produced by failed nodes
        self.consts = {}  # name -> numpy array (initializers and Constant outputs)
        self.inputs = []  # (name, (C, H, W))
        self.batch = None
        self.batch_override = batch_override
        # Nodes matched as part of a pattern, by id(): the pattern's last node applies it, the
        # others do nothing. id(last node) -> (activation, x tensor, how many of the pattern's
        # nodes read x).
        self.pattern_of = {}
        self.in_pattern = set()
        # Patterns that become a layer of their own (the decomposed layer norm): id(last node)
        # -> function(index) that adds it.
        self.pattern_layer = {}
        # Outputs of the shape computations evaluated to constants (fold_shape_arithmetic).
        self.folded_outputs = set()
        self.nhwc_inputs = set()  # graph inputs in NHWC read by a Transpose to NCHW (prepare)

    # -- setup -----------------------------------------------------------------------------

    def prepare(self):
        g = self.graph
        for init in g.initializer:
            self.consts[init.name] = numpy_helper.to_array(init)
        for node in g.node:
            if node.op_type == "Constant" and node.domain in ("", "ai.onnx"):
                a = attrs_of(node)
                if "value" in a:
                    self.consts[node.output[0]] = numpy_helper.to_array(a["value"])
        # Batch: the first dimension of the graph inputs, or --batch (which also fixes a
        # symbolic first dimension so that shape inference gives concrete shapes).
        real_inputs = [i for i in g.input if i.name not in self.consts]
        if not real_inputs:
            raise BadInput("the graph has no inputs other than initializers")
        # --input-shape NAME=D0,D1,...: every dimension of that input, fixed or symbolic (the
        # open height and width of detection, OCR and segmentation exports).
        by_name = {vi.name: vi for vi in real_inputs}
        for name, shape in self.input_shapes.items():
            if name not in by_name:
                raise BadInput("--input-shape names '%s', which is not a graph input (inputs: %s)"
                               % (name, ", ".join(sorted(by_name))))
            dims = by_name[name].type.tensor_type.shape.dim
            if len(dims) != len(shape):
                raise BadInput("--input-shape gives %d dimensions for '%s', which has %d"
                               % (len(shape), name, len(dims)))
            for d, v in zip(dims, shape):
                d.Clear()
                d.dim_value = v
        batches = set()
        for vi in real_inputs:
            dims = vi.type.tensor_type.shape.dim
            if len(dims) == 0:
                raise BadInput("graph input '%s' has no shape" % vi.name)
            d0 = dims[0]
            if d0.HasField("dim_value") and d0.dim_value > 0:
                if self.batch_override is not None and d0.dim_value != self.batch_override:
                    raise BadInput("graph input '%s' has batch %d but --batch is %d"
                                   % (vi.name, d0.dim_value, self.batch_override))
                batches.add(d0.dim_value)
            else:
                b = self.batch_override if self.batch_override is not None else 1
                if self.batch_override is None:
                    print("%s: note: graph input '%s' has a symbolic batch; using 1 (--batch N "
                          "sets it)" % (PROG, vi.name), file=sys.stderr)
                d0.Clear()
                d0.dim_value = b
                batches.add(b)
            for k, d in enumerate(dims[1:], start=1):
                if not (d.HasField("dim_value") and d.dim_value > 0):
                    raise BadInput("graph input '%s' dimension %d is not a fixed size "
                                   "(--input-shape %s=D0,D1,... fixes it)" % (vi.name, k, vi.name))
        if len(batches) != 1:
            raise BadInput("graph inputs disagree on the batch size: %s" % sorted(batches))
        self.batch = batches.pop()
        self.opset = max([o.version for o in self.model.opset_import if o.domain in ("", "ai.onnx")]
                         or [1])
        self.fold_shape_arithmetic()
        try:
            inferred = shape_inference.infer_shapes(self.model_for_inference())
        except Exception as e:  # noqa: BLE001 - report any inference failure as bad input
            raise BadInput("ONNX shape inference failed: %s" % e)
        self.shapes = {}
        for vi in list(inferred.graph.value_info) + list(inferred.graph.input) + \
                list(inferred.graph.output) + list(g.value_info) + list(g.input) + list(g.output):
            tt = vi.type.tensor_type
            if not tt.HasField("shape"):
                continue
            dims = tt.shape.dim
            if all(d.HasField("dim_value") and d.dim_value > 0 for d in dims) and \
                    vi.name not in self.shapes:
                self.shapes[vi.name] = tuple(int(d.dim_value) for d in dims)
        # Consumers of every tensor (graph outputs count as one consumer each), and the nodes
        # reading it.
        self.consumers = {}
        self.readers = {}
        self.folded_pads = {}  # a Pad's output -> (its input, [top, left, bottom, right])
        for node in g.node:
            if self.folded(node):
                continue
            for t in node.input:
                if t:
                    self.consumers[t] = self.consumers.get(t, 0) + 1
                    self.readers.setdefault(t, []).append(node)
        for o in g.output:
            self.consumers[o.name] = self.consumers.get(o.name, 0) + 1
        # An NHWC input read only by a Transpose to NCHW (tf2onnx's export of a TensorFlow
        # model): fusim's input is the transposed tensor (fusim keeps maps channel-last in
        # memory anyway), and the Transpose passes it through.
        self.nhwc_inputs = set()
        for vi in real_inputs:
            readers = self.readers.get(vi.name, [])
            shape = self.shapes[vi.name]
            if len(shape) == 4 and len(readers) == 1 and self.consumers.get(vi.name) == 1 and \
                    readers[0].op_type == "Transpose" and \
                    list(attrs_of(readers[0]).get("perm", [])) == [0, 3, 1, 2]:
                self.nhwc_inputs.add(vi.name)
        # Integer inputs (token ids, attention masks) are not feature maps: the embedding
        # lookups and the mask's arithmetic read them (host tensors, see run()).
        self.host = {}  # tensor -> the integer graph input it is computed from
        self.key_mask = {}  # host tensor -> its values vary along the last axis alone
        self.mask_inputs = {}  # (integer input, fusim shape) -> TensorInfo of its mask input
        for vi in real_inputs:
            if vi.type.tensor_type.elem_type in INTEGER_TYPES:
                self.host[vi.name] = vi.name
                self.key_mask[vi.name] = len(self.shapes[vi.name]) == 2
        for node in g.node:
            if not self.folded(node):
                self.host_op(node)
        for vi in real_inputs:
            if vi.name in self.host:
                continue
            shape = self.shapes[vi.name]
            chw = chw_of(shape)
            if vi.name in self.nhwc_inputs:
                chw = (shape[3], shape[1], shape[2])
            # A rank-3 input that 1-D convs read is a 1-D map [N, C, L], not a sequence.
            readers = self.readers.get(vi.name, [])
            ncl = len(shape) == 3 and readers and all(
                r.op_type == "Conv" and len(r.input) > 1 and r.input[1] in self.consts and
                np.asarray(self.consts[r.input[1]]).ndim == 3 for r in readers)
            if ncl:
                chw = chw_for(shape, "ncl", self.batch)
            self.tensors[vi.name] = self.add_input(vi.name, chw, shape)
            if ncl:
                self.tensors[vi.name].layout = "ncl"
        # Patterns whose first node in the graph is not one that can recognise them.
        for node in g.node:
            if node.op_type == "Pow" and not self.folded(node):
                self.match_gelu_tanh(node)

    # Operators of the shape computations exporters write around a Reshape (torch's
    # x.view(x.size(0), -1), Hugging Face's heads): evaluated here when their inputs are known.
    _SHAPE_OPS = {"Shape", "Size", "Gather", "Cast", "Unsqueeze", "Squeeze", "Concat", "Slice",
                  "Add", "Sub", "Mul", "Div", "Neg", "Floor", "Ceil", "Equal", "Where",
                  "ConstantOfShape", "Range", "ReduceProd", "Identity", "Expand", "Reshape",
                  "Sqrt", "Pow"}

    def fold_shape_arithmetic(self):
        """Evaluates the nodes whose inputs are constants or whose input is a tensor of known
        shape read by Shape or Size (their outputs then count as constants, and the importer
        skips the nodes): the shape computations around a Reshape become the constant shape it
        takes. Shape inference runs again with the values found until nothing more folds (a
        shape computed from a tensor whose own shape came from a folded Reshape). Any other
        node is left to the importer."""
        g = self.graph
        while True:
            try:
                inferred = shape_inference.infer_shapes(self.model_for_inference(),
                                                        data_prop=True)
            except Exception as e:  # noqa: BLE001 - report any inference failure as bad input
                raise BadInput("ONNX shape inference failed: %s" % e)
            known = {}
            for vi in list(inferred.graph.value_info) + list(inferred.graph.input):
                dims = vi.type.tensor_type.shape.dim
                if vi.type.tensor_type.HasField("shape") and \
                        all(d.HasField("dim_value") for d in dims):
                    known[vi.name] = tuple(int(d.dim_value) for d in dims)
            before = len(self.folded_outputs)
            for index, node in enumerate(g.node):
                if node.domain not in ("", "ai.onnx") or node.op_type not in self._SHAPE_OPS or \
                        len(node.output) != 1 or self.folded(node):
                    continue
                ins = list(node.input)
                if node.op_type in ("Shape", "Size"):
                    if ins[0] not in known:
                        continue
                    value = self.shape_op(node, known[ins[0]])
                else:
                    if not ins or any(t and t not in self.consts for t in ins):
                        continue
                    try:
                        value = self.fold_op(node, [self.consts[t] if t else None for t in ins])
                    except (ValueError, IndexError, TypeError, KeyError) as e:
                        raise BadInput("%s node '%s': cannot evaluate its constant inputs: %s"
                                       % (node.op_type, node_label(node, index), e))
                if value is None:
                    continue
                self.consts[node.output[0]] = np.asarray(value)
                self.folded_outputs.add(node.output[0])
            if len(self.folded_outputs) == before:
                return

    def folded(self, node):
        return len(node.output) == 1 and node.output[0] in self.folded_outputs

    def model_for_inference(self):
        """The model with the folded nodes replaced by their values (initializers), so that
        shape inference sees the constant shapes they compute."""
        if not self.folded_outputs:
            return self.model
        m = onnx.ModelProto()
        m.CopyFrom(self.model)
        kept = [n for n in m.graph.node if not self.folded(n)]
        used = {t for n in kept for t in n.input} | {o.name for o in m.graph.output}
        del m.graph.node[:]
        m.graph.node.extend(kept)
        for name in sorted(self.folded_outputs & used):
            m.graph.initializer.append(numpy_helper.from_array(self.consts[name], name))
        return m

    @staticmethod
    def shape_op(node, shape):
        if node.op_type == "Size":
            return np.array(int(np.prod(shape)), dtype=np.int64)
        a = attrs_of(node)  # start and end: opset 15
        r = len(shape)
        start, end = a.get("start", 0), a.get("end", r)
        start, end = max(0, start + r if start < 0 else start), min(r, end + r if end < 0 else end)
        return np.array(shape[start:end], dtype=np.int64)

    def fold_op(self, node, x):
        """numpy's value of a shape-computation node from its constant inputs (None: not one
        this importer evaluates)."""
        op, a = node.op_type, attrs_of(node)
        if op == "Gather":
            return np.take(x[0], x[1], axis=a.get("axis", 0))
        if op == "Cast":
            return x[0].astype(onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[a["to"]])
        if op in ("Unsqueeze", "Squeeze"):
            axes = a.get("axes") if len(x) < 2 or x[1] is None else [int(v) for v in x[1]]
            if op == "Squeeze":
                return np.squeeze(x[0], axis=tuple(axes)) if axes is not None else np.squeeze(x[0])
            out = x[0]
            rank = out.ndim + len(axes)
            for ax in sorted(v + rank if v < 0 else v for v in axes):
                out = np.expand_dims(out, ax)
            return out
        if op == "Concat":
            return np.concatenate([v for v in x if v is not None], axis=a["axis"])
        if op == "Slice":
            if self.opset < 10:
                starts, ends, axes = a["starts"], a["ends"], a.get("axes")
                steps = None
            else:
                starts, ends = x[1], x[2]
                axes = x[3] if len(x) > 3 and x[3] is not None else None
                steps = x[4] if len(x) > 4 and x[4] is not None else None
            axes = list(range(len(starts))) if axes is None else [int(v) for v in axes]
            sl = [slice(None)] * x[0].ndim
            for k, ax in enumerate(axes):
                step = int(steps[k]) if steps is not None else 1
                sl[ax] = slice(int(max(min(starts[k], 2**62), -2**62)),
                               int(max(min(ends[k], 2**62), -2**62)), step)
            return x[0][tuple(sl)]
        binary = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Equal": np.equal,
                  "Pow": np.power}
        if op in binary:
            return binary[op](x[0], x[1])
        if op == "Div":
            if np.issubdtype(x[0].dtype, np.integer):  # ONNX integer division truncates
                return (np.trunc(x[0] / x[1])).astype(x[0].dtype)
            return x[0] / x[1]
        unary = {"Neg": np.negative, "Floor": np.floor, "Ceil": np.ceil, "Identity": np.array,
                 "Sqrt": np.sqrt}
        if op in unary:
            return unary[op](x[0])
        if op == "Where":
            return np.where(x[0], x[1], x[2])
        if op == "ConstantOfShape":
            v = numpy_helper.to_array(a["value"]) if "value" in a else np.zeros(1, np.float32)
            return np.full([int(d) for d in x[0]], v.reshape(-1)[0], dtype=v.dtype)
        if op == "Range":
            return np.arange(x[0], x[1], x[2])
        if op == "ReduceProd":
            axes = a.get("axes")
            keep = bool(a.get("keepdims", 1))
            return np.prod(x[0], axis=tuple(axes) if axes else None, keepdims=keep)
        if op == "Expand":
            return x[0] * np.ones([int(d) for d in x[1]], dtype=x[0].dtype)
        if op == "Reshape":
            shape = [int(d) for d in x[1]]
            shape = [x[0].shape[k] if d == 0 else d for k, d in enumerate(shape)]
            return x[0].reshape(shape)
        return None

    def unique(self, base):
        base = base or "layer"
        name, k = base, 1
        while name in self.names:
            k += 1
            name = "%s_%d" % (base, k)
        self.names.add(name)
        return name

    # -- helpers ---------------------------------------------------------------------------

    def shape(self, t):
        if t not in self.shapes:
            raise Unsupported("the shape of tensor '%s' is unknown (not in value_info and "
                              "shape inference could not find it)" % t)
        return self.shapes[t]

    def act(self, t):
        """TensorInfo of an activation operand (or of a constant made a network input)."""
        if t in self.tensors:
            return self.tensors[t]
        if t in self.consts:
            raise Unsupported("operand '%s' is a constant where fusim needs an activation" % t)
        if t in self.host:
            raise Unsupported("operand '%s' is computed from integer input '%s', which fusim "
                              "reads only as embedding lookups and attention masks"
                              % (t, self.host[t]))
        if t not in self.tensors:
            raise Unsupported("operand '%s' has no producer fusim knows" % t)
        return self.tensors[t]

    def spatial(self, t, rank4=True):
        """An operand whose fusim shape must equal its ONNX shape."""
        info = self.act(t)
        shape = self.shape(t)
        if info.ncl:
            if len(shape) != 3 or info.fusim_shape != chw_for(shape, "ncl", self.batch):
                raise Unsupported("operand '%s' is %s in ONNX but fusim holds it as %s (a "
                                  "reshape fusim cannot express)"
                                  % (t, list(shape[1:]), list(info.fusim_shape)))
            return info
        if info.nhwc:
            raise Unsupported("operand '%s' is a map permuted channels last %s; fusim reads such "
                              "a view with a LayerNormalization over its channels, a MatMul by "
                              "weights, an activation, and a Transpose back" % (t, list(shape)))
        if rank4 and len(shape) != 4:
            raise Unsupported("operand '%s' has shape %s; fusim needs [batch, C, H, W]"
                              % (t, list(shape)))
        if info.fusim_shape != chw_of(shape):
            raise Unsupported("operand '%s' is %s in ONNX but fusim holds it as %s (a reshape "
                              "fusim cannot express)" % (t, list(shape[1:]), list(info.fusim_shape)))
        return info

    def const(self, t, what):
        if t not in self.consts:
            raise Unsupported("%s '%s' must be an initializer or a Constant" % (what, t))
        return self.consts[t]

    def foldable(self, t, what):
        """The layer whose output tensor t is, when something may be folded into it."""
        info = self.act(t)
        if info.layer is None:
            raise Unsupported("cannot fold %s into network input '%s'" % (what, info.fusim_name))
        if not info.exclusive or self.consumers.get(t, 0) != 1:
            raise Unsupported("cannot fold %s into layer '%s': its output has other consumers"
                              % (what, info.fusim_name))
        return info

    def add_layer(self, node, index, layer, out_chw, out_tensor, same_count_only=False,
                  layout=None):
        """Appends a layer; its fusim output shape must be ONNX's in `layout` (TensorInfo; a 1-D
        map reduced to [N, C] is plain features again), or, for a gemm, hold the same number of
        elements: fusim holds an [M, N] result as [N, M, 1]."""
        expected = self.shape(out_tensor)
        if layout == "ncl" and len(expected) != 3:
            layout = None
        if same_count_only:
            if expected[0] != self.batch or prod(out_chw) != prod(expected[1:]):
                raise Unsupported("fusim computes output %s but ONNX infers %s"
                                  % (list(out_chw), list(expected)))
        elif tuple(out_chw) != chw_for(expected, layout, self.batch):
            raise Unsupported("fusim computes output %s but ONNX infers %s"
                              % (list(out_chw), list(expected[1:])))
        name = self.unique(node.name if node.name else "%s_%d" % (node.op_type.lower(), index))
        layer = dict([("name", name)] + list(layer.items()))
        self.layers.append(layer)
        self.tensors[out_tensor] = TensorInfo(name, out_chw, expected, True, layer,
                                              layout=layout)
        return layer

    _KEEP = object()

    def alias(self, src, dst, heads=None, scale=1.0, causal=None, layout=_KEEP):
        """dst is src (a pass-through or a fold): same fusim producer; `heads`, `scale`,
        `causal` (by default src's) and `layout` (by default src's): see TensorInfo."""
        info = self.tensors[src]
        exclusive = info.exclusive and self.consumers.get(src, 0) == 1
        self.tensors[dst] = TensorInfo(info.fusim_name, info.fusim_shape, self.shape(dst),
                                       exclusive, info.layer, heads, scale,
                                       info.causal if causal is None else causal,
                                       info.layout if layout is self._KEEP else layout)

    def apply_activation(self, node, index, t, out, act, params=None, readers=1):
        """Activation `act` of tensor t as tensor out: the attribute of t's producer when t is
        that layer's output alone, read by `readers` nodes (those of the activation's pattern),
        else an activation layer."""
        info = self.act(t)
        params = params or {}
        if info.layer is not None and info.exclusive and self.consumers.get(t, 0) == readers \
                and info.layer.get("activation", "none") == "none" \
                and info.layer["type"] not in ("concat", "slice", "shuffle"):
            info.layer["activation"] = act
            info.layer.update(params)
            self.alias(t, out)
            self.tensors[out].exclusive = info.exclusive and self.consumers.get(t, 0) == readers
            return
        # An element-wise function does not care for the layout: a map channels last too.
        x = info if info.nhwc else self.spatial(t, rank4=False)
        layer = {"type": "activation", "inputs": [x.fusim_name], "activation": act}
        layer.update(params)
        self.add_layer(node, index, layer, x.fusim_shape, out, layout=x.layout)

    # -- operators -------------------------------------------------------------------------

    def run(self):
        for index, node in enumerate(self.graph.node):
            if self.folded(node):
                continue
            label = node_label(node, index)
            if any(t in self.poisoned for t in node.input if t):
                # A consequence of an earlier error; still report an unknown op type.
                if node.domain not in ("", "ai.onnx") or not hasattr(self, "op_" + node.op_type):
                    self.errors.append((node.op_type, label, "unsupported operator"))
                self.poisoned.update(o for o in node.output if o)
                continue
            try:
                if node.domain not in ("", "ai.onnx"):
                    raise Unsupported("operator domain '%s' is not supported" % node.domain)
                if id(node) in self.pattern_layer:
                    self.pattern_layer[id(node)](index)
                    continue
                if id(node) in self.pattern_of:  # the last node of a matched pattern
                    act, x, readers = self.pattern_of[id(node)]
                    self.apply_activation(node, index, x, node.output[0], act, readers=readers)
                    continue
                if id(node) in self.in_pattern:
                    continue
                if any(o in self.host for o in node.output):  # prepare's host_op
                    continue
                handler = getattr(self, "op_" + node.op_type, None)
                if handler is None:
                    raise Unsupported("unsupported operator")
                handler(node, index)
            except Unsupported as e:
                self.errors.append((node.op_type, label, str(e)))
                self.poisoned.update(o for o in node.output if o)

    def op_Constant(self, node, index):
        if node.output[0] not in self.consts:
            raise Unsupported("only Constant nodes with a 'value' tensor are supported")

    # Operators that compute on the integer inputs (token ids, an attention mask) and constants
    # alone: Hugging Face's extended mask, (1 - mask[:, None, None, :]) * -10000.
    _HOST_OPS = {"Unsqueeze", "Squeeze", "Cast", "Sub", "Mul", "Add", "Div", "Neg", "Reshape",
                 "Expand", "Identity", "Not", "Equal", "Where", "Slice"}

    def host_op(self, node):
        """True when `node` computes on host tensors and constants alone (not a Gather of a
        table): its outputs are host tensors too, work of O(tokens) elements that fusim does not
        model. Only an embedding Gather and an attention mask Add read host tensors into the
        network (op_Gather, op_Add)."""
        ins = [t for t in node.input if t]
        if node.op_type not in self._HOST_OPS or not any(t in self.host for t in ins) or \
                not all(t in self.host or t in self.consts for t in ins):
            return False
        origin = next(self.host[t] for t in ins if t in self.host)
        # Whether the values vary along the last axis (the keys) alone: an attention mask of
        # [batch, keys] however it is unsqueezed, cast, compared and expanded.
        keys_only = all(self.key_mask.get(t, False) for t in ins if t in self.host)
        if node.op_type == "Reshape":
            src, dst = self.shapes.get(ins[0]), self.shapes.get(node.output[0])
            keys_only = keys_only and src is not None and dst is not None and \
                src[-1] == dst[-1] and src[0] == dst[0]
        for o in node.output:
            if o:
                self.host[o] = origin
                self.key_mask[o] = keys_only
        return True

    def const_label(self, t):
        """A name for constant t: the table a folded Gather took it from (Hugging Face's position
        embeddings), else its own, without a path or a ".weight"."""
        producer = next((n for n in self.graph.node if t in n.output), None)
        if producer is not None and producer.op_type == "Gather" and \
                producer.input[0] in self.consts and producer.input[0] not in self.folded_outputs:
            t = producer.input[0]
        return t.split("/")[-1].replace(".weight", "") or "constant"

    def add_input(self, base, chw, onnx_shape):
        """A network input named after `base` (made unique), of fusim shape `chw`: its
        TensorInfo."""
        name = self.unique(base)
        self.inputs.append((name, chw))
        return TensorInfo(name, chw, onnx_shape, False, None)

    def constant_input(self, t, name):
        """Constant tensor t (a position embedding) as a network input holding it, [batch] +
        its shape (a missing batch dimension added); its TensorInfo."""
        if t not in self.tensors:
            value = self.consts[t]
            shape = (self.batch,) + tuple(int(v) for v in (value.shape[1:] if value.ndim and
                                                           value.shape[0] == 1 else value.shape))
            self.shapes[t] = shape
            self.tensors[t] = self.add_input(name, chw_of(shape), shape)
        return self.tensors[t]

    def op_Gather(self, node, index):
        """An embedding lookup, Gather(table [V, D], ids [batch, S]) with the ids an integer
        graph input (Hugging Face's word and token-type embeddings): a network input [D, S, 1]
        named after the table, the rows the lookup reads, as the accelerator receives them (the
        lookup itself, S rows of D elements from a table in DRAM, is the host's). A Gather of
        constants (position ids) is folded to a constant before. Of an activation: one part of
        a fused projection's heads (qkv[i], qkv_part) or the first token of a sequence (x[:, 0],
        token_rows)."""
        table, ids = node.input[0], node.input[1]
        axis = int(attrs_of(node).get("axis", 0))
        if table in self.tensors:
            info, i = self.tensors[table], self.scalar(ids)
            rank = len(self.shape(table))
            if i is None or int(i) != i:
                raise Unsupported("Gather of an activation by indices that are not one constant")
            if info.heads is not None and info.heads[0] == "pnhsd" and axis == 0:
                self.qkv_part(node, index, table, int(i), node.output[0])
                return
            if info.heads is None and rank == 3 and axis in (1, -2):
                s_len = self.shape(table)[1]
                i = int(i) + s_len if i < 0 else int(i)
                self.token_rows(node, index, table, i, i + 1, node.output[0])
                return
            raise Unsupported("Gather along axis %d of activation %s: fusim takes a part of "
                              "timm's qkv [3, N, heads, S, d] (axis 0) and a token of a "
                              "sequence [N, S, D] (axis 1)" % (axis, list(self.shape(table))))
        if table not in self.consts or ids not in self.host or axis != 0 or \
                self.consts[table].ndim != 2:
            raise Unsupported("Gather other than an embedding lookup (a [V, D] table indexed "
                              "along axis 0 by an integer graph input)")
        out = self.shape(node.output[0])
        if len(out) != 3 or out[0] != self.batch:
            raise Unsupported("embedding lookup of shape %s: fusim takes [batch, S, D]"
                              % list(out))
        self.tensors[node.output[0]] = self.add_input(self.const_label(table), chw_of(out), out)

    def has_bias(self, node):
        """Whether a Conv or ConvTranspose has its third input, which must be a constant."""
        if len(node.input) > 2 and node.input[2] != "":
            self.const(node.input[2], "bias")
            return True
        return False

    def padding_key(self, pads):
        """fusim's `padding` for [top, left, bottom, right]: an int, [h, w] or the four."""
        if pads[0] == pads[2] and pads[1] == pads[3]:
            return pads[0] if pads[0] == pads[1] else pads[:2]
        return list(pads)

    def op_Pad(self, node, index):
        """A Pad of H and W: folded into the convs that alone read it when it pads with zeros
        (tf2onnx writes TensorFlow's explicit padding so), else a pad layer (a copy; the fill
        value and the mode, constant, reflect or edge, do not change its cost)."""
        a = attrs_of(node)
        mode = text_attr(a, "mode", "constant")
        if mode not in ("constant", "reflect", "edge"):
            raise Unsupported("Pad mode '%s'" % mode)
        if len(node.input) > 1 and node.input[1]:
            pads = [int(v) for v in np.asarray(self.const(node.input[1], "pads")).reshape(-1)]
        else:
            pads = [int(v) for v in a.get("pads", [])]
        if len(node.input) > 2 and node.input[2]:
            value = float(np.asarray(self.const(node.input[2], "constant_value")).reshape(-1)[0])
        else:
            value = float(a.get("value", 0.0))
        if len(node.input) > 3 and node.input[3]:
            raise Unsupported("Pad with axes")
        if len(pads) != 8 or any(pads[i] for i in (0, 1, 4, 5)):
            raise Unsupported("Pad %s: fusim pads (or crops) H and W only" % pads)
        y = node.output[0]
        sides = [pads[2], pads[3], pads[6], pads[7]]
        readers = self.readers.get(y, [])
        x = self.spatial(node.input[0])
        if min(sides) >= 0 and mode == "constant" and value == 0.0 and readers and \
                all(r.op_type == "Conv" and r.input[0] == y for r in readers) and \
                self.consumers.get(y, 0) == len(readers):
            self.folded_pads[y] = (node.input[0], sides)
            return
        c, h, w = x.fusim_shape
        layer = {"type": "pad", "inputs": [x.fusim_name], "padding": self.padding_key(sides)}
        self.add_layer(node, index, layer, (c, h + sides[0] + sides[2], w + sides[1] + sides[3]),
                       y)

    def op_Conv(self, node, index):
        a = attrs_of(node)
        extra = [0, 0, 0, 0]
        if node.input[0] in self.folded_pads:  # a Pad before it: its padding adds to the conv's
            src, extra = self.folded_pads[node.input[0]]
            x = self.spatial(src)
        else:
            x = self.spatial(node.input[0])
        w = self.const(node.input[1], "weight")
        onnx4 = x.onnx_shape
        if w.ndim == 3:  # Conv1d over a 1-D map [N, C, L]: a conv of kernel [k, 1] over [C, L, 1]
            if not x.ncl:
                raise Unsupported("a 1-D conv of '%s' %s, which fusim holds as a sequence [N, S, "
                                  "D] (a 1-D map is a network input or a 1-D conv's output)"
                                  % (node.input[0], list(x.onnx_shape)))
            a, w, onnx4 = window_2d(a), w[..., None], tuple(x.onnx_shape) + (1,)
        if w.ndim != 4:
            raise Unsupported("only 1-D and 2-D convolutions are supported (weight rank %d)"
                              % w.ndim)
        m, cg, kh, kw = (int(v) for v in w.shape)
        if "kernel_shape" in a and list(a["kernel_shape"]) != [kh, kw]:
            raise Unsupported("kernel_shape %s disagrees with the weight" % list(a["kernel_shape"]))
        group = int(a.get("group", 1))
        c_in = x.fusim_shape[0]
        if cg * group != c_in:
            raise Unsupported("weight has %d input channels per group x %d groups, input has %d"
                              % (cg, group, c_in))
        strides = list(a.get("strides", [1, 1]))
        dil = list(a.get("dilations", [1, 1]))
        if len(set(dil)) != 1:
            raise Unsupported("dilations %s: fusim supports one dilation for both axes" % dil)
        padded = list(onnx4[:2]) + [onnx4[2] + extra[0] + extra[2], onnx4[3] + extra[1] + extra[3]]
        pads = self.window_pads(node, a, padded, [kh, kw], strides, dil, extra)
        bias = self.has_bias(node)
        if not x.ncl and self.patch_embedding(node, index, x, w, strides, pads, dil, group, bias):
            return
        layer = {"type": "conv", "inputs": [x.fusim_name], "out_channels": m}
        layer["kernel"] = kh if kh == kw else [kh, kw]
        if strides != [1, 1]:
            layer["stride"] = strides[0] if strides[0] == strides[1] else strides
        if pads != [0, 0, 0, 0]:
            layer["padding"] = self.padding_key(pads)
        if dil[0] != 1:
            layer["dilation"] = dil[0]
        if group != 1:
            layer["groups"] = group
        layer["bias"] = bias
        _, h, wd = x.fusim_shape
        out = (m, out_extent(h, kh, strides[0], pads[0], pads[2], dil[0], False),
               out_extent(wd, kw, strides[1], pads[1], pads[3], dil[0], False))
        self.add_layer(node, index, layer, out, node.output[0], layout=x.layout)

    def patch_embedding(self, node, index, x, w, strides, pads, dil, group, bias):
        """A ViT's patch embedding as timm and torchvision export it: a conv whose kernel is its
        stride (no padding) over a network input read by nothing else, its map flattened
        (Reshape [N, C, H W]) and transposed to a sequence [N, H W, C]. fusim holds the
        sequence [C, H W, 1] where the conv holds [C, H, W] (the same bytes, NHWC) but has no
        layer that changes a map into a sequence, so the input is taken as the patches, [Cin
        kh kw, H W, 1] (the host's layout of the pixels the conv reads, each once), and the conv
        as the gemm over them it is (the paper's linear projection; the same MACs and weights).
        False when the nodes are not that pattern; an error when the map becomes a sequence
        otherwise."""
        y = node.output[0]
        flat = self.only_reader(y, "Reshape")
        if flat is None or flat.output[0] not in self.shapes:
            return False
        n, c, h, wd = self.shape(y)
        if self.shape(flat.output[0]) != (n, c, h * wd):
            return False
        tr = self.only_reader(flat.output[0], "Transpose")
        if tr is None or [int(v) for v in attrs_of(tr).get("perm", [])] != [0, 2, 1]:
            return False
        m, cg, kh, kw = (int(v) for v in w.shape)
        if x.layer is not None or self.consumers.get(node.input[0], 0) != 1 or \
                node.input[0] in self.folded_pads or strides != [kh, kw] or \
                pads != [0, 0, 0, 0] or dil != [1, 1] or group != 1:
            raise Unsupported("a conv's map made a sequence (Reshape to [N, C, H W], Transpose): "
                              "fusim takes this as a patch embedding only (kernel = stride, no "
                              "padding or dilation, over a network input read by nothing else)")
        k = cg * kh * kw
        patches = (k, h * wd, 1)
        self.inputs = [(name, patches if name == x.fusim_name else chw)
                       for name, chw in self.inputs]
        x.fusim_shape = patches
        print("%s: note: input '%s' is read as its %d patches of %d x %d x %d pixels ([%d, %d, "
              "1]), the patch embedding '%s' as a gemm over them" % (PROG, x.fusim_name, h * wd,
                                                                    cg, kh, kw, k, h * wd,
                                                                    node.name or y),
              file=sys.stderr)
        self.in_pattern.update((id(flat), id(tr)))
        layer = {"type": "gemm", "inputs": [x.fusim_name], "m": h * wd, "n": m, "k": k,
                 "bias": bias}
        self.add_layer(node, index, layer, (m, h * wd, 1), tr.output[0])
        return True

    def op_DepthToSpace(self, node, index):
        """PixelShuffle / DepthToSpace: a depth_to_space layer. Both modes (DCR, CRD) cost the
        same in fusim: the conv that produces the channels can order them either way."""
        a = attrs_of(node)
        mode = text_attr(a, "mode", "DCR")
        if mode not in ("DCR", "CRD"):
            raise Unsupported("DepthToSpace mode '%s'" % mode)
        x = self.spatial(node.input[0])
        s = int(a["blocksize"])
        c, h, w = x.fusim_shape
        if s < 2 or c % (s * s):
            raise Unsupported("blocksize %d over %d channels" % (s, c))
        self.add_layer(node, index, {"type": "depth_to_space", "inputs": [x.fusim_name],
                                     "block": s}, (c // (s * s), h * s, w * s), node.output[0])

    def op_ConvTranspose(self, node, index):
        """A transposed conv whose output is its stride times its input (the upsampling of
        U-Net, FCN, DCGAN and CenterNet heads: kernel 2 stride 2, kernel 4 stride 2 pads 1,
        kernel 3 stride 2 pads 1 output_padding 1, kernel 64 stride 32 pads 16) as its sub-pixel
        form: output phase (a, b), the rows s q + a and columns s r + b, is an ordinary stride-1
        conv of the input (transposed_phases), so the phases whose windows agree are one conv to
        C_out x (their number) channels (NAME_subpixel, or NAME_subpixel_0, _1, ... joined by the
        concat NAME_subpixel), and a depth_to_space by s (named after the node) puts each phase
        in place. The convs count every tap of the kernel once per input pixel, as a transposed
        conv does (C_in C_out k_h k_w H W / group MACs, C_in C_out k_h k_w / group weights); the
        bias, one per output channel, is each phase's, s^2 copies. The channel order of the
        phases is the convs' to choose, so depth_to_space's mode does not change the cost.
        An output short of stride x input computes the phases' rows and columns past it and
        crops them (a pad of negative sides, named after the node; the depth_to_space is then
        NAME_full). Not imported: dilations, unequal strides, an output larger than stride x
        input, and padding past the kernel's reach (a phase whose taps start after its first
        row)."""
        a = attrs_of(node)
        x = self.spatial(node.input[0])
        w = self.const(node.input[1], "weight")
        if w.ndim != 4:
            raise Unsupported("only 2-D transposed convolutions are supported")
        c_in, c_out_g, kh, kw = (int(v) for v in w.shape)
        group = int(a.get("group", 1))
        c_out = c_out_g * group
        strides = [int(v) for v in a.get("strides", [1, 1])]
        if list(a.get("dilations", [1, 1])) != [1, 1]:
            raise Unsupported("transposed conv dilations %s" % list(a["dilations"]))
        if c_in != x.fusim_shape[0] or c_in % group:
            raise Unsupported("weight has %d input channels in %d groups, input has %d"
                              % (c_in, group, x.fusim_shape[0]))
        if len(strides) != 2 or strides[0] != strides[1] or strides[0] < 2:
            raise Unsupported("transposed conv strides %s: fusim imports equal strides of 2 or "
                              "more (a stride-1 transposed conv is a conv)" % strides)
        s = strides[0]
        out_pad = [int(v) for v in a.get("output_padding", [0, 0])]
        kernel = [kh, kw]
        _, h, wd = x.fusim_shape
        auto = text_attr(a, "auto_pad", "NOTSET")
        if "output_shape" in a or auto in ("SAME_UPPER", "SAME_LOWER"):
            # Padding that makes the output stride x input, split evenly (ONNX's upper and lower
            # split differ only for an odd total, and runtimes disagree on which is which).
            if "output_shape" in a and list(a["output_shape"])[-2:] != [h * s, wd * s]:
                raise Unsupported("output_shape %s is not stride x input %s"
                                  % (list(a["output_shape"]), [h * s, wd * s]))
            total = [kernel[i] + out_pad[i] - s for i in range(2)]
            if min(total) < 0 or any(t % 2 for t in total):
                raise Unsupported("output_shape/auto_pad with a total padding of %s: only an "
                                  "even total splits the same in every runtime" % total)
            pads = [total[0] // 2, total[1] // 2, total[0] // 2, total[1] // 2]
        elif auto in ("NOTSET", "", "VALID"):
            pads = [0, 0, 0, 0] if auto == "VALID" else [int(v) for v in
                                                            a.get("pads", [0, 0, 0, 0])]
        else:
            raise Unsupported("auto_pad %s is not supported" % auto)
        out = [(n - 1) * s + kernel[i] + out_pad[i] - pads[i] - pads[i + 2]
               for i, n in enumerate((h, wd))]
        if out[0] > h * s or out[1] > wd * s or min(out) < 1:
            raise Unsupported("a transposed conv with kernel %s, stride %d, pads %s, "
                              "output_padding %s gives %s from %s: fusim imports those whose "
                              "output is at most stride x input" % (kernel, s, pads, out_pad, out,
                                                                    [h, wd]))
        rows = transposed_phases(kh, s, pads[0])
        cols = transposed_phases(kw, s, pads[1])
        bias = self.has_bias(node)
        # Phases whose windows (taps, padding before, after) agree share a conv.
        classes = {}
        for pa in range(s):
            for pb in range(s):
                key = (rows[pa][:3], cols[pb][:3])
                classes.setdefault(key, []).append((pa, pb))
        base = node.name or "convtranspose_%d" % index
        name = self.unique(base + "_subpixel")
        convs = []
        for i, ((r, c), phases) in enumerate(classes.items()):
            layer = {"name": name if len(classes) == 1 else self.unique("%s_%d" % (name, i)),
                     "type": "conv", "inputs": [x.fusim_name],
                     "out_channels": c_out * len(phases),
                     "kernel": r[0] if r[0] == c[0] else [r[0], c[0]]}
            pad = [r[1], c[1], r[2], c[2]]
            if pad != [0, 0, 0, 0]:
                layer["padding"] = self.padding_key(pad)
            if group != 1:
                layer["groups"] = group
            layer["bias"] = bias
            self.layers.append(layer)
            convs.append(layer["name"])
        if len(convs) > 1:
            self.layers.append({"name": name, "type": "concat", "inputs": convs})
        d2s = {"type": "depth_to_space", "inputs": [name], "block": s}
        if out == [h * s, wd * s]:
            self.add_layer(node, index, d2s, (c_out, h * s, wd * s), node.output[0])
            return
        # An output short of stride x input (kernel 3, stride 2, padding 1 without
        # output_padding: 2 H - 1): the phases' last rows and columns past it, cropped.
        self.layers.append(dict([("name", self.unique(base + "_full"))] + list(d2s.items())))
        crop = [0, 0, out[0] - h * s, out[1] - wd * s]
        self.add_layer(node, index, {"type": "pad", "inputs": [self.layers[-1]["name"]],
                                     "padding": crop}, (c_out, out[0], out[1]), node.output[0])

    def window_pads(self, node, a, in_shape, kernel, strides, dil, extra=(0, 0, 0, 0)):
        """[top, left, bottom, right], plus `extra` (a folded Pad's), or Unsupported."""
        if len(kernel) != 2 or len(strides) != 2:
            raise Unsupported("only 2-D windows are supported")
        auto = text_attr(a, "auto_pad", "NOTSET")
        if auto in ("NOTSET", ""):
            pads = list(a.get("pads", [0, 0, 0, 0]))
        elif auto == "VALID":
            pads = [0, 0, 0, 0]
        elif auto in ("SAME_UPPER", "SAME_LOWER"):
            pads = [0, 0, 0, 0]
            for i in range(2):
                n = in_shape[2 + i]
                out = -(-n // strides[i])
                total = max((out - 1) * strides[i] + dil[i] * (kernel[i] - 1) + 1 - n, 0)
                small, big = total // 2, total - total // 2
                pads[i], pads[2 + i] = (small, big) if auto == "SAME_UPPER" else (big, small)
        else:
            raise Unsupported("auto_pad %s is not supported" % auto)
        if len(pads) != 4:
            raise Unsupported("pads %s: fusim takes 2-D windows" % list(pads))
        pads = [int(p) + int(e) for p, e in zip(pads, extra)]
        for i in range(4):
            if pads[i] >= kernel[i % 2] * dil[i % 2]:
                raise Unsupported("padding %d is not smaller than the kernel %d (fusim's limit)"
                                  % (pads[i], kernel[i % 2] * dil[i % 2]))
        return pads

    def pool(self, node, index, mode):
        a = attrs_of(node)
        if len([o for o in node.output if o]) > 1:
            raise Unsupported("the Indices output of MaxPool is not supported")
        x = self.spatial(node.input[0])
        onnx4 = x.onnx_shape
        if x.ncl:  # MaxPool1d, AvgPool1d: a window [k, 1] over [C, L, 1]
            a, onnx4 = window_2d(a), tuple(x.onnx_shape) + (1,)
        kernel = list(a.get("kernel_shape", []))
        strides = list(a.get("strides", [1] * len(kernel)))
        dil = list(a.get("dilations", [1] * len(kernel)))
        if any(d != 1 for d in dil):
            raise Unsupported("pooling dilations %s are not supported" % dil)
        pads = self.window_pads(node, a, onnx4, kernel, strides, [1, 1])
        ceil_mode = bool(a.get("ceil_mode", 0))
        layer = {"type": "pool", "inputs": [x.fusim_name], "mode": mode}
        layer["kernel"] = kernel[0] if kernel[0] == kernel[1] else kernel
        if strides != [1, 1]:
            layer["stride"] = strides[0] if strides[0] == strides[1] else strides
        if pads != [0, 0, 0, 0]:
            layer["padding"] = self.padding_key(pads)
        if ceil_mode:
            layer["ceil_mode"] = True
        c, h, w = x.fusim_shape
        out = (c, out_extent(h, kernel[0], strides[0], pads[0], pads[2], 1, ceil_mode),
               out_extent(w, kernel[1], strides[1], pads[1], pads[3], 1, ceil_mode))
        self.add_layer(node, index, layer, out, node.output[0], layout=x.layout)

    def op_MaxPool(self, node, index):
        self.pool(node, index, "max")

    def op_AveragePool(self, node, index):
        self.pool(node, index, "avg")

    def global_pool(self, node, index, mode):
        x = self.spatial(node.input[0])
        layer = {"type": "pool", "inputs": [x.fusim_name], "mode": mode, "global": True}
        self.add_layer(node, index, layer, (x.fusim_shape[0], 1, 1), node.output[0], layout=x.layout)

    def resize(self, node, index, mode, scales, sizes, coords, nearest_mode):
        """A resize of a [N, C, H, W] tensor by whole factors of H and W (scales, or sizes that
        are whole multiples): fusim's resize, nearest reading row floor(r / s), bilinear with
        half-pixel centres. Other row mappings are reported."""
        x = self.spatial(node.input[0])
        c, h, w = x.fusim_shape
        down = self.downsample_factors(scales, sizes, h, w)
        if down is not None:
            self.nearest_downsample(node, index, x, mode, down)
            return
        if sizes is not None:
            sizes = [int(v) for v in np.asarray(sizes).reshape(-1)]
            if len(sizes) != 4 or sizes[:2] != [self.batch, c] or sizes[2] % h or sizes[3] % w:
                raise Unsupported("Resize to sizes %s: fusim resizes H and W by whole factors"
                                  % sizes)
            factors = [sizes[2] // h, sizes[3] // w]
        else:
            scales = [float(v) for v in np.asarray(scales).reshape(-1)]
            if len(scales) != 4 or scales[:2] != [1.0, 1.0] or \
                    any(s < 1 or s != int(s) for s in scales[2:]):
                raise Unsupported("Resize by scales %s: fusim resizes H and W by whole factors"
                                  % scales)
            factors = [int(scales[2]), int(scales[3])]
        if factors[0] > 64 or factors[1] > 64:
            raise Unsupported("Resize by %s: fusim's factors are at most 64" % factors)
        if mode == "nearest":
            # Row floor(r / s) for whole factors: asymmetric with floor (torch's nearest), or
            # half-pixel centres rounded either way (ONNX's default, TF's half_pixel_centers).
            ok = (coords == "asymmetric" and nearest_mode == "floor") or \
                (coords in ("half_pixel", "pytorch_half_pixel")
                 and nearest_mode in ("round_prefer_floor", "round_prefer_ceil"))
            if not ok:
                raise Unsupported("nearest Resize with coordinate_transformation_mode %s and "
                                  "nearest_mode %s (fusim reads row floor(r / s))"
                                  % (coords, nearest_mode))
        elif mode == "linear":
            if coords not in ("half_pixel", "pytorch_half_pixel"):
                raise Unsupported("linear Resize with coordinate_transformation_mode %s (fusim's "
                                  "bilinear has half-pixel centres, torch's align_corners=False)"
                                  % coords)
        else:
            raise Unsupported("Resize mode %s (fusim takes nearest and linear)" % mode)
        layer = {"type": "resize", "inputs": [x.fusim_name],
                 "scale": factors[0] if factors[0] == factors[1] else factors,
                 "mode": "nearest" if mode == "nearest" else "bilinear"}
        self.add_layer(node, index, layer, (c, h * factors[0], w * factors[1]), node.output[0])

    def downsample_factors(self, scales, sizes, h, w):
        """[k_h, k_w] when a resize shrinks H and W by whole factors (at least one above 1,
        neither enlarging) that divide them; None otherwise."""
        if sizes is not None:
            sizes = [int(v) for v in np.asarray(sizes).reshape(-1)]
            if len(sizes) != 4 or not 0 < sizes[2] <= h or not 0 < sizes[3] <= w or \
                    h % sizes[2] or w % sizes[3] or (sizes[2], sizes[3]) == (h, w):
                return None
            return [h // sizes[2], w // sizes[3]]
        scales = [float(v) for v in np.asarray(scales).reshape(-1)]
        if len(scales) != 4 or not all(0 < s <= 1 for s in scales[2:]) or scales[2:] == [1, 1]:
            return None
        k = [round(1 / s) for s in scales[2:]]
        if any(abs(1 / s - f) > 1e-6 for s, f in zip(scales[2:], k)) or h % k[0] or w % k[1]:
            return None
        return k

    def nearest_downsample(self, node, index, x, mode, k):
        """A nearest resize that shrinks H and W by whole factors k: every k-th row and column,
        a 1x1 max pool of stride k (it reads one input element per output element and moves
        it, as the resize does; half-pixel rounding picks row r k + (k - 1) / 2 rather than
        r k, the same bytes and work)."""
        if mode != "nearest":
            raise Unsupported("a %s Resize that shrinks the map (fusim shrinks by nearest only: "
                              "a 1x1 pool of stride k)" % mode)
        if max(k) > 64:
            raise Unsupported("Resize shrinking by %s: fusim's factors are at most 64" % k)
        c, h, w = x.fusim_shape
        layer = {"type": "pool", "inputs": [x.fusim_name], "mode": "max", "kernel": 1,
                 "stride": k[0] if k[0] == k[1] else k}
        self.add_layer(node, index, layer, (c, h // k[0], w // k[1]), node.output[0])

    def op_Resize(self, node, index):
        a = attrs_of(node)
        inputs = list(node.input) + [""] * 4
        opset10 = self.opset < 11
        scales_in = inputs[1] if opset10 else inputs[2]
        sizes_in = "" if opset10 else inputs[3]
        scales = sizes = None
        if sizes_in:
            sizes = self.const(sizes_in, "Resize sizes")
        elif scales_in:
            scales = self.const(scales_in, "Resize scales")
        else:
            raise Unsupported("Resize without scales or sizes")
        if scales is not None and np.asarray(scales).size == 0:
            raise Unsupported("Resize with empty scales and no sizes")
        coords = "asymmetric" if opset10 else text_attr(a, "coordinate_transformation_mode",
                                                   "half_pixel")
        self.resize(node, index, text_attr(a, "mode", "nearest"), scales, sizes, coords,
                    "floor" if opset10 else text_attr(a, "nearest_mode", "round_prefer_floor"))

    def op_Upsample(self, node, index):
        """Upsample (opsets 7-9): y = r / s, nearest rounding down."""
        a = attrs_of(node)
        mode = text_attr(a, "mode", "nearest")
        scales = a.get("scales")
        if scales is None:
            if len(node.input) < 2 or not node.input[1]:
                raise Unsupported("Upsample without scales")
            scales = self.const(node.input[1], "Upsample scales")
        self.resize(node, index, mode, scales, None, "asymmetric", "floor")

    def op_GlobalAveragePool(self, node, index):
        self.global_pool(node, index, "avg")

    def op_GlobalMaxPool(self, node, index):
        self.global_pool(node, index, "max")

    def op_BatchNormalization(self, node, index):
        if len([o for o in node.output if o]) > 1:
            raise Unsupported("training-mode BatchNormalization (several outputs)")
        for t in node.input[1:5]:
            self.const(t, "batch-norm parameter")
        x = node.input[0]
        info = self.act(x)
        rank = len(self.shape(x))
        # After a conv ([N, C, H, W]) or an fc ([N, C]: BatchNorm1d in an MLP head), a per
        # output channel affine: the layer's bias. Of tokens as rows [N S, D] (LeViT's
        # Linear_BN, BatchNorm1d of x.flatten(0, 1)): the features', after a gemm.
        folds_into = "conv" if rank == 4 or info.ncl else "gemm" if info.flat else "fc"
        if rank not in (2, 4) and not info.ncl:
            raise Unsupported("a BatchNormalization of a rank-%d tensor (fusim normalises the "
                              "channels of [N, C, H, W], the features of [N, C], or those of a "
                              "sequence's tokens as rows [N S, D]; a BatchNorm1d over [N, C, L] "
                              "normalises what fusim holds as a sequence's tokens)" % rank)
        if info.layer is not None and info.exclusive and self.consumers.get(x, 0) == 1 \
                and info.layer["type"] == folds_into and len(info.layer["inputs"]) == 1 and \
                info.layer.get("activation", "none") == "none":
            info.layer["bias"] = True
            self.alias(x, node.output[0])
            return
        # Not foldable (after a concat, a pool, an activation, a network input, or a tensor
        # others read too, as DenseNet's BN -> ReLU -> Conv): a per-channel affine of its own
        # ([N, C] as [C, 1, 1]; tokens as rows as their sequence [D, S, 1]).
        t = info if info.flat else self.spatial(x, rank4=False)
        self.add_layer(node, index, {"type": "batchnorm", "inputs": [t.fusim_name]},
                       t.fusim_shape, node.output[0], layout=t.layout)

    def op_Relu(self, node, index):
        self.apply_activation(node, index, node.input[0], node.output[0], "relu")

    def op_Tanh(self, node, index):
        self.apply_activation(node, index, node.input[0], node.output[0], "tanh")

    def op_HardSwish(self, node, index):
        self.apply_activation(node, index, node.input[0], node.output[0], "hardswish")

    def op_LeakyRelu(self, node, index):
        slope = f32(attrs_of(node).get("alpha", 0.01))
        self.apply_activation(node, index, node.input[0], node.output[0], "leaky_relu",
                              {"negative_slope": slope})

    def gate_pattern(self, node, act):
        """When node's output y is read by one Mul(x, y) alone, x being node's input, the Mul
        is x * f(x), activation `act` of x. Returns the Mul."""
        x, y = node.input[0], node.output[0]
        readers = self.readers.get(y, [])
        if len(readers) != 1 or self.consumers.get(y, 0) != 1:
            return None
        mul = readers[0]
        if mul.op_type != "Mul" or sorted(mul.input) != sorted([x, y]) or x == y:
            return None
        self.match(act, x, [node, mul])
        return mul

    def op_Sigmoid(self, node, index):
        if self.gate_pattern(node, "silu") is None:
            self.apply_activation(node, index, node.input[0], node.output[0], "sigmoid")

    def op_HardSigmoid(self, node, index):
        a = attrs_of(node)
        alpha, beta = float(a.get("alpha", 0.2)), float(a.get("beta", 0.5))
        is_hardswish_gate = abs(alpha - 1 / 6) < 1e-6 and abs(beta - 0.5) < 1e-6
        if not is_hardswish_gate or self.gate_pattern(node, "hardswish") is None:
            self.apply_activation(node, index, node.input[0], node.output[0], "hardsigmoid")

    def scalar(self, t):
        """The value of a one-element constant, or None."""
        if t not in self.consts or np.asarray(self.consts[t]).size != 1:
            return None
        return float(np.asarray(self.consts[t]).reshape(-1)[0])

    def only_reader(self, t, op_type):
        readers = self.readers.get(t, [])
        if len(readers) == 1 and self.consumers.get(t, 0) == 1 and readers[0].op_type == op_type:
            return readers[0]
        return None

    def const_operand(self, node, t):
        """The other operand of binary `node` when it is a one-element constant, else None."""
        others = [i for i in node.input if i != t]
        return self.scalar(others[0]) if len(others) == 1 else None

    def op_Div(self, node, index):
        # GELU as torch exports it: x / sqrt(2) -> Erf -> + 1 -> x * . -> * 0.5 (the last two
        # Muls in either order).
        x = node.input[0]
        if self.match_gelu(node, x):
            return
        if self.softmax_scale(node, divide=True):
            return
        self.binary(node, index, "div")

    def match_gelu(self, div, x):
        if self.scalar(div.input[1]) is None or abs(self.scalar(div.input[1]) - 2 ** 0.5) > 1e-3:
            return False
        erf = self.only_reader(div.output[0], "Erf")
        add = erf and self.only_reader(erf.output[0], "Add")
        if not add or abs((self.const_operand(add, erf.output[0]) or 0) - 1) > 1e-6:
            return False
        m1 = self.only_reader(add.output[0], "Mul")
        if not m1:
            return False
        half = self.const_operand(m1, add.output[0])
        if half is not None and abs(half - 0.5) < 1e-6:  # (1 + erf) * 0.5, then x * .
            m2 = self.only_reader(m1.output[0], "Mul")
            if not m2 or sorted(m2.input) != sorted([x, m1.output[0]]):
                return False
        elif sorted(m1.input) == sorted([x, add.output[0]]):  # x * (1 + erf), then * 0.5
            m2 = self.only_reader(m1.output[0], "Mul")
            if not m2 or abs((self.const_operand(m2, m1.output[0]) or 0) - 0.5) > 1e-6:
                return False
        else:
            return False
        self.match("gelu", x, [div, erf, add, m1, m2])
        return True

    def match_gelu_tanh(self, pow_):
        """GELU's tanh approximation, 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))), as
        torch exports F.gelu(approximate="tanh") below opset 20 and as GPT-2's gelu_new writes
        it: Pow(x, 3), Mul by 0.044715, Add x, Mul by sqrt(2 / pi), Tanh, Add 1, and the
        products by x and 0.5 in any order. Matched from the Pow before any node runs (torch
        writes the x * 0.5 first): the gelu activation, as the Erf form is."""
        x = pow_.input[0]
        if x in self.consts or abs((self.const_operand(pow_, x) or 0) - 3) > 1e-6:
            return
        nodes = [pow_]

        def step(t, op, const=None, other=None):
            n = self.only_reader(t, op)
            if n is None or len(n.input) != 2:
                return None
            if const is not None and abs((self.const_operand(n, t) or 0) - const) > 1e-4:
                return None
            if other is not None and sorted(n.input) != sorted([t, other]):
                return None
            nodes.append(n)
            return n.output[0]

        t = step(pow_.output[0], "Mul", 0.044715)
        t = t and step(t, "Add", other=x)
        t = t and step(t, "Mul", (2 / np.pi) ** 0.5)
        tanh = t and self.only_reader(t, "Tanh")
        if not tanh:
            return
        nodes.append(tanh)
        f = step(tanh.output[0], "Add", 1.0)
        if not f:
            return
        readers = self.readers.get(f, [])
        if len(readers) != 1 or self.consumers.get(f, 0) != 1 or readers[0].op_type != "Mul":
            return
        m1 = readers[0]
        other = [i for i in m1.input if i != f]
        if len(other) != 1:
            return
        o = other[0]
        half = next((n for n in self.readers.get(x, []) if n.op_type == "Mul" and
                     n.output[0] == o and abs((self.const_operand(n, x) or 0) - 0.5) < 1e-6),
                    None)
        if half is not None and self.consumers.get(o, 0) == 1:  # (x * 0.5) * (1 + tanh)
            nodes += [half, m1]
        elif o == x:  # x * (1 + tanh), then * 0.5
            nodes.append(m1)
            if not step(m1.output[0], "Mul", 0.5):
                return
        elif abs((self.const_operand(m1, f) or 0) - 0.5) < 1e-6:  # (1 + tanh) * 0.5, then x *
            nodes.append(m1)
            if not step(m1.output[0], "Mul", other=x):
                return
        else:
            return
        order = {id(n): i for i, n in enumerate(self.graph.node)}
        self.match("gelu", x, sorted(nodes, key=lambda n: order[id(n)]))

    def match(self, act, x, nodes):
        """nodes (in graph order) compute activation `act` of tensor x: the last one applies it
        (run()), the others do nothing."""
        readers = sum(1 for n in nodes for t in n.input if t == x)
        self.pattern_of[id(nodes[-1])] = (act, x, readers)
        self.in_pattern.update(id(n) for n in nodes[:-1])

    def clip_bounds(self, node):
        """Clip's (min, max), from attributes (opset < 11) or constant inputs; None when
        absent or not constant."""
        a = attrs_of(node)
        lo, hi = a.get("min"), a.get("max")
        for i, name in ((1, "lo"), (2, "hi")):
            if len(node.input) > i and node.input[i]:
                v = self.scalar(node.input[i])
                if v is None:
                    return None, None
                lo, hi = (v, hi) if name == "lo" else (lo, v)
        return lo, hi

    def sixth(self, node, t):
        """True when node divides t by 6 or multiplies it by 1/6."""
        k = self.const_operand(node, t)
        if k is None or node.input[0] != t and node.op_type == "Div":
            return False
        return (node.op_type == "Div" and abs(k - 6) < 1e-6) or \
            (node.op_type == "Mul" and abs(k - 1 / 6) < 1e-6)

    def match_hard(self, add):
        """hardsigmoid(x) = clip(x + 3, 0, 6) / 6 and hardswish(x) = x * that (the division
        before or after the multiply; / 6 or * 1/6), as other exporters write them. `add` is
        the Add(x, 3)."""
        x = [t for t in add.input if t not in self.consts]
        if len(x) != 1 or len(add.input) != 2 or \
                abs((self.const_operand(add, x[0]) or 0) - 3) > 1e-6:
            return False
        x = x[0]
        clip = self.only_reader(add.output[0], "Clip")
        if not clip or self.clip_bounds(clip) != (0, 6):
            return False
        c = clip.output[0]
        readers = self.readers.get(c, [])
        if len(readers) != 1 or self.consumers.get(c, 0) != 1:
            return False
        nxt = readers[0]
        if nxt.op_type in ("Div", "Mul") and self.sixth(nxt, c):  # clip(x + 3, 0, 6) / 6
            h = nxt.output[0]
            mul = self.only_reader(h, "Mul")
            if mul and sorted(mul.input) == sorted([x, h]):
                self.match("hardswish", x, [add, clip, nxt, mul])
            else:
                self.match("hardsigmoid", x, [add, clip, nxt])
            return True
        if nxt.op_type == "Mul" and sorted(nxt.input) == sorted([x, c]):  # x * clip(...), / 6
            last = self.readers.get(nxt.output[0], [])
            if len(last) == 1 and self.consumers.get(nxt.output[0], 0) == 1 and \
                    last[0].op_type in ("Div", "Mul") and self.sixth(last[0], nxt.output[0]):
                self.match("hardswish", x, [add, clip, nxt, last[0]])
                return True
        return False

    def op_Erf(self, node, index):
        raise Unsupported("Erf outside the GELU pattern x * 0.5 * (1 + erf(x / sqrt(2)))")

    def op_Mul(self, node, index):
        if self.softmax_scale(node, divide=False):
            return
        if self.fold_channel_scale(node):
            return
        self.binary(node, index, "mul")

    def fold_channel_scale(self, node):
        """x * gamma, gamma a constant per channel (ConvNeXt's layer scale, [C], or [C, 1, 1]
        in NCHW), x the output of a conv, fc or gemm with weights that nothing else reads: folded
        into that layer's weights and bias (gamma (W x + b) = (gamma W) x + gamma b), no layer.
        False otherwise."""
        ins = list(node.input)
        if len(ins) != 2 or (ins[0] in self.consts) == (ins[1] in self.consts):
            return False
        t, g = (ins[1], ins[0]) if ins[0] in self.consts else (ins[0], ins[1])
        info = self.tensors.get(t)
        gamma = np.asarray(self.consts[g])
        if info is None or info.layer is None or not info.exclusive or \
                self.consumers.get(t, 0) != 1 or gamma.size < 2 or \
                info.layer["type"] not in ("conv", "fc", "gemm") or \
                len(info.layer["inputs"]) != 1 or \
                info.layer.get("activation", "none") != "none" or \
                self.shape(node.output[0]) != info.onnx_shape:
            return False
        rank = len(info.onnx_shape)
        axis = rank - 1 if (info.nhwc or info.flat or rank in (2, 3)) else 1
        dims = [1] * (rank - gamma.ndim) + list(gamma.shape)
        if gamma.size != info.fusim_shape[0] or len(dims) != rank or dims[axis] != gamma.size:
            return False
        self.alias(t, node.output[0])
        return True

    def softmax_scale(self, node, divide):
        """x / c or x * c (c a one-element constant) read only by a Softmax (or by an attention
        mask's Add read only by a Softmax): the softmax's scale (attention's 1 / sqrt(d)); the
        tensor passes through."""
        x = [t for t in node.input if t not in self.consts]
        if len(x) != 1 or len(node.input) != 2 or (divide and node.input[0] != x[0]):
            return False
        c = self.const_operand(node, x[0])
        if c is None or c == 0 or not self.reaches_softmax(node.output[0], x[0]):
            return False
        info = self.act(x[0])
        self.alias(x[0], node.output[0], info.heads, info.scale * (1 / c if divide else c))
        return True

    def reaches_softmax(self, t, x):
        """True when tensor t (x scaled) is read by a Softmax alone: directly; through an
        attention mask's Add or Where (mask_add, Hugging Face's and DistilBERT's); or, when x
        is a view of attention heads (DistilBERT's q / sqrt(d)), as an operand of the scores'
        MatMul (the softmax then takes the scale: the scores' multiplies for the queries')."""
        readers = self.readers.get(t, [])
        if len(readers) != 1 or self.consumers.get(t, 0) != 1:
            return False
        r = readers[0]
        if r.op_type == "Softmax":
            return True
        if r.op_type in ("Add", "Where") and (any(i in self.host for i in r.input) or
                                              self.causal_operand(r, t) is not None):
            return self.reaches_softmax(r.output[0], x)
        if r.op_type == "MatMul" and t in r.input and x in self.tensors and \
                self.tensors[x].heads is not None:
            return self.reaches_softmax(r.output[0], x)
        return False

    def op_Sub(self, node, index):
        self.binary(node, index, "sub")

    def op_Max(self, node, index):
        self.binary(node, index, "max")

    def op_Min(self, node, index):
        self.binary(node, index, "min")

    def binary(self, node, index, kind):
        operands = [t for t in node.input if t]
        consts = [t for t in operands if t in self.consts]
        if consts:
            raise Unsupported("%s with a constant operand ('%s'); fusim's element-wise layers "
                              "take activations" % (node.op_type, consts[0]))
        self.elementwise(node, index, operands, kind)

    def op_ReduceMean(self, node, index):
        a = attrs_of(node)
        axes = a.get("axes")
        if len(node.input) > 1 and node.input[1]:  # opset 18: axes as an input
            axes = [int(v) for v in np.asarray(self.const(node.input[1], "ReduceMean axes"))
                    .reshape(-1)]
        shape = self.shape(node.input[0])
        rank = len(shape)
        axes = sorted(int(v) + rank if int(v) < 0 else int(v) for v in (axes or []))
        if rank == 3 and axes == [2] and self.act(node.input[0]).ncl:  # the mean over L
            self.global_pool(node, index, "avg")
            return
        if rank == 3 and axes == [2]:
            if self.match_layernorm(node):
                return
            self.reduce_features(node, index, "mean")
            return
        if rank == 3 and axes == [1]:  # the mean over the tokens (MLP-Mixer's head)
            x = self.spatial(node.input[0], rank4=False)
            layer = {"type": "pool", "inputs": [x.fusim_name], "mode": "avg", "global": True}
            self.add_layer(node, index, layer, (x.fusim_shape[0], 1, 1), node.output[0])
            return
        if rank != 4 or axes != [2, 3]:
            raise Unsupported("ReduceMean over axes %s of a rank-%d tensor; fusim reduces H and W "
                              "of [batch, C, H, W] (a global average pool), the features of "
                              "[batch, S, D] or its tokens" % (axes, rank))
        self.global_pool(node, index, "avg")

    def reduce_axes(self, node):
        """The axes of a Reduce* node (attribute, or input at opset 13 for ReduceSum and 18 for
        the others), non-negative, sorted; None for all axes."""
        axes = attrs_of(node).get("axes")
        if len(node.input) > 1 and node.input[1]:
            axes = [int(v) for v in np.asarray(self.const(node.input[1], "axes")).reshape(-1)]
        if axes is None:
            return None
        rank = len(self.shape(node.input[0]))
        return sorted(int(v) + rank if int(v) < 0 else int(v) for v in axes)

    def op_ReduceSum(self, node, index):
        if len(self.shape(node.input[0])) != 3 or self.reduce_axes(node) != [2]:
            raise Unsupported("ReduceSum over axes %s; fusim sums the features (the last axis) "
                              "of [batch, S, D]" % self.reduce_axes(node))
        self.reduce_features(node, index, "sum")

    def reduce_features(self, node, index, mode):
        """The mean or sum of the features of each token of a sequence [N, S, D]."""
        if int(attrs_of(node).get("keepdims", 1)) != 1:
            raise Unsupported("%s with keepdims 0; fusim keeps the reduced axis (keepdims 1)"
                              % node.op_type)
        x = self.spatial(node.input[0], rank4=False)
        layer = {"type": "reduce", "inputs": [x.fusim_name], "mode": mode}
        self.add_layer(node, index, layer, (1,) + tuple(x.fusim_shape[1:]), node.output[0])

    def match_layernorm(self, mean):
        """The layer norm torch.onnx writes below opset 17: mean = ReduceMean(x), d = Sub(x,
        mean), ReduceMean(Pow(d, 2)), Add eps, Sqrt, Div(d, .), then optionally Mul by a
        per-feature scale and Add a per-feature bias. `mean` is the first ReduceMean; False
        when the nodes are not that pattern."""
        x = mean.input[0]

        def last_axis_mean(n):
            return n is not None and n.op_type == "ReduceMean" and self.reduce_axes(n) == [2] \
                and int(attrs_of(n).get("keepdims", 1)) == 1
        sub = self.only_reader(mean.output[0], "Sub")
        if not sub or list(sub.input) != [x, mean.output[0]]:
            return False
        d = sub.output[0]
        readers = self.readers.get(d, [])
        pow_ = [n for n in readers if n.op_type == "Pow"]
        div = [n for n in readers if n.op_type == "Div"]
        if len(readers) != 2 or self.consumers.get(d, 0) != 2 or len(pow_) != 1 or len(div) != 1:
            return False
        pow_, div = pow_[0], div[0]
        if pow_.input[0] != d or self.scalar(pow_.input[1]) != 2.0:
            return False
        var = self.only_reader(pow_.output[0], "ReduceMean")
        if not last_axis_mean(var):
            return False
        eps = self.only_reader(var.output[0], "Add")
        if not eps or self.const_operand(eps, var.output[0]) is None:
            return False
        sqrt = self.only_reader(eps.output[0], "Sqrt")
        if not sqrt or list(div.input) != [d, sqrt.output[0]] or \
                self.consumers.get(sqrt.output[0], 0) != 1:
            return False
        nodes, last = [mean, sub, pow_, var, eps, sqrt, div], div
        features = self.shape(x)[-1]

        def per_feature(n, t):
            others = [i for i in n.input if i != t]
            return len(others) == 1 and others[0] in self.consts and \
                np.asarray(self.consts[others[0]]).size == features
        bias = False
        mul = self.only_reader(last.output[0], "Mul")
        if mul and per_feature(mul, last.output[0]):
            nodes.append(mul)
            last = mul
            add = self.only_reader(mul.output[0], "Add")
            if add and per_feature(add, mul.output[0]):
                nodes.append(add)
                last, bias = add, True
        self.in_pattern.update(id(n) for n in nodes[:-1])
        self.pattern_layer[id(last)] = \
            lambda index: self.layernorm(last, index, x, bias, last.output[0])
        return True

    def layernorm(self, node, index, x, bias, out):
        """A layer norm over the features of sequence x (or the channels of a map permuted
        channels last, ConvNeXt's), written to tensor out."""
        info = self.act(x)
        if info.nhwc:
            self.add_layer(node, index, {"type": "layernorm", "inputs": [info.fusim_name],
                                         "bias": bias}, info.fusim_shape, out, layout="nhwc")
            return
        if len(self.shape(x)) not in (2, 3):
            raise Unsupported("a layer norm of a rank-%d tensor; fusim normalises the features "
                              "of [batch, S, D] and [batch, C], and the channels of [batch, H, "
                              "W, C] permuted from a map" % len(self.shape(x)))
        info = self.spatial(x, rank4=False)
        layer = {"type": "layernorm", "inputs": [info.fusim_name], "bias": bias}
        self.add_layer(node, index, layer, info.fusim_shape, out)

    def op_LayerNormalization(self, node, index):
        rank = len(self.shape(node.input[0]))
        axis = int(attrs_of(node).get("axis", -1))
        if axis < 0:
            axis += rank
        if axis != rank - 1:
            raise Unsupported("LayerNormalization over axis %d; fusim normalises the last axis"
                              % axis)
        if len([o for o in node.output if o]) > 1:
            raise Unsupported("LayerNormalization with mean or inverse deviation outputs")
        features = self.shape(node.input[0])[-1]
        for i in (1, 2):
            if len(node.input) > i and node.input[i] and \
                    np.asarray(self.const(node.input[i], "LayerNormalization scale or bias")).size \
                    != features:
                raise Unsupported("a LayerNormalization scale or bias that is not per feature")
        bias = len(node.input) > 2 and node.input[2] != ""
        self.layernorm(node, index, node.input[0], bias, node.output[0])

    def op_Softmax(self, node, index):
        t = node.input[0]
        rank = len(self.shape(t))
        axis = int(attrs_of(node).get("axis", -1 if self.opset >= 13 else 1))
        if axis < 0:
            axis += rank
        info = self.act(t)
        heads = 1
        if info.heads is not None:
            order, heads, _ = info.heads
            if order == "hds" or axis != rank - 1:
                raise Unsupported("Softmax over the tokens of a transposed view; fusim "
                                  "normalises the features of each token")
        else:
            # fusim normalises channels: the features of [N, K] and [N, S, D], the channels of
            # [N, C, H, W] (opset 13's single axis; before it, axis 1 spans C, H and W).
            channel_axis = 1 if rank in (2, 4) else 2
            if axis != channel_axis or (rank == 4 and self.opset < 13):
                raise Unsupported("Softmax over axis %d of a rank-%d tensor; fusim normalises "
                                  "the channels (the features of a sequence)" % (axis, rank))
            self.spatial(t, rank4=False)
        layer = {"type": "softmax", "inputs": [info.fusim_name]}
        if heads != 1:
            layer["groups"] = heads
        if info.scale != 1:
            layer["scale"] = f32(info.scale)
        if info.causal:
            layer["causal"] = True
        self.add_layer(node, index, layer, info.fusim_shape, node.output[0],
                       same_count_only=info.heads is not None)
        if info.heads is not None:
            self.tensors[node.output[0]].heads = info.heads

    def op_Clip(self, node, index):
        a = attrs_of(node)
        lo = a.get("min")
        hi = a.get("max")
        if len(node.input) > 1 and node.input[1]:
            lo = float(np.asarray(self.const(node.input[1], "Clip min")).reshape(-1)[0])
        if len(node.input) > 2 and node.input[2]:
            hi = float(np.asarray(self.const(node.input[2], "Clip max")).reshape(-1)[0])
        params = {}
        if lo == 0 and hi == 6:
            act = "relu6"
        elif lo == 0 and (hi is None or hi == float("inf")):
            act = "relu"
        elif lo is not None and hi is not None and abs(lo) <= 1e30 and abs(hi) <= 1e30 \
                and lo < hi:
            act = "clip"
            params = {"clip_min": f32(lo), "clip_max": f32(hi)}
        else:
            raise Unsupported("Clip(%s, %s): fusim clips to finite bounds min < max, or to "
                              "[0, inf) (relu)" % (lo, hi))
        self.apply_activation(node, index, node.input[0], node.output[0], act, params)

    def op_Add(self, node, index):
        x, y = node.input[0], node.input[1]
        if self.match_hard(node):
            return
        if (x in self.host) != (y in self.host):
            t, m = (y, x) if x in self.host else (x, y)
            self.mask_add(node, index, t, m)
            return
        scores = self.causal_operand(node)
        if scores is not None:
            self.causal_mask(node, scores)
            return
        if (x in self.consts) != (y in self.consts):
            t, b = (y, x) if x in self.consts else (x, y)
            if self.consts[b].size > 1 and self.consts[b].size != self.act(t).fusim_shape[0]:
                # Not a bias: a position embedding, added as an operand of its own.
                self.constant_input(b, self.const_label(b))
                self.elementwise(node, index, [x, y], "add")
                return
            self.fold_bias(t, self.consts[b], node.output[0])
            return
        self.elementwise(node, index, [x, y], "add")

    def op_Where(self, node, index):
        """DistilBERT's masked fill, Where(mask, fill, scores) with the mask computed from an
        integer input and a one-element fill: priced as the mask's add (mask_add), one operation
        per score."""
        cond, x, y = node.input[0], node.input[1], node.input[2]
        scores = self.causal_operand(node)
        if scores is not None:
            self.causal_mask(node, scores)
            return
        if cond not in self.host:
            raise Unsupported("Where whose condition is not an attention mask computed from an "
                              "integer input")
        scores = y if self.scalar(x) is not None else x if self.scalar(y) is not None else None
        if scores is None:
            raise Unsupported("Where without a one-element fill (a masked fill)")
        self.mask_add(node, index, scores, cond)

    @staticmethod
    def is_causal(keep):
        """True when boolean matrix `keep` [queries, keys] (leading axes of size 1) keeps key j
        for query i exactly when j <= i + keys - queries: a decoder's causal mask."""
        keep = np.asarray(keep)
        if keep.ndim < 2 or any(d != 1 for d in keep.shape[:-2]):
            return False
        q, k = keep.shape[-2:]
        if k < q:
            return False
        i, j = np.indices((q, k))
        return bool(np.array_equal(keep.reshape(q, k), j <= i + (k - q)))

    def causal_operand(self, node, t=None):
        """The scores tensor a causal mask applies to when `node` is one (and, with `t`, reads
        t there): Where(keep, scores, fill) or Where(masked, fill, scores) with a constant
        condition and a one-element fill (GPT-2's torch.where(causal_mask, scores, min),
        masked_fill of the upper triangle), or Add(scores, M) with M a constant [.., Q, K] of 0
        where kept and -10,000 or less elsewhere (a float causal mask). None otherwise."""
        ins = list(node.input)
        if node.op_type == "Where" and len(ins) == 3 and ins[0] in self.consts:
            cond = np.asarray(self.consts[ins[0]]).astype(bool)
            if self.scalar(ins[2]) is not None and ins[1] not in self.consts:
                scores, keep = ins[1], cond
            elif self.scalar(ins[1]) is not None and ins[2] not in self.consts:
                scores, keep = ins[2], ~cond
            else:
                return None
        elif node.op_type == "Add" and len(ins) == 2 and (ins[0] in self.consts) != \
                (ins[1] in self.consts):
            m, scores = (ins[0], ins[1]) if ins[0] in self.consts else (ins[1], ins[0])
            v = np.asarray(self.consts[m], dtype=np.float64)
            if v.ndim < 2 or v.size < 2 or not np.all((v == 0) | (v <= -1e4)):
                return None
            keep = v == 0
        else:
            return None
        if (t is not None and t != scores) or not self.is_causal(keep):
            return None
        return scores

    def causal_mask(self, node, t):
        """Scores t under a causal mask: the softmax that reads them takes `causal: true` (one
        select per score, no mask read). The scores are a view of heads [N, heads, Q, K] (or a
        sequence [N, Q, K]) whose keys match the mask's."""
        info = self.act(t)
        shape = self.shape(t)
        if info.heads is not None and info.heads[0] == "hds":
            raise Unsupported("a causal mask on a transposed view of heads")
        if len(shape) < 3:
            raise Unsupported("a causal mask on a tensor of shape %s" % list(shape))
        if not self.reaches_softmax(node.output[0], t):
            raise Unsupported("a causal mask whose result no Softmax alone reads; fusim applies "
                              "it in the softmax")
        self.alias(t, node.output[0], info.heads, info.scale, causal=True)

    def mask_add(self, node, index, t, m):
        """Attention scores plus Hugging Face's extended mask, [batch, 1, 1, S] (or that mask
        expanded over heads and queries: DistilBERT's) computed from an integer input: an add whose second operand is a network input named after that
        input, the mask as the add broadcasts it over the heads, [heads S, 1, 1] (fusim's scores
        are [heads S, S, 1]; the graph's input holds S values, the heads' copies are heads S).
        The add comes before the softmax's scale (fusim scales in the softmax): the same work."""
        info = self.act(t)
        ms = self.shape(m)
        keys_only = list(ms[1:3]) == [1, 1] or self.key_mask.get(m, False)
        if info.heads is None or info.heads[0] == "hds" or len(ms) != 4 or not keys_only or \
                ms[3] != info.onnx_shape[-1]:
            raise Unsupported("a tensor computed from integer input '%s' added to '%s' %s: fusim "
                              "takes it as an attention mask [batch, 1, 1, keys] added to the "
                              "scores" % (self.host[m], t, list(ms)))
        chw = (info.fusim_shape[0], 1, 1)
        key = (self.host[m], chw)
        if key not in self.mask_inputs:
            self.mask_inputs[key] = self.add_input(self.host[m], chw, (self.batch,) + chw)
        mask = self.mask_inputs[key]
        layer = {"type": "add", "inputs": [info.fusim_name, mask.fusim_name]}
        self.add_layer(node, index, layer, info.fusim_shape, node.output[0], same_count_only=True)
        self.tensors[node.output[0]].heads = info.heads
        self.tensors[node.output[0]].scale = info.scale
        self.tensors[node.output[0]].causal = info.causal

    def op_Sum(self, node, index):
        self.elementwise(node, index, list(node.input), "add")

    def elementwise(self, node, index, operands, kind):
        infos = [self.spatial(t, rank4=False) for t in operands]
        shapes = [self.shape(t) for t in operands]
        if len(infos) < 2:
            raise Unsupported("%s needs two or more activations" % node.op_type)
        if len(set(i.ncl for i in infos)) > 1:
            raise Unsupported("%s of a 1-D map [N, C, L] and a sequence [N, S, D]" % node.op_type)
        if any(len(s) != len(shapes[0]) or s[0] != self.batch for s in shapes):
            raise Unsupported("%s of shapes %s: fusim broadcasts operands of the same rank with "
                              "the batch first" % (node.op_type, [list(s) for s in shapes]))
        out = []
        for d in range(3):
            sizes = set(i.fusim_shape[d] for i in infos) - {1}
            if len(sizes) > 1:
                raise Unsupported("%s of shapes %s do not broadcast"
                                  % (node.op_type, [list(s) for s in shapes]))
            out.append(sizes.pop() if sizes else 1)
        layer = {"type": kind, "inputs": [i.fusim_name for i in infos]}
        self.add_layer(node, index, layer, tuple(out), node.output[0], layout=infos[0].layout)

    def fold_bias(self, t, b, out):
        info = self.foldable(t, "bias")
        kind = info.layer["type"]
        if kind not in ("conv", "fc", "gemm") or (kind == "gemm" and len(info.layer["inputs"]) == 2):
            raise Unsupported("a bias after a %s layer ('%s') cannot be folded"
                              % (kind, info.fusim_name))
        if info.layer.get("activation", "none") != "none":
            raise Unsupported("a bias after the activation of '%s' cannot be folded"
                              % info.fusim_name)
        channels = info.fusim_shape[0]
        nonunit = [d for d in b.shape if d != 1]
        if b.size != channels or len(nonunit) > 1:
            raise Unsupported("constant of shape %s is not a per-channel bias of '%s' (%d channels)"
                              % (list(b.shape), info.fusim_name, channels))
        out_shape = self.shape(out)
        if out_shape != info.onnx_shape:
            raise Unsupported("bias add broadcasts %s to %s" % (list(info.onnx_shape), list(out_shape)))
        info.layer["bias"] = True
        self.alias(t, out)

    def qkv_part(self, node, index, t, i, out):
        """Part i of a fused projection's heads ("pnhsd", timm's q, k or v): channels [i D,
        (i + 1) D) of the projection's output (D = heads d), a slice whose readers take it as
        the heads of attention ("hsd"). fusim's gemm reads such a slice token by token."""
        info = self.tensors[t]
        _, heads, d = info.heads
        D = heads * d
        parts = info.fusim_shape[0] // D
        if i < 0:
            i += parts
        if not 0 <= i < parts:
            raise Unsupported("part %d of a projection of %d parts" % (i, parts))
        if out in (o.name for o in self.graph.output):
            raise Unsupported("output '%s' is a graph output; fusim's slice is a view and "
                              "cannot be a network output" % out)
        layer = {"type": "slice", "inputs": [info.fusim_name], "channels": [i * D, (i + 1) * D]}
        self.add_layer(node, index, layer, (D,) + tuple(info.fusim_shape[1:]), out,
                       same_count_only=True)
        self.tensors[out].heads = ("hsd", heads, d)

    def qkv_split(self, node, index):
        """Split along axis 0 of timm's [3, N, heads, S, d] (unbind: a Split whose outputs are
        each squeezed along axis 0): each part a qkv_part named after its Squeeze. False when
        the input is not such a view."""
        t = node.input[0]
        info = self.tensors.get(t)
        if info is None or info.heads is None or info.heads[0] != "pnhsd":
            return False
        axis = int(attrs_of(node).get("axis", 0))
        if axis != 0:
            raise Unsupported("Split along axis %d of [parts, N, heads, S, d]; fusim takes the "
                              "parts (axis 0)" % axis)
        parts = info.fusim_shape[0] // (info.heads[1] * info.heads[2])
        if len(node.output) != parts:
            raise Unsupported("Split of %d parts into %d outputs" % (parts, len(node.output)))
        for i, o in enumerate(node.output):
            if not o or self.consumers.get(o, 0) == 0:
                continue
            sq = self.only_reader(o, "Squeeze")
            if sq is None:
                raise Unsupported("part %d of the Split is read other than by one Squeeze" % i)
            axes = attrs_of(sq).get("axes")
            if len(sq.input) > 1 and sq.input[1]:
                axes = [int(v) for v in np.asarray(self.const(sq.input[1], "axes")).reshape(-1)]
            if axes is None or [int(v) for v in axes] != [0]:
                raise Unsupported("Squeeze of a qkv part along axes %s; expected [0]" % axes)
            self.in_pattern.add(id(sq))
            self.qkv_part(sq, index, t, i, sq.output[0])
        return True

    def token_rows(self, node, index, t, begin, end, out):
        """Tokens [begin, end) of a sequence [N, S, D] (x[:, 0], the class token's features
        before a ViT's head; x[:, 1:], the patches' before timm's average pool): a pad whose
        negative sides crop the other rows of [D, S, 1], a copy of the rows kept (one move per
        element); fusim has no view of rows."""
        x = self.spatial(t, rank4=False)
        d, s, _ = x.fusim_shape
        if not 0 <= begin < end <= s:
            raise Unsupported("tokens [%d, %d) of %d" % (begin, end, s))
        if begin == 0 and end == s:
            self.alias(t, out)
            return
        layer = {"type": "pad", "inputs": [x.fusim_name],
                 "padding": self.padding_key([-begin, 0, end - s, 0])}
        self.add_layer(node, index, layer, (d, end - begin, 1), out)

    def token_concat(self, node, index):
        """Concat along the tokens of [N, S, D] of one sequence and constant tokens (timm's
        class token, DeiT's distillation token; expanded over the batch): a pad layer that
        copies the sequence below (or above) rows for them, [D, S + t, 1]. The constant
        tokens' values are the pad's fill: fusim neither loads them nor counts them as
        parameters (D per token)."""
        acts = [t for t in node.input if t not in self.consts]
        if len(acts) != 1:
            raise Unsupported("concat of %d activations along the tokens; fusim concatenates "
                              "constant tokens (a class token) with one sequence only" % len(acts))
        x = self.spatial(acts[0], rank4=False)
        ins = list(node.input)
        pos = ins.index(acts[0])
        rows = [int(self.consts[t].shape[1]) if self.consts[t].ndim == 3 else -1
                for t in ins[:pos] + ins[pos + 1:]]
        if min(rows + [0]) < 0:
            raise Unsupported("concat along the tokens of a constant that is not [N, tokens, D]")
        top, bottom = sum(rows[:pos]), sum(rows[pos:])
        c, h, w = x.fusim_shape
        layer = {"type": "pad", "inputs": [x.fusim_name],
                 "padding": self.padding_key([top, 0, bottom, 0])}
        self.add_layer(node, index, layer, (c, h + top + bottom, w), node.output[0])

    def op_Concat(self, node, index):
        a = attrs_of(node)
        rank = len(self.shape(node.output[0]))
        axis = int(a.get("axis", 1))
        if axis < 0:
            axis += rank
        ncl = any(t in self.tensors and self.tensors[t].ncl for t in node.input)
        if rank == 3 and axis == 1 and not ncl:
            self.token_concat(node, index)
            return
        infos = [self.spatial(t, rank4=False) for t in node.input]
        if ncl and not all(i.ncl for i in infos):
            raise Unsupported("concat of 1-D maps [N, C, L] and other tensors")
        if axis != (2 if rank == 3 and not ncl else 1):
            raise Unsupported("concat along axis %d; fusim concatenates channels (axis 1 of a "
                              "map, the features, axis 2, of a sequence) only"
                              % int(a.get("axis", 1)))
        c = sum(i.fusim_shape[0] for i in infos)
        layer = {"type": "concat", "inputs": [i.fusim_name for i in infos]}
        self.add_layer(node, index, layer, (c,) + infos[0].fusim_shape[1:], node.output[0],
                       layout=infos[0].layout)

    def channel_slice(self, node, index, x, begin, end, out):
        """Output tensor `out` as channels [begin, end) of operand x (a fusim slice view)."""
        if out in (o.name for o in self.graph.output):
            raise Unsupported("output '%s' is a graph output; fusim's slice is a view and "
                              "cannot be a network output" % out)
        c = x.fusim_shape[0]
        if not 0 <= begin < end <= c:
            raise Unsupported("channels [%d, %d) of a %d-channel tensor" % (begin, end, c))
        layer = {"type": "slice", "inputs": [x.fusim_name], "channels": [begin, end]}
        self.add_layer(node, index, layer, (end - begin,) + tuple(x.fusim_shape[1:]), out)

    def channel_axis(self, node, t, axis):
        """Checks that `axis` of tensor t is fusim's channels: axis 1 of a map [N, C, H, W] or
        of features [N, C], the last axis (a token's features) of a sequence [N, S, D]."""
        rank = len(self.shape(t))
        if axis < 0:
            axis += rank
        if axis != (2 if rank == 3 else 1):
            raise Unsupported("%s along axis %d; fusim slices channels (axis 1 of a map, the "
                              "features, axis 2, of a sequence) only" % (node.op_type, axis))

    def op_Split(self, node, index):
        a = attrs_of(node)
        if self.qkv_split(node, index):
            return
        x = self.spatial(node.input[0], rank4=False)
        self.channel_axis(node, node.input[0], int(a.get("axis", 0)))
        c = x.fusim_shape[0]
        outs = list(node.output)
        if len(node.input) > 1 and node.input[1]:
            sizes = [int(v) for v in np.asarray(self.const(node.input[1], "split")).reshape(-1)]
        elif "split" in a:
            sizes = [int(v) for v in a["split"]]
        else:  # equal parts (num_outputs at opset 18: the last one may be smaller)
            n = int(a.get("num_outputs", len(outs)))
            part = -(-c // n)
            sizes = [min(part, c - k * part) for k in range(n)]
        if len(sizes) != len(outs) or sum(sizes) != c or min(sizes) < 1:
            raise Unsupported("split sizes %s do not cut %d channels into %d outputs"
                              % (sizes, c, len(outs)))
        begin = 0
        for out, size in zip(outs, sizes):
            if out and self.consumers.get(out, 0) > 0:
                self.channel_slice(node, index, x, begin, begin + size, out)
            begin += size

    def op_Slice(self, node, index):
        a = attrs_of(node)
        x = self.spatial(node.input[0], rank4=False)
        if len(node.input) > 1:  # opset 10+: starts, ends[, axes[, steps]] as inputs
            def vals(k, what):
                if len(node.input) <= k or not node.input[k]:
                    return None
                return [int(v) for v in np.asarray(self.const(node.input[k], what)).reshape(-1)]
            starts, ends = vals(1, "starts"), vals(2, "ends")
            axes, steps = vals(3, "axes"), vals(4, "steps")
        else:
            starts, ends = list(a.get("starts", [])), list(a.get("ends", []))
            axes, steps = a.get("axes"), None
        axes = list(range(len(starts))) if axes is None else list(axes)
        steps = [1] * len(starts) if steps is None else steps
        if len(axes) != 1 or len(starts) != 1 or len(ends) != 1:
            raise Unsupported("Slice over axes %s; fusim slices channels (axis 1) only" % axes)
        rank = len(self.shape(node.input[0]))
        if rank == 3 and axes[0] in (1, -2) and steps[0] == 1:  # tokens: a copy of those rows
            s_len = x.fusim_shape[1]
            b, e = (max(0, min(s_len, v + s_len if v < 0 else v)) for v in (starts[0], ends[0]))
            self.token_rows(node, index, node.input[0], b, e, node.output[0])
            return
        self.channel_axis(node, node.input[0], axes[0])
        if steps[0] != 1:
            raise Unsupported("Slice with step %d; fusim slices contiguous channels" % steps[0])
        c = x.fusim_shape[0]

        def clamp(v):
            if v < 0:
                v += c
            return max(0, min(c, v))
        begin, end = clamp(int(starts[0])), clamp(int(ends[0]))
        if begin == 0 and end == c:
            self.alias(node.input[0], node.output[0])
            return
        self.channel_slice(node, index, x, begin, end, node.output[0])

    def passthrough(self, node, index):
        info = self.act(node.input[0])
        out = self.shape(node.output[0])
        if out[0] != self.batch or prod(out) != prod(info.onnx_shape):
            raise Unsupported("reshape %s -> %s does not keep the batch dimension"
                              % (list(info.onnx_shape), list(out)))
        self.alias(node.input[0], node.output[0],
                   layout=info.layout if tuple(out) == tuple(info.onnx_shape) else None)

    def op_Flatten(self, node, index):
        if int(attrs_of(node).get("axis", 1)) != 1:
            raise Unsupported("Flatten with axis other than 1")
        self.passthrough(node, index)

    def op_Reshape(self, node, index):
        if self.match_shuffle(node, index):
            return
        if self.heads_reshape(node):
            return
        if self.token_rows_reshape(node):
            return
        self.passthrough(node, index)

    def token_rows_reshape(self, node):
        """[N, S, D] -> [N S, D] (the tokens as the rows of a matrix, GPT-2's x.view(-1, D)
        before its Conv1D's addmm) and such rows back to [N, S, D']: views; the matmul between
        them is a gemm over the tokens. False for other reshapes."""
        t, out = node.input[0], node.output[0]
        if t not in self.tensors or out not in self.shapes or t not in self.shapes:
            return False
        info, src, dst = self.tensors[t], self.shape(t), self.shape(out)
        if info.heads is None and not info.flat and len(src) == 3 and src[0] == self.batch and \
                dst == (src[0] * src[1], src[2]) and (self.batch > 1 or src[1] > 1):
            self.spatial(t, rank4=False)
            self.alias(t, out, layout="flat")
            return True
        if info.flat:
            d, tokens, _ = info.fusim_shape
            if dst != (self.batch, tokens, d):
                raise Unsupported("a reshape %s -> %s of tokens as rows; fusim takes them back "
                                  "to [N, S, D] only" % (list(src), list(dst)))
            self.alias(t, out, layout=None)
            return True
        return False

    def heads_reshape(self, node):
        """[N, S, D] -> [N, S, heads, D / heads] (the heads of attention, a view) and [N, S,
        heads, d] -> [N, S, heads d] back; False for other reshapes."""
        t = node.input[0]
        if t not in self.tensors or node.output[0] not in self.shapes:
            return False
        info, src, dst = self.tensors[t], self.shape(t), self.shape(node.output[0])
        if info.heads is None and len(src) == 3 and len(dst) == 4 and dst[:2] == src[:2] and \
                dst[2] * dst[3] == src[2]:
            self.spatial(t, rank4=False)
            self.alias(t, node.output[0], ("shd", int(dst[2]), int(dst[3])))
            return True
        if info.heads is None and len(src) == 3 and len(dst) == 5 and dst[:2] == src[:2] and \
                dst[2] * dst[3] * dst[4] == src[2]:
            self.spatial(t, rank4=False)  # timm's qkv: [N, S, 3, heads, d]
            self.alias(t, node.output[0], ("sphd", int(dst[3]), int(dst[4])))
            return True
        if info.heads is not None and info.heads[0] == "shd" and len(dst) == 3 and \
                dst[:2] == src[:2] and dst[2] == src[2] * src[3]:
            self.alias(t, node.output[0])
            return True
        if info.heads is not None:
            raise Unsupported("a reshape %s -> %s of attention heads; fusim takes [N, S, heads, "
                              "d] back to [N, S, heads d]" % (list(src), list(dst)))
        return False

    # How Transpose moves a view of heads: (order, perm) -> new order.
    _HEAD_TRANSPOSES = {
        ("shd", (0, 2, 1, 3)): "hsd", ("shd", (0, 2, 3, 1)): "hds",
        ("hsd", (0, 2, 1, 3)): "shd", ("hsd", (0, 1, 3, 2)): "hds",
        ("hds", (0, 1, 3, 2)): "hsd", ("hds", (0, 3, 1, 2)): "shd",
        ("sphd", (2, 0, 3, 1, 4)): "pnhsd",
    }

    def op_Transpose(self, node, index):
        t = node.input[0]
        info = self.act(t)
        perm = tuple(int(p) for p in attrs_of(node).get("perm", []))
        if t in self.nhwc_inputs:  # NHWC -> NCHW of a network input (prepare)
            self.alias(t, node.output[0])
            return
        out = node.output[0]
        if info.ncl and perm == (0, 2, 1):
            # [N, C, L] -> [N, L, C]: the sequence of L tokens of C features fusim holds as
            # [C, L, 1] already (wav2vec2's feature encoder before its transformer).
            self.alias(t, out, layout=None)
            return
        if info.nhwc and perm == (0, 3, 1, 2):  # channels last back to [N, C, H, W]
            self.alias(t, out, layout=None)
            return
        if perm == (0, 2, 3, 1) and len(self.shape(t)) == 4 and info.heads is None and \
                not info.nhwc and out not in (o.name for o in self.graph.output):
            # [N, C, H, W] -> [N, H, W, C] (ConvNeXt's blocks): the map as fusim keeps it.
            self.spatial(t)
            self.alias(t, out, layout="nhwc")
            return
        if perm == (0, 2, 3, 1) and len(self.shape(t)) == 4 and info.heads is None and \
                self.consumers.get(out, 0) == 1 and \
                out in (o.name for o in self.graph.output):
            # NCHW -> NHWC of a network output (tf2onnx gives TensorFlow's layout back): the
            # map as fusim keeps it in memory, channel-last; the Transpose moves nothing.
            self.spatial(t)
            self.alias(t, out)
            return
        if info.heads is None and len(self.shape(t)) == 3 and perm == (0, 2, 1):
            x = self.spatial(t, rank4=False)
            readers = self.readers.get(out, [])
            if readers and self.consumers.get(out, 0) == len(readers) and \
                    all(r.op_type == "MatMul" and list(r.input).index(out) == 1 and
                        r.input[0] != out for r in readers):
                # [N, S, D] -> [N, D, S] read as a MatMul's B: B^T of that gemm, a view.
                self.alias(t, out, ("hds", 1, int(self.shape(t)[2])))
                return
            # Otherwise a real copy (MLP-Mixer's token mixing reads [N, D, S]).
            layer = {"type": "transpose", "inputs": [x.fusim_name]}
            c, h, _ = x.fusim_shape
            self.add_layer(node, index, layer, (h, c, 1), out)
            return
        if info.heads is not None and info.heads[1] == 1 and len(self.shape(t)) == 3 and \
                perm == (0, 2, 1):
            self.alias(t, node.output[0], ("hsd" if info.heads[0] == "hds" else "hds",)
                       + info.heads[1:])
            return
        order = info.heads and self._HEAD_TRANSPOSES.get((info.heads[0], perm))
        if not order:
            raise Unsupported("Transpose perm %s of %s; fusim transposes the heads of attention "
                              "([N, S, heads, d] <-> [N, heads, S, d] <-> [N, heads, d, S]) and "
                              "the last two axes of [N, S, D]"
                              % (list(perm), list(self.shape(t))))
        self.alias(t, node.output[0], (order,) + info.heads[1:])

    def match_shuffle(self, node, index):
        """Reshape [N, C, H, W] -> [N, g, C/g, H, W] -> Transpose perm [0, 2, 1, 3, 4] ->
        Reshape [N, C, H, W], each the only reader of the tensor before it: one shuffle layer
        (the last Reshape names it). False when the nodes are not that pattern."""
        x, mid = node.input[0], node.output[0]
        if x not in self.shapes or mid not in self.shapes:
            return False
        src, five = self.shape(x), self.shape(mid)
        if len(src) != 4 or len(five) != 5 or five[0] != src[0] or five[3:] != src[2:] or \
                five[1] * five[2] != src[1]:
            return False
        transpose = self.only_reader(mid, "Transpose")
        if transpose is None or list(attrs_of(transpose).get("perm", [])) != [0, 2, 1, 3, 4]:
            return False
        back = self.only_reader(transpose.output[0], "Reshape")
        if back is None or self.shapes.get(back.output[0]) != src:
            return False
        info = self.spatial(x)
        groups = int(five[1])
        self.in_pattern.update((id(transpose), id(back)))
        self.add_layer(back, index, {"type": "shuffle", "inputs": [info.fusim_name],
                                     "groups": groups}, info.fusim_shape, back.output[0])
        return True

    def op_Identity(self, node, index):
        self.passthrough(node, index)

    def op_Dropout(self, node, index):
        if len([o for o in node.output if o]) > 1:
            raise Unsupported("Dropout with a mask output")
        self.passthrough(node, index)

    def op_Gemm(self, node, index):
        a = attrs_of(node)
        if int(a.get("transA", 0)):
            raise Unsupported("Gemm with transA=1")
        if node.input[1] not in self.consts:
            raise Unsupported("Gemm of two activations; use MatMul with [batch, M, K] operands")
        w = self.consts[node.input[1]]
        if w.ndim != 2:
            raise Unsupported("Gemm weight of rank %d" % w.ndim)
        k, n = (w.shape[1], w.shape[0]) if int(a.get("transB", 0)) else w.shape
        bias = len(node.input) > 2 and node.input[2] != ""
        if bias:
            b = self.const(node.input[2], "Gemm C")
            if b.size != n:
                raise Unsupported("Gemm C of shape %s is not a bias of %d outputs" % (list(b.shape), n))
        self.matmul_const(node, index, int(k), int(n), bias)

    def op_MatMul(self, node, index):
        if node.input[1] in self.consts:
            w = self.consts[node.input[1]]
            if w.ndim != 2:
                raise Unsupported("MatMul with a constant B of rank %d" % w.ndim)
            self.matmul_const(node, index, int(w.shape[0]), int(w.shape[1]), False)
            return
        A, B = self.act(node.input[0]), self.act(node.input[1])
        sa, sb = self.shape(node.input[0]), self.shape(node.input[1])
        if A.heads is not None or B.heads is not None:
            self.matmul_heads(node, index, A, B, sa, sb)
            return
        if len(sa) < 3 or len(sb) < 3 or sa[0] != self.batch or sb[0] != self.batch or \
                any(d != 1 for d in list(sa[1:-2]) + list(sb[1:-2])):
            raise Unsupported("MatMul of activations %s x %s; fusim needs [batch, M, K] x "
                              "[batch, K, N]" % (list(sa), list(sb)))
        m, k, n = sa[-2], sa[-1], sb[-1]
        if sb[-2] != k:
            raise Unsupported("MatMul inner dimensions differ: %s x %s" % (list(sa), list(sb)))
        for info, want, what in ((A, m * k, "A"), (B, k * n, "B")):
            if prod(info.fusim_shape) != want:
                raise Unsupported("operand %s holds %d elements, expected %d"
                                  % (what, prod(info.fusim_shape), want))
        layer = {"type": "gemm", "inputs": [A.fusim_name, B.fusim_name], "m": m, "n": n, "k": k}
        self.add_layer(node, index, layer, (n, m, 1), node.output[0], same_count_only=True)

    def matmul_heads(self, node, index, A, B, sa, sb):
        """MatMul of attention heads: A [N, heads, M, K] (a "hsd" view: each head's K features
        of each of M tokens) times B [N, heads, K, N'] ("hsd": the values, stored [heads N', K];
        "hds": the keys transposed, stored [heads K, N']): a gemm with heads (and transpose_b),
        whose output [N, heads, M, N'] is a "hsd" view of it."""
        def order(info, shape):
            if info.heads is not None:
                return info.heads[0], info.heads[1]
            if len(shape) == 3:  # a sequence: one head
                return "hsd", 1
            raise Unsupported("MatMul operand %s is neither a sequence nor a view of attention "
                              "heads" % list(shape))
        (oa, ha), (ob, hb) = order(A, sa), order(B, sb)
        if oa != "hsd" or ob == "shd" or ha != hb:
            raise Unsupported("MatMul of %s x %s: fusim multiplies [N, heads, M, K] by [N, heads, "
                              "K, N'] with the heads' reshape and transpose as torch writes them"
                              % (list(sa), list(sb)))
        m, k, n = int(sa[-2]), int(sa[-1]), int(sb[-1])
        if int(sb[-2]) != k:
            raise Unsupported("MatMul inner dimensions differ: %s x %s" % (list(sa), list(sb)))
        layer = {"type": "gemm", "inputs": [A.fusim_name, B.fusim_name], "m": m, "n": n, "k": k}
        if ha != 1:
            layer["heads"] = ha
        if ob == "hds":
            layer["transpose_b"] = True
        self.add_layer(node, index, layer, (ha * n, m, 1), node.output[0], same_count_only=True)
        if len(sa) == 4:
            self.tensors[node.output[0]].heads = ("hsd", ha, n)
        # A scale of Q or K (softmax_scale) moves to the softmax of the scores.
        self.tensors[node.output[0]].scale = A.scale * B.scale

    def matmul_const(self, node, index, k, n, bias):
        A = self.act(node.input[0])
        sa = self.shape(node.input[0])
        if A.nhwc:  # a Linear over a map's channels, channels last (ConvNeXt): a 1x1 conv
            c, h, w = A.fusim_shape
            if c != k or sa[-1] != k:
                raise Unsupported("operand A %s does not match [N, H, W, %d]" % (list(sa), k))
            self.add_layer(node, index, {"type": "conv", "inputs": [A.fusim_name],
                                         "out_channels": n, "kernel": 1, "bias": bias},
                           (n, h, w), node.output[0], layout="nhwc")
            return
        if A.flat:  # the tokens as rows [N S, K] (GPT-2's Conv1D): a gemm over them
            d, tokens, _ = A.fusim_shape
            if d != k or sa[-1] != k:
                raise Unsupported("operand A %s does not match [tokens, %d]" % (list(sa), k))
            self.add_layer(node, index, {"type": "gemm", "inputs": [A.fusim_name], "m": tokens,
                                         "n": n, "k": k, "bias": bias},
                           (n, tokens, 1), node.output[0], layout="flat")
            return
        if sa[0] != self.batch or sa[-1] != k:
            raise Unsupported("operand A %s does not match [batch, ..., %d]" % (list(sa), k))
        m = prod(sa[1:-1])
        if prod(A.fusim_shape) != m * k:
            raise Unsupported("operand A holds %d elements per item, expected %d"
                              % (prod(A.fusim_shape), m * k))
        if len(sa) == 2:
            layer = {"type": "fc", "inputs": [A.fusim_name], "out_features": n, "bias": bias}
            out = (n, 1, 1)
        else:
            layer = {"type": "gemm", "inputs": [A.fusim_name], "m": m, "n": n, "k": k, "bias": bias}
            out = (n, m, 1)
        # A 3-D MatMul's ONNX output is [batch, M, N]; fusim holds it as [N, M, 1].
        self.add_layer(node, index, layer, out, node.output[0], same_count_only=(len(sa) != 2))


# --------------------------------------------------------------------------------------------
# YAML writing (by hand, for a stable layout).

_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-/]*$")
_RESERVED = {"y", "n", "yes", "no", "true", "false", "on", "off", "null", "~"}


def yaml_str(s):
    if _PLAIN.match(s) and s.lower() not in _RESERVED:
        return s
    return json.dumps(s)


def yaml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return repr(float(v))
    if isinstance(v, str):
        return yaml_str(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(yaml_value(x) for x in v) + "]"
    raise TypeError("cannot write %r" % (v,))


def render(name, source, batch, inputs, layers):
    out = ["# fusim network workload: %s" % name,
           "# Imported from %s by scripts/onnx_to_fusim.py." % source,
           "",
           "name: %s" % yaml_str(name),
           "batch: %d" % batch,
           "inputs:"]
    for iname, shape in inputs:
        out.append("  - name: %s" % yaml_str(iname))
        out.append("    shape: %s" % yaml_value(list(shape)))
    out.append("layers:")
    for layer in layers:
        first = True
        for key, value in layer.items():
            out.append("%s%s: %s" % ("  - " if first else "    ", key, yaml_value(value)))
            first = False
    return "\n".join(out) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(prog=PROG, description="Import an ONNX model as fusim network YAML.")
    ap.add_argument("model", help="the .onnx file")
    ap.add_argument("-o", "--output", required=True, help="the network YAML to write")
    ap.add_argument("--name", help="network name (default: the model file's base name)")
    ap.add_argument("--batch", type=int, help="batch size when the model's first dimension is symbolic")
    ap.add_argument("--input-shape", action="append", default=[], metavar="NAME=D0,D1,...",
                    help="every dimension of graph input NAME (for symbolic height and width); "
                         "repeat for several inputs")
    args = ap.parse_args(argv)
    if args.batch is not None and args.batch < 1:
        print("%s: error: --batch must be at least 1" % PROG, file=sys.stderr)
        return 2
    input_shapes = {}
    for spec in args.input_shape:
        name, _, dims = spec.rpartition("=")
        try:
            shape = [int(d) for d in dims.split(",")]
        except ValueError:
            shape = []
        if not name or not shape or min(shape) < 1 or name in input_shapes:
            print("%s: error: --input-shape '%s': expected NAME=D0,D1,... with positive sizes, "
                  "once per input" % (PROG, spec), file=sys.stderr)
            return 2
        input_shapes[name] = shape
    try:
        model = onnx.load(args.model)
    except Exception as e:  # noqa: BLE001
        print("%s: error: %s: cannot read the ONNX model: %s" % (PROG, args.model, e), file=sys.stderr)
        return 2
    imp = Importer(model, args.batch)
    imp.input_shapes = input_shapes
    try:
        imp.prepare()
    except (BadInput, Unsupported) as e:
        print("%s: error: %s: %s" % (PROG, args.model, e), file=sys.stderr)
        unknown = [(n.op_type, node_label(n, i)) for i, n in enumerate(model.graph.node)
                   if not imp.folded(n) and (n.domain not in ("", "ai.onnx") or
                                             not hasattr(Importer, "op_" + n.op_type))]
        for op, label in unknown:
            print("  %s node '%s': unsupported operator" % (op, label), file=sys.stderr)
        print("%s: no file written" % PROG, file=sys.stderr)
        return 2
    imp.run()
    if not imp.errors and not imp.layers:
        imp.errors.append(("-", "-", "the model has no layers fusim can represent"))
    if imp.errors:
        print("%s: error: %s: %d node(s) fusim cannot import:" % (PROG, args.model, len(imp.errors)),
              file=sys.stderr)
        for op, label, reason in imp.errors:
            print("  %s node '%s': %s" % (op, label, reason), file=sys.stderr)
        print("%s: no file written" % PROG, file=sys.stderr)
        return 2
    name = args.name or os.path.splitext(os.path.basename(args.model))[0]
    text = render(name, os.path.basename(args.model), imp.batch, imp.inputs, imp.layers)
    tmp = args.output + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
