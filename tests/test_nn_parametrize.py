"""nn.utils.parametrize, nn.utils.parametrizations (weight_norm, spectral_norm, orthogonal) and
the hook-based nn.utils.weight_norm / spectral_norm, against PyTorch: the same module with the
same weights gets the same parametrization in both libraries, then forward values, gradients
with respect to the stored originals, state_dict keys and values, parameter names, repr and
removal are compared."""
import copy
import pickle
import warnings

import numpy as np
import pytest
import torch

import lamina
from oracle import TOL

P_T = torch.nn.utils.parametrize
P_L = lamina.nn.utils.parametrize


def to_l(t):
    return lamina.from_numpy(t.detach().numpy().copy())


def copy_state(t_mod, l_mod):
    """Load torch's state_dict (every key, buffers included) into the lamina module."""
    l_mod.load_state_dict({k: to_l(v) for k, v in t_mod.state_dict().items()})


def assert_close(t, l, dtype="float32", what=""):
    atol, rtol = TOL[dtype]
    assert tuple(l.shape) == tuple(t.shape), what
    assert str(l.dtype) == str(t.dtype), what
    np.testing.assert_allclose(l.detach().numpy(), t.detach().numpy(), atol=atol * 10, rtol=rtol * 10,
                               err_msg=what)


def assert_same_state(t_mod, l_mod, dtype="float32"):
    ts, ls = t_mod.state_dict(), l_mod.state_dict()
    assert list(ls.keys()) == list(ts.keys())
    for k in ts:
        assert_close(ts[k], ls[k], dtype, k)


def run_and_compare(t_mod, l_mod, shape, dtype="float32", seed=0):
    """Forward on the same input, backward with the same upstream gradient; compare the output,
    the input gradient and every named parameter's gradient (names and order included)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(dtype)
    xt = torch.from_numpy(x.copy()).requires_grad_(True)
    xl = lamina.from_numpy(x.copy()).requires_grad_(True)
    yt, yl = t_mod(xt), l_mod(xl)
    assert_close(yt, yl, dtype, "output")
    g = rng.standard_normal(tuple(yt.shape)).astype(dtype)
    (yt * torch.from_numpy(g)).sum().backward()
    (yl * lamina.from_numpy(g)).sum().backward()
    assert_close(xt.grad, xl.grad, dtype, "input grad")
    tn = list(t_mod.named_parameters())
    ln = list(l_mod.named_parameters())
    assert [n for n, _ in ln] == [n for n, _ in tn]
    for (name, pt), (_, pl) in zip(tn, ln):
        assert_close(pt.grad, pl.grad, dtype, f"grad of {name}")


def pair(factory, dtype="float32"):
    torch.manual_seed(0)
    t = factory(torch)
    l = factory(lamina)
    if dtype == "float64":
        t, l = t.double(), l.double()
    copy_state(t, l)
    return t, l


def _symmetric(lib):
    class Symmetric(lib.nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).transpose(-1, -2)

        def right_inverse(self, A):
            return A.triu()
    return Symmetric


def _scale(lib):
    class Scale(lib.nn.Module):
        def __init__(self, s):
            super().__init__()
            self.s = s

        def forward(self, X):
            return X * self.s
    return Scale


def _split(lib):
    class Split(lib.nn.Module):
        """Two originals: the weight is their sum; right_inverse halves it."""
        def forward(self, A, B):
            return A + 2 * B

        def right_inverse(self, W):
            return W * 0.5, W * 0.25
    return Split


# ---- parametrize -------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_register_one_parametrization_matches_torch(dtype):
    t, l = pair(lambda lib: lib.nn.Linear(4, 4), dtype)
    P_T.register_parametrization(t, "weight", _symmetric(torch)())
    P_L.register_parametrization(l, "weight", _symmetric(lamina)())
    assert type(l).__name__ == "ParametrizedLinear"
    assert isinstance(l, lamina.nn.Linear)
    assert repr(l) == repr(t)
    assert_same_state(t, l, dtype)
    assert_close(t.weight, l.weight, dtype)
    np.testing.assert_allclose(l.weight.detach().numpy(), l.weight.detach().numpy().T)
    run_and_compare(t, l, (3, 4), dtype)
    assert P_L.is_parametrized(l) and P_L.is_parametrized(l, "weight") and not P_L.is_parametrized(l, "bias")
    assert P_L.type_before_parametrizations(l) is lamina.nn.Linear
    assert not P_L.is_parametrized(lamina.nn.Linear(2, 2))


def test_parametrized_weight_recomputes_after_original_changes():
    t, l = pair(lambda lib: lib.nn.Linear(3, 3))
    P_T.register_parametrization(t, "weight", _symmetric(torch)())
    P_L.register_parametrization(l, "weight", _symmetric(lamina)())
    with torch.no_grad():
        t.parametrizations.weight.original.mul_(3.0)
    with lamina.no_grad():
        l.parametrizations.weight.original.mul_(3.0)
    assert_close(t.weight, l.weight)
    assert l.weight.grad_fn is not None


def test_stacked_parametrizations_and_right_inverse_on_assignment():
    t, l = pair(lambda lib: lib.nn.Linear(3, 3))
    for lib, m, P in ((torch, t, P_T), (lamina, l, P_L)):
        P.register_parametrization(m, "weight", _symmetric(lib)())
        P.register_parametrization(m, "weight", _scale(lib)(2.0))
    assert repr(l) == repr(t)
    assert len(l.parametrizations.weight) == 2
    run_and_compare(t, l, (2, 3))
    # Scale has no right_inverse: assignment must refuse, with torch's message
    value = np.random.default_rng(1).standard_normal((3, 3)).astype("float32")
    for lib, m in ((torch, t), (lamina, l)):
        with pytest.raises(RuntimeError, match="parametrization Scale does not implement right_inverse."):
            m.weight = lib.from_numpy(value.copy())


def test_assignment_runs_right_inverse_and_keeps_the_original_object():
    t, l = pair(lambda lib: lib.nn.Linear(3, 3))
    P_T.register_parametrization(t, "weight", _symmetric(torch)())
    P_L.register_parametrization(l, "weight", _symmetric(lamina)())
    before = l.parametrizations.weight.original
    value = np.random.default_rng(2).standard_normal((3, 3)).astype("float32")
    t.weight = torch.from_numpy(value.copy())
    l.weight = lamina.from_numpy(value.copy())
    assert l.parametrizations.weight.original is before
    assert_same_state(t, l)
    assert_close(t.weight, l.weight)


def test_list_of_originals_naming_and_grads():
    t, l = pair(lambda lib: lib.nn.Linear(3, 2))
    P_T.register_parametrization(t, "weight", _split(torch)())
    P_L.register_parametrization(l, "weight", _split(lamina)())
    assert list(l.state_dict()) == list(t.state_dict()) == [
        "bias", "parametrizations.weight.original0", "parametrizations.weight.original1"]
    assert_same_state(t, l)
    run_and_compare(t, l, (4, 3))
    with pytest.raises(ValueError, match="Cannot leave unparametrized"):
        P_L.remove_parametrizations(l, "weight", leave_parametrized=False)
    P_T.remove_parametrizations(t, "weight")
    P_L.remove_parametrizations(l, "weight")
    assert type(l) is lamina.nn.Linear and isinstance(l.weight, lamina.nn.Parameter)
    assert_same_state(t, l)


@pytest.mark.parametrize("leave", [True, False])
def test_remove_parametrizations(leave):
    t, l = pair(lambda lib: lib.nn.Linear(3, 3))
    P_T.register_parametrization(t, "weight", _symmetric(torch)())
    P_L.register_parametrization(l, "weight", _symmetric(lamina)())
    original = l.parametrizations.weight.original
    P_T.remove_parametrizations(t, "weight", leave_parametrized=leave)
    P_L.remove_parametrizations(l, "weight", leave_parametrized=leave)
    assert type(l) is lamina.nn.Linear and repr(l) == repr(t)
    assert l.weight is original  # the same Parameter object: optimizers keep working
    assert not hasattr(l, "parametrizations")
    assert [n for n, _ in l.named_parameters()] == [n for n, _ in t.named_parameters()] == ["bias", "weight"]
    assert_same_state(t, l)
    run_and_compare(t, l, (2, 3))
    with pytest.raises(ValueError, match="does not have a parametrization on weight"):
        P_L.remove_parametrizations(l, "weight")


def test_remove_one_of_two_keeps_the_class_swapped():
    t, l = pair(lambda lib: lib.nn.Linear(3, 3))
    for lib, m, P in ((torch, t, P_T), (lamina, l, P_L)):
        P.register_parametrization(m, "weight", _symmetric(lib)())
        P.register_parametrization(m, "bias", _scale(lib)(3.0))
        P.remove_parametrizations(m, "bias")
    assert type(l).__name__ == type(t).__name__ == "ParametrizedLinear"
    assert repr(l) == repr(t)
    assert_same_state(t, l)
    run_and_compare(t, l, (2, 3))


def test_buffer_parametrization_stays_a_buffer():
    t, l = pair(lambda lib: lib.nn.BatchNorm1d(3))
    P_T.register_parametrization(t, "running_var", _scale(torch)(2.0))
    P_L.register_parametrization(l, "running_var", _scale(lamina)(2.0))
    assert list(l.state_dict()) == list(t.state_dict())
    assert [n for n, _ in l.named_buffers()] == [n for n, _ in t.named_buffers()]
    l.eval(), t.eval()
    run_and_compare(t, l, (4, 3))


def test_cached_computes_once():
    calls = []

    class Counting(lamina.nn.Module):
        def forward(self, X):
            calls.append(1)
            return X * 2

    m = lamina.nn.Linear(2, 2)
    P_L.register_parametrization(m, "weight", Counting())
    calls.clear()
    with P_L.cached():
        a = m.weight
        b = m.weight
        with P_L.cached():
            c = m.weight
    assert a is b is c and len(calls) == 1
    m.weight
    assert len(calls) == 2


def test_parametrization_follows_module_train_mode_at_registration():
    m = lamina.nn.Linear(2, 2).eval()
    p = _scale(lamina)(1.0)
    P_L.register_parametrization(m, "weight", p)
    assert p.training is False


def test_errors_in_torch_wording():
    for lib, P in ((torch, P_T), (lamina, P_L)):
        m = lib.nn.Linear(3, 3)
        with pytest.raises(ValueError, match="does not have a parameter, a buffer, or a parametrized element "
                                             "with name 'nope'"):
            P.register_parametrization(m, "nope", _scale(lib)(1.0))

        class Shrink(lib.nn.Module):
            def forward(self, X):
                return X[:-1]
        with pytest.raises(ValueError, match="may not change the shape of the tensor"):
            P.register_parametrization(m, "weight", Shrink())

        class ToDouble(lib.nn.Module):
            def forward(self, X):
                return X.double()
        with pytest.raises(ValueError, match="may not change the dtype of the tensor"):
            P.register_parametrization(m, "weight", ToDouble())
        assert not P.is_parametrized(m)
        P.register_parametrization(m, "weight", Shrink(), unsafe=True)
        assert tuple(m.weight.shape) == (2, 3)
        with pytest.raises(ValueError, match="may not change the shape of the tensor, unless the `unsafe`"):
            P.register_parametrization(m, "weight", Shrink())


def test_pickling_refused_but_deepcopy_works():
    m = lamina.nn.Linear(3, 3)
    P_L.register_parametrization(m, "weight", _symmetric(lamina)())
    with pytest.raises(RuntimeError, match="Serialization of parametrized modules is only supported through "
                                           "state_dict()"):
        pickle.dumps(m)
    c = copy.deepcopy(m)
    assert type(c) is type(m)
    np.testing.assert_array_equal(c.weight.detach().numpy(), m.weight.detach().numpy())
    assert c.parametrizations.weight.original is not m.parametrizations.weight.original


def test_other_instances_are_untouched():
    a, b = lamina.nn.Linear(2, 2), lamina.nn.Linear(2, 2)
    P_L.register_parametrization(a, "weight", _scale(lamina)(2.0))
    assert type(b) is lamina.nn.Linear and isinstance(b.weight, lamina.nn.Parameter)


def test_transfer_parametrizations_and_params():
    t, l = pair(lambda lib: lib.nn.Linear(3, 3))
    t2, l2 = pair(lambda lib: lib.nn.Linear(3, 3))
    P_T.register_parametrization(t, "weight", _symmetric(torch)())
    P_L.register_parametrization(l, "weight", _symmetric(lamina)())
    P_T.transfer_parametrizations_and_params(t, t2)
    P_L.transfer_parametrizations_and_params(l, l2)
    assert l2.parametrizations.weight.original is l.parametrizations.weight.original
    assert repr(l2) == repr(t2)
    assert_same_state(t2, l2)


# ---- parametrizations.weight_norm ---------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("factory,dim,shape", [
    (lambda lib: lib.nn.Linear(5, 4), 0, (3, 5)),
    (lambda lib: lib.nn.Linear(5, 4), 1, (3, 5)),
    (lambda lib: lib.nn.Linear(5, 4), None, (3, 5)),
    (lambda lib: lib.nn.Linear(5, 4), -2, (3, 5)),
    (lambda lib: lib.nn.Conv2d(2, 3, 3), 0, (2, 2, 5, 5)),
    (lambda lib: lib.nn.Conv1d(2, 3, 2), 2, (2, 2, 6)),
])
def test_weight_norm_parametrization(factory, dim, shape, dtype):
    t, l = pair(factory, dtype)
    torch.nn.utils.parametrizations.weight_norm(t, dim=dim)
    lamina.nn.utils.parametrizations.weight_norm(l, dim=dim)
    assert repr(l) == repr(t)
    assert_same_state(t, l, dtype)
    run_and_compare(t, l, shape, dtype)
    torch.nn.utils.parametrize.remove_parametrizations(t, "weight")
    lamina.nn.utils.parametrize.remove_parametrizations(l, "weight")
    assert_same_state(t, l, dtype)
    assert repr(l) == repr(t)


# ---- parametrizations.spectral_norm -------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("factory,kwargs,shape", [
    (lambda lib: lib.nn.Linear(5, 4), {}, (3, 5)),
    (lambda lib: lib.nn.Linear(5, 4), {"n_power_iterations": 3, "eps": 1e-6}, (3, 5)),
    (lambda lib: lib.nn.Conv2d(2, 3, 3), {}, (2, 2, 5, 5)),
    (lambda lib: lib.nn.Conv2d(2, 3, 3), {"dim": 1}, (2, 2, 5, 5)),
    (lambda lib: lib.nn.ConvTranspose1d(2, 3, 3), {}, (2, 2, 4)),
])
@pytest.mark.parametrize("train", [True, False])
def test_spectral_norm_parametrization(factory, kwargs, shape, dtype, train):
    t, l = pair(factory, dtype)
    torch.nn.utils.parametrizations.spectral_norm(t, **kwargs)
    lamina.nn.utils.parametrizations.spectral_norm(l, **kwargs)
    assert repr(l) == repr(t)
    assert list(l.state_dict()) == list(t.state_dict())
    assert [n for n, _ in l.named_buffers()] == [n for n, _ in t.named_buffers()]
    copy_state(t, l)  # u and v start from torch's random draw
    t.train(train), l.train(train)
    run_and_compare(t, l, shape, dtype)
    assert_same_state(t, l, dtype)  # training updated u and v in place; eval kept them
    run_and_compare(t, l, shape, dtype, seed=1)
    assert_same_state(t, l, dtype)


def test_spectral_norm_initial_power_iterations_estimate_sigma():
    m = lamina.nn.Linear(6, 4)
    w = m.weight.detach().numpy().copy()
    lamina.nn.utils.parametrizations.spectral_norm(m)
    top = np.linalg.svd(w, compute_uv=False)[0]
    np.testing.assert_allclose(np.linalg.svd(m.weight.detach().numpy(), compute_uv=False)[0], 1.0, rtol=1e-2)
    np.testing.assert_allclose(m.parametrizations.weight.original.detach().numpy(), w)
    assert top > 0


def test_spectral_norm_1d_and_errors():
    for lib in (torch, lamina):
        m = lib.nn.Linear(3, 4)
        with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\] "
                                             r"but got 2\)"):
            lib.nn.utils.parametrizations.spectral_norm(m, dim=2)
        with pytest.raises(ValueError, match="Expected n_power_iterations to be positive, but got "
                                             "n_power_iterations=0"):
            lib.nn.utils.parametrizations.spectral_norm(m, n_power_iterations=0)
        with pytest.raises(ValueError, match="has no parameter or buffer with name 'nope'"):
            lib.nn.utils.parametrizations.spectral_norm(m, name="nope")
    t, l = pair(lambda lib: lib.nn.Linear(3, 4))
    torch.nn.utils.parametrizations.spectral_norm(t, name="bias")
    lamina.nn.utils.parametrizations.spectral_norm(l, name="bias")
    run_and_compare(t, l, (2, 3))


# ---- parametrizations.orthogonal ----------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("out_f,in_f,omap", [
    (4, 4, None), (4, 4, "cayley"), (4, 4, "householder"),
    (5, 3, None), (5, 3, "matrix_exp"), (3, 5, None), (3, 5, "cayley"),
])
def test_orthogonal_parametrization(out_f, in_f, omap, dtype):
    t, l = pair(lambda lib: lib.nn.Linear(in_f, out_f), dtype)
    torch.nn.utils.parametrizations.orthogonal(t, orthogonal_map=omap)
    lamina.nn.utils.parametrizations.orthogonal(l, orthogonal_map=omap)
    assert repr(l) == repr(t)
    assert list(l.state_dict()) == list(t.state_dict())
    assert_close(t.weight, l.weight, dtype)  # independent of the random completion of the base
    copy_state(t, l)  # the base of a non-square matrix holds a random completion
    assert_same_state(t, l, dtype)
    run_and_compare(t, l, (2, in_f), dtype)
    w = l.weight.detach().numpy()
    gram = w.T @ w if out_f >= in_f else w @ w.T
    np.testing.assert_allclose(gram, np.eye(min(out_f, in_f)), atol=1e-5)


def test_orthogonal_without_trivialization():
    t, l = pair(lambda lib: lib.nn.Linear(3, 5))
    torch.nn.utils.parametrizations.orthogonal(t, use_trivialization=False)
    lamina.nn.utils.parametrizations.orthogonal(l, use_trivialization=False)
    assert list(l.state_dict()) == list(t.state_dict())
    assert_same_state(t, l)
    run_and_compare(t, l, (2, 3))


def test_orthogonal_errors():
    for lib in (torch, lamina):
        with pytest.raises(ValueError, match="Expected a matrix or batch of matrices. Got a tensor of 1 dimensions."):
            lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(3, 3), name="bias")
        with pytest.raises(ValueError, match='orthogonal_map has to be one of "matrix_exp", "cayley", '
                                             '"householder". Got: qr'):
            lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(3, 3), orthogonal_map="qr")
        m = lib.nn.utils.parametrizations.orthogonal(lib.nn.Linear(3, 3), use_trivialization=False)
        with pytest.raises(NotImplementedError, match="not possible to assign to the matrix exponential"):
            m.weight = lib.eye(3)


# ---- hook-based weight_norm / spectral_norm -----------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("factory,dim,shape", [
    (lambda lib: lib.nn.Linear(5, 4), 0, (3, 5)),
    (lambda lib: lib.nn.Linear(5, 4), None, (3, 5)),
    (lambda lib: lib.nn.Conv2d(2, 3, 3), 1, (2, 2, 5, 5)),
])
def test_old_weight_norm(factory, dim, shape, dtype):
    t, l = pair(factory, dtype)
    with pytest.warns(FutureWarning, match="is deprecated in favor of"):
        torch.nn.utils.weight_norm(t, dim=dim)
    with pytest.warns(FutureWarning, match="is deprecated in favor of"):
        lamina.nn.utils.weight_norm(l, dim=dim)
    assert repr(l) == repr(t)
    assert_same_state(t, l, dtype)
    run_and_compare(t, l, shape, dtype)
    assert_close(t.weight, l.weight, dtype)
    with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks on the same parameter weight"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lamina.nn.utils.weight_norm(l)
    torch.nn.utils.remove_weight_norm(t)
    lamina.nn.utils.remove_weight_norm(l)
    assert_same_state(t, l, dtype)
    assert [n for n, _ in l.named_parameters()] == [n for n, _ in t.named_parameters()]
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found in"):
        lamina.nn.utils.remove_weight_norm(l)


@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("factory,kwargs,shape", [
    (lambda lib: lib.nn.Linear(5, 4), {}, (3, 5)),
    (lambda lib: lib.nn.Conv2d(2, 3, 3), {"n_power_iterations": 2}, (2, 2, 5, 5)),
    (lambda lib: lib.nn.ConvTranspose2d(2, 3, 3), {}, (2, 2, 4, 4)),
])
def test_old_spectral_norm(factory, kwargs, shape, train):
    t, l = pair(factory)
    torch.nn.utils.spectral_norm(t, **kwargs)
    lamina.nn.utils.spectral_norm(l, **kwargs)
    assert repr(l) == repr(t)
    assert list(l.state_dict()) == list(t.state_dict())
    copy_state(t, l)
    t.train(train), l.train(train)
    run_and_compare(t, l, shape)
    assert_same_state(t, l)
    assert_close(t.weight, l.weight)
    with pytest.raises(RuntimeError, match="Cannot register two spectral_norm hooks on the same parameter weight"):
        lamina.nn.utils.spectral_norm(l)
    torch.nn.utils.remove_spectral_norm(t)
    lamina.nn.utils.remove_spectral_norm(l)
    assert_same_state(t, l)
    assert [n for n, _ in l.named_parameters()] == [n for n, _ in t.named_parameters()]
    with pytest.raises(ValueError, match="spectral_norm of 'weight' not found in"):
        lamina.nn.utils.remove_spectral_norm(l)


@pytest.mark.parametrize("api", ["parametrizations", "hooks"])
@pytest.mark.parametrize("name", ["weight_hh_l0", "weight_ih_l1"])
def test_weight_norm_on_lstm_weights(api, name):
    """The common 'weight-normalized LSTM': the recurrent layer must read the normalized weight."""
    t, l = pair(lambda lib: lib.nn.LSTM(3, 4, num_layers=2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        for lib, m in ((torch, t), (lamina, l)):
            if api == "parametrizations":
                lib.nn.utils.parametrizations.weight_norm(m, name)
            else:
                lib.nn.utils.weight_norm(m, name)
    assert list(l.state_dict()) == list(t.state_dict())
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 2, 3)).astype("float32")
    yt, yl = t(torch.from_numpy(x))[0], l(lamina.from_numpy(x))[0]
    assert_close(yt, yl)
    yt.sum().backward()
    yl.sum().backward()
    for (n, pt), (_, pl) in zip(t.named_parameters(), l.named_parameters()):
        assert_close(pt.grad, pl.grad, what=n)


def test_training_steps_update_the_original_and_the_weight_follows():
    """SGD on a network with spectral-normalized, orthogonal and weight-normalized layers: after a
    few steps the stored originals, the u/v buffers and the recomputed weights match torch."""
    def build(lib):
        net = lib.nn.Sequential(lib.nn.Linear(4, 4), lib.nn.Tanh(), lib.nn.Linear(4, 3), lib.nn.Tanh(),
                                lib.nn.Linear(3, 2))
        lib.nn.utils.parametrizations.orthogonal(net[0])
        lib.nn.utils.parametrizations.spectral_norm(net[2])
        lib.nn.utils.parametrizations.weight_norm(net[4])
        return net
    torch.manual_seed(0)
    t, l = build(torch), build(lamina)
    copy_state(t, l)
    rng = np.random.default_rng(0)
    for _ in range(3):
        x = rng.standard_normal((5, 4)).astype("float32")
        for lib, m in ((torch, t), (lamina, l)):
            m.zero_grad()
            (m(lib.from_numpy(x.copy())) ** 2).sum().backward()
            with lib.no_grad():  # plain SGD, in place as optimizers do (torch.optim's first import is slow)
                for p in m.parameters():
                    p.sub_(0.1 * p.grad)
    assert_same_state(t, l)
    for i in (0, 2, 4):
        assert_close(t[i].weight, l[i].weight, what=f"layer {i}")


def test_double_converts_originals_and_buffers():
    t, l = pair(lambda lib: lib.nn.Linear(3, 4))
    torch.nn.utils.parametrizations.spectral_norm(t)
    lamina.nn.utils.parametrizations.spectral_norm(l)
    copy_state(t, l)
    t.double(), l.double()
    assert_same_state(t, l, "float64")
    run_and_compare(t, l, (2, 3), "float64")


def _holder(lib, shape):
    class Holder(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = lib.nn.Parameter(lib.randn(*shape))

        def forward(self, x):
            return x @ self.weight
    return Holder()


@pytest.mark.parametrize("shape", [(2, 4, 4), (3, 5, 2), (2, 2, 3)])
@pytest.mark.parametrize("omap", ["matrix_exp", "cayley", "householder"])
def test_orthogonal_batched_weights(shape, omap):
    t, l = pair(lambda lib: _holder(lib, shape), "float64")
    torch.nn.utils.parametrizations.orthogonal(t, orthogonal_map=omap)
    lamina.nn.utils.parametrizations.orthogonal(l, orthogonal_map=omap)
    assert_close(t.weight, l.weight, "float64")
    copy_state(t, l)
    run_and_compare(t, l, (shape[0], 3, shape[1]), "float64")


@pytest.mark.parametrize("trivialization", [True, False])
@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5)])
def test_orthogonal_assignment(shape, trivialization):
    omap = "householder"
    t, l = pair(lambda lib: _holder(lib, shape), "float64")
    torch.nn.utils.parametrizations.orthogonal(t, orthogonal_map=omap, use_trivialization=trivialization)
    lamina.nn.utils.parametrizations.orthogonal(l, orthogonal_map=omap, use_trivialization=trivialization)
    copy_state(t, l)
    # an orthogonal value is taken as is (square, trivialization: stored as the base)
    q = np.linalg.qr(np.random.default_rng(4).standard_normal((max(shape), min(shape))))[0]
    q = q if shape[0] >= shape[1] else q.T
    t.weight = torch.from_numpy(q.copy())
    l.weight = lamina.from_numpy(q.copy())
    if shape[0] == shape[1] or not trivialization:
        assert_same_state(t, l, "float64")
    assert_close(t.weight, l.weight, "float64")
    np.testing.assert_allclose(l.weight.detach().numpy(), q, atol=1e-10)
