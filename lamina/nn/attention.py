"""torch.nn.attention: which kernel scaled_dot_product_attention may use (SDPBackend, sdpa_kernel).

lamina computes attention one way, and PyTorch's CPU build has two kernels that give the same
values (math and flash): the choice matters only when it leaves neither, which then fails as in
PyTorch. The flags are lamina.backends.sdp_enabled, also read by backends.cuda.*_sdp_enabled()."""
import contextlib
import enum

from .. import backends

__all__ = ["SDPBackend", "sdpa_kernel"]


class SDPBackend(enum.Enum):
    """A scaled_dot_product_attention kernel, numbered as PyTorch numbers them."""
    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4

    def __int__(self):
        return self.value


_FLAG_OF = {SDPBackend.CUDNN_ATTENTION: "cudnn", SDPBackend.FLASH_ATTENTION: "flash",
            SDPBackend.EFFICIENT_ATTENTION: "mem_efficient", SDPBackend.MATH: "math",
            SDPBackend.OVERRIDEABLE: "overrideable"}


def _enabled_backends():
    return [b for b, flag in _FLAG_OF.items() if backends.sdp_enabled[flag]]


def _enable_only(chosen):
    for b, flag in _FLAG_OF.items():
        backends.sdp_enabled[flag] = b in chosen


@contextlib.contextmanager
def sdpa_kernel(backends, set_priority=False):
    """Within the block, scaled_dot_product_attention may use only `backends` (an SDPBackend or a
    list of them); the previous choice comes back on exit. set_priority (their order as a
    priority) is accepted: lamina has a single kernel to choose."""
    if not isinstance(backends, (list, SDPBackend)):
        raise AssertionError("Backend must be an instance of SDPBackend or a list of SDPBackend instances, "
                             f"got {type(backends).__name__}")
    chosen = [backends] if isinstance(backends, SDPBackend) else list(dict.fromkeys(backends))
    previous = _enabled_backends()
    try:
        _enable_only(chosen)
        yield {}
    finally:
        _enable_only(previous)
