"""Convolution: conv1d/2d/3d, conv_transpose1d/2d/3d, and unfold/fold (im2col and col2im).

The arrays are computed by lamina/ops/_im2col.py: the padded input viewed as its windows
(as_strided, no copy), copied once into a column matrix, and one BLAS GEMM with the weight.
A transposed convolution is exactly conv's input gradient, and its backward is conv's forward
and weight gradient, so the same three array routines serve both. Two float32 Conv2d cases have
compiled paths of their own (lamina/_accel): stride-1 depthwise (any channel multiplier) as
direct loops, and 3x3 stride 1 from 8 input channels by Winograd's algorithm
(lamina/ops/_winograd.py)."""
import numpy as np
from numpy.lib.stride_tricks import as_strided

from .._accel import float32_kernels
from ..autograd.grad_mode import _mode
from . import _winograd
from ._core import make
from .arithmetic import type_name
from ._im2col import col2im_add, conv_forward, input_grad, out_size, pad_zeros, weight_grad

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
           "unfold", "fold"]

_C_TYPE = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
           "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char"}


# ---- argument handling --------------------------------------------------------------------
def _ntuple(value, n, name):
    """An int or a 1- or n-sequence as an n-tuple of ints (PyTorch's conv argument rule)."""
    if isinstance(value, (int, np.integer)):
        return (int(value),) * n
    value = tuple(int(v) for v in value)
    if len(value) == 1:
        return value * n
    if len(value) != n:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} values to match "
                           f"the convolution dimensions, but got {name}={list(value)}")
    return value


def _dims(shape):
    return " x ".join(str(s) for s in shape)


def _wanted(*tensors):
    """True when autograd will record an op over these tensors."""
    return _mode.grad and any(t is not None and t._requires_grad for t in tensors)


def _check_common(name, x, w, b, nd, transposed, groups, stride, dilation, padding=None):
    if x.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, but got "
                           f"input of size: {list(x.shape)}")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if w.ndim != nd + 2:
        raise RuntimeError(f"expected stride to be a single integer value or a list of {w.ndim - 2} values to "
                           f"match the convolution dimensions, but got stride={list(stride)}")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got {list(dilation)}")
    if padding is not None and any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if not transposed and b is not None and b._data.dtype != x.dtype:  # PyTorch names the bias first
        raise RuntimeError(f"Input type ({_C_TYPE.get(x.dtype.name, x.dtype.name)}) and bias type "
                           f"({_C_TYPE.get(b._data.dtype.name, b._data.dtype.name)}) should be the same")
    if x.dtype != w.dtype:
        raise RuntimeError(f"expected scalar type {type_name(x.dtype)} but found "
                           f"{type_name(w.dtype)}")
    if w.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, "
                           f"but got weight of size [{list(w.shape)}] instead")
    shape = x.shape if x.ndim == nd + 2 else (1,) + x.shape
    want = w.shape[0] if transposed else w.shape[1] * groups
    if shape[1] != want:
        what = "transposed=1" if transposed else f"groups={groups}"
        raise RuntimeError(f"Given {what}, weight of size {list(w.shape)}, expected input{list(shape)} to have "
                           f"{want} channels, but got {x.shape[-nd - 1]} channels instead")
    if b is not None:
        outs = w.shape[1] * groups if transposed else w.shape[0]
        if b._data.ndim != 1 or b._data.shape[0] != outs:
            head = "transposed=1, weight" if transposed else "weight"
            raise RuntimeError(f"Given {head} of size {list(w.shape)}, expected bias to be 1-dimensional with "
                               f"{outs} elements, but got bias of size {list(b._data.shape)} instead")
        if b._data.dtype != x.dtype:
            raise RuntimeError(f"Input type ({_C_TYPE.get(x.dtype.name, x.dtype.name)}) and bias type "
                               f"({_C_TYPE.get(b._data.dtype.name, b._data.dtype.name)}) should be the same")


# ---- the differentiable ops ----------------------------------------------------------------
def _conv_nd(nd, name, input, weight, bias, stride, padding, dilation, groups):
    x, w = input._data, weight._data
    stride = _ntuple(stride, nd, "stride")
    dilation = _ntuple(dilation, nd, "dilation")
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise RuntimeError(f"Invalid padding string: '{padding}'")
        _check_common(name, x, w, bias, nd, False, groups, stride, dilation)
        if padding == "valid":
            pads = [(0, 0)] * nd
        else:
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            pads = [(d * (k - 1) // 2, d * (k - 1) - d * (k - 1) // 2) for d, k in zip(dilation, w.shape[2:])]
    else:
        padding = _ntuple(padding, nd, "padding")
        _check_common(name, x, w, bias, nd, False, groups, stride, dilation, padding)
        pads = [(p, p) for p in padding]
    batched = x.ndim == nd + 2
    if not batched:
        x = x[None]
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(x.shape[2:], pads))
    eff = tuple(d * (k - 1) + 1 for d, k in zip(dilation, w.shape[2:]))
    if any(p < e for p, e in zip(padded, eff)):
        raise RuntimeError(f"Calculated padded input size per channel: ({_dims(padded)}). Kernel size: "
                           f"({_dims(eff)}). Kernel size can't be greater than actual input size")
    b = bias._data if bias is not None else None
    if nd == 2 and stride == (1, 1) and x.dtype == np.float32 and _direct_pays(w, groups):
        fast = float32_kernels(w, b)
        if fast:
            return _direct2d(fast, input, weight, bias, x, pads, dilation, groups, batched)
    if nd == 2:
        fast = _winograd.usable(x, w, stride, dilation, groups)
        if fast:
            done = _winograd2d(fast, input, weight, bias, x, pads, batched)
            if done is not None:
                return done
    out, cols = conv_forward(x, w, b, stride, pads, dilation, groups, _wanted(weight))
    geometry = (x.shape, stride, pads, dilation, groups)

    def backward(g):
        gx, gw, gb = _im2col_backward(g if batched else g[None], cols, input, weight, bias, geometry)
        return (gx if batched or gx is None else gx[0]), gw, gb
    parents = (input, weight) if bias is None else (input, weight, bias)
    return make(out if batched else out[0], parents, backward, "ConvolutionBackward0", saved=(input, weight))


def _im2col_backward(g, cols, input, weight, bias, geometry):
    """(grad_input, grad_weight, grad_bias) of a batched convolution computed by conv_forward, for
    the output gradient g (N, O, *out); None for what needs no gradient."""
    x_shape, stride, pads, dilation, groups = geometry
    w = weight._data
    gx = gw = gb = None
    gy = cols.lay.write(g) if weight._requires_grad else None
    want_gb = bias is not None and bias._requires_grad
    if weight._requires_grad:
        if want_gb:
            gw, gb = weight_grad(gy, cols, groups, w.shape, bias_grad=True)
        else:
            gw = weight_grad(gy, cols, groups, w.shape)
    if input._requires_grad:
        gx = input_grad(g, w, x_shape, stride, pads, dilation, groups, gy=gy,
                        lay=cols.lay if gy is not None else None)
    if want_gb and gy is None:
        gb = g.sum(axis=(0,) + tuple(range(2, g.ndim)))
    return gx, gw, gb


def _winograd2d(kernels, input, weight, bias, x, pads, batched):
    """A 3×3 stride-1 Conv2d on float32 by Winograd F(2×2, 3×3) (see _winograd.py): 16 GEMMs
    with 2.25x fewer multiply-adds than im2col's one. x: the batched input array. None when x holds
    inf or NaN (im2col then serves; so does the backward when the gradient does)."""
    w = weight._data
    out_sp = out_size(x.shape[2:], (3, 3), (1, 1), pads, (1, 1))
    v = _winograd.transform_input(kernels, x, pads, out_sp)
    if v is None:
        return None
    u = _winograd.transform_weight(w)
    out = _winograd.forward(kernels, v, u, None if bias is None else bias._data, x.shape[0], out_sp)
    if not _wanted(weight):
        v = None  # only the weight gradient reads the transformed input
    x_shape = x.shape

    def backward(g):
        g = g if batched else g[None]
        grads = _winograd.transform_grad(kernels, g)
        if grads is None:  # inf or NaN in the gradient: im2col, on columns built again
            _, cols = conv_forward(x, w, None if bias is None else bias._data, (1, 1), pads, (1, 1), 1,
                                   weight._requires_grad)
            gx, gw, gb = _im2col_backward(g, cols, input, weight, bias, (x_shape, (1, 1), pads, (1, 1), 1))
        else:
            dm, gb = grads
            gx = _winograd.input_grad(kernels, dm, u, x_shape, pads) if input._requires_grad else None
            gw = _winograd.weight_grad(dm, v, w.shape) if weight._requires_grad else None
            gb = gb.astype(np.float32) if bias is not None and bias._requires_grad else None
        return (gx if batched or gx is None else gx[0]), gw, gb
    parents = (input, weight) if bias is None else (input, weight, bias)
    return make(out if batched else out[0], parents, backward, "ConvolutionBackward0", saved=(input, weight))


def _direct_pays(w, groups):
    """True for a depthwise weight (one input channel per group, any number of outputs per
    group), which direct loops serve better than im2col's columns. Measured on lamina's Conv2d
    forward + backward on (16, 32, 28, 28), 1 thread: 3x3 3.2x (one output per group) and 3.75x
    (two) faster, 7x7 6.2x. Dense convolutions with as few multiply-adds per output (a first
    layer's 1 to 3 input channels) were mostly slower in the same loops (0.5-0.9x im2col's speed
    with 16 to 64 outputs; 1.8x faster only for 1→6 at 5x5) and keep im2col."""
    return groups > 1 and w.shape[1] == 1


def _direct2d(kernels, input, weight, bias, x, pads, dilation, groups, batched):
    """A stride-1 depthwise Conv2d (one input channel per group) on float32 in direct compiled
    loops (lamina/_accel): im2col would copy the input K times into columns for products with one
    filter row each. x: the batched input array."""
    w = weight._data
    xp = pad_zeros(x, pads)
    out = np.empty((x.shape[0], w.shape[0]) + out_size(x.shape[2:], w.shape[2:], (1, 1), pads, dilation),
                   dtype=x.dtype)
    kernels.direct_conv2d(xp, w, None if bias is None else bias._data, groups, *dilation, out)
    x_shape = x.shape

    def backward(g):
        g = np.ascontiguousarray(g if batched else g[None])
        need_x = input._requires_grad
        gx = np.empty(x_shape if need_x else (0, 0, 0, 0), dtype=g.dtype)
        gw = np.empty(w.shape, dtype=g.dtype)  # the kernel computes it anyway: a by-product of gx's loop
        kernels.direct_conv2d_backward(xp, w, g, groups, *dilation, pads[0][0], pads[1][0], gx, gw)
        gb = g.sum(axis=(0, 2, 3)) if bias is not None and bias._requires_grad else None
        return ((gx if batched else gx[0]) if need_x else None,
                gw if weight._requires_grad else None, gb)
    parents = (input, weight) if bias is None else (input, weight, bias)
    return make(out if batched else out[0], parents, backward, "ConvolutionBackward0", saved=(input, weight))


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    r"""1-D cross-correlation over an input of shape (N, C_in, L) or (C_in, L).

    out(N_i, C_out_j) = bias(C_out_j) + Σ_k weight(C_out_j, k) ⋆ input(N_i, k).
    Args: weight (C_out, C_in/groups, kW); bias (C_out,); stride, padding (int, tuple,
    'same' or 'valid'), dilation, groups as in nn.Conv1d."""
    return _conv_nd(1, "conv1d", input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    r"""2-D cross-correlation over an input of shape (N, C_in, H, W) or (C_in, H, W).

    out(N_i, C_out_j) = bias(C_out_j) + Σ_k weight(C_out_j, k) ⋆ input(N_i, k).
    Args: weight (C_out, C_in/groups, kH, kW); bias (C_out,); stride, padding (int, tuple,
    'same' or 'valid'), dilation, groups as in nn.Conv2d."""
    return _conv_nd(2, "conv2d", input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    r"""3-D cross-correlation over an input of shape (N, C_in, D, H, W) or (C_in, D, H, W).

    Args: weight (C_out, C_in/groups, kD, kH, kW); bias (C_out,); the rest as conv2d."""
    return _conv_nd(3, "conv3d", input, weight, bias, stride, padding, dilation, groups)


def _conv_transpose_nd(nd, name, input, weight, bias, stride, padding, output_padding, groups, dilation):
    x, w = input._data, weight._data
    if isinstance(padding, str):
        raise TypeError(f"{name}(): argument 'padding' must be tuple of ints, not str")
    stride = _ntuple(stride, nd, "stride")
    dilation = _ntuple(dilation, nd, "dilation")
    padding = _ntuple(padding, nd, "padding")
    output_padding = _ntuple(output_padding, nd, "output_padding")
    _check_common(name, x, w, bias, nd, True, groups, stride, dilation, padding)
    batched = x.ndim == nd + 2
    if not batched:
        x = x[None]
    # PyTorch checks 1-D transposed convolutions as 2-D ones of height 1; mirror its messages.
    view = lambda t: ((0,) + tuple(t)) if nd == 1 else tuple(t)  # noqa: E731
    if any(op >= s and op >= d for op, s, d in zip(output_padding, stride, dilation)):
        names = ("depth", "height", "width")[3 - max(nd, 2):]
        ops_, st_, di_ = view(output_padding), (1,) * (nd == 1) + stride, (1,) * (nd == 1) + dilation
        raise RuntimeError("output padding must be smaller than either stride or dilation, but got "
                           + " ".join(f"output_padding_{n}: {v}" for n, v in zip(names, ops_)) + " "
                           + " ".join(f"stride_{n}: {v}" for n, v in zip(names, st_)) + " "
                           + " ".join(f"dilation_{n}: {v}" for n, v in zip(names, di_)))
    k = w.shape[2:]
    out_sp = tuple((n - 1) * s - 2 * p + d * (kk - 1) + op + 1
                   for n, s, p, d, kk, op in zip(x.shape[2:], stride, padding, dilation, k, output_padding))
    if any(o < 1 for o in out_sp):
        ins = (1,) * (nd == 1) + x.shape[2:]
        outs = (1,) * (nd == 1) + out_sp
        raise RuntimeError(f"Given input size per channel: ({_dims(ins)}). Calculated output size per channel: "
                           f"({_dims(outs)}). Output size is too small")
    pads = [(p, p) for p in padding]
    cout = w.shape[1] * groups
    out_shape = (x.shape[0], cout) + out_sp
    b = bias._data if bias is not None else None
    out = input_grad(x, w, out_shape, stride, pads, dilation, groups, bias=b)
    if not batched:
        out = out[0]

    def backward(g):
        if not batched:
            g = g[None]
        gx = gw = gb = None
        need_w = weight._requires_grad
        if input._requires_grad or need_w:
            # conv's forward of g gives grad_input; its columns give grad_weight
            gx, cols = conv_forward(g, w, None, stride, pads, dilation, groups, need_w)
            # output_padding >= stride (allowed below the dilation) gives conv extra outputs that
            # no input fed: drop them from grad_input, meet them with zeros for grad_weight
            extra = [(0, a - b) for a, b in zip(gx.shape[2:], x.shape[2:])]
            if need_w:
                xe = pad_zeros(x, extra) if any(e for _, e in extra) else x
                gw = weight_grad(cols.lay.write(xe), cols, groups, w.shape)
            if input._requires_grad:
                gx = gx[(slice(None), slice(None)) + tuple(slice(0, n) for n in x.shape[2:])]
                gx = gx if batched else gx[0]
            else:
                gx = None
        if bias is not None and bias._requires_grad:
            gb = g.sum(axis=(0,) + tuple(range(2, g.ndim)))
        return gx, gw, gb
    parents = (input, weight) if bias is None else (input, weight, bias)
    return make(out, parents, backward, "ConvolutionBackward0", saved=(input, weight))


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    r"""1-D transposed convolution (the gradient of conv1d with respect to its input).

    Args: weight (C_in, C_out/groups, kW); L_out = (L_in-1)·stride - 2·padding + dilation·(kW-1)
    + output_padding + 1."""
    return _conv_transpose_nd(1, "conv_transpose1d", input, weight, bias, stride, padding, output_padding,
                              groups, dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    r"""2-D transposed convolution (the gradient of conv2d with respect to its input).

    Args: weight (C_in, C_out/groups, kH, kW); H_out = (H_in-1)·stride[0] - 2·padding[0]
    + dilation[0]·(kH-1) + output_padding[0] + 1, and likewise W_out."""
    return _conv_transpose_nd(2, "conv_transpose2d", input, weight, bias, stride, padding, output_padding,
                              groups, dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    r"""3-D transposed convolution (the gradient of conv3d with respect to its input)."""
    return _conv_transpose_nd(3, "conv_transpose3d", input, weight, bias, stride, padding, output_padding,
                              groups, dilation)


# ---- unfold / fold ---------------------------------------------------------------------------
def _fold_args(kernel_size, dilation, padding, stride):
    return (_ntuple(kernel_size, 2, "kernel_size"), _ntuple(dilation, 2, "dilation"),
            _ntuple(padding, 2, "padding"), _ntuple(stride, 2, "stride"))


def _blocks(sizes, k, d, p, s):
    return tuple((n + 2 * pp - dd * (kk - 1) - 1) // ss + 1 for n, kk, dd, pp, ss in zip(sizes, k, d, p, s))


def _unfold_array(x, k, d, p, s, out):
    """x (N, C, H, W) → (N, C·kH·kW, L) sliding blocks."""
    xp = pad_zeros(x, [(pp, pp) for pp in p])
    st = xp.strides
    n, c = xp.shape[:2]
    view = as_strided(xp, (n, c) + k + out, st[:2] + (d[0] * st[2], d[1] * st[3], s[0] * st[2], s[1] * st[3]))
    return view.reshape(n, c * k[0] * k[1], out[0] * out[1])


def _fold_array(cols, size, k, d, p, s, out):
    """cols (N, C·kH·kW, L) summed back into (N, C, *size): col2im."""
    n = cols.shape[0]
    c = cols.shape[1] // (k[0] * k[1])
    src = np.moveaxis(cols.reshape((n, c) + k + out), (2, 3), (0, 1))
    target = np.zeros((n, c, size[0] + 2 * p[0], size[1] + 2 * p[1]), dtype=cols.dtype)
    col2im_add(target, src, k, s, d)
    return np.ascontiguousarray(target[:, :, p[0]:p[0] + size[0], p[1]:p[1] + size[1]])


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    r"""Extract sliding local blocks (im2col): (N, C, H, W) → (N, C·∏kernel_size, L),
    L = ∏_d ⌊(size_d + 2·padding_d - dilation_d·(kernel_size_d-1) - 1)/stride_d + 1⌋."""
    x = input._data
    if x.ndim not in (3, 4) or 0 in x.shape[-3:]:
        raise RuntimeError(f"Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other non-zero "
                           f"dimensions for input, but got: {list(x.shape)}")
    k, d, p, s = _fold_args(kernel_size, dilation, padding, stride)
    batched = x.ndim == 4
    if not batched:
        x = x[None]
    out = _blocks(x.shape[2:], k, d, p, s)
    if any(o < 1 for o in out):
        raise RuntimeError(f"Given input with spatial size {tuple(x.shape[2:])}, kernel_size={k}, dilation={d}, "
                           f"padding={p}, calculated shape of the array of sliding blocks as {out}, but its "
                           "components must be at least one.")
    y = _unfold_array(x, k, d, p, s, out)
    size = x.shape[2:]

    def backward(g):
        gx = _fold_array(g if batched else g[None], size, k, d, p, s, out)
        return (gx if batched else gx[0],)
    return make(y if batched else y[0], (input,), backward, "Im2ColBackward0")


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    r"""Combine sliding local blocks into a tensor, summing overlaps (col2im):
    (N, C·∏kernel_size, L) → (N, C, *output_size). The inverse layout of unfold."""
    x = input._data
    if x.ndim not in (2, 3) or 0 in x.shape[-2:]:
        raise RuntimeError(f"Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and non-zero "
                           f"dimensions for input, but got: {list(x.shape)}")
    size = _ntuple(output_size, 2, "output_size")
    k, d, p, s = _fold_args(kernel_size, dilation, padding, stride)
    batched = x.ndim == 3
    if not batched:
        x = x[None]
    kk = k[0] * k[1]
    if x.shape[1] % kk:
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, "
                           f"but got input.size(1)={x.shape[1]} and kernel_size={k}.")
    out = _blocks(size, k, d, p, s)
    if any(o < 1 for o in out):
        raise RuntimeError(f"Given output_size={size}, kernel_size={k}, dilation={d}, padding={p}, stride={s}, "
                           f"calculated shape of the array of sliding blocks as {out}, but its components must "
                           "be at least one.")
    if x.shape[2] != out[0] * out[1]:
        raise RuntimeError(f"Given output_size={size}, kernel_size={k}, dilation={d}, padding={p}, stride={s}, "
                           f"expected size of input's dimension 2 to match the calculated number of sliding "
                           f"blocks {out[0]} * {out[1]} = {out[0] * out[1]}, but got input.size(2)={x.shape[2]}.")
    y = _fold_array(x, size, k, d, p, s, out)

    def backward(g):
        gx = _unfold_array(g if batched else g[None], k, d, p, s, out)
        return (gx if batched else gx[0],)
    return make(y if batched else y[0], (input,), backward, "Col2ImBackward0")
