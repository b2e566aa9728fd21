"""In-place ops (`x.add_(y)`, `x[i] = v`, `x.zero_()`): one mechanism for all of them.

The new value is computed by the op's out-of-place function and written into the existing
array, so NumPy views of it see the change and its version counter moves on (a node that saved
it will refuse to run backward). When autograd is involved the tensor is rebased: its old value
becomes the op's input and the tensor becomes the op's output, as PyTorch does for non-leaves."""
import numpy as np

from ..autograd.grad_mode import _enabled
from ..tensor import Tensor
from ._core import wrap

_TYPE = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
         "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def check_leaf(t):
    if _enabled[0] and t._requires_grad and t.grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")


def _check_castable(result_dtype, self_dtype):
    if result_dtype == self_dtype:
        return
    kinds = "biuf"
    if kinds.index(result_dtype.kind) > kinds.index(self_dtype.kind) and not (
            result_dtype.kind in "iu" and self_dtype.kind in "iu"):
        raise RuntimeError(f"result type {_TYPE[result_dtype.name]} can't be cast to the desired "
                           f"output type {_TYPE[self_dtype.name]}")


def apply_inplace(self, fn, *args, **kwargs):
    """Run the out-of-place `fn(self, *args)` and make `self` hold the result."""
    check_leaf(self)
    tracking = _enabled[0] and (self._requires_grad or any(
        isinstance(a, Tensor) and a._requires_grad for a in args))
    if tracking:
        # The old value, detached from `self` so that writing the new value cannot change it.
        old = wrap(self.data.copy())
        old.grad_fn = self.grad_fn
        old._requires_grad = self._requires_grad
        result = fn(old, *args, **kwargs)
    else:
        from ..autograd.grad_mode import no_grad
        with no_grad():
            result = fn(self, *args, **kwargs)
    write(self, result.data)
    if tracking:
        self.grad_fn = result.grad_fn
        self._requires_grad = result._requires_grad
    return self


def write(self, value):
    """Copy `value` into self's array (broadcast, cast) and bump the version counter."""
    arr = self.data
    if value.shape != arr.shape:
        if np.broadcast_shapes(value.shape, arr.shape) != arr.shape:
            raise RuntimeError(f"output with shape {list(arr.shape)} doesn't match the broadcast shape "
                               f"{list(np.broadcast_shapes(value.shape, arr.shape))}")
    _check_castable(value.dtype, arr.dtype)
    if not arr.flags.writeable:
        # expand()ed or other read-only views: PyTorch's message for writing into overlapping memory
        raise RuntimeError("unsupported operation: more than one element of the written-to tensor refers "
                           "to a single memory location. Please clone() the tensor before performing the "
                           "operation.")
    np.copyto(arr, value, casting="unsafe")
    self._version[0] += 1


def make_inplace(fn):
    """The `name_` method for an out-of-place op `fn`."""
    def method(self, *args, **kwargs):
        return apply_inplace(self, fn, *args, **kwargs)
    method.__name__ = fn.__name__ + "_"
    method.__doc__ = f"In-place version of {fn.__name__}()."
    return method
