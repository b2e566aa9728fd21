"""The ONNX graph under construction, as plain Python records, and its assembly into a ModelProto.

Nodes are (op_type, inputs, outputs, attributes) tuples and constants are ndarrays, so building a
graph needs no `onnx` import; only `to_model` (and the checks in export) load the package. The
helpers for ops whose signature changed between opsets 13 and 21 (Reduce*, Squeeze, Split, ...)
live here so converters never branch on the opset themselves."""
import numpy as np

MIN_OPSET, MAX_OPSET = 13, 21
# The IR version each opset was released with (onnx.helper.VERSION_TABLE). onnx 1.23 stamps IR 14
# on every model, which onnxruntime 1.31 (IR <= 13) refuses, so the model gets this one instead.
IR_VERSION = {13: 7, 14: 7, 15: 8, 16: 8, 17: 8, 18: 8, 19: 9, 20: 9, 21: 10}

INT64_MAX = 2 ** 63 - 1  # Slice's "to the end", whatever the dimension turns out to be

# TensorProto.DataType numbers (fixed by the ONNX spec)
_ONNX_TYPES = {"float32": 1, "uint8": 2, "int8": 3, "uint16": 4, "int16": 5, "int32": 6, "int64": 7, "bool": 9,
               "float16": 10, "float64": 11, "uint32": 12, "uint64": 13}


def onnx_type(dtype):
    """The TensorProto element type of a NumPy dtype."""
    name = np.dtype(dtype).name
    if name not in _ONNX_TYPES:
        raise TypeError(f"ONNX export: tensors of dtype {name} are not supported")
    return _ONNX_TYPES[name]


class Graph:
    """Nodes, initializers, inputs and outputs of one ONNX graph, with unique value names."""

    def __init__(self, opset):
        self.opset = opset
        self.nodes = []           # (op_type, [input names], [output names], {attr: value})
        self.initializers = {}    # name -> ndarray
        self.inputs = []          # (name, np.dtype, shape with ints / dim names)
        self.outputs = []         # (name, np.dtype, shape with ints / dim names / None)
        self.scope = ""           # prefix for generated names: the module being converted
        self._taken = set()
        self._small = {}          # (dtype, shape, bytes) -> name: small constants are shared

    # ---- names and values --------------------------------------------------------------------
    def fresh(self, hint):
        """A value name not used yet, readable: '<module path>/<hint>' with a counter if needed."""
        base = f"{self.scope}/{hint}" if self.scope else hint
        name, k = base, 0
        while name in self._taken:
            k += 1
            name = f"{base}_{k}"
        self._taken.add(name)
        return name

    def add_input(self, name, dtype, shape):
        self._taken.add(name)
        self.inputs.append((name, np.dtype(dtype), list(shape)))
        return name

    def const(self, array, hint="const"):
        """An initializer holding `array` (small arrays with the same content share one)."""
        array = np.array(array, order="C", copy=None)  # (ascontiguousarray would make 0-d arrays 1-d)
        key = None
        if array.size <= 16:
            key = (array.dtype.str, array.shape, array.tobytes())
            name = self._small.get(key)
            if name is not None:
                return name
        saved, self.scope = self.scope, ""  # constants are named by what they are, not where
        name = self.fresh(hint)
        self.scope = saved
        self.initializers[name] = array
        if key is not None:
            self._small[key] = name
        return name

    def ints(self, values):
        """A 1-D int64 constant: shapes, axes, starts/ends, indices."""
        return self.const(np.asarray(list(values), dtype=np.int64), "ints")

    def scalar(self, value, dtype):
        return self.const(np.asarray(value, dtype=dtype), "scalar")

    def op(self, op_type, *inputs, outputs=1, **attrs):
        """Append a node; returns its output name (or a list of names when outputs > 1).
        Inputs may be '' for an absent optional input; None-valued attributes are left out."""
        outs = [self.fresh(op_type) for _ in range(outputs)]
        self.nodes.append((op_type, list(inputs), outs, {k: v for k, v in attrs.items() if v is not None}))
        return outs[0] if outputs == 1 else outs

    # ---- ops whose form depends on the opset -------------------------------------------------
    def reduce(self, op_type, x, axes, keepdims):
        """Reduce* over `axes` (None: all). ReduceSum took axes as an input from opset 13, the
        others from opset 18; before that they are an attribute."""
        keep = int(bool(keepdims))
        if axes is None:
            return self.op(op_type, x, keepdims=keep)
        axes = [int(a) for a in axes]
        if op_type == "ReduceSum" or self.opset >= 18:
            return self.op(op_type, x, self.ints(axes), keepdims=keep)
        return self.op(op_type, x, axes=axes, keepdims=keep)

    def unsqueeze(self, x, axes):
        return self.op("Unsqueeze", x, self.ints(axes))

    def squeeze(self, x, axes):
        return self.op("Squeeze", x, self.ints(axes))

    def split(self, x, sizes, axis):
        return self.op("Split", x, self.ints(sizes), outputs=len(sizes), axis=int(axis)) if len(sizes) > 1 \
            else [self.op("Identity", x)]

    def slice(self, x, starts, ends, axes, steps=None):
        args = [x, self.ints(starts), self.ints(ends), self.ints(axes)]
        if steps is not None and any(s != 1 for s in steps):
            args.append(self.ints(steps))
        return self.op("Slice", *args)

    def reshape(self, x, shape):
        return self.op("Reshape", x, self.ints(shape))

    def transpose(self, x, perm):
        return self.op("Transpose", x, perm=[int(p) for p in perm])

    def cast(self, x, dtype):
        return self.op("Cast", x, to=onnx_type(dtype))

    # ---- assembly ------------------------------------------------------------------------------
    def rename(self, old, new):
        """Give the value `old` (a node output) the name `new` everywhere."""
        self._taken.add(new)
        for _, ins, outs, _ in self.nodes:
            for lst in (ins, outs):
                for i, n in enumerate(lst):
                    if n == old:
                        lst[i] = new

    def produced(self):
        return {o for _, _, outs, _ in self.nodes for o in outs}

    def prune(self):
        """Drop nodes and initializers the outputs do not depend on (e.g. attention weights
        nobody returned)."""
        needed = {name for name, _, _ in self.outputs}
        kept = []
        for node in reversed(self.nodes):
            if any(o in needed for o in node[2]):
                kept.append(node)
                needed.update(i for i in node[1] if i)
        self.nodes = kept[::-1]
        self.initializers = {k: v for k, v in self.initializers.items() if k in needed}

    def to_model(self, producer_version):
        from onnx import helper, numpy_helper

        def value_info(name, dtype, shape):
            return helper.make_tensor_value_info(name, onnx_type(dtype), shape)

        nodes = [helper.make_node(op, ins, outs, name=f"{outs[0]}", **attrs) for op, ins, outs, attrs in self.nodes]
        inits = [numpy_helper.from_array(arr, name) for name, arr in self.initializers.items()]
        graph = helper.make_graph(nodes, "lamina", [value_info(*i) for i in self.inputs],
                                  [value_info(*o) for o in self.outputs], initializer=inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", self.opset)],
                                  producer_name="lamina", producer_version=producer_version)
        model.ir_version = IR_VERSION[self.opset]
        return model
