"""lamina.optim.SparseAdam against torch.optim.SparseAdam: construction, defaults, repr and
errors. lamina has no sparse gradients, so a step with a (dense) gradient must fail as in PyTorch."""
import inspect

import numpy as np
import pytest
import torch

import lamina

LIBS = (torch, lamina)


def _param(lib, arr):
    arr = np.array(arr, dtype="float32")
    return torch.nn.Parameter(torch.from_numpy(arr)) if lib is torch else lamina.nn.Parameter(lamina.from_numpy(arr))


def test_signature_defaults_and_repr_match_torch():
    t_sig = inspect.signature(torch.optim.SparseAdam.__init__).parameters
    l_sig = inspect.signature(lamina.optim.SparseAdam.__init__).parameters
    assert [(k, p.kind, p.default) for k, p in l_sig.items()] == [(k, p.kind, p.default) for k, p in t_sig.items()]
    opts = {lib: lib.optim.SparseAdam([{"params": [_param(lib, [1.0, 2.0])]},
                                       {"params": [_param(lib, [3.0])], "lr": 0.5}], betas=(0.8, 0.9))
            for lib in LIBS}
    assert opts[lamina].defaults == opts[torch].defaults
    assert repr(opts[lamina]) == repr(opts[torch])
    assert opts[lamina].state_dict() == opts[torch].state_dict()


@pytest.mark.parametrize("kwargs, message", [
    ({"lr": 0.0}, "Invalid learning rate: 0.0"),
    ({"lr": -1}, "Invalid learning rate: -1"),
    ({"eps": 0.0}, "Invalid epsilon value: 0.0"),
    ({"betas": (1.0, 0.9)}, "Invalid beta parameter at index 0: 1.0"),
    ({"betas": (0.9, -0.1)}, "Invalid beta parameter at index 1: -0.1"),
])
def test_constructor_errors_match_torch(kwargs, message):
    for lib in LIBS:
        with pytest.raises(ValueError, match=f"^{message}$"):
            lib.optim.SparseAdam([_param(lib, [1.0])], **kwargs)


def test_dense_gradient_is_refused_after_the_closure_runs():
    for lib in LIBS:
        p = _param(lib, [1.0, -2.0])
        opt = lib.optim.SparseAdam([p])
        calls = []

        def closure():
            calls.append(1)
            loss = (p * p).sum()
            loss.backward()
            return loss

        with pytest.raises(RuntimeError, match=r"^SparseAdam does not support dense gradients, please consider "
                                               r"Adam instead$"):
            opt.step(closure)
        assert calls == [1]
        assert len(opt.state) == 0
        np.testing.assert_array_equal(p.detach().numpy(), [1.0, -2.0])


def test_step_without_gradients_changes_nothing():
    for lib in LIBS:
        p = _param(lib, [1.0])
        opt = lib.optim.SparseAdam([p])
        assert opt.step() is None
        assert float(opt.step(lambda: lib.tensor(2.5))) == 2.5
        assert len(opt.state) == 0
