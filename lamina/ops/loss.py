"""Loss functions (F.mse_loss, F.cross_entropy, ...).

The common ones are fused: the elementwise loss and its derivative are computed on arrays and
reduced in one node. cross_entropy is log-softmax and negative log-likelihood in a single node
whose backward is (softmax - onehot) · weight / N, never a chain of separate ops. The rarer
losses are compositions of differentiable ops (their gradients come from those ops)."""
import math
import warnings

import numpy as np

from .._accel import float32_kernels
from ..autograd.grad_mode import _mode
from ..tensor import Size, Tensor
from ._core import binary_operands, broadcast_error, make, unbroadcast, wrap
from .activation import _log1p_unit, _sigmoid_array
from .arithmetic import abs_grad_sign, type_name
from .linalg import linear

__all__ = ["l1_loss", "mse_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "cross_entropy", "linear_cross_entropy", "nll_loss", "kl_div",
           "soft_margin_loss", "margin_ranking_loss", "cosine_embedding_loss", "poisson_nll_loss", "gaussian_nll_loss",
           "hinge_embedding_loss", "multilabel_soft_margin_loss", "triplet_margin_loss", "multi_margin_loss",
           "multilabel_margin_loss", "triplet_margin_with_distance_loss", "ctc_loss"]



# ---- reduction -------------------------------------------------------------------------------------
def _legacy(size_average, reduce, emit_warning=True):
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = "mean" if size_average and reduce else ("sum" if reduce else "none")
    if emit_warning:
        warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{ret}' instead.",
                      stacklevel=3)
    return ret


def reduction_arg(size_average, reduce, reduction):
    """The reduction string, from the legacy (size_average, reduce) pair when either is given."""
    if size_average is not None or reduce is not None:
        return _legacy(size_average, reduce)
    if reduction == "elementwise_mean":
        warnings.warn("reduction='elementwise_mean' is deprecated. Please use reduction='mean' instead.",
                      stacklevel=3)
        return "mean"
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduce(loss, parents, grads_of, reduction, name, saved=None):
    """Reduce the elementwise `loss` array; `grads_of(gl)` maps the gradient of the elementwise
    loss (an array of loss's shape) to one gradient per parent."""
    if reduction == "none":
        return make(loss, parents, grads_of, name, saved=saved)
    n = loss.size
    if n:  # (dividing by n > 0 cannot warn: no errstate needed)
        total = np.add.reduce(loss, axis=None)  # loss.sum() without its Python wrapper
        out = np.asarray(total if reduction == "sum" else total / n, dtype=loss.dtype)
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.asarray(loss.sum() if reduction == "sum" else loss.dtype.type(np.nan), dtype=loss.dtype)
    shape = loss.shape

    def backward(g):
        if reduction == "mean":
            if n:
                g = g / n
            else:
                with np.errstate(invalid="ignore", divide="ignore"):
                    g = g / n
        # the same value everywhere: a small array is cheaper to fill than broadcast_to's view is to make
        if n > 4096:
            return grads_of(np.broadcast_to(g, shape))
        filled = np.empty(shape, np.result_type(g))  # np.full without its Python wrapper
        filled.fill(g)
        return grads_of(filled)
    return make(out, parents, backward, name, saved=saved)


def _not_differentiable(fn, arg, t):
    """PyTorch refuses, at call time, a gradient-requiring tensor where its kernel has no derivative."""
    if t is not None and _mode.grad and t._requires_grad:
        raise RuntimeError(f"The function '{fn}' is not differentiable with respect to argument '{arg}'. "
                           "This input cannot have requires_grad True.")


def _size_warning(input, target):
    if input._data.shape != target._data.shape:
        warnings.warn(f"Using a target size ({Size(target._data.shape)}) that is different to the input size "
                      f"({Size(input._data.shape)}). This will likely lead to incorrect results due to "
                      "broadcasting. Please ensure they have the same size.", stacklevel=3)


def _operands(input, target):
    """Input and target arrays in their common (PyTorch-promoted) dtype, broadcast together."""
    x, y, _ = binary_operands(input, target)
    if x.shape != np.shape(y):
        try:
            x, y = np.broadcast_arrays(x, y)
        except ValueError:
            raise broadcast_error(x.shape, np.shape(y)) from None
    return x, y


def _as_dtype(g, t):
    return g if g.dtype == t._data.dtype else g.astype(t._data.dtype)


def _pair_grads(dx_of, input, target, minus_for_target=True):
    """grads_of for losses of (input - target): d/dtarget = -d/dinput."""
    def grads_of(gl):
        d = dx_of(gl)
        gx = _as_dtype(unbroadcast(d, input._data.shape), input) if input._requires_grad else None
        gt = None
        if isinstance(target, Tensor) and target._requires_grad:
            gt = _as_dtype(unbroadcast(-d if minus_for_target else d, target._data.shape), target)
        return gx, gt
    return grads_of


def _weighted(loss_fn, input, target, weight, reduction, mean_by_weight=True):
    """The weight= path of l1/mse/huber: elementwise loss times weight, mean divided by
    Σweight (l1, mse) or by the count (huber), as PyTorch does."""
    if weight._data.shape != input._data.shape:
        raise ValueError("Weights and input must have the same size.")
    from .arithmetic import div, mul
    from .reduction import mean, sum as _sum
    weighted = mul(loss_fn(input, target, reduction="none"), weight)
    if reduction == "none":
        return weighted
    if reduction == "sum":
        return _sum(weighted)
    return div(_sum(weighted), _sum(weight)) if mean_by_weight else mean(weighted)


# ---- regression losses ------------------------------------------------------------------------------
def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    r"""Mean squared error :math:`(x - y)^2`, reduced."""
    _size_warning(input, target)
    reduction = reduction_arg(size_average, reduce, reduction)
    if weight is not None:
        return _weighted(mse_loss, input, target, weight, reduction)
    x, y = _operands(input, target)
    diff = x - y
    return _reduce(diff * diff, (input, target), _pair_grads(lambda gl: gl * (2 * diff), input, target),
                   reduction, "MseLossBackward0")


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    r"""Mean absolute error :math:`|x - y|`, reduced."""
    _size_warning(input, target)
    reduction = reduction_arg(size_average, reduce, reduction)
    if weight is not None:
        return _weighted(l1_loss, input, target, weight, reduction)
    x, y = _operands(input, target)
    diff = x - y
    name = {"none": "AbsBackward0", "mean": "MeanBackward0", "sum": "SumBackward0"}[reduction]
    return _reduce(np.abs(diff), (input, target), _pair_grads(lambda gl: gl * abs_grad_sign(diff), input, target),
                   reduction, name)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    r""":math:`0.5 (x - y)^2 / \beta` where :math:`|x - y| < \beta`, else :math:`|x - y| - 0.5 \beta`."""
    _size_warning(input, target)
    reduction = reduction_arg(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    if beta == 0.0:
        return l1_loss(input, target, reduction=reduction)
    x, y = _operands(input, target)
    diff = x - y
    ad = np.abs(diff)
    small = ad < beta
    loss = np.where(small, (0.5 / beta) * diff * diff, ad - 0.5 * beta)

    def dx(gl):
        return gl * np.where(small, diff * (1.0 / beta), np.sign(diff))
    return _reduce(loss, (input, target), _pair_grads(dx, input, target), reduction, "SmoothL1LossBackward0")


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    r""":math:`0.5 (x - y)^2` where :math:`|x - y| < \delta`, else :math:`\delta (|x - y| - 0.5 \delta)`."""
    _size_warning(input, target)
    reduction = reduction_arg(None, None, reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    if weight is not None:
        return _weighted(lambda i, t, reduction: huber_loss(i, t, reduction, delta), input, target, weight,
                         reduction, mean_by_weight=False)
    x, y = _operands(input, target)
    diff = x - y
    ad = np.abs(diff)
    small = ad < delta
    loss = np.where(small, 0.5 * diff * diff, delta * (ad - 0.5 * delta))

    def dx(gl):
        return gl * np.clip(diff, -delta, delta)
    return _reduce(loss, (input, target), _pair_grads(dx, input, target), reduction, "HuberLossBackward0")


# ---- binary classification ----------------------------------------------------------------------------
_LOG_FLOOR = 3.8e-44  # above e^-100: log(x) needs no clamp at -100


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    r""":math:`-w [y \log x + (1 - y) \log(1 - x)]` for probabilities x; each log is clamped
    at -100 so that x = 0 or 1 gives a finite loss, as in PyTorch."""
    reduction = reduction_arg(size_average, reduce, reduction)
    x, t = input._data, target._data
    if t.shape != x.shape:
        raise ValueError(f"Using a target size ({Size(t.shape)}) that is different to the input size "
                         f"({Size(x.shape)}) is deprecated. Please ensure they have the same size.")
    if t.dtype != x.dtype:
        raise RuntimeError(f"Found dtype {type_name(t.dtype)} but expected {type_name(x.dtype)}")
    if weight is None and reduction != "none" and x.size and not target._requires_grad:
        fast = float32_kernels(x, t)
        if fast:  # checks the range itself
            return _bce_fused(fast, input, target, x, t, reduction)
    # two reductions (NumPy's min and max propagate nan, which PyTorch refuses too)
    lo = hi = 0.5
    if x.size:
        lo, hi = np.minimum.reduce(x, axis=None), np.maximum.reduce(x, axis=None)
        if not (lo >= 0 and hi <= 1):
            raise RuntimeError("all elements of input should be between 0 and 1")
    _not_differentiable("binary_cross_entropy", "weight", weight)
    w = None
    if weight is not None:
        w = np.broadcast_to(weight._data, np.broadcast_shapes(t.shape, weight._data.shape))
    if float(lo) >= _LOG_FLOOR and hi < 1:  # no log below -100 (log1p(-x) is above -37 for any x < 1)
        log_x, log_1mx = np.log(x), np.log1p(-x)
    else:
        with np.errstate(divide="ignore"):
            log_x = np.maximum(np.log(x), -100)
            log_1mx = np.maximum(np.log1p(-x), -100)
    # PyTorch's formula and order: (t - 1)·log(1 - x) - t·log(x)
    loss = (t - 1) * log_1mx
    loss -= t * log_x
    if w is not None:
        loss = loss * w

    def grads_of(gl):
        gx = gt = None
        if input._requires_grad:
            # PyTorch divides by max(x(1 - x), 1e-12): a large but finite slope at 0 and 1
            d = (x - t) / np.maximum((1 - x) * x, 1e-12)
            gx = gl * d if w is None else gl * d * w
        if target._requires_grad:
            with np.errstate(divide="ignore"):
                d = np.log1p(-x) - np.log(x)
            gt = gl * d if w is None else gl * d * w
        return gx, gt
    return _reduce(loss.astype(x.dtype, copy=False), (input, target), grads_of, reduction,
                   "BinaryCrossEntropyBackward0", saved=(input, target))


def _bce_fused(kernels, input, target, x, t, reduction):
    """binary_cross_entropy with 'mean' or 'sum' and no weight, for float32 probabilities and a
    target needing no gradient, in one compiled pass each way (lamina/_accel): on (32, 1), one
    call instead of the NumPy path's dozen, whose per-call costs are all of its time."""
    xf, tf = x.reshape(-1), t.reshape(-1)
    total, ok = kernels.binary_cross_entropy_sum(xf, tf)
    if not ok:
        raise RuntimeError("all elements of input should be between 0 and 1")
    n = x.size
    out = np.asarray(total if reduction == "sum" else total / n, dtype=x.dtype)

    def backward(g):
        k = np.float32(g / n if reduction == "mean" else g)
        return kernels.binary_cross_entropy_backward(xf, tf, k).reshape(x.shape), None
    return make(out, (input, target), backward, "BinaryCrossEntropyBackward0", saved=(input, target))


def _softplus_neg(x):
    """log(1 + exp(-x)), stable for any x (float32's log1p without NumPy's scalar loop)."""
    with np.errstate(over="ignore", invalid="ignore"):
        sp = _log1p_unit(np.exp(-np.abs(x)))
        sp += np.maximum(-x, 0)
    return sp


def _sigmoid(x):
    return _sigmoid_array(x)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    r"""Sigmoid and binary cross-entropy in one stable step:
    :math:`-w [p y \log \sigma(x) + (1 - y) \log(1 - \sigma(x))]` with p = pos_weight."""
    reduction = reduction_arg(size_average, reduce, reduction)
    x, t = input._data, target._data
    if t.shape != x.shape:
        raise ValueError(f"Target size ({Size(t.shape)}) must be the same as input size ({Size(x.shape)})")
    if t.dtype.kind != "f":
        raise RuntimeError(f"result type Float can't be cast to the desired output type {type_name(t.dtype)}")
    _not_differentiable("binary_cross_entropy_with_logits", "weight", weight)
    _not_differentiable("binary_cross_entropy_with_logits", "pos_weight", pos_weight)
    sp = _softplus_neg(x)  # -log σ(x)
    pw = coef = None
    if pos_weight is not None:
        pw = pos_weight._data
        coef = 1 + (pw - 1) * t
        unweighted = (1 - t) * x + coef * sp
    else:
        unweighted = (1 - t) * x + sp
    w = None if weight is None else weight._data
    loss = unweighted * w if w is not None else unweighted
    parents = (input, target)

    def grads_of(gl):
        gw = w if w is not None else 1
        gx = gt = None
        if input._requires_grad:
            s = _sigmoid(x)
            d = (coef * s - pw * t) if pos_weight is not None else (s - t)
            gx = _as_dtype(unbroadcast(gl * d * gw, x.shape), input)
        if target._requires_grad:
            d = -x + (pw - 1) * sp if pos_weight is not None else -x
            gt = _as_dtype(unbroadcast(gl * d * gw, t.shape), target)
        return gx, gt
    dt = np.result_type(x.dtype, t.dtype)
    return _reduce(np.asarray(loss, dtype=dt), parents, grads_of, reduction,
                   "BinaryCrossEntropyWithLogitsBackward0", saved=parents)


# ---- classification ------------------------------------------------------------------------------------
def _check_weight(weight, c, dtype, probabilities=False, spatial=False):
    if weight is None:
        return None
    if not probabilities:
        _not_differentiable("nll_loss_forward", "weight", weight)
    w = weight._data
    if w.ndim != 1 or w.size != c:
        if spatial and not probabilities:  # PyTorch's nll_loss2d kernel words it more briefly
            raise RuntimeError("weight tensor should be defined either for all or no classes")
        raise RuntimeError(f"{'cross_entropy: ' if probabilities else ''}weight tensor should be defined either for "
                           f"all {c} classes or no classes but got weight tensor of shape: {list(w.shape)}")
    if w.dtype != dtype:
        raise RuntimeError(f"expected scalar type {type_name(dtype)} but found {type_name(w.dtype)}")
    return w


def _class_targets(x, t):
    """Check class-index targets against input (PyTorch's order of checks and messages) and
    return them flattened to one index per row of the (rows, C) view of the input."""
    if x.ndim == 0:
        raise RuntimeError("input tensor should be 1D or 2D")
    if x.ndim != 1 and t.ndim and x.shape[0] != t.shape[0]:
        raise ValueError(f"Expected input batch_size ({x.shape[0]}) to match target batch_size ({t.shape[0]}).")
    if x.ndim <= 2:
        if t.ndim > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if x.ndim == 1 and t.ndim == 1 and t.shape[0] != 1:
            raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: {t.shape[0]}")
        if x.ndim == 2 and t.ndim == 0:
            raise ValueError(f"Expected input batch_size ({x.shape[0]}) to match target batch_size (0).")
    elif x.ndim == 4:
        if t.ndim != 3:
            raise RuntimeError(f"only batches of spatial targets supported (3D tensors) but got targets of "
                               f"dimension: {t.ndim}")
        if t.shape != (x.shape[0],) + x.shape[2:]:
            raise RuntimeError(f"size mismatch (got input: {list(x.shape)} , target: {list(t.shape)}")
    elif t.shape[1:] != x.shape[2:]:
        raise RuntimeError(f"Expected target size {[x.shape[0]] + list(x.shape[2:])}, got {list(t.shape)}")
    if t.dtype not in (np.int64, np.uint8):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {type_name(t.dtype)}")
    return t.reshape(-1)


def _rows(x):
    """x as (rows, C) with the class dim last (a view when the class dim already is last)."""
    if x.ndim == 1:
        return x.reshape(1, -1)
    if x.ndim == 2:
        return x
    return np.moveaxis(x, 1, -1).reshape(-1, x.shape[1])


def _class_max(x, z):
    """The maximum over the class dim of x, as a (rows, 1) column matching z = _rows(x). NumPy
    reduces short rows one at a time (slow), so when there are few classes the maximum is taken
    along the class dim of (N, C, d...) in place, or of a transposed copy of (N, C). Max is
    exact in any order (only which zero wins a tie of -0 and +0 may differ, which changes
    nothing downstream)."""
    rows, c = z.shape
    if x.ndim > 2:
        return _rows(np.maximum.reduce(x, axis=1, keepdims=True))
    if c <= 16 and rows >= 64:
        return np.maximum.reduce(z.T.copy(), axis=0).reshape(rows, 1)
    return np.maximum.reduce(z, axis=1, keepdims=True)


def _unrows(g, shape):
    """The inverse of _rows for a gradient."""
    if len(shape) <= 2:
        return g.reshape(shape)
    moved = (shape[0],) + shape[2:] + (shape[1],)
    return np.moveaxis(g.reshape(moved), -1, 1)


def _pick_and_check(t, c, ignore_index):
    valid = t != ignore_index
    safe = np.where(valid, t, 0)
    bad = (safe < 0) | (safe >= c)
    if bad.any():
        raise IndexError(f"Target {int(t[bad.argmax()])} is out of bounds.")
    return valid, safe


def _nll_core(logp, t, w, ignore_index, reduction, label_smoothing, out_shape):
    """The loss array/scalar and what backward needs, for log-probabilities `logp` (rows, C)."""
    rows, c = logp.shape
    valid, safe = _pick_and_check(t, c, ignore_index)
    ar = np.arange(rows)
    wt = (w[safe] * valid) if w is not None else valid.astype(logp.dtype)
    loss = -logp[ar, safe] * wt
    if label_smoothing > 0:
        smooth = -(logp @ w if w is not None else logp.sum(axis=1)) * valid
        loss = loss * (1 - label_smoothing) + smooth * (label_smoothing / c)
    denom = None
    if reduction == "none":
        out = loss.reshape(out_shape)
    elif reduction == "sum":
        out = np.asarray(loss.sum(), dtype=logp.dtype)
    else:
        denom = wt.sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.asarray(loss.sum() / denom, dtype=logp.dtype)
    return out, (ar, valid, safe, wt, denom)


def _row_coef(g, reduction, denom, rows, dtype):
    if reduction == "none":
        return g.reshape(rows).astype(dtype, copy=False)
    if reduction == "mean":
        # with every target ignored the loss is nan but nothing receives gradient (as PyTorch)
        return np.full(rows, g / denom if denom else 0, dtype=dtype)
    return np.full(rows, g, dtype=dtype)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    r"""Negative log-likelihood of the target class, for log-probabilities input:
    :math:`-w_{y_n} x_{n, y_n}`; the mean divides by :math:`\sum_n w_{y_n}` over non-ignored targets."""
    x, td = input._data, target._data
    if (reduction == "mean" and weight is None and size_average is None and reduce is None and x.ndim == 2
            and td.ndim == 1 and td.dtype == np.int64 and x.dtype.kind == "f" and 0 < td.shape[0] == x.shape[0]):
        out = _mean_nll(input, x, td, ignore_index)
        if out is not None:
            return out
    reduction = reduction_arg(size_average, reduce, reduction)
    t = _class_targets(x, td)
    c = x.shape[0] if x.ndim == 1 else x.shape[1]
    w = _check_weight(weight, c, x.dtype, spatial=x.ndim > 2)
    logp = _rows(x)
    out_shape = target._data.shape if x.ndim != 1 else ()
    out, (ar, valid, safe, wt, denom) = _nll_core(logp, t, w, ignore_index, reduction, 0.0, out_shape)

    def backward(g):
        coef = _row_coef(g, reduction, denom, logp.shape[0], x.dtype)
        grad = np.zeros(logp.shape, dtype=x.dtype)
        grad[ar, safe] = -coef * wt
        return (_unrows(grad, x.shape),)
    return make(out, (input,), backward, "NllLossBackward0")


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                  label_smoothing=0.0):
    r"""Softmax cross-entropy between logits (N, C, d1, ...) and class indices (N, d1, ...) or
    class probabilities (the input's shape), fused: :math:`-w_{y}\log\mathrm{softmax}(x)_{y}`.

    label_smoothing ε mixes the target with the uniform distribution: (1-ε)·target + ε/C."""
    x, td = input._data, target._data
    if (reduction == "mean" and weight is None and not label_smoothing and size_average is None and reduce is None
            and x.ndim == 2 and td.ndim == 1 and td.dtype == np.int64 and x.dtype.kind == "f"
            and 0 < td.shape[0] == x.shape[0]):
        out = _mean_ce(input, x, td, ignore_index)
        if out is not None:
            return out
    reduction = reduction_arg(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if x.dtype.kind != "f":
        raise NotImplementedError(f"\"log_softmax_lastdim_kernel_impl\" not implemented for '{type_name(x.dtype)}'")
    probabilities = td.shape == x.shape
    if probabilities:
        if td.dtype.kind != "f":
            raise RuntimeError(f"Expected floating point type for target with class probabilities, got "
                               f"{type_name(td.dtype)}")
        if ignore_index >= 0:
            raise RuntimeError("ignore_index is not supported for floating point target")
    else:
        t = _class_targets(x, td)
    c = x.shape[0] if x.ndim == 1 else x.shape[1]
    w = _check_weight(weight, c, x.dtype, probabilities, x.ndim > 2)
    z = _rows(x)
    z = z - _class_max(x, z)
    e = np.exp(z)
    s = np.add.reduce(e, axis=1, keepdims=True)  # as _mean_ce sums: the two paths agree bit for bit
    logp = z - np.log(s)
    if probabilities:
        return _soft_target_ce(input, target, logp, e, s, w, reduction, label_smoothing)
    out_shape = td.shape if x.ndim != 1 else ()
    out, (ar, valid, safe, wt, denom) = _nll_core(logp, t, w, ignore_index, reduction, label_smoothing, out_shape)
    ls = label_smoothing

    def backward(g):
        # d loss_n / d x_n = a_n (p_n - onehot_n) + b_n (W p_n - w),  W = Σ w
        coef = _row_coef(g, reduction, denom, logp.shape[0], x.dtype)
        a = coef * wt
        if ls:
            a *= 1 - ls
        p = e / s
        if ls:
            b = coef * valid * (ls / c)
            total = w.sum() if w is not None else c
            grad = p * (a + b * total)[:, None]
            grad -= b[:, None] * (w if w is not None else 1)
        else:
            grad = p * a[:, None]
        grad[ar, safe] -= a
        return (_unrows(grad, x.shape),)
    return make(out, (input,), backward, _class_ce_node(x.ndim, reduction, ls), saved=(input,))


def _class_ce_node(ndim, reduction, label_smoothing):
    """PyTorch's grad_fn name for cross_entropy on class indices: the last op of its composition
    (smoothing adds a term; more than one spatial dim goes through nll_loss2d, reshaped to 4-D and
    back for 'none' unless the input already is 4-D)."""
    if label_smoothing > 0:
        return "AddBackward0"
    if ndim <= 2:
        return "NllLossBackward0"
    return "ViewBackward0" if reduction == "none" and ndim != 4 else "NllLoss2DBackward0"


_ROW_STARTS = {}  # (n, c) -> read-only arange(n) * c: where each row starts in a flat (n, c) array


def _row_starts(rows, c):
    starts = _ROW_STARTS.get((rows, c))
    if starts is None:
        if len(_ROW_STARTS) > 64:
            _ROW_STARTS.clear()
        starts = _ROW_STARTS[(rows, c)] = np.arange(0, rows * c, c)
        starts.flags.writeable = False
    return starts


def _flat_targets(t, rows, c, ignore_index):
    """Each row's target as an index into the flattened (rows, C) array, or None when a target
    is out of range or may equal ignore_index (the general path handles and reports those)."""
    # one reduction checks both bounds: as unsigned, negative targets are huge
    if 0 <= ignore_index < c or np.maximum.reduce(t.view(np.uint64)) >= c:
        return None
    starts = _row_starts(rows, c)
    return t + starts


def _mean_nll(input, x, t, ignore_index):
    """nll_loss's common case, (N, C) log-probabilities and N class indices, all valid, mean
    over N, no weights: the general path's values with a fraction of its NumPy calls."""
    rows, c = x.shape
    flat = _flat_targets(t, rows, c, ignore_index)
    if flat is None:
        return None
    denom = x.dtype.type(rows)
    # 0 - Σ rather than -Σ: a zero loss prints as 0., not -0. (as the general path and PyTorch)
    out = np.asarray((x.dtype.type(0) - np.add.reduce(x.take(flat))) / denom)

    def backward(g):
        k = g / denom
        if k.dtype != x.dtype:
            k = x.dtype.type(k)
        grad = np.zeros(x.shape, x.dtype)
        grad.reshape(-1)[flat] = -k
        return (grad,)
    return make(out, (input,), backward, "NllLossBackward0")


def _mean_ce(input, x, t, ignore_index):
    """cross_entropy's common case, (N, C) logits and N class indices, all valid, mean over N,
    no weights or smoothing: the general path's values with fewer NumPy calls. None when a
    target is out of range or may equal ignore_index (the general path handles and reports it)."""
    rows, c = x.shape
    if 0 <= ignore_index < c:
        return None
    fast = float32_kernels(x) if t.flags.c_contiguous else None
    if fast:
        return _mean_ce_fused(fast, input, x, t)
    # one reduction checks both bounds: as unsigned, negative targets are huge
    if np.maximum.reduce(t.view(np.uint64)) >= c:
        return None
    # ufunc reductions directly (ndarray.max/.sum wrap them in Python). For few classes the row
    # maximum is cheaper over the transposed copy (max is exact in any order; only which zero
    # wins a tie of -0 and +0 may differ, which cannot change the gradient)
    if c <= 16 and rows >= 64:
        top = np.maximum.reduce(x.T.copy(), axis=0).reshape(rows, 1)
    else:
        top = np.maximum.reduce(x, axis=1, keepdims=True)
    z = x - top
    e = np.exp(z)
    s = np.add.reduce(e, axis=1)
    starts = _row_starts(rows, c)
    flat = t + starts  # each row's target as an index into the flattened (N, C) arrays
    # only the picked log-probabilities z - log(s) are needed: Σ -logp[n, t_n] / N
    picked = z.take(flat)
    picked -= np.log(s)
    # -Σ / N as Σ / -N (the same value, one scalar operation fewer); a Python number divides a
    # NumPy float32 scalar in float32 (weak scalar), and make() wraps the scalar as a 0-d array
    out = np.add.reduce(picked) / -float(rows)

    def backward(g):
        # (softmax - onehot) · g / N, every row with the same coefficient
        k = g / float(rows)
        if k.dtype != x.dtype:
            k = x.dtype.type(k)
        grad = np.divide(e, s[:, None], order="C")  # C order: the flat view below must not be a copy
        grad *= k
        grad.reshape(-1)[flat] -= k
        return (grad,)
    return make(out, (input,), backward, "NllLossBackward0", saved=(input,))


def _mean_ce_fused(kernels, input, x, t):
    """_mean_ce in one compiled pass (lamina/_accel) for float32 logits: cross_entropy on (128, 10)
    takes 17 µs against 44, where the NumPy path's dozen calls are the cost."""
    e = np.empty_like(x)
    s = np.empty(x.shape[0], x.dtype)
    loss, ok = kernels.cross_entropy_mean(x, t, e, s)
    if not ok:
        return None
    rows = x.shape[0]

    def backward(g):
        k = np.float32(g / float(rows))
        return (kernels.cross_entropy_mean_backward(e, s, t, k),)
    return make(np.asarray(loss, dtype=x.dtype), (input,), backward, "NllLossBackward0", saved=(input,))


def _soft_target_ce(input, target, logp, e, s, w, reduction, ls):
    x, td = input._data, target._data
    c = logp.shape[1]
    t = _rows(td).astype(x.dtype, copy=False)
    if ls > 0:
        t = t * (1 - ls) + ls / c
    tw = t * w if w is not None else t
    loss = -(logp * tw).sum(axis=1)
    rows = logp.shape[0]
    if reduction == "none":
        out = loss.reshape(td.shape[:1] + td.shape[2:] if x.ndim > 1 else ())
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.asarray(loss.sum() if reduction == "sum" else loss.sum() / rows, dtype=x.dtype)

    def backward(g):
        coef = _row_coef(g, reduction, rows, rows, x.dtype)[:, None]
        gx = gt = None
        if input._requires_grad:
            p = e / s
            gx = _unrows((p * tw.sum(axis=1, keepdims=True) - tw) * coef, x.shape)
        if target._requires_grad:
            d = -logp * (w if w is not None else 1) * coef
            if ls > 0:
                d = d * (1 - ls)
            gt = _unrows(d, td.shape).astype(td.dtype, copy=False)
        return gx, gt
    # PyTorch's names: its composition ends in a negation, then for 'mean' a division by N
    return make(out, (input, target), backward, "DivBackward1" if reduction == "mean" else "NegBackward0",
                saved=(input, target))


# ---- linear + cross-entropy ----------------------------------------------------------------------------
def linear_cross_entropy(input, linear_weight, target, *, linear_bias=None, weight=None, reduction="mean",
                         ignore_index=None, label_smoothing=0.0, options=None):
    r"""Cross-entropy of the logits :math:`x W^T (+ b)` against `target`, without the caller holding
    the logits: ``cross_entropy(linear(input, linear_weight, linear_bias), target, ...)``.

    Shapes: input (in_features) or (N, in_features); linear_weight (C, in_features), or
    (C, d1, ..., dK, in_features) for a K-dimensional loss (batched input only), with linear_bias
    of its shape without the last dim; target of class indices () / (N) / (N, d1, ..., dK), or of
    class probabilities (C) / (N, C, d1, ..., dK). ignore_index=None means -100 for class
    indices; with probabilities it must stay None.

    options (nn.LinearCrossEntropyOptions) asks for PyTorch's batch-chunked path (class indices,
    no label smoothing, K = 0; otherwise ignored with PyTorch's warning). lamina gives that path's
    errors and grad_fn but computes in one pass: the values equal the reference up to rounding."""
    if input.dim() not in (1, 2):
        raise RuntimeError(f"expected input with dimensionality 1 or 2, got {input.dim()}")
    if linear_weight.dim() < 2:
        raise RuntimeError(f"expected linear_weight with dimensionality at least 2, got {linear_weight.dim()}")
    in_features = input.shape[-1]
    if in_features != linear_weight.shape[-1]:
        raise RuntimeError("expected equal input and linear_weight last dimensions (in_features), got "
                           f"{in_features} and {linear_weight.shape[-1]}, respectively")
    batch, c, out_features = tuple(input.shape[:-1]), linear_weight.shape[0], tuple(linear_weight.shape[1:-1])
    if linear_bias is not None and tuple(linear_bias.shape) != (c, *out_features):
        raise RuntimeError(f"expected linear_bias shape {(c, *out_features)}, got {tuple(linear_bias.shape)}")
    if out_features and not batch:
        raise RuntimeError(f"K-dimensional loss defined by linear_weight shape {tuple(linear_weight.shape)} requires "
                           f"batched input, (N, {in_features}), got unbatched input with shape {tuple(input.shape)}")
    logits_shape = (*batch, c, *out_features)
    # a target of the logits' shape holds probabilities: cross_entropy tells them apart the same way
    if tuple(target.shape) == logits_shape and ignore_index is not None:
        raise RuntimeError("ignore_index cannot be specified when target contains probabilities")
    ignore_index = -100 if ignore_index is None else ignore_index
    if options is not None:
        class_indices = target._data.dtype == np.int64
        if (not out_features and reduction in ("mean", "sum", "none") and label_smoothing == 0.0
                and class_indices):
            from ._linear_cross_entropy_chunked import chunked_path
            return chunked_path(input, linear_weight, target, linear_bias, weight, reduction, ignore_index, options)
        bias_shape = None if linear_bias is None else tuple(linear_bias.shape)
        warnings.warn("linear_cross_entropy: ``options`` ignored; chunked path needs reduction in {'mean','sum',"
                      "'none'}, label_smoothing == 0, target.dtype == int64, out_features == (). Got "
                      f"reduction={reduction!r}, label_smoothing={label_smoothing}, target.dtype={target.dtype}, "
                      f"out_features={out_features}, tracing=False, linear_bias.shape={bias_shape}.", stacklevel=2)
    if out_features:  # the K-dimensional weight as one (C·d1···dK, in_features) matrix: one GEMM
        rows = math.prod(out_features, start=c)
        linear_weight = linear_weight.reshape(rows, in_features)
        linear_bias = None if linear_bias is None else linear_bias.reshape(rows)
    logits = linear(input, linear_weight, linear_bias)
    if out_features:
        logits = logits.reshape(logits_shape)
    return cross_entropy(logits, target, weight=weight, reduction=reduction, ignore_index=ignore_index,
                         label_smoothing=label_smoothing)


# ---- divergences and margins (compositions of differentiable ops) ------------------------------------
def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    r"""Kullback-Leibler divergence for log-probabilities `input`:
    :math:`y (\log y - x)` elementwise (0 where y = 0); 'batchmean' divides the sum by the batch size."""
    if size_average is not None or reduce is not None:
        reduction = _legacy(size_average, reduce)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      stacklevel=2)
    elif reduction not in ("none", "sum", "batchmean"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    x, y = _operands(input, target)
    if log_target:
        ey = np.exp(y)
        loss = ey * (y - x)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            logy = np.where(y > 0, np.log(np.where(y > 0, y, 1)), 0)
        loss = np.where(y == 0, 0, y * logy) - y * x
        loss = loss.astype(x.dtype, copy=False)

    def grads_of(gl):
        gx = gt = None
        if input._requires_grad:
            gx = _as_dtype(unbroadcast(-gl * (ey if log_target else y), input._data.shape), input)
        if isinstance(target, Tensor) and target._requires_grad:
            if log_target:
                d = ey * (y - x + 1)
            else:  # undefined (nan) at y = 0, as PyTorch's xlogy(y, y) derivative gives
                d = np.where(y == 0, np.nan, logy + 1 - x).astype(x.dtype, copy=False)
            gt = _as_dtype(unbroadcast(gl * d, target._data.shape), target)
        return gx, gt
    # PyTorch computes kl_div from elementwise ops: its node is the last one's
    names = {"none": "MulBackward0" if log_target else "SubBackward0", "mean": "MeanBackward0", "sum": "SumBackward0"}
    if reduction == "batchmean":
        out = _reduce(loss, (input, target), grads_of, "sum", names["sum"])
        if x.ndim:
            from .arithmetic import div
            out = div(out, x.shape[0])
        return out
    return _reduce(loss, (input, target), grads_of, reduction, names[reduction])


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    r""":math:`\log(1 + \exp(-y x))` for targets y = ±1."""
    reduction = reduction_arg(size_average, reduce, reduction)
    _not_differentiable("soft_margin_loss", "target", target)
    x, y = _operands(input, target)
    m = -y * x
    loss = np.maximum(m, 0) + np.log1p(np.exp(-np.abs(m)))

    def grads_of(gl):
        gx = _as_dtype(unbroadcast(gl * -y * _sigmoid(m), input._data.shape), input) if input._requires_grad else None
        return gx, None
    return _reduce(loss.astype(x.dtype, copy=False), (input, target), grads_of, reduction,
                   "SoftMarginLossBackward0")


def _apply_reduction(loss, reduction):
    from .reduction import mean, sum as _sum
    if reduction == "mean":
        return mean(loss)
    if reduction == "sum":
        return _sum(loss)
    return loss


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    r""":math:`\max(0, -y (x_1 - x_2) + \text{margin})`."""
    reduction = reduction_arg(size_average, reduce, reduction)
    if input1.dim() != input2.dim() or input1.dim() != target.dim():
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {input1.size()}, input2: {input2.size()}, target: {target.size()} ")
    from .arithmetic import add, clamp, mul, neg, sub
    loss = clamp(add(mul(neg(target), sub(input1, input2)), margin), min=0)
    return _apply_reduction(loss, reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    r""":math:`x` where y = 1, :math:`\max(0, \text{margin} - x)` where y = -1."""
    reduction = reduction_arg(size_average, reduce, reduction)
    from .arithmetic import add, clamp, rsub, where
    from .compare import eq
    zeros = wrap(np.zeros((), dtype=input._data.dtype))
    margin_clamp = clamp(rsub(input, margin), min=0)
    out_margin = where(eq(target, 1), zeros, margin_clamp)
    out_self = where(eq(target, -1), zeros, input)
    return _apply_reduction(add(out_margin, out_self), reduction)


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    r""":math:`1 - \cos(x_1, x_2)` where y = 1, :math:`\max(0, \cos(x_1, x_2) - \text{margin})` where y = -1."""
    reduction = reduction_arg(size_average, reduce, reduction)
    from .arithmetic import add, clamp, div, mul, rsub, sub, where
    from .compare import eq
    from .pointwise import sqrt
    from .reduction import sum as _sum
    d = input1.dim() - 1
    if input1.dim() not in (1, 2):
        raise RuntimeError(f"1D target tensor expects 1D or 2D input tensors, but found inputs with sizes "
                           f"{list(input1.shape)} and {list(input2.shape)}.")
    eps = 1e-12
    prod = _sum(mul(input1, input2), d)
    mag1 = add(_sum(mul(input1, input1), d), eps)
    mag2 = add(_sum(mul(input2, input2), d), eps)
    cos = div(prod, sqrt(mul(mag1, mag2)))
    zeros = wrap(np.zeros((), dtype=cos._data.dtype))
    pos = rsub(cos, 1)
    neg = clamp(sub(cos, margin), min=0)
    out = add(where(eq(target, 1), pos, zeros), where(eq(target, -1), neg, zeros))
    return _apply_reduction(out, reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    r"""Poisson negative log-likelihood: :math:`e^x - y x` (log_input) or :math:`x - y \log(x + \epsilon)`;
    `full` adds Stirling's :math:`y \log y - y + \frac12 \log(2\pi y)` for y > 1."""
    if size_average is not None or reduce is not None:
        reduction = _legacy(size_average, reduce)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not a valid value for reduction")
    from .arithmetic import add, mul, sub
    from .pointwise import exp, log
    if log_input:
        loss = sub(exp(input), mul(target, input))
    else:
        loss = sub(input, mul(target, log(add(input, eps))))
    if full:
        from .compare import le
        from .indexing import masked_fill
        with np.errstate(divide="ignore", invalid="ignore"):
            t = target
            stirling = add(sub(mul(t, log(t)), t), mul(log(mul(t, 2 * math.pi)), 0.5))
            loss = add(loss, masked_fill(stirling, le(t, 1), 0))
    return _apply_reduction(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    r""":math:`\frac12 (\log \max(\text{var}, \epsilon) + (x - y)^2 / \max(\text{var}, \epsilon))`
    (+ :math:`\frac12 \log 2\pi` when full)."""
    from .arithmetic import add, div, mul, pow, sub
    from .creation import ones_like
    from .pointwise import log
    from .shape import unsqueeze
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = mul(ones_like(input), float(var))
    elif (var._data < 0).any():
        raise ValueError("var has negative entry/entries")
    if var.shape != input.shape:
        if input.shape[:-1] == var.shape:
            var = unsqueeze(var, -1)
        elif input.ndim == var.ndim and sum(b for a, b in zip(input.shape, var.shape) if a != b) == 1:
            pass
        else:
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    # the clamp does not pass gradient where it bites, as PyTorch's no_grad clamp_ on a clone
    v = var._data
    clamped = np.maximum(v, eps).astype(v.dtype, copy=False)
    var_c = add(var, wrap((clamped - v).astype(v.dtype, copy=False)))
    loss = mul(add(log(var_c), div(pow(sub(input, target), 2), var_c)), 0.5)
    if full:
        loss = add(loss, 0.5 * math.log(2 * math.pi))
    return _apply_reduction(loss, reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    r""":math:`-\frac{1}{C}\sum_c [y_c \log\sigma(x_c) + (1 - y_c)\log\sigma(-x_c)]` per sample."""
    reduction = reduction_arg(size_average, reduce, reduction)
    from .activation import logsigmoid
    from .arithmetic import add, mul, neg, rsub
    from .reduction import mean, sum as _sum
    loss = neg(add(mul(target, logsigmoid(input)), mul(rsub(target, 1), logsigmoid(neg(input)))))
    if weight is not None:
        loss = mul(loss, weight)
    class_dim = input.dim() - 1
    c = input.shape[class_dim]
    from .arithmetic import div
    loss = div(_sum(loss, class_dim), c)
    if reduction == "none":
        return loss
    return mean(loss) if reduction == "mean" else _sum(loss)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    r""":math:`\max(d(a, p) - d(a, n) + \text{margin}, 0)` with d the p-norm distance (+eps)."""
    reduction = reduction_arg(size_average, reduce, reduction)
    from .arithmetic import add, clamp, minimum, sub
    from .reduction import norm
    dim = anchor.dim() - 1

    def dist(a, b):
        return norm(add(sub(a, b), eps), p, dim)
    d_pos = dist(anchor, positive)
    d_neg = dist(anchor, negative)
    if swap:
        d_neg = minimum(d_neg, dist(positive, negative))
    loss = clamp(add(sub(d_pos, d_neg), margin), min=0)
    return _apply_reduction(loss, reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0, swap=False,
                                      reduction="mean"):
    r""":math:`\max(d(a, p) - d(a, n) + \text{margin}, 0)` for any distance function d (default
    pairwise_distance); with swap, d(a, n) becomes min(d(a, n), d(p, n))."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    dims = (anchor.dim(), positive.dim(), negative.dim())
    if len(set(dims)) != 1:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {dims[0]}D, positive {dims[1]}D, and negative {dims[2]}D "
                           "inputs")
    from .arithmetic import add, clamp, minimum, sub
    if distance_function is None:
        from .embedding import pairwise_distance as distance_function
    d_pos = distance_function(anchor, positive)
    d_neg = distance_function(anchor, negative)
    if swap:
        d_neg = minimum(d_neg, distance_function(positive, negative))
    return _apply_reduction(clamp(add(sub(d_pos, d_neg), margin), min=0), reduction)


# ---- multi-class margins (fused: hinge arrays and their masks) ---------------------------------------
def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None, reduction="mean"):
    r"""Multi-class hinge loss: :math:`\frac{1}{C}\sum_{i \ne y} w_y \max(0, \text{margin} - x_y + x_i)^p`."""
    reduction = reduction_arg(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    _not_differentiable("multi_margin_loss", "weight", weight)
    x, t = input._data, target._data
    rows = x.reshape(1, -1) if x.ndim <= 1 else x
    n, c = rows.shape
    if t.size != n:
        raise RuntimeError(f"multi_margin_loss: target tensor should be 1-D with size equal to the number of input "
                           f"samples (batch size). Expected target size [{n}], but got {list(t.shape)}. Input has "
                           f"shape {list(x.shape)}.")
    t = t.reshape(-1)
    if ((t < 0) | (t >= c)).any():
        raise RuntimeError("target out of range")
    ar = np.arange(n)
    h = margin - rows[ar, t][:, None] + rows
    h[ar, t] = 0
    active = h > 0
    wt = weight._data[t][:, None] if weight is not None else 1.0
    hp = np.where(active, h if p == 1 else h * h, 0) * wt
    loss = (hp.sum(axis=1) / c).astype(x.dtype, copy=False)
    if x.ndim <= 1:
        loss = loss.reshape(())

    def grads_of(gl):
        coef = np.asarray(gl, dtype=x.dtype).reshape(-1)[:, None]
        d = np.where(active, 1.0 if p == 1 else 2 * h, 0) * wt / c
        d = (d * coef).astype(x.dtype, copy=False)
        d[ar, t] = -d.sum(axis=1)
        return (d.reshape(x.shape), None)
    if reduction == "none":
        return make(loss, (input, target), grads_of, "MultiMarginLossBackward0", saved=(input,))
    out = np.asarray(loss.sum() if reduction == "sum" else loss.mean(), dtype=x.dtype)
    scale = 1.0 if reduction == "sum" else 1.0 / n

    def backward(g):
        return grads_of(np.broadcast_to(g * scale, (n,)))
    return make(out, (input, target), backward, "MultiMarginLossBackward0", saved=(input,))


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    r"""Multi-label hinge loss: for each target class j (the indices before the first -1) and
    each non-target class i, :math:`\max(0, 1 - (x_j - x_i)) / C`."""
    reduction = reduction_arg(size_average, reduce, reduction)
    x, t = input._data, target._data
    if t.shape != x.shape:
        raise RuntimeError(f"inconsistent target size: {list(t.shape)} for input of size: {list(x.shape)}")
    rows = x.reshape(1, -1) if x.ndim <= 1 else x
    tr = t.reshape(rows.shape)
    n, c = rows.shape
    # the targets of each row are its entries before the first -1
    valid = np.cumprod(tr != -1, axis=1).astype(bool)
    if ((tr < -1) | (tr >= c)).any():
        raise RuntimeError("argument #2 'target' is out of range")
    # a class listed twice is a target twice: PyTorch sums over the list, not over the set
    mult = np.zeros((n, c), dtype=x.dtype)
    rr, cc = np.nonzero(valid)
    np.add.at(mult, (rr, tr[rr, cc]), 1)
    is_target = mult > 0
    # h[n, j, i] = 1 - x_j + x_i for target j and non-target i
    h = 1 - rows[:, :, None] + rows[:, None, :]
    pair = is_target[:, :, None] & ~is_target[:, None, :]
    active = np.where(pair & (h > 0), mult[:, :, None], 0)
    loss = ((active * h).sum(axis=(1, 2)) / c).astype(x.dtype, copy=False)
    if x.ndim <= 1:
        loss = loss.reshape(())

    def grads_of(gl):
        coef = np.asarray(gl, dtype=x.dtype).reshape(-1)[:, None] / c
        a = active
        d = (a.sum(axis=1) - a.sum(axis=2)) * coef  # +1 as the i of a pair, -1 as the j
        return (d.reshape(x.shape).astype(x.dtype, copy=False), None)
    if reduction == "none":
        return make(loss, (input, target), grads_of, "MultilabelMarginLossBackward0", saved=(input,))
    out = np.asarray(loss.sum() if reduction == "sum" else loss.mean(), dtype=x.dtype)
    scale = 1.0 if reduction == "sum" else 1.0 / n

    def backward(g):
        return grads_of(np.broadcast_to(g * scale, (n,)))
    return make(out, (input, target), backward, "MultilabelMarginLossBackward0", saved=(input,))


# ---- connectionist temporal classification ----------------------------------------------------------
def _lse(*arrays):
    """Elementwise log(Σ exp(a)) of equally shaped arrays, -inf where all are -inf."""
    m = arrays[0]
    for a in arrays[1:]:
        m = np.maximum(m, a)
    safe = np.where(np.isneginf(m), 0, m)
    total = sum(np.exp(a - safe) for a in arrays)
    with np.errstate(divide="ignore"):
        return np.log(total) + safe


def _shift(a, k, neg):
    """a moved k places along dim 1 (right for k > 0, left for k < 0), -inf filling in."""
    out = np.full_like(a, neg)
    if abs(k) < a.shape[1]:
        if k > 0:
            out[:, k:] = a[:, :-k]
        else:
            out[:, :k] = a[:, -k:]
    return out


def _lengths(v, n):
    arr = v._data if isinstance(v, Tensor) else np.asarray(v)
    return np.broadcast_to(arr.astype(np.int64), (n,)).copy() if arr.ndim == 0 else arr.astype(np.int64).reshape(-1)


def _ctc_nll(lp, labels, in_len, tgt_len, blank):
    """Per-sample CTC negative log-likelihood and its gradient closure, PyTorch's CPU algorithm:
    log-space forward (alpha) and backward (beta) variables over the blank-extended targets."""
    T, N, C = lp.shape
    S = labels.shape[1] * 2 + 1
    ext = np.full((N, S), blank, dtype=np.int64)
    ext[:, 1::2] = labels
    valid = np.arange(S)[None, :] < (2 * tgt_len + 1)[:, None]
    # a label may be reached from two back unless it is a blank or repeats the label two back
    skip = np.zeros((N, S), dtype=bool)
    skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    neg = np.asarray(-np.inf, dtype=lp.dtype)
    emit = np.take_along_axis(lp, np.broadcast_to(ext[None], (T, N, S)), axis=2)  # (T, N, S)
    alpha = np.full((T, N, S), neg, dtype=lp.dtype)
    alpha[0, :, 0] = emit[0, :, 0]
    if S > 1:
        alpha[0, :, 1] = np.where(tgt_len > 0, emit[0, :, 1], neg)
    for t in range(1, T):
        prev = alpha[t - 1]
        one = _shift(prev, 1, neg)
        two = np.where(skip, _shift(prev, 2, neg), neg)
        alpha[t] = np.where(valid, _lse(prev, one, two) + emit[t], neg)
    n_idx = np.arange(N)
    last = alpha[np.maximum(in_len - 1, 0), n_idx]  # (N, S)
    end = 2 * tgt_len
    nll = -_lse(last[n_idx, end], np.where(tgt_len > 0, last[n_idx, np.maximum(end - 1, 0)], neg))
    nll = nll.astype(lp.dtype)

    def grad(g):
        beta = np.full((T, N, S), neg, dtype=lp.dtype)
        for t in range(T - 1, -1, -1):
            start = t == in_len - 1
            init = np.full((N, S), neg, dtype=lp.dtype)
            init[n_idx, end] = emit[t, n_idx, end]
            init[n_idx, np.maximum(end - 1, 0)] = np.where(tgt_len > 0, emit[t, n_idx, np.maximum(end - 1, 0)],
                                                           init[n_idx, np.maximum(end - 1, 0)])
            if t + 1 < T:
                nxt = beta[t + 1]
                one = _shift(nxt, -1, neg)
                two = np.where(_shift(skip, -2, False), _shift(nxt, -2, neg), neg)
                rec = np.where(valid, _lse(nxt, one, two) + emit[t], neg)
            else:
                rec = init
            beta[t] = np.where(start[:, None], init, np.where((t < in_len - 1)[:, None], rec, neg))
        ab = alpha + beta  # (T, N, S)
        lcab = np.full((T, N, C), neg, dtype=lp.dtype)
        for s in range(S):  # S is small (twice the longest target): a loop over classes would be longer
            idx = ext[:, s][None, :, None]
            cur = np.take_along_axis(lcab, idx, axis=2)
            np.put_along_axis(lcab, idx, _lse(cur, ab[:, :, s:s + 1]), axis=2)
        with np.errstate(over="ignore", invalid="ignore"):
            res = np.exp(lp) - np.exp(lcab + nll[None, :, None] - lp)
        inside = np.arange(T)[:, None] < in_len[None, :]
        res = np.where(inside[:, :, None], res, 0)  # an impossible target gives NaN, as in PyTorch
        return (res * g[None, :, None]).astype(lp.dtype, copy=False)
    return nll, grad


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    r"""Connectionist Temporal Classification loss: -log Σ over the alignments of the target
    (blanks and repeats collapsed) of Π_t p_t(alignment_t).

    Args:
        log_probs: (T, N, C) or (T, C) log-probabilities (log_softmax output)
        targets: (N, S) padded, or 1-D concatenated targets (sum(target_lengths))
        input_lengths, target_lengths: (N,) lengths (tensors or sequences)
        blank: the blank class. reduction: 'mean' divides each loss by its target length first.
        zero_infinity: impossible alignments give 0 loss and gradient instead of inf."""
    lp = log_probs._data
    unbatched = lp.ndim == 2
    if unbatched:
        lp = lp[:, None]
    T, N, C = lp.shape
    in_len = _lengths(input_lengths, N)
    tgt_len = _lengths(target_lengths, N)
    if not 0 <= blank < C:
        raise RuntimeError("blank must be in label range")
    if (in_len > T).any():
        n = int(np.argmax(in_len > T))
        raise RuntimeError(f"Expected input_lengths to have value at most {T}, but got value {in_len[n]} "
                           f"(while checking arguments for ctc_loss_cpu)")
    t = targets._data.astype(np.int64)
    if unbatched:
        t = t[None] if t.ndim == 1 else t
    L = int(tgt_len.max()) if N else 0
    labels = np.zeros((N, L), dtype=np.int64)
    if t.ndim == 1 and not unbatched:  # concatenated
        starts = np.concatenate([[0], np.cumsum(tgt_len)[:-1]])
        for n in range(N):
            labels[n, :tgt_len[n]] = t[starts[n]:starts[n] + tgt_len[n]]
    else:
        for n in range(N):
            labels[n, :tgt_len[n]] = t[n, :tgt_len[n]]
    raw, grad = _ctc_nll(lp, labels, in_len, tgt_len, blank)
    nll = raw

    def backward(g):
        gl = grad(np.broadcast_to(np.asarray(g, dtype=lp.dtype).reshape(-1), (N,)))
        if zero_infinity:
            gl = np.where(np.isinf(raw)[None, :, None], 0, gl)
        return (gl[:, 0] if unbatched else gl, None)
    if zero_infinity:
        nll = np.where(np.isinf(nll), 0, nll).astype(lp.dtype)
    loss = make(nll[0] if unbatched else nll, (log_probs, targets), backward, "CtcLossBackward0",
                saved=(log_probs,))
    if reduction == "none":
        return loss
    if reduction == "sum":
        from .reduction import sum as _sum
        return _sum(loss)
    from .arithmetic import div
    from .reduction import mean
    per = np.maximum(tgt_len, 1).astype(lp.dtype)  # each loss over its target length
    scale = wrap(per[0] if unbatched else per)
    return mean(div(loss, scale))
