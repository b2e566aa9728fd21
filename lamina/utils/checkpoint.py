"""torch.utils.checkpoint: activation checkpointing trades compute for memory by re-running a
segment's forward during backward. lamina keeps the segment's activations instead (small models
are what it is for), so checkpoint(fn, *args) is fn(*args) with PyTorch's argument checks and
warnings, and gradients are the same."""
import warnings

__all__ = ["checkpoint", "checkpoint_sequential"]


def checkpoint(function, *args, use_reentrant=None, context_fn=None, determinism_check="default", debug=False,
               preserve_rng_state=True, **kwargs):
    """function(*args, **kwargs); keyword arguments need use_reentrant=False, as in PyTorch."""
    if use_reentrant is None:
        warnings.warn("torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. Starting "
                      "in PyTorch 2.9, calling checkpoint without use_reentrant will raise an exception. "
                      "use_reentrant=False is recommended, but if you need to preserve the current default "
                      "behavior, you can pass use_reentrant=True. Refer to docs for more details on the "
                      "differences between the two variants.", stacklevel=2)
        use_reentrant = True
    if use_reentrant:
        if kwargs:
            raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
        from ..tensor import Tensor
        if not any(isinstance(a, Tensor) and a.requires_grad for a in args):
            warnings.warn("None of the inputs have requires_grad=True. Gradients will be None", stacklevel=2)
            # as PyTorch's reentrant variant: its forward runs without a graph, so the output
            # needs no gradient and the parameters inside get none (the well-known pitfall)
            from ..autograd.grad_mode import no_grad
            with no_grad():
                return function(*args)
    return function(*args, **kwargs)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Run a Sequential (or a list of modules) on `input` in `segments` checkpointed pieces."""
    if use_reentrant is None:
        warnings.warn("torch.utils.checkpoint.checkpoint_sequential: the use_reentrant parameter should be passed "
                      "explicitly. Starting in PyTorch 2.9, calling checkpoint_sequential without use_reentrant "
                      "will raise an exception. use_reentrant=False is recommended, but if you need to preserve "
                      "the current default behavior, you can pass use_reentrant=True. Refer to docs for more "
                      "details on the differences between the two variants.", stacklevel=2)
    for fn in (list(functions.children()) if hasattr(functions, "children") else functions):
        input = fn(input)
    return input
