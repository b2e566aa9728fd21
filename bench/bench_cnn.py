"""LeNet-style CNN training step on MNIST-sized data, lamina vs PyTorch, plus its layers alone.

  Conv2d(1,32,3,p1)+ReLU+MaxPool2d(2) → Conv2d(32,64,3,p1)+ReLU+MaxPool2d(2) → Flatten →
  Linear(3136,128)+ReLU → Linear(128,10); batch 64 of 1×28×28, SGD momentum 0.9, cross-entropy.

    python bench/bench_cnn.py [--threads N] [--layers] [--only LIB | --memory LIB | --gemm | --list]

--layers also times each conv/pool layer's forward+backward alone (input, weight and bias grads).
The GEMM fraction counts the convolutions as im2col GEMMs (see common.conv_gemms) plus the Linear
layers' GEMMs.

On a machine shared with other busy processes, prefer --threads 1: NumPy's OpenBLAS keeps its
worker threads spinning between calls, which then competes with everything else for the cores
(measured here under load: lamina 2 threads 4x slower than 1 thread), while torch's OpenMP
threads sleep with OMP_WAIT_POLICY=PASSIVE."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import Workload, conv_gemms, linear_gemms  # noqa: E402

common.setup_threads()  # before NumPy loads
import numpy as np  # noqa: E402


def cnn(lib):
    """The benchmark network, built from `lib` (lamina or torch)."""
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))


def training_step(lib, batch=64, seed=0):
    """A closure running one SGD training step of the CNN in `lib` on fixed random data."""
    rng = np.random.default_rng(seed)
    x = lib.from_numpy(rng.standard_normal((batch, 1, 28, 28), dtype=np.float32))
    y = lib.from_numpy(rng.integers(0, 10, batch))
    model = cnn(lib)
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return common.training_step(lib, model, opt, lib.nn.functional.cross_entropy, x, y)


def layer_step(make_layer, shape, seed=0):
    """Builder of forward + backward of one layer on a fixed input (gradient wrt input and parameters)."""
    def make(lib):
        rng = np.random.default_rng(seed)
        x = lib.from_numpy(rng.standard_normal(shape, dtype=np.float32)).requires_grad_()
        layer = make_layer(lib.nn)
        out = layer(x)
        up = lib.from_numpy(rng.standard_normal(tuple(out.shape), dtype=np.float32))

        def step():
            (layer(x) * up).sum().backward()
        return step
    return make


CNN_GEMMS = (conv_gemms(64, 1, 32, 3, (28, 28), input_grad=False) + conv_gemms(64, 32, 64, 3, (14, 14))
             + linear_gemms(64, [3136, 128, 10], input_grad=True))

WORKLOADS = [Workload("cnn", "CNN b64 28x28 SGD step", training_step, "train", inner=10, gemms=CNN_GEMMS)]

LAYERS = [
    ("conv1", "conv1 1->32 3x3 p1 (64,1,28,28)", lambda nn: nn.Conv2d(1, 32, 3, padding=1), (64, 1, 28, 28)),
    ("conv2", "conv2 32->64 3x3 p1 (64,32,14,14)", lambda nn: nn.Conv2d(32, 64, 3, padding=1), (64, 32, 14, 14)),
    ("pool1", "maxpool 2 (64,32,28,28)", lambda nn: nn.MaxPool2d(2), (64, 32, 28, 28)),
    ("pool2", "maxpool 2 (64,64,14,14)", lambda nn: nn.MaxPool2d(2), (64, 64, 14, 14)),
    ("conv-s2", "conv 32->64 3x3 s2 p1 (64,32,14,14)", lambda nn: nn.Conv2d(32, 64, 3, 2, 1), (64, 32, 14, 14)),
    ("depthwise", "depthwise 32 3x3 p1 (64,32,14,14)", lambda nn: nn.Conv2d(32, 32, 3, 1, 1, groups=32),
     (64, 32, 14, 14)),
    ("convT", "convT 64->32 2x2 s2 (64,64,7,7)", lambda nn: nn.ConvTranspose2d(64, 32, 2, 2), (64, 64, 7, 7)),
    ("avgpool", "avgpool 2 (64,32,28,28)", lambda nn: nn.AvgPool2d(2), (64, 32, 28, 28)),
]
if "--layers" in sys.argv:
    WORKLOADS += [Workload(key, name, layer_step(make_layer, shape), "layer", inner=10, repeats=5)
                  for key, name, make_layer, shape in LAYERS]

if __name__ == "__main__":
    common.main(WORKLOADS)
