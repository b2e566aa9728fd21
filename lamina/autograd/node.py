"""A node of the autograd graph: the backward of one op.

`backward(grad)` maps the gradient of the op's output (an ndarray) to one gradient per input
(ndarray or None). `inputs[i]` is the input tensor, or None where that input needs no gradient,
so the engine and the closure can both skip it. A node is small (`__slots__`) because one is
built for every op recorded while training."""


class Node:
    __slots__ = ("_name", "backward", "inputs", "saved", "hooks", "retained", "__weakref__")

    def __init__(self, name, backward, inputs, saved):
        self._name = name         # PyTorch's class name for this backward, e.g. "AddmmBackward0"
        self.backward = backward  # closure over what the forward saved; None once freed
        self.inputs = inputs      # tuple of Tensor-or-None, one per differentiable input
        # saved: None when the closure holds nothing worth freeing; otherwise a tuple of
        # (version_counter, version_at_save, description) for tensors whose in-place change
        # would make the gradient wrong (checked by the engine before calling backward).
        self.saved = saved
        self.hooks = None         # hooks registered on the output tensor (non-leaf register_hook)
        self.retained = None      # weakref to the output tensor when retain_grad() was called

    def name(self):
        return self._name

    def __repr__(self):
        return f"<{self._name} object at {hex(id(self))}>"

    @property
    def next_functions(self):
        """((node_or_AccumulateGrad_or_None, 0), ...) like PyTorch's grad_fn.next_functions."""
        out = []
        for t in self.inputs:
            if t is None:
                out.append((None, 0))
            elif t.grad_fn is not None:
                out.append((t.grad_fn, 0))
            else:
                out.append((AccumulateGrad(t), 0))
        return tuple(out)

    def register_hook(self, fn):
        raise NotImplementedError("Node.register_hook is not supported; use Tensor.register_hook")


class AccumulateGrad:
    """Stands for a leaf in next_functions; `variable` is the leaf tensor."""
    __slots__ = ("variable",)

    def __init__(self, variable):
        self.variable = variable

    def name(self):
        return "torch::autograd::AccumulateGrad"

    next_functions = ()

    def __repr__(self):
        return f"<AccumulateGrad object at {hex(id(self))}>"
