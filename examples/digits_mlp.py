"""The first tutorial's stacked Linear/ReLU network on real digits: scikit-learn's bundled 8×8
handwritten digits (1,797 images, 64 pixel inputs, 10 classes), offline.

The tutorial's 784→256→128→10 MLP, with 64 inputs instead of 784: Linear(64,256) → ReLU →
Linear(256,128) → ReLU → Linear(128,10), cross-entropy, Adam. Pixels are scaled to [0, 1]; a
stratified 80/20 split per seed; 20% of the training split is held out for validation.
Training runs through `lamina.training.fit` (the optional helper: a progress bar on a terminal,
per-epoch loss/accuracy, and with `--plot` a PNG of the curves); test accuracy over seeds.

    python examples/digits_mlp.py                      # 5 seeds, 30 epochs
    python examples/digits_mlp.py --plot digits.png    # also save seed 0's curves
    python examples/digits_mlp.py --epochs 2 --seeds 1"""
import argparse
import os
import statistics
import sys
import time

# one BLAS thread unless asked otherwise: on models this small, extra BLAS threads only add
# synchronisation, and on a busy machine they can make each matrix product many times slower
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import lamina  # noqa: E402
import lamina.nn as nn  # noqa: E402
import lamina.nn.functional as F  # noqa: E402
from lamina.training import accuracy, fit  # noqa: E402
from lamina.utils.data import DataLoader, TensorDataset, random_split  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--plot", default=None, help="save seed 0's loss/accuracy curves to this PNG")
    p.add_argument("--progress", action="store_true", help="show the progress bar even off a terminal")
    return p.parse_args(argv)


def load_split(seed):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y.astype(np.int64), test_size=0.2, stratify=y, random_state=seed)
    return x_tr, y_tr, x_te, y_te


def build_model():
    return nn.Sequential(
        nn.Linear(64, 256),   # layer 1: 64 pixels -> 256 patterns
        nn.ReLU(),
        nn.Linear(256, 128),  # layer 2: 256 -> 128 higher-level patterns
        nn.ReLU(),
        nn.Linear(128, 10),   # output: 10 class scores
    )


def run(seed, args):
    x_tr, y_tr, x_te, y_te = load_split(seed)
    lamina.manual_seed(seed)
    train_set, val_set = random_split(TensorDataset(lamina.from_numpy(x_tr), lamina.from_numpy(y_tr)), [0.8, 0.2],
                                      generator=lamina.Generator().manual_seed(seed))
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True)
    val_loader = DataLoader(val_set, batch_size=256)
    model = build_model()
    optimizer = lamina.optim.Adam(model.parameters(), lr=args.lr)
    start = time.perf_counter()
    history = fit(model, train_loader, optimizer, F.cross_entropy, epochs=args.epochs, val_loader=val_loader,
                  metrics={"accuracy": accuracy}, progress=True if args.progress else None,
                  plot=args.plot if seed == 0 else None)
    model.eval()
    with lamina.no_grad():
        test_acc = accuracy(model(lamina.from_numpy(x_te)), lamina.from_numpy(y_te)) * 100
    return test_acc, history, time.perf_counter() - start


def main(argv=None):
    args = parse_args(argv)
    print(f"Digits MLP 64-256-128-10 on sklearn digits (1797 x 64, stratified 80/20): Adam lr {args.lr}, "
          f"batch {args.batch_size}, {args.epochs} epochs, {args.seeds} seed(s)", flush=True)
    accs, times = [], []
    for seed in range(args.seeds):
        acc, h, secs = run(seed, args)
        print(f"  seed {seed}: train loss {h['loss'][0]:.4f} -> {h['loss'][-1]:.4f}  "
              f"val acc {h['val_accuracy'][-1] * 100:5.1f}%  test acc {acc:5.1f}%  {secs:5.1f} s", flush=True)
        accs.append(acc)
        times.append(secs)
    params = sum(p.numel() for p in build_model().parameters())
    sd = statistics.stdev(accs) if len(accs) > 1 else 0.0
    print()
    print(f"{'model':<22} {'params':>7} {'test acc %':>14} {'s/run':>7}")
    print("-" * 53)
    print(f"{'MLP 64-256-128-10':<22} {params:>7,} {statistics.fmean(accs):>7.1f} ± {sd:<4.1f} "
          f"{statistics.fmean(times):>7.1f}")
    if args.plot:
        print(f"curves of seed 0 saved to {args.plot}" if os.path.exists(args.plot) else "no plot (matplotlib missing)")
    return accs


if __name__ == "__main__":
    main()
