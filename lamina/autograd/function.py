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
        self.needs_input_grad = ()
        self.non_differentiable = ()
        self.dirty = ()
        self.materialize_grads = True

    def save_for_backward(self, *tensors):
        from ..tensor import Tensor
        for t in tensors:
            if t is not None and not isinstance(t, Tensor):
                raise TypeError("save_for_backward can only save variables, but argument 0 is of type "
                                f"{type(t).__name__}")
        self._saved = tensors

    @property
    def saved_tensors(self):
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

    @classmethod
    def apply(cls, *args, **kwargs):
        from ..ops._core import wrap
        from ..tensor import Tensor
        from . import grad_mode
        ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        separate_setup = "setup_context" in _overridden(cls)
        with no_grad():
            out = cls.forward(*args, **kwargs) if separate_setup else cls.forward(ctx, *args, **kwargs)
        if separate_setup:
            cls.setup_context(ctx, args, out)
        outputs = out if isinstance(out, tuple) else (out,)
        positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        if not (grad_mode._mode.grad and any(args[i]._requires_grad for i in positions)):
            return out
        n = len(outputs)
        shapes = [(o._data.shape, o._data.dtype) if isinstance(o, Tensor) else None for o in outputs]

        def backward(g):
            grads = g.grads if isinstance(g, _PerOutput) else [g]
            tensors = []
            for gi, meta in zip(grads, shapes):
                if gi is None and ctx.materialize_grads and meta is not None:
                    gi = np.zeros(meta[0], dtype=meta[1])
                tensors.append(None if gi is None else Tensor._wrap(gi))
            with no_grad():
                result = cls.backward(ctx, *tensors)
            if not isinstance(result, tuple):
                result = (result,)
            if len(result) != len(args):
                raise RuntimeError(f"function {cls.__name__}Backward returned an incorrect number of gradients "
                                   f"(expected {len(args)}, got {len(result)})")
            return tuple(None if result[i] is None else
                         (result[i]._data if isinstance(result[i], Tensor) else np.asarray(result[i]))
                         for i in positions)

        name = f"{cls.__name__}Backward"
        inputs = tuple(edge(args[i]) for i in positions)
        saved = tuple((t._version, t._version[0], t) for t in ctx._saved if t is not None)
        node = Node(name, backward, inputs, saved)
        wrapped = []
        for k, o in enumerate(outputs):
            if not isinstance(o, Tensor):
                wrapped.append(o)
                continue
            if any(o is t for t in args):  # an input returned as is: PyTorch gives a new tensor (a view)
                o = wrap(o._data)
            if any(o is t for t in ctx.non_differentiable) or o._data.dtype.kind != "f":
                wrapped.append(o)
                continue
            if n == 1:
                o.grad_fn = node
            else:
                o.grad_fn = Node(name, functools.partial(_slot, n, k), (node,), None)
            o._requires_grad = True
            wrapped.append(o)
        return tuple(wrapped) if isinstance(out, tuple) else wrapped[0]


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
