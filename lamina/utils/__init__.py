"""lamina.utils, as torch.utils: `lamina.utils.data` (datasets, DataLoader), `hooks`, `checkpoint`
and `benchmark` (Timer, Compare).

Submodules load on first use, so `import lamina` does not pay for them."""
import importlib as _importlib

_SUBMODULES = {"data", "hooks", "checkpoint", "benchmark"}


def __getattr__(name):
    if name in _SUBMODULES:
        return _importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
