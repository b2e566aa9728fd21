"""Activation functions and layers against PyTorch: values, gradients, dtypes, reprs, in-place
behaviour and error messages. Runs with the compiled kernels (lamina/_accel) and with the NumPy
paths (`kernel_path`)."""
import warnings

import numpy as np
import pytest
import torch

import lamina
import lamina.nn as lnn
import lamina.nn.functional as LF
from oracle import check, check_module

SHAPES = [(2, 3), (4,), (), (2, 0, 3), (2, 3, 4, 5)]
DTYPES = ["float32", "float64"]
pytestmark = pytest.mark.usefixtures("kernel_path")

# (name, kwargs) for F.<name>(x, **kwargs); every one is elementwise over any shape
ELEMENTWISE = [
    ("relu", {}), ("relu6", {}), ("leaky_relu", {}), ("leaky_relu", {"negative_slope": 0.2}),
    ("elu", {}), ("elu", {"alpha": 0.5}), ("selu", {}), ("celu", {}), ("celu", {"alpha": 2.0}),
    ("gelu", {}), ("gelu", {"approximate": "tanh"}), ("silu", {}), ("mish", {}), ("hardtanh", {}),
    ("hardtanh", {"min_val": -0.5, "max_val": 2.0}), ("hardsigmoid", {}), ("hardswish", {}),
    ("softplus", {}), ("softplus", {"beta": 2.0, "threshold": 1.0}), ("softsign", {}), ("tanhshrink", {}),
    ("softshrink", {}), ("softshrink", {"lambd": 1.0}), ("hardshrink", {}), ("hardshrink", {"lambd": 0.3}),
    ("threshold", {"threshold": 0.1, "value": 20.0}), ("logsigmoid", {}), ("sigmoid", {}), ("tanh", {}),
]


def _wide(shape, dtype, seed=0):
    """Values spread over [-5, 5] so every branch of the piecewise functions is hit."""
    return np.asarray(np.random.default_rng(seed).standard_normal(shape) * 2.5, dtype=dtype)


@pytest.mark.parametrize("name,kwargs", ELEMENTWISE, ids=[f"{n}-{k}" for n, k in ELEMENTWISE])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_functional_elementwise(name, kwargs, shape, dtype):
    check(lambda lib, x: getattr(lib.nn.functional, name)(x, **kwargs), [_wide(shape, dtype)], dtype=dtype)


@pytest.mark.parametrize("name,kwargs", ELEMENTWISE, ids=[f"{n}-{k}" for n, k in ELEMENTWISE])
def test_functional_elementwise_on_strided_views(name, kwargs):
    # a transposed input, and a transposed and strided output gradient: the fused kernels'
    # bitwise selects and in-place temporaries assume contiguous arrays and fall back otherwise
    def fn(lib, x):
        return getattr(lib.nn.functional, name)(x.transpose(0, 1), **kwargs).transpose(0, 1)[::2] * 3.0
    check(fn, [_wide((6, 40), "float32")])


@pytest.mark.parametrize("name,kwargs", ELEMENTWISE, ids=[f"{n}-{k}" for n, k in ELEMENTWISE])
def test_functional_elementwise_past_1024_elements(name, kwargs):
    # from 1024 elements max(x, 0) and fmin(x, 0) compare against cached zero arrays
    check(lambda lib, x: getattr(lib.nn.functional, name)(x, **kwargs), [_wide((32, 65), "float32")])


@pytest.mark.parametrize("name,kwargs", ELEMENTWISE, ids=[f"{n}-{k}" for n, k in ELEMENTWISE])
def test_functional_elementwise_half(name, kwargs):
    # half precision through the fused kernels: exponentials of large inputs overflow float16
    # (mish, sigmoid's helper compute in float32), and the selects fall back to np.where
    x = np.array([-20, -12, -5, -3, -1, -0.25, 0, 0.25, 1, 3, 5, 6, 12, 20], dtype="float16")
    check(lambda lib, t: getattr(lib.nn.functional, name)(t, **kwargs), [x], dtype="float16")


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape", [(70, 10), (3, 30, 5), (70, 17), (6, 10), (5, 1003), (2, 3, 257)])
def test_softmax_many_short_rows(fn, shape):
    # 64+ rows of at most 16 take their maximum over a transposed copy; inf and NaN rows included
    x = _wide(shape, "float32")
    x.reshape(-1, shape[-1])[0, 1] = np.inf
    x.reshape(-1, shape[-1])[1, 2] = np.nan
    x.reshape(-1, shape[-1])[2, :] = -np.inf
    check(lambda lib, t: getattr(lib.nn.functional, fn)(t, dim=-1), [x])


def test_extreme_values_stay_finite():
    big = np.array([-100.0, -30.0, 0.0, 30.0, 100.0], dtype="float32")
    for name in ["softplus", "logsigmoid", "sigmoid", "silu", "mish", "gelu", "elu", "selu", "celu", "softsign"]:
        check(lambda lib, x: getattr(lib.nn.functional, name)(x), [big])


@pytest.mark.parametrize("name,kwargs", [("gelu", {}), ("gelu", {"approximate": "tanh"}), ("silu", {}),
                                         ("sigmoid", {})])
def test_float32_edges_of_the_exp_based_activations(name, kwargs):
    # the compiled kernels' exp flushes results below float32's normal range to 0, and GELU
    # switches from erf's series to its tail at |x| = 2·√2
    x = np.array([-np.inf, -100.0, -88.5, -87.0, -30.0, -5.0, -2.8285, -2.8284, -1e-3, 0.0, 1e-3, 2.8284,
                  2.8285, 5.0, 30.0, 88.5, 100.0, np.inf, np.nan], dtype="float32")
    check(lambda lib, t: getattr(lib.nn.functional, name)(t, **kwargs), [x])


@pytest.mark.parametrize("scale", [1.0, 3.0])
def test_gelu_float32_long_inputs_with_values_in_erfs_tail(scale):
    # the compiled GELU redoes the elements past |x| = 2.8 with erf's tail: found eight flags at a
    # time when they are few (a standard normal), in one more pass over all when they are many
    x = (np.random.default_rng(7).standard_normal(4099) * scale).astype("float32")
    x[[5, 8, 1000, 4097, 4098]] = [-2.8285, 3.5, -np.inf, np.nan, -6.0]  # word edges and the ragged end
    check(lambda lib, t: lib.nn.functional.gelu(t), [x])


def test_kink_points_match_torch_gradient():
    # gradient conventions exactly at the kinks (0, ±3, ±λ, min/max of hardtanh)
    pts = np.array([-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 6.0, 0.1], dtype="float64")
    for name, kw in ELEMENTWISE:
        check(lambda lib, x: getattr(lib.nn.functional, name)(x, **kw), [pts], dtype="float64")


@pytest.mark.parametrize("name,kwargs", [e for e in ELEMENTWISE if e[0] != "softsign"],
                         ids=[f"{n}-{k}" for n, k in ELEMENTWISE if n != "softsign"])
def test_nan_and_infinities_match_torch(name, kwargs):
    # a NaN must stay NaN (not be clamped or shrunk to a number) and pass its gradient where
    # PyTorch's kernels do; softsign is left out: PyTorch's composite gives NaN gradients at ±inf
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 2.0, -2.0], dtype="float32")
    check(lambda lib, t: getattr(lib.nn.functional, name)(t, **kwargs), [x])


MODULES = [
    ("ReLU", (), {}), ("ReLU6", (), {}), ("LeakyReLU", (0.2,), {}), ("ELU", (), {"alpha": 0.7}), ("SELU", (), {}),
    ("CELU", (1.5,), {}), ("GELU", (), {}), ("GELU", ("tanh",), {}), ("SiLU", (), {}), ("Mish", (), {}),
    ("Tanh", (), {}), ("Sigmoid", (), {}), ("Hardtanh", (-2.0, 2.0), {}), ("Hardsigmoid", (), {}),
    ("Hardswish", (), {}), ("Softplus", (), {"beta": 2.0}), ("Softsign", (), {}), ("Tanhshrink", (), {}),
    ("Softshrink", (0.3,), {}), ("Hardshrink", (), {}), ("Threshold", (0.1, 20.0), {}), ("LogSigmoid", (), {}),
    ("Softmax", (), {"dim": 1}), ("LogSoftmax", (), {"dim": -1}), ("Softmin", (), {"dim": 1}), ("GLU", (), {}),
    ("GLU", (1,), {}), ("PReLU", (), {}), ("PReLU", (4,), {"init": 0.1}), ("Softmax2d", (), {}),
]


@pytest.mark.parametrize("name,args,kwargs", MODULES, ids=[f"{m[0]}{m[1]}" for m in MODULES])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("train", [True, False])
def test_module_matches_torch(name, args, kwargs, dtype, train):
    t_mod = getattr(torch.nn, name)(*args, **kwargs)
    l_mod = getattr(lnn, name)(*args, **kwargs)
    assert repr(l_mod) == repr(t_mod)
    check_module(t_mod, l_mod, [(3, 4, 2, 6)], dtype=dtype, train=train)


@pytest.mark.parametrize("name,args,kwargs", MODULES, ids=[f"{m[0]}{m[1]}" for m in MODULES])
def test_module_keeps_float32(name, args, kwargs):
    out = getattr(lnn, name)(*args, **kwargs)(lamina.randn(3, 4, 2, 6))
    assert out.dtype == lamina.float32


REPR_CASES = [
    ("ReLU", (True,), {}), ("ReLU6", (True,), {}), ("LeakyReLU", (), {}), ("LeakyReLU", (0.2, True), {}),
    ("ELU", (0.5, True), {}), ("SELU", (True,), {}), ("CELU", (2.0, True), {}), ("SiLU", (True,), {}),
    ("Mish", (True,), {}), ("Hardtanh", (-2, 2, True), {}), ("Hardsigmoid", (True,), {}),
    ("Hardswish", (True,), {}), ("Softplus", (2, 10), {}), ("Softshrink", (1,), {}), ("Hardshrink", (0.3,), {}),
    ("Threshold", (0.1, 20, True), {}), ("Softmax", (), {}), ("LogSoftmax", (), {}), ("Softmin", (), {}),
    ("PReLU", (3, 0.1), {}), ("RReLU", (), {}), ("RReLU", (0.1, 0.3, True), {}), ("GELU", (), {"approximate": "tanh"}),
]


@pytest.mark.parametrize("name,args,kwargs", REPR_CASES, ids=[f"{m[0]}{m[1]}" for m in REPR_CASES])
def test_repr(name, args, kwargs):
    assert repr(getattr(lnn, name)(*args, **kwargs)) == repr(getattr(torch.nn, name)(*args, **kwargs))


def test_prelu_parameter_and_state_dict():
    t, l_ = torch.nn.PReLU(3, 0.1), lnn.PReLU(3, 0.1)
    assert [n for n, _ in l_.named_parameters()] == [n for n, _ in t.named_parameters()] == ["weight"]
    np.testing.assert_allclose(l_.weight.detach().numpy(), t.weight.detach().numpy())
    # per-channel slopes on (N, C) and (N, C, L) input, and a single slope on 1-D input
    check_module(torch.nn.PReLU(3), lnn.PReLU(3), [(5, 3)])
    check_module(torch.nn.PReLU(3), lnn.PReLU(3), [(2, 3, 4)])
    check_module(torch.nn.PReLU(), lnn.PReLU(), [(7,)])
    check_module(torch.nn.PReLU(), lnn.PReLU(), [()])


@pytest.mark.parametrize("slopes", [[-0.5, 1.5, 0.25], [0.25, 1.0, 0.01], [0.3], [2.0]])
@pytest.mark.parametrize("shape", [(4, 3, 5), (6, 3), (2, 3, 4, 5)])
def test_prelu_functional_slopes_inside_and_outside_0_1(slopes, shape):
    # slopes in (0, 1] take max(x, w·x), others a select; both with weight and input gradients
    x = _wide(shape, "float32")
    x.reshape(-1)[:3] = [np.nan, np.inf, -np.inf]
    check(lambda lib, x, w: lib.nn.functional.prelu(x, w), [x, np.array(slopes, dtype="float32")])


def test_prelu_channel_mismatch_error():
    with pytest.raises(RuntimeError, match="Mismatch of parameter numbers and input channel size. Found parameter "
                                           "numbers = 3 and channel size = 4."):
        lnn.PReLU(3)(lamina.randn(2, 4))


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_family(dim, dtype):
    for name in ["softmax", "log_softmax", "softmin"]:
        check(lambda lib, x: getattr(lib.nn.functional, name)(x, dim=dim), [(3, 4, 5)], dtype=dtype)


def test_half_softmax_over_last_dim_rounds_once_like_torch():
    """PyTorch computes a half softmax in float32 and rounds once; rounding every step in half
    put some probabilities one unit in the last place off."""
    for x in ([1.0, 2.0, 3.0], [[1.0, 2.0, 3.3], [0.5, -4.0, 2.0]]):
        t = torch.softmax(torch.tensor(x, dtype=torch.float16), -1)
        lam = lamina.softmax(lamina.tensor(x, dtype=lamina.float16), -1)
        assert lam.dtype == lamina.float16 and lam.numpy().tolist() == t.numpy().tolist()


def test_softmax_dtype_argument():
    check(lambda lib, x: lib.nn.functional.softmax(x, 1, dtype=lib.float64), [(2, 3)])
    check(lambda lib, x: lib.nn.functional.log_softmax(x, dim=0, dtype=lib.float64), [(2, 3)])


def test_softmax_implicit_dim_warns_and_picks_torch_dim():
    for shape in [(4,), (2, 3), (2, 3, 4), (2, 3, 4, 5)]:
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            check(lambda lib, x: lib.nn.functional.softmax(x), [shape])
        assert any("Implicit dimension choice for softmax has been deprecated" in str(m.message) for m in w)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            check(lambda lib, x: lib.nn.Softmax()(x), [shape])
        assert w


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
def test_softmax_gradient_from_a_broadcast_upstream(fn):
    # .sum().backward() hands the op a broadcast (non-contiguous) gradient
    x = np.random.default_rng(3).standard_normal((4, 6, 9)).astype("float32")
    grads = []
    for lib in (lamina, torch):
        t = lib.from_numpy(x.copy()).requires_grad_()
        getattr(lib, fn)(t, -1).sum().backward()
        grads.append(t.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-5, atol=1e-6)


def test_softmax_sums_to_one_and_is_stable():
    x = np.array([[1000.0, 1000.0, -1000.0], [0.0, 1.0, 2.0]], dtype="float32")
    check(lambda lib, x: lib.nn.functional.softmax(x, dim=1), [x])
    check(lambda lib, x: lib.nn.functional.log_softmax(x, dim=1), [x])


@pytest.mark.parametrize("dim", [-1, 0, 1])
def test_glu(dim):
    check(lambda lib, x: lib.nn.functional.glu(x, dim), [(4, 6, 2)])


def test_glu_odd_error():
    with pytest.raises(RuntimeError, match="Halving dimension must be even, but dimension 1 is size 3"):
        LF.glu(lamina.randn(2, 3), 1)


def test_softmax2d_rejects_2d():
    with pytest.raises(ValueError, match="Softmax2d: expected input to be 3D or 4D, got 2D instead"):
        lnn.Softmax2d()(lamina.randn(2, 3))


def test_gelu_bad_approximate():
    with pytest.raises(RuntimeError, match="approximate argument must be either none or tanh."):
        LF.gelu(lamina.randn(2), approximate="fast")


def test_hardtanh_bad_range():
    with pytest.raises(ValueError, match="min_val cannot be greater than max_val"):
        LF.hardtanh(lamina.randn(2), 2.0, 1.0)


# ---- in-place -----------------------------------------------------------------------------------
INPLACE = [("relu", {}), ("relu6", {}), ("leaky_relu", {"negative_slope": 0.1}), ("elu", {}), ("selu", {}),
           ("celu", {}), ("silu", {}), ("mish", {}), ("hardtanh", {}), ("hardsigmoid", {}), ("hardswish", {}),
           ("threshold", {"threshold": 0.0, "value": -1.0})]


@pytest.mark.parametrize("name,kwargs", INPLACE, ids=[n for n, _ in INPLACE])
def test_inplace_modifies_input_and_gradient_flows(name, kwargs):
    def fn(lib, a):
        x = a * 1.0  # a non-leaf, which in-place ops may modify
        y = getattr(lib.nn.functional, name)(x, inplace=True, **kwargs)
        assert y is x
        return x
    check(fn, [_wide((3, 4), "float32")])


@pytest.mark.parametrize("name,kwargs", INPLACE, ids=[n for n, _ in INPLACE])
def test_inplace_on_leaf_requiring_grad_is_refused(name, kwargs):
    x = lamina.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation."):
        getattr(LF, name)(x, inplace=True, **kwargs)


def test_inplace_without_grad_writes_into_the_same_array():
    x = lamina.tensor([-1.0, 2.0, -3.0])
    arr = x._data
    out = lnn.ReLU(inplace=True)(x)
    assert out is x and x._data is arr
    np.testing.assert_array_equal(x.numpy(), [0.0, 2.0, 0.0])


def test_inplace_on_saved_tensor_breaks_backward_like_torch():
    for lib in (torch, lamina):
        a = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
        s = a.sigmoid()  # sigmoid saves its output
        lib.nn.functional.elu(s, inplace=True)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            s.sum().backward()


def test_relu_module_inplace_in_sequential_matches_torch():
    t = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.ReLU(inplace=True), torch.nn.Linear(5, 2))
    m = lnn.Sequential(lnn.Linear(4, 5), lnn.ReLU(inplace=True), lnn.Linear(5, 2))
    check_module(t, m, [(3, 4)])


# ---- RReLU (random slopes) ----------------------------------------------------------------------
def test_rrelu_eval_is_deterministic_leaky_relu():
    t, m = torch.nn.RReLU(0.1, 0.3), lnn.RReLU(0.1, 0.3)
    check_module(t, m, [(4, 5)], train=False)


def test_rrelu_train_slopes_in_range_and_grad_uses_them():
    x = lamina.tensor(-np.ones(10000, dtype="float32") * 2, requires_grad=True)
    y = LF.rrelu(x, 0.1, 0.3, training=True)
    slope = y.detach().numpy() / -2
    assert slope.min() >= 0.1 and slope.max() <= 0.3
    assert abs(slope.mean() - 0.2) < 0.005
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), slope, rtol=1e-6)
    pos = lamina.tensor([1.0, 2.0])
    np.testing.assert_array_equal(LF.rrelu(pos, training=True).numpy(), [1.0, 2.0])


def test_grad_fn_names_match_torch():
    for name, kw in ELEMENTWISE:
        t = getattr(torch.nn.functional, name)(torch.randn(3, requires_grad=True), **kw)
        l_ = getattr(LF, name)(lamina.randn(3, requires_grad=True), **kw)
        assert l_.grad_fn.name() == t.grad_fn.name(), name


@pytest.mark.parametrize("fn", ["gelu", "silu", "mish", "elu", "softplus", "hardswish", "hardsigmoid", "leaky_relu",
                                "celu", "selu", "logsigmoid", "hardshrink", "softshrink"])
def test_integer_input_to_float_kernel_errors(fn):
    with pytest.raises(NotImplementedError) as t_err:
        getattr(torch.nn.functional, fn)(torch.tensor([1, 2]))
    with pytest.raises(NotImplementedError) as l_err:
        getattr(LF, fn)(lamina.tensor([1, 2]))
    assert str(l_err.value) == str(t_err.value)


def test_gumbel_softmax_samples():
    logits = lamina.tensor(np.log(np.array([[0.1, 0.2, 0.7]] * 4000, dtype="float32")), requires_grad=True)
    soft = LF.gumbel_softmax(logits, tau=0.5)
    np.testing.assert_allclose(soft.detach().numpy().sum(1), 1.0, rtol=1e-5)
    hard = LF.gumbel_softmax(logits, tau=1.0, hard=True)
    h = hard.detach().numpy()
    assert set(np.unique(h)) == {0.0, 1.0} and (h.sum(1) == 1).all()
    # one-hot samples follow the softmax of the logits (Gumbel-max trick)
    np.testing.assert_allclose(h.mean(0), [0.1, 0.2, 0.7], atol=0.03)
    # straight-through: the gradient is the soft sample's
    (hard * lamina.from_numpy(np.array([1.0, 2.0, 3.0], dtype="float32"))).sum().backward()
    assert logits.grad is not None and np.isfinite(logits.grad.numpy()).all() and logits.grad.numpy().any()


def test_hardtanh_bounds_assertion_names_them():
    for lib in (torch, lamina):
        with pytest.raises(AssertionError, match=r"max_val \(1\.0\) must be greater than min_val \(2\.0\)"):
            lib.nn.Hardtanh(2.0, 1.0)


@pytest.mark.parametrize("x_dtype,w_dtype", [("float64", "float32"), ("float32", "float64"), ("int64", "int64"),
                                             ("float16", "float32")])
def test_prelu_refuses_mixed_and_integer_dtypes(x_dtype, w_dtype):
    def run(lib):
        return lib.nn.functional.prelu(lib.from_numpy(np.ones((2, 3), x_dtype)), lib.from_numpy(np.ones(1, w_dtype)))
    with pytest.raises(Exception) as t_err:
        run(torch)
    with pytest.raises(type(t_err.value)) as l_err:
        run(lamina)
    assert str(l_err.value) == str(t_err.value)


def test_rrelu_gradient_at_zero_is_the_slope():
    for lib in (torch, lamina):
        x = lib.zeros(3, requires_grad=True)
        lib.nn.RReLU(0.1, 0.3).eval()(x).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), [0.2] * 3, rtol=1e-6)
        x = lib.zeros(1000, requires_grad=True)
        lib.nn.RReLU(0.1, 0.3).train()(x).sum().backward()
        g = x.grad.numpy()
        assert (g >= 0.1).all() and (g <= 0.3).all() and g.std() > 0.01  # the drawn slopes


@pytest.mark.parametrize("p", [float("inf"), -float("inf")])
@pytest.mark.parametrize("nd", [1, 2, 3])
def test_lp_pool_with_infinite_norm_is_max_of_absolute_values(p, nd):
    shape = (1, 2) + (4,) * nd
    x = np.random.default_rng(nd).standard_normal(shape).astype(np.float32)
    out = []
    for lib in (torch, lamina):
        t = lib.tensor(x, requires_grad=True)
        y = getattr(lib.nn, f"LPPool{nd}d")(p, 2)(t)
        y.sum().backward()
        out.append((y.detach().numpy(), t.grad.numpy()))
    np.testing.assert_allclose(out[1][0], out[0][0], rtol=1e-6)
    np.testing.assert_allclose(np.abs(out[1][1]), np.abs(out[0][1]), rtol=1e-6)  # zeros' signs aside


def test_relu_keeps_negative_zero_as_torch():
    def run(L):
        x = L.tensor([-0.0, 1.0, -2.0, float("nan")])
        outs = [L.relu(x), L.nn.functional.relu(x.clone(), inplace=True), x.clone().relu_(), L.nn.ReLU()(x),
                L.relu(x.view(2, 2).t())]
        return [np.signbit(o.numpy()).tolist() for o in outs]
    assert run(lamina) == run(torch)
