"""lamina.autograd.Function: custom ops with a hand-written backward, PyTorch's way.

    class Exp(Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp(); ctx.save_for_backward(y); return y
        @staticmethod
        def backward(ctx, grad):
            y, = ctx.saved_tensors; return grad * y

forward and backward see Tensors; the node built here converts at the boundary."""
import numpy as np

from .grad_mode import no_grad


class FunctionCtx:
    def __init__(self):
        self.saved_tensors = ()
        self.needs_input_grad = ()
        self.non_differentiable = ()
        self.materialize_grads = True

    def save_for_backward(self, *tensors):
        self.saved_tensors = tensors

    def mark_non_differentiable(self, *tensors):
        self.non_differentiable = tensors

    def mark_dirty(self, *tensors):
        pass

    def set_materialize_grads(self, value):
        self.materialize_grads = value


class Function:
    """Subclass with static forward(ctx, *args) and backward(ctx, *grads); call with .apply."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    @classmethod
    def apply(cls, *args, **kwargs):
        from ..ops._core import make
        from ..tensor import Tensor
        ctx = FunctionCtx()
        tensor_args = [a for a in args if isinstance(a, Tensor)]
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        with no_grad():
            out = cls.forward(ctx, *args, **kwargs)
        outputs = out if isinstance(out, tuple) else (out,)
        positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]

        def backward_for(k):
            def backward(g):
                grads_in = [None] * len(outputs)
                grads_in[k] = Tensor._wrap(g)
                if ctx.materialize_grads:
                    grads_in = [Tensor._wrap(np.zeros_like(o.data)) if gi is None else gi
                                for gi, o in zip(grads_in, outputs)]
                with no_grad():
                    result = cls.backward(ctx, *grads_in)
                if not isinstance(result, tuple):
                    result = (result,)
                if len(result) != len(args):
                    raise RuntimeError(f"function {cls.__name__}Backward returned an incorrect number of "
                                       f"gradients (expected {len(args)}, got {len(result)})")
                return tuple(None if result[i] is None else
                             (result[i].data if isinstance(result[i], Tensor) else np.asarray(result[i]))
                             for i in positions)
            return backward
        wrapped = []
        for k, o in enumerate(outputs):
            if not isinstance(o, Tensor) or any(o is n for n in ctx.non_differentiable):
                wrapped.append(o)
                continue
            wrapped.append(make(o.data, tuple(tensor_args), backward_for(k), f"{cls.__name__}Backward",
                                saved=tuple(ctx.saved_tensors)))
        return tuple(wrapped) if isinstance(out, tuple) else wrapped[0]
