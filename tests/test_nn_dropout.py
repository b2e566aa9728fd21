"""Dropout: lamina's random stream is not torch's, so these tests check what must hold for any
stream (drop rate, scaling, channel-wise masks, the gradient using the forward's mask) and
compare the deterministic cases (eval, p=0, p=1, errors, reprs) with torch directly."""
import warnings

import numpy as np
import pytest
import torch

import lamina
import lamina.nn as lnn
import lamina.nn.functional as LF
from oracle import check, check_module

pytestmark = pytest.mark.usefixtures("kernel_path")  # the compiled dropout kernel (lamina/_accel) and NumPy


def _ones(*shape, requires_grad=False):
    return lamina.ones(*shape, requires_grad=requires_grad)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
@pytest.mark.parametrize("dtype", [lamina.float32, lamina.float64])
def test_dropout_rate_scale_and_mask_gradient(p, dtype):
    x = lamina.randn(200, 500, dtype=dtype, requires_grad=True)
    y = LF.dropout(x, p, training=True)
    assert y.dtype == dtype and y.shape == x.shape
    xv, yv = x.detach().numpy(), y.detach().numpy()
    kept = yv != 0
    # the drop rate is p (5 sigma of a binomial on 100000 draws)
    n = xv.size
    assert abs((~kept).mean() - p) < 5 * np.sqrt(p * (1 - p) / n)
    # survivors are input / (1 - p), exactly as torch computes it in this dtype
    scale = np.asarray(1.0 / (1.0 - p), dtype=xv.dtype)
    np.testing.assert_allclose(yv[kept], xv[kept] * scale, rtol=1e-6)
    g = np.random.default_rng(0).standard_normal(x.shape).astype(xv.dtype)
    (y * lamina.from_numpy(g)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), g * kept * scale, rtol=1e-6)


def test_dropout_mean_preserved():
    y = LF.dropout(_ones(1000, 1000), 0.3)
    assert abs(y.mean().item() - 1.0) < 0.01


@pytest.mark.parametrize("lib", [torch, lamina])
def test_eval_mode_and_p0_return_the_input_itself(lib):
    x = lib.randn(4, 5, requires_grad=True)
    assert lib.nn.functional.dropout(x, 0.5, training=False) is x
    assert lib.nn.functional.dropout(x, 0.0, training=True) is x
    assert lib.nn.functional.alpha_dropout(x, 0.5, training=False) is x
    m = lib.nn.Dropout(0.5).eval()
    assert m(x) is x


def test_eval_and_p0_match_torch():
    check_module(torch.nn.Dropout(0.5), lnn.Dropout(0.5), [(3, 4)], train=False)
    check_module(torch.nn.Dropout(0.0), lnn.Dropout(0.0), [(3, 4)], train=True)
    check_module(torch.nn.Dropout2d(0.3), lnn.Dropout2d(0.3), [(2, 3, 4, 4)], train=False)
    check_module(torch.nn.AlphaDropout(0.3), lnn.AlphaDropout(0.3), [(2, 3)], train=False)


def test_p1_zeroes_everything_with_zero_gradient():
    check(lambda lib, x: lib.nn.functional.dropout(x, 1.0), [(3, 4)])
    check(lambda lib, x: lib.nn.functional.dropout2d(x, 1.0), [(2, 3, 4, 4)])
    check(lambda lib, x: lib.nn.functional.alpha_dropout(x, 1.0, True), [(3, 4)])


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_bad_probability(p):
    msg = f"dropout probability has to be between 0 and 1, but got {p}"
    for lib in (torch, lamina):
        with pytest.raises(ValueError, match=msg):
            lib.nn.Dropout(p)
        with pytest.raises(ValueError, match=msg):
            lib.nn.functional.dropout(lib.ones(2), p)


REPRS = [("Dropout", ()), ("Dropout", (0.2, True)), ("Dropout1d", ()), ("Dropout2d", (0.1,)), ("Dropout3d", ()),
         ("AlphaDropout", (0.1,)), ("FeatureAlphaDropout", ())]


@pytest.mark.parametrize("name,args", REPRS)
def test_repr(name, args):
    assert repr(getattr(lnn, name)(*args)) == repr(getattr(torch.nn, name)(*args))


@pytest.mark.parametrize("fn,shape,lead", [("dropout1d", (8, 50, 7), 2), ("dropout1d", (50, 7), 1),
                                           ("dropout2d", (8, 50, 3, 4), 2), ("dropout3d", (4, 50, 2, 3, 2), 2),
                                           ("dropout3d", (50, 2, 3, 2), 1)])
def test_channelwise_dropout_drops_whole_channels(fn, shape, lead):
    x = lamina.randn(*shape, requires_grad=True)
    y = getattr(LF, fn)(x, 0.4, training=True)
    assert y.shape == x.shape
    ratio = (y.detach().numpy() / x.detach().numpy()).reshape(shape[:lead] + (-1,))
    # one factor per channel, the same at every spatial position: 0 or 1/(1-p)
    np.testing.assert_allclose(ratio, np.broadcast_to(ratio[..., :1], ratio.shape), rtol=1e-5)
    factor = ratio[..., 0]
    assert np.all(np.isclose(factor, 0) | np.isclose(factor, 1 / 0.6, rtol=1e-6))
    assert 0.2 < np.isclose(factor, 0).mean() < 0.6
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy().reshape(ratio.shape), ratio, rtol=1e-5)


def test_dropout1d_rejects_4d():
    with pytest.raises(RuntimeError, match="dropout1d: Expected 2D or 3D input, but received a 4D input."):
        LF.dropout1d(lamina.randn(2, 3, 4, 5))


def test_dropout2d_warnings_like_torch():
    for shape, text in [((2, 3), "Received a 2-D input to dropout2d"),
                        ((2, 3, 4), "Received a 3D input to dropout2d and assuming that channel-wise 1D")]:
        for lib in (torch, lamina):
            with pytest.warns(UserWarning, match=text):
                lib.nn.functional.dropout2d(lib.randn(*shape))


def test_dropout3d_warns_on_wrong_dims():
    with pytest.warns(UserWarning, match="Received a 2-D input to dropout3d"):
        LF.dropout3d(lamina.randn(2, 3))


@pytest.mark.parametrize("fn", ["alpha_dropout", "feature_alpha_dropout"])
def test_alpha_dropout_keeps_mean_and_variance(fn):
    x = lamina.randn(400, 250, 2, requires_grad=True)
    y = getattr(LF, fn)(x, 0.2, training=True)
    yv = y.detach().numpy()
    assert abs(yv.mean()) < 0.05 and abs(yv.std() - 1) < 0.05
    # dropped units all take one value; kept ones are an affine map a·x + c of the input
    alpha = 1.7580993408473766
    a = 1 / np.sqrt((alpha ** 2 * 0.2 + 1) * 0.8)
    dropped_value = -alpha * a + alpha * a * 0.2
    xv = x.detach().numpy()
    kept = ~np.isclose(yv, dropped_value, atol=1e-6) | np.isclose(xv * a + alpha * a * 0.2, dropped_value, atol=1e-6)
    np.testing.assert_allclose(yv[kept], xv[kept] * a + alpha * a * 0.2, rtol=1e-5, atol=1e-5)
    y.sum().backward()
    g = x.grad.numpy()
    assert np.all(np.isclose(g, 0) | np.isclose(g, a, rtol=1e-6))
    np.testing.assert_allclose(g[kept], a, rtol=1e-5)


def test_inplace_dropout_writes_into_input():
    for lib in (torch, lamina):
        a = lib.randn(10, 10, requires_grad=True)
        x = a * 1.0
        y = lib.nn.functional.dropout(x, 0.5, training=True, inplace=True)
        assert y is x
        y.sum().backward()
        ratio = (x.detach().numpy() / a.detach().numpy())
        np.testing.assert_allclose(a.grad.numpy(), ratio, rtol=1e-5)


def test_inplace_dropout_on_leaf_is_refused():
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        LF.dropout(lamina.randn(3, requires_grad=True), 0.5, inplace=True)


def test_dropout_on_integers_errors_like_torch():
    for lib in (torch, lamina):
        with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
            lib.nn.functional.dropout(lib.arange(4), 0.5)


def test_module_train_eval_switch():
    m = lnn.Dropout(0.5)
    x = _ones(100, 100)
    assert (m(x).numpy() == 0).any()
    m.eval()
    np.testing.assert_array_equal(m(x).numpy(), 1.0)
    m.train()
    assert (m(x).numpy() == 0).any()


def test_seeded_masks_repeat():
    lamina.manual_seed(3)
    a = LF.dropout(_ones(50), 0.5).numpy()
    lamina.manual_seed(3)
    b = LF.dropout(_ones(50), 0.5).numpy()
    np.testing.assert_array_equal(a, b)


def test_float32_stays_float32():
    for name in ["Dropout", "AlphaDropout", "Dropout2d", "FeatureAlphaDropout"]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert getattr(lnn, name)(0.3)(lamina.randn(2, 3, 4, 4)).dtype == lamina.float32
