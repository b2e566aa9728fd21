"""Top-level odds and ends that everyday PyTorch scripts touch: finfo/iinfo, the math constants,
typename, the determinism / matmul-precision switches (recorded and read back; lamina's
NumPy kernels are deterministic and always compute in the tensor's own precision), memory formats
and layouts, warn-always and the inter-op thread count."""
import math as _math

import numpy as _np

from . import _dtype

inf = _math.inf
nan = _math.nan
pi = _math.pi
e = _math.e
newaxis = None


def _fmt(v):
    return f"{v:g}" if isinstance(v, float) else str(v)


class finfo:
    """Machine limits of a floating dtype: bits, eps, max, min, tiny (= smallest_normal), resolution."""
    __slots__ = ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype")

    def __init__(self, type=None):
        d = _dtype.get_default_dtype() if type is None else _dtype.to_dtype(type)
        if not d.is_floating_point:
            raise TypeError("torch.finfo() requires a floating point input type. Use torch.iinfo to handle "
                            "'torch.finfo'")
        info = _np.finfo(d.np)
        self.bits = info.bits
        self.eps = float(info.eps)
        self.max = float(info.max)
        self.min = float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = 10.0 ** -info.precision  # exactly 1e-06, as torch (not float32(1e-06))
        self.dtype = d.name

    def __repr__(self):
        return (f"finfo(resolution={_fmt(self.resolution)}, min={_fmt(self.min)}, max={_fmt(self.max)}, "
                f"eps={_fmt(self.eps)}, smallest_normal={_fmt(self.smallest_normal)}, tiny={_fmt(self.tiny)}, "
                f"dtype={self.dtype})")


class iinfo:
    """Limits of an integer dtype: bits, max, min."""
    __slots__ = ("bits", "max", "min", "dtype")

    def __init__(self, type):
        d = _dtype.to_dtype(type)
        if d.is_floating_point:
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo to handle 'torch.iinfo'")
        if d.name == "bool":
            raise TypeError("torch.bool is not supported by torch.iinfo")
        info = _np.iinfo(d.np)
        self.bits = info.bits
        self.max = int(info.max)
        self.min = int(info.min)
        self.dtype = d.name

    def __repr__(self):
        return f"iinfo(min={_fmt(float(self.min))}, max={_fmt(float(self.max))}, dtype={self.dtype})"


def typename(obj):
    """'torch.FloatTensor' for a tensor, else the object's qualified class name."""
    from .tensor import Tensor
    if isinstance(obj, Tensor):
        return obj.type()
    cls = obj if isinstance(obj, type) else type(obj)  # a class names itself, as in PyTorch
    module = getattr(cls, "__module__", "") or ""
    if module == "lamina" or module.startswith("lamina."):  # printed in PyTorch's spelling, as dtypes are
        module = "torch" + module[len("lamina"):]
    name = cls.__qualname__ if module in ("", "builtins") else f"{module}.{cls.__qualname__}"
    return _TORCH_NAMES.get(name, name)


_TORCH_NAMES = {"torch._dtype.dtype": "torch.dtype", "torch.tensor.Size": "torch.Size",
                "torch._device.device": "torch.device", "torch.random.Generator": "torch._C.Generator",
                "torch._compat.layout": "torch.layout"}


_flags = {"deterministic": False, "warn_only": False, "matmul_precision": "highest"}


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Recorded only: every lamina kernel is already deterministic on the CPU."""
    _flags["deterministic"] = bool(mode)
    _flags["warn_only"] = bool(warn_only)


def are_deterministic_algorithms_enabled():
    return _flags["deterministic"]


def is_deterministic_algorithms_warn_only_enabled():
    return _flags["warn_only"]


def set_deterministic_debug_mode(debug_mode):
    modes = {"default": 0, "warn": 1, "error": 2}
    mode = modes[debug_mode] if isinstance(debug_mode, str) else int(debug_mode)
    if mode not in (0, 1, 2):
        raise RuntimeError(f"invalid value of debug_mode, expected 0, 1, or 2, but got {mode}")
    use_deterministic_algorithms(mode > 0, warn_only=mode == 1)


def get_deterministic_debug_mode():
    return 0 if not _flags["deterministic"] else (1 if _flags["warn_only"] else 2)


def set_float32_matmul_precision(precision):
    if precision not in ("highest", "high", "medium"):
        raise RuntimeError(f"Invalid precision: {precision}")
    _flags["matmul_precision"] = precision


def get_float32_matmul_precision():
    return _flags["matmul_precision"]


def get_default_device():
    from ._device import device
    return device("cpu")


def set_default_device(device):
    from ._device import check_device
    check_device(device)


def is_storage(obj):
    from ._storage import UntypedStorage
    return isinstance(obj, UntypedStorage)


def is_autocast_enabled(device_type=None):
    return False


class memory_format:
    """torch.memory_format: contiguous_format, channels_last, channels_last_3d, preserve_format.
    lamina keeps every tensor in the order NumPy holds it (the values a layout choice cannot
    change), so `x.contiguous(memory_format=lamina.channels_last)` and `model.to(memory_format=...)`
    are accepted and leave the layout as it is; is_contiguous(memory_format=...) reports the
    strides there are."""

    def __init__(self, name):
        self._name = name

    def __repr__(self):
        return "torch." + self._name

    def __reduce__(self):
        return self._name


contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
preserve_format = memory_format("preserve_format")


class layout:
    """torch.layout. Every lamina tensor is a strided (dense) one, so `torch.strided` is what
    `x.layout` answers and the one layout the factories accept; the sparse and other layouts
    exist as names (scripts compare against them) and are refused by check_layout."""
    __slots__ = ("_name",)

    def __new__(cls, *args, **kwargs):
        raise TypeError("cannot create 'torch.layout' instances")  # as PyTorch: only its constants exist

    @classmethod
    def _named(cls, name):
        obj = object.__new__(cls)
        obj._name = name
        return obj

    def __repr__(self):
        return "torch." + self._name

    def __reduce__(self):
        return self._name  # pickled as the module-level constant of that name


strided = layout._named("strided")
sparse_coo = layout._named("sparse_coo")
sparse_csr = layout._named("sparse_csr")
sparse_csc = layout._named("sparse_csc")
sparse_bsr = layout._named("sparse_bsr")
sparse_bsc = layout._named("sparse_bsc")
_mkldnn = layout._named("_mkldnn")
jagged = layout._named("jagged")


def check_layout(value, fn):
    """A factory's `layout=` argument: None or strided pass; another torch.layout is refused
    (lamina has no sparse or other storage), anything else gets PyTorch's TypeError."""
    if value is None or value is strided:
        return
    if not isinstance(value, layout):
        raise TypeError(f"{fn}(): argument 'layout' must be torch.layout, not {type(value).__name__}")
    raise NotImplementedError(f"{fn}(): lamina tensors are strided only; layout={value} is not supported")


# torch.set_warn_always: PyTorch's once-per-process warnings (meshgrid's, ...) then warn every time
_warn_always = [False]


def _py_type_name(obj):
    """The type as PyTorch's C++ checks name it: `int`, `numpy.bool`, `Tensor`."""
    cls = type(obj)
    return f"numpy.{cls.__name__}" if cls.__module__ == "numpy" else cls.__name__


def set_warn_always(b, /):
    if not isinstance(b, bool):
        raise RuntimeError(f"setWarnOnlyOnce expects a bool, but got {_py_type_name(b)}")
    _warn_always[0] = b


def is_warn_always_enabled():
    return _warn_always[0]


# Inter-op threads: lamina runs ops one after another, so the number is only recorded. As in
# PyTorch it may be set once (lamina never starts the parallel work that would also forbid it).
_interop = {"threads": None, "set": False}


def usable_cores():
    """The cores this process may run on (PyTorch's default thread counts)."""
    import os
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def get_num_interop_threads():
    """PyTorch's default is the number of cores it may use; lamina answers the same."""
    return usable_cores() if _interop["threads"] is None else _interop["threads"]


def set_num_interop_threads(num):
    if not isinstance(num, (int, _np.integer)) or isinstance(num, bool):
        raise RuntimeError(f"set_num_interop_threads expects an int, but got {_py_type_name(num)}")
    if num <= 0:
        raise RuntimeError("set_num_interop_threads expects a positive integer")
    if _interop["set"]:
        raise RuntimeError("Error: cannot set number of interop threads after parallel work has started or "
                           "set_num_interop_threads called")
    _interop["threads"], _interop["set"] = int(num), True
