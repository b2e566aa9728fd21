"""Everyday PyTorch scripts (tests/programs/*.py) run unchanged with `import torch` bound to
PyTorch and then to lamina; everything they emit must match.

Each script is ordinary PyTorch code (`import torch`, `from torch import nn`,
`from torch.utils.data import DataLoader`, ...). For the lamina run an import hook maps
`torch` and `torch.*` to `lamina` and `lamina.*`, so the very same source text runs. Two helpers
are injected: `emit(name, value)` records a value (tensors by dtype, shape and values) and
`sync(model)` copies the torch run's weights into the lamina run's model at the same point, so
trained values can be compared. dtypes are compared by name (lamina prints `lamina.float32`)."""
import importlib
import importlib.abc
import importlib.util
import math
import os
import sys
import tempfile
import warnings

import numpy as np
import pytest
import torch

import lamina
from oracle import check

PROGRAMS = os.path.join(os.path.dirname(__file__), "programs")


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, real):
        self.real = real

    def create_module(self, spec):
        return importlib.import_module(self.real)

    def exec_module(self, module):
        pass


class _TorchIsLamina(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "torch" or name.startswith("torch."):
            return importlib.util.spec_from_loader(name, _AliasLoader("lamina" + name[5:]))
        return None


def _plain(v, lib):
    """A library-neutral record of an emitted value."""
    if isinstance(v, lib.Tensor):
        return ("T", str(v.dtype).split(".")[-1], tuple(v.shape), v.detach().numpy().copy())
    if type(v).__name__ == "Size":
        return ("Size", tuple(v))
    if isinstance(v, (tuple, list)):
        return (type(v).__name__ if type(v) in (tuple, list) else "tuple", [_plain(x, lib) for x in v])
    if isinstance(v, lib.dtype):
        return ("dtype", str(v).split(".")[-1])
    if isinstance(v, dict):
        return ("dict", {k: _plain(x, lib) for k, x in v.items()})
    if isinstance(v, np.ndarray):
        return ("nd", v.dtype.name, v.shape, v)
    return ("py", type(v).__name__, v)


def _run(src, lib, weights, tmpdir):
    out = []
    replay = iter(weights)

    def emit(name, value):
        out.append((name, _plain(value, lib)))

    def sync(model):
        if lib is torch:
            weights.append({k: v.detach().numpy().copy() for k, v in model.state_dict().items()})
        else:
            model.load_state_dict({k: lamina.from_numpy(v.copy()) for k, v in next(replay).items()})

    ns = {"__name__": "__main__", "np": np, "os": os, "emit": emit, "sync": sync, "tmpdir": tmpdir}
    code = compile(src, "<program>", "exec")
    if lib is torch:
        exec(code, ns)
        return out
    real = {k: m for k, m in sys.modules.items() if k == "torch" or k.startswith("torch.")}
    for k in real:
        del sys.modules[k]
    finder = _TorchIsLamina()
    sys.meta_path.insert(0, finder)
    try:
        exec(code, ns)
    finally:
        sys.meta_path.remove(finder)
        for k in [k for k in sys.modules if k == "torch" or k.startswith("torch.")]:
            del sys.modules[k]
        sys.modules.update(real)
    return out


def _compare(a, b, path, atol, rtol):
    if a[0] in ("T", "nd"):
        assert b[0] == a[0], f"{path}: lamina gave {b[0]}, torch {a[0]}"
        assert b[1] == a[1], f"{path}: dtype {b[1]} != torch {a[1]}"
        assert tuple(b[2]) == tuple(a[2]), f"{path}: shape {b[2]} != torch {a[2]}"
        if a[3].dtype.kind == "f":
            np.testing.assert_allclose(b[3], a[3], atol=atol, rtol=rtol, err_msg=path, equal_nan=True)
        else:
            np.testing.assert_array_equal(b[3], a[3], err_msg=path)
    elif a[0] in ("tuple", "list"):
        assert b[0] == a[0] and len(b[1]) == len(a[1]), f"{path}: lamina {b} != torch {a}"
        for i, (x, y) in enumerate(zip(a[1], b[1])):
            _compare(x, y, f"{path}[{i}]", atol, rtol)
    elif a[0] == "dict":
        assert b[0] == "dict" and list(b[1]) == list(a[1]), f"{path}: lamina {b} != torch {a}"
        for k in a[1]:
            _compare(a[1][k], b[1][k], f"{path}[{k}]", atol, rtol)
    elif a[0] == "py" and a[1] == "float":
        assert b[:2] == a[:2], f"{path}: lamina {b} != torch {a}"
        assert math.isclose(b[2], a[2], abs_tol=atol, rel_tol=rtol) or (math.isnan(a[2]) and math.isnan(b[2])), \
            f"{path}: {b[2]} != torch {a[2]}"
    else:
        assert b == a, f"{path}: lamina {b!r} != torch {a!r}"


def run_program(name, atol=1e-4, rtol=1e-4):
    with open(os.path.join(PROGRAMS, name + ".py")) as f:
        src = f.read()
    weights = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with tempfile.TemporaryDirectory() as d:
                expected = _run(src, torch, weights, d)
            with tempfile.TemporaryDirectory() as d:
                got = _run(src, lamina, weights, d)
    finally:  # a script that stops half-way must not leave its global settings to the next one
        for lib in (torch, lamina):
            lib.set_default_dtype(lib.float32)
            lib.set_printoptions(profile="default")
    assert [n for n, _ in got] == [n for n, _ in expected]
    for (name, a), (_, b) in zip(expected, got):
        _compare(a, b, name, atol, rtol)
    return expected


@pytest.mark.parametrize("name", ["device", "quickstart", "regression", "cnn", "lstm", "custom", "sched",
                                  "tensors", "dataset", "misc", "text_gru", "autoencoder", "transformer_cls",
                                  "train_tricks", "checkpoint", "finetune", "hooks", "custom_function", "idioms",
                                  "metrics", "containers", "mha", "printing", "mistakes", "norm_cnn", "rnn_cells",
                                  "data_pipeline", "init_schemes", "interop", "print_objects", "gan_vae", "tabular",
                                  "old_style", "modern_loop", "image_pipeline"])
def test_program_runs_as_in_torch(name):
    assert run_program(name)  # a script that emits nothing would prove nothing


def test_data_attribute_is_a_tensor():
    """p.data.fill_(), .data.numpy(), p.data = t, p.data -= lr * p.grad.data: torch's detached alias."""
    run_program("data_attr")


def test_torch_import_is_restored():
    assert sys.modules["torch"] is torch and torch.nn.Linear.__module__.startswith("torch")
