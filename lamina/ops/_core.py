"""What every op uses: wrapping a result as a Tensor with its graph node, summing a broadcast
gradient back to an input's shape, and turning operands into arrays of PyTorch's result dtype.

The contract for a backward closure: it receives the output gradient as an ndarray, must not
modify it in place, and returns one ndarray (of the input's shape and dtype) or None per input."""
import math
from weakref import ref as _weakref

import numpy as np

from .._dtype import result_type
from ..autograd.grad_mode import _mode
from ..autograd.node import Node
from ..tensor import Tensor

_new = Tensor.__new__
_new_node = Node.__new__


def wrap(data):
    """A Tensor with no history around an ndarray (no copy)."""
    t = _new(Tensor)
    t._data = data
    t._grad = None
    t.grad_fn = None
    t._requires_grad = False
    t._vc = [0]
    t._hooks = None
    t._base = None
    t._views = None
    return t


def make(data, parents, backward, name, saved=None, save_output=False, view_of=None):
    """Wrap `data` as the output of an op on `parents` (a tuple of Tensors).

    A graph node is attached only when grad mode is on and some parent requires grad.
    `saved`: tensors whose data the backward closure reads (their in-place change is an error);
    pass () when the closure holds only arrays of its own, None when it holds nothing to free.
    `save_output`: the closure reads the output's data too. `view_of`: the output shares memory
    with this tensor, so they share a version counter (in-place writes to one bump both) and an
    in-place change of one updates the other's graph (see ops/inplace.py)."""
    out = _new(Tensor)
    # NumPy ufuncs on 0-d arrays return NumPy scalars; a tensor always holds an ndarray
    out._data = data if type(data) is np.ndarray else np.asarray(data)
    out._grad = None
    out._hooks = None
    if view_of is not None:
        return _make_view(out, parents, backward, name, view_of)
    out._vc = [0]
    if _mode.grad:
        # each input's edge is fixed now: its node (or the leaf itself), as it is at this moment;
        # unrolled for the one-, two- and three-input ops that are nearly all of them
        n = len(parents)
        if n == 2:
            a, b = parents
            ra, rb = a._requires_grad, b._requires_grad
            if not (ra or rb):
                out.grad_fn = None
                out._requires_grad = False
                return out
            inputs = ((a.grad_fn or a) if ra else None, (b.grad_fn or b) if rb else None)
        elif n == 1:
            a = parents[0]
            if not a._requires_grad:
                out.grad_fn = None
                out._requires_grad = False
                return out
            inputs = (a.grad_fn or a,)
        elif n == 3:
            a, b, c = parents
            ra, rb, rc = a._requires_grad, b._requires_grad, c._requires_grad
            if not (ra or rb or rc):
                out.grad_fn = None
                out._requires_grad = False
                return out
            inputs = ((a.grad_fn or a) if ra else None, (b.grad_fn or b) if rb else None,
                      (c.grad_fn or c) if rc else None)
        else:
            flags = [p._requires_grad for p in parents]
            if True not in flags:
                out.grad_fn = None
                out._requires_grad = False
                return out
            inputs = tuple([(p.grad_fn or p) if r else None for p, r in zip(parents, flags)])
        if saved:
            # unrolled: a comprehension costs a function call (this runs once per recorded op)
            if len(saved) == 1:
                a = saved[0]
                va = a._vc
                saved = ((va, va[0], a),)
            elif len(saved) == 2:
                a, b = saved
                va, vb = a._vc, b._vc
                saved = ((va, va[0], a), (vb, vb[0], b))
            else:
                saved = tuple([(t._vc, t._vc[0], t) for t in saved])
            if save_output:  # None stands for the output itself (holding it would make a cycle)
                saved += ((out._vc, 0, None),)
        elif save_output and saved is not None:
            saved = ((out._vc, 0, None),)
        # Node.__init__ without the call (this runs once per recorded op)
        node = _new_node(Node)
        node._name = name
        node.backward = backward
        node.inputs = inputs
        node.saved = saved
        node.hooks = None
        node.retained = None
        out.grad_fn = node
        out._requires_grad = True
        return out
    out.grad_fn = None
    out._requires_grad = False
    return out


def _make_view(out, parents, backward, name, view_of):
    out._vc = view_of._vc
    base = getattr(view_of, "_base", None)  # unset on tensors made by make(): None
    if base is None:
        base = view_of
    out._base = base
    if _mode.grad and view_of._requires_grad and backward is not None:
        out.grad_fn = Node(name, backward, (view_of.grad_fn or view_of,), None)
        out._requires_grad = True
        if base.grad_fn is not None:
            # remember the views of a computed tensor: an in-place change through any of them
            # must re-point the others' graph at the new value
            views = getattr(base, "_views", None)
            if views is None:
                views = base._views = []
            views.append(_weakref(out))
        return out
    out.grad_fn = None
    # a view taken under no_grad of a tensor requiring grad still says requires_grad (PyTorch's
    # view is a leaf that requires grad, but no gradient reaches it: engine._deliver_all skips it)
    out._requires_grad = view_of._requires_grad and not _mode.grad and backward is not None
    return out


def unbroadcast(g, shape):
    """Sum a gradient that was broadcast up to g.shape back down to `shape`."""
    if g.shape == shape:
        return g
    extra = g.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(i + extra for i, n in enumerate(shape) if n == 1 and g.shape[i + extra] != 1)
    if not axes:
        return g.reshape(shape)
    return sum_axes(g, axes, keepdims=True).reshape(shape)


_ONES = {}  # (n, dtype) -> n ones, for the BLAS sums below
_BLAS_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _ones(n, dtype):
    ones = _ONES.get((n, dtype))
    if ones is None:
        if len(_ONES) > 64:  # many different sizes: keep the cache small
            _ONES.clear()
        ones = _ONES[(n, dtype)] = np.ones(n, dtype)
    return ones


def sum_rows(a, keepdims=False):
    """The sum over axis 0 of a 2-D array (see sum_axes)."""
    return sum_axes(a, (0,), keepdims)


def sum_axes(a, axes, keepdims=False):
    """np.add.reduce(a, axis=axes, keepdims=keepdims), as one BLAS product with a vector of ones
    when `axes` (sorted) are the leading or the trailing dims, or one middle dim, of a C-contiguous
    float32/float64 array. NumPy adds along a leading axis one row at a time, and along short trailing rows one
    pairwise sum per row: both several times slower than the product (batch sums of a training
    step, 128x256: 7.3 -> 3.1 us; the row sums of a LayerNorm, 1024x128: 49 -> 11 us). The
    result is a fresh array of its own (a gradient handed to .grad needs no copy)."""
    shape = a.shape
    nd, k = len(shape), len(axes)
    if 0 < k < nd and a.dtype in _BLAS_FLOATS and a.size and a.flags.c_contiguous:
        if axes[-1] == k - 1:  # leading dims
            if nd == 2:  # the batch sums of every training step: the short way
                total = _ones(shape[0], a.dtype).dot(a)  # the method: np.dot adds a dispatcher call
                return total.reshape(1, -1) if keepdims else total
            kept = shape[k:]
            m = math.prod(kept)
            total = _ones(a.size // m, a.dtype).dot(a.reshape(-1, m))
            return total.reshape((1,) * k + kept if keepdims else kept)
        if axes[0] == nd - k and axes[-1] == nd - 1:  # trailing dims
            kept = shape[:nd - k]
            n = a.size // math.prod(kept)
            total = a.reshape(-1, n).dot(_ones(n, a.dtype))
            return total.reshape(kept + (1,) * k if keepdims else kept)
        if k == 1:  # one dim in the middle: a batched product with ones
            d = axes[0]
            lead, n = math.prod(shape[:d]), shape[d]
            total = np.matmul(_ones(n, a.dtype)[None], a.reshape(lead, n, a.size // (lead * n)))
            return total.reshape(shape[:d] + (1,) + shape[d + 1:] if keepdims else shape[:d] + shape[d + 1:])
    return np.add.reduce(a, axis=axes, keepdims=keepdims)


def rows_apply(ufunc, a, v, out=None):
    """ufunc(a, v) for a 2-D `a` and a row vector `v` broadcast over its rows, into
    `out` (default: a new array; `a` itself for in place). A broadcast row makes NumPy's inner loop
    as short as the row, which costs twice a plain pass over short rows; so k rows are viewed as
    one and v repeated k times (a few KB), for an inner loop of ~8K elements. Measured on 1024
    rows of 128 it saves 20-30 µs per pass (LayerNorm's weight and bias, ReLU against a bias, the
    biases added to fresh projection outputs)."""
    R, C = a.shape
    if out is None:
        out = np.empty(a.shape, np.result_type(a, v))
    k = math.gcd(R, 1 << max(0, (8192 // max(C, 1)).bit_length() - 1))
    if k > 1 and a.flags.c_contiguous and out.flags.c_contiguous:  # the row views need plain layouts
        t = np.empty((k, C), dtype=v.dtype)
        t[...] = v
        v, a, target = t.reshape(k * C), a.reshape(R // k, k * C), out.reshape(R // k, k * C)
    else:
        target = out
    ufunc(a, v, out=target)
    return out


def broadcast_error(a_shape, b_shape):
    """PyTorch's RuntimeError for two shapes that do not broadcast."""
    n = max(len(a_shape), len(b_shape))
    a = (1,) * (n - len(a_shape)) + tuple(a_shape)
    b = (1,) * (n - len(b_shape)) + tuple(b_shape)
    for i in range(n - 1, -1, -1):
        if a[i] != b[i] and a[i] != 1 and b[i] != 1:
            return RuntimeError(f"The size of tensor a ({a[i]}) must match the size of tensor b ({b[i]}) at "
                                f"non-singleton dimension {i}")
    return RuntimeError(f"shapes {list(a_shape)} and {list(b_shape)} cannot be broadcast")


_C_NAMES = {"uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t", "int32": "int", "int64": "int64_t",
            "float16": "c10::Half", "float32": "float", "float64": "double"}


def fill_out(out, result):
    """An op's out= as PyTorch's: `out` takes the result (an ndarray) cast to its own dtype,
    resized (with PyTorch's warning when it held elements) if its shape differs; returns out."""
    arr = out._data
    if arr.shape != result.shape:
        if arr.size:
            import warnings
            warnings.warn(f"An output with one or more elements was resized since it had shape {list(arr.shape)}, "
                          f"which does not match the required output shape {list(result.shape)}. This behavior is "
                          "deprecated, and in a future PyTorch release outputs will not be resized unless they "
                          "have zero elements. You can explicitly reuse an out tensor t by resizing it, inplace, "
                          "to zero elements with t.resize_(0).", UserWarning, stacklevel=3)
        out._data = arr = np.empty(result.shape, arr.dtype)
    np.copyto(arr, result, casting="unsafe")
    out._vc[0] += 1
    return out


def _int_wrapped(value, dtype):
    """A Python int in an integer dtype it does not fit, as PyTorch stores it: wrapped around
    (two's complement; uint8 takes -1 as 255). A 0-d array."""
    return np.asarray(value % 2 ** 64, dtype=np.uint64).astype(dtype)


def checked_scalar(value, dtype, half_overflows=True):
    """A Python number as a NumPy scalar of `dtype`, by PyTorch's rule for fill values (full,
    fill_, masked_fill, where): an integer wraps into an unsigned dtype down to -max (uint8 takes
    -1 as 255), everything else must fit, or RuntimeError "value cannot be converted ...".
    half_overflows=False: a finite value past float16's range becomes inf, as PyTorch's full and
    where take it (its fill_ and masked_fill refuse it)."""
    dtype = np.dtype(dtype)
    if isinstance(value, np.generic):
        value = value.item()
    if not isinstance(value, (int, float)):  # an array fill: NumPy's cast, as before
        return np.asarray(value, dtype=dtype)
    if dtype.kind == "b" or isinstance(value, bool) or (dtype == np.float16 and not half_overflows):
        return np.asarray(value).astype(dtype)[()]
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        if isinstance(value, int):
            fits = info.min <= value <= info.max or (dtype.kind == "u" and -info.max <= value < 0)
        else:
            fits = value == value and info.min <= value <= info.max  # NaN never fits an integer
        if fits:
            return (_int_wrapped(value, dtype) if isinstance(value, int) else np.asarray(value).astype(dtype))[()]
    elif dtype.kind == "f":
        if not (abs(value) > np.finfo(dtype).max and abs(value) != float("inf")):
            return dtype.type(value)
    else:
        return np.asarray(value).astype(dtype)[()]
    raise RuntimeError(f"value cannot be converted to type {_C_NAMES.get(dtype.name, dtype.name)} without overflow")


def as_tensor(x, like=None):
    """Tensor operands pass through; scalars and arrays become history-free tensors."""
    if isinstance(x, Tensor):
        return x
    if like is not None and isinstance(x, (int, float, bool)):
        dt = result_type(like, x).np
        try:
            return wrap(np.asarray(x, dtype=dt))
        except OverflowError:  # an int outside an integer dtype: PyTorch wraps it around, as binary_operands
            return wrap(_int_wrapped(x, dt))
    arr = np.asarray(x)
    if arr.dtype == np.float64 and not isinstance(x, np.ndarray):
        arr = arr.astype(np.float32)
    return wrap(arr)


def binary_operands(a, b):
    """(a_array, b_array_or_scalar, result_np_dtype) for an elementwise op on a Tensor `a` and
    a Tensor or Python scalar `b`, cast to PyTorch's result dtype (NumPy's rules differ)."""
    ad = a._data
    if isinstance(b, Tensor):
        bd = b._data
        if ad.dtype == bd.dtype:
            return ad, bd, ad.dtype
        dt = result_type(a, b).np
        return (ad if ad.dtype == dt else ad.astype(dt)), (bd if bd.dtype == dt else bd.astype(dt)), dt
    if isinstance(b, np.generic):  # NumPy scalars act as Python scalars (np.float64 must not upcast)
        b = b.item()
    if isinstance(b, float) and ad.dtype.kind == "f":
        return ad, b, ad.dtype
    if isinstance(b, np.ndarray) or (hasattr(b, "__array__") and not isinstance(b, (int, float, bool))):
        return binary_operands(a, as_tensor(b))
    if type(b) is int and not -2 ** 63 <= b < 2 ** 64:  # PyTorch reads a Python int as 64 bits
        raise OverflowError("can't convert negative int to unsigned" if b < 0 else "int too big to convert")
    dt = result_type(a, b).np
    try:
        bv = np.asarray(b, dtype=dt)[()]
    except OverflowError:  # an int outside an integer dtype: PyTorch wraps it around (two's complement)
        bv = _int_wrapped(b, dt)[()]
    return (ad if ad.dtype == dt else ad.astype(dt)), bv, dt


def float_dtype_of(dt):
    """Ops like exp or true division on integer input compute in the default float dtype."""
    if dt.kind == "f":
        return dt
    from .._dtype import get_default_dtype
    return get_default_dtype().np


def dim_arg(dim, ndim, name="dim"):
    """Normalise a possibly negative dim, with PyTorch's IndexError wording when out of range."""
    lo, hi = (-ndim, ndim - 1) if ndim else (-1, 0)
    if not lo <= dim <= hi:
        raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {dim})")
    return dim % ndim if ndim else 0
