"""Signal windows: hann, hamming, blackman, bartlett and kaiser (torch.*_window).

Each is a 1-D factory: `window_length` points, symmetric (periodic=False) or the first
`window_length` points of the window one longer (periodic=True, the default, for spectral
analysis). The values follow PyTorch's operation order, each step rounded to the output dtype as
PyTorch's in-place steps round it (float16 computes in float32 between steps), so float16
windows agree with PyTorch's too, not just float32 and float64."""
import math

import numpy as np

from .. import _dtype
from .._compat import check_layout, sparse_coo
from .._device import check_device
from ..tensor import Tensor
from .creation import _finish

__all__ = ["hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window"]

# the C++ type names PyTorch prints in a TensorOptions(...) error
_C_TYPE = {"bool": "bool", "uint8": "unsigned char", "int8": "signed char", "int16": "short int",
           "int32": "int", "int64": "long int", "float16": "c10::Half", "float32": "float", "float64": "double"}


def _options(name, dt, dtype_given, layout, pin_memory):
    """PyTorch's printout of the options a window was asked for (its error messages show it).
    Only hann_window leaves an unspecified dtype marked "(default)": the others fill it in first."""
    default = not dtype_given and name == "hann_window"
    return (f"TensorOptions(dtype={_C_TYPE[dt.name]}{' (default)' if default else ''}, device=cpu, "
            f"layout={'Sparse' if layout is sparse_coo else 'Strided'}{' (default)' if layout is None else ''}, "
            f"requires_grad=false (default), pinned_memory={'true' if pin_memory else 'false'}, "
            f"memory_format=(nullopt))")


_KEYWORDS = ("*, torch.dtype dtype = None, torch.layout layout = None, torch.device device = None, "
             "bool pin_memory = False, bool requires_grad = False")
# the positional forms each window accepts (PyTorch's overloads)
_FORMS = {"hamming_window": ((), ("bool periodic",), ("bool periodic", "float alpha"),
                             ("bool periodic", "float alpha", "float beta")),
          "kaiser_window": ((), ("bool periodic",), ("bool periodic", "float beta"))}


def _bad_combination(name, args, kwargs):
    """PyTorch's TypeError when no overload of the window takes these arguments."""
    got = ", ".join([type(a).__name__ for a in args] + [f"{k}={type(v).__name__}" for k, v in kwargs.items()])
    forms = "".join(f" * ({', '.join(('int window_length',) + form + (_KEYWORDS,))})\n"
                    for form in _FORMS.get(name, ((), ("bool periodic",))))
    return TypeError(f"{name}() received an invalid combination of arguments - got ({got}), but expected one "
                     f"of:\n{forms}")


def _is_number(v):
    return isinstance(v, (bool, int, float, np.number)) or (isinstance(v, Tensor) and v._data.ndim == 0)


def _checked_length(name, window_length):
    """window_length as an int: a Python or NumPy integer, or a 0-d integer tensor (not bool)."""
    if isinstance(window_length, Tensor) and window_length._data.ndim == 0 \
            and window_length._data.dtype.kind in "iu":
        return int(window_length._data)
    if isinstance(window_length, (int, np.integer)) and not isinstance(window_length, (bool, np.bool_)):
        return int(window_length)
    raise TypeError(f"{name}(): argument 'window_length' (position 1) must be int, not "
                    f"{type(window_length).__name__}")


def _window(name, window_length, periodic, params, options, compute):
    """The checks and edge cases every window shares; compute(n, dt, opmath) -> array of n points."""
    dtype, layout, device, pin_memory, requires_grad = options
    window_length = _checked_length(name, window_length)
    if not isinstance(periodic, bool):
        raise _bad_combination(name, (window_length,), {"periodic": periodic})
    for key, v in params.items():
        if not _is_number(v):
            raise _bad_combination(name, (window_length, periodic), {key: v})
    dt = _dtype.to_dtype(dtype).np if dtype is not None else _dtype.get_default_dtype().np
    if layout is sparse_coo:
        raise RuntimeError(f"{name} is not implemented for sparse types, got: "
                           f"{_options(name, dt, dtype is not None, layout, pin_memory)}")
    check_layout(layout, name)
    if dt.kind != "f":
        raise RuntimeError(f"{name} expects floating point dtypes, got: "
                           f"{_options(name, dt, dtype is not None, layout, pin_memory)}")
    if window_length < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got window_length={window_length}")
    check_device(device)  # before the work: a device lamina cannot place data on is refused
    if window_length <= 1:
        arr = np.ones(window_length, dtype=dt)
    else:
        n = window_length + 1 if periodic else window_length
        opmath = np.dtype(np.float32) if dt == np.float16 else dt  # half arithmetic runs in float32
        arr = compute(n, dt, opmath)[:window_length]
    return _finish(np.ascontiguousarray(arr), requires_grad, device)


def _scalar(v, dt, opmath):
    """A Python number as PyTorch's window code uses it: stored in the output dtype first (a
    float16 window multiplies by float16(2π/(N-1))), then widened to the computing type."""
    return opmath.type(dt.type(v))


def _rounder(dt, opmath):
    """Round an opmath array to the output dtype and back: one in-place step of PyTorch's."""
    if dt == opmath:
        return lambda x: x.astype(dt, copy=False)
    return lambda x: x.astype(dt).astype(opmath)


def _indices(n, dt, opmath):
    return np.arange(n, dtype=np.float64).astype(dt).astype(opmath)  # arange in the output dtype


def _cos(x, r):
    return r(np.cos(x.astype(np.float64)))  # computed wide, then rounded: within an ulp of PyTorch's


def _number(v):
    return float(v.item() if isinstance(v, Tensor) else v)


_UNSET = object()  # an argument not passed (PyTorch's overloads take some only after others)


def _given(name, window_length, arguments):
    """Refuse a parameter passed without the one before it (beta without periodic, ...)."""
    names = list(arguments)
    for earlier, later in zip(names, names[1:]):
        if arguments[later] is not _UNSET and arguments[earlier] is _UNSET:
            raise _bad_combination(name, (window_length,), {k: v for k, v in arguments.items() if v is not _UNSET})


def hamming_window(window_length, periodic=_UNSET, alpha=_UNSET, beta=_UNSET, *, dtype=None, layout=None,
                   device=None, pin_memory=False, requires_grad=False):
    """alpha - beta·cos(2πk/(N-1)), k = 0..N-1. Defaults periodic=True, alpha=0.54, beta=0.46;
    PyTorch takes alpha only after periodic, and beta only after alpha."""
    _given("hamming_window", window_length, {"periodic": periodic, "alpha": alpha, "beta": beta})
    alpha = 0.54 if alpha is _UNSET else alpha
    beta = 0.46 if beta is _UNSET else beta
    return _window("hamming_window", window_length, True if periodic is _UNSET else periodic,
                   {"alpha": alpha, "beta": beta}, (dtype, layout, device, pin_memory, requires_grad),
                   lambda n, dt, ct: _hamming(n, dt, ct, _number(alpha), _number(beta)))


def _hamming(n, dt, ct, alpha, beta):
    r = _rounder(dt, ct)
    x = r(_indices(n, dt, ct) * _scalar(2.0 * math.pi / (n - 1), dt, ct))
    return r(r(_cos(x, r) * _scalar(-beta, dt, ct)) + _scalar(alpha, dt, ct)).astype(dt)


def hann_window(window_length, periodic=True, *, dtype=None, layout=None, device=None, pin_memory=False,
                requires_grad=False):
    """0.5 - 0.5·cos(2πk/(N-1)) = sin²(πk/(N-1)): hamming's form with alpha = beta = 0.5."""
    return _window("hann_window", window_length, periodic, {}, (dtype, layout, device, pin_memory, requires_grad),
                   lambda n, dt, ct: _hamming(n, dt, ct, 0.5, 0.5))


def blackman_window(window_length, periodic=True, *, dtype=None, layout=None, device=None, pin_memory=False,
                    requires_grad=False):
    """0.42 - 0.5·cos(2πk/(N-1)) + 0.08·cos(4πk/(N-1))."""
    def compute(n, dt, ct):
        r = _rounder(dt, ct)
        x = r(_indices(n, dt, ct) * _scalar(math.pi / (n - 1), dt, ct))
        four = r(_cos(r(x * ct.type(4)), r) * _scalar(0.08, dt, ct))
        two = r(_cos(r(x * ct.type(2)), r) * _scalar(0.5, dt, ct))
        return r(r(four - two) + _scalar(0.42, dt, ct)).astype(dt)
    return _window("blackman_window", window_length, periodic, {}, (dtype, layout, device, pin_memory,
                                                                      requires_grad), compute)


def bartlett_window(window_length, periodic=True, *, dtype=None, layout=None, device=None, pin_memory=False,
                    requires_grad=False):
    """The triangle 1 - |2k/(N-1) - 1|: 2k/(N-1) rising over the first half, 2 - 2k/(N-1) after."""
    def compute(n, dt, ct):
        r = _rounder(dt, ct)
        x = r(_indices(n, dt, ct) * _scalar(2.0 / (n - 1), dt, ct))
        half = ((n - 1) >> 1) + 1
        x[half:] = r(r(x[half:] * ct.type(-1)) + ct.type(2))
        return x.astype(dt)
    return _window("bartlett_window", window_length, periodic, {}, (dtype, layout, device, pin_memory,
                                                                      requires_grad), compute)


def kaiser_window(window_length, periodic=_UNSET, beta=_UNSET, *, dtype=None, layout=None, device=None,
                  pin_memory=False, requires_grad=False):
    """I0(beta·sqrt(1 - ((k - (N-1)/2) / ((N-1)/2))²)) / I0(beta). Defaults periodic=True,
    beta=12.0; PyTorch takes beta only after periodic."""
    _given("kaiser_window", window_length, {"periodic": periodic, "beta": beta})
    beta = 12.0 if beta is _UNSET else beta

    def compute(n, dt, ct):
        # I0's argument in the computing type, step by step as PyTorch's kernel forms it (at large
        # beta its rounding shows in the result); I0 itself and the ratio in float64
        b = ct.type(_number(beta))
        half = ct.type((n - 1) / 2.0)
        with np.errstate(invalid="ignore", over="ignore"):
            t = (_indices(n, dt, ct) - half) / half
            arg = b * np.sqrt(np.abs(ct.type(1) - t * t))
            return (np.i0(arg.astype(np.float64)) / np.i0(np.float64(b))).astype(dt)
    return _window("kaiser_window", window_length, True if periodic is _UNSET else periodic, {"beta": beta},
                   (dtype, layout, device, pin_memory, requires_grad), compute)
