"""lamina.func: torch.func's function transforms and helpers.

functional_call and stack_module_state live here; vmap is in _vmap.py (a Python loop over the
mapped dimension), the derivative transforms (grad, grad_and_value, vjp, jvp, jacrev, jacfwd,
hessian) in _autodiff.py (reverse mode, no double backward), the pytree helpers they share in
_pytree.py. This module loads on first use of `lamina.func`."""
from collections.abc import Sequence

from ._autodiff import grad, grad_and_value, hessian, jacfwd, jacrev, jvp, vjp
from ._vmap import vmap

__all__ = ["functional_call", "stack_module_state", "vmap", "grad", "grad_and_value", "vjp", "jvp", "jacrev",
           "jacfwd", "hessian"]


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights=True, strict=False):
    """Call `module(*args, **kwargs)` with its parameters and buffers replaced, for this call
    only, by the tensors in `parameter_and_buffer_dicts` (dotted state_dict names).

    Args:
        module (nn.Module): the module to call.
        parameter_and_buffer_dicts (dict or sequence of dicts): the replacements; several
            dicts are merged and may not repeat a key.
        args (Any or tuple): positional arguments (a non-tuple is one argument).
        kwargs (dict): keyword arguments.
        tie_weights (bool): a tensor given for one of several tied names replaces all of them.
            Default: True.
        strict (bool): every parameter and buffer must be given, and nothing else. Default: False.

    Returns: the module's output."""
    from ..nn.utils.stateless import _functional_call
    if isinstance(parameter_and_buffer_dicts, dict):
        merged = parameter_and_buffer_dicts
    elif isinstance(parameter_and_buffer_dicts, Sequence):
        if not all(isinstance(d, dict) for d in parameter_and_buffer_dicts):
            raise ValueError("Expected all elements of parameter_and_buffer_dicts to be dictionaries")
        counts = {}
        for d in parameter_and_buffer_dicts:
            for k in d:
                counts[k] = counts.get(k, 0) + 1
        repeated = [k for k, n in counts.items() if n > 1]
        if repeated:
            raise ValueError(f"{repeated} appeared in multiple dictionaries; behavior of functional call is ambiguous")
        merged = {k: v for d in parameter_and_buffer_dicts for k, v in d.items()}
    else:
        raise ValueError("Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of dicts, "
                         f"but got {type(parameter_and_buffer_dicts)}")
    return _functional_call(module, merged, args, kwargs, tie_weights=tie_weights, strict=strict)


def stack_module_state(models):
    """Stack the parameters and buffers of `models` (same class, same training mode) for
    ensembling with `vmap` and `functional_call`.

    Returns: `(params, buffers)`, two dicts keyed by state_dict name, each value the models'
    tensors stacked along a new first dimension. Stacked parameters are new leaves (requiring
    grad when the models' do), unrelated to the models' own, so they can go to an optimizer.

    Example::

        >>> models = [nn.Linear(3, 2) for _ in range(4)]
        >>> params, buffers = lamina.func.stack_module_state(models)
        >>> def call(p, b, x):
        ...     return lamina.func.functional_call(models[0], (p, b), (x,))
        >>> lamina.func.vmap(call, in_dims=(0, 0, None))(params, buffers, lamina.randn(5, 3)).shape
        torch.Size([4, 5, 2])
    """
    if len(models) == 0:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if not (all(m.training for m in models) or not any(m.training for m in models)):
        raise RuntimeError("stack_module_state: Expected all models to have the same training/eval mode.")
    first_type = type(models[0])
    if not all(type(m) is first_type for m in models):
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")
    all_params = [dict(m.named_parameters()) for m in models]
    all_buffers = [dict(m.named_buffers()) for m in models]
    params = {name: _stacked_leaf([p[name] for p in all_params], name) for name in all_params[0]}
    buffers = {name: _stacked_leaf([b[name] for b in all_buffers], name) for name in all_buffers[0]}
    return params, buffers


def _stacked_leaf(tensors, name):
    from ..ops.shape import stack
    needs_grad = [t.requires_grad for t in tensors]
    if any(needs_grad) and not all(needs_grad):
        raise RuntimeError(f"Expected {name} from each model to have the same .requires_grad")
    stacked = stack([t.detach() for t in tensors])
    return stacked.requires_grad_(True) if all(needs_grad) else stacked
