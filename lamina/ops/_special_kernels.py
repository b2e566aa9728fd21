"""Float64 NumPy kernels for the special functions, no autograd: the helpers they share (Horner
evaluation, a float64 round trip for float32 input, constants), the error-function family (erfc,
erfinv, erfcinv, ndtri, erfcx, log Φ) and the modified Bessel functions I0, I1 and their
exponentially scaled forms."""
import math

import numpy as np

from .pointwise import erf_array


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


def _ndtri(p):
    return -1.4142135623730951 * erfcinv_array(2.0 * p)


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


# ---- I0, I1 --------------------------------------------------------------------------------

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
