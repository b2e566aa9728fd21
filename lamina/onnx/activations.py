"""Activation functions and their layers: ReLU → Relu, GELU → Gelu (opset 20) or its Erf form, ...

`emit(g, kind, x, dtype, **params)` appends the nodes of one activation; the layer converters and
the function converters (F.relu, torch.tanh, x.sigmoid(), ...) both go through it."""
import inspect
import math

import numpy as np

from .. import nn
from .registry import function, layer

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _c(g, value, dtype):
    return g.scalar(value, dtype)


def _gelu(g, x, dt, approximate="none"):
    if g.opset >= 20:
        return g.op("Gelu", x, approximate=approximate)
    half_x = g.op("Mul", x, _c(g, 0.5, dt))
    if approximate == "tanh":  # 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
        cube = g.op("Mul", g.op("Mul", x, x), x)
        inner = g.op("Mul", g.op("Add", x, g.op("Mul", cube, _c(g, 0.044715, dt))), _c(g, math.sqrt(2 / math.pi), dt))
        return g.op("Mul", half_x, g.op("Add", g.op("Tanh", inner), _c(g, 1.0, dt)))
    erf = g.op("Erf", g.op("Mul", x, _c(g, 1 / math.sqrt(2), dt)))
    return g.op("Mul", half_x, g.op("Add", erf, _c(g, 1.0, dt)))


def _softplus(g, x, dt, beta=1.0, threshold=20.0):
    """log(1 + exp(βx))/β, and x itself where βx > threshold (PyTorch's linear region)."""
    bx = x if beta == 1 else g.op("Mul", x, _c(g, beta, dt))
    soft = g.op("Softplus", bx)
    if beta != 1:
        soft = g.op("Div", soft, _c(g, beta, dt))
    return g.op("Where", g.op("Greater", bx, _c(g, threshold, dt)), x, soft)


def _hardswish(g, x, dt):
    if g.opset >= 14:
        return g.op("HardSwish", x)
    return g.op("Mul", x, g.op("HardSigmoid", x, alpha=1 / 6, beta=0.5))


def _prelu(g, x, dt, weight, ndim):
    # PyTorch's weight runs along dim 1; ONNX's slope broadcasts from the right
    if ndim >= 2:
        weight = g.reshape(weight, [-1] + [1] * (ndim - 2))
    return g.op("PRelu", x, weight)


def _glu(g, x, dt, dim, size):
    a, b = g.split(x, [size // 2, size // 2], dim)
    return g.op("Mul", a, g.op("Sigmoid", b))


_EMIT = {
    "relu": lambda g, x, dt: g.op("Relu", x),
    "relu6": lambda g, x, dt: g.op("Clip", x, _c(g, 0.0, dt), _c(g, 6.0, dt)),
    "hardtanh": lambda g, x, dt, min_val=-1.0, max_val=1.0: g.op("Clip", x, _c(g, min_val, dt), _c(g, max_val, dt)),
    "sigmoid": lambda g, x, dt: g.op("Sigmoid", x),
    "tanh": lambda g, x, dt: g.op("Tanh", x),
    "leaky_relu": lambda g, x, dt, negative_slope=0.01: g.op("LeakyRelu", x, alpha=float(negative_slope)),
    "rrelu": lambda g, x, dt, lower=1 / 8, upper=1 / 3: g.op("LeakyRelu", x, alpha=(lower + upper) / 2),
    "elu": lambda g, x, dt, alpha=1.0: g.op("Elu", x, alpha=float(alpha)),
    "celu": lambda g, x, dt, alpha=1.0: g.op("Celu", x, alpha=float(alpha)),
    "selu": lambda g, x, dt: g.op("Selu", x, alpha=_SELU_ALPHA, gamma=_SELU_SCALE),
    "gelu": _gelu,
    "silu": lambda g, x, dt: g.op("Mul", x, g.op("Sigmoid", x)),
    "mish": lambda g, x, dt: g.op("Mul", x, g.op("Tanh", _softplus(g, x, dt))),
    "softplus": _softplus,
    "hardsigmoid": lambda g, x, dt: g.op("HardSigmoid", x, alpha=1 / 6, beta=0.5),
    "hardswish": _hardswish,
    "softsign": lambda g, x, dt: g.op("Softsign", x),
    "tanhshrink": lambda g, x, dt: g.op("Sub", x, g.op("Tanh", x)),
    "logsigmoid": lambda g, x, dt: g.op("Neg", _softplus(g, g.op("Neg", x), dt)),
    "softshrink": lambda g, x, dt, lambd=0.5: g.op("Shrink", x, lambd=float(lambd), bias=float(lambd)),
    "hardshrink": lambda g, x, dt, lambd=0.5: g.op("Shrink", x, lambd=float(lambd), bias=0.0),
    "threshold": lambda g, x, dt, threshold, value: g.op("Where", g.op("Greater", x, _c(g, threshold, dt)), x,
                                                         _c(g, value, dt)),
    "softmax": lambda g, x, dt, dim: g.op("Softmax", x, axis=dim),
    "log_softmax": lambda g, x, dt, dim: g.op("LogSoftmax", x, axis=dim),
    "softmin": lambda g, x, dt, dim: g.op("Softmax", g.op("Neg", x), axis=dim),
    "prelu": _prelu,
    "glu": _glu,
    "identity": lambda g, x, dt: g.op("Identity", x),
}


def emit(g, kind, x, dtype, **params):
    return _EMIT[kind](g, x, np.dtype(dtype), **params)


def softmax_dim(dim, ndim):
    """PyTorch's implicit softmax dim (deprecated) when dim is None, normalised."""
    if dim is None:
        dim = 0 if ndim in (0, 1, 3) else 1
    return dim % ndim if ndim else 0


# ---- layers ----------------------------------------------------------------------------------------
_LAYERS = {
    nn.ReLU: lambda m: ("relu", {}),
    nn.ReLU6: lambda m: ("relu6", {}),
    nn.Hardtanh: lambda m: ("hardtanh", {"min_val": m.min_val, "max_val": m.max_val}),
    nn.Sigmoid: lambda m: ("sigmoid", {}),
    nn.Tanh: lambda m: ("tanh", {}),
    nn.LeakyReLU: lambda m: ("leaky_relu", {"negative_slope": m.negative_slope}),
    nn.ELU: lambda m: ("elu", {"alpha": m.alpha}),
    nn.CELU: lambda m: ("celu", {"alpha": m.alpha}),
    nn.SELU: lambda m: ("selu", {}),
    nn.GELU: lambda m: ("gelu", {"approximate": m.approximate}),
    nn.SiLU: lambda m: ("silu", {}),
    nn.Mish: lambda m: ("mish", {}),
    nn.Softplus: lambda m: ("softplus", {"beta": m.beta, "threshold": m.threshold}),
    nn.Hardsigmoid: lambda m: ("hardsigmoid", {}),
    nn.Hardswish: lambda m: ("hardswish", {}),
    nn.Softsign: lambda m: ("softsign", {}),
    nn.Tanhshrink: lambda m: ("tanhshrink", {}),
    nn.LogSigmoid: lambda m: ("logsigmoid", {}),
    nn.Softshrink: lambda m: ("softshrink", {"lambd": m.lambd}),
    nn.Hardshrink: lambda m: ("hardshrink", {"lambd": m.lambd}),
    nn.Threshold: lambda m: ("threshold", {"threshold": m.threshold, "value": m.value}),
    nn.RReLU: lambda m: ("rrelu", {"lower": m.lower, "upper": m.upper}),
    nn.Identity: lambda m: ("identity", {}),
}


def layer_kind(module, ndim):
    """(kind, params) of an activation layer (its converter emits `emit(g, kind, ...)`)."""
    for cls, get in _LAYERS.items():
        if isinstance(module, cls):
            return get(module)
    if isinstance(module, (nn.Softmax, nn.LogSoftmax, nn.Softmin)):
        kind = {nn.Softmax: "softmax", nn.LogSoftmax: "log_softmax", nn.Softmin: "softmin"}[type(module)]
        return kind, {"dim": softmax_dim(module.dim, ndim)}
    if isinstance(module, nn.Softmax2d):
        return "softmax", {"dim": ndim - 3}
    raise KeyError(type(module).__name__)


@layer(*_LAYERS, nn.Softmax, nn.LogSoftmax, nn.Softmin, nn.Softmax2d)
def _activation_layer(ctx, module, out, input, *args, **kwargs):
    kind, params = layer_kind(module, input.ndim)
    return emit(ctx.g, kind, ctx.value(input), out._data.dtype, **params)


@layer(nn.PReLU)
def _prelu_layer(ctx, module, out, input):
    return _prelu(ctx.g, ctx.value(input), out._data.dtype, ctx.value(module.weight), input.ndim)


@layer(nn.GLU)
def _glu_layer(ctx, module, out, input):
    dim = module.dim % input.ndim
    return _glu(ctx.g, ctx.value(input), out._data.dtype, dim, input.shape[dim])


# ---- functions --------------------------------------------------------------------------------------
def _simple(kind, *names):
    """F.<kind>(input, ...) with no parameters but `inplace`."""
    @function(*names)
    def convert(ctx, out, input, *args, **kwargs):
        return emit(ctx.g, kind, ctx.value(input), out._data.dtype)
    return convert


for _kind, _names in {"relu": ("relu", "relu_"), "relu6": ("relu6",), "sigmoid": ("sigmoid", "sigmoid_"),
                      "tanh": ("tanh", "tanh_"), "selu": ("selu", "selu_"), "silu": ("silu",), "mish": ("mish",),
                      "hardsigmoid": ("hardsigmoid",), "hardswish": ("hardswish",), "softsign": ("softsign",),
                      "tanhshrink": ("tanhshrink",), "logsigmoid": ("logsigmoid",)}.items():
    _simple(_kind, *_names)


def _bound(fn, args, kwargs):
    ba = inspect.signature(fn).bind(None, *args, **kwargs)
    ba.apply_defaults()
    return ba.arguments


def _with_params(kind, *names, signature):
    """F.<kind>(input, params...) where the params come from PyTorch's signature."""
    @function(*names)
    def convert(ctx, out, input, *args, **kwargs):
        params = _bound(signature, args, kwargs)
        params.pop("input")
        params.pop("inplace", None)
        params.pop("training", None)
        return emit(ctx.g, kind, ctx.value(input), out._data.dtype, **params)
    return convert


_with_params("hardtanh", "hardtanh", "hardtanh_", signature=lambda input, min_val=-1.0, max_val=1.0, inplace=False: 0)
_with_params("leaky_relu", "leaky_relu", "leaky_relu_", signature=lambda input, negative_slope=0.01, inplace=False: 0)
_with_params("elu", "elu", "elu_", signature=lambda input, alpha=1.0, inplace=False: 0)
_with_params("celu", "celu", "celu_", signature=lambda input, alpha=1.0, inplace=False: 0)
_with_params("gelu", "gelu", signature=lambda input, approximate="none": 0)
_with_params("softplus", "softplus", signature=lambda input, beta=1.0, threshold=20.0: 0)
_with_params("softshrink", "softshrink", signature=lambda input, lambd=0.5: 0)
_with_params("hardshrink", "hardshrink", signature=lambda input, lambd=0.5: 0)
_with_params("threshold", "threshold", "threshold_", signature=lambda input, threshold, value, inplace=False: 0)
_with_params("rrelu", "rrelu", "rrelu_",
             signature=lambda input, lower=1 / 8, upper=1 / 3, training=False, inplace=False: 0)


def _softmax_like(kind):
    @function(kind)
    def convert(ctx, out, input, dim=None, *args, **kwargs):
        g = ctx.g
        x = ctx.value(input)
        if input._data.dtype != out._data.dtype:  # dtype= casts first
            x = g.cast(x, out._data.dtype)
        return emit(g, kind, x, out._data.dtype, dim=softmax_dim(dim, input.ndim))
    return convert


for _kind in ("softmax", "log_softmax", "softmin"):
    _softmax_like(_kind)


@function("prelu")
def _prelu_fn(ctx, out, input, weight):
    return _prelu(ctx.g, ctx.value(input), out._data.dtype, ctx.value(weight), input.ndim)


@function("glu")
def _glu_fn(ctx, out, input, dim=-1):
    dim = dim % input.ndim
    return _glu(ctx.g, ctx.value(input), out._data.dtype, dim, input.shape[dim])
