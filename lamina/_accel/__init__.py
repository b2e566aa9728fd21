"""Optional compiled kernels (numba), for the few places where NumPy needs many passes over
memory, each a separate call, for what is one loop: an LSTM step's gate math, for example.

Nothing here is imported by `import lamina`. The first op that can use a kernel family asks
`kernels("rnn")`; that imports numba (about 0.3 s, once per process) and the family's module,
whose kernels compile on their first call (cached on disk by numba afterwards). Without numba,
or with LAMINA_NUMBA=0 in the environment, `kernels` returns None and every caller keeps its
NumPy path, which computes the same values (to an ulp or two of exp) and is what the tests
compare with PyTorch in both modes."""
import contextlib
import importlib
import os

_loaded = {}
_enabled = os.environ.get("LAMINA_NUMBA", "1") != "0"


def kernels(family):
    """The module lamina._accel.<family> with its compiled kernels, or None (no numba, or
    switched off)."""
    if not _enabled:
        return None
    mod = _loaded.get(family, False)
    if mod is False:
        try:
            mod = importlib.import_module(f"{__name__}.{family}")
        except ImportError:  # numba (or llvmlite) missing or broken: the NumPy paths serve
            mod = None
        _loaded[family] = mod
    return mod


@contextlib.contextmanager
def disabled():
    """Within the block every op takes its NumPy path (for tests and A/B timing)."""
    global _enabled
    before, _enabled = _enabled, False
    try:
        yield
    finally:
        _enabled = before
