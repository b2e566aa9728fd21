"""Statistics over a dimension: running extrema (cummax, cummin), logcumsumexp, mode, nanmedian,
quantiles, histograms (histc), covariance and correlation, dist, renorm, trapezoidal integrals."""
import warnings

import numpy as np

from ..tensor import Tensor
from ._core import dim_arg, make, wrap
from .arithmetic import type_name
from .reduction import _check_nonempty, _evenly, return_type, values_indices

__all__ = ["cummax", "cummin", "logcumsumexp", "mode", "nanmedian", "quantile", "nanquantile", "histc", "cov",
           "corrcoef", "dist", "renorm", "trapezoid", "trapz", "cumulative_trapezoid", "histogram"]
METHODS = ["cummax", "cummin", "logcumsumexp", "mode", "nanmedian", "quantile", "nanquantile", "histc", "cov",
           "corrcoef", "dist", "renorm", "histogram"]
INPLACE = ["renorm"]


def _scatter_back(g, idx, d, shape, dtype):
    """The gradient of a gather along `d` at `idx` (indices may repeat): sums g into those places."""
    gx = np.zeros(shape, dtype)
    if g.size:
        moved_g, moved_i = np.moveaxis(g, d, -1), np.moveaxis(idx, d, -1)
        rows = np.arange(moved_g.size // moved_g.shape[-1]).reshape(moved_g.shape[:-1] + (1,)) * shape[d]
        flat = np.bincount((rows + moved_i).reshape(-1), moved_g.reshape(-1), np.prod(shape, dtype=np.int64))
        gx = np.moveaxis(flat.reshape(moved_g.shape[:-1] + (shape[d],)), -1, d).astype(dtype, copy=False)
    return gx


# ---- running extrema ------------------------------------------------------------------------

def _cumulative_extreme(name, accumulate):
    title = name.title()

    def op(input, dim):
        """Running maximum (minimum) along `dim` and the index where it was last reached; a NaN
        propagates, its own index taken by every later NaN."""
        x = input._data
        d = dim_arg(dim, x.ndim)
        xx = x if x.ndim else x.reshape(1)
        if x.dtype == np.bool_:
            vals = accumulate(xx.view(np.uint8), axis=d).astype(np.bool_)
        else:
            vals = accumulate(xx, axis=d)
        # a position is a new record (or ties it) exactly where x equals the running value; the
        # index of the record in force is the latest such position
        hit = xx == vals
        if x.dtype.kind == "f":
            hit |= np.isnan(xx)
        shape = [1] * xx.ndim
        shape[d] = xx.shape[d]
        pos = np.where(hit, np.arange(xx.shape[d]).reshape(shape), 0)
        idx = np.maximum.accumulate(pos, axis=d) if pos.size else pos.astype(np.int64)

        def backward(g):
            return (_scatter_back(g.reshape(xx.shape), idx, d, xx.shape, g.dtype).reshape(x.shape),)
        values = make(vals.reshape(x.shape), (input,), backward, title + "Backward0")
        return values_indices(values, wrap(idx.astype(np.int64, copy=False).reshape(x.shape)), name)
    op.__name__ = op.__qualname__ = name
    return op


cummax = _cumulative_extreme("cummax", np.maximum.accumulate)
cummin = _cumulative_extreme("cummin", np.minimum.accumulate)


def _float_only(x, kernel):
    if x.dtype.kind != "f":
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{type_name(x.dtype)}'")


def _rev_logcumsumexp(a, d):
    return np.flip(np.logaddexp.accumulate(np.flip(a, d), axis=d), d)


def logcumsumexp(input, dim):
    """out_j = log Σ_{i ≤ j} exp(x_i) along `dim`, without overflow."""
    x = input._data
    _float_only(x, "logcumsumexp_out_cpu")
    d = dim_arg(dim, x.ndim)
    xx = x if x.ndim else x.reshape(1)
    out = np.logaddexp.accumulate(xx, axis=d) if xx.size else xx.copy()

    def backward(g):
        # dx_i = Σ_{j ≥ i} g_j exp(x_i − out_j), summed in log space separately for the positive
        # and the negative g so that nothing overflows
        g = g.reshape(xx.shape)
        if not g.size:
            return (np.zeros(x.shape, x.dtype),)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_g = np.log(np.abs(g))
            low = np.finfo(g.dtype).min
            pos = np.exp(_rev_logcumsumexp(np.where(g > 0, log_g, low) - out, d) + xx)
            neg = np.exp(_rev_logcumsumexp(np.where(g < 0, log_g, low) - out, d) + xx)
        return ((pos - neg).reshape(x.shape),)
    return make(out.reshape(x.shape), (input,), backward, "LogcumsumexpBackward0", saved=(input,),
                save_output=True)


# ---- mode, nanmedian ------------------------------------------------------------------------

def _reduced(vals, idx, x, d, keepdim):
    if not keepdim or not x.ndim:
        shape = x.shape[:d] + x.shape[d + 1:]
        return vals.reshape(shape), idx.reshape(shape)
    return vals, idx


def _pick_backward(x, xx, idx, d):
    def backward(g):
        gx = np.zeros(xx.shape, dtype=g.dtype)
        np.put_along_axis(gx, idx, g.reshape(idx.shape), d)
        return (gx.reshape(x.shape),)
    return backward


def mode(input, dim=-1, keepdim=False):
    """The most frequent value along `dim` (the smallest of equally frequent ones) and, as
    (values, indices), the index PyTorch reports: its last occurrence up to 16 elements, past
    that the one PyTorch's unstable sort leaves last (replayed, see _std_sort)."""
    x = input._data
    d = dim_arg(dim, x.ndim)
    xx = x if x.ndim else x.reshape(1)
    _check_nonempty("mode", xx, (d,))
    m = np.moveaxis(xx, d, -1)
    order = np.argsort(m, axis=-1, kind="stable")
    s = np.take_along_axis(m, order, -1)
    n = s.shape[-1]
    ar = np.arange(n)
    new_run = np.ones(s.shape, bool)
    new_run[..., 1:] = s[..., 1:] != s[..., :-1]
    start = np.maximum.accumulate(np.where(new_run, ar, 0), axis=-1)
    count = ar - start  # one less than the run length so far
    # the first place a run reaches the largest count is the end of the smallest such value's run
    end = np.argmax(count == count.max(axis=-1, keepdims=True), axis=-1)[..., None]
    idx = np.moveaxis(np.take_along_axis(order, end, -1), -1, d)
    has_nan = m.dtype.kind == "f" and np.isnan(m).any()
    if (n > 16 or has_nan) and m.size <= 200_000:
        # past 16 elements (or with NaNs) PyTorch's unstable std::sort decides the index: replay it
        from ._std_sort import mode_row
        moved = np.moveaxis(idx, d, -1).copy()
        for r in np.ndindex(m.shape[:-1]):
            moved[r + (0,)] = mode_row(m[r].tolist())[1]
        idx = np.moveaxis(moved, -1, d)
    vals = np.take_along_axis(xx, idx, d)
    vals_out, idx_out = _reduced(vals, idx, x, d, keepdim)
    return values_indices(make(vals_out, (input,), _pick_backward(x, xx, idx, d), "ModeBackward0"),
                          wrap(idx_out.astype(np.int64, copy=False)), "mode")


def nanmedian(input, dim=None, keepdim=False):
    """The lower median of the non-NaN values (NaN if there are none). Without dim: the value
    (ties share the gradient); with dim: (values, indices)."""
    x = input._data
    if x.dtype == np.bool_:
        kernel = "nanmedian_cpu" if dim is None else "nanmedian_out"
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")
    if x.dtype.kind != "f":  # nothing to skip: the median, under nanmedian's name
        from .reduction import median
        if dim is None:
            return median(input)
        values, indices = median(input, dim, keepdim)
        return values_indices(values, indices, "nanmedian")
    if dim is None:
        flat = x.reshape(-1)
        flat = flat[~np.isnan(flat)]
        if flat.size == 0:
            val = np.asarray(np.nan, dtype=x.dtype)
        else:
            val = np.partition(flat, (flat.size - 1) // 2)[(flat.size - 1) // 2]

        def backward(g):
            return ((g * _evenly(x, val)).astype(x.dtype, copy=False),)
        return make(val, (input,), backward, "NanmedianBackward0", saved=(input,))
    d = dim_arg(dim, x.ndim)
    xx = x if x.ndim else x.reshape(1)
    _check_nonempty("median", xx, (d,))  # torch names median here
    order = np.argsort(xx, axis=d, kind="stable")  # NaN sorts last
    valid = np.add.reduce(~np.isnan(xx), axis=d, keepdims=True)
    k = np.maximum(valid - 1, 0) // 2
    idx = np.take_along_axis(order, k, d)
    vals = np.take_along_axis(xx, idx, d)
    vals_out, idx_out = _reduced(vals, idx, x, d, keepdim)
    return values_indices(make(vals_out, (input,), _pick_backward(x, xx, idx, d), "NanmedianBackward1"),
                          wrap(idx_out.astype(np.int64, copy=False)), "nanmedian")


# ---- quantile, nanquantile ------------------------------------------------------------------

_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(name, input, q, dim, keepdim, interpolation, ignore_nan):
    x = input._data
    if x.dtype not in (np.float32, np.float64):
        raise RuntimeError(f"{name}() input tensor must be either float or double dtype")
    if isinstance(q, Tensor):
        qa = q._data
        if qa.ndim > 1:
            raise RuntimeError(f"{name}() q must be a scalar or 1D tensor")
        if qa.dtype != x.dtype:
            raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor")
        if qa.size and (qa.min() < 0 or qa.max() > 1):
            raise RuntimeError(f"{name}() q values must be in the range [0, 1]")
        q_vector = qa.ndim == 1
    else:
        if not 0 <= q <= 1:
            raise RuntimeError(f"quantile() q must be in the range [0, 1] but got {q}")  # nanquantile says so too
        qa = np.asarray(q, dtype=x.dtype)
        q_vector = False
    if x.size == 0:
        raise RuntimeError(f"{name}() input tensor must be non-empty")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{name}() interpolation must be one of linear, lower, higher, midpoint or nearest, "
                           f"but got {interpolation}")
    if dim is None:
        m = x.reshape(1, -1)
        out_shape = (1,) * x.ndim if keepdim else ()
    else:
        d = dim_arg(dim, x.ndim)
        m = np.moveaxis(x if x.ndim else x.reshape(1), d, -1)
        out_shape = x.shape[:d] + ((1,) if keepdim and x.ndim else ()) + x.shape[d + 1:]
    batch = m.shape[:-1]
    m = m.reshape(-1, m.shape[-1])  # (rows, n)
    order = np.argsort(m, axis=-1, kind="stable")  # NaN last
    s = np.take_along_axis(m, order, -1)
    n = s.shape[-1]
    qs = qa.reshape(-1, 1, 1)  # (Q, 1, 1) against rows (1, rows, 1)
    nan = np.isnan(s)
    if ignore_nan:
        last = np.add.reduce(~nan, axis=-1).astype(x.dtype)[None, :, None] - 1
        last = np.maximum(last, 0)  # all NaN: rank 0, whose value is NaN (and which takes the gradient)
        ranks = qs * last
    else:
        last = x.dtype.type(n - 1)
        # a slice with a NaN answers NaN: point at the last (NaN) element
        ranks = np.where(nan[:, -1][None, :, None], last, qs * last)
    if interpolation == "lower":
        below = above = np.floor(ranks)
    elif interpolation == "higher":
        below = above = np.ceil(ranks)
    elif interpolation == "nearest":
        below = above = np.round(ranks)  # half to even, as torch.round
    else:
        below, above = np.floor(ranks), np.ceil(ranks)
    below = below.astype(np.int64)
    above = above.astype(np.int64)
    rows = np.arange(s.shape[0])[None, :, None]
    v_below = s[rows, below]
    v_above = s[rows, above]
    if interpolation == "linear":
        w = (ranks - below).astype(x.dtype)
    elif interpolation == "midpoint":
        w = np.full(ranks.shape, 0.5, x.dtype)
    else:
        w = None
    if w is None:
        out = v_below
    else:
        # torch.lerp's two-sided form keeps the end points exact
        diff = v_above - v_below
        out = np.where(w < 0.5, v_below + w * diff, v_above - diff * (1 - w))
    final_shape = ((qa.shape[0],) if q_vector else ()) + out_shape
    out = out.reshape(final_shape)
    src = np.broadcast_to(order[None], (qs.shape[0],) + order.shape)

    def backward(g):
        g = g.reshape(qs.shape[0], s.shape[0], 1)
        size = s.size
        base = rows * n
        gs = np.bincount((base + np.take_along_axis(src, below, -1)).reshape(-1),
                         (g if w is None else g * (1 - w)).reshape(-1), size)
        if w is not None:
            gs += np.bincount((base + np.take_along_axis(src, above, -1)).reshape(-1), (g * w).reshape(-1), size)
        gm = gs.reshape(m.shape).reshape(batch + (n,)).astype(x.dtype, copy=False)
        if dim is None:
            return (gm.reshape(x.shape),)
        return (np.moveaxis(gm, -1, d).reshape(x.shape),)

    if isinstance(q, Tensor):
        # the linear weight q·last − floor(q·last) carries a gradient to q
        def backward_q(g):
            gq = None
            if q._requires_grad and interpolation == "linear":
                gq = np.add.reduce((g.reshape(qs.shape[0], -1, 1) * (v_above - v_below) * last).reshape(
                    qs.shape[0], -1), axis=1).reshape(qa.shape).astype(qa.dtype, copy=False)
            elif q._requires_grad:
                gq = np.zeros(qa.shape, qa.dtype)
            return (backward(g)[0] if input._requires_grad else None, gq)
        return make(out, (input, q), backward_q, name.title() + "Backward0")
    return make(out, (input,), lambda g: (backward(g)[0],), name.title() + "Backward0")


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """The q-th quantiles along `dim` (all elements when dim is None), interpolating between the
    sorted values below and above the rank q·(n−1). A slice with a NaN gives NaN. With a 1-D q
    the quantiles stack along a new first dimension.

    interpolation: 'linear', 'lower', 'higher', 'midpoint' (mean of the two) or 'nearest'."""
    return _quantile("quantile", input, q, dim, keepdim, interpolation, False)


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """quantile() of the non-NaN values (NaN where a slice holds nothing else)."""
    return _quantile("nanquantile", input, q, dim, keepdim, interpolation, True)


# ---- histc ----------------------------------------------------------------------------------

def _num(v):
    """A float as C++ streams print it (1, 0.5, inf), for PyTorch's messages."""
    return f"{float(v):g}"


def histc(input, bins=100, min=0, max=0):
    """Counts of the elements in `bins` equal-width bins over [min, max] (the data's own range when
    min == max); elements outside are ignored, max itself goes into the last bin. Not
    differentiable."""
    x = input._data
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    _float_only(x, "histogram_cpu")
    if min > max:
        raise RuntimeError("torch.histc: max must be larger than min")
    lo, hi = x.dtype.type(min), x.dtype.type(max)
    if lo == hi and x.size:
        lo, hi = x.min(), x.max()
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{_num(lo)}, {_num(hi)}] is not finite")
    flat = x.reshape(-1)
    flat = flat[(flat >= lo) & (flat <= hi)]
    # the bin as PyTorch finds it: (x − lo) · bins / (hi − lo) in the input's dtype, truncated
    pos = ((flat - lo) * bins / (hi - lo)).astype(np.int64)
    pos[pos == bins] = bins - 1
    return make(np.bincount(pos, minlength=bins).astype(x.dtype), (), None, "")


_histogram_type = return_type("histogram", ("hist", "bin_edges"))


def histogram(input, bins=100, *, range=None, weight=None, density=False, out=None):
    """(hist, bin_edges): counts (or summed weights) of the elements in `bins` equal-width bins
    over `range` (the data's own range by default), or between the edges of a 1-D tensor `bins`.
    Elements outside are ignored; the last edge itself goes into the last bin. density=True
    divides by the total and the bin widths. Not differentiable."""
    from .creation import linspace
    x = input._data
    _float_only(x, "histogramdd")
    flat = x.reshape(-1)
    if isinstance(bins, Tensor):
        edges = bins._data.astype(x.dtype, copy=False)
        n = edges.size - 1
        lo, hi = edges[0], edges[-1]
    else:
        n = int(bins)
        if n <= 0:
            raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {n} for dimension 0")
        if range is not None:
            lo, hi = x.dtype.type(range[0]), x.dtype.type(range[1])
        elif flat.size:
            lo, hi = flat.min(), flat.max()
        else:
            lo = hi = x.dtype.type(0)
        if lo == hi:  # PyTorch widens an empty range by half a unit each way
            lo, hi = lo - x.dtype.type(0.5), hi + x.dtype.type(0.5)
        edges = linspace(float(lo), float(hi), n + 1, dtype=input.dtype)._data
    w = None if weight is None else weight._data.reshape(-1)
    keep = (flat >= lo) & (flat <= hi)
    vals = flat[keep]
    if isinstance(bins, Tensor):
        pos = np.searchsorted(edges, vals, side="right") - 1
    else:
        # PyTorch's guess from the bin width, then moved by one where the guess and the edges disagree
        pos = np.clip(((vals - lo) * x.dtype.type(n) / (hi - lo)).astype(np.int64), 0, n - 1)
        pos -= vals < edges[pos]
        pos += (vals >= edges[np.minimum(pos + 1, n)]) & (pos + 1 < n)
    pos = np.minimum(pos, n - 1)
    hist = np.bincount(pos, weights=None if w is None else w[keep], minlength=n).astype(x.dtype)
    if density:
        hist = hist / (hist.sum() * np.diff(edges))
    return _histogram_type(wrap(hist.astype(x.dtype, copy=False)), wrap(edges.copy()))


# ---- cov, corrcoef, dist, renorm --------------------------------------------------------------
# Composites of lamina's differentiable ops, in PyTorch's order of operations.

def _check_weights(kind, w, n_obs):
    wd = w._data
    if wd.ndim > 1:
        raise RuntimeError(f"cov(): expected {kind} to have one or fewer dimensions but got {kind} with "
                           f"{wd.ndim} dimensions")
    if kind == "fweights" and wd.dtype.kind not in "iu":
        raise RuntimeError(f"cov(): expected fweights to have integral dtype but got fweights with "
                           f"{type_name(wd.dtype)} dtype")
    if kind == "aweights" and wd.dtype.kind != "f":
        raise RuntimeError(f"cov(): expected aweights to have floating point dtype but got aweights with "
                           f"{type_name(wd.dtype)} dtype")
    if wd.size != n_obs:
        raise RuntimeError(f"cov(): expected {kind} to have the same numel as there are observations in the "
                           f"input but got {wd.size} != {n_obs}")
    if wd.size and wd.min() < 0:
        raise RuntimeError(f"cov(): {kind} cannot be negative")


def cov(input, *, correction=1, fweights=None, aweights=None):
    """The covariance matrix of the variables in the rows of `input` (observations in columns).

    cov = Σ_i w_i (x_i − x̄)(x_i − x̄)ᵀ / (Σ w − correction · (Σ w·a / Σ w if aweights else 1))
    with w = fweights · aweights (each optional), x̄ the w-weighted mean. A 1-D input is one
    variable; the result is squeezed (a scalar for one variable)."""
    if input.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an input with "
                           f"{input.ndim} dimensions")
    x = input.reshape(1, -1) if input.ndim < 2 else input
    n_obs = x.shape[1]
    w = None
    if fweights is not None:
        _check_weights("fweights", fweights, n_obs)
        w = fweights
    if aweights is not None:
        _check_weights("aweights", aweights, n_obs)
        w = aweights if w is None else w * aweights
    if w is None:
        w_sum = n_obs
        avg = x.sum(1) / n_obs
        norm_factor = float(n_obs - correction)
    else:
        w_sum = w.sum()
        avg = (x * w).sum(1) / w_sum
        if correction != 0:
            norm_factor = w_sum - correction * ((w * aweights).sum() / w_sum if aweights is not None else 1)
        else:
            norm_factor = w_sum
        if float(norm_factor._data) > 0:  # kept a tensor: the weights get its gradient too
            xm = x - avg.unsqueeze(1)
            return (xm.matmul((xm * w).t()) / norm_factor).squeeze()
        norm_factor = 0.0
    if norm_factor <= 0:
        warnings.warn("cov(): degrees of freedom is <= 0. Correction should be strictly less than the number "
                      "of observations.", UserWarning, stacklevel=2)
        norm_factor = 0.0
    xm = x - avg.unsqueeze(1)
    c = xm.matmul((xm if w is None else xm * w).t())
    return (c / norm_factor).squeeze()


def corrcoef(input):
    """Pearson correlation coefficients of the rows of `input`: cov scaled by the standard
    deviations, clipped to [−1, 1]."""
    c = cov(input)
    if c.ndim == 0:
        return c / c
    std = c.diagonal().sqrt()
    c = c / std.reshape(-1, 1)
    c = c / std.reshape(1, -1)
    return c.clamp(-1, 1)


def dist(input, other, p=2):
    """The p-norm of input − other (broadcast)."""
    from .reduction import norm
    diff = input - other
    if diff._data.dtype.kind != "f":
        raise RuntimeError(f"norm(): input dtype should be either floating point or complex. Got "
                           f"{type_name(diff._data.dtype)} instead.")
    return norm(diff, p)


def renorm(input, p, dim, maxnorm):
    """Each slice input.select(dim, i) whose p-norm exceeds maxnorm is scaled down to norm maxnorm
    (by maxnorm / (norm + 1e−7)); the others are kept."""
    from .arithmetic import where
    from .reduction import norm
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {_num(maxnorm)}")
    if input.ndim <= 1:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got {input.ndim} dimensions")
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    d = dim_arg(dim, input.ndim)
    norms = norm(input, p, tuple(i for i in range(input.ndim) if i != d), keepdim=True)
    factor = where(norms > maxnorm, maxnorm / (norms + 1e-7), 1.0)
    return input * factor


# ---- trapezoid, cumulative_trapezoid ----------------------------------------------------------

def _spacing(name, y, x, dx, dim):
    """The sample spacing along `dim` for the trapezoid rules: a Python number or a tensor that
    broadcasts against y's slices."""
    if y.dtype == bool_dtype():
        raise RuntimeError(f"{name}: received a bool input for `y`, but bool is not supported")
    if y.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions" if name == "trapezoid"
                         else "slice() cannot be applied to a 0-dim tensor.")
    d = dim_arg(dim, y.ndim)
    if not isinstance(x, Tensor):
        return d, 1 if dx is None else dx
    if x.ndim == 1:
        if x.shape[0] != y.shape[d]:
            raise RuntimeError(f"{name}: There must be one `x` value for each sample point")
        shape = [1] * y.ndim
        shape[d] = -1
        x = x.reshape(shape)
    elif x.ndim < y.ndim:
        x = x.reshape((1,) * (y.ndim - x.ndim) + tuple(x.shape))
    n = x.shape[d]
    m = n - 1 if n else 0
    return d, x.narrow(d, min(n, 1), m) - x.narrow(d, 0, m)


def bool_dtype():
    from .._dtype import bool_
    return bool_


def _empty_except(y, d):
    from .creation import zeros
    return zeros(*(n for i, n in enumerate(y.shape) if i != d), dtype=y.dtype)


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """∫ y along `dim` by the trapezoidal rule, with sample points x (a tensor) or spacing dx
    (a number, default 1)."""
    if x is not None and dx is not None and isinstance(x, Tensor):
        raise TypeError("trapezoid() received an invalid combination of arguments - got (Tensor, Tensor, "
                        f"dx={type(dx).__name__}), but expected one of:\n * (Tensor y, Tensor x, *, int dim = -1)\n"
                        " * (Tensor y, *, Number dx = 1, int dim = -1)\n")
    d, step = _spacing("trapezoid", y, x, dx, dim)
    n = y.shape[d]
    if n == 0:
        return _empty_except(y, d)
    if not isinstance(step, Tensor):
        return (y.sum(d) - (y.select(d, 0) + y.select(d, -1)) * 0.5) * step
    return (step * (y.narrow(d, 1, n - 1) + y.narrow(d, 0, n - 1))).sum(d) / 2.0


def trapz(y, x=None, *, dx=None, dim=-1):
    """The older name of trapezoid()."""
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """The running trapezoidal integral of y along `dim` (one entry fewer than y)."""
    d, step = _spacing("cumulative_trapezoid", y, x, dx, dim)
    n = y.shape[d]
    m = n - 1 if n else 0
    pairs = y.narrow(d, min(n, 1), m) + y.narrow(d, 0, m)
    if not isinstance(step, Tensor):
        return (pairs * (step / 2.0)).cumsum(d)
    return (step * pairs / 2.0).cumsum(d)
