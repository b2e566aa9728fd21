"""torch.jit in lamina: scripting and tracing give back the model, which still computes what
PyTorch's scripted/traced model computes; TorchScript archives are refused with a clear error."""
import numpy as np
import pytest
import torch

import lamina
from oracle import copy_weights


def _models():
    t = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    m = lamina.nn.Sequential(lamina.nn.Linear(4, 3), lamina.nn.ReLU(), lamina.nn.Linear(3, 2))
    copy_weights(t, m)
    return t, m


@pytest.mark.parametrize("how", ["script", "trace"])
def test_scripted_or_traced_model_computes_what_torch_does(how):
    t, m = _models()
    x = np.random.default_rng(0).standard_normal((5, 4)).astype("float32")
    ts = torch.jit.script(t) if how == "script" else torch.jit.trace(t, torch.from_numpy(x))
    ms = lamina.jit.script(m) if how == "script" else lamina.jit.trace(m, lamina.from_numpy(x))
    assert isinstance(ms, lamina.nn.Module)
    np.testing.assert_allclose(ms(lamina.from_numpy(x)).detach().numpy(), ts(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-6, atol=1e-6)


def test_trace_runs_the_example_so_a_bad_shape_fails_there():
    _, m = _models()
    with pytest.raises(RuntimeError):
        lamina.jit.trace(m, lamina.ones(2, 7))


def test_decorators_and_queries_pass_through():
    @lamina.jit.ignore
    def f(x):
        return x + 1

    @lamina.jit.unused(drop=True)
    def g(x):
        return x * 2
    assert f(1) == 2 and g(2) == 4 and lamina.jit.export(f) is f
    assert lamina.jit.is_scripting() is torch.jit.is_scripting() is False
    assert lamina.jit.annotate(int, 3) == 3 and lamina.jit.wait(lamina.jit.fork(f, 1)) == 2


def test_torchscript_archives_are_refused_with_the_alternative_named():
    _, m = _models()
    with pytest.raises(NotImplementedError, match="state_dict"):
        lamina.jit.save(m, "model.pt")
    with pytest.raises(NotImplementedError, match="state_dict"):
        lamina.jit.load("model.pt")
