"""Writing a checkpoint's pickle (data.pkl) exactly as PyTorch's loader expects it, without torch.

Python's pickle.Pickler cannot name torch's rebuild functions when torch is not installed (it
imports every global it writes), so this emits the protocol-2 opcodes directly. Only what
`torch.load(weights_only=True)` accepts is written: tensors and Parameters (as calls to
torch._utils._rebuild_tensor_v2 / _rebuild_parameter over storage persistent ids), dict,
OrderedDict (with its `_metadata`), Counter, list, tuple, set, torch.Size, dtypes, torch.device, and
None/bool/int/float/complex/str/bytes. NumPy scalars are written as the Python number they hold."""
import io
import struct
import sys
from collections import Counter, OrderedDict, defaultdict

import numpy as np

from .._device import device as _device_cls
from .._dtype import dtype as _dtype_cls
from ..tensor import Size, Tensor
from .dtypes import STORAGE_CLASS_OF
from .storage_plan import plan

_BATCH = 1000  # items per APPENDS/SETITEMS, as pickle does


class Unsupported(TypeError):
    """An object lamina cannot write; `path` says where it sits in the saved object."""

    def __init__(self, obj):
        super().__init__()
        self.obj = obj
        self.path = []

    def __str__(self):
        where = "".join(f"[{p}]" for p in self.path) or "the object itself"
        return (f"lamina.save cannot store an object of type {type(self.obj).__module__}.{type(self.obj).__qualname__} "
                f"(at {where}): checkpoints hold tensors, Parameters, dicts/OrderedDicts, lists, tuples, sets, "
                "numbers, strings, bytes and None, so that torch.load(weights_only=True) and lamina.load can read "
                "them without running code")


def _collect(obj, found, seen):
    """Every distinct tensor array reachable from obj (containers walked once each)."""
    stack = [obj]
    while stack:
        o = stack.pop()
        if isinstance(o, Tensor):
            if id(o._data) not in found:
                found[id(o._data)] = o._data
        elif isinstance(o, (dict, list, tuple, set)):
            if id(o) in seen:
                continue
            seen[id(o)] = o
            if isinstance(o, dict):
                stack.extend(o.keys())
                stack.extend(o.values())
                if type(o) is OrderedDict and o.__dict__:
                    stack.append(o.__dict__)
            else:
                stack.extend(o)


class Pickler:
    def __init__(self, obj):
        found = {}
        _collect(obj, found, {})
        self.placements = plan(list(found.values()))
        self.buf = io.BytesIO()
        self.w = self.buf.write
        self.memo = {}
        self.keep = []
        self.globals = {}
        self.storages = []  # in key order: key i is self.storages[i]
        self.keys = {}
        self.in_progress = set()

    def dumps(self, obj):
        self.w(b"\x80\x02")
        self.save(obj)
        self.w(b".")
        return self.buf.getvalue()

    # ---- primitives ----------------------------------------------------------------------------
    def put(self, obj):
        i = len(self.memo)
        self.memo[id(obj)] = i
        self.keep.append(obj)
        self.w(b"q" + bytes([i]) if i < 256 else b"r" + struct.pack("<I", i))

    def get(self, i):
        self.w(b"h" + bytes([i]) if i < 256 else b"j" + struct.pack("<I", i))

    def global_(self, module, name):
        i = self.globals.get((module, name))
        if i is not None:
            self.get(i)
            return
        self.w(b"c" + module.encode() + b"\n" + name.encode() + b"\n")
        marker = (module, name)
        self.put(marker)
        self.globals[marker] = self.memo[id(marker)]

    def int_(self, n):
        if 0 <= n < 256:
            self.w(b"K" + bytes([n]))
        elif 0 <= n < 65536:
            self.w(b"M" + struct.pack("<H", n))
        elif -(1 << 31) <= n < (1 << 31):
            self.w(b"J" + struct.pack("<i", n))
        else:
            raw = n.to_bytes((n.bit_length() + 8) // 8, "little", signed=True)
            self.w((b"\x8a" + bytes([len(raw)]) if len(raw) < 256 else b"\x8b" + struct.pack("<i", len(raw))) + raw)

    def str_(self, s):
        raw = s.encode("utf-8", "surrogatepass")
        self.w(b"X" + struct.pack("<I", len(raw)) + raw)

    def tuple_(self, items):
        if not items:
            self.w(b")")
            return
        if len(items) > 3:
            self.w(b"(")
        for item in items:
            self.save(item)
        self.w({1: b"\x85", 2: b"\x86", 3: b"\x87"}.get(len(items), b"t"))

    def empty_ordered_dict(self):
        self.global_("collections", "OrderedDict")
        self.w(b")R")

    def items_(self, pairs, n):
        """SETITEMS in batches onto the dict on top of the stack."""
        it = iter(pairs)
        while n > 0:
            batch = min(n, _BATCH)
            n -= batch
            if batch > 1:
                self.w(b"(")
            for _ in range(batch):
                k, v = next(it)
                self._child(k, "key")
                self._child(v, repr(k))
            self.w(b"u" if batch > 1 else b"s")

    def _child(self, value, label):
        try:
            self.save(value)
        except Unsupported as e:
            e.path.insert(0, label)
            raise

    # ---- objects -------------------------------------------------------------------------------
    def save(self, obj):
        t = type(obj)
        if obj is None:
            self.w(b"N")
        elif t is bool:
            self.w(b"\x88" if obj else b"\x89")
        elif t is int:
            self.int_(obj)
        elif t is float:
            self.w(b"G" + struct.pack(">d", obj))
        elif t is str:
            self.str_(obj)
        elif id(obj) in self.memo:
            self.get(self.memo[id(obj)])
        elif isinstance(obj, Tensor):
            self.tensor(obj)
        elif t is dict or t is defaultdict:
            self.w(b"}")
            self.put(obj)
            self.items_(obj.items(), len(obj))
        elif t is OrderedDict:
            self.empty_ordered_dict()
            self.put(obj)
            self.items_(obj.items(), len(obj))
            if obj.__dict__:  # state_dict()._metadata
                self._child(dict(obj.__dict__), "_metadata")
                self.w(b"b")
        elif t is list:
            self.w(b"]")
            self.put(obj)
            for i in range(0, len(obj), _BATCH):
                batch = obj[i:i + _BATCH]
                if len(batch) > 1:
                    self.w(b"(")
                for j, item in enumerate(batch):
                    self._child(item, str(i + j))
                self.w(b"e" if len(batch) > 1 else b"a")
        elif t is tuple or t is Size:
            if id(obj) in self.in_progress:
                raise ValueError("lamina.save cannot store a tuple that contains itself")
            self.in_progress.add(id(obj))
            try:
                if t is Size:
                    self.global_("torch", "Size")
                    self.tuple_(tuple(obj))
                    self.w(b"\x85R")
                else:
                    try:
                        self.tuple_(obj)
                    except Unsupported as e:
                        e.path.insert(0, "tuple item")
                        raise
            finally:
                self.in_progress.discard(id(obj))
        elif t is Counter:  # a MultiStepLR's milestones: Counter(dict) as PyTorch's pickle writes it
            self.global_("collections", "Counter")
            self.w(b"}")
            self.items_(obj.items(), len(obj))
            self.w(b"\x85R")
            self.put(obj)
        elif t is set:
            self.global_("builtins", "set")
            self.w(b"]")
            for item in obj:
                self.save(item)
                self.w(b"a")
            self.w(b"\x85R")
            self.put(obj)
        elif t is bytes or t is bytearray:
            self.global_("builtins" if t is bytearray else "_codecs", "bytearray" if t is bytearray else "encode")
            self.str_(bytes(obj).decode("latin-1"))
            self.str_("latin1" if t is bytes else "latin-1")
            self.w(b"\x86R")
        elif t is complex:
            self.global_("builtins", "complex")
            self.tuple_((obj.real, obj.imag))
            self.w(b"R")
        elif isinstance(obj, _dtype_cls):
            self.global_("torch", obj.name)
        elif isinstance(obj, _device_cls):
            self.global_("torch", "device")
            self.tuple_(("cpu",))
            self.w(b"R")
        elif isinstance(obj, np.generic) and obj.dtype.kind in "biuf":
            self.save(obj.item())
        else:
            raise Unsupported(obj)

    def tensor(self, t):
        # If lamina.nn.parameter was never imported, no Parameter exists to be saved.
        module = sys.modules.get("lamina.nn.parameter")
        parameter = module is not None and isinstance(t, module.Parameter)
        if parameter:
            self.global_("torch._utils", "_rebuild_parameter")
        self.global_("torch._utils", "_rebuild_tensor_v2")
        place = self.placements[id(t._data)]
        storage = place.storage
        key = self.keys.get(id(storage))
        if key is None:
            key = self.keys[id(storage)] = str(len(self.storages))
            self.storages.append(storage)
        self.w(b"((")
        self.str_("storage")
        self.global_("torch", STORAGE_CLASS_OF[storage.kind.name])
        self.str_(key)
        self.str_("cpu")
        self.int_(storage.numel)
        self.w(b"tQ")
        self.int_(place.offset)
        self.tuple_(tuple(t._data.shape))
        self.tuple_(place.stride)
        self.w(b"\x89" if parameter or not t._requires_grad else b"\x88")
        self.empty_ordered_dict()
        self.w(b"tR")
        if parameter:
            self.w(b"\x88" if t._requires_grad else b"\x89")
            self.empty_ordered_dict()
            self.w(b"\x87R")
        self.put(t)


def dumps(obj):
    """(data.pkl bytes, [Storage in key order]) for obj."""
    p = Pickler(obj)
    data = p.dumps(obj)
    return data, p.storages
