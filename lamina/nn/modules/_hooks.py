"""The slow path of Module.__call__: forward pre-hooks, forward hooks and full backward hooks,
in PyTorch's order (global hooks before the module's own).

Full backward hooks put an identity node on each input and output tensor: the output nodes
collect grad_output (and run backward pre-hooks), the input nodes collect grad_input, and the
hook fires once the last input node has its gradient (an output no gradient reached has None in
grad_output). With several inputs, a replacement grad_input returned by the hook applies to the
input whose gradient arrives last."""
from ...ops._core import make
from ...tensor import Tensor
from . import module as _module


def _identity(t, on_grad):
    def backward(g):
        return (on_grad(g),)
    return make(t._data, (t,), backward, "BackwardHookFunctionBackward", view_of=t)


class _BackwardHookState:
    """One forward's full backward hooks: the gradients collected so far, and firing. After a
    firing everything is re-armed, so a second backward through the same graph
    (retain_graph=True) fires the hooks again, as in PyTorch."""

    def __init__(self, module, hooks, pre_hooks):
        self.module = module
        self.hooks = hooks
        self.pre_hooks = pre_hooks
        self.n_args = self.n_inputs = self.n_outputs = self.n_output_tensors = 0
        self.rearm()

    def rearm(self):
        self.grad_inputs = [None] * self.n_args
        self.pending_inputs = self.n_inputs
        self.output_grads = [None] * self.n_outputs
        self.pending_outputs = self.n_output_tensors
        self.grad_outputs = None

    def outputs_done(self):
        """grad_output as the backward pre-hooks leave it (None for outputs no gradient reached)."""
        result = tuple(self.output_grads)
        for pre in self.pre_hooks:
            new = pre(self.module, tuple(None if x is None else Tensor._wrap(x) for x in result))
            if new is not None:
                result = tuple(None if x is None else x._data for x in new)
        self.grad_outputs = result
        return result

    def fire(self):
        if self.grad_outputs is None:  # some outputs did not reach what backward started from
            self.outputs_done()
        grad_in = tuple(None if g is None else Tensor._wrap(g) for g in self.grad_inputs)
        grad_out = tuple(None if g is None else Tensor._wrap(g) for g in self.grad_outputs)
        self.rearm()
        for hook in self.hooks:
            result = hook(self.module, grad_in, grad_out)
            if result is not None:
                grad_in = tuple(result)
        return grad_in


def _wrap_inputs(args, state):
    # grad_input has one entry per positional argument (None for non-tensors and for tensors
    # that need no gradient), as PyTorch's
    new_args = list(args)
    positions = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a._requires_grad]
    state.n_args, state.n_inputs = len(args), len(positions)
    state.rearm()
    for slot in positions:
        def on_grad(g, slot=slot):
            state.grad_inputs[slot] = g
            state.pending_inputs -= 1
            if state.pending_inputs == 0:
                replaced = state.fire()
                if replaced[slot] is not None:
                    return replaced[slot]._data
            return g
        new_args[slot] = _identity(args[slot], on_grad)
    return tuple(new_args)


def _wrap_outputs(output, state):
    outs = output if isinstance(output, tuple) else (output,)
    tensors = [i for i, o in enumerate(outs) if isinstance(o, Tensor) and o._requires_grad]
    if not tensors:
        return output
    state.n_outputs, state.n_output_tensors = len(outs), len(tensors)
    state.output_grads, state.pending_outputs = [None] * len(outs), len(tensors)

    def make_hook(i):
        def on_grad(g):
            state.output_grads[i] = g
            state.pending_outputs -= 1
            if state.pending_outputs == 0:
                result = state.outputs_done()
                if state.n_inputs == 0:  # no input needs a gradient: fire now, as PyTorch does
                    import warnings
                    warnings.warn("Full backward hook is firing when gradients are computed with respect to module "
                                  "outputs since no inputs require gradients. See https://docs.pytorch.org/docs/main/"
                                  "generated/torch.nn.Module.html#torch.nn.Module.register_full_backward_hook for "
                                  "more details.", stacklevel=2)
                    state.fire()
                return result[i]
            return g
        return on_grad
    wrapped = list(outs)
    for i in tensors:
        wrapped[i] = _identity(outs[i], make_hook(i))
    return tuple(wrapped) if isinstance(output, tuple) else wrapped[0]


def call_with_hooks(module, args, kwargs):
    called = set()  # forward hooks already run: an always_call hook is not run twice on an error
    result = None
    try:
        return _call(module, args, kwargs, called)
    except Exception:
        # hooks registered with always_call=True still see the call (with what output there is),
        # and their own errors only warn, so that forward's error is the one raised
        scopes = (("global module", _module._global_forward_hooks, _module._global_forward_hooks_always_called),
                  ("module", module._forward_hooks, module._forward_hooks_always_called))
        for scope, hooks, always in scopes:
            for key, hook in list(hooks.items()):
                if key in always and key not in called:
                    try:
                        if hooks is module._forward_hooks and module._forward_hooks_with_kwargs.get(key):
                            hook_result = hook(module, args, kwargs, result)
                        else:
                            hook_result = hook(module, args, result)
                        if hook_result is not None:
                            result = hook_result
                    except Exception as e:
                        import warnings
                        warnings.warn(f"{scope} forward hook with ``always_call=True`` raised an exception that was "
                                      f"silenced as another error was raised in forward: {e}", stacklevel=2)
        raise


def _call(module, args, kwargs, called):
    pre_hooks = list(_module._global_forward_pre_hooks.items()) + list(module._forward_pre_hooks.items())
    for key, hook in pre_hooks:
        if module._forward_pre_hooks_with_kwargs.get(key):
            result = hook(module, args, kwargs)
            if result is not None:
                args, kwargs = result
        else:
            result = hook(module, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
    backward_hooks = list(_module._global_backward_hooks.values()) + list(module._backward_hooks.values())
    state = None
    if backward_hooks or module._backward_pre_hooks:
        from ...autograd.grad_mode import is_grad_enabled
        if is_grad_enabled():
            state = _BackwardHookState(module, backward_hooks, list(module._backward_pre_hooks.values()))
            args = _wrap_inputs(args, state)
    output = module.forward(*args, **kwargs)
    post_hooks = list(_module._global_forward_hooks.items()) + list(module._forward_hooks.items())
    for key, hook in post_hooks:
        if key in module._forward_hooks_always_called or key in _module._global_forward_hooks_always_called:
            called.add(key)
        if module._forward_hooks_with_kwargs.get(key):
            result = hook(module, args, kwargs, output)
        else:
            result = hook(module, args, output)
        if result is not None:
            output = result
    if state is not None:
        output = _wrap_outputs(output, state)
    return output
