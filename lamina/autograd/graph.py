"""torch.autograd.graph: the graph's nodes and edges, version bumps, and the saved-tensor contexts.

lamina's ops keep what their backward needs inside the backward closure itself, so there is no
saved-tensor slot a pack/unpack hook could stand in: saved_tensors_hooks and
register_multi_grad_hook say so instead of silently doing nothing. save_on_cpu changes nothing
(every tensor is on the CPU already), which is also what PyTorch does for CPU tensors."""
import contextlib
from collections import namedtuple

from .node import AccumulateGrad, Node

__all__ = ["Node", "GradientEdge", "get_gradient_edge", "increment_version", "saved_tensors_hooks", "save_on_cpu",
           "disable_saved_tensors_hooks", "register_multi_grad_hook"]

GradientEdge = namedtuple("GradientEdge", ("node", "output_nr", "ownership_token"), defaults=(None,))
GradientEdge.__doc__ = "Where a tensor's gradient goes: the node (AccumulateGrad for a leaf) and its output."

_disabled_message = []  # set by disable_saved_tensors_hooks while its block runs


def get_gradient_edge(tensor):
    """The edge a gradient for `tensor` flows along: (its grad_fn, or an AccumulateGrad for a
    leaf, output 0)."""
    if not tensor.requires_grad:
        raise RuntimeError("It is not possible to get the gradient edge for a Tensor that does not require gradients")
    node = tensor.grad_fn if tensor.grad_fn is not None else AccumulateGrad(tensor)
    return GradientEdge(node, 0)


def increment_version(tensor):
    """Count an in-place change autograd did not see (one per tensor given, repeats included)."""
    for t in (tensor,) if hasattr(tensor, "_vc") else tensor:
        t._vc[0] += 1


class saved_tensors_hooks:
    """Not available: lamina's ops hold the values their backward needs in the backward closure,
    where a pack/unpack pair cannot reach them."""

    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook, self.unpack_hook = pack_hook, unpack_hook

    def __enter__(self):
        if _disabled_message:
            raise RuntimeError(_disabled_message[-1])
        raise NotImplementedError("torch.autograd.graph.saved_tensors_hooks is not supported by lamina: its ops keep "
                                  "the values their backward needs inside the backward itself, where pack/unpack "
                                  "hooks cannot replace them")

    def __exit__(self, *exc):
        return False


@contextlib.contextmanager
def save_on_cpu(pin_memory=False, device_type="cuda"):
    """Saved tensors stay where they are: on the CPU, as they already are in lamina."""
    yield


@contextlib.contextmanager
def disable_saved_tensors_hooks(error_message):
    """Within the block, saved_tensors_hooks raises RuntimeError(error_message)."""
    _disabled_message.append(error_message)
    try:
        yield
    finally:
        _disabled_message.pop()


def register_multi_grad_hook(tensors, fn, *, mode="all"):
    """Not available: see saved_tensors_hooks; register_hook on each tensor is the alternative."""
    if mode not in ("all", "any"):
        raise ValueError(f"Expects mode to be one of ('all', 'any') but got {mode}")
    raise NotImplementedError("torch.autograd.graph.register_multi_grad_hook is not supported by lamina; register "
                              "a hook on each tensor with Tensor.register_hook instead")
