"""PyTorch's checkpoint format (torch.save since 1.6), written and read without torch.

An archive `<name>/` holding:
    data.pkl                 the pickled object; each tensor is a call to a rebuild function on a
                             persistent id ('storage', storage class, key, location, numel)
    data/<key>               the storage's raw bytes, little-endian, 64-byte aligned in the file
    .format_version, .storage_alignment, byteorder, version, .data/serialization_id
Reading runs data.pkl through the allow-list unpickler, then reads (or memory-maps) each storage
record once, so tensors that were views of one storage are views of one array again."""
import io
import os
import uuid

import numpy as np

from .errors import CheckpointError, UnpicklingError, brief
from .pickler import dumps
from .rebuild import Rebuilder
from .unpickler import Unpickler, allowed_globals
from .zip_archive import ZipReader, ZipWriter


def archive_name(path):
    """PyTorch names the archive's folder after the file, without its extension."""
    base = os.path.splitext(os.path.basename(os.fspath(path)))[0] if path is not None else ""
    return base or "archive"


def write(obj, fh, name="archive", byteorder_record=True):
    """Write obj as a checkpoint archive to the binary file object fh."""
    data_pkl, storages = dumps(obj)
    writer = ZipWriter(fh)
    p = name + "/"
    writer.write_record(p + "data.pkl", data_pkl)
    writer.write_record(p + ".format_version", b"1")
    writer.write_record(p + ".storage_alignment", b"64")
    if byteorder_record:
        writer.write_record(p + "byteorder", b"little")
    for key, storage in enumerate(storages):
        writer.write_record(f"{p}data/{key}", storage.source)
    writer.write_record(p + "version", b"3\n")
    writer.write_record(p + ".data/serialization_id", f"{uuid.uuid4().int:040d}"[:40].encode())
    writer.close()


def _check_archive(reader):
    p = reader.prefix
    names = reader.names()
    if any(n.startswith(p + "code/") for n in names) or reader.has(p + "constants.pkl"):
        raise CheckpointError("this is a TorchScript archive (torch.jit.save), which holds code; lamina loads "
                              "checkpoints written by torch.save. In PyTorch, save the model's state_dict() instead.")
    if not reader.has(p + "data.pkl"):
        raise CheckpointError("the checkpoint archive has no data.pkl record; the file is incomplete or not a "
                              "PyTorch checkpoint")
    byteorder = reader.read(p + "byteorder") if reader.has(p + "byteorder") else b"little"
    if byteorder not in (b"little", b"big"):
        raise CheckpointError(f"unknown byte order {byteorder[:20]!r} in the checkpoint")
    for name in (p + "version", p + ".data/version"):
        if reader.has(name):
            text = reader.read(name).strip()
            if not text.isdigit() or not 1 <= int(text) <= 64:
                raise CheckpointError(f"unknown checkpoint format version {text[:20]!r}")
    return byteorder.decode()


def read_object(reader, encoding):
    """Unpickle data.pkl: (object with placeholder tensors, its Rebuilder)."""
    data_pkl = reader.read(reader.prefix + "data.pkl")
    rebuilder = Rebuilder()
    table, calls = allowed_globals(rebuilder)

    def persistent_load(pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] in ("storage", b"storage")):
            raise UnpicklingError(f"unexpected persistent id {brief(pid)} in data.pkl")
        return rebuilder.storage(*pid[1:])

    obj = Unpickler(io.BytesIO(data_pkl), table, calls, persistent_load, encoding, len(data_pkl)).load()
    return obj, rebuilder


def load(fh, mmap_source=None, encoding="utf-8", inspect_only=False):
    """Load a zip checkpoint from the seekable binary file fh. mmap_source: a path or real file
    to map instead of reading the storages."""
    reader = ZipReader(fh)
    byteorder = _check_archive(reader)
    obj, rebuilder = read_object(reader, encoding)
    if inspect_only:
        return obj
    mapped = None
    if mmap_source is not None and any(ref.nbytes for ref in rebuilder.storages.values()):
        mapped = np.memmap(mmap_source, dtype=np.uint8, mode="c")

    def read_raw(ref):
        name = f"{reader.prefix}data/{ref.key}"
        if not reader.has(name):
            raise CheckpointError(f"the checkpoint has no data record for storage {ref.key} ({name}); "
                                  "the file is incomplete")
        size = reader.size(name)
        if size != ref.nbytes:
            raise CheckpointError(f"data record {name} holds {size} bytes, but its storage of {ref.numel} "
                                  f"elements needs {ref.nbytes}")
        if mapped is not None:
            return reader.map_array(name, mapped)
        return reader.read_array(name)

    rebuilder.finish(read_raw, byteorder)
    return obj
