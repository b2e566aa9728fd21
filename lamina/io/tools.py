"""File-level tools behind the `lamina` command: converting between checkpoint formats and
listing what a checkpoint holds (keys, shapes, dtypes) without reading its tensor data."""
import collections
import os
from collections import OrderedDict

from ..tensor import Tensor

Entry = collections.namedtuple("Entry", "key shape dtype value")
Entry.__doc__ = """One leaf of a checkpoint: a tensor (shape and dtype name, value None) or a plain
value (shape None, dtype its type name, value the value)."""


def file_format(path):
    """'safetensors' for *.safetensors files, else 'torch' (.pt, .pth, .bin, .ckpt, ...)."""
    return "safetensors" if os.fspath(path).lower().endswith(".safetensors") else "torch"


def _is_container(o):
    """Dicts, and lists/tuples holding something other than plain values (so that a list of
    numbers such as Adam's betas or a Size is listed as one value)."""
    if isinstance(o, dict):
        return True
    if type(o) in (list, tuple):
        return any(isinstance(x, (dict, list, tuple, Tensor)) for x in o)
    return False


def _walk(obj):
    """(dotted key, leaf) pairs in insertion order; a container met twice is listed once."""
    out, seen = [], set()
    stack = [("", obj)]
    while stack:
        key, o = stack.pop()
        if _is_container(o):
            if id(o) in seen:
                continue
            seen.add(id(o))
            items = o.items() if isinstance(o, dict) else enumerate(o)
            children = [(f"{key}.{k}" if key else str(k), v) for k, v in items]
            if not children and key:
                out.append((key, o))
            stack.extend(reversed(children))
        else:
            out.append((key, o))
    return out


def _entry(key, leaf):
    if isinstance(leaf, Tensor):
        from .rebuild import Pending
        data = leaf._data
        if isinstance(data, Pending):  # listed without reading the data
            return Entry(key, tuple(data.size), data.kind.name, None)
        return Entry(key, tuple(data.shape), leaf.dtype.name, None)
    return Entry(key, None, type(leaf).__name__, leaf)


def inspect_file(path, file=None):
    """List the tensors and values in a checkpoint (.pt/.pth/... or .safetensors).

    Tensor data is not read: only the pickle (or the safetensors header). Dtypes are those
    stored in the file (e.g. bfloat16, which lamina would load as float32).

    Args:
        path: the checkpoint file.
        file: if given (e.g. sys.stdout), a table is also written there.
    Returns:
        a list of Entry(key, shape, dtype, value) in file order; nested keys are dotted
        ("state.0.exp_avg")."""
    if file_format(path) == "safetensors":
        from .safetensors import _open, read_header
        fh, _ = _open(path)
        with fh:
            items, metadata, _, _ = read_header(fh)
        entries = [Entry(name, shape, kind.name, None) for name, kind, shape, _, _ in items]
        entries += [Entry(f"__metadata__.{k}", None, "str", v) for k, v in (metadata or {}).items()]
    else:
        from . import _load_file
        entries = [_entry(k, v) for k, v in _walk(_load_file(path, inspect_only=True))]
    if file is not None:
        file.write(format_entries(entries))
    return entries


def format_entries(entries):
    """A plain-text table of inspect_file's entries."""
    rows = [("key", "shape", "dtype")]
    for e in entries:
        if e.shape is not None:
            rows.append((e.key or "<tensor>", "(" + ", ".join(map(str, e.shape)) + ("," if len(e.shape) == 1 else "") + ")",
                         e.dtype))
        else:
            text = repr(e.value)
            rows.append((e.key or "<value>", "-", f"{e.dtype} = {text if len(text) <= 60 else text[:57] + '...'}"))
    widths = [max(len(r[i]) for r in rows) for i in range(2)]
    lines = [f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]}" for r in rows]
    tensors = [e for e in entries if e.shape is not None]
    count = sum(_numel(e.shape) for e in tensors)
    lines.append(f"{len(tensors)} tensors, {count:,} elements")
    return "\n".join(lines) + "\n"


def _numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def _tensor_dict(obj, src):
    from .errors import CheckpointError
    if not isinstance(obj, dict):
        raise CheckpointError(f"{src} holds a {type(obj).__name__}; only a dict of tensors (a state_dict) can be "
                              "written as safetensors")
    bad = [k for k, v in obj.items() if not isinstance(k, str) or not isinstance(v, Tensor)]
    if bad:
        nested = [k for k, v in obj.items() if isinstance(v, dict) and v and
                  all(isinstance(x, Tensor) for x in v.values())]
        hint = f" Pick the state_dict inside with key=, e.g. key={nested[0]!r}." if nested else ""
        raise CheckpointError(f"safetensors files hold only named tensors, but {src} has other entries: "
                              f"{', '.join(repr(k) for k in bad[:8])}{' ...' if len(bad) > 8 else ''}.{hint}")
    return obj


def convert(src, dst, *, key=None):
    """Convert a checkpoint between PyTorch's format and safetensors (or re-save: old-format .pt
    files become zip checkpoints). The format of each side follows its extension.

    Args:
        src: the file to read (.pt/.pth/.bin/.ckpt or .safetensors).
        dst: the file to write (written atomically).
        key: take this entry of the loaded dict (e.g. "model" or "state_dict") instead of all of it."""
    from . import load, save
    from .safetensors import load_safetensors, load_safetensors_metadata, save_safetensors
    metadata = None
    if file_format(src) == "safetensors":
        obj = OrderedDict(load_safetensors(src))
        metadata = load_safetensors_metadata(src)
    else:
        obj = load(src)
    if key is not None:
        if not isinstance(obj, dict) or key not in obj:
            from .errors import CheckpointError
            keys = list(obj)[:10] if isinstance(obj, dict) else []
            raise CheckpointError(f"{src} has no entry {key!r}" + (f"; its keys are {keys}" if keys else ""))
        obj = obj[key]
    if file_format(dst) == "safetensors":
        save_safetensors(_tensor_dict(obj, src), dst, metadata if metadata is not None else {"format": "pt"})
    else:
        save(obj, dst)
