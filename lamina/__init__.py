"""lamina: PyTorch's API on NumPy. `import lamina as torch` runs PyTorch tutorial code.

The top level holds Tensor, the factories, the dtypes, the grad modes, the random seed and the
ops as functions (lamina.exp, lamina.cat, ...). Subpackages (nn, optim, utils, io, onnx) load on
first use so that `import lamina` stays fast."""
import builtins as _builtins
import importlib as _importlib

from . import _compat, _dtype
from ._device import device
from ._dtype import get_default_dtype, set_default_dtype
from ._tensor_str import set_printoptions
from .autograd.grad_mode import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad,
                                 set_grad_enabled)
from .random import Generator, default_generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from .tensor import Size, Tensor
from ._tensor_types import CPU_TYPES as _CPU_TYPES

from .ops.arithmetic import *  # noqa: F401,F403
from .ops.compare import *  # noqa: F401,F403
from .ops.creation import *  # noqa: F401,F403
from .ops.conversion import *  # noqa: F401,F403
from .ops.indexing import *  # noqa: F401,F403
from .ops.linalg import *  # noqa: F401,F403
from .ops.pointwise import *  # noqa: F401,F403
from .ops.random_ops import *  # noqa: F401,F403
from .ops.reduction import *  # noqa: F401,F403
from .ops.shape import *  # noqa: F401,F403
from .ops.inplace import castable as _castable
from .ops.methods import top_level_inplace as _top_level_inplace
from .ops.softmax import *  # noqa: F401,F403
from .ops.sorting import *  # noqa: F401,F403
from .ops.compat import *  # noqa: F401,F403
from .ops.special import *  # noqa: F401,F403
from .ops.statistics import *  # noqa: F401,F403
from .ops.assemble import *  # noqa: F401,F403
from .ops.scatter import *  # noqa: F401,F403
from .ops.decompositions import *  # noqa: F401,F403
from .ops.windows import *  # noqa: F401,F403
from .ops.gradient import *  # noqa: F401,F403
from .ops import linalg as _linalg_ops
from .ops import out_arg as _out_arg
from ._compat import (channels_last, channels_last_3d, contiguous_format, memory_format,  # noqa: F401
                      preserve_format)
from ._compat import (_mkldnn, jagged, layout, sparse_bsc, sparse_bsr, sparse_coo, sparse_csc,  # noqa: F401
                      sparse_csr, strided)
from ._compat import (get_num_interop_threads, is_warn_always_enabled, set_num_interop_threads,  # noqa: F401
                      set_warn_always)
from .autograd import is_anomaly_check_nan_enabled, is_anomaly_enabled, set_anomaly_enabled  # noqa: F401
from ._compat import (are_deterministic_algorithms_enabled, e, finfo, get_default_device,  # noqa: F401
                      get_deterministic_debug_mode, get_float32_matmul_precision, iinfo, inf,
                      is_autocast_enabled, is_deterministic_algorithms_warn_only_enabled, is_storage, nan,
                      newaxis, pi, set_default_device, set_deterministic_debug_mode,
                      set_float32_matmul_precision, typename, use_deterministic_algorithms)

__version__ = "0.1.0"

_top_level_inplace(Tensor, globals())  # torch.sqrt_(t) and friends

float32 = float = _dtype.float32
float64 = double = _dtype.float64
float16 = half = _dtype.float16
bfloat16 = _dtype.bfloat16  # nameable (autocast, checks), but NumPy has no bfloat16 arrays
int64 = long = _dtype.int64
int32 = int = _dtype.int32
int16 = short = _dtype.int16
int8 = _dtype.int8
uint8 = _dtype.uint8
bool = _dtype.bool_
dtype = _dtype.dtype
globals().update(_CPU_TYPES)  # FloatTensor, LongTensor, ...: the legacy typed tensor classes


def is_tensor(obj):
    return isinstance(obj, Tensor)


def numel(input):
    return input.numel()


def is_floating_point(input):
    return input.is_floating_point()


def _tensor_arg(fn, input):
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    return input


def is_signed(input):
    """False for uint8 and bool tensors, True for the signed integer and floating ones."""
    return _tensor_arg("is_signed", input).is_signed()


def get_device(input):
    """-1: the CPU (PyTorch's answer for a CPU tensor; a GPU tensor would give its index)."""
    return _tensor_arg("get_device", input).get_device()


def result_type(tensor1, tensor2):
    return _dtype.result_type(tensor1, tensor2)


def promote_types(type1, type2):
    return _dtype._promote_pair(_dtype.to_dtype(type1), _dtype.to_dtype(type2))


def can_cast(from_, to):
    """True unless the cast would go down a kind (float to integer, integer to bool), the rule
    PyTorch's in-place ops and out= follow."""
    return _castable(_dtype.to_dtype(from_).np, _dtype.to_dtype(to).np)


def get_num_threads():
    """The threads lamina's parallel work uses: those of the BLAS NumPy links (every core when
    its count cannot be read)."""
    from . import _blas_threads
    n = _blas_threads.get_count()
    return _compat.usable_cores() if n is None else n


def set_num_threads(n):
    """Set the BLAS threads (OpenBLAS or MKL, through ctypes; with another BLAS nothing changes:
    set OMP_NUM_THREADS before starting Python instead)."""
    if not isinstance(n, _builtins.int) or isinstance(n, _builtins.bool):  # lamina.int is a dtype
        raise RuntimeError(f"set_num_threads expects an int, but got {type(n).__name__}")
    if n <= 0:
        raise RuntimeError("set_num_threads expects a positive integer")
    from . import _blas_threads
    _blas_threads.set_count(n)


# out= on the top-level functions that take it in PyTorch (torch.add(a, b, out=c)); the methods
# and operators are untouched
_out_arg.add_out_args(globals())

_LAZY = {"cuda", "backends", "accelerator", "nn", "optim", "utils", "autograd", "io", "onnx", "inspect", "cli", "random", "training",
         "linalg", "special", "func", "distributions", "testing", "jit", "amp", "distributed"}
_LAZY_FUNCS = {
    "save": ("lamina.io", "save"), "load": ("lamina.io", "load"),
    "summary": ("lamina.inspect", "summary"), "trace": ("lamina.inspect", "trace"),
    "explain": ("lamina.inspect", "explain"), "draw_graph": ("lamina.inspect", "draw_graph"),
    "compile": ("lamina.compile", "compile"), "autocast": ("lamina.amp", "autocast"),
    "vmap": ("lamina.func", "vmap"),
    "UntypedStorage": ("lamina._storage", "UntypedStorage"), "TypedStorage": ("lamina._storage", "TypedStorage"),
}


def __getattr__(name):
    if name == "serialization":  # torch.serialization.add_safe_globals and friends live in lamina.io
        return _importlib.import_module(f"{__name__}.io")
    if name in _LAZY:
        return _importlib.import_module(f"{__name__}.{name}")
    if name in _LAZY_FUNCS:
        module, attr = _LAZY_FUNCS[name]
        return getattr(_importlib.import_module(module), attr)
    raise AttributeError(f"module 'lamina' has no attribute '{name}'")
