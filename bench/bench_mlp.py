"""Training steps of the seeds' MLPs and batch-1 inference, lamina vs PyTorch.

  784→256→128→10 MLP, batch 128, SGD momentum 0.9, cross-entropy   (first seed)
  ClinicalMLP (BatchNorm1d, 3 Linear, Dropout 0.3, sigmoid), batch 32, Adam, BCE   (second seed)
  784→256→128→10 MLP inference, batch 1, no_grad

Each also as a "compiled" row: lamina's side runs through lamina.compile(model), trained exactly
like the eager row (optimizer over model.parameters(), loss, backward, step); PyTorch stays eager.
The row's note says whether lamina.compile ran its program or fell back to eager.

    python bench/bench_mlp.py [--threads N] [--only LIB | --memory LIB | --gemm | --list] [--workload KEY]
    python bench/bench_mlp.py --numpy-step [--repeats N]   # lamina's GEMM fraction beside a hand-written
                                                           # NumPy step's"""
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


def numpy_mlp_train():
    """The MLP's training step written by hand in plain NumPy (the same data, forward, softmax
    cross-entropy, backward and SGD-momentum update; no framework, no compiled kernels): what
    the GEMM fraction of a NumPy program with these matmuls comes to, for comparison."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((128, 784), dtype=np.float32)
    y = rng.integers(0, 10, 128)
    sizes = [784, 256, 128, 10]
    params = []
    for fin, fout in zip(sizes, sizes[1:]):
        bound = 1 / np.sqrt(fin)
        params += [rng.uniform(-bound, bound, (fout, fin)).astype(np.float32),
                   rng.uniform(-bound, bound, fout).astype(np.float32)]
    bufs = [np.zeros_like(p) for p in params]
    rows = np.arange(128)

    def step():
        w1, b1, w2, b2, w3, b3 = params
        h1 = x @ w1.T
        h1 += b1
        a1 = np.maximum(h1, 0)
        h2 = a1 @ w2.T
        h2 += b2
        a2 = np.maximum(h2, 0)
        z = a2 @ w3.T
        z += b3
        e = np.exp(z - z.max(axis=1, keepdims=True))
        g3 = e / e.sum(axis=1, keepdims=True)
        g3[rows, y] -= 1
        g3 /= 128
        g2 = g3 @ w3
        g2 *= h2 > 0
        g1 = g2 @ w2
        g1 *= h1 > 0
        grads = (g1.T @ x, g1.sum(axis=0), g2.T @ a1, g2.sum(axis=0), g3.T @ a2, g3.sum(axis=0))
        for p, b, g in zip(params, bufs, grads):
            b *= 0.9
            b += g
            p -= 0.01 * b
    return step


def numpy_step_fractions(argv):
    """--numpy-step: lamina's MLP step, the hand-written NumPy step and the NumPy GEMMs alone,
    interleaved (lamina only), with each step's GEMM fraction."""
    lamina = common.load("lamina")
    steps = [w.build(lamina) for w in WORKLOADS if w.key in ("mlp", "mlp-compiled")]
    steps += [numpy_mlp_train(), common.gemm_step(MLP_GEMMS)]
    for step in steps:
        common.first_call(step)
    repeats = int(common._option(argv, "--repeats", 15))
    lm, lc, hand, gemm = common.interleaved(steps, repeats, 20)
    for name, t in (("lamina eager", lm), ("lamina compiled", lc), ("hand-written NumPy", hand)):
        print(f"MLP 784-256-128-10 b128 SGD, {name:<18} {t * 1e3:7.3f} ms   GEMM fraction {gemm / t:5.2f}", flush=True)
    print(f"the step's NumPy GEMMs alone {gemm * 1e3:7.3f} ms", flush=True)


if __name__ == "__main__":
    if "--numpy-step" in sys.argv:
        numpy_step_fractions(sys.argv[1:])
    else:
        common.main(WORKLOADS)
