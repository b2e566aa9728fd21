"""Training steps of the seeds' MLPs and batch-1 inference, lamina vs PyTorch.

  784→256→128→10 MLP, batch 128, SGD momentum 0.9, cross-entropy   (first seed)
  ClinicalMLP (BatchNorm1d, 3 Linear, Dropout 0.3, sigmoid), batch 32, Adam, BCE   (second seed)
  784→256→128→10 MLP inference, batch 1, no_grad

Each also as a "compiled" row: lamina's side runs through lamina.compile(model), trained exactly
like the eager row (optimizer over model.parameters(), loss, backward, step); PyTorch stays eager.
The row's note says whether lamina.compile ran its program or fell back to eager.

    python bench/bench_mlp.py [--threads N] [--only LIB | --memory LIB | --gemm | --list] [--workload KEY]"""
import functools
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import Workload, linear_gemms, training_step  # noqa: E402

common.setup_threads()  # before NumPy loads
import numpy as np  # noqa: E402


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


def mlp_train(lib, compiled=False):
    rng = np.random.default_rng(0)
    x = lib.from_numpy(rng.standard_normal((128, 784), dtype=np.float32))
    y = lib.from_numpy(rng.integers(0, 10, 128))
    model = mlp(lib)
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return training_step(lib, model, opt, lib.nn.functional.cross_entropy, x, y, compiled)


def clinical_train(lib, compiled=False):
    rng = np.random.default_rng(1)
    x = lib.from_numpy(rng.standard_normal((32, 50), dtype=np.float32))
    y = lib.from_numpy((rng.random((32, 1)) < 0.3).astype(np.float32))
    model = clinical_mlp(lib)
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    return training_step(lib, model, opt, lib.nn.functional.binary_cross_entropy, x, y, compiled)


def mlp_infer(lib, compiled=False):
    x = lib.from_numpy(np.random.default_rng(2).standard_normal((1, 784), dtype=np.float32))
    model = mlp(lib).eval()
    net = lib.compile(model) if compiled else model

    def infer():
        with lib.no_grad():
            net(x)
    return infer


def _with_compiled(key, name, make, kind, **kw):
    """The eager workload and its compiled twin (lamina.compile on lamina's side, torch eager)."""
    return [Workload(key, name, make, kind, **kw),
            Workload(key + "-compiled", name + " compiled", make, kind,
                     lamina_make=functools.partial(make, compiled=True), compiled=True, **kw)]


MLP_GEMMS = linear_gemms(128, [784, 256, 128, 10])  # the input needs no gradient
CLINICAL_GEMMS = linear_gemms(32, [50, 128, 64, 1], input_grad=True)  # fc1's input is BatchNorm's output

WORKLOADS = (_with_compiled("mlp", "MLP 784-256-128-10 b128 SGD", mlp_train, "train", gemms=MLP_GEMMS)
             + _with_compiled("clinical", "ClinicalMLP b32 Adam", clinical_train, "train", inner=50,
                              gemms=CLINICAL_GEMMS)
             + _with_compiled("mlp-infer", "MLP inference batch 1", mlp_infer, "infer", inner=200))

if __name__ == "__main__":
    common.main(WORKLOADS)
