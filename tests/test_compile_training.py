"""lamina.compile in grad mode: the fused training program trains exactly as eager lamina does
(bit for bit: outputs, gradients, running statistics, dropout masks) and as PyTorch does, keeps
autograd's rules, and falls back to eager with a warning for code it does not recognise."""
import warnings

import numpy as np
import pytest
import torch

import lamina
from test_compile import clinical, mlp, residual

# every test with lamina's compiled kernels (lamina/_accel: batch norm, optimizers) and without
pytestmark = pytest.mark.usefixtures("kernel_path")


def cnn(lib):
    nn = lib.nn
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(4 * 3 * 3, 5), nn.Tanh())


def reshaping(lib):
    nn, F = lib.nn, lib.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.fc2 = nn.Linear(12, 8), nn.Linear(16, 3)
            self.norm = nn.BatchNorm1d(8, momentum=None)  # cumulative average: num_batches_tracked matters

        def forward(self, x):
            h = F.relu(self.norm(self.fc1(x.view(x.shape[0], -1))))
            return lib.tanh(self.fc2(h.reshape(-1, 16)))
    return Net()


def twins(make, seed=0):
    """A torch model and two lamina models (eager, to compile) with the same weights."""
    torch.manual_seed(seed)
    t = make(torch)
    state = {k: v.detach().numpy().copy() for k, v in t.state_dict().items()}
    models = []
    for _ in range(2):
        m = make(lamina)
        m.load_state_dict({k: lamina.from_numpy(v.copy()) for k, v in state.items()})
        models.append(m)
    return t, models[0], models[1]


def train(lib, model, forward, xs, ys, loss_name):
    # SGD: Adam's normalised steps would blow rounding differences on near-zero gradients up to lr
    opt = lib.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)
    loss_fn = getattr(lib.nn.functional, loss_name)
    losses = []
    for x, y in zip(xs, ys):
        opt.zero_grad()
        loss = loss_fn(forward(lib.from_numpy(x.copy())), lib.from_numpy(y.copy()))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


CASES = [  # (model, input shape, target kind, loss, uses dropout)
    (mlp, (16, 784), "class10", "cross_entropy", False),
    (clinical, (32, 50), "binary", "binary_cross_entropy", True),
    (cnn, (6, 1, 8, 8), "class5", "cross_entropy", False),
    (reshaping, (10, 3, 4), "class3", "cross_entropy", False),
]


def _data(shape, target, steps=4, seed=1):
    rng = np.random.default_rng(seed)
    xs = [rng.standard_normal(shape).astype(np.float32) for _ in range(steps)]
    n = shape[0] // (2 if target == "class3" else 1)
    if target == "binary":
        ys = [(rng.random((n, 1)) < 0.3).astype(np.float32) for _ in range(steps)]
    else:
        ys = [rng.integers(0, int(target[5:]), n) for _ in range(steps)]
    return xs, ys


@pytest.mark.parametrize("make,shape,target,loss,dropout", CASES)
def test_compiled_training_equals_eager_bit_for_bit_and_torch(make, shape, target, loss, dropout):
    t, eager, to_compile = twins(make)
    compiled = lamina.compile(to_compile)
    xs, ys = _data(shape, target)
    lamina.manual_seed(3)
    expected = train(lamina, eager, eager, xs, ys, loss)
    lamina.manual_seed(3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # these models replay: no fallback warning
        got = train(lamina, to_compile, compiled, xs, ys, loss)
    assert got == expected
    for (k, a), b in zip(eager.state_dict().items(), to_compile.state_dict().values()):
        np.testing.assert_array_equal(b.numpy(), a.numpy(), err_msg=k)
    if not dropout:  # random streams differ from PyTorch's; everything else must match it
        torch_losses = train(torch, t, t, xs, ys, loss)
        np.testing.assert_allclose(got, torch_losses, rtol=1e-4, atol=1e-5)
        for (k, a), b in zip(t.state_dict().items(), to_compile.state_dict().values()):
            np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-4, atol=1e-5, err_msg=k)


def test_output_carries_one_compiled_node_like_torch_compile():
    _, _, lm = twins(mlp)
    out = lamina.compile(lm)(lamina.randn(2, 784))
    assert out.grad_fn.name() == "CompiledFunctionBackward"  # torch.compile's name for it
    assert out.requires_grad and out.shape == (2, 10) and out.dtype == lamina.float32


def test_input_gradient_frozen_layers_and_accumulation_match_torch():
    t, _, lm = twins(mlp)
    for lib_model in (t, lm):
        lib_model[0].weight.requires_grad_(False)  # a frozen first layer
    compiled = lamina.compile(lm)
    x = np.random.default_rng(0).standard_normal((5, 784)).astype(np.float32)
    tx = torch.from_numpy(x.copy()).requires_grad_()
    lx = lamina.from_numpy(x.copy()).requires_grad_()
    for _ in range(2):  # no zero_grad: gradients accumulate
        (t(tx) ** 2).sum().backward()
        (compiled(lx) ** 2).sum().backward()
    np.testing.assert_allclose(lx.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-5)
    assert lm[0].weight.grad is None and lm[0].bias.grad is not None
    for a, b in zip(t.parameters(), lm.parameters()):
        if a.grad is not None:
            np.testing.assert_allclose(b.grad.numpy(), a.grad.numpy(), rtol=1e-4, atol=1e-4)


def test_two_forwards_before_one_backward_keep_their_own_activations():
    t, _, lm = twins(clinical)
    t.eval(), lm.eval()
    compiled = lamina.compile(lm)
    rng = np.random.default_rng(2)
    x1, x2 = (rng.standard_normal((8, 50)).astype(np.float32) for _ in range(2))
    (t(torch.from_numpy(x1)).sum() + 2 * t(torch.from_numpy(x2)).sum()).backward()
    (compiled(lamina.from_numpy(x1)).sum() + 2 * compiled(lamina.from_numpy(x2)).sum()).backward()
    for a, b in zip(t.parameters(), lm.parameters()):
        np.testing.assert_allclose(b.grad.numpy(), a.grad.numpy(), rtol=1e-4, atol=1e-5)


def test_capture_neither_repeats_running_stat_updates_nor_random_draws():
    _, eager, lm = twins(clinical)
    compiled = lamina.compile(lm)
    x = lamina.randn(32, 50)
    lamina.manual_seed(5)
    eager(x)
    after_eager = lamina.rand(3).numpy()
    lamina.manual_seed(5)
    compiled(x)  # the first call captures: eager forward, replay and checks
    np.testing.assert_array_equal(lamina.rand(3).numpy(), after_eager)
    assert int(lm.input_norm.num_batches_tracked) == int(eager.input_norm.num_batches_tracked) == 1
    np.testing.assert_array_equal(lm.input_norm.running_mean.numpy(), eager.input_norm.running_mean.numpy())


def test_weight_changed_in_place_before_backward_raises_as_in_eager():
    _, _, lm = twins(mlp)
    compiled = lamina.compile(lm)
    out = compiled(lamina.randn(2, 784))
    with lamina.no_grad():
        lm[2].weight.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


def test_parameter_hooks_run_once_per_backward():
    _, _, lm = twins(mlp)
    seen = []
    lm[4].bias.register_hook(lambda g: seen.append(g.shape))
    compiled = lamina.compile(lm)
    compiled(lamina.randn(2, 784)).sum().backward()  # capture (its checks must not call the hook)
    compiled(lamina.randn(2, 784)).sum().backward()  # replay
    assert seen == [(10,), (10,)]


def test_unrecognised_functional_code_in_training_falls_back_and_stays_correct():
    model = residual()
    compiled = lamina.compile(model)
    x = lamina.randn(5, 6)
    with pytest.warns(UserWarning, match="functional code between modules"):
        out = compiled(x)
    out.sum().backward()
    first = model.a.weight.grad.numpy().copy()
    model.zero_grad()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # one warning per reason, not one per call
        compiled(x).sum().backward()
    np.testing.assert_array_equal(model.a.weight.grad.numpy(), first)
    model.zero_grad()
    model(x).sum().backward()
    np.testing.assert_array_equal(model.a.weight.grad.numpy(), first)


def test_hooked_model_falls_back_in_training():
    _, _, lm = twins(mlp)
    calls = []
    lm[0].register_forward_hook(lambda m, i, o: calls.append(1))
    with pytest.warns(UserWarning, match="has hooks"):
        lamina.compile(lm)(lamina.randn(2, 784)).sum().backward()
    assert calls == [1] and lm[0].weight.grad is not None


def test_hooks_on_parameters_of_layers_run_through_their_own_forward_fire_once():
    _, _, lm = twins(cnn)
    seen = []
    lm[0].weight.register_hook(lambda g: seen.append(tuple(g.shape)))  # Conv2d: not a fused kernel
    compiled = lamina.compile(lm)
    for _ in range(2):
        compiled(lamina.randn(3, 1, 8, 8)).sum().backward()
    assert seen == [(4, 1, 3, 3)] * 2


@pytest.mark.parametrize("inplace", [False, True])
def test_layers_run_through_their_own_forward_pass_gradients_through(inplace):
    nn = lamina.nn

    class PassThrough(nn.Module):  # returns its input: the gradient must flow past it unchanged
        def forward(self, x):
            return x

    t, _, lm = twins(mlp)
    lm.insert(2, PassThrough())
    lm.insert(1, nn.LeakyReLU(0.1, inplace=inplace))  # no fused kernel: its own forward
    t.insert(2, torch.nn.Identity())
    t.insert(1, torch.nn.LeakyReLU(0.1, inplace=inplace))
    x = np.random.default_rng(3).standard_normal((4, 784)).astype(np.float32)
    compiled = lamina.compile(lm)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(2):
            lm.zero_grad()
            compiled(lamina.from_numpy(x.copy())).sum().backward()
    t(torch.from_numpy(x)).sum().backward()
    for a, b in zip(t.parameters(), lm.parameters()):
        np.testing.assert_allclose(b.grad.numpy(), a.grad.numpy(), rtol=1e-4, atol=1e-5)
    messages = [str(w.message) for w in caught]
    if inplace:  # in place on the program's own leaf input: the replay fails, so it runs eagerly
        assert len(messages) == 1 and "the recorded program failed" in messages[0]
    else:
        assert messages == []
