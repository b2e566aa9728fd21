"""Tensor: an ndarray (`data`) plus what autograd needs (`grad`, `requires_grad`, `grad_fn`).

Every differentiable op is a plain function in lamina/ops taking the tensor first; the method
table at the bottom of this file binds them as methods, so `x.exp()` and `lamina.exp(x)` are one
piece of code."""
import warnings

import numpy as np

from . import _dtype
from .autograd import grad_mode
from .autograd.engine import run_backward


class Size(tuple):
    """A shape, printed as `lamina.Size([1, 4])`."""
    __slots__ = ()

    def __repr__(self):
        return f"torch.Size({list(self)})"  # PyTorch's spelling, as printed by its scripts

    __str__ = __repr__

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, item):
        r = tuple.__getitem__(self, item)
        return Size(r) if isinstance(item, slice) else r

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))

    def __radd__(self, other):
        return Size(tuple(other) + tuple(self))


class Tensor:
    # _base: for a view, the tensor that owns the memory (else None); _views: on such a base,
    # weak references to its views created while recording a graph (else None).
    __slots__ = ("_data", "_grad", "grad_fn", "_requires_grad", "_vc", "_hooks", "_base", "_views",
                 "__weakref__")
    __array_priority__ = 1000  # so ndarray <op> Tensor defers to Tensor's reflected operators

    def __init__(self, *args, dtype=None):
        """The legacy constructor: Tensor(2, 3) is uninitialised float32 of that shape,
        Tensor([1, 2]) copies data as float32."""
        if not args:
            args = (0,)
        if len(args) == 1 and not isinstance(args[0], (int, Size)):  # a Size is a shape, a tuple is data
            arr = np.array(args[0]._data if isinstance(args[0], Tensor) else args[0],
                           dtype=_dtype.get_default_dtype().np)
        else:
            shape = args[0] if len(args) == 1 and isinstance(args[0], tuple) else args
            arr = np.empty(tuple(shape), dtype=_dtype.get_default_dtype().np)
        self._data = arr
        self._grad = None
        self.grad_fn = None
        self._requires_grad = False
        self._vc = [0]
        self._hooks = None
        self._base = None
        self._views = None

    @classmethod
    def _wrap(cls, data):
        t = object.__new__(cls)
        t._data = data
        t._grad = None
        t.grad_fn = None
        t._requires_grad = False
        t._vc = [0]
        t._hooks = None
        t._base = None
        t._views = None
        return t

    # ---- .data, as PyTorch has it -----------------------------------------------------------
    # Internally the ndarray lives in `_data`. `.data` is PyTorch's detached alias: a Tensor that
    # shares memory but not autograd history or the version counter, so `p.data.fill_(0)` or
    # `p.data -= lr * p.grad.data` change the values without autograd noticing, as in PyTorch.
    @property
    def data(self):
        return Tensor._wrap(self._data)

    @data.setter
    def data(self, value):  # like PyTorch, a new shape or dtype is allowed: the storage is swapped
        self._data = value._data if isinstance(value, Tensor) else np.asarray(value)

    # ---- autograd attributes -------------------------------------------------------------
    # .grad and ._version are properties for what users see (PyTorch's warning and checks, an
    # int version); lamina's own code reads the slots _grad and _vc (the counter a view shares
    # with its base, as a one-element list) directly.
    @property
    def grad(self):
        g = self._grad
        if g is None and self.grad_fn is not None and self.grad_fn.retained is None:
            warnings.warn(_NON_LEAF_GRAD, UserWarning, stacklevel=2)
        return g

    @grad.setter
    def grad(self, value):
        if value is not None:
            _check_assigned_grad(self, value)
        self._grad = value

    @grad.deleter
    def grad(self):
        self._grad = None

    @property
    def _version(self):
        return self._vc[0]

    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag):
        if self.grad_fn is not None:
            if not flag:
                raise RuntimeError(
                    "you can only change requires_grad flags of leaf variables. If you want to use a "
                    "computed variable in a subgraph that doesn't require differentiation use "
                    "var_no_grad = var.detach().")
            return
        if flag and self._data.dtype.kind not in "fc":
            raise RuntimeError("only Tensors of floating point and complex dtype can require gradients")
        self._requires_grad = bool(flag)

    def requires_grad_(self, requires_grad=True):
        """Set requires_grad in place (leaves only) and return self."""
        if requires_grad and self.grad_fn is None and self._data.dtype.kind not in "fc":
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self):
        return self.grad_fn is None

    def retain_grad(self):
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None:
            return
        import weakref
        self.grad_fn.retained = weakref.ref(self)

    @property
    def retains_grad(self):
        return self.grad_fn is not None and self.grad_fn.retained is not None

    def register_hook(self, hook):
        """Call `hook(grad)` when this tensor's gradient is computed; it may return a new gradient."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            hooks = self.grad_fn.hooks
            if hooks is None:
                hooks = self.grad_fn.hooks = []
        else:
            hooks = self._hooks
            if hooks is None:
                hooks = self._hooks = []
        hooks.append(hook)
        from .utils.hooks import RemovableHandle
        return RemovableHandle(hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """Call `hook(tensor)` after backward has accumulated this leaf's .grad."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        hooks = self._hooks
        if hooks is None:
            hooks = self._hooks = []
        from .autograd.engine import PostAccumulateHook
        entry = PostAccumulateHook(hook)
        hooks.append(entry)
        from .utils.hooks import RemovableHandle
        return RemovableHandle(hooks, entry)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        data = self._data
        if (gradient is None and inputs is None and not create_graph and self.grad_fn is not None
                and data.size == 1 and data.dtype.kind == "f"):
            # loss.backward(): what autograd.backward does for it, without its argument handling
            # its seed: a copy of the cached ones (np.ones costs about twice as much)
            run_backward([self], [_core._ones(1, data.dtype).reshape(data.shape).copy()], bool(retain_graph))
            return
        from .autograd import backward
        backward(self, gradient, retain_graph, create_graph, inputs)

    def detach(self):
        t = Tensor._wrap(self._data)
        t._vc = self._vc
        return t

    def detach_(self):
        if getattr(self, "_base", None) is not None:  # unset on tensors made by ops: not a view
            raise RuntimeError(
                "Can't detach views in-place. Use detach() instead. If you are using DistributedDataParallel (DDP) "
                "for training, and gradient_as_bucket_view is set as True, gradients are views of DDP buckets, and "
                "hence detach_() cannot be called on these gradients. To fix this error, please refer to the "
                "Optimizer.zero_grad() function in torch/optim/optimizer.py as the solution.")
        self.grad_fn = None
        self._requires_grad = False
        return self

    # ---- shape and dtype ------------------------------------------------------------------
    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        from .ops._core import dim_arg
        return self._data.shape[dim_arg(dim, self._data.ndim)]

    def dim(self):
        return self._data.ndim

    @property
    def ndim(self):
        return self._data.ndim

    def ndimension(self):
        return self._data.ndim

    def numel(self):
        return self._data.size

    nelement = numel

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    @property
    def dtype(self):
        return _dtype.from_numpy_dtype(self._data.dtype)

    @property
    def device(self):
        from ._device import cpu
        return cpu

    @property
    def layout(self):
        """torch.strided: every lamina tensor is a dense array with strides."""
        from ._compat import strided
        return strided

    is_cuda = False
    is_cpu = True
    is_sparse = False
    is_quantized = False

    def resize_(self, *sizes, memory_format=None):
        """Take the shape `sizes`, keeping the elements in order as far as they go (new ones are
        uninitialised), as PyTorch's resize_ does."""
        shape = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes
        if self._requires_grad:
            raise RuntimeError("cannot resize variables that require grad")
        flat = self._data.reshape(-1)
        new = np.empty(int(np.prod(shape, dtype=np.int64)), dtype=self._data.dtype)
        keep = min(new.size, flat.size)
        new[:keep] = flat[:keep]
        self._data = new.reshape(tuple(int(n) for n in shape))
        self._vc[0] += 1
        return self

    def resize_as_(self, other, memory_format=None):
        return self.resize_(other._data.shape)

    def bfloat16(self, memory_format=None):
        return self.to(_dtype.bfloat16)  # raises: NumPy has no bfloat16 arrays

    @property
    def real(self):
        """The tensor itself: lamina's tensors are real (PyTorch's answer for a real dtype)."""
        return self

    @property
    def imag(self):
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")

    def new(self, *args):
        """The legacy constructor: x.new(2, 3) or x.new(Size) an uninitialised tensor, x.new(data)
        a tensor of the data, x.new() an empty one; all of x's dtype."""
        if len(args) == 1 and not isinstance(args[0], (int, np.integer, Size)):
            data = args[0]._data if isinstance(args[0], Tensor) else args[0]
            return Tensor._wrap(np.array(data, dtype=self._data.dtype))
        shape = tuple(args[0]) if len(args) == 1 and isinstance(args[0], Size) else tuple(int(n) for n in args)
        return Tensor._wrap(np.empty(shape if args else (0,), dtype=self._data.dtype))

    def get_device(self):
        """-1: the CPU, as PyTorch answers for a CPU tensor."""
        return -1

    def is_floating_point(self):
        return self._data.dtype.kind == "f"

    def is_signed(self):
        """False for the unsigned dtypes (uint8) and bool, True for the rest."""
        return self._data.dtype.kind not in "ub"

    def element_size(self):
        return self._data.itemsize

    @property
    def itemsize(self):
        return self._data.itemsize

    @property
    def nbytes(self):
        return self._data.nbytes

    def storage_offset(self):
        """Elements between the start of the memory this tensor views and its first element."""
        base = getattr(self, "_base", None)
        if base is None:
            return 0
        return (self._data.__array_interface__["data"][0] - base._data.__array_interface__["data"][0]) // \
            self._data.itemsize

    def stride(self, dim=None):
        strides = tuple(s // self._data.itemsize for s in self._data.strides)
        return strides if dim is None else strides[dim]

    def is_contiguous(self, memory_format=None):
        from ._compat import channels_last, channels_last_3d
        a = self._data
        if memory_format is channels_last or memory_format is channels_last_3d:
            want = 4 if memory_format is channels_last else 5
            if a.ndim != want:
                return False
            # C-contiguous in (N, spatial..., C) order, which is what those formats mean
            return np.moveaxis(a, 1, -1).flags.c_contiguous
        return a.flags.c_contiguous

    def data_ptr(self):
        return self._data.__array_interface__["data"][0]

    def untyped_storage(self):
        """The bytes this tensor's memory lives in (its base's, for a view): data_ptr(), nbytes(), ..."""
        from ._storage import UntypedStorage, memory_of
        return UntypedStorage(memory_of(self))

    def storage(self):
        """PyTorch's deprecated typed view of the same memory (with its warning)."""
        from ._storage import typed_storage
        return typed_storage(self)

    def pin_memory(self, device=None):
        raise RuntimeError("Cannot access accelerator device when none is available.")  # a CPU-only build's answer

    def is_pinned(self, device=None):
        return False

    # ---- conversion -----------------------------------------------------------------------
    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        return self._data.reshape(()).item()

    def tolist(self):
        return self._data.tolist()

    def numpy(self, force=False):
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return self._data

    def __array__(self, dtype=None, copy=None):
        return self._data if dtype is None else self._data.astype(dtype)

    def __float__(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        if self._requires_grad:
            _warn_float_of_grad_tensor()
        return float(self._data.reshape(()).item())

    def __int__(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return int(self._data.reshape(()).item())

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError("Boolean value of Tensor with " + ("no values" if self._data.size == 0 else
                                                                  "more than one value") + " is ambiguous")
        return bool(self._data.reshape(()).item())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __hash__(self):
        return id(self)

    def __repr__(self):
        from ._tensor_str import tensor_repr
        return tensor_repr(self)

    def __format__(self, spec):
        if self._data.ndim == 0:
            return format(self._data.item(), spec)
        return object.__format__(self, spec) if spec else repr(self)

    def __contains__(self, element):
        return bool((self == element).any())

    def __reduce_ex__(self, protocol):
        return (_rebuild, (self._data, self._requires_grad))

    def __deepcopy__(self, memo):
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the "
                               "deepcopy protocol at the moment.  If you were attempting to deepcopy a "
                               "module, this may be because of a torch.nn.utils.weight_norm usage, see "
                               "https://github.com/pytorch/pytorch/pull/103001")
        t = type(self)._wrap(self._data.copy())
        t._requires_grad = self._requires_grad
        if self._grad is not None:
            t._grad = Tensor._wrap(self._grad._data.copy())
        memo[id(self)] = t
        return t

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    # ---- operators (the functions live in lamina/ops) -------------------------------------
    def __add__(self, other):
        return _arith.add(self, other)

    def __radd__(self, other):
        return _arith.add(self, other)

    def __sub__(self, other):
        return _arith.sub(self, other)

    def __rsub__(self, other):
        return _arith.rsub(self, other)

    def __mul__(self, other):
        return _arith.mul(self, other)

    def __rmul__(self, other):
        return _arith.mul(self, other)

    def __truediv__(self, other):
        return _arith.div(self, other)

    def __rtruediv__(self, other):
        return _arith.rdiv(self, other)

    def __floordiv__(self, other):
        return _arith.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return _arith.floor_divide(_core.as_tensor(other, self), self)

    def __mod__(self, other):
        return _arith.remainder(self, other)

    def __rmod__(self, other):
        return _arith.remainder(_core.as_tensor(other, self), self)

    def __pow__(self, other):
        return _arith.pow(self, other)

    def __rpow__(self, other):
        if isinstance(other, (int, float)):  # PyTorch's scalar-base pow (its node is PowBackward2)
            return _arith.pow(other, self)
        return _arith.pow(_core.as_tensor(other, self), self)

    def __matmul__(self, other):
        return _linalg.matmul(self, other)

    def __rmatmul__(self, other):
        return _linalg.matmul(_core.as_tensor(other), self)

    def __neg__(self):
        return _arith.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _arith.abs(self)

    def __invert__(self):
        return _compare.logical_not(self) if self._data.dtype == np.bool_ else _compare.bitwise_not(self)

    # always bitwise, with PyTorch's promotion: bool & bool stays bool, bool & 1 is int64
    def __and__(self, other):
        return _compare.bitwise_and(self, other)

    def __or__(self, other):
        return _compare.bitwise_or(self, other)

    def __xor__(self, other):
        return _compare.bitwise_xor(self, other)

    __rand__ = __and__
    __ror__ = __or__
    __rxor__ = __xor__

    def __lshift__(self, other):
        return _compare.bitwise_left_shift(self, other)

    def __rshift__(self, other):
        return _compare.bitwise_right_shift(self, other)

    def __rlshift__(self, other):
        return _compare.bitwise_left_shift(_core.as_tensor(other, self), self)

    def __rrshift__(self, other):
        return _compare.bitwise_right_shift(_core.as_tensor(other, self), self)

    def __eq__(self, other):
        return _compare.eq(self, other)

    def __ne__(self, other):
        return _compare.ne(self, other)

    def __lt__(self, other):
        return _compare.lt(self, other)

    def __le__(self, other):
        return _compare.le(self, other)

    def __gt__(self, other):
        return _compare.gt(self, other)

    def __ge__(self, other):
        return _compare.ge(self, other)

    def __getitem__(self, index):
        return _indexing.getitem(self, index)

    def __setitem__(self, index, value):
        _indexing.setitem(self, index, value)

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    # the other augmented assignments also write into the tensor (and so into every view of it):
    # without them Python would rebind the name to a new tensor
    def __ifloordiv__(self, other):
        return self.floor_divide_(other)

    def __imod__(self, other):
        return self.remainder_(other)

    def __ipow__(self, other):
        return self.pow_(other)

    def __iand__(self, other):
        return self.bitwise_and_(other)

    def __ior__(self, other):
        return self.bitwise_or_(other)

    def __ixor__(self, other):
        return self.bitwise_xor_(other)

    def __ilshift__(self, other):
        return self.bitwise_left_shift_(other)

    def __irshift__(self, other):
        return self.bitwise_right_shift_(other)

    @property
    def T(self):
        n = self._data.ndim
        if n != 2:
            warnings.warn("Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases."
                          if n == 0 else
                          "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is "
                          "deprecated and it will throw an error in a future release. Consider `x.mT` to "
                          "transpose batches of matrices or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` to "
                          "reverse the dimensions of a tensor.", UserWarning, stacklevel=2)
        return _shape.permute(self, tuple(range(n - 1, -1, -1)))

    @property
    def mT(self):
        if self._data.ndim < 2:
            raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices. Got "
                               f"{self._data.ndim}-D tensor.")
        return _shape.transpose(self, -2, -1)

    @property
    def H(self):
        """Conjugate transpose of a matrix (real dtypes only, so the transpose)."""
        if self._data.ndim not in (0, 2):
            raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got {self._data.ndim}-D "
                               "tensor.")
        return _shape.permute(self, tuple(range(self._data.ndim - 1, -1, -1)))

    @property
    def mH(self):
        return self.mT


def _rebuild(data, requires_grad):
    t = Tensor._wrap(data)
    t._requires_grad = requires_grad
    return t


# Bound at the end to break the import cycle (ops import Tensor from here).
from .ops import _core, arithmetic as _arith, compare as _compare, indexing as _indexing  # noqa: E402
from .ops import linalg as _linalg, shape as _shape  # noqa: E402
from .ops import methods as _methods  # noqa: E402

_methods.bind(Tensor)


_warned_float = []


def _warn_float_of_grad_tensor():
    """float(t) of a tensor requiring grad: PyTorch's warning, once per process as PyTorch gives
    it (item() and int() do not warn)."""
    if not _warned_float:
        _warned_float.append(True)
        warnings.warn("Converting a tensor with requires_grad=True to a scalar may lead to unexpected behavior.\n"
                      "Consider using tensor.detach() first.", UserWarning, stacklevel=3)


_NON_LEAF_GRAD = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute won't be "
    "populated during autograd.backward(). If you indeed want the .grad field to be populated for a non-leaf "
    "Tensor, use .retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure "
    "you access the leaf Tensor instead. See github.com/pytorch/pytorch/pull/30531 for more information.")

# PyTorch names the two dtypes in its .grad assignment error differently: the gradient's by its C++
# type, the tensor's by its scalar type
_CPP_TYPE = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int", "int32": "int",
             "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}
_SCALAR_TYPE = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long", "int32": "Int",
                "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def _check_assigned_grad(t, value):
    """`t.grad = value`: a tensor of t's dtype and size, as PyTorch checks it."""
    if not isinstance(value, Tensor):
        raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type {type(value).__name__}")
    if value is t:
        raise RuntimeError("can't assign Variable as its own grad")
    have, want = value._data.dtype, t._data.dtype
    if have != want:
        raise RuntimeError(
            f"attempting to assign a gradient with dtype '{_CPP_TYPE.get(have.name, have.name)}' to a tensor with "
            f"grad_dtype '{_SCALAR_TYPE.get(want.name, want.name)}'. The gradient must match the tensor's grad_dtype "
            "(defaults to the tensor's dtype). You can set the tensor's grad_dtype attribute with a specific dtype, "
            "or None to allow any dtype. Set grad_dtype with caution. Diverging the dtypes of a tensor and its "
            "gradient may break downstream systems that assume they match.")
    if value._data.shape != t._data.shape:
        raise RuntimeError(f"attempting to assign a gradient of size '{list(value._data.shape)}' to a tensor of size "
                           f"'{list(t._data.shape)}'. Please ensure that the gradient and the tensor are the same size")
