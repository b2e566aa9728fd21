"""Fractional max pooling: with the same _random_samples the output and indices equal PyTorch's
exactly (2-D and 3-D, output_size and output_ratio, batched and not, overlapping windows, ties,
NaN and -inf); gradients, the module (buffer, errors) and the default random draw."""
import numpy as np
import pytest
import torch

import lamina
from oracle import check, check_error

CASES_2D = [  # input shape, kernel, output_size
    ((3, 4, 7, 6), 2, (3, 3)),
    ((2, 3, 9, 8), 3, (5, 4)),      # windows overlap (steps smaller than the kernel)
    ((2, 2, 10, 10), (2, 3), 4),
    ((2, 3, 11, 7), 1, (11, 7)),    # every pixel its own window
    ((1, 2, 8, 8), 4, (1, 5)),      # one output row: the window sits at the end
    ((3, 5, 6), 2, (4, 3)),         # unbatched
    ((0, 3, 6, 6), 2, (3, 3)),      # empty batch
    ((2, 3, 6, 6), 2, (0, 2)),      # empty output
]
CASES_3D = [
    ((2, 3, 6, 7, 5), 2, (3, 4, 3)),
    ((1, 2, 8, 7, 6), (3, 2, 2), (4, 5, 3)),
    ((3, 5, 5, 5), 2, 3),           # unbatched
]


def _samples(shape, nd, dtype, seed=1):
    batch = shape[0] if len(shape) == nd + 2 else 1
    return np.random.default_rng(seed).random((batch, shape[-nd - 1], nd)).astype(dtype)


def _exact(t_out, l_out):
    for a, b in zip(t_out, l_out):
        assert str(b.dtype)[-7:] == str(a.dtype)[-7:]
        np.testing.assert_array_equal(b.detach().numpy(), a.detach().numpy())


@pytest.mark.parametrize("shape,k,out", CASES_2D)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fractional_max_pool2d_equals_torch(shape, k, out, dtype):
    t_out, l_out = check(lambda lib, x, u: lib.nn.functional.fractional_max_pool2d(
        x, k, output_size=out, return_indices=True, _random_samples=u),
        [shape, _samples(shape, 2, dtype)], dtype=dtype, grad_inputs=[0])
    _exact(t_out, l_out)


@pytest.mark.parametrize("shape,k,out", CASES_3D)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fractional_max_pool3d_equals_torch(shape, k, out, dtype):
    t_out, l_out = check(lambda lib, x, u: lib.nn.functional.fractional_max_pool3d(
        x, k, output_size=out, return_indices=True, _random_samples=u),
        [shape, _samples(shape, 3, dtype)], dtype=dtype, grad_inputs=[0])
    _exact(t_out, l_out)


@pytest.mark.parametrize("seed", range(4))
def test_many_offsets_float32_floors_agree(seed):
    # many planes, many offsets: the window starts (float32 floors) must agree everywhere
    shape = (8, 16, 23, 19)
    t_out, l_out = check(lambda lib, x, u: lib.nn.functional.fractional_max_pool2d_with_indices(
        x, 3, output_size=(13, 8), _random_samples=u), [shape, _samples(shape, 2, "float32", seed)],
        grad_inputs=[0], seed=seed)
    _exact(t_out, l_out)


def test_ties_nan_and_minus_inf():
    x = np.zeros((1, 3, 6, 6), dtype="float32")
    x[0, 1, ::2, ::3] = np.nan
    x[0, 2] = -np.inf
    x[0, 2, 4, 4] = np.nan
    u = _samples(x.shape, 2, "float32")
    t_out, l_out = check(lambda lib, x, u: lib.nn.functional.fractional_max_pool2d(
        x, 3, output_size=3, return_indices=True, _random_samples=u), [x, u], grad=False)
    _exact(t_out, l_out)


def test_output_ratio_and_module():
    shape = (2, 3, 9, 7)
    u = _samples(shape, 2, "float32")
    for ratio in (0.5, (0.6, 0.4)):
        t_out, l_out = check(lambda lib, x, u: lib.nn.FractionalMaxPool2d(
            2, output_ratio=ratio, return_indices=True, _random_samples=u)(x), [shape, u], grad_inputs=[0])
        _exact(t_out, l_out)
    shape3 = (2, 2, 6, 6, 7)
    u3 = _samples(shape3, 3, "float64")
    t_out, l_out = check(lambda lib, x, u: lib.nn.FractionalMaxPool3d(
        (2, 3, 2), output_ratio=(0.5, 0.6, 0.7), _random_samples=u)(x), [shape3, u3], dtype="float64",
        grad_inputs=[0])
    _exact([t_out], [l_out])
    t = torch.nn.FractionalMaxPool2d(2, output_ratio=0.5, _random_samples=torch.from_numpy(u))
    m = lamina.nn.FractionalMaxPool2d(2, output_ratio=0.5, _random_samples=lamina.from_numpy(u))
    assert repr(m) == repr(t) == "FractionalMaxPool2d()"
    assert list(m.state_dict()) == list(t.state_dict()) == ["_random_samples"]
    assert list(lamina.nn.FractionalMaxPool3d(2, output_size=3).state_dict()) == []
    assert m.kernel_size == t.kernel_size and m.output_ratio == t.output_ratio and m.output_size is None


def test_default_samples_come_from_lamina_generator():
    x = lamina.randn(2, 3, 9, 9)
    lamina.manual_seed(3)
    a, ia = lamina.nn.functional.fractional_max_pool2d(x, 2, output_size=4, return_indices=True)
    lamina.manual_seed(3)
    u = lamina.rand(2, 3, 2)
    b, ib = lamina.nn.functional.fractional_max_pool2d(x, 2, output_size=4, return_indices=True, _random_samples=u)
    assert np.array_equal(a.numpy(), b.numpy()) and np.array_equal(ia.numpy(), ib.numpy())
    # and they are what torch computes from those same offsets
    t = torch.nn.functional.fractional_max_pool2d(torch.from_numpy(x.numpy()), 2, output_size=4,
                                                  _random_samples=torch.from_numpy(u.numpy()))
    assert np.array_equal(a.numpy(), t.numpy())
    # unbatched input draws (1, C, nd) offsets; every output is a max of the input
    y = lamina.nn.functional.fractional_max_pool3d(lamina.randn(3, 5, 5, 5), 2, output_ratio=(0.5, 0.5, 0.5))
    assert y.shape == (3, 2, 2, 2)


def test_errors():
    def f2(lib, *a, **kw):
        return lib.nn.functional.fractional_max_pool2d(*a, **kw)

    def f3(lib, *a, **kw):
        return lib.nn.functional.fractional_max_pool3d(*a, **kw)
    check_error(lambda lib: f2(lib, lib.ones(2, 3, 7, 6), 3, output_size=6), RuntimeError,
                r"fractional_max_pool2d\(\): pool height 3 too large relative to input height 7")
    check_error(lambda lib: f2(lib, lib.ones(2, 3, 7, 6), 3, output_size=(5, 5)), RuntimeError,
                r"fractional_max_pool2d\(\): pool width 3 too large relative to input width 6")
    check_error(lambda lib: f3(lib, lib.ones(2, 3, 5, 6, 7), 2, output_size=(4, 3, 3)), RuntimeError,
                r"fractional_max_pool3d_out\(\): pool time 2 too large relative to input time 5")
    check_error(lambda lib: f2(lib, lib.ones(2, 3, 7, 6), 2, output_size=3, _random_samples=lib.rand(2, 3, 3)),
                RuntimeError, r"Expect _random_samples.size\(2\) equals to 2; got 3.")
    check_error(lambda lib: f2(lib, lib.ones(2, 3, 7, 6), 2, output_size=3, _random_samples=lib.rand(1, 3, 2)),
                RuntimeError, r"Expect _random_samples.size\(0\) no less then input batch size.")
    check_error(lambda lib: f2(lib, lib.ones(2, 3, 7, 6), 2, output_size=3, _random_samples=lib.rand(2, 4, 2)),
                RuntimeError, r"Expect _random_samples.size\(1\) equals to input channel size.")
    check_error(lambda lib: f2(lib, lib.ones(2, 3, 7, 6), 2, output_size=3, _random_samples=lib.rand(2, 3)),
                RuntimeError, "Expect _random_samples to have 3 dimensions, got 2")
    check_error(lambda lib: f2(lib, lib.ones(2, 3, 7, 6), 2, output_size=3,
                               _random_samples=lib.rand(2, 3, 2, dtype=lib.float64)),
                RuntimeError, "Expect _random_samples to have the same dtype as input")
    check_error(lambda lib: f2(lib, lib.ones(2, 0, 7, 6), 2, output_size=3), RuntimeError,
                r"fractional_max_pool2d\(\): Expected input to have non-zero size for non-batch dimensions, but "
                r"got\[2, 0, 7, 6\] with dimension 1 being empty.")
    check_error(lambda lib: f2(lib, lib.ones(2, 3, 7, 6), 2), ValueError,
                "fractional_max_pool2d requires specifying either an output_size or an output_ratio")
    check_error(lambda lib: f3(lib, lib.ones(2, 3, 5, 6, 7), 2), ValueError,
                "fractional_max_pool3d requires specifying either an output_size or an output_ratio")
    check_error(lambda lib: f2(lib, lib.ones(2, 3, 7, 6), 2, output_ratio=(0.5, 0.5, 0.5)), ValueError,
                "fractional_max_pool2d requires output_ratio to either be a single Int or tuple of Ints.")
    check_error(lambda lib: f2(lib, lib.ones(2, 3, 7, 6), (2, 2, 2), output_size=3), RuntimeError,
                "fractional_max_pool2d: kernel_size must either be a single Int or tuple of Ints")
    check_error(lambda lib: f3(lib, lib.ones(2, 3, 5, 6, 7), (2, 2), output_size=3), RuntimeError,
                "fractional_max_pool3d: kernel_size must either be a single Int or tuple of three Ints")
    check_error(lambda lib: lib.nn.FractionalMaxPool2d(2), ValueError,
                "FractionalMaxPool2d requires specifying either an output size, or a pooling ratio")
    check_error(lambda lib: lib.nn.FractionalMaxPool3d(2), ValueError,
                "FractionalMaxPool3d requires specifying either an output size, or a pooling ratio")
    check_error(lambda lib: lib.nn.FractionalMaxPool2d(2, 3, 0.5), ValueError,
                "only one of output_size and output_ratio may be specified")
    check_error(lambda lib: lib.nn.FractionalMaxPool3d(2, output_ratio=(0.5, 0.5, 1)), ValueError,
                r"output_ratio must be between 0 and 1 \(got \(0.5, 0.5, 1\)\)")


def test_grad_fn_names():
    x = lamina.randn(1, 1, 5, 5, requires_grad=True)
    assert lamina.nn.functional.fractional_max_pool2d(x, 2, output_size=3).grad_fn.name() == \
        "FractionalMaxPool2DBackward0"
    y = lamina.randn(1, 1, 5, 5, 5, requires_grad=True)
    assert lamina.nn.functional.fractional_max_pool3d(y, 2, output_size=3).grad_fn.name() == \
        "FractionalMaxPool3DBackward0"


@pytest.mark.parametrize("nd", [2, 3])
def test_float16_offsets_computed_in_half_as_torch(nd):
    shape, out = ((3, 4, 23, 19), (13, 8)) if nd == 2 else ((2, 3, 9, 9, 9), (5, 6, 4))
    t_out, l_out = check(lambda lib, x, u: getattr(lib.nn.functional, f"fractional_max_pool{nd}d")(
        x, 3 if nd == 2 else 2, output_size=out, return_indices=True, _random_samples=u),
        [np.random.default_rng(5).standard_normal(shape).astype("float16"), _samples(shape, nd, "float16")],
        dtype="float16", grad=False)
    _exact(t_out, l_out)
