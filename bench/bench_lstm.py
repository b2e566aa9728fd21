"""One training step of a sequence classifier, lamina vs PyTorch:

  LSTM(40 → 128, batch_first), T = 50, batch 32, last hidden state → Linear(128, 10),
  cross-entropy, Adam                                         (the seeds' LSTM example)
  the same forward alone under no_grad                         (inference)
  GRU(40 → 128) in the same training step and inference       (the other gated layer)

    python bench/bench_lstm.py [--threads N] [--cpu] [--only LIB | --memory LIB | --list]

--cpu times with the thread's CPU clock instead of the wall clock: on a shared, busy machine
(other processes taking the cores) it leaves out the time spent waiting for a core."""
import functools
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import Workload  # noqa: E402

common.setup_threads()  # before NumPy loads
import numpy as np  # noqa: E402

T, B, I, H, C = 50, 32, 40, 128, 10


class Classifier:
    """LSTM/GRU → last hidden state → Linear, built from either library."""

    def __init__(self, lib, cell="LSTM"):
        nn = lib.nn
        self.rnn = getattr(nn, cell)(I, H, batch_first=True)
        self.fc = nn.Linear(H, C)
        self.params = list(self.rnn.parameters()) + list(self.fc.parameters())
        self.lstm = cell == "LSTM"

    def __call__(self, x):
        out, state = self.rnn(x)
        h = state[0] if self.lstm else state
        return self.fc(h[-1])


def _data(lib):
    rng = np.random.default_rng(0)
    return (lib.from_numpy(rng.standard_normal((B, T, I), dtype=np.float32)),
            lib.from_numpy(rng.integers(0, C, B)))


def train(lib, cell):
    x, y = _data(lib)
    model = Classifier(lib, cell)
    opt = lib.optim.Adam(model.params, lr=1e-3)
    return common.training_step(lib, model, opt, lib.nn.functional.cross_entropy, x, y)


def infer(lib, cell):
    x, _ = _data(lib)
    model = Classifier(lib, cell)

    def forward():
        with lib.no_grad():
            model(x)
    return forward


WORKLOADS = []
for cell in ("LSTM", "GRU"):
    WORKLOADS += [
        Workload(cell.lower(), f"{cell}(40,128) T50 b32 train Adam", functools.partial(train, cell=cell), "train",
                 inner=5, repeats=9),
        Workload(cell.lower() + "-infer", f"{cell}(40,128) T50 b32 inference", functools.partial(infer, cell=cell),
                 "infer", inner=10, repeats=9)]

if __name__ == "__main__":
    common.main(WORKLOADS)
