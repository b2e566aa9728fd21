"""Matrix products: matmul (1-D, 2-D, batched with broadcasting), mm, bmm, addmm, and the fused
`linear` (y = x Wᵀ + b) that nn.Linear calls: one GEMM forward, two backward, no Python between."""
import numpy as np

from ..tensor import Tensor
from ._core import as_tensor, make, unbroadcast

__all__ = ["matmul", "mm", "bmm", "addmm", "dot", "mv", "outer", "einsum"]
METHODS = ["matmul", "mm", "bmm", "addmm", "dot", "mv", "outer"]


def _check_dtypes(name, a, b):
    if a.dtype != b.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_DN[a.dtype.name]} != "
                           f"{_DN[b.dtype.name]}" if name in ("mm", "addmm", "linear") else
                           f"expected scalar type {_DN[a.dtype.name].title()} but found {_DN[b.dtype.name].title()}")


_DN = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
       "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}


def matmul(input, other):
    other = as_tensor(other)
    a, b = input.data, other.data
    _check_dtypes("matmul", a, b)
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and {b.ndim}D")
    ka = a.shape[-1]
    kb = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if ka != kb:
        raise RuntimeError(_shape_error(a, b))
    out = np.matmul(a, b)
    if a.ndim == 2 and b.ndim == 2:
        def backward(g):
            return (g @ b.T if input._requires_grad else None,
                    a.T @ g if other._requires_grad else None)
        return make(out, (input, other), backward, "MmBackward0", saved=(input, other))

    def backward(g):
        # Promote 1-D operands to matrices, as matmul's definition does, then undo it.
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = g.reshape(np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2]) + (a2.shape[-2], b2.shape[-1]))
        ga = gb = None
        if input._requires_grad:
            ga = np.matmul(g2, np.swapaxes(b2, -1, -2))
            ga = unbroadcast(ga, a2.shape).reshape(a.shape)
        if other._requires_grad:
            gb = np.matmul(np.swapaxes(a2, -1, -2), g2)
            gb = unbroadcast(gb, b2.shape).reshape(b.shape)
        return ga, gb
    name = "DotBackward0" if a.ndim == b.ndim == 1 else ("MvBackward0" if b.ndim == 1 and a.ndim == 2
                                                         else ("BmmBackward0" if a.ndim == b.ndim == 3
                                                               else "MatmulBackward0"))
    return make(out, (input, other), backward, name, saved=(input, other))


def _shape_error(a, b):
    if a.ndim == 1 and b.ndim == 1:
        return (f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] to have "
                "the same number of elements, but got {} and {} elements respectively".format(a.shape[0], b.shape[0]))
    if a.ndim <= 2 and b.ndim <= 2:
        def fmt(x):
            return f"{x.shape[0]}x{x.shape[1]}" if x.ndim == 2 else f"1x{x.shape[0]}"
        if b.ndim == 1:
            return f"size mismatch, got input ({a.shape[0]}x{a.shape[1]}), vec ({b.shape[0]})"
        return f"mat1 and mat2 shapes cannot be multiplied ({fmt(a)} and {b.shape[0]}x{b.shape[1]})"
    return (f"Expected size for first two dimensions of batch2 tensor to be: [{b.shape[0] if b.ndim == 3 else '?'}, "
            f"{a.shape[-1]}] but got: [{b.shape[0] if b.ndim == 3 else '?'}, {b.shape[-2]}].")


def mm(input, mat2):
    if input.data.ndim != 2 or mat2.data.ndim != 2:
        raise RuntimeError(f"self must be a matrix" if input.data.ndim != 2 else "mat2 must be a matrix")
    return matmul(input, mat2)


def bmm(input, mat2):
    if input.data.ndim != 3:
        raise RuntimeError(f"batch1 must be a 3D tensor")
    if mat2.data.ndim != 3:
        raise RuntimeError(f"batch2 must be a 3D tensor")
    return matmul(input, mat2)


def dot(input, other):
    if input.data.ndim != 1 or other.data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.data.ndim}D and {other.data.ndim}D tensors")
    return matmul(input, other)


def mv(input, vec):
    return matmul(input, vec)


def outer(input, vec2):
    from .shape import unsqueeze
    return matmul(unsqueeze(input, 1), unsqueeze(vec2, 0))


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """beta * input + alpha * (mat1 @ mat2)."""
    from .arithmetic import add, mul
    prod = matmul(mat1, mat2)
    if alpha != 1:
        prod = mul(prod, alpha)
    return add(mul(input, beta) if beta != 1 else input, prod)


def linear(input, weight, bias=None):
    """y = x Wᵀ + b, fused: x of shape (*, in), W (out, in), b (out,)."""
    x, w = input.data, weight.data
    if x.ndim == 0:
        raise RuntimeError("both arguments to linear need to be at least 1D, but they are 0D and 2D")
    if x.shape[-1] != w.shape[-1]:
        rows = int(np.prod(x.shape[:-1])) if x.ndim > 1 else 1
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{x.shape[-1]} and "
                           f"{w.shape[-1]}x{w.shape[0]})")
    if x.dtype != w.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {_DN[x.dtype.name].title()} "
                           f"and {_DN[w.dtype.name].title()}")
    # One 2-D GEMM: on (N, L, in) input np.matmul would loop over N small GEMMs (slow, and very
    # slow with several BLAS threads, which synchronise once per GEMM).
    x2 = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])
    out = x2 @ w.T
    if bias is not None:
        out += bias.data  # out is a fresh array: add in place, no temporary
    if x.ndim != 2:
        out = out.reshape(x.shape[:-1] + (w.shape[0],))
    has_bias = bias is not None

    def backward(g):
        g2 = g if g.ndim == 2 else g.reshape(-1, g.shape[-1])
        gx = (g2 @ w).reshape(x.shape) if input._requires_grad else None
        gw = g2.T @ x2 if weight._requires_grad else None
        if has_bias:
            gb = g2.sum(axis=0) if bias._requires_grad else None
            return gx, gw, gb
        return gx, gw
    parents = (input, weight, bias) if has_bias else (input, weight)
    name = "AddmmBackward0" if x.ndim == 2 and has_bias else ("MmBackward0" if x.ndim == 2 else "ViewBackward0")
    return make(out, parents, backward, name, saved=(input, weight))


def einsum(equation, *operands):
    """Einstein summation over tensors; backward by swapping each operand's subscripts with the output's."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    operands = tuple(as_tensor(o) for o in operands)
    eq = equation.replace(" ", "")
    if "->" in eq:
        lhs, rhs = eq.split("->")
    else:
        lhs = eq
        letters = lhs.replace(",", "")
        rhs = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    in_subs = lhs.split(",")
    arrays = [o.data for o in operands]
    out = np.einsum(f"{lhs}->{rhs}", *arrays, optimize=len(arrays) > 2)

    def backward(g):
        grads = []
        for i, (sub, op) in enumerate(zip(in_subs, operands)):
            if not op._requires_grad:
                grads.append(None)
                continue
            others = [s for j, s in enumerate(in_subs) if j != i]
            other_arrays = [a for j, a in enumerate(arrays) if j != i]
            # letters of this operand that appear nowhere else were summed away: broadcast back
            gi = np.einsum(",".join([rhs] + others) + "->" + "".join(c for c in sub if c in rhs + "".join(others)),
                           g, *other_arrays)
            missing = [k for k, c in enumerate(sub) if c not in rhs + "".join(others)]
            for k in missing:
                gi = np.expand_dims(gi, k)
            grads.append(np.broadcast_to(gi, arrays[i].shape).astype(arrays[i].dtype, copy=True))
        return tuple(grads)
    return make(out, operands, backward, "EinsumBackward0", saved=operands)
