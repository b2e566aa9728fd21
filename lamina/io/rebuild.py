"""Rebuilding tensors from a checkpoint: the functions a checkpoint's pickle may call, in lamina's words.

PyTorch pickles a tensor as a call `_rebuild_tensor_v2(storage, offset, size, stride, ...)` whose
storage is a persistent id naming a data record. Here that call checks every argument (types,
non-negative sizes and strides, the whole view inside its storage) and returns a lamina Tensor
whose `data` is a `Pending` placeholder. Only after the pickle has been read completely are the
storages read, once each, and every placeholder replaced by a view of its storage's array: views
of one storage in the file stay views of one ndarray, and nothing half-built ever escapes."""
import re
import warnings
from collections import OrderedDict

import numpy as np

from .dtypes import ALIASES, KINDS, conversion_warning
from .errors import CheckpointError, UnpicklingError, brief

MAX_DIMS = 64  # NumPy's limit
_KEY = re.compile(r"[A-Za-z0-9_.\-]{1,64}\Z")


class StorageType:
    """What `GLOBAL torch FloatStorage` unpickles to: names an element kind, cannot be called."""
    __slots__ = ("name", "kind")

    def __init__(self, name, kind):
        self.name = name
        self.kind = kind  # None for UntypedStorage (raw bytes)

    def __repr__(self):
        return f"torch.{self.name}"


class TypeMarker:
    """What `GLOBAL torch Tensor` / `torch.nn.parameter Parameter` unpickle to; `make`, if set,
    is what calling it in the pickle does."""
    __slots__ = ("name", "make")

    def __init__(self, name, make=None):
        self.name = name
        self.make = make

    def __repr__(self):
        return self.name


class StorageRef:
    """One storage named by a persistent id: its record key, element kind and length.

    `parent`/`offset` are set for the old format's storage views (a slice of a root storage)."""
    __slots__ = ("key", "kind", "numel", "parent", "offset")

    def __init__(self, key, kind, numel, parent=None, offset=0):
        self.key = key
        self.kind = kind
        self.numel = numel
        self.parent = parent
        self.offset = offset

    @property
    def nbytes(self):
        return self.numel * (self.kind.itemsize if self.kind is not None else 1)

    def elements(self, kind):
        """How many elements of `kind` the storage holds."""
        if self.kind is None:
            return self.numel // kind.itemsize
        return self.numel


class Pending:
    """The data of a tensor whose storage has not been read yet."""
    __slots__ = ("storage", "kind", "offset", "size", "stride", "negate")

    def __init__(self, storage, kind, offset, size, stride, negate):
        self.storage = storage
        self.kind = kind
        self.offset = offset
        self.size = size
        self.stride = stride
        self.negate = negate

    @property
    def shape(self):
        return self.size


def _count(x, what):
    if type(x) is not int or x < 0:
        raise UnpicklingError(f"invalid tensor {what} in checkpoint: expected a non-negative int, got {brief(x)}")
    return x


def _dims(x, what):
    if not isinstance(x, (tuple, list)) or len(x) > MAX_DIMS:
        raise UnpicklingError(f"invalid tensor {what} in checkpoint: expected a tuple of at most "
                              f"{MAX_DIMS} ints, got {type(x).__name__}")
    return tuple(_count(n, what) for n in x)


def _flag(x, what):
    if type(x) is not bool:
        raise UnpicklingError(f"invalid {what} in checkpoint: expected a bool, got {brief(x)}")
    return x


def _text(x, what):
    if isinstance(x, bytes):
        try:
            x = x.decode("ascii")
        except UnicodeDecodeError:
            x = None
    if not isinstance(x, str):
        raise UnpicklingError(f"invalid {what} in checkpoint: expected a string, got {type(x).__name__}")
    return x


def kind_named(name):
    name = ALIASES.get(name, name)
    kind = KINDS.get(name)
    if kind is None:
        raise UnpicklingError(f"unknown dtype torch.{name} in checkpoint")
    return kind


class Rebuilder:
    """Collects the storages and tensors of one load; `finish` fills in their data."""

    def __init__(self):
        self.storages = OrderedDict()  # key -> root StorageRef, in order of first reference
        self.views = {}                # old-format view key -> StorageRef
        self.created = []              # every Tensor made, in order
        self.dropped_state = 0

    # ---- persistent ids ----------------------------------------------------------------------
    def storage(self, storage_type, key, location, numel):
        """The storage a persistent id ('storage', type, key, location, numel) names."""
        if not isinstance(storage_type, StorageType):
            raise UnpicklingError(f"a persistent id names {brief(storage_type)} where a storage type belongs")
        key = _text(key, "storage key")
        if not _KEY.match(key):
            raise UnpicklingError(f"invalid storage key {brief(key)} in checkpoint")
        _text(location, "storage location")  # 'cpu', 'cuda:0', ...: lamina loads everything to the CPU
        numel = _count(numel, "storage size")
        kind = storage_type.kind
        if kind is not None:
            kind.check_supported()
        ref = self.storages.get(key)
        if ref is None:
            ref = self.storages[key] = StorageRef(key, kind, numel)
        elif ref.kind is not kind or ref.numel != numel:
            raise CheckpointError(f"storage {key} is described twice with different types or sizes")
        return ref

    def storage_view(self, root, view_key, offset, numel):
        """The old format's view of `numel` elements of `root` starting at `offset`."""
        view_key = _text(view_key, "storage view key")
        offset, numel = _count(offset, "storage view offset"), _count(numel, "storage view size")
        if offset + numel > root.numel:
            raise CheckpointError(f"storage view {view_key} ({offset} + {numel} elements) lies outside "
                                  f"its storage {root.key} of {root.numel} elements")
        ref = self.views.get(view_key)
        if ref is None:
            ref = self.views[view_key] = StorageRef(view_key, root.kind, numel, root, offset)
        elif ref.parent is not root or ref.offset != offset or ref.numel != numel:
            raise CheckpointError(f"storage view {view_key} is described twice differently")
        return ref

    # ---- the calls a pickle may make ------------------------------------------------------------
    def _tensor(self, storage, kind, offset, size, stride, requires_grad, hooks, metadata):
        from ..tensor import Tensor
        if not isinstance(storage, StorageRef):
            raise UnpicklingError(f"a tensor's storage must come from a data record, got {type(storage).__name__}")
        kind.check_supported()
        if storage.kind is not None and storage.kind is not kind:
            raise CheckpointError(f"a tensor of dtype torch.{kind.name} refers to a {storage.kind.name} storage")
        offset = _count(offset, "storage offset")
        size, stride = _dims(size, "size"), _dims(stride, "stride")
        if len(size) != len(stride):
            raise CheckpointError(f"tensor size {size} and stride {stride} have different lengths")
        requires_grad = _flag(requires_grad, "requires_grad")
        if requires_grad and not kind.is_floating_point:
            raise CheckpointError(f"a tensor of dtype torch.{kind.name} cannot require grad")
        if hooks is not None and not isinstance(hooks, dict):
            raise UnpicklingError(f"invalid backward hooks in checkpoint: {type(hooks).__name__}")
        negate = False
        if metadata:
            if not isinstance(metadata, dict) or not set(metadata) <= {"neg", "conj"}:
                raise UnpicklingError(f"unknown tensor metadata in checkpoint: {brief(metadata)}")
            negate = bool(metadata.get("neg", False))
        if 0 not in size:
            last = offset + sum((n - 1) * s for n, s in zip(size, stride))
            available = storage.elements(kind)
            if last >= available:
                raise CheckpointError(
                    f"tensor of size {list(size)}, stride {list(stride)} and storage offset {offset} reaches "
                    f"element {last}, outside its storage {storage.key} of {available} elements")
        t = Tensor._wrap(Pending(storage, kind, offset, size, stride, negate))
        t._requires_grad = requires_grad
        self.created.append(t)
        return t

    def rebuild_tensor_v2(self, storage, storage_offset, size, stride, requires_grad, backward_hooks,
                          metadata=None):
        kind = storage.kind if isinstance(storage, StorageRef) and storage.kind is not None else KINDS["uint8"]
        return self._tensor(storage, kind, storage_offset, size, stride, requires_grad, backward_hooks, metadata)

    def rebuild_tensor_v3(self, storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype,
                          metadata=None):
        name = getattr(dtype, "name", None)
        if not isinstance(name, str) or not isinstance(dtype, _lamina_dtypes()):
            raise UnpicklingError(f"invalid dtype argument in checkpoint: {brief(dtype)}")
        return self._tensor(storage, kind_named(name), storage_offset, size, stride, requires_grad,
                            backward_hooks, metadata)

    def rebuild_tensor(self, storage, storage_offset, size, stride):
        return self.rebuild_tensor_v2(storage, storage_offset, size, stride, False, None)

    def rebuild_parameter(self, data, requires_grad, backward_hooks=None):
        from ..nn.parameter import Parameter
        from ..tensor import Tensor
        if not isinstance(data, Tensor):
            raise UnpicklingError(f"a Parameter must wrap a tensor, got {type(data).__name__}")
        requires_grad = _flag(requires_grad, "requires_grad")
        kind = data._data.kind if isinstance(data._data, Pending) else None
        floating = kind.is_floating_point if kind is not None else data._data.dtype.kind == "f"
        if requires_grad and not floating:
            raise CheckpointError("only Tensors of floating point dtype can require gradients")
        p = Parameter._wrap(data._data)
        p._vc = data._vc
        p._requires_grad = requires_grad
        self.created.append(p)
        return p

    def rebuild_parameter_with_state(self, data, requires_grad, backward_hooks, state):
        if state:
            self.dropped_state += 1
        return self.rebuild_parameter(data, requires_grad, backward_hooks)

    def new_parameter(self, data=None, requires_grad=True):
        """`torch.nn.Parameter(data, requires_grad)` called by an old pickle."""
        if data is None:
            raise UnpicklingError("a Parameter without data cannot be loaded")
        return self.rebuild_parameter(data, requires_grad)

    def rebuild_from_type_v2(self, func, new_type, args, state):
        if func not in (self.rebuild_tensor_v2, self.rebuild_tensor_v3, self.rebuild_tensor,
                        self.rebuild_parameter, self.rebuild_parameter_with_state) or not isinstance(args, tuple):
            raise UnpicklingError(f"_rebuild_from_type_v2 may only call a tensor rebuild function, got {brief(func)}")
        if not isinstance(new_type, TypeMarker):
            raise UnpicklingError(f"_rebuild_from_type_v2 may only make a Tensor or Parameter, got {brief(new_type)}")
        result = func(*args)
        if new_type.name == "torch.nn.Parameter" and type(result).__name__ != "Parameter":
            result = self.rebuild_parameter(result, result._requires_grad)
        if state:
            self.dropped_state += 1
        return result

    def rebuild_device_tensor_from_cpu_tensor(self, data, dtype, device, requires_grad):
        from ..tensor import Tensor
        if not isinstance(data, Tensor):
            raise UnpicklingError("a device tensor must wrap a CPU tensor")
        if _flag(requires_grad, "requires_grad"):
            kind = data._data.kind if isinstance(data._data, Pending) else None
            if kind is None or not kind.is_floating_point:
                raise CheckpointError("only Tensors of floating point dtype can require gradients")
        data._requires_grad = requires_grad
        return data

    # ---- filling in the data --------------------------------------------------------------------
    def finish(self, read_raw, byteorder="little"):
        """Replace every placeholder by a view of its storage; `read_raw(ref)` gives a root
        storage's bytes as a uint8 array of exactly ref.nbytes."""
        raws, typed, arrays, converted = {}, {}, {}, {}
        pendings = [t._data for t in self.created]  # keeps every placeholder alive, so ids stay unique

        def typed_view(ref, kind):
            key = (id(ref), kind.name)
            arr = typed.get(key)
            if arr is not None:
                return arr
            if ref.parent is not None:
                arr = typed_view(ref.parent, kind)[ref.offset:ref.offset + ref.numel]
            else:
                raw = raws.get(id(ref))
                if raw is None:
                    raw = raws[id(ref)] = read_raw(ref)
                    if raw.dtype != np.uint8 or raw.shape != (ref.nbytes,):
                        raise CheckpointError(f"data record {ref.key} has {raw.nbytes} bytes, expected {ref.nbytes}")
                usable = raw.shape[0] - raw.shape[0] % kind.itemsize
                arr = raw[:usable].view(kind.raw if byteorder == "little" else kind.raw.newbyteorder(">"))
                if not arr.dtype.isnative:
                    arr = arr.astype(arr.dtype.newbyteorder("="))
                if kind.convert is not None:
                    arr = kind.convert(arr)
            typed[key] = arr
            return arr

        for t, p in zip(self.created, pendings):
            if not isinstance(p, Pending):
                continue
            arr = arrays.get(id(p))
            if arr is None:
                base = typed_view(p.storage, p.kind)
                step = base.itemsize
                if 0 in p.size:
                    arr = np.empty(p.size, dtype=base.dtype)
                else:
                    arr = np.lib.stride_tricks.as_strided(base[p.offset:], p.size, tuple(s * step for s in p.stride))
                if p.negate:
                    arr = np.negative(arr)
                arrays[id(p)] = arr
                if p.kind.convert is not None:
                    converted[p.kind.name] = converted.get(p.kind.name, 0) + 1
            t._data = arr
        del pendings
        if converted:
            warnings.warn(conversion_warning(converted), UserWarning, stacklevel=6)
        if self.dropped_state:
            warnings.warn(f"{self.dropped_state} tensor(s) in the checkpoint carried Python attributes "
                          "(tensor subclass state); lamina loaded the values and dropped the attributes",
                          UserWarning, stacklevel=6)


def _lamina_dtypes():
    """The classes a dtype in a checkpoint may be: lamina's, and the ones with no arrays (bfloat16 ...)."""
    from .._dtype import ForeignDtype, dtype
    return dtype, ForeignDtype
