"""Parameter: a Tensor that a Module registers as learnable when assigned as an attribute."""
from ..tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad by default and is listed by Module.parameters().

    Args:
        data: the initial value (a Tensor; its array is shared, not copied).
        requires_grad: default True."""
    __slots__ = ()

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            from ..ops.creation import empty
            data = empty(0)
        t = cls._wrap(data._data)
        t._version = data._version
        t.requires_grad = requires_grad
        return t

    def __init__(self, data=None, requires_grad=True):
        pass

    def __repr__(self):
        from .._tensor_str import tensor_repr
        return "Parameter containing:\n" + tensor_repr(self)

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self._data, self._requires_grad))


def _rebuild_parameter(data, requires_grad):
    return Parameter(Tensor._wrap(data), requires_grad)


class Buffer(Tensor):
    """Marks a tensor to be registered as a buffer when assigned to a Module attribute."""
    __slots__ = ("persistent",)

    def __new__(cls, data=None, *, persistent=True):
        t = cls._wrap(data._data)
        t.persistent = persistent
        return t

    def __init__(self, data=None, *, persistent=True):
        pass
