"""Elementwise special functions: erfc, erfinv, lgamma, digamma, polygamma, mvlgamma, i0, sinc,
xlogy, hypot, heaviside, logaddexp2, float_power, copysign, nextafter, ldexp, gcd, lcm, frexp; and
for torch.special only: ndtri, entr, xlog1py, i0e, i1, i1e, erfcx, log_ndtr.

Without SciPy: the gamma, error and Bessel families are computed in float64 (float32 input is
rounded back at the end) from series, Chebyshev fits to 40-digit values and a Halley step for the
inverses, accurate to a few ulp of float64 away from the zeros of lgamma and digamma. trigamma
(polygamma(1, x), the gradient of digamma) follows PyTorch's own truncated series, so it agrees
with PyTorch's values rather than being more accurate than them.

The float64 array kernels live in _special_kernels (shared helpers, the error-function and
Bessel families) and _special_gamma_kernels (log Γ, ψ, ψ', Hurwitz ζ, ψ^(n)); this module
turns them into differentiable ops and holds the binary ops."""
import numpy as np

from .._dtype import float64
from ..tensor import Tensor
from ._core import as_tensor, binary_operands, float_dtype_of, make, unbroadcast, wrap
from ._special_gamma_kernels import (_hurwitz_zeta, digamma_array, gammainc_array, lgamma_array,  # noqa: F401
                                     polygamma_array, trigamma_array)
from ._special_kernels import (_LN2, _LOG_PI, _PI, _SQRT_PI, _in64, _ndtri, erfc_array,  # noqa: F401
                               erfcinv_array, erfcx_array, erfinv_array, i0_array, i0e_array, i1_array,
                               i1e_array, log_ndtr_array)
from .arithmetic import type_name
from .pointwise import _unary
from .reduction import return_type

__all__ = ["erfc", "erfinv", "lgamma", "digamma", "polygamma", "mvlgamma", "i0", "sinc", "xlogy", "hypot",
           "heaviside", "logaddexp2", "float_power", "copysign", "nextafter", "ldexp", "gcd", "lcm", "frexp",
           "igamma", "igammac"]
METHODS = ["erfc", "erfinv", "lgamma", "digamma", "mvlgamma", "i0", "sinc", "xlogy", "hypot", "heaviside",
           "logaddexp2", "float_power", "copysign", "nextafter", "ldexp", "gcd", "lcm", "frexp", "igamma", "igammac",
           ("polygamma", lambda self, n: polygamma(n, self))]
INPLACE = ["erfc", "erfinv", "lgamma", "digamma", "mvlgamma", "i0", "sinc", "xlogy", "hypot", "heaviside",
           "copysign", "nextafter", "ldexp", "gcd", "lcm", "igamma", "igammac",
           ("polygamma_", lambda self, n: _inplace(self, lambda t: polygamma(n, t))),
           ("float_power_", lambda self, exponent: _float_power_(self, exponent))]


# ---- erfc, erfinv, ndtri, entr ------------------------------------------------------------

erfc = _unary("ErfcBackward0", _in64(erfc_array), lambda g, x, y: g * (np.exp(-x * x) * (-2.0 / _SQRT_PI)))

erfinv = _unary("ErfinvBackward0", _in64(erfinv_array),
                lambda g, x, y: g * ((0.5 * _SQRT_PI) * np.exp(y.astype(np.float64) ** 2)).astype(y.dtype),
                uses="output")

ndtri = _unary("SpecialNdtriBackward0", _in64(_ndtri),
               lambda g, x, y: g * (2.5066282746310002 * np.exp(0.5 * y.astype(np.float64) ** 2)).astype(y.dtype),
               uses="output")
ndtri.__doc__ = "The inverse of the standard normal CDF: x with Φ(x) = p (−inf at 0, inf at 1)."


def _entr(x):
    with np.errstate(divide="ignore", invalid="ignore"):
        edge = np.where(x == 0, 0.0, np.where(np.isnan(x), x, -np.inf))
        return np.where(x > 0, -x * np.log(x), edge).astype(x.dtype, copy=False)


def _entr_backward(g, x, y):
    with np.errstate(divide="ignore"):
        return g * -(np.log(x) + 1.0)


entr = _unary("SpecialEntrBackward0", _entr, _entr_backward)
entr.__doc__ = "Elementwise entropy: −x ln x for x > 0, 0 at 0, −inf below (NaN stays NaN)."


# ---- lgamma, digamma, polygamma, mvlgamma, zeta ---------------------------------------------

lgamma = _unary("LgammaBackward0", _in64(lgamma_array), lambda g, x, y: g * _in64(digamma_array)(x))
digamma = _unary("DigammaBackward0", _in64(digamma_array), lambda g, x, y: g * trigamma_array(x))


def _float_input(input):
    x = input._data
    return x if x.dtype.kind == "f" else x.astype(float_dtype_of(x.dtype))


def polygamma(n, input):
    """ψ^(n)(input), the n-th derivative of the digamma function (n = 0: digamma itself)."""
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    x = _float_input(input)
    xx = x if x.ndim else x.reshape(1)
    out = polygamma_array(n, xx).reshape(x.shape)

    def backward(g):
        return (g * polygamma_array(n + 1, xx).reshape(x.shape),)
    return make(out, (input,), backward, "PolygammaBackward0", saved=(input,))


def mvlgamma(input, p):
    """The multivariate log-gamma function of dimension p:
    log Γ_p(x) = p(p−1)/4 · log π + Σ_{j<p} log Γ(x − j/2), defined for x > (p − 1)/2 (like
    PyTorch 2.13, smaller x is not refused: the sum of log |Γ| is returned)."""
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    x = _float_input(input)
    shifted = x.astype(np.float64)[..., None] - 0.5 * np.arange(p)
    out = (lgamma_array(shifted).sum(-1) + p * (p - 1) * 0.25 * _LOG_PI).astype(x.dtype)

    def backward(g):
        return (g * digamma_array(shifted).sum(-1).astype(x.dtype),)
    return make(out, (input,), backward, "MvlgammaBackward0", saved=(input,))


def zeta(input, other):
    """The Hurwitz zeta function ζ(x, q) = Σ_k (q + k)^−x, broadcast (torch.special.zeta). Only q
    has a gradient, −x ζ(x + 1, q), as in PyTorch."""
    input, other, x, q, dt = _pair("zeta", input, other)
    out = _hurwitz_zeta(x, q.astype(np.float64)).astype(dt, copy=False)

    def backward(g):
        if input._requires_grad:
            raise RuntimeError("the derivative for 'zeta' is not implemented.")
        return None, unbroadcast(g * (-x * _hurwitz_zeta(x + 1.0, q.astype(np.float64))).astype(dt, copy=False),
                                 other._data.shape).astype(other._data.dtype, copy=False)
    return make(out, (input, other), backward, "SpecialZetaBackward0", saved=(input, other))


def _incomplete_gamma(name, upper):
    """igamma (P(a, x), torch.special.gammainc) or igammac (Q = 1 - P, gammaincc), computed in
    float64. Only x has a gradient, ±x^(a-1) e^(-x) / Γ(a), as in PyTorch."""
    def op(input, other):
        input, other, a, x, dt = _pair(name, input, other,
                                       floats_only=f"{name}_cpu" if not (_is_float(input) or _is_float(other)) else None)
        with np.errstate(invalid="ignore", divide="ignore"):
            p = gammainc_array(a, x)
            # P is undefined for a < 0, x < 0 and at (0, 0); P(0, x > 0) is 1
            p = np.where((a < 0) | (x < 0) | ((a == 0) & (x == 0)), np.nan, np.where(a == 0, 1.0, p))
        out = (1.0 - p if upper else p).astype(dt, copy=False)

        def backward(g):
            if input._requires_grad:
                raise NotImplementedError(f"the derivative for '{name}: input' is not implemented.")
            with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
                a64, x64 = a.astype(np.float64), x.astype(np.float64)
                density = np.exp((a64 - 1.0) * np.log(x64) - x64 - lgamma_array(a64))
            gx = g * (-density if upper else density).astype(dt, copy=False)
            return None, unbroadcast(gx, other._data.shape).astype(other._data.dtype, copy=False)
        return make(out, (input, other), backward, f"{name.capitalize()}Backward0", saved=(input, other))
    op.__name__ = op.__qualname__ = name
    op.__doc__ = (f"The regularised {'upper' if upper else 'lower'} incomplete gamma function "
                  f"{'Q' if upper else 'P'}(input, other), broadcast.")
    return op


def _is_float(t):
    return (t._data.dtype.kind == "f") if isinstance(t, Tensor) else isinstance(t, float)


igamma = _incomplete_gamma("igamma", upper=False)
igammac = _incomplete_gamma("igammac", upper=True)


# ---- i0, i1, i0e, i1e, erfcx, log_ndtr, sinc -----------------------------------------------

def _i1_backward(g, x, y):
    # I1' = I0 − I1/x, which tends to 1/2 at 0
    with np.errstate(invalid="ignore", divide="ignore"):
        d = _in64(i0_array)(x) - _in64(i1_array)(x) / x
    return g * np.where(x == 0, 0.5, d).astype(x.dtype, copy=False)


def _i1e_backward(g, x, y):
    with np.errstate(invalid="ignore", divide="ignore"):
        d = _in64(i0e_array)(x) - _in64(i1e_array)(x) * (np.sign(x) + 1.0 / x)
    return g * np.where(x == 0, 0.5, d).astype(x.dtype, copy=False)


# (the backward passes recompute from the input rather than read the output, which may have
# been changed in place since)
i1 = _unary("SpecialI1Backward0", _in64(i1_array), _i1_backward)
i0e = _unary("SpecialI0EBackward0", _in64(i0e_array),
             lambda g, x, y: g * (_in64(i1e_array)(x) - np.sign(x) * _in64(i0e_array)(x)))
i1e = _unary("SpecialI1EBackward0", _in64(i1e_array), _i1e_backward)
i1.__doc__ = "The modified Bessel function of the first kind of order 1, I1(x)."
i0e.__doc__ = "The exponentially scaled I0: e^(−|x|) I0(x)."
i1e.__doc__ = "The exponentially scaled I1: e^(−|x|) I1(x)."


erfcx = _unary("SpecialErfcxBackward0", _in64(erfcx_array),
               lambda g, x, y: g * (2.0 * x * _in64(erfcx_array)(x) - 2.0 / _SQRT_PI))
erfcx.__doc__ = "The scaled complementary error function e^(x²) erfc(x)."

log_ndtr = _unary("SpecialLogNdtrBackward0", _in64(log_ndtr_array),
                  lambda g, x, y: g * (np.exp(-0.5 * x * x - _in64(log_ndtr_array)(x)) * 0.3989422804014327))
log_ndtr.__doc__ = "log Φ(x), the log of the standard normal CDF, accurate far into both tails."

i0 = _unary("I0Backward0", _in64(i0_array), lambda g, x, y: g * _in64(i1_array)(x))


def _sinc(x):
    y = x * _PI
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(x == 0, 1.0, np.sin(y) / y).astype(x.dtype, copy=False)


def _sinc_backward(g, x, out):
    y = x * _PI
    with np.errstate(invalid="ignore", divide="ignore"):
        d = (y * np.cos(y) - np.sin(y)) / (y * x)
    return g * np.where(x == 0, 0.0, d).astype(x.dtype, copy=False)


sinc = _unary("SincBackward0", _sinc, _sinc_backward)


# ---- binary ops -----------------------------------------------------------------------------

def _pair(name, input, other, tensors_only=False, floats_only=None):
    """(input, other, x, y, dtype) for a binary op: Python scalars lifted, PyTorch's promotion,
    integers and bools computed in the default float dtype unless `floats_only` names the kernel
    that refuses them."""
    if tensors_only and not isinstance(other, Tensor):
        raise TypeError(f"{name}(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")
    if not isinstance(input, Tensor):
        input = as_tensor(input, other)
    other = as_tensor(other, input)
    x, y, dt = binary_operands(input, other)
    if dt.kind != "f":
        if floats_only:
            raise NotImplementedError(f"\"{floats_only}\" not implemented for '{type_name(dt)}'")
        dt = float_dtype_of(dt)
        x, y = x.astype(dt), y.astype(dt)
    return input, other, np.asarray(x), np.asarray(y), dt


def _grads(input, other, gx, gy):
    """Un-broadcast and cast the two gradients, computing only those that are wanted."""
    return (unbroadcast(gx(), input._data.shape).astype(input._data.dtype, copy=False)
            if input._requires_grad else None,
            unbroadcast(gy(), other._data.shape).astype(other._data.dtype, copy=False)
            if other._requires_grad else None)


def _xlog(name, log, dlog, edge):
    def op(input, other):
        input, other, x, y, dt = _pair(name, input, other)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.where((x == 0) & ~np.isnan(y), 0.0, x * log(y)).astype(dt, copy=False)

        def backward(g):
            # PyTorch's rule: d/dx = xlogy(g, y), set to 0 where x is 0 and y is at or past the
            # log's pole (so not 0 wherever x is 0)
            def gx():
                with np.errstate(divide="ignore", invalid="ignore"):
                    d = np.where((g == 0) & ~np.isnan(y), 0.0, g * log(y))
                    return np.where((x == 0) & (y <= edge), 0.0, d).astype(dt, copy=False)
            with np.errstate(divide="ignore", invalid="ignore"):
                return _grads(input, other, gx, lambda: g * x * dlog(y))
        return make(out, (input, other), backward, name.title().replace("_", "") + "Backward0",
                    saved=(input, other))
    op.__name__ = op.__qualname__ = name
    return op


xlogy = _xlog("xlogy", np.log, np.reciprocal, 0.0)
xlog1py = _xlog("xlog1py", np.log1p, lambda y: 1.0 / (1.0 + y), -1.0)
xlogy.__doc__ = "out = input · log(other), and 0 where input is 0 (unless other is NaN)."
xlog1py.__doc__ = "out = input · log1p(other), and 0 where input is 0 (unless other is NaN)."


def hypot(input, other):
    """out = √(input² + other²), without overflow in the squares."""
    input, other, x, y, dt = _pair("hypot", input, other, tensors_only=True, floats_only="hypot_cpu")
    out = np.hypot(x, y)

    def backward(g):
        with np.errstate(divide="ignore", invalid="ignore"):
            return _grads(input, other, lambda: g * x / out, lambda: g * y / out)
    return make(out, (input, other), backward, "HypotBackward0", saved=(input, other), save_output=True)


def heaviside(input, values):
    """The step function: 0 where input < 0, `values` where input == 0, 1 where input > 0."""
    if not isinstance(values, Tensor):
        raise TypeError(f"heaviside(): argument 'values' (position 2) must be Tensor, not {type(values).__name__}")
    x, v = input._data, values._data
    if x.dtype != v.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    out = np.where(x == 0, v, x > 0).astype(x.dtype, copy=False)
    return make(out, (), None, "")


def logaddexp2(input, other):
    """out = log2(2^input + 2^other), without overflow."""
    input, other, x, y, dt = _pair("logaddexp2", input, other, floats_only="logaddexp2_cpu")
    with np.errstate(invalid="ignore"):
        m = np.maximum(x, y)
        out = np.where(np.isinf(x) & (x == y), x, m + np.log1p(np.exp2(-np.abs(x - y))) / _LN2)

    def backward(g):
        with np.errstate(over="ignore"):
            return _grads(input, other, lambda: g / (1.0 + np.exp2(y - x)), lambda: g / (1.0 + np.exp2(x - y)))
    return make(out.astype(dt, copy=False), (input, other), backward, "Logaddexp2Backward0", saved=(input, other))


def float_power(input, exponent):
    """input ** exponent computed in float64 (the result is always float64)."""
    from .arithmetic import pow
    from .conversion import to

    def double(t):
        if isinstance(t, Tensor):
            return t if t._data.dtype == np.float64 else to(t, dtype=float64)
        return float(t)
    return pow(double(input), double(exponent))


def _float_power_(self, exponent):
    if self._data.dtype != np.float64:
        raise RuntimeError(f"the base given to float_power_ has dtype {type_name(self._data.dtype)} but the "
                           "operation's result requires dtype Double")
    return _inplace(self, lambda t: float_power(t, exponent))


def _inplace(self, fn):
    from .inplace import apply_inplace
    return apply_inplace(self, fn)


def copysign(input, other):
    """|input| with the sign of `other` (negative zero counts as negative)."""
    input, other, x, y, dt = _pair("copysign", input, other)
    out = np.copysign(x, y)

    def backward(g):
        with np.errstate(invalid="ignore", divide="ignore"):
            return _grads(input, other, lambda: g * np.where(x == 0, 0.0, out / x).astype(dt, copy=False),
                          lambda: np.zeros_like(g))
    return make(out, (input, other), backward, "CopysignBackward0", saved=(input, other), save_output=True)


def nextafter(input, other):
    """The next floating-point value after input in the direction of other."""
    input, other, x, y, dt = _pair("nextafter", input, other, tensors_only=True, floats_only="nextafter_cpu")
    return make(np.nextafter(x, y), (), None, "")


def ldexp(input, other):
    """out = input · 2^other.

    The input's gradient is g · 2^other computed in other's dtype, as PyTorch does: for an
    integer `other` a negative power is then 0 (PyTorch's integer power), and so is that gradient."""
    input, other, x, e, dt = _pair("ldexp", input, other)
    ed = other._data
    if ed.dtype == np.bool_:
        raise NotImplementedError("\"ldexp_cpu_exp\" not implemented for 'Bool'")
    scale = np.exp2(e)
    out = x * scale

    def backward(g):
        def gx():
            if ed.dtype.kind in "iu":
                from .arithmetic import _int_power
                return g * _int_power(np.asarray(2, ed.dtype), ed)
            return g * scale
        return _grads(input, other, gx, lambda: g * out * _LN2)
    return make(out, (input, other), backward, "LdexpBackward0", saved=(input, other), save_output=True)


def _integer_op(name, fn):
    def op(input, other):
        if not isinstance(other, Tensor):
            raise TypeError(f"{name}(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")
        x, y, dt = binary_operands(input, other)
        if dt.kind not in "iu":
            raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{type_name(dt)}'")
        return make(np.asarray(fn(x, y)).astype(dt, copy=False), (), None, "")
    op.__name__ = op.__qualname__ = name
    return op


gcd = _integer_op("gcd", np.gcd)
lcm = _integer_op("lcm", np.lcm)
gcd.__doc__ = "The greatest common divisor, elementwise (non-negative; gcd(0, 0) = 0)."
lcm.__doc__ = "The least common multiple, elementwise (non-negative; 0 if either is 0)."

_frexp_type = return_type("frexp", ("mantissa", "exponent"))


def frexp(input):
    """(mantissa, exponent) with input = mantissa · 2^exponent and 0.5 ≤ |mantissa| < 1."""
    x = input._data
    if x.dtype.kind != "f":
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    mantissa, exponent = np.frexp(x)
    exponent = np.asarray(exponent, dtype=np.int32)

    def backward(g):
        with np.errstate(over="ignore"):  # a huge gradient for a subnormal input is inf, as in PyTorch
            return (np.ldexp(g, -exponent),)
    return _frexp_type(make(np.asarray(mantissa), (input,), backward, "FrexpBackward0"), wrap(exponent))
