"""A Transformer encoder classifier's training step, lamina vs PyTorch, in one process.

  TransformerEncoderLayer(d_model 128, 4 heads, ff 512, dropout 0, batch_first) on (16, 64, 128),
  mean over the 64 tokens, Linear(128, 10), cross-entropy, Adam
  and the same model's forward in eval mode under no_grad (inference).

    python bench/bench_transformer.py [--threads N]"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import compare, setup_threads  # noqa: E402

setup_threads()
import numpy as np  # noqa: E402
import torch  # noqa: E402

import lamina  # noqa: E402


def classifier(lib):
    nn = lib.nn

    class EncoderClassifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.TransformerEncoderLayer(128, 4, dim_feedforward=512, dropout=0.0, batch_first=True)
            self.head = nn.Linear(128, 10)

        def forward(self, x):
            return self.head(self.encoder(x).mean(dim=1))
    return EncoderClassifier()


def main():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 64, 128), dtype=np.float32)
    y = rng.integers(0, 10, 16)
    models = {lib: classifier(lib) for lib in (lamina, torch)}
    models[lamina].load_state_dict({k: lamina.from_numpy(v.detach().numpy().copy())
                                    for k, v in models[torch].state_dict().items()})
    steps, infer = {}, {}
    for lib, model in models.items():
        opt = lib.optim.Adam(model.parameters(), lr=1e-3)
        xin, yin = lib.from_numpy(x.copy()), lib.from_numpy(y.copy())

        def step(model=model, opt=opt, xin=xin, yin=yin, lib=lib):
            opt.zero_grad()
            loss = lib.nn.functional.cross_entropy(model(xin), yin)
            loss.backward()
            opt.step()
        steps[lib] = step

        def forward(model=model, xin=xin, lib=lib):
            with lib.no_grad():
                model(xin)
        infer[lib] = forward
    rows = [compare("TransformerEncoderLayer b16 T64 Adam", steps[lamina], steps[torch], inner=5)]
    for model in models.values():
        model.eval()  # inference as users run it (PyTorch then takes its fused fast path)
    rows.append(compare("  same model, eval + no_grad forward", infer[lamina], infer[torch], inner=10))
    return rows


if __name__ == "__main__":
    main()
