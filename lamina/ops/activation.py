"""Activation functions (F.relu, F.gelu, F.softmax, ...), each fused: one forward over the
array and its hand-derived derivative beside it.

`inplace=True` writes the result into the input tensor (the same rules as any in-place op:
a leaf that requires grad refuses, a tensor saved for backward is marked modified)."""
import warnings

import numpy as np

from .._accel import float32_kernels
from ..tensor import Tensor
from ._core import dim_arg, make, sum_axes, wrap
from . import pointwise as _pw
from . import softmax as _sm
from .arithmetic import type_name
from .inplace import apply_inplace
from .pointwise import fmin0 as _fmin0, select as _select

__all__ = ["relu", "relu_", "relu6", "leaky_relu", "leaky_relu_", "prelu", "rrelu", "rrelu_", "elu", "elu_",
           "selu", "selu_", "celu", "celu_", "gelu", "silu", "mish", "hardtanh", "hardtanh_", "hardsigmoid",
           "hardswish", "softplus", "softsign", "tanhshrink", "softshrink", "hardshrink", "threshold",
           "threshold_", "logsigmoid", "softmax", "log_softmax", "softmin", "glu", "gumbel_softmax",
           "sigmoid", "tanh"]

sigmoid = _pw.sigmoid
tanh = _pw.tanh

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_SQRT1_2 = 0.7071067811865476          # 1/√2
_INV_SQRT_2PI = 0.3989422804014327     # 1/√(2π)
_SQRT_2_PI = 0.7978845608028654        # √(2/π)


def _float_input(input, kernel):
    x = input._data
    if x.dtype.kind != "f":
        raise NotImplementedError(f'"{kernel}" not implemented for \'{type_name(x.dtype)}\'')
    return x


def _opmath(x):
    """The array an activation computes on: half as float32, rounded once at the end, as
    PyTorch's CPU kernels do (in half throughout, GELU's tail was off by up to 1000 ulp)."""
    return x.astype(np.float32) if x.dtype == np.float16 else x


def _elementwise(input, forward, derivative, name, kernel):
    """An op y = forward(x) with dy/dx = derivative(x, y), both on ndarrays."""
    x = _float_input(input, kernel)
    xc = _opmath(x)
    with np.errstate(over="ignore", invalid="ignore"):
        out = forward(xc)

    def backward(g):
        with np.errstate(over="ignore", invalid="ignore"):
            return ((_opmath(g) * derivative(xc, out)).astype(x.dtype, copy=False),)
    return make(out.astype(x.dtype, copy=False), (input,), backward, name, saved=(input,))


def _fused(input, kernel, name, forward):
    """An op whose forward(x) returns (out, backward) with backward(g) -> the input gradient,
    both free to work in place on their own temporaries: a 0-d input is worked on as shape
    (1,), since NumPy's arithmetic on 0-d arrays gives scalars, which have no `out=`."""
    x = _float_input(input, kernel)
    shape, dtype = x.shape, x.dtype
    x = _opmath(x)
    if not x.ndim:
        x = x.reshape(1)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        out, grad = forward(x)

    def backward(g):
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return (grad(_opmath(g).reshape(x.shape)).reshape(shape).astype(dtype, copy=False),)
    return make(out.reshape(shape).astype(dtype, copy=False), (input,), backward, name, saved=(input,))


def _maybe_inplace(fn, input, inplace, *args):
    return apply_inplace(input, fn, *args) if inplace else fn(input, *args)


# ---- rectifiers ------------------------------------------------------------------------------
def relu(input, inplace=False):
    """max(0, x) elementwise."""
    return apply_inplace(input, _pw.relu) if inplace else _pw.relu(input)


def relu_(input):
    return apply_inplace(input, _pw.relu)


def _hardtanh(input, min_val, max_val):
    x = input._data
    if x.dtype == np.bool_:
        raise RuntimeError("Bool inputs not supported for hardtanh")
    out = np.clip(x, min_val, max_val).astype(x.dtype, copy=False)

    def backward(g):
        # zeroed where x is at or beyond a bound; NaN passes the gradient on, as in PyTorch
        return (g * ~((x <= min_val) | (x >= max_val)),)
    return make(out, (input,), backward, "HardtanhBackward0", saved=(input,))


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """x clamped to [min_val, max_val]; gradient 0 outside the open interval."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _maybe_inplace(_hardtanh, input, inplace, min_val, max_val)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input, inplace=False):
    """min(max(0, x), 6)."""
    return _maybe_inplace(_hardtanh, input, inplace, 0.0, 6.0)


def _leaky_relu(input, negative_slope):
    def forward(x):
        if 0 < negative_slope <= 1:
            # x ≥ slope·x exactly where x > 0: the larger one is the result (NaN stays NaN)
            out = np.maximum(x, x * negative_slope)
        else:
            out = _select(x > 0, x, x * negative_slope)
        return out, lambda g: _select(x > 0, g, g * negative_slope)
    return _fused(input, "leaky_relu_cpu", "LeakyReluBackward0", forward)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x if x > 0 else negative_slope · x."""
    return _maybe_inplace(_leaky_relu, input, inplace, negative_slope)


def check_prelu_weight(weight, position):
    if not isinstance(weight, Tensor):
        raise TypeError(f"prelu(): argument 'weight' (position {position}) must be Tensor, not "
                        f"{type(weight).__name__}")


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, inplace=True)


def prelu(input, weight):
    """Leaky ReLU with a learnt slope per channel (dim 1) or one shared slope."""
    check_prelu_weight(weight, 2)
    x, w = input._data, weight._data
    channels = x.shape[1] if x.ndim >= 2 else 1
    if w.size != 1:
        if x.ndim == 0:
            raise RuntimeError("Not allow zero-dim input tensor.")
        if w.size != channels:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                               f"{w.size} and channel size = {channels}.")
    if w.ndim > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = {w.ndim}")
    if x.dtype != w.dtype:
        from .arithmetic import type_name
        raise RuntimeError(f"prelu: Type promoting not supported. Got {type_name(x.dtype)} and {type_name(w.dtype)}")
    _float_input(input, "prelu_cpu")
    # the slope broadcast along dim 1 (the channels)
    ws = w.reshape((-1,) + (1,) * (x.ndim - 2)) if x.ndim >= 2 else w.reshape(())
    if w.size and 0 < w.min() and w.max() <= 1:
        # x ≥ w·x exactly where x > 0 (as in leaky_relu): the larger one, NaN staying NaN
        out = np.maximum(x, x * ws)
    else:
        out = _select(x > 0, x, x * ws)

    def backward(g):
        pos = x > 0
        gx = _select(pos, g, g * ws) if input._requires_grad else None
        gw = None
        if weight._requires_grad:
            gxw = g * x
            zeros = _pw._zeros_of(gxw)
            contrib = _select(pos, np.zeros_like(gxw) if zeros is None else zeros, gxw)
            if w.size == 1:
                gw = contrib.sum().reshape(w.shape)
            elif x.ndim == 2:
                gw = sum_axes(contrib, (0,)).reshape(w.shape)
            else:  # over the batch, then over the positions of each channel
                gw = sum_axes(sum_axes(contrib.reshape(x.shape[0], x.shape[1], -1), (0,)), (1,)).reshape(w.shape)
            gw = gw.astype(w.dtype, copy=False)
        return gx, gw
    return make(out, (input, weight), backward, "PreluKernelBackward0", saved=(input, weight))


def _rrelu(input, lower, upper, training, generator=None):
    x = _float_input(input, "rrelu_with_noise_cpu")
    if training:
        from ..random import rng
        slope = rng(generator).uniform(lower, upper, x.shape).astype(x.dtype)
        slope = np.where(x > 0, 1.0, slope).astype(x.dtype)  # x = 0 takes the drawn slope: PyTorch's gradient there
    else:
        slope = np.where(x > 0, 1.0, (lower + upper) / 2).astype(x.dtype)
    out = x * slope

    def backward(g):
        return (g * slope,)
    return make(out, (input,), backward, "RreluWithNoiseBackward0", saved=())


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Randomized leaky ReLU: slope ~ U(lower, upper) per element when training, their mean in eval."""
    return _maybe_inplace(_rrelu, input, inplace, lower, upper, training)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    return rrelu(input, lower, upper, training, inplace=True)


# ---- exponential family ---------------------------------------------------------------------
def _expm1_nonpos(z):
    """expm1 of z ≤ 0. NumPy's float32 expm1 is a scalar loop (65k elements: 940 us); float32
    takes 2t / (1 - t) with t = tanh(z / 2) instead (220 us), as precise (a few ulp): 1 - t
    never cancels for z ≤ 0."""
    if z.dtype != np.float32:
        return np.expm1(z)
    t = np.tanh(z * 0.5)
    d = np.subtract(1.0, t, dtype=np.float32)
    t += t
    t /= d
    return t


def _elu_like(input, alpha, scale, input_scale, name):
    # z = fmin(x, 0) · input_scale is 0 where x > 0 or x is NaN, so the exponential side
    # vanishes there (expm1(0) = 0) and the linear side max(x, 0) · scale can simply be added
    slope = alpha * scale * input_scale  # the exponential side's slope at 0

    def nonpos(x):
        z = _fmin0(x)
        if input_scale != 1:
            z *= input_scale
        return z

    def forward(x):
        out = _expm1_nonpos(nonpos(x))
        out *= alpha * scale
        pos = _pw._max0(x)
        if scale != 1:
            pos *= scale
        out += pos
        return out, lambda g: grad(g, x)

    def grad(g, x):
        d = nonpos(x)
        np.exp(d, out=d)
        d *= slope
        if slope != scale:  # the two sides' slopes differ at x ≥ 0 (and NaN takes the linear one, as in PyTorch)
            d = _select(x <= 0, d, np.full(x.shape, scale, x.dtype))
        d *= g
        return d
    return _fused(input, "elu_cpu", name, forward)


def elu(input, alpha=1.0, inplace=False):
    """x if x > 0 else alpha · (exp(x) - 1)."""
    return _maybe_inplace(_elu_like, input, inplace, alpha, 1.0, 1.0, "EluBackward0")


def elu_(input, alpha=1.0):
    return elu(input, alpha, inplace=True)


def selu(input, inplace=False):
    """scale · elu(x, alpha) with the self-normalising constants (α≈1.6733, scale≈1.0507)."""
    return _maybe_inplace(_elu_like, input, inplace, _SELU_ALPHA, _SELU_SCALE, 1.0, "EluBackward0")


def selu_(input):
    return selu(input, inplace=True)


def celu(input, alpha=1.0, inplace=False):
    """max(0, x) + min(0, alpha · (exp(x / alpha) - 1))."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    return _maybe_inplace(_elu_like, input, inplace, alpha, 1.0, 1.0 / alpha, "CeluBackward0")


def celu_(input, alpha=1.0):
    return celu(input, alpha, inplace=True)


# ---- smooth gates -----------------------------------------------------------------------------
def gelu(input, approximate="none"):
    """x · Φ(x) (exact, with erf), or the tanh approximation when approximate='tanh'."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    x = _float_input(input, "GeluKernelImpl")
    fast = float32_kernels(x)
    if fast:
        return _gelu_compiled(fast, input, x, approximate == "tanh")
    if approximate == "none":
        # Φ(x) is computed once and kept for the backward; both directions work in place on
        # their own temporaries (a 0-d input as shape (1,), whose arithmetic keeps arrays)
        shape, dtype = x.shape, x.dtype
        x = _opmath(x)
        if not x.ndim:
            x = x.reshape(1)
        cdf = _pw.erf_array(x * _SQRT1_2)
        cdf *= 0.5
        cdf += 0.5
        out = x * cdf

        def backward(g):
            d = x * x
            d *= -0.5
            np.exp(d, out=d)
            d *= x
            d *= _INV_SQRT_2PI
            d += cdf
            d *= _opmath(g).reshape(d.shape)
            return (d.reshape(shape).astype(dtype, copy=False),)
        return make(out.reshape(shape).astype(dtype, copy=False), (input,), backward, "GeluBackward0",
                    saved=(input,))

    def fwd(x):
        return 0.5 * x * (1 + np.tanh(_SQRT_2_PI * (x + 0.044715 * x * x * x)))

    def der(x, y):
        x2 = x * x
        t = np.tanh(_SQRT_2_PI * (x + 0.044715 * x2 * x))
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * (_SQRT_2_PI * (1 + 3 * 0.044715 * x2))
    return _elementwise(input, fwd, der, "GeluBackward0", "GeluKernelImpl")


def _gelu_compiled(kernels, input, x, tanh_form):
    """GELU on contiguous float32 in lamina/_accel's kernels (the erf form keeps its Φ(x) for the
    backward): on (1024, 512) forward, erf form 2568 -> 500-660 µs (a standard normal input), tanh
    form 3507 -> 579 µs."""
    flat = x.reshape(-1)
    if tanh_form:
        out = kernels.gelu_tanh(flat)
        back = lambda g: kernels.gelu_tanh_backward(g, flat)  # noqa: E731
    else:
        out, cdf = kernels.gelu(flat)
        back = lambda g: kernels.gelu_backward(g, flat, cdf)  # noqa: E731

    def backward(g):
        return (back(np.ascontiguousarray(g, dtype=np.float32).reshape(-1)).reshape(x.shape),)
    return make(out.reshape(x.shape), (input,), backward, "GeluBackward0", saved=(input,))


def _sigmoid_array(x):
    """σ(x) as e / (1 + e) with e = exp(min(x, 30)): precise far into the negative side (where
    1 / (1 + exp(-x)) would round to 0), and σ(30) is 1 in both float dtypes (half computes in
    float32, where e^30 does not overflow)."""
    if x.dtype == np.float16:
        return _sigmoid_array(x.astype(np.float32)).astype(np.float16)
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(np.minimum(x, 30.0))
        d = e + 1.0
        e /= d
    return e


def _silu(input):
    def forward(x):
        fast = _pw.flat_kernel("silu", x)
        if fast:  # compiled (lamina/_accel): one pass each way
            flat = x.reshape(-1)
            out, d = fast(flat)
            back = _pw.flat_kernel("silu_backward", flat)
            return out.reshape(x.shape), lambda g: back(np.ascontiguousarray(g).reshape(-1), flat, d).reshape(x.shape)
        d = np.negative(x)
        np.exp(d, out=d)
        d += 1.0  # 1 + e^-x, kept for the backward

        def grad(g):
            s = np.reciprocal(d)  # σ(x)
            r = 1.0 - s
            r *= x
            r += 1.0
            r *= s
            r *= g
            return r
        return x / d, grad
    return _fused(input, "silu_cpu", "SiluBackward0", forward)


def silu(input, inplace=False):
    """x · sigmoid(x) (also called swish)."""
    return _maybe_inplace(_silu, input, inplace)


def _log1p_unit(e):
    """log1p(e) for e in [0, 1]. NumPy's float32 log1p is a scalar loop (65k elements: 980 us);
    float32 takes log(u) + (e - (u - 1)) / u with u = 1 + e (140 us): the second term puts back
    what rounding 1 + e lost, to first order, which leaves float32 precision."""
    if e.dtype != np.float32 or not e.ndim:
        return np.log1p(e)
    u = e + 1.0
    c = u - 1.0
    np.subtract(e, c, out=c)
    c /= u
    np.log(u, out=u)
    u += c
    return u


def _above(a, threshold):
    """Whether some element of `a` exceeds threshold (NaN does not: fmax skips it)."""
    return a.size and np.fmax.reduce(a, axis=None) > threshold


def _softplus_array(x, beta=1.0, threshold=20.0):
    """log(1 + e^(βx)) / β as max(βx, 0) + log1p(e^-|βx|) (NumPy's logaddexp(βx, 0), which is
    a scalar loop); x where βx > threshold. x has at least one dim."""
    bx = x * beta if beta != 1 else x
    e = np.abs(bx)
    np.negative(e, out=e)
    np.exp(e, out=e)
    soft = _log1p_unit(e)
    soft += _pw._max0(bx)
    if beta != 1:
        soft /= beta
    if not _above(bx, threshold):  # nothing on the linear side: the select is not needed
        return soft
    return _select(bx > threshold, x, soft)


def _mish(input):
    def forward(x):
        # tanh(softplus(x)) = n / (n + 2) with n = e^x (e^x + 2) (NumPy's tanh and logaddexp
        # cost four times as much); e^x is capped at e^20, past which the value is 1 in either
        # dtype (and n would overflow; half computes in float32 for that)
        xf = x.astype(np.float32) if x.dtype == np.float16 else x
        e = np.exp(np.minimum(xf, 20.0))  # kept for the backward
        n = e + 2.0
        n *= e
        t = n + 2.0
        np.divide(n, t, out=t)  # kept for the backward

        def grad(g):
            s = e + 1.0
            np.divide(e, s, out=s)  # σ(x)
            r = t * t
            np.subtract(1.0, r, out=r)
            r *= s
            r *= x
            r += t
            r *= g
            return r.astype(x.dtype, copy=False)
        return (xf * t).astype(x.dtype, copy=False), grad
    return _fused(input, "mish_cpu", "MishBackward0", forward)


def mish(input, inplace=False):
    """x · tanh(softplus(x))."""
    return _maybe_inplace(_mish, input, inplace)


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta · x)) / beta; linear where beta · x > threshold."""
    def forward(x):
        return _softplus_array(x, beta, threshold), lambda g: grad(g, x)

    def grad(g, x):
        bx = x * beta if beta != 1 else x
        d = _sigmoid_array(bx)
        d *= g
        if not _above(bx, threshold):
            return d
        return _select(bx > threshold, g, d)
    return _fused(input, "softplus_cpu", "SoftplusBackward0", forward)


def _hardsigmoid(input):
    def forward(x):
        h = x * (1.0 / 6)
        h += 0.5
        np.clip(h, 0, 1, out=h)
        return h, lambda g: grad(g, x)

    def grad(g, x):
        inside = x > -3
        inside &= x < 3
        d = np.multiply(inside, 1.0 / 6, dtype=x.dtype)
        d *= g
        return d
    return _fused(input, "hardsigmoid_cpu", "HardsigmoidBackward0", forward)


def hardsigmoid(input, inplace=False):
    """0 for x ≤ -3, 1 for x ≥ 3, x/6 + 1/2 between."""
    return _maybe_inplace(_hardsigmoid, input, inplace)


def _hardswish(input):
    def forward(x):
        h = x * (1.0 / 6)
        h += 0.5
        np.clip(h, 0, 1, out=h)
        h *= x
        return h, lambda g: grad(g, x)

    def grad(g, x):
        d = x * (1.0 / 3)
        d += 0.5
        # x ≤ -3 stops the gradient, x ≥ 3 (and NaN, as in PyTorch) passes it on: both rare,
        # so masked copies are cheap (np.where is slow only on unpredictable masks)
        np.copyto(d, 0.0, where=x <= -3)
        np.copyto(d, 1.0, where=~(x < 3))
        d *= g
        return d
    return _fused(input, "hardswish_cpu", "HardswishBackward0", forward)


def hardswish(input, inplace=False):
    """x · hardsigmoid(x)."""
    return _maybe_inplace(_hardswish, input, inplace)


def logsigmoid(input):
    """log(sigmoid(x)), computed as min(x, 0) - log1p(exp(-|x|)) so it never overflows."""
    def forward(x):
        e = np.abs(x)
        np.negative(e, out=e)
        np.exp(e, out=e)
        out = _fmin0(x)
        out -= _log1p_unit(e)
        return out, lambda g: g * _sigmoid_array(-x)
    return _fused(input, "log_sigmoid_cpu", "LogSigmoidBackward0", forward)


def softsign(input):
    """x / (1 + |x|)."""
    def fwd(x):
        return x / (1 + np.abs(x))

    def der(x, y):
        d = 1 + np.abs(x)
        return 1 / (d * d)
    return _elementwise(input, fwd, der, "DivBackward0", "softsign")


def tanhshrink(input):
    """x - tanh(x), composed of the two ops as in PyTorch (its half rounds tanh before the
    subtraction; an integer input gives a float result)."""
    from .arithmetic import sub
    return sub(input, _pw.tanh(input))


# ---- shrinkage and thresholds ----------------------------------------------------------------
def _outside_band(lambd):
    """The shrink functions' derivative: 1 outside [-lambd, lambd] (NaN included, as in PyTorch)."""
    def der(x, y):
        return (~((x >= -lambd) & (x <= lambd))).astype(x.dtype)
    return der


def softshrink(input, lambd=0.5):
    """x - λ for x > λ, x + λ for x < -λ, 0 between."""
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")

    def fwd(x):
        # x minus x clamped to the band: x - λ above it, x + λ below, 0 inside; NaN stays NaN
        return (x - np.clip(x, -lambd, lambd)).astype(x.dtype, copy=False)

    return _elementwise(input, fwd, _outside_band(lambd), "SoftshrinkBackward0", "softshrink_check")


def shrink_lambda(lambd, position):
    """hardshrink's λ as a Python number (a 0-d tensor gives its value), or PyTorch's TypeError."""
    if isinstance(lambd, Tensor) and lambd._data.ndim == 0:
        return lambd.item()
    if not isinstance(lambd, (bool, int, float, np.number)):
        raise TypeError(f"hardshrink(): argument 'lambd' (position {position}) must be Number, not "
                        f"{type(lambd).__name__}")
    return lambd


def hardshrink(input, lambd=0.5):
    """x where |x| > λ, else 0."""
    lambd = shrink_lambda(lambd, 2)

    def fwd(x):
        # +0 inside the band, as PyTorch (x times a 0/1 mask would give -0 for negative x);
        # NaN is outside: it stays NaN
        return np.where((x >= -lambd) & (x <= lambd), x.dtype.type(0), x)
    return _elementwise(input, fwd, _outside_band(lambd), "HardshrinkBackward0", "hardshrink_cpu")


def _threshold(input, threshold, value):
    x = input._data
    # PyTorch's test is `x <= threshold`: NaN keeps its value and its gradient
    below = x <= threshold
    if x.ndim and x.dtype.kind == "f":
        out = _select(below, np.full(x.shape, value, x.dtype), x)
    else:
        out = np.where(below, value, x).astype(x.dtype, copy=False)

    def backward(g):
        return (g * ~below,)
    return make(out, (input,), backward, "ThresholdBackward0", saved=(input,))


def threshold(input, threshold, value, inplace=False):
    """x where x > threshold, else value."""
    return _maybe_inplace(_threshold, input, inplace, threshold, value)


def threshold_(input, threshold, value):
    return _maybe_inplace(_threshold, input, True, threshold, value)


# ---- softmax family ---------------------------------------------------------------------------
def _implicit_dim(name, ndim, stacklevel):
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
                  "dim=X as an argument.", UserWarning, stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """exp(x_i) / Σ_j exp(x_j) along `dim`."""
    if dim is None:
        dim = _implicit_dim("softmax", input.ndim, _stacklevel)
    return _sm.softmax(input, dim, dtype=dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """log(softmax(x)) along `dim`, computed without forming softmax."""
    if dim is None:
        dim = _implicit_dim("log_softmax", input.ndim, _stacklevel)
    return _sm.log_softmax(input, dim, dtype=dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """softmax(-x) along `dim`."""
    if dim is None:
        dim = _implicit_dim("softmin", input.ndim, _stacklevel)
    from .arithmetic import neg
    if dtype is not None:
        from .conversion import to
        input = to(input, dtype)
    return _sm.softmax(neg(input), dim)


def glu(input, dim=-1):
    """a · sigmoid(b), where a and b are the two halves of the input along `dim`."""
    x = input._data
    if x.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = dim_arg(dim, x.ndim)
    n = x.shape[d]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {n}")
    a, b = np.split(x, 2, axis=d)
    s = _sigmoid_array(b)
    out = a * s

    def backward(g):
        return (np.concatenate((g * s, g * out * (1 - s)), axis=d),)
    return make(out, (input,), backward, "GluBackward0", saved=(input,))


def gumbel_softmax(logits, tau=1.0, hard=False, eps=1e-10, dim=-1):
    """Softmax of (logits + Gumbel noise) / tau; with hard=True a one-hot sample whose gradient
    is the soft sample's (straight-through)."""
    from ..random import rng
    from .arithmetic import add, div, sub
    x = logits._data
    noise = -np.log(rng().exponential(1.0, x.shape)).astype(x.dtype)
    y = _sm.softmax(div(add(logits, wrap(noise)), tau), dim)
    if not hard:
        return y
    d = dim_arg(dim, x.ndim)
    idx = y._data.argmax(axis=d)
    onehot = np.zeros_like(y._data)
    np.put_along_axis(onehot, np.expand_dims(idx, d), 1, axis=d)
    return add(sub(wrap(onehot), y.detach()), y)
