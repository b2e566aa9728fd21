"""One training step of a sequence classifier, lamina vs PyTorch in the same process:

  LSTM(40 → 128, batch_first), T = 50, batch 32, last hidden state → Linear(128, 10),
  cross-entropy, Adam                                         (the seeds' LSTM example)
  the same forward alone under no_grad                         (inference)
  GRU(40 → 128) in the same training step                      (the other gated layer)

Threads are equal for both libraries (OMP_NUM_THREADS and torch.set_num_threads, default 1,
OMP_WAIT_POLICY=PASSIVE), repetitions are interleaved, medians are compared; ratio > 1 means
lamina is faster.

    python bench/bench_lstm.py [--threads N] [--cpu]

--cpu times with the thread's CPU clock instead of the wall clock: on a shared, busy machine
(other processes taking the cores) it leaves out the time spent waiting for a core."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import compare, setup_threads  # noqa: E402

setup_threads()
import time  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

import lamina  # noqa: E402

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


def _cpu_time_step(step, inner):
    start = time.thread_time()
    for _ in range(inner):
        step()
    return (time.thread_time() - start) / inner


def main():
    if "--cpu" in sys.argv:
        common.time_step = _cpu_time_step  # compare() looks it up at call time
    rng = np.random.default_rng(0)
    x = rng.standard_normal((B, T, I), dtype=np.float32)
    y = rng.integers(0, C, B)
    rows = []
    for cell in ("LSTM", "GRU"):
        steps, infers = {}, {}
        for lib in (lamina, torch):
            model = Classifier(lib, cell)
            opt = lib.optim.Adam(model.params, lr=1e-3)
            loss_fn = lib.nn.functional.cross_entropy
            xin, yin = lib.from_numpy(x.copy()), lib.from_numpy(y.copy())

            def step(model=model, opt=opt, loss_fn=loss_fn, xin=xin, yin=yin):
                opt.zero_grad()
                loss = loss_fn(model(xin), yin)
                loss.backward()
                opt.step()

            def infer(model=model, xin=xin, lib=lib):
                with lib.no_grad():
                    model(xin)
            steps[lib], infers[lib] = step, infer
        rows.append(compare(f"{cell}(40,128) T50 b32 train Adam", steps[lamina], steps[torch], inner=5, repeats=9))
        rows.append(compare(f"{cell}(40,128) T50 b32 inference", infers[lamina], infers[torch], inner=10, repeats=9))
    return rows


if __name__ == "__main__":
    main()
