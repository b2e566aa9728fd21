"""Reading PyTorch's old checkpoint format (torch.save(..., _use_new_zipfile_serialization=False),
the only format before PyTorch 1.6).

The file is a run of pickles followed by raw data:
    magic number, protocol version (1001), sys_info {'little_endian', 'type_sizes', ...},
    the object (storages as persistent ids ('storage', class, key, location, numel, view)),
    the list of storage keys,
then for each key in that order: the element count as an 8-byte int and the storage's bytes,
both in the byte order sys_info names. The even older tar format (PyTorch < 0.1.10) is refused."""
import numpy as np

from .errors import CheckpointError, MalformedPickle, UnpicklingError, brief
from .rebuild import Rebuilder, _text
from .unpickler import Unpickler, allowed_globals

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001


def is_tar(head):
    return len(head) >= 262 and head[257:262] == b"ustar"


def _read_exact(fh, n, what):
    out = np.empty(n, dtype=np.uint8)
    view = memoryview(out)
    got = 0
    readinto = getattr(fh, "readinto", None)
    while got < n:
        if readinto is not None:
            k = readinto(view[got:got + (1 << 24)])
        else:
            piece = fh.read(min(1 << 24, n - got))
            k = len(piece)
            view[got:got + k] = piece
        if not k:
            raise CheckpointError(f"the checkpoint is truncated: {what} is incomplete")
        got += k
    return out


def load(fh, encoding="utf-8", inspect_only=False):
    start = fh.tell()
    end = fh.seek(0, 2)
    fh.seek(start)
    total = end - start

    def plain():
        return Unpickler(fh, encoding=encoding, max_len=total).load()

    try:
        magic = plain()
    except MalformedPickle as e:
        raise CheckpointError(f"not a PyTorch checkpoint: the file is neither a zip archive nor an old-format "
                              f"checkpoint ({e})") from None
    if magic != MAGIC_NUMBER:
        raise CheckpointError("not a PyTorch checkpoint: invalid magic number (the file is neither a zip "
                              "checkpoint nor an old-format one)")
    version = plain()
    if version != PROTOCOL_VERSION:
        raise CheckpointError(f"invalid protocol version {brief(version)} in old-format checkpoint")
    sys_info = plain()
    little = sys_info.get("little_endian", True) if isinstance(sys_info, dict) else None
    if type(little) is not bool:
        raise CheckpointError("the old-format checkpoint's system info is damaged")
    byteorder = "little" if little else "big"

    rebuilder = Rebuilder()
    table, calls = allowed_globals(rebuilder)

    def persistent_load(pid):
        if not (isinstance(pid, tuple) and len(pid) == 6 and pid[0] in ("storage", b"storage")):
            raise UnpicklingError(f"unexpected persistent id {brief(pid)} in old-format checkpoint")
        ref = rebuilder.storage(*pid[1:5])
        view = pid[5]
        if view is not None:
            if not (isinstance(view, tuple) and len(view) == 3):
                raise UnpicklingError(f"invalid storage view {brief(view)} in old-format checkpoint")
            ref = rebuilder.storage_view(ref, *view)
        return ref

    obj = Unpickler(fh, table, calls, persistent_load, encoding, total).load()
    keys = plain()
    if not isinstance(keys, list):
        raise CheckpointError("the old-format checkpoint's storage list is damaged")
    if inspect_only:
        return obj
    raws = {}
    for key in keys:
        key = _text(key, "storage key")
        ref = rebuilder.storages.get(key)
        if ref is None or key in raws:
            raise CheckpointError(f"the old-format checkpoint lists data for storage {key!r}, which its "
                                  "object does not use (or lists it twice)")
        header = fh.read(8)
        if len(header) != 8:
            raise CheckpointError(f"the checkpoint is truncated: the data of storage {key} is missing")
        count = int.from_bytes(header, byteorder)
        if count != ref.numel:
            raise CheckpointError(f"storage {key} holds {count} elements in the file, but {ref.numel} were described")
        if ref.nbytes > end - fh.tell():
            raise CheckpointError(f"the checkpoint is truncated: storage {key} needs {ref.nbytes} bytes")
        raws[key] = _read_exact(fh, ref.nbytes, f"storage {key}")
    missing = [k for k in rebuilder.storages if k not in raws]
    if missing:
        raise CheckpointError(f"the old-format checkpoint has no data for storage(s) {', '.join(missing[:5])}")
    rebuilder.finish(lambda ref: raws[ref.key], byteorder)
    return obj
