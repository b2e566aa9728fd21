"""pdist: the p-norm distance between every pair of rows of one matrix (the condensed upper
triangle of cdist(x, x)), with its hand-derived backward."""
import numpy as np

from ._core import make

__all__ = ["pdist"]
METHODS = []
INPLACE = []


def pdist(input, p=2):
    r"""p-norm distances between the rows of `input`, for every pair i < j in row-major order:
    :math:`\mathrm{out}_k = \lVert x_i - x_j \rVert_p`.

    Args:
        input: (N, M), floating point
        p: the norm order, in [0, ∞]. Default: 2

    Shape: Input (N, M), Output (N (N - 1) / 2,)."""
    x = input._data
    if x.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {x.ndim}D")
    if x.dtype.kind != "f":
        raise RuntimeError("pdist only supports floating-point dtypes")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    p = float(p)
    n = x.shape[0]
    rows, cols = np.triu_indices(n, 1)
    diff = x[rows] - x[cols]
    ad = np.abs(diff)
    if diff.shape[1] == 0:
        out = np.zeros(len(rows), dtype=x.dtype)
    elif p == 0:
        out = np.count_nonzero(diff, axis=1).astype(x.dtype)
    elif p == 1:
        out = ad.sum(1)
    elif p == 2:
        out = np.sqrt(np.einsum("km,km->k", diff, diff))
    elif p == float("inf"):
        out = ad.max(1)
    else:
        out = (ad ** p).sum(1) ** (1 / p)

    def backward(g):
        if p == 0 or not len(rows):
            return (np.zeros_like(x),)
        dist = out[:, None]
        # every pair at distance 0 gets a zero gradient (the norm's slope is undefined there)
        scale = np.divide(g[:, None], dist, out=np.zeros_like(dist), where=dist != 0)
        if p == 1:
            gd = np.sign(diff) * g[:, None]
        elif p == 2:
            gd = diff * scale
        elif p == float("inf"):
            gd = np.sign(diff) * (ad == dist) * g[:, None]  # every coordinate attaining the max
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                scale = np.divide(g[:, None], dist ** (p - 1), out=np.zeros_like(dist), where=dist != 0)
                gd = np.sign(diff) * ad ** (p - 1) * scale  # |0|^(p-1) is inf for p < 1: sign(0) zeroes it
            if p < 1:
                gd[diff == 0] = 0
        gx = np.zeros_like(x)
        np.add.at(gx, rows, gd)
        np.add.at(gx, cols, -gd)
        return (gx,)
    return make(out, (input,), backward, "PdistBackward0", saved=(), save_output=True)
