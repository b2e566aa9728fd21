"""The BLAS thread count: lamina.get_num_threads/set_num_threads and Timer's num_threads.

PyTorch sizes its own thread pool; lamina's parallel work all happens inside the BLAS library
NumPy links (matmul, convolution's GEMMs). OpenBLAS and MKL both export a getter and a setter,
reached here with ctypes, so no extra dependency is needed. When neither library is found
(Apple's Accelerate, BLIS, a build without one), the count cannot be changed after start-up:
`get_count` gives None, `set_count` and `blas_threads` leave it alone (set OMP_NUM_THREADS before Python
starts instead). Loaded on first use: `import lamina` does not look for the library.
"""
import contextlib
import ctypes
import os
import re

# (getter, setter) symbol pairs, by the names each build exports: plain OpenBLAS, NumPy 1.x
# wheels (64-bit integer suffix), NumPy 2.x wheels (scipy-openblas, 64 and 32 bit), MKL.
_SYMBOL_PAIRS = (
    ("openblas_get_num_threads", "openblas_set_num_threads"),
    ("openblas_get_num_threads64_", "openblas_set_num_threads64_"),
    ("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
    ("scipy_openblas_get_num_threads", "scipy_openblas_set_num_threads"),
    ("MKL_Get_Max_Threads", "MKL_Set_Num_Threads"),
)
_BLAS_FILE = re.compile(r"(openblas|mkl_rt)[^/\\]*\.(so|dylib|dll)", re.IGNORECASE)

_controls = None  # found once, on first use


def _loaded_library_paths():
    """Shared libraries this process has mapped (Linux), else the ones NumPy's wheel bundles."""
    try:
        with open("/proc/self/maps") as maps:  # address, perms, offset, device, inode, path
            fields = (line.split(None, 5) for line in maps)
            return {f[5].strip() for f in fields if len(f) == 6}
    except OSError:
        import numpy
        root = os.path.dirname(os.path.dirname(numpy.__file__))
        folders = [os.path.join(root, "numpy.libs"), os.path.join(os.path.dirname(numpy.__file__), ".dylibs")]
        return {os.path.join(f, name) for f in folders if os.path.isdir(f) for name in os.listdir(f)}


def _controls_of(path):
    """The (get, set) functions a BLAS library at `path` exports, if any."""
    try:
        lib = ctypes.CDLL(path)  # already loaded: this returns the handle NumPy uses
    except OSError:
        return []
    for get_name, set_name in _SYMBOL_PAIRS:
        if hasattr(lib, get_name) and hasattr(lib, set_name):
            return [(getattr(lib, get_name), getattr(lib, set_name))]
    return []


def blas_controls():
    """Every BLAS library in the process whose thread count can be set (cached)."""
    global _controls
    if _controls is None:
        import numpy  # noqa: F401 - NumPy's BLAS must be loaded before we look for it
        paths = sorted(p for p in _loaded_library_paths() if _BLAS_FILE.search(os.path.basename(p)))
        _controls = [control for path in paths for control in _controls_of(path)]
    return _controls


def get_count():
    """The thread count of NumPy's BLAS, or None when it cannot be read."""
    controls = blas_controls()
    return controls[0][0]() if controls else None


def set_count(n):
    """Give every BLAS library in the process n threads (where it can be changed)."""
    for _, set_threads in blas_controls():
        set_threads(int(n))


@contextlib.contextmanager
def blas_threads(n):
    """Run the block with `n` BLAS threads, then restore each library's previous count."""
    controls = blas_controls()
    previous = [get() for get, _ in controls]
    try:
        for _, set_threads in controls:
            set_threads(int(n))
        yield
    finally:
        for (_, set_threads), count in zip(controls, previous):
            set_threads(count)
