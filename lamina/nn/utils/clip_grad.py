"""Gradient clipping: scale all gradients so that their joint norm is at most max_norm, or clamp
each gradient element. Gradients are changed in place (their arrays keep their identity, so an
optimizer holding them sees the change)."""
import math
import types
import warnings

import numpy as np

from ...tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "get_total_norm", "clip_grads_with_norm_"]


def _as_list(tensors):
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def _vector_norm(a, p):
    """‖a‖_p of a flattened array, in a's dtype (p = ±inf and 0 included)."""
    if a.size == 0:
        return a.dtype.type(0) if p != -math.inf else a.dtype.type(math.inf)
    if p == 2:  # the usual case first: it needs no |a| pass
        return np.sqrt(np.vdot(a.ravel(), a.ravel()).real).astype(a.dtype)
    if p == 0:
        return a.dtype.type(np.count_nonzero(a))
    absa = np.abs(a)
    if p == math.inf:
        return absa.max()
    if p == -math.inf:
        return absa.min()
    if p == 1:
        return absa.sum()
    return (absa ** p).sum() ** (1.0 / p)


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The p-norm of all the tensors together (the norm of their individual norms).

    Returns a 0-dim tensor; raises when it is nan or inf and error_if_nonfinite is set."""
    from ...ops._core import wrap
    tensors = [t._data if isinstance(t, Tensor) else np.asarray(t) for t in _as_list(tensors)]
    norm_type = float(norm_type)
    if not tensors:
        return wrap(np.asarray(0.0, dtype=np.float32))
    dtype = np.result_type(*[t.dtype for t in tensors])
    with np.errstate(over="ignore", invalid="ignore"):  # an overflowing gradient: an inf norm, silently
        norms = np.array([_vector_norm(t, norm_type) for t in tensors], dtype=dtype)
        total = np.asarray(_vector_norm(norms, norm_type), dtype=dtype)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it "
                           "cannot be clipped. To disable this error and scale the gradients by the non-finite norm "
                           "anyway, set `error_if_nonfinite=False`")
    return wrap(total)


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale the parameters' gradients by min(1, max_norm / (total_norm + 1e-6))."""
    grads = [p._grad for p in _as_list(parameters) if p._grad is not None]
    max_norm = float(max_norm)
    if not grads:
        return
    total = total_norm._data if isinstance(total_norm, Tensor) else np.asarray(total_norm)
    coef = np.minimum(max_norm / (total + 1e-6), 1.0)
    with np.errstate(invalid="ignore"):  # inf · 0 under an inf norm: NaN gradients, as in PyTorch, silently
        for g in grads:
            g._data *= coef.astype(g._data.dtype)
            g._vc[0] += 1


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Clip the gradients' joint norm to max_norm, in place; returns the norm before clipping.

    Args:
        parameters: a tensor or an iterable of tensors whose .grad is clipped
        max_norm: the largest allowed total norm
        norm_type: p of the p-norm ('inf' for the largest absolute value). Default: 2.0
        error_if_nonfinite: raise if the total norm is nan or inf. Default: False
        foreach: accepted for compatibility; ignored"""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        is_generator = isinstance(parameters, types.GeneratorType)
        parameters = list(parameters)
        if is_generator and not parameters:
            warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.", stacklevel=2)
    grads = [p._grad for p in parameters if p._grad is not None]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total_norm, foreach)
    return total_norm


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Deprecated alias of clip_grad_norm_."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of `torch.nn.utils.clip_grad_norm_`.",
                  FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element to [-clip_value, clip_value], in place."""
    clip_value = float(clip_value)
    for p in _as_list(parameters):
        g = p._grad
        if g is not None:
            np.clip(g._data, -clip_value, clip_value, out=g._data)
            g._vc[0] += 1
