"""nn.LinearCrossEntropyOptions: the settings of PyTorch's chunked F.linear_cross_entropy.

PyTorch splits the batch into chunks so the (N, C) logits never exist at once (a memory saving
for large vocabularies on a GPU). lamina accepts the same settings, validates them, resolves
"auto" and the chunk size the way PyTorch does (the chunk size decides which error a bad target
gives, see ops/loss.py), and then computes in one pass: equal values up to float rounding."""
import dataclasses
from typing import Literal, NamedTuple

from ... import _dtype

__all__ = ["LinearCrossEntropyOptions"]


class _AutoDefault(NamedTuple):
    acc_policy: str
    chunking_method: str


# What "auto" resolves to per (device type, input dtype), PyTorch's table; other pairs take
# the fallback
_AUTO_DEFAULTS = {
    ("cuda", _dtype.bfloat16): _AutoDefault("compact", "aspect_ratio:2"),
    ("cuda", _dtype.float16): _AutoDefault("compact", "aspect_ratio:2"),
    ("cpu", _dtype.bfloat16): _AutoDefault("accurate", "aspect_ratio"),
    ("cpu", _dtype.float16): _AutoDefault("accurate", "aspect_ratio"),
}
_AUTO_FALLBACK = _AutoDefault("compact", "aspect_ratio:2")
_ACC_DTYPES = (_dtype.float16, _dtype.bfloat16, _dtype.float32, _dtype.float64)


def _ceil_div(a, b):
    return -(-a // b)


@dataclasses.dataclass(slots=True, frozen=True)
class LinearCrossEntropyOptions:
    """Settings for the chunked F.linear_cross_entropy (pass one as ``options=``).

    Fields (PyTorch's): allow_retain_graph (False: a second backward of a 'mean'/'sum' loss
    raises), batch_chunk_size (rows per chunk, None: one chunk), chunking_method ("auto",
    "aspect_ratio", "aspect_ratio:N" or None: how the chunk size is picked), acc_policy ("auto",
    "accurate", "balanced", "compact": precision against memory), acc_dtype (None or a float
    dtype for accumulation).

    lamina computes every configuration in one pass (its NumPy path has no GPU memory to
    save); the settings still give PyTorch's validation errors and chunk-size checks."""

    allow_retain_graph: bool = False
    batch_chunk_size: int | None = None
    chunking_method: str | None = "auto"
    acc_policy: Literal["accurate", "balanced", "compact", "auto"] = "auto"
    acc_dtype: object = None  # a lamina float dtype or None

    def __post_init__(self):
        if self.acc_policy not in ("auto", "accurate", "balanced", "compact"):
            raise ValueError(f"invalid acc_policy: {self.acc_policy!r}")
        method = self.chunking_method
        if method is not None and method != "auto":
            name, colon, factor = method.partition(":")
            factor = factor if colon else "1"
            if name != "aspect_ratio" or not factor.isdigit() or int(factor) <= 0:
                raise ValueError(f"invalid chunking_method: {method!r}")
        size = self.batch_chunk_size
        # bool passes, as in PyTorch (True is an int)
        if size is not None and not (isinstance(size, int) and size > 0):
            raise ValueError(f"batch_chunk_size must be positive int or None, got {size!r}")
        if self.acc_dtype is not None and not any(self.acc_dtype is d for d in _ACC_DTYPES):
            raise ValueError(f"acc_dtype must be one of {{None, torch.float16, torch.bfloat16, torch.float32, "
                             f"torch.float64}}, got {self.acc_dtype!r}. Pass acc_dtype=None to let the op pick "
                             "automatically.")

    @staticmethod
    def _chunk_size_for(method, num_batches, in_features, num_classes):
        """Rows per chunk for an "aspect_ratio[:N]" method: a chunk's (rows, C) logits take about
        the memory of the (N, in_features) input, rounded up to a power of two, divided by N."""
        factor = int(method.partition(":")[2] or 1)
        target = _ceil_div(num_batches, _ceil_div(num_classes, in_features))
        return min((1 << (target - 1).bit_length()) // factor, num_batches)

    def _adjust(self, num_batches, in_features, num_classes, dtype, device=None):
        """These options with "auto" and None resolved for one call (PyTorch's rules)."""
        policy, method = self.acc_policy, self.chunking_method
        if method == "auto" and self.batch_chunk_size is not None:
            method = None  # an explicit size wins over the automatic choice
        if "auto" in (policy, method):
            picks = _AUTO_FALLBACK if device is None else _AUTO_DEFAULTS.get((device.type, dtype), _AUTO_FALLBACK)
            policy = picks.acc_policy if policy == "auto" else policy
            method = picks.chunking_method if method == "auto" else method
        size = num_batches if self.batch_chunk_size is None else min(self.batch_chunk_size, num_batches)
        if method is not None:
            size = self._chunk_size_for(method, num_batches, in_features, num_classes)
            if self.batch_chunk_size is not None and self.batch_chunk_size != size:
                raise ValueError(f"batch_chunk_size (={self.batch_chunk_size}) and chunking_method ('{method}') give "
                                 f"different chunk sizes ({self.batch_chunk_size} vs {size}); pass only one.")
        acc = self.acc_dtype
        if acc is None:
            # "auto" accumulates half-precision inputs in float32 on the CPU, as PyTorch does
            half = dtype is _dtype.float16 or dtype is _dtype.bfloat16
            on_cpu = device is not None and device.type == "cpu"
            acc = _dtype.float32 if self.acc_policy == "auto" and half and on_cpu else dtype
        return dataclasses.replace(self, acc_policy=policy, chunking_method=method,
                                   batch_chunk_size=max(1, size), acc_dtype=acc)
