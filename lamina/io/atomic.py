"""Atomic file replacement: a save either completes or leaves the previous file untouched.

The new content goes to a temporary file in the same folder (so the final rename stays on one
file system), is flushed and fsync'ed, takes the old file's permissions (or the usual ones for a
new file), and is renamed over the target with os.replace, which is atomic on POSIX and Windows.
If writing fails the temporary file is removed; if the process is killed mid-write, a hidden
`.<name>.*.tmp` file may remain beside the target, and the target is still the old file."""
import contextlib
import os
import stat
import tempfile


def _umask():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # no other portable way to read it
    os.umask(mask)
    return mask


def _fsync_dir(directory):
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return  # e.g. Windows, where directories cannot be opened
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def target_path(path):
    """The file a save to `path` replaces: symlinks are followed, as open() would."""
    path = os.fspath(path)
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    real = os.path.realpath(path) if os.path.islink(path) else path
    directory = os.path.dirname(os.path.abspath(real))
    if not os.path.isdir(directory):
        raise RuntimeError(f"Parent directory {os.path.dirname(path) or directory} does not exist.")
    if os.path.isdir(real):
        raise IsADirectoryError(f"[Errno 21] Is a directory: '{path}'")
    return real


@contextlib.contextmanager
def atomic_write(path):
    """`with atomic_write(path) as fh:` yields a binary file; the target changes only on success."""
    real = target_path(path)
    directory = os.path.dirname(os.path.abspath(real))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(real) + ".", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        try:
            mode = stat.S_IMODE(os.stat(real).st_mode)
        except FileNotFoundError:
            mode = 0o666 & ~_umask()
        os.chmod(tmp, mode)
        os.replace(tmp, real)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(directory)
