"""Resampling: F.interpolate (nearest, nearest-exact, linear, bilinear, trilinear, bicubic, area),
the deprecated F.upsample* aliases, pixel_shuffle / pixel_unshuffle and channel_shuffle.

Source positions follow PyTorch's formulas in the same floating type (float32 for float32
input), so the chosen pixels and weights agree bit for bit. Linear and cubic modes are separable:
each spatial axis in turn is resampled by its 2 or 4 taps (see _Axis), and the backward applies
the adjoint axis by axis. Nearest modes gather along a precomputed index, and their backward
sums the gradient back with one bincount (or a reshape-sum for integer scale factors)."""
import math

import numpy as np

from ._core import make
from .arithmetic import type_name
from .pooling import adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d

__all__ = ["interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "pixel_shuffle", "pixel_unshuffle",
           "channel_shuffle", "native_channel_shuffle"]

_MODES_NEED = {"linear": 1, "bilinear": 2, "trilinear": 3}  # bicubic on 3-D/5-D gets PyTorch's generic error


def _check_integer(x, dim, mode):
    """PyTorch's CPU kernels resize integer and bool tensors only for uint8 (nearest modes, and
    bilinear/bicubic in 2-D); every other combination raises its kernel's dtype error."""
    nearest = mode in ("nearest", "nearest-exact")
    if x.dtype == np.uint8:
        if nearest:
            return
        if mode in ("bilinear", "bicubic"):
            raise NotImplementedError(f"lamina's interpolate does not implement {mode} mode for uint8 input (PyTorch's "
                                      "fixed-point uint8 kernel rounds differently); convert the input to float")
    if dim == 2 and mode != "bicubic":
        kernel = f"upsample_{'nearest' if nearest else 'bilinear'}2d_channels_last"
    else:
        kernel = "compute_indices_weights_" + ("nearest" if nearest else "cubic" if mode == "bicubic" else "linear")
    raise NotImplementedError(f'"{kernel}" not implemented for \'{type_name(x.dtype)}\'')


def _scale_value(scale, n, o, dt):
    """PyTorch's compute_scales_value: 1/scale_factor when one was given, else in/out."""
    if scale is not None and scale > 0:
        return dt(1.0 / scale)
    return dt(n) / dt(o)


def _nearest_index(n, o, scale, exact, shortcuts):
    """Source index of every output position. With `shortcuts`, an unchanged size copies and a
    doubled one repeats, whatever the scale_factor: so do PyTorch's 2-D nearest kernel and every
    nearest backward kernel, while its 1-D and 3-D forward kernels apply the scale even then
    (5 at scale 1.1 → 0, 0, 1, 2, 3, whose gradient PyTorch then sends back as from 0, 1, 2, 3, 4)."""
    if shortcuts and o == n and not exact:
        return np.arange(o)
    if shortcuts and o == 2 * n and not exact:
        return np.arange(o) >> 1
    sc = _scale_value(scale, n, o, np.float32)
    pos = np.arange(o, dtype=np.float32)
    if exact:
        pos = pos + np.float32(0.5)
    return np.minimum(np.floor(pos * sc).astype(np.int64), n - 1)


def _linear_taps(n, o, align_corners, scale, dt):
    """The two (source index, weight) taps of linear interpolation, per output position."""
    if o == n:
        return [(np.arange(n), np.ones(n, dtype=dt))]
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
    return [(i0, lam0), (i0 + (i0 < n - 1), lam1)]


def _cubic_taps(n, o, align_corners, scale, dt):
    """The four (source index, weight) taps of cubic convolution (A = -0.75, edges clamped)."""
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
    return [(np.clip(i - 1 + j, 0, n - 1), w.astype(dt)) for j, w in enumerate(weights)]


def _matrix(taps, n, o, dt):
    m = np.zeros((o, n), dtype=dt)
    rows = np.arange(o)
    for idx, w in taps:
        np.add.at(m, (rows, idx), w)
    return m


class _Axis:
    """Interpolation along one axis, the cheapest of three ways:

      periodic  integer upsampling (out = f·in, the decoder's scale_factor=2): output phase r of
                every block of f reads shifted slices of the input — a few slice multiply-adds,
                forward and backward, with PyTorch's per-position weights;
      dense     short axes: one BLAS product with the (out, in) matrix, and its transpose back;
      gather    long axes otherwise: np.take per tap forward, np.add.reduceat per tap backward
                (a tap's source indices never decrease)."""
    __slots__ = ("n", "o", "taps", "mat", "plan")
    DENSE = 128

    def __init__(self, taps, n, o, dt):
        self.n, self.o, self.taps = n, o, taps
        self.mat = self.plan = None
        if o % n == 0:
            self.plan = self._periodic_plan(taps, n, o // n)
        if self.plan is None and n <= self.DENSE:
            self.mat = _matrix(taps, n, o, dt)

    @staticmethod
    def _periodic_plan(taps, n, f):
        """(output slice, input slice, weights) triples, or None if the taps are not periodic."""
        plan = []
        base = np.arange(n)
        for idx, w in taps:
            for r in range(f):
                off = idx[r::f] - base
                cuts = [0] + (np.flatnonzero(np.diff(off)) + 1).tolist() + [n]
                if len(cuts) > 4:  # more than edge effects: not a periodic pattern
                    return None
                for a, b in zip(cuts[:-1], cuts[1:]):
                    c = int(off[a])
                    plan.append((slice(a * f + r, (b - 1) * f + r + 1, f), slice(a + c, b + c), w[r::f][a:b]))
        return plan

    def forward(self, x, axis):
        if self.mat is not None:
            return _along(x, axis, self.mat)
        shape = [1] * x.ndim
        shape[axis] = -1
        if self.plan is not None:
            out_shape = list(x.shape)
            out_shape[axis] = self.o
            y = np.zeros(out_shape, dtype=x.dtype)
            head = (slice(None),) * axis
            for osl, isl, w in self.plan:
                y[head + (osl,)] += x[head + (isl,)] * w.reshape(shape)
            return y
        y = None
        for idx, w in self.taps:
            t = np.take(x, idx, axis=axis)
            t *= w.reshape(shape)
            y = t if y is None else np.add(y, t, out=y)
        return y

    def backward(self, g, axis):
        if self.mat is not None:
            return _along(g, axis, self.mat.T)
        shape = [1] * g.ndim
        shape[axis] = -1
        out_shape = list(g.shape)
        out_shape[axis] = self.n
        gx = np.zeros(out_shape, dtype=g.dtype)
        head = (slice(None),) * axis
        if self.plan is not None:
            for osl, isl, w in self.plan:
                gx[head + (isl,)] += g[head + (osl,)] * w.reshape(shape)
            return gx
        for idx, w in self.taps:
            starts = np.flatnonzero(np.diff(idx, prepend=-1))
            sums = np.add.reduceat(g * w.reshape(shape), starts, axis=axis)
            gx[head + (idx[starts],)] += sums
        return gx


def _along(x, axis, a):
    """Multiply axis `axis` of x by the matrix a (o, n), with no transposes."""
    lead, n, rest = x.shape[:axis], x.shape[axis], int(np.prod(x.shape[axis + 1:]))
    y = np.matmul(a, x.reshape(lead + (n, rest)))
    return y.reshape(lead + (a.shape[0],) + x.shape[axis + 1:])


def _nearest(input, size, scales, exact):
    x = input._data
    nd = x.ndim - 2
    sizes = x.shape[2:]
    idx = [_nearest_index(n, o, s, exact, nd == 2) for n, o, s in zip(sizes, size, scales)]
    back_idx = [_nearest_index(n, o, s, exact, True) for n, o, s in zip(sizes, size, scales)]
    out = x
    for i in range(nd - 1, -1, -1):  # one gather per axis (a joint fancy index is far slower)
        if not np.array_equal(idx[i], np.arange(sizes[i])):
            out = np.take(out, idx[i], axis=2 + i)
    if out is x:
        out = x.copy()
    name = f"UpsampleNearest{'Exact' if exact else ''}{nd}DBackward0"

    def backward(g):
        for i in range(nd - 1, -1, -1):
            n, o, ix = sizes[i], size[i], back_idx[i]
            axis = 2 + i
            if o == n and np.array_equal(ix, np.arange(n)):
                continue
            f = o // n if o % n == 0 else 0
            sl = [slice(None)] * g.ndim
            if f and np.array_equal(ix, np.arange(o) // f):
                # each source copied f times in a row: add the f strided slices
                sl[axis] = slice(0, None, f)
                acc = g[tuple(sl)].copy()
                for q in range(1, f):
                    sl[axis] = slice(q, None, f)
                    acc += g[tuple(sl)]
                g = acc
            else:
                # sources in increasing order: sum each run of equal indices, place the sums
                starts = np.flatnonzero(np.diff(ix, prepend=-1))
                sums = np.add.reduceat(g, starts, axis=axis)
                shape = list(g.shape)
                shape[axis] = n
                gx = np.zeros(shape, dtype=g.dtype)
                sl[axis] = ix[starts]
                gx[tuple(sl)] = sums
                g = gx
        return (g,)
    return make(out, (input,), backward, name)


def _separable(input, size, scales, mode, align_corners):
    x = input._data
    nd = x.ndim - 2
    dt = x.dtype.type if x.dtype.kind == "f" else np.float32
    build = _cubic_taps if mode == "bicubic" else _linear_taps
    axes = [_Axis(build(n, o, align_corners, s, dt), n, o, dt) for n, o, s in zip(x.shape[2:], size, scales)]
    out = x
    for i in range(nd - 1, -1, -1):
        out = axes[i].forward(out, 2 + i)
    out = out.astype(x.dtype, copy=False)
    name = {"linear": "UpsampleLinear1DBackward0", "bilinear": "UpsampleBilinear2DBackward0",
            "trilinear": "UpsampleTrilinear3DBackward0", "bicubic": "UpsampleBicubic2DBackward0"}[mode]

    def backward(g):
        for i in range(nd):
            g = axes[i].backward(g, 2 + i)
        return (g.astype(input._data.dtype, copy=False),)
    return make(out, (input,), backward, name)


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    r"""Resize the spatial dims of a (N, C, *spatial) input to `size` or by `scale_factor`.

    mode: 'nearest' | 'nearest-exact' | 'linear' (3-D) | 'bilinear' | 'bicubic' (4-D) |
    'trilinear' (5-D) | 'area'. align_corners (interpolating modes only): map the corner pixel
    centres onto each other instead of the corner edges. Output size is ⌊in · scale_factor⌋."""
    x = input._data
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
    if mode not in modes or dim not in (1, 2, 3) or (mode == "bicubic" and dim != 2):
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {x.ndim}D) for the modes: nearest | "
            f"linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact (got {mode})")
    if mode in _MODES_NEED and _MODES_NEED[mode] != dim:
        need = _MODES_NEED[mode]
        raise NotImplementedError(f"Got {x.ndim}D input, but {mode} mode needs {need + 2}D input")
    for n, o in zip(x.shape[2:], out_size):
        if (o <= 0 or n <= 0) and mode != "area":  # area is adaptive pooling, which allows an empty output
            raise RuntimeError(f"Input and output sizes should be greater than 0, but got input "
                               f"({_dims(x.shape[2:])}) {'and ' if dim == 1 else ''}output ({_dims(out_size)})")
    if mode == "bicubic" and 0 in x.shape[1:]:
        raise RuntimeError(f"Non-empty 4D data tensor expected but got a tensor with sizes {list(x.shape)}")
    if mode == "area":
        return (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d)[dim - 1](input, out_size)
    if x.dtype.kind not in "fc":
        _check_integer(x, dim, mode)
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
    x = input._data
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
    x = input._data
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
    if x.size == 0:  # PyTorch hands back an empty input unchanged (a copy), whatever its shape
        return make(x.copy(), (input,), lambda g: (g,), "PixelUnshuffleBackward0")

    def backward(g):
        return (_shuffle(g, r),)
    return make(_unshuffle(x, r), (input,), backward, "PixelUnshuffleBackward0")


def _group_swap(x, a, b):
    """(N, C, *) viewed as (N, a, b, *) with the two group axes swapped, back to (N, C, *)."""
    rest = x.shape[2:]
    return x.reshape((x.shape[0], a, b) + rest).swapaxes(1, 2).reshape(x.shape)


def channel_shuffle(input, groups):
    r"""(N, C, *) → (N, C, *) with the channels seen as (g, C/g) and transposed to (C/g, g): channel
    k·(C/g) + j moves to j·g + k (ShuffleNet's mixing between grouped convolutions)."""
    x = input._data
    g = int(groups)
    if x.ndim <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with sizes {list(x.shape)}")
    if g <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{g}")
    c = x.shape[1]
    if c % g:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels and {g} groups.")

    def backward(grad):
        return (_group_swap(grad, c // g, g),)
    return make(_group_swap(x, g, c // g), (input,), backward, "ChannelShuffleBackward0")


native_channel_shuffle = channel_shuffle
