"""Dtype edges of the norm layers and F.interpolate: a float16 input with float32 (or float16)
parameters is computed in float32 and returned as float16, as PyTorch's CPU kernels do; integer
and bool inputs to interpolate raise PyTorch's NotImplementedError (uint8 nearest works)."""
import numpy as np
import pytest
import torch

import lamina
from oracle import check, check_error

NORMS = {
    "batch_norm": lambda lib, x, w, b: lib.nn.functional.batch_norm(x, None, None, w, b, training=True),
    "layer_norm": lambda lib, x, w, b: lib.nn.functional.layer_norm(x, (4,), w, b),
    "group_norm": lambda lib, x, w, b: lib.nn.functional.group_norm(x, 1, w, b),
    "instance_norm": lambda lib, x, w, b: lib.nn.functional.instance_norm(x, weight=w, bias=b),
}


@pytest.mark.parametrize("name", list(NORMS))
@pytest.mark.parametrize("param_dtype", ["float32", "float16"])
def test_half_input_norm_functions(name, param_dtype):
    x = np.random.default_rng(0).standard_normal((3, 4, 4)).astype("float16")
    w = np.random.default_rng(1).standard_normal(4).astype(param_dtype)
    b = np.random.default_rng(2).standard_normal(4).astype(param_dtype)
    check(lambda lib, x, w, b: NORMS[name](lib, x, w, b), [x, w, b], dtype="float16", atol=2e-3, rtol=2e-3)


def test_half_input_rms_norm():
    x = np.random.default_rng(0).standard_normal((3, 4, 6)).astype("float16")
    w = np.random.default_rng(1).standard_normal(6).astype("float32")
    check(lambda lib, x, w: lib.nn.functional.rms_norm(x, (6,), w), [x, w], dtype="float16", atol=2e-3, rtol=2e-3)


@pytest.mark.parametrize("make,shape,train", [
    (lambda nn: nn.BatchNorm2d(3), (2, 3, 4, 4), True),
    (lambda nn: nn.BatchNorm2d(3), (2, 3, 4, 4), False),
    (lambda nn: nn.BatchNorm1d(3, momentum=None), (4, 3), True),
    (lambda nn: nn.InstanceNorm2d(3, affine=True, track_running_stats=True), (2, 3, 4, 4), True),
    (lambda nn: nn.InstanceNorm1d(3, track_running_stats=True), (2, 3, 5), False),
    (lambda nn: nn.LayerNorm(4), (2, 3, 4), True),
    (lambda nn: nn.GroupNorm(3, 3), (2, 3, 4, 4), True),
    (lambda nn: nn.RMSNorm(4), (2, 3, 4), True),
])
def test_half_input_float32_layers(make, shape, train):
    t_mod, l_mod = make(torch.nn), make(lamina.nn)
    t_mod.train(train), l_mod.train(train)
    x = np.random.default_rng(0).standard_normal(shape).astype("float16")
    t_out, l_out = check(lambda lib, x: (t_mod if lib is torch else l_mod)(x), [x], dtype="float16",
                         atol=2e-3, rtol=2e-3)
    assert l_out.dtype == lamina.float16
    for (name, tb), lb in zip(t_mod.state_dict().items(), l_mod.state_dict().values()):
        assert str(lb.dtype)[-7:] == str(tb.dtype)[-7:], name  # running stats stay float32
        np.testing.assert_allclose(lb.numpy(), tb.numpy(), atol=1e-3, rtol=1e-3, err_msg=name)
    for (name, tp), lp in zip(t_mod.named_parameters(), l_mod.parameters()):
        assert lp.grad.dtype == lamina.float32
        np.testing.assert_allclose(lp.grad.numpy(), tp.grad.numpy(), atol=2e-2, rtol=2e-2, err_msg=name)


def test_half_running_stats_updated_in_place():
    x = np.random.default_rng(0).standard_normal((4, 3, 5)).astype("float16")
    stats = {}
    for lib in (torch, lamina):
        rm, rv = lib.zeros(3, dtype=lib.float16), lib.ones(3, dtype=lib.float16)
        out = lib.nn.functional.batch_norm(lib.from_numpy(x.copy()), rm, rv, training=True)
        stats[lib] = (out.numpy(), rm.numpy(), rv.numpy())
    for a, b in zip(stats[torch], stats[lamina]):
        assert a.dtype == b.dtype == np.float16
        np.testing.assert_allclose(b, a, atol=2e-3, rtol=2e-3)


def test_float32_input_with_half_params_is_an_error():
    check_error(lambda lib: lib.nn.functional.layer_norm(lib.ones(2, 4), (4,), lib.ones(4).half()), RuntimeError,
                r"mixed dtype \(CPU\): expect parameter to have scalar type of Float")


INT_CASES = [  # shape, mode
    ((2, 3, 4), "nearest"), ((2, 3, 4), "nearest-exact"), ((2, 3, 4), "linear"),
    ((2, 3, 4, 4), "nearest"), ((2, 3, 4, 4), "nearest-exact"), ((2, 3, 4, 4), "bilinear"),
    ((2, 3, 4, 4), "bicubic"), ((1, 2, 2, 2, 2), "nearest"), ((1, 2, 2, 2, 2), "trilinear"),
]
TYPE_NAMES = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "bool": "Bool", "uint8": "Byte"}


@pytest.mark.parametrize("shape,mode", INT_CASES)
@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "int8", "bool"])
def test_interpolate_integer_input_raises_torchs_error(shape, mode, dtype):
    x = (np.arange(np.prod(shape)) % 3).reshape(shape).astype(dtype)
    with pytest.raises(NotImplementedError) as t_err:
        torch.nn.functional.interpolate(torch.from_numpy(x), scale_factor=2, mode=mode)
    with pytest.raises(NotImplementedError) as l_err:
        lamina.nn.functional.interpolate(lamina.from_numpy(x), scale_factor=2, mode=mode)
    assert str(l_err.value) == str(t_err.value)
    assert f"not implemented for '{TYPE_NAMES[dtype]}'" in str(l_err.value)


@pytest.mark.parametrize("shape", [(2, 3, 5), (2, 3, 4, 5), (1, 2, 2, 3, 2)])
@pytest.mark.parametrize("mode", ["nearest", "nearest-exact"])
def test_interpolate_uint8_nearest(shape, mode):
    x = np.random.default_rng(0).integers(0, 256, shape).astype("uint8")
    check(lambda lib, x: lib.nn.functional.interpolate(x, scale_factor=1.7, mode=mode), [x], grad=False)


def test_interpolate_uint8_errors():
    for mode, shape in (("linear", (2, 3, 4)), ("trilinear", (1, 2, 2, 2, 2))):
        x = np.zeros(shape, dtype="uint8")
        check_error(lambda lib: lib.nn.functional.interpolate(lib.from_numpy(x.copy()), scale_factor=2, mode=mode),
                    NotImplementedError, "\"compute_indices_weights_linear\" not implemented for 'Byte'")
    check_error(lambda lib: lib.nn.functional.interpolate(lib.zeros(1, 1, 4, 4, dtype=lib.uint8), size=2,
                                                          mode="area"),
                NotImplementedError, "\"adaptive_avg_pool2d\" not implemented for 'Byte'")


@pytest.mark.parametrize("name", ["gelu", "gelu_tanh", "hardswish", "silu", "hardsigmoid", "softplus", "selu", "mish"])
def test_half_activations_compute_in_float32_and_round_once(name):
    """PyTorch's CPU kernels take half through float32: in half throughout, GELU's tail (x < -3)
    was 7% off and its tanh form's gradient thousands of ulp."""
    x = np.linspace(-8, 8, 401).astype(np.float16)
    out = []
    for lib in (torch, lamina):
        F = lib.nn.functional
        fn = (lambda t: F.gelu(t, approximate="tanh")) if name == "gelu_tanh" else getattr(F, name)
        t = lib.tensor(x, requires_grad=True)
        y = fn(t)
        (y * lib.tensor(np.linspace(-1, 1, 401).astype(np.float16))).sum().backward()
        assert y.dtype == lib.float16 and t.grad.dtype == lib.float16
        out.append((y.detach().numpy().astype(np.float32), t.grad.numpy().astype(np.float32)))
    for got, want in zip(out[1], out[0]):
        np.testing.assert_allclose(got, want, rtol=2e-3, atol=2e-6)


def test_tanhshrink_is_x_minus_tanh_as_in_pytorch():
    """Composed of the two ops (PyTorch's F.tanhshrink is Python): half rounds tanh first, and an
    integer input gives a float."""
    x = np.linspace(-8, 8, 401).astype(np.float16)
    t = torch.nn.functional.tanhshrink(torch.tensor(x))
    m = lamina.nn.functional.tanhshrink(lamina.tensor(x))
    np.testing.assert_array_equal(m.numpy(), t.numpy())
    ti = torch.nn.Tanhshrink()(torch.tensor([1, -2]))
    mi = lamina.nn.Tanhshrink()(lamina.tensor([1, -2]))
    assert repr(mi.dtype) == repr(ti.dtype)
    np.testing.assert_allclose(mi.numpy(), ti.numpy(), rtol=1e-6)
