"""Matrix products: matmul (1-D, 2-D, batched with broadcasting), mm, bmm, mv, dot, outer, addmm,
einsum, and the fused `linear` (y = x Wᵀ + b) that nn.Linear calls.

matmul folds an N-D input against a matrix into one 2-D GEMM (np.matmul would loop over the
batch), and reports shape and dtype clashes in PyTorch's words for each case it dispatches to
(dot, mv, mm, bmm)."""
import math

import numpy as np

from ..tensor import Tensor
from ._core import as_tensor, binary_operands, broadcast_error, make, sum_rows, unbroadcast

__all__ = ["matmul", "mm", "bmm", "addmm", "dot", "vdot", "inner", "mv", "outer", "ger", "einsum", "bilinear"]
METHODS = ["matmul", "mm", "bmm", "addmm", "dot", "vdot", "inner", "mv", "outer", "ger"]

_DN = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
       "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}


def _tn(dt):
    from .arithmetic import type_name
    return type_name(dt)


def _fold(shape):
    n = 1
    for s in shape[:-1]:
        n *= s
    return n


# ---- errors, in the words of the kernel PyTorch's matmul dispatches to ------------------------

def _check(a, b):
    """Raise PyTorch's error for operands matmul cannot multiply (shape first, then dtype)."""
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {a.ndim}D and {b.ndim}D")
    if a.ndim == 1 and b.ndim == 1:
        if a.dtype != b.dtype:
            raise RuntimeError(f"dot : expected both vectors to have same dtype, but found {_tn(a.dtype)} and "
                               f"{_tn(b.dtype)}")
        if a.shape != b.shape:
            raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src [{b.shape[0]}] to "
                               f"have the same number of elements, but got {a.shape[0]} and {b.shape[0]} elements "
                               "respectively")
        kernel = "dot"
    elif b.ndim == 1:  # matrix (or folded batch) × vector: addmv
        rows = _fold(a.shape)
        if a.shape[-1] != b.shape[0]:
            raise RuntimeError(f"size mismatch, got input ({rows}), mat ({rows}x{a.shape[-1]}), vec ({b.shape[0]})")
        if a.dtype != b.dtype:
            raise RuntimeError(f"addmv input tensors must have the same dtype, but got {_tn(b.dtype)}, "
                               f"{_tn(a.dtype)}, and {_tn(b.dtype)}")
        kernel = "addmv_impl_cpu"
    elif b.ndim == 2:  # (folded) matrix × matrix: addmm
        rows = _fold(a.shape) if a.ndim > 1 else 1
        if a.shape[-1] != b.shape[0]:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{a.shape[-1]} and "
                               f"{b.shape[0]}x{b.shape[1]})")
        if a.dtype != b.dtype:
            raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_DN[a.dtype.name]} != "
                               f"{_DN[b.dtype.name]}")
        kernel = "addmm_impl_cpu_"
    else:  # batched: bmm over the broadcast batch
        a_batch = a.shape[:-2] if a.ndim > 2 else ()
        try:
            batch = np.broadcast_shapes(a_batch, b.shape[:-2])
        except ValueError:
            raise broadcast_error(a_batch, b.shape[:-2]) from None
        if a.shape[-1] != b.shape[-2]:
            n = _fold(batch + (1,))
            raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{n}, {a.shape[-1]}] "
                               f"but got: [{n}, {b.shape[-2]}].")
        if a.dtype != b.dtype:
            raise RuntimeError(f"expected scalar type {_tn(a.dtype)} but found {_tn(b.dtype)}")
        kernel = "bmm"
    if a.dtype == np.bool_:
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Bool'")


# ---- matmul ---------------------------------------------------------------------------------

def matmul(input, other):
    """Matrix product with NumPy/PyTorch semantics: 1-D·1-D is a dot product, a 1-D operand
    is a row (left) or column (right) vector, and leading batch dims broadcast."""
    if not isinstance(other, Tensor):
        other = as_tensor(other)
    a, b = input._data, other._data
    if a.ndim == 2 and b.ndim == 2 and a.shape[1] == b.shape[0] and a.dtype == b.dtype and a.dtype != np.bool_:
        out = a @ b

        def backward(g):
            return (g @ b.T if input._requires_grad else None,
                    a.T @ g if other._requires_grad else None)
        return make(out, (input, other), backward, "MmBackward0", saved=(input, other))
    _check(a, b)
    if b.ndim <= 2 and a.ndim != 2:
        return _matmul_folded(input, other, a, b)
    if a.ndim == 2 and b.ndim == 1:
        out = a @ b

        def backward(g):
            return (np.outer(g, b) if input._requires_grad else None,
                    g @ a if other._requires_grad else None)
        return make(out, (input, other), backward, "MvBackward0", saved=(input, other))
    return _matmul_batched(input, other, a, b, "CloneBackward0" if a.ndim == 2 else "UnsafeViewBackward0")


def _matmul_folded(input, other, a, b):
    """a is 1-D or N-D (N ≥ 3), b is 1-D or 2-D: one GEMM/GEMV on a viewed as (rows, k)."""
    a2 = a.reshape(_fold(a.shape), a.shape[-1])
    out = (a2 @ b).reshape(a.shape[:-1] + b.shape[1:])
    b_col = b.reshape(b.shape[0], b.shape[1] if b.ndim == 2 else 1)  # a 1-D b as a (k, 1) column

    def backward(g):
        g2 = g.reshape(a2.shape[0], b_col.shape[1])
        ga = (g2 @ b_col.T).reshape(a.shape) if input._requires_grad else None
        gb = (a2.T @ g2).reshape(b.shape) if other._requires_grad else None
        return ga, gb
    if a.ndim == 1:
        name = "DotBackward0" if b.ndim == 1 else "SqueezeBackward4"
    else:
        name = "UnsafeViewBackward0"
    return make(out, (input, other), backward, name, saved=(input, other))


def _matmul_batched(input, other, a, b, name="UnsafeViewBackward0"):
    """b has 3+ dims: np.matmul over the broadcast batch (a 1-D a is promoted to a row and the
    promotion undone)."""
    a2 = a[None, :] if a.ndim == 1 else a
    out = np.matmul(a2, b)
    if a.ndim == 1:
        out = out[..., 0, :]
    a_shape, b_shape = a2.shape, b.shape

    def backward(g):
        if a.ndim == 1:
            g = g[..., None, :]
        ga = gb = None
        if input._requires_grad:
            ga = unbroadcast(np.matmul(g, np.swapaxes(b, -1, -2)), a_shape).reshape(a.shape)
        if other._requires_grad:
            gb = unbroadcast(np.matmul(np.swapaxes(a2, -1, -2), g), b_shape)
        return ga, gb
    return make(out, (input, other), backward, name, saved=(input, other))


def mm(input, mat2):
    """Matrix × matrix (2-D only)."""
    if input._data.ndim != 2:
        raise RuntimeError("self must be a matrix")
    if mat2._data.ndim != 2:
        raise RuntimeError("mat2 must be a matrix")
    return matmul(input, mat2)


def check_batched_operands(a, b):
    """PyTorch's checks on bmm's (and baddbmm's) two stacks of matrices, in its order and words."""
    if a.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    if a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{a.shape[0]}, "
                           f"{a.shape[2]}] but got: [{b.shape[0]}, {b.shape[1]}].")


def bmm(input, mat2):
    """Batched matrix × matrix: (b, n, m) @ (b, m, p) → (b, n, p), no broadcasting."""
    a, b = input._data, mat2._data
    check_batched_operands(a, b)
    _check(a, b)
    return _matmul_batched(input, mat2, a, b, "BmmBackward0")


def dot(input, other):
    """Inner product of two 1-D tensors."""
    if input._data.ndim != 1 or other._data.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input._data.ndim}D and {other._data.ndim}D tensors")
    return matmul(input, other)


vdot = dot


def inner(input, other):
    """Σ over the last dims: a[..., k] · b[..., k] for every pair of leading indices."""
    from .shape import reshape
    if input._data.ndim == 0 or other._data.ndim == 0:
        from .arithmetic import mul
        return mul(input, other)
    a, b = input._data, other._data
    if a.shape[-1] != b.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got shapes "
                           f"{list(a.shape)} and {list(b.shape)}")
    flat = matmul(reshape(input, (-1, a.shape[-1])), reshape(other, (-1, b.shape[-1])).mT)
    return reshape(flat, a.shape[:-1] + b.shape[:-1])


def mv(input, vec):
    """Matrix × vector."""
    if input._data.ndim != 2 or vec._data.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input._data.ndim}, {vec._data.ndim}")
    return matmul(input, vec)


def outer(input, vec2):
    """Outer product a bᵀ of two 1-D tensors (promoting dtypes, like multiplication)."""
    for name, t in (("self", input), ("vec2", vec2)):
        if t._data.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t._data.ndim}-D")
    # the products of mul(input.reshape(-1, 1), vec2) in one op (no view node, no per-call
    # imports); the gradients are the products with the other vector
    a, b, _ = binary_operands(input, vec2)
    out = np.multiply(a[:, None], b)

    def backward(g):
        ga = (g @ b).astype(input._data.dtype, copy=False) if input._requires_grad else None
        gb = (a @ g).astype(vec2._data.dtype, copy=False) if vec2._requires_grad else None
        return ga, gb
    return make(out, (input, vec2), backward, "MulBackward0", saved=(input, vec2))


ger = outer


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """out = beta · input + alpha · (mat1 @ mat2), input broadcast to the product's shape."""
    a, b, c = input._data, mat1._data, mat2._data
    if b.ndim != 2:
        raise RuntimeError(f"mat1 must be a matrix, got {b.ndim}-D tensor")
    if c.ndim != 2:
        raise RuntimeError(f"mat2 must be a matrix, got {c.ndim}-D tensor")
    _check(b, c)
    prod = b @ c
    if alpha != 1:
        prod *= alpha
    try:
        out = prod + (a * beta if beta != 1 else a) if beta != 0 else prod
    except ValueError:
        raise RuntimeError(f"The expanded size of the tensor ({prod.shape[-1]}) must match the existing size "
                           f"({a.shape[-1]}) at non-singleton dimension {a.ndim - 1}.  Target sizes: "
                           f"{list(prod.shape)}.  Tensor sizes: {list(a.shape)}") from None
    if out.shape != prod.shape:
        raise RuntimeError(f"The expanded size of the tensor ({prod.shape[0]}) must match the existing size "
                           f"({a.shape[0]}) at non-singleton dimension 0.  Target sizes: {list(prod.shape)}.  "
                           f"Tensor sizes: {list(a.shape)}")

    def backward(g):
        ga = unbroadcast(g * beta if beta != 1 else g, a.shape) if input._requires_grad else None
        gs = g * alpha if alpha != 1 else g
        return (ga, gs @ c.T if mat1._requires_grad else None, b.T @ gs if mat2._requires_grad else None)
    return make(out, (input, mat1, mat2), backward, "AddmmBackward0", saved=(input, mat1, mat2))


def linear_forward(x, w, b):
    """x Wᵀ + b on arrays: (output, x as 2-D). One 2-D GEMM: on (N, L, in) input np.matmul would
    loop over N small GEMMs (slow, and very slow with several BLAS threads, which synchronise once
    per GEMM). ndarray.dot rather than @: the same BLAS call for 2-D operands, without the ufunc
    dispatch (1-3 µs a call, most of a small layer's time)."""
    x2 = x if x.ndim == 2 else x.reshape(math.prod(x.shape[:-1]), x.shape[-1])  # -1 fails on 0 features
    out = x2.dot(w.T)
    if b is not None:
        out += b  # out is a fresh array: add in place, no temporary
    if x.ndim != 2:
        out = out.reshape(x.shape[:-1] + (w.shape[0],))
    return out, x2


def linear_backward(g, x_shape, x2, w, need_x, need_w, need_b, has_bias):
    """The gradients of linear_forward for output gradient g: (gx, gw[, gb]), None where not needed."""
    if g.ndim == 2:
        # one output feature (a regression or binary head): the product over that one feature is
        # an outer product, which a broadcast multiply gives for a tenth of a BLAS call's overhead
        gx = (g * w if w.shape[0] == 1 else g.dot(w)) if need_x else None
        g2 = g
    else:
        g2 = g.reshape(math.prod(g.shape[:-1]), g.shape[-1])
        gx = g2.dot(w).reshape(x_shape) if need_x else None
    gw = g2.T.dot(x2) if need_w else None
    if has_bias:
        return gx, gw, (sum_rows(g2) if need_b else None)
    return gx, gw


def linear(input, weight, bias=None):
    """y = x Wᵀ + b, fused: x of shape (*, in), W (out, in), b (out,)."""
    x, w = input._data, weight._data
    if x.ndim == 0 or w.ndim == 0:
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are {x.ndim}D and {w.ndim}D")
    if w.ndim == 1:  # a weight vector: PyTorch computes input @ weight (+ bias)
        from .arithmetic import add
        if x.ndim == 2 and bias is not None:  # PyTorch's addmm path, which takes only a matrix
            raise RuntimeError("mat2 must be a matrix, got 1-D tensor")
        out = matmul(input, weight)
        return out if bias is None else add(out, bias)
    if x.shape[-1] != w.shape[-1]:
        rows = int(np.prod(x.shape[:-1])) if x.ndim > 1 else 1
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{x.shape[-1]} and "
                           f"{w.shape[-1]}x{w.shape[0]})")
    if bias is not None and bias._data.dtype != w.dtype:  # PyTorch checks the bias first
        raise RuntimeError(f"self and mat2 must have the same dtype, but got {_tn(bias._data.dtype)} and "
                           f"{_tn(w.dtype)}")
    if x.dtype != w.dtype:
        if bias is None:  # PyTorch's mm and addmm kernels word it differently
            raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_DN[x.dtype.name]} != "
                               f"{_DN[w.dtype.name]}")
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {_tn(x.dtype)} and {_tn(w.dtype)}")
    out, x2 = linear_forward(x, w, None if bias is None else bias._data)
    has_bias = bias is not None

    def backward(g):
        return linear_backward(g, x.shape, x2, w, input._requires_grad, weight._requires_grad,
                               has_bias and bias._requires_grad, has_bias)
    parents = (input, weight, bias) if has_bias else (input, weight)
    if x.ndim == 2:
        name = "AddmmBackward0" if has_bias else "MmBackward0"
    else:  # PyTorch's node is the reshape back to the input's leading dims
        name = "ViewBackward0" if has_bias else ("SqueezeBackward4" if x.ndim == 1 else "UnsafeViewBackward0")
    return make(out, parents, backward, name, saved=(input, weight))


# ---- einsum ---------------------------------------------------------------------------------

_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _parse_einsum(equation, shapes):
    """(input subscripts, output subscripts) with every '...' replaced by letters of its own
    (right-aligned, so broadcast ellipsis dims share letters), checking PyTorch's rules."""
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    subs = lhs.split(",")
    if len(subs) < len(shapes):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation")
    if len(subs) > len(shapes):
        raise RuntimeError("einsum(): fewer operands were provided than specified in the equation")
    for s in subs + ([rhs] if arrow else []):
        bad = [c for c in s.replace("...", "") if c not in _LETTERS]
        if bad:
            raise RuntimeError(f"einsum(): invalid subscript given at index {eq.index(bad[0])} in the equation string, "
                               "subscripts must be in [a-zA-Z]")
    spare = [c for c in _LETTERS if c not in eq]
    ell_dims = []
    for k, (s, shape) in enumerate(zip(subs, shapes)):
        n = len(s.replace("...", ""))
        if "..." in s:
            if n > len(shape):
                raise RuntimeError(f"einsum(): the number of subscripts in the equation ({n}) is more than the number "
                                   f"of dimensions ({len(shape)}) for operand {k}")
            ell_dims.append(len(shape) - n)
        elif n != len(shape):
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({n}) does not match the number "
                               f"of dimensions ({len(shape)}) for operand {k} and no ellipsis was given")
        else:
            ell_dims.append(0)
    ell = "".join(spare[:max(ell_dims, default=0)])
    explicit = [s.replace("...", ell[len(ell) - e:] if e else "") for s, e in zip(subs, ell_dims)]
    if not arrow:  # implicit output: the ellipsis dims, then the letters used once, sorted
        letters = "".join(s.replace("...", "") for s in subs)
        out = ell + "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    else:
        out = rhs.replace("...", ell)
        for c in rhs.replace("...", ""):
            if rhs.count(c) > 1:
                raise RuntimeError(f"einsum(): output subscript {c} appears more than once in the output")
            if c not in lhs:
                raise RuntimeError(f"einsum(): output subscript {c} does not appear in the equation for any input "
                                   "operand")
    return explicit, out


def _label_sizes(subs, shapes):
    """The size of every label; a size-1 dim broadcasts against the others, as in PyTorch."""
    sizes = {}
    for k, (s, shape) in enumerate(zip(subs, shapes)):
        own = {}
        for c, n in zip(s, shape):
            if c in own and own[c] != n:
                raise RuntimeError(f"einsum(): subscript {c} is repeated for operand {k} but the sizes don't match, "
                                   f"{n} != {own[c]}")
            own[c] = n
        for c, n in own.items():
            seen = sizes.get(c)
            if seen is None or seen == 1:
                sizes[c] = n
            elif n != 1 and n != seen:
                raise RuntimeError(f"einsum(): subscript {c} has size {n} for operand {k} which does not broadcast "
                                   f"with previously seen size {seen}")
    return sizes


def bilinear(input1, input2, weight, bias=None):
    r""":math:`y_o = x_1^T A_o x_2 + b_o`: input1 (*, in1), input2 (*, in2), weight (out, in1, in2),
    bias (out,) → (*, out). One einsum, so its gradients come with it."""
    a, b, w = input1._data, input2._data, weight._data
    if a.ndim != b.ndim:
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {a.ndim} and {b.ndim}")
    for i in range(a.ndim - 1):
        if a.shape[i] != b.shape[i]:
            raise RuntimeError(f"bilinear(): input batch dimensions do not match at dim {i}: got {a.shape[i]} and "
                               f"{b.shape[i]}")
    for name, x, k in (("input1", a, 1), ("input2", b, 2)):
        if x.shape[-1] != w.shape[k]:
            raise RuntimeError(f"bilinear(): {name} size does not match weight size: got {x.shape[-1]} but "
                               f"expected {w.shape[k]}")
    if bias is not None and bias._data.shape[0] != w.shape[0]:
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got {bias._data.shape[0]} but "
                           f"expected {w.shape[0]}")
    out = einsum("...i,oij,...j->...o", input1, weight, input2)
    return out if bias is None else out + bias


_PARSED = {}  # (equation, operand shapes) -> (subscripts, output subscript, label sizes)


def _sublists_to_equation(args):
    """(equation, operands) of einsum's sublist form: operand, sublist, operand, sublist, ...
    [, output sublist]. Label i in [0, 52) is PyTorch's letter i: 'A'-'Z', then 'a'-'z' (so an
    implicit output is ordered as for the letters); Ellipsis is '...'."""
    def letters(sublist):
        out = []
        for s in sublist:
            if s is Ellipsis:
                out.append("...")
            elif isinstance(s, (int, np.integer)) and 0 <= s < 52:
                out.append(chr(ord("A") + s) if s < 26 else chr(ord("a") + s - 26))
            else:
                raise RuntimeError(f"einsum(): expected subscript to be within the range [0, 52) but got {s}")
        return "".join(out)
    operands, subs = list(args[0::2]), list(args[1::2])
    output = None
    if len(operands) > len(subs):  # an odd count: the last item is the output sublist
        output = operands.pop()
    equation = ",".join(letters(s) for s in subs)
    if output is not None:
        equation += "->" + letters(output)
    return equation, tuple(operands)


def einsum(equation, *operands):
    """Einstein summation: einsum("bij,bjk->bik", a, b) is a batched matmul. Supports '...',
    implicit output (the letters used once, sorted), repeated letters (diagonals, traces) and
    size-1 broadcasting.

    The gradient of operand i is the einsum of the output gradient with the other operands onto
    i's distinct letters; letters only i has are broadcast back, repeated letters are written
    onto their diagonal, and dims i had as size 1 are summed."""
    if not isinstance(equation, str):  # the sublist form: einsum(a, [0, 1], b, [1, 2], [0, 2])
        equation, operands = _sublists_to_equation((equation,) + operands)
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    operands = tuple(o if isinstance(o, Tensor) else as_tensor(o) for o in operands)
    arrays = [o._data for o in operands]
    for a in arrays[1:]:
        if a.dtype != arrays[0].dtype:
            raise RuntimeError(f"expected scalar type {_tn(arrays[0].dtype)} but found {_tn(a.dtype)}")
    shapes = tuple(a.shape for a in arrays)
    key = (equation, shapes)
    parsed = _PARSED.get(key)
    if parsed is None:  # parsing and checking cost more than a small contraction: once per shapes
        subs, out_sub = _parse_einsum(equation, list(shapes))
        parsed = (subs, out_sub, _label_sizes(subs, list(shapes)))
        if len(_PARSED) > 256:
            _PARSED.clear()
        _PARSED[key] = parsed
    subs, out_sub, sizes = parsed
    out = _contract(subs, arrays, out_sub)

    def backward(g):
        return tuple(_einsum_grad(i, subs, out_sub, g, arrays, sizes) if op._requires_grad else None
                     for i, op in enumerate(operands))
    return make(out, operands, backward, "EinsumBackward0", saved=operands)


def _einsum_grad(i, subs, out_sub, g, arrays, sizes):
    sub, x = subs[i], arrays[i]
    distinct = "".join(dict.fromkeys(sub))
    others = [s for j, s in enumerate(subs) if j != i]
    reachable = set(out_sub).union(*others)
    kept = "".join(c for c in distinct if c in reachable)
    grad = _contract([out_sub] + others, [g] + [a for j, a in enumerate(arrays) if j != i], kept)
    full = [sizes[c] for c in kept]
    if list(grad.shape) != full:  # size-1 dims of the others broadcast along this operand's dims
        grad = np.broadcast_to(grad, full)
    own = dict(zip(sub, x.shape))
    if len(kept) != len(distinct):  # letters summed inside operand i alone: broadcast back
        grad = np.broadcast_to(grad.reshape([grad.shape[kept.index(c)] if c in kept else 1 for c in distinct]),
                               [sizes[c] if c in kept else own[c] for c in distinct])
    shrink = tuple(k for k, c in enumerate(distinct) if own[c] == 1 and grad.shape[k] != 1)
    if shrink:  # dims operand i broadcast from size 1
        grad = grad.sum(axis=shrink, keepdims=True)
    if len(distinct) != len(sub):  # repeated letters: the gradient lives on the diagonal
        dense = np.zeros(x.shape, grad.dtype)
        np.einsum(sub + "->" + distinct, dense)[...] = grad
        return dense
    return grad


def _contract(subs, arrays, out_sub):
    """np.einsum, except that a contraction of two operands goes through one (batched) matmul:
    NumPy's own einsum loop is 10-40x slower than BLAS on attention-sized inputs."""
    if len(arrays) == 2:
        out = _pair(subs[0], arrays[0], subs[1], arrays[1], out_sub)
        if out is not None:
            return out
    return np.einsum(",".join(subs) + "->" + out_sub, *arrays, optimize=len(arrays) > 2)


def _pair(sa, a, sb, b, so):
    """Two-operand einsum as batch × (left, k) @ (k, right), or None when it does not fit that
    shape (a letter repeated in one operand, or a size-1 dim broadcast against another size)."""
    if len(set(sa)) != len(sa) or len(set(sb)) != len(sb):
        return None
    size = {}
    for sub, x in ((sa, a), (sb, b)):
        for c, n in zip(sub, x.shape):
            if size.setdefault(c, n) != n:
                return None
    lone_a = tuple(k for k, c in enumerate(sa) if c not in sb and c not in so)
    if lone_a:  # summed within a alone: sum it first
        a, sa = a.sum(axis=lone_a), "".join(c for k, c in enumerate(sa) if k not in lone_a)
    lone_b = tuple(k for k, c in enumerate(sb) if c not in sa and c not in so)
    if lone_b:
        b, sb = b.sum(axis=lone_b), "".join(c for k, c in enumerate(sb) if k not in lone_b)
    batch = [c for c in sa if c in sb and c in so]
    inner = [c for c in sa if c in sb and c not in so]
    left = [c for c in sa if c not in sb]
    right = [c for c in sb if c not in sa]
    # math.prod of Python ints: np.prod costs ~7 us a call, four calls a contraction
    n_batch, n_left, n_inner, n_right = (math.prod([size[c] for c in part]) for part in (batch, left, inner, right))
    a3 = a.transpose([sa.index(c) for c in batch + left + inner]).reshape(n_batch, n_left, n_inner)
    b3 = b.transpose([sb.index(c) for c in batch + inner + right]).reshape(n_batch, n_inner, n_right)
    out = (a3[0] @ b3[0])[None] if n_batch == 1 else np.matmul(a3, b3)
    order = batch + left + right
    out = out.reshape([size[c] for c in order])
    return out.transpose([order.index(c) for c in so])
