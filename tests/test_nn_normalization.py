"""Normalization layers and functions against PyTorch: outputs, input and parameter gradients,
running statistics (buffers) in train and eval mode, state_dict compatibility and errors."""
import collections

import numpy as np
import pytest
import torch

import lamina
import lamina.nn as lnn
import lamina.nn.functional as LF
from oracle import check, check_module

# every test with lamina's compiled kernels (lamina/_accel: batch norm, optimizers) and without
pytestmark = pytest.mark.usefixtures("kernel_path")

DTYPES = ["float32", "float64"]


def _run_steps(t_mod, l_mod, shape, steps=3, train=True, dtype="float32"):
    """Several forward/backward steps, comparing everything after each (running stats move)."""
    for i in range(steps):
        check_module(t_mod, l_mod, [shape], dtype=dtype, train=train, seed=i, copy=(i == 0))


# ---- batch norm --------------------------------------------------------------------------------
BN_CASES = [
    ("BatchNorm1d", (5, 3)), ("BatchNorm1d", (4, 3, 6)), ("BatchNorm2d", (2, 3, 4, 5)),
    ("BatchNorm3d", (2, 3, 2, 3, 2)),
]
BN_OPTIONS = [
    {}, {"affine": False}, {"momentum": None}, {"momentum": 0.5, "eps": 1e-3}, {"track_running_stats": False},
    {"bias": False}, {"affine": False, "track_running_stats": False},
]


@pytest.mark.parametrize("name,shape", BN_CASES)
@pytest.mark.parametrize("opts", BN_OPTIONS, ids=str)
@pytest.mark.parametrize("dtype", DTYPES)
def test_batchnorm_train_then_eval(name, shape, opts, dtype):
    t_mod = getattr(torch.nn, name)(3, **opts)
    l_mod = getattr(lnn, name)(3, **opts)
    assert repr(l_mod) == repr(t_mod)
    _run_steps(t_mod, l_mod, shape, steps=3, train=True, dtype=dtype)
    check_module(t_mod, l_mod, [shape], dtype=dtype, train=False, seed=7, copy=False)


@pytest.mark.parametrize("name,shape", [("BatchNorm2d", (4, 8, 24, 24)), ("BatchNorm1d", (16, 8, 130)),
                                        ("BatchNorm3d", (2, 8, 6, 30, 6))])
@pytest.mark.parametrize("opts", [{}, {"affine": False}], ids=str)
def test_batchnorm_eval_on_large_float32_inputs(name, shape, opts):
    # from 16k elements the eval map x·scale + shift takes one compiled pass per channel row
    t_mod = getattr(torch.nn, name)(8, **opts)
    l_mod = getattr(lnn, name)(8, **opts)
    _run_steps(t_mod, l_mod, shape, steps=2, train=True)
    check_module(t_mod, l_mod, [shape], train=False, seed=5, copy=False)


def test_batchnorm_eval_on_a_large_input_holding_inf_and_nan():
    x = np.random.default_rng(2).standard_normal((4, 8, 24, 24)).astype("float32")
    x[0, 1, 2, 3], x[1, 2, 3, 4], x[3, 7, 23, 23] = np.inf, -np.inf, np.nan
    check(lambda lib, x, rm, rv, w, b: lib.nn.functional.batch_norm(x, rm, rv, w, b, False),
          [x, (8,), np.random.default_rng(3).random(8).astype("float32") + 0.5, (8,), (8,)], grad_inputs=[0, 3, 4])


def test_batchnorm_state_dict_layout():
    t, m = torch.nn.BatchNorm1d(4), lnn.BatchNorm1d(4)
    assert list(m.state_dict()) == list(t.state_dict())
    assert m.state_dict()._metadata == {"": {"version": 2}}
    assert m.num_batches_tracked.dtype == lamina.int64 and m.num_batches_tracked.item() == 0
    for _ in range(3):
        m(lamina.randn(5, 4))
    assert m.num_batches_tracked.item() == 3
    m.eval()
    m(lamina.randn(5, 4))
    assert m.num_batches_tracked.item() == 3


def test_batchnorm_parameter_and_buffer_names():
    t, m = torch.nn.BatchNorm2d(3), lnn.BatchNorm2d(3)
    assert [n for n, _ in m.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in m.named_buffers()] == [n for n, _ in t.named_buffers()]
    t, m = torch.nn.BatchNorm2d(3, track_running_stats=False), lnn.BatchNorm2d(3, track_running_stats=False)
    assert [n for n, _ in m.named_buffers()] == [] == [n for n, _ in t.named_buffers()]
    assert m.running_mean is None


def test_batchnorm_cumulative_average_matches_torch():
    t, m = torch.nn.BatchNorm1d(3, momentum=None), lnn.BatchNorm1d(3, momentum=None)
    _run_steps(t, m, (6, 3), steps=5)
    # a cumulative average of 5 batches' means
    assert m.num_batches_tracked.item() == 5


def test_batchnorm_running_var_is_unbiased():
    m = lnn.BatchNorm1d(1, momentum=1.0)
    x = np.array([[1.0], [2.0], [4.0]], dtype="float32")
    m(lamina.from_numpy(x))
    assert m.running_var.item() == pytest.approx(np.var(x, ddof=1), rel=1e-6)
    assert m.running_mean.item() == pytest.approx(x.mean(), rel=1e-6)


def test_batchnorm_one_value_per_channel_error():
    m = lnn.BatchNorm1d(10)
    with pytest.raises(ValueError, match=r"Expected more than 1 value per channel when training, got input size "
                                         r"torch\.Size\(\[1, 10\]\)"):
        m(lamina.randn(1, 10))
    assert m.num_batches_tracked.item() == 0  # the failed call changed nothing
    m.eval()
    assert m(lamina.randn(1, 10)).shape == (1, 10)  # evaluation uses running stats: fine


@pytest.mark.parametrize("name,shape,msg", [
    ("BatchNorm1d", (2, 3, 4, 5), "expected 2D or 3D input (got 4D input)"),
    ("BatchNorm2d", (2, 3), "expected 4D input (got 2D input)"),
    ("BatchNorm3d", (2, 3, 4, 5), "expected 5D input (got 4D input)"),
])
def test_batchnorm_input_dim_errors(name, shape, msg):
    with pytest.raises(ValueError, match=msg.replace("(", r"\(").replace(")", r"\)")):
        getattr(lnn, name)(3)(lamina.randn(*shape))


def test_batchnorm_channel_mismatch_error():
    with pytest.raises(RuntimeError, match="running_mean should contain 9 elements not 10"):
        lnn.BatchNorm1d(10)(lamina.randn(2, 9))


def test_batchnorm_load_old_state_dict_without_num_batches_tracked():
    src = lnn.BatchNorm1d(3)
    src(lamina.randn(4, 3))
    old = collections.OrderedDict((k, v) for k, v in src.state_dict().items() if k != "num_batches_tracked")
    dst = lnn.BatchNorm1d(3)
    result = dst.load_state_dict(old)
    assert result.missing_keys == [] and result.unexpected_keys == []
    np.testing.assert_array_equal(dst.running_mean.numpy(), src.running_mean.numpy())
    assert dst.num_batches_tracked.item() == 0
    assert "num_batches_tracked" not in old  # the caller's dict is not modified
    # the same in torch
    t = torch.nn.BatchNorm1d(3)
    r = t.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in old.items()})
    assert r.missing_keys == [] and r.unexpected_keys == []


def test_batchnorm_new_state_dict_missing_num_batches_tracked_is_reported():
    src = lnn.Sequential(lnn.BatchNorm1d(3))
    sd = src.state_dict()
    del sd["0.num_batches_tracked"]  # version 2 metadata says it should be there
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "0.num_batches_tracked"'):
        lnn.Sequential(lnn.BatchNorm1d(3)).load_state_dict(sd)


def test_batchnorm_keeps_float32_and_buffers_dtype():
    m = lnn.BatchNorm2d(3)
    out = m(lamina.randn(2, 3, 4, 4))
    assert out.dtype == lamina.float32 and m.running_mean.dtype == lamina.float32
    m.double()
    assert m.running_var.dtype == lamina.float64 and m.num_batches_tracked.dtype == lamina.int64


@pytest.mark.parametrize("training", [True, False])
def test_functional_batch_norm(training):
    rm, rv = np.random.rand(4).astype("float32"), np.random.rand(4).astype("float32") + 0.5

    def fn(lib, x, w, b):
        m, v = lib.from_numpy(rm.copy()), lib.from_numpy(rv.copy())
        out = lib.nn.functional.batch_norm(x, m, v, w, b, training=training, momentum=0.3, eps=1e-4)
        return out, m, v
    check(fn, [(5, 4, 3), (4,), (4,)], grad_inputs=[0, 1, 2])


def test_functional_batch_norm_no_running_stats():
    check(lambda lib, x: lib.nn.functional.batch_norm(x, None, None, training=True), [(5, 4)])
    with pytest.raises(RuntimeError, match="running_mean must be defined in evaluation mode"):
        LF.batch_norm(lamina.randn(5, 4), None, None, training=False)


def test_batchnorm_gradient_of_constant_channel_is_finite():
    x = np.ones((4, 2), dtype="float32")
    check_module(torch.nn.BatchNorm1d(2), lnn.BatchNorm1d(2), [x])


# ---- layer norm ---------------------------------------------------------------------------------
@pytest.mark.parametrize("shape,ns", [((4, 5), 5), ((2, 3, 4), (3, 4)), ((2, 3, 4), [4]), ((6,), (6,)),
                                      ((2, 0, 3), 3)])
@pytest.mark.parametrize("opts", [{}, {"elementwise_affine": False}, {"bias": False}, {"eps": 1e-2}], ids=str)
@pytest.mark.parametrize("dtype", DTYPES)
def test_layernorm(shape, ns, opts, dtype):
    t_mod, l_mod = torch.nn.LayerNorm(ns, **opts), lnn.LayerNorm(ns, **opts)
    assert repr(l_mod) == repr(t_mod)
    # non-trivial affine parameters so their gradients matter
    with torch.no_grad():
        for p in t_mod.parameters():
            p.normal_()
    check_module(t_mod, l_mod, [shape], dtype=dtype)


@pytest.mark.parametrize("case", ["transposed_input", "frozen_input", "frozen_weight", "sum_only"])
def test_layernorm_gradient_paths(case):
    """The row-wise LayerNorm: a non-contiguous input, an input or a weight that needs no gradient,
    and an upstream gradient that is a broadcast (y.sum()) give PyTorch's values and gradients."""
    x = np.random.default_rng(3).standard_normal((3, 5, 8)).astype(np.float32)
    results = []
    for lib in (torch, lamina):
        m = lib.nn.LayerNorm(8)
        with lib.no_grad():
            m.weight.copy_(lib.from_numpy(np.linspace(0.5, 2.0, 8, dtype=np.float32)))
            m.bias.copy_(lib.from_numpy(np.linspace(-1.0, 1.0, 8, dtype=np.float32)))
        xt = lib.from_numpy(x.copy())
        if case == "transposed_input":
            xt = lib.from_numpy(x.transpose(1, 0, 2).copy()).transpose(0, 1)
        xt.requires_grad_(case != "frozen_input")
        if case == "frozen_weight":
            m.weight.requires_grad_(False)
        y = m(xt)
        (y.sum() if case == "sum_only" else (y * lib.from_numpy(x)).sum()).backward()
        results.append([y.detach().numpy()] + [t.grad.numpy() if t.grad is not None else None
                                               for t in (xt, m.weight, m.bias)])
    for a, b in zip(*results):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(b, a, atol=2e-5, rtol=1e-4)


def test_layernorm_shape_error():
    with pytest.raises(RuntimeError, match=r"Given normalized_shape=\[3\], expected input with shape \[\*, 3\], "
                                           r"but got input of size\[2, 4\]"):
        lnn.LayerNorm(3)(lamina.randn(2, 4))


def test_functional_layer_norm_with_weights():
    check(lambda lib, x, w, b: lib.nn.functional.layer_norm(x, (3, 4), w, b), [(2, 3, 4), (3, 4), (3, 4)])
    check(lambda lib, x, w: lib.nn.functional.layer_norm(x, (4,), w), [(2, 3, 4), (4,)])


# ---- group and instance norm --------------------------------------------------------------------
@pytest.mark.parametrize("groups,channels,shape", [(2, 4, (3, 4, 5)), (1, 3, (2, 3, 2, 2)), (3, 3, (2, 3, 4)),
                                                   (2, 6, (2, 6)), (1, 2, (0, 2, 4, 4)), (2, 2, (0, 2, 3))])
@pytest.mark.parametrize("opts", [{}, {"affine": False}, {"eps": 1e-3}], ids=str)
@pytest.mark.parametrize("dtype", DTYPES)
def test_groupnorm(groups, channels, shape, opts, dtype):
    t_mod, l_mod = torch.nn.GroupNorm(groups, channels, **opts), lnn.GroupNorm(groups, channels, **opts)
    assert repr(l_mod) == repr(t_mod)
    with torch.no_grad():
        for p in t_mod.parameters():
            p.normal_()
    check_module(t_mod, l_mod, [shape], dtype=dtype)


def test_groupnorm_errors():
    with pytest.raises(ValueError, match=r"num_channels \(5\) must be divisible by num_groups \(2\)"):
        lnn.GroupNorm(2, 5)
    with pytest.raises(RuntimeError, match="Expected number of channels in input to be divisible by num_groups"):
        LF.group_norm(lamina.randn(2, 5, 3), 2)


IN_CASES = [("InstanceNorm1d", (2, 3, 5)), ("InstanceNorm1d", (3, 5)), ("InstanceNorm2d", (2, 3, 4, 4)),
            ("InstanceNorm2d", (3, 4, 4)), ("InstanceNorm3d", (2, 3, 2, 3, 2))]


@pytest.mark.parametrize("name,shape", IN_CASES)
@pytest.mark.parametrize("opts", [{}, {"affine": True}, {"track_running_stats": True},
                                  {"affine": True, "track_running_stats": True, "momentum": 0.3}], ids=str)
@pytest.mark.parametrize("dtype", DTYPES)
def test_instancenorm(name, shape, opts, dtype):
    t_mod, l_mod = getattr(torch.nn, name)(3, **opts), getattr(lnn, name)(3, **opts)
    assert repr(l_mod) == repr(t_mod)
    _run_steps(t_mod, l_mod, shape, steps=2, dtype=dtype)
    check_module(t_mod, l_mod, [shape], dtype=dtype, train=False, seed=5, copy=False)


def test_instancenorm_defaults_and_errors():
    m = lnn.InstanceNorm1d(3)
    assert m.weight is None and m.running_mean is None and list(m.state_dict()) == []
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        m(lamina.randn(2, 3, 4, 5))
    with pytest.raises(ValueError, match="Expected more than 1 spatial element when training"):
        m(lamina.randn(2, 3, 1))
    with pytest.raises(ValueError, match=r"expected input's size at dim=1 to match num_features \(3\), but got: 4."):
        lnn.InstanceNorm1d(3, affine=True)(lamina.randn(2, 4, 5))
    with pytest.warns(UserWarning, match="input's size at dim=1 does not match num_features"):
        m(lamina.randn(2, 4, 5))


# ---- RMS norm -----------------------------------------------------------------------------------
@pytest.mark.parametrize("shape,ns", [((4, 5), 5), ((2, 3, 4), (3, 4))])
@pytest.mark.parametrize("opts", [{}, {"eps": 1e-3}, {"elementwise_affine": False}], ids=str)
@pytest.mark.parametrize("dtype", DTYPES)
def test_rmsnorm(shape, ns, opts, dtype):
    t_mod, l_mod = torch.nn.RMSNorm(ns, **opts), lnn.RMSNorm(ns, **opts)
    assert repr(l_mod) == repr(t_mod)
    with torch.no_grad():
        for p in t_mod.parameters():
            p.normal_()
    check_module(t_mod, l_mod, [shape], dtype=dtype)


# ---- normalize and local response norm -----------------------------------------------------------
@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, 0.5, float("inf")])
@pytest.mark.parametrize("dim", [1, 0, -1, (0, 1)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_normalize(p, dim, dtype):
    check(lambda lib, x: lib.nn.functional.normalize(x, p=p, dim=dim), [(3, 4, 2)], dtype=dtype)


def test_normalize_zero_vector_uses_eps():
    x = np.zeros((2, 3), dtype="float32")
    x[1] = [1e-14, 0, 0]
    check(lambda lib, x: lib.nn.functional.normalize(x, dim=1), [x])


@pytest.mark.parametrize("size", [1, 2, 3, 5])
@pytest.mark.parametrize("shape", [(2, 6, 4), (2, 6, 3, 3), (1, 4, 2, 2, 2)])
def test_local_response_norm(size, shape):
    t_mod, l_mod = torch.nn.LocalResponseNorm(size, alpha=0.1, beta=0.6, k=1.5), lnn.LocalResponseNorm(
        size, alpha=0.1, beta=0.6, k=1.5)
    assert repr(l_mod) == repr(t_mod)
    check_module(t_mod, l_mod, [shape], dtype="float64")
    check_module(torch.nn.LocalResponseNorm(size), lnn.LocalResponseNorm(size), [shape])


def test_every_norm_layer_keeps_float32():
    x4 = lamina.randn(2, 4, 3, 3)
    for m in [lnn.BatchNorm2d(4), lnn.GroupNorm(2, 4), lnn.InstanceNorm2d(4), lnn.LayerNorm(3), lnn.RMSNorm(3),
              lnn.LocalResponseNorm(2)]:
        assert m(x4).dtype == lamina.float32, m
        m.eval()
        assert m(x4).dtype == lamina.float32, m
    assert LF.normalize(lamina.randn(3, 4)).dtype == lamina.float32


def test_default_parameters_are_ones_and_zeros_like_torch():
    for name, args in [("BatchNorm1d", (3,)), ("LayerNorm", (3,)), ("GroupNorm", (1, 3)), ("RMSNorm", (3,))]:
        t, m = getattr(torch.nn, name)(*args), getattr(lnn, name)(*args)
        for (tn, tp), (ln, lp) in zip(t.state_dict().items(), m.state_dict().items()):
            assert tn == ln
            np.testing.assert_array_equal(lp.numpy(), tp.numpy())


def test_instancenorm_legacy_running_stats_error_matches_torch():
    messages = []
    for lib in (torch, lamina):
        m = lib.nn.Sequential(lib.nn.InstanceNorm1d(3))
        with pytest.raises(RuntimeError) as e:
            m.load_state_dict({"0.running_mean": lib.zeros(3), "0.running_var": lib.ones(3), "x": lib.ones(1)})
        messages.append(str(e.value))
    assert "Unexpected running stats buffer(s)" in messages[0]
    assert messages[1] == messages[0]


@pytest.mark.parametrize("version", [None, 1])
def test_batchnorm_old_checkpoint_metadata_versions(version):
    results = []
    for lib in (torch, lamina):
        src = lib.nn.Sequential(lib.nn.BatchNorm1d(3))
        sd = src.state_dict()
        del sd["0.num_batches_tracked"]
        if version is None:
            sd = dict(sd)  # a plain dict: no metadata at all
        else:
            sd._metadata["0"] = {"version": version}
        dst = lib.nn.Sequential(lib.nn.BatchNorm1d(3))
        dst[0].num_batches_tracked.fill_(4)
        r = dst.load_state_dict(sd)
        results.append((r.missing_keys, r.unexpected_keys, dst[0].num_batches_tracked.item()))
    assert results[1] == results[0] == ([], [], 4)


# ---- dtype mixing: PyTorch's CPU kernels refuse parameters of another float type ------------------
@pytest.mark.parametrize("fn", [
    lambda lib, x, w: lib.nn.functional.layer_norm(x, (4,), w, None),
    lambda lib, x, w: lib.nn.functional.group_norm(x, 2, w, None),
    lambda lib, x, w: lib.nn.functional.batch_norm(x, None, None, w, None, True),
    lambda lib, x, w: lib.nn.functional.batch_norm(x, w.detach() * 0, w.detach(), None, None, False),
    lambda lib, x, w: lib.nn.functional.instance_norm(x[None], None, None, w[:3], None),
])
@pytest.mark.parametrize("x_dtype,w_dtype", [("float64", "float32"), ("float32", "float64"), ("int64", "float32")])
def test_norms_refuse_mixed_dtypes(fn, x_dtype, w_dtype):
    def run(lib):
        x = lib.from_numpy(np.ones((3, 4), x_dtype))
        return fn(lib, x, lib.from_numpy(np.ones(4, w_dtype)))
    with pytest.raises(Exception) as t_err:
        run(torch)
    with pytest.raises(type(t_err.value)) as l_err:
        run(lamina)
    assert str(l_err.value) == str(t_err.value)


def test_rms_norm_of_integers_is_not_implemented():
    for lib in (torch, lamina):
        with pytest.raises(NotImplementedError, match="\"rms_norm\" not implemented for 'Long'"):
            lib.nn.functional.rms_norm(lib.ones(2, 4, dtype=lib.int64), (4,))


@pytest.mark.parametrize("affine,bias", [(True, True), (True, False), (False, False)])
def test_layer_norm_rows_constant_offset_and_nonfinite(affine, bias):
    # a constant row (variance 0: σ⁻¹ = 1/√eps), a row far from 0 (mean subtraction matters),
    # rows of 3·5 values normalised together, and inf/NaN rows, float32 (the compiled kernels)
    x = np.random.default_rng(8).standard_normal((4, 3, 5)).astype("float32")
    x[0] = 2.5
    x[1] = 100 + x[1]
    x[3, 1, 2] = np.inf
    check_module(torch.nn.LayerNorm((3, 5), elementwise_affine=affine, bias=bias),
                 lnn.LayerNorm((3, 5), elementwise_affine=affine, bias=bias), [x[:3]])
    check(lambda lib, t: lib.nn.functional.layer_norm(t, (5,)), [x], grad=False)


@pytest.mark.parametrize("cls,shape", [("BatchNorm2d", (4, 3, 5, 6)), ("BatchNorm3d", (2, 3, 2, 3, 4)),
                                       ("BatchNorm1d", (6, 3, 7))])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_over_positions_constant_and_offset_channels(cls, shape, affine):
    # per channel over N·L values (the compiled (N, C, L) kernels in float32): a channel of zeros
    # (variance 0; a constant other than 0 gives PyTorch's rounding noise times 1/√eps), one far
    # from 0, and the running statistics moved twice
    x = np.random.default_rng(9).standard_normal(shape).astype("float32")
    x[:, 0] = 0.0
    x[:, 1] += 100.0
    t_mod, l_mod = getattr(torch.nn, cls)(3, affine=affine), getattr(lnn, cls)(3, affine=affine)
    check_module(t_mod, l_mod, [x])
    check_module(t_mod, l_mod, [x * 0.5])


def test_sync_batchnorm_in_one_process_is_batchnorm_as_torch():
    """SyncBatchNorm without a process group normalises like BatchNorm (PyTorch's own fallback),
    on any (N, C, *) input; convert_sync_batchnorm swaps BatchNorm*d layers, sharing parameters."""
    x = np.random.default_rng(0).standard_normal((4, 3, 5, 2)).astype(np.float32)
    out = []
    for lib in (torch, lamina):
        net = lib.nn.Sequential(lib.nn.Conv2d(3, 3, 1), lib.nn.BatchNorm2d(3))
        if lib is lamina:
            net.load_state_dict(start)
        else:  # the weights both start from, taken before torch's step moves its running stats
            start = {k: lamina.from_numpy(v.detach().numpy().copy()) for k, v in net.state_dict().items()}
        net = lib.nn.SyncBatchNorm.convert_sync_batchnorm(net)
        t = lib.tensor(x, requires_grad=True)
        y = net(t)
        (y * y).sum().backward()
        net.eval()
        out.append((repr(net), list(net.state_dict()), y.detach().numpy(), t.grad.numpy(),
                    net[1].running_mean.numpy(), net(lib.tensor(x)).detach().numpy()))
    assert out[1][:2] == out[0][:2]
    for got, want in zip(out[1][2:], out[0][2:]):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    for lib in (torch, lamina):
        with pytest.raises(ValueError, match=r"expected at least 2D input \(got 1D input\)"):
            lib.nn.SyncBatchNorm(3)(lib.ones(3))
