"""The tensor ops written between layers in a forward: arithmetic, comparisons, matmul and
reductions, as lamina.X, F.X, Tensor methods and operators (reshaping and indexing: shapes.py).

Each converter gets the traced call's own arguments and its result (`out`, for dtypes and the
traced shapes) and returns the ONNX name(s) of the result. Python scalars become constants of
the result's dtype, and operands of another dtype are cast, following PyTorch's promotion."""
import math

import numpy as np

from .._dtype import result_type
from ..tensor import Tensor
from .registry import UnsupportedOperatorError, function


def _unsupported(what, why):
    raise UnsupportedOperatorError(f"ONNX export does not support {what}: {why}")


def _operand(ctx, x, dtype):
    """A tensor or Python scalar operand as a name of dtype `dtype` (cast if needed)."""
    if isinstance(x, Tensor):
        name = ctx.value(x)
        return name if x._data.dtype == dtype else ctx.g.cast(name, dtype)
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
        dt = out._data.dtype
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
    g, dt = ctx.g, out._data.dtype
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
    dt = out._data.dtype
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
        if input._data.dtype != out._data.dtype:  # integer input of a float function
            x = ctx.g.cast(x, out._data.dtype)
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
            dt = out._data.dtype
            if input._data.dtype != dt:
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
    g, dt = ctx.g, out._data.dtype
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
    dt = out._data.dtype
    cond = ctx.value(condition) if isinstance(condition, Tensor) else ctx.g.const(np.asarray(condition, bool))
    if isinstance(condition, Tensor) and condition._data.dtype != np.bool_:
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
    return ctx.g.op("MatMul", _operand(ctx, other, out._data.dtype), ctx.value(input))


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
        if input._data.dtype != out._data.dtype:  # sum of ints / bools, or dtype=
            x = ctx.g.cast(x, out._data.dtype)
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
            dt = out._data.dtype
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
    g, dt = ctx.g, input._data.dtype
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
    if input._data.dtype != out._data.dtype:
        x = ctx.g.cast(x, out._data.dtype)
    return ctx.g.op("CumSum", x, ctx.g.const(np.asarray(dim % input.ndim, dtype=np.int64), "axis"))
