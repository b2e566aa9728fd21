"""dtype conversion and copies: to, type, float/double/long/..., clone, contiguous.
A cast is differentiable between float dtypes (the gradient is cast back)."""
from numbers import Integral

import numpy as np

from .. import _dtype
from .._compat import check_layout
from .._device import check_device, device as _device_cls
from ..tensor import Tensor
from ._core import make

__all__ = ["clone"]
METHODS = ["to", "type", "float", "double", "half", "long", "int", "short", "char", "byte", "bool",
           "clone", "contiguous", "cpu", "cuda", "type_as", "new_tensor", "new_zeros", "new_ones",
           "new_full", "new_empty"]


def _cast(input, np_dtype, copy=False):
    x = input._data
    if x.dtype == np_dtype and not copy:
        return input
    out = x.astype(np_dtype)  # always a new array
    src = x.dtype

    def backward(g):
        return (g.astype(src),)
    if np_dtype.kind != "f" or src.kind != "f":
        return make(out, (), None, "")
    return make(out, (input,), backward, "ToCopyBackward0")


def to(input, *args, dtype=None, device=None, non_blocking=False, copy=False, memory_format=None):
    """Tensor.to(dtype), .to(device), .to(other), .to(device, dtype)."""
    for a in args:
        if isinstance(a, Tensor):
            dtype = a.dtype
        elif isinstance(a, (str, _device_cls, Integral)) and not (isinstance(a, str) and a in _dtype._NAMES) \
                and a is not True and a is not False:  # (bool and int are this module's casters here)
            check_device(a)
        elif a is not None:
            dtype = a
    check_device(device)
    if dtype is None:
        return clone(input) if copy else input
    return _cast(input, _dtype.to_dtype(dtype).np, copy)


_TENSOR_TYPES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
                 "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor", "int8": "CharTensor",
                 "uint8": "ByteTensor", "bool": "BoolTensor"}
_BY_TYPE_NAME = {v: k for k, v in _TENSOR_TYPES.items()}


def type(input, dtype=None, non_blocking=False):
    """With no argument, the type name ("torch.FloatTensor"); otherwise a cast to that dtype
    (a dtype or a name like "torch.DoubleTensor")."""
    if dtype is None:
        return "torch." + _TENSOR_TYPES[input._data.dtype.name]
    if isinstance(dtype, str) and dtype.split(".")[-1] in _BY_TYPE_NAME:
        dtype = _BY_TYPE_NAME[dtype.split(".")[-1]]
    from .._tensor_types import _TensorType
    if isinstance(dtype, _TensorType):  # x.type(torch.LongTensor)
        dtype = dtype.dtype
    return to(input, dtype)


def _caster(np_dtype):
    def method(input, memory_format=None):
        return _cast(input, np.dtype(np_dtype))
    return method


float = _caster(np.float32)
double = _caster(np.float64)
half = _caster(np.float16)
long = _caster(np.int64)
int = _caster(np.int32)
short = _caster(np.int16)
char = _caster(np.int8)
byte = _caster(np.uint8)
bool = _caster(np.bool_)


def type_as(input, other):
    return _cast(input, other._data.dtype)


def clone(input, *, memory_format=None):
    def backward(g):
        return (g,)
    return make(input._data.copy(), (input,), backward, "CloneBackward0")


def contiguous(input, memory_format=None):
    if input._data.flags.c_contiguous:
        return input
    return clone(input)


def cpu(input, memory_format=None):
    return input


def cuda(input, *args, **kwargs):
    raise AssertionError("Torch not compiled with CUDA enabled")  # a CPU build's answer


def _new(fill):
    name = {0: "new_zeros", 1: "new_ones", None: "new_empty", "full": "new_full"}[fill]

    def method(input, *size, dtype=None, device=None, requires_grad=False, **kwargs):
        check_layout(kwargs.get("layout"), name)
        if len(size) == 1 and isinstance(size[0], (tuple, list)):
            size = tuple(size[0])
        if fill == "full":
            size, value = size[0], size[1]
            size = tuple(size) if isinstance(size, (tuple, list)) else (size,)
        else:
            value = fill
        dt = _dtype.to_dtype(dtype).np if dtype is not None else input._data.dtype
        arr = np.empty(size, dtype=dt) if value is None else np.full(size, value, dtype=dt)
        t = Tensor._wrap(arr)
        t.requires_grad = requires_grad
        return t
    return method


new_zeros = _new(0)
new_ones = _new(1)
new_empty = _new(None)
new_full = _new("full")


def new_tensor(input, data, dtype=None, device=None, requires_grad=False):
    from .creation import tensor
    return tensor(data, dtype=dtype if dtype is not None else input.dtype, requires_grad=requires_grad)
