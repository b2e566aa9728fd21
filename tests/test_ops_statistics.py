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


@pytest.mark.parametrize("n", [17, 20, 25, 40, 100])
def test_mode_index_past_16_elements_is_torchs(n):
    """Past 16 elements PyTorch's std::sort is unstable, so which occurrence of the mode it
    reports is not the last one; lamina replays the sort (also with NaNs, which never tie)."""
    rng = np.random.default_rng(n)
    x = rng.integers(0, 4, (3, n)).astype("float32")
    check(lambda lib, t: tuple(lib.mode(t)), [x])
    check(lambda lib, t: tuple(t.mode(0)), [x[:, :5].T.copy()])
    x[1, ::5] = np.nan
    check(lambda lib, t: tuple(t.mode(-1, keepdim=True)), [x])
    check(lambda lib, t: tuple(lib.mode(t)), [x[0].astype("int64")], grad=False)


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
    t, lam = check(lambda lib, x: lib.nanmedian(x, 1), [np.array([[4, 1, 3, 2]], "int64")])
    assert type(lam).__name__ == "nanmedian"


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


# ---- histc ----------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bins,lo,hi", [(100, 0, 0), (7, -1, 1), (5, 0.5, 0.5), (3, -10, 10), (1, 0, 0)])
def test_histc(dtype, bins, lo, hi):
    x = np.random.default_rng(4).standard_normal((6, 50)).astype(dtype)
    x[0, :3] = [-1, 1, 0.5]  # on the edges, and max itself in the last bin
    check(lambda lib, x: lib.histc(x, bins=bins, min=lo, max=hi), [x], grad=False)
    check(lambda lib, x: x.histc(bins, lo, hi), [x[:1, :1]], grad=False)
    check(lambda lib, x: lib.histc(x, bins), [np.zeros(0, dtype)], grad=False)
    check(lambda lib, x: lib.histc(x, bins), [np.array(3.0, dtype)], grad=False)


def test_histc_errors():
    check_error(lambda lib: lib.histc(lib.tensor([1.0, 2.0]), bins=0), RuntimeError,
                r"torch.histogram\(\): bins must be > 0, but got 0 for dimension 0")
    check_error(lambda lib: lib.histc(lib.tensor([1.0, 2.0]), bins=3, min=5, max=1), RuntimeError,
                "torch.histc: max must be larger than min")
    check_error(lambda lib: lib.histc(lib.tensor([1.0, float("inf")]), bins=4), RuntimeError,
                r"torch.histc: range of \[1, inf\] is not finite")
    check_error(lambda lib: lib.histc(lib.tensor([1, 2]), bins=4), NotImplementedError,
                "\"histogram_cpu\" not implemented for 'Long'")


# ---- cov, corrcoef --------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(3, 8), (1, 5), (8,), (4, 2)])
@pytest.mark.parametrize("correction", [0, 1, 2])
def test_cov(dtype, shape, correction):
    check(lambda lib, x: lib.cov(x, correction=correction), [shape], dtype=dtype)
    check(lambda lib, x: x.corrcoef(), [shape], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_cov_weights(dtype):
    rng = np.random.default_rng(5)
    f = rng.integers(0, 4, 6)
    a = rng.uniform(0.1, 2, 6).astype(dtype)
    check(lambda lib, x, f: lib.cov(x, fweights=f), [(3, 6), f], dtype=dtype)
    check(lambda lib, x, a: lib.cov(x, aweights=a), [(3, 6), a], dtype=dtype)
    check(lambda lib, x, f, a: x.cov(correction=0, fweights=f, aweights=a), [(3, 6), f, a], dtype=dtype)
    check(lambda lib, x, f, a: lib.cov(x, correction=3, fweights=f, aweights=a), [(2, 6), f, a], dtype=dtype)


def test_cov_integer_and_degenerate():
    check(lambda lib, x: lib.cov(x), [np.array([[1, 2, 3], [2, 5, 1]])])
    check(lambda lib, x: lib.corrcoef(x), [np.array([[1, 2, 3], [2, 5, 1]])])
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        check(lambda lib, x: lib.cov(x), [np.ones((2, 1), "float32")], grad=False)
    with pytest.warns(UserWarning):
        check(lambda lib, x: lib.corrcoef(x), [np.array(3.0, "float32")], grad=False)
    check(lambda lib, x: lib.corrcoef(x), [np.array([1.0, 2, 4], "float32")], grad=False)


@pytest.mark.parametrize("kwargs,msg", [
    ({"fweights": "f2"}, r"cov\(\): expected fweights to have the same numel as there are observations in the input "
                         r"but got 2 != 3"),
    ({"fweights": "ffloat"}, r"cov\(\): expected fweights to have integral dtype but got fweights with Float dtype"),
    ({"fweights": "fneg"}, r"cov\(\): fweights cannot be negative"),
    ({"aweights": "aneg"}, r"cov\(\): aweights cannot be negative"),
    ({"aweights": "a2d"}, r"cov\(\): expected aweights to have one or fewer dimensions but got aweights with 2 "
                          r"dimensions"),
    ({"aweights": "along"}, r"cov\(\): expected aweights to have floating point dtype but got aweights with Long "
                            r"dtype"),
    ({"input": "3d"}, r"cov\(\): expected input to have two or fewer dimensions but got an input with 3 dimensions"),
])
def test_cov_errors(kwargs, msg):
    def run(lib):
        make = {"f2": lambda: lib.tensor([1, 2]), "ffloat": lambda: lib.tensor([1.0, 2, 3]),
                "fneg": lambda: lib.tensor([1, -2, 1]), "aneg": lambda: lib.tensor([1, -2.0, 1]),
                "a2d": lambda: lib.tensor([[1, 2.0, 1]]), "along": lambda: lib.tensor([1, 2, 1]),
                "3d": lambda: lib.ones(2, 3, 3)}
        kw = {k: make[v]() for k, v in kwargs.items()}
        x = kw.pop("input", lib.ones(2, 3))
        return lib.cov(x, **kw)
    check_error(run, RuntimeError, msg)


# ---- dist, renorm ---------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", [2, 1, 3.5, 0, float("inf")])
@pytest.mark.parametrize("sa,sb", [((3, 4), (3, 4)), ((3, 1), (4,)), ((), ())])
def test_dist(dtype, p, sa, sb):
    # torch's own backward of dist with p = 0 fails ("Expected a proper Tensor but got None")
    check(lambda lib, x, y: lib.dist(x, y, p), [sa, sb], dtype=dtype, grad=p != 0)
    check(lambda lib, x, y: x.dist(y), [sa, sb], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p,dim,maxnorm", [(2, 0, 1.0), (1, 1, 2.0), (3, -1, 0.5), (2, 1, 100.0), (2, 0, 0.0)])
def test_renorm(dtype, p, dim, maxnorm):
    check(lambda lib, x: lib.renorm(x, p, dim, maxnorm), [(3, 4, 2)], dtype=dtype)
    check(lambda lib, x: x.renorm(p, dim, maxnorm), [(3, 5)], dtype=dtype)
    check(lambda lib, x: (x * 1).renorm_(p, dim, maxnorm), [(3, 5)], dtype=dtype)


def test_dist_renorm_errors():
    check_error(lambda lib: lib.dist(lib.tensor([1, 2]), lib.tensor([3, 4])), RuntimeError,
                "norm\\(\\): input dtype should be either floating point or complex. Got Long instead.")
    check_error(lambda lib: lib.renorm(lib.ones(2, 2), 2, 0, -1.0), RuntimeError,
                "renorm: expected maxnorm to be >= 0 but got -1")
    check_error(lambda lib: lib.renorm(lib.ones(2), 2, 0, 1.0), RuntimeError,
                "renorm: input needs at least 2 dimensions, got 1 dimensions")
    check_error(lambda lib: lib.renorm(lib.ones(2, 2), -1, 0, 1.0), RuntimeError,
                "renorm: non-positive-norm not supported")


# ---- trapezoid, cumulative_trapezoid --------------------------------------------------------

@pytest.mark.parametrize("fn", ["trapezoid", "trapz", "cumulative_trapezoid"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,dim", [((5,), -1), ((3, 4), 0), ((2, 3, 4), 1), ((1,), 0), ((0,), 0), ((3, 0), 1)])
def test_trapezoid(fn, dtype, shape, dim):
    check(lambda lib, y: getattr(lib, fn)(y, dim=dim), [shape], dtype=dtype)
    check(lambda lib, y: getattr(lib, fn)(y, dx=0.25, dim=dim), [shape], dtype=dtype)
    x = np.cumsum(np.random.default_rng(6).uniform(0.1, 1, shape[dim])).astype(dtype)
    check(lambda lib, y, x: getattr(lib, fn)(y, x, dim=dim), [shape, x], dtype=dtype)
    check(lambda lib, y, x: getattr(lib, fn)(y, x, dim=dim), [shape, shape], dtype=dtype)


def test_trapezoid_integer_and_errors():
    for fn in ("trapezoid", "cumulative_trapezoid"):
        check(lambda lib, y: getattr(lib, fn)(y), [np.array([1, 2, 3])])
        check(lambda lib, y, x: getattr(lib, fn)(y, x), [np.array([1.0, 2, 3]), np.array([1, 2, 5])])
        check_error(lambda lib: getattr(lib, fn)(lib.ones(2, 3), lib.ones(2)), RuntimeError,
                    f"{fn}: There must be one `x` value for each sample point")
        check_error(lambda lib: getattr(lib, fn)(lib.tensor([True, False])), RuntimeError,
                    f"{fn}: received a bool input for `y`, but bool is not supported")
    check_error(lambda lib: lib.trapezoid(lib.tensor(1.0)), IndexError,
                "Dimension specified as -1 but tensor has no dimensions")
    check_error(lambda lib: lib.cumulative_trapezoid(lib.tensor(1.0)), IndexError,
                r"slice\(\) cannot be applied to a 0-dim tensor.")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_histogram_matches_torch(dtype):
    """torch.histogram: the bins PyTorch picks (a guess from the width, corrected against the
    edges), weights, density, an explicit range, tensor edges and a degenerate range."""
    x = np.round(np.random.default_rng(3).standard_normal(200) * 4) / 4
    w = np.linspace(0, 1, 200)
    for kwargs in ({}, {"range": (-1.0, 1.5)}, {"density": True}):
        check(lambda lib, t: tuple(lib.histogram(t, 7, **kwargs)), [x.astype(dtype)], grad=False)
    check(lambda lib, t, wt: tuple(t.histogram(5, weight=wt, density=True)), [x.astype(dtype), w.astype(dtype)],
          grad=False)
    check(lambda lib, t, e: tuple(lib.histogram(t, e)), [x.astype(dtype), np.array([-2, -0.25, 0, 1, 3], dtype)],
          grad=False)
    check(lambda lib, t: tuple(lib.histogram(t, 2)), [np.ones(3, dtype)], grad=False)
    assert repr(check(lambda lib, t: lib.histogram(t, bins=3), [np.array([1.0, 2.0, 1.0, 3.5], "float32")],
                      grad=False)[1]).startswith("torch.return_types.histogram(\nhist=tensor([2., 1., 1.]),")
    check_error(lambda lib: lib.histogram(lib.tensor([1, 2]), 2), NotImplementedError,
                "\"histogramdd\" not implemented for 'Long'")
    check_error(lambda lib: lib.histogram(lib.ones(2), 0), RuntimeError, "bins must be > 0, but got 0")
