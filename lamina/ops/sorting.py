"""sort, argsort, topk, kthvalue, unique: values carry gradients back to the positions they came from."""
import numpy as np

from ._core import dim_arg, make
from .reduction import values_indices

__all__ = ["sort", "argsort", "topk", "kthvalue", "unique", "msort"]
METHODS = ["sort", "argsort", "topk", "kthvalue", "unique", "msort"]


def _gather_back(x, idx, d):
    def backward(g):
        gx = np.zeros_like(x, dtype=g.dtype)
        np.put_along_axis(gx, idx, g, d)
        return (gx,)
    return backward


def sort(input, dim=-1, descending=False, stable=False):
    x = input.data
    if x.ndim == 0:
        return values_indices(make(x.copy(), (input,), lambda g: (g,), "SortBackward0"),
                              make(np.zeros((), np.int64), (), None, ""))
    d = dim_arg(dim, x.ndim)
    # stable descending: sort the negation for numbers, keeping equal elements in order
    idx = np.argsort(-x if descending and x.dtype.kind in "fi" else x, axis=d, kind="stable")
    if descending and x.dtype.kind not in "fi":
        idx = np.flip(idx, d)
    vals = np.take_along_axis(x, idx, d)
    return values_indices(make(vals, (input,), _gather_back(x, idx, d), "SortBackward0"),
                          make(idx.astype(np.int64), (), None, ""))


def msort(input):
    return sort(input, 0).values


def argsort(input, dim=-1, descending=False, stable=False):
    return sort(input, dim, descending, stable).indices


def topk(input, k, dim=-1, largest=True, sorted=True):
    x = input.data
    d = dim_arg(dim, x.ndim) if x.ndim else 0
    xx = x if x.ndim else x.reshape(1)
    if k > xx.shape[d] or k < 0:
        raise RuntimeError("selected index k out of range")
    idx = np.argsort(-xx if largest else xx, axis=d, kind="stable")
    idx = np.take(idx, np.arange(k), axis=d)
    vals = np.take_along_axis(xx, idx, d)
    if not x.ndim:
        vals, idx = vals.reshape(()) if k else vals, idx.reshape(()) if k else idx
    return values_indices(make(vals, (input,), _gather_back(xx, idx, d) if x.ndim else (lambda g: (g.reshape(()),)),
                               "TopkBackward0"), make(idx.astype(np.int64), (), None, ""))


def kthvalue(input, k, dim=-1, keepdim=False):
    x = input.data
    d = dim_arg(dim, x.ndim)
    idx = np.take(np.argsort(x, axis=d, kind="stable"), [k - 1], axis=d)
    vals = np.take_along_axis(x, idx, d)
    back = _gather_back(x, idx, d)
    if not keepdim:
        vals_o, idx_o = np.squeeze(vals, d), np.squeeze(idx, d)

        def backward(g):
            return back(np.expand_dims(g, d))
    else:
        vals_o, idx_o, backward = vals, idx, back
    return values_indices(make(vals_o, (input,), backward, "KthvalueBackward0"), make(idx_o.astype(np.int64), (), None, ""))


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    x = input.data
    res = np.unique(x, return_inverse=return_inverse, return_counts=return_counts, axis=dim)
    if not (return_inverse or return_counts):
        return make(res, (), None, "")
    out = [make(res[0], (), None, "")]
    if return_inverse:
        out.append(make(res[1].reshape(x.shape if dim is None else -1).astype(np.int64), (), None, ""))
    if return_counts:
        out.append(make(res[-1].astype(np.int64), (), None, ""))
    return tuple(out)
