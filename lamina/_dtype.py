"""dtypes as PyTorch names them, each a thin wrapper over a NumPy dtype, and PyTorch's
type-promotion rules (which differ from NumPy's: int tensor + float scalar is float32,
a 0-d float64 tensor does not upcast a float32 tensor)."""
import numpy as np


class dtype:
    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize", "_category")

    def __init__(self, name, np_dtype, category):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.is_floating_point = category == 2
        self.is_signed = category == 2 or self.np.kind == "i"
        self.itemsize = self.np.itemsize
        self._category = category  # 0 bool, 1 integer, 2 floating

    def __repr__(self):
        # PyTorch's spelling, so that printed output matches a PyTorch script's line for line
        return "torch." + self.name

    def __reduce__(self):
        return (_by_name, (self.name,))

    @property
    def is_complex(self):
        return False


bool_ = dtype("bool", np.bool_, 0)
uint8 = dtype("uint8", np.uint8, 1)
int8 = dtype("int8", np.int8, 1)
int16 = dtype("int16", np.int16, 1)
int32 = dtype("int32", np.int32, 1)
int64 = dtype("int64", np.int64, 1)
float16 = dtype("float16", np.float16, 2)
float32 = dtype("float32", np.float32, 2)
float64 = dtype("float64", np.float64, 2)



class ForeignDtype:
    """A PyTorch dtype NumPy has no arrays of (bfloat16, the float8 types): it can be named,
    compared, printed, pickled in a checkpoint and passed to autocast, but no tensor has it."""
    __slots__ = ("name",)
    is_complex = False

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"torch.{self.name}"

    @property
    def is_floating_point(self):
        return self.name.startswith(("bfloat", "float"))


bfloat16 = ForeignDtype("bfloat16")

ALL = (bool_, uint8, int8, int16, int32, int64, float16, float32, float64)
_FROM_NP = {d.np: d for d in ALL}
_NAMES = {d.name: d for d in ALL}


def _by_name(name):
    return _NAMES[name]


_default_float = [float32]


def get_default_dtype():
    return _default_float[0]


def set_default_dtype(d):
    d = to_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default_float[0] = d


def from_numpy_dtype(np_dtype):
    """The lamina dtype of a NumPy dtype; NumPy types lamina lacks raise TypeError."""
    try:
        return _FROM_NP[np.dtype(np_dtype)]
    except KeyError:
        raise TypeError(f"can't convert np.ndarray of type {np.dtype(np_dtype)}. The only supported "
                        "types are: float64, float32, float16, int64, int32, int16, int8, uint8, and bool.") from None


def to_dtype(d):
    """Accept a lamina dtype, a NumPy dtype, a Python type or a torch-like name."""
    if isinstance(d, dtype):
        return d
    if d is float:
        return float64
    if d is int:
        return int64
    if d is bool:
        return bool_
    if isinstance(d, str) and d in _NAMES:
        return _NAMES[d]
    name = getattr(d, "name", None)  # a torch.dtype passed by a mixed program
    if name is None and type(d).__name__ == "dtype" and str(d).startswith("torch."):
        name = str(d)[6:]
    if isinstance(name, str) and name in _NAMES:
        return _NAMES[name]
    if isinstance(d, ForeignDtype) or name == "bfloat16":
        raise TypeError(f"lamina has no {name} tensors (NumPy has no {name} arrays): use float32, or float16 "
                        "for 16-bit floats")
    return from_numpy_dtype(d)


def _scalar_category(x):
    if isinstance(x, (bool, np.bool_)):
        return 0
    if isinstance(x, (int, np.integer)):
        return 1
    return 2


_DEFAULT_FOR_CATEGORY = {0: bool_, 1: int64}


def promote_np(a_dtype, b_dtype):
    """The promoted NumPy dtype of two tensors with dimensions (same priority)."""
    if a_dtype is b_dtype or a_dtype == b_dtype:
        return a_dtype
    return _promote_pair(_FROM_NP[a_dtype], _FROM_NP[b_dtype]).np


def _promote_pair(a, b):
    if a is b:
        return a
    if a._category != b._category:
        return a if a._category > b._category else b
    if a._category == 1 and a.is_signed != b.is_signed:
        # uint8 with a signed type: the smallest signed type that holds both
        signed = a if a.is_signed else b
        return int16 if signed.itemsize == 1 else signed
    return a if a.itemsize >= b.itemsize else b


def int_range(np_dtype):
    """(lo, hi): the Python ints PyTorch converts into integer dtype `np_dtype` without its
    "value cannot be converted ... without overflow" error. The type's own range; an unsigned
    type also takes -max..-1, modulo 2**bits, as C converts them (tensor(-1, dtype=uint8) is 255)."""
    info = np.iinfo(np_dtype)
    return (-int(info.max) if info.min == 0 else int(info.min)), int(info.max)


def result_type(*operands):
    """PyTorch's result_type: tensors with dimensions outrank 0-d tensors, which outrank Python scalars;
    a lower-priority operand only matters when it is of a higher category (bool < int < float)."""
    from .tensor import Tensor
    dimmed = zero_dim = None
    scalar_cat = -1
    for x in operands:
        if isinstance(x, Tensor):
            d = _FROM_NP[x._data.dtype]
            if x._data.ndim:
                dimmed = d if dimmed is None else _promote_pair(dimmed, d)
            else:
                zero_dim = d if zero_dim is None else _promote_pair(zero_dim, d)
        else:
            scalar_cat = max(scalar_cat, _scalar_category(x))
    result = dimmed
    if zero_dim is not None:
        if result is None:
            result = zero_dim
        elif zero_dim._category > result._category:
            result = zero_dim
    if scalar_cat >= 0:
        if result is None:
            result = get_default_dtype() if scalar_cat == 2 else _DEFAULT_FOR_CATEGORY[scalar_cat]
        elif scalar_cat > result._category:
            result = get_default_dtype() if scalar_cat == 2 else int64
    return result
