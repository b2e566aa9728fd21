"""Normalization: batch, layer, group, instance and RMS norm, F.normalize and local response
norm. Each is one fused forward with its hand-derived backward.

Every mean/variance normalisation shares one backward: with x̂ = (x - μ)·σ⁻¹ over a set of
axes and ĝ the gradient reaching x̂, dx = σ⁻¹ · (ĝ - mean(ĝ) - x̂ · mean(ĝ · x̂))."""
import functools
import inspect
import math

import numpy as np

from .._accel import float32_kernels
from ..tensor import Size, Tensor
from ._core import make, rows_apply, sum_axes, sum_rows
from .arithmetic import type_name

__all__ = ["batch_norm", "layer_norm", "group_norm", "instance_norm", "rms_norm", "normalize",
           "local_response_norm"]


_FLOAT3264 = (np.dtype(np.float32), np.dtype(np.float64))
_EXACT_IN_FLOAT32 = 2 ** 24  # every integer up to here is a float32


def _mean(a, axes):
    """a.mean(axis=axes, keepdims=True) without NumPy's Python wrapper around it: the same sum,
    then the same quotient. NumPy divides by the count as an intp, in float64, rounded into the
    sum's array; for a count exact in float32 (up to 2**24) dividing in the array's own dtype
    rounds to the same value (a quotient rounded to double and then to float is correctly
    rounded), and skips the casting loop, which costs more than the division at these sizes."""
    if a.dtype not in _FLOAT3264:
        return a.mean(axis=axes, keepdims=True)
    total = sum_axes(a, axes, keepdims=True)
    if total.size == 0 or a.size == 0:
        return a.mean(axis=axes, keepdims=True)  # NumPy's warning and nan for empty slices
    n = a.size // total.size
    if n <= _EXACT_IN_FLOAT32:
        return np.true_divide(total, float(n), out=total)
    return np.true_divide(total, np.intp(n), out=total, casting="unsafe")


def _stats(x, axes, eps):
    """(x̂, σ⁻¹, μ, biased variance) over `axes` (kept as size-1 dims)."""
    mean = _mean(x, axes)
    diff = x - mean
    var = _mean(diff * diff, axes)
    invstd = var + eps
    np.sqrt(invstd, out=invstd)
    invstd = np.true_divide(1.0, invstd, out=invstd)
    diff *= invstd
    return diff, invstd, mean, var


def _dxhat(gh, xhat, invstd, axes):
    """The input gradient of x̂ = (x - mean)·invstd, with mean and var taken over `axes`."""
    m1 = _mean(gh, axes)
    m2 = _mean(gh * xhat, axes)
    return (gh - m1 - xhat * m2) * invstd


def _affine(xhat, w, b):
    if w is not None:
        out = xhat * w
        if b is not None:
            out += b
        return out
    if b is not None:
        return xhat + b
    return xhat.copy()


def _param_grads(g, xhat, weight, bias, reduce_axes, shape):
    """Gradients of y = x̂·w + b for w and b (shape `shape`), summing over `reduce_axes`."""
    gw = gb = None
    if weight is not None and weight._requires_grad:
        gw = _sum(g * xhat, reduce_axes, shape).astype(weight._data.dtype, copy=False)
    if bias is not None and bias._requires_grad:
        gb = _sum(g, reduce_axes, shape).astype(bias._data.dtype, copy=False)
    return gw, gb


def _sum(a, axes, shape):
    """a summed over `axes`, as `shape`."""
    return _shaped(sum_axes(a, axes), shape)


def _shaped(a, shape):
    """a as `shape`, not reshaped when it has it already: a fresh array stays one of its own (not
    a view), so that handing it to .grad needs no copy."""
    return a if a.shape == shape else a.reshape(shape)


def _parents(input, weight, bias):
    parents = [input]
    if weight is not None:
        parents.append(weight)
    if bias is not None:
        parents.append(bias)
    return tuple(parents)


def _pack(gx, gw, gb, weight, bias):
    grads = [gx]
    if weight is not None:
        grads.append(gw)
    if bias is not None:
        grads.append(gb)
    return tuple(grads)


def _channel_view(t, bshape):
    return None if t is None else t._data.reshape(bshape)


def _channel_affine(x, scale, shift):
    """x·scale + shift with scale and shift of shape (1, C, 1, ...), rounded as NumPy rounds it.
    A large float32 x (N, C, *spatial) takes one compiled pass (lamina/_accel): NumPy's broadcast
    restarts its loop for every row of the last dim and keeps a temporary (BatchNorm2d in eval on
    (32, 16, 32, 32): 0.51 -> 0.14 ms through the module, the pass itself 0.06-0.08 ms; PyTorch
    0.14-0.22 ms). Below 16k elements NumPy's loop costs about as much, and a model needing no
    other kernel would load numba for it."""
    if x.ndim > 2 and x.size >= 16384:
        fast = float32_kernels(x, scale, shift)
        if fast:
            n, c = x.shape[:2]
            out = np.empty_like(x)
            fast.channel_affine(x.reshape(n, c, -1), scale.reshape(c), shift.reshape(c), out.reshape(n, c, -1))
            return out
    return x * scale + shift


# ---- batch norm ------------------------------------------------------------------------------
def _mixed_dtype(x, *params):
    """PyTorch's CPU norm kernels take parameters of the input's dtype, or float32 ones for a
    float16 input; anything else is an error (no silent promotion)."""
    dts = {p._data.dtype for p in params if p is not None}
    if not dts or dts == {x.dtype} or (x.dtype == np.float16 and dts == {np.dtype(np.float32)}):
        return
    if x.dtype == np.float32:
        raise RuntimeError("mixed dtype (CPU): expect parameter to have scalar type of Float")
    raise RuntimeError("mixed dtype (CPU): all inputs must share same datatype.")


def _float16_in_float32(fn):
    """PyTorch's CPU norm kernels compute a float16 input in float32 (its parameters may be
    float32) and return float16. Only the float16 path goes through here: the input and any
    float16 weight/bias are cast (differentiably) to float32, float16 running stats are updated
    through float32 copies, and the output is cast back."""
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def run(input, *args, **kwargs):
        if input._data.dtype != np.float16:
            return fn(input, *args, **kwargs)
        bound = signature.bind(input, *args, **kwargs)
        given = bound.arguments
        _mixed_dtype(input._data, *(given.get(k) for k in ("running_mean", "running_var", "weight", "bias")))
        stats = {}
        for name, t in list(given.items()):
            if isinstance(t, Tensor) and t._data.dtype == np.float16:
                if name.startswith("running_"):
                    stats[name] = t
                    given[name] = Tensor._wrap(t._data.astype(np.float32))
                else:
                    given[name] = t.float()
        out = fn(*bound.args, **bound.kwargs)
        for name, t in stats.items():
            if given[name]._vc[0]:  # updated: write the new statistics back, rounded
                t._data[...] = given[name]._data
                t._vc[0] += 1
        return out.half()
    return run


def batch_stats_forward(x, axes, eps, w, b, running, momentum):
    """Batch norm with the batch's statistics over `axes` on arrays: (out, saved for backward).
    w, b: channel views of the weight and bias, or None; running: (running_mean, running_var),
    moved in place by `momentum`, or None. Eager batch_norm and lamina.compile both run this.
    A float32 batch takes one compiled call (lamina/_accel) instead of ~15 NumPy calls."""
    fused = _fused(x, w, b)
    if fused is None:
        xhat, invstd, mean, var = _stats(x, axes, eps)
        out = _affine(xhat, w, b)
        if running is not None:
            update_running_stats(*running, mean, var, momentum, x.size // x.shape[1])
        return out, (xhat, invstd)
    f32 = np.float32
    n, c = x.shape[:2]
    count = x.size // c
    rm, rv = (None, None) if running is None else (running[0]._data, running[1]._data)
    moves = (f32(1.0 - momentum), f32(momentum), f32(momentum * count / max(count - 1, 1)))
    if x.ndim == 2:
        out, xhat, invstd = fused.batch_norm_2d(x, w, b, f32(eps), rm, rv, *moves)
    else:  # (N, C, *spatial) as (N, C, L) rows (on (32, 64, 28, 28): 5497 -> 1873 µs forward)
        out, xhat, invstd = fused.batch_norm_nd(x.reshape(n, c, -1), None if w is None else w.reshape(c),
                                                None if b is None else b.reshape(c), f32(eps), rm, rv, *moves)
        out, xhat = out.reshape(x.shape), xhat.reshape(x.shape)
        invstd = invstd.reshape((1, c) + (1,) * (x.ndim - 2))
    if running is not None:
        running[0]._vc[0] += 1
        running[1]._vc[0] += 1
    return out, (xhat, invstd)


def batch_stats_backward(g, saved, w, weight, bias, axes, need_input_grad):
    """batch_stats_forward's gradients: (input grad or None, weight grad, bias grad), a
    parameter's None when it needs none."""
    xhat, invstd = saved
    c = xhat.shape[1]
    fused = _fused(xhat, w) if g.dtype == xhat.dtype else None
    if fused is None:
        gx = _dxhat(g * w if w is not None else g, xhat, invstd, axes) if need_input_grad else None
        return (gx,) + _param_grads(g, xhat, weight, bias, axes, (c,))
    g = np.ascontiguousarray(g)
    if xhat.ndim == 2:
        gx, gw, gb = fused.batch_norm_2d_backward(g, xhat, invstd, w, need_input_grad)
    else:
        n = xhat.shape[0]
        gx, gw, gb = fused.batch_norm_nd_backward(g.reshape(n, c, -1), xhat.reshape(n, c, -1), invstd.reshape(c),
                                                  None if w is None else w.reshape(c), need_input_grad)
        gx = gx.reshape(xhat.shape)
    return (gx if need_input_grad else None, gw if weight is not None and weight._requires_grad else None,
            gb if bias is not None and bias._requires_grad else None)


def _fused(x, *others):
    """The compiled batch-norm kernels for x (N, C, *spatial) whose N·L values per channel count
    exactly in float32, when x and the others are C-contiguous float32; else None."""
    if x.shape[0] * math.prod(x.shape[2:]) > 2 ** 24:
        return None
    return float32_kernels(x, *others)


def verify_batch_size(shape):
    """Training statistics need more than one value per channel."""
    if shape[0] * math.prod(shape[2:]) == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size {Size(shape)}")


def update_running_stats(running_mean, running_var, mean, var, momentum, n):
    """Move the running statistics towards the batch's (mean, biased var over n values per
    channel), in place; running_var tracks the unbiased variance."""
    c = running_mean._data.size
    rm, rv = running_mean._data, running_var._data
    rm *= 1.0 - momentum
    rm += mean.reshape(c) * momentum
    rv *= 1.0 - momentum
    rv += var.reshape(c) * (momentum * n / max(n - 1, 1))
    running_mean._vc[0] += 1
    running_var._vc[0] += 1


@_float16_in_float32
def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1,
               eps=1e-5):
    r"""Normalise each channel (dim 1) with the batch's statistics (training) or the running ones.

    :math:`y = \frac{x - \mathrm{E}[x]}{\sqrt{\mathrm{Var}[x] + \epsilon}} \gamma + \beta`; in training
    the running stats move towards the batch's (the variance unbiased)."""
    x = input._data
    shape = x.shape
    if x.ndim < 2:
        raise ValueError(f"Expected 2D or higher input to batch_norm (got {x.ndim}D input)")
    if training:
        verify_batch_size(shape)
        if eps <= 0.0:
            raise ValueError(f"batch_norm eps must be positive during training, but got {eps}")
    elif eps < 0.0:
        raise ValueError(f"batch_norm eps must be non-negative, but got {eps}")
    c = shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        if t is not None and t._data.size != c:
            raise RuntimeError(f"{name} should contain {c} elements not {t._data.size}")
    if x.dtype.kind != "f":
        raise NotImplementedError(f'"batch_norm" not implemented for \'{type_name(x.dtype)}\'')
    _mixed_dtype(x, running_mean, running_var, weight, bias)
    bshape = (1, c) + (1,) * (x.ndim - 2)
    axes = (0,) + tuple(range(2, x.ndim))
    w = _channel_view(weight, bshape)
    b = _channel_view(bias, bshape)
    if not training and (running_mean is None or running_var is None):
        raise RuntimeError(f"{'running_mean' if running_mean is None else 'running_var'} must be defined in "
                           "evaluation mode")
    use_batch_stats = training

    if use_batch_stats:
        running = None if running_mean is None else (running_mean, running_var)
        out, saved = batch_stats_forward(x, axes, eps, w, b, running, momentum)

        def backward(g):
            return _pack(*batch_stats_backward(g, saved, w, weight, bias, axes, input._requires_grad), weight, bias)
    else:
        # evaluation: an affine map per channel, folded into one scale and one shift
        invstd = 1.0 / np.sqrt(running_var._data.reshape(bshape).astype(x.dtype, copy=False) + eps)
        mean = running_mean._data.reshape(bshape).astype(x.dtype, copy=False)
        scale = invstd * w if w is not None else invstd
        shift = -mean * scale
        if b is not None:
            shift = shift + b
        out = _channel_affine(x, scale, shift)

        def backward(g):
            gx = g * scale if input._requires_grad else None
            gw = gb = None
            if (weight is not None and weight._requires_grad) or (bias is not None and bias._requires_grad):
                gw, gb = _param_grads(g, (x - mean) * invstd, weight, bias, axes, (c,))
            return _pack(gx, gw, gb, weight, bias)
    return make(out, _parents(input, weight, bias), backward, "NativeBatchNormBackward0",
                saved=_parents(input, weight, None))


# ---- layer norm ------------------------------------------------------------------------------
def _normalized_shape(normalized_shape):
    if isinstance(normalized_shape, int):
        return (normalized_shape,)
    return tuple(int(s) for s in normalized_shape)


def _check_trailing(x, ns, what="normalized_shape"):
    k = len(ns)
    if k == 0:
        raise RuntimeError(f"Expected {what} to be at least 1-dimensional, i.e., containing at least one "
                           "element, but got normalized_shape = []")
    if x.shape[x.ndim - k:] != ns or x.ndim < k:
        raise RuntimeError(f"Given normalized_shape={list(ns)}, expected input with shape [*, "
                           f"{', '.join(str(s) for s in ns)}], but got input of size{list(x.shape)}")


@_float16_in_float32
def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    r"""Normalise over the last len(normalized_shape) dims of each sample:
    :math:`y = \frac{x - \mathrm{E}[x]}{\sqrt{\mathrm{Var}[x] + \epsilon}} \gamma + \beta`."""
    x = input._data
    ns = _normalized_shape(normalized_shape)
    _check_trailing(x, ns)
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t._data.shape != ns:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but got {name} of shape "
                               f"{list(t._data.shape)} and normalized_shape = {list(ns)}")
    _mixed_dtype(x, weight, bias)
    k = len(ns)
    if x.size and x.ndim > k:
        fast = float32_kernels(x, None if weight is None else weight._data, None if bias is None else bias._data)
        if fast:
            return _layer_norm_compiled(fast, input, weight, bias, ns, eps)
    axes = tuple(range(x.ndim - k, x.ndim))
    lead = tuple(range(x.ndim - k))
    xhat, invstd, _, _ = _stats(x, axes, eps)
    w = None if weight is None else weight._data
    b = None if bias is None else bias._data
    if x.size and x.ndim > k and xhat.flags.c_contiguous and x.dtype in _FLOAT3264:
        return _layer_norm_rows(input, weight, bias, xhat, invstd, ns)
    out = _affine(xhat, w, b)

    def backward(g):
        gx = None
        if input._requires_grad:
            gh = g * w if w is not None else g
            gx = _dxhat(gh, xhat, invstd, axes)
        return _pack(gx, *_param_grads(g, xhat, weight, bias, lead, ns), weight, bias)
    return make(out, _parents(input, weight, bias), backward, "NativeLayerNormBackward0",
                saved=_parents(input, weight, None))


def _layer_norm_compiled(kernels, input, weight, bias, ns, eps):
    """layer_norm of contiguous float32 rows in lamina/_accel's kernels: one pass per row each
    way instead of the NumPy path's dozen (on (1024, 512): 741 -> 256 µs forward, 2262 -> 938 µs
    with the backward)."""
    x = input._data
    E = math.prod(ns)
    flat = lambda t: None if t is None else t._data.reshape(E)  # noqa: E731
    out, xhat, invstd = kernels.layer_norm_rows(x.reshape(-1, E), flat(weight), flat(bias), np.float32(eps))

    def backward(g):
        g2 = np.ascontiguousarray(g, dtype=np.float32).reshape(-1, E)
        gx, gw, gb = kernels.layer_norm_rows_backward(g2, xhat, invstd, flat(weight), input._requires_grad)
        return _pack(gx.reshape(x.shape) if input._requires_grad else None,
                     _shaped(gw, ns) if weight is not None and weight._requires_grad else None,
                     _shaped(gb, ns) if bias is not None and bias._requires_grad else None, weight, bias)
    return make(out.reshape(x.shape), _parents(input, weight, bias), backward, "NativeLayerNormBackward0",
                saved=_parents(input, weight, None))


def _layer_norm_rows(input, weight, bias, xhat, invstd, ns):
    """layer_norm over rows of E = prod(ns) values (x̂ and σ⁻¹ already computed): the weight and
    bias passes go through rows_apply (a row vector broadcast over short rows runs NumPy's inner
    loop once per row), and the backward forms g·x̂ once, for the weight gradient and for the
    input gradient's mean(ĝ·x̂) = (g·x̂)·w / E, a product with w instead of another pass."""
    shape = xhat.shape
    E = math.prod(ns)
    xh = xhat.reshape(-1, E)
    w = None if weight is None else weight._data.reshape(E)
    b = None if bias is None else bias._data.reshape(E)
    if w is not None:
        out = rows_apply(np.multiply, xh, w)
        if b is not None:
            rows_apply(np.add, out, b, out=out)
    else:
        out = rows_apply(np.add, xh, b) if b is not None else xh.copy()
    inv = invstd.reshape(-1, 1)

    def backward(g):
        g2 = g.reshape(-1, E)
        gxh = g2 * xh if (weight is not None and weight._requires_grad) or input._requires_grad else None
        gx = gw = gb = None
        if input._requires_grad:
            gh = g2 if w is None else rows_apply(np.multiply, g2, w)
            # Σ ĝ and Σ ĝ·x̂ over each row (ĝ = g·w): products with w, or plain row sums
            m1 = np.dot(g2, w) if w is not None else sum_axes(g2, (1,))
            m1 *= 1.0 / E
            m2 = np.dot(gxh, w) if w is not None else sum_axes(gxh, (1,))
            m2 *= 1.0 / E
            gx = gh - m1[:, None]
            gx -= xh * m2[:, None]
            gx *= inv
            gx = gx.reshape(shape)
        if weight is not None and weight._requires_grad:
            gw = _shaped(sum_rows(gxh), ns)
        if bias is not None and bias._requires_grad:
            gb = _shaped(sum_rows(g2), ns)
        return _pack(gx, gw, gb, weight, bias)
    return make(out.reshape(shape), _parents(input, weight, bias), backward, "NativeLayerNormBackward0",
                saved=_parents(input, weight, None))


@_float16_in_float32
def rms_norm(input, normalized_shape, weight=None, eps=None):
    r""":math:`y = \frac{x}{\sqrt{\mathrm{mean}(x^2) + \epsilon}} \gamma` over the last dims
    (eps defaults to the dtype's machine epsilon)."""
    x = input._data
    ns = _normalized_shape(normalized_shape)
    _check_trailing(x, ns)
    if x.dtype.kind != "f":
        raise NotImplementedError(f'"rms_norm" not implemented for \'{type_name(x.dtype)}\'')
    if eps is None:
        eps = float(np.finfo(x.dtype).eps)
    k = len(ns)
    axes = tuple(range(x.ndim - k, x.ndim))
    lead = tuple(range(x.ndim - k))
    inv = 1.0 / np.sqrt(np.mean(x * x, axis=axes, keepdims=True) + eps)
    xhat = x * inv
    w = None if weight is None else weight._data
    out = xhat * w if w is not None else xhat

    def backward(g):
        gx = gw = None
        gh = g * w if w is not None else g
        if input._requires_grad:
            gx = (gh - xhat * np.mean(gh * xhat, axis=axes, keepdims=True)) * inv
        if weight is not None and weight._requires_grad:
            gw = np.sum(g * xhat, axis=lead).reshape(ns).astype(w.dtype, copy=False)
        return (gx, gw) if weight is not None else (gx,)
    name = "MulBackward0"
    return make(out, _parents(input, weight, None), backward, name, saved=_parents(input, weight, None))


# ---- group and instance norm -----------------------------------------------------------------
@_float16_in_float32
def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalise each group of num_groups channel groups of each sample (N, C, *), then scale and
    shift per channel."""
    x = input._data
    if x.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {x.ndim}")
    n, c = x.shape[:2]
    if c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input "
                           f"of shape {list(x.shape)} and num_groups={num_groups}")
    per = n * c // num_groups
    if per * math.prod(x.shape[2:]) == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                         f"{[per, num_groups] + list(x.shape[2:])}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t._data.ndim != 1 or t._data.size != c):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of channels in input, "
                               f"but got {name} of shape {list(t._data.shape)} and input of shape {list(x.shape)}")
    _mixed_dtype(x, weight, bias)
    grouped = x.reshape(n, num_groups, c // num_groups * math.prod(x.shape[2:]))  # not -1: N may be 0
    xhat_g, invstd, _, _ = _stats(grouped, (2,), eps)
    xhat = xhat_g.reshape(x.shape)
    bshape = (1, c) + (1,) * (x.ndim - 2)
    w = _channel_view(weight, bshape)
    b = _channel_view(bias, bshape)
    out = _affine(xhat, w, b)
    axes = (0,) + tuple(range(2, x.ndim))

    def backward(g):
        gx = None
        if input._requires_grad:
            gh = (g * w if w is not None else g).reshape(grouped.shape)
            gx = _dxhat(gh, xhat_g, invstd, (2,)).reshape(x.shape)
        return _pack(gx, *_param_grads(g, xhat, weight, bias, axes, (c,)), weight, bias)
    return make(out, _parents(input, weight, bias), backward, "NativeGroupNormBackward0",
                saved=_parents(input, weight, None))


@_float16_in_float32
def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    """Normalise each channel of each sample (N, C, *) over its spatial dims; with running
    stats, update them from the batch's per-instance statistics (or use them when
    use_input_stats is False)."""
    x = input._data
    if use_input_stats and math.prod(x.shape[2:]) == 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size {Size(x.shape)}")
    n, c = x.shape[:2]
    bshape = (1, c) + (1,) * (x.ndim - 2)
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t._data.size != c:
            raise RuntimeError(f"{name} should contain {c} elements not {t._data.size}")
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is not None and t._data.size != c:
            raise RuntimeError(f"{name} should contain {n * c} elements not {t._data.size * n}")
    if x.dtype.kind != "f":
        raise NotImplementedError(f'"batch_norm" not implemented for \'{type_name(x.dtype)}\'')
    _mixed_dtype(x, weight, bias)
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise RuntimeError("Expected running_mean and running_var to be defined when use_input_stats is false")
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    axes = tuple(range(2, x.ndim))
    xhat, invstd, mean, var = _stats(x, axes, eps)
    w = _channel_view(weight, bshape)
    b = _channel_view(bias, bshape)
    out = _affine(xhat, w, b)
    if running_mean is not None and running_var is not None:
        m = math.prod(x.shape[2:])
        rm, rv = running_mean._data, running_var._data
        rm *= 1.0 - momentum
        rm += mean.reshape(n, c).mean(axis=0) * momentum
        rv *= 1.0 - momentum
        rv += var.reshape(n, c).mean(axis=0) * (momentum * m / max(m - 1, 1))
        running_mean._vc[0] += 1
        running_var._vc[0] += 1
    reduce_axes = (0,) + axes

    def backward(g):
        gx = None
        if input._requires_grad:
            gh = g * w if w is not None else g
            gx = _dxhat(gh, xhat, invstd, axes)
        return _pack(gx, *_param_grads(g, xhat, weight, bias, reduce_axes, (c,)), weight, bias)
    return make(out, _parents(input, weight, bias), backward, "NativeBatchNormBackward0",
                saved=_parents(input, weight, None))


# ---- vector normalisation ---------------------------------------------------------------------
def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    r""":math:`v / \max(\lVert v \rVert_p, \epsilon)` for each vector v along `dim`."""
    x = input._data
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    from ._core import dim_arg
    axes = tuple(dim_arg(d, x.ndim) for d in dims)
    a = np.abs(x)
    if p == 2:
        norm = np.sqrt(np.sum(x * x, axis=axes, keepdims=True))
    elif p == math.inf:
        norm = a.max(axis=axes, keepdims=True)
    elif p == -math.inf:
        norm = a.min(axis=axes, keepdims=True)
    elif p == 1:
        norm = a.sum(axis=axes, keepdims=True)
    elif p == 0:
        norm = (x != 0).sum(axis=axes, keepdims=True).astype(x.dtype)
    else:
        norm = np.power(np.sum(np.power(a, p), axis=axes, keepdims=True), 1.0 / p)
    norm = norm.astype(x.dtype, copy=False)
    denom = np.maximum(norm, eps).astype(x.dtype, copy=False)
    y = x / denom
    if out is not None:
        from .inplace import write
        write(out, y)
        return out

    def backward(g):
        gx = g / denom
        live = norm >= eps  # where the clamp passes the norm's gradient through
        if p == 0:
            return (gx,)
        # d‖x‖/dx for each p, times -Σ(g·x)/denom²
        s = np.sum(g * x, axis=axes, keepdims=True) / (denom * denom)
        with np.errstate(divide="ignore", invalid="ignore"):
            if p == 2:
                dn = np.where(norm > 0, x / np.where(norm > 0, norm, 1), 0)
            elif p == 1:
                dn = np.sign(x)
            elif p in (math.inf, -math.inf):
                hit = a == norm
                dn = np.sign(x) * hit / np.maximum(hit.sum(axis=axes, keepdims=True), 1)
            else:
                dn = np.where(norm > 0, np.sign(x) * np.power(a, p - 1) /
                              np.power(np.where(norm > 0, norm, 1), p - 1), 0)
        gx = gx - np.where(live, s * dn, 0)
        return (gx.astype(x.dtype, copy=False),)
    return make(y, (input,), backward, "DivBackward0", saved=(input,))


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    r""":math:`b_c = a_c (k + \frac{\alpha}{n} \sum_{c'} a_{c'}^2)^{-\beta}` over a window of
    `size` neighbouring channels (dim 1), zero-padded at the ends."""
    x = input._data
    if x.ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          input (got {x.ndim} "
                         "dimensions)")
    if x.size == 0:
        return input
    c = x.shape[1]
    before, after = size // 2, (size - 1) // 2

    def window_sum(v, lo, hi):
        """Σ v over channels [i - lo, i + hi] for each channel i (zero outside)."""
        pad = [(0, 0)] * v.ndim
        pad[1] = (lo + 1, hi)
        cs = np.cumsum(np.pad(v, pad), axis=1)
        return cs[:, lo + hi + 1:lo + hi + 1 + c] - cs[:, :c]

    sq = x * x
    d = window_sum(sq, before, after) * (alpha / size) + k
    dpow = np.power(d, -beta)
    out = x * dpow

    def backward(g):
        # the output at channel i sees x_j for j in [i - before, i + after]; so x_j reaches the
        # outputs i in [j - after, j + before]
        t = g * x * dpow / d
        back = window_sum(t, after, before)
        return ((g * dpow - back * x * (2.0 * alpha * beta / size)).astype(x.dtype, copy=False),)
    return make(out.astype(x.dtype, copy=False), (input,), backward, "DivBackward0", saved=(input,))
