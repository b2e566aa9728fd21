"""The array engine behind every convolution (ndarrays in, ndarrays out, no autograd).

A convolution is one GEMM between the weight (O, C·K) and a column matrix holding every input
window. The zero-padded input is viewed as its windows with `as_strided` (no copy) and copied
once into the columns, in one of three layouts chosen per layer:

  image-major  (N, C·K, L): one GEMM per image whose result IS the output (N, O, L) — no
               transposing copies; best when the windows are small next to the output
               (first layers: C·K ≤ O).
  row          (C·K, N·M), stride-1 2-D: each image contributes M = (H_out-1)·W_pad + W_out
               columns read as whole padded rows, so the copy moves long contiguous runs; the
               columns that straddle a row end are junk, dropped when the output is read.
  plain        (C·K, N·L): every other case (strides, 1-D, 3-D).

Backward: grad_weight is one GEMM of the output gradient with the saved columns (whose row of
ones, there for the bias, gives grad_bias as one more output column); grad_input
is one GEMM into columns followed by col2im (one add per kernel position), or, when the input
has many more channels than the output, a convolution of the gradient with the flipped kernel.
Groups are a batch dimension of np.matmul, never a Python loop."""
import numpy as np
from numpy.lib.stride_tricks import as_strided

from .._accel import float32_kernels
from . import _alloc  # noqa: F401  (large temporaries stay reusable; see _alloc.py)


def pad_zeros(x, pads):
    """x (N, C, *S) zero-padded by pads[(lo, hi), ...] (negative: cropped), C-contiguous."""
    if not any(lo or hi for lo, hi in pads):
        return np.ascontiguousarray(x)
    src = [slice(None), slice(None)]
    dst = [slice(None), slice(None)]
    shape = list(x.shape[:2])
    for (lo, hi), n in zip(pads, x.shape[2:]):
        src.append(slice(max(-lo, 0), n - max(-hi, 0)))
        size = n + lo + hi
        shape.append(size)
        dst.append(slice(max(lo, 0), size - max(hi, 0)))
    out = np.zeros(shape, dtype=x.dtype)
    out[tuple(dst)] = x[tuple(src)]
    return out


def out_size(sizes, k, stride, pads, dil):
    return tuple((s + lo + hi - d * (kk - 1) - 1) // st + 1
                 for s, kk, st, (lo, hi), d in zip(sizes, k, stride, pads, dil))


class Layout:
    """Where output position (n, *out) lives among the GEMM columns (see the module doc)."""
    __slots__ = ("n", "out", "m", "row", "image")

    def __init__(self, n, out, row=None, image=False):
        self.n, self.out, self.row, self.image = n, out, row, image
        self.m = int(np.prod(out)) if row is None else (out[0] - 1) * row + out[1]

    @staticmethod
    def choose(n, c, o, groups, k, stride, padded, out):
        if o // groups >= (c // groups) * int(np.prod(k)):
            return Layout(n, out, image=True)
        if len(k) == 2 and stride == (1, 1) and out[0] > 1:
            return Layout(n, out, row=padded[1])
        return Layout(n, out)

    def read(self, y):
        """Batch-major (O, N·M) → (O, N, *out) view of the valid positions."""
        if self.row is None:
            return y.reshape((y.shape[0], self.n) + self.out)
        it = y.itemsize
        return as_strided(y, (y.shape[0], self.n) + self.out, (y.strides[0], self.m * it, self.row * it, it))

    def write(self, g):
        """(N, O, *out) → the GEMM operand in this layout (zeros at junk columns)."""
        n, o = g.shape[:2]
        if self.image:
            return g.reshape(n, o, self.m)
        if self.row is None:
            return np.ascontiguousarray(g.swapaxes(0, 1)).reshape(o, -1)
        buf = np.zeros((o, n * self.m), dtype=g.dtype)
        self.read(buf)[...] = g.swapaxes(0, 1)
        return buf


class Cols:
    """The column matrix of a padded input xp (N, C, *S): `rows` in the layout `lay`.

    With `ones`, the matrix `aug` also has a last row of ones (`rows` is a view of it without
    that row): a weight with the bias as its last column then adds the bias inside the GEMM,
    instead of in another pass over the output."""
    __slots__ = ("rows", "lay", "aug")

    def __init__(self, xp, k, stride, dil, lay, ones=False):
        n, c = xp.shape[:2]
        st = xp.strides
        kst = tuple(d * s for d, s in zip(dil, st[2:]))
        ost = tuple(s * t for s, t in zip(stride, st[2:]))
        ck = c * int(np.prod(k))
        if lay.image:
            view = as_strided(xp, (n, c) + k + lay.out, st[:2] + kst + ost)
            shape = (n, ck, lay.m)
        elif lay.row is not None and xp.flags.c_contiguous:
            view = as_strided(xp, (c,) + k + (n, lay.m), (st[1],) + kst + (st[0], st[3]))
            shape = (ck, n * lay.m)
        else:
            if lay.row is not None:
                lay = Layout(n, lay.out)
            view = as_strided(xp, (c,) + k + (n,) + lay.out, (st[1],) + kst + (st[0],) + ost)
            shape = (ck, n * lay.m)
        if ones:
            aug = np.empty(shape[:-2] + (ck + 1, shape[-1]), dtype=xp.dtype)
            rows = aug[..., :ck, :]
            np.copyto(rows.reshape(view.shape), view)
            aug[..., ck, :] = 1
        else:
            aug = None
            rows = view.reshape(shape)
        self.rows, self.lay, self.aug = rows, lay, aug

    def clear_junk(self):
        """Zero the junk columns of the row layout (they hold real input values, maybe inf/NaN)."""
        lay = self.lay
        if lay.row is None or lay.row == lay.out[1]:
            return
        r = self.rows
        it = r.itemsize
        w = lay.out[1]
        as_strided(r[:, w:], (r.shape[0], lay.n, lay.out[0] - 1, lay.row - w),
                   (r.strides[0], lay.m * it, lay.row * it, it))[...] = 0


def conv_forward(x, w, bias, stride, pads, dil, groups, keep):
    """Cross-correlation of x (N, C, *S) with w (O, C/groups, *k) (+ bias): (out, Cols if keep)."""
    k = w.shape[2:]
    n, c = x.shape[:2]
    o = w.shape[0]
    xp = pad_zeros(x, pads)
    out_sp = out_size(x.shape[2:], k, stride, pads, dil)
    # one group with a bias: the bias rides in the GEMM as the weight's last column
    fuse = bias is not None and groups == 1
    cols = Cols(xp, k, stride, dil, Layout.choose(n, c, o, groups, k, stride, xp.shape[2:], out_sp), fuse)
    if fuse:
        wm = np.empty((o, cols.rows.shape[-2] + 1), dtype=np.result_type(w, bias))
        wm[:, :-1] = w.reshape(o, -1)
        wm[:, -1] = bias
        rows = cols.aug
    else:
        wm = w.reshape(o, -1)
        rows = cols.rows
    lay = cols.lay
    if lay.image:
        if groups == 1:
            y = np.matmul(wm, rows)
        else:
            y = np.matmul(w.reshape(groups, o // groups, -1), rows.reshape(n, groups, -1, lay.m))
        out = y.reshape((n, o) + out_sp)
    else:
        if groups == 1:
            y = wm @ rows
        else:
            y = np.matmul(w.reshape(groups, o // groups, -1), rows.reshape(groups, -1, rows.shape[1])).reshape(o, -1)
        out = np.empty((n, o) + out_sp, dtype=y.dtype)
        np.copyto(out, lay.read(y).swapaxes(0, 1))
    if bias is not None and not fuse:
        out += bias.reshape((-1,) + (1,) * len(k))
    return out, (cols if keep else None)


def weight_grad(gy, cols, groups, wshape, bias_grad=False):
    """grad_weight: the output gradient (in the columns' layout) times the columns, transposed.

    With bias_grad (and columns built with `ones`), also the bias gradient, as (gw, gb): the row
    of ones adds one output row to the same GEMM, in place of a separate sum over the gradient."""
    lay = cols.lay
    with_ones = bias_grad and cols.aug is not None

    def product(rows):
        if lay.image:
            n, o, m = gy.shape
            if groups == 1:
                return np.matmul(gy, rows.transpose(0, 2, 1)).sum(axis=0)
            gw = np.matmul(gy.reshape(n, groups, o // groups, m),
                           rows.reshape(n, groups, -1, m).transpose(0, 1, 3, 2))
            return gw.sum(axis=0).reshape(o, -1)
        if groups == 1:
            return gy @ rows.T
        o, nm = gy.shape
        gw = np.matmul(gy.reshape(groups, o // groups, nm), rows.reshape(groups, -1, nm).transpose(0, 2, 1))
        return gw.reshape(o, -1)
    gw = product(cols.aug if with_ones else cols.rows)
    if lay.row is not None and gw.dtype.kind == "f" and not np.isfinite(gw).all():
        # junk columns meet zero gradients, which only matters when they hold inf or NaN
        cols.clear_junk()
        gw = product(cols.aug if with_ones else cols.rows)
    if with_ones:
        return gw[:, :-1].reshape(wshape), np.ascontiguousarray(gw[:, -1])
    if bias_grad:
        return gw.reshape(wshape), gy.sum(axis=(0, 2)) if lay.image else gy.sum(axis=1)
    return gw.reshape(wshape)


def flip_swap(w, groups):
    """(O, Cg, *k) → (C, Og, *k) with every kernel reversed: the kernel of the adjoint convolution."""
    o, cg = w.shape[:2]
    k = w.shape[2:]
    flip = (slice(None),) * 3 + (slice(None, None, -1),) * len(k)
    wv = w.reshape((groups, o // groups, cg) + k)[flip]
    return np.ascontiguousarray(wv.swapaxes(1, 2)).reshape((groups * cg, o // groups) + k)


def input_grad(g, w, in_shape, stride, pads, dil, groups, bias=None, gy=None, lay=None):
    """Adjoint of conv_forward with respect to its input: g (N, O, *out) → (N, C, *in_shape[2:]).

    Also the forward of a transposed convolution (then `bias` is added). `gy`, `lay`: g already
    in a columns layout (conv's backward has it from grad_weight)."""
    k = w.shape[2:]
    nd = len(k)
    n, o = g.shape[:2]
    out = g.shape[2:]
    c = w.shape[1] * groups
    og = o // groups
    if (c > 2 * o or og == c // groups == 1) and all(s == 1 for s in stride):
        # many more input than output channels, or a depthwise kernel (one input and one output
        # channel per group, where the GEMM into columns is a broadcast product K times the
        # output's size): cheaper as a convolution with the flipped kernel (rows a transposed
        # convolution's output_padding adds get no contribution: extra zeros)
        tpads = [(d * (kk - 1) - lo, d * (kk - 1) - hi + s - (oo + d * (kk - 1) - lo - hi))
                 for kk, d, (lo, hi), s, oo in zip(k, dil, pads, in_shape[2:], out)]
        gx, _ = conv_forward(g, flip_swap(w, groups), bias, stride, tpads, dil, groups, False)
        return gx
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(in_shape[2:], pads))
    if lay is None:
        lay = Layout.choose(n, c, o, groups, k, stride, padded, out)
        gy = lay.write(g)
    crop = (slice(None), slice(None)) + tuple(slice(lo, lo + s) for s, (lo, hi) in zip(in_shape[2:], pads))
    kk = int(np.prod(k))
    cg = c // groups
    if lay.image:
        # one GEMM per image into columns (N, groups, Cg·K, L), an outer product when Og = 1...
        wt = w.reshape(groups, og, -1).transpose(0, 2, 1)
        gy4 = gy.reshape(n, groups, og, lay.m)
        gc = wt[None] * gy4 if og == 1 else np.matmul(wt, gy4)
        # ...then col2im: one add per kernel position
        gxp = np.zeros((n, c) + padded, dtype=gc.dtype)
        col2im_add(gxp, np.moveaxis(gc.reshape((n, c) + k + out), tuple(range(2, 2 + nd)), tuple(range(nd))),
                   k, stride, dil)
        gx = np.ascontiguousarray(gxp[crop])
    else:
        # one GEMM into columns ordered kernel position first, (K, C, N·M), so that each
        # col2im add below reads one contiguous block
        wt = np.ascontiguousarray(w.reshape(groups, og, cg, kk).transpose(3, 0, 2, 1))  # (K, groups, Cg, Og)
        if groups == 1:
            gc = wt.reshape(kk * cg, og) @ gy
        else:
            gy3 = gy.reshape(groups, og, -1)
            gc = wt * gy3[:, None, 0] if og == 1 else np.matmul(wt, gy3)
        if lay.row is not None:
            gxp = np.zeros((c, n, padded[0] * padded[1]), dtype=gc.dtype)
            gc = gc.reshape(k[0], k[1], c, n, lay.m)
            for i in range(k[0]):
                for j in range(k[1]):
                    off = i * dil[0] * padded[1] + j * dil[1]
                    gxp[:, :, off:off + lay.m] += gc[i, j]
            gxp = gxp.reshape((c, n) + padded)
        elif not any(lo or hi for lo, hi in pads) and all(
                st >= d * (kk - 1) + 1 for st, d, kk in zip(stride, dil, k)):
            # windows that do not overlap and need no cropping (ConvTranspose2d(k=2, s=2)):
            # each kernel position's columns go straight to their places in the result
            tiled = all(st == kk and d == 1 and s == o * kk for st, d, kk, s, o in zip(stride, dil, k, padded, out))
            gx = (np.empty if tiled else np.zeros)((n, c) + padded, dtype=gc.dtype)
            gc = gc.reshape(k + (c, n) + out)
            view = gx.swapaxes(0, 1)
            head = (slice(None), slice(None))
            for kpos in np.ndindex(*k):
                sl = tuple(slice(p * d, p * d + st * (o - 1) + 1, st) for p, d, st, o in zip(kpos, dil, stride, out))
                view[head + sl] = gc[kpos]
            gxp = None
        elif nd == 2 and float32_kernels(gc):
            # strided adds are slow in NumPy: a compiled plane-by-plane col2im (lamina/_accel)
            gx = np.empty((n, c) + tuple(in_shape[2:]), dtype=gc.dtype)
            float32_kernels(gc).col2im_2d(gc.reshape((kk, c, n) + out), k[1], *stride, *dil, pads[0][0], pads[1][0],
                                          *padded, gx)
            gxp = None
        else:
            gxp = np.zeros((c, n) + padded, dtype=gc.dtype)
            col2im_add(gxp, gc.reshape(k + (c, n) + out), k, stride, dil)
        if gxp is not None:
            gx = np.empty((n, c) + tuple(in_shape[2:]), dtype=gxp.dtype)
            np.copyto(gx, gxp[crop].swapaxes(0, 1))
    if bias is not None:
        gx += bias.reshape((-1,) + (1,) * nd)
    return gx


def col2im_add(target, src, k, stride, dil):
    """target (A, B, *S) += the windows of src (*k, A, B, *out), one strided add per kernel position."""
    out = src.shape[len(k) + 2:]
    head = (slice(None), slice(None))
    for kpos in np.ndindex(*k):
        sl = tuple(slice(p * d, p * d + s * (o - 1) + 1, s) for p, d, s, o in zip(kpos, dil, stride, out))
        target[head + sl] += src[kpos]
