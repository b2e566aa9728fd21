"""MNIST-1D (Greydanus & Kobak, "Scaling Down Deep Learning with MNIST-1D", ICML 2024) with lamina,
PyTorch, or both side by side.

The data are generated offline and deterministically by the `mnist1d` package (4000 train /
1000 test sequences of length 40, 10 classes). The training protocol is the paper's: Adam with
lr 1e-2, cross-entropy, batches of 100 taken in order (`x[(step*100) % 4000:][:100]`), steps
0..6000 inclusive, test accuracy at the end. The four models are the paper's logistic regression,
MLP, CNN and GRU. The code below never names a library: `lib` is lamina or torch.

    python examples/mnist1d.py                      # lamina, every model, 3 seeds
    python examples/mnist1d.py --torch              # the same with PyTorch
    python examples/mnist1d.py --both --seeds 5     # both, interleaved run by run, one table
    python examples/mnist1d.py --models mlp,cnn --steps 500

Both libraries get the same number of BLAS/OpenMP threads (`--threads`, default 1), set before
either is imported."""
import argparse
import os
import statistics
import sys
import time

MODELS = ("logistic", "mlp", "cnn", "gru")
PAPER = {"logistic": 32.0, "mlp": 68.0, "cnn": 94.0, "gru": 91.0}
# PyTorch 2.13 on the development machine: mean ± sd of the final test accuracy over seeds
TORCH_REF = {"logistic": (31.5, 0.1), "mlp": (64.6, 1.1), "cnn": (93.8, 1.2), "gru": (91.5, 1.3)}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", default=",".join(MODELS), help="comma-separated subset of " + ",".join(MODELS))
    p.add_argument("--seeds", type=int, default=3, help="number of seeds per model")
    p.add_argument("--first-seed", type=int, default=0, help="seeds run from this one up")
    p.add_argument("--steps", type=int, default=6000, help="last step index (the paper: 6000)")
    p.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP threads for both libraries")
    lib = p.add_mutually_exclusive_group()
    lib.add_argument("--torch", action="store_true", help="run with PyTorch instead of lamina")
    lib.add_argument("--both", action="store_true", help="run lamina and PyTorch, interleaved")
    args = p.parse_args(argv)
    args.models = [m.strip() for m in args.models.split(",") if m.strip()]
    for m in args.models:
        if m not in MODELS:
            p.error(f"unknown model {m!r}; choose from {', '.join(MODELS)}")
    return args


def set_threads(n):
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(n)


def load_libs(args):
    """The libraries to run, by name; imported only after the thread count is fixed."""
    libs = {}
    if not args.torch:
        sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        import lamina
        libs["lamina"] = lamina
    if args.torch or args.both:
        import torch
        torch.set_num_threads(args.threads)
        libs["torch"] = torch
    return libs


def make_data():
    """The MNIST-1D arrays (float32 x, int64 y), generated offline by the reference package."""
    import numpy as np
    here = os.path.dirname(os.path.abspath(__file__))
    # this script is itself named mnist1d.py: look the package up past the script's own folder
    saved = sys.path[:]
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    try:
        if getattr(sys.modules.get("mnist1d"), "__file__", None) == os.path.abspath(__file__):
            del sys.modules["mnist1d"]
        from mnist1d.data import get_dataset_args, make_dataset
    finally:
        sys.path[:] = saved
    d = make_dataset(get_dataset_args())
    return (d["x"].astype(np.float32), d["y"].astype(np.int64),
            d["x_test"].astype(np.float32), d["y_test"].astype(np.int64))


def build_model(lib, name):
    """The paper's four models, written once for either library."""
    nn = lib.nn

    class MLP(nn.Module):
        def __init__(self, width=100):
            super().__init__()
            self.linear1 = nn.Linear(40, width)
            self.linear2 = nn.Linear(width, width)
            self.linear3 = nn.Linear(width, 10)

        def forward(self, x):
            h = self.linear1(x).relu()
            h = h + self.linear2(h).relu()
            return self.linear3(h)

    class CNN(nn.Module):
        def __init__(self, channels=25):
            super().__init__()
            self.conv1 = nn.Conv1d(1, channels, 5, stride=2, padding=1)
            self.conv2 = nn.Conv1d(channels, channels, 3, stride=2, padding=1)
            self.conv3 = nn.Conv1d(channels, channels, 3, stride=2, padding=1)
            self.linear = nn.Linear(channels * 5, 10)

        def forward(self, x):
            h = x.view(-1, 1, x.shape[-1])
            h = self.conv1(h).relu()
            h = self.conv2(h).relu()
            h = self.conv3(h).relu()
            return self.linear(h.view(h.shape[0], -1))

    class GRU(nn.Module):
        def __init__(self, hidden=6, steps=40):
            super().__init__()
            self.gru = nn.GRU(1, hidden, batch_first=True, bidirectional=True)
            self.linear = nn.Linear(2 * hidden * steps, 10)

        def forward(self, x):
            h, _ = self.gru(x.view(*x.shape[:2], 1))
            return self.linear(h.reshape(h.shape[0], -1))

    if name == "logistic":
        return nn.Linear(40, 10)
    return {"mlp": MLP, "cnn": CNN, "gru": GRU}[name]()


def train(lib, name, seed, data, steps, batch=100, lr=1e-2):
    """One run of the paper's protocol; returns (test accuracy %, seconds, per-step losses)."""
    x_np, y_np, xt_np, yt_np = data
    x, y = lib.from_numpy(x_np.copy()), lib.from_numpy(y_np.copy())
    x_test, y_test = lib.from_numpy(xt_np.copy()), lib.from_numpy(yt_np.copy())
    lib.manual_seed(seed)
    model = build_model(lib, name)
    optimizer = lib.optim.Adam(model.parameters(), lr=lr)
    criterion = lib.nn.CrossEntropyLoss()
    losses = []
    start = time.perf_counter()
    for step in range(steps + 1):
        i = (step * batch) % len(x)
        loss = criterion(model(x[i:i + batch]), y[i:i + batch])
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.item())
    with lib.no_grad():
        acc = (model(x_test).argmax(-1) == y_test).float().mean().item() * 100
    return acc, time.perf_counter() - start, losses


def n_params(lib, name):
    return sum(p.numel() for p in build_model(lib, name).parameters())


def summary(values):
    mean = statistics.fmean(values)
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return mean, sd


def main(argv=None):
    args = parse_args(argv)
    set_threads(args.threads)
    libs = load_libs(args)
    data = make_data()
    print(f"MNIST-1D: {len(data[0])} train / {len(data[2])} test, length {data[0].shape[1]}; "
          f"Adam lr 1e-2, batch 100, steps 0..{args.steps}, {args.seeds} seed(s), {args.threads} thread(s)",
          flush=True)
    results = {}  # (lib name, model) -> list of (acc, seconds)
    for model in args.models:
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            for lib_name, lib in libs.items():  # interleaved: load drift hits both alike
                acc, secs, losses = train(lib, model, seed, data, args.steps)
                first, last = statistics.fmean(losses[:10]), statistics.fmean(losses[-10:])
                print(f"  {lib_name:<6} {model:<8} seed {seed}: test acc {acc:5.1f}%  {secs:7.1f} s  "
                      f"loss {first:.3f} -> {last:.3f}", flush=True)
                results.setdefault((lib_name, model), []).append((acc, secs))
    print()
    head = f"{'model':<9} {'params':>7} {'paper':>6} {'torch ref':>11}"
    for lib_name in libs:
        head += f" {lib_name + ' acc %':>14} {lib_name + ' s/run':>13}"
    print(head)
    print("-" * len(head))
    any_lib = next(iter(libs.values()))
    for model in args.models:
        ref = TORCH_REF[model]
        row = f"{model:<9} {n_params(any_lib, model):>7,} {PAPER[model]:>5.0f}% {ref[0]:>5.1f} ± {ref[1]:<3.1f}"
        for lib_name in libs:
            accs, secs = zip(*results[(lib_name, model)])
            m, s = summary(accs)
            tm, ts = summary(secs)
            row += f" {m:>7.1f} ± {s:<4.1f} {tm:>7.1f} ± {ts:<3.1f}"
        print(row)
    return results


if __name__ == "__main__":
    main()
