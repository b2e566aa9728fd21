"""Helpers shared by the distributions: parameter broadcasting, probs <-> logits, lazy properties."""
from numbers import Number

import lamina
from ..tensor import Size, Tensor

__all__ = ["broadcast_all", "logits_to_probs", "clamp_probs", "probs_to_logits", "lazy_property"]

euler_constant = 0.5772156649015329


def broadcast_all(*values):
    """Broadcast tensors and numbers to one shape; numbers take the first tensor's dtype (else the
    default dtype)."""
    if not all(isinstance(v, (Tensor, Number)) for v in values):
        raise ValueError("Input arguments must all be instances of Number, torch.Tensor or objects "
                         "implementing __torch_function__.")
    if not all(isinstance(v, Tensor) for v in values):
        dtype = next((v.dtype for v in values if isinstance(v, Tensor)), lamina.get_default_dtype())
        values = [v if isinstance(v, Tensor) else lamina.tensor(v, dtype=dtype) for v in values]
    return lamina.broadcast_tensors(*values)


def _standard_normal(shape, dtype):
    return lamina.empty(shape, dtype=dtype).normal_()


def _sum_rightmost(value, dim):
    """Sum out the `dim` rightmost dimensions."""
    if dim == 0:
        return value
    return value.reshape(tuple(value.shape[:-dim]) + (-1,)).sum(-1)


def _bce_logits(logits, target):
    from ..nn.functional import binary_cross_entropy_with_logits
    return binary_cross_entropy_with_logits(logits, target, reduction="none")


def logits_to_probs(logits, is_binary=False):
    if is_binary:
        return lamina.sigmoid(logits)
    return lamina.softmax(logits, dim=-1)


def clamp_probs(probs):
    eps = lamina.finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs, is_binary=False):
    p = clamp_probs(probs)
    if is_binary:
        return lamina.log(p) - lamina.log1p(-p)
    return lamina.log(p)


class lazy_property:
    """Computed on first access (always with grad enabled) and then cached on the instance."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__
        self.__name__ = wrapped.__name__

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        with lamina.enable_grad():
            value = self.wrapped(instance)
        setattr(instance, self.wrapped.__name__, value)
        return value


def _size(shape):
    return shape if isinstance(shape, Size) else Size(shape)
