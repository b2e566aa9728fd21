"""Shape ops: reshape/view, flatten/unflatten, squeeze/unsqueeze, transpose/permute, expand,
repeat, cat/stack, split/chunk/unbind, flip, roll, movedim, tile. Views share memory (and the
version counter) with their input, as in PyTorch; their backward reshapes the gradient back."""
import builtins

import numpy as np

from ..tensor import Tensor
from ._core import dim_arg, make

__all__ = ["reshape", "flatten", "unflatten", "squeeze", "unsqueeze", "transpose", "swapaxes", "swapdims",
           "permute", "movedim", "moveaxis", "t", "cat", "concat", "concatenate", "stack", "hstack", "vstack",
           "row_stack", "split", "chunk", "unbind", "flip", "fliplr", "flipud", "roll", "tile", "narrow", "select",
           "broadcast_to", "broadcast_tensors", "atleast_1d", "atleast_2d", "ravel", "diag", "tril", "triu",
           "diagonal", "expand_copy", "meshgrid"]
METHODS = ["reshape", "flatten", "unflatten", "squeeze", "unsqueeze", "transpose", "swapaxes", "swapdims",
           "permute", "movedim", "moveaxis", "t", "split", "chunk", "unbind", "fliplr", "flipud",
           "roll", "narrow", "select", "broadcast_to", "ravel", "diag", "tril", "triu", "diagonal",
           "view", "view_as", "reshape_as", "expand", "expand_as", "repeat", "unfold",
           # as methods they also take the dims one by one: x.flip(0, 1), x.tile(2, 1)
           ("flip", lambda self, *dims, **kw: flip(self, *(dims if len(dims) < 2 else (dims,)), **kw)),
           ("tile", lambda self, *dims, **kw: tile(self, *(dims if len(dims) < 2 else (dims,)), **kw))]
INPLACE = ["tril", "triu",
           ("t_", lambda self: _inplace_view(self, t)),
           ("transpose_", lambda self, dim0, dim1: _inplace_view(self, transpose, dim0, dim1)),
           ("squeeze_", lambda self, dim=None: _inplace_view(self, squeeze, dim)),
           ("unsqueeze_", lambda self, dim: _inplace_view(self, unsqueeze, dim)),
           ("swapaxes_", lambda self, axis0, axis1: _inplace_view(self, transpose, axis0, axis1)),
           ("swapdims_", lambda self, dim0, dim1: _inplace_view(self, transpose, dim0, dim1))]


def _inplace_view(self, fn, *args):
    """t_(), squeeze_() and friends: self takes the view's shape (same memory) and graph."""
    from .inplace import check_inplace
    check_inplace(self)
    out = fn(self, *args)
    self._data = out._data
    if out._requires_grad:
        self.grad_fn = out.grad_fn
    self._vc[0] += 1
    return self


def _shape_args(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def _infer(shape, numel, input_shape):
    shape = list(shape)
    if shape.count(-1) > 1:
        raise RuntimeError("only one dimension can be inferred")
    if -1 in shape:
        known = 1
        for s in shape:
            if s != -1:
                known *= s
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape[shape.index(-1)] = numel // known
    n = 1
    for s in shape:
        n *= s
    if n != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return tuple(shape)


def reshape(input, *shape):
    x = input._data
    shape = _infer(_shape_args(shape), x.size, x.shape)
    out = x.reshape(shape)
    in_shape = x.shape

    def backward(g):
        return (g.reshape(in_shape),)
    view = np.may_share_memory(out, x) if out.size else True  # a copy never overlaps: bounds suffice
    return make(out, (input,), backward, "ViewBackward0" if view else "UnsafeViewBackward0",
                view_of=input if view else None)


def view(input, *shape):
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, int)):  # view(dtype)
        from .. import _dtype
        return make(input._data.view(_dtype.to_dtype(shape[0]).np), (), None, "", view_of=input)
    x = input._data
    target = _infer(_shape_args(shape), x.size, x.shape)
    try:
        out = x.view()
        out.shape = target  # raises instead of copying when the strides do not allow a view
    except AttributeError:
        raise RuntimeError("view size is not compatible with input tensor's size and stride (at least one "
                           "dimension spans across two contiguous subspaces). Use .reshape(...) instead.") from None
    in_shape = x.shape

    def backward(g):
        return (g.reshape(in_shape),)
    return make(out, (input,), backward, "ViewBackward0", view_of=input)


def view_as(input, other):
    return view(input, other._data.shape)


def reshape_as(input, other):
    return reshape(input, other._data.shape)


def flatten(input, start_dim=0, end_dim=-1):
    x = input._data
    if x.ndim == 0:
        dim_arg(start_dim, 0), dim_arg(end_dim, 0)  # a scalar still only has dims -1 and 0
        return reshape(input, (1,))
    s = dim_arg(start_dim, x.ndim)
    e = dim_arg(end_dim, x.ndim)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    n = 1
    for d in x.shape[s:e + 1]:
        n *= d
    return reshape(input, x.shape[:s] + (n,) + x.shape[e + 1:])


def ravel(input):
    return reshape(input, (-1,))


def unflatten(input, dim, sizes):
    x = input._data
    d = dim_arg(dim, x.ndim)
    sizes = tuple(sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    known = int(np.prod([s for s in sizes if s != -1]))
    if (known != x.shape[d]) if -1 not in sizes else (sizes.count(-1) == 1 and (known == 0 or x.shape[d] % known)):
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {d} "
                           f"({x.shape[d]}) in the input tensor")
    if -1 in sizes:
        sizes = _infer(sizes, x.shape[d], None)
    return reshape(input, x.shape[:d] + sizes + x.shape[d + 1:])


def squeeze(input, dim=None):
    x = input._data
    if dim is None:
        shape = tuple(s for s in x.shape if s != 1)
    else:
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        dims = {dim_arg(d, x.ndim) for d in dims} if x.ndim else set()
        shape = tuple(s for i, s in enumerate(x.shape) if not (i in dims and s == 1))
    name = ("SqueezeBackward0" if dim is None else "SqueezeBackward2" if isinstance(dim, (tuple, list))
            else "SqueezeBackward1")
    return _view_reshape(input, shape, name)


def unsqueeze(input, dim):
    x = input._data
    d = dim_arg(dim, x.ndim + 1)
    return _view_reshape(input, x.shape[:d] + (1,) + x.shape[d:], "UnsqueezeBackward0")


def _view_reshape(input, shape, name):
    x = input._data
    in_shape = x.shape

    def backward(g):
        return (g.reshape(in_shape),)
    return make(x.reshape(shape), (input,), backward, name, view_of=input)


def _alias(input):
    def backward(g):
        return (g,)
    return make(input._data.view(), (input,), backward, "AliasBackward0", view_of=input)


def permute(input, *dims):
    dims = _shape_args(dims)
    x = input._data
    if len(dims) != x.ndim:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match the "
                           f"length of the desired ordering of dimensions i.e. input.dim() = {x.ndim} is not "
                           f"equal to len(dims) = {len(dims)}")
    dims = tuple(dim_arg(d, x.ndim) for d in dims)
    if len(set(dims)) != len(dims):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    inverse = tuple(np.argsort(dims))

    def backward(g):
        return (g.transpose(inverse),)
    return make(x.transpose(dims), (input,), backward, "PermuteBackward0", view_of=input)


def transpose(input, dim0, dim1):
    x = input._data
    if x.ndim == 0:
        return _alias(input)
    d0, d1 = dim_arg(dim0, x.ndim), dim_arg(dim1, x.ndim)

    def backward(g):
        return (np.swapaxes(g, d0, d1),)
    return make(np.swapaxes(x, d0, d1), (input,), backward, "TransposeBackward0", view_of=input)


swapaxes = swapdims = transpose


def t(input):
    if input._data.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input._data.ndim}D")
    if input._data.ndim < 2:
        return _view_reshape(input, input._data.shape, "TBackward0")

    def backward(g):
        return (g.T,)
    return make(input._data.T, (input,), backward, "TBackward0", view_of=input)


def movedim(input, source, destination):
    x = input._data
    src = source if isinstance(source, (tuple, list)) else (source,)
    dst = destination if isinstance(destination, (tuple, list)) else (destination,)
    order = [d for d in range(x.ndim) if d not in {dim_arg(s, x.ndim) for s in src}]
    for d, s in sorted(zip((dim_arg(d, x.ndim) for d in dst), (dim_arg(s, x.ndim) for s in src))):
        order.insert(d, s)
    return permute(input, order)


moveaxis = movedim


def expand(input, *sizes):
    sizes = _shape_args(sizes)
    x = input._data
    if len(sizes) < x.ndim:
        raise RuntimeError(f"expand(torch.FloatTensor{{{list(x.shape)}}}, size={list(sizes)}): the number of "
                           f"sizes provided ({len(sizes)}) must be greater or equal to the number of dimensions "
                           f"in the tensor ({x.ndim})")
    lead = len(sizes) - x.ndim
    target = []
    for i in reversed(range(len(sizes))):  # from the last dim, as PyTorch checks (its error names that one)
        s = sizes[i]
        if i < lead:
            if s == -1:
                raise RuntimeError(f"The expanded size of the tensor (-1) isn't allowed in a leading, "
                                   f"non-existing dimension {i}")
            target.append(s)
            continue
        cur = x.shape[i - lead]
        if s == -1:
            s = cur
        if cur != s and cur != 1:
            raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing size ({cur}) at "
                               f"non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: "
                               f"{list(x.shape)}")
        target.append(s)
    target = tuple(reversed(target))
    in_shape = x.shape
    from ._core import unbroadcast

    def backward(g):
        return (unbroadcast(g, in_shape),)
    # np.broadcast_to's view is read-only; the same strides over x are writable where x is, as in
    # PyTorch (writes that would land on one element from several are refused in ops/inplace.py)
    strides = np.broadcast_to(x, target).strides
    return make(np.lib.stride_tricks.as_strided(x, target, strides), (input,), backward, "ExpandBackward0",
                view_of=input)


def expand_as(input, other):
    return expand(input, other._data.shape)


broadcast_to = expand


def broadcast_tensors(*tensors):
    shape = np.broadcast_shapes(*(t._data.shape for t in tensors))
    return tuple(expand(t, shape) for t in tensors)


def repeat(input, *sizes):
    sizes = _shape_args(sizes)
    x = input._data
    if len(sizes) < x.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions "
                           "of tensor")
    xs = x.reshape((1,) * (len(sizes) - x.ndim) + x.shape)
    out = np.tile(xs, sizes)

    def backward(g):
        # fold each repeated axis into (repeats, size) and sum the repeats away
        shape = []
        for r, s in zip(sizes, xs.shape):
            shape += [r, s]
        return (g.reshape(shape).sum(axis=tuple(range(0, 2 * len(sizes), 2))).reshape(x.shape),)
    return make(out, (input,), backward, "RepeatBackward0")


def tile(input, dims):
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(dims) < input._data.ndim:
        dims = (1,) * (input._data.ndim - len(dims)) + dims
    return repeat(input, dims)


def tensor_list(fn, tensors):
    """`tensors` as a list, or PyTorch's TypeError when it is not a list or tuple of Tensors
    (a generator, a set or a single Tensor is refused there, not iterated)."""
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{fn}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
                        f"{type(tensors).__name__}")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got {type(t).__name__}")
    return list(tensors)


def _same_dtype_arrays(tensors):
    """The tensors' arrays when they are all Tensors of one dtype, all with dimensions and the
    same number of them (the common case of cat and stack, which needs no type promotion and
    whose shape rules are NumPy's), else None: the general path then checks and explains."""
    if type(tensors) is not list and type(tensors) is not tuple:
        return None
    try:
        arrays = [t._data for t in tensors]
    except AttributeError:  # not all Tensors: the general path raises PyTorch's error
        return None
    if not arrays:
        return None
    first = arrays[0]
    dt, nd = first.dtype, first.ndim
    if not nd:
        return None
    for a in arrays:
        if a.dtype != dt or a.ndim != nd:
            return None
    return arrays


def _cat_same_dtype(tensors, arrays, dim):
    """cat of tensors of one dtype and rank: one np.concatenate, and a backward of slices."""
    nd = arrays[0].ndim
    if type(dim) is not int or not -nd <= dim < nd:
        return None
    d = dim % nd
    try:
        out_arr = np.concatenate(arrays, axis=d)
    except ValueError:  # sizes differ off `dim`: the general path words the error
        return None
    spans = []
    start = 0
    for a in arrays:
        stop = start + a.shape[d]
        spans.append(slice(start, stop))
        start = stop
    lead = (slice(None),) * d

    def backward(g):
        if d == 0:
            return tuple([g[s] for s in spans])
        return tuple([g[lead + (s,)] for s in spans])
    return make(out_arr, tuple(tensors), backward, "CatBackward0")


def cat(tensors, dim=0, *, out=None, axis=None):
    """Join tensors along the existing dimension `dim`."""
    return _cat(tensors, dim if axis is None else axis, "cat")  # axis: NumPy's name, which PyTorch accepts


def concat(tensors, dim=0, *, out=None, axis=None):
    """Alias of cat."""
    return _cat(tensors, dim if axis is None else axis, "concat")


def concatenate(tensors, dim=0, *, out=None, axis=None):
    """Alias of cat."""
    return _cat(tensors, dim if axis is None else axis, "concatenate")


def _cat(tensors, dim, fn):
    arrays = _same_dtype_arrays(tensors)
    if arrays is not None:
        result = _cat_same_dtype(tensors, arrays, dim)
        if result is not None:
            return result
    tensors = tensor_list(fn, tensors)
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    # PyTorch skips 1-D empty tensors (legacy behaviour); they still get a (empty) gradient
    keep = [not (t._data.ndim == 1 and t._data.shape[0] == 0) for t in tensors]
    if not any(keep):
        keep[0] = True
    kept = [t for t, k in zip(tensors, keep) if k]
    ref = kept[0]._data
    d = dim_arg(dim, ref.ndim)
    for i, t in enumerate(kept):
        if t._data.ndim != ref.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {ref.ndim} and {t._data.ndim}")
        for ax in range(ref.ndim):
            if ax != d and t._data.shape[ax] != ref.shape[ax]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. Expected size "
                                   f"{ref.shape[ax]} but got size {t._data.shape[ax]} for tensor number {i} in the list.")
    from .._dtype import result_type
    dt = result_type(*tensors).np
    arrays = [t._data if t._data.dtype == dt else t._data.astype(dt) for t in kept]
    out_arr = np.concatenate(arrays, axis=d)
    bounds = np.cumsum([a.shape[d] for a in arrays])[:-1]

    def backward(g):
        parts = iter(np.split(g, bounds, axis=d))
        return tuple(next(parts).astype(t._data.dtype, copy=False) if k else np.zeros(t._data.shape, t._data.dtype)
                     for t, k in zip(tensors, keep))
    return make(out_arr, tuple(tensors), backward, "CatBackward0")


def stack(tensors, dim=0, *, out=None, axis=None):
    """Join equally shaped tensors along a new dimension `dim`."""
    if axis is not None:  # NumPy's name, which PyTorch also accepts
        dim = axis
    arrays = _same_dtype_arrays(tensors)
    if arrays is not None:
        result = _stack_same_dtype(tensors, arrays, dim)
        if result is not None:
            return result
    tensors = nonempty_tensor_list("stack", tensors)
    shape = tensors[0]._data.shape
    for i, t in enumerate(tensors):
        if t._data.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(shape)} at entry 0 and "
                               f"{list(t._data.shape)} at entry {i}")
    d = dim_arg(dim, len(shape) + 1)
    from .._dtype import result_type
    dt = result_type(*tensors).np
    out_arr = np.stack([t._data if t._data.dtype == dt else t._data.astype(dt) for t in tensors], axis=d)
    dtypes = [t._data.dtype for t in tensors]

    def backward(g):
        return tuple(np.take(g, i, axis=d).astype(dtypes[i], copy=False) for i in range(len(dtypes)))
    return make(out_arr, tuple(tensors), backward, "StackBackward0")


def _stack_same_dtype(tensors, arrays, dim):
    """stack of equally shaped tensors of one dtype: each copied into its slot of one new array
    (np.stack's own checks and reshapes cost more than the copies at everyday sizes); the
    backward hands each input its slice of the gradient."""
    shape = arrays[0].shape
    nd = len(shape)
    if type(dim) is not int or not -nd - 1 <= dim <= nd:
        return None
    for a in arrays:
        if a.shape != shape:
            return None
    d = dim % (nd + 1)
    out_arr = np.empty(shape[:d] + (len(arrays),) + shape[d:], arrays[0].dtype)
    lead = (slice(None),) * d
    if d == 0:
        for i, a in enumerate(arrays):
            out_arr[i] = a
    else:
        for i, a in enumerate(arrays):
            out_arr[lead + (i,)] = a

    def backward(g):
        if d == 0:
            return tuple([g[i] for i in range(len(arrays))])
        return tuple([g[lead + (i,)] for i in range(len(arrays))])
    return make(out_arr, tuple(tensors), backward, "StackBackward0")


def hstack(tensors):
    """Concatenate along dim 1 (dim 0 for 1-D tensors), after atleast_1d on each."""
    tensors = [atleast_1d(t) for t in nonempty_tensor_list("hstack", tensors)]
    return cat(tensors, 0 if tensors[0]._data.ndim == 1 else 1)


def vstack(tensors):
    """Concatenate along dim 0, after atleast_2d on each."""
    return cat([atleast_2d(t) for t in nonempty_tensor_list("vstack", tensors)], 0)


def row_stack(tensors):
    """Alias of vstack (PyTorch's argument errors name row_stack, its empty-list error vstack)."""
    return vstack(tensor_list("row_stack", tensors))


def nonempty_tensor_list(fn, tensors):
    """tensor_list, refusing an empty one with PyTorch's '<fn> expects a non-empty TensorList'."""
    tensors = tensor_list(fn, tensors)
    if not tensors:
        raise RuntimeError(f"{fn} expects a non-empty TensorList")
    return tensors


def per_tensor(fn, tensors):
    """torch.atleast_*d's calling forms: one tensor gives one result; several tensors, or one
    list or tuple of them, give a tuple."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tuple(fn(t) for t in tensors[0])
    if len(tensors) != 1:  # none: an empty tuple, as PyTorch
        return tuple(fn(t) for t in tensors)
    return fn(tensors[0])


def _atleast_1d(input):
    return _view_reshape(input, (1,), "UnsqueezeBackward0") if input._data.ndim == 0 else input


def _atleast_2d(input):
    x = input._data
    return _view_reshape(input, (1,) * (2 - x.ndim) + x.shape, "UnsqueezeBackward0") if x.ndim < 2 else input


def atleast_1d(*tensors):
    """View as at least 1-D: () → (1,)."""
    return per_tensor(_atleast_1d, tensors)


def atleast_2d(*tensors):
    """View as at least 2-D: () → (1, 1), (n,) → (1, n)."""
    return per_tensor(_atleast_2d, tensors)


def _part(input, d, index, name):
    """The view input[..., index, ...] with `index` (an int or slice) at dimension d."""
    x = input._data
    idx = (slice(None),) * d + (index,)
    shape = x.shape

    def backward(g):
        gx = np.zeros(shape, dtype=g.dtype)
        gx[idx] = g
        return (gx,)
    return make(x[idx + (Ellipsis,)], (input,), backward, name, view_of=input)


def narrow(input, dim, start, length):
    """The view of `length` entries of dimension `dim` from `start`."""
    d = dim_arg(dim, input._data.ndim)
    n = input._data.shape[d]
    if start < 0:
        start += n
    if not 0 <= start <= n or length < 0 or start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return _part(input, d, slice(start, start + length), "SliceBackward0")


def select(input, dim, index):
    """The view at position `index` of dimension `dim` (that dimension removed)."""
    d = dim_arg(dim, input._data.ndim)
    n = input._data.shape[d]
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(input._data.shape)} at "
                         f"dimension {d}")
    return _part(input, d, index % n, "SelectBackward0")


def split(input, split_size_or_sections, dim=0):
    x = input._data
    d = dim_arg(dim, x.ndim)
    n = x.shape[d]
    if isinstance(split_size_or_sections, int):
        size = split_size_or_sections
        if size < 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got split_size={size}")
        if size == 0 and n:
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {n}")
        sizes = [size] * (n // size) + ([n % size] if n % size else []) if size else [0]
        if n == 0:
            sizes = [0]
    else:
        sizes = list(split_size_or_sections)
        if builtins.any(v < 0 for v in sizes):
            raise RuntimeError(f"split_with_sizes expects split_sizes have only non-negative entries, but got "
                               f"split_sizes={sizes}")
        if builtins.sum(sizes) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size "
                               f"at dimension {d}), but got split_sizes={sizes}")
    name = "SplitBackward0" if isinstance(split_size_or_sections, int) else "SplitWithSizesBackward0"
    out = []
    start = 0
    for s in sizes:
        out.append(_part(input, d, slice(start, start + s), name))
        start += s
    return tuple(out)


def chunk(input, chunks, dim=0):
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    n = input._data.shape[dim_arg(dim, input._data.ndim)]
    size = -(-n // chunks) if n else 1
    return split(input, size, dim)


def unbind(input, dim=0):
    d = dim_arg(dim, input._data.ndim)
    return tuple(_part(input, d, i, "UnbindBackward0") for i in range(input._data.shape[d]))


def flip(input, dims):
    x = input._data
    if x.ndim == 0:
        dim_arg(dims if isinstance(dims, int) else (tuple(dims) or (0,))[0], 0)
        return make(x.copy(), (input,), lambda g: (g,), "FlipBackward0")
    dims = tuple(dim_arg(d, x.ndim) for d in (dims if isinstance(dims, (tuple, list)) else (dims,)))

    def backward(g):
        return (np.flip(g, dims),)
    return make(np.flip(x, dims).copy(), (input,), backward, "FlipBackward0")


def fliplr(input):
    return flip(input, (1,))


def flipud(input):
    return flip(input, (0,))


def roll(input, shifts, dims=None):
    x = input._data

    def backward(g):
        neg = tuple(-s for s in shifts) if isinstance(shifts, (tuple, list)) else -shifts
        return (np.roll(g, neg, dims if dims is None or isinstance(dims, int) else tuple(dims)).reshape(x.shape),)
    ax = dims if dims is None or isinstance(dims, int) else tuple(dims)
    out = np.roll(x, shifts, ax)
    return make(out, (input,), backward, "RollBackward0")


def diag(input, diagonal=0):
    x = input._data
    if x.ndim == 1:
        def backward(g):
            return (np.diagonal(g, diagonal).copy(),)
        return make(np.diag(x, diagonal), (input,), backward, "DiagEmbedBackward0")
    return _diagonal(input, diagonal)


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The view of the diagonal (dim1, dim2), shifted by offset, as the last dimension: writes
    through it (A.diagonal().add_(eps)) reach input, as in PyTorch. np.diagonal's own view is
    read-only, so the same strides are laid over the diagonal's first element."""
    x = input._data
    nd = x.ndim
    dim1, dim2 = dim_arg(dim1, nd), dim_arg(dim2, nd)
    if dim1 == dim2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    square = np.moveaxis(x, (dim1, dim2), (-2, -1))
    corner = square[..., :, offset:] if offset >= 0 else square[..., -offset:, :]
    n = max(0, min(corner.shape[-2], corner.shape[-1]))
    out = np.lib.stride_tricks.as_strided(corner, corner.shape[:-2] + (n,),
                                          corner.strides[:-2] + (corner.strides[-2] + corner.strides[-1],))

    def backward(g):
        gx = np.zeros_like(x)
        idx = np.arange(out.shape[-1])
        gm = np.moveaxis(gx, (dim1, dim2), (-2, -1))
        rows, cols = (idx, idx + offset) if offset >= 0 else (idx - offset, idx)
        gm[..., rows, cols] = g
        return (gx,)
    return make(out, (input,), backward, "DiagonalBackward0", view_of=input)


_diagonal = diagonal  # diag() takes a parameter named `diagonal`


def _tri(name, fn):
    def op(input, diagonal=0):
        def backward(g):
            return (fn(g, diagonal),)
        return make(fn(input._data, diagonal), (input,), backward, name)
    return op


tril = _tri("TrilBackward0", np.tril)
triu = _tri("TriuBackward0", np.triu)


def expand_copy(input, *sizes):
    from .conversion import clone
    return clone(expand(input, *sizes))


_meshgrid_warned = [False]


def meshgrid(*tensors, indexing=None):
    if indexing is None:  # PyTorch's default, with its once-per-process warning (always: set_warn_always)
        indexing = "ij"
        from .._compat import _warn_always
        if not _meshgrid_warned[0] or _warn_always[0]:
            _meshgrid_warned[0] = True
            import warnings
            warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the indexing "
                          "argument.", UserWarning, stacklevel=2)
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    tensors = nonempty_tensor_list("meshgrid", tensors)
    if indexing not in ("xy", "ij"):
        raise RuntimeError(f'torch.meshgrid: indexing must be one of "xy" or "ij", but received: {indexing}')
    if any(t._data.dtype != tensors[0]._data.dtype for t in tensors):
        raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    for t in tensors:
        if t._data.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {t}")
    shape = tuple(t._data.shape[0] if t._data.ndim else 1 for t in tensors)
    if indexing == "xy" and len(shape) >= 2:
        shape = (shape[1], shape[0]) + shape[2:]
    out = []
    for i, t in enumerate(tensors):
        pos = i
        if indexing == "xy" and len(shape) >= 2 and i < 2:
            pos = 1 - i
        view_shape = [1] * len(shape)
        view_shape[pos] = -1
        out.append(expand(reshape(t, view_shape), shape))
    return tuple(out)


def unfold(input, dimension, size, step):
    """Tensor.unfold: sliding windows of `size` along `dimension` as a new last axis."""
    x = input._data
    d = dim_arg(dimension, x.ndim)
    n = (x.shape[d] - size) // step + 1
    windows = np.lib.stride_tricks.sliding_window_view(x, size, axis=d)
    sl = [slice(None)] * windows.ndim
    sl[d] = slice(0, n * step, step)
    out = windows[tuple(sl)]

    def backward(g):
        gx = np.zeros(x.shape, dtype=g.dtype)
        gm = np.moveaxis(gx, d, -1)  # a view: writes land in gx
        idx = (np.arange(n) * step)[:, None] + np.arange(size)
        gw = np.moveaxis(g, d, -2)
        if step >= size:
            gm[..., idx] = gw  # windows do not overlap
        else:
            np.add.at(gm, (Ellipsis, idx), gw)  # overlapping windows accumulate
        return (gx,)
    return make(out, (input,), backward, "UnfoldBackward0", view_of=input)
