"""safetensors files, read and written with NumPy alone (no `safetensors` package needed).

Layout: an 8-byte little-endian header length N; N bytes of UTF-8 JSON mapping each tensor name
to {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]} (offsets into the data that
follows) plus an optional "__metadata__" of string pairs; then the tensors' bytes, C-contiguous
and little-endian. A file is accepted only if, as the reference implementation requires, the
tensors tile the data exactly: no gaps, no overlaps, nothing past the end."""
import json
import os
import warnings

import numpy as np

from ..tensor import Tensor
from .atomic import atomic_write
from .dtypes import KINDS, SAFETENSORS_CODE_OF, SAFETENSORS_CODES, conversion_warning, kind_of_array
from .errors import CheckpointError

MAX_HEADER = 100_000_000  # the reference implementation's limit


def _as_array(name, value):
    if isinstance(value, Tensor):
        return value._data
    if isinstance(value, np.ndarray):
        kind_of_array(value.dtype)  # refuses dtypes lamina has not
        return value
    raise TypeError(f"save_safetensors: value for {name!r} is a {type(value).__name__}; safetensors files "
                    "hold only tensors")


def save_safetensors(tensors, path, metadata=None):
    """Write a dict {name: Tensor} as a safetensors file (atomically when `path` is a path).

    Args:
        tensors: names to tensors, e.g. a module's state_dict(); tensors sharing memory are
            written as separate copies, as the format requires.
        path: a file path or a binary file object.
        metadata: optional {str: str} stored under "__metadata__"."""
    if not isinstance(tensors, dict):
        raise TypeError(f"save_safetensors expects a dict of tensors, got {type(tensors).__name__}")
    if metadata is not None and (not isinstance(metadata, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())):
        raise TypeError("safetensors metadata must be a dict of str to str")
    arrays = []
    for name, value in tensors.items():
        if not isinstance(name, str):
            raise TypeError(f"safetensors tensor names must be strings, got {name!r}")
        if name == "__metadata__":
            raise ValueError("'__metadata__' is reserved in safetensors and cannot name a tensor")
        arr = _as_array(name, value)
        arrays.append((name, arr))
    # Larger elements first keeps every tensor aligned to its element size, as safetensors does.
    arrays.sort(key=lambda item: (-item[1].itemsize, item[0]))
    header = {"__metadata__": dict(metadata)} if metadata else {}
    offset = 0
    for name, arr in arrays:
        nbytes = arr.size * arr.itemsize
        header[name] = {"dtype": SAFETENSORS_CODE_OF[kind_of_array(arr.dtype).name],
                        "shape": list(arr.shape), "data_offsets": [offset, offset + nbytes]}
        offset += nbytes
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)

    def write(fh):
        fh.write(len(text).to_bytes(8, "little"))
        fh.write(text)
        for _, arr in arrays:
            flat = np.ascontiguousarray(arr)
            if flat.dtype.byteorder == ">" or (flat.dtype.byteorder == "=" and not np.little_endian):
                flat = flat.astype(flat.dtype.newbyteorder("<"))
            if flat.size:
                fh.write(memoryview(flat.reshape(-1)).cast("B"))

    if hasattr(path, "write"):
        write(path)
    else:
        with atomic_write(path) as fh:
            write(fh)


def _no_duplicates(pairs):
    out = {}
    for k, v in pairs:
        if k in out:
            raise CheckpointError(f"the safetensors header names {k!r} twice")
        out[k] = v
    return out


def read_header(fh):
    """(entries [(name, Kind, shape, begin, end)] in data order, metadata, data start, data size)."""
    fh.seek(0, 2)
    size = fh.tell()
    fh.seek(0)
    head = fh.read(8)
    if len(head) != 8:
        raise CheckpointError("not a safetensors file: shorter than its 8-byte header length")
    n = int.from_bytes(head, "little")
    if n > MAX_HEADER or 8 + n > size:
        raise CheckpointError(f"not a valid safetensors file: header length {n} does not fit the file of {size} bytes")
    try:
        header = json.loads(fh.read(n).decode("utf-8"), object_pairs_hook=_no_duplicates)
    except CheckpointError:
        raise
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise CheckpointError(f"not a valid safetensors file: the header is not JSON ({e})") from None
    if not isinstance(header, dict):
        raise CheckpointError("not a valid safetensors file: the header is not a JSON object")
    metadata = header.pop("__metadata__", None)
    if metadata is not None and (not isinstance(metadata, dict) or not all(
            isinstance(v, str) for v in metadata.values())):
        raise CheckpointError("invalid safetensors __metadata__: it must map strings to strings")
    entries = []
    for name, info in header.items():
        if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
            raise CheckpointError(f"invalid safetensors entry for {name!r}: expected dtype, shape and data_offsets")
        code, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
        if code not in SAFETENSORS_CODES:
            raise CheckpointError(f"tensor {name!r} has unknown safetensors dtype {str(code)[:20]!r}")
        kind = KINDS[SAFETENSORS_CODES[code]]
        if not isinstance(shape, list) or len(shape) > 64 or not all(type(d) is int and d >= 0 for d in shape):
            raise CheckpointError(f"tensor {name!r} has an invalid shape {str(shape)[:60]}")
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(type(o) is int for o in offsets)
                and 0 <= offsets[0] <= offsets[1]):
            raise CheckpointError(f"tensor {name!r} has invalid data_offsets {str(offsets)[:60]}")
        numel = 1
        for d in shape:
            numel *= d
        if offsets[1] - offsets[0] != numel * kind.itemsize:
            raise CheckpointError(f"tensor {name!r} of shape {shape} and dtype {code} needs "
                                  f"{numel * kind.itemsize} bytes, but its data_offsets span {offsets[1] - offsets[0]}")
        entries.append((name, kind, tuple(shape), offsets[0], offsets[1]))
    entries.sort(key=lambda e: (e[3], e[4]))
    data_size = size - 8 - n
    end = 0
    for name, _, _, begin, stop in entries:
        if begin != end:
            raise CheckpointError(f"tensor {name!r} starts at byte {begin} of the data, expected {end}: the "
                                  "tensors must tile the data without gaps or overlaps")
        end = stop
    if end != data_size:
        raise CheckpointError(f"the safetensors data holds {data_size} bytes but the header describes {end}; "
                              "the file is truncated or has trailing bytes")
    return entries, metadata, 8 + n, data_size


def _open(path):
    if hasattr(path, "read"):
        return path, False
    return open(os.fspath(path), "rb"), True


def load_safetensors(path, *, mmap=False):
    """Read a safetensors file into a dict {name: Tensor} (in file order).

    Args:
        path: a file path or a seekable binary file object.
        mmap: map the file instead of reading it (arrays are copy-on-write views of the file)."""
    fh, owned = _open(path)
    try:
        return _load(fh, path, owned, mmap)
    except (CheckpointError, MemoryError):
        raise
    except Exception as e:
        raise CheckpointError(f"cannot load the safetensors file, it is corrupt ({type(e).__name__}: "
                              f"{str(e)[:200]})") from e
    finally:
        if owned:
            fh.close()


def _load(fh, path, owned, mmap):
    entries, _, start, data_size = read_header(fh)
    for _, kind, _, _, _ in entries:
        kind.check_supported()
    if mmap and data_size:
        data = np.memmap(path if owned else fh, dtype=np.uint8, mode="c", offset=start, shape=(data_size,))
    else:
        fh.seek(start)
        data = np.empty(data_size, dtype=np.uint8)
        if data_size and fh.readinto(memoryview(data)) != data_size:
            raise CheckpointError("the safetensors file is truncated")
    out, converted = {}, {}
    for name, kind, shape, begin, stop in entries:
        arr = data[begin:stop].view(kind.raw)
        if not arr.dtype.isnative:
            arr = arr.astype(arr.dtype.newbyteorder("="))
        if kind.convert is not None:
            arr = kind.convert(arr)
            converted[kind.name] = converted.get(kind.name, 0) + 1
        elif not arr.flags.aligned:
            arr = arr.copy()
        out[name] = Tensor._wrap(arr.reshape(shape))
    if converted:
        warnings.warn(conversion_warning(converted), UserWarning, stacklevel=3)
    return out


def load_safetensors_metadata(path):
    """The "__metadata__" dict of a safetensors file (None if it has none)."""
    fh, owned = _open(path)
    try:
        return read_header(fh)[1]
    finally:
        if owned:
            fh.close()
