"""A node of the autograd graph: the backward of one op (one node per output tensor).

`backward(grad)` maps the gradient of the op's output (an ndarray) to one gradient per input
(ndarray or None). `inputs[i]` says where that gradient goes, fixed when the op ran: the input's
own Node if it was computed, the input Tensor itself if it was a leaf requiring grad, or None.
Holding the node rather than the tensor matters: an in-place op later gives the tensor a new
grad_fn, but this op used the value from before. A node is small (`__slots__`) because one is
built for every op recorded while training."""


_CPP_NODES = {"CopySlices", "CopyBackwards"}  # PyTorch's .name() spells these with a namespace


class Node:
    __slots__ = ("_name", "backward", "inputs", "saved", "hooks", "retained", "__weakref__")

    def __init__(self, name, backward, inputs, saved):
        self._name = name         # PyTorch's class name for this backward, e.g. "AddmmBackward0"
        self.backward = backward  # closure over what the forward saved; None once freed
        self.inputs = inputs      # tuple of Node / leaf Tensor / None, one per input
        # saved: None when the closure holds nothing worth freeing; otherwise a tuple of
        # (version_counter, version_at_save, tensor_or_None) for tensors whose in-place change
        # would make the gradient wrong (checked by the engine before calling backward).
        self.saved = saved
        self.hooks = None         # hooks registered on the output tensor (non-leaf register_hook)
        self.retained = None      # weakref to the output tensor when retain_grad() was called

    def name(self):
        return "torch::autograd::" + self._name if self._name in _CPP_NODES else self._name

    def __repr__(self):
        return f"<{self._name} object at {hex(id(self))}>"

    @property
    def next_functions(self):
        """((node_or_AccumulateGrad_or_None, 0), ...) like PyTorch's grad_fn.next_functions."""
        return tuple((None if i is None else i if i.__class__ is Node else AccumulateGrad(i), 0)
                     for i in self.inputs)

    @property
    def metadata(self):
        return {}

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


def edge(t):
    """Where gradient for tensor `t` goes from an op that uses it now (see Node.inputs)."""
    if not t._requires_grad:
        return None
    fn = t.grad_fn
    return t if fn is None else fn
