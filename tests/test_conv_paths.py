"""Convolution engine paths added for speed, against PyTorch: the bias carried inside the GEMM
(a ones row under the columns) in every column layout, the depthwise input gradient taken
as a convolution with the flipped kernel (stride 1, one input and one output channel per group),
float32 stride-1 depthwise Conv2d in direct compiled loops, and float32 3x3 stride-1 Conv2d by
Winograd F(2x2, 3x3). Runs with the compiled kernels (lamina/_accel) and with the NumPy paths
(`kernel_path`)."""
import numpy as np
import pytest

from oracle import check

DTYPES = ["float32", "float64"]
pytestmark = pytest.mark.usefixtures("kernel_path")


# (input, weight, stride, padding, dilation): each steers conv_forward into one column layout
BIAS_LAYOUTS = [
    ((3, 1, 10, 9), (16, 1, 3, 3), 1, 1, 1),     # image-major (first layer)
    ((2, 4, 6, 7), (8, 4, 1, 1), 1, 0, 1),       # image-major 1x1
    ((2, 5, 7, 6), (3, 5, 3, 3), 1, 1, 1),       # padded rows (junk columns get the bias too)
    ((2, 5, 7, 6), (3, 5, 3, 3), 1, 2, 2),       # padded rows, dilated
    ((2, 5, 9, 7), (3, 5, 3, 3), 2, 1, 1),       # plain (strided)
    ((2, 5, 1, 6), (3, 5, 1, 3), 1, 0, 1),       # plain (one output row)
]


@pytest.mark.parametrize("xs,ws,stride,padding,dilation", BIAS_LAYOUTS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_conv2d_bias_in_the_gemm(xs, ws, stride, padding, dilation, dtype):
    check(lambda lib, x, w, b: lib.nn.functional.conv2d(x, w, b, stride, padding, dilation),
          [xs, ws, (ws[0],)], dtype=dtype)


def test_conv_bias_in_the_gemm_large_bias_and_no_weight_grad():
    # a bias far larger than the products, and only the input and bias needing gradients
    rng = np.random.default_rng(3)
    b = (rng.standard_normal(6) * 1e3).astype("float32")
    check(lambda lib, x, w, b: lib.nn.functional.conv2d(x, w.detach(), b, padding=1),
          [(2, 3, 6, 5), (6, 3, 3, 3), b])
    check(lambda lib, x, w, b: lib.nn.functional.conv1d(x, w, b, padding=2), [(2, 3, 9), (4, 3, 5), (4,)])
    check(lambda lib, x, w, b: lib.nn.functional.conv3d(x, w, b, padding=1), [(1, 2, 4, 5, 4), (3, 2, 3, 3, 3), (3,)])


@pytest.mark.parametrize("padding,dilation", [(1, 1), (0, 1), ("same", 2), (2, 2), ((0, 1), (1, 2))])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("multiplier", [1, 3])  # output channels per input channel
def test_depthwise_conv2d_input_gradient(padding, dilation, bias, dtype, multiplier):
    out = 4 * multiplier
    specs = [(2, 4, 7, 6), (out, 1, 3, 3)] + ([(out,)] if bias else [])
    check(lambda lib, x, w, *b: lib.nn.functional.conv2d(x, w, b[0] if b else None, 1, padding, dilation, 4),
          specs, dtype=dtype)


@pytest.mark.parametrize("shape", [(5, 8, 7), (1, 5, 1, 6)])
def test_depthwise_conv2d_unbatched_and_thin(shape):
    c = shape[-3]
    check(lambda lib, x, w: lib.nn.functional.conv2d(x, w, padding=(0, 1), groups=c), [shape, (c, 1, 1, 3)])


def test_depthwise_conv2d_inf_and_nan_inputs_at_the_edge():
    # the compiled depthwise kernel sums the weight gradient over whole padded rows, whose
    # columns past the output meet the right edge's inputs with zero gradients: an inf there
    # must not turn a weight gradient that PyTorch has finite into NaN
    x = np.random.default_rng(4).standard_normal((2, 3, 6, 7)).astype("float32")
    x[0, 1, 2, 6] = np.inf
    x[1, 0, 4, 6] = np.nan
    x[1, 2, 0, 0] = -np.inf
    for padding in (0, 1):
        check(lambda lib, x, w, b: lib.nn.functional.conv2d(x, w, b, 1, padding, 1, 3),
              [x, (3, 1, 3, 3), (3,)], grad_inputs=[1, 2])
        check(lambda lib, x, w, b: lib.nn.functional.conv2d(x, w, b, 1, padding, 1, 3),  # 2 per channel
              [x, (6, 1, 3, 3), (6,)], grad_inputs=[1, 2])


@pytest.mark.parametrize("shape,kernel,dilation", [((3, 8, 16, 16), (3, 3), 1), ((2, 6, 9, 11), (5, 5), 1),
                                                   ((2, 4, 10, 9), (3, 2), 2), ((1, 2, 3, 3), (1, 1), 1)])
def test_depthwise_conv2d_sizes(shape, kernel, dilation):
    c = shape[1]
    for out in (c, 2 * c):
        check(lambda lib, x, w, b: lib.nn.functional.conv2d(x, w, b, 1, "same" if kernel[0] % 2 else 1, dilation, c),
              [shape, (out, 1) + kernel, (out,)])


def test_depthwise_conv1d_and_3d_input_gradient():
    check(lambda lib, x, w, b: lib.nn.functional.conv1d(x, w, b, padding=1, groups=3), [(2, 3, 8), (3, 1, 3), (3,)])
    check(lambda lib, x, w: lib.nn.functional.conv3d(x, w, padding=(1, 0, 1), groups=2),
          [(1, 2, 4, 5, 4), (2, 1, 3, 2, 3)])


@pytest.mark.parametrize("output_padding,dilation", [(0, 1), (1, 2)])
def test_depthwise_conv_transpose2d(output_padding, dilation):
    # a transposed convolution's forward is the input gradient: the flipped-kernel path with
    # output_padding rows that no input reaches
    check(lambda lib, x, w, b: lib.nn.functional.conv_transpose2d(x, w, b, 1, 1, output_padding, 3, dilation),
          [(2, 3, 5, 6), (3, 1, 3, 3), (3,)], dtype="float64")


# ---- Winograd F(2x2, 3x3): 3x3, stride 1, one group, float32, from 8 input channels ---------------
# (input, out channels, padding): even and odd output sizes (the last tile half outside), every
# padding a 3x3 kernel takes, the channel bounds of the rule (8 in; out = 4 x in), one output row,
# one pixel and no images
WINOGRAD = [
    ((2, 8, 6, 6), 8, 1),
    ((3, 9, 7, 5), 12, 1),
    ((2, 16, 6, 5), 20, 0),
    ((2, 10, 5, 6), 8, 2),
    ((2, 8, 6, 7), 32, "same"),
    ((2, 12, 5, 6), 3, (0, 2)),
    ((1, 8, 3, 9), 8, 0),
    ((2, 8, 1, 1), 8, 1),       # one pixel: a single tile, three quarters outside
    ((0, 8, 5, 5), 8, 1),       # an empty batch
    ((2, 32, 14, 14), 64, 1),   # the benchmark CNN's second layer: sums of 288 terms of about 1
]


@pytest.mark.parametrize("xs,o,padding", WINOGRAD)
@pytest.mark.parametrize("bias", [True, False])
def test_winograd_conv2d(xs, o, padding, bias):
    specs = [xs, (o, xs[1], 3, 3)] + ([(o,)] if bias else [])
    # float32's rounding in sums of 9·C products (im2col's and PyTorch's alike) exceeds the default
    # 1e-5 absolute tolerance where they cancel to near 0: scaled with the sum's length
    check(lambda lib, x, w, *b: lib.nn.functional.conv2d(x, w, b[0] if b else None, 1, padding), specs,
          atol=1e-5 * max(1, 9 * xs[1] / 100))


def test_winograd_conv2d_unbatched_transposed_input_and_partial_gradients():
    check(lambda lib, x, w, b: lib.nn.functional.conv2d(x, w, b, padding=1), [(8, 5, 7), (6, 8, 3, 3), (6,)])
    check(lambda lib, x, w: lib.nn.functional.conv2d(x.transpose(2, 3), w, padding=1), [(2, 8, 7, 6), (8, 8, 3, 3)])
    specs = [(2, 8, 6, 5), (8, 8, 3, 3), (8,)]
    for wanted in ([0], [1], [2], [0, 2], [1, 2]):
        check(lambda lib, x, w, b: lib.nn.functional.conv2d(x, w, b, padding=1), specs, grad_inputs=wanted)


def test_winograd_conv2d_large_values_and_a_large_bias():
    rng = np.random.default_rng(5)
    x = (rng.standard_normal((2, 16, 6, 6)) * 1e3).astype("float32")
    b = (rng.standard_normal(16) * 1e4).astype("float32")
    check(lambda lib, x, w, b: lib.nn.functional.conv2d(x, w, b, padding=1), [x, (16, 16, 3, 3), b],
          rtol=1e-4, atol=1e-2)


def test_winograd_conv2d_leaves_inf_and_nan_to_im2col():
    # Winograd's transforms take differences of neighbouring inputs: one inf would become NaN
    # across its whole tile, so inputs, weights or gradients holding inf or NaN go to im2col
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 8, 6, 6)).astype("float32")
    x[0, 1, 2, 3] = np.inf
    x[1, 4, 0, 5] = -np.inf
    check(lambda lib, x, w: lib.nn.functional.conv2d(x, w, padding=1), [x, (8, 8, 3, 3)])
    w = rng.standard_normal((8, 8, 3, 3)).astype("float32")
    w[2, 3, 1, 1] = np.inf
    check(lambda lib, x, w: lib.nn.functional.conv2d(x, w, padding=1), [(2, 8, 6, 6), w])
    up = rng.standard_normal((2, 8, 6, 6)).astype("float32")
    up[1, 2, 3, 3] = np.inf
    check(lambda lib, x, w, b, up: lib.nn.functional.conv2d(x, w, b, padding=1) * up,
          [(2, 8, 6, 6), (8, 8, 3, 3), (8,), up], grad_inputs=[0, 1, 2])
