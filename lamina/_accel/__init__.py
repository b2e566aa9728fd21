"""Optional compiled kernels (numba), for the few places where NumPy needs many passes over
memory, each a separate call, for what is one loop: an LSTM step's gate math, for example.

Nothing here is imported by `import lamina`. The first op that can use a kernel asks `kernels()`;
that imports numba (about 0.3 s, once per process) and lamina/_accel/numba_kernels.py, whose kernels
compile on their first call (about a second each, then cached on disk by numba). Without numba,
or with LAMINA_NUMBA=0 in the environment, `kernels` returns None and every caller keeps its
NumPy path, which computes the same values (to an ulp or two of exp) and is what the tests
compare with PyTorch in both modes."""
import contextlib
import os
import warnings

import numpy as np

_module = None   # lamina._accel.numba_kernels once loaded, False if it cannot be
_enabled = os.environ.get("LAMINA_NUMBA", "1") != "0"
_FLOAT32 = np.dtype(np.float32)


def kernels():
    """The module lamina._accel.numba_kernels, or None (no numba, or switched off)."""
    global _module
    if not _enabled:
        return None
    if _module is None:
        try:
            from . import numba_kernels as mod
        except ImportError:  # no numba (or llvmlite): the NumPy paths serve, silently
            mod = False
        except Exception as e:  # numba present but unusable (e.g. no writable cache directory)
            warnings.warn(f"lamina: numba kernels unavailable, using NumPy ({type(e).__name__}: {e})",
                          RuntimeWarning, stacklevel=2)
            mod = False
        _module = mod
    return _module or None


def float32_kernels(*arrays):
    """kernels() when every array given (None skipped) is C-contiguous float32, the form the
    kernels take; else None."""
    for a in arrays:
        if a is not None and (a.dtype != _FLOAT32 or not a.flags.c_contiguous):
            return None
    return kernels()


@contextlib.contextmanager
def disabled():
    """Within the block every op takes its NumPy path (for tests and A/B timing)."""
    global _enabled
    before, _enabled = _enabled, False
    try:
        yield
    finally:
        _enabled = before
