"""torch.autograd.functional: derivatives of a whole function of tensors — vjp, jvp and the
Jacobian, by reverse mode (one backward pass per output element for the Jacobian).

Inputs and outputs are a Tensor or a tuple of Tensors, and results keep that structure, as in
PyTorch. The second-order helpers (hessian, hvp, vhp) need the backward pass itself to be
differentiated (create_graph=True), which lamina does not do: they raise NotImplementedError."""
import numpy as np

from . import grad as _grad
from .grad_mode import enable_grad

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


def _as_tuple(x, arg_name, fn_name):
    """(was it a tuple, the tuple), with PyTorch's TypeError for anything but Tensors."""
    from ..tensor import Tensor
    is_tuple = isinstance(x, tuple)
    items = x if is_tuple else (x,)
    for i, el in enumerate(items):
        if not isinstance(el, Tensor):
            where = f"the value at index {i}" if is_tuple else f"the given {arg_name}"
            raise TypeError(f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of Tensors but "
                            f"{where} has type {type(el)}.")
    return is_tuple, items


def _fresh_inputs(inputs):
    """Leaves that require grad and share the inputs' values (the caller's tensors stay untouched)."""
    return tuple(t.detach().requires_grad_(True) for t in inputs)


def _run(func, inputs, fn_name):
    with enable_grad():
        out = func(*inputs)
    return _as_tuple(out, "outputs of the user-provided function", fn_name)


def _check_outputs(outputs, strict):
    if strict:
        for i, o in enumerate(outputs):
            if not o.requires_grad:
                raise RuntimeError(f"Output {i} of the user-provided function does not require gradients. The "
                                   "outputs must be computed in a differentiable manner from the input when running "
                                   "in strict mode.")


def _validate_v(v, other, is_other_tuple):
    if len(other) != len(v):
        if is_other_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(other)} but got {len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for idx, (a, b) in enumerate(zip(v, other)):
        if a.shape != b.shape:
            prefix = f"Entry {idx} in " if is_other_tuple else ""
            raise RuntimeError(f"{prefix}v has invalid size: should be {b.shape} but got {a.shape}.")


def _v_or_one(v, refs, refs_are_tuple, fn_name, single):
    """The vector of a vjp/jvp as a tuple shaped like refs; None means 1, allowed only when refs
    is a single one-element tensor (`single` says which, in PyTorch's message)."""
    if v is None:
        if len(refs) != 1 or refs[0].numel() != 1:
            raise RuntimeError(f"The vector v can only be None if {single} with a single element.")
        return (refs[0].detach() * 0 + 1,)
    _, v = _as_tuple(v, "v", fn_name)
    _validate_v(v, refs, refs_are_tuple)
    return v


def _grads(outputs, inputs, grad_outputs, strict, independent):
    """d(outputs · grad_outputs)/d(inputs), zeros for inputs the outputs do not depend on (in
    strict mode an error: independent(i) is its message)."""
    from ..tensor import Tensor
    live = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    if live:
        res = _grad([o for o, _ in live], inputs, [g for _, g in live], retain_graph=True, allow_unused=True)
    else:
        res = (None,) * len(inputs)
    out = []
    for i, (r, t) in enumerate(zip(res, inputs)):
        if r is None:
            if strict:
                raise RuntimeError(independent(i))
            r = Tensor._wrap(np.zeros_like(t._data))
        out.append(r.detach())
    return tuple(out)


def _unpack(items, is_tuple):
    return tuple(items) if is_tuple else items[0]


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), vᵀ·J): the vector-Jacobian product at `inputs` for `v` shaped like the outputs
    (v may be None when func returns a single element)."""
    _no_graph(create_graph, "vjp")
    is_in_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
    inputs = _fresh_inputs(inputs)
    is_out_tuple, outputs = _run(func, inputs, "vjp")
    _check_outputs(outputs, strict)
    v = _v_or_one(v, outputs, is_out_tuple, "vjp", "the user-provided function returns a single Tensor")
    result = _grads(outputs, inputs, [t.detach() for t in v], strict, lambda i: (
        f"The output of the user-provided function is independent of input {i}. This is not allowed in strict mode."))
    return _unpack([o.detach() for o in outputs], is_out_tuple), _unpack(result, is_in_tuple)


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False, strategy="reverse-mode"):
    """The Jacobian of func at `inputs`: entry [i][j] has shape output_i.shape + input_j.shape
    (a single Tensor when both are single Tensors)."""
    _no_graph(create_graph, "jacobian")
    if strategy not in ("reverse-mode", "forward-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
                           'function has more outputs than inputs, "forward-mode" tends to be more performant. '
                           'Otherwise, prefer to use "reverse-mode".')
    if strategy == "forward-mode" and not vectorize:
        raise NotImplementedError("torch.autograd.functional.jacobian: `strategy=\"forward-mode\"` is only "
                                  "implemented when `vectorize=True`.")
    is_in_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
    is_out_tuple, _, rows = _jacobian_blocks(func, inputs, strict)
    return _unpack([_unpack(blocks, is_in_tuple) for blocks in rows], is_out_tuple)


def _jacobian_blocks(func, inputs, strict, fn_name="jacobian"):
    """(is the output a tuple, the outputs, per output the list of per-input Jacobian blocks)."""
    from ..ops.shape import stack
    from ..tensor import Tensor
    inputs = _fresh_inputs(inputs)
    is_out_tuple, outputs = _run(func, inputs, fn_name)
    _check_outputs(outputs, strict)
    rows = []
    for i, out in enumerate(outputs):
        n = out.numel()
        per_elem = []
        for k in range(n):  # one backward per output element: the k-th row of this output's block
            onehot = np.zeros(out._data.shape, out._data.dtype)
            onehot.reshape(-1)[k] = 1
            per_elem.append(_grads([out], inputs, [Tensor._wrap(onehot)], strict, lambda j, i=i: (
                f"Output {i} of the user-provided function is independent of input {j}. This is not allowed in "
                "strict mode.")))
        blocks = []
        for j, t in enumerate(inputs):
            if n:
                blocks.append(stack([g[j] for g in per_elem]).reshape(tuple(out.shape) + tuple(t.shape)))
            else:
                blocks.append(Tensor._wrap(np.zeros(tuple(out.shape) + tuple(t.shape), t._data.dtype)))
        rows.append(blocks)
    return is_out_tuple, outputs, rows


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), J·v): the Jacobian-vector product at `inputs` for `v` shaped like the inputs
    (v may be None when there is one input of one element). Computed from the Jacobian."""
    _no_graph(create_graph, "jvp")
    is_in_tuple, ins = _as_tuple(inputs, "inputs", "jvp")
    v = _v_or_one(v, ins, is_in_tuple, "jvp", "the input to the user-provided function is a single Tensor")
    is_out_tuple, outputs, jac = _jacobian_blocks(func, ins, strict, "jvp")
    from ..tensor import Tensor
    result = []
    for out, blocks in zip(outputs, jac):
        total = np.zeros(out._data.shape, out._data.dtype)
        for block, vec in zip(blocks, v):
            flat = block._data.reshape(out._data.size, -1)
            total = total + (flat @ vec._data.reshape(-1)).reshape(out._data.shape)
        result.append(Tensor._wrap(np.asarray(total, out._data.dtype)))
    return _unpack([o.detach() for o in outputs], is_out_tuple), _unpack(result, is_out_tuple)


def _no_graph(create_graph, name):
    if create_graph:
        raise NotImplementedError(f"torch.autograd.functional.{name}(create_graph=True) needs the backward pass to "
                                  "be differentiable, which lamina does not support")


def _second_order(name):
    def unsupported(func, inputs, *args, **kwargs):
        raise NotImplementedError(f"torch.autograd.functional.{name} needs second derivatives (a differentiable "
                                  "backward pass, create_graph=True), which lamina does not support")
    unsupported.__name__ = name
    unsupported.__doc__ = f"{name}: not supported (second derivatives need create_graph=True)."
    return unsupported


hessian = _second_order("hessian")
hvp = _second_order("hvp")
vhp = _second_order("vhp")
