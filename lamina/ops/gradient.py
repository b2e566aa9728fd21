"""torch.gradient: a sampled function's partial derivatives by finite differences.

Central differences inside (second-order accurate, also on unevenly spaced coordinates), first-
or second-order one-sided differences at the two ends (edge_order 1 or 2). Built from slices,
arithmetic and cat, so the gradient of the result flows back to the input and to coordinate
tensors; the operations come in PyTorch's order, so the dtypes and the rounding are its too.

The spacing forms PyTorch takes: none (unit steps), one number for every dim, one number per dim,
or one 1-D coordinate tensor per dim; `dim` an int, a list of ints, or None for every dim."""
import numpy as np

from ..tensor import Tensor
from ._core import dim_arg
from .compat import diff
from .shape import cat

__all__ = ["gradient"]


def _is_scalar(v):
    return isinstance(v, (bool, int, float, np.number)) or (isinstance(v, Tensor) and v._data.ndim == 0)


def _scalar_value(v):
    """A spacing number as Python takes it (a bool step is 0 or 1, a 0-d tensor its value)."""
    v = v.item() if isinstance(v, Tensor) else v
    if isinstance(v, (bool, np.bool_)):
        return int(v)
    return v.item() if isinstance(v, np.generic) else v


def _signature_error(args):
    got = ", ".join(["Tensor"] + [f"{k}={type(v).__name__}" for k, v in args.items()])
    return TypeError(f"gradient() received an invalid combination of arguments - got ({got}), but expected one "
                     "of:\n * (Tensor input, *, tuple of ints dim, int edge_order = 1)\n"
                     " * (Tensor input, *, Number spacing, tuple of ints dim, int edge_order = 1)\n"
                     " * (Tensor input, *, Number spacing = None, int dim = None, int edge_order = 1)\n"
                     " * (Tensor input, *, tuple of Scalars spacing, int dim = None, int edge_order = 1)\n"
                     " * (Tensor input, *, tuple of Scalars spacing, tuple of ints dim, int edge_order = 1)\n"
                     " * (Tensor input, *, tuple of Tensors spacing, int dim = None, int edge_order = 1)\n"
                     " * (Tensor input, *, tuple of Tensors spacing, tuple of ints dim, int edge_order = 1)\n")


def _int_like(v):
    if isinstance(v, Tensor):
        return v._data.ndim == 0 and v._data.dtype.kind in "iu"
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _parse_spacing(spacing, bad):
    """(kind, values): kind None (unit steps), "scalar", "scalars" (one per dim) or "coords"."""
    if spacing is None:
        return None, None
    if isinstance(spacing, complex) or (isinstance(spacing, (list, tuple))
                                        and any(isinstance(s, complex) for s in spacing)):
        raise TypeError("torch.gradient: lamina has no complex tensors, so the spacing must be real")
    if _is_scalar(spacing):
        return "scalar", _scalar_value(spacing)
    if not isinstance(spacing, (list, tuple)):
        raise bad
    if any(isinstance(s, Tensor) for s in spacing):
        for i, s in enumerate(spacing):
            if not isinstance(s, Tensor):
                raise TypeError(f"expected Tensor as element {i} in argument 1, but got {type(s).__name__}")
        return "coords", list(spacing)
    if not all(_is_scalar(s) for s in spacing):
        raise bad
    return "scalars", [_scalar_value(s) for s in spacing]


def gradient(input, *, spacing=None, dim=None, edge_order=1):
    """Estimate ∂input/∂x_d for each dim d: a tuple of tensors of input's shape."""
    if not isinstance(input, Tensor):
        raise TypeError(f"gradient(): argument 'input' (position 1) must be Tensor, not {type(input).__name__}")
    # the arguments as PyTorch lists them in its TypeError: those given (edge_order 1 is the default)
    bad = _signature_error({k: v for k, v in (("spacing", spacing), ("dim", dim), ("edge_order", edge_order))
                            if v is not None and not (k == "edge_order" and type(v) is int and v == 1)})
    kind, values = _parse_spacing(spacing, bad)
    dim_list = isinstance(dim, (list, tuple))
    if not (dim is None or _int_like(dim) or (dim_list and all(_int_like(d) for d in dim))):
        raise bad
    if not _int_like(edge_order):
        raise bad
    ndim = input.ndim
    dims = list(range(ndim)) if dim is None else [int(d) for d in dim] if dim_list else [int(dim)]
    spacing_size = None
    if kind == "scalar":
        values = [values] * len(dims)
    elif kind is None:
        values = [1.0] * len(dims)
    else:
        spacing_size = len(values)
    _check(input, dims, dim is not None, spacing_size, int(edge_order))
    if kind == "coords":
        return tuple(_along_coordinates(input, c, d, int(edge_order)) for c, d in zip(values, dims))
    return tuple(_along_uniform(input, h, d, int(edge_order)) for h, d in zip(values, dims))


def _check(input, dims, dim_given, spacing_size, edge_order):
    """PyTorch's checks, in its order: dtype, spacing length, edge_order, dims, sizes."""
    if input._data.dtype == np.uint8:
        raise RuntimeError("torch.gradient does not support uint8 input.")
    ndim = input.ndim
    if spacing_size is not None and not dim_given and spacing_size != ndim:
        raise RuntimeError(f"torch.gradient expected spacing to be unspecified, a scalar, or a list of length equal "
                           f"to 'self.dim() = {ndim}', since dim argument was not given, but got a list of length "
                           f"{spacing_size}")
    if spacing_size is not None and dim_given and spacing_size != len(dims):
        raise RuntimeError(f"torch.gradient expected spacing to be unspecified, a scalar or it's spacing and dim "
                           f"arguments to have the same length, but got a spacing argument of length {spacing_size} "
                           f"and a dim argument of length {len(dims)}.")
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    seen = set()
    for d in dims:
        if ndim == 0:
            raise IndexError(f"Dimension specified as {d} but tensor has no dimensions")
        d = dim_arg(d, ndim)
        if d in seen:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        seen.add(d)
    for d in dims:
        if input.shape[d] < edge_order + 1:
            raise RuntimeError("torch.gradient expected each dimension size to be at least edge_order+1")


def _part(t, d, start, stop=None):
    """t[start:stop] along dim d (a view, differentiable)."""
    return t[(slice(None),) * d + (slice(start, stop),)]


def _along_uniform(f, h, d, edge_order):
    """Steps of one size h: (f[i+1] - f[i-1]) / 2h inside."""
    d = dim_arg(d, f.ndim)
    center = (_part(f, d, 2) - _part(f, d, 0, -2)) / h
    if edge_order == 1:
        first = (_part(f, d, 1, 2) - _part(f, d, 0, 1)) / h
        last = (_part(f, d, -1) - _part(f, d, -2, -1)) / h
    else:
        first = (_part(f, d, 0, 1) * -1.5 + _part(f, d, 1, 2) * 2 - _part(f, d, 2, 3) * 0.5) / h
        last = (_part(f, d, -3, -2) * 0.5 + _part(f, d, -2, -1) * -2 + _part(f, d, -1) * 1.5) / h
    return cat([first, center / 2, last], d)


def _along_coordinates(f, x, d, edge_order):
    """Samples at coordinates x (1-D): with steps h1 = x[i] - x[i-1] and h2 = x[i+1] - x[i],
    f'(x[i]) ≈ (-h2/(h1(h1+h2))) f[i-1] + ((h2-h1)/(h1 h2)) f[i] + (h1/(h2(h1+h2))) f[i+1]."""
    if x.ndim != 1:
        raise RuntimeError(f"torch.gradient expected each element of spacing to have one dimension, but got an "
                           f"element with {x.ndim} dimensions!")
    d = dim_arg(d, f.ndim)
    shape = [1] * f.ndim
    shape[d] = -1
    h = diff(x, 1, 0)
    h1, h2 = h[:-1], h[1:]
    a = (-h2 / (h1 * (h1 + h2))).reshape(shape)
    b = ((h2 - h1) / (h1 * h2)).reshape(shape)
    c = (h1 / (h2 * (h1 + h2))).reshape(shape)
    center = a * _part(f, d, 0, -2) + b * _part(f, d, 1, -1) + c * _part(f, d, 2)
    if edge_order == 1:
        first = (_part(f, d, 1, 2) - _part(f, d, 0, 1)) / h[0]
        last = (_part(f, d, -1) - _part(f, d, -2, -1)) / h[-1]
    else:
        # second-order one-sided differences over the first (last) three samples
        a = -(2.0 * h[0] + h[1]) / (h[0] * (h[0] + h[1]))
        b = (h[0] + h[1]) / (h[0] * h[1])
        c = (-h[0]) / (h[1] * (h[0] + h[1]))
        first = a * _part(f, d, 0, 1) + b * _part(f, d, 1, 2) + c * _part(f, d, 2, 3)
        a = h[-1] / (h[-2] * (h[-1] + h[-2]))
        b = -(h[-1] + h[-2]) / (h[-1] * h[-2])
        c = (2 * h[-1] + h[-2]) / (h[-1] * (h[-1] + h[-2]))
        last = a * _part(f, d, -3, -2) + b * _part(f, d, -2, -1) + c * _part(f, d, -1)
    return cat([first, center, last], d)
