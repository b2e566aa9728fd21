"""Special functions against PyTorch: erfc, erfinv, lgamma, digamma, polygamma, mvlgamma, i0, sinc,
xlogy, hypot, heaviside, logaddexp2, float_power, copysign, nextafter, ldexp, gcd, lcm, frexp, and
the torch.special namespace. Values over wide ranges (negative non-integers, poles, tails),
float32 and float64, integer promotion, gradients, in-place twins and error messages."""
import numpy as np
import pytest
import torch

import lamina
from oracle import check, check_error

DTYPES = ["float32", "float64"]
INF, NAN = float("inf"), float("nan")
rng = np.random.default_rng(0)


def _wide(dtype, lo=-12.0, hi=12.0, n=400):
    return rng.uniform(lo, hi, n).astype(dtype)


def _grid(dtype, values):
    return np.array(values, dtype=dtype)


# ---- erfc, erfinv ---------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
def test_erfc(dtype):
    tail = np.concatenate([_wide(dtype, -30, 30), _grid(dtype, [0, -0.0, 0.49, 0.5, 2.49, 2.5, 6, 26.5, 27, INF,
                                                                -INF, NAN])])
    check(lambda lib, x: lib.erfc(x), [tail], dtype=dtype, rtol=1e-12 if dtype == "float64" else None)
    check(lambda lib, x: x.erfc(), [(3, 4)], dtype=dtype)
    check(lambda lib, x: lib.erfc(x), [()], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_erfinv(dtype):
    near_one = 1 - np.logspace(-15 if dtype == "float64" else -7, -1, 50)
    x = np.concatenate([rng.uniform(-1, 1, 300), near_one, -near_one, np.logspace(-300, -1, 20),
                        [0, 1, -1, 1.5, -2, NAN]]).astype(dtype)
    check(lambda lib, x: lib.erfinv(x), [x], dtype=dtype, grad=False, rtol=1e-12 if dtype == "float64" else None)
    check(lambda lib, x: x.erfinv(), [rng.uniform(-0.99, 0.99, (3, 5)).astype(dtype)], dtype=dtype)


# ---- gamma family ---------------------------------------------------------------------------

POLES = [0.0, -0.0, -1.0, -2.0, -7.0, INF, -INF, NAN, 1.0, 2.0, 1e-8, -1e-8, 0.5, -0.5, -1.5, 1e15, -1e15 - 0.5]


@pytest.mark.parametrize("dtype", DTYPES)
def test_lgamma(dtype):
    x = np.concatenate([_wide(dtype, -30, 30), _grid(dtype, [171.5, 1e5, 3e30])])
    check(lambda lib, x: lib.lgamma(x), [x], dtype=dtype)
    check(lambda lib, x: lib.lgamma(x), [_grid(dtype, POLES)], dtype=dtype, grad=False)
    check(lambda lib, x: x.lgamma(), [(2, 0, 3)], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_digamma(dtype):
    x = _wide(dtype, -30, 30)
    x = x[np.abs(x - 1.4616321) > 1e-2]  # near ψ's zero float32 keeps no relative digits
    check(lambda lib, x: lib.digamma(x), [x], dtype=dtype)
    check(lambda lib, x: lib.digamma(x), [_grid(dtype, POLES)], dtype=dtype, grad=False)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [0, 1, 2, 3, 6])
def test_polygamma(dtype, n):
    x = _wide(dtype, -8, 30, 200)
    x = x[np.abs(x - np.round(x)) > 0.02]
    if n == 0:
        x = x[np.abs(x - 1.4616321) > 1e-2]
    check(lambda lib, x: lib.polygamma(n, x), [x], dtype=dtype, rtol=1e-4 if dtype == "float32" else 1e-8)
    check(lambda lib, x: x.polygamma(n), [np.abs(_wide(dtype, 0.1, 5, 12))], dtype=dtype)
    special = _grid(dtype, [0.0, -0.0, -2.0, INF, -INF, NAN, 1e-3, 1e8])
    check(lambda lib, x: lib.polygamma(n, x), [special], dtype=dtype, grad=False, rtol=1e-4)


def test_gamma_family_integer_input():
    ints = np.array([1, 2, 3, 7, 0, -1], "int64")
    for fn in ("lgamma", "digamma"):
        check(lambda lib, x: getattr(lib, fn)(x), [ints])
    check(lambda lib, x: lib.polygamma(2, x), [ints])
    check(lambda lib, x: lib.lgamma(x), [np.array([True, False])])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", [1, 2, 4])
def test_mvlgamma(dtype, p):
    x = rng.uniform(0.5 * (p - 1) + 0.01, 20, (4, 6)).astype(dtype)
    check(lambda lib, x: lib.mvlgamma(x, p), [x], dtype=dtype)
    check(lambda lib, x: lib.special.multigammaln(x, p=p), [x], dtype=dtype)


def test_gamma_family_errors():
    check_error(lambda lib: lib.polygamma(-1, lib.ones(2)), RuntimeError,
                r"polygamma\(n, x\) does not support negative n.")
    check_error(lambda lib: lib.mvlgamma(lib.ones(2), 0), RuntimeError, "p has to be greater than or equal to 1")
    # torch 2.13 no longer refuses x ≤ (p − 1)/2: it returns the sum of log |Γ|
    check(lambda lib, x: lib.mvlgamma(x, 2), [np.array([0.4, 3.0, 0.3])], grad=False)


# ---- i0, sinc -------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
def test_i0(dtype):
    hi = 700 if dtype == "float64" else 85
    x = np.concatenate([_wide(dtype, -40, 40), _grid(dtype, [0, 19.99, 20, 20.01, -hi, hi, INF, -INF, NAN])])
    check(lambda lib, x: lib.i0(x), [x], dtype=dtype, grad=False)
    check(lambda lib, x: lib.special.i0(x), [_wide(dtype, -30, 30, 50)], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_sinc(dtype):
    x = np.concatenate([_wide(dtype, -5, 5, 100), _grid(dtype, [0, 0.5, 1e-6])])
    check(lambda lib, x: lib.sinc(x), [x], dtype=dtype)
    check(lambda lib, x: x.sinc(), [np.zeros(3, dtype)], dtype=dtype)


def test_unary_integer_promotion():
    x = np.array([0, 1, 2, 5], "int64")
    for fn in ("erfc", "erfinv", "i0", "sinc"):
        check(lambda lib, x: getattr(lib, fn)(x), [x])
    check(lambda lib, x: lib.sinc(x), [np.array([True, False])])


@pytest.mark.parametrize("fn", ["erfc", "erfinv", "lgamma", "digamma", "i0", "sinc"])
def test_inplace(fn):
    def run(lib, x):
        y = x * 0.5
        getattr(y, fn + "_")()
        return y
    check(run, [rng.uniform(-0.9, 0.9, (3, 4)).astype("float64")], dtype="float64")


def test_inplace_with_arguments():
    x = rng.uniform(2, 3, (3,))
    check(lambda lib, x: (x * 1).polygamma_(2), [x], dtype="float64")
    check(lambda lib, x: (x * 1).mvlgamma_(3), [x], dtype="float64")


# ---- binary functions -----------------------------------------------------------------------

BROADCAST = [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((), (5,)), ((2, 3), ()), ((0, 3), (3,))]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("sa,sb", BROADCAST)
def test_xlogy(dtype, sa, sb):
    b = np.asarray(np.abs(rng.standard_normal(sb)) + 0.1, dtype)
    check(lambda lib, x, y: lib.xlogy(x, y), [sa, b], dtype=dtype)
    check(lambda lib, x, y: lib.special.xlog1py(x, y), [sa, b], dtype=dtype)


def test_xlogy_special_values_and_scalars():
    x = np.array([0.0, 0, 0, 1, 2, -1, 0])
    y = np.array([NAN, 0, -1, 0, INF, -1, 2])
    check(lambda lib, x, y: lib.xlogy(x, y), [x, y], dtype="float64")
    check(lambda lib, x, y: lib.special.xlog1py(x, y), [x, y], dtype="float64")
    check(lambda lib, y: lib.xlogy(2, y), [np.array([3.0, 0.5])])
    check(lambda lib, x: lib.xlogy(x, 3.0), [np.array([2.0, 0.0])])
    check(lambda lib, x, y: lib.xlogy(x, y), [np.array([2, 0]), np.array([3, 5])])
    check(lambda lib, x, y: x.xlogy_(y), [np.array([2.0, 0.0]), np.array([3.0, 4.0])], grad=False)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("sa,sb", BROADCAST)
def test_hypot_logaddexp2_copysign(dtype, sa, sb):
    check(lambda lib, x, y: lib.hypot(x, y), [sa, sb], dtype=dtype)
    check(lambda lib, x, y: lib.logaddexp2(x, y), [sa, sb], dtype=dtype)
    check(lambda lib, x, y: lib.copysign(x, y), [sa, sb], dtype=dtype)
    check(lambda lib, x, y: x.hypot(y), [sa, sb], dtype=dtype)


def test_binary_special_values():
    a = np.array([INF, -INF, INF, 1e300, 0, -0.0, 3, NAN])
    b = np.array([INF, -INF, -INF, 1e300, -0.0, 0, -0.0, 1])
    for fn in ("hypot", "logaddexp2", "copysign", "nextafter"):
        check(lambda lib, x, y: getattr(lib, fn)(x, y), [a, b], dtype="float64", grad=False)
    check(lambda lib, x, y: lib.copysign(x, y), [np.array([1, -2, 3]), np.array([-1, 1, -5])])
    check(lambda lib, x: lib.copysign(x, -1), [np.array([1.0, -2.0])])


def test_heaviside():
    x = np.array([1.0, 0, -1, NAN, -0.0])
    check(lambda lib, x, v: lib.heaviside(x, v), [x, np.array([0.5])], grad=False)
    check(lambda lib, x, v: x.heaviside(v), [np.array([1, 0, -1]), np.array([7])])
    check_error(lambda lib: lib.heaviside(lib.ones(2), lib.ones(2, dtype=lib.float64)), RuntimeError,
                "heaviside is not yet implemented for tensors with different dtypes.")
    check_error(lambda lib: lib.heaviside(lib.ones(2), 0.5), TypeError,
                r"heaviside\(\): argument 'values' \(position 2\) must be Tensor, not float")


def test_nextafter():
    x = np.array([1.0, 0, -1, 1e-45])
    y = np.array([2.0, -1, -INF, 0])
    for dtype in DTYPES:
        check(lambda lib, x, y: lib.nextafter(x, y), [x.astype(dtype), y.astype(dtype)], grad=False)


@pytest.mark.parametrize("dtype", DTYPES)
def test_float_power(dtype):
    base = np.abs(rng.standard_normal((3, 4))).astype(dtype) + 0.1
    check(lambda lib, x: lib.float_power(x, 2), [base], dtype=dtype)
    check(lambda lib, x, e: lib.float_power(x, e), [base, (4,)], dtype=dtype)
    check(lambda lib, e: lib.float_power(2, e), [(4,)], dtype=dtype)
    check(lambda lib, x: x.float_power(np.int64(3).item()), [np.array([2, 3])])
    check(lambda lib, x: (x * 1).float_power_(2.5), [(3,)], dtype="float64")
    check_error(lambda lib: lib.ones(2).float_power_(2), RuntimeError,
                "the base given to float_power_ has dtype Float but the operation's result requires dtype Double")


@pytest.mark.parametrize("dtype", DTYPES)
def test_ldexp(dtype):
    check(lambda lib, x, e: lib.ldexp(x, e), [(3, 4), np.array([-2, 0, 1, 5])], dtype=dtype)
    check(lambda lib, x, e: x.ldexp(e), [np.array([1, 3]), np.array([2, -1])])
    check(lambda lib, x, e: lib.ldexp(x, e), [(4,), (4,)], dtype=dtype)
    check(lambda lib, x, e: lib.ldexp(x, e), [(2, 4), np.array([-2, 0, 1, 5], "int32")], dtype=dtype)
    check_error(lambda lib: lib.ldexp(lib.ones(2), lib.tensor([True, False])), NotImplementedError,
                "\"ldexp_cpu_exp\" not implemented for 'Bool'")


def test_gcd_lcm():
    a = np.array([4, -6, 0, 0, 17, 12], "int64")
    b = np.array([6, 4, 5, 0, 3, -18], "int64")
    for fn in ("gcd", "lcm"):
        check(lambda lib, x, y: getattr(lib, fn)(x, y), [a, b])
        check(lambda lib, x, y: getattr(x, fn)(y), [a.astype("int32"), b.astype("int32")])
        check(lambda lib, x, y: getattr(lib, fn)(x, y), [a.reshape(2, 3), b[:3]])
        check_error(lambda lib: getattr(lib, fn)(lib.ones(2), lib.ones(2)), NotImplementedError,
                    f"\"{fn}_cpu\" not implemented for 'Float'")
        check_error(lambda lib: getattr(lib, fn)(lib.tensor([4]), 6), TypeError,
                    rf"{fn}\(\): argument 'other' \(position 2\) must be Tensor, not int")


def test_frexp():
    x = np.array([1.0, 2, 0, -3.5, 1e-310, 1e300, 0.75])
    t, lam = check(lambda lib, x: lib.frexp(x), [x], dtype="float64")
    assert type(lam).__name__ == "frexp" and lam.exponent is lam[1]
    check(lambda lib, x: x.frexp(), [(3, 4)])
    check_error(lambda lib: lib.frexp(lib.tensor([1, 2])), RuntimeError,
                r"torch.frexp\(\) only supports floating-point dtypes")


@pytest.mark.parametrize("fn,kernel", [("hypot", "hypot_cpu"), ("logaddexp2", "logaddexp2_cpu"),
                                       ("nextafter", "nextafter_cpu")])
def test_float_only_errors(fn, kernel):
    check_error(lambda lib: getattr(lib, fn)(lib.tensor([1, 2]), lib.tensor([1, 2])), NotImplementedError,
                f"\"{kernel}\" not implemented for 'Long'")


def test_hypot_needs_tensor():
    check_error(lambda lib: lib.hypot(lib.ones(2), 2.0), TypeError,
                r"hypot\(\): argument 'other' \(position 2\) must be Tensor, not float")


# ---- torch.special --------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["expit", "erf", "erfc", "gammaln", "digamma", "psi", "i0", "sinc", "log1p",
                                  "expm1", "exp2", "round"])
def test_special_unary(dtype, name):
    x = rng.uniform(0.1, 3, (3, 4)).astype(dtype)
    check(lambda lib, x: getattr(lib.special, name)(x), [x], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_special_probability(dtype):
    x = np.concatenate([_wide(dtype, -38, 8, 200), _grid(dtype, [0, INF, -INF, NAN])])
    check(lambda lib, x: lib.special.ndtr(x), [x], dtype=dtype)
    p = np.concatenate([rng.uniform(0, 1, 200), np.logspace(-300 if dtype == "float64" else -30, -1, 40),
                        [0, 1, 0.5, -0.1, 1.1, NAN]]).astype(dtype)
    check(lambda lib, p: lib.special.ndtri(p), [p], dtype=dtype, grad=False)
    check(lambda lib, p: lib.special.ndtri(p), [rng.uniform(0.01, 0.99, 10).astype(dtype)], dtype=dtype)
    q = np.concatenate([rng.uniform(0, 5, 50), [0, -1, INF, NAN]]).astype(dtype)
    check(lambda lib, x: lib.special.entr(x), [q], dtype=dtype, grad=False)
    check(lambda lib, x: lib.special.entr(x), [rng.uniform(0.1, 5, 20).astype(dtype)], dtype=dtype)
    check(lambda lib, x: lib.special.logit(x, eps=0.1), [rng.uniform(0, 1, 20).astype(dtype)], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_special_reductions(dtype):
    check(lambda lib, x: lib.special.softmax(x, 1), [(3, 5)], dtype=dtype)
    check(lambda lib, x: lib.special.log_softmax(x, 0), [(3, 5)], dtype=dtype)
    check(lambda lib, x: lib.special.log_softmax(x, -1, dtype=lib.float64), [(3, 5)], dtype=dtype)
    check(lambda lib, x: lib.special.logsumexp(x, 1, keepdim=True), [(3, 5)], dtype=dtype)
    check(lambda lib, x: lib.special.polygamma(1, x), [np.abs(_wide(dtype, 0.5, 5, 10))], dtype=dtype)
    check(lambda lib, x, y: lib.special.xlogy(x, y), [(4,), np.abs(_wide(dtype, 0.5, 5, 4))], dtype=dtype)


def test_special_namespace_complete():
    names = ["expit", "logit", "erf", "erfc", "erfinv", "gammaln", "digamma", "psi", "polygamma", "multigammaln",
             "i0", "sinc", "xlogy", "xlog1py", "entr", "log1p", "expm1", "exp2", "log_softmax", "softmax",
             "logsumexp", "ndtr", "ndtri", "round", "i0e", "i1", "i1e", "erfcx", "log_ndtr", "zeta"]
    assert all(hasattr(torch.special, n) for n in names)
    missing = [n for n in names if not callable(getattr(lamina.special, n, None))]
    assert not missing, missing


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["i0e", "i1", "i1e"])
def test_special_bessel(dtype, name):
    hi = 700 if dtype == "float64" else 85
    x = np.concatenate([_wide(dtype, -40, 40, 200), _grid(dtype, [0, 1e-30, 19.99, 20, 20.01, -hi, hi, INF, -INF,
                                                                  NAN])])
    check(lambda lib, x: getattr(lib.special, name)(x), [x], dtype=dtype, grad=False)
    check(lambda lib, x: getattr(lib.special, name)(x), [np.concatenate([_wide(dtype, -30, 30, 30),
                                                                        np.zeros(1, dtype)])], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_special_erfcx_log_ndtr(dtype):
    x = np.concatenate([_wide(dtype, -26, 40, 200), _grid(dtype, [0, -0.5, 0.5, 2.5, 1e20, -1e3, INF, -INF, NAN])])
    check(lambda lib, x: lib.special.erfcx(x), [x], dtype=dtype, grad=False)
    check(lambda lib, x: lib.special.erfcx(x), [_wide(dtype, -5, 30, 40)], dtype=dtype)
    x = np.concatenate([_wide(dtype, -60, 40, 200), _grid(dtype, [0, -1, -1e10, 1e10, INF, -INF, NAN])])
    check(lambda lib, x: lib.special.log_ndtr(x), [x], dtype=dtype, grad=False)
    check(lambda lib, x: lib.special.log_ndtr(x), [_wide(dtype, -30, 8, 40)], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_special_zeta(dtype):
    s = np.concatenate([rng.uniform(1.01, 12, 60), [2, 3, 1, 0.5, 2, 2, 2.5, 4, 2, NAN, 2]]).astype(dtype)
    q = np.concatenate([rng.uniform(-6, 30, 60), [1, 2, 1, 1, 0, -1.5, -1.5, -2.5, INF, 1, -INF]]).astype(dtype)
    check(lambda lib, s, q: lib.special.zeta(s, q), [s, q], dtype=dtype, grad=False)
    check(lambda lib, s, q: lib.special.zeta(s, q), [s[:60], q[:60]], dtype=dtype, grad_inputs=[1])
    check(lambda lib, q: lib.special.zeta(2, q), [np.abs(_wide(dtype, 0.5, 9, 8)) + 0.1], dtype=dtype)
    check(lambda lib, s: lib.special.zeta(s, 1), [np.array([2, 3, 4])], grad=False)

    def both_grad(lib):
        s = lib.tensor([2.0, 3.0], requires_grad=True)
        lib.special.zeta(s, lib.tensor([1.0, 2.0])).sum().backward()
    check_error(both_grad, RuntimeError, "the derivative for 'zeta' is not implemented.")


@pytest.mark.parametrize("name", ["igamma", "igammac"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_incomplete_gamma_matches_torch(name, dtype):
    # both sides of the series/continued-fraction switch (x < a + 1), edges (x = 0, a = 0), and the
    # undefined points (a < 0, x < 0, a = x = 0), which are NaN; the gradient reaches x only
    a = np.array([0.5, 2.0, 3.0, 10.0, 0.1, 0.0, -1.0, 0.0, 2.0, 7.5], dtype)
    x = np.array([1.0, 0.0, 5.0, 3.0, 20.0, 1.0, 1.0, 0.0, -1.0, 7.5], dtype)
    check(lambda lib, p, q: getattr(lib, name)(p, q).nan_to_num(), [a, x], dtype=dtype, grad_inputs=[1])
    special = {"igamma": "gammainc", "igammac": "gammaincc"}[name]
    check(lambda lib, p, q: getattr(lib.special, special)(p, q[:, None]), [a[:4], x[:3]], dtype=dtype,
          grad_inputs=[1])
    check(lambda lib, p, q: getattr(p, name)(q), [a[:4], x[:4]], dtype=dtype, grad_inputs=[1])


def test_incomplete_gamma_errors_match_torch():
    check_error(lambda lib: lib.igammac(lib.tensor([2]), lib.tensor([1])), NotImplementedError,
                "\"igammac_cpu\" not implemented for 'Long'")
    a = {lib: lib.tensor([2.0], requires_grad=True) for lib in (torch, lamina)}
    check_error(lambda lib: lib.igamma(a[lib], lib.tensor([1.0])).sum().backward(), NotImplementedError,
                "the derivative for 'igamma: input' is not implemented.")
