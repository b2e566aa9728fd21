"""Parameter: a Tensor that a Module registers as learnable when assigned as an attribute."""
import weakref

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
        t._vc = data._vc
        t.requires_grad = requires_grad
        return t

    def __init__(self, data=None, requires_grad=True):
        pass

    def __repr__(self):
        from .._tensor_str import tensor_repr
        return "Parameter containing:\n" + tensor_repr(self)

    def __format__(self, spec):
        # PyTorch formats only a plain tensor's 0-d value as a number: f"{p}" of a 0-d Parameter
        # is its repr, and f"{p:.3f}" is a TypeError, whatever the shape.
        return object.__format__(self, spec)

    def __reduce_ex__(self, protocol):
        return (_rebuild_parameter, (self._data, self._requires_grad))


def _rebuild_parameter(data, requires_grad):
    return Parameter(Tensor._wrap(data), requires_grad)


class UninitializedTensorMixin:
    """What lazy parameters and buffers share: no shape until materialize(shape) gives them
    storage and turns them into their plain class (`cls_to_become`)."""
    __slots__ = ()
    cls_to_become = None

    def materialize(self, shape, device=None, dtype=None):
        import numpy as np
        from .._dtype import to_dtype
        dt = self._data.dtype if dtype is None else to_dtype(dtype).np
        self._data = np.empty(tuple(shape), dtype=dt)
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError("Can't access the shape of an uninitialized parameter or buffer. This error usually "
                           "happens in `load_state_dict` when trying to load an uninitialized parameter into an "
                           "initialized one. Call `forward` to initialize the parameters before accessing their "
                           "attributes.")

    def numel(self):
        raise ValueError("Attempted to use an uninitialized parameter in <method 'numel' of 'torch._C.TensorBase' "
                         "objects>. This error happens when you are using a `LazyModule` or explicitly manipulating "
                         "`torch.nn.parameter.UninitializedParameter` objects. When using LazyModules Call `forward` "
                         "with a dummy batch to initialize the parameters before calling torch functions")

    def __repr__(self):
        return f"<{type(self).__name__}>"

    def __reduce_ex__(self, protocol):
        return (type(self), (self._requires_grad,))


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A parameter whose shape is not known yet (a lazy module's, until its first forward).
    materialize(shape) gives it storage and turns it into an ordinary Parameter."""
    __slots__ = ()
    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        from ..ops.creation import empty
        return super().__new__(cls, empty(0, dtype=dtype), requires_grad)

    def __init__(self, requires_grad=True, device=None, dtype=None):
        pass


_persistent = {}  # id(UninitializedBuffer) -> persistent: Tensor has no spare slot, and its == is elementwise


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer whose shape is not known yet (a lazy module's running statistics, until its
    first forward). materialize(shape) gives it storage and turns it into an ordinary Tensor."""
    __slots__ = ()
    cls_to_become = Tensor

    def __new__(cls, requires_grad=False, device=None, dtype=None, persistent=True):
        from ..ops.creation import empty
        t = cls._wrap(empty(0, dtype=dtype)._data)
        t._requires_grad = requires_grad
        _persistent[id(t)] = persistent
        weakref.finalize(t, _persistent.pop, id(t), None)
        return t

    def __init__(self, requires_grad=False, device=None, dtype=None, persistent=True):
        pass

    @property
    def persistent(self):
        return _persistent.get(id(self), True)


class Buffer(Tensor):
    """Marks a tensor to be registered as a buffer when assigned to a Module attribute."""
    __slots__ = ("persistent",)

    def __new__(cls, data=None, *, persistent=True):
        t = cls._wrap(data._data)
        t.persistent = persistent
        return t

    def __init__(self, data=None, *, persistent=True):
        pass
