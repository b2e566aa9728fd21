"""Resampling: F.interpolate (nearest, nearest-exact, linear, bilinear, trilinear, bicubic, area),
the deprecated F.upsample* aliases, and pixel_shuffle / pixel_unshuffle.

Source positions follow PyTorch's formulas in the same floating type (float32 for float32
input), so the chosen pixels and weights agree bit for bit. Linear and cubic modes are separable:
each spatial axis is multiplied by a small (out, in) interpolation matrix, and the backward
multiplies by the transposes. Nearest modes gather along a precomputed index, and their backward
sums the gradient back with one bincount (or a reshape-sum for integer scale factors)."""
import math

import numpy as np

from ._core import make
from .pooling import _apply_axes, adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "pixel_shuffle", "pixel_unshuffle"]

_MODES_NEED = {"linear": 1, "bilinear": 2, "trilinear": 3, "bicubic": 2}


def _scale_value(scale, n, o, dt):
    """PyTorch's compute_scales_value: 1/scale_factor when one was given, else in/out."""
    if scale is not None and scale > 0:
        return dt(1.0 / scale)
    return dt(n) / dt(o)


def _nearest_index(n, o, scale, exact):
    if o == n and not exact:
        return np.arange(o)
    if o == 2 * n and not exact:
        return np.arange(o) >> 1
    sc = _scale_value(scale, n, o, np.float32)
    pos = np.arange(o, dtype=np.float32)
    if exact:
        pos = pos + np.float32(0.5)
    return np.minimum(np.floor(pos * sc).astype(np.int64), n - 1)


def _linear_matrix(n, o, align_corners, scale, dt):
    """(o, n) matrix of the two linear-interpolation weights per output position."""
    if o == n:
        return np.eye(n, dtype=dt)
    if align_corners:
        ratio = dt(n - 1) / dt(o - 1) if o > 1 else dt(0)
        real = ratio * np.arange(o, dtype=dt)
    else:
        ratio = _scale_value(scale, n, o, dt)
        real = ratio * (np.arange(o, dtype=dt) + dt(0.5)) - dt(0.5)
        real = np.maximum(real, dt(0))
    i0 = np.minimum(np.floor(real).astype(np.int64), n - 1)
    lam1 = np.clip(real - i0.astype(dt), dt(0), dt(1)).astype(dt)
    lam0 = (dt(1) - lam1).astype(dt)
    i1 = i0 + (i0 < n - 1)
    m = np.zeros((o, n), dtype=dt)
    rows = np.arange(o)
    np.add.at(m, (rows, i0), lam0)
    np.add.at(m, (rows, i1), lam1)
    return m


def _cubic_matrix(n, o, align_corners, scale, dt):
    """(o, n) matrix of the four cubic-convolution weights (A = -0.75, edges clamped)."""
    if align_corners:
        ratio = dt(n - 1) / dt(o - 1) if o > 1 else dt(0)
        real = ratio * np.arange(o, dtype=dt)
    else:
        ratio = _scale_value(scale, n, o, dt)
        real = ratio * (np.arange(o, dtype=dt) + dt(0.5)) - dt(0.5)
    i = np.floor(real).astype(np.int64)
    t = (real - i.astype(dt)).astype(dt)
    a = dt(-0.75)

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):   # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    weights = [far(t + 1), near(t), near(1 - t), far(2 - t)]
    m = np.zeros((o, n), dtype=dt)
    rows = np.arange(o)
    for j, w in enumerate(weights):
        np.add.at(m, (rows, np.clip(i - 1 + j, 0, n - 1)), w.astype(dt))
    return m


def _nearest(input, size, scales, exact):
    x = input.data
    nd = x.ndim - 2
    sizes = x.shape[2:]
    idx = [_nearest_index(n, o, s, exact) for n, o, s in zip(sizes, size, scales)]
    grid = np.ix_(*idx)
    out = x[(slice(None), slice(None)) + grid]
    factors = [o // n if n and o % n == 0 else 0 for n, o in zip(sizes, size)]
    integral = all(f and np.array_equal(ix, np.arange(o) // f) for f, ix, o in zip(factors, idx, size))
    name = f"UpsampleNearest{'Exact' if exact else ''}{nd}DBackward0"

    def backward(g):
        if integral:  # each input pixel was copied f_1·f_2·... times in a block: sum the blocks
            split = g.shape[:2] + tuple(v for n, f in zip(sizes, factors) for v in (n, f))
            return (g.reshape(split).sum(axis=tuple(range(3, 2 + 2 * nd, 2))),)
        flat = np.zeros(size, dtype=np.int64)
        for i, ix in enumerate(idx):
            flat = flat * sizes[i] + ix.reshape((-1,) + (1,) * (nd - 1 - i))
        plane = int(np.prod(sizes))
        nc = x.shape[0] * x.shape[1]
        offs = (np.arange(nc, dtype=np.int64) * plane).reshape((nc,) + (1,) * nd)
        gx = np.bincount((flat + offs).ravel(), weights=g.reshape((nc,) + tuple(size)).ravel(),
                         minlength=nc * plane)
        return (gx.astype(g.dtype).reshape(x.shape),)
    return make(out, (input,), backward, name)


def _separable(input, size, scales, mode, align_corners):
    x = input.data
    nd = x.ndim - 2
    dt = x.dtype.type if x.dtype.kind == "f" else np.float32
    build = _cubic_matrix if mode == "bicubic" else _linear_matrix
    mats = [build(n, o, align_corners, s, dt) for n, o, s in zip(x.shape[2:], size, scales)]
    out = _apply_axes(x, mats, nd).astype(x.dtype, copy=False)
    name = {"linear": "UpsampleLinear1DBackward0", "bilinear": "UpsampleBilinear2DBackward0",
            "trilinear": "UpsampleTrilinear3DBackward0", "bicubic": "UpsampleBicubic2DBackward0"}[mode]

    def backward(g):
        return (_apply_axes(g, mats, nd, transpose=True).astype(g.dtype, copy=False),)
    return make(out, (input,), backward, name)


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    r"""Resize the spatial dims of a (N, C, *spatial) input to `size` or by `scale_factor`.

    mode: 'nearest' | 'nearest-exact' | 'linear' (3-D) | 'bilinear' | 'bicubic' (4-D) |
    'trilinear' (5-D) | 'area'. align_corners (interpolating modes only): map the corner pixel
    centres onto each other instead of the corner edges. Output size is ⌊in · scale_factor⌋."""
    x = input.data
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    dim = x.ndim - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got input with spatial "
                    f"dimensions of {list(x.shape[2:])} and output size of {size}. Please provide input tensor in "
                    "(N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) format.")
            out_size = [int(s) for s in size]
        else:
            out_size = [int(size)] * dim
        scales = [None] * dim
    elif scale_factor is not None:
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError(
                    "Input and scale_factor must have the same number of spatial dimensions, but got input with "
                    f"spatial dimensions of {list(x.shape[2:])} and scale_factor of shape {scale_factor}. Please "
                    "provide input tensor in (N, C, d1, d2, ...,dK) format and scale_factor in (s1, s2, ...,sK) "
                    "format.")
            scales = [float(s) for s in scale_factor]
        else:
            scales = [float(scale_factor)] * dim
        out_size = [int(math.floor(n * s)) for n, s in zip(x.shape[2:], scales)]
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if recompute_scale_factor or mode == "area":
        scales = [None] * dim
    if antialias:
        raise NotImplementedError("lamina's interpolate does not implement antialias=True")
    modes = ("nearest", "linear", "bilinear", "bicubic", "trilinear", "area", "nearest-exact")
    if mode not in modes or dim not in (1, 2, 3):
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {x.ndim}D) for the modes: nearest | "
            f"linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact (got {mode})")
    if mode in _MODES_NEED and _MODES_NEED[mode] != dim:
        need = _MODES_NEED[mode]
        raise NotImplementedError(f"Got {x.ndim}D input, but {mode} mode needs {need + 2}D input")
    for n, o in zip(x.shape[2:], out_size):
        if o <= 0 or n <= 0:
            raise RuntimeError(f"Input and output sizes should be greater than 0, but got input "
                               f"({_dims(x.shape[2:])}) and output ({_dims(out_size)})")
    if mode == "area":
        return (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d)[dim - 1](input, out_size)
    if mode in ("nearest", "nearest-exact"):
        return _nearest(input, out_size, scales, mode == "nearest-exact")
    return _separable(input, out_size, scales, mode, align_corners)


def _dims(s):
    return ", ".join(f"{k}: {v}" for k, v in zip("DHW"[3 - len(s):], s))


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated alias of interpolate."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated: interpolate(..., mode='nearest')."""
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated: interpolate(..., mode='bilinear', align_corners=True)."""
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ---- pixel shuffle -----------------------------------------------------------------------------
def _shuffle(x, r):
    lead = x.shape[:-3]
    c, h, w = x.shape[-3:]
    oc = c // (r * r)
    y = x.reshape(lead + (oc, r, r, h, w))
    k = len(lead)
    y = y.transpose(tuple(range(k)) + (k, k + 3, k + 1, k + 4, k + 2))
    return y.reshape(lead + (oc, h * r, w * r))


def _unshuffle(x, r):
    lead = x.shape[:-3]
    c, h, w = x.shape[-3:]
    y = x.reshape(lead + (c, h // r, r, w // r, r))
    k = len(lead)
    y = y.transpose(tuple(range(k)) + (k, k + 2, k + 4, k + 1, k + 3))
    return y.reshape(lead + (c * r * r, h // r, w // r))


def pixel_shuffle(input, upscale_factor):
    r"""(*, C·r², H, W) → (*, C, H·r, W·r): sub-pixel channels become spatial neighbours."""
    x = input.data
    r = int(upscale_factor)
    if x.ndim < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got input with "
                           f"{x.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    if x.shape[-3] % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                           f"upscale_factor, but input.size(-3)={x.shape[-3]} is not divisible by {r * r}")

    def backward(g):
        return (_unshuffle(g, r),)
    return make(_shuffle(x, r), (input,), backward, "PixelShuffleBackward0")


def pixel_unshuffle(input, downscale_factor):
    r"""(*, C, H·r, W·r) → (*, C·r², H, W): the inverse of pixel_shuffle."""
    x = input.data
    r = int(downscale_factor)
    if x.ndim < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but got input with "
                           f"{x.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    if x.shape[-2] % r:
        raise RuntimeError(f"pixel_unshuffle expects height to be divisible by downscale_factor, but "
                           f"input.size(-2)={x.shape[-2]} is not divisible by {r}")
    if x.shape[-1] % r:
        raise RuntimeError(f"pixel_unshuffle expects width to be divisible by downscale_factor, but "
                           f"input.size(-1)={x.shape[-1]} is not divisible by {r}")

    def backward(g):
        return (_shuffle(g, r),)
    return make(_unshuffle(x, r), (input,), backward, "PixelUnshuffleBackward0")
