"""The examples run: each in a reduced form (few steps, one seed), as a user would start it.
Each must print its results table and its training loss must fall."""
import importlib.util
import os
import re
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples")


def run_example(name, *args):
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, os.path.join(EXAMPLES, name), *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=300)
    assert proc.returncode == 0, f"{name} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def losses(out):
    pairs = [(float(a), float(b)) for a, b in re.findall(r"loss ([\d.]+) -> ([\d.]+)", out)]
    assert pairs, f"no 'loss a -> b' line in:\n{out}"
    return pairs


def load_module(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", os.path.join(EXAMPLES, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_mnist1d_all_models_quick():
    out = run_example("mnist1d.py", "--steps", "80", "--seeds", "1")
    assert "MNIST-1D: 4000 train / 1000 test, length 40" in out, "not the paper's data"
    assert not os.path.exists(os.path.join(ROOT, "mnist1d_data.pkl")), "the data must not be downloaded or cached"
    runs = losses(out)
    assert len(runs) == 4
    for (first, last), model in zip(runs, ("logistic", "mlp", "cnn", "gru")):
        assert last < first, f"{model}: loss did not fall ({first} -> {last})"
    assert re.search(r"model\s+params\s+paper\s+torch ref\s+lamina acc %\s+lamina s/run", out)
    for model, params, paper in (("logistic", "410", "32%"), ("mlp", "15,210", "68%"), ("cnn", "5,210", "94%"),
                                 ("gru", "5,134", "91%")):
        assert re.search(rf"^{model}\s+{params}\s+{paper}\s", out, re.M), f"no table row for {model}:\n{out}"


def test_mnist1d_same_script_under_torch():
    out = run_example("mnist1d.py", "--torch", "--models", "logistic,cnn", "--steps", "40", "--seeds", "1")
    assert all(last < first for first, last in losses(out))
    assert "torch acc %" in out and "lamina" not in out.split("\n\n")[-1]


def test_clinical_mlp_quick():
    out = run_example("clinical_mlp.py", "--epochs", "4", "--seeds", "1")
    (first, last), = losses(out)
    assert last < first
    row = re.search(r"^ClinicalMLP\s+12,349\s+([\d.]+) ± [\d.]+\s+([\d.]+) ±", out, re.M)
    assert row, f"no table row:\n{out}"
    assert 50 < float(row.group(1)) <= 100 and 0.5 < float(row.group(2)) <= 1


def test_clinical_roc_auc_equals_sklearn():
    from sklearn.metrics import roc_auc_score
    roc_auc = load_module("clinical_mlp").roc_auc
    rng = np.random.default_rng(0)
    for n in (2, 10, 101):
        labels = rng.integers(0, 2, n)
        labels[:2] = [0, 1]
        for scores in (rng.random(n), rng.integers(0, 3, n).astype(float)):  # the second has many ties
            assert roc_auc(scores, labels) == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)
    with pytest.raises(ValueError, match="both classes"):
        roc_auc([0.1, 0.2], [1, 1])


def test_digits_mlp_quick(tmp_path):
    plot = tmp_path / "digits.png"
    out = run_example("digits_mlp.py", "--epochs", "3", "--seeds", "1", "--plot", str(plot))
    (first, last), = losses(out)
    assert last < first
    row = re.search(r"^MLP 64-256-128-10\s+50,826\s+([\d.]+) ±", out, re.M)
    assert row and float(row.group(1)) > 50, f"no table row or chance-level accuracy:\n{out}"
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return
    assert plot.read_bytes()[:4] == b"\x89PNG"
