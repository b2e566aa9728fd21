"""Float64 NumPy kernels of the gamma family, no autograd: log |Γ| (series about 1 and 2,
Stirling above), ψ (digamma), ψ' (trigamma, PyTorch's own series), the Hurwitz zeta function
and ψ^(n) from it, and the regularised incomplete gamma function P(a, x)."""
import math

import numpy as np

from ._special_kernels import _LOG_PI, _LOG_SQRT_2PI, _PI, _in64, _poly


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


# ---- incomplete gamma --------------------------------------------------------------------------
def gammainc_array(a, x):
    """P(a, x) = γ(a, x) / Γ(a) in float64: the power series below x = a + 1, Lentz's continued
    fraction for Q = 1 - P above it (each converges fast on its side)."""
    a, x = np.broadcast_arrays(a.astype(np.float64), x.astype(np.float64))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_front = a * np.log(x) - x - lgamma_array(a)
        out = np.full(a.shape, np.nan)
        low = x < a + 1.0
        if low.any():
            al, xl = a[low], x[low]
            term = 1.0 / al
            total = term.copy()
            for n in range(1, 1000):
                term = term * xl / (al + n)
                total += term
                if np.all(np.abs(term) <= 1e-17 * np.abs(total)):
                    break
            out[low] = total * np.exp(log_front[low])
        high = ~low & (x == x)
        if high.any():
            ah, xh = a[high], x[high]
            tiny = 1e-300
            b = xh + 1.0 - ah
            c = np.full(ah.shape, 1.0 / tiny)
            d = 1.0 / b
            h = d.copy()
            for i in range(1, 1000):
                an = -i * (i - ah)
                b = b + 2.0
                d = an * d + b
                d = np.where(np.abs(d) < tiny, tiny, d)
                c = b + an / c
                c = np.where(np.abs(c) < tiny, tiny, c)
                d = 1.0 / d
                delta = d * c
                h = h * delta
                if np.all(np.abs(delta - 1.0) <= 1e-16):
                    break
            out[high] = 1.0 - np.exp(log_front[high]) * h
        out = np.where(x == 0, 0.0, np.where(np.isposinf(x), 1.0, out))
    return out
