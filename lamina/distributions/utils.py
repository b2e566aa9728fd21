"""Helpers shared by the distributions: parameter broadcasting, probs <-> logits, lazy properties."""
from numbers import Number

import numpy as np

import lamina
from ..tensor import Size, Tensor

__all__ = ["broadcast_all", "logits_to_probs", "clamp_probs", "probs_to_logits", "lazy_property",
           "tril_matrix_to_vec", "vec_to_tril_matrix"]

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
    out = lamina.broadcast_tensors(*values)
    # PyTorch's broadcast_tensors hands back a tensor that already has the broadcast shape as it
    # is (a leaf parameter stays that leaf, with no ExpandBackward in its repr)
    return tuple(v if v.shape == o.shape else o for v, o in zip(values, out))


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


def _tril_positions(n, diag):
    """Flat indices (row-major) of the entries of an n x n matrix on or below diagonal `diag`."""
    rows, cols = np.tril_indices(n, k=diag)
    return rows * n + cols


def tril_matrix_to_vec(mat, diag=0):
    """The entries of (a batch of) D x D matrices on or below diagonal `diag`, row by row."""
    n = mat.shape[-1]
    if diag < -n or diag >= n:
        raise ValueError(f"diag ({diag}) provided is outside [{-n}, {n - 1}].")
    idx = lamina.from_numpy(_tril_positions(n, diag).astype(np.int64))
    return mat.reshape(mat.shape[:-2] + (n * n,))[..., idx]


def vec_to_tril_matrix(vec, diag=0):
    """(A batch of) D x D lower-triangular matrices filled row by row from `vec`, on or below
    diagonal `diag` (zeros elsewhere)."""
    # D is the positive root of D² + (1 + 2 diag) D - |diag| (diag + 1) - 2 len(vec) = 0
    b = 1 + 2 * diag
    n = (-b + (b * b + 8 * vec.shape[-1] + 4 * abs(diag) * (diag + 1)) ** 0.5) / 2
    if round(n) - n > lamina.finfo(vec.dtype).eps:
        raise ValueError(f"The size of last dimension is {vec.shape[-1]} which cannot be expressed as "
                         "the lower triangular part of a square D x D matrix.")
    n = round(n)
    # gather from [0, vec]: position 0 (the zero) everywhere outside the triangle
    src = np.zeros(n * n, dtype=np.int64)
    src[_tril_positions(n, diag)] = np.arange(1, vec.shape[-1] + 1)
    padded = lamina.cat([vec.new_zeros(vec.shape[:-1] + (1,)), vec], -1)
    return padded[..., lamina.from_numpy(src)].reshape(vec.shape[:-1] + (n, n))


def _size(shape):
    return shape if isinstance(shape, Size) else Size(shape)
