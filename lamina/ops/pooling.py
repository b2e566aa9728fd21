"""Pooling: max/avg (1-3 D), adaptive avg/max, LP pooling and max unpooling.

How it is fast: a pooling window is never materialised. Each of the K kernel positions is a
strided slice of the (padded) input with the output's shape, so max pooling is K-1 np.maximum
calls and avg pooling K-1 adds; the backward writes (or, when windows overlap, adds) the output
gradient into the same K slices. Max pooling records, per output, which kernel position won (the
first maximum, as PyTorch; a NaN wins over numbers) and only when a gradient or the indices are
wanted. Adaptive average pooling is a mean over the trailing axes when the output is 1×1,
average pooling when the windows are equal, and otherwise a product with one small averaging
matrix per dimension."""
import numpy as np

from .._accel import float32_kernels
from ..autograd.grad_mode import _mode
from ._core import make, sum_axes
from .arithmetic import type_name

__all__ = ["max_pool1d", "max_pool2d", "max_pool3d", "max_pool1d_with_indices", "max_pool2d_with_indices",
           "max_pool3d_with_indices", "avg_pool1d", "avg_pool2d", "avg_pool3d", "adaptive_avg_pool1d",
           "adaptive_avg_pool2d", "adaptive_avg_pool3d", "adaptive_max_pool1d", "adaptive_max_pool2d",
           "adaptive_max_pool3d", "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices",
           "adaptive_max_pool3d_with_indices", "lp_pool1d", "lp_pool2d", "lp_pool3d", "max_unpool1d",
           "max_unpool2d", "max_unpool3d"]

_KNAMES = {1: ("W",), 2: ("H", "W"), 3: ("T", "H", "W")}


def _tuple(value, nd, what, fn):
    if isinstance(value, (int, np.integer)):
        return (int(value),) * nd
    value = tuple(int(v) for v in value)
    if len(value) == 1:
        return value * nd
    if len(value) != nd:
        n = {1: "a single int", 2: "a tuple of two ints", 3: "a tuple of three ints"}[nd]
        raise RuntimeError(f"{fn}: {what} must either be a single int, or {n}")
    return value


def _dims(shape):
    return "x".join(str(s) for s in shape)


def _out_len(n, k, s, p, d, ceil):
    o = (n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil else 0)) // s + 1
    if ceil and (o - 1) * s >= n + p:  # the last window must start inside the input or left padding
        o -= 1
    return o


def _geometry(fn, x, nd, kernel_size, stride, padding, dilation, ceil_mode):
    """Validated (k, s, p, d, out) for a pooling over the last nd dims of x."""
    k = _tuple(kernel_size, nd, "kernel_size", fn)
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) else _tuple(stride, nd, "stride", fn)
    p = _tuple(padding, nd, "padding", fn)
    d = _tuple(dilation, nd, "dilation", fn)
    names = _KNAMES[max(nd, 2)] if nd > 1 else ("H", "W")
    if any(v == 0 for v in s):
        raise RuntimeError("stride should not be zero")
    if any(v <= 0 for v in k):
        kk = (1,) * (nd == 1) + k
        raise RuntimeError("kernel size should be greater than zero, but got "
                           + " ".join(f"k{n}: {v}" for n, v in zip(names, kk)))
    if any(v <= 0 for v in d):
        dd = (1,) * (nd == 1) + d
        raise RuntimeError("dilation should be greater than zero, but got "
                           + " ".join(f"dilation{n}: {v}" for n, v in zip(names, dd)))
    if any(v < 0 for v in p):
        raise RuntimeError(f"pad must be non-negative, but got pad: {min(p)}")
    for kk, pp, dd in zip(k, p, d):
        if pp > (dd * (kk - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={pp}, "
                               f"kernel_size={kk} and dilation={dd}")
    if any(pp > kk // 2 for kk, pp in zip(k, p)):  # max pooling then also checks the undilated kernel
        if nd == 3:
            raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got kT: {k[0]} "
                               f"kW: {k[2]} kH: {k[1]} padT: {p[0]} padW: {p[2]} padH: {p[1]}")
        (kh, kw), (ph, pw) = ((1,) + k, (0,) + p) if nd == 1 else (k, p)
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got padW = {pw}, "
                           f"padH = {ph}, kW = {kw}, kH = {kh}")
    if fn == "avg_pool3d" and any(n < kk for n, kk in zip(x.shape[-3:], k)):
        raise RuntimeError(f"input image (T: {x.shape[-3]} H: {x.shape[-2]} W: {x.shape[-1]}) smaller than "
                           f"kernel size (kT: {k[0]} kH: {k[1]} kW: {k[2]})")
    out = tuple(_out_len(n, kk, ss, pp, dd, ceil_mode) for n, kk, ss, pp, dd in zip(x.shape[-nd:], k, s, p, d))
    if any(o < 1 for o in out):
        lead = x.shape[:-nd] if x.ndim == nd + 1 else x.shape[1:-nd]
        ins = (1,) * (nd == 1) + x.shape[-nd:]
        outs = (1,) * (nd == 1) + out
        raise RuntimeError(f"Given input size: ({_dims(lead + ins)}). Calculated output size: "
                           f"({_dims(lead + outs)}). Output size is too small")
    return k, s, p, d, out


def _nonempty(fn, x, nd):
    """PyTorch's check that every dim but the batch one is non-empty (1-D pools run as 2-D ones)."""
    if 0 not in x.shape[-nd - 1:] or (x.ndim == nd + 2 and 0 not in x.shape[1:]):
        return
    if nd == 3:
        name = "avg_pool3d" if fn == "avg_pool3d" else "max_pool3d_with_indices_out_cpu_template"
        raise RuntimeError(f"{name}(): Expected input's non-batch dimensions to have positive length, but input "
                           f"has a shape of {list(x.shape)} and non-batch dimension 0 has length zero!")
    shape = list(x.shape[:-1]) + [1, x.shape[-1]] if nd == 1 else list(x.shape)
    raise RuntimeError(f"Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, "
                       f"but got:{shape}")


def _batched(x, nd, msg):
    if x.ndim == nd + 1:
        return x[None], False
    if x.ndim == nd + 2:
        return x, True
    raise RuntimeError(msg)


def _windows(x, k, s, p, d, out, fill):
    """x padded with `fill` as the windows need (lo = padding, hi = whatever ceil_mode reaches),
    the (lo, hi) pads, and the K kernel-position slices of it, each shaped (N, C, *out)."""
    pads = []
    for n, kk, ss, pp, dd, o in zip(x.shape[2:], k, s, p, d, out):
        pads.append((pp, max(0, (o - 1) * ss + dd * (kk - 1) + 1 - n - pp)))
    if any(lo or hi for lo, hi in pads):
        xp = np.full(x.shape[:2] + tuple(n + lo + hi for n, (lo, hi) in zip(x.shape[2:], pads)), fill, dtype=x.dtype)
        xp[(slice(None), slice(None)) + tuple(slice(lo, lo + n) for n, (lo, hi) in zip(x.shape[2:], pads))] = x
    else:
        xp = x
    head = (slice(None), slice(None))
    views = [xp[head + tuple(slice(q * dd, q * dd + ss * (o - 1) + 1, ss) for q, dd, ss, o in zip(kpos, d, s, out))]
             for kpos in np.ndindex(*k)]
    return xp, pads, views


def _scatter(shape, dtype, pads, k, s, d, out, part):
    """Sum part(q) (an (N, C, *out) array for kernel position q) into the padded input's shape
    and crop the padding: the adjoint of _windows. Without overlap each window slice is written
    once, straight from the product (no temporary)."""
    padded = shape[:2] + tuple(n + lo + hi for n, (lo, hi) in zip(shape[2:], pads))
    overlap = any(ss < dd * (kk - 1) + 1 for kk, ss, dd in zip(k, s, d))
    # windows that tile the input exactly write every element once: no need to zero it first
    tiled = not any(lo or hi for lo, hi in pads) and all(
        kk == ss and dd == 1 and n == o * kk for kk, ss, dd, n, o in zip(k, s, d, shape[2:], out))
    g = np.empty(padded, dtype=dtype) if tiled else np.zeros(padded, dtype=dtype)
    head = (slice(None), slice(None))
    for q, kpos in enumerate(np.ndindex(*k)):
        sl = head + tuple(slice(p * dd, p * dd + ss * (o - 1) + 1, ss) for p, dd, ss, o in zip(kpos, d, s, out))
        if overlap:
            g[sl] += part(q)
        else:
            part(q, g[sl])
    if any(lo or hi for lo, hi in pads):
        g = np.ascontiguousarray(g[head + tuple(slice(lo, lo + n) for n, (lo, hi) in zip(shape[2:], pads))])
    return g


def _tiles(x, k, out):
    """The windows of x when they tile it (kernel = stride, no padding, no dilation) as one
    contiguous (K, N, C, *out) array: a single copy, after which the K-way max and argmax run
    on contiguous slabs instead of strided slices (several times faster in NumPy's loops)."""
    nd = len(k)
    crop = x[(slice(None),) * 2 + tuple(slice(0, o * kk) for o, kk in zip(out, k))]
    split = crop.reshape(x.shape[:2] + tuple(v for o, kk in zip(out, k) for v in (o, kk)))
    axes = tuple(3 + 2 * i for i in range(nd)) + (0, 1) + tuple(2 + 2 * i for i in range(nd))
    tiles = np.empty(k + x.shape[:2] + out, dtype=x.dtype)
    np.copyto(tiles, split.transpose(axes))
    return tiles.reshape((-1,) + x.shape[:2] + out)


def _min_of(dtype):
    return -np.inf if dtype.kind == "f" else (False if dtype == np.bool_ else np.iinfo(dtype).min)


def _argmax_position(views, m):
    """Per output, the kernel position of the first maximum (the last NaN if there is one):
    the number of leading positions that are not the maximum, counted with a running AND."""
    K = len(views)
    dt = np.uint8 if K < 256 else np.int64
    if K == 1:
        return np.zeros(m.shape, dtype=dt)
    run = views[0] != m
    idx = run.astype(dt)
    step = np.empty(m.shape, dtype=np.bool_)
    add = run.view(np.uint8) if dt == np.uint8 else run  # same-type add: no casting loop
    for q in range(1, K - 1):
        np.not_equal(views[q], m, out=step)
        run &= step
        idx += add
    # one max-reduction (NaN if m holds one; no warning) instead of isnan + any
    if m.dtype.kind == "f" and m.size and np.isnan(m.max()):
        nan = np.isnan(m)
        if nan.any():
            for q in range(K):
                np.copyto(idx, q, where=nan & np.isnan(views[q]))
    return idx


def _first_inside_when_all_minus_inf(pos, m, k, s, p, d, out):
    """A window whose inputs are all -inf has the -inf padding tie with them; PyTorch reports
    the window's first position inside the input, so do the same (in place)."""
    low = m == -np.inf
    if not low.any():
        return
    nd = len(k)
    first = np.zeros((1,) * nd, dtype=np.int64)
    for i in range(nd):
        start = np.arange(out[i]) * s[i] - p[i]
        q = np.maximum(0, -(start // d[i]))
        first = first * k[i] + q.reshape((-1,) + (1,) * (nd - 1 - i))
    np.copyto(pos, np.broadcast_to(first, pos.shape[-nd:]).astype(pos.dtype), where=low)


def _flat_indices(pos, k, s, p, d, sizes, out):
    """Kernel positions → flat indices into each input plane (PyTorch's return_indices)."""
    nd = len(k)
    flat = np.zeros(pos.shape, dtype=np.int64)
    rem = pos.astype(np.int64)
    coords = []
    for i in range(nd - 1, -1, -1):
        coords.append(rem % k[i])
        rem //= k[i]
    coords.reverse()
    for i in range(nd):
        start = np.arange(out[i], dtype=np.int64) * s[i] - p[i]
        c = start.reshape((-1,) + (1,) * (nd - 1 - i)) + coords[i] * d[i]
        flat = flat * sizes[i] + c
    return flat


def _max_pool(nd, fn, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, msg):
    x, batched = _batched(input._data, nd, msg)
    _nonempty(fn, input._data, nd)
    k, s, p, d, out = _geometry(fn, input._data, nd, kernel_size, stride, padding, dilation, ceil_mode)
    need_grad = _mode.grad and input._requires_grad
    want_pos = need_grad or return_indices
    tiled = k == s and not any(p) and all(dd == 1 for dd in d) and all(
        o * kk <= n for o, kk, n in zip(out, k, x.shape[2:]))
    pads = [(0, 0)] * nd
    fast = tiled and k == (2, 2) and float32_kernels(x)
    if fast:
        # MaxPool2d(2) on float32, the usual CNN pooling: max and argmax in one compiled pass
        m = np.empty(x.shape[:2] + out, dtype=x.dtype)
        pos = np.empty(m.shape, dtype=np.uint8)
        fast.max_pool_2x2(x, m, pos)
    else:
        if want_pos and tiled and nd > 1:
            # non-overlapping windows inside the input (MaxPool2d(2)): the argmax's K-1 compares
            # are as many passes as the max's, so first copy the windows out as contiguous slabs
            views = _tiles(x, k, out)
        else:
            _, pads, views = _windows(x, k, s, p, d, out, _min_of(x.dtype))
        m = views[0].copy() if len(views) == 1 else np.maximum(views[0], views[1])
        for v in views[2:]:
            np.maximum(m, v, out=m)
        pos = _argmax_position(views, m) if want_pos else None
    if pos is not None and any(p) and m.dtype.kind == "f":
        _first_inside_when_all_minus_inf(pos, m, k, s, p, d, out)
    shape = x.shape

    def backward(g):
        if not batched:
            g = g[None]
        if fast:
            gx = np.empty(shape, dtype=g.dtype)
            fast.max_pool_2x2_backward(np.ascontiguousarray(g), pos, gx)
            return (gx if batched else gx[0],)
        gx = _scatter(shape, g.dtype, pads, k, s, d, out, lambda q, dst=None: np.multiply(g, pos == q, out=dst))
        return (gx if batched else gx[0],)
    res = make(m if batched else m[0], (input,), backward, f"MaxPool{max(nd, 2)}DWithIndicesBackward0", saved=(input,))
    if not return_indices:
        return res
    idx = _flat_indices(pos, k, s, p, d, x.shape[2:], out)
    from ._core import wrap
    return res, wrap(idx if batched else idx[0])


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    r"""1-D max pooling: out(N, C, l) = max_m input(N, C, stride·l + dilation·m - padding).

    Shape: (N, C, L_in) or (C, L_in) → L_out = ⌊(L_in + 2·padding - dilation·(k-1) - 1)/stride + 1⌋
    (⌈⌉ with ceil_mode). With return_indices, also the flat index of each maximum."""
    x = input._data
    if x.ndim not in (2, 3) or (0 in x.shape[-2:] and not return_indices):
        raise RuntimeError(f"max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for "
                           f"input, but got:{list(x.shape)}")
    if not return_indices:
        # PyTorch's index-free 1-D kernel checks its arguments in its own words
        k = _tuple(kernel_size, 1, "kernel_size", "max_pool1d")[0]
        s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) else \
            _tuple(stride, 1, "stride", "max_pool1d")[0]
        p = _tuple(padding, 1, "padding", "max_pool1d")[0]
        d = _tuple(dilation, 1, "dilation", "max_pool1d")[0]
        for what, v, low in (("kernel_size", k, 1), ("stride", s, 1), ("padding", p, 0), ("dilation", d, 1)):
            if v < low:
                raise RuntimeError(f"max_pool1d() {what} must be {'greater than zero' if low else 'non-negative'}, "
                                   f"but got {v}")
        if p > k // 2:
            raise RuntimeError(f"max_pool1d() padding should be at most half of kernel size, but got padding={p} "
                               f"and kernel_size={k}")
        o = _out_len(x.shape[-1], k, s, p, d, ceil_mode)
        if o < 1:
            raise RuntimeError(f"max_pool1d() Invalid computed output size: {o}")
    return _max_pool(1, "max_pool1d", input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, "")


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    r"""2-D max pooling: out(N, C, h, w) = max_{m,n} input(N, C, stride[0]·h + m, stride[1]·w + n)
    (with dilation and implicit -inf padding). Input (N, C, H, W) or (C, H, W)."""
    return _max_pool(2, "max_pool2d", input, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
                     "non-empty 3D or 4D (batch mode) tensor expected for input")


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    r"""3-D max pooling over an input (N, C, D, H, W) or (C, D, H, W)."""
    return _max_pool(3, "max_pool3d", input, kernel_size, stride, padding, dilation, ceil_mode, return_indices,
                     "non-empty 4D or 5D (batch mode) tensor expected for input")


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


# ---- average pooling -------------------------------------------------------------------------
def _divisor(sizes, k, s, p, out, count_include_pad, dtype):
    """Per-output window size (a scalar when all windows are equal), PyTorch's counting rule:
    windows are clipped to the padded input, and also to the input without count_include_pad."""
    nd = len(k)
    total = None
    for i, (n, kk, ss, pp, o) in enumerate(zip(sizes, k, s, p, out)):
        start = np.arange(o) * ss - pp
        end = np.minimum(start + kk, n + pp)
        if not count_include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, n)
        cnt = (end - start).reshape((-1,) + (1,) * (nd - 1 - i))
        total = cnt if total is None else total * cnt
    if (total == total.flat[0]).all():
        return int(total.flat[0])
    return total.astype(dtype)


def _avg_pool(nd, fn, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, msg):
    x, batched = _batched(input._data, nd, msg)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    _nonempty(fn, input._data, nd)
    k, s, p, d, out = _geometry(fn, input._data, nd, kernel_size, stride, padding, 1, ceil_mode)
    _, pads, views = _windows(x, k, s, p, d, out, 0)
    dt = x.dtype if x.dtype.kind == "f" else np.float64
    div = divisor_override if divisor_override is not None else _divisor(x.shape[2:], k, s, p, out,
                                                                          count_include_pad, dt)
    acc = views[0].copy() if len(views) == 1 else np.add(views[0], views[1])
    for v in views[2:]:
        acc += v
    if x.dtype.kind == "f":
        res = acc / div if isinstance(div, int) else acc / div
        res = res.astype(x.dtype, copy=False)
    else:
        res = np.trunc(acc / div).astype(x.dtype)
    shape = x.shape

    def backward(g):
        if not batched:
            g = g[None]
        gd = (g / div).astype(g.dtype, copy=False)
        gx = _scatter(shape, g.dtype, pads, k, s, d, out, lambda q, dst=None: gd if dst is None else np.copyto(dst, gd))
        return (gx if batched else gx[0],)
    return make(res if batched else res[0], (input,), backward, f"AvgPool{max(nd, 2)}DBackward0")


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    r"""1-D average pooling: out(N, C, l) = 1/k · Σ_m input(N, C, stride·l + m) (zero padding counted
    unless count_include_pad=False). Input (N, C, L) or (C, L)."""
    x = input._data
    if x.ndim not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {x.ndim}-dimensional tensor for argument #1 "
                           "'self' (while checking arguments for avg_pool1d)")
    return _avg_pool(1, "avg_pool1d", input, kernel_size, stride, padding, ceil_mode, count_include_pad, None, "")


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    r"""2-D average pooling: out(N, C, h, w) = 1/(kH·kW) · Σ_{m,n} input(N, C, stride[0]·h + m,
    stride[1]·w + n); divisor_override replaces the divisor. Input (N, C, H, W) or (C, H, W)."""
    x = input._data
    if x.ndim not in (3, 4):
        raise RuntimeError(f"Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, "
                           f"but got:{list(x.shape)}")
    return _avg_pool(2, "avg_pool2d", input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, "")


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    r"""3-D average pooling over an input (N, C, D, H, W) or (C, D, H, W)."""
    x = input._data
    if x.ndim not in (4, 5):
        raise RuntimeError("non-empty 4D or 5D (batch mode) tensor expected for input")
    return _avg_pool(3, "avg_pool3d", input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, "")


# ---- adaptive pooling ------------------------------------------------------------------------
def _adaptive_args(fn, x, nd, output_size):
    if x.ndim not in (nd + 1, nd + 2):
        if nd == 1:
            raise RuntimeError(f"Expected 2 to 3 dimensions, but got {x.ndim}-dimensional tensor for argument #1 "
                               f"'self' (while checking arguments for {fn})")
        got = f"got: {list(x.shape)}" if "max" in fn else f"got {list(x.shape)}"
        raise RuntimeError(f"{fn}(): Expected {nd + 1}D or {nd + 2}D tensor, but {got}")
    if isinstance(output_size, (int, np.integer)) or output_size is None:
        size = (output_size,) * nd
    else:
        size = tuple(output_size)
        if len(size) != nd:
            if nd == 1:
                raise RuntimeError(f"{fn}() argument 'output_size' should contain one int (got {len(size)})")
            raise RuntimeError(f"{fn}: output_size must be {nd}")
    size = tuple(n if o is None else int(o) for o, n in zip(size, x.shape[-nd:]))
    # max pooling also rejects zero channels of a batch; both accept any empty leading dim
    for i in range(1 if "max" in fn else x.ndim - nd, x.ndim):
        if x.shape[i] == 0:
            raise RuntimeError(f"{fn}(): Expected input to have non-zero size for non-batch dimensions, but input "
                               f"has sizes {list(x.shape)} with dimension {i} being empty")
    return size


def _bounds(n, o):
    i = np.arange(o)
    return (i * n) // o, -((-(i + 1) * n) // o)


def _avg_matrix(n, o, dtype):
    start, end = _bounds(n, o)
    cols = np.arange(n)
    inside = (cols >= start[:, None]) & (cols < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


def _apply_axes(x, mats, nd, transpose=False):
    """Multiply each of the last nd axes of x by its matrix (o, n) (or its transpose)."""
    y = x
    lead = x.shape[:-nd]
    for i in range(nd - 1, -1, -1):
        a = mats[i].T if transpose else mats[i]
        sizes = y.shape[-nd:]
        rest = int(np.prod(sizes[i + 1:]))
        y3 = y.reshape(lead + tuple(sizes[:i]) + (sizes[i], rest))
        y = np.matmul(a, y3).reshape(lead + tuple(sizes[:i]) + (a.shape[0],) + tuple(sizes[i + 1:]))
    return y


def _float_only(x, kind, nd):
    """PyTorch's adaptive kernels are floating-point only; it names the kernel that refused."""
    if x.dtype.kind != "f":
        from .arithmetic import type_name
        kernel = f"adaptive_{kind}_pool3d_cpu" if nd == 3 else f"adaptive_{kind}_pool2d"
        raise NotImplementedError(f'"{kernel}" not implemented for \'{type_name(x.dtype)}\'')


def _adaptive_avg(nd, fn, input, output_size):
    x = input._data
    size = _adaptive_args(fn, x, nd, output_size)
    _float_only(x, "avg", nd)
    sizes = x.shape[-nd:]
    # PyTorch's names: 1-D runs as 2-D then squeezes; an output of ones is a mean
    name = ("SqueezeBackward1" if nd == 1 else "MeanBackward1" if all(o == 1 for o in size)
            else f"AdaptiveAvgPool{nd}DBackward0")
    if all(o == 1 for o in size):
        # global average pooling: one mean over the trailing (contiguous) axes
        axes = tuple(range(x.ndim - nd, x.ndim))
        if (x.dtype == np.float32 or x.dtype == np.float64) and x.ndim > nd:
            # a BLAS product with ones: NumPy's sums over short rows cost several times as much
            out = sum_axes(x, axes, keepdims=True)
            out /= int(np.prod(sizes))
        else:
            out = x.mean(axis=axes, keepdims=True, dtype=x.dtype if x.dtype.kind == "f" else None)
        scale = 1.0 / int(np.prod(sizes))

        def backward(g):
            gx = np.empty(x.shape, dtype=g.dtype)
            np.copyto(gx, g * g.dtype.type(scale))
            return (gx,)
        return make(out, (input,), backward, name)
    if all(o and n % o == 0 for n, o in zip(sizes, size)):
        # equal windows: average pooling with kernel = stride = n / o (strided slices, no copies)
        k = tuple(n // o for n, o in zip(sizes, size))
        xb = x if x.ndim == nd + 2 else x[None]
        _, pads, views = _windows(xb, k, k, (0,) * nd, (1,) * nd, size, 0)
        acc = views[0].copy() if len(views) == 1 else np.add(views[0], views[1])
        for v in views[2:]:
            acc += v
        div = int(np.prod(k))
        out = (acc / div).astype(x.dtype, copy=False).reshape(x.shape[:-nd] + size)

        def backward(g):
            gd = (g / div).astype(g.dtype, copy=False).reshape(xb.shape[:2] + size)
            gx = _scatter(xb.shape, g.dtype, pads, k, k, (1,) * nd, size,
                          lambda q, dst=None: gd if dst is None else np.copyto(dst, gd))
            return (gx.reshape(x.shape),)
        return make(out, (input,), backward, name)
    dt = x.dtype if x.dtype.kind == "f" else np.float64
    mats = [_avg_matrix(n, o, dt) for n, o in zip(sizes, size)]
    out = _apply_axes(x, mats, nd).astype(x.dtype, copy=False)

    def backward(g):
        return (_apply_axes(g, mats, nd, transpose=True).astype(g.dtype, copy=False),)
    return make(out, (input,), backward, name)


def adaptive_avg_pool1d(input, output_size):
    r"""1-D adaptive average pooling: window i covers [⌊i·L/o⌋, ⌈(i+1)·L/o⌉). (N, C, L) → (N, C, o)."""
    return _adaptive_avg(1, "adaptive_avg_pool1d", input, output_size)


def adaptive_avg_pool2d(input, output_size):
    r"""2-D adaptive average pooling to output_size (int, pair, None keeps a size). (N, C, H, W) → (N, C, oH, oW)."""
    return _adaptive_avg(2, "adaptive_avg_pool2d", input, output_size)


def adaptive_avg_pool3d(input, output_size):
    r"""3-D adaptive average pooling to output_size."""
    return _adaptive_avg(3, "adaptive_avg_pool3d", input, output_size)


def _adaptive_max(nd, fn, input, output_size, return_indices):
    x = input._data
    size = _adaptive_args(fn, x, nd, output_size)
    _float_only(x, "max", nd)
    sizes = x.shape[-nd:]
    name = "SqueezeBackward1" if nd == 1 else f"AdaptiveMaxPool{nd}DBackward0"  # 1-D: 2-D, then squeezed
    batched = x.ndim == nd + 2
    xb = x if batched else x[None]
    n, c = xb.shape[:2]
    if all(o == 1 for o in size) and n * c:
        return _global_max(input, xb, batched, name, return_indices)
    # Each window as a fixed-size list of indices, the shorter ones padded by repeating their last
    # index (a repeat can neither change the maximum nor win a tie).
    idx = []
    for L, o in zip(sizes, size):
        start, end = _bounds(L, o)
        kmax = int((end - start).max()) if o else 1
        idx.append(np.minimum(start[:, None] + np.arange(kmax), end[:, None] - 1))
    grids = []
    for i, a in enumerate(idx):
        shape = [1] * (2 * nd)
        shape[i] = a.shape[0]
        shape[nd + i] = a.shape[1]
        grids.append(a.reshape(shape))
    flat_in = grids[0]
    for i in range(1, nd):
        flat_in = flat_in * sizes[i] + grids[i]
    flat_in = np.broadcast_to(flat_in, tuple(size) + tuple(a.shape[1] for a in idx)).reshape(tuple(size) + (-1,))
    win = xb.reshape(n, c, int(np.prod(sizes)))[:, :, flat_in]  # (N, C, *out, K); -1 fails on N·C = 0
    pos = np.argmax(win, axis=-1)[..., None]
    if x.dtype.kind == "f":
        nan = np.isnan(win)
        if nan.any():  # PyTorch keeps the last NaN of a window
            last = win.shape[-1] - 1 - np.argmax(nan[..., ::-1], axis=-1)[..., None]
            pos = np.where(nan.any(axis=-1, keepdims=True), last, pos)
    out = np.take_along_axis(win, pos, axis=-1)[..., 0]
    flat = np.broadcast_to(flat_in, win.shape)
    where = np.take_along_axis(flat, pos, axis=-1)[..., 0].astype(np.int64)
    plane = int(np.prod(sizes))

    def backward(g):
        gb = g if batched else g[None]
        offs = (np.arange(n * c, dtype=np.int64) * plane).reshape(n, c, *(1,) * nd)
        gx = np.bincount((where + offs).ravel(), weights=gb.ravel(), minlength=n * c * plane)
        return (gx.astype(g.dtype).reshape(x.shape),)
    res = make(out if batched else out[0], (input,), backward, name, saved=(input,))
    if not return_indices:
        return res
    from ._core import wrap
    return res, wrap(where if batched else where[0])


def _global_max(input, xb, batched, name, return_indices):
    """Adaptive max pooling to size 1: an argmax over each whole plane (no window gather)."""
    x = input._data
    n, c = xb.shape[:2]
    nd = xb.ndim - 2
    plane = xb[0, 0].size
    xr = xb.reshape(n * c, plane)
    where = np.argmax(xr, axis=1)  # the first maximum, as PyTorch
    out = xr[np.arange(n * c), where]
    if x.dtype.kind == "f":
        nan = np.flatnonzero(np.isnan(out))
        if nan.size:  # PyTorch keeps the last NaN of a plane
            where[nan] = plane - 1 - np.argmax(np.isnan(xr[nan, ::-1]), axis=1)
    kept = (n, c) + (1,) * nd
    out = out.reshape(kept)

    def backward(g):
        gx = np.zeros((n * c, plane), dtype=g.dtype)
        gx[np.arange(n * c), where] = g.reshape(-1)
        return (gx.reshape(x.shape),)
    res = make(out if batched else out[0], (input,), backward, name, saved=(input,))
    if not return_indices:
        return res
    from ._core import wrap
    idx = where.reshape(kept)
    return res, wrap(idx if batched else idx[0])


def adaptive_max_pool1d(input, output_size, return_indices=False):
    r"""1-D adaptive max pooling: window i covers [⌊i·L/o⌋, ⌈(i+1)·L/o⌉)."""
    return _adaptive_max(1, "adaptive_max_pool1d", input, output_size, return_indices)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    r"""2-D adaptive max pooling to output_size (int, pair, None keeps a size)."""
    return _adaptive_max(2, "adaptive_max_pool2d", input, output_size, return_indices)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    r"""3-D adaptive max pooling to output_size."""
    return _adaptive_max(3, "adaptive_max_pool3d", input, output_size, return_indices)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=True):
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=True):
    return adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=True):
    return adaptive_max_pool3d(input, output_size, True)


# ---- LP pooling ------------------------------------------------------------------------------
def _lp_pool(nd, input, norm_type, kernel_size, stride, ceil_mode):
    from . import arithmetic as A
    if isinstance(norm_type, (int, float)) and abs(norm_type) == float("inf"):
        # p = ±inf: the largest (smallest) |x| in each window, by max pooling as PyTorch does
        max_pool = {1: max_pool1d, 2: max_pool2d, 3: max_pool3d}[nd]
        if norm_type > 0:
            return max_pool(A.abs(input), kernel_size, stride, 0, 1, ceil_mode)
        return A.neg(max_pool(A.neg(A.abs(input)), kernel_size, stride, 0, 1, ceil_mode))
    k = _tuple(kernel_size, nd, "kernel_size", f"lp_pool{nd}d")
    pool = {1: avg_pool1d, 2: avg_pool2d, 3: avg_pool3d}[nd]
    with np.errstate(invalid="ignore"):  # a negative x to a fractional p is NaN, as in PyTorch, silently
        powered = A.pow(input, norm_type)
    out = pool(powered, k, stride, 0, ceil_mode)
    # sign(out)·relu(|out|) as PyTorch writes it: negative averages (odd p) keep their sign
    out = A.mul(A.sign(out), _relu(A.abs(out)))
    return A.pow(A.mul(out, int(np.prod(k))), 1.0 / norm_type)


def _relu(t):
    x = t._data

    def backward(g):
        return (np.where(x <= 0, g.dtype.type(0), g),)  # a NaN passes its gradient, as in PyTorch
    return make(np.maximum(x, x.dtype.type(0)), (t,), backward, "ReluBackward0", saved=(t,))


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    r"""1-D power-average pooling: f(X) = (Σ_{x∈X} x^p)^(1/p)."""
    return _lp_pool(1, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    r"""2-D power-average pooling: f(X) = (Σ_{x∈X} x^p)^(1/p)."""
    return _lp_pool(2, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    r"""3-D power-average pooling: f(X) = (Σ_{x∈X} x^p)^(1/p)."""
    return _lp_pool(3, input, norm_type, kernel_size, stride, ceil_mode)


# ---- max unpooling ---------------------------------------------------------------------------
def _max_unpool(nd, input, indices, kernel_size, stride, padding, output_size):
    x = input._data
    fn = f"max_unpool{nd}d"
    k = _tuple(kernel_size, nd, "kernel_size", fn)
    s = k if stride is None else _tuple(stride, nd, "stride", fn)
    p = _tuple(padding, nd, "padding", fn)
    idx = indices._data
    if idx.dtype != np.int64:
        raise RuntimeError(f"elements in indices should be type int64 but got: "
                           f"{type_name(idx.dtype)}")
    if idx.shape != x.shape:
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor ({list(x.shape)}) "
                           f"but got indices tensor with shape: {list(idx.shape)}")
    default = tuple((n - 1) * ss - 2 * pp + kk for n, ss, pp, kk in zip(x.shape[-nd:], s, p, k))
    if output_size is None:
        size = default
    else:
        size = tuple(output_size)
        if len(size) == nd + 2 or len(size) == nd + 1:
            size = size[-nd:]
        if len(size) != nd:
            raise ValueError(f"output_size should be a sequence containing {nd} or {nd + 2} elements, but it has "
                             f"a length of '{len(size)}'")
        for i, (o, dflt, ss) in enumerate(zip(size, default, s)):
            if not dflt - ss < o < dflt + ss:
                raise ValueError(f'invalid output_size "{tuple(output_size)}" (dim {i} must be between '
                                 f'{dflt - ss} and {dflt + ss})')
    lead = x.shape[:-nd]
    plane = int(np.prod(size))
    flat_idx = idx.reshape(lead + (-1,))
    if flat_idx.size and (flat_idx.min() < 0 or flat_idx.max() >= plane):
        bad = flat_idx[(flat_idx < 0) | (flat_idx >= plane)].flat[0]
        raise RuntimeError(f"Found an invalid max index: {bad} (output volumes are of size {_dims(size)})")
    out = np.zeros(lead + (plane,), dtype=x.dtype)
    np.put_along_axis(out, flat_idx, x.reshape(lead + (-1,)), axis=-1)

    def backward(g):
        return (np.take_along_axis(g.reshape(lead + (-1,)), flat_idx, axis=-1).reshape(x.shape),)
    return make(out.reshape(lead + size), (input,), backward, f"MaxUnpool{nd}DBackward0")


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    r"""Partial inverse of max_pool1d: puts each value at its index, zeros elsewhere."""
    return _max_unpool(1, input, indices, kernel_size, stride, padding, output_size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    r"""Partial inverse of max_pool2d: puts each value at its index, zeros elsewhere."""
    return _max_unpool(2, input, indices, kernel_size, stride, padding, output_size)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    r"""Partial inverse of max_pool3d: puts each value at its index, zeros elsewhere."""
    return _max_unpool(3, input, indices, kernel_size, stride, padding, output_size)
