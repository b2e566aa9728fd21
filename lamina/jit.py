"""torch.jit for a library without TorchScript: scripts that script or trace a model for speed or
export keep running, eagerly. `script` and `trace` return the module or function itself (trace
runs it once on the example, as PyTorch does, so a shape error shows up at the same place); the
decorators pass functions through; `save`/`load` say what to use instead."""

__all__ = ["script", "trace", "trace_module", "ignore", "unused", "export", "is_scripting", "is_tracing",
           "annotate", "Final", "save", "load", "freeze", "optimize_for_inference", "fork", "wait"]


def script(obj, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    """The module or function itself: lamina runs it eagerly (there is no TorchScript compiler)."""
    return obj


def trace(func, example_inputs=None, optimize=None, check_trace=True, check_inputs=None, check_tolerance=1e-5,
          strict=True, _force_outplace=False, _module_class=None, _compilation_unit=None,
          example_kwarg_inputs=None, _store_inputs=True):
    """Run `func` once on `example_inputs` (as tracing does) and return it unchanged."""
    if example_inputs is not None or example_kwarg_inputs is not None:
        from .autograd.grad_mode import no_grad
        args = example_inputs if isinstance(example_inputs, tuple) else (
            () if example_inputs is None else (example_inputs,))
        with no_grad():
            func(*args, **(example_kwarg_inputs or {}))
    return func


def trace_module(mod, inputs, **kwargs):
    """Run each named method once on its example inputs and return the module unchanged."""
    for name, example in inputs.items():
        trace(getattr(mod, name), example)
    return mod


def ignore(drop=False, **kwargs):
    """@torch.jit.ignore (with or without arguments): the function itself."""
    if callable(drop):
        return drop
    return lambda fn: fn


unused = ignore


def export(fn):
    return fn


def is_scripting():
    return False


def is_tracing():
    return False


def annotate(the_type, the_value):
    return the_value


class Final:
    """torch.jit.Final[T] in class annotations: a marker with no effect here."""

    def __class_getitem__(cls, item):
        return item


def freeze(mod, preserved_attrs=None, optimize_numerics=True):
    return mod


def optimize_for_inference(mod, other_methods=None):
    return mod


def fork(func, *args, **kwargs):
    """Run func now; wait() returns its result (no TorchScript threads)."""
    return _Done(func(*args, **kwargs))


def wait(future):
    return future.value


class _Done:
    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


def save(m, f, _extra_files=None):
    raise NotImplementedError("lamina has no TorchScript archives: save the weights with "
                              "lamina.save(model.state_dict(), path), or export with lamina.onnx.export")


def load(f, map_location=None, _extra_files=None, _restore_shapes=False):
    raise NotImplementedError("lamina cannot load TorchScript archives (they hold compiled code): load a "
                              "state_dict saved with torch.save instead, with lamina.load")
