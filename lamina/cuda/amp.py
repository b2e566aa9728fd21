"""torch.cuda.amp (deprecated in PyTorch for torch.amp): its autocast and GradScaler are
torch.amp's for device "cuda", which without a GPU disable themselves (with PyTorch's warning),
so `with torch.cuda.amp.autocast():` and `scaler = torch.cuda.amp.GradScaler()` loops run as
plain float32 training."""
from .. import amp as _amp
from ..amp import custom_bwd, custom_fwd  # noqa: F401


class autocast(_amp.autocast):
    def __init__(self, enabled=True, dtype=None, cache_enabled=True):
        super().__init__("cuda", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)


class GradScaler(_amp.GradScaler):
    def __init__(self, init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5, growth_interval=2000,
                 enabled=True):
        super().__init__("cuda", init_scale, growth_factor, backoff_factor, growth_interval, enabled)
