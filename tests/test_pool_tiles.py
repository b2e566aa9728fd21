"""Max pooling whose windows tile the input (kernel = stride, no padding, no dilation): the
windows are copied out as contiguous slabs before the max and argmax. Against PyTorch: values,
indices and gradients, with ties (ReLU zeros), NaN, -inf, uneven sizes and integers. Runs with
the compiled 2×2 kernel (lamina/_accel, float32) and with the NumPy paths (`kernel_path`)."""
import numpy as np
import pytest

from oracle import check

DTYPES = ["float32", "float64"]
pytestmark = pytest.mark.usefixtures("kernel_path")


@pytest.mark.parametrize("kernel", [2, 3, (2, 3), (1, 2)])
@pytest.mark.parametrize("shape", [(2, 3, 8, 6), (2, 3, 9, 7), (3, 6, 6), (1, 1, 3, 3)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_tiled_max_pool2d(kernel, shape, dtype):
    check(lambda lib, x: lib.nn.functional.max_pool2d(x, kernel), [shape], dtype=dtype)
    check(lambda lib, x: lib.nn.functional.max_pool2d(x, kernel, return_indices=True), [shape], dtype=dtype)


def test_tiled_max_pool_ceil_mode_falls_back_at_the_edge():
    # ceil_mode adds a window hanging over the edge: not a tiling, the general path handles it
    check(lambda lib, x: lib.nn.functional.max_pool2d(x, 2, ceil_mode=True, return_indices=True), [(2, 3, 7, 5)])
    check(lambda lib, x: lib.nn.functional.max_pool2d(x, 2, ceil_mode=True, return_indices=True), [(2, 3, 8, 6)])


def test_tiled_max_pool_ties_after_relu():
    # windows of equal values (ReLU's zeros): the first position takes value, index and gradient
    rng = np.random.default_rng(0)
    x = np.maximum(rng.integers(-3, 2, (2, 4, 8, 8)), 0).astype("float32")
    check(lambda lib, x: lib.nn.functional.max_pool2d(x, 2, return_indices=True), [x])
    check(lambda lib, x: lib.nn.functional.max_pool2d(lib.relu(x), 2), [(3, 5, 6, 6)])


@pytest.mark.parametrize("dtype", DTYPES)
def test_tiled_max_pool_nan_and_infinities(dtype):
    rng = np.random.default_rng(1)
    x = rng.integers(0, 3, (2, 2, 6, 6)).astype(dtype)
    x[0, 0, 0, 1] = x[0, 0, 1, 0] = np.nan   # two NaNs in one window: the last one is reported
    x[0, 1, 2:4, 2:4] = -np.inf              # a window of -inf
    x[1, 0, 4, 4] = np.inf
    x[1, 1, 0:2, 0:2] = [[np.inf, -np.inf], [np.inf, 1.0]]
    x[1, 1, 2:4, 2:4] = [[1.0, np.nan], [2.0, 0.0]]        # one NaN, not first: it still wins
    x[1, 1, 4:6, 4:6] = [[np.nan, 5.0], [7.0, 7.0]]        # a NaN first, before larger numbers
    check(lambda lib, x: lib.nn.functional.max_pool2d(x, 2, return_indices=True), [x], dtype=dtype,
          grad=False)
    finite = np.where(np.isnan(x), 0.0, x)
    check(lambda lib, x: lib.nn.functional.max_pool2d(x, 2, return_indices=True), [finite], dtype=dtype)


def test_tiled_max_pool_nan_gradient():
    x = np.arange(32, dtype="float32").reshape(1, 2, 4, 4)
    x[0, 0, 0, 0] = x[0, 1, 3, 2] = np.nan
    check(lambda lib, x: lib.nn.functional.max_pool2d(x, 2), [x])


@pytest.mark.parametrize("kernel", [2, (1, 2, 2), (2, 3, 2)])
def test_tiled_max_pool3d(kernel):
    check(lambda lib, x: lib.nn.functional.max_pool3d(x, kernel, return_indices=True), [(2, 2, 4, 6, 5)])


def test_tiled_integer_max_pool_indices():
    x = np.random.default_rng(2).integers(-5, 5, (2, 3, 6, 8))
    check(lambda lib, x: lib.nn.functional.max_pool2d(x, 2, return_indices=True), [x], grad=False)


def test_tiled_max_pool_module_and_unpool_roundtrip():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 6, 8)).astype("float32")

    def fn(lib, x):
        y, idx = lib.nn.MaxPool2d(2, return_indices=True)(x)
        return lib.nn.MaxUnpool2d(2)(y, idx)
    check(fn, [x])
