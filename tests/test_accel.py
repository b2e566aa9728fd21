"""The optional compiled kernels (lamina/_accel, numba): installed in the test environment, so
that the suite exercises them; never imported by `import lamina`; switched off by LAMINA_NUMBA=0;
and giving PyTorch's values where NumPy's path and the kernel could part: saturated gates, inf
and NaN. (test_nn_rnn.py runs every recurrent-layer test with both paths.)"""
import contextlib
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch

import lamina
from lamina import _accel
from oracle import copy_weights

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(code, **env):
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env=dict(os.environ, **env), check=True)
    return out.stdout.strip()


def test_numba_kernels_load_in_the_test_environment():
    # a CI without numba would otherwise test only the NumPy paths, silently
    assert _accel.kernels() is not None


def test_import_lamina_does_not_import_numba():
    code = "import sys, lamina, lamina.nn; print('numba' in sys.modules)"
    assert _run(code) == "False"


def test_lamina_numba_0_switches_the_kernels_off():
    code = "from lamina import _accel; print(_accel.kernels() is None)"
    assert _run(code, LAMINA_NUMBA="0") == "True"
    assert _run(code, LAMINA_NUMBA="1") == "False"


def _lstm_pair(scale, proj=0):
    torch.manual_seed(0)
    ref = torch.nn.LSTM(6, 8, num_layers=2, batch_first=True, proj_size=proj)
    with torch.no_grad():
        for p in ref.parameters():
            p.mul_(scale)
    mine = lamina.nn.LSTM(6, 8, num_layers=2, batch_first=True, proj_size=proj)
    copy_weights(ref, mine)
    return ref, mine


@pytest.mark.parametrize("path", ["numba", "numpy"])
@pytest.mark.parametrize("scale", [1.0, 30.0, 1e4])     # 1e4: every gate saturated (exp → inf)
@pytest.mark.parametrize("proj", [0, 3])
@pytest.mark.parametrize("grad", [False, True])
def test_lstm_saturated_gates_match_torch(path, scale, proj, grad):
    ref, mine = _lstm_pair(scale, proj)
    x = np.random.default_rng(1).standard_normal((5, 7, 6)).astype(np.float32) * 3
    tx = torch.from_numpy(x.copy()).requires_grad_(grad)
    t_out, (t_h, t_c) = ref(tx)
    ctx = _accel.disabled() if path == "numpy" else lamina.enable_grad()
    with ctx:
        lx = lamina.from_numpy(x.copy()).requires_grad_(grad)
        if grad:
            out, (h, c) = mine(lx)
        else:
            with lamina.no_grad():
                out, (h, c) = mine(lx)
    # saturated gates: outputs are exactly ±1/0 products, the cell a sum of exact terms
    for a, b in ((out, t_out), (h, t_h), (c, t_c)):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-4, atol=1e-4)
    if grad:
        (t_out.sum() + t_c.sum()).backward()
        (out.sum() + c.sum()).backward()
        # at scale 30 the gradients reach ~1e3 and amplify rounding: compare relative to the largest
        want = tx.grad.numpy()
        np.testing.assert_allclose(lx.grad.numpy(), want, rtol=1e-3, atol=1e-4 * (1 + np.abs(want).max()))


@pytest.mark.parametrize("path", ["numba", "numpy"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_lstm_nan_and_inf_inputs_propagate_like_torch(path, bad):
    ref, mine = _lstm_pair(1.0)
    x = np.random.default_rng(2).standard_normal((3, 4, 6)).astype(np.float32)
    x[1, 2, 3] = bad
    t_out, (t_h, t_c) = ref(torch.from_numpy(x.copy()))
    ctx = _accel.disabled() if path == "numpy" else lamina.no_grad()
    with ctx, lamina.no_grad():
        out, (h, c) = mine(lamina.from_numpy(x.copy()))
    for a, b in ((out, t_out), (h, t_h), (c, t_c)):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-5, equal_nan=True)


def _count_calls(monkeypatch, *names):
    """The names of the kernels called from now on, in order (each kernel wrapped to record)."""
    mod, calls = _accel.kernels(), []
    for name in names:
        kernel = getattr(mod, name)
        monkeypatch.setattr(mod, name, lambda *a, _k=kernel, _n=name: (calls.append(_n), _k(*a))[1])
    return calls


def test_float32_lstm_runs_the_compiled_step(monkeypatch):
    # guards against a change that quietly routes every call back to the NumPy loop
    calls = _count_calls(monkeypatch, "lstm_step", "lstm_step_inference")
    _, mine = _lstm_pair(1.0)
    x = lamina.randn(2, 3, 6)
    with lamina.no_grad():
        mine(x)
    mine(x)[0].sum().backward()
    assert calls.count("lstm_step_inference") == 2 * 3 and calls.count("lstm_step") == 2 * 3


_SHAPES = [(16, 8), (16,), (4, 16), (4,)]


def _train_flat(lib, make_opt, numpy_path=False):
    """Parameters and optimizer state after 4 steps on fixed gradients (the flat buckets of
    lamina/optim/_flat.py take over from the second step)."""
    rng = np.random.default_rng(3)
    inits = [rng.standard_normal(s).astype(np.float32) for s in _SHAPES]
    grads = [[rng.standard_normal(s).astype(np.float32) for s in _SHAPES] for _ in range(4)]
    params = [lib.nn.Parameter(lib.from_numpy(a.copy())) for a in inits]  # a copy: movable into a bucket
    opt = make_opt(lib, params)
    ctx = _accel.disabled() if numpy_path else lamina.no_grad()
    with ctx:
        for step in grads:
            for p, g in zip(params, step):
                p.grad = lib.from_numpy(g.copy())
            opt.step()
    state = [t.numpy() for p in params for k, t in sorted(opt.state[p].items()) if k != "step"]
    return [p.detach().numpy() for p in params] + state


@pytest.mark.parametrize("make_opt", [
    lambda lib, ps: lib.optim.SGD(ps, lr=0.1, momentum=0.9),
    lambda lib, ps: lib.optim.SGD(ps, lr=0.1, momentum=0.9, maximize=True),
    lambda lib, ps: lib.optim.Adam(ps, lr=0.01),
    lambda lib, ps: lib.optim.Adam(ps, lr=0.01, betas=(0.8, 0.99), eps=1e-6, maximize=True, weight_decay=0.1),
    lambda lib, ps: lib.optim.AdamW(ps, lr=0.01, weight_decay=0.1),
], ids=["sgd-momentum", "sgd-maximize", "adam", "adam-options", "adamw"])
def test_optimizer_kernels_give_the_numpy_paths_bits_and_torchs_values(make_opt):
    fused, numpy_path, ref = (_train_flat(lamina, make_opt), _train_flat(lamina, make_opt, True),
                              _train_flat(torch, make_opt))
    assert len(fused) == len(ref) > len(_SHAPES)
    for a, b, c in zip(fused, numpy_path, ref):
        assert a.tobytes() == b.tobytes()
        np.testing.assert_allclose(a, c, rtol=1e-6, atol=1e-6)


def test_exp_kernel_within_an_ulp_of_torch_over_the_float32_range():
    x = np.concatenate([np.linspace(-104, 90, 400001, dtype=np.float32),
                        np.array([np.nan, np.inf, -np.inf, -87.33, 88.72, 88.73], np.float32)])
    got = x.copy()
    _accel.kernels().exp_(got)  # in place, as attention's softmax calls it
    want = torch.exp(torch.from_numpy(x)).numpy()
    normal = np.isfinite(want) & (want >= np.finfo(np.float32).tiny)
    ulps = np.abs(got[normal].view(np.int32).astype(np.int64) - want[normal].view(np.int32))
    assert ulps.max() <= 1
    # beyond the normal range: inf and NaN as torch; subnormal results flushed to 0
    rest, ref = got[~normal], want[~normal]
    np.testing.assert_array_equal(np.where(ref < np.finfo(np.float32).tiny, 0, ref), rest)


@pytest.mark.parametrize("name,make_opt", [("sgd_momentum", lambda lib, ps: lib.optim.SGD(ps, lr=0.1, momentum=0.9)),
                                           ("adam", lambda lib, ps: lib.optim.Adam(ps))])
def test_float32_flat_optimizers_run_their_kernel(monkeypatch, name, make_opt):
    calls = _count_calls(monkeypatch, name)
    _train_flat(lamina, make_opt)
    # steps 2-4 run on the flat bucket: SGD one call per parameter, Adam one per bucket
    assert len(calls) == (3 * len(_SHAPES) if name == "sgd_momentum" else 3)


@pytest.mark.parametrize("compiled", [False, True])
def test_float32_batch_norm_1d_training_runs_its_kernels(monkeypatch, compiled):
    calls = _count_calls(monkeypatch, "batch_norm_2d", "batch_norm_2d_backward")
    model = lamina.nn.Sequential(lamina.nn.BatchNorm1d(5), lamina.nn.Linear(5, 1))
    run = lamina.compile(model) if compiled else model
    for _ in range(3):
        run(lamina.randn(8, 5)).sum().backward()
    assert calls.count("batch_norm_2d") >= 3 and calls.count("batch_norm_2d_backward") >= 3


def test_transformer_encoder_inference_fast_path_runs_its_kernels(monkeypatch):
    calls = _count_calls(monkeypatch, "exp_", "layer_norm_rows_")
    layer = lamina.nn.TransformerEncoderLayer(16, 2, 32, dropout=0.0, batch_first=True).eval()
    with lamina.no_grad():
        layer(lamina.randn(2, 5, 16))
    assert calls.count("exp_") == 1 and calls.count("layer_norm_rows_") == 2


def test_float32_max_pool_2x2_runs_its_kernels(monkeypatch):
    calls = _count_calls(monkeypatch, "max_pool_2x2", "max_pool_2x2_backward")
    x = lamina.randn(2, 3, 8, 7, requires_grad=True)
    lamina.nn.functional.max_pool2d(x, 2).sum().backward()
    lamina.nn.functional.max_pool2d(x.double(), 2)   # float64: NumPy
    lamina.nn.functional.max_pool2d(x, 2, 1)          # overlapping windows: NumPy
    assert calls == ["max_pool_2x2", "max_pool_2x2_backward"]


def _relu_input():
    """float32 (4, 32, 32, 32), 131072 elements (the forward kernel's size), with ±0, ±inf and NaN."""
    x = np.random.default_rng(5).standard_normal((4, 32, 32, 32), dtype=np.float32)
    x.reshape(-1)[:5] = [np.nan, np.inf, -np.inf, 0.0, -0.0]
    return x


def test_relu_kernels_match_torch_values_and_gradients(monkeypatch):
    calls = _count_calls(monkeypatch, "relu", "relu_backward")
    x = _relu_input()
    g = np.random.default_rng(6).standard_normal(x.shape, dtype=np.float32)
    g.reshape(-1)[[2, 7, 9]] = [np.nan, np.inf, np.nan]   # NaN/inf gradients, some at dead units
    mine = lamina.from_numpy(x).requires_grad_()
    theirs = torch.from_numpy(x).requires_grad_()
    out_m, out_t = lamina.relu(mine), torch.relu(theirs)
    out_m.backward(lamina.from_numpy(g))
    out_t.backward(torch.from_numpy(g))
    np.testing.assert_array_equal(out_m.detach().numpy(), out_t.detach().numpy())
    np.testing.assert_array_equal(np.signbit(out_m.detach().numpy()), np.signbit(out_t.detach().numpy()))
    np.testing.assert_array_equal(mine.grad.numpy(), theirs.grad.numpy())
    assert calls == ["relu", "relu_backward"]


def test_cross_entropy_kernel_matches_torch_at_the_edges(monkeypatch):
    calls = _count_calls(monkeypatch, "cross_entropy_mean", "cross_entropy_mean_backward")
    x = np.random.default_rng(7).standard_normal((6, 5)).astype(np.float32) * 30
    x[1] = [88.0, -88.0, 0.0, 87.0, -200.0]   # near exp's limits after the shift
    x[2, 3] = -np.inf                          # a class that can never be picked
    x[3] = [np.nan, 1.0, 2.0, 3.0, 4.0]        # a NaN row: NaN loss, as PyTorch
    t = np.array([0, 3, 1, 2, 4, 0])
    losses = []
    for lib in (lamina, torch):
        xt = lib.from_numpy(x.copy()).requires_grad_()
        loss = lib.nn.functional.cross_entropy(xt, lib.from_numpy(t))
        loss.backward()
        losses.append((float(loss.detach()), xt.grad.numpy()))
    assert np.isnan(losses[0][0]) and np.isnan(losses[1][0])
    np.testing.assert_allclose(losses[0][1], losses[1][1], rtol=1e-5, atol=1e-7, equal_nan=True)
    finite = np.delete(x, 3, axis=0)
    ft = np.delete(t, 3)
    mine = lamina.nn.functional.cross_entropy(lamina.from_numpy(finite), lamina.from_numpy(ft))
    theirs = torch.nn.functional.cross_entropy(torch.from_numpy(finite), torch.from_numpy(ft))
    np.testing.assert_allclose(float(mine), float(theirs), rtol=1e-6)
    assert calls.count("cross_entropy_mean") == 2 and calls.count("cross_entropy_mean_backward") == 1


def test_cross_entropy_kernel_leaves_bad_targets_to_the_checked_path():
    x = lamina.randn(3, 4)
    for bad in (4, -1):
        with pytest.raises(IndexError, match=f"Target {bad} is out of bounds"):
            lamina.nn.functional.cross_entropy(x, lamina.tensor([0, bad, 1]))
    with pytest.raises(IndexError, match="Target 4 is out of bounds"):
        torch.nn.functional.cross_entropy(torch.randn(3, 4), torch.tensor([0, 4, 1]))


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_binary_cross_entropy_kernel_matches_torch_at_the_edges(monkeypatch, reduction):
    calls = _count_calls(monkeypatch, "binary_cross_entropy_sum", "binary_cross_entropy_backward")
    rng = np.random.default_rng(3)
    x = rng.random((40, 1)).astype(np.float32)
    x[:6, 0] = [0.0, 1.0, 0.0, 1.0, 1e-30, 1 - 2 ** -24]  # both log clamps, and near them
    t = rng.random((40, 1)).astype(np.float32)            # soft targets as well as 0 and 1
    t[:4, 0] = [0.0, 1.0, 1.0, 0.0]
    results = []
    for lib in (lamina, torch):
        xt = lib.from_numpy(x.copy()).requires_grad_()
        loss = lib.nn.functional.binary_cross_entropy(xt, lib.from_numpy(t), reduction=reduction)
        loss.backward()
        results.append((float(loss.detach()), xt.grad.numpy(), loss.dtype, loss.grad_fn.name()))
    (mine, g_mine, dtype, name), (theirs, g_theirs, _, torch_name) = results
    np.testing.assert_allclose(mine, theirs, rtol=2e-6)
    np.testing.assert_allclose(g_mine, g_theirs, rtol=1e-6, atol=1e-7)
    assert dtype == lamina.float32 and name == torch_name
    assert calls == ["binary_cross_entropy_sum", "binary_cross_entropy_backward"]


def test_binary_cross_entropy_kernel_only_where_its_case_holds(monkeypatch):
    calls = _count_calls(monkeypatch, "binary_cross_entropy_sum")
    F, x, t = lamina.nn.functional, lamina.rand(5, 2), lamina.rand(5, 2)
    F.binary_cross_entropy(x, t, reduction="none")             # elementwise: the NumPy path
    F.binary_cross_entropy(x, t, weight=lamina.rand(2))        # weighted
    F.binary_cross_entropy(x, t.clone().requires_grad_())      # the target needs a gradient
    F.binary_cross_entropy(x.double(), t.double())             # float64
    assert calls == []
    for bad in (1.5, -0.5, float("nan")):
        y = x.clone()
        y[2, 1] = bad
        for lib, a, b in ((lamina, y, t), (torch, torch.from_numpy(y.numpy()), torch.from_numpy(t.numpy()))):
            with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
                lib.nn.functional.binary_cross_entropy(a, b)


def test_dropout_kernel_draws_the_numpy_paths_mask(monkeypatch):
    """Same seed, same mask, same values and gradient as the NumPy path, eager and compiled (the
    kernel reads the random bits _keep_mask would draw), and only where its case holds."""
    calls = _count_calls(monkeypatch, "dropout_apply")
    x = lamina.randn(33, 17, requires_grad=True)
    g = lamina.randn(33, 17)
    results = []
    for off in (False, True):
        with _accel.disabled() if off else contextlib.nullcontext():
            lamina.manual_seed(4)
            y = lamina.nn.functional.dropout(x, 0.3)
            x.grad = None
            y.backward(g)
            results.append((y.detach().numpy(), x.grad.numpy()))
    np.testing.assert_array_equal(results[0][0], results[1][0])
    np.testing.assert_array_equal(results[0][1], results[1][1])
    assert 0.2 < (results[0][0] == 0).mean() < 0.4
    assert calls == ["dropout_apply"]
    model = lamina.nn.Sequential(lamina.nn.Linear(17, 8), lamina.nn.Dropout(0.5), lamina.nn.Linear(8, 2))
    net = lamina.compile(model)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an eager fallback would warn
        net(x)                          # the first call records the program
        calls.clear()
        outs = []
        for run in (net, model):
            lamina.manual_seed(9)
            outs.append(run(x).detach().numpy())
    np.testing.assert_array_equal(outs[0], outs[1])
    assert calls == ["dropout_apply", "dropout_apply"]  # the program's Dropout, then the module's
    calls.clear()
    lamina.nn.functional.dropout(x.double(), 0.3)                    # float64
    lamina.nn.functional.dropout(x.t(), 0.3)                         # not contiguous
    lamina.nn.functional.dropout2d(lamina.randn(2, 3, 4, 4), 0.3)    # whole channels
    lamina.nn.functional.dropout(x, 1.0)                             # everything dropped
    assert calls == []


def test_float32_depthwise_conv2d_runs_its_kernels(monkeypatch):
    calls = _count_calls(monkeypatch, "direct_conv2d", "direct_conv2d_backward")
    conv = lamina.nn.Conv2d(4, 4, 3, padding=1, groups=4)
    x = lamina.randn(2, 4, 6, 6, requires_grad=True)
    conv(x).sum().backward()
    lamina.nn.Conv2d(4, 8, 3, groups=4)(x).sum().backward()  # two filters per channel: direct too
    lamina.nn.Conv2d(4, 4, 3, stride=2, groups=4)(x)        # strided: im2col
    lamina.nn.Conv2d(4, 4, 3, groups=2)(x)                  # two input channels per group: im2col
    lamina.nn.Conv2d(1, 8, 3)(x[:, :1])                     # one input channel, no groups: im2col
    assert calls == ["direct_conv2d", "direct_conv2d_backward"] * 2


def test_float32_3x3_conv2d_runs_the_winograd_kernels(monkeypatch):
    names = ("winograd_input", "winograd_output", "winograd_grad_output", "winograd_grad_input")
    calls = _count_calls(monkeypatch, *names)
    x = lamina.randn(2, 8, 6, 6, requires_grad=True)
    lamina.nn.Conv2d(8, 16, 3, padding=1)(x).sum().backward()
    lamina.nn.Conv2d(8, 16, 3, stride=2)(x)                 # strided: im2col
    lamina.nn.Conv2d(8, 16, 5)(x)                           # 5x5: im2col
    lamina.nn.Conv2d(8, 64, 3)(x)                           # 8 times the input's channels: im2col
    lamina.nn.Conv2d(4, 4, 3)(x[:, :4])                     # under 8 input channels: im2col
    lamina.nn.Conv2d(8, 8, 3).double()(x.double())          # float64: im2col
    assert calls == list(names)


def test_float32_softmax_over_the_last_dim_runs_its_kernels(monkeypatch):
    names = ("softmax_rows", "softmax_rows_backward", "log_softmax_rows", "log_softmax_rows_backward")
    calls = _count_calls(monkeypatch, *names)
    x = lamina.randn(3, 4, 5, requires_grad=True)
    lamina.softmax(x, -1).sum().backward()
    lamina.log_softmax(x, 2).sum().backward()
    lamina.softmax(x, 1)                      # not the last dim: NumPy
    lamina.softmax(x.double(), -1)            # float64: NumPy
    assert calls == list(names)


@pytest.mark.parametrize("call,names", [
    (lambda x: lamina.exp(x), ["exp"]),
    (lambda x: lamina.sigmoid(x), ["sigmoid", "sigmoid_backward"]),
    (lambda x: lamina.nn.functional.silu(x), ["silu", "silu_backward"]),
    (lambda x: lamina.nn.functional.gelu(x), ["gelu", "gelu_backward"]),
    (lambda x: lamina.nn.functional.gelu(x, approximate="tanh"), ["gelu_tanh", "gelu_tanh_backward"])])
def test_float32_exp_based_activations_run_their_kernels(monkeypatch, call, names):
    calls = _count_calls(monkeypatch, *names)
    x = lamina.randn(4, 5, requires_grad=True)
    call(x).sum().backward()
    call(x.double())                          # float64: NumPy
    assert calls == names


def test_float32_layer_norm_in_training_runs_its_kernels(monkeypatch):
    calls = _count_calls(monkeypatch, "layer_norm_rows", "layer_norm_rows_backward")
    norm = lamina.nn.LayerNorm(8)
    x = lamina.randn(3, 4, 8, requires_grad=True)
    norm(x).sum().backward()
    norm.double()(x.double())                 # float64: NumPy
    assert calls == ["layer_norm_rows", "layer_norm_rows_backward"]


def test_transformer_encoder_layer_training_runs_the_layer_norm_kernels(monkeypatch):
    # its residual add and LayerNorm are one node (_transformer_nodes), which takes the same kernels
    calls = _count_calls(monkeypatch, "layer_norm_rows", "layer_norm_rows_backward")
    layer = lamina.nn.TransformerEncoderLayer(16, 2, 32, dropout=0.0, batch_first=True)
    layer(lamina.randn(2, 5, 16, requires_grad=True)).sum().backward()
    assert sorted(calls) == ["layer_norm_rows"] * 2 + ["layer_norm_rows_backward"] * 2


def test_float32_batch_norm_2d_training_runs_its_kernels(monkeypatch):
    calls = _count_calls(monkeypatch, "batch_norm_nd", "batch_norm_nd_backward")
    norm = lamina.nn.BatchNorm2d(3)
    norm(lamina.randn(2, 3, 4, 4, requires_grad=True)).sum().backward()
    norm.double()(lamina.randn(2, 3, 4, 4).double())    # float64: NumPy
    assert calls == ["batch_norm_nd", "batch_norm_nd_backward"]


def _embedding_grads(idx, g):
    """The weight gradient of Embedding(40, 16) at indices idx for output gradient g, with the
    kernels off and on."""
    grads = []
    for ctx in (_accel.disabled, contextlib.nullcontext):
        emb = lamina.nn.Embedding(40, 16)
        with ctx():
            emb(lamina.from_numpy(idx)).backward(lamina.from_numpy(g))
        grads.append(emb.weight.grad.numpy())
    return grads


def test_embedding_gradient_kernel_sums_rows_in_index_order(monkeypatch):
    g = np.random.default_rng(11).standard_normal((30, 7, 16)).astype(np.float32)
    # runs of up to 8 equal indices: the NumPy path adds them row after row too, the same bits
    idx = np.tile(np.arange(35), 6)[:210].reshape(30, 7)
    numpy_path, kernel = _embedding_grads(idx, g)
    assert numpy_path.tobytes() == kernel.tobytes()
    # a run of 12: the NumPy path's reduceat may round otherwise
    idx = np.random.default_rng(10).integers(0, 40, (30, 7))
    idx[0, :] = 3
    idx[1, :5] = 3
    numpy_path, kernel = _embedding_grads(idx, g)
    np.testing.assert_allclose(kernel, numpy_path, rtol=1e-6, atol=1e-6)
    calls = _count_calls(monkeypatch, "scatter_add_rows")
    lamina.nn.Embedding(40, 16)(lamina.from_numpy(idx)).backward(lamina.from_numpy(g))
    assert calls == ["scatter_add_rows"]


def test_strided_conv2d_input_gradient_kernel_gives_the_numpy_paths_bits(monkeypatch):
    # stride 2 (overlapping 3x3 windows) and a dilated stride-3 case, asymmetric sizes
    rng = np.random.default_rng(12)
    for stride, dilation, shape in (((2, 2), (1, 1), (3, 4, 9, 8)), ((3, 2), (2, 1), (2, 3, 11, 10))):
        x = rng.standard_normal(shape).astype(np.float32)
        w = rng.standard_normal((5, shape[1], 3, 3)).astype(np.float32)
        grads = []
        for ctx in (_accel.disabled, contextlib.nullcontext):
            xt = lamina.from_numpy(x.copy()).requires_grad_()
            with ctx():
                out = lamina.nn.functional.conv2d(xt, lamina.from_numpy(w), None, stride, 1, dilation)
                out.backward(lamina.ones_like(out))
            grads.append(xt.grad.numpy())
        assert grads[0].tobytes() == grads[1].tobytes()
    calls = _count_calls(monkeypatch, "col2im_2d")
    xt = lamina.randn(2, 3, 8, 8, requires_grad=True)
    lamina.nn.functional.conv2d(xt, lamina.randn(4, 3, 3, 3), stride=2).sum().backward()
    assert calls == ["col2im_2d"]


def test_gelu_kernel_uses_the_numpy_paths_erf_coefficients():
    # numba_kernels keeps its own copy (its disk cache does not see edits in other files)
    from lamina._accel import numba_kernels
    from lamina.ops import pointwise
    assert numba_kernels._ERF_P == pointwise._ERF_P32 and numba_kernels._ERF_Q == pointwise._ERF_Q32
