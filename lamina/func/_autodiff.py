"""lamina.func's derivative transforms: grad, grad_and_value, vjp, jvp, jacrev, jacfwd, hessian.

Each transform runs the function on fresh leaves that share the inputs' values, so the caller's
tensors need not require grad and their `.grad` is never written, then asks lamina's reverse-mode
autograd for the derivatives. lamina's backward pass is not itself differentiable (no
create_graph=True), which shapes what differs from PyTorch:

- results come back detached: PyTorch's stay differentiable with respect to tensors that require
  grad outside the transform (a gradient penalty, say); lamina's do not;
- a transform whose result an enclosing transform would have to differentiate (grad(grad(f)),
  jacrev(jacrev(f)), hessian) raises NotImplementedError instead of returning a wrong zero;
- jvp and jacfwd, forward mode in PyTorch, are computed from reverse mode: one backward pass
  per output element (the forward-over-reverse trick needs double backward)."""
import functools
import threading
from contextlib import contextmanager

import numpy as np

from ._pytree import pretty, tree_flatten, tree_leaves, tree_unflatten

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian"]

_HIGHER_ORDER = ("{api}: lamina has no higher-order gradients. This transform runs inside another transform "
                 "(grad, vjp, jvp, jacrev, jacfwd) that would have to differentiate its result, which needs double "
                 "backward (create_graph=True); lamina's backward pass is not differentiable, so grad(grad(f)), "
                 "jacrev(jacrev(f)) and hessian(f) are not supported")

# Per thread, one frozenset of leaf ids per transform whose function is running: an inner
# transform checks against them whether an outer one would differentiate its result.
_running = threading.local()


def _levels():
    stack = getattr(_running, "levels", None)
    if stack is None:
        stack = _running.levels = []
    return stack


@contextmanager
def _level(leaves):
    """Run the function with grad mode on (whatever the caller's mode: a transform's result must
    not depend on it, as in PyTorch) while its leaves count as an enclosing level."""
    from ..autograd.grad_mode import enable_grad
    stack = _levels()
    stack.append(frozenset(id(t) for t in leaves))
    try:
        with enable_grad():
            yield
    finally:
        stack.pop()


def _refuse_higher_order(api, tensors):
    """Raise if any of `tensors` (an inner transform's inputs, outputs, aux) was computed from the
    leaves of an enclosing transform: that one would need the gradient of our gradient."""
    stack = _levels()
    if stack and _reaches(tensors, frozenset().union(*stack)):
        raise NotImplementedError(_HIGHER_ORDER.format(api=api))


def _reaches(tensors, leaf_ids):
    """Whether the autograd graph of any of `tensors` leads to a leaf whose id is in leaf_ids."""
    from ..autograd.node import Node
    from ..tensor import Tensor
    pending, seen = [], set()
    for t in tensors:
        if isinstance(t, Tensor):
            if id(t) in leaf_ids:
                return True
            if t.grad_fn is not None:
                pending.append(t.grad_fn)
    while pending:
        node = pending.pop()
        if node in seen:
            continue
        seen.add(node)
        for parent in node.inputs:
            if parent.__class__ is Node:
                pending.append(parent)
            elif parent is not None and id(parent) in leaf_ids:
                return True
    return False


# ---- arguments ----------------------------------------------------------------------------

def _one_argnum(argnum, num_args):
    if not isinstance(argnum, int):
        raise RuntimeError(f"argnum must be int, got: {type(argnum)}")
    if -num_args <= argnum < num_args:
        return argnum % num_args
    raise RuntimeError(f"Got argnum={argnum}, but only {num_args} positional inputs")


def _argnums(argnums, num_args):
    """argnums made non-negative, with PyTorch's checks (an int, or a non-empty tuple of unique ints)."""
    if isinstance(argnums, int):
        return _one_argnum(argnums, num_args)
    if not isinstance(argnums, tuple):
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    wrapped = tuple(_one_argnum(a, num_args) for a in argnums)
    if not wrapped:
        raise RuntimeError("argnums must be non-empty")
    if len(set(wrapped)) != len(wrapped):
        raise RuntimeError(f"argnums elements must be unique, got {wrapped}")
    return wrapped


def _pick(args, argnums):
    return args[argnums] if isinstance(argnums, int) else tuple(args[i] for i in argnums)


def _replace(args, argnums, new):
    out = list(args)
    if isinstance(argnums, int):
        out[argnums] = new
    else:
        for i, value in zip(argnums, new):
            out[i] = value
    return tuple(out)


def _fresh_leaf(t):
    from ..tensor import Tensor
    if not isinstance(t, Tensor):
        raise ValueError(f"Thing passed to transform API must be Tensor, got {type(t)}")
    return t.detach().requires_grad_(True)  # same memory, no history: the caller's tensor is untouched


class _Trace:
    """One run of the function on fresh leaves: what the transforms differentiate."""
    __slots__ = ("originals", "leaves", "in_spec", "output", "has_aux", "aux")


def _trace(func, args, kwargs, argnums, has_aux, api, guard=None):
    """Run func with the arguments at `argnums` (all of them when None) replaced by fresh
    leaves; split off aux. `guard` (vmap's randomness guard) wraps the call when given."""
    trace = _Trace()
    if argnums is None:
        diff = args
    else:
        argnums = _argnums(argnums, len(args))
        diff = _pick(args, argnums)
    trace.originals, trace.in_spec = tree_flatten(diff)
    trace.leaves = [_fresh_leaf(t) for t in trace.originals]
    fresh = tree_unflatten(trace.leaves, trace.in_spec)
    call_args = fresh if argnums is None else _replace(args, argnums, fresh)
    with _level(trace.leaves):
        out = func(*call_args, **kwargs) if guard is None else guard.call(func, call_args, kwargs)
    trace.has_aux, trace.aux = has_aux, None
    if has_aux:
        if not (isinstance(out, tuple) and len(out) == 2):
            raise RuntimeError(f"{api}: output of function f should be a tuple: (output, aux) if has_aux is True")
        out, trace.aux = out
    trace.output = out
    return trace


def _finish(trace, name, flat_outputs, extra=()):
    """The checks every transform makes once the function has run: no enclosing transform may
    need to differentiate this one's result (`name` says which transform in that error), and
    aux holds only tensors (returned detached)."""
    aux_leaves = tree_leaves(trace.aux) if trace.has_aux else []
    _refuse_higher_order(name, list(trace.originals) + list(flat_outputs) + aux_leaves + list(extra))
    return _detached_aux(trace.aux) if trace.has_aux else None


def _detached_aux(aux):
    from ..tensor import Tensor
    flat, spec = tree_flatten(aux)
    for x in flat:
        if not isinstance(x, Tensor):
            raise RuntimeError(f"Expected tensors, got unsupported type {type(x)}")
    return tree_unflatten([x.detach() for x in flat], spec)


def _check_tensor_outputs(flat, api):
    from ..tensor import Tensor
    if not flat or (len(flat) == 1 and flat[0] is None):
        raise RuntimeError(f"{api}: Expected f to be a function that has non-empty output (got output = {flat})")
    for o in flat:
        if not isinstance(o, Tensor):
            raise RuntimeError(f"{api}: expected f(*primals) to return only tensors, got unsupported type {type(o)}")


def _check_floating_outputs(flat):
    for o in flat:
        if o._data.dtype.kind not in "fc":
            raise RuntimeError("vjp(f, ...): All outputs of f must be floating-point or complex Tensors, got Tensor "
                               f"with dtype {o.dtype}")


# ---- reverse mode -------------------------------------------------------------------------

def _reverse_grads(outputs, leaves, cotangents=None, retain_graph=True):
    """d(Σ outputs·cotangents)/d(leaves), zeros for leaves the outputs do not depend on. The graph
    is kept (retain_graph): it may share nodes with graphs outside the transform."""
    from ..autograd import grad as autograd_grad
    from ..ops.creation import zeros_like
    if cotangents is None:
        cotangents = [None] * len(outputs)
    live = [(o, c) for o, c in zip(outputs, cotangents) if o.requires_grad]
    found = [None] * len(leaves)
    if live:
        found = autograd_grad([o for o, _ in live], leaves, [c for _, c in live], retain_graph=retain_graph,
                              allow_unused=True)
    return [zeros_like(t) if g is None else g for g, t in zip(found, leaves)]


def _jacobian_rows(flat_outputs, leaves):
    """Per output, per leaf, the ndarray d output / d leaf shaped (output.numel(),) + leaf.shape
    (in the leaf's dtype), one backward pass per output element."""
    from ..autograd import grad as autograd_grad
    from ..tensor import Tensor
    per_output = []
    for out in flat_outputs:
        n = out.numel()
        rows = [np.zeros((n,) + tuple(t.shape), t._data.dtype) for t in leaves]
        if out.requires_grad:
            for k in range(n):
                onehot = np.zeros(n, out._data.dtype)
                onehot[k] = 1
                found = autograd_grad([out], leaves, [Tensor._wrap(onehot.reshape(out._data.shape))],
                                      retain_graph=True, allow_unused=True)
                for block, g in zip(rows, found):
                    if g is not None:
                        block[k] = g._data
        per_output.append(rows)
    return per_output


def _jacobian(trace, flat_outputs, out_spec, dtype_of_output):
    """The Jacobian as PyTorch nests it: the outputs' structure outside, the differentiated
    arguments' structure inside (one argument's own structure when argnums is an int). Blocks
    take the input's dtype (reverse mode) or the output's (forward mode: dtype_of_output)."""
    from ..tensor import Tensor
    rows = _jacobian_rows(flat_outputs, trace.leaves)
    per_output = []
    for out, blocks in zip(flat_outputs, rows):
        shaped = []
        for leaf, block in zip(trace.leaves, blocks):
            block = block.reshape(tuple(out.shape) + tuple(leaf.shape))
            if dtype_of_output:
                block = block.astype(out._data.dtype) if out._data.dtype.kind in "fc" else np.zeros_like(
                    block, dtype=out._data.dtype)
            shaped.append(Tensor._wrap(block))
        per_output.append(tree_unflatten(shaped, trace.in_spec))
    return tree_unflatten(per_output, out_spec)


# ---- the transforms -----------------------------------------------------------------------

def grad_and_value(func, argnums=0, has_aux=False):
    """Like `grad`, but the returned function gives `(gradients, value)`: the value of `func` (a
    `(value, aux)` pair when `has_aux`) alongside its gradients, from one call of `func`.

    Args: as `grad`.

    Returns: a function returning `(grads, output)` or, with has_aux, `(grads, (output, aux))`."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return _grad_and_value(func, argnums, has_aux, args, kwargs, "grad_and_value(f)(*args)")
    return wrapper


def _grad_and_value(func, argnums, has_aux, args, kwargs, name):
    from ..tensor import Tensor
    api = "grad_and_value(f)(*args)"
    trace = _trace(func, args, kwargs, argnums, has_aux, api)
    output = trace.output
    if not isinstance(output, Tensor):
        raise RuntimeError(f"{api}: Expected f(*args) to return a Tensor, got {type(output)}")
    if output.dim() != 0:
        raise RuntimeError(f"{api}: Expected f(*args) to return a scalar Tensor, got tensor with {output.dim()} dims. "
                           "Maybe you wanted to use the vjp or jacrev APIs instead?")
    aux = _finish(trace, name, [output])
    grads = tree_unflatten(_reverse_grads([output], trace.leaves), trace.in_spec)
    value = output.detach()
    return (grads, (value, aux)) if has_aux else (grads, value)


def grad(func, argnums=0, has_aux=False):
    """The gradient transform: `grad(f)` returns a function computing the gradient of `f` (which
    must return a 0-dim Tensor) with respect to its argument(s) at `argnums`.

    Arguments may be Tensors or nested tuples, lists and dicts of Tensors (a dict of parameters,
    say); the gradient has the same structure. The inputs need not require grad, and no `.grad`
    is written: the gradients are returned. `grad` composes with `vmap` (per-sample gradients:
    `vmap(grad(loss), in_dims=(None, 0, 0))(params, x, y)`) but not with itself: lamina has no
    double backward, so `grad(grad(f))` raises NotImplementedError. The gradients come back
    detached (PyTorch's can be differentiated again when the inputs require grad).

    Args:
        func (callable): a function returning a 0-dim Tensor, or `(tensor, aux)` with has_aux.
        argnums (int or tuple of ints): the argument(s) to differentiate with respect to; a tuple
            gives a tuple of gradients. Default: 0.
        has_aux (bool): `func` returns `(output, aux)`; aux (Tensors) is returned, detached,
            beside the gradient. Default: False.

    Returns: a function taking `func`'s arguments and returning the gradient (or `(grad, aux)`).

    Example::

        >>> x = lamina.tensor([1.0, 2.0, 3.0])
        >>> lamina.func.grad(lambda v: (v ** 2).sum())(x)
        tensor([2., 4., 6.])
    """
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        grads, value = _grad_and_value(func, argnums, has_aux, args, kwargs, "grad(f)(*args)")
        return (grads, value[1]) if has_aux else grads
    return wrapper


def vjp(func, *primals, has_aux=False):
    """The vector-Jacobian product: returns `(func(*primals), vjp_fn)`, where `vjp_fn(cotangents)`
    gives the gradients of Σ output·cotangent with respect to every primal (a tuple, one entry
    per primal, nested as the primals are). `cotangents` has the structure of the outputs.

    Args:
        func (callable): a function returning a Tensor or a structure of float Tensors.
        *primals: the arguments (Tensors or structures of Tensors).
        has_aux (bool): `func` returns `(output, aux)`; then `(output, vjp_fn, aux)` is returned.

    `vjp_fn(cotangents, retain_graph=True, create_graph=None)` may be called many times; its
    results are detached, and create_graph=True raises (lamina has no double backward)."""
    api = "vjp(f, *primals)"
    trace = _trace(func, primals, {}, None, has_aux, api)
    flat_out, out_spec = tree_flatten(trace.output)
    _check_tensor_outputs(flat_out, api)
    _check_floating_outputs(flat_out)
    aux = _finish(trace, api, flat_out)
    vjp_fn = _make_vjp_fn(trace, flat_out, out_spec)
    output = tree_unflatten([o.detach() for o in flat_out], out_spec)
    return (output, vjp_fn, aux) if has_aux else (output, vjp_fn)


def _make_vjp_fn(trace, flat_out, out_spec):
    def vjp_fn(cotangents, retain_graph=True, create_graph=None):
        if create_graph:
            raise NotImplementedError("vjp_fn(create_graph=True): lamina does not build graphs of the backward pass; "
                                      "higher-order gradients are not supported")
        flat_cot, cot_spec = tree_flatten(cotangents)
        if cot_spec != out_spec:
            raise RuntimeError("Expected pytree structure of cotangents to be the same as pytree structure of outputs "
                               f"to the function. cotangents: {pretty(cot_spec)}, primal output: {pretty(out_spec)}")
        _refuse_higher_order("vjp_fn(cotangents)", flat_cot)
        grads = _reverse_grads(flat_out, trace.leaves, flat_cot, retain_graph=retain_graph)
        return tree_unflatten(grads, trace.in_spec)
    return vjp_fn


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """The Jacobian-vector product: returns `(func(*primals), J·tangents)`, the derivative of
    `func` at `primals` in the direction `tangents` (same structure and shapes as primals).

    PyTorch computes this in forward mode; lamina has only reverse mode, so it builds the
    Jacobian one output element at a time (one backward pass each) and multiplies: the same
    numbers, at a cost that grows with the number of output elements.

    Args:
        func (callable): a function returning a Tensor or a structure of Tensors.
        primals (tuple): the arguments of `func` (Tensors or structures of Tensors).
        tangents (tuple): the direction, shaped like `primals`.
        strict (bool): raise if an output does not depend on the inputs. Default: False.
        has_aux (bool): `func` returns `(output, aux)`; then `(output, jvp_out, aux)` is returned.
    """
    api = "jvp(f, primals, tangents)"
    flat_tangents = _check_primals_and_tangents(primals, tangents, api)
    trace = _trace(func, primals, {}, None, has_aux, api)
    flat_out, out_spec = tree_flatten(trace.output)
    _check_tensor_outputs(flat_out, api)
    aux = _finish(trace, api, flat_out, flat_tangents)
    if strict:
        leaf_ids = frozenset(id(t) for t in trace.leaves)
        if not all(_reaches([o], leaf_ids) for o in flat_out):
            raise RuntimeError("jvp(f, primals, tangents, strict=True): The output of f is independent of the "
                               "inputs. This is not allowed with strict=True.")
    rows = _jacobian_rows(flat_out, trace.leaves)
    pushed = [_push_forward(out, blocks, flat_tangents) for out, blocks in zip(flat_out, rows)]
    output = tree_unflatten([o.detach() for o in flat_out], out_spec)
    result = (output, tree_unflatten(pushed, out_spec))
    return result + (aux,) if has_aux else result


def _check_primals_and_tangents(primals, tangents, api):
    from ..tensor import Tensor
    if not isinstance(primals, tuple):
        raise RuntimeError(f"{api}: Expected primals to be a tuple. E.g. it should be valid to call f(*primals).")
    flat_p, p_spec = tree_flatten(primals)
    flat_t, t_spec = tree_flatten(tangents)
    if p_spec != t_spec:
        raise RuntimeError(f"{api}: Expected primals and tangents to have the same python structure. For example, if "
                           "primals is a tuple of 3 tensors, tangents also must be. Got primals with structure "
                           f"{p_spec} and tangents with structure {t_spec}")
    for name, flat in (("primals", flat_p), ("tangents", flat_t)):
        if not flat:
            raise RuntimeError(f"{api}: Expected {name} to contain at least one Tensor.")
        for x in flat:
            if not isinstance(x, Tensor):
                raise RuntimeError(f"{api}: Expected {name} to only contain Tensors, got {type(x)}")
    for p, t in zip(flat_p, flat_t):
        if p.shape != t.shape:
            raise RuntimeError("Trying to set a forward gradient that has a different size than that of the original "
                               f"Tensor, this is not supported. Tensor is of size {list(p.shape)} while the given "
                               f"forward gradient is of size {list(t.shape)}.")
    return flat_t


def _push_forward(out, blocks, flat_tangents):
    """J·v for one output, in the output's dtype (zeros for a non-float output, as PyTorch)."""
    from ..tensor import Tensor
    dtype = out._data.dtype
    total = np.zeros(out._data.size, dtype)
    if dtype.kind in "fc":
        for block, t in zip(blocks, flat_tangents):
            total = total + block.reshape(out._data.size, -1) @ t._data.reshape(-1)
    return Tensor._wrap(np.asarray(total, dtype).reshape(out._data.shape))


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None):
    """The Jacobian of `func` with respect to the argument(s) at `argnums`, by reverse mode: one
    backward pass per output element.

    The result nests as PyTorch's: the outputs' structure outside, the arguments' inside; each
    block has shape output.shape + input.shape and the input's dtype.

    Args:
        func (callable): a function returning a Tensor or a structure of float Tensors.
        argnums (int or tuple of ints): the argument(s) to differentiate. Default: 0.
        has_aux (bool): `func` returns `(output, aux)`; then `(jacobian, aux)`. Default: False.
        chunk_size (int, optional): accepted for PyTorch's API (the rows are computed one by one
            anyway); must be positive.

    `jacrev(jacrev(f))` raises NotImplementedError: lamina has no double backward."""
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError("jacrev: `chunk_size` should be greater than 0.")

    @functools.wraps(func)
    def wrapper(*args):
        api = "vjp(f, *primals)"  # PyTorch words jacrev's errors as vjp's
        trace = _trace(func, args, {}, argnums, has_aux, api)
        flat_out, out_spec = tree_flatten(trace.output)
        _check_tensor_outputs(flat_out, api)
        _check_floating_outputs(flat_out)
        aux = _finish(trace, "jacrev(f)(*args)", flat_out)
        jac = _jacobian(trace, flat_out, out_spec, dtype_of_output=False)
        return (jac, aux) if has_aux else jac
    return wrapper


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """The Jacobian of `func` with respect to the argument(s) at `argnums`. PyTorch uses forward
    mode; lamina computes the same Jacobian by reverse mode (one backward pass per output
    element), with PyTorch's jacfwd nesting and dtypes: blocks take the output's dtype, and a
    non-float output gets zeros.

    Args:
        func, argnums, has_aux: as `jacrev`.
        randomness (str): as `vmap`'s: 'error' refuses a function that draws random numbers
            from the global generator. lamina calls `func` once, so 'different' and 'same' both
            use one draw for every column (PyTorch's 'different' draws per column).
    """
    @functools.wraps(func)
    def wrapper(*args):
        from ._vmap import _RandomnessGuard, check_randomness
        check_randomness(randomness)  # at call time, with vmap's error, as PyTorch's jacfwd
        api = "jvp(f, primals, tangents)"  # PyTorch words jacfwd's errors as jvp's
        trace = _trace(func, args, {}, argnums, has_aux, api, guard=_RandomnessGuard(randomness))
        flat_out, out_spec = tree_flatten(trace.output)
        _check_tensor_outputs(flat_out, api)
        aux = _finish(trace, "jacfwd(f)(*args)", flat_out)
        jac = _jacobian(trace, flat_out, out_spec, dtype_of_output=True)
        return (jac, aux) if has_aux else jac
    return wrapper


def hessian(func, argnums=0):
    """The Hessian of `func` (PyTorch: jacfwd(jacrev(func))). It needs the derivative of a
    derivative, and lamina's backward pass is not differentiable: calling the returned function
    raises NotImplementedError."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        raise NotImplementedError("hessian(f): the Hessian is jacfwd(jacrev(f)), a derivative of a derivative, which "
                                  "needs double backward (create_graph=True); lamina has no higher-order gradients")
    return wrapper
