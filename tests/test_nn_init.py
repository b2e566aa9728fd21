"""nn.init against torch.nn.init: the random streams differ, so each initialiser fills a large
tensor in both libraries and the distributions are compared (mean, std, bounds, quantiles).
Deterministic initialisers and calculate_gain are compared exactly."""
import math
import warnings

import numpy as np
import pytest
import torch

import lamina
import lamina.nn as lnn
import lamina.nn.init as linit

SHAPE = (400, 300)


def _both(shape, dtype="float32"):
    return torch.empty(shape, dtype=getattr(torch, dtype)), lamina.empty(shape, dtype=getattr(lamina, dtype))


def assert_same_distribution(t, l_, bounded=False):
    a, b = t.detach().numpy().ravel().astype("float64"), l_.detach().numpy().ravel().astype("float64")
    assert l_.dtype == getattr(lamina, str(t.dtype).split(".")[-1])
    scale = a.std() + 1e-12
    n = a.size
    assert abs(a.mean() - b.mean()) < 6 * scale / math.sqrt(n) + 1e-12, (a.mean(), b.mean())
    assert abs(a.std() - b.std()) < max(0.01, 5 / math.sqrt(n)) * scale, (a.std(), b.std())
    qa, qb = np.quantile(a, [0.05, 0.25, 0.5, 0.75, 0.95]), np.quantile(b, [0.05, 0.25, 0.5, 0.75, 0.95])
    np.testing.assert_allclose(qb, qa, atol=12 * scale / math.sqrt(n))
    if bounded:
        # the extremes of n uniform draws sit within a few (range / n) of the bounds
        tol = 10 * (a.max() - a.min()) / n + 1e-3 * scale
        np.testing.assert_allclose([b.min(), b.max()], [a.min(), a.max()], atol=tol)


RANDOM_INITS = [
    ("uniform_", {}, True), ("uniform_", {"a": -3.0, "b": 0.5}, True), ("normal_", {}, False),
    ("normal_", {"mean": 2.0, "std": 0.1}, False), ("trunc_normal_", {}, False),
    ("trunc_normal_", {"mean": 1.0, "std": 2.0, "a": -0.5, "b": 0.5}, True),
    ("xavier_uniform_", {}, True), ("xavier_uniform_", {"gain": 2.0}, True), ("xavier_normal_", {}, False),
    ("xavier_normal_", {"gain": 0.5}, False), ("kaiming_uniform_", {}, True),
    ("kaiming_uniform_", {"a": math.sqrt(5)}, True), ("kaiming_uniform_", {"mode": "fan_out", "nonlinearity": "relu"}, True),
    ("kaiming_normal_", {}, False), ("kaiming_normal_", {"mode": "fan_out", "nonlinearity": "tanh"}, False),
    ("kaiming_normal_", {"a": 0.2, "mode": "FAN_IN"}, False),
]


@pytest.mark.parametrize("name,kw,bounded", RANDOM_INITS, ids=[f"{n}-{k}" for n, k, _ in RANDOM_INITS])
@pytest.mark.parametrize("shape", [SHAPE, (60, 50, 3, 3)])
def test_random_initialisers_match_torch_distribution(name, kw, bounded, shape):
    t, l_ = _both(shape)
    out_t = getattr(torch.nn.init, name)(t, **kw)
    out_l = getattr(linit, name)(l_, **kw)
    assert out_l is l_ and out_t is t
    assert_same_distribution(t, l_, bounded)


@pytest.mark.parametrize("kw", [{"a": 2.0, "b": 3.0}, {"mean": 0.5, "std": 0.2, "a": 0.0, "b": 0.1},
                                {"a": -1.0, "b": 4.0}])
def test_trunc_normal_narrow_windows(kw):
    # torch's sampler is slow for windows far in the tail: a smaller tensor
    t, l_ = _both((50, 60))
    torch.nn.init.trunc_normal_(t, **kw)
    linit.trunc_normal_(l_, **kw)
    assert_same_distribution(t, l_)
    v = l_.numpy()
    assert v.min() >= kw["a"] and v.max() <= kw["b"]


def test_float64_tensors_stay_float64():
    t, l_ = _both(SHAPE, "float64")
    torch.nn.init.kaiming_normal_(t)
    linit.kaiming_normal_(l_)
    assert_same_distribution(t, l_)


def test_init_on_parameter_requiring_grad_records_no_history():
    p = lnn.Parameter(lamina.empty(10, 10))
    linit.kaiming_uniform_(p)
    assert p.grad_fn is None and p.requires_grad and p.is_leaf
    linit.zeros_(p)
    assert not p.detach().numpy().any()


@pytest.mark.parametrize("nonlinearity,param", [("linear", None), ("conv1d", None), ("conv2d", None),
                                                ("conv3d", None), ("conv_transpose1d", None),
                                                ("conv_transpose2d", None), ("conv_transpose3d", None),
                                                ("sigmoid", None), ("tanh", None), ("relu", None),
                                                ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", 1),
                                                ("selu", None)])
def test_calculate_gain(nonlinearity, param):
    expected = torch.nn.init.calculate_gain(nonlinearity, param)
    got = linit.calculate_gain(nonlinearity, param)
    assert got == expected and type(got) is type(expected)


def test_calculate_gain_errors():
    for lib in (torch, lamina):
        with pytest.raises(ValueError, match="Unsupported nonlinearity gelu"):
            lib.nn.init.calculate_gain("gelu")
        with pytest.raises(ValueError, match="negative_slope True not a valid number"):
            lib.nn.init.calculate_gain("leaky_relu", True)


@pytest.mark.parametrize("shape", [(3, 4), (5, 2, 3), (4, 3, 2, 2), (2, 3, 1, 2, 2)])
def test_fan_in_fan_out(shape):
    assert linit._calculate_fan_in_and_fan_out(lamina.empty(shape)) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))


def test_fan_errors():
    for lib in (torch, lamina):
        with pytest.raises(ValueError, match="Fan in and fan out can not be computed for tensor with fewer than 2 "
                                             "dimensions"):
            lib.nn.init.xavier_uniform_(lib.empty(5))
        with pytest.raises(ValueError, match=r"Mode fan_x not supported, please use one of \['fan_in', 'fan_out'\]"):
            lib.nn.init.kaiming_uniform_(lib.empty(3, 4), mode="fan_x")


def test_zero_element_kaiming_warns_and_is_a_noop():
    for lib in (torch, lamina):
        with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
            t = lib.nn.init.kaiming_uniform_(lib.empty(0, 3))
        assert tuple(t.shape) == (0, 3)


@pytest.mark.parametrize("fn,args", [("constant_", (0.3,)), ("zeros_", ()), ("ones_", ()), ("eye_", ())])
@pytest.mark.parametrize("shape", [(3, 4), (4, 3)])
def test_deterministic_initialisers(fn, args, shape):
    t, l_ = _both(shape)
    getattr(torch.nn.init, fn)(t, *args)
    getattr(linit, fn)(l_, *args)
    np.testing.assert_array_equal(l_.numpy(), t.numpy())


@pytest.mark.parametrize("shape,groups", [((4, 4, 3), 1), ((6, 3, 3, 3), 2), ((4, 2, 3, 3, 3), 1), ((2, 5, 3), 1)])
def test_dirac(shape, groups):
    t, l_ = _both(shape)
    torch.nn.init.dirac_(t, groups)
    linit.dirac_(l_, groups)
    np.testing.assert_array_equal(l_.numpy(), t.numpy())


def test_eye_and_dirac_errors():
    for lib in (torch, lamina):
        with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
            lib.nn.init.eye_(lib.empty(2, 2, 2))
        with pytest.raises(ValueError, match="Only tensors with 3, 4, or 5 dimensions are supported"):
            lib.nn.init.dirac_(lib.empty(2, 2))
        with pytest.raises(ValueError, match="dim 0 must be divisible by groups"):
            lib.nn.init.dirac_(lib.empty(3, 2, 3), 2)


@pytest.mark.parametrize("shape", [(6, 6), (4, 9), (9, 4), (5, 2, 3)])
@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_orthogonal(shape, gain):
    w = linit.orthogonal_(lamina.empty(shape), gain=gain).numpy().reshape(shape[0], -1).astype("float64")
    rows, cols = w.shape
    if rows <= cols:
        np.testing.assert_allclose(w @ w.T, gain ** 2 * np.eye(rows), atol=1e-5)
    else:
        np.testing.assert_allclose(w.T @ w, gain ** 2 * np.eye(cols), atol=1e-5)


def test_orthogonal_distribution_matches_torch():
    t, l_ = _both((120, 90))
    torch.nn.init.orthogonal_(t)
    linit.orthogonal_(l_)
    assert_same_distribution(t, l_)
    with pytest.raises(ValueError, match="Only tensors with 2 or more dimensions are supported"):
        linit.orthogonal_(lamina.empty(3))


@pytest.mark.parametrize("sparsity", [0.1, 0.5, 0.9])
def test_sparse(sparsity):
    t, l_ = _both((50, 400))
    torch.nn.init.sparse_(t, sparsity, std=0.3)
    linit.sparse_(l_, sparsity, std=0.3)
    a, b = t.numpy(), l_.numpy()
    # exactly ceil(sparsity·rows) zeros in every column, as torch
    np.testing.assert_array_equal((b == 0).sum(0), (a == 0).sum(0))
    assert abs(b[b != 0].std() - a[a != 0].std()) < 0.02
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        linit.sparse_(lamina.empty(2, 2, 2), 0.5)


def test_trunc_normal_bounds_hold():
    l_ = linit.trunc_normal_(lamina.empty(100000), mean=0.0, std=1.0, a=2.5, b=2.6)
    v = l_.numpy()
    assert v.min() >= 2.5 and v.max() <= 2.6
    with pytest.warns(UserWarning, match="mean is more than 2 std from"):
        linit.trunc_normal_(lamina.empty(10), mean=10.0, std=1.0)


def test_generator_argument_reproduces():
    g1, g2 = lamina.Generator().manual_seed(5), lamina.Generator().manual_seed(5)
    a = linit.normal_(lamina.empty(20), generator=g1).numpy()
    b = linit.normal_(lamina.empty(20), generator=g2).numpy()
    np.testing.assert_array_equal(a, b)


def test_deprecated_aliases_warn():
    for name in ["uniform", "normal", "xavier_uniform", "kaiming_normal", "orthogonal"]:
        with pytest.warns(FutureWarning, match=f"`nn.init.{name}` is now deprecated in favor of `nn.init.{name}_`."):
            getattr(linit, name)(lamina.empty(4, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert linit.constant(lamina.empty(2), 3.0).numpy().tolist() == [3.0, 3.0]


# ---- default initialisation of layers -----------------------------------------------------------
LAYERS = [("Linear", (300, 400)), ("Linear", (7, 200)), ("PReLU", (50,)), ("BatchNorm1d", (30,)),
          ("LayerNorm", ((4, 5),)), ("GroupNorm", (2, 6)), ("RMSNorm", (8,)), ("Bilinear", (20, 30, 40)),
          ("InstanceNorm2d", (3, ), ), ("BatchNorm2d", (4,))]


@pytest.mark.parametrize("name,args", LAYERS)
def test_default_layer_init_matches_torch_distribution(name, args):
    torch.manual_seed(0)
    t, m = getattr(torch.nn, name)(*args), getattr(lnn, name)(*args)
    t_state, m_state = dict(t.state_dict()), dict(m.state_dict())
    assert list(m_state) == list(t_state)
    for key, tv in t_state.items():
        lv = m_state[key]
        assert tuple(lv.shape) == tuple(tv.shape), key
        if tv.numel() > 100 and tv.dtype.is_floating_point and tv.std() > 0:
            assert_same_distribution(tv, lv, bounded=True)
        else:
            if tv.std() == 0 if tv.numel() > 1 else True:
                np.testing.assert_array_equal(lv.numpy(), tv.numpy(), err_msg=key)
