"""Unary elementwise math (exp, log, sqrt, trig, tanh, sigmoid, relu, ...), each forward beside
its backward. Integer input computes in the default float dtype, as PyTorch does."""
import numpy as np

from ._core import float_dtype_of, make

__all__ = ["exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "sin", "cos", "tan",
           "asin", "acos", "atan", "sinh", "cosh", "tanh", "sigmoid", "relu", "floor", "ceil", "round",
           "trunc", "frac", "erf", "logit", "nan_to_num", "atan2"]
METHODS = list(__all__)
INPLACE = ["exp", "log", "sqrt", "rsqrt", "sin", "cos", "tanh", "sigmoid", "relu", "floor", "ceil",
           "round", "trunc", "log1p", "expm1", "nan_to_num", "erf"]


def _float(x):
    return x if x.dtype.kind == "f" else x.astype(float_dtype_of(x.dtype))


def _unary(name, forward, derivative, uses="input"):
    """An op whose gradient is g * derivative(x, out); `uses` says what derivative reads so
    that only that is checked for in-place changes."""
    def op(input):
        x = _float(input.data)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out = forward(x)

        def backward(g):
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                return (g * derivative(x, out),)
        return make(out, (input,), backward, name,
                    saved=(input,) if uses == "input" else (), save_output=uses == "output")
    op.__name__ = name[:-len("Backward0")].lower()
    return op


exp = _unary("ExpBackward0", np.exp, lambda x, y: y, uses="output")
exp2 = _unary("Exp2Backward0", np.exp2, lambda x, y: y * np.log(2).astype(y.dtype), uses="output")
expm1 = _unary("Expm1Backward0", np.expm1, lambda x, y: y + 1, uses="output")
log = _unary("LogBackward0", np.log, lambda x, y: 1 / x)
log2 = _unary("Log2Backward0", np.log2, lambda x, y: 1 / (x * np.log(2).astype(x.dtype)))
log10 = _unary("Log10Backward0", np.log10, lambda x, y: 1 / (x * np.log(10).astype(x.dtype)))
log1p = _unary("Log1PBackward0", np.log1p, lambda x, y: 1 / (1 + x))
sqrt = _unary("SqrtBackward0", np.sqrt, lambda x, y: 0.5 / y, uses="output")
rsqrt = _unary("RsqrtBackward0", lambda x: 1 / np.sqrt(x), lambda x, y: -0.5 * y * y * y, uses="output")
sin = _unary("SinBackward0", np.sin, lambda x, y: np.cos(x))
cos = _unary("CosBackward0", np.cos, lambda x, y: -np.sin(x))
tan = _unary("TanBackward0", np.tan, lambda x, y: 1 + y * y, uses="output")
asin = _unary("AsinBackward0", np.arcsin, lambda x, y: 1 / np.sqrt(1 - x * x))
acos = _unary("AcosBackward0", np.arccos, lambda x, y: -1 / np.sqrt(1 - x * x))
atan = _unary("AtanBackward0", np.arctan, lambda x, y: 1 / (1 + x * x))
sinh = _unary("SinhBackward0", np.sinh, lambda x, y: np.cosh(x))
cosh = _unary("CoshBackward0", np.cosh, lambda x, y: np.sinh(x))
tanh = _unary("TanhBackward0", np.tanh, lambda x, y: 1 - y * y, uses="output")


def _sigmoid_forward(x):
    # exp of a large positive number would overflow; use the form that never does
    out = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + out), out / (1 + out)).astype(x.dtype, copy=False)


sigmoid = _unary("SigmoidBackward0", _sigmoid_forward, lambda x, y: y * (1 - y), uses="output")


def relu(input):
    x = input.data
    out = np.maximum(x, 0)  # the 0 is a weak scalar: stays float32

    def backward(g):
        return (g * (out > 0),)
    return make(out, (input,), backward, "ReluBackward0", saved=(), save_output=True)


def _rounding(name, fn):
    def op(input):
        def backward(g):
            return (np.zeros_like(g),)
        return make(fn(input.data), (input,), backward, name)
    op.__name__ = name[:-len("Backward0")].lower()
    return op


floor = _rounding("FloorBackward0", np.floor)
ceil = _rounding("CeilBackward0", np.ceil)
trunc = _rounding("TruncBackward0", np.trunc)
_round_half_even = _rounding("RoundBackward0", np.round)


def round(input, *, decimals=0):
    if decimals == 0:
        return _round_half_even(input)
    from .arithmetic import div, mul
    scale = 10.0 ** decimals
    return div(_round_half_even(mul(input, scale)), scale)


def frac(input):
    x = input.data

    def backward(g):
        return (g,)
    return make(x - np.trunc(x), (input,), backward, "FracBackward0")


def _erf(x):
    # Abramowitz-Stegun would lose float64 accuracy; use math.erf elementwise via vectorize only
    # as a fallback when SciPy is absent (SciPy is optional and never needed at import time).
    try:
        from scipy.special import erf as scipy_erf
        return scipy_erf(x).astype(x.dtype, copy=False)
    except ImportError:
        import math
        return np.vectorize(math.erf, otypes=[x.dtype])(x)


erf = _unary("ErfBackward0", _erf,
             lambda x, y: (2 / np.sqrt(np.pi)) * np.exp(-x * x).astype(x.dtype, copy=False))


def logit(input, eps=None):
    x = _float(input.data)
    if eps is not None:
        x = np.clip(x, eps, 1 - eps)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log(x / (1 - x))

    def backward(g):
        with np.errstate(divide="ignore", invalid="ignore"):
            d = g / (x * (1 - x))
        if eps is not None:
            d = np.where((input.data < eps) | (input.data > 1 - eps), 0, d).astype(g.dtype)
        return (d,)
    return make(out, (input,), backward, "LogitBackward0", saved=(input,))


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    x = input.data
    out = np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    def backward(g):
        return (np.where(np.isfinite(x), g, 0).astype(g.dtype),)
    return make(out, (input,), backward, "NanToNumBackward0", saved=(input,))


def atan2(input, other):
    from ._core import as_tensor, binary_operands, unbroadcast
    other = as_tensor(other, input)
    y, x, _ = binary_operands(input, other)
    y, x = _float(y), _float(x)
    out = np.arctan2(y, x)

    def backward(g):
        denom = x * x + y * y
        return (unbroadcast(g * x / denom, y.shape) if input._requires_grad else None,
                unbroadcast(-g * y / denom, x.shape) if other._requires_grad else None)
    return make(out, (input, other), backward, "Atan2Backward0", saved=(input, other))
