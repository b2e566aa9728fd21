"""lamina.autograd: backward, grad, grad modes, Function (custom ops) and gradcheck."""
import numpy as np

from .engine import run_backward
from .function import Function
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad,
                        set_grad_enabled)
from .gradcheck import gradcheck, gradgradcheck

__all__ = ["backward", "grad", "Function", "no_grad", "enable_grad", "set_grad_enabled", "inference_mode",
           "is_grad_enabled", "is_inference_mode_enabled", "gradcheck", "gradgradcheck", "Variable",
           "set_detect_anomaly", "detect_anomaly", "is_anomaly_enabled"]


def _as_list(x):
    if x is None:
        return []
    if type(x) is list or type(x) is tuple:  # checked first: the import below costs a lookup per call
        return list(x)
    from ..tensor import Tensor
    return [x] if isinstance(x, Tensor) else list(x)


def _root_grads(outputs, grad_outputs, given=False):
    """The gradient each output starts from: one per output (an extra one is ignored, as in
    PyTorch); with none given at all, ones for one-element outputs."""
    if given and len(grad_outputs) < len(outputs):
        raise RuntimeError(f"got {len(outputs)} tensors and {len(grad_outputs)} gradients")
    grads = []
    for i, out in enumerate(outputs):
        g = grad_outputs[i] if i < len(grad_outputs) else None
        if g is None:
            if out._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if out._data.dtype.kind != "f":
                raise RuntimeError(f"grad can be implicitly created only for real scalar outputs but got "
                                   f"{out.dtype}")
            grads.append(np.ones_like(out._data))
        else:
            arr = np.asarray(g._data if hasattr(g, "data") and not isinstance(g, np.ndarray) else g,
                             dtype=out._data.dtype)
            if arr.shape != out._data.shape:
                raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of torch.Size({list(arr.shape)}) "
                                   f"and output[{i}] has a shape of torch.Size({list(out._data.shape)}).")
            grads.append(arr)
    return grads


def _check_requires_grad(outputs):
    for i, out in enumerate(outputs):
        if not out._requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate d(tensors)/d(leaf) into each leaf's .grad."""
    if create_graph:
        raise NotImplementedError("lamina does not build graphs of the backward pass (create_graph=True); "
                                  "higher-order gradients are not supported")
    if inputs is not None and len(_as_list(inputs)) == 0:
        raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    outputs = _as_list(tensors)
    _check_requires_grad(outputs)
    grads = _root_grads(outputs, _as_list(grad_tensors), grad_tensors is not None)
    if inputs is not None:
        wanted = _as_list(inputs)
        for t in wanted:
            if not t._requires_grad:  # PyTorch retains the inputs' grads, and says so
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        results = run_backward(outputs, grads, bool(retain_graph), wanted=wanted)
        from ..tensor import Tensor
        for t, g in zip(wanted, results):
            if g is not None:
                t._grad = Tensor._wrap(g.copy()) if t._grad is None else Tensor._wrap(t._grad._data + g)
        return
    run_backward(outputs, grads, bool(retain_graph))


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """The gradients of `outputs` with respect to `inputs`, returned (not accumulated into .grad)."""
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when materialize_grads=True, but got: "
                         "allow_unused=False.")
    if create_graph:
        raise NotImplementedError("lamina does not build graphs of the backward pass (create_graph=True); "
                                  "higher-order gradients are not supported")
    from ..tensor import Tensor
    outs = _as_list(outputs)
    ins = _as_list(inputs)
    _check_requires_grad(outs)
    for t in ins:
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    if is_grads_batched:
        return _batched_grad(outs, ins, _as_list(grad_outputs), retain_graph, allow_unused, materialize_grads)
    results = run_backward(outs, _root_grads(outs, _as_list(grad_outputs), grad_outputs is not None),
                           bool(retain_graph), wanted=ins)
    final = []
    for i, (t, g) in enumerate(zip(ins, results)):
        if g is None:
            if materialize_grads:
                final.append(Tensor._wrap(np.zeros_like(t._data)))
                continue
            if not allow_unused:
                raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have been used in the "
                                   "graph. Set allow_unused=True if this is the desired behavior.")
            final.append(None)
        else:
            final.append(Tensor._wrap(g))
    return tuple(final)


def _batched_grad(outs, ins, grad_outputs, retain_graph, allow_unused, materialize_grads):
    """grad(..., is_grads_batched=True): the first dim of each grad_output indexes separate
    backward passes (PyTorch vmaps over it; here one pass per index), results stacked along it."""
    from ..ops.shape import stack
    for i, (g, out) in enumerate(zip(grad_outputs, outs)):
        if tuple(g.shape[1:]) != tuple(out.shape):
            raise RuntimeError(
                "If `is_grads_batched=True`, we interpret the first dimension of each grad_output as the batch "
                "dimension. The sizes of the remaining dimensions are expected to match the shape of corresponding "
                # PyTorch's message shows the first grad's shape without its own first dim
                f"output, but a mismatch was detected: grad_output[{i}] has a shape of {g[0].shape[1:]} and output[{i}] "
                f"has a shape of {out.shape}. If you only want some tensors in `grad_output` to be considered "
                "batched, consider using vmap.")
    n = grad_outputs[0].shape[0]
    per_index = [grad(outs, ins, [g[b] for g in grad_outputs], retain_graph=True if b < n - 1 else retain_graph,
                      allow_unused=allow_unused, materialize_grads=materialize_grads) for b in range(n)]
    return tuple(None if column[0] is None else stack(column) for column in zip(*per_index))


def Variable(data, requires_grad=False, volatile=False):
    """The pre-0.4 wrapper, kept for old tutorials: returns `data` itself (a Tensor), with
    requires_grad set when asked."""
    if requires_grad:
        data.requires_grad_(True)
    return data


# Anomaly mode as PyTorch keeps it: on/off and whether to check for NaN. The engine only needs
# to know whether to check each node's gradients for NaN (engine._anomaly[0]).
_anomaly_mode = {"enabled": False, "check_nan": True}


def set_anomaly_enabled(enabled, check_nan=True):
    """torch.set_anomaly_enabled: anomaly mode on or off; while on (and check_nan), backward
    raises as soon as a node returns a NaN gradient, naming that node."""
    from . import engine
    for pos, (name, value) in enumerate((("enabled", enabled), ("check_nan", check_nan)), 1):
        if not isinstance(value, bool):
            raise TypeError(f"set_anomaly_enabled(): argument '{name}' (position {pos}) must be bool, not "
                            f"{type(value).__name__}")
    _anomaly_mode["enabled"], _anomaly_mode["check_nan"] = enabled, check_nan
    engine._anomaly[0] = enabled and check_nan


class set_detect_anomaly:
    """Turn anomaly detection on or off (as a call or a context manager); leaving the block
    restores the previous mode."""

    def __init__(self, mode, check_nan=True):
        self._prev = (_anomaly_mode["enabled"], _anomaly_mode["check_nan"])
        set_anomaly_enabled(bool(mode), bool(check_nan))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        set_anomaly_enabled(*self._prev)
        return False


class detect_anomaly(set_detect_anomaly):
    """Context manager: anomaly detection on inside the block."""

    def __init__(self, check_nan=True):
        super().__init__(True, check_nan)


def is_anomaly_enabled():
    return _anomaly_mode["enabled"]


def is_anomaly_check_nan_enabled():
    return _anomaly_mode["check_nan"]


def __getattr__(name):
    """torch.autograd.functional and .graph load on first use (they are not needed to train)."""
    if name in ("functional", "graph"):
        import importlib
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module '{__name__}' has no attribute '{name}'")
