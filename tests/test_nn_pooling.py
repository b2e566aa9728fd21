"""Pooling (max, average, adaptive, LP, unpooling) against PyTorch: values, indices, gradients,
dtypes, ceil_mode edge windows, ties and NaN, module reprs and error messages. Runs with the
compiled kernels (lamina/_accel) and with the NumPy paths (`kernel_path`)."""
import itertools

import numpy as np
import pytest
import torch

import lamina
import lamina.nn as lnn
import lamina.nn.functional as LF
from oracle import check, check_module

DTYPES = ["float32", "float64"]
pytestmark = pytest.mark.usefixtures("kernel_path")

MAX2D = [c for c in itertools.product(
    [2, 3, (2, 3)],        # kernel
    [None, 1, 2, (1, 2)],  # stride
    [0, 1],                # padding
    [1, 2],                # dilation
    [False, True],         # ceil_mode
)]


@pytest.mark.parametrize("kernel,stride,padding,dilation,ceil_mode", MAX2D)
def test_max_pool2d_configurations(kernel, stride, padding, dilation, ceil_mode):
    check(lambda lib, x: lib.nn.functional.max_pool2d(x, kernel, stride, padding, dilation, ceil_mode,
                                                      return_indices=True),
          [(2, 3, 9, 8)], dtype="float64")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(2, 3, 8, 8), (3, 7, 9), (1, 1, 2, 2)])
def test_max_pool2d_common_case(dtype, shape):
    check(lambda lib, x: lib.nn.functional.max_pool2d(x, 2), [shape], dtype=dtype)


@pytest.mark.parametrize("fn,shape", [("adaptive_max_pool2d", (2, 3, 4, 5)), ("adaptive_max_pool2d", (3, 4, 5)),
                                      ("adaptive_max_pool1d", (2, 3, 6)), ("adaptive_max_pool3d", (1, 2, 3, 2, 4))])
def test_global_adaptive_max_pool_ties_and_nan(fn, shape):
    # output size 1 takes a plane-wide argmax: ties give the first maximum, NaN the last NaN
    x = np.random.default_rng(1).integers(0, 3, shape).astype("float32")
    x.reshape(-1, x.shape[-1])[0, 1:3] = np.nan
    check(lambda lib, t: getattr(lib.nn.functional, fn)(t, 1, return_indices=True), [x])
    check(lambda lib, t: getattr(lib.nn.functional, fn)(t, 1), [x.astype("float64")], dtype="float64")


def test_max_pool_ties_take_the_first_maximum():
    # all-equal windows (what ReLU leaves behind): value, index and gradient go to the first one
    x = np.array([[[[1., 1, 2, 2], [1, 1, 2, 2], [0, 0, 0, 0], [0, 0, 0, 0]]]])
    check(lambda lib, x: lib.nn.functional.max_pool2d(x, 2, return_indices=True), [x], dtype="float64")
    check(lambda lib, x: lib.nn.functional.max_pool2d(x, 3, 1, 1, return_indices=True), [x], dtype="float64")
    check(lambda lib, x: lib.nn.functional.max_pool2d(x, 2, 1, return_indices=True), [x], dtype="float64")
    check(lambda lib, x: lib.nn.functional.adaptive_max_pool2d(x, 3, return_indices=True), [x], dtype="float64")
    r = np.random.default_rng(0).integers(0, 3, (2, 3, 7, 6)).astype("float32")  # many ties
    check(lambda lib, x: lib.nn.functional.max_pool2d(x, 3, 2, 1, ceil_mode=True, return_indices=True), [r])


def test_max_pool_window_of_minus_inf_reports_first_position_inside():
    x = np.full((1, 1, 4, 5), -np.inf)
    x[0, 0, 3, 4] = 1.0
    check(lambda lib, x: lib.nn.functional.max_pool2d(x, 3, 2, 1, return_indices=True), [x], dtype="float64")
    check(lambda lib, x: lib.nn.functional.max_pool2d(x, 2, 1, 1, ceil_mode=True, return_indices=True), [x],
          dtype="float64")


def test_max_pool_nan_propagates_like_torch():
    x = np.array([[[1., np.nan, 3, np.nan, -1, 2]]])
    check(lambda lib, x: lib.nn.functional.max_pool2d(x, (1, 4), return_indices=True), [x[:, :, :4]],
          dtype="float64", grad=False)
    check(lambda lib, x: lib.nn.functional.max_pool1d(x, 2, return_indices=True), [x], dtype="float64", grad=False)


@pytest.mark.parametrize("kernel,stride,padding,dilation,ceil_mode", [
    (2, None, 0, 1, False), (3, 2, 1, 1, True), (3, 1, 1, 2, False), (4, 3, 2, 1, True), (2, 3, 0, 1, True)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_max_pool1d_configurations(kernel, stride, padding, dilation, ceil_mode, dtype):
    check(lambda lib, x: lib.nn.functional.max_pool1d(x, kernel, stride, padding, dilation, ceil_mode,
                                                      return_indices=True), [(2, 3, 10)], dtype=dtype)
    check(lambda lib, x: lib.nn.functional.max_pool1d(x, kernel, stride, padding, dilation, ceil_mode),
          [(3, 11)], dtype=dtype)


@pytest.mark.parametrize("kernel,stride,padding", [(2, None, 0), (3, 2, 1), ((1, 2, 2), (1, 2, 1), (0, 1, 1))])
def test_max_pool3d(kernel, stride, padding):
    check(lambda lib, x: lib.nn.functional.max_pool3d(x, kernel, stride, padding, return_indices=True),
          [(2, 2, 4, 5, 6)], dtype="float64")
    check(lambda lib, x: lib.nn.functional.max_pool3d(x, kernel, stride, padding), [(2, 4, 5, 6)], dtype="float64")


AVG2D = [c for c in itertools.product(
    [2, 3, (3, 2)],        # kernel
    [None, 1, (2, 1)],     # stride
    [0, 1],                # padding
    [False, True],         # ceil_mode
    [True, False],         # count_include_pad
    [None, 5],             # divisor_override
)]


@pytest.mark.parametrize("kernel,stride,padding,ceil_mode,count_include_pad,divisor", AVG2D)
def test_avg_pool2d_configurations(kernel, stride, padding, ceil_mode, count_include_pad, divisor):
    check(lambda lib, x: lib.nn.functional.avg_pool2d(x, kernel, stride, padding, ceil_mode, count_include_pad,
                                                      divisor),
          [(2, 3, 9, 8)], dtype="float64")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(2, 3, 8, 8), (3, 7, 9)])
def test_avg_pool2d_common_case(dtype, shape):
    check(lambda lib, x: lib.nn.functional.avg_pool2d(x, 2), [shape], dtype=dtype)


@pytest.mark.parametrize("kernel,stride,padding,ceil_mode,count_include_pad", [
    (2, None, 0, False, True), (3, 2, 1, True, True), (3, 2, 1, True, False), (4, 3, 2, False, False)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_avg_pool1d_and_3d(kernel, stride, padding, ceil_mode, count_include_pad, dtype):
    check(lambda lib, x: lib.nn.functional.avg_pool1d(x, kernel, stride, padding, ceil_mode, count_include_pad),
          [(2, 3, 11)], dtype=dtype)
    check(lambda lib, x: lib.nn.functional.avg_pool3d(x, kernel, stride, padding, ceil_mode, count_include_pad),
          [(1, 2, 5, 6, 7)], dtype=dtype)


OUT_SIZES = [1, 2, 3, (3, 2), (None, 4), (5, 7), (4, 6), (6, 9)]


@pytest.mark.parametrize("output_size", OUT_SIZES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_adaptive_pool2d(output_size, dtype):
    check(lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(x, output_size), [(2, 3, 7, 6)], dtype=dtype)
    check(lambda lib, x: lib.nn.functional.adaptive_max_pool2d(x, output_size, return_indices=True),
          [(2, 3, 7, 6)], dtype=dtype)
    check(lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(x, output_size), [(3, 8, 6)], dtype=dtype)


@pytest.mark.parametrize("output_size", [1, 3, 4, 10])
def test_adaptive_pool1d_and_3d(output_size):
    check(lambda lib, x: lib.nn.functional.adaptive_avg_pool1d(x, output_size), [(2, 3, 7)], dtype="float64")
    check(lambda lib, x: lib.nn.functional.adaptive_max_pool1d(x, output_size, return_indices=True), [(2, 3, 7)],
          dtype="float64")
    size = min(output_size, 4)
    check(lambda lib, x: lib.nn.functional.adaptive_avg_pool3d(x, size), [(1, 2, 4, 5, 6)], dtype="float64")
    check(lambda lib, x: lib.nn.functional.adaptive_max_pool3d(x, size), [(2, 4, 5, 6)], dtype="float64")


def test_adaptive_avg_pool_zero_output_and_channels():
    check(lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(x, (0, 2)), [(1, 2, 5, 5)], grad=False)
    check(lambda lib, x: lib.nn.functional.adaptive_avg_pool2d(x, 3), [(1, 0, 5, 5)], grad=False)


@pytest.mark.parametrize("norm_type", [1, 2, 3.0])
def test_lp_pool(norm_type):
    x = np.abs(np.random.default_rng(0).standard_normal((2, 3, 7, 6))) + 0.1
    check(lambda lib, x: lib.nn.functional.lp_pool2d(x, norm_type, 2), [x], dtype="float64")
    check(lambda lib, x: lib.nn.functional.lp_pool2d(x, norm_type, (3, 2), 2, ceil_mode=True), [x], dtype="float64")
    check(lambda lib, x: lib.nn.functional.lp_pool1d(x, norm_type, 3, 2), [x[0]], dtype="float64")


@pytest.mark.parametrize("norm_type", [1.5, 2.5])
def test_lp_pool_fractional_norm_of_negative_input_gives_torch_nans(norm_type):
    # x^p is NaN for x < 0: the NaN window's gradient reaches every element of it, as in PyTorch
    check(lambda lib, x: lib.nn.functional.lp_pool2d(x, norm_type, 2), [(1, 2, 4, 4)], dtype="float64")
    check(lambda lib, x: lib.nn.functional.lp_pool1d(x, norm_type, 3, 2), [(2, 9)], dtype="float64")


@pytest.mark.parametrize("kernel,stride,padding,output_size,shape", [
    (2, None, 0, None, (2, 3, 6, 8)), (3, 2, 1, None, (2, 3, 7, 7)), (2, 2, 0, (7, 7), (1, 3, 7, 7)),
    (3, 2, 1, (1, 3, 8, 8), (1, 3, 8, 8))])
def test_max_unpool2d_inverts_max_pool2d(kernel, stride, padding, output_size, shape):
    def fn(lib, x):
        out, idx = lib.nn.functional.max_pool2d(x, kernel, stride, padding, return_indices=True)
        return lib.nn.functional.max_unpool2d(out, idx, kernel, stride, padding, output_size)
    check(fn, [shape], dtype="float64")


def test_max_unpool1d_and_3d():
    def fn1(lib, x):
        out, idx = lib.nn.functional.max_pool1d(x, 2, return_indices=True)
        return lib.nn.functional.max_unpool1d(out, idx, 2)
    check(fn1, [(2, 3, 8)], dtype="float64")

    def fn3(lib, x):
        out, idx = lib.nn.functional.max_pool3d(x, 2, return_indices=True)
        return lib.nn.functional.max_unpool3d(out, idx, 2)
    check(fn3, [(1, 2, 4, 4, 6)], dtype="float64")


# ---- modules -------------------------------------------------------------------------------------
MODULES = [
    ("MaxPool1d", (3,), {"stride": 2, "padding": 1, "ceil_mode": True}, (2, 3, 10)),
    ("MaxPool2d", (2,), {}, (2, 3, 8, 6)),
    ("MaxPool2d", ((3, 2),), {"stride": (2, 1), "padding": (1, 0), "dilation": (1, 2)}, (3, 9, 8)),
    ("MaxPool3d", (2,), {"ceil_mode": True}, (1, 2, 5, 4, 5)),
    ("AvgPool1d", (3,), {"stride": 2, "padding": 1, "count_include_pad": False}, (2, 3, 10)),
    ("AvgPool2d", (2,), {}, (2, 3, 8, 6)),
    ("AvgPool2d", (3,), {"stride": 2, "padding": 1, "ceil_mode": True, "divisor_override": 4}, (2, 3, 8, 7)),
    ("AvgPool3d", (2,), {"stride": 1}, (1, 2, 3, 4, 3)),
    ("AdaptiveAvgPool1d", (4,), {}, (2, 3, 10)),
    ("AdaptiveAvgPool2d", ((3, None),), {}, (2, 3, 8, 7)),
    ("AdaptiveAvgPool2d", (1,), {}, (2, 3, 8, 7)),
    ("AdaptiveAvgPool3d", (2,), {}, (1, 2, 4, 5, 3)),
    ("AdaptiveMaxPool1d", (4,), {}, (2, 3, 10)),
    ("AdaptiveMaxPool2d", ((3, 4),), {}, (2, 3, 8, 7)),
    ("AdaptiveMaxPool3d", (2,), {}, (1, 2, 4, 5, 3)),
    ("LPPool1d", (2, 3), {"stride": 2}, (2, 3, 10)),
    ("LPPool2d", (2, 2), {}, (2, 3, 8, 6)),
]


@pytest.mark.parametrize("name,args,kwargs,shape", MODULES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_pool_modules_match_torch(name, args, kwargs, shape, dtype):
    t_mod = getattr(torch.nn, name)(*args, **kwargs)
    l_mod = getattr(lnn, name)(*args, **kwargs)
    assert repr(l_mod) == repr(t_mod)
    x = np.abs(np.random.default_rng(1).standard_normal(shape)) + 0.1 if name.startswith("LP") else shape
    check_module(t_mod, l_mod, [x if isinstance(x, tuple) else x.astype(dtype)], dtype=dtype)


def test_pool_modules_with_indices_and_unpool():
    check_module(torch.nn.MaxPool2d(2, return_indices=True), lnn.MaxPool2d(2, return_indices=True), [(2, 3, 6, 6)])
    check_module(torch.nn.AdaptiveMaxPool2d(3, return_indices=True), lnn.AdaptiveMaxPool2d(3, return_indices=True),
                 [(2, 3, 7, 6)])
    for nd in (1, 2, 3):
        t_mod, l_mod = getattr(torch.nn, f"MaxUnpool{nd}d")(2), getattr(lnn, f"MaxUnpool{nd}d")(2)
        assert repr(l_mod) == repr(t_mod)
    pool_t, pool_l = torch.nn.MaxPool2d(2, return_indices=True), lnn.MaxPool2d(2, return_indices=True)
    unpool_t, unpool_l = torch.nn.MaxUnpool2d(2), lnn.MaxUnpool2d(2)
    check(lambda lib, x: (unpool_t if lib is torch else unpool_l)(*(pool_t if lib is torch else pool_l)(x)),
          [(2, 3, 6, 8)])


def test_pool_outputs_keep_dtype_and_grad_fn():
    x = lamina.randn(2, 3, 8, 8, requires_grad=True)
    y = LF.max_pool2d(x, 2)
    assert y.dtype == lamina.float32 and y.grad_fn.name() == "MaxPool2DWithIndicesBackward0"
    assert LF.avg_pool2d(x, 2).grad_fn.name() == "AvgPool2DBackward0"
    assert LF.adaptive_avg_pool2d(x.double(), 3).dtype == lamina.float64
    _, idx = LF.max_pool2d(x, 2, return_indices=True)
    assert idx.dtype == lamina.int64 and not idx.requires_grad


def test_integer_max_pool():
    x = np.random.default_rng(0).integers(-50, 50, (2, 3, 6, 6))
    check(lambda lib, x: lib.nn.functional.max_pool2d(x, 3, 2, 1), [x], grad=False)


# ---- errors ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("fn,shape,args,kwargs", [
    ("max_pool2d", (1, 2, 2, 2), (3,), {}),
    ("max_pool2d", (1, 2, 5, 5), (3,), {"padding": 2}),
    ("max_pool2d", (5,), (3,), {}),
    ("max_pool2d", (1, 2, 5, 5), (0,), {}),
    ("max_pool2d", (1, 2, 5, 5), (0, 1), {}),
    ("max_pool2d", (1, 2, 5, 5), (2, 1, -1), {}),
    ("max_pool2d", (1, 2, 5, 5), (2,), {"dilation": 0}),
    ("max_pool2d", (1, 2, 5, 5), ((2, 2, 2),), {}),
    ("max_pool1d", (2, 2, 5, 5), (3,), {}),
    ("max_pool1d", (1, 2, 2), (3,), {}),
    ("max_pool1d", (1, 2, 5), (3,), {"padding": 2}),
    ("max_pool1d", (1, 2, 5), (0,), {}),
    ("max_pool3d", (1, 2, 2, 5, 5), (3,), {}),
    ("max_pool3d", (2, 5, 5), (3,), {}),
    ("avg_pool2d", (1, 2, 2, 2), (3,), {}),
    ("avg_pool2d", (1, 2, 5, 5), (3,), {"padding": 2}),
    ("avg_pool2d", (1, 2, 5, 5), (2,), {"divisor_override": 0}),
    ("avg_pool2d", (2, 2, 5, 5, 5), (3,), {}),
    ("avg_pool1d", (5,), (3,), {}),
    ("avg_pool1d", (1, 2, 2), (3,), {}),
    ("adaptive_avg_pool2d", (5,), (3,), {}),
    ("adaptive_avg_pool2d", (1, 2, 5, 5), ((3,),), {}),
    ("adaptive_avg_pool2d", (1, 2, 0, 5), (3,), {}),
    ("adaptive_max_pool2d", (5,), (3,), {}),
    ("adaptive_avg_pool1d", (5,), (3,), {}),
    ("adaptive_avg_pool1d", (1, 2, 5), ((3, 2),), {}),
    ("adaptive_avg_pool3d", (2, 5, 5), (2,), {}),
])
def test_pool_error_messages(fn, shape, args, kwargs):
    x = np.zeros(shape, "float32")
    with pytest.raises(Exception) as t_err:
        getattr(torch.nn.functional, fn)(torch.from_numpy(x), *args, **kwargs)
    with pytest.raises(type(t_err.value)) as l_err:
        getattr(LF, fn)(lamina.from_numpy(x), *args, **kwargs)
    assert str(l_err.value) == str(t_err.value)


def test_pool_output_too_small_message():
    with pytest.raises(RuntimeError, match=r"Given input size: \(2x2x2\)\. Calculated output size: \(2x0x0\)\. "
                                           r"Output size is too small"):
        LF.max_pool2d(lamina.zeros(1, 2, 2, 2), 3)


@pytest.mark.parametrize("idx_shape,dtype,output_size", [
    ((1, 2, 2, 2), "int64", (9, 9)), ((1, 2, 2, 3), "int64", None), ((1, 2, 2, 2), "int32", None),
    ((1, 2, 2, 2), "float32", None)])
def test_max_unpool_errors(idx_shape, dtype, output_size):
    x = np.zeros((1, 2, 2, 2), "float32")
    idx = np.zeros(idx_shape, dtype)
    with pytest.raises(Exception) as t_err:
        torch.nn.functional.max_unpool2d(torch.from_numpy(x), torch.from_numpy(idx), 2, output_size=output_size)
    with pytest.raises(type(t_err.value)) as l_err:
        LF.max_unpool2d(lamina.from_numpy(x), lamina.from_numpy(idx), 2, output_size=output_size)
    assert str(l_err.value) == str(t_err.value)


def test_max_unpool_invalid_index():
    x = np.zeros((1, 2, 2, 2), "float32")
    idx = np.full((1, 2, 2, 2), 30, "int64")
    with pytest.raises(RuntimeError, match=r"Found an invalid max index: 30 \(output volumes are of size 4x4\)"):
        LF.max_unpool2d(lamina.from_numpy(x), lamina.from_numpy(idx), 2)


# Configurations PyTorch rejects with its own check: the undilated-kernel padding rule of max
# pooling, avg_pool3d's input-smaller-than-kernel rule, empty non-batch dims, and max_pool1d's
# own wording whether or not the input requires grad.
@pytest.mark.parametrize("fn,shape,args,kwargs", [
    ("max_pool2d", (1, 2, 5, 5), (3,), {"padding": (2, 0), "dilation": 2}),
    ("max_pool2d", (1, 2, 5, 5), (2,), {"padding": (2, 0), "dilation": 3, "return_indices": True}),
    ("max_pool3d", (1, 1, 9, 9, 9), ((3, 5, 7),), {"padding": (0, 0, 4), "dilation": 3}),
    ("max_pool1d", (1, 2, 9), (2,), {"padding": 2, "dilation": 3, "return_indices": True}),
    ("max_pool1d", (1, 2, 9), (2,), {"padding": 2, "dilation": 3}),
    ("max_pool1d", (1, 2, 2), (3,), {}),
    ("max_pool1d", (1, 2, 5), (0,), {}),
    ("max_pool1d", (1, 0, 5), (3,), {}),
    ("max_pool1d", (2, 0), (3,), {"return_indices": True}),
    ("max_pool2d", (1, 2, 0, 5), (3,), {}),
    ("max_pool3d", (2, 5, 5, 0), (3,), {}),
    ("avg_pool1d", (0, 5), (3,), {}),
    ("avg_pool2d", (1, 0, 5, 5), (3,), {}),
    ("avg_pool3d", (1, 1, 2, 5, 5), (3,), {"padding": (1, 0, 0)}),
    ("avg_pool3d", (3, 3, 5, 5), ((3, 6, 1),), {}),
    ("avg_pool3d", (1, 2, 0, 5, 5), (3,), {}),
    ("avg_pool3d", (1, 1, 2, 5, 5), (3,), {"divisor_override": 0}),
    ("lp_pool3d", (1, 1, 2, 5, 5), (2, 3), {}),
    ("adaptive_max_pool2d", (1, 0, 5, 5), (3,), {}),
    ("adaptive_max_pool1d", (2, 0, 5), (3,), {}),
    ("avg_pool3d", (2, 4, 4), (1,), {}),
    ("lp_pool3d", (1, 1, 2, 2, 4, 4), (2, 1), {}),
])
@pytest.mark.parametrize("requires_grad", [False, True])
def test_pool_configuration_errors(fn, shape, args, kwargs, requires_grad):
    x = np.zeros(shape, "float32")
    with pytest.raises(Exception) as t_err:
        getattr(torch.nn.functional, fn)(torch.from_numpy(x).requires_grad_(requires_grad), *args, **kwargs)
    with pytest.raises(type(t_err.value)) as l_err:
        getattr(LF, fn)(lamina.from_numpy(x).requires_grad_(requires_grad), *args, **kwargs)
    assert str(l_err.value) == str(t_err.value)


@pytest.mark.parametrize("fn,shape", [("adaptive_max_pool2d", (0, 5, 5)), ("adaptive_max_pool2d", (0, 2, 5, 5)),
                                      ("adaptive_max_pool1d", (0, 5)), ("adaptive_max_pool3d", (0, 5, 5, 5))])
def test_adaptive_max_pool_empty_leading_dims(fn, shape):
    check(lambda lib, x: getattr(lib.nn.functional, fn)(x, 3, return_indices=True), [shape])


@pytest.mark.parametrize("fn,shape", [("adaptive_avg_pool1d", (1, 2, 4)), ("adaptive_avg_pool2d", (1, 2, 4, 4)),
                                      ("adaptive_avg_pool3d", (2, 4, 4, 4)), ("adaptive_max_pool1d", (1, 2, 4)),
                                      ("adaptive_max_pool2d", (2, 4, 4)), ("adaptive_max_pool3d", (1, 2, 4, 4, 4))])
@pytest.mark.parametrize("dtype", ["int64", "int32", "bool"])
def test_adaptive_pools_refuse_integers(fn, shape, dtype):
    x = np.ones(shape, dtype)
    with pytest.raises(NotImplementedError) as t_err:
        getattr(torch.nn.functional, fn)(torch.from_numpy(x), 2)
    with pytest.raises(NotImplementedError) as l_err:
        getattr(LF, fn)(lamina.from_numpy(x), 2)
    assert str(l_err.value) == str(t_err.value)
