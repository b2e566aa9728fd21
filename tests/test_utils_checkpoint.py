"""torch.utils.checkpoint against PyTorch: same outputs and gradients (lamina keeps the
activations instead of recomputing them), PyTorch's warnings and argument errors."""
import importlib

import pytest
import torch

import lamina
from oracle import check


def ckpt(lib):
    return importlib.import_module(lib.__name__ + ".utils.checkpoint")


@pytest.mark.parametrize("reentrant", [False, True])
def test_checkpoint_matches_torch(reentrant):
    check(lambda lib, x, w: ckpt(lib).checkpoint(lambda a, b: (a @ b).tanh(), x, w, use_reentrant=reentrant),
          [(3, 4), (4, 2)])
    check(lambda lib, x: ckpt(lib).checkpoint(lambda a, scale=1.0: a.sin() * scale, x, scale=3.0,
                                              use_reentrant=False), [(5,)])


def test_checkpoint_sequential_matches_torch():
    def fn(lib, x):
        lib.manual_seed(0)
        m = lib.nn.Sequential(lib.nn.Linear(3, 3), lib.nn.ReLU(), lib.nn.Linear(3, 2))
        with lib.no_grad():
            for p in m.parameters():
                p.copy_(lib.linspace(-1, 1, p.numel()).view(p.shape))
        return ckpt(lib).checkpoint_sequential(m, 2, x, use_reentrant=False)
    check(fn, [(4, 3)])


def test_checkpoint_warnings_and_errors_match_torch():
    for lib in (torch, lamina):
        with pytest.warns(UserWarning, match="the use_reentrant parameter should be passed explicitly"):
            ckpt(lib).checkpoint(lambda a: a * 2, lib.ones(1, requires_grad=True))
        with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True. Gradients will be None"):
            ckpt(lib).checkpoint(lambda a: a * 2, lib.ones(1), use_reentrant=True)
        with pytest.raises(ValueError, match="Unexpected keyword arguments: b"):
            ckpt(lib).checkpoint(lambda a, b=1: a * b, lib.ones(1, requires_grad=True), b=2, use_reentrant=True)


def test_reentrant_checkpoint_without_an_input_needing_grad_gives_parameters_no_gradient():
    import warnings as _w
    seen = []
    for lib in (torch, lamina):
        w = lib.ones(2, 2, requires_grad=True)
        with _w.catch_warnings():
            _w.simplefilter("ignore")
            out = lib.utils.checkpoint.checkpoint(lambda t: t @ w, lib.ones(1, 2), use_reentrant=True)
        seen.append((out.requires_grad, out.tolist()))
        out2 = lib.utils.checkpoint.checkpoint(lambda t: t @ w, lib.ones(1, 2), use_reentrant=False)
        out2.sum().backward()
        seen.append((out2.requires_grad, w.grad.tolist()))
    assert seen[:2] == seen[2:]
