"""Comparisons, predicates and logical/bitwise ops: no gradient; bool results (bitwise ops keep
the promoted integer or bool type). Operands are promoted as in arithmetic, so an int tensor
compared with 1.5 compares as floats."""
import numpy as np

from ..tensor import Tensor
from ._core import binary_operands, broadcast_error, fill_out, make, wrap

__all__ = ["eq", "ne", "lt", "le", "gt", "ge", "greater", "less", "greater_equal", "less_equal", "not_equal",
           "equal", "allclose", "isclose", "isnan", "isinf", "isfinite", "isneginf", "isposinf", "isreal",
           "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and", "bitwise_or",
           "bitwise_xor", "bitwise_not", "bitwise_left_shift", "bitwise_right_shift", "signbit", "is_nonzero"]
METHODS = list(__all__)
INPLACE = ["eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_xor", "logical_not",
           "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "bitwise_left_shift", "bitwise_right_shift"]


def _const(arr):
    return make(arr, (), None, "")


def _binary(np_fn, name, integral_only=False, none_result=None):
    def op(input, other, *, out=None):
        if other is None and none_result is not None:  # `x == None` is a plain False, as in PyTorch
            return none_result
        if not isinstance(input, Tensor):
            input = wrap(np.asarray(input))
        x, y, dt = binary_operands(input, other)
        if integral_only and dt.kind == "f":
            from .arithmetic import type_name
            raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{type_name(dt)}'")
        try:
            result = np.asarray(np_fn(x, y))
        except ValueError:
            raise broadcast_error(x.shape, np.shape(y)) from None
        return _const(result) if out is None else fill_out(out, result)
    op.__name__ = op.__qualname__ = name
    return op


eq = _binary(np.equal, "eq", none_result=False)
ne = not_equal = _binary(np.not_equal, "ne", none_result=True)
lt = less = _binary(np.less, "lt")
le = less_equal = _binary(np.less_equal, "le")
gt = greater = _binary(np.greater, "gt")
ge = greater_equal = _binary(np.greater_equal, "ge")
logical_and = _binary(np.logical_and, "logical_and")
logical_or = _binary(np.logical_or, "logical_or")
logical_xor = _binary(np.logical_xor, "logical_xor")
bitwise_and = _binary(np.bitwise_and, "bitwise_and", integral_only=True)
bitwise_or = _binary(np.bitwise_or, "bitwise_or", integral_only=True)
bitwise_xor = _binary(np.bitwise_xor, "bitwise_xor", integral_only=True)


def _shift(left, kernel):
    def op(input, other):
        if not isinstance(input, Tensor):
            input = wrap(np.asarray(input))
        if isinstance(other, (int, np.integer)) and not isinstance(other, (bool, np.bool_)):
            other = wrap(np.asarray(other, dtype=np.int64))  # a count like -1 wraps into uint8, as in torch
        x, y, dt = binary_operands(input, other)
        if dt.kind not in "iu":
            from .arithmetic import type_name
            raise NotImplementedError(f"\"{kernel}_cpu\" not implemented for '{type_name(dt)}'")
        bits = dt.itemsize * 8
        y = np.asarray(y)
        try:
            # a shift by a negative count or by the width or more empties the value (right shifts
            # of negative numbers leave -1), where C and NumPy leave it undefined
            out_of_range = (y < 0) | (y >= bits)
            if left:
                r = np.where(out_of_range, dt.type(0), np.left_shift(x, np.where(out_of_range, 0, y).astype(dt)))
            else:
                r = np.right_shift(x, np.where(out_of_range, bits - 1, y).astype(dt))
                if dt.kind == "u":
                    r = np.where(out_of_range, dt.type(0), r)
        except ValueError:
            raise broadcast_error(x.shape, y.shape) from None
        return _const(np.asarray(r, dtype=dt))
    return op


bitwise_left_shift = _shift(True, "lshift")
bitwise_left_shift.__doc__ = "input << other for integer tensors, elementwise; bits shifted past the width are lost."
bitwise_right_shift = _shift(False, "rshift")
bitwise_right_shift.__doc__ = "input >> other for integer tensors, elementwise (arithmetic: the sign is kept)."


def logical_not(input, *, out=None):
    result = np.logical_not(input._data)
    return _const(result) if out is None else fill_out(out, result)


def bitwise_not(input):
    x = input._data
    if x.dtype.kind == "f":
        from .arithmetic import type_name
        raise NotImplementedError(f"\"bitwise_not_cpu\" not implemented for '{type_name(x.dtype)}'")
    return _const(np.invert(x))


def equal(input, other):
    """True when both have the same shape and the same elements (a Python bool)."""
    return input._data.shape == other._data.shape and bool(np.array_equal(input._data, other._data))


def _close_operands(input, other):
    b = other._data if isinstance(other, Tensor) else other
    if isinstance(other, Tensor) and input._data.dtype != other._data.dtype:
        from .arithmetic import type_name
        raise RuntimeError(f"{type_name(input._data.dtype)} did not match {type_name(other._data.dtype)}")
    return input._data, b


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """|input − other| ≤ atol + rtol·|other|, elementwise."""
    a, b = _close_operands(input, other)
    return _const(np.asarray(np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """isclose for every element (a Python bool)."""
    a, b = _close_operands(input, other)
    return bool(np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


def _predicate(np_fn, integral_value):
    """isnan & co.: integers are never NaN or infinite, so they get a constant."""
    def op(input):
        x = input._data
        if x.dtype.kind != "f":
            return _const(np.full(x.shape, integral_value))
        return _const(np_fn(x))
    op.__name__ = op.__qualname__ = np_fn.__name__
    return op


isnan = _predicate(np.isnan, False)
isinf = _predicate(np.isinf, False)
isfinite = _predicate(np.isfinite, True)
isneginf = _predicate(np.isneginf, False)
isposinf = _predicate(np.isposinf, False)
isreal = _predicate(lambda x: np.ones(x.shape, bool), True)


def signbit(input):
    x = input._data
    return _const(np.signbit(x) if x.dtype != np.bool_ else np.zeros(x.shape, bool))


def is_nonzero(input):
    n = input._data.size
    if n != 1:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous" if n == 0 else
                           "Boolean value of Tensor with more than one value is ambiguous")
    return bool(input._data.reshape(()))
