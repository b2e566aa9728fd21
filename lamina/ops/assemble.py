"""Building tensors from pieces and pieces from tensors: tensor_split, h/v/dsplit, dstack, block_diag, kron, rot90, index grids.

Splits return views of their input (as PyTorch's do); everything that assembles a new layout
returns a fresh array. Composites (kron, cartesian_prod, dstack) are written with the shape and
arithmetic ops, so their gradients come from those ops' backward."""
import itertools

import numpy as np

from .._compat import check_layout
from .._dtype import get_default_dtype, result_type, to_dtype
from ..tensor import Size, Tensor
from ._core import dim_arg, make, wrap
from .arithmetic import type_name
from .shape import (_part, _view_reshape, cat, chunk, diag, narrow, nonempty_tensor_list, per_tensor, reshape,
                    split, stack, transpose)

__all__ = ["tensor_split", "hsplit", "vsplit", "dsplit", "dstack", "column_stack", "atleast_3d", "block_diag",
           "cartesian_prod", "combinations", "rot90", "tril_indices", "triu_indices", "unravel_index",
           "diag_embed", "diagflat", "kron", "vander", "broadcast_shapes", "narrow_copy", "split_with_sizes",
           "unsafe_split", "unsafe_split_with_sizes", "unsafe_chunk", "resolve_conj", "resolve_neg", "conj",
           "is_conj", "is_neg", "adjoint"]
METHODS = ["tensor_split", "hsplit", "vsplit", "dsplit", "rot90", "diag_embed", "diagflat", "kron",
           "narrow_copy", "split_with_sizes", "unsafe_split", "unsafe_split_with_sizes", "unsafe_chunk",
           "sum_to_size", "resolve_conj", "resolve_neg", "conj", "is_conj", "is_neg", "adjoint"]
INPLACE = []


# ---- splitting ---------------------------------------------------------------------------------

def tensor_split(input, indices_or_sections, dim=0):
    """Split into `sections` nearly equal views (the first n % sections one longer), or at the
    given indices (Python slice semantics: x[:i0], x[i0:i1], ..., x[ik:]) along `dim`.

    Args:
        indices_or_sections (int, list of ints or 0-/1-D int64 tensor): sections or split points.
        dim (int): the dimension to split."""
    x = input._data
    if x.ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a tensor with 0 dims")
    if isinstance(indices_or_sections, Tensor):
        arr = indices_or_sections._data
        if arr.ndim > 1:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to be a zero-dimensional or "
                               f"one-dimensional tensor, but got a tensor with {arr.ndim} dims")
        if arr.dtype != np.int64:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to have dtype of long, but got "
                               f"{type_name(arr.dtype)}")
        indices_or_sections = int(arr) if arr.ndim == 0 else arr.tolist()
    d = dim_arg(dim, x.ndim)
    n = x.shape[d]
    if isinstance(indices_or_sections, (int, np.integer)):
        sections = int(indices_or_sections)
        if sections <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {sections}")
        size, extra = divmod(n, sections)
        bounds = [i * size + min(i, extra) for i in range(sections + 1)]
    else:
        bounds = [0] + [int(i) for i in indices_or_sections] + [None]
    return tuple(_part(input, d, slice(a, b), "SliceBackward0") for a, b in zip(bounds[:-1], bounds[1:]))


def _directional_split(name, input, indices_or_sections, min_dims, dim):
    x = input._data
    if x.ndim < min_dims:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {min_dims} dimension, but got a "
                           f"tensor with {x.ndim} dimensions!")
    if isinstance(indices_or_sections, (int, np.integer)):
        size = int(indices_or_sections)
        if size == 0 or x.shape[dim] % size:
            raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the size of the "
                               f"dimension {x.shape[dim]} is not divisible by the split_size {size}!")
    return tensor_split(input, indices_or_sections, dim)


def hsplit(input, indices_or_sections):
    """tensor_split along dim 1 (dim 0 for a 1-D tensor); an int must divide that size."""
    return _directional_split("hsplit", input, indices_or_sections, 1, 0 if input._data.ndim == 1 else 1)


def vsplit(input, indices_or_sections):
    """tensor_split along dim 0 of a tensor with at least 2 dimensions."""
    return _directional_split("vsplit", input, indices_or_sections, 2, 0)


def dsplit(input, indices_or_sections):
    """tensor_split along dim 2 of a tensor with at least 3 dimensions."""
    return _directional_split("dsplit", input, indices_or_sections, 3, 2)


def split_with_sizes(input, split_sizes, dim=0):
    """split() with an explicit list of sizes (they must sum to the dimension's size)."""
    return split(input, list(split_sizes), dim)


# PyTorch's unsafe_* variants differ only in not tracking the views for in-place checks
unsafe_split = split
unsafe_chunk = chunk
unsafe_split_with_sizes = split_with_sizes


def narrow_copy(input, dim, start, length):
    """A copy (not a view) of narrow(input, dim, start, length)."""
    from .conversion import clone
    return clone(narrow(input, dim, start, length))


# ---- stacking ----------------------------------------------------------------------------------

def _atleast_3d(input):
    x = input._data
    if x.ndim >= 3:
        return input
    shape = {0: (1, 1, 1), 1: (1,) + x.shape + (1,), 2: x.shape + (1,)}[x.ndim]
    return _view_reshape(input, shape, "ViewBackward0" if x.ndim == 0 else "UnsqueezeBackward0")


def atleast_3d(*tensors):
    """View as at least 3-D: () → (1, 1, 1), (n,) → (1, n, 1), (m, n) → (m, n, 1). Several tensors
    (or one list of them) give a tuple."""
    return per_tensor(_atleast_3d, tensors)


def dstack(tensors):
    """Concatenate along the third dimension (after atleast_3d on each)."""
    tensors = nonempty_tensor_list("dstack", tensors)
    return cat([_atleast_3d(t) for t in tensors], 2)


def column_stack(tensors):
    """Stack as columns: 0-/1-D tensors become (n, 1) columns, then concatenate along dim 1."""
    tensors = nonempty_tensor_list("column_stack", tensors)
    cols = [reshape(t, (t._data.size, 1)) if t._data.ndim <= 1 else t for t in tensors]
    return cat(cols, 1)


def block_diag(*tensors):
    """The block-diagonal matrix with the given tensors (0-D, 1-D as a row, or 2-D) as blocks.

    Shape: (sum of rows, sum of columns); the dtype is the promoted dtype of all blocks."""
    blocks = []
    for i, t in enumerate(tensors):
        a = t._data
        if a.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} has "
                               f"{a.ndim} dimensions")
        blocks.append(a.reshape((1,) * (2 - a.ndim) + a.shape))
    dt = result_type(*tensors).np if tensors else get_default_dtype().np
    rows = np.cumsum([0] + [b.shape[0] for b in blocks])
    cols = np.cumsum([0] + [b.shape[1] for b in blocks])
    out = np.zeros((int(rows[-1]) if blocks else 1, int(cols[-1])), dtype=dt)
    for b, r, c in zip(blocks, rows, cols):
        out[r:r + b.shape[0], c:c + b.shape[1]] = b

    def backward(g):
        return tuple(g[r:r + b.shape[0], c:c + b.shape[1]].reshape(t._data.shape).astype(t._data.dtype, copy=False)
                     if t._requires_grad else None for t, b, r, c in zip(tensors, blocks, rows, cols))
    return make(out, tuple(tensors), backward, "BlockDiagBackward0")


def _check_vector(t):
    if t._data.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(t._data.shape)}")


def cartesian_prod(*tensors):
    """Every tuple (a_i, b_j, ...) of the 1-D inputs' elements, as rows, in lexicographic order.

    Shape: (n_a * n_b * ..., number of inputs); a single input is returned as it is."""
    from .shape import meshgrid
    for t in tensors:
        _check_vector(t)
    if len(tensors) == 1:  # meshgrid checks the others (none, or mixed dtypes), in its words as in PyTorch
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([reshape(g, (-1,)) for g in grids], 1)


def combinations(input, r=2, with_replacement=False):
    """All length-r combinations of a 1-D tensor's elements (as itertools.combinations, or
    combinations_with_replacement), one per row. Shape: (number of combinations, r)."""
    _check_vector(input)
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return make(np.empty(0, dtype=input._data.dtype), (), None, "")
    n = input._data.shape[0]
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    idx = np.fromiter(itertools.chain.from_iterable(pick(range(n), r)), dtype=np.intp).reshape(-1, r)
    x = input._data

    def backward(g):
        gx = np.zeros(x.shape, dtype=g.dtype)
        np.add.at(gx, idx, g)
        return (gx,)
    return make(x[idx], (input,), backward, "StackBackward0")


# ---- rearranging -------------------------------------------------------------------------------

def rot90(input, k=1, dims=(0, 1)):
    """Rotate by 90° k times in the plane of `dims`, from the first dim towards the second.

    Args:
        k (int): number of quarter turns (negative turns the other way).
        dims (pair of ints): the plane of rotation."""
    dims = list(dims)
    x = input._data
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if x.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {x.ndim}")
    d0, d1 = dim_arg(dims[0], x.ndim), dim_arg(dims[1], x.ndim)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {dims[0]} and dim1 = {dims[1]}")
    k %= 4
    # as PyTorch: one flipped copy, then (for odd k) a transposed view of it, so the result has
    # torch's strides and no second, transposing copy is made
    if k == 0:
        out = x.copy()
    elif k == 2:
        out = np.flip(x, (d0, d1)).copy()
    else:
        out = np.swapaxes(np.flip(x, d1 if k == 1 else d0).copy(), d0, d1)

    def backward(g):
        return (np.rot90(g, -k, (d0, d1)),)
    return make(out, (input,), backward, "Rot90Backward0")


def adjoint(input):
    """The conjugate transpose of the last two dimensions (a view; real tensors are only transposed)."""
    if input._data.ndim < 2:
        raise RuntimeError("tensor.adjoint() is only supported on matrices or batches of matrices. Got "
                           f"{input._data.ndim}-D tensor.")
    return transpose(input, -2, -1)


def resolve_conj(input):
    """The tensor itself: lamina has no lazily conjugated tensors."""
    return input


def resolve_neg(input):
    """The tensor itself: lamina has no lazily negated tensors."""
    return input


def conj(input):
    """The complex conjugate; for the real tensors lamina holds, the tensor itself."""
    return input


def is_conj(input):
    return False


def is_neg(input):
    return False


def sum_to_size(input, *size):
    """Sum broadcast dimensions away so that the result has `size` (which must expand to input's)."""
    size = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else tuple(size)
    shape = input._data.shape
    lead = len(shape) - len(size)
    if lead < 0 or any(s != n and s != 1 for s, n in zip(size, shape[lead:])):
        raise RuntimeError(f"size {{{list(size)}}} is not expandable to size {{{list(shape)}}}.")
    if size == shape:
        return input
    from .reduction import sum as _sum
    dims = tuple(range(lead)) + tuple(lead + i for i, (s, n) in enumerate(zip(size, shape[lead:])) if s == 1 and n != 1)
    return reshape(_sum(input, dims, keepdim=True), size)


# ---- diagonals and products --------------------------------------------------------------------

def diag_positions(rows, cols, offset):
    """(row indices, column indices) of diagonal `offset` of a rows × cols matrix."""
    if offset >= 0:
        i = np.arange(max(0, min(rows, cols - offset)))
        return i, i + offset
    i = np.arange(max(0, min(rows + offset, cols)))
    return i - offset, i


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """A tensor whose diagonals (in the planes of dim1 and dim2) hold input's last dimension.

    Shape: input (*, n) → output with two new dimensions of size n + |offset| at dim1 and dim2."""
    x = input._data
    nd = x.ndim + 1
    d1, d2 = dim_arg(dim1, nd), dim_arg(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    n = x.shape[-1] if x.ndim else 1
    m = n + abs(offset)
    batch = x.shape[:-1]
    if {d1, d2} == {nd - 2, nd - 1}:
        # the new dims are the last two: the diagonal is every (m + 1)-th element of each flat
        # m * m block, written and read through a strided view (no index arrays)
        off = offset if d1 < d2 else -offset
        start = off if off >= 0 else -off * m
        flat = np.zeros(batch + (m * m,), dtype=x.dtype)
        flat[..., start::m + 1][..., :n] = x

        def backward(g):
            return (g.reshape(batch + (m * m,))[..., start::m + 1][..., :n].reshape(x.shape),)
        return make(flat.reshape(batch + (m, m)), (input,), backward, "DiagEmbedBackward0")
    rows, cols = diag_positions(m, m, offset)
    shape = list(batch)
    for pos in sorted((d1, d2)):
        shape.insert(pos, m)
    out = np.zeros(shape, dtype=x.dtype)
    np.moveaxis(out, (d1, d2), (-2, -1))[..., rows, cols] = x  # a view: the write lands in out

    def backward(g):
        return (np.moveaxis(g, (d1, d2), (-2, -1))[..., rows, cols].reshape(x.shape),)
    return make(out, (input,), backward, "DiagEmbedBackward0")


def diagflat(input, offset=0):
    """The 2-D matrix with the flattened input on diagonal `offset`."""
    return diag(reshape(input, (-1,)), offset)


def kron(input, other):
    """The Kronecker product: out[i*p + k, j*q + l] = input[i, j] * other[k, l] (any ndim;
    the lower-dimensional operand gets leading size-1 dimensions)."""
    a, b = input._data, other._data
    dt = result_type(input, other).np
    nd = max(a.ndim, b.ndim)
    ash = (1,) * (nd - a.ndim) + a.shape
    bsh = (1,) * (nd - b.ndim) + b.shape
    # interleave: input's dims at even positions, other's at odd; the product's pairs merge
    ai = a.astype(dt, copy=False).reshape(tuple(s for n in ash for s in (n, 1)))
    bi = b.astype(dt, copy=False).reshape(tuple(s for n in bsh for s in (1, n)))
    prod_shape = tuple(s for p, q in zip(ash, bsh) for s in (p, q))

    def backward(g):
        g = g.reshape(prod_shape)
        ga = gb = None
        if input._requires_grad:
            ga = (g * bi).sum(axis=tuple(range(1, 2 * nd, 2))).reshape(a.shape).astype(a.dtype, copy=False)
        if other._requires_grad:
            gb = (g * ai).sum(axis=tuple(range(0, 2 * nd, 2))).reshape(b.shape).astype(b.dtype, copy=False)
        return ga, gb
    out = (ai * bi).reshape(tuple(p * q for p, q in zip(ash, bsh)))
    return make(out, (input, other), backward, "KronBackward0", saved=(input, other))


def vander(x, N=None, increasing=False):
    """The Vandermonde matrix: column j is x ** (N - 1 - j) (x ** j if increasing).

    Integer and bool inputs give int64."""
    if x._data.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x._data.shape[0]
    N = n if N is None else N
    if N < 0:
        raise RuntimeError("N must be non-negative.")
    a = x._data if x._data.dtype.kind == "f" else x._data.astype(np.int64)
    powers = np.arange(N) if increasing else np.arange(N - 1, -1, -1)
    out = a[:, None] ** powers.astype(a.dtype)

    def backward(g):
        # d/dx x**p = p * x**(p-1); the p = 0 column contributes nothing (and would give 0 * inf at 0)
        live = powers > 0
        p = powers[live].astype(a.dtype)
        return ((g[:, live] * p * a[:, None] ** (p - 1)).sum(1),)
    return make(out, (x,), backward, "VanderBackward0")


# ---- index grids -------------------------------------------------------------------------------

def _tri_indices(name, fn, row, col, offset, dtype):
    dt = to_dtype(dtype if dtype is not None else "int64")
    if dt.np not in (np.dtype(np.int64), np.dtype(np.int32)):
        raise NotImplementedError(f'"{name}" not implemented for \'{type_name(dt.np)}\'')
    if row < 0:
        raise RuntimeError(f"row must be non-negative, got{row}")
    if col < 0:
        raise RuntimeError(f"col must be non-negative, got{col}")
    return wrap(np.stack(fn(row, offset, col)).astype(dt.np))


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """Coordinates (2, N) of the lower triangle (on and below diagonal `offset`) of a row × col
    matrix, row by row."""
    check_layout(layout, "tril_indices")
    return _tri_indices("tril_indices", np.tril_indices, row, col, offset, dtype)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """Coordinates (2, N) of the upper triangle (on and above diagonal `offset`) of a row × col
    matrix, row by row."""
    check_layout(layout, "triu_indices")
    return _tri_indices("triu_indices", np.triu_indices, row, col, offset, dtype)


def unravel_index(indices, shape):
    """The coordinates in a tensor of `shape` of each flat index (negative ones count from the end).

    Returns: a tuple of int64 tensors, one per dimension, each of indices' shape."""
    idx = indices._data if isinstance(indices, Tensor) else np.asarray(indices)
    if idx.dtype.kind not in "iu":
        name = {"float32": "torch.float32", "float64": "torch.float64", "bool": "torch.bool"}.get(idx.dtype.name,
                                                                                                  idx.dtype.name)
        raise TypeError(f"expected 'indices' to be integer dtype, but got {name}")
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)
    if any(s < 0 for s in shape):
        raise ValueError(f"'shape' cannot have negative values, but got {shape}")
    idx = idx.astype(np.int64)
    out = []
    stride = 1
    for s in reversed(shape):
        out.append(wrap((idx // stride) % s if s else np.zeros_like(idx)))
        stride *= s
    return tuple(reversed(out))


def broadcast_shapes(*shapes):
    """The shape all given shapes broadcast to (as torch.Size), without making tensors."""
    shapes = [(s,) if isinstance(s, (int, np.integer)) else tuple(s) for s in shapes]
    n = max((len(s) for s in shapes), default=0)
    result = [1] * n
    for s in shapes:
        for i, size in enumerate(s, n - len(s)):
            if size < 0:
                raise ValueError("Attempting to broadcast a dimension with negative length!")
    for k, s in enumerate(shapes):
        for i in range(n - 1, n - len(s) - 1, -1):  # from the last dimension, as PyTorch reports
            size = s[i - n + len(s)]
            if size == result[i] or size == 1:
                continue
            if result[i] != 1:
                raise RuntimeError(f"Attempting to broadcast a dimension of length {size} at {i - n}! Mismatching "
                                   f"argument at index {k} had {s}; but expected shape should be broadcastable to "
                                   f"{result}")
            result[i] = size
    return Size(result)

