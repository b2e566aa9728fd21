"""Elementwise arithmetic with broadcasting: + - * / ** and friends, each forward beside its
backward. Operands follow PyTorch's type promotion (see binary_operands)."""
import numpy as np

from ..tensor import Tensor
from ._core import as_tensor, binary_operands, float_dtype_of, make, unbroadcast

__all__ = ["add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "floor_divide",
           "remainder", "fmod", "pow", "neg", "negative", "abs", "absolute", "sign", "rsub",
           "maximum", "minimum", "clamp", "clip", "where", "lerp", "square", "reciprocal",
           "addcmul", "addcdiv", "fmax", "fmin"]
METHODS = ["add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "floor_divide",
           "remainder", "fmod", "pow", "neg", "negative", "abs", "absolute", "sign", "maximum", "minimum",
           "clamp", "clip", "lerp", "square", "reciprocal", "addcmul", "addcdiv", "fmax", "fmin",
           ("where", lambda self, condition, other: where(condition, self, other))]
INPLACE = ["add", "sub", "subtract", "mul", "multiply", "div", "divide", "floor_divide", "remainder",
           "fmod", "pow", "neg", "negative", "abs", "sign", "clamp", "clip", "lerp", "square",
           "reciprocal", "addcmul", "addcdiv"]


def _parents(a, b):
    return (a, b) if isinstance(b, Tensor) else (a,)


def add(input, other, *, alpha=1):
    if not isinstance(input, Tensor):
        input = as_tensor(input, other if isinstance(other, Tensor) else None)
    x, y, _ = binary_operands(input, other)
    if alpha != 1:
        y = y * alpha
    out = x + y
    xs, ys = x.shape, np.shape(y)

    def backward(g):
        gy = unbroadcast(g, ys)
        return unbroadcast(g, xs), (gy * alpha if alpha != 1 else gy)
    return make(out, _parents(input, other), backward, "AddBackward0")


def sub(input, other, *, alpha=1):
    if not isinstance(input, Tensor):
        input = as_tensor(input, other if isinstance(other, Tensor) else None)
    if input.data.dtype == np.bool_ and (not isinstance(other, Tensor) or other.data.dtype == np.bool_):
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")
    x, y, _ = binary_operands(input, other)
    if alpha != 1:
        y = y * alpha
    out = x - y
    xs, ys = x.shape, np.shape(y)

    def backward(g):
        return unbroadcast(g, xs), unbroadcast(-g if alpha == 1 else g * -alpha, ys)
    return make(out, _parents(input, other), backward, "SubBackward0")


subtract = sub


def rsub(input, other, *, alpha=1):
    """other - alpha * input (what `2 - x` calls)."""
    return sub(as_tensor(other, input), input, alpha=alpha)


def mul(input, other):
    if not isinstance(input, Tensor):
        input = as_tensor(input, other if isinstance(other, Tensor) else None)
    x, y, _ = binary_operands(input, other)
    out = x * y
    if not isinstance(other, Tensor):
        def backward(g):
            return (g * y,)
        return make(out, (input,), backward, "MulBackward0")

    def backward(g):
        return (unbroadcast(g * y, x.shape) if input._requires_grad else None,
                unbroadcast(g * x, y.shape) if other._requires_grad else None)
    return make(out, (input, other), backward, "MulBackward0", saved=(input, other))


multiply = mul


def div(input, other, *, rounding_mode=None):
    if rounding_mode is not None:
        if rounding_mode == "floor":
            return floor_divide(input, other)
        if rounding_mode == "trunc":
            return _no_grad_binary(input, other, lambda a, b: np.trunc(a / b) if a.dtype.kind == "f"
                                   else np.sign(a * b) * (np.abs(a) // np.abs(b)))
        raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{rounding_mode}'")
    if not isinstance(input, Tensor):
        input = as_tensor(input, other if isinstance(other, Tensor) else None)
    x, y, dt = binary_operands(input, other)
    if dt.kind != "f":
        fdt = float_dtype_of(dt)
        x, y = x.astype(fdt), np.asarray(y, dtype=fdt)
    out = x / y
    if not isinstance(other, Tensor):
        def backward(g):
            return (g / y,)
        return make(out, (input,), backward, "DivBackward0")

    def backward(g):
        gx = g / y
        return (unbroadcast(gx, x.shape) if input._requires_grad else None,
                unbroadcast(-gx * out, y.shape) if other._requires_grad else None)
    return make(out, (input, other), backward, "DivBackward0", saved=(input, other), save_output=True)


divide = true_divide = div


def rdiv(input, other):
    """other / input (what `1 / x` calls)."""
    return div(as_tensor(other, input), input)


def _no_grad_binary(input, other, fn):
    if not isinstance(input, Tensor):
        input = as_tensor(input, other if isinstance(other, Tensor) else None)
    x, y, _ = binary_operands(input, other)
    return make(fn(x, y), (), None, "")


def floor_divide(input, other):
    return _no_grad_binary(input, other, np.floor_divide)


def remainder(input, other):
    """Python's modulo (the sign follows the divisor); gradient 1 for input, as PyTorch."""
    if not isinstance(input, Tensor):
        input = as_tensor(input, other if isinstance(other, Tensor) else None)
    x, y, _ = binary_operands(input, other)
    out = np.mod(x, y)

    def backward(g):
        gy = None
        if isinstance(other, Tensor) and other._requires_grad:
            gy = unbroadcast(-g * np.floor_divide(x, y), np.shape(y))
        return (unbroadcast(g, x.shape), gy) if isinstance(other, Tensor) else (unbroadcast(g, x.shape),)
    return make(out, _parents(input, other), backward, "RemainderBackward0", saved=())


def fmod(input, other):
    """C's fmod (the sign follows the dividend)."""
    if not isinstance(input, Tensor):
        input = as_tensor(input, other if isinstance(other, Tensor) else None)
    x, y, _ = binary_operands(input, other)
    out = np.fmod(x, y)

    def backward(g):
        gy = None
        if isinstance(other, Tensor) and other._requires_grad:
            gy = unbroadcast(-g * np.trunc(x / y), np.shape(y))
        return (unbroadcast(g, x.shape), gy) if isinstance(other, Tensor) else (unbroadcast(g, x.shape),)
    return make(out, _parents(input, other), backward, "FmodBackward0", saved=())


def pow(input, exponent):
    if not isinstance(input, Tensor):  # scalar ** tensor
        input = as_tensor(input, exponent)
    x, e, dt = binary_operands(input, exponent)
    if dt.kind in "iu" and isinstance(e, np.ndarray) and (e < 0).any():
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    out = np.power(x, e)
    if not isinstance(exponent, Tensor):
        if e == 2:
            def backward(g):
                return (g * (2 * x),)
        else:
            def backward(g):
                return (g * (e * np.power(x, e - 1)),)
        return make(out, (input,), backward, "PowBackward0", saved=(input,))

    def backward(g):
        gx = gy = None
        if input._requires_grad:
            gx = unbroadcast(g * (e * np.power(x, e - 1)), x.shape)
        if exponent._requires_grad:
            with np.errstate(divide="ignore", invalid="ignore"):
                lx = np.where(x > 0, np.log(np.where(x > 0, x, 1)), np.where(x == 0, 0, np.nan)).astype(out.dtype)
            gy = unbroadcast(g * out * lx, np.shape(e))
        return gx, gy
    return make(out, (input, exponent), backward, "PowBackward1", saved=(input, exponent), save_output=True)


def square(input):
    return pow(input, 2)


def reciprocal(input):
    return rdiv(input, 1.0)


def neg(input):
    if input.data.dtype == np.bool_:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are "
                           "trying to invert a mask, use the `~` or `logical_not()` operator instead.")

    def backward(g):
        return (-g,)
    return make(-input.data, (input,), backward, "NegBackward0")


negative = neg


def abs(input):
    x = input.data

    def backward(g):
        return (g * np.sign(x),)
    return make(np.abs(x), (input,), backward, "AbsBackward0", saved=(input,))


absolute = abs


def sign(input):
    def backward(g):
        return (np.zeros_like(g),)
    return make(np.sign(input.data), (input,), backward, "SignBackward0")


def _pick(name, choose_x):
    """maximum/minimum: the gradient goes to the chosen side; ties split it evenly, as PyTorch."""
    def op(input, other):
        other_t = as_tensor(other, input)
        x, y, _ = binary_operands(input, other_t)
        out = choose_x(x, y)

        def backward(g):
            tie = x == y
            wx = np.where(tie, 0.5, (out == x)).astype(g.dtype)
            return (unbroadcast(g * wx, x.shape) if input._requires_grad else None,
                    unbroadcast(g * (1 - wx), y.shape) if other_t._requires_grad else None)
        return make(out, (input, other_t), backward, name, saved=(input, other_t))
    return op


maximum = _pick("MaximumBackward0", np.maximum)
minimum = _pick("MinimumBackward0", np.minimum)
fmax = _pick("FmaxBackward0", np.fmax)
fmin = _pick("FminBackward0", np.fmin)


def clamp(input, min=None, max=None):
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = input
        if min is not None:
            out = maximum(out, min)
        if max is not None:
            out = minimum(out, max)
        return out
    x = input.data
    lo = min if min is not None else None
    hi = max if max is not None else None
    if x.dtype.kind != "f" and (isinstance(lo, float) or isinstance(hi, float)):
        x = x.astype(float_dtype_of(x.dtype))
    out = np.clip(x, lo, hi)
    if out.dtype != x.dtype:
        out = out.astype(x.dtype)

    def backward(g):
        keep = np.ones(x.shape, dtype=bool)
        if lo is not None:
            keep &= x >= lo
        if hi is not None:
            keep &= x <= hi
        return (g * keep,)
    return make(out, (input,), backward, "ClampBackward1", saved=(input,))


clip = clamp


def where(condition, input=None, other=None):
    if input is None and other is None:
        from .indexing import nonzero
        return nonzero(condition, as_tuple=True)
    cond = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                           f"{_TYPE_NAME.get(cond.dtype.name, cond.dtype.name)}")
    if not isinstance(input, Tensor):
        input = as_tensor(input, other if isinstance(other, Tensor) else None)
    other_t = as_tensor(other, input)
    x, y, _ = binary_operands(input, other_t)
    out = np.where(cond, x, y)

    def backward(g):
        zero = g.dtype.type(0)
        return (unbroadcast(np.where(cond, g, zero), x.shape) if input._requires_grad else None,
                unbroadcast(np.where(cond, zero, g), y.shape) if other_t._requires_grad else None)
    return make(out, (input, other_t), backward, "WhereBackward0", saved=())


_TYPE_NAME = {"float32": "Float", "float64": "Double", "int64": "Long", "int32": "Int", "uint8": "Byte"}


def lerp(input, end, weight):
    return add(input, mul(sub(end, input), weight))


def addcmul(input, tensor1, tensor2, *, value=1):
    return add(input, mul(mul(tensor1, tensor2), value))


def addcdiv(input, tensor1, tensor2, *, value=1):
    return add(input, mul(div(tensor1, tensor2), value))
