"""sort/argsort/msort/topk/kthvalue/unique against PyTorch: values, indices (stable order for
ties), NaN placement, gradients back to the source positions, 0-d and empty inputs, errors."""
import numpy as np
import pytest
import torch

import lamina
from oracle import check, check_error

DTYPES = ["float32", "float64"]
SHAPES_DIMS = [((5,), 0), ((3, 4), 1), ((3, 4), 0), ((2, 3, 4), -1), ((2, 3, 4), 1), ((), 0), ((0, 3), 1),
               ((3, 0), 1), ((1, 4), 0)]


def distinct(shape, dtype="float32", seed=0):
    """Distinct values (no ties), so that every ordering is unique."""
    n = int(np.prod(shape))
    return np.asarray(np.random.default_rng(seed).permutation(n).reshape(shape) * 0.5 - n / 4, dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("shape,dim", SHAPES_DIMS, ids=str)
def test_sort_and_argsort(shape, dim, descending, dtype):
    x = distinct(shape, dtype)
    check(lambda lib, t: tuple(lib.sort(t, dim=dim, descending=descending)), [x], dtype=dtype)
    check(lambda lib, t: tuple(t.sort(dim, descending)), [x], dtype=dtype)
    check(lambda lib, t: lib.argsort(t, dim=dim, descending=descending), [x], grad=False)


@pytest.mark.parametrize("descending", [False, True])
def test_stable_sort_keeps_ties_in_order_and_puts_nan_last(descending):
    x = np.array([[3.0, 1.0, np.nan, 2.0, 1.0, 3.0, np.nan, 1.0]], dtype="float32")
    check(lambda lib, t: tuple(lib.sort(t, stable=True, descending=descending)), [x])
    check(lambda lib, t: lib.argsort(t, stable=True, descending=descending), [x], grad=False)
    for dtype in ("int64", "uint8", "bool", "int8"):
        y = np.array([[3, 1, 0, 2, 1, 3, 0, 1]]).astype(dtype)
        check(lambda lib, t: tuple(lib.sort(t, stable=True, descending=descending)), [y], grad=False)


def test_msort():
    check(lambda lib, t: lib.msort(t), [distinct((4, 3))])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("shape,dim,k", [((6,), 0, 3), ((3, 5), 1, 2), ((3, 5), 0, 3), ((2, 3, 4), -1, 4),
                                         ((3, 5), 1, 0), ((), 0, 1), ((0, 3), 1, 2), ((4, 3), 0, 0)], ids=str)
def test_topk(shape, dim, k, largest, dtype):
    check(lambda lib, t: tuple(lib.topk(t, k, dim=dim, largest=largest)), [distinct(shape, dtype)], dtype=dtype)
    check(lambda lib, t: tuple(t.topk(k, dim, largest)), [distinct(shape, dtype)], dtype=dtype)


def test_topk_treats_nan_as_largest():
    x = np.array([3.0, 1.0, np.nan, 2.0, 5.0], dtype="float32")
    check(lambda lib, t: tuple(t.topk(2)), [x])
    check(lambda lib, t: tuple(t.topk(2, largest=False)), [x])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("shape,dim,k", [((6,), 0, 3), ((3, 5), 1, 1), ((3, 5), 0, 3), ((2, 3, 4), -1, 4),
                                         ((), 0, 1)], ids=str)
def test_kthvalue(shape, dim, k, keepdim, dtype):
    check(lambda lib, t: tuple(lib.kthvalue(t, k, dim, keepdim)), [distinct(shape, dtype)], dtype=dtype)


@pytest.mark.parametrize("kwargs", [{}, {"return_inverse": True}, {"return_counts": True},
                                    {"return_inverse": True, "return_counts": True}], ids=str)
def test_unique(kwargs):
    x = np.array([[3, 1, 3], [2, 1, 7]])
    check(lambda lib, t: lib.unique(t, **kwargs), [x], grad=False)
    check(lambda lib, t: t.unique(**kwargs), [x.astype("float32")], grad=False)
    check(lambda lib, t: lib.unique(t, dim=0, **kwargs), [np.array([[3, 1], [3, 1], [2, 2]])], grad=False)


def test_unique_does_not_merge_nan():
    check(lambda lib, t: lib.unique(t), [np.array([3.0, np.nan, 1.0, np.nan], "float32")], grad=False)


def test_named_results():
    r = lamina.sort(lamina.tensor([3.0, 1.0]))
    assert type(r).__name__ == "sort" and r.values.tolist() == [1.0, 3.0] and r.indices.tolist() == [1, 0]
    assert type(lamina.topk(lamina.tensor([3.0, 1.0]), 1)).__name__ == "topk"
    assert repr(lamina.kthvalue(lamina.tensor([3.0, 1.0]), 1)).startswith("torch.return_types.kthvalue(")


@pytest.mark.parametrize("fn,exc,message", [
    (lambda L: L.topk(L.tensor([1.0, 2.0]), 3), RuntimeError, "selected index k out of range"),
    (lambda L: L.topk(L.tensor([1.0, 2.0]), -1), RuntimeError, "selected index k out of range"),
    (lambda L: L.kthvalue(L.tensor([3.0, 1.0, 2.0]), 4), RuntimeError,
     r"kthvalue\(\): selected number k out of range for dimension 0"),
    (lambda L: L.kthvalue(L.tensor([3.0, 1.0, 2.0]), 0), RuntimeError, "selected number k out of range"),
    (lambda L: L.sort(L.tensor(3.0), 1), IndexError, r"Dimension out of range \(expected to be in range of \[-1, 0\]"),
    (lambda L: L.topk(L.ones(2, 3), 2, dim=2), IndexError, "Dimension out of range"),
])
def test_error_messages_match_torch(fn, exc, message):
    check_error(fn, exc, message)


def test_grad_fn_names_match_torch():
    def names(lib):
        x = lib.tensor([3.0, 1.0, 2.0], requires_grad=True)
        return [lib.sort(x).values.grad_fn.name(), lib.topk(x, 2).values.grad_fn.name(),
                lib.kthvalue(x, 2).values.grad_fn.name()]
    assert names(lamina) == names(torch)


@pytest.mark.parametrize("n, k", [(5, 2), (4, 2), (13, 4), (40, 7), (64, 1), (300, 3), (1000, 5)])
@pytest.mark.parametrize("largest", [True, False])
def test_topk_picks_torchs_indices_among_equal_values(n, k, largest):
    """counts.topk(k) with repeated counts: PyTorch's unstable selection (nth_element or
    partial_sort) decides which of the equal values' indices come back, and in which order."""
    x = np.random.default_rng(n + k).integers(0, 3, (3, n)).astype("float32")
    x[1, ::7] = np.nan
    for sorted_ in (True, False):
        check(lambda lib, t: tuple(t.topk(k, largest=largest, sorted=sorted_)), [x])
        check(lambda lib, t: tuple(t.topk(min(k, 3), dim=0, largest=largest, sorted=sorted_)), [x])
    check(lambda lib, t: tuple(lib.topk(t, k, largest=largest)), [x[0].astype("int64")], grad=False)


@pytest.mark.parametrize("n", [5, 9, 17, 40])
def test_kthvalue_picks_torchs_index_among_equal_values(n):
    """PyTorch's quickselect decides which occurrence of a repeated k-th value it reports."""
    x = np.random.default_rng(n).integers(0, 3, (4, n)).astype("float32")
    x[2, ::4] = np.nan
    for k in (1, n // 2, n):
        check(lambda lib, t: tuple(t.kthvalue(k)), [x])
        check(lambda lib, t: tuple(lib.kthvalue(t, 2, 0, True)), [x])
    check(lambda lib, t: tuple(t.kthvalue(n // 2 + 1)), [x[0].astype("int64")], grad=False)


@pytest.mark.parametrize("k", [1, 3, 15, 16, 17, 40, 64])
@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("dim", [-1, 0])
@pytest.mark.parametrize("data", ["distinct", "nan", "ties", "int"])
def test_topk_partial_selection_against_torch(k, largest, dim, data):
    """topk selects with a partial sort when k is small against the dim (k + 1 <= n / 4 here for
    k <= 15): values and indices are PyTorch's on both sides of that condition, with NaNs (the
    largest) and with ties (PyTorch's pick among equal values)."""
    g = np.random.default_rng(k + 100 * largest)
    shape = (6, 64) if dim == -1 else (64, 6)
    if data == "int":
        x = g.integers(-5, 5, shape)
    elif data == "ties":
        x = g.integers(0, 8, shape).astype(np.float32)
    else:
        x = g.permutation(np.arange(np.prod(shape), dtype=np.float32)).reshape(shape)
        if data == "nan":
            x[g.random(shape) < 0.1] = np.nan
    tv, ti = torch.from_numpy(x).topk(k, dim=dim, largest=largest)
    lv, li = lamina.from_numpy(x).topk(k, dim=dim, largest=largest)
    np.testing.assert_array_equal(li.numpy(), ti.numpy())
    np.testing.assert_array_equal(lv.numpy(), tv.numpy())
