"""Indexing: x[i], x[a:b], x[None], x[...], x[int_tensor], x[bool_mask], assignment, and the
gather/scatter family. Basic indexing returns a view; advanced indexing a copy, and its backward
scatters with np.add.at so repeated indices accumulate."""
import numpy as np

from ..tensor import Tensor
from ._core import as_tensor, broadcast_error, checked_scalar, dim_arg, make, unbroadcast

__all__ = ["gather", "scatter", "scatter_add", "index_select", "masked_fill", "masked_select", "take",
           "nonzero", "index_add", "index_fill", "argwhere", "index_copy", "take_along_dim", "put"]
METHODS = list(__all__) + ["index_put"]
INPLACE = ["masked_fill", "scatter", "scatter_add", "index_add", "index_fill", "index_copy", "put",
           ("index_put_", lambda self, indices, values, accumulate=False: _index_put_(self, indices, values, accumulate)),
           ("fill_diagonal_", lambda self, fill_value, wrap=False: _fill_diagonal_(self, fill_value, wrap))]


_INDEX_DTYPES = (np.dtype(np.int64), np.dtype(np.int32), np.dtype(np.uint8), np.dtype(np.bool_))


def _convert(index):
    """Tensors in an index become ndarrays; returns (numpy_index_tuple, is_basic)."""
    if isinstance(index, list) and any(isinstance(i, (list, tuple, Tensor, np.ndarray, slice)) or i is None
                                       or i is Ellipsis for i in index):
        import warnings
        warnings.warn("Using a non-tuple sequence for multidimensional indexing is deprecated and will be changed "
                      "in pytorch 2.9; use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this will be "
                      "interpreted as tensor index, x[torch.tensor(seq)], which will result either in an error or "
                      "a different result", UserWarning, stacklevel=3)
        index = tuple(index)
    if not isinstance(index, tuple):
        index = (index,)
    out = []
    basic = True
    ellipsis = False
    for i in index:
        if i is Ellipsis:
            if not ellipsis:  # PyTorch expands the first '...' and lets any later ones cover no dims
                out.append(i)
            ellipsis = True
        elif i is None or isinstance(i, (int, np.integer)) and not isinstance(i, (bool, np.bool_)):
            out.append(i)
        elif isinstance(i, slice):
            if i.step is not None and i.step <= 0:
                if i.step == 0:
                    raise ValueError("slice step cannot be zero")
                raise ValueError("step must be greater than zero")
            out.append(i)
        elif isinstance(i, Tensor):
            arr = i._data
            if arr.ndim == 0 and arr.dtype.kind == "i":  # PyTorch takes a 0-d integer tensor as an int: a view
                out.append(int(arr))
                continue
            if arr.dtype not in _INDEX_DTYPES:
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            if arr.dtype == np.uint8:
                arr = arr.astype(bool)
            out.append(arr)
            basic = False
        elif isinstance(i, (list, range, np.ndarray)):
            if isinstance(i, np.ndarray):
                arr = i
            else:  # an empty list indexes nothing, as an empty int64 tensor would
                arr = np.asarray([x.item() if isinstance(x, Tensor) else x for x in i],
                                 dtype=None if len(i) else np.int64)
            if arr.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            out.append(arr)
            basic = False
        elif isinstance(i, (bool, np.bool_)):
            out.append(i)
            basic = False
        else:
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are "
                             f"valid indices (got {type(i).__name__})")
    return tuple(out), basic


def _is_int_index(i):
    return ((isinstance(i, (int, np.integer)) and not isinstance(i, (bool, np.bool_)))
            or (isinstance(i, np.ndarray) and i.ndim == 0 and i.dtype.kind in "iu"))


def _torch_order(x, idx):
    """(view, index) such that view[index] is PyTorch's x[idx]. PyTorch takes integer indices
    first (as select), then indexes with the tensors; NumPy counts an integer among tensor indices
    as one more advanced index, so x[0, :, [1, 3]] of a (2, 3, 4) array has shape (2, 3) there and
    (3, 2) in PyTorch. The integers become a basic-index view, the rest indexes that view."""
    if len(idx) < 2 or not (any(_is_int_index(i) for i in idx)
            and any(isinstance(i, np.ndarray) and not _is_int_index(i) for i in idx)
            and not any(isinstance(i, (bool, np.bool_)) for i in idx)):
        return x, idx
    first, then = [], []
    for i in idx:
        if _is_int_index(i):
            first.append(int(i))
        elif isinstance(i, np.ndarray):  # a mask covers as many dims as it has
            first.extend([slice(None)] * (i.ndim if i.dtype == np.bool_ else 1))
            then.append(i)
        else:
            first.append(i)
            then.append(i if i is Ellipsis else slice(None))
    return x[tuple(first)], tuple(then)


def _index(x, idx):
    """x[idx] with PyTorch's order of dims and IndexError wording (NumPy's differ)."""
    try:
        v, j = _torch_order(x, idx)
        return v[j]
    except IndexError as err:
        raise _torch_index_error(x, idx, str(err)) from None


def _torch_index_error(x, idx, msg):
    import re
    m = re.search(r"index (-?\d+) is out of bounds for axis (\d+) with size (\d+)", msg)
    if m:
        return IndexError(f"index {m.group(1)} is out of bounds for dimension {m.group(2)} with size {m.group(3)}")
    if "too many indices" in msg:
        return IndexError(f"too many indices for tensor of dimension {x.ndim}")
    m = re.search(r"boolean index did not match indexed array along axis (\d+); size of axis is (\d+) but "
                  r"size of corresponding boolean axis is (\d+)", msg)
    if m:
        mask = next((i for i in idx if isinstance(i, np.ndarray) and i.dtype == np.bool_), None)
        mshape = list(mask.shape) if mask is not None else [int(m.group(3))]
        return IndexError(f"The shape of the mask {mshape} at index {m.group(1)} does not match the shape of the "
                          f"indexed tensor {list(x.shape)} at index {m.group(1)}")
    m = re.search(r"shape mismatch: indexing arrays could not be broadcast together with shapes (.*)", msg)
    if m:
        shapes = ", ".join(str(list(a.shape)) for a in idx if isinstance(a, np.ndarray))
        return IndexError(f"shape mismatch: indexing tensors could not be broadcast together with shapes {shapes}")
    return IndexError(msg)


def getitem(input, index):
    """input[index]: a view for ints/slices/None/Ellipsis, a copy for tensor or list indices."""
    x = input._data
    idx, basic = _convert(index)
    out = _index(x, idx)
    shape = x.shape
    if basic:
        if not isinstance(out, np.ndarray):  # NumPy gives a scalar for a full integer index: keep a 0-d view
            out = x[idx + (Ellipsis,)]

        def backward(g):
            gx = np.zeros(shape, dtype=g.dtype)
            gx[idx] = g
            return (gx,)
        if not input._requires_grad:
            name = ""  # no node will be built
        elif type(index) is int:
            name = "SelectBackward0"
        else:
            name = _basic_name(index, idx, shape)
        return make(out, (input,), backward, name, view_of=input)
    out = np.asarray(out)  # advanced indexing already copied

    def backward(g):
        gx = np.zeros(shape, dtype=g.dtype)
        np.add.at(*_torch_order(gx, idx), g)
        return (gx,)
    return make(out, (input,), backward, "IndexBackward0")


def _basic_name(index, idx, shape):
    """PyTorch applies a basic index component by component; the last op applied names the
    grad_fn (full slices inside a tuple are skipped; nothing applied is an alias)."""
    if isinstance(index, slice):
        return "SliceBackward0"
    name = "AliasBackward0"
    dim = 0
    for i in idx:
        if i is None:
            name = "UnsqueezeBackward0"
            dim += 1
        elif i is Ellipsis:
            dim += len(shape) - sum(1 for j in idx if j is not None and j is not Ellipsis)
        elif isinstance(i, slice):
            n = shape[dim] if dim < len(shape) else 0
            if i.indices(n) != (0, n, 1):
                name = "SliceBackward0"
            dim += 1
        else:
            name = "SelectBackward0"
    return name


def setitem(input, index, value):
    """input[index] = value, in place: through a view for basic indices (CopySlices, as PyTorch),
    through index_put for tensor indices."""
    from .inplace import _tracking, apply_inplace, check_inplace, check_no_overlap
    idx, basic = _convert(index)
    if not _tracking(input, (value,), {}):
        check_inplace(input)
        v = value._data if isinstance(value, Tensor) else value
        target = input._data
        # of an expand()ed tensor, what is written to must not overlap: x.expand(3)[0] = 5 may write
        check_no_overlap(target, idx if basic else None)
        try:
            view, j = _torch_order(target, idx)
            view[j] = v
        except IndexError as err:
            raise _torch_index_error(target, idx, str(err)) from None
        except ValueError as err:
            if "broadcast" not in str(err):
                raise
            region = np.shape(view[j])
            raise RuntimeError(f"shape mismatch: value tensor of shape {list(np.shape(v))} cannot be broadcast to "
                               f"indexing result of shape {list(region)}") from None
        input._vc[0] += 1
        return
    if basic:
        from .random_ops import copy_
        copy_(getitem(input, index), value if isinstance(value, Tensor) else as_tensor(value, input))
        return
    apply_inplace(input, _index_put, index, value, False, True)
    if input.grad_fn is not None and _basic_name(idx, tuple(i for i in idx if not isinstance(i, np.ndarray)),
                                                 input._data.shape) != "AliasBackward0":
        input.grad_fn._name = "CopySlices"  # PyTorch indexes a view first, then puts into it


def index_put(input, indices, values, accumulate=False):
    """Out-of-place `x[indices] = values` (differentiable in both x and values)."""
    return _index_put(input, indices, values, accumulate, False)


def _index_put(input, indices, values, accumulate, select_ints):
    """index_put, or with select_ints the put of x[index] = v, whose integers select first."""
    x = input._data
    idx, _ = _convert(indices)
    values_t = as_tensor(values, input)
    v = values_t._data
    if v.dtype != x.dtype:
        v = v.astype(x.dtype)
    out = x.copy()
    order = _torch_order if select_ints else (lambda a, i: (a, i))
    view, j = order(out, idx)
    if accumulate:
        np.add.at(view, j, v)
    else:
        view[j] = v
    target_shape = np.shape(view[j])

    def backward(g):
        gx = None
        if input._requires_grad:
            gx = g.copy() if not accumulate else g
            if not accumulate:
                gview, gj = order(gx, idx)
                gview[gj] = 0
        gv = None
        if values_t._requires_grad:
            from ._core import unbroadcast
            gview, gj = order(g, idx)
            gv = unbroadcast(np.broadcast_to(gview[gj], target_shape), v.shape)
        return gx, gv
    return make(out, (input, values_t), backward, "IndexPutBackward0")


def _index_put_(self, indices, values, accumulate):
    from .inplace import apply_inplace
    return apply_inplace(self, index_put, tuple(indices), values, accumulate)


def put(input, index, source, accumulate=False):
    """A copy of input with the elements at the flat positions `index` (as if input were 1-D)
    set to `source` (added to them with accumulate=True)."""
    from .arithmetic import type_name
    x, idx, src = input._data, index._data, source._data
    if idx.dtype != np.int64:
        raise RuntimeError(f"put_(): Expected a long tensor for index, but got {type_name(idx.dtype)}")
    if src.dtype != x.dtype:
        raise RuntimeError(f"put_(): self and source expected to have the same dtype, but got self.dtype = "
                           f"{type_name(x.dtype)} and source.dtype = {type_name(src.dtype)}")
    if src.size != idx.size:
        raise IndexError(f"put_(): Expected source and index to have the same number of elements, but got "
                           f"source.numel() = {src.size}, index.numel() = {idx.size}")
    n = x.size
    flat = idx.reshape(-1)
    bad = (flat < -n) | (flat >= n)
    if bad.any():
        raise IndexError(f"out of range: tried to access index {flat[bad][0]} on a tensor of {n} elements.")
    flat = np.where(flat < 0, flat + n, flat)
    out = x.copy()
    if accumulate:
        np.add.at(out.reshape(-1), flat, src.reshape(-1))
    else:
        out.reshape(-1)[flat] = src.reshape(-1)

    def backward(g):
        gx = None
        if input._requires_grad:
            gx = g
            if not accumulate:
                gx = g.copy()
                gx.reshape(-1)[flat] = 0
        gs = g.reshape(-1)[flat].reshape(src.shape) if source._requires_grad else None
        return gx, gs
    return make(out, (input, source), backward, "PutBackward0")


def _fill_diagonal(input, fill_value, wrap):
    x = input._data
    if x.ndim < 2:
        raise RuntimeError("dimensions must larger than 1")
    if x.ndim > 2 and len(set(x.shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    out = x.copy()
    np.fill_diagonal(out, fill_value, wrap=wrap)  # NumPy's rule for tall matrices is PyTorch's

    def backward(g):
        gx = g.copy()
        np.fill_diagonal(gx, 0, wrap=wrap)
        return (gx,)
    return make(out, (input,), backward, "CopySlices")


def _fill_diagonal_(self, fill_value, wrap=False):
    """Fill the main diagonal (of a 2-D tensor, or of an n-D one with equal sizes) in place;
    wrap=True restarts it below a tall matrix's square top, every N + 1 rows."""
    from .inplace import apply_inplace
    return apply_inplace(self, _fill_diagonal, fill_value, wrap)


_C_TYPE_NAMES = {"int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char",
                 "uint8": "unsigned char", "float32": "float", "float64": "double", "float16": "c10::Half"}


def masked_fill(input, mask, value):
    """Elements of input where mask is True replaced by value (a number or a 0-d tensor)."""
    m = mask._data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{_C_TYPE_NAMES.get(m.dtype.name, m.dtype.name)}")
    value_t = value if isinstance(value, Tensor) else None
    if value_t is not None and value_t._data.ndim != 0:
        raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                           f"{value_t._data.ndim} dimension(s).")
    fill = value_t._data if value_t is not None else value
    x = input._data
    try:
        np.broadcast_shapes(m.shape, x.shape)
    except ValueError:
        raise broadcast_error(m.shape, x.shape) from None
    out = np.where(m, np.asarray(fill, dtype=x.dtype) if value_t is not None else checked_scalar(fill, x.dtype), x)
    in_shape = x.shape

    def backward(g):
        gx = unbroadcast(np.where(m, g.dtype.type(0), g), in_shape) if input._requires_grad else None
        if value_t is not None:
            gv = None
            if value_t._requires_grad:
                gv = np.where(m, g, g.dtype.type(0)).sum().astype(value_t._data.dtype).reshape(())
            return gx, gv
        return (gx,)
    parents = (input, value_t) if value_t is not None else (input,)
    return make(out, parents, backward, "MaskedFillBackward0", saved=())


def masked_select(input, mask):
    m = np.broadcast_to(mask._data, np.broadcast_shapes(mask._data.shape, input._data.shape))
    x = np.broadcast_to(input._data, m.shape)
    shape = input._data.shape

    def backward(g):
        gfull = np.zeros(m.shape, dtype=g.dtype)
        gfull[m] = g
        from ._core import unbroadcast
        return (unbroadcast(gfull, shape),)
    return make(x[m], (input,), backward, "MaskedSelectBackward0")


def _check_index_dtype(name, index):
    if index._data.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")


def _check_bounds(idx, size, d, exc=RuntimeError, prefix="", low=0):
    """PyTorch refuses indices outside [low, size) along dim d (low is 0 for most ops, -size for
    those that wrap negative ones); NumPy would wrap any negative index silently."""
    if idx.size and (idx.min() < low or idx.max() >= size):
        bad = idx.reshape(-1)[(idx.reshape(-1) < low) | (idx.reshape(-1) >= size)][0]
        raise exc(f"{prefix}index {bad} is out of bounds for dimension {d} with size {size}")


def gather(input, dim, index, *, sparse_grad=False):
    _check_index_dtype("gather", index)
    x = input._data
    d = dim_arg(dim, x.ndim)
    idx = index._data
    if idx.ndim != x.ndim:
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    _check_bounds(idx, x.shape[d], d)
    # index may be smaller than input in the other dims: gather from the matching corner
    corner = tuple(slice(0, s) if i != d else slice(None) for i, s in enumerate(idx.shape))
    out = np.take_along_axis(x[corner], idx, d)

    def backward(g):
        gx = np.zeros_like(x, dtype=g.dtype)
        sub = gx[corner]
        _scatter_add_into(sub, d, idx, g)
        return (gx,)
    return make(out, (input,), backward, "GatherBackward0")


def _scatter_add_into(target, d, idx, src):
    """target[..., idx[i], ...] += src[i] along dim d (accumulating repeats)."""
    grids = np.indices(idx.shape, sparse=True)
    full = tuple(idx if i == d else grids[i] for i in range(idx.ndim))
    np.add.at(target, full, src[tuple(slice(0, s) for s in idx.shape)])


def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    _check_index_dtype("scatter", index)
    if src is None:
        src = value
    x = input._data
    d = dim_arg(dim, x.ndim)
    idx = index._data
    if x.ndim:
        _check_bounds(idx, x.shape[d], d)
    src_t = src if isinstance(src, Tensor) else None
    s = src_t._data if src_t is not None else np.full(idx.shape, src, dtype=x.dtype)
    s = s[tuple(slice(0, n) for n in idx.shape)]
    out = x.copy()
    grids = np.indices(idx.shape, sparse=True)
    full = tuple(idx if i == d else grids[i] for i in range(idx.ndim))
    if reduce == "add":
        np.add.at(out, full, s)
    elif reduce == "multiply":
        np.multiply.at(out, full, s)
    else:
        out[full] = s

    def backward(g):
        gx = None
        if input._requires_grad:
            gx = g.copy()
            if reduce is None:
                gx[full] = 0
        if src_t is not None:
            gs = None
            if src_t._requires_grad:
                gs = np.zeros_like(src_t._data, dtype=g.dtype)
                gs[tuple(slice(0, n) for n in idx.shape)] = g[full]
            return gx, gs
        return (gx,)
    parents = (input, src_t) if src_t is not None else (input,)
    return make(out, parents, backward, "ScatterBackward0" if src_t is not None else "ScatterBackward1")


def scatter_add(input, dim, index, src):
    return scatter(input, dim, index, src, reduce="add")


def index_select(input, dim, index):
    x = input._data
    d = dim_arg(dim, x.ndim)
    if index._data.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    idx = index._data.reshape(-1) if index._data.ndim else index._data.reshape(1)
    if x.ndim and idx.size:
        if idx.min() < 0:  # PyTorch's words for each side
            raise RuntimeError(f"INDICES element is out of DATA bounds, id={idx[idx < 0][0]} axis_dim={x.shape[d]}")
        if idx.max() >= x.shape[d]:
            raise IndexError("index out of range in self")
    if x.ndim == 0:
        return make(x.copy(), (input,), lambda g: (g,), "IndexSelectBackward0")
    out = np.take(x, idx, axis=d)

    def backward(g):
        gx = np.zeros_like(x, dtype=g.dtype)
        moved = np.moveaxis(gx, d, 0)
        np.add.at(moved, idx, np.moveaxis(g, d, 0))
        return (gx,)
    return make(out, (input,), backward, "IndexSelectBackward0")


def index_add(input, dim, index, source, *, alpha=1):
    x = input._data
    d = dim_arg(dim, x.ndim)
    idx = index._data
    if x.ndim:
        _check_bounds(idx, x.shape[d], d)
    src = source._data * alpha if alpha != 1 else source._data
    out = x.copy()
    np.add.at(np.moveaxis(out, d, 0), idx, np.moveaxis(src, d, 0))

    def backward(g):
        gs = np.moveaxis(np.take(g, idx, axis=d), d, d) * alpha if source._requires_grad else None
        return (g if input._requires_grad else None, gs)
    return make(out, (input, source), backward, "IndexAddBackward0")


def index_fill(input, dim, index, value):
    d = dim_arg(dim, input._data.ndim)
    if input._data.ndim:
        _check_bounds(index._data, input._data.shape[d], d, IndexError, low=-input._data.shape[d])
    sel = [slice(None)] * input._data.ndim
    sel[d] = index._data
    mask = np.zeros(input._data.shape, dtype=bool)
    mask[tuple(sel)] = True
    return masked_fill(input, Tensor._wrap(mask), value)


def index_copy(input, dim, index, source):
    d = dim_arg(dim, input._data.ndim)
    if input._data.ndim:
        _check_bounds(index._data, input._data.shape[d], d, IndexError, "index_copy_(): ")
    sel = [slice(None)] * input._data.ndim
    sel[d] = index
    return index_put(input, tuple(sel), source)


def take(input, index):
    """input treated as 1-D, at the positions in `index` (the result has index's shape)."""
    x = input._data
    idx = index._data
    n = x.size
    if idx.size and (idx.max() >= n or idx.min() < -n):
        bad = idx.max() if idx.max() >= n else idx.min()
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} elements.")
    flat_idx = np.where(idx < 0, idx + n, idx)
    out = x.reshape(-1)[flat_idx]
    shape = x.shape

    def backward(g):
        gx = np.zeros(n, dtype=g.dtype)
        np.add.at(gx, flat_idx, g)
        return (gx.reshape(shape),)
    return make(out, (input,), backward, "TakeBackward0")


def take_along_dim(input, indices, dim=None):
    """Values of input at `indices` along `dim`; the other dims broadcast (as NumPy's take_along_axis)."""
    if dim is None:
        return take(input, indices.reshape(-1))
    from .shape import expand
    d = dim_arg(dim, input._data.ndim)
    ishape, xshape = list(indices._data.shape), list(input._data.shape)
    ishape[d] = xshape[d] = 1
    common = list(np.broadcast_shapes(tuple(ishape), tuple(xshape)))
    xs, js = list(common), list(common)
    xs[d], js[d] = input._data.shape[d], indices._data.shape[d]
    x = expand(input, tuple(xs)) if tuple(xs) != input._data.shape else input
    return gather(x, d, Tensor._wrap(np.broadcast_to(indices._data, tuple(js))))


def nonzero(input, *, as_tuple=False):
    x = input._data
    if x.ndim == 0:  # PyTorch counts a 0-d tensor's one element with no coordinates: (1 or 0, 0);
        # as a tuple it answers as for the 1-element vector
        count = int(np.count_nonzero(x))
        if as_tuple:
            return (make(np.zeros(count, np.int64), (), None, ""),)
        return make(np.zeros((count, 0), np.int64), (), None, "")
    nz = np.nonzero(x)
    if as_tuple:
        return tuple(make(a.astype(np.int64), (), None, "") for a in nz)
    return make(np.stack(nz, axis=1).astype(np.int64), (), None, "")


def argwhere(input):
    return nonzero(input)
