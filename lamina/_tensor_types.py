"""The legacy typed tensor classes: torch.FloatTensor, torch.LongTensor, ... and their
torch.cuda twins, as old tutorials use them: FloatTensor(2, 3) allocates, LongTensor([1, 2])
copies data with that dtype, isinstance(x, torch.FloatTensor) tests the dtype, and
x.type(torch.DoubleTensor) casts. The cuda classes exist (so `Tensor = torch.cuda.FloatTensor
if cuda else torch.FloatTensor` runs) but refuse to build, as in a CPU build of PyTorch."""
import numpy as np

from . import _dtype
from .tensor import Size, Tensor

_NAMES = {"FloatTensor": "float32", "DoubleTensor": "float64", "HalfTensor": "float16", "LongTensor": "int64",
          "IntTensor": "int32", "ShortTensor": "int16", "CharTensor": "int8", "ByteTensor": "uint8",
          "BoolTensor": "bool"}


class _TensorType(type):
    def __instancecheck__(cls, obj):
        return not cls.is_cuda and isinstance(obj, Tensor) and obj._data.dtype == cls.dtype.np

    def __repr__(cls):
        return f"<class '{cls.__module__}.{cls.__name__}'>"

    def __call__(cls, *args, device=None):
        if cls.is_cuda:
            raise TypeError(f"type torch.cuda.{cls.__name__} not available. Torch not compiled with CUDA enabled.")
        dt = cls.dtype.np
        if len(args) == 1 and isinstance(args[0], Tensor):
            if args[0]._data.dtype != dt:
                raise TypeError(f"expected {cls.dtype} (got {args[0].dtype})")
            return args[0].detach()
        if not args or all(isinstance(a, int) for a in args) or (len(args) == 1 and isinstance(args[0], Size)):
            shape = tuple(args[0]) if len(args) == 1 and isinstance(args[0], Size) else args or (0,)
            return Tensor._wrap(np.zeros(shape, dtype=dt))  # PyTorch leaves it uninitialised
        if len(args) > 1:
            raise TypeError(f"new(): invalid data type '{type(args[0]).__name__}'")
        return Tensor._wrap(np.array(args[0], dtype=dt))  # floats into an integer type truncate


def _make(module, cuda):
    return {name: _TensorType(name, (), {"__module__": module, "dtype": _dtype.to_dtype(dt), "is_cuda": cuda})
            for name, dt in _NAMES.items()}


CPU_TYPES = _make("torch", False)
CUDA_TYPES = _make("torch.cuda", True)
