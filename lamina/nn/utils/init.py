"""torch.nn.utils.skip_init: build a module without caring about its initial values."""
import inspect

from ..modules.module import Module

__all__ = ["skip_init"]


def skip_init(module_cls, *args, **kwargs):
    """Instantiate `module_cls(*args, **kwargs)` for callers that will overwrite every parameter
    and buffer (e.g. from a checkpoint). PyTorch builds it on the meta device and allocates
    uninitialized storage; lamina has no meta device, so the module is built normally and its
    values are simply not to be relied on.

    Args:
        module_cls: a Module subclass whose constructor accepts `device`.
        args, kwargs: passed to the constructor.

    Returns: the instantiated module."""
    if not issubclass(module_cls, Module):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    kwargs.setdefault("device", "cpu")
    return module_cls(*args, **kwargs)
