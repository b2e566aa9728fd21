"""Sampling an image at arbitrary points: F.affine_grid and F.grid_sample (spatial transformer
networks, warping, deformable sampling).

A grid holds, for every output position, a point in the input's normalised coordinates: -1 and
+1 are the input's edges (align_corners=False: the outer edges of the border pixels; True: the
centres of the corner pixels). grid[..., 0] is x (along W), grid[..., 1] is y (along H) and, for
volumes, grid[..., 2] is z (along D). grid_sample reads the input there by nearest neighbour,
(bi/tri)linear or bicubic interpolation; padding_mode says what lies outside (zeros, the border
value, or the image reflected). Gradients reach both the input and the grid, as in PyTorch."""
import warnings

import numpy as np

from ..tensor import Size, Tensor
from ._core import make
from .arithmetic import type_name
from .linalg import matmul

__all__ = ["affine_grid", "grid_sample"]

_ALIGN_WARNING = ("Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. "
                  "Please specify align_corners=True if the old behavior is desired. See the documentation of "
                  "grid_sample for details.")
_CUBIC_A = -0.75  # the cubic convolution kernel's parameter, PyTorch's (and OpenCV's) choice


def _quiet(backward):
    """A backward that, like the forward, lets NaN/inf grid points through without NumPy warnings."""
    def run(g):
        with np.errstate(invalid="ignore", over="ignore"):
            return backward(g)
    return run


def _align(align_corners):
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=3)
        return False
    return bool(align_corners)


# ---- affine_grid --------------------------------------------------------------------------------
def _base_coords(n, align_corners, dt):
    """The normalised coordinates of n pixel centres along one axis (a single pixel sits at 0)."""
    if n <= 1:
        return np.zeros(n, dt)
    steps = np.linspace(-1.0, 1.0, n, dtype=dt)
    return steps if align_corners else steps * (n - 1) / n


def affine_grid(theta, size, align_corners=None):
    r"""The sampling grid of a batch of affine maps: for every output position p (in normalised
    coordinates), :math:`\theta \, [p; 1]`.

    Args:
        theta: (N, 2, 3) for a 2-D size, (N, 3, 4) for a 3-D one
        size: the output size (N, C, H, W) or (N, C, D, H, W)
        align_corners: see grid_sample. Default: False (with PyTorch's warning when not given)

    Shape: Output (N, H, W, 2) or (N, D, H, W, 3)."""
    align_corners = _align(align_corners)
    size = [int(s) for s in size]
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    shape = theta._data.shape
    if len(size) == 4:
        if theta.dim() != 3 or shape[-2] != 2 or shape[-1] != 3:
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {size}. "
                             f"Got {Size(shape)}.")
        spatial = size[-2:]
    elif len(size) == 5:
        if theta.dim() != 3 or shape[-2] != 3 or shape[-1] != 4:
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size {size}. "
                             f"Got {Size(shape)}.")
        spatial = size[-3:]
    else:
        raise NotImplementedError("affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
                                  f"respectively. Got size {size}.")
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
                      "align_corners=True. This is not an intended use case of affine_grid. See the "
                      "documentation of affine_grid for details.", stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    if shape[0] != size[0]:  # PyTorch's message comes from the batched matmul inside
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{size[0]}, "
                           f"{len(spatial) + 1}] but got: [{shape[0]}, {len(spatial) + 1}].")
    dt = theta._data.dtype
    # base[..., :] = (x, y[, z], 1) for every output position, x varying fastest
    axes = [_base_coords(n, align_corners, dt) for n in reversed(spatial)]  # x, y[, z]
    mesh = np.meshgrid(*axes[::-1], indexing="ij")  # (D,) H, W grids of z.., y, x
    base = np.stack([m for m in mesh[::-1]] + [np.ones_like(mesh[0])], axis=-1).reshape(-1, len(spatial) + 1)
    grid = matmul(Tensor._wrap(base), theta.transpose(1, 2))  # (N, positions, d): differentiable in theta
    return grid.reshape((size[0],) + tuple(spatial) + (len(spatial),))


# ---- coordinates --------------------------------------------------------------------------------
def _unnormalize(g, n, align_corners):
    """Pixel coordinate of normalised g along an axis of n pixels, and d(pixel)/d(g)."""
    if align_corners:
        return ((g + 1) / 2) * (n - 1), (n - 1) / 2
    return ((g + 1) * n - 1) / 2, n / 2


def _clip(x, n):
    """Border padding: the coordinate clipped into [0, n-1]; its derivative is 0 where clipped,
    edges included (PyTorch's convention)."""
    inside = (x > 0) & (x < n - 1)
    clipped = np.clip(x, 0, n - 1)
    if clipped.dtype.kind == "f":  # NaN lands on pixel 0, as in PyTorch's vectorised max(x, 0)
        np.copyto(clipped, 0, where=np.isnan(clipped))
    return clipped, inside


def _reflect(x, n, align_corners):
    """Reflection padding: x mirrored at the edges (pixel centres, or the outer pixel edges
    without align_corners) until it lands inside, then clipped; the derivative is ±1 (0 where
    clipped)."""
    low, high = (0.0, 2.0 * (n - 1)) if align_corners else (-1.0, 2.0 * n - 1)
    if low == high:
        return np.zeros_like(x), np.zeros_like(x)
    lo, span = low / 2, (high - low) / 2
    shifted = x - lo
    sign = np.where(shifted < 0, -1.0, 1.0)
    a = np.abs(shifted)
    extra = np.fmod(a, span)
    flips = np.floor(a / span)
    even = np.fmod(flips, 2) == 0
    out = np.where(even, extra + lo, span - extra + lo).astype(x.dtype, copy=False)
    sign = np.where(even, sign, -sign)
    out, inside = _clip(out, n)
    return out, (sign * inside).astype(x.dtype)


def _source(g, n, padding_mode, align_corners):
    """Pixel coordinate for grid values g along an axis of n pixels, and d(coordinate)/d(g)."""
    x, scale = _unnormalize(g, n, align_corners)
    if padding_mode == "border":
        x, d = _clip(x, n)
        return x, d * scale
    if padding_mode == "reflection":
        x, d = _reflect(x, n, align_corners)
        return x, d * scale
    return x, np.full_like(x, scale)


def _padded_tap(i, n, padding_mode, align_corners):
    """Bicubic taps: an integer tap position mapped by the padding (zeros: left as is)."""
    if padding_mode == "border":
        return np.clip(i, 0, n - 1)
    if padding_mode == "reflection":
        return _reflect(i.astype(np.float64), n, align_corners)[0]
    return i


def _gather(x, n_idx, taps, sizes):
    """Values of x (N, C, *S) at integer taps (one array per spatial dim, shape (N, *O)):
    (N, *O, C), zero where a tap is outside, and the in-bounds mask."""
    valid = np.ones(taps[0].shape, bool)
    safe = []
    for t, n in zip(taps, sizes):
        valid &= (t >= 0) & (t <= n - 1)
        t = np.nan_to_num(t, nan=0.0, posinf=0.0, neginf=0.0) if t.dtype.kind == "f" else t
        safe.append(np.clip(t, 0, max(n - 1, 0)).astype(np.intp))  # invalid taps read a real pixel, masked
    vals = x[(n_idx, slice(None)) + tuple(safe)]
    return vals * valid[..., None], valid, safe


def _scatter(gx, n_idx, safe, valid, contrib):
    """gx (N, C, *S) += contrib (N, *O, C) at the taps (only the valid ones)."""
    np.add.at(gx, (n_idx, slice(None)) + tuple(safe), contrib * valid[..., None])


# ---- grid_sample --------------------------------------------------------------------------------
def _check(input, grid, mode, padding_mode):
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError("nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', "
                         f"but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError("nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: '{padding_mode}'")
    x, g = input._data, grid._data
    if x.dtype != g.dtype:
        raise RuntimeError(f"expected scalar type {type_name(x.dtype)} but found {type_name(g.dtype)}")
    sizes = f"input with sizes {list(x.shape)} and grid with sizes {list(g.shape)}"
    if x.shape[0] != g.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, but got {sizes}")
    if g.shape[-1] != x.ndim - 2:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {x.ndim - 2} in last dimension, but got "
                           f"grid with sizes {list(g.shape)}")
    for i, s in enumerate(x.shape[2:]):
        if s <= 0:
            raise RuntimeError(f"grid_sampler(): expected input to have non-empty spatial dimensions, but input "
                               f"has sizes {list(x.shape)} with dimension {i + 2} being empty")
    want = 4 if x.ndim == 4 else 5
    if x.ndim != want or g.ndim != want:
        raise RuntimeError(f"grid_sampler(): expected {want}D input and grid with same number of dimensions, "
                           f"but got {sizes}")
    if mode == "bicubic" and x.ndim != 4:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if x.dtype.kind != "f":
        kernel = "grid_sampler_2d_cpu_kernel_impl" if x.ndim == 4 else "grid_sampler3d_cpu"
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{type_name(x.dtype)}'")


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    r"""Sample input (N, C, H_in, W_in) at the points of grid (N, H_out, W_out, 2) (or the 3-D
    versions), by nearest, (bi/tri)linear or bicubic interpolation.

    Args:
        mode: 'bilinear' (trilinear for 5-D input), 'nearest' or 'bicubic' (4-D only)
        padding_mode: 'zeros', 'border' or 'reflection': the values outside the input
        align_corners: ±1 are the corner pixels' centres (True) or their outer edges (False,
            the default, with PyTorch's warning when not given)

    Shape: Output (N, C, H_out, W_out) or (N, C, D_out, H_out, W_out)."""
    _check(input, grid, mode, padding_mode)
    align_corners = _align(align_corners)
    with np.errstate(invalid="ignore", over="ignore"):  # NaN/inf grid points give NaN or padding, silently
        return _grid_sample(input, grid, mode, padding_mode, align_corners)


def _grid_sample(input, grid, mode, padding_mode, align_corners):
    x, g = input._data, grid._data
    sizes = x.shape[2:]  # (D,) H, W
    d = len(sizes)
    n_idx = np.arange(x.shape[0]).reshape((-1,) + (1,) * d)
    # per spatial dim (in x's order: (D,) H, W): the grid component that addresses it
    comps = [g[..., d - 1 - k] for k in range(d)]
    if mode == "bicubic":
        return _bicubic(input, grid, x, comps, sizes, n_idx, padding_mode, align_corners)
    coords, dcoords = zip(*[_source(c, n, padding_mode, align_corners) for c, n in zip(comps, sizes)])
    if mode == "nearest":
        taps = [np.rint(c) for c in coords]  # half to even, as PyTorch's nearbyint
        vals, valid, safe = _gather(x, n_idx, taps, sizes)
        out = np.moveaxis(vals, -1, 1)

        def backward(gy):
            gx = gg = None
            if input._requires_grad:
                gx = np.zeros_like(x)
                _scatter(gx, n_idx, safe, valid, np.moveaxis(gy, 1, -1))
            if grid._requires_grad:
                gg = np.zeros_like(g)
            return gx, gg
        return make(np.ascontiguousarray(out), (input, grid), _quiet(backward), "GridSampler2DBackward0"
                    if d == 2 else "GridSampler3DBackward0", saved=(input, grid))
    # (bi/tri)linear: 2^d corners, each weighted by the product of (hi - c) or (c - lo) per dim
    lows = [np.floor(c) for c in coords]
    corners = []
    for bits in np.ndindex(*(2,) * d):
        taps = [lo + b for lo, b in zip(lows, bits)]
        factors = [(c - lo) if b else (lo + 1 - c) for c, lo, b in zip(coords, lows, bits)]
        vals, valid, safe = _gather(x, n_idx, taps, sizes)
        corners.append((bits, factors, np.prod(factors, axis=0)[..., None], vals, valid, safe))
    out = 0
    for bits, factors, weight, vals, valid, safe in corners:
        out = out + vals * weight
    out = np.ascontiguousarray(np.moveaxis(np.asarray(out, x.dtype), -1, 1))

    def backward(gy):
        gy_last = np.moveaxis(gy, 1, -1)  # (N, *O, C)
        gx = gg = None
        if input._requires_grad:
            gx = np.zeros_like(x)
            for bits, factors, weight, vals, valid, safe in corners:
                _scatter(gx, n_idx, safe, valid, gy_last * weight)
        if grid._requires_grad:
            gg = np.zeros_like(g)
            for bits, factors, _, vals, valid, safe in corners:
                v = np.einsum("...c,...c->...", vals, gy_last)  # this corner's value · upstream gradient
                for k in range(d):
                    others = [f for j, f in enumerate(factors) if j != k]
                    w = np.prod(others, axis=0) if others else 1.0
                    signed = v * w if bits[k] else -v * w
                    gg[..., d - 1 - k] += signed * dcoords[k]
        return gx, gg
    return make(out, (input, grid), _quiet(backward), "GridSampler2DBackward0" if d == 2 else "GridSampler3DBackward0",
                saved=(input, grid))


def _cubic_weights(t):
    """The four cubic-convolution weights for fractional offset t, and their derivatives in t."""
    a = _CUBIC_A

    def near(s):  # |s| <= 1
        return ((a + 2) * s - (a + 3)) * s * s + 1, (3 * (a + 2) * s - 2 * (a + 3)) * s

    def far(s):  # 1 < |s| < 2
        return ((a * s - 5 * a) * s + 8 * a) * s - 4 * a, (3 * a * s - 10 * a) * s + 8 * a
    w0, d0 = far(t + 1)
    w1, d1 = near(t)
    w2, d2 = near(1 - t)
    w3, d3 = far(2 - t)
    return [w0, w1, w2, w3], [d0, d1, -d2, -d3]


def _bicubic(input, grid, x, comps, sizes, n_idx, padding_mode, align_corners):
    (iy, sy), (ix, sx) = (_unnormalize(c, n, align_corners) for c, n in zip(comps, sizes))
    h, w = sizes
    y0, x0 = np.floor(iy), np.floor(ix)
    wy, dwy = _cubic_weights(iy - y0)
    wx, dwx = _cubic_weights(ix - x0)
    taps = []  # (i, j, vals, valid, safe) for the 16 taps around each point
    for i in range(4):
        ty = _padded_tap(y0 - 1 + i, h, padding_mode, align_corners)
        for j in range(4):
            tx = _padded_tap(x0 - 1 + j, w, padding_mode, align_corners)
            vals, valid, safe = _gather(x, n_idx, [ty, tx], sizes)
            taps.append((i, j, vals, valid, safe))
    out = 0
    for i, j, vals, valid, safe in taps:
        out = out + vals * (wy[i] * wx[j])[..., None]
    out = np.ascontiguousarray(np.moveaxis(np.asarray(out, x.dtype), -1, 1))

    def backward(gy):
        gy_last = np.moveaxis(gy, 1, -1)
        gx = gg = None
        if input._requires_grad:
            gx = np.zeros_like(x)
            for i, j, vals, valid, safe in taps:
                _scatter(gx, n_idx, safe, valid, gy_last * (wy[i] * wx[j])[..., None])
        if grid._requires_grad:
            gg = np.zeros_like(grid._data)
            for i, j, vals, valid, safe in taps:
                v = np.einsum("...c,...c->...", vals, gy_last)
                gg[..., 0] += v * wy[i] * dwx[j] * sx
                gg[..., 1] += v * dwy[i] * wx[j] * sy
        return gx, gg
    return make(out, (input, grid), _quiet(backward), "GridSampler2DBackward0", saved=(input, grid))
