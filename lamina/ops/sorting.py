"""sort, argsort, msort, topk, kthvalue, unique. Values carry their gradient back to the positions
they came from; NaN sorts as the largest value, as in PyTorch. Sorting is always stable here
(PyTorch's default sort is not guaranteed stable, so its tie order may differ); topk returns
the same indices as PyTorch among equal values (see _std_sort)."""
import numpy as np

from ._core import dim_arg, make
from .reduction import values_indices

__all__ = ["sort", "argsort", "msort", "topk", "kthvalue", "unique"]
METHODS = ["sort", "argsort", "msort", "topk", "kthvalue", "unique"]


def _scatter_back(x, xx, idx, d):
    """Backward of taking `idx` along axis d of xx (x itself, or a 0-d x viewed as shape (1,))."""
    def backward(g):
        gx = np.zeros(xx.shape, dtype=g.dtype)
        np.put_along_axis(gx, idx, g.reshape(idx.shape), d)
        return (gx.reshape(x.shape),)
    return backward


def _order(x, d, descending):
    """Stable sorting order along d (NaN last ascending, first descending). Descending order is
    the reverse of an ascending stable sort of the reversed array, which keeps equal elements in
    their original order and works for every dtype (no negation)."""
    if not descending:
        return np.argsort(x, axis=d, kind="stable")
    n = x.shape[d]
    return (n - 1) - np.flip(np.argsort(np.flip(x, d), axis=d, kind="stable"), d)


def _indices(idx):
    return make(idx.astype(np.int64, copy=False), (), None, "")


def sort(input, dim=-1, descending=False, stable=False):
    """(values, indices) sorted along `dim`."""
    x = input._data
    d = dim_arg(dim, x.ndim)
    xx = x if x.ndim else x.reshape(1)
    idx = _order(xx, d, descending)
    vals = np.take_along_axis(xx, idx, d)
    back = _scatter_back(x, xx, idx, d)
    if not x.ndim:
        vals, idx = vals.reshape(()), idx.reshape(())
    return values_indices(make(vals, (input,), back, "SortBackward0"), _indices(idx), "sort")


def argsort(input, dim=-1, descending=False, stable=False):
    """The indices that sort `dim`."""
    x = input._data
    d = dim_arg(dim, x.ndim)
    xx = x if x.ndim else x.reshape(1)
    return _indices(_order(xx, d, descending).reshape(x.shape))


def msort(input):
    """sort along dim 0, values only."""
    return sort(input, 0).values


def topk(input, k, dim=-1, largest=True, sorted=True):
    """(values, indices) of the k largest (or smallest) along `dim`, largest first."""
    x = input._data
    d = dim_arg(dim, x.ndim)
    xx = x if x.ndim else x.reshape(1)
    if not 0 <= k <= xx.shape[d]:
        raise RuntimeError("selected index k out of range")
    pre = (slice(None),) * d
    idx = _leading(xx, d, k + 1, largest)
    head = np.take_along_axis(xx, idx, d)  # the k values and the one after, to spot ties
    rows = _tied_rows(head, d) if k and sorted else None
    if k and (not sorted or rows.any()):
        idx = _torch_ties(xx, idx, d, k, largest, sorted, rows)
        vals = np.take_along_axis(xx, idx, d)
    else:
        idx, vals = idx[pre + (slice(0, k),)], head[pre + (slice(0, k),)]
    back = _scatter_back(x, xx, idx, d)
    if not x.ndim:
        vals, idx = vals.reshape(()), idx.reshape(())
    return values_indices(make(vals, (input,), back, "TopkBackward0"), _indices(idx), "topk")


def _leading(x, d, m, descending):
    """The first m positions of _order(x, d, descending). When m is small against the dim, a
    partial selection (np.argpartition) finds those m elements and only they are sorted: a full
    sort of every row cost topk 20x PyTorch's time. Among equal values the two may pick other
    positions, but topk replays PyTorch's choice for every row with a tie in its first m anyway."""
    n = x.shape[d]
    pre = (slice(None),) * d
    if m * 4 > n:
        return _order(x, d, descending)[pre + (slice(0, m),)]
    if descending:  # the m largest (NaN counts as largest, as in the sort)
        cand = np.argpartition(x, n - m, axis=d)[pre + (slice(n - m, None),)]
    else:
        cand = np.argpartition(x, m - 1, axis=d)[pre + (slice(0, m),)]
    return np.take_along_axis(cand, _order(np.take_along_axis(x, cand, d), d, descending), d)


def _tied_rows(head, d):
    """Rows whose first k + 1 values (in order) hold two equal ones (NaNs tie with each other)."""
    pre = (slice(None),) * d
    a, b = head[pre + (slice(1, None),)], head[pre + (slice(0, -1),)]
    same = a == b
    if head.dtype.kind == "f":
        same |= (a != a) & (b != b)
    return same.any(axis=d)


_REPLAY_LIMIT = 200_000  # elements; the replay costs about a microsecond per element


def _torch_ties(xx, idx, d, k, largest, sorted, rows):
    """The first k of `idx`, with the rows where equal values (or sorted=False) make the choice
    PyTorch's replaced by the indices its selection algorithm returns (see _std_sort)."""
    from ._std_sort import topk_row
    out = np.moveaxis(idx, d, -1)[..., :k].copy()
    data = np.moveaxis(xx, d, -1)
    if rows is None:
        rows = np.ones(data.shape[:-1], bool)
    if np.count_nonzero(rows) * data.shape[-1] > _REPLAY_LIMIT:  # too slow in Python: NumPy's stable order
        return np.moveaxis(out, -1, d)
    for r in zip(*np.nonzero(rows)) if rows.ndim else [()]:
        out[r] = topk_row(data[r].tolist(), k, largest, sorted)
    return np.moveaxis(out, -1, d)


def kthvalue(input, k, dim=-1, keepdim=False):
    """(value, index) of the k-th smallest element along `dim` (k counts from 1)."""
    x = input._data
    d = dim_arg(dim, x.ndim)
    xx = x if x.ndim else x.reshape(1)
    if not 1 <= k <= xx.shape[d]:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    idx = np.take(_order(xx, d, False), [k - 1], axis=d)
    vals = np.take_along_axis(xx, idx, d)
    # where the k-th value occurs more than once (or NaNs are about), PyTorch's quickselect decides
    # which occurrence is reported: replay it on those rows (see _std_sort)
    tied = np.count_nonzero(xx == vals, axis=d) > 1
    if xx.dtype.kind == "f":
        tied |= np.isnan(xx).any(axis=d)
    if tied.any() and np.count_nonzero(tied) * xx.shape[d] <= _REPLAY_LIMIT:
        from ._std_sort import kthvalue_row
        moved, data = np.moveaxis(idx, d, -1).copy(), np.moveaxis(xx, d, -1)
        for r in np.ndindex(tied.shape):
            if tied[r]:
                moved[r + (0,)] = kthvalue_row(data[r].tolist(), k - 1)
        idx = np.moveaxis(moved, -1, d)
        vals = np.take_along_axis(xx, idx, d)
    backward = _scatter_back(x, xx, idx, d)
    if not keepdim or not x.ndim:
        shape = x.shape[:d] + x.shape[d + 1:]
        vals, idx = vals.reshape(shape), idx.reshape(shape)
    return values_indices(make(vals, (input,), backward, "KthvalueBackward0"), _indices(idx), "kthvalue")


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values (sorted), optionally with each element's position among them and
    their counts. NaNs are not merged, as in PyTorch."""
    x = input._data
    if dim is not None:
        dim = dim_arg(dim, x.ndim)
    kwargs = {"equal_nan": False} if dim is None else {}
    res = np.unique(x, return_inverse=return_inverse, return_counts=return_counts, axis=dim, **kwargs)
    if not (return_inverse or return_counts):
        return make(res, (), None, "")
    out = [make(res[0], (), None, "")]
    if return_inverse:
        out.append(make(res[1].reshape(x.shape if dim is None else -1).astype(np.int64), (), None, ""))
    if return_counts:
        out.append(make(res[-1].astype(np.int64), (), None, ""))
    return tuple(out)
