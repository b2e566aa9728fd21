"""Fractional max pooling (Graham, 2015): max over kernel-sized windows whose starts advance by
a pseudo-random mix of ⌊α⌋ and ⌈α⌉ steps, α = (in - k) / (out - 1), one random offset per
(sample, channel, spatial dim). Same window rule, index layout and gradient as PyTorch, so with
the same `_random_samples` the output equals PyTorch's exactly."""
import numpy as np

from ._core import make, wrap

__all__ = ["fractional_max_pool2d", "fractional_max_pool3d", "fractional_max_pool2d_with_indices",
           "fractional_max_pool3d_with_indices"]
METHODS = []
INPLACE = []

_DIM_NAMES = {2: ("height", "width"), 3: ("time", "height", "width")}


def _intervals(sample, size, out, k):
    """Window starts (..., out) for offsets `sample` (...): ⌊(i + u) α⌋ - ⌊u α⌋, the last window
    flush with the end. Computed in the input's dtype, as PyTorch does, so the floors agree."""
    seq = np.empty(sample.shape + (out,), dtype=np.int64)
    if out > 1:
        dt = sample.dtype.type
        alpha = dt(size - k) / dt(out - 1)
        steps = np.arange(out - 1, dtype=sample.dtype)
        seq[..., :-1] = ((steps + sample[..., None]) * alpha).astype(np.int64) - \
            (sample * alpha).astype(np.int64)[..., None]
    if out > 0:
        seq[..., -1] = size - k
    return seq


def _check(fn, x, nd, kernel_size, output_size, samples, prefix):
    for what, v in (("kernel_size", kernel_size), ("output_size", output_size)):
        if len(v) != nd:
            many = "Ints" if nd == 2 else "three Ints"
            raise RuntimeError(f"{fn}: {what} must either be a single Int or tuple of {many}")
    s = samples._data
    if s.dtype != x.dtype:
        raise RuntimeError("Expect _random_samples to have the same dtype as input")
    if s.ndim != 3:
        raise RuntimeError(f"Expect _random_samples to have 3 dimensions, got {s.ndim}")
    if s.shape[2] != nd:
        raise RuntimeError(f"Expect _random_samples.size(2) equals to {nd}; got {s.shape[2]}.")
    batched = x.ndim == nd + 2
    if x.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{prefix}: Expected {nd + 1}D or {nd + 2}D tensor, but got: {list(x.shape)}")
    if s.shape[0] < (x.shape[0] if batched else 1):
        raise RuntimeError("Expect _random_samples.size(0) no less then input batch size.")
    if s.shape[1] != x.shape[int(batched)]:
        raise RuntimeError("Expect _random_samples.size(1) equals to input channel size.")
    for d in range(int(batched), x.ndim):
        if x.shape[d] == 0:
            raise RuntimeError(f"{prefix}: Expected input to have non-zero size for non-batch dimensions, but got"
                               f"{list(x.shape)} with dimension {d} being empty.")
    for name, size, k, o in zip(_DIM_NAMES[nd], x.shape[-nd:], kernel_size, output_size):
        # PyTorch's 3-D check is strict: the last window may not end exactly at the input's end
        if o + k - 1 > size or (nd == 3 and o + k - 1 == size):
            raise RuntimeError(f"{prefix}: pool {name} {k} too large relative to input {name} {size}")


def _fractional_max_pool(nd, input, kernel_size, output_size, samples, prefix, node):
    x = input._data
    batched = x.ndim == nd + 2
    xb = x if batched else x[None]
    n, c, sizes = xb.shape[0], xb.shape[1], xb.shape[2:]
    u = samples._data[:n]
    # which sample column drives which spatial dim: PyTorch's 2-D kernel reads (W, H), 3-D (T, H, W)
    column = (1, 0) if nd == 2 else (0, 1, 2)
    plane = int(np.prod(sizes))
    flat = np.zeros((n, c) + (1,) * (2 * nd), dtype=np.int64)
    stride = plane
    for d in range(nd):
        stride //= sizes[d]
        start = _intervals(u[..., column[d]], sizes[d], output_size[d], kernel_size[d])
        pos = (start[..., None] + np.arange(kernel_size[d])) * stride  # (n, c, out_d, k_d)
        shape = [n, c] + [1] * (2 * nd)
        shape[2 + d], shape[2 + nd + d] = output_size[d], kernel_size[d]
        flat = flat + pos.reshape(shape)
    n_out, n_k = int(np.prod(output_size)), int(np.prod(kernel_size))
    flat = flat.reshape(n, c, n_out, n_k)
    vals = np.take_along_axis(xb.reshape(n, c, plane), flat.reshape(n, c, n_out * n_k), 2).reshape(flat.shape)
    arg = vals.argmax(-1)  # the first maximum, as PyTorch's strict '>' scan
    nan = np.isnan(vals)
    if nan.any():  # PyTorch's scan takes every NaN it meets, so the last one wins
        arg = np.where(nan.any(-1), n_k - 1 - nan[..., ::-1].argmax(-1), arg)
    arg = arg[..., None]
    out_shape = (n, c) + tuple(output_size)
    out = np.take_along_axis(vals, arg, -1).reshape(out_shape)
    idx = np.take_along_axis(flat, arg, -1).reshape(out_shape)
    if not batched:
        out, idx = out[0], idx[0]

    def backward(g):
        if not idx.size:
            return (np.zeros_like(x),)
        # windows may overlap: several outputs can pick the same input, so accumulate
        target = idx.reshape(-1, n_out) + (np.arange(idx.size // n_out) * plane)[:, None]
        gx = np.bincount(target.ravel(), weights=g.ravel(), minlength=x.size)
        return (gx.astype(x.dtype, copy=False).reshape(x.shape),)
    return make(out, (input,), backward, node, saved=()), wrap(idx)


def _with_indices(nd, input, kernel_size, output_size, output_ratio, _random_samples):
    fn = f"fractional_max_pool{nd}d"
    if output_size is None and output_ratio is None:
        raise ValueError(f"{fn} requires specifying either an output_size or an output_ratio")
    if output_size is None:
        if nd == 2 and len(output_ratio) > 2:
            raise ValueError(f"{fn} requires output_ratio to either be a single Int or tuple of Ints.")
        ratio = tuple(output_ratio) if isinstance(output_ratio, (list, tuple)) else (output_ratio,) * nd
        output_size = [int(input.size(d - nd) * ratio[d]) for d in range(nd)]
    if _random_samples is None:
        from .creation import rand
        batch = 1 if input.dim() == nd + 1 else input.size(0)
        _random_samples = rand(batch, input.size(-nd - 1), nd, dtype=input.dtype)
    kernel_size = tuple(kernel_size) if isinstance(kernel_size, (list, tuple)) else (kernel_size,) * nd
    output_size = tuple(output_size) if isinstance(output_size, (list, tuple)) else (output_size,) * nd
    prefix = "fractional_max_pool2d()" if nd == 2 else "fractional_max_pool3d_out()"
    _check(fn, input._data, nd, kernel_size, output_size, _random_samples, prefix)
    return _fractional_max_pool(nd, input, kernel_size, output_size, _random_samples, prefix,
                                f"FractionalMaxPool{nd}DBackward0")


def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=False, _random_samples=None):
    """fractional_max_pool2d returning (output, indices); indices are flat positions in each H×W plane."""
    return _with_indices(2, input, kernel_size, output_size, output_ratio, _random_samples)


def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=False, _random_samples=None):
    """fractional_max_pool3d returning (output, indices); indices are flat positions in each T×H×W volume."""
    return _with_indices(3, input, kernel_size, output_size, output_ratio, _random_samples)


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                          _random_samples=None):
    r"""2-D fractional max pooling over (N, C, H, W) or (C, H, W).

    Args:
        kernel_size: window size k or (kH, kW)
        output_size: (oH, oW) or one int; or
        output_ratio: fraction of the input size, oH = ⌊H · ratio⌋ (a pair: PyTorch's F takes no float)
        return_indices: also return the argmax positions (for max_unpool2d)
        _random_samples: (N, C, 2) offsets in [0, 1) of the input's dtype; default: drawn from
            lamina's generator

    Shape: Input (N, C, H, W), Output (N, C, oH, oW)."""
    out, idx = fractional_max_pool2d_with_indices(input, kernel_size, output_size, output_ratio, return_indices,
                                                  _random_samples)
    return (out, idx) if return_indices else out


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                          _random_samples=None):
    r"""3-D fractional max pooling over (N, C, T, H, W) or (C, T, H, W); as fractional_max_pool2d,
    with (N, C, 3) random samples. Shape: Output (N, C, oT, oH, oW)."""
    out, idx = fractional_max_pool3d_with_indices(input, kernel_size, output_size, output_ratio, return_indices,
                                                  _random_samples)
    return (out, idx) if return_indices else out
