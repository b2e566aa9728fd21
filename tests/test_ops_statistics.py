"""Statistics ops against PyTorch: cummax/cummin, logcumsumexp, mode, nanmedian, quantile,
nanquantile, histc, cov, corrcoef, dist, renorm, trapezoid, cumulative_trapezoid."""
import numpy as np
import pytest

from oracle import check, check_error

DTYPES = ["float32", "float64"]
SHAPES_DIMS = [((), 0), ((5,), 0), ((3, 4), 1), ((3, 4), 0), ((2, 3, 4), -2), ((0, 3), 1), ((3, 0), 1)]
NAN = float("nan")


def _ties(dtype):
    return np.array([[1, 3, 3, 2, 0, 5, 5, 1], [4, 4, 4, 4, 2, 2, 2, 9]], dtype=dtype)


# ---- cummax, cummin -------------------------------------------------------------------------

@pytest.mark.parametrize("fn", ["cummax", "cummin"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,dim", SHAPES_DIMS)
def test_cummax_cummin(fn, dtype, shape, dim):
    check(lambda lib, x: getattr(lib, fn)(x, dim), [shape], dtype=dtype)


@pytest.mark.parametrize("fn", ["cummax", "cummin"])
def test_cummax_cummin_ties_nan_and_method(fn):
    # ties take the latest index; a NaN sticks and every later NaN takes over the index
    check(lambda lib, x: getattr(x, fn)(1), [_ties("float64")], dtype="float64")
    x = np.array([1.0, 3, NAN, 2, NAN, 0], dtype="float32")
    check(lambda lib, x: getattr(lib, fn)(x, 0), [x])


@pytest.mark.parametrize("fn", ["cummax", "cummin"])
@pytest.mark.parametrize("dtype", ["int64", "int32", "bool"])
def test_cummax_cummin_integer(fn, dtype):
    x = np.random.default_rng(1).integers(0, 3, (3, 6)).astype(dtype)
    t, lam = check(lambda lib, x: getattr(lib, fn)(x, -1), [x], grad=False)
    assert type(lam).__name__ == fn and lam.values is lam[0] and lam.indices is lam[1]


def test_cummax_errors():
    check_error(lambda lib: lib.cummax(lib.ones(2), 1), IndexError, r"Dimension out of range")


# ---- logcumsumexp ---------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,dim", SHAPES_DIMS)
def test_logcumsumexp(dtype, shape, dim):
    check(lambda lib, x: lib.logcumsumexp(x, dim), [shape], dtype=dtype)


def test_logcumsumexp_large_and_inf():
    x = np.array([[1000.0, -1000, 999, -np.inf, 3], [-np.inf, -np.inf, 0, 1, 2]])
    check(lambda lib, x: x.logcumsumexp(1), [x], dtype="float64")
    check(lambda lib, x: (x * 50).logcumsumexp(0), [(4, 3)], dtype="float32")


def test_logcumsumexp_integer_error():
    check_error(lambda lib: lib.logcumsumexp(lib.tensor([1, 2]), 0), NotImplementedError,
                "\"logcumsumexp_out_cpu\" not implemented for 'Long'")


# ---- mode, nanmedian ------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES + ["int64"])
@pytest.mark.parametrize("dim,keepdim", [(-1, False), (0, True), (1, False)])
def test_mode(dtype, dim, keepdim):
    check(lambda lib, x: lib.mode(x, dim, keepdim), [_ties(dtype)], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_mode_shapes_and_method(dtype):
    rng = np.random.default_rng(2)
    x = rng.integers(0, 4, (3, 5, 7)).astype(dtype)
    check(lambda lib, x: x.mode(), [x], dtype=dtype)
    check(lambda lib, x: x.mode(1, keepdim=True), [x], dtype=dtype)
    check(lambda lib, x: lib.mode(x), [np.array(2.5, dtype)], dtype=dtype)


def test_mode_empty_error():
    check_error(lambda lib: lib.mode(lib.tensor([]), 0), IndexError,
                r"mode\(\): Expected reduction dim 0 to have non-zero size.")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,dim", [((7,), 0), ((4, 6), 1), ((4, 5), 0), ((2, 3, 4), -1), ((), 0)])
def test_nanmedian_dim(dtype, shape, dim):
    x = np.random.default_rng(3).standard_normal(shape).astype(dtype)
    if x.ndim:
        x[x > 0.8] = NAN
    check(lambda lib, x: lib.nanmedian(x, dim), [x], dtype=dtype)
    check(lambda lib, x: x.nanmedian(dim, keepdim=True), [x], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_nanmedian_all(dtype):
    x = np.array([[1.0, NAN, 3, 2], [NAN, 5, 0, -1]], dtype)
    check(lambda lib, x: lib.nanmedian(x), [x], dtype=dtype)
    check(lambda lib, x: lib.nanmedian(x), [np.full(3, NAN, dtype)], dtype=dtype)
    check(lambda lib, x: lib.nanmedian(x), [np.array([2.0, 2, 1, NAN, 3, 2], dtype)], dtype=dtype)
    check(lambda lib, x: lib.nanmedian(x), [np.array([4, 1, 3], "int64")])


def test_nanmedian_empty():
    check(lambda lib, x: lib.nanmedian(x), [np.zeros(0, "float32")])
    check_error(lambda lib: lib.nanmedian(lib.ones(0, 3), 0), IndexError,
                r"median\(\): Expected reduction dim 0 to have non-zero size.")


# ---- quantile, nanquantile ------------------------------------------------------------------

INTERPOLATIONS = ["linear", "lower", "higher", "midpoint", "nearest"]


@pytest.mark.parametrize("fn", ["quantile", "nanquantile"])
@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,dim,keepdim", [((9,), None, False), ((4, 5), None, True), ((4, 5), 1, False),
                                               ((4, 5), 0, True), ((2, 3, 4), -2, False), ((), None, False),
                                               ((), 0, True), ((3, 1), 1, False)])
def test_quantile(fn, interpolation, dtype, shape, dim, keepdim):
    check(lambda lib, x: getattr(lib, fn)(x, 0.3, dim, keepdim, interpolation=interpolation), [shape], dtype=dtype)
    q = np.array([0.0, 0.25, 0.5, 0.9, 1.0], dtype)
    check(lambda lib, x, q: getattr(x, fn)(q, dim=dim, keepdim=keepdim, interpolation=interpolation),
          [shape, q], dtype=dtype, grad_inputs=[0])


@pytest.mark.parametrize("fn", ["quantile", "nanquantile"])
@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
def test_quantile_nan(fn, interpolation):
    x = np.array([[1.0, NAN, 3, 2, 7], [NAN] * 5, [4, 0, -1, 2, 5], [NAN, 1, NAN, 2, 0]])
    for q in (0.0, 0.4, 0.5, 1.0):
        check(lambda lib, x: getattr(lib, fn)(x, q, dim=1, interpolation=interpolation), [x], dtype="float64")
    # over all elements (distinct values: the order torch's sort gives ties is unspecified)
    x = np.array([[1.0, NAN, 3], [2, 7, -1]])
    check(lambda lib, x: getattr(lib, fn)(x, 0.7, interpolation=interpolation), [x], dtype="float64")


def test_quantile_q_gradient():
    check(lambda lib, x, q: lib.quantile(x, q, dim=0), [(6, 3), np.array([0.1, 0.55, 0.8])], dtype="float64")
    check(lambda lib, x, q: lib.quantile(x, q), [(7,), np.array(0.35)], dtype="float64")


@pytest.mark.parametrize("fn,q,kwargs,exc,msg", [
    ("quantile", 1.5, {}, RuntimeError, r"quantile\(\) q must be in the range \[0, 1\] but got 1.5"),
    ("nanquantile", -0.5, {}, RuntimeError, r"^quantile\(\) q must be in the range \[0, 1\] but got -0.5"),
    ("quantile", "q64", {}, RuntimeError, r"quantile\(\) q tensor must be same dtype as the input tensor"),
    ("quantile", "q2d", {}, RuntimeError, r"quantile\(\) q must be a scalar or 1D tensor"),
    ("quantile", "qbad", {}, RuntimeError, r"quantile\(\) q values must be in the range \[0, 1\]"),
    ("quantile", 0.5, {"interpolation": "foo"}, RuntimeError,
     r"quantile\(\) interpolation must be one of linear, lower, higher, midpoint or nearest, but got foo"),
    ("quantile", 0.5, {"dim": 2}, IndexError, r"Dimension out of range"),
])
def test_quantile_errors(fn, q, kwargs, exc, msg):
    def run(lib):
        qq = {"q64": lambda: lib.tensor([0.5], dtype=lib.float64), "q2d": lambda: lib.tensor([[0.5]]),
              "qbad": lambda: lib.tensor([0.5, 1.5])}.get(q, lambda: q)()
        return getattr(lib, fn)(lib.ones(2, 3), qq, **kwargs)
    check_error(run, exc, msg)


def test_quantile_input_errors():
    check_error(lambda lib: lib.quantile(lib.tensor([1, 2]), 0.5), RuntimeError,
                r"quantile\(\) input tensor must be either float or double dtype")
    check_error(lambda lib: lib.quantile(lib.tensor([]), 0.5), RuntimeError,
                r"quantile\(\) input tensor must be non-empty")
