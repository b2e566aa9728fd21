"""The allow-list unpickler: reads a checkpoint's pickle and builds only what a checkpoint holds.

It interprets the pickle opcodes itself instead of subclassing pickle.Unpickler, so that nothing
outside this file decides what gets called: a GLOBAL resolves only through `allowed_globals` (the
tensor rebuild functions, storage types, dtypes, torch.Size, torch.device, OrderedDict and the
plain containers); REDUCE calls only those; BUILD sets attributes only on an OrderedDict (its
`_metadata`). Anything else — os.system, builtins.eval, a model class such as
torch.nn.modules.linear.Linear — is refused when its name is read, before anything is imported
or called. Malformed input (stack underflow, bad lengths, truncation) raises UnpicklingError;
tuples and frozensets nested deeper than MAX_NESTING are refused because hashing them would
overflow the C stack."""
import codecs
import contextlib
import struct
from collections import Counter, OrderedDict

from .._dtype import ForeignDtype
from .dtypes import ALIASES, KINDS, STORAGE_CLASSES
from .errors import WHOLE_MODEL_HINT, CheckpointError, MalformedPickle, UnpicklingError, brief
from .rebuild import StorageType, TypeMarker

MAX_NESTING = 200

# Python 2 module names that protocol-2 pickles use.
_MODULE_RENAMES = {"__builtin__": "builtins", "copy_reg": "copyreg"}

_UNSUPPORTED = {
    "torch._utils._rebuild_qtensor": "quantized tensors are not supported by lamina",
    "torch._utils._rebuild_sparse_tensor": "sparse tensors are not supported by lamina",
    "torch._utils._rebuild_sparse_csr_tensor": "sparse tensors are not supported by lamina",
    "torch.serialization._get_layout": "sparse tensors are not supported by lamina",
    "torch._utils._rebuild_meta_tensor_no_storage": "tensors on the meta device have no data to load",
    "torch._utils._rebuild_nested_tensor": "nested tensors are not supported by lamina",
    "torch._utils._rebuild_wrapper_subclass": "tensor subclasses are not supported by lamina",
    "torch._utils._rebuild_device_tensor_from_numpy": "tensors pickled as NumPy arrays are not supported",
}

# ---- user-allowed globals (PyTorch's torch.serialization.add_safe_globals) ---------------------
_user_globals = {}


def _global_name(item):
    if isinstance(item, tuple):
        if len(item) != 2 or not isinstance(item[1], str):
            raise TypeError("expected a global or a (global, 'module.name') pair, got " + repr(item))
        return item[1], item[0]
    return f"{item.__module__}.{item.__qualname__}", item


def add_safe_globals(safe_globals):
    """Allow the listed classes or functions (or (obj, "module.name") pairs) in checkpoints.

    They may then be called by the pickle, so list only what you trust."""
    for item in safe_globals:
        name, obj = _global_name(item)
        _user_globals[name] = obj


def get_safe_globals():
    return list(_user_globals.values())


def clear_safe_globals():
    _user_globals.clear()


@contextlib.contextmanager
def safe_globals(globals_list):
    """Allow globals only inside a `with` block."""
    saved = dict(_user_globals)
    add_safe_globals(globals_list)
    try:
        yield
    finally:
        _user_globals.clear()
        _user_globals.update(saved)


# ---- the plain values a pickle may construct ----------------------------------------------------
def _ordered_dict(items=()):
    if not isinstance(items, (list, tuple, dict)):
        raise UnpicklingError(f"OrderedDict from {type(items).__name__} is not allowed")
    return OrderedDict(items)


def _counter(items=()):
    if not isinstance(items, dict):
        raise UnpicklingError(f"Counter from {type(items).__name__} is not allowed")
    return Counter(items)


def _size(dims=()):
    from ..tensor import Size
    if not isinstance(dims, (tuple, list)) or not all(type(n) is int for n in dims):
        raise UnpicklingError(f"torch.Size expects ints, got {brief(dims)}")
    return Size(dims)


def _device(kind="cpu", index=None):
    # lamina runs on the CPU: every device in a checkpoint loads as the CPU, like map_location="cpu".
    if not isinstance(kind, str) or not (index is None or type(index) is int):
        raise UnpicklingError(f"invalid torch.device arguments {brief((kind, index))}")
    from .._device import cpu
    return cpu


def _encode(text, encoding="utf-8"):
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1", "utf-8", "utf8", "ascii"):
        raise UnpicklingError("_codecs.encode is allowed only to turn text into bytes")
    return codecs.encode(text, encoding)


def _set(items=()):
    if not isinstance(items, (list, tuple)):
        raise UnpicklingError(f"set from {type(items).__name__} is not allowed")
    return set(items)


def _frozenset(items=()):
    if not isinstance(items, (list, tuple)):
        raise UnpicklingError(f"frozenset from {type(items).__name__} is not allowed")
    return frozenset(items)


def _bytearray(data=b"", encoding=None):
    if isinstance(data, str) and encoding in ("latin1", "latin-1"):
        return bytearray(data, encoding)
    if isinstance(data, (bytes, bytearray)) and encoding is None:
        return bytearray(data)
    raise UnpicklingError("bytearray is allowed only from bytes or latin-1 text")


def _complex(real=0.0, imag=0.0):
    if type(real) not in (int, float) or type(imag) not in (int, float):
        raise UnpicklingError("complex is allowed only from two numbers")
    return complex(real, imag)


def allowed_globals(rebuilder):
    """{'module.name': object} for one load, and the subset a REDUCE may call (by id)."""
    from .. import _dtype
    table, calls = {}, {}

    def callable_(name, fn):
        table[name] = fn
        calls[id(fn)] = fn

    for name in ("rebuild_tensor_v2", "rebuild_tensor_v3", "rebuild_tensor", "rebuild_parameter",
                 "rebuild_parameter_with_state", "rebuild_device_tensor_from_cpu_tensor"):
        callable_(f"torch._utils._{name}", getattr(rebuilder, name))
    callable_("torch._tensor._rebuild_from_type_v2", rebuilder.rebuild_from_type_v2)
    for name, fn in (("collections.OrderedDict", _ordered_dict), ("collections.Counter", _counter),
                     ("torch.Size", _size), ("torch.device", _device), ("_codecs.encode", _encode),
                     ("builtins.set", _set), ("builtins.frozenset", _frozenset), ("builtins.bytearray", _bytearray),
                     ("builtins.complex", _complex)):
        callable_(name, fn)
    parameter = TypeMarker("torch.nn.Parameter", rebuilder.new_parameter)
    table["torch.nn.parameter.Parameter"] = table["torch.nn.Parameter"] = parameter
    table["torch.Tensor"] = table["torch._tensor.Tensor"] = TypeMarker("torch.Tensor")
    for cls, dname in STORAGE_CLASSES.items():
        st = StorageType(cls, KINDS[dname])
        table[f"torch.{cls}"] = table[f"torch.cuda.{cls}"] = st
    untyped = StorageType("UntypedStorage", None)
    table["torch.UntypedStorage"] = table["torch.storage.UntypedStorage"] = untyped
    for name in list(KINDS) + list(ALIASES):
        real = ALIASES.get(name, name)
        foreign = _dtype.bfloat16 if real == "bfloat16" else ForeignDtype(real)
        table[f"torch.{name}"] = _dtype._NAMES.get(real) or foreign
    return table, calls


def _refusal(full, opcode):
    if full in _UNSUPPORTED:
        return UnpicklingError(f"the checkpoint uses {full}: {_UNSUPPORTED[full]}")
    looks_like_model = full.startswith(("torch.nn.modules.", "__main__.", "torch.jit.", "torch.fx."))
    what = ("This looks like a whole pickled model object. " if looks_like_model else "")
    return UnpicklingError(
        f"Weights only load failed: the checkpoint's pickle names the global '{full}' ({opcode}), which is "
        f"not on lamina's allow-list, so it was not loaded and nothing was run. {what}{WHOLE_MODEL_HINT}")


_STOP = object()


class Unpickler:
    """Reads one pickle from `file` (anything with read and readline).

    table/calls: from allowed_globals(). persistent_load(pid): resolves storage ids (None: refuse
    them). encoding: how Python 2 byte strings decode ("bytes" keeps them as bytes). max_len: the
    size of the input, so that a corrupt length can never make a huge allocation."""

    def __init__(self, file, table=None, calls=None, persistent_load=None, encoding="utf-8", max_len=1 << 62):
        self._read = file.read
        self._readline = file.readline
        self.table = table or {}
        self.calls = calls or {}
        self.persistent_load = persistent_load
        self.encoding = encoding
        self.max_len = max_len

    # ---- reading ------------------------------------------------------------------------------
    def read(self, n):
        if n < 0 or n > self.max_len:
            raise MalformedPickle(f"pickle data asks for {n} bytes, more than the file holds")
        data = self._read(n)
        if len(data) != n:
            raise MalformedPickle("pickle data was truncated")
        return data

    def readline(self):
        line = self._readline(1 << 20)
        if not line.endswith(b"\n"):
            raise MalformedPickle("pickle data was truncated")
        return line[:-1]

    def load(self):
        self.stack, self.metastack, self.memo, self.depths = [], [], {}, {}
        dispatch = _DISPATCH
        try:
            while True:
                op = self._read(1)
                if not op:
                    raise MalformedPickle("pickle data was truncated (no STOP opcode)")
                handler = dispatch.get(op[0])
                if handler is None:
                    raise MalformedPickle(f"unsupported pickle opcode {op!r}")
                if handler(self) is _STOP:
                    return self.result
        except CheckpointError:
            raise
        except (IndexError, KeyError, TypeError, ValueError, AttributeError, struct.error, OverflowError,
                RecursionError, EOFError, UnicodeError) as e:
            raise MalformedPickle(f"malformed pickle data: {type(e).__name__}: {brief(str(e))}") from None

    # ---- helpers -------------------------------------------------------------------------------
    def pop_mark(self):
        items = self.stack
        self.stack = self.metastack.pop()
        return items

    def nested(self, obj, items):
        """Record how deeply a new tuple/frozenset nests, refusing what hashing could not survive."""
        depth = 1
        for item in items:
            if type(item) in (tuple, frozenset):
                known = self.depths.get(id(item))
                d = known[1] if known is not None and known[0] is item else 1
                if d >= depth:
                    depth = d + 1
        if depth > MAX_NESTING:
            raise UnpicklingError(f"tuples nested more than {MAX_NESTING} deep are refused")
        if depth > 1:
            self.depths[id(obj)] = (obj, depth)
        return obj

    def find_global(self, module, name, opcode):
        if not isinstance(module, str) or not isinstance(name, str):
            raise MalformedPickle("a GLOBAL must name a module and an attribute as strings")
        module = _MODULE_RENAMES.get(module, module)
        full = f"{module}.{name}"
        obj = self.table.get(full)
        if obj is None:
            obj = _user_globals.get(full)
        if obj is None:
            raise _refusal(full, opcode)
        return obj

    def call(self, func, args):
        if not isinstance(args, tuple):
            raise MalformedPickle("REDUCE arguments must be a tuple")
        if isinstance(func, TypeMarker) and func.make is not None:
            return func.make(*args)
        if self.calls.get(id(func)) is func or _is_user_global(func):
            result = func(*args)
            if type(result) in (tuple, frozenset):
                self.nested(result, result)
            return result
        raise UnpicklingError(f"the pickle calls {brief(func)}, which is not an allowed function. "
                              + WHOLE_MODEL_HINT)

    def build(self, inst, state):
        if type(inst) is OrderedDict:  # a state_dict's _metadata
            slots = None
            if isinstance(state, tuple) and len(state) == 2:
                state, slots = state
            if slots or (state is not None and not isinstance(state, dict)) or \
                    any(not isinstance(k, str) for k in (state or ())):
                raise UnpicklingError("an OrderedDict's pickled state must be a dict of attribute names")
            inst.__dict__.update(state or {})
            return
        if _is_user_global(type(inst)):
            setstate = getattr(inst, "__setstate__", None)
            if setstate is not None:
                setstate(state)
                return
            slots = None
            if isinstance(state, tuple) and len(state) == 2:
                state, slots = state
            if state:
                inst.__dict__.update(state)
            for k, v in (slots or {}).items():
                setattr(inst, k, v)
            return
        raise UnpicklingError(f"the pickle sets the state of a {type(inst).__name__}; only an OrderedDict's "
                              "metadata may be set. " + WHOLE_MODEL_HINT)

    def new_object(self, cls, args, kwargs=None):
        if not isinstance(args, tuple) or not (kwargs is None or isinstance(kwargs, dict)):
            raise MalformedPickle("NEWOBJ arguments must be a tuple")
        if isinstance(cls, TypeMarker) and cls.make is not None and not kwargs:
            return self.call(cls, args)
        if isinstance(cls, type) and _is_user_global(cls):
            return cls.__new__(cls, *args, **(kwargs or {}))
        raise UnpicklingError(f"the pickle creates an object of {brief(cls)}, which is not allowed. "
                              + WHOLE_MODEL_HINT)

    def decode_str(self, data):
        if self.encoding == "bytes":
            return data
        return data.decode(self.encoding, "strict")

    def persistent(self, pid):
        if self.persistent_load is None:
            raise MalformedPickle("unexpected persistent id in pickle data")
        return self.persistent_load(pid)


def _is_user_global(obj):
    try:
        return any(obj is v for v in _user_globals.values())
    except Exception:
        return False


# ---- opcode handlers ------------------------------------------------------------------------------
def _unpack(fmt):
    s = struct.Struct(fmt)

    def read(u):
        return s.unpack(u.read(s.size))[0]
    return read


_u1, _u2, _u4, _i4, _u8, _f8 = (_unpack(f) for f in ("<B", "<H", "<I", "<i", "<Q", ">d"))


def _push(value_fn):
    def handler(u):
        u.stack.append(value_fn(u))
    return handler


def _op_stop(u):
    u.result = u.stack.pop()
    return _STOP


def _op_proto(u):
    if u.read(1)[0] > 5:
        raise MalformedPickle("unsupported pickle protocol")


def _op_int(u):
    line = u.readline()
    u.stack.append(False if line == b"00" else True if line == b"01" else int(line))


def _op_long(u):
    line = u.readline()
    u.stack.append(int(line[:-1] if line.endswith(b"L") else line))


def _read_long(u, n):
    return int.from_bytes(u.read(n), "little", signed=True)


def _op_string(u):
    line = u.readline().rstrip()
    if len(line) < 2 or line[0] != line[-1] or line[:1] not in (b'"', b"'"):
        raise MalformedPickle("the STRING opcode argument must be quoted")
    u.stack.append(u.decode_str(codecs.escape_decode(line[1:-1])[0]))


def _op_tuple_n(n):
    def handler(u):
        if len(u.stack) < n:
            raise MalformedPickle("pickle stack underflow")
        items = tuple(u.stack[len(u.stack) - n:])
        del u.stack[len(u.stack) - n:]
        u.stack.append(u.nested(items, items))
    return handler


def _op_tuple(u):
    items = tuple(u.pop_mark())
    u.stack.append(u.nested(items, items))


def _target(u, types, opcode):
    target = u.stack[-1]
    if type(target) not in types:
        raise UnpicklingError(f"{opcode} on a {type(target).__name__} is not allowed")
    return target


def _op_list(u):
    items = u.pop_mark()
    u.stack.append(items)


def _op_append(u):
    item = u.stack.pop()
    _target(u, (list,), "APPEND").append(item)


def _op_appends(u):
    items = u.pop_mark()
    _target(u, (list,), "APPENDS").extend(items)


def _op_dict(u):
    items = u.pop_mark()
    if len(items) % 2:
        raise MalformedPickle("DICT needs key/value pairs")
    u.stack.append({items[i]: items[i + 1] for i in range(0, len(items), 2)})


def _op_setitem(u):
    value = u.stack.pop()
    key = u.stack.pop()
    _target(u, (dict, OrderedDict), "SETITEM")[key] = value


def _op_setitems(u):
    items = u.pop_mark()
    if len(items) % 2:
        raise MalformedPickle("SETITEMS needs key/value pairs")
    target = _target(u, (dict, OrderedDict), "SETITEMS")
    for i in range(0, len(items), 2):
        target[items[i]] = items[i + 1]


def _op_additems(u):
    items = u.pop_mark()
    _target(u, (set,), "ADDITEMS").update(items)


def _op_frozenset(u):
    items = u.pop_mark()
    u.stack.append(u.nested(frozenset(items), items))


def _memo_get(index_fn):
    def handler(u):
        i = index_fn(u)
        if i not in u.memo:
            raise MalformedPickle(f"pickle memo has no entry {i}")
        u.stack.append(u.memo[i])
    return handler


def _memo_put(index_fn):
    def handler(u):
        u.memo[index_fn(u)] = u.stack[-1]
    return handler


def _op_memoize(u):
    u.memo[len(u.memo)] = u.stack[-1]


def _op_global(u):
    module = u.readline().decode("utf-8")
    name = u.readline().decode("utf-8")
    u.stack.append(u.find_global(module, name, "GLOBAL"))


def _op_stack_global(u):
    name = u.stack.pop()
    module = u.stack.pop()
    u.stack.append(u.find_global(module, name, "STACK_GLOBAL"))


def _op_inst(u):
    module = u.readline().decode("utf-8")
    name = u.readline().decode("utf-8")
    cls = u.find_global(module, name, "INST")
    args = tuple(u.pop_mark())
    u.stack.append(u.call(cls, args))


def _op_obj(u):
    items = u.pop_mark()
    cls, args = items[0], tuple(items[1:])
    u.stack.append(u.call(cls, args))


def _op_reduce(u):
    args = u.stack.pop()
    u.stack[-1] = u.call(u.stack[-1], args)


def _op_build(u):
    state = u.stack.pop()
    u.build(u.stack[-1], state)


def _op_newobj(u):
    args = u.stack.pop()
    cls = u.stack.pop()
    u.stack.append(u.new_object(cls, args))


def _op_newobj_ex(u):
    kwargs = u.stack.pop()
    args = u.stack.pop()
    cls = u.stack.pop()
    u.stack.append(u.new_object(cls, args, kwargs))


def _op_binpersid(u):
    u.stack.append(u.persistent(u.stack.pop()))


def _op_persid(u):
    u.stack.append(u.persistent(u.readline().decode("ascii")))


def _refuse(message):
    def handler(u):
        raise UnpicklingError(message)
    return handler


def _op_pop(u):
    if u.stack:
        u.stack.pop()
    else:
        u.pop_mark()


def _op_pop_mark(u):
    u.pop_mark()


def _op_frame(u):
    u.read(8)  # a frame's length: only a buffering hint, the opcodes follow inline


def _op_mark(u):
    u.metastack.append(u.stack)
    u.stack = []


_DISPATCH = {
    0x80: _op_proto,
    0x95: _op_frame,
    ord("."): _op_stop,
    ord("("): _op_mark,
    ord("0"): _op_pop,
    ord("1"): _op_pop_mark,
    ord("2"): lambda u: u.stack.append(u.stack[-1]),              # DUP
    ord("N"): _push(lambda u: None),
    0x88: _push(lambda u: True),
    0x89: _push(lambda u: False),
    ord("I"): _op_int,
    ord("J"): _push(_i4),
    ord("K"): _push(_u1),
    ord("M"): _push(_u2),
    ord("L"): _op_long,
    0x8A: _push(lambda u: _read_long(u, _u1(u))),                 # LONG1
    0x8B: _push(lambda u: _read_long(u, _i4(u))),                 # LONG4
    ord("F"): _push(lambda u: float(u.readline())),
    ord("G"): _push(_f8),
    ord("S"): _op_string,
    ord("T"): _push(lambda u: u.decode_str(u.read(_i4(u)))),      # BINSTRING
    ord("U"): _push(lambda u: u.decode_str(u.read(_u1(u)))),      # SHORT_BINSTRING
    ord("B"): _push(lambda u: u.read(_u4(u))),                    # BINBYTES
    ord("C"): _push(lambda u: u.read(_u1(u))),                    # SHORT_BINBYTES
    0x8E: _push(lambda u: u.read(_u8(u))),                        # BINBYTES8
    0x96: _push(lambda u: bytearray(u.read(_u8(u)))),             # BYTEARRAY8
    ord("V"): _push(lambda u: u.readline().decode("raw-unicode-escape")),
    ord("X"): _push(lambda u: str(u.read(_u4(u)), "utf-8", "surrogatepass")),
    0x8C: _push(lambda u: str(u.read(_u1(u)), "utf-8", "surrogatepass")),
    0x8D: _push(lambda u: str(u.read(_u8(u)), "utf-8", "surrogatepass")),
    ord(")"): _push(lambda u: ()),
    ord("t"): _op_tuple,
    0x85: _op_tuple_n(1),
    0x86: _op_tuple_n(2),
    0x87: _op_tuple_n(3),
    ord("]"): _push(lambda u: []),
    ord("l"): _op_list,
    ord("a"): _op_append,
    ord("e"): _op_appends,
    ord("}"): _push(lambda u: {}),
    ord("d"): _op_dict,
    ord("s"): _op_setitem,
    ord("u"): _op_setitems,
    0x8F: _push(lambda u: set()),
    0x90: _op_additems,
    0x91: _op_frozenset,
    ord("g"): _memo_get(lambda u: int(u.readline())),
    ord("h"): _memo_get(_u1),
    ord("j"): _memo_get(_u4),
    ord("p"): _memo_put(lambda u: int(u.readline())),
    ord("q"): _memo_put(_u1),
    ord("r"): _memo_put(_u4),
    0x94: _op_memoize,
    ord("c"): _op_global,
    0x93: _op_stack_global,
    ord("i"): _op_inst,
    ord("o"): _op_obj,
    ord("R"): _op_reduce,
    ord("b"): _op_build,
    0x81: _op_newobj,
    0x92: _op_newobj_ex,
    ord("Q"): _op_binpersid,
    ord("P"): _op_persid,
    0x82: _refuse("pickle extension codes (EXT1) are not allowed"),
    0x83: _refuse("pickle extension codes (EXT2) are not allowed"),
    0x84: _refuse("pickle extension codes (EXT4) are not allowed"),
    0x97: _refuse("out-of-band pickle buffers are not allowed"),
    0x98: _refuse("out-of-band pickle buffers are not allowed"),
}
