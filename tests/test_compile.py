"""lamina.compile: the replayed program gives eager's (and PyTorch's) outputs, follows weight
updates, and falls back to eager with a warning when it cannot replay."""
import warnings

import numpy as np
import pytest
import torch

import lamina


def mlp(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))


def clinical(lib):
    nn, F = lib.nn, lib.nn.functional

    class ClinicalMLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.input_norm = nn.BatchNorm1d(50)
            self.fc1, self.fc2, self.fc3 = nn.Linear(50, 128), nn.Linear(128, 64), nn.Linear(64, 1)
            self.dropout = nn.Dropout(0.3)

        def forward(self, x):
            x = F.relu(self.fc1(self.input_norm(x)))
            x = F.relu(self.fc2(self.dropout(x)))
            return lib.sigmoid(self.fc3(x))
    return ClinicalMLP()


def cnn(lib):
    nn = lib.nn
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(4 * 3 * 3, 5), nn.Tanh())


def pair(make, seed=0):
    torch.manual_seed(seed)
    t = make(torch).eval()
    lm = make(lamina).eval()
    with torch.no_grad():  # non-trivial running statistics
        for m in t.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                m.running_mean.uniform_(-1, 1)
                m.running_var.uniform_(0.5, 2)
    lm.load_state_dict({k: lamina.from_numpy(v.numpy().copy()) for k, v in t.state_dict().items()})
    return t, lm


@pytest.mark.parametrize("make,shape", [(mlp, (1, 784)), (mlp, (7, 784)), (clinical, (32, 50)),
                                        (cnn, (2, 1, 8, 8))])
def test_compiled_equals_eager_and_torch(make, shape):
    t, lm = pair(make)
    compiled = lamina.compile(lm)
    rng = np.random.default_rng(1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # these models replay: no fallback warning
        for _ in range(3):
            x = rng.standard_normal(shape).astype(np.float32)
            with lamina.no_grad():
                got = compiled(lamina.from_numpy(x.copy())).numpy()
                eager = lm(lamina.from_numpy(x.copy())).numpy()
            with torch.no_grad():
                expected = t(torch.from_numpy(x)).numpy()
            np.testing.assert_array_equal(got, eager)
            np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
            assert got.dtype == np.float32


def test_outputs_are_not_overwritten_by_the_next_call_and_input_is_untouched():
    _, lm = pair(mlp)
    compiled = lamina.compile(lm)
    x1, x2 = lamina.randn(2, 784), lamina.randn(2, 784)
    keep = x1.numpy().copy()
    with lamina.no_grad():
        compiled(x1)
        a = compiled(x1)
        a_copy = a.numpy().copy()
        compiled(x2)
    np.testing.assert_array_equal(a.numpy(), a_copy)
    np.testing.assert_array_equal(x1.numpy(), keep)


def test_weight_updates_between_calls_are_picked_up():
    _, lm = pair(clinical)
    compiled = lamina.compile(lm)
    x = lamina.randn(32, 50)
    opt = lamina.optim.Adam(lm.parameters(), lr=0.01)
    for _ in range(3):
        with lamina.no_grad():
            compiled(x)
        lm.train()
        opt.zero_grad()
        lm(x).sum().backward()
        opt.step()  # updates in place (flat buffers from the second step on)
        lm.eval()
        lm.input_norm.running_mean._data[...] += 0.5  # running stats changed in place
        lm.input_norm.running_mean._vc[0] += 1
        with lamina.no_grad():
            np.testing.assert_array_equal(compiled(x).numpy(), lm(x).numpy())
    lm.fc3.weight._data = np.ones_like(lm.fc3.weight._data)  # a new array
    with lamina.no_grad():
        np.testing.assert_array_equal(compiled(x).numpy(), lm(x).numpy())


def test_training_mode_dropout_falls_back():
    _, lm = pair(clinical)
    lm.train()
    compiled = lamina.compile(lm)
    with lamina.no_grad(), pytest.warns(UserWarning, match="training mode"):
        out = compiled(lamina.randn(4, 50))
    assert out.shape == (4, 1)


def residual():
    """Functional code between its layers that lamina.compile does not recognise (scale + skip)."""
    nn = lamina.nn

    class Residual(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(6, 6), nn.Linear(6, 6)

        def forward(self, x):
            return self.b(self.a(x) * 2.0 + x)
    return Residual()


def test_unrecognised_functional_code_falls_back_and_stays_correct():
    model = residual()
    compiled = lamina.compile(model)
    x = lamina.randn(5, 6)
    with lamina.no_grad():
        with pytest.warns(UserWarning, match="functional code"):
            first = compiled(x)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # one warning per reason, not one per call
            second = compiled(x)
        np.testing.assert_array_equal(first.numpy(), model(x).numpy())
        np.testing.assert_array_equal(second.numpy(), model(x).numpy())


def test_new_shape_is_captured_again():
    _, lm = pair(mlp)
    compiled = lamina.compile(lm)
    with lamina.no_grad():
        for n in (1, 4, 1, 4):
            x = lamina.randn(n, 784)
            np.testing.assert_array_equal(compiled(x).numpy(), lm(x).numpy())


def test_compile_is_callable_as_function_and_module_attribute():
    from lamina.compile import compile as fn
    model = lamina.nn.Linear(3, 2)
    assert lamina.compile(model, disable=True) is model
    with lamina.no_grad():
        np.testing.assert_array_equal(fn(model)(lamina.ones(1, 3)).numpy(), model(lamina.ones(1, 3)).numpy())
    assert lamina.compile(model).in_features == 3


_WRAPPER_FACTS = """
import json, sys
import {lib} as lib
model = lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.ReLU())
compiled = lib.compile(model)
compiled.eval()
flags = [model.training, compiled.training]
compiled.train()
print(json.dumps([isinstance(compiled, lib.nn.Module), list(compiled.state_dict()), repr(compiled), flags,
                  model.training, len(compiled), [n for n, _ in compiled.named_modules()]]))
"""


def test_compiled_model_is_a_module_as_torch_compile_returns():
    """torch.compile gives an nn.Module wrapping the model as `_orig_mod`: its state_dict keys carry
    that prefix (checkpoints of compiled models have them), and train/eval reach the model. Each
    side runs in its own process: torch.compile switches off torch.distributions' argument
    validation for the rest of the process."""
    import json
    import subprocess
    import sys
    facts = [json.loads(subprocess.run([sys.executable, "-c", _WRAPPER_FACTS.format(lib=lib)], check=True,
                                       capture_output=True, text=True).stdout) for lib in ("torch", "lamina")]
    assert facts[1] == facts[0]
