"""Saving and loading: PyTorch checkpoints both ways without torch, and safetensors.

    lamina.save(model.state_dict(), "model.pt")        # loads in torch.load(..., weights_only=True)
    sd = lamina.load("model.pt")                       # also reads files torch.save wrote
    lamina.io.save_safetensors(sd, "model.safetensors")
    lamina.io.convert("model.pt", "model.safetensors")
    lamina.io.inspect_file("model.pt", file=sys.stdout)

What a file may hold: tensors of any lamina dtype, Parameters, (Ordered)dicts, Counters, lists,
tuples, sets, numbers, strings, bytes, None — state_dicts (with their `_metadata`), optimizer and
scheduler state_dicts (MultiStepLR keeps a Counter), and nested training checkpoints. Views
survive: tensors that share memory when saved share one storage in the file and one array when
loaded.

Security: nothing in a file ever runs. The unpickler builds only the objects above; a pickle
naming any other global (os.system, builtins.eval, a model class) is refused with
UnpicklingError. lamina has no unsafe mode: `weights_only=False` loads the same objects (so a
state_dict saved by a script that passes it still loads), and whole-model files (torch.save(model))
are never loaded — save and load state_dicts. Classes you trust can be
allowed explicitly with add_safe_globals / safe_globals, as in PyTorch. A corrupt, truncated or
inconsistent file raises CheckpointError (a RuntimeError) and never half-loads.

Differences from PyTorch: map_location is validated but everything loads to the CPU (a callable
map_location is not called); bfloat16/float8 load as float32 and uint16/uint32/uint64 as
int32/int64/int64, with a warning; lamina writes only the zip format (the old format is read);
saves to a path are atomic (temporary file, fsync, rename)."""
import os

from .errors import CheckpointError, UnpicklingError
from .safetensors import load_safetensors, load_safetensors_metadata, save_safetensors
from .tools import Entry, convert, format_entries, inspect_file
from .unpickler import add_safe_globals, clear_safe_globals, get_safe_globals, safe_globals

__all__ = ["save", "load", "save_safetensors", "load_safetensors", "load_safetensors_metadata", "convert",
           "inspect_file", "format_entries", "Entry", "CheckpointError", "UnpicklingError",
           "add_safe_globals", "safe_globals", "get_safe_globals", "clear_safe_globals"]


def save(obj, f, pickle_module=None, pickle_protocol=2, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False):
    """Save an object (a state_dict, an optimizer state_dict, a dict of those, a tensor ...) in
    PyTorch's checkpoint format.

    Args:
        obj: what to save; see the module docstring for the types a checkpoint may hold.
        f: a path (written atomically: the previous file stays whole if saving fails) or a
            binary file object such as io.BytesIO (written in place).
        pickle_module, pickle_protocol: accepted for PyTorch compatibility; lamina always
            writes protocol 2, which every PyTorch version reads.
        _use_new_zipfile_serialization: must be True; lamina writes only the zip format."""
    from . import torch_format
    from .atomic import atomic_write
    if not _use_new_zipfile_serialization:
        raise NotImplementedError("lamina writes only PyTorch's zip checkpoint format (the default since PyTorch "
                                  "1.6); it reads the old format but does not write it")
    if pickle_module is not None and getattr(pickle_module, "__name__", None) != "pickle":
        raise ValueError("lamina writes checkpoints with its own restricted pickler; pickle_module is not supported")
    if isinstance(f, (str, bytes, os.PathLike)):
        with atomic_write(f) as fh:
            torch_format.write(obj, fh, torch_format.archive_name(f), not _disable_byteorder_record)
    elif hasattr(f, "write"):
        torch_format.write(obj, f, "archive", not _disable_byteorder_record)
        if hasattr(f, "flush"):
            f.flush()
    else:
        raise TypeError(f"f must be a path or a binary file object, got {type(f).__name__}")


def _check_location(loc):
    from .._device import device
    if isinstance(loc, bytes):
        loc = loc.decode("ascii", "replace")
    if isinstance(loc, str) or isinstance(loc, device):
        where = device(loc)
    elif isinstance(getattr(loc, "type", None), str):  # a torch.device
        where = device(str(loc))
    else:
        raise TypeError(f"map_location: expected a string or a device, got {type(loc).__name__}")
    if where.type != "cpu":
        raise RuntimeError(f"Attempting to deserialize object on a {where.type.upper()} device but "
                           f"torch.{where.type}.is_available() is False. If you are running on a CPU-only machine, "
                           "please use torch.load with map_location=torch.device('cpu') to map your storages to the "
                           "CPU.")


def _check_map_location(map_location):
    if map_location is None:
        return
    if isinstance(map_location, dict):
        for k, v in map_location.items():
            if not isinstance(k, (str, bytes)) and not isinstance(getattr(k, "type", None), str):
                raise TypeError(f"map_location keys must be location strings, got {type(k).__name__}")
            _check_location(v)
    elif isinstance(map_location, (str, bytes)) or isinstance(getattr(map_location, "type", None), str):
        _check_location(map_location)
    elif not callable(map_location):
        raise TypeError("map_location should be a string, a device, a dict or a callable, got "
                        f"{type(map_location).__name__}")


def _load_open(fh, path, mmap, encoding, inspect_only):
    from . import legacy, torch_format
    from .zip_archive import is_zip
    start = fh.tell()
    head = fh.read(512)
    fh.seek(start)
    if is_zip(head):
        return torch_format.load(fh, (path if path is not None else fh) if mmap else None, encoding, inspect_only)
    if mmap:
        raise CheckpointError("mmap can only be used with files saved with torch.save(_use_new_zipfile_serialization="
                              "True); this file is in the old format, so load it with mmap=False")
    if len(head) >= 9 and head[8:9] == b"{" and int.from_bytes(head[:8], "little") < (1 << 27):
        raise CheckpointError("this is a safetensors file; read it with lamina.io.load_safetensors")
    if legacy.is_tar(head):
        raise CheckpointError("this checkpoint is in PyTorch's tar format (before PyTorch 0.1.10), which lamina "
                              "does not read; re-save it with a recent PyTorch")
    return legacy.load(fh, encoding, inspect_only)


def _load_file(f, mmap=False, encoding="utf-8", inspect_only=False):
    path = None
    if isinstance(f, (str, bytes, os.PathLike)):
        path = os.fspath(f)
        fh = open(path, "rb")
    elif hasattr(f, "read") and hasattr(f, "seek"):
        fh = f
        if mmap:
            try:
                f.fileno()
            except Exception:
                raise ValueError("mmap=True needs a file path or a real file object, not an in-memory buffer") from None
    else:
        raise TypeError(f"f must be a path or a seekable binary file object, got {type(f).__name__}")
    try:
        return _load_open(fh, path, mmap, encoding, inspect_only)
    except (CheckpointError, MemoryError):
        raise
    except Exception as e:
        # Whatever else a damaged file provokes in the layers below is still a damaged file.
        raise CheckpointError(f"cannot load the checkpoint, the file is corrupt or not a PyTorch checkpoint "
                              f"({type(e).__name__}: {str(e)[:200]})") from e
    finally:
        if path is not None:
            fh.close()


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None, **pickle_load_args):
    """Load an object saved with torch.save or lamina.save (zip or old format).

    Args:
        f: a path or a seekable binary file object.
        map_location: accepted for PyTorch compatibility ('cpu', a device, a dict of locations,
            or a callable): it is validated, but every tensor loads to the CPU.
        weights_only: True (the default) or False. lamina never unpickles arbitrary objects either
            way: with False, a file of tensors, state_dicts and plain containers (what scripts pass
            weights_only=False for) loads as with True, and one that needs another class (a
            whole model) is refused with UnpicklingError, nothing run.
        mmap: map the file instead of reading it; tensors are copy-on-write views of the file.
        encoding: (keyword) how Python 2 strings in very old files decode; "bytes" keeps bytes.
    Returns:
        the saved object, with lamina Tensors and Parameters in place of torch's."""
    if pickle_module is not None:
        raise UnpicklingError("Can not safely load weights when explicit pickle_module is specified")
    _check_map_location(map_location)
    encoding = pickle_load_args.pop("encoding", "utf-8")
    if pickle_load_args:
        raise TypeError(f"load() got unexpected keyword arguments {sorted(pickle_load_args)}")
    return _load_file(f, bool(mmap), encoding)
