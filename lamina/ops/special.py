"""Elementwise special functions: erfc, erfinv, lgamma, digamma, polygamma, mvlgamma, i0, sinc,
xlogy, hypot, heaviside, logaddexp2, float_power, copysign, nextafter, ldexp, gcd, lcm, frexp.

Without SciPy: the gamma family, erfc and erfinv are computed in float64 from series, Chebyshev
fits and Newton–Halley refinement (float32 input is rounded back at the end), accurate to a few
ulp of float64 away from the zeros of lgamma and digamma. trigamma (polygamma(1, x), the
gradient of digamma) follows PyTorch's own truncated series, so it agrees with PyTorch's values
rather than being more accurate than them."""
import math

import numpy as np

from ..tensor import Tensor
from ._core import as_tensor, binary_operands, float_dtype_of, make, unbroadcast, wrap
from .arithmetic import type_name
from .pointwise import _unary, erf_array
from .reduction import return_type

__all__ = ["erfc", "erfinv", "lgamma", "digamma", "polygamma", "mvlgamma", "i0", "sinc", "xlogy", "hypot",
           "heaviside", "logaddexp2", "float_power", "copysign", "nextafter", "ldexp", "gcd", "lcm", "frexp"]
METHODS = ["erfc", "erfinv", "lgamma", "digamma", "mvlgamma", "i0", "sinc", "xlogy", "hypot", "heaviside",
           "logaddexp2", "float_power", "copysign", "nextafter", "ldexp", "gcd", "lcm", "frexp",
           ("polygamma", lambda self, n: polygamma(n, self))]
INPLACE = ["erfc", "erfinv", "lgamma", "digamma", "mvlgamma", "i0", "sinc", "xlogy", "hypot", "heaviside",
           "copysign", "nextafter", "ldexp", "gcd", "lcm",
           ("polygamma_", lambda self, n: _inplace(self, lambda t: polygamma(n, t))),
           ("float_power_", lambda self, exponent: _float_power_(self, exponent))]

_PI = 3.141592653589793
_SQRT_PI = 1.7724538509055159
_LOG_SQRT_2PI = 0.9189385332046728
_LOG_PI = 1.1447298858494002
_LN2 = 0.6931471805599453


def _in64(fn):
    """fn computed in float64 and rounded back to the input's float dtype."""
    def run(x):
        return fn(x.astype(np.float64)).astype(x.dtype, copy=False)
    return run


def _clenshaw(t, c):
    """Σ c_k T_k(t) for t in [−1, 1]."""
    b1 = np.zeros_like(t)
    b2 = np.zeros_like(t)
    t2 = t + t
    for ck in c[:0:-1]:
        b1, b2 = t2 * b1 - b2 + ck, b1
    return t * b1 - b2 + c[0]


# ---- erfc, erfinv ---------------------------------------------------------------------------
# erfc(x) = e^(−x²) F(x) / x for x ≥ 0.5 with F(x) = x e^(x²) erfc(x), which is smooth and tends
# to 1/√π. Chebyshev coefficients of F fitted to 40-digit values: on x ∈ [0.5, 2.5], and on
# x ≥ 2.5 as a function of u = 1/x ∈ (0, 0.4]; dropped terms are below 1e−18.
_ERFC_NEAR = (0.4520318271542131, 0.10030444073170444, -0.03237702181630116, 0.008791925685790625,
              -0.00212404612423769, 0.0004696475230393984, -9.666792498279884e-05, 1.8732973375848727e-05,
              -3.44553035803876e-06, 6.051602002056033e-07, -1.0197896309420178e-07, 1.6551349165583992e-08,
              -2.5953826330481342e-09, 3.942362030884198e-10, -5.813940886760738e-11, 8.340299864004026e-12,
              -1.1657894966793967e-12, 1.5901162823794254e-13, -2.1192311793895396e-14, 2.7629837431467116e-15,
              -3.5276661732217545e-16, 4.414898021197445e-17, -5.420697495733932e-18, 6.534849444934611e-19)
_ERFC_FAR = (0.5495480779807944, -0.018976192136099374, -0.003960769171742404, 0.00039662774438071823,
             1.491425953822379e-05, -7.3582811615757165e-06, 5.478078540610374e-07, 8.462658416197452e-08,
             -2.448994306508913e-08, 1.4692589747850094e-09, 4.5721805568393864e-10, -1.2334756683833423e-10,
             7.415729197160827e-12, 2.8776055172777517e-12, -8.482764186613106e-13, 6.554142204145574e-14,
             2.0180703911951055e-14, -7.304988179637257e-15, 8.0702098981946195e-16, 1.405609276191008e-16,
             -7.277463658415374e-17, 1.154230369841877e-17, 6.708239602924598e-19)


def _exp_minus_square(a):
    """e^(−a²) without the rounding error of a² (which e^ would blow up ~700-fold near a = 26):
    a = h + l with h on a 2^−12 grid, so h² is exact and e^(−a²) = e^(−h²) e^(−l(a + h))."""
    a = np.minimum(a, 30.0)  # e^(−900) is 0 in float64 already
    h = np.round(a * 4096.0) / 4096.0
    return np.exp(-h * h) * np.exp(-(a - h) * (a + h))


def _erfc_tail(a):
    """erfc(a) for float64 a ≥ 0.5 (inf included)."""
    near = a < 2.5
    f = np.empty_like(a)
    an = a[near]
    f[near] = _clenshaw(an - 1.5, _ERFC_NEAR)
    u = 1.0 / a[~near]
    f[~near] = _clenshaw(u * 5.0 - 1.0, _ERFC_FAR)
    with np.errstate(invalid="ignore"):
        return np.where(np.isinf(a), 0.0, _exp_minus_square(a) * f / a)


def erfc_array(x):
    """erfc of a float64 ndarray."""
    a = np.abs(x)
    big = a >= 0.5  # NaN is not big: 1 − erf(NaN) is NaN
    out = np.empty_like(x)
    out[~big] = 1.0 - erf_array(x[~big])
    xb = x[big]
    tail = _erfc_tail(np.abs(xb))
    out[big] = np.where(xb > 0, tail, 2.0 - tail)
    return out


erfc = _unary("ErfcBackward0", _in64(erfc_array), lambda g, x, y: g * (np.exp(-x * x) * (-2.0 / _SQRT_PI)))


def _erfinv_abs(a, c):
    """y ≥ 0 with erf(y) = a, given a ∈ [0, 1) and its complement c = 1 − a exactly: a guess
    (about 2e−3 relative) polished by three Halley steps on erf where a ≤ 0.5, on erfc where
    a > 0.5 (there c is the exact target and erf would cancel)."""
    # Winitzki's approximation: erf(y) ≈ √(1 − e^(−y² (4/π + k y²) / (1 + k y²))), k = 0.147
    log1m = np.log(c * (1.0 + a))
    s = 2.0 / (_PI * 0.147) + 0.5 * log1m
    y = np.sqrt(np.sqrt(s * s - log1m / 0.147) - s)
    upper = a > 0.5
    for _ in range(3):
        r = np.where(upper, c - erfc_array(y), erf_array(y) - a)
        d = r / ((2.0 / _SQRT_PI) * np.exp(-y * y))
        y = y - d / (1.0 + y * d)
    return y


def erfinv_array(x):
    """erfinv of a float64 ndarray: ±inf at ±1, NaN beyond."""
    a = np.abs(x)
    inside = a < 1.0
    out = np.where(a == 1.0, np.copysign(np.inf, x), np.nan)
    a = a[inside]
    out[inside] = np.copysign(_erfinv_abs(a, 1.0 - a), x[inside])
    return out


def erfcinv_array(c):
    """erfcinv of a float64 ndarray (c ∈ [0, 2]; erfcinv(c) = −erfcinv(2 − c), exact for c ≥ 1)."""
    flip = c > 1.0
    cc = np.where(flip, 2.0 - c, c)
    inside = (cc > 0) & (cc <= 1.0)  # NaN and c outside [0, 2] give NaN
    out = np.where(cc == 0, np.inf, np.nan)
    ci = cc[inside]
    out[inside] = _erfinv_abs(1.0 - ci, ci)
    return np.where(flip, -out, out)


erfinv = _unary("ErfinvBackward0", _in64(erfinv_array),
                lambda g, x, y: g * ((0.5 * _SQRT_PI) * np.exp(y.astype(np.float64) ** 2)).astype(y.dtype),
                uses="output")


def _ndtri(p):
    return -1.4142135623730951 * erfcinv_array(2.0 * p)


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


# ---- lgamma, digamma, polygamma -------------------------------------------------------------
# Stirling's series for log Γ and ψ: the Bernoulli terms B_2k / (2k (2k − 1) x^(2k−1)) and
# B_2k / (2k x^2k); at x ≥ 10 the first omitted term is below 1e−17.
_STIRLING = (1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360, 1 / 156, -3617 / 122400)
_PSI_SERIES = (1 / 12, -1 / 120, 1 / 252, -1 / 240, 1 / 132, -691 / 32760, 1 / 12)


def _poly(z, coeffs):
    r = np.full_like(z, coeffs[-1])
    for c in coeffs[-2::-1]:
        r = r * z + c
    return r


def _sinpi(x):
    """sin(πx) with the argument reduced exactly first (sin(π·1e6) is then 0, not 1e−10)."""
    r = x - 2.0 * np.round(0.5 * x)
    return np.sin(_PI * r)


def _lgamma_pos(z):
    """log Γ(z) for z ≥ 0.5. Below 2.5 from the series about 1 and 2 (exact zeros there); above,
    shifted up to ≥ 10 (log Γ(z) = log Γ(z + n) − log z(z+1)…(z+n−1)) for Stirling's series."""
    out = np.empty_like(z)
    low = z < 2.5
    zl = z[low]
    second = zl >= 1.5
    eps = np.where(second, zl - 2.0, zl - 1.0)  # in [−0.5, 0.5)
    s = eps * _poly(eps, _LGAMMA_NEAR_1)
    out[low] = np.where(second, s, s - np.log1p(eps))
    out[~low] = _lgamma_stirling(z[~low])
    return out


def _lgamma_stirling(z):
    p = np.ones_like(z)
    for _ in range(8):
        low = z < 10.0
        if not low.any():
            break
        p = np.where(low, p * z, p)
        z = np.where(low, z + 1.0, z)
    with np.errstate(over="ignore", invalid="ignore"):
        zi = 1.0 / z
        out = (z - 0.5) * np.log(z) - z + _LOG_SQRT_2PI + zi * _poly(zi * zi, _STIRLING)
        out = np.where(np.isinf(z), np.inf, out)
    return out - np.log(p)


def lgamma_array(x):
    """log |Γ(x)| of a float64 ndarray; +inf at the poles (0, −1, −2, …) and at ±inf."""
    refl = x < 0.5
    out = np.empty_like(x)
    out[~refl] = _lgamma_pos(x[~refl])
    xr = x[refl]
    with np.errstate(divide="ignore", invalid="ignore"):
        # Γ(x) Γ(1 − x) = π / sin(πx)
        val = _LOG_PI - np.log(np.abs(_sinpi(xr))) - _lgamma_pos(1.0 - xr)
    out[refl] = np.where(xr == np.floor(xr), np.inf, val)
    return out


def digamma_array(x):
    """ψ(x) of a float64 ndarray, with PyTorch's special values: ψ(±0) = ∓inf, NaN at the
    negative integers and −inf."""
    neg = x < 0
    z = np.where(neg, 1.0 - x, x)  # ψ(x) = ψ(1 − x) − π / tan(πx)
    acc = np.zeros_like(z)
    with np.errstate(divide="ignore", invalid="ignore"):
        for _ in range(10):
            low = z < 10.0
            if not low.any():
                break
            acc = np.where(low, acc - 1.0 / np.where(low, z, 1.0), acc)
            z = np.where(low, z + 1.0, z)
        zi2 = 1.0 / (z * z)
        out = acc + np.log(z) - 0.5 / z - zi2 * _poly(zi2, _PSI_SERIES)
        if neg.any():
            frac = x - np.trunc(x)
            out = np.where(neg, np.where(frac == 0, np.nan, out - _PI / np.tan(_PI * frac)), out)
    return np.where(x == 0, np.copysign(np.inf, -x), out)


def trigamma_array(x):
    """ψ'(x) in x's own dtype, the way PyTorch computes it (reflection below 0.5, six recurrence
    steps, then the asymptotic series to the 1/x^7 term), so that the two agree."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        refl = x < 0.5
        s = np.sin(x * _PI)
        acc = np.where(refl, -(_PI * _PI) / (s * s), 0.0).astype(x.dtype, copy=False)
        z = np.where(refl, 1.0 - x, x).astype(x.dtype, copy=False)
        for _ in range(6):
            acc = acc + 1.0 / (z * z)
            z = z + 1.0
        zi2 = 1.0 / (z * z)
        acc = acc + (1.0 + 1.0 / (2.0 * z) + zi2 * (1.0 / 6 - zi2 * (1.0 / 30 - zi2 * (1.0 / 42)))) / z
    return np.where(refl, -acc, acc)


# (2k)! / B_2k: the Euler–Maclaurin correction terms of the Hurwitz zeta function
_EM_DIVISORS = (12.0, -720.0, 30240.0, -1209600.0, 47900160.0, -1.8924375803183791606e9, 7.47242496e10,
                -2.950130727918164224e12, 1.1646782814350067249e14, -4.5979787224074726105e15,
                1.8152105401943546773e17, -7.1661652561756670113e18)


def _hurwitz_zeta(s, q):
    """ζ(s, q) = Σ_k (q + k)^−s for an integer s ≥ 2 and a float64 array q: direct terms until
    q + k ≥ 10, then the Euler–Maclaurin tail. inf at q = 0, −1, −2, … (and −inf), NaN at +inf."""
    pole = (q <= 0) & (q == np.floor(q))
    ok = ~pole & np.isfinite(q)
    qv = q[ok]
    total = np.zeros_like(qv)
    if qv.size:
        steps = int(max(10.0, np.ceil(10.0 - qv.min())))
        w = qv.copy()
        for _ in range(steps):
            total += np.where(w < 10.0, w ** -s, 0.0)
            w = np.where(w < 10.0, w + 1.0, w)
        b = w ** -s
        total += b * w / (s - 1) + 0.5 * b
        rising = 1.0  # s (s+1) … (s + 2j − 2)
        k = 0
        wi2 = 1.0 / (w * w)
        b = b / w
        for div in _EM_DIVISORS:
            rising *= s + k
            total += rising * b / div
            rising *= s + k + 1
            b = b * wi2
            k += 2
    out = np.where(pole, np.inf, np.nan)
    out[ok] = total
    return out


def polygamma_array(n, x):
    """ψ^(n)(x) for float x."""
    if n == 0:
        return _in64(digamma_array)(x)
    if n == 1:
        return trigamma_array(x)
    sign = 1.0 if n % 2 else -1.0
    return (sign * math.factorial(n) * _hurwitz_zeta(n + 1, x.astype(np.float64))).astype(x.dtype)


# log Γ(2 + ε) = (1 − γ) ε + Σ_{k≥2} (−1)^k (ζ(k) − 1) ε^k / k (and log Γ(1 + ε) = that − log1p ε),
# as coefficients of ε^(k−1); the terms shrink like 4^−k on |ε| ≤ 0.5
_LGAMMA_NEAR_1 = (1.0 - 0.5772156649015329,) + tuple(
    float((-1) ** k * (_hurwitz_zeta(k, np.ones(1))[0] - 1.0) / k) for k in range(2, 30))

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


# ---- i0, sinc -------------------------------------------------------------------------------
# I0 and I1: the power series in (x/2)² (all terms positive, so no cancellation) up to |x| = 20,
# Hankel's asymptotic series e^x/√(2πx) Σ c_k / x^k beyond (the first omitted term < 1e−17).
_I0_SERIES = tuple(1.0 / math.factorial(k) ** 2 for k in range(48))
_I1_SERIES = tuple(1.0 / (math.factorial(k) * math.factorial(k + 1)) for k in range(48))


def _hankel(nu, terms=30):
    c, out = 1.0, [1.0]
    for k in range(1, terms):
        c *= -(4 * nu * nu - (2 * k - 1) ** 2) / (8.0 * k)
        out.append(c)
    return tuple(out)


_I0_ASYMPTOTIC, _I1_ASYMPTOTIC = _hankel(0), _hankel(1)


def _bessel_i(x, series, asymptotic, odd):
    a = np.abs(x)
    small = a <= 20.0  # NaN is not small: it takes the asymptotic branch, which keeps it
    out = np.empty_like(x)
    xs = x[small]
    v = _poly(0.25 * xs * xs, series)
    out[small] = 0.5 * xs * v if odd else v
    ab = a[~small]
    with np.errstate(over="ignore", invalid="ignore"):
        e = np.exp(0.5 * ab)  # e^a as a square: finite one step further
        v = (e / np.sqrt(2.0 * _PI * ab)) * _poly(1.0 / ab, asymptotic) * e
    out[~small] = np.copysign(v, x[~small]) if odd else v
    return out


def i0_array(x):
    return _bessel_i(x, _I0_SERIES, _I0_ASYMPTOTIC, False)


def i1_array(x):
    return _bessel_i(x, _I1_SERIES, _I1_ASYMPTOTIC, True)


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
            return t if t._data.dtype == np.float64 else to(t, dtype=_float64())
        return float(t)
    if not isinstance(input, Tensor):
        return pow(float(input), double(exponent))
    return pow(double(input), double(exponent))


def _float_power_(self, exponent):
    if self._data.dtype != np.float64:
        raise RuntimeError(f"the base given to float_power_ has dtype {type_name(self._data.dtype)} but the "
                           "operation's result requires dtype Double")
    return _inplace(self, lambda t: float_power(t, exponent))


def _inplace(self, fn):
    from .inplace import apply_inplace
    return apply_inplace(self, fn)


def _float64():
    from .._dtype import float64
    return float64


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
        return (np.ldexp(g, -exponent),)  # exact, and no overflow of 2^exponent
    return _frexp_type(make(np.asarray(mantissa), (input,), backward, "FrexpBackward0"), wrap(exponent))
