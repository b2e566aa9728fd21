"""Comparisons and logical/bitwise ops: no gradient, bool (or integer) results."""
import numpy as np

from ..tensor import Tensor
from ._core import binary_operands, make

__all__ = ["eq", "ne", "lt", "le", "gt", "ge", "greater", "less", "greater_equal", "less_equal", "not_equal",
           "equal", "allclose", "isclose", "isnan", "isinf", "isfinite", "isneginf", "isposinf",
           "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and", "bitwise_or",
           "bitwise_xor", "bitwise_not", "signbit", "is_nonzero"]
METHODS = list(__all__)


def _const(arr):
    return make(arr, (), None, "")


def _cmp(np_fn):
    def op(input, other):
        if not isinstance(input, Tensor):
            input = Tensor._wrap(np.asarray(input))
        x, y, _ = binary_operands(input, other)
        return _const(np.asarray(np_fn(x, y)))
    op.__name__ = np_fn.__name__
    return op


eq = _cmp(np.equal)
ne = not_equal = _cmp(np.not_equal)
lt = less = _cmp(np.less)
le = less_equal = _cmp(np.less_equal)
gt = greater = _cmp(np.greater)
ge = greater_equal = _cmp(np.greater_equal)
logical_and = _cmp(np.logical_and)
logical_or = _cmp(np.logical_or)
logical_xor = _cmp(np.logical_xor)
bitwise_and = _cmp(np.bitwise_and)
bitwise_or = _cmp(np.bitwise_or)
bitwise_xor = _cmp(np.bitwise_xor)


def logical_not(input):
    return _const(np.logical_not(input.data))


def bitwise_not(input):
    return _const(np.invert(input.data))


def equal(input, other):
    """True when both have the same shape and elements."""
    return input.data.shape == other.data.shape and bool(np.array_equal(input.data, other.data))


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return _const(np.isclose(input.data, other.data if isinstance(other, Tensor) else other,
                             rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return bool(np.allclose(input.data, other.data if isinstance(other, Tensor) else other,
                            rtol=rtol, atol=atol, equal_nan=equal_nan))


def _pred(np_fn):
    def op(input):
        x = input.data
        if x.dtype.kind not in "fc" and np_fn is not np.signbit:
            return _const(np.full(x.shape, np_fn is np.isfinite))
        return _const(np_fn(x))
    return op


isnan = _pred(np.isnan)
isinf = _pred(np.isinf)
isfinite = _pred(np.isfinite)
isneginf = _pred(np.isneginf)
isposinf = _pred(np.isposinf)
signbit = _pred(np.signbit)


def is_nonzero(input):
    if input.data.size != 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(input.data.reshape(()))
