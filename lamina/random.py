"""Random numbers: one global generator (`manual_seed`) and `Generator` objects where PyTorch
takes one. Streams differ from PyTorch's: same seed, same lamina values, not torch's values."""
import numpy as np


class Generator:
    def __init__(self, device="cpu"):
        self._seed = 67280421310721  # PyTorch's default seed
        self._rng = np.random.default_rng(self._seed)

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
        from .ops._core import wrap
        import pickle
        return wrap(np.frombuffer(pickle.dumps(self._rng.bit_generator.state), dtype=np.uint8).copy())

    def set_state(self, state):
        import pickle
        st = pickle.loads(bytes(np.asarray(state._data if hasattr(state, "data") else state, dtype=np.uint8)))
        self._rng.bit_generator.state = st
        return self


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
