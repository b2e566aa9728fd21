"""lamina.autograd.Function: custom ops with a hand-written backward, PyTorch's way.

    class Exp(Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp(); ctx.save_for_backward(y); return y
        @staticmethod
        def backward(ctx, grad):
            y, = ctx.saved_tensors; return grad * y

forward and backward see Tensors; the node built here converts at the boundary. backward is
called once per backward pass, with one gradient per output (zeros for unused outputs unless
ctx.set_materialize_grads(False), then None)."""
import functools

import numpy as np

from .grad_mode import no_grad
from .node import Node, edge


class FunctionCtx:
    def __init__(self):
        self._saved = ()
        self._freed = False
        self._in_forward = True
        self.needs_input_grad = ()
        self.non_differentiable = ()
        self.dirty = ()
        self.materialize_grads = True

    def save_for_backward(self, *tensors):
        self._saved = tensors  # checked when the graph is built, as PyTorch does

    @property
    def saved_tensors(self):
        if self._in_forward:  # nothing is unpacked before the graph exists (PyTorch gives ())
            return ()
        if self._freed:
            from .engine import _FREED
            raise RuntimeError(_FREED)
        return self._saved

    def mark_non_differentiable(self, *tensors):
        self.non_differentiable = tensors

    def mark_dirty(self, *tensors):
        self.dirty = tensors

    def set_materialize_grads(self, value):
        self.materialize_grads = value


class _PerOutput:
    """Gradients of a multi-output Function, slot k for output k; `+` merges (the engine sums
    the gradients that reach a node with +)."""
    __slots__ = ("grads",)

    def __init__(self, grads):
        self.grads = grads

    def __add__(self, other):
        return _PerOutput([b if a is None else a if b is None else a + b for a, b in zip(self.grads, other.grads)])


class Function:
    """Subclass with static forward(ctx, *args) and backward(ctx, *grads); call with .apply.

    (Or forward(*args) without ctx plus setup_context(ctx, inputs, output), as in PyTorch 2.)"""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    vjp = backward

    def __call__(self, *args, **kwargs):
        raise RuntimeError("Legacy autograd function with non-static forward method is deprecated. Please use "
                           "new-style autograd function with static forward method. (Example: "
                           "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)")

    @classmethod
    def apply(cls, *args, **kwargs):
        from ..tensor import Tensor
        from . import grad_mode
        ctx = FunctionCtx()
        # every argument counts as an input, keyword ones after the positional (as PyTorch)
        inputs = args + tuple(kwargs.values())
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in inputs)
        separate_setup = "setup_context" in _overridden(cls)
        with no_grad():
            out = cls.forward(*args, **kwargs) if separate_setup else cls.forward(ctx, *args, **kwargs)
            if separate_setup:
                cls.setup_context(ctx, args, out)
        ctx._in_forward = False
        outputs = out if isinstance(out, tuple) else (out,)
        _check_dirty(ctx.dirty, outputs)
        for t in ctx.dirty:
            t._vc[0] += 1  # the in-place change the Function made, counted as PyTorch counts it
        positions = [i for i, a in enumerate(inputs) if isinstance(a, Tensor)]
        if not (grad_mode._mode.grad and any(inputs[i]._requires_grad for i in positions)):
            return out
        for t in ctx.dirty:
            if t.grad_fn is None and t._requires_grad:
                raise RuntimeError("a leaf Variable that requires grad has been used in an in-place operation.")
        for i, t in enumerate(ctx._saved):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save variables, but argument {i} is of type "
                                f"{type(t).__name__}")
        name = f"{cls.__name__}Backward"
        node = Node(name, _backward_of(cls, ctx, inputs, positions, outputs, name),
                    tuple(edge(inputs[i]) for i in positions),
                    tuple((t._vc, t._vc[0], t) for t in ctx._saved if t is not None))
        wrapped = [_output(o, k, len(outputs), node, ctx, inputs) for k, o in enumerate(outputs)]
        return tuple(wrapped) if isinstance(out, tuple) else wrapped[0]


def _user_backward(cls):
    """The class's backward, or its vjp (PyTorch's other name for it); not both."""
    backward, vjp = cls.backward, cls.vjp
    if backward is not Function.backward and vjp is not Function.vjp:
        raise RuntimeError("Implementing both 'backward' and 'vjp' for a custom Function is not allowed. You should "
                           "only implement one of them.")
    return vjp if vjp is not Function.vjp else backward


def _backward_of(cls, ctx, inputs, positions, outputs, name):
    """The node's backward: the output gradients as Tensors to the user's backward, its result
    checked as PyTorch checks it, one array (or None) per tensor input."""
    from ..tensor import Tensor
    metas = [(o._data.shape, o._data.dtype) if isinstance(o, Tensor) else None for o in outputs]
    user_backward = _user_backward(cls)

    def backward(g):
        grads = g.grads if isinstance(g, _PerOutput) else [g]
        tensors = []
        for gi, meta in zip(grads, metas):
            if gi is None and ctx.materialize_grads and meta is not None:
                gi = np.zeros(meta[0], dtype=meta[1])
            tensors.append(None if gi is None else Tensor._wrap(gi))
        with no_grad():
            result = user_backward(ctx, *tensors)
        result = result if isinstance(result, tuple) else (result,)
        if len(result) > len(inputs) and all(r is None for r in result[len(inputs):]):
            result = result[:len(inputs)]  # trailing Nones beyond the inputs are allowed
        if len(result) != len(inputs):
            raise RuntimeError(f"function {name} returned an incorrect number of gradients (expected "
                               f"{len(inputs)}, got {len(result)})")
        for i, r in enumerate(result):
            if r is None:
                continue
            if not isinstance(r, Tensor):
                kind = type(r)
                what = kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
                raise RuntimeError(f"expected Variable or None (got {what})")
            if not isinstance(inputs[i], Tensor):
                raise RuntimeError(f"function {name} returned a gradient different than None at position {i + 1}, "
                                   "but the corresponding forward input was not a Variable")
        return tuple(_fit(result[i], inputs[i], i, name) for i in positions)
    return backward


def _fit(grad, input, index, name):
    """A returned gradient as the input's gradient: summed down from a shape the input's expands
    to, cast to its dtype; any other shape is PyTorch's error."""
    if grad is None:
        return None
    g, shape = grad._data, input._data.shape
    if g.shape != shape:
        try:
            expands = np.broadcast_shapes(shape, g.shape) == g.shape
        except ValueError:
            expands = False
        if not expands:
            raise RuntimeError(f"Function {name} returned an invalid gradient at index {index} - got {list(g.shape)} "
                               f"but expected shape compatible with {list(shape)}")
        from ..ops._core import unbroadcast
        g = unbroadcast(g, shape)
    return g if g.dtype == input._data.dtype else g.astype(input._data.dtype)


def _check_dirty(dirty, outputs):
    for t in dirty:
        if not any(t is o for o in outputs):
            raise RuntimeError("Some elements marked as dirty during the forward method were not returned as output. "
                               "The inputs that are modified inplace must all be outputs of the Function.")


def _output(o, k, n, node, ctx, inputs):
    """Output k of n as the Function returns it: the dirty input itself with its new history,
    an input returned unchanged as a view of it, or a new tensor on the node."""
    from ..tensor import Tensor
    if not isinstance(o, Tensor):
        return o
    dirty = any(o is t for t in ctx.dirty)
    differentiable = not any(o is t for t in ctx.non_differentiable) and o._data.dtype.kind == "f"
    if not dirty and any(o is t for t in inputs):
        o = _view_of(o)
    if not differentiable:
        if not dirty:
            o._requires_grad = False
            o.grad_fn = None
        return o
    o.grad_fn = node if n == 1 else Node(node._name, functools.partial(_slot, n, k), (node,), None)
    o._requires_grad = True
    return o


def _view_of(t):
    """A new tensor sharing t's memory and version counter, as PyTorch returns an input given back."""
    from ..ops._core import wrap
    v = wrap(t._data)
    v._vc = t._vc
    base = getattr(t, "_base", None)  # unset on tensors made by ops
    v._base = t if base is None else base
    return v


def _slot(n, k, g):
    grads = [None] * n
    grads[k] = g
    return (_PerOutput(grads),)


def _overridden(cls):
    names = set()
    for klass in cls.__mro__:
        if klass is Function:
            break
        names.update(vars(klass))
    return names


def once_differentiable(fn):
    """Marks a backward as not differentiable twice; lamina never differentiates twice anyway."""
    return fn


class InplaceFunction(Function):
    pass
