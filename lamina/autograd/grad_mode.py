"""Grad modes: no_grad, enable_grad, set_grad_enabled, inference_mode.

Each works as a context manager and as a decorator (`@no_grad()` or bare `@no_grad`), also on
generator functions (the mode holds while the generator body runs, not while its caller does).
As in PyTorch the modes belong to a thread: `_mode` is a threading.local whose class attributes
are the state every new thread starts in (grad on, inference off). `enabled` is the grad mode
is_grad_enabled() reports; `grad` is whether ops record a graph, which inference mode also
stops (enable_grad inside inference_mode reports True and still records nothing, as PyTorch):
the hot path in ops reads `_mode.grad` (one attribute lookup)."""
import functools
import inspect
import threading


class _ThreadMode(threading.local):
    grad = True        # record graphs: enabled and not inference
    enabled = True
    inference = False


_mode = _ThreadMode()


def is_grad_enabled():
    return _mode.enabled


def _set_enabled(enabled):
    _mode.enabled = enabled
    _mode.grad = enabled and not _mode.inference


def _state():
    return _mode.enabled, _mode.inference, _mode.grad


def _restore(state):
    _mode.enabled, _mode.inference, _mode.grad = state


def is_inference_mode_enabled():
    return _mode.inference


def _decorate(make_context, fn):
    """Run `fn` (a function or generator function) inside a fresh context from make_context()."""
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def generator(*args, **kwargs):
            gen = fn(*args, **kwargs)
            try:
                with make_context():
                    response = gen.send(None)
                while True:
                    try:
                        request = yield response
                    except GeneratorExit:
                        with make_context():
                            gen.close()
                        raise
                    except BaseException as exc:
                        with make_context():
                            response = gen.throw(exc)
                    else:
                        with make_context():
                            response = gen.send(request)
            except StopIteration as stop:
                return stop.value
        return generator

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with make_context():
            return fn(*args, **kwargs)
    return wrapper


class _GradMode:
    """Base for no_grad and enable_grad: sets the flag on enter, restores it on exit."""
    _target = True

    def __new__(cls, fn=None):
        self = super().__new__(cls)
        if fn is not None and callable(fn):  # used bare, as `@no_grad`
            return _decorate(cls, fn)
        return self

    def __init__(self, fn=None):
        pass

    def __enter__(self):
        self._prev = _state()
        _set_enabled(self._target)

    def __exit__(self, *exc):
        _restore(self._prev)
        return False

    def __call__(self, fn):
        return _decorate(self.__class__, fn)

    def clone(self):
        return self.__class__()


class no_grad(_GradMode):
    """Context manager (or decorator) that records no graph: results have requires_grad=False.

    Example::

        with lamina.no_grad():
            y = model(x)          # y.requires_grad is False
    """
    _target = False


class enable_grad(_GradMode):
    """Context manager (or decorator) that turns graph recording back on inside no_grad."""
    _target = True


class inference_mode:
    """Like no_grad (lamina has no separate inference tensors), and enable_grad inside it records
    nothing either; `inference_mode(False)` leaves inference mode and turns grad mode on, as
    PyTorch's guard does. Usable as a context manager and as a decorator, bare or called."""

    def __new__(cls, mode=True):
        if callable(mode) and not isinstance(mode, bool):  # used bare, as `@inference_mode`
            return _decorate(cls, mode)
        return super().__new__(cls)

    def __init__(self, mode=True):
        self.mode = bool(mode)

    def __enter__(self):
        self._prev = _state()
        _mode.inference = self.mode
        _set_enabled(not self.mode)

    def __exit__(self, *exc):
        _restore(self._prev)
        return False

    def __call__(self, fn):
        mode = self.mode
        return _decorate(lambda: inference_mode(mode), fn)

    def clone(self):
        return inference_mode(self.mode)


class set_grad_enabled:
    """Sets grad mode on construction (so `set_grad_enabled(False)` works as a plain call too),
    and as a context manager or decorator restores the previous mode afterwards."""

    def __init__(self, mode):
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled(): argument 'enabled' (position 1) must be bool, not "
                            f"{type(mode).__name__}")
        self._prev = _state()
        self.mode = mode
        _set_enabled(mode)

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _restore(self._prev)
        return False

    def __call__(self, fn):
        _restore(self._prev)  # as a decorator it only applies inside the function
        mode = self.mode
        return _decorate(lambda: set_grad_enabled(mode), fn)

    def clone(self):
        return set_grad_enabled(self.mode)
