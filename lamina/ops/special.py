"""Elementwise special functions: erfc, erfinv, lgamma, digamma, polygamma, mvlgamma, i0, sinc,
xlogy, hypot, heaviside, logaddexp2, float_power, copysign, nextafter, ldexp, gcd, lcm, frexp; and
for torch.special only: ndtri, entr, xlog1py, i0e, i1, i1e, erfcx, log_ndtr.

Without SciPy: the gamma, error and Bessel families are computed in float64 (float32 input is
rounded back at the end) from series, Chebyshev fits to 40-digit values and a Halley step for the
inverses, accurate to a few ulp of float64 away from the zeros of lgamma and digamma. trigamma
(polygamma(1, x), the gradient of digamma) follows PyTorch's own truncated series, so it agrees
with PyTorch's values rather than being more accurate than them."""
import math

import numpy as np

from .._dtype import float64
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


def _shift_poly(coeffs, shift):
    """The coefficients of p(u + shift) given those of p(t): p evaluated at t = u + shift."""
    out = [0.0] * len(coeffs)
    for c in coeffs[::-1]:  # Horner on polynomials: out = out · (u + shift) + c
        out = [a * shift + b for a, b in zip(out, [0.0] + out[:-1])]
        out[0] += c
    return tuple(out)


def _poly(z, coeffs):
    """Σ coeffs[k] z^k by Horner's rule, in place on one temporary."""
    r = z * coeffs[-1]
    r += coeffs[-2]
    for c in coeffs[-3::-1]:
        r *= z
        r += c
    return r


def _in64(fn):
    """fn computed in float64 and rounded back to the input's float dtype."""
    def run(x):
        return fn(x.astype(np.float64)).astype(x.dtype, copy=False)
    return run


# ---- erfc, erfinv ---------------------------------------------------------------------------
# erfc(x) = e^(−x²) F(x) / x for x ≥ 0.5 with F(x) = x e^(x²) erfc(x), which is smooth and tends
# to 1/√π. F's Chebyshev interpolants, fitted to 40-digit values (dropped terms below 1e−18), in
# power form (the conversion loses nothing here: the power coefficients add up to below 0.66):
# in t = x − 1.5 on x ∈ [0.5, 2.5], and in t = 5/x − 1 on x ≥ 2.5.
_ERFC_NEAR = (0.48237812468147623, 0.0761510398554774, -0.04939635794934398, 0.026754681906133462,
              -0.012864893869961522, 0.005658404631088472, -0.0023167552324598493, 0.0008932397774224853,
              -0.00032696514969543435, 0.00011432156097875003, -3.836245493383265e-05, 1.240182518605208e-05,
              -3.874531634023799e-06, 1.1728459708339523e-06, -3.4476686645403e-07, 9.860074758332526e-08,
              -2.7466668007222028e-08, 7.47125968836934e-09, -2.001457017528028e-09, 5.206590608975448e-10,
              -1.2242715799245522e-10, 3.0533302604136236e-11, -1.1368026594573408e-11, 2.740914516628702e-12)
_ERFC_FAR = (0.5535231886653431, -0.020203444544685395, -0.0080301859588379, 0.001738211237283902,
             8.892563078071803e-05, -0.00012641609462761108, 2.4276410495431737e-05, 4.19616236358468e-06,
             -3.644412618062389e-06, 7.649207005445254e-07, 1.5213866260761009e-07, -1.550868971387535e-07,
             4.255503267495463e-08, 3.955310384274356e-09, -8.2042163752803e-09, 3.2784909758054024e-09,
             -2.4477783187631447e-10, -5.107974409682305e-10, 3.149287822725824e-10, -2.669345506530252e-11,
             -4.5892377620296717e-11, 1.210298264287316e-11, 1.4068198099752527e-12)

_ERFC_FAR_SHIFTED = _shift_poly(_ERFC_FAR, -1.0)  # in u = 5/x directly


# (Large temporaries cost page faults on every allocation, so the erfc path works in place.)

def _exp_minus_square(a):
    """e^(−a²) without the rounding error of a² (which e^ would blow up ~700-fold near a = 26):
    a = h + l with h on a 2^−12 grid, so h² is exact and e^(−a²) = e^(−h²) e^(−l(a + h))."""
    a = np.minimum(a, 30.0)  # e^(−900) is 0 in float64 already
    h = a * 4096.0
    np.rint(h, out=h)
    h *= 1.0 / 4096.0
    low = a - h
    a += h
    low *= a
    np.negative(low, out=low)
    np.exp(low, out=low)
    np.multiply(h, h, out=h)
    np.negative(h, out=h)
    np.exp(h, out=h)
    h *= low
    return h


def _erfc_scaled(a):
    """F(a)/a = e^(a²) erfc(a) for float64 a ≥ 0.5."""
    near = a < 2.5
    if near.all():
        f = _poly(a - 1.5, _ERFC_NEAR)
    elif not near.any():
        f = _poly(np.divide(5.0, a), _ERFC_FAR_SHIFTED)
    else:
        f = np.empty_like(a)
        f[near] = _poly(a[near] - 1.5, _ERFC_NEAR)
        f[~near] = _poly(np.divide(5.0, a[~near]), _ERFC_FAR_SHIFTED)
    f /= a
    return f


def _erfc_tail(a):
    """erfc(a) for float64 a ≥ 0.5 (inf included: 0 · F / inf = 0)."""
    f = _erfc_scaled(a)
    f *= _exp_minus_square(a)
    return f


def erfc_array(x):
    """erfc of a float64 ndarray: the tail formula where |x| ≥ 0.5 (2 − it for negative x),
    1 − erf(x) inside."""
    a = np.abs(x)
    small = a < 0.5  # NaN is not small: it flows through the tail formula as NaN
    any_small = small.any()
    if any_small:
        np.maximum(a, 0.5, out=a)  # valid input for the tail; those places are overwritten below
    out = _erfc_tail(a)
    np.subtract(2.0, out, out=out, where=x < 0)
    if any_small:
        out[small] = 1.0 - erf_array(x[small])
    return out


erfc = _unary("ErfcBackward0", _in64(erfc_array), lambda g, x, y: g * (np.exp(-x * x) * (-2.0 / _SQRT_PI)))


# erfinv(x)/x as a function of w = −log(1 − x²): power forms of Chebyshev fits (40-digit values,
# 1e−9 relative) in t = 2w/6.25 − 1 on w < 6.25, and in t over s = √w on [2.5, 6] and [6, 27.5]
# (27.5² covers erfcinv of the smallest subnormal). One Halley step then gives full precision.
_ERFINV_A = (1.6536545627563548, 0.7504943082203515, -0.05892257408791175, -0.022604107824496247,
             0.017808469224979574, -0.004140117340222936, -0.001272298167105662, 0.0012425459664566552,
             -0.000262840003845403, -0.00013493722426255125, 9.156612800314453e-05, 1.5265790815431615e-06,
             -1.0741302856766835e-05)
_ERFINV_B = (4.092223422856319, 1.7674619820743294, 0.002182898327667297, -0.0032578805606688233,
             0.0019879196333574853, -0.0010570403253133851, 0.0006471235918665765, -0.0005194953397877659,
             0.0004530273584396645, -0.000457589590204467, 0.0005105289604424713, -0.00033222078304751164,
             -2.243416896602095e-05, 0.00014613547735933127, -5.323360729595971e-05)
_ERFINV_C = (16.669370646354956, 10.782664018521535, -0.014861217394182048, 0.0069414344235364375,
             -0.0032125108367566726, 0.0013470263842884033, -0.0004771262984983377, 0.00047382106230835523,
             -0.0003346694438365066, -0.0007082236833044432, 0.000692619944011582, 0.0006624479083209707,
             -0.0005708732042845497, -0.00038550759701750005, 0.000301269105608773)


def _erfinv_abs(a, c):
    """y ≥ 0 with erf(y) = a, given a ∈ [0, 1) and its complement c = 1 − a exactly."""
    w = -np.log(c * (1.0 + a))  # 1 − a² from the exact complement
    f = np.empty_like(w)
    first = w < 6.25
    f[first] = _poly(w[first] * (2.0 / 6.25) - 1.0, _ERFINV_A)
    if not first.all():
        s = np.sqrt(w[~first])
        second = s < 6.0
        fs = np.empty_like(s)
        fs[second] = _poly(s[second] * (2.0 / 3.5) - (8.5 / 3.5), _ERFINV_B)
        fs[~second] = _poly(s[~second] * (2.0 / 21.5) - (33.5 / 21.5), _ERFINV_C)
        f[~first] = fs
    y = f * a
    # Halley: y −= d / (1 + y d) with d = (erf(y) − a) / erf'(y). Where erf(y) is near 1 the
    # residual is formed from erfc instead, scaled by e^(y²) so that nothing underflows:
    # d = (√π/2) (c e^(y²) − F(y)/y), F(y) = y e^(y²) erfc(y) the tail fit.
    upper = a > 0.5205  # erfinv(0.5205) > 0.5, where the tail fit starts
    d = np.empty_like(y)
    lo = ~upper
    yl = y[lo]
    d[lo] = (erf_array(yl) - a[lo]) * (0.5 * _SQRT_PI) * np.exp(yl * yl)
    yu = y[upper]
    with np.errstate(divide="ignore"):
        scaled_c = np.exp(np.log(c[upper]) + yu * yu)
    d[upper] = (scaled_c - _erfc_scaled(yu)) * (0.5 * _SQRT_PI)
    return y - d / (1.0 + y * d)


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


def _stirling(z):
    """log Γ(z) for z ≥ 10 (inf stays inf)."""
    zi = 1.0 / z
    with np.errstate(invalid="ignore"):
        out = (z - 0.5) * np.log(z) - z
    out[np.isinf(z)] = np.inf
    out += _LOG_SQRT_2PI
    out += zi * _poly(zi * zi, _STIRLING)
    return out


def _lgamma_stirling(z):
    """log Γ(z) for z ≥ 2.5: below 10, eight steps up (log Γ(z) = log Γ(z + 8) − log z(z+1)…(z+7))."""
    low = z < 10.0
    if not low.any():
        return _stirling(z)
    zl = z[low]
    p = zl * (zl + 1.0)
    for k in range(2, 8):
        p *= zl + float(k)
    z = z.copy()
    z[low] = zl + 8.0
    out = _stirling(z)
    out[low] -= np.log(p)
    return out


def lgamma_array(x):
    """log |Γ(x)| of a float64 ndarray; +inf at the poles (0, −1, −2, …) and at ±inf."""
    refl = x < 0.5
    out = _lgamma_pos(np.where(refl, 1.0 - x, x))
    if refl.any():
        xr = x[refl]
        with np.errstate(divide="ignore", invalid="ignore"):
            # Γ(x) Γ(1 − x) = π / sin(πx)
            val = _LOG_PI - np.log(np.abs(_sinpi(xr))) - out[refl]
        out[refl] = np.where(xr == np.floor(xr), np.inf, val)
    return out


def digamma_array(x):
    """ψ(x) of a float64 ndarray, with PyTorch's special values: ψ(±0) = ∓inf, NaN at the
    negative integers and −inf."""
    neg = x < 0
    z = np.where(neg, 1.0 - x, x)  # ψ(x) = ψ(1 − x) − π / tan(πx)
    with np.errstate(divide="ignore", invalid="ignore"):
        # ψ(z) = ψ(z + 10) − Σ_{k<10} 1/(z + k) below 10 (PyTorch steps only up to 10; same value)
        low = z < 10.0
        if low.any():
            zl = z[low]
            acc = 1.0 / zl
            for k in range(1, 10):
                acc += 1.0 / (zl + float(k))
            z[low] = zl + 10.0
        zi2 = 1.0 / (z * z)
        out = np.log(z) - 0.5 / z - zi2 * _poly(zi2, _PSI_SERIES)
        if low.any():
            out[low] -= acc
        if neg.any():
            frac = x[neg] - np.trunc(x[neg])
            out[neg] = np.where(frac == 0, np.nan, out[neg] - _PI / np.tan(_PI * frac))
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
    """ζ(s, q) = Σ_k (q + k)^−s for float64 s and q (broadcast): at least ten direct terms and up
    to q + k ≥ 20, then the Euler–Maclaurin tail. PyTorch's (Cephes') domain: inf at s = 1 and at
    q = 0, −1, −2, … (and −inf); NaN for s < 1, for q < 0 with a non-integer s, and at q = +inf."""
    s, q = np.broadcast_arrays(np.asarray(s, np.float64), q)
    pole = (s == 1) | ((q <= 0) & (q == np.floor(q)))
    ok = ~pole & (s > 1) & np.isfinite(q) & ~((q < 0) & (s != np.floor(s)))  # NaN anywhere: not ok
    out = np.where(pole, np.inf, np.nan)
    sv, w = s[ok], q[ok].copy()
    if not w.size:
        return out
    total = np.zeros_like(w)
    for _ in range(10):  # ten terms at least: the tail's series then converges for large s too
        total += w ** -sv
        w += 1.0
    todo = np.nonzero(w < 20.0)[0]
    while todo.size:  # only the terms each element needs (a very negative q needs many)
        total[todo] += w[todo] ** -sv[todo]
        w[todo] += 1.0
        todo = todo[w[todo] < 20.0]
    b = w ** -sv
    total += b * w / (sv - 1.0) + 0.5 * b
    rising = np.ones_like(w)  # s (s+1) … (s + 2j − 2)
    wi2 = 1.0 / (w * w)
    b = b / w
    for j, div in enumerate(_EM_DIVISORS):
        rising *= sv + 2 * j
        total += rising * b / div
        rising *= sv + (2 * j + 1)
        b *= wi2
    out[ok] = total
    return out


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


def polygamma_array(n, x):
    """ψ^(n)(x) for float x."""
    if n == 0:
        return _in64(digamma_array)(x)
    if n == 1:
        return trigamma_array(x)
    sign = 1.0 if n % 2 else -1.0
    return (sign * math.factorial(n) * _hurwitz_zeta(n + 1, x.astype(np.float64))).astype(x.dtype)


# log Γ(2 + ε) = (1 − γ) ε + Σ_{k≥2} (−1)^k (ζ(k) − 1) ε^k / k (and log Γ(1 + ε) = that − log1p ε),
# as coefficients of ε^(k−1) (40-digit values rounded); the terms shrink like 4^−k on |ε| ≤ 0.5
_LGAMMA_NEAR_1 = (0.42278433509846713, 0.3224670334241132, -0.0673523010531981, 0.020580808427784546,
                  -0.007385551028673986, 0.0028905103307415234, -0.001192753911703261, 0.0005096695247430425,
                  -0.00022315475845357939, 9.945751278180853e-05, -4.492623673813314e-05, 2.050721277567069e-05,
                  -9.439488275268397e-06, 4.374866789907488e-06, -2.039215753801366e-06, 9.55141213040742e-07,
                  -4.492469198764566e-07, 2.1207184805554665e-07, -1.0043224823968099e-07, 4.7698101693639804e-08,
                  -2.2711094608943164e-08, 1.0838659214896955e-08, -5.183475041970047e-09, 2.4836745438024785e-09,
                  -1.1921401405860912e-09, 5.731367241678862e-10, -2.7595228851242334e-10, 1.330476437424449e-10,
                  -6.4229645638381e-11)

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


def _bessel_i(x, series, asymptotic, odd, scaled=False):
    """I0 or I1 (odd) of float64 x; scaled: times e^(−|x|)."""
    a = np.abs(x)
    small = a <= 20.0  # NaN is not small: it takes the asymptotic branch, which keeps it
    out = np.empty_like(x)
    xs = x[small]
    v = _poly(0.25 * xs * xs, series)
    if odd:
        v *= 0.5 * xs
    if scaled:
        v *= np.exp(-a[small])
    out[small] = v
    ab = a[~small]
    with np.errstate(over="ignore", invalid="ignore"):
        v = _poly(1.0 / ab, asymptotic) / np.sqrt(2.0 * _PI * ab)
        if not scaled:
            e = np.exp(0.5 * ab)  # e^a as a square: finite one step further
            v = v * e * e
    out[~small] = np.copysign(v, x[~small]) if odd else v
    return out


def i0_array(x):
    return _bessel_i(x, _I0_SERIES, _I0_ASYMPTOTIC, False)


def i1_array(x):
    return _bessel_i(x, _I1_SERIES, _I1_ASYMPTOTIC, True)


def i0e_array(x):
    return _bessel_i(x, _I0_SERIES, _I0_ASYMPTOTIC, False, scaled=True)


def i1e_array(x):
    return _bessel_i(x, _I1_SERIES, _I1_ASYMPTOTIC, True, scaled=True)


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


def erfcx_array(x):
    """e^(x²) erfc(x) of a float64 ndarray, without forming either factor where it overflows."""
    a = np.maximum(np.abs(x), 0.5)
    out = _erfc_scaled(a)
    neg = x < 0
    if neg.any():  # erfc(−a) = 2 − erfc(a): e^(a²) erfc(−a) = 2 e^(a²) − F(a)/a
        with np.errstate(over="ignore"):
            out[neg] = 2.0 * np.exp(a[neg] ** 2) - out[neg]
    small = np.abs(x) < 0.5
    if small.any():
        xs = x[small]
        out[small] = np.exp(xs * xs) * (1.0 - erf_array(xs))
    return out


erfcx = _unary("SpecialErfcxBackward0", _in64(erfcx_array),
               lambda g, x, y: g * (2.0 * x * _in64(erfcx_array)(x) - 2.0 / _SQRT_PI))
erfcx.__doc__ = "The scaled complementary error function e^(x²) erfc(x)."


def log_ndtr_array(x):
    """log Φ(x) of a float64 ndarray: log1p(−erfc(x/√2)/2) on the right, and on the far left
    log(F(a)/(2a)) − a² with a = −x/√2, which never underflows."""
    out = np.empty_like(x)
    left = x < -1.0
    xr = x[~left]
    out[~left] = np.log1p(-0.5 * erfc_array(xr * 0.7071067811865476))
    a = x[left] * -0.7071067811865476
    with np.errstate(over="ignore", invalid="ignore"):
        out[left] = np.log(0.5 * _erfc_scaled(a)) - a * a
    return out


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
