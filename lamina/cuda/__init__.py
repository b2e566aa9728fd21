"""torch.cuda for a CPU-only library: every query says "no GPU", the seeding and cache calls are
no-ops, and the calls that need a device raise PyTorch's own CPU-build error.

This is what lets the usual `device = "cuda" if torch.cuda.is_available() else "cpu"` and
`torch.cuda.manual_seed_all(0)` lines run unchanged."""


def _no_cuda(*args, **kwargs):
    raise AssertionError("Torch not compiled with CUDA enabled")


def is_available():
    return False


def is_initialized():
    return False


def device_count():
    return 0


def is_bf16_supported(including_emulation=True):
    return False


def manual_seed(seed):
    """No GPU generator to seed; accepted so that seeding code runs."""


def manual_seed_all(seed):
    """No GPU generators to seed; accepted so that seeding code runs."""


def seed():
    pass


def seed_all():
    pass


def empty_cache():
    pass


def synchronize(device=None):
    pass


def ipc_collect():
    pass


def memory_allocated(device=None):
    return 0


def max_memory_allocated(device=None):
    return 0


def memory_reserved(device=None):
    return 0


def max_memory_reserved(device=None):
    return 0


def reset_peak_memory_stats(device=None):
    pass


init = current_device = get_device_name = get_device_properties = get_device_capability = set_device = \
    current_stream = Stream = Event = _no_cuda


def _typed_classes():
    from .._tensor_types import CUDA_TYPES
    return CUDA_TYPES


def __getattr__(name):
    if name == "amp":  # torch.cuda.amp loads on first use
        import importlib
        return importlib.import_module(f"{__name__}.amp")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


globals().update(_typed_classes())  # torch.cuda.FloatTensor and friends: they exist, and refuse to build
