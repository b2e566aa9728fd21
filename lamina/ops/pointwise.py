"""Unary elementwise math (exp, log, sqrt, trig, tanh, sigmoid, relu, erf, ...), each forward
beside its backward. Integer and bool input computes in the default float dtype, as PyTorch does.
(NumPy's warnings for overflow, log(0) and the like are silenced for lamina's code in
arithmetic.py: PyTorch gives inf and nan without a word.)"""
from math import erf as _math_erf

import numpy as np

from .._accel import float32_kernels
from ._core import as_tensor, binary_operands, float_dtype_of, make, unbroadcast

__all__ = ["exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "sin", "cos", "tan",
           "asin", "acos", "atan", "arcsin", "arccos", "arctan", "sinh", "cosh", "asinh", "acosh", "atanh",
           "arcsinh", "arccosh", "arctanh", "tanh", "sigmoid", "relu", "floor", "ceil", "round", "trunc", "fix",
           "frac", "erf", "logit", "nan_to_num", "atan2", "arctan2"]
METHODS = list(__all__)
INPLACE = ["exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "sin", "cos", "tan",
           "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "tanh", "sigmoid", "relu",
           "floor", "ceil", "round", "trunc", "fix", "frac", "erf", "logit", "nan_to_num", "atan2"]

_LN2 = 0.6931471805599453
_LN10 = 2.302585092994046
_TWO_OVER_SQRT_PI = 1.1283791670955126


def _float(x):
    return x if x.dtype.kind == "f" else x.astype(float_dtype_of(x.dtype))


def _unary(name, forward, backward, uses="input"):
    """An op out = forward(x) with input gradient backward(g, x, out).

    `uses` names what backward reads ("input", "output" or "none") so that only that is checked
    for in-place changes. forward/backward may work in place on their own temporaries, so a 0-d
    input (whose arithmetic would give NumPy scalars) is worked on as shape (1,)."""
    save_in = uses == "input"
    save_out = uses == "output"
    saved = () if uses != "none" else None

    def op(input):
        x = input._data
        if x.dtype.kind != "f":
            x = x.astype(float_dtype_of(x.dtype))
        if not x.ndim:
            return _unary_0d(input, x, forward, backward, name)
        out = forward(x)

        def grad_fn(g):
            return (backward(g, x, out),)
        return make(out, (input,), grad_fn, name, saved=(input,) if save_in else saved, save_output=save_out)
    op.__name__ = op.__qualname__ = name[:-len("Backward0")].lower()
    return op


def _unary_0d(input, x, forward, backward, name):
    x = x.reshape(1)
    out = forward(x)

    def grad_fn(g):
        return (backward(g.reshape(1), x, out).reshape(()),)
    return make(out.reshape(()), (input,), grad_fn, name, saved=(input,))


_INT_OF = {np.dtype(np.float32): np.int32, np.dtype(np.float64): np.int64}


def select(mask, a, b):
    """np.where(mask, a, b) for a boolean mask and two float arrays of one shape and dtype, as
    bit operations: np.where branches on every element, which on a random mask costs five times
    as much (65k float32: 240 -> 47 us). Same values, bit for bit."""
    it = _INT_OF.get(a.dtype)
    if (it is None or not a.ndim or b.dtype != a.dtype or a.shape != b.shape or mask.shape != a.shape
            or not (a.flags.c_contiguous and b.flags.c_contiguous and mask.flags.c_contiguous)):
        return np.where(mask, a, b)
    bits = mask.view(np.uint8).astype(it)
    np.negative(bits, out=bits)  # all ones where mask holds
    ai, bi = a.view(it), b.view(it)
    out = np.bitwise_xor(ai, bi)
    out &= bits
    out ^= bi  # b ^ ((a ^ b) & bits): a where the bits are set, b elsewhere
    return out.view(a.dtype)


def flat_kernel(name, *arrays):
    """lamina/_accel's kernel `name` when every array is C-contiguous float32 of one shape (the
    elementwise kernels take them flat), else None."""
    fast = float32_kernels(*arrays)
    if fast is None:
        return None
    shape = arrays[0].shape
    for a in arrays:  # a loop, not any(genexpr): this runs in every step's ReLU
        if a.shape != shape:
            return None
    return getattr(fast, name)


def _exp(x):
    fast = flat_kernel("exp", x)
    if not fast:
        return np.exp(x)
    out = np.empty_like(x)
    fast(x.reshape(-1), out.reshape(-1))
    return out


# ---- exponentials and logarithms ------------------------------------------------------------
exp = _unary("ExpBackward0", _exp, lambda g, x, y: g * y, uses="output")
exp2 = _unary("Exp2Backward0", np.exp2, lambda g, x, y: g * y * _LN2, uses="output")
expm1 = _unary("Expm1Backward0", np.expm1, lambda g, x, y: g * (y + 1), uses="output")
log = _unary("LogBackward0", np.log, lambda g, x, y: g / x)
log2 = _unary("Log2Backward0", np.log2, lambda g, x, y: g / (x * _LN2))
log10 = _unary("Log10Backward0", np.log10, lambda g, x, y: g / (x * _LN10))
log1p = _unary("Log1PBackward0", np.log1p, lambda g, x, y: g / (x + 1))
sqrt = _unary("SqrtBackward0", np.sqrt, lambda g, x, y: g / (y + y), uses="output")


def _rsqrt(x):
    out = np.sqrt(x)
    return np.reciprocal(out, out=out)


rsqrt = _unary("RsqrtBackward0", _rsqrt, lambda g, x, y: g * (y * y * y) * -0.5, uses="output")

# ---- trigonometric and hyperbolic -----------------------------------------------------------
sin = _unary("SinBackward0", np.sin, lambda g, x, y: g * np.cos(x))
cos = _unary("CosBackward0", np.cos, lambda g, x, y: g * -np.sin(x))
tan = _unary("TanBackward0", np.tan, lambda g, x, y: g * (y * y + 1), uses="output")
asin = arcsin = _unary("AsinBackward0", np.arcsin, lambda g, x, y: g / np.sqrt(1 - x * x))
acos = arccos = _unary("AcosBackward0", np.arccos, lambda g, x, y: -g / np.sqrt(1 - x * x))
atan = arctan = _unary("AtanBackward0", np.arctan, lambda g, x, y: g / (x * x + 1))
sinh = _unary("SinhBackward0", np.sinh, lambda g, x, y: g * np.cosh(x))
cosh = _unary("CoshBackward0", np.cosh, lambda g, x, y: g * np.sinh(x))
asinh = arcsinh = _unary("AsinhBackward0", np.arcsinh, lambda g, x, y: g / np.sqrt(x * x + 1))
acosh = arccosh = _unary("AcoshBackward0", np.arccosh, lambda g, x, y: g / np.sqrt(x * x - 1))
atanh = arctanh = _unary("AtanhBackward0", np.arctanh, lambda g, x, y: g / (1 - x * x))


def _tanh_backward(g, x, y):
    d = y * y
    np.subtract(1, d, out=d)  # 1 − y², in place: one temporary for the whole backward
    d *= g
    return d


tanh = _unary("TanhBackward0", np.tanh, _tanh_backward, uses="output")


def _sigmoid(x):
    # 1 / (1 + e^−x); for x below about −88 (float32) e^−x is inf and the result 0, where the
    # true value is too small for the dtype anyway
    fast = flat_kernel("sigmoid", x)
    if fast:
        return fast(x.reshape(-1)).reshape(x.shape)
    out = np.negative(x)
    np.exp(out, out=out)
    out += 1
    return np.reciprocal(out, out=out)


def _sigmoid_backward(g, x, y):
    fast = flat_kernel("sigmoid_backward", g, y)
    if fast:
        return fast(g.reshape(-1), y.reshape(-1)).reshape(g.shape)
    d = 1 - y
    d *= y
    d *= g
    return d


sigmoid = _unary("SigmoidBackward0", _sigmoid, _sigmoid_backward, uses="output")


_ZEROS = {}           # (shape, dtype) -> read-only zeros of that shape, views of one buffer per dtype
_ZERO_BUFFERS = {}    # dtype -> flat zeros, grown on demand
_ZEROS_MAX = 1 << 20  # elements: beyond this the buffer would cost more memory than it saves time


def _zeros_of(x):
    """Read-only zeros of x's shape and float dtype (cached), or None when x is small or large."""
    zeros = _ZEROS.get((x.shape, x.dtype))
    if zeros is None:
        n = x.size
        if not (1024 <= n <= _ZEROS_MAX and x.dtype.kind == "f"):
            return None
        flat = _ZERO_BUFFERS.get(x.dtype)
        if flat is None or flat.size < n:
            flat = np.zeros(min(max(n, 2 * (0 if flat is None else flat.size)), _ZEROS_MAX), x.dtype)
            flat.flags.writeable = False
            _ZERO_BUFFERS[x.dtype] = flat
            _ZEROS.clear()  # views of the old buffer
        if len(_ZEROS) > 64:
            _ZEROS.clear()
        zeros = _ZEROS[(x.shape, x.dtype)] = flat[:n].reshape(x.shape)
    return zeros


def _max0(x):
    """max(x, 0). NumPy's maximum against a scalar runs a loop that is not vectorised (at 32k
    float32 elements three times slower than against an array of zeros); same values. Large
    float32 arrays take the compiled kernel, which reads no zeros (573 against 353 µs on a CNN's
    (64, 32, 28, 28); below about 64k elements its call costs more than it saves)."""
    if x.size >= 65536:
        fast = flat_kernel("relu", x)
        if fast:
            return fast(x.reshape(-1)).reshape(x.shape)
    # zeros first: for equal operands NumPy returns the first, and PyTorch's relu keeps -0.0
    zeros = _zeros_of(x)
    if zeros is not None and x.flags.c_contiguous:  # the output takes x's layout, as np.maximum(0, x)
        return np.maximum(zeros, x)
    return np.maximum(0, x)  # 0 is a weak scalar: float32 stays float32, ints stay ints


def fmin0(x):
    """fmin(x, 0): min(x, 0), and 0 where x is NaN; vectorised as _max0 is."""
    zeros = _zeros_of(x)
    if zeros is not None and x.flags.c_contiguous:
        return np.fmin(x, zeros)
    return np.fmin(x, 0)


def relu(input):
    """out = max(input, 0); the gradient is 0 where out is 0 and passes through elsewhere, NaN
    included, as in PyTorch (out is never negative, so `out != 0` is "not out <= 0")."""
    x = input._data
    if x.dtype == np.bool_:
        raise RuntimeError("Boolean inputs not supported for relu")
    out = _max0(x)

    def backward(g):
        return (relu_grad(g, out),)
    return make(out, (input,), backward, "ReluBackward0", saved=(), save_output=True)


def relu_grad(g, out):
    """ReLU's input gradient: g where the output is not 0, else 0. One compiled pass for float32
    (1317 against 630 µs on (64, 32, 28, 28), 3.8 against 2.3 µs on (32, 128))."""
    fast = flat_kernel("relu_backward", g, out)
    if fast:
        return fast(g.reshape(-1), out.reshape(-1)).reshape(g.shape)
    return g * (out != 0)


# ---- rounding (zero gradient; integer input is returned unchanged) --------------------------

def _rounding(name, fn):
    kernel = name[:-len("Backward0")].lower() + "_vml_cpu"

    def op(input):
        x = input._data
        if x.dtype == np.bool_:
            raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")
        out = x.copy() if x.dtype.kind in "iu" else fn(x)

        def backward(g):
            return (np.zeros_like(g),)
        return make(out, (input,), backward, name)
    op.__name__ = op.__qualname__ = name[:-len("Backward0")].lower()
    return op


floor = _rounding("FloorBackward0", np.floor)
ceil = _rounding("CeilBackward0", np.ceil)
trunc = fix = _rounding("TruncBackward0", np.trunc)
_round_half_even = _rounding("RoundBackward0", np.round)


def round(input, *, decimals=0):
    """Round half to even; with `decimals`, to that many decimal places (negative: tens, ...)."""
    if decimals == 0:
        return _round_half_even(input)
    x = input._data
    if x.dtype.kind != "f":
        raise NotImplementedError(f"\"round_cpu\" not implemented for '{_type_name(x.dtype)}'")
    if decimals > 0:
        scale = 10.0 ** decimals
        out = np.round(x * scale) / scale
    else:
        scale = 10.0 ** -decimals
        out = np.round(x / scale) * scale

    def backward(g):
        return (np.zeros_like(g),)
    return make(out, (input,), backward, "RoundBackward1")


def frac(input):
    """out = input − trunc(input); d/d input = 1."""
    x = input._data
    if x.dtype.kind != "f":
        raise NotImplementedError(f"\"frac_cpu\" not implemented for '{_type_name(x.dtype)}'")

    def backward(g):
        return (g,)
    return make(x - np.trunc(x), (input,), backward, "FracBackward0")


def _type_name(dt):
    from .arithmetic import type_name
    return type_name(dt)


# ---- erf ------------------------------------------------------------------------------------
# erf without SciPy. For |x| < 2, erf(x) = x·P(t) with t = x²/2 − 1; for |x| ≥ 2,
# erf(x) = sign(x)·(1 − e^(−x²)·Q(t)/|x|) with t = 6/|x| − 2 and |x| capped at 6 (erf is ±1 in
# float64 beyond). P and Q are polynomial forms of the Chebyshev interpolants (on t ∈ [−1, 1]) of
# erf(x)/x and x·e^(x²)·erfc(x), fitted to 50-digit values; truncated where the next term is
# below 1e−18 (float64: at most 2 ulp from the true erf) or 2e−9 (float32, ~1.5 ulp).
_ERF_P64 = (0.674933236039655, -0.2611118609312454, 0.11947913860985186, -0.04866277744915503,
            0.017128344571816653, -0.005234875836158878, 0.001405091423652028, -0.00033514353352396425,
            7.180100843849609e-05, -1.3946273745435833e-05, 2.4758020496978075e-06,
            -4.0450946099912016e-07, 6.119567714146862e-08, -8.617701483059107e-09, 1.1348248891775e-09,
            -1.4013463829861674e-10, 1.6331415164389115e-11, -1.8923035835006617e-12,
            1.9723520410355402e-13)
_ERF_Q64 = (0.5370034535441699, -0.023826556739807003, -0.0032048013171039383, 0.0009059268985119749,
            -7.918369000299702e-05, -1.2430256384808611e-05, 5.915637396848959e-06, -1.0172708866270945e-06,
            1.1240279703132738e-08, 4.794001875218516e-08, -1.5840737523869468e-08, 2.534911857344601e-09,
            7.347343847850659e-11, -1.8575800947092402e-10, 6.473934995932713e-11, -1.2851841757247554e-11,
            2.6700569351326027e-13, 1.1363830502405498e-12, -3.609318170990576e-13)
_ERF_P32 = (0.6749332360079201, -0.261111865558584, 0.11947914089098077, -0.04866268513260502,
            0.017128318020334522, -0.0052353908814721396, 0.0014052043164093965, -0.0003339735948940198,
            7.158454616611712e-05, -1.510169992011736e-05, 2.665988655139148e-06)
_ERF_Q32 = (0.5370034537305782, -0.023826558614922333, -0.003204806740590586, 0.0009059517566688285,
            -7.916110297839682e-05, -1.2518861408797451e-05, 5.894071091009369e-06, -9.015838503244881e-07)


def _horner(t, coeffs):
    r = t * coeffs[-1]
    r += coeffs[-2]
    for c in coeffs[-3::-1]:
        r *= t
        r += c
    return r


def erf_array(x):
    """erf of a float ndarray, in its dtype (float16 computes in float32)."""
    if x.dtype == np.float16:
        return erf_array(x.astype(np.float32)).astype(np.float16)
    p, q = (_ERF_P64, _ERF_Q64) if x.dtype == np.float64 else (_ERF_P32, _ERF_Q32)
    # the series for |x| < 2 runs over every element (cheaper than gathering the small ones
    # out and scattering them back: 65k float32, 1070 -> 510 us), then the few big ones are
    # overwritten; NaN is not big: it flows through the series as NaN
    if not x.flags.c_contiguous:  # the flat indices below address x and out alike
        x = np.ascontiguousarray(x)
    with np.errstate(over="ignore", invalid="ignore"):
        t = x * x
        t *= 0.5
        t -= 1.0
        out = _horner(t, p)
        out *= x
    if not out.ndim:
        out = np.asarray(out)
    big = np.flatnonzero(t >= 1.0)  # |x| ≥ 2, exactly: x² < 4 for every float below 2
    if 0 < big.size <= 16:
        # a few tail values (GELU's inputs beyond ±2.8σ): the C library's erf on each, rounded
        # to the dtype, costs less than the ~25 NumPy calls of the formula below
        flat = out.reshape(-1)
        flat[big] = [_math_erf(v) for v in x.reshape(-1)[big].tolist()]
    elif big.size:
        xb = x.reshape(-1)[big]
        a = np.minimum(np.abs(xb), 6.0)
        out.reshape(-1)[big] = np.copysign(1.0 - np.exp(-a * a) * _horner(6.0 / a - 2.0, q) / a, xb)
    return out


erf = _unary("ErfBackward0", erf_array, lambda g, x, y: g * (np.exp(-x * x) * _TWO_OVER_SQRT_PI))


# ---- others ---------------------------------------------------------------------------------

def logit(input, eps=None):
    """out = log(z / (1 − z)) with z = input clamped to [eps, 1 − eps] when eps is given."""
    x = _float(input._data)
    z = np.clip(x, eps, 1 - eps) if eps is not None else x
    out = np.log(z / (1 - z))

    def backward(g):
        d = g / (x * (1 - x))
        if eps is not None:
            d = np.where((x < eps) | (x > 1 - eps), 0.0, d).astype(g.dtype, copy=False)
        return (d,)
    return make(out, (input,), backward, "LogitBackward0", saved=(input,))


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """NaN → nan, +inf → posinf, −inf → neginf (defaults: the dtype's largest finite values)."""
    x = input._data
    out = np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf) if x.dtype.kind == "f" else x.copy()

    def backward(g):
        return (g * np.isfinite(x),)
    return make(out, (input,), backward, "NanToNumBackward0", saved=(input,))


def atan2(input, other):
    """out = atan2(input, other), the angle of the point (other, input), broadcast."""
    other = as_tensor(other, input)
    y, x, _ = binary_operands(input, other)
    y, x = _float(y), _float(x)
    out = np.arctan2(y, x)

    def backward(g):
        s = g / (x * x + y * y)
        return (unbroadcast(s * x, input._data.shape) if input._requires_grad else None,
                unbroadcast(-s * y, other._data.shape) if other._requires_grad else None)
    return make(out, (input, other), backward, "Atan2Backward0", saved=(input, other))


arctan2 = atan2
