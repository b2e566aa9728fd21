"""Grad modes: no_grad, enable_grad, set_grad_enabled, inference_mode.

The flag lives in a one-element list so that the hot path in ops reads it with one index."""
import functools

_enabled = [True]


def is_grad_enabled():
    return _enabled[0]


class _GradMode:
    """Base for the context managers; each also works as a decorator, as in PyTorch."""
    _target = True

    def __enter__(self):
        self._prev = _enabled[0]
        _enabled[0] = self._target

    def __exit__(self, *exc):
        _enabled[0] = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)
        return wrapper


class no_grad(_GradMode):
    """Context manager (or decorator) that records no graph: results have requires_grad=False."""
    _target = False


class enable_grad(_GradMode):
    """Context manager (or decorator) that turns graph recording back on inside no_grad."""
    _target = True


class inference_mode(_GradMode):
    """Like no_grad (lamina has no separate inference tensors); `inference_mode(False)` is a no-op."""

    def __init__(self, mode=True):
        self._target = not mode

    def __call__(self, fn):
        if not callable(fn) or isinstance(fn, bool):
            return inference_mode(fn)
        mode = not self._target

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with inference_mode(mode):
                return fn(*args, **kwargs)
        return wrapper


class set_grad_enabled(_GradMode):
    """Sets grad mode on construction (so it works as a plain call too) and restores it on exit."""

    def __init__(self, mode):
        self._prev = _enabled[0]
        self._target = bool(mode)
        _enabled[0] = self._target

    def __enter__(self):
        pass

    def __call__(self, fn):
        _enabled[0] = self._prev
        mode = self._target

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)
        return wrapper
