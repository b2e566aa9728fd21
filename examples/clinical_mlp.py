"""The second tutorial's ClinicalMLP on a real clinical table: scikit-learn's bundled Wisconsin
breast-cancer data (569 tumours, 30 features, malignant vs benign), offline.

Stratified 80/20 split per seed; features standardized with the training split's mean and
standard deviation; BatchNorm1d → Linear(30,128) → ReLU → Dropout(0.3) → Linear(128,64) → ReLU
→ Linear(64,1) → sigmoid, trained with binary cross-entropy and Adam through a shuffled
DataLoader; test accuracy and ROC AUC (computed here with NumPy) over seeds. The code never
names a library: `lib` is lamina, or torch with `--torch`.

    python examples/clinical_mlp.py                 # lamina, 5 seeds, 60 epochs
    python examples/clinical_mlp.py --torch         # the same with PyTorch
    python examples/clinical_mlp.py --epochs 3 --seeds 1"""
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


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", type=int, default=5, help="number of seeds (0, 1, ...): split and initialisation")
    p.add_argument("--epochs", type=int, default=60)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--torch", action="store_true", help="run with PyTorch instead of lamina")
    return p.parse_args(argv)


def load_lib(use_torch):
    if use_torch:
        import torch
        return torch
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import lamina
    return lamina


def roc_auc(scores, labels):
    """Area under the ROC curve: the probability that a random positive scores above a random
    negative (ties count one half), from the rank-sum (Mann-Whitney U) statistic."""
    scores = np.asarray(scores, dtype=np.float64).ravel()
    labels = np.asarray(labels).ravel().astype(bool)
    n_pos = int(labels.sum())
    n_neg = labels.size - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError("ROC AUC needs both classes among the labels")
    _, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    average_rank = np.cumsum(counts) - (counts - 1) / 2.0  # 1-based rank shared by tied scores
    ranks = average_rank[inverse]
    return float((ranks[labels].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def split_data(seed):
    """Stratified 80/20 split, standardized with the training split's statistics (float32)."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import train_test_split
    x, y = load_breast_cancer(return_X_y=True)
    y = (y == 0).astype(np.float32)  # 1 = malignant (sklearn codes malignant as 0)
    x_tr, x_te, y_tr, y_te = train_test_split(x, y, test_size=0.2, stratify=y, random_state=seed)
    mean, std = x_tr.mean(0), x_tr.std(0)
    x_tr, x_te = (x_tr - mean) / std, (x_te - mean) / std
    return x_tr.astype(np.float32), y_tr[:, None], x_te.astype(np.float32), y_te[:, None]


def build_model(lib, n_features, n_classes=1):
    nn, F = lib.nn, lib.nn.functional

    class ClinicalMLP(nn.Module):
        def __init__(self, n_features, n_classes=1):
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
    return ClinicalMLP(n_features, n_classes)


def run(lib, seed, args):
    """Train one model; returns (test accuracy %, test AUC, per-epoch mean losses, seconds)."""
    x_tr, y_tr, x_te, y_te = split_data(seed)
    lib.manual_seed(seed)
    data = lib.utils.data
    loader = data.DataLoader(data.TensorDataset(lib.from_numpy(x_tr), lib.from_numpy(y_tr)),
                             batch_size=args.batch_size, shuffle=True, generator=lib.Generator().manual_seed(seed))
    model = build_model(lib, x_tr.shape[1])
    optimizer = lib.optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = lib.nn.BCELoss()
    losses = []
    start = time.perf_counter()
    for _ in range(args.epochs):
        model.train()
        total = 0.0
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(yb)
        losses.append(total / len(x_tr))
    model.eval()
    with lib.no_grad():
        prob = model(lib.from_numpy(x_te)).numpy()
    secs = time.perf_counter() - start
    acc = float(((prob > 0.5) == (y_te > 0.5)).mean() * 100)
    return acc, roc_auc(prob, y_te), losses, secs


def main(argv=None):
    args = parse_args(argv)
    lib = load_lib(args.torch)
    name = lib.__name__
    print(f"ClinicalMLP on breast-cancer (569 x 30, stratified 80/20) with {name}: Adam lr {args.lr}, "
          f"batch {args.batch_size}, {args.epochs} epochs, {args.seeds} seed(s)", flush=True)
    params = sum(p.numel() for p in build_model(lib, 30).parameters())
    accs, aucs, times = [], [], []
    for seed in range(args.seeds):
        acc, auc, losses, secs = run(lib, seed, args)
        print(f"  seed {seed}: train loss {losses[0]:.4f} -> {losses[-1]:.4f}  test acc {acc:5.1f}%  "
              f"AUC {auc:.4f}  {secs:5.1f} s", flush=True)
        accs.append(acc)
        aucs.append(auc)
        times.append(secs)

    def ms(v):
        return statistics.fmean(v), (statistics.stdev(v) if len(v) > 1 else 0.0)
    print()
    print(f"{'model':<12} {'params':>7} {'test acc %':>14} {'ROC AUC':>17} {'s/run':>7}")
    print("-" * 61)
    (am, asd), (um, usd) = ms(accs), ms(aucs)
    print(f"{'ClinicalMLP':<12} {params:>7,} {am:>7.1f} ± {asd:<4.1f} {um:>8.4f} ± {usd:<6.4f} {ms(times)[0]:>7.1f}")
    return {"acc": accs, "auc": aucs}


if __name__ == "__main__":
    main()
