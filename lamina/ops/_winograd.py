"""Winograd F(2×2, 3×3): a stride-1 3×3 convolution with 16 multiplications per 2×2 block of
outputs instead of im2col's 36 (Lavin & Gray, "Fast Algorithms for Convolutional Neural
Networks", 2016). Array engine, like _im2col.py: ndarrays in, ndarrays out.

Each 2×2 output tile comes from the 4×4 block d of the padded input at twice its position (the
blocks overlap by 2). With fixed matrices B (4×4), G (4×3) and A (4×2):

    Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A        for a 3×3 kernel g

Summed over input channels, the 16 entries of the elementwise product are 16 GEMMs,
M[ξ] (O, T) = U[ξ] (O, C) @ V[ξ] (C, T): U the transformed weight, V the transformed input tiles,
T = N · tiles. The backward is the same algebra transposed: dM = A dY Aᵀ per tile, then
dU = dM Vᵀ (→ the weight gradient Gᵀ dU G) and dV = Uᵀ dM (→ B dV Bᵀ, added back over the
overlapping blocks: the input gradient).

The per-tile transforms are compiled loops (lamina/_accel), so this path needs the kernels and
float32. Its values differ from im2col's by rounding (the transforms add up to 9 terms before
and after the products); inf or NaN anywhere is left to im2col, since the transforms' differences
would spread one inf over its whole tile as NaN."""
import numpy as np

from .._accel import float32_kernels
from . import _alloc  # noqa: F401  (large temporaries stay reusable; see _alloc.py)

_G = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]], dtype=np.float32)
_GG = np.kron(_G, _G)  # (16, 9): vec(G g Gᵀ) = _GG @ vec(g), row-major vec; exact in float32


def usable(x, w, stride, dilation, groups):
    """The kernels for a convolution of x with w when this path serves it, else None.

    Where it pays was measured on lamina's Conv2d forward + backward against im2col (1 thread):
    1.2-2.1x faster from 8 input channels up (8→8 on 28×28: 1.6x; 32→64 on 14×14: 1.6x; 128→128
    on 14×14: 2.1x; 512→512 on 2×2: 1.3x), but slower when the output has many more channels than
    the input, whose transform then dominates the thin GEMMs (8→64: 0.83x, 4→32: 0.71x, 1→32:
    0.24x; im2col's image-major layout serves those)."""
    o, c = w.shape[:2]
    if (w.shape[2:] != (3, 3) or stride != (1, 1) or dilation != (1, 1) or groups != 1
            or c < 8 or o > 4 * c):
        return None
    kernels = float32_kernels(w)
    if kernels is None or x.dtype != np.float32 or not kernels.all_finite(w):
        return None
    return kernels


def planes(rows, cols):
    """16 planes of (rows, cols) float32 as (buffer, view): the C-contiguous (16, stride) buffer
    the kernels take, and its (16, rows, cols) view for the GEMMs. The planes start 64 bytes past a
    multiple of 4 KiB: the transforms write or read all 16 at once, and 16 streams 4 KiB apart
    share cache sets (measured: the input transform 4x slower)."""
    stride = -(-rows * cols // 1024) * 1024 + 16
    buf = np.empty((16, stride), dtype=np.float32)
    return buf, buf[:, :rows * cols].reshape(16, rows, cols)


def _tiles(out):
    return (out[0] + 1) // 2, (out[1] + 1) // 2


def transform_input(kernels, x, pads, out):
    """V (16, C, N·th·tw) of x (N, C, H, W), zero-padded by pads, for outputs of size out; None
    when x holds inf or NaN."""
    n, c = x.shape[:2]
    th, tw = _tiles(out)
    (top, _), (left, _) = pads
    x = np.ascontiguousarray(x)
    if not kernels.all_finite(x):
        return None
    buf, v = planes(c, n * th * tw)
    kernels.winograd_input(x, top, left, th, tw, buf)
    return v


def transform_weight(w):
    """U (16, O, C) = G g Gᵀ for every 3×3 kernel g of w (O, C, 3, 3)."""
    o, c = w.shape[:2]
    return (_GG @ w.reshape(o * c, 9).T).reshape(16, o, c)


def forward(kernels, v, u, bias, n, out):
    """The convolution's output (N, O, *out) from the transformed input and weight."""
    o = u.shape[1]
    th, tw = _tiles(out)
    buf, m = planes(o, v.shape[2])
    np.matmul(u, v, out=m)
    y = np.empty((n, o, 2 * th, 2 * tw), dtype=np.float32)
    kernels.winograd_output(buf, bias, y)
    if y.shape[2:] != out:  # odd output sizes: the last tile row or column is half outside
        y = np.ascontiguousarray(y[:, :, :out[0], :out[1]])
    return y


def transform_grad(kernels, g):
    """(dM (16, O, T), the bias gradient (O,) as float64) of the output gradient g (N, O, *out);
    None when g holds inf or NaN."""
    n, o, h, w = g.shape
    th, tw = _tiles((h, w))
    if (h, w) != (2 * th, 2 * tw):
        full = np.zeros((n, o, 2 * th, 2 * tw), dtype=np.float32)
        full[:, :, :h, :w] = g
        g = full
    else:
        g = np.ascontiguousarray(g, dtype=np.float32)
    if not kernels.all_finite(g):
        return None
    buf, dm = planes(o, n * th * tw)
    gb = np.zeros(o)
    kernels.winograd_grad_output(g, buf, gb)
    return dm, gb


def weight_grad(dm, v, wshape):
    """Gᵀ dU G with dU[ξ] = dM[ξ] V[ξ]ᵀ: the weight gradient (O, C, 3, 3)."""
    du = np.matmul(dm, v.transpose(0, 2, 1))
    o, c = wshape[:2]
    return np.ascontiguousarray((_GG.T @ du.reshape(16, o * c)).T).reshape(wshape)


def input_grad(kernels, dm, u, x_shape, pads):
    """B dV Bᵀ added over the overlapping input blocks, dV[ξ] = U[ξ]ᵀ dM[ξ]: the input gradient."""
    n, c, h, w = x_shape
    buf, dv = planes(c, dm.shape[2])
    np.matmul(u.transpose(0, 2, 1), dm, out=dv)
    th, tw = _tiles((h + sum(pads[0]) - 2, w + sum(pads[1]) - 2))
    gx = np.empty(x_shape, dtype=np.float32)
    (top, _), (left, _) = pads
    kernels.winograd_grad_input(buf, top, left, th, tw, gx)
    return gx
