"""The tensor ops written between layers in a forward: arithmetic, comparisons, matmul, reductions,
reshaping, indexing and dtype conversion, as lamina.X, F.X, Tensor methods and operators.

Each converter gets the traced call's own arguments and its result (`out`, for dtypes and the
traced shapes) and returns the ONNX name(s) of the result. Sizes that may follow a dynamic axis
are never written as the traced numbers where ONNX can express them relative to the input:
Reshape copies a leading dimension with 0, Slice runs "to the end" with INT64_MAX, Expand keeps
an existing dimension with 1."""
import math

import numpy as np

from .._dtype import result_type
from ..tensor import Tensor
from .builder import INT64_MAX
from .registry import UnsupportedOperatorError, function


def _unsupported(what, why):
    raise UnsupportedOperatorError(f"ONNX export does not support {what}: {why}")


def _operand(ctx, x, dtype):
    """A tensor or Python scalar operand as a name of dtype `dtype` (cast if needed)."""
    if isinstance(x, Tensor):
        name = ctx.value(x)
        return name if x.data.dtype == dtype else ctx.g.cast(name, dtype)
    return ctx.g.scalar(x, dtype)


def _dims(args):
    """Sizes given as f(1, 2) or f((1, 2)) / f([1, 2])."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return [int(a) for a in args[0]]
    return [int(a) for a in args]


# ---- arithmetic ----------------------------------------------------------------------------------------
def _binary(op_type, *names, swap=False):
    @function(*names)
    def convert(ctx, out, input, other, *args, alpha=1, **kwargs):
        dt = out.data.dtype
        a, b = _operand(ctx, input, dt), _operand(ctx, other, dt)
        if swap:  # rsub / __rtruediv__ / __rpow__: other ∘ input
            a, b = b, a
        if alpha != 1:  # add/sub/rsub scale the second term
            b = ctx.g.op("Mul", b, ctx.g.scalar(alpha, dt))
        return ctx.g.op(op_type, a, b)
    return convert


_binary("Add", "add", "add_", "__add__", "__radd__", "__iadd__")
_binary("Sub", "sub", "sub_", "subtract", "subtract_", "__sub__", "__isub__")
_binary("Sub", "rsub", "__rsub__", swap=True)
_binary("Mul", "mul", "mul_", "multiply", "multiply_", "__mul__", "__rmul__", "__imul__")
_binary("Div", "true_divide", "true_divide_", "__truediv__", "__itruediv__")
_binary("Div", "__rtruediv__", swap=True)
_binary("Pow", "pow", "pow_", "__pow__", "float_power")
_binary("Pow", "__rpow__", swap=True)
_binary("Max", "maximum", "fmax")
_binary("Min", "minimum", "fmin")


@function("div", "div_", "divide", "divide_")
def _div(ctx, out, input, other, *, rounding_mode=None):
    g, dt = ctx.g, out.data.dtype
    q = g.op("Div", _operand(ctx, input, dt), _operand(ctx, other, dt))
    if rounding_mode is None or (dt.kind != "f" and rounding_mode == "trunc"):  # ONNX's integer Div truncates
        return q
    if dt.kind != "f":
        _unsupported("integer div(rounding_mode='floor')", "ONNX's integer Div truncates toward zero")
    if rounding_mode == "floor":
        return g.op("Floor", q)
    return g.op("Where", g.op("Less", q, g.scalar(0, dt)), g.op("Ceil", q), g.op("Floor", q))


@function("floor_divide", "floor_divide_", "__floordiv__")
def _floor_divide(ctx, out, input, other):
    dt = out.data.dtype
    if dt.kind != "f":
        _unsupported("integer floor division", "ONNX's integer Div truncates toward zero")
    return ctx.g.op("Floor", ctx.g.op("Div", _operand(ctx, input, dt), _operand(ctx, other, dt)))


_UNARY = {"neg": "Neg", "negative": "Neg", "__neg__": "Neg", "abs": "Abs", "absolute": "Abs", "__abs__": "Abs",
          "exp": "Exp", "log": "Log", "sqrt": "Sqrt", "sin": "Sin", "cos": "Cos", "tan": "Tan", "asin": "Asin",
          "acos": "Acos", "atan": "Atan", "arcsin": "Asin", "arccos": "Acos", "arctan": "Atan", "sinh": "Sinh",
          "cosh": "Cosh", "asinh": "Asinh", "acosh": "Acosh", "atanh": "Atanh", "arcsinh": "Asinh",
          "arccosh": "Acosh", "arctanh": "Atanh", "floor": "Floor", "ceil": "Ceil", "round": "Round", "erf": "Erf",
          "sign": "Sign", "reciprocal": "Reciprocal", "logical_not": "Not", "bitwise_not": "Not",
          "__invert__": "Not"}


def _unary(op_type, *names):
    @function(*names)
    def convert(ctx, out, input, *args, **kwargs):
        x = ctx.value(input)
        if input.data.dtype != out.data.dtype:  # integer input of a float function
            x = ctx.g.cast(x, out.data.dtype)
        return ctx.g.op(op_type, x)
    return convert


for _name, _op in _UNARY.items():
    _unary(_op, _name, _name + "_")


def _composite(*names):
    """A unary function built from a few ONNX ops: fn(g, x, dtype) -> name."""
    def register(fn):
        @function(*names, *(n + "_" for n in names))
        def convert(ctx, out, input, *args, **kwargs):
            x = ctx.value(input)
            dt = out.data.dtype
            if input.data.dtype != dt:
                x = ctx.g.cast(x, dt)
            return fn(ctx.g, x, dt)
        return convert
    return register


@_composite("rsqrt")
def _rsqrt(g, x, dt):
    return g.op("Reciprocal", g.op("Sqrt", x))


@_composite("square")
def _square(g, x, dt):
    return g.op("Mul", x, x)


@_composite("log1p")
def _log1p(g, x, dt):
    return g.op("Log", g.op("Add", x, g.scalar(1, dt)))


@_composite("expm1")
def _expm1(g, x, dt):
    return g.op("Sub", g.op("Exp", x), g.scalar(1, dt))


@_composite("log2")
def _log2(g, x, dt):
    return g.op("Div", g.op("Log", x), g.scalar(math.log(2), dt))


@_composite("log10")
def _log10(g, x, dt):
    return g.op("Div", g.op("Log", x), g.scalar(math.log(10), dt))


@_composite("exp2")
def _exp2(g, x, dt):
    return g.op("Pow", g.scalar(2, dt), x)


@_composite("trunc", "fix")
def _trunc(g, x, dt):
    return g.op("Where", g.op("Less", x, g.scalar(0, dt)), g.op("Ceil", x), g.op("Floor", x))


@function("clamp", "clamp_", "clip", "clip_")
def _clamp(ctx, out, input, min=None, max=None):
    g, dt = ctx.g, out.data.dtype
    x = _operand(ctx, input, dt)
    if isinstance(min, Tensor) or isinstance(max, Tensor):  # elementwise bounds
        if min is not None:
            x = g.op("Max", x, _operand(ctx, min, dt))
        return g.op("Min", x, _operand(ctx, max, dt)) if max is not None else x
    return g.op("Clip", x, g.scalar(min, dt) if min is not None else "", *([g.scalar(max, dt)] if max is not None
                                                                            else []))


@function("clamp_min", "clamp_min_")
def _clamp_min(ctx, out, input, min):
    return _clamp(ctx, out, input, min=min)


@function("clamp_max", "clamp_max_")
def _clamp_max(ctx, out, input, max):
    return _clamp(ctx, out, input, max=max)


def _where(ctx, out, condition, input, other):
    dt = out.data.dtype
    cond = ctx.value(condition) if isinstance(condition, Tensor) else ctx.g.const(np.asarray(condition, bool))
    if isinstance(condition, Tensor) and condition.data.dtype != np.bool_:
        cond = ctx.g.cast(cond, np.bool_)
    return ctx.g.op("Where", cond, _operand(ctx, input, dt), _operand(ctx, other, dt))


function("where")(_where)


@function("Tensor.where")
def _tensor_where(ctx, out, input, condition, other):
    return _where(ctx, out, condition, input, other)


@function("masked_fill", "masked_fill_")
def _masked_fill(ctx, out, input, mask, value):
    return _where(ctx, out, mask, value, input)


# ---- comparisons and logic ---------------------------------------------------------------------------------
def _compare(op_type, *names, negate=False):
    @function(*names)
    def convert(ctx, out, input, other):
        dt = result_type(input, other).np
        y = ctx.g.op(op_type, _operand(ctx, input, dt), _operand(ctx, other, dt))
        return ctx.g.op("Not", y) if negate else y
    return convert


_compare("Equal", "eq", "__eq__")
_compare("Equal", "ne", "not_equal", "__ne__", negate=True)
_compare("Less", "lt", "less", "__lt__")
_compare("LessOrEqual", "le", "less_equal", "__le__")
_compare("Greater", "gt", "greater", "__gt__")
_compare("GreaterOrEqual", "ge", "greater_equal", "__ge__")


def _logical(op_type, *names):
    @function(*names)
    def convert(ctx, out, input, other):
        g = ctx.g
        a, b = (_operand(ctx, t, np.dtype(bool)) for t in (input, other))
        return g.op(op_type, a, b)
    return convert


_logical("And", "logical_and", "__and__", "__rand__")
_logical("Or", "logical_or", "__or__", "__ror__")
_logical("Xor", "logical_xor", "__xor__", "__rxor__")


# ---- matrix products --------------------------------------------------------------------------------------
@function("matmul", "mm", "bmm", "mv", "dot", "__matmul__")
def _matmul(ctx, out, input, other):
    return ctx.g.op("MatMul", ctx.value(input), ctx.value(other))


@function("__rmatmul__")
def _rmatmul(ctx, out, input, other):
    return ctx.g.op("MatMul", _operand(ctx, other, out.data.dtype), ctx.value(input))


@function("addmm")
def _addmm(ctx, out, input, mat1, mat2, *, beta=1, alpha=1):
    return ctx.g.op("Gemm", ctx.value(mat1), ctx.value(mat2), ctx.value(input), alpha=float(alpha), beta=float(beta))


@function("outer")
def _outer(ctx, out, input, vec2):
    g = ctx.g
    return g.op("Mul", g.unsqueeze(ctx.value(input), [1]), g.unsqueeze(ctx.value(vec2), [0]))


@function("einsum")
def _einsum(ctx, out, equation, *operands):
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = operands[0]
    return ctx.g.op("Einsum", *(ctx.value(t) for t in operands), equation=equation.replace(" ", ""))


# ---- reductions -----------------------------------------------------------------------------------------
def _axes(dim, ndim):
    if dim is None:
        return None
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    return sorted(d % ndim for d in dims) if ndim else []


def _reduce(op_type, *names):
    @function(*names)
    def convert(ctx, out, input, dim=None, keepdim=False, *args, dtype=None, **kwargs):
        x = ctx.value(input)
        if input.data.dtype != out.data.dtype:  # sum of ints / bools, or dtype=
            x = ctx.g.cast(x, out.data.dtype)
        axes = _axes(dim, input.ndim)
        if axes == []:  # dim=() reduces over everything, as dim=None
            axes = None
        return ctx.g.reduce(op_type, x, axes, keepdim)
    return convert


_reduce("ReduceSum", "sum", "nansum")
_reduce("ReduceMean", "mean", "nanmean")
_reduce("ReduceProd", "prod")
_reduce("ReduceMax", "amax")
_reduce("ReduceMin", "amin")
_reduce("ReduceLogSumExp", "logsumexp")


def _extreme(reduce_op, arg_op, binary_op, *names):
    @function(*names)
    def convert(ctx, out, input, dim=None, keepdim=False):
        g = ctx.g
        if isinstance(dim, Tensor):  # max(a, b): elementwise
            dt = out.data.dtype
            return g.op(binary_op, _operand(ctx, input, dt), _operand(ctx, dim, dt))
        x = ctx.value(input)
        if dim is None:
            return g.reduce(reduce_op, x, None, False)
        axis = dim % input.ndim if input.ndim else 0
        values = g.reduce(reduce_op, x, [axis], keepdim)
        return values, g.op(arg_op, x, axis=axis, keepdims=int(bool(keepdim)), select_last_index=0)
    return convert


_extreme("ReduceMax", "ArgMax", "Max", "max")
_extreme("ReduceMin", "ArgMin", "Min", "min")


def _arg(op_type, *names):
    @function(*names)
    def convert(ctx, out, input, dim=None, keepdim=False):
        g = ctx.g
        x = ctx.value(input)
        if dim is None:  # over the flattened input
            y = g.op(op_type, g.reshape(x, [-1]), axis=0, keepdims=0)
            return g.reshape(y, [1] * input.ndim) if keepdim else y
        return g.op(op_type, x, axis=dim % input.ndim, keepdims=int(bool(keepdim)))
    return convert


_arg("ArgMax", "argmax")
_arg("ArgMin", "argmin")


def _variance(ctx, input, dim, unbiased, keepdim, correction):
    """Σ(x - mean)² / (n - correction); the count n is static (from the traced shape)."""
    g, dt = ctx.g, input.data.dtype
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    axes = _axes(dim, input.ndim) or list(range(input.ndim))
    n = int(np.prod([input.shape[a] for a in axes]))
    x = ctx.value(input)
    d = g.op("Sub", x, g.reduce("ReduceMean", x, axes, True))
    return g.op("Div", g.reduce("ReduceSum", g.op("Mul", d, d), axes, keepdim), g.scalar(max(n - correction, 0), dt))


@function("var")
def _var(ctx, out, input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return _variance(ctx, input, dim, unbiased, keepdim, correction)


@function("std")
def _std(ctx, out, input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return ctx.g.op("Sqrt", _variance(ctx, input, dim, unbiased, keepdim, correction))


@function("norm")
def _norm(ctx, out, input, p="fro", dim=None, keepdim=False, dtype=None):
    ops = {"fro": "ReduceL2", 2: "ReduceL2", 2.0: "ReduceL2", 1: "ReduceL1", 1.0: "ReduceL1"}
    if p not in ops:
        _unsupported(f"norm(p={p!r})", "only p=1, 2 and 'fro' are exported")
    return ctx.g.reduce(ops[p], ctx.value(input), _axes(dim, input.ndim), keepdim)


@function("cumsum", "cumsum_")
def _cumsum(ctx, out, input, dim, *, dtype=None):
    x = ctx.value(input)
    if input.data.dtype != out.data.dtype:
        x = ctx.g.cast(x, out.data.dtype)
    return ctx.g.op("CumSum", x, ctx.g.const(np.asarray(dim % input.ndim, dtype=np.int64), "axis"))


# ---- shapes -----------------------------------------------------------------------------------------------
def emit_reshape(ctx, input, target):
    """Reshape to `target` (PyTorch's, may hold one -1): leading dims equal to the input's are
    written as 0 ("copy"), so a dynamic batch stays dynamic; the others as given."""
    shape = list(input.shape)
    spec = list(target)
    resolved = list(spec)
    if -1 in spec:
        known = int(np.prod([s for s in spec if s != -1]))
        resolved[spec.index(-1)] = int(np.prod(shape)) // known if known else 0
    for i, (r, s) in enumerate(zip(resolved, shape)):
        if r != s:
            break
        spec[i] = 0
    if spec.count(0) == len(spec) and len(spec) == len(shape):
        return ctx.g.op("Identity", ctx.value(input))
    return ctx.g.reshape(ctx.value(input), spec)


@function("view", "reshape")
def _view(ctx, out, input, *shape):
    return emit_reshape(ctx, input, _dims(shape))


@function("view_as", "reshape_as")
def _view_as(ctx, out, input, other):
    return emit_reshape(ctx, input, list(other.shape))


@function("flatten")
def _flatten(ctx, out, input, start_dim=0, end_dim=-1):
    from .layers import emit_flatten
    return emit_flatten(ctx, ctx.value(input), input.shape, start_dim, end_dim)


@function("ravel")
def _ravel(ctx, out, input):
    return ctx.g.reshape(ctx.value(input), [-1])


@function("unflatten")
def _unflatten(ctx, out, input, dim, sizes):
    dim = dim % input.ndim
    return ctx.g.reshape(ctx.value(input), [0] * dim + list(out.shape[dim:dim + len(sizes)])
                         + [int(n) for n in input.shape[dim + 1:]])


@function("squeeze", "squeeze_")
def _squeeze(ctx, out, input, dim=None):
    axes = _axes(dim, input.ndim) if dim is not None else list(range(input.ndim))
    axes = [a for a in axes if input.shape[a] == 1]  # PyTorch leaves other dims alone
    return ctx.g.squeeze(ctx.value(input), axes) if axes else ctx.g.op("Identity", ctx.value(input))


@function("unsqueeze", "unsqueeze_")
def _unsqueeze(ctx, out, input, dim):
    return ctx.g.unsqueeze(ctx.value(input), [dim % (input.ndim + 1)])


def _perm_swap(ndim, d0, d1):
    perm = list(range(ndim))
    perm[d0 % ndim], perm[d1 % ndim] = perm[d1 % ndim], perm[d0 % ndim]
    return perm


@function("transpose", "transpose_", "swapaxes", "swapaxes_", "swapdims", "swapdims_")
def _transpose(ctx, out, input, dim0, dim1):
    if input.ndim < 2:
        return ctx.g.op("Identity", ctx.value(input))
    return ctx.g.transpose(ctx.value(input), _perm_swap(input.ndim, dim0, dim1))


@function("t", "t_")
def _t(ctx, out, input):
    return _transpose(ctx, out, input, 0, -1)


@function("T", "H")
def _T(ctx, out, input):
    return ctx.g.transpose(ctx.value(input), list(range(input.ndim - 1, -1, -1)))


@function("mT", "mH")
def _mT(ctx, out, input):
    return ctx.g.transpose(ctx.value(input), _perm_swap(input.ndim, -2, -1))


@function("permute")
def _permute(ctx, out, input, *dims):
    return ctx.g.transpose(ctx.value(input), [d % input.ndim for d in _dims(dims)])


@function("movedim", "moveaxis")
def _movedim(ctx, out, input, source, destination):
    n = input.ndim
    src = [s % n for s in (source if isinstance(source, (tuple, list)) else [source])]
    dst = [d % n for d in (destination if isinstance(destination, (tuple, list)) else [destination])]
    perm = [None] * n
    for s, d in zip(src, dst):
        perm[d] = s
    rest = iter(i for i in range(n) if i not in src)
    perm = [p if p is not None else next(rest) for p in perm]
    return ctx.g.transpose(ctx.value(input), perm)


@function("cat", "concat", "concatenate")
def _cat(ctx, out, tensors, dim=0, **kwargs):
    dt = out.data.dtype
    parts = [_operand(ctx, t, dt) for t in tensors if not (t.ndim == 1 and t.shape[0] == 0)]  # legacy empty
    return ctx.g.op("Concat", *parts, axis=dim % out.ndim)


@function("stack")
def _stack(ctx, out, tensors, dim=0, **kwargs):
    dim = dim % out.ndim
    dt = out.data.dtype
    return ctx.g.op("Concat", *(ctx.g.unsqueeze(_operand(ctx, t, dt), [dim]) for t in tensors), axis=dim)


@function("split", "chunk", "tensor_split")
def _split(ctx, out, input, *args, dim=0, **kwargs):
    if len(args) >= 2:
        dim = args[1]
    dim = dim % input.ndim
    return tuple(ctx.g.split(ctx.value(input), [int(o.shape[dim]) for o in out], dim))


@function("unbind")
def _unbind(ctx, out, input, dim=0):
    dim = dim % input.ndim
    parts = ctx.g.split(ctx.value(input), [1] * len(out), dim)
    return tuple(ctx.g.squeeze(p, [dim]) for p in parts)


@function("narrow")
def _narrow(ctx, out, input, dim, start, length):
    dim = dim % input.ndim
    start = int(start) % input.shape[dim] if int(start) < 0 else int(start)
    return ctx.g.slice(ctx.value(input), [start], [start + int(length)], [dim])


@function("select")
def _select(ctx, out, input, dim, index):
    return ctx.g.op("Gather", ctx.value(input), ctx.g.scalar(int(index), np.int64), axis=dim % input.ndim)


def _expand_shape(input, sizes):
    """Expand's target: -1 and sizes equal to the input's become 1 (Expand broadcasts, keeping the
    input's own, possibly dynamic, size)."""
    lead = len(sizes) - input.ndim
    return [1 if s == -1 or (i >= lead and input.shape[i - lead] == s) else int(s) for i, s in enumerate(sizes)]


@function("expand", "broadcast_to")
def _expand(ctx, out, input, *sizes):
    return ctx.g.op("Expand", ctx.value(input), ctx.g.ints(_expand_shape(input, _dims(sizes))))


@function("expand_as")
def _expand_as(ctx, out, input, other):
    return ctx.g.op("Expand", ctx.value(input), ctx.g.op("Shape", ctx.value(other)))


@function("repeat", "tile")
def _repeat(ctx, out, input, *sizes):
    reps = _dims(sizes)
    x = ctx.value(input)
    if len(reps) > input.ndim:
        x = ctx.g.unsqueeze(x, list(range(len(reps) - input.ndim)))
    else:  # tile pads the repeats with leading 1s
        reps = [1] * (input.ndim - len(reps)) + reps
    return ctx.g.op("Tile", x, ctx.g.ints(reps))


@function("flip")
def _flip(ctx, out, input, *dims):
    axes = [d % input.ndim for d in _dims(dims)]
    n = len(axes)
    return ctx.g.slice(ctx.value(input), [-1] * n, [-INT64_MAX - 1] * n, axes, [-1] * n)


@function("gather", "take_along_dim")
def _gather(ctx, out, input, dim, index, **kwargs):
    if isinstance(dim, Tensor):  # take_along_dim(input, indices, dim)
        dim, index = index, dim
    return ctx.g.op("GatherElements", ctx.value(input), ctx.value(index), axis=dim % input.ndim)


@function("index_select")
def _index_select(ctx, out, input, dim, index):
    return ctx.g.op("Gather", ctx.value(input), ctx.value(index), axis=dim % input.ndim)


def _trilu(upper, *names):
    @function(*names)
    def convert(ctx, out, input, diagonal=0):
        if ctx.g.opset < 14:
            _unsupported(f"{names[0]} at opset 13", "ONNX's Trilu needs opset 14")
        return ctx.g.op("Trilu", ctx.value(input), ctx.g.scalar(int(diagonal), np.int64), upper=upper)
    return convert


_trilu(0, "tril", "tril_")
_trilu(1, "triu", "triu_")


# ---- indexing -------------------------------------------------------------------------------------------
@function("__getitem__")
def _getitem(ctx, out, input, index):
    """Basic indexing (ints, slices, None, ...) and one integer tensor / list index."""
    g = ctx.g
    items = list(index) if isinstance(index, tuple) else [index]
    if any(isinstance(i, Tensor) and i.data.dtype == np.bool_ for i in items):
        _unsupported("boolean mask indexing", "its result size depends on the data")
    n_real = sum(1 for i in items if i is not None and i is not Ellipsis)
    if Ellipsis in items:
        e = items.index(Ellipsis)
        items[e:e + 1] = [slice(None)] * (input.ndim - n_real)
    items += [slice(None)] * (input.ndim - sum(1 for i in items if i is not None))
    x = ctx.value(input)
    starts, ends, axes, steps = [], [], [], []
    gathers, new_axes = [], []
    axis = out_axis = 0
    for item in items:
        if item is None:
            new_axes.append(out_axis)
            out_axis += 1
            continue
        if isinstance(item, slice):
            start, stop, step = item.start, item.stop, item.step or 1
            if step < 0:
                _unsupported("negative slice steps", "PyTorch does not allow them either")
            if (start or 0) != 0 or stop is not None or step != 1:
                starts.append(int(start or 0))
                ends.append(INT64_MAX if stop is None else int(stop))
                axes.append(axis)
                steps.append(step)
            out_axis += 1
        elif isinstance(item, (Tensor, list, np.ndarray)):
            gathers.append((axis, item, True))
            out_axis += 1 if not isinstance(item, Tensor) or item.ndim == 1 else item.ndim
        else:
            gathers.append((axis, int(item), False))
        axis += 1
    if len([gt for gt in gathers if gt[2]]) > 1:
        _unsupported("indexing with several index tensors", "only one tensor / list index is exported")
    if starts:
        x = g.slice(x, starts, ends, axes, steps)
    # gather from the last axis first so the earlier axis numbers stay valid
    for axis, item, is_tensor in sorted(gathers, key=lambda t: -t[0]):
        if is_tensor:
            idx = ctx.value(item) if isinstance(item, Tensor) else g.const(np.asarray(item, dtype=np.int64), "index")
        else:
            idx = g.scalar(item, np.int64)
        x = g.op("Gather", x, idx, axis=axis)
    if new_axes:
        x = g.unsqueeze(x, new_axes)
    if x == ctx.value(input):
        x = g.op("Identity", x)
    return x


# ---- dtype conversion and creation from a live tensor -------------------------------------------------------
@function("to", "type", "float", "double", "half", "long", "int", "short", "char", "byte", "bool", "type_as")
def _cast(ctx, out, input, *args, **kwargs):
    if not isinstance(out, Tensor):  # x.type() with no dtype returns a string
        return None
    x = ctx.value(input)
    return ctx.g.cast(x, out.data.dtype) if out.data.dtype != input.data.dtype else ctx.g.op("Identity", x)


def _like(fill):
    def convert(ctx, out, input, *args, **kwargs):
        g = ctx.g
        value = fill if fill is not None else (args[0] if args else kwargs["fill_value"])
        return g.op("Expand", g.scalar(value, out.data.dtype), g.op("Shape", ctx.value(input)))
    return convert


function("zeros_like")(_like(0))
function("ones_like")(_like(1))
function("full_like")(_like(None))
