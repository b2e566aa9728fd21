"""A Transformer encoder classifier's training step, lamina vs PyTorch.

  TransformerEncoderLayer(d_model 128, 4 heads, ff 512, dropout 0, batch_first) on (16, 64, 128),
  mean over the 64 tokens, Linear(128, 10), cross-entropy, Adam
  and the same model's forward in eval mode under no_grad (inference; PyTorch then takes its
  fused fast path).

    python bench/bench_transformer.py [--threads N] [--only LIB | --memory LIB | --gemm | --list]"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import Workload, attention_gemms, linear_gemms  # noqa: E402

common.setup_threads()  # before NumPy loads
import numpy as np  # noqa: E402

B, T, E, HEADS, FF, C = 16, 64, 128, 4, 512, 10


def classifier(lib):
    nn = lib.nn

    class EncoderClassifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.TransformerEncoderLayer(E, HEADS, dim_feedforward=FF, dropout=0.0, batch_first=True)
            self.head = nn.Linear(E, C)

        def forward(self, x):
            return self.head(self.encoder(x).mean(dim=1))
    return EncoderClassifier()


def _data(lib):
    rng = np.random.default_rng(0)
    return (lib.from_numpy(rng.standard_normal((B, T, E), dtype=np.float32)),
            lib.from_numpy(rng.integers(0, C, B)))


def train(lib):
    x, y = _data(lib)
    model = classifier(lib)
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    return common.training_step(lib, model, opt, lib.nn.functional.cross_entropy, x, y)


def infer(lib):
    x, _ = _data(lib)
    model = classifier(lib).eval()  # inference as users run it

    def forward():
        with lib.no_grad():
            model(x)
    return forward


# in-projection (the input needs no gradient), attention core, out-projection, feed-forward, head
GEMMS = (linear_gemms(B * T, [E, 3 * E]) + attention_gemms(B, HEADS, T, E // HEADS)
         + linear_gemms(B * T, [E, E], input_grad=True) + linear_gemms(B * T, [E, FF, E], input_grad=True)
         + linear_gemms(B, [E, C], input_grad=True))

WORKLOADS = [Workload("transformer", "TransformerEncoderLayer b16 T64 Adam", train, "train", inner=5, gemms=GEMMS),
             Workload("transformer-infer", "TransformerEncoderLayer b16 T64 inference", infer, "infer", inner=10)]

if __name__ == "__main__":
    common.main(WORKLOADS)
