"""Training steps of the seeds' MLPs and batch-1 inference, lamina vs PyTorch.

  784→256→128→10 MLP, batch 128, SGD momentum 0.9, cross-entropy   (first seed)
  ClinicalMLP (BatchNorm1d, 3 Linear, Dropout 0.3, sigmoid), batch 32, Adam, BCE   (second seed)
  784→256→128→10 MLP inference, batch 1, no_grad (eager, and lamina.compile)

    python bench/bench_mlp.py [--threads N]"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import compare, setup_threads  # noqa: E402

setup_threads()
import numpy as np  # noqa: E402
import torch  # noqa: E402

import lamina  # noqa: E402


def mlp(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))


def clinical_mlp(lib):
    nn, F = lib.nn, lib.nn.functional

    class ClinicalMLP(nn.Module):
        def __init__(self, n_features=50, n_classes=1):
            super().__init__()
            self.input_norm = nn.BatchNorm1d(n_features)
            self.fc1 = nn.Linear(n_features, 128)
            self.fc2 = nn.Linear(128, 64)
            self.fc3 = nn.Linear(64, n_classes)
            self.dropout = nn.Dropout(0.3)

        def forward(self, x):
            x = self.input_norm(x)
            x = F.relu(self.fc1(x))
            x = self.dropout(x)
            x = F.relu(self.fc2(x))
            return lib.sigmoid(self.fc3(x))
    return ClinicalMLP()


def training_step(lib, model, optimizer, loss_fn, x, y):
    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
    return step


def main():
    rng = np.random.default_rng(0)
    rows = []

    x = rng.standard_normal((128, 784), dtype=np.float32)
    y = rng.integers(0, 10, 128)
    steps = {}
    for lib in (lamina, torch):
        model = mlp(lib)
        opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        steps[lib] = training_step(lib, model, opt, lib.nn.functional.cross_entropy,
                                   lib.from_numpy(x.copy()), lib.from_numpy(y.copy()))
    rows.append(compare("MLP 784-256-128-10 b128 SGD", steps[lamina], steps[torch]))

    x = rng.standard_normal((32, 50), dtype=np.float32)
    y = (rng.random((32, 1)) < 0.3).astype(np.float32)
    for lib in (lamina, torch):
        model = clinical_mlp(lib)
        opt = lib.optim.Adam(model.parameters(), lr=1e-3)
        steps[lib] = training_step(lib, model, opt, lib.nn.functional.binary_cross_entropy,
                                   lib.from_numpy(x.copy()), lib.from_numpy(y.copy()))
    rows.append(compare("ClinicalMLP b32 Adam", steps[lamina], steps[torch], inner=50))

    x = rng.standard_normal((1, 784), dtype=np.float32)
    for lib in (lamina, torch):
        model = mlp(lib).eval()
        xin = lib.from_numpy(x.copy())

        def infer(model=model, xin=xin, lib=lib):
            with lib.no_grad():
                model(xin)
        steps[lib] = infer
    rows.append(compare("MLP inference batch 1", steps[lamina], steps[torch], inner=200))
    compiled = lamina.compile(mlp(lamina).eval())
    xin = lamina.from_numpy(x.copy())

    def infer_compiled():
        with lamina.no_grad():
            compiled(xin)
    rows.append(compare("MLP inference batch 1 compiled", infer_compiled, steps[torch], inner=200))
    return rows


if __name__ == "__main__":
    main()
