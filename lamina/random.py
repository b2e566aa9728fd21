"""Random numbers: one global generator (`manual_seed`) and `Generator` objects where PyTorch
takes one. Streams differ from PyTorch's: same seed, same lamina values, not torch's values."""
import numpy as np


class Generator:
    def __init__(self, device="cpu"):
        self._seed = 67280421310721  # PyTorch's default seed
        self._rng = np.random.default_rng(self._seed)

    @property
    def device(self):
        from ._device import cpu
        return cpu

    def manual_seed(self, seed):
        self._seed = int(seed)
        self._rng = np.random.default_rng(self._seed)
        return self

    def seed(self):
        s = int(np.random.SeedSequence().entropy % (2 ** 63))
        self.manual_seed(s)
        return s

    def initial_seed(self):
        return self._seed

    def get_state(self):
        """The generator's state as a uint8 tensor (lamina's own layout: see _pack_state)."""
        from .ops._core import wrap
        return wrap(_pack_state(self._rng.bit_generator.state))

    def set_state(self, new_state):
        self._rng.bit_generator.state = _unpack_state(new_state)
        return self


# A state tensor is plain numbers: a tag, then PCG64's 128-bit state and increment and its cached
# 32-bit half (has_uint32, uinteger). Checkpoints carry it, so reading one must never run code.
_STATE_TAG = b"laminaPCG64\x01"
_STATE_BYTES = len(_STATE_TAG) + 16 + 16 + 1 + 4


def _pack_state(st):
    inner = st["state"]
    return np.frombuffer(_STATE_TAG + inner["state"].to_bytes(16, "little") + inner["inc"].to_bytes(16, "little")
                         + bytes([st["has_uint32"]]) + int(st["uinteger"]).to_bytes(4, "little"), dtype=np.uint8).copy()


def _unpack_state(state):
    data = getattr(state, "_data", state)
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8:
        raise TypeError(f"expected a torch.ByteTensor, but got {type(state).__name__}"
                        + ("" if not isinstance(data, np.ndarray) else f" of dtype {data.dtype}"))
    raw = data.tobytes()
    if len(raw) != _STATE_BYTES or not raw.startswith(_STATE_TAG) or raw[len(_STATE_TAG) + 32] > 1:
        raise RuntimeError(f"Expected a lamina generator state of size {_STATE_BYTES} (from get_rng_state or "
                           f"Generator.get_state) but found the input RNG state size to be {len(raw)}"
                           + ("" if len(raw) != _STATE_BYTES else " with another layout"))
    at = len(_STATE_TAG)
    return {"bit_generator": "PCG64",
            "state": {"state": int.from_bytes(raw[at:at + 16], "little"),
                      "inc": int.from_bytes(raw[at + 16:at + 32], "little")},
            "has_uint32": raw[at + 32], "uinteger": int.from_bytes(raw[at + 33:at + 37], "little")}


default_generator = Generator()


def rng(generator=None):
    """The NumPy Generator behind `generator` (or the global one)."""
    return (generator or default_generator)._rng


def manual_seed(seed):
    default_generator.manual_seed(seed)
    return default_generator


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(state):
    default_generator.set_state(state)


class fork_rng:
    """Context manager (PyTorch's torch.random.fork_rng): the global generator's state is saved
    on entry and restored on exit, so random calls inside do not disturb the stream outside."""

    def __init__(self, devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices", device_type="cuda"):
        self.enabled = enabled

    def __enter__(self):
        if self.enabled:
            self._state = default_generator.get_state()
        return self

    def __exit__(self, *exc):
        if self.enabled:
            default_generator.set_state(self._state)
        return False
