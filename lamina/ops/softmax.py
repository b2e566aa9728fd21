"""softmax and log_softmax, fused: one pass forward, the closed-form Jacobian-vector product
backward (g - sum(g·y)) · y, and (g - softmax · sum(g)) for log_softmax."""
import numpy as np

from .. import _dtype
from ._core import dim_arg, float_dtype_of, make

__all__ = ["softmax", "log_softmax"]
METHODS = ["softmax", "log_softmax"]


def _prepare(input, dim, dtype, name):
    x = input.data
    if dtype is not None:
        x = x.astype(_dtype.to_dtype(dtype).np)
    elif x.dtype.kind != "f":
        raise RuntimeError(f'"{name}_lastdim_kernel_impl" not implemented for '
                           f"'{_dtype.from_numpy_dtype(x.dtype).name.title()}'")
    if dim is None:  # PyTorch's legacy implicit choice
        dim = 0 if x.ndim in (0, 1, 3) else 1
    return x, dim_arg(dim, x.ndim) if x.ndim else None


def softmax(input, dim=None, dtype=None, *, _stacklevel=3):
    x, d = _prepare(input, dim, dtype, "softmax")
    z = x - x.max(axis=d, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=d, keepdims=True)
    y = z

    def backward(g):
        gy = g * y
        gy -= y * gy.sum(axis=d, keepdims=True)
        return (gy.astype(input.data.dtype, copy=False),)
    return make(y, (input,), backward, "SoftmaxBackward0", saved=(), save_output=True)


def log_softmax(input, dim=None, dtype=None, *, _stacklevel=3):
    x, d = _prepare(input, dim, dtype, "log_softmax")
    shifted = x - x.max(axis=d, keepdims=True)
    out = shifted - np.log(np.exp(shifted).sum(axis=d, keepdims=True))

    def backward(g):
        return ((g - np.exp(out) * g.sum(axis=d, keepdims=True)).astype(input.data.dtype, copy=False),)
    return make(out, (input,), backward, "LogSoftmaxBackward0", saved=(), save_output=True)
