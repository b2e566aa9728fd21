"""F.interpolate, Upsample layers and pixel (un)shuffle against PyTorch: every mode with size or
scale_factor, align_corners both ways, down- and upsampling, gradients, reprs and errors."""
import numpy as np
import pytest
import torch

import lamina
import lamina.nn as lnn
import lamina.nn.functional as LF
from oracle import check, check_module

DTYPES = ["float32", "float64"]
SIZES_2D = [dict(scale_factor=2), dict(scale_factor=3), dict(scale_factor=(1.5, 0.7)), dict(scale_factor=0.5),
            dict(size=(7, 3)), dict(size=(5, 6)), dict(size=1), dict(size=(11, 13)),
            dict(scale_factor=1.7, recompute_scale_factor=True)]
MODES_2D = [("nearest", None), ("nearest-exact", None), ("bilinear", False), ("bilinear", True),
            ("bicubic", False), ("bicubic", True), ("area", None)]


CASES_2D = [(m, a, k) for m, a in MODES_2D for k in SIZES_2D if not (m == "area" and "recompute_scale_factor" in k)]


@pytest.mark.parametrize("mode,align_corners,kwargs", CASES_2D, ids=[f"{m}-{a}-{k}" for m, a, k in CASES_2D])
@pytest.mark.parametrize("dtype", DTYPES)
def test_interpolate_2d(mode, align_corners, kwargs, dtype):
    check(lambda lib, x: lib.nn.functional.interpolate(x, mode=mode, align_corners=align_corners, **kwargs),
          [(2, 3, 5, 6)], dtype=dtype)


@pytest.mark.parametrize("mode,align_corners", [("nearest", None), ("nearest-exact", None), ("linear", False),
                                                ("linear", True), ("area", None)])
@pytest.mark.parametrize("kwargs", [dict(scale_factor=2.5), dict(size=4), dict(size=12), dict(scale_factor=0.4)])
def test_interpolate_1d(mode, align_corners, kwargs):
    check(lambda lib, x: lib.nn.functional.interpolate(x, mode=mode, align_corners=align_corners, **kwargs),
          [(2, 3, 7)])


@pytest.mark.parametrize("mode,align_corners", [("nearest", None), ("trilinear", False), ("trilinear", True),
                                                ("area", None)])
def test_interpolate_3d(mode, align_corners):
    check(lambda lib, x: lib.nn.functional.interpolate(x, scale_factor=(2, 1.5, 0.5), mode=mode,
                                                       align_corners=align_corners), [(1, 2, 3, 4, 6)])
    check(lambda lib, x: lib.nn.functional.interpolate(x, size=(2, 5, 3), mode=mode, align_corners=align_corners),
          [(1, 2, 3, 4, 6)])


@pytest.mark.parametrize("mode,align_corners", [("bilinear", False), ("bilinear", True), ("bicubic", False)])
@pytest.mark.parametrize("size", [(200, 5), (70, 2)])
def test_interpolate_long_axes(mode, align_corners, size):
    # axes longer than 128 are resampled by gathering taps instead of a dense matrix
    check(lambda lib, x: lib.nn.functional.interpolate(x, size=size, mode=mode, align_corners=align_corners),
          [(1, 2, 140, 3)])


def test_nearest_index_rounding_in_float32():
    # 3 → 9 pixels: PyTorch computes the source index as floor(i · (3/9)) in float32, where
    # 3 · 0.33333334 rounds above 1; a float64 computation would pick the pixel before
    check(lambda lib, x: lib.nn.functional.interpolate(x, size=9), [np.arange(6, dtype="float32").reshape(1, 2, 3)])
    check(lambda lib, x: lib.nn.functional.interpolate(x, size=(9, 7)), [(1, 1, 3, 6)], dtype="float64")


def test_interpolate_integer_scale_gradient_is_block_sum():
    check(lambda lib, x: lib.nn.functional.interpolate(x, scale_factor=(2, 3)), [(2, 3, 4, 5)])


MODULES = [
    (lambda nn: nn.Upsample(scale_factor=2), (2, 3, 4, 5)),
    (lambda nn: nn.Upsample(size=(3, 7), mode="bilinear"), (2, 3, 4, 5)),
    (lambda nn: nn.Upsample(scale_factor=1.5, mode="bilinear", align_corners=True), (2, 3, 4, 5)),
    (lambda nn: nn.Upsample(size=9, mode="linear"), (2, 3, 4)),
    (lambda nn: nn.Upsample(scale_factor=(2.0, 1.0, 3.0), mode="trilinear"), (1, 2, 2, 3, 2)),
    (lambda nn: nn.Upsample(scale_factor=2, mode="bicubic"), (1, 2, 4, 4)),
    (lambda nn: nn.UpsamplingNearest2d(scale_factor=2), (2, 3, 4, 5)),
    (lambda nn: nn.UpsamplingNearest2d(size=(5, 9)), (2, 3, 4, 5)),
    (lambda nn: nn.UpsamplingBilinear2d(scale_factor=2), (2, 3, 4, 5)),
    (lambda nn: nn.UpsamplingBilinear2d(size=(3, 4)), (2, 3, 4, 5)),
]


@pytest.mark.parametrize("ctor,shape", MODULES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_upsample_modules(ctor, shape, dtype):
    t_mod, l_mod = ctor(torch.nn), ctor(lnn)
    assert repr(l_mod) == repr(t_mod)
    check_module(t_mod, l_mod, [shape], dtype=dtype)


def test_upsample_module_attributes():
    t_mod = torch.nn.Upsample(scale_factor=(2, 3), mode="bilinear", align_corners=False)
    l_mod = lnn.Upsample(scale_factor=(2, 3), mode="bilinear", align_corners=False)
    for attr in ("name", "size", "scale_factor", "mode", "align_corners", "recompute_scale_factor"):
        assert getattr(l_mod, attr) == getattr(t_mod, attr)


def test_interpolate_keeps_dtype_and_names_its_backward():
    x = lamina.randn(1, 2, 4, 4, requires_grad=True)
    y = LF.interpolate(x, scale_factor=2, mode="bilinear")
    assert y.dtype == lamina.float32 and y.grad_fn.name() == "UpsampleBilinear2DBackward0"
    assert LF.interpolate(x, scale_factor=2).grad_fn.name() == "UpsampleNearest2DBackward0"
    assert LF.interpolate(x.double(), size=3, mode="bicubic").dtype == lamina.float64


@pytest.mark.parametrize("kwargs", [
    dict(size=(3, 3), scale_factor=2), dict(), dict(size=(3, 3, 3)), dict(size=3, mode="foo"),
    dict(scale_factor=2, mode="linear"), dict(scale_factor=2, mode="nearest", align_corners=True),
    dict(scale_factor=(2, 2, 2)), dict(size=3, recompute_scale_factor=True), dict(size=3, mode="trilinear"),
])
def test_interpolate_errors(kwargs):
    x = np.zeros((1, 2, 5, 5), "float32")
    with pytest.raises(Exception) as t_err:
        torch.nn.functional.interpolate(torch.from_numpy(x), **kwargs)
    with pytest.raises(type(t_err.value)) as l_err:
        LF.interpolate(lamina.from_numpy(x), **kwargs)
    assert str(l_err.value) == str(t_err.value)


def test_interpolate_wrong_rank_errors():
    for shape, mode in [((1, 2, 5), "bilinear"), ((2, 5), "nearest")]:
        x = np.zeros(shape, "float32")
        with pytest.raises(NotImplementedError) as t_err:
            torch.nn.functional.interpolate(torch.from_numpy(x), size=3, mode=mode)
        with pytest.raises(NotImplementedError) as l_err:
            LF.interpolate(lamina.from_numpy(x), size=3, mode=mode)
        assert str(l_err.value) == str(t_err.value)


@pytest.mark.parametrize("shape,kwargs", [
    ((1, 2, 5), dict(size=3, mode="bicubic")), ((1, 1, 3, 3, 3), dict(size=3, mode="bicubic")),
    ((1, 0, 3, 3), dict(size=2, mode="bicubic")), ((1, 1, 3), dict(scale_factor=0.2)),
    ((1, 1, 3, 3), dict(scale_factor=0.2, mode="bilinear")), ((1, 1, 3, 3, 3), dict(scale_factor=0.2)),
    ((1, 1, 0, 3), dict(size=2, mode="nearest")),
])
def test_interpolate_configuration_errors(shape, kwargs):
    x = np.zeros(shape, "float32")
    with pytest.raises(Exception) as t_err:
        torch.nn.functional.interpolate(torch.from_numpy(x), **kwargs)
    with pytest.raises(type(t_err.value)) as l_err:
        LF.interpolate(lamina.from_numpy(x), **kwargs)
    assert str(l_err.value) == str(t_err.value)


@pytest.mark.parametrize("shape", [(1, 1, 3), (1, 2, 3, 3), (1, 1, 3, 3, 3)])
def test_area_interpolation_to_an_empty_size(shape):
    check(lambda lib, x: lib.nn.functional.interpolate(x, scale_factor=0.2, mode="area"), [shape], grad=False)


# ---- pixel shuffle ---------------------------------------------------------------------------------
@pytest.mark.parametrize("shape,r", [((2, 8, 3, 4), 2), ((9, 2, 2), 3), ((2, 2, 4, 1, 3), 2)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_pixel_shuffle(shape, r, dtype):
    check(lambda lib, x: lib.nn.functional.pixel_shuffle(x, r), [shape], dtype=dtype)
    out = tuple(torch.nn.functional.pixel_shuffle(torch.zeros(shape), r).shape)
    check(lambda lib, x: lib.nn.functional.pixel_unshuffle(x, r), [out], dtype=dtype)


def test_pixel_shuffle_modules_and_round_trip():
    for t_mod, l_mod, shape in [(torch.nn.PixelShuffle(2), lnn.PixelShuffle(2), (2, 8, 3, 4)),
                                (torch.nn.PixelUnshuffle(3), lnn.PixelUnshuffle(3), (2, 2, 6, 9))]:
        assert repr(l_mod) == repr(t_mod)
        check_module(t_mod, l_mod, [shape])
    x = lamina.randn(2, 12, 3, 5)
    np.testing.assert_array_equal(LF.pixel_unshuffle(LF.pixel_shuffle(x, 2), 2).numpy(), x.numpy())


@pytest.mark.parametrize("fn,shape,r", [("pixel_shuffle", (1, 5, 2, 2), 2), ("pixel_shuffle", (5, 2), 2),
                                        ("pixel_unshuffle", (1, 5, 3, 2), 2), ("pixel_unshuffle", (1, 5, 2, 3), 2)])
def test_pixel_shuffle_errors(fn, shape, r):
    x = np.zeros(shape, "float32")
    with pytest.raises(RuntimeError) as t_err:
        getattr(torch.nn.functional, fn)(torch.from_numpy(x), r)
    with pytest.raises(RuntimeError) as l_err:
        getattr(LF, fn)(lamina.from_numpy(x), r)
    assert str(l_err.value) == str(t_err.value)


# ---- channel shuffle -------------------------------------------------------------------------------
@pytest.mark.parametrize("shape,groups", [((2, 6, 3), 3), ((1, 4, 2, 2), 2), ((2, 6, 3, 3, 2, 2), 2), ((1, 5, 2), 1),
                                          ((2, 6, 2), 6)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_channel_shuffle(shape, groups, dtype):
    check(lambda lib, x: lib.nn.functional.channel_shuffle(x, groups), [shape], dtype=dtype)
    check(lambda lib, x: lib.channel_shuffle(x, groups), [shape], dtype=dtype)
    t_mod, l_mod = torch.nn.ChannelShuffle(groups), lnn.ChannelShuffle(groups)
    assert repr(l_mod) == repr(t_mod)
    check_module(t_mod, l_mod, [shape], dtype=dtype)


@pytest.mark.parametrize("shape,groups", [((2, 6), 3), ((2, 6, 3, 3), 4), ((2, 6, 3), 0), ((2, 6, 3), -1)])
def test_channel_shuffle_errors(shape, groups):
    x = np.zeros(shape, "float32")
    with pytest.raises(RuntimeError) as t_err:
        torch.nn.functional.channel_shuffle(torch.from_numpy(x), groups)
    with pytest.raises(RuntimeError) as l_err:
        LF.channel_shuffle(lamina.from_numpy(x), groups)
    assert str(l_err.value) == str(t_err.value)


@pytest.mark.parametrize("fn,shape", [("pixel_unshuffle", (0, 2, 4, 4)), ("pixel_unshuffle", (2, 0, 4, 4)),
                                      ("pixel_unshuffle", (2, 2, 0, 4)), ("pixel_shuffle", (0, 8, 2, 2)),
                                      ("pixel_shuffle", (4, 0, 2))])
def test_pixel_shuffle_of_empty_input(fn, shape):
    check(lambda lib, x: getattr(lib.nn.functional, fn)(x, 2), [shape], grad=False)  # torch cannot backprop these


@pytest.mark.parametrize("shape, scale", [((2, 3, 5), 1.1), ((1, 2, 7), 1.05), ((1, 1, 10), 2.01), ((1, 2, 3, 4, 5), 1.3),
                                          ((1, 1, 4, 10, 10), (2.01, 1.0, 1.01)), ((1, 2, 5, 5), 1.1), ((1, 1, 10, 10), 2.01)])
def test_nearest_applies_the_scale_when_the_size_stays_or_doubles(shape, scale):
    """PyTorch's 1-D and 3-D nearest kernels map through the scale even when floor(n·s) is n or
    2n; its 2-D kernel copies or repeats then, and so does every backward kernel (PyTorch's
    gradient, not the forward's adjoint, is what lamina matches)."""
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    t = torch.tensor(x, requires_grad=True)
    m = lamina.tensor(x, requires_grad=True)
    yt = torch.nn.Upsample(scale_factor=scale, mode="nearest")(t)
    ym = lamina.nn.Upsample(scale_factor=scale, mode="nearest")(m)
    assert tuple(ym.shape) == tuple(yt.shape)
    np.testing.assert_array_equal(ym.detach().numpy(), yt.detach().numpy())
    w = np.random.default_rng(1).standard_normal(tuple(yt.shape)).astype(np.float32)
    (yt * torch.tensor(w)).sum().backward()
    (ym * lamina.tensor(w)).sum().backward()
    np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), rtol=1e-6)
