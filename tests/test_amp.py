"""torch.amp / torch.cuda.amp against PyTorch: GradScaler's scaling, inf-skipping, growth and
backoff, state_dict and errors (enabled on "cpu", disabled for "cuda" as PyTorch is without a
GPU), and autocast as a context manager and decorator that leaves float32 code alone."""
import warnings

import numpy as np
import pytest
import torch

import lamina

LIBS = [torch, lamina]
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::FutureWarning")


def scaled_training(lib):
    """A few steps of a scaled loop, step 1's loss being inf: every observable number."""
    m = lib.nn.Linear(2, 1)
    with lib.no_grad():
        m.weight.copy_(lib.tensor([[0.5, -0.25]]))
        m.bias.fill_(0.0)
    opt = lib.optim.SGD(m.parameters(), lr=0.125)
    s = lib.amp.GradScaler("cpu", init_scale=2.0 ** 4, growth_interval=2)
    seen = [s.is_enabled(), s.get_scale(), s.state_dict()]
    x = lib.tensor([[1.0, 2.0], [0.5, -1.0]])
    for i in range(5):
        opt.zero_grad()
        with lib.autocast("cuda"):
            loss = (m(x) * lib.tensor([[1.0], [2.0]])).sum() * (float("inf") if i == 1 else 1.0)
        scaled = s.scale(loss)
        seen += [scaled.item(), scaled.grad_fn.name(), tuple(scaled.shape)]
        scaled.backward()
        s.unscale_(opt)
        seen += [m.weight.grad.tolist(), s.step(opt)]
        s.update()
        seen += [s.get_scale(), s._get_growth_tracker(), m.weight.tolist(), m.bias.tolist()]
    other = lib.amp.GradScaler("cpu")
    other.load_state_dict(s.state_dict())
    seen += [s.state_dict(), other.state_dict(), other.get_scale()]
    seen.append([t.item() for t in (lambda r: [r[0], r[1][0]])(s.scale([lib.tensor(2.0), (lib.tensor(1.0),)]))])
    return seen


def test_grad_scaler_matches_torch():
    t, lam = scaled_training(torch), scaled_training(lamina)
    assert len(t) == len(lam)
    for a, b in zip(t, lam):
        if isinstance(a, float):
            assert b == pytest.approx(a, rel=1e-6)
        elif isinstance(a, list) and a and isinstance(a[0], list):
            np.testing.assert_allclose(b, a, rtol=1e-6)
        else:
            assert a == b


def test_cuda_grad_scaler_and_autocast_disable_themselves():
    for lib in LIBS:
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            d = lib.cuda.amp.GradScaler()
        assert any("GradScaler is enabled, but CUDA is not available" in str(x.message) for x in w)
        assert not d.is_enabled() and d.get_scale() == 1.0 and d.state_dict() == {}
        assert d.scale(lib.tensor(2.0)).item() == 2.0
        assert not lib.amp.GradScaler().is_enabled()
        m = lib.nn.Linear(1, 1, bias=False)
        with lib.no_grad():
            m.weight.fill_(1.0)
        opt = lib.optim.SGD(m.parameters(), lr=0.5)
        m(lib.ones(1, 1)).sum().backward()
        d.step(opt)
        d.update()
        d.load_state_dict({})
        assert m.weight.item() == 0.5
        with pytest.warns(UserWarning, match="CUDA is not available or torch_xla is imported. Disabling autocast."):
            ctx = lib.autocast("cuda")
        with ctx, lib.cuda.amp.autocast():
            assert (lib.ones(2, 2) @ lib.ones(2, 2)).dtype == lib.float32

        @lib.autocast("cpu", enabled=False)
        def double(v):
            return v * 2
        assert double(lib.ones(1)).tolist() == [2.0]
        from_import = __import__(lib.__name__ + ".cuda.amp", fromlist=["GradScaler"])
        assert from_import.GradScaler.__name__ == "GradScaler" and callable(from_import.custom_fwd)


@pytest.mark.parametrize("action, message", [
    (lambda s, opt: (s.unscale_(opt), s.unscale_(opt)),
     r"unscale_\(\) has already been called on this optimizer since the last update\(\)\."),
    (lambda s, opt: (s.step(opt), s.unscale_(opt)), r"unscale_\(\) is being called after step\(\)\."),
    (lambda s, opt: (s.step(opt), s.step(opt)), r"step\(\) has already been called since the last update\(\)\."),
    (lambda s, opt: s.step(opt, closure=lambda: 0), "Closure use is not currently supported if GradScaler is enabled."),
])
def test_grad_scaler_errors_match_torch(action, message):
    for lib in LIBS:
        m = lib.nn.Linear(1, 1)
        opt = lib.optim.SGD(m.parameters(), lr=0.1)
        s = lib.amp.GradScaler("cpu")
        s.scale(m(lib.ones(1, 1)).sum()).backward()
        with pytest.raises(RuntimeError, match=message):
            action(s, opt)
        with pytest.raises(AssertionError, match="Attempted update but _scale is None"):
            lib.amp.GradScaler("cpu").update()
        with pytest.raises(RuntimeError, match="The source state dict is empty"):
            lib.amp.GradScaler("cpu").load_state_dict({})


def test_bfloat16_can_be_named_and_autocast_takes_it():
    """The CPU mixed-precision line autocast('cpu', dtype=torch.bfloat16) runs (in float32, with a
    warning); a bfloat16 tensor cannot be made, and says why."""
    assert repr(lamina.bfloat16) == repr(torch.bfloat16) and lamina.bfloat16.is_floating_point
    assert lamina.bfloat16 != lamina.float32
    m = lamina.nn.Linear(2, 2)
    with pytest.warns(UserWarning, match="lamina has no bfloat16"):
        lamina.amp.autocast._warned = False
        with lamina.autocast(device_type="cpu", dtype=lamina.bfloat16):
            assert m(lamina.ones(1, 2)).dtype == lamina.float32
    for make in (lambda: lamina.ones(2, dtype=lamina.bfloat16), lambda: lamina.ones(2).bfloat16(),
                 lambda: m.bfloat16(), lambda: m.to(lamina.bfloat16)):
        with pytest.raises(TypeError, match="lamina has no bfloat16 tensors"):
            make()
