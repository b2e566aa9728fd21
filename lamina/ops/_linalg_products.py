"""Products of matrices and vectors beyond matmul: cross, tensordot, multi_dot, chain_matmul,
and the fused products out = beta · input + alpha · product (baddbmm, addbmm, addmv, addr), each
with its backward."""
import warnings

import numpy as np

from ..tensor import Tensor
from ._core import broadcast_error, dim_arg, make, unbroadcast
from ._linalg_common import _mT
from .arithmetic import type_name
from .linalg import check_batched_operands, matmul


# ---- cross, tensordot, multi_dot -----------------------------------------------------------------

_NEXT, _PREV = np.array([1, 2, 0]), np.array([2, 0, 1])


def _cross_arrays(a, b, d):
    """a × b along axis d as a[next]·b[prev] − a[prev]·b[next] (np.cross costs 2-3x more)."""
    return np.take(a, _NEXT, d) * np.take(b, _PREV, d) - np.take(a, _PREV, d) * np.take(b, _NEXT, d)


def _cross(input, other, d):
    a, b = input._data, other._data
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected scalar type {type_name(a.dtype)} but found {type_name(b.dtype)}")
    out = _cross_arrays(a, b, d)

    def backward(g):
        ga = unbroadcast(_cross_arrays(b, g, d), a.shape) if input._requires_grad else None
        gb = unbroadcast(_cross_arrays(g, a, d), b.shape) if other._requires_grad else None
        return ga, gb
    return make(out, (input, other), backward, "LinalgCrossBackward0", saved=(input, other))


def linalg_cross(input, other, *, dim=-1):
    """The 3-vector cross product along `dim`, broadcasting the other dims."""
    a, b = input._data, other._data
    if a.ndim != b.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    if a.shape[dim] != 3 or b.shape[dim] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got {a.shape[dim]} and "
                           f"{b.shape[dim]}")
    try:
        shape = np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise broadcast_error(a.shape, b.shape) from None
    return _cross(input, other, dim_arg(dim, len(shape)))


def cross(input, other, dim=None):
    """torch.cross: like linalg.cross, but without `dim` it takes the first dim of size 3."""
    if dim is None:
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\nPlease either pass the dim "
                      "explicitly or simply use torch.linalg.cross.\nThe default value of dim will change to agree "
                      "with that of linalg.cross in a future release.", UserWarning, stacklevel=2)
        try:
            shape = np.broadcast_shapes(input._data.shape, other._data.shape)
        except ValueError:
            raise broadcast_error(input._data.shape, other._data.shape) from None
        if 3 not in shape:
            raise RuntimeError("no dimension of size 3 in input")
        dim = shape.index(3)
    return linalg_cross(input, other, dim=dim)


def tensordot(a, b, dims=2, out=None):
    """Σ over the contracted dims: `dims` is a count (the last `dims` dims of a with the first of
    b) or a pair of dim lists. One matmul of the two operands folded to matrices."""
    from .shape import permute, reshape
    x, y = a._data, b._data
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > x.ndim or dims > y.ndim:
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        da, db = list(range(-dims, 0)), list(range(dims))
    else:
        da, db = dims
        da = [da] if isinstance(da, int) else list(da)
        db = [db] if isinstance(db, int) else list(db)
        if len(da) != len(db):
            raise RuntimeError("both dimension lists should have same length")
    for i, j in zip(da, db):
        if x.shape[i] != y.shape[j]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {x.shape[i]} in dim {i} "
                               f"and second has size {y.shape[j]} in dim {j}")
    ca = [dim_arg(i, x.ndim) for i in da]
    cb = [dim_arg(j, y.ndim) for j in db]
    fa = [i for i in range(x.ndim) if i not in ca]
    fb = [j for j in range(y.ndim) if j not in cb]
    k = int(np.prod([x.shape[i] for i in ca], dtype=np.int64))
    left = [x.shape[i] for i in fa]
    right = [y.shape[j] for j in fb]
    am = reshape(permute(a, fa + ca), (-1, k))
    bm = reshape(permute(b, cb + fb), (k, -1))
    return reshape(matmul(am, bm), left + right)


_C_NAME = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int", "int32": "int"}


def multi_dot(tensors):
    """A₁ A₂ … A_N in one call; the first may be 1-D (a row), the last 1-D (a column)."""
    from .shape import reshape
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    first, last = tensors[0]._data.ndim, tensors[-1]._data.ndim
    if first not in (1, 2):
        raise RuntimeError(f"multi_dot(): the first tensor must be 1D or 2D but got {first}D")
    if last not in (1, 2):
        raise RuntimeError(f"multi_dot(): the last tensor must be 1D or 2D but got {last}D")
    for i, t in enumerate(tensors[1:-1], 1):
        if t._data.ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {t._data.ndim}D")
    for i, t in enumerate(tensors[1:], 1):
        if t._data.dtype != tensors[0]._data.dtype:
            raise RuntimeError(f"multi_dot(): all tensors must have be the same dtype but tensor 0 is "
                               f"{_C_NAME.get(tensors[0]._data.dtype.name)} and tensor {i} "
                               f"{_C_NAME.get(t._data.dtype.name)}")
    mats = list(tensors)
    if first == 1:
        mats[0] = reshape(mats[0], (1, -1))
    if last == 1:
        mats[-1] = reshape(mats[-1], (-1, 1))
    for i in range(len(mats) - 1):
        if mats[i]._data.shape[1] != mats[i + 1]._data.shape[0]:
            raise RuntimeError(f"multi_dot(): tensors {i} and {i + 1} with shapes {list(tensors[i].shape)} and "
                               f"{list(tensors[i + 1].shape)} cannot be multiplied")
    out = mats[0]
    for t in mats[1:]:
        out = matmul(out, t)
    shape = ([out._data.shape[0]] if first == 2 else []) + ([out._data.shape[1]] if last == 2 else [])
    return reshape(out, shape)


def chain_matmul(*matrices):
    """torch.chain_matmul (deprecated in PyTorch for linalg.multi_dot): the product of 2-D tensors."""
    warnings.warn("torch.chain_matmul is deprecated and will be removed in a future PyTorch release. Use "
                  "torch.linalg.multi_dot instead, which accepts a list of two or more tensors rather than "
                  "multiple parameters.", UserWarning, stacklevel=2)
    if len(matrices) == 1 and isinstance(matrices[0], (list, tuple)):
        matrices = tuple(matrices[0])
    for i, t in enumerate(matrices):
        if t._data.ndim != 2:
            raise RuntimeError(f"Tensor dimension is {t._data.ndim}, expected 2 instead.")
    if len(matrices) == 1:
        from .conversion import clone
        return clone(matrices[0])
    return multi_dot(matrices)


# ---- fused products: out = beta · input + alpha · product -------------------------------------

def _expand_check(shape, target):
    """PyTorch's error when `shape` cannot be expanded to `target` (input of addmm-like ops)."""
    if len(shape) > len(target):
        raise RuntimeError(f"The expanded size of the tensor ({target[0] if target else 1}) must match the existing "
                           f"size ({shape[0]}) at non-singleton dimension 0.  Target sizes: {list(target)}.  "
                           f"Tensor sizes: {list(shape)}")
    pad = (1,) * (len(target) - len(shape)) + tuple(shape)
    for i in range(len(target) - 1, -1, -1):
        if pad[i] != 1 and pad[i] != target[i]:
            raise RuntimeError(f"The expanded size of the tensor ({target[i]}) must match the existing size "
                               f"({pad[i]}) at non-singleton dimension {i}.  Target sizes: {list(target)}.  "
                               f"Tensor sizes: {list(shape)}")


def _same_dtype(*tensors):
    dt = tensors[0]._data.dtype
    for t in tensors[1:]:
        if t._data.dtype != dt:
            raise RuntimeError(f"expected scalar type {type_name(dt)} but found {type_name(t._data.dtype)}")
    return dt.kind in "iub"


def _scalars(integral, beta, alpha):
    if integral:
        for name, v in (("beta", beta), ("alpha", alpha)):
            if isinstance(v, float):
                raise RuntimeError(f"For integral input tensors, argument {name} must not be a floating point number.")


def _scaled_sum(input, prod, beta, alpha, others):
    """beta · input + alpha · prod, input expanded to prod's shape (beta = 0 ignores input, nan too)."""
    _scalars(_same_dtype(input, *others), beta, alpha)
    a = input._data
    _expand_check(a.shape, prod.shape)
    if alpha != 1:
        prod = prod * alpha
    if beta == 0:
        return prod
    return prod + (a * beta if beta != 1 else a)


def _input_grad(g, shape, beta):
    return unbroadcast(g * beta if beta != 1 else g, shape)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """out_b = beta · input_b + alpha · batch1_b @ batch2_b for each of the b matrices."""
    b1, b2 = batch1._data, batch2._data
    check_batched_operands(b1, b2)
    out = _scaled_sum(input, np.matmul(b1, b2), beta, alpha, (batch1, batch2))
    a_shape = input._data.shape

    def backward(g):
        gs = g * alpha if alpha != 1 else g
        return (_input_grad(g, a_shape, beta) if input._requires_grad else None,
                gs @ _mT(b2) if batch1._requires_grad else None,
                _mT(b1) @ gs if batch2._requires_grad else None)
    return make(out, (input, batch1, batch2), backward, "BaddbmmBackward0", saved=(batch1, batch2))


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """out = beta · input + alpha · Σ_b batch1_b @ batch2_b (one GEMM over the folded batch)."""
    b1, b2 = batch1._data, batch2._data
    if b1.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if b1.shape[0] != b2.shape[0]:
        raise RuntimeError(f"batch1 and batch2 must have same number of batches, got {b1.shape[0]} and {b2.shape[0]}")
    if b1.shape[2] != b2.shape[1]:
        raise RuntimeError(f"Incompatible matrix sizes for bmm ({b1.shape[1]}x{b1.shape[2]} and "
                           f"{b2.shape[1]}x{b2.shape[2]})")
    nb, n, k = b1.shape
    prod = b1.transpose(1, 0, 2).reshape(n, nb * k) @ b2.reshape(nb * k, b2.shape[2])
    out = _scaled_sum(input, prod, beta, alpha, (batch1, batch2))
    a_shape = input._data.shape

    def backward(g):
        gs = g * alpha if alpha != 1 else g
        return (_input_grad(g, a_shape, beta) if input._requires_grad else None,
                np.matmul(gs, _mT(b2)) if batch1._requires_grad else None,
                np.matmul(_mT(b1), gs) if batch2._requires_grad else None)
    return make(out, (input, batch1, batch2), backward, "AddbmmBackward0", saved=(batch1, batch2))


def addmv(input, mat, vec, *, beta=1, alpha=1):
    """out = beta · input + alpha · mat @ vec."""
    m, v = mat._data, vec._data
    if m.ndim != 2 or v.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {input._data.ndim}, {m.ndim}, {v.ndim}")
    if m.shape[1] != v.shape[0]:
        rows = input._data.shape[0] if input._data.ndim else 1
        raise RuntimeError(f"size mismatch, got input ({rows}), mat ({m.shape[0]}x{m.shape[1]}), vec ({v.shape[0]})")
    out = _scaled_sum(input, m @ v, beta, alpha, (mat, vec))
    a_shape = input._data.shape

    def backward(g):
        gs = g * alpha if alpha != 1 else g
        return (_input_grad(g, a_shape, beta) if input._requires_grad else None,
                np.outer(gs, v) if mat._requires_grad else None,
                gs @ m if vec._requires_grad else None)
    return make(out, (input, mat, vec), backward, "AddmvBackward0", saved=(mat, vec))


def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """out = beta · input + alpha · vec1 ⊗ vec2 (the outer product)."""
    v1, v2 = vec1._data, vec2._data
    if v1.ndim != 1:
        raise RuntimeError(f"addr: Expected 1-D argument vec1, but got {v1.ndim}-D")
    if v2.ndim != 1:
        raise RuntimeError(f"addr: Expected 1-D argument vec2, but got {v2.ndim}-D")
    out = _scaled_sum(input, np.outer(v1, v2), beta, alpha, (vec1, vec2))
    a_shape = input._data.shape

    def backward(g):
        gs = g * alpha if alpha != 1 else g
        return (_input_grad(g, a_shape, beta) if input._requires_grad else None,
                gs @ v2 if vec1._requires_grad else None,
                v1 @ gs if vec2._requires_grad else None)
    return make(out, (input, vec1, vec2), backward, "AddrBackward0", saved=(vec1, vec2))
