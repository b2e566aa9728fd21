"""Reductions against PyTorch: sum/mean/prod/var/std over dims (tuples, negative, keepdim),
max/min/amax/amin with ties and NaN, argmax/argmin, all/any, logsumexp, norm, median,
cumsum/cumprod (with zeros), the integer dtypes, empty and 0-d inputs, and error wording."""
import numpy as np
import pytest
import torch

import lamina
from oracle import check, check_error

DTYPES = ["float32", "float64"]
# (shape, dim): None, int, negative, tuple, size-1, size-0 and 0-d cases
DIM_CASES = [((2, 3, 4), None), ((2, 3, 4), 1), ((2, 3, 4), -1), ((2, 3, 4), (0, 2)), ((2, 3, 4), (-1, 0, 1)),
             ((5,), 0), ((1, 4), 0), ((3, 0), 1), ((0, 3), 1), ((), None), ((), 0), ((), -1), ((4, 1, 3), (1,))]
ONE_DIM_CASES = [c for c in DIM_CASES if not isinstance(c[1], tuple)]


def reduce_kwargs(dim, keepdim):
    return {} if dim is None else {"dim": dim, "keepdim": keepdim}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("shape,dim", DIM_CASES, ids=str)
@pytest.mark.parametrize("op", ["sum", "mean", "amax", "amin", "logsumexp", "nansum", "norm"])
def test_reduction_over_dims(op, shape, dim, keepdim, dtype):
    if op in ("amax", "amin") and 0 in shape:
        pytest.skip("covered by the empty-input error test")
    if op == "logsumexp":
        if dim is None:
            pytest.skip("logsumexp needs dim")
        check(lambda lib, x: lib.logsumexp(x, dim, keepdim), [shape], dtype=dtype)
        return
    kw = reduce_kwargs(dim, keepdim)
    if op == "norm" and isinstance(dim, tuple) and len(dim) > 2:  # the Frobenius norm takes at most 2 dims
        for lib in (torch, lamina):
            with pytest.raises(RuntimeError, match="linalg.matrix_norm: dim must be a 2-tuple"):
                lib.ones(shape).norm(**kw)
        return
    check(lambda lib, x: getattr(x, op)(**kw), [shape], dtype=dtype)
    check(lambda lib, x: getattr(lib, op)(x, **kw), [shape], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("shape,dim", DIM_CASES, ids=str)
@pytest.mark.parametrize("correction", [None, 0, 1, 2, 0.5])
@pytest.mark.parametrize("op", ["var", "std"])
def test_var_std_corrections(op, shape, dim, keepdim, correction, dtype):
    kw = reduce_kwargs(dim, keepdim)
    n = int(np.prod([shape[d] for d in ((dim,) if isinstance(dim, int) else dim)])) if dim is not None and shape \
        else int(np.prod(shape))
    if correction is not None:
        kw["correction"] = correction
    # where n − correction ≤ 0 the value is inf/nan and torch's gradient formula differs by case:
    # compare values only there
    grad = n - (1 if correction is None else correction) > 0
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        check(lambda lib, x: getattr(x, op)(**kw), [shape], dtype=dtype, grad=grad)


@pytest.mark.parametrize("op", ["var", "std"])
def test_var_std_legacy_unbiased_forms(op):
    check(lambda lib, x: getattr(x, op)(False), [(3, 4)])
    check(lambda lib, x: getattr(x, op)(True), [(3, 4)])
    check(lambda lib, x: getattr(x, op)(1, False), [(3, 4)])
    check(lambda lib, x: getattr(x, op)(1, True, True), [(3, 4)])
    check(lambda lib, x: getattr(x, op)(dim=0, unbiased=False, keepdim=True), [(3, 4)])
    check(lambda lib, x: getattr(lib, op + "_mean")(x, 1), [(3, 4)])
    check(lambda lib, x: getattr(lib, op + "_mean")(x, correction=0), [(3, 4)])
    check(lambda lib, x: getattr(lib, op + "_mean")(x, (0, 1), keepdim=True), [(3, 4)])


def test_var_warns_about_degrees_of_freedom_like_torch():
    for lib in (torch, lamina):
        with pytest.warns(UserWarning, match=r"var\(\): degrees of freedom is <= 0"):
            lib.tensor([1.0]).var()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("shape,dim", ONE_DIM_CASES, ids=str)
def test_prod(shape, dim, keepdim, dtype):
    kw = reduce_kwargs(dim, keepdim)
    check(lambda lib, x: x.prod(**kw), [shape], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dim", [None, 0, 1])
def test_prod_gradient_with_zeros(dim, dtype):
    # no zero, one zero, two zeros per row/column
    x = np.array([[1.5, 0.0, 2.0, -1.0], [0.0, 3.0, 0.0, 2.0], [1.0, 2.0, -0.5, 4.0]], dtype=dtype)
    kw = {} if dim is None else {"dim": dim}
    check(lambda lib, t: t.prod(**kw), [x], dtype=dtype)
    check(lambda lib, t: t.prod(**kw), [x[2:]], dtype=dtype)
    check(lambda lib, t: t.prod(**kw), [x[:1]], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("shape,dim", [c for c in ONE_DIM_CASES if c[1] is not None and 0 not in c[0]], ids=str)
@pytest.mark.parametrize("op", ["max", "min", "median"])
def test_max_min_median_with_dim_return_values_and_indices(op, shape, dim, keepdim, dtype):
    check(lambda lib, x: getattr(x, op)(dim, keepdim), [shape], dtype=dtype)
    check(lambda lib, x: tuple(getattr(lib, op)(x, dim=dim, keepdim=keepdim)), [shape], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("op", ["max", "min", "median", "amax", "amin"])
def test_full_reductions_share_gradient_among_ties(op, dtype):
    x = np.array([[1.0, 3.0, 3.0], [-2.0, 3.0, -2.0]], dtype=dtype)
    check(lambda lib, t: getattr(t, op)(), [x], dtype=dtype)
    check(lambda lib, t: getattr(t, op)(), [np.array([2.0, 2.0, 2.0, 2.0], dtype=dtype)], dtype=dtype)


@pytest.mark.parametrize("op", ["max", "min", "amax", "amin"])
def test_reductions_along_dim_with_ties(op):
    x = np.array([[1.0, 3.0, 3.0], [-2.0, 3.0, -2.0], [5.0, 5.0, 5.0]], dtype="float32")
    for dim in (0, 1):
        out = lambda lib, t: getattr(t, op)(dim)  # noqa: E731
        check(out, [x])


@pytest.mark.parametrize("op", ["max", "min", "amax", "amin", "argmax", "argmin", "median"])
def test_nan_propagates_like_torch(op):
    x = np.array([[1.0, np.nan, 3.0, np.nan], [2.0, 0.0, 1.0, 5.0]], dtype="float32")
    grad = op not in ("argmax", "argmin", "amax", "amin")
    check(lambda lib, t: getattr(t, op)(), [x], grad=grad)
    check(lambda lib, t: getattr(t, op)(1), [x], grad=grad)
    check(lambda lib, t: getattr(t, op)(dim=0), [x], grad=grad)
    if op in ("amax", "amin"):  # values only: torch's gradient is NaN across such a slice
        check(lambda lib, t: getattr(t, op)(1), [x[1:]])


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("shape,dim", [((2, 3, 4), None), ((2, 3, 4), 1), ((2, 3, 4), -1), ((5,), 0), ((), None),
                                       ((), 0), ((3, 0), 0)], ids=str)
@pytest.mark.parametrize("op", ["argmax", "argmin"])
def test_argmax_argmin(op, shape, dim, keepdim):
    check(lambda lib, x: getattr(x, op)(dim, keepdim), [shape], grad=False)
    check(lambda lib, x: getattr(lib, op)(x, dim=dim, keepdim=keepdim), [shape], grad=False)


def test_argmax_first_index_among_ties():
    check(lambda lib, x: (x.argmax(), x.argmin(), x.argmax(1), x.argmin(0)),
          [np.array([[1, 3, 3], [0, 0, 3]], dtype="int64")], grad=False)


@pytest.mark.parametrize("op", ["all", "any"])
@pytest.mark.parametrize("dim,keepdim", [(None, False), (0, False), (1, True), ((0, 1), False), (-1, False)])
@pytest.mark.parametrize("dtype", ["bool", "float32", "int64", "uint8"])
def test_all_any(op, dim, keepdim, dtype):
    x = np.array([[1, 0, 2], [3, 4, 5]]).astype(dtype)
    kw = reduce_kwargs(dim, keepdim)
    check(lambda lib, t: getattr(t, op)(**kw), [x], grad=False)
    check(lambda lib, t: getattr(lib, op)(t.bool(), **kw), [x], grad=False)
    check(lambda lib, t: getattr(t, op)(**kw), [np.zeros((0, 3), dtype)], grad=False)


# ---- integer and bool inputs -----------------------------------------------------------------

INTS = np.array([[3, -2, 5], [7, 0, -4]], dtype="int32")
BOOLS = np.array([[True, False, True], [True, True, True]])
U8 = np.array([[3, 2, 250], [7, 1, 4]], dtype="uint8")


@pytest.mark.parametrize("x", [INTS, BOOLS, U8], ids=["int32", "bool", "uint8"])
@pytest.mark.parametrize("fn", [
    lambda lib, t: t.sum(), lambda lib, t: t.sum(1), lambda lib, t: t.sum(dtype=lib.float64),
    lambda lib, t: t.prod(), lambda lib, t: t.prod(0), lambda lib, t: t.cumsum(1), lambda lib, t: t.cumprod(0),
    lambda lib, t: t.mean(dtype=lib.float32), lambda lib, t: t.amax(1), lambda lib, t: t.max(), lambda lib, t: tuple(t.min(0)),
    lambda lib, t: t.logsumexp(1), lambda lib, t: lib.count_nonzero(t, 1), lambda lib, t: t.median(),
    lambda lib, t: t.argmax(), lambda lib, t: lib.aminmax(t, dim=0),
])
def test_integer_and_bool_reductions_match_torch_dtypes(fn, x):
    try:
        fn(torch, torch.from_numpy(x))
    except (RuntimeError, NotImplementedError) as e:  # e.g. median and argmax refuse bool
        with pytest.raises(type(e), match=str(e).replace("(", r"\(").replace(")", r"\)")):
            fn(lamina, lamina.from_numpy(x))
        return
    check(fn, [x], grad=False)


def test_sum_with_dtype_casts_gradient_back():
    check(lambda lib, x: x.sum(1, dtype=lib.float64), [(3, 4)])
    check(lambda lib, x: x.mean(dtype=lib.float64), [(3, 4)])
    check(lambda lib, x: x.cumsum(0, dtype=lib.float64), [(3, 4)])


# ---- cumulative ------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,dim", [((2, 3, 4), 0), ((2, 3, 4), 1), ((2, 3, 4), -1), ((5,), 0), ((), 0),
                                       ((0, 3), 1), ((3, 0), 1)], ids=str)
@pytest.mark.parametrize("op", ["cumsum", "cumprod"])
def test_cumulative(op, shape, dim, dtype):
    check(lambda lib, x: getattr(x, op)(dim), [shape], dtype=dtype)
    check(lambda lib, x: getattr(lib, op)(x, dim=dim), [shape], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_cumprod_gradient_with_zeros(dtype):
    x = np.array([[2.0, 0.0, 3.0, 0.5, -1.0], [0.0, 2.0, 1.5, 2.0, 3.0], [1.0, 2.0, 3.0, 4.0, 0.0],
                  [0.0, 0.0, 2.0, 1.0, 1.0]], dtype=dtype)
    check(lambda lib, t: t.cumprod(1), [x], dtype=dtype)
    check(lambda lib, t: t.cumprod(0), [x], dtype=dtype)
    check(lambda lib, t: t.cumprod(-1), [x[None]], dtype=dtype)


# ---- norm, logsumexp, median ------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", ["fro", 2, 1, 3, 0.5, float("inf"), float("-inf"), 0])
@pytest.mark.parametrize("dim,keepdim", [(None, False), (1, False), (1, True), ((0, 1), False), (-1, True)])
def test_norm(p, dim, keepdim, dtype):
    if p == "fro" and isinstance(dim, int):
        pytest.skip("torch's Frobenius norm wants 2 dims")
    kw = {"p": p, "keepdim": keepdim} if dim is None else {"p": p, "dim": dim, "keepdim": keepdim}
    check(lambda lib, x: x.norm(**kw), [(3, 4)], dtype=dtype)
    check(lambda lib, x: lib.norm(x, **kw), [(2, 3)], dtype=dtype)


@pytest.mark.parametrize("p", [2, 1, 3, 0.5, float("inf")])
def test_norm_gradient_is_zero_at_zero(p):
    x = np.array([[0.0, 0.0, 0.0], [0.0, 3.0, -4.0]], dtype="float32")
    check(lambda lib, t: t.norm(p=p, dim=1), [x])
    check(lambda lib, t: t.norm(p=p), [np.zeros((2, 3), "float32")])


def test_logsumexp_with_infinities():
    x = np.array([[-np.inf, -np.inf], [np.inf, 1.0], [-np.inf, 0.0], [1000.0, 1000.0]], dtype="float32")
    check(lambda lib, t: lib.logsumexp(t, 1), [x], grad=False)
    check(lambda lib, t: lib.logsumexp(t, 1), [x[2:]])
    check(lambda lib, t: lib.logsumexp(t, 0, keepdim=True), [np.zeros((0, 3), "float32")])


def test_median_picks_the_lower_middle():
    check(lambda lib, x: (x.median(), x.median(1), x.median(0)), [np.array([[1.0, 4.0, 2.0, 3.0], [8.0, 5.0, 6.0, 7.0]])],
          dtype="float64")


def test_nanmean_and_nansum():
    x = np.array([[1.0, np.nan, 3.0], [np.nan, np.nan, 2.0]], dtype="float32")
    check(lambda lib, t: (lib.nansum(t), lib.nansum(t, 1), lib.nanmean(t), t.nanmean(0)), [x])


def test_aminmax_and_count_nonzero():
    x = np.array([[1.0, 0.0, 3.0], [0.0, 0.0, 2.0]], dtype="float32")
    check(lambda lib, t: tuple(lib.aminmax(t)) + tuple(lib.aminmax(t, dim=1, keepdim=True)), [x])
    check(lambda lib, t: (lib.count_nonzero(t), lib.count_nonzero(t, dim=0), lib.count_nonzero(t, (0, 1))), [x],
          grad=False)


def test_named_results_have_torch_fields_and_repr():
    x = lamina.tensor([[1.0, 5.0, 2.0]])
    r = x.max(1)
    values, indices = r
    assert r.values is values and r.indices is indices
    assert repr(r).startswith("torch.return_types.max(\nvalues=tensor([5.]),\nindices=tensor([1]))")
    assert lamina.aminmax(x).max.item() == 5.0
    assert type(x.median(1)).__name__ == "median"


# ---- errors ----------------------------------------------------------------------------------

@pytest.mark.parametrize("fn,exc,message", [
    (lambda L: L.ones(2, 3).sum(2), IndexError, r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"),
    (lambda L: L.ones(2, 3).mean(-3), IndexError, r"Dimension out of range \(expected to be in range of \[-2, 1\], but got -3\)"),
    (lambda L: L.tensor(1.0).sum(1), IndexError, r"expected to be in range of \[-1, 0\], but got 1"),
    (lambda L: L.ones(2, 3).sum((0, 0)), RuntimeError, "dim 0 appears multiple times in the list of dims"),
    (lambda L: L.ones(2, 3).amax((1, -1)), RuntimeError, "dim 1 appears multiple times in the list of dims"),
    (lambda L: L.tensor([1, 2]).mean(), RuntimeError,
     r"mean\(\): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: Long"),
    (lambda L: L.ones(2).mean(dtype=L.long), RuntimeError,
     r"mean\(\): could not infer output dtype. Optional dtype must be either a floating point or complex dtype. "
     r"Got: Long"),
    (lambda L: L.tensor([1, 2]).var(), RuntimeError, "std and var only support floating point and complex dtypes"),
    (lambda L: L.ones(0).max(), RuntimeError, r"max\(\): Expected reduction dim to be specified for input.numel\(\) == 0"),
    (lambda L: L.ones(0, 3).max(0), IndexError, r"max\(\): Expected reduction dim 0 to have non-zero size"),
    (lambda L: L.ones(0, 3).min(0), IndexError, r"min\(\): Expected reduction dim 0 to have non-zero size"),
    (lambda L: L.ones(0, 3).amax(0), IndexError, r"amax\(\): Expected reduction dim 0 to have non-zero size"),
    (lambda L: L.ones(0, 3).amin(), RuntimeError, r"amin\(\): Expected reduction dim to be specified for input.numel\(\) == 0"),
    (lambda L: L.ones(0, 3).argmax(), IndexError, r"argmax\(\): Expected reduction dim to be specified"),
    (lambda L: L.ones(0, 3).argmin(0), IndexError, r"argmin\(\): Expected reduction dim 0 to have non-zero size"),
    (lambda L: L.tensor([1, 2]).norm(), RuntimeError,
     "linalg.vector_norm: Expected a floating point or complex tensor as input. Got Long"),
    (lambda L: L.ones(2, 3).cumsum(2), IndexError, "Dimension out of range"),
])
def test_error_messages_match_torch(fn, exc, message):
    check_error(fn, exc, message)


def test_grad_fn_names_match_torch():
    def names(lib):
        x = lib.ones(2, 3, requires_grad=True)
        outs = [x.sum(), x.sum(1), x.mean(), x.mean(0), x.prod(), x.prod(1), x.var(), x.std(1), x.max(), x.max(1)[0],
                x.amax(1), x.logsumexp(1), x.norm(), x.cumsum(1), x.cumprod(0), x.median()]
        return [o.grad_fn.name() for o in outs]
    assert names(lamina) == names(torch)


def test_half_precision_sums_accumulate_in_float32():
    x = np.random.default_rng(0).random(20000).astype("float16")
    check(lambda lib, t: (t.sum(), t.mean(), t.reshape(100, 200).sum(1)), [x], dtype="float16", grad=False)


def test_half_precision_var_std_norm_cumsum_accumulate_in_float32():
    """Σx² of arange(100) overflows half (65504): var, std and norm gave inf, and cumsum drifted."""
    x = np.arange(100, dtype="float16")
    check(lambda lib, t: (t.var(), t.std(), t.norm(), t.norm(p=1), t.norm(p=3), t.reshape(10, 10).var(1),
                          t.reshape(10, 10).std(0, correction=0), lib.linalg.vector_norm(t), t.cumsum(0),
                          (t / 7).cumsum(0), lib.var_mean(t)), [x], dtype="float16", grad=False)
    y = np.array([[0.1, 0.7, -0.3], [2.5, 1.0, 0.25]], "float16")
    check(lambda lib, t: (t.std(1), t.var(0), t.norm(dim=1), t.cumsum(1)), [y], dtype="float16")


def test_max_min_over_a_dim_of_an_empty_tensor_with_other_dims():
    check(lambda lib, t: (tuple(t.max(1)), tuple(t.min(1, keepdim=True)), t.argmax(1), t.amax(1)),
          [np.zeros((0, 3), "float32")], grad=False)


@pytest.mark.parametrize("p,dim,keepdim", [("nuc", None, False), ("nuc", (1, 2), False), ("nuc", (0, 2), True),
                                           ("fro", (1, 2), False)])
def test_norm_with_matrix_orders_matches_torch(p, dim, keepdim):
    shape = (3, 4) if dim is None else (2, 3, 4)
    check(lambda lib, x: lib.norm(x, p=p, dim=dim, keepdim=keepdim), [shape], dtype="float64")


def test_norm_matrix_order_errors_match_torch():
    check_error(lambda lib: lib.norm(lib.ones(2, 3, 4), p="nuc"), RuntimeError, "dim must be a 2-tuple. Got 0 1 2")
    check_error(lambda lib: lib.norm(lib.ones(3), p="nuc"), RuntimeError, "must have at least 2 dimensions")
    check_error(lambda lib: lib.norm(lib.ones(3, 3), p="abc"), RuntimeError, "Order abc not supported")


def test_numpy_keyword_names_axis_and_keepdims_as_in_torch():
    """x.sum(axis=0), x.mean(axis=1, keepdims=True), torch.cat(..., axis=1): PyTorch accepts NumPy's names."""
    check(lambda lib, x: (x.sum(axis=0), x.mean(axis=1, keepdims=True), lib.sum(x, axis=1), x.std(axis=0),
                          x.var(axis=1, keepdims=True), x.max(axis=1).values, x.min(axis=0, keepdims=True)[0],
                          x.sum(dim=0, keepdims=True), x.amax(1)), [(2, 3)])
    check(lambda lib, x: (x.argmax(axis=1), x.argmin(axis=0, keepdims=True), (x > 0).any(axis=0),
                          (x > 0).all(axis=1, keepdims=True)), [(3, 4)], grad=False)


@pytest.mark.parametrize("shape,dim", [((32, 128), 1), ((128, 256), 0), ((16, 64, 128), 0), ((16, 64, 128), 1),
                                       ((16, 64, 128), 2), ((2, 5000, 8), 1), ((4096, 3), 0), ((3, 1), 0), ((0, 9), 1)])
def test_float32_cumsum_accumulates_in_float64_like_torch(shape, dim):
    """PyTorch's CPU cumsum keeps a float64 running sum for float32: the values (and the reversed
    sums of the gradient) are bit for bit PyTorch's, on both sides of the doubling-step path's
    conditions, with magnitudes spread wide enough that a float32 running sum would drift."""
    rng = np.random.default_rng(3)
    x = (rng.standard_normal(shape) * np.exp(rng.uniform(-6, 6, shape))).astype(np.float32)
    g = rng.standard_normal(shape).astype(np.float32)
    outs = {}
    for lib in (torch, lamina):
        t = lib.tensor(x, requires_grad=True)
        y = t.cumsum(dim)
        y.backward(lib.tensor(g))
        outs[lib] = (y.detach().numpy(), t.grad.numpy())
    np.testing.assert_array_equal(outs[lamina][0], outs[torch][0])
    np.testing.assert_array_equal(outs[lamina][1], outs[torch][1])


def test_float32_cumsum_nonfinite_strided_and_cast_inputs():
    x = np.random.default_rng(4).standard_normal((64, 300)).astype(np.float32)
    x[3, 7], x[5, 9], x[9, 1], x[9, 100] = np.inf, np.nan, -np.inf, np.inf
    check(lambda lib, t: (t.cumsum(0), t.cumsum(1), t.t().cumsum(0), t[:, ::3].cumsum(0)), [x], grad=False, atol=0, rtol=0)
    check(lambda lib, t: (t.cumsum(0, dtype=lib.float32), t.long().cumsum(0, dtype=lib.float32)), [(128, 130)],
          dtype="float64", atol=0, rtol=0)
