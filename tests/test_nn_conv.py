"""Convolutions (F.conv*, F.conv_transpose*, Conv*d, ConvTranspose*d) and fold/unfold against
PyTorch: values, shapes, dtypes, gradients of input, weight and bias, initialisation, repr and
error messages. Small shapes, many configurations. Runs with the compiled kernels (lamina/_accel)
and with the NumPy paths (`kernel_path`)."""
import itertools
import math

import numpy as np
import pytest
import torch

import lamina
import lamina.nn as lnn
import lamina.nn.functional as LF
from oracle import check, check_module

DTYPES = ["float32", "float64"]
pytestmark = pytest.mark.usefixtures("kernel_path")


def _conv_case_ok(padding, stride):
    return not (padding == "same" and stride != 1)


# ---- F.conv2d over a product of configurations ------------------------------------------------
CONV2D = [c for c in itertools.product(
    [1, 2, (2, 1)],                      # stride
    [0, 1, (1, 2), "same", "valid"],     # padding
    [1, 2, (1, 2)],                      # dilation
    [1, 2, "depthwise"],                 # groups
) if _conv_case_ok(c[1], c[0])]


@pytest.mark.parametrize("stride,padding,dilation,groups", CONV2D)
@pytest.mark.parametrize("dtype", DTYPES)
def test_conv2d_configurations(stride, padding, dilation, groups, dtype):
    cin, cout = 4, 6
    if groups == "depthwise":
        groups, cout = cin, 2 * cin          # depthwise with multiplier 2
    check(lambda lib, x, w, b: lib.nn.functional.conv2d(x, w, b, stride, padding, dilation, groups),
          [(2, cin, 9, 8), (cout, cin // groups, 3, 2), (cout,)], dtype=dtype)


@pytest.mark.parametrize("kernel", [(1, 1), (2, 2), (4, 3), (3, 3)])
@pytest.mark.parametrize("dilation", [1, 2])
def test_conv2d_same_padding_even_kernels(kernel, dilation):
    # 'same' with an even effective kernel pads one more on the right/bottom, as PyTorch
    check(lambda lib, x, w: lib.nn.functional.conv2d(x, w, padding="same", dilation=dilation),
          [(1, 3, 7, 6), (5, 3) + kernel], dtype="float64")


# Shapes that steer the engine into each of its column layouts and input-gradient methods:
# image-major (out channels >= window size), padded rows (stride 1), plain (strided), and the
# flipped-kernel input gradient (many more input than output channels).
LAYOUTS = [
    ((3, 1, 10, 9), (16, 1, 3, 3), 1, 1, 1),     # image-major, first-layer style
    ((2, 4, 6, 7), (8, 4, 1, 1), 1, 0, 1),       # 1x1 convolution, image-major
    ((2, 2, 6, 7), (32, 1, 3, 3), 2, 1, 2),      # image-major with groups, strided
    ((2, 4, 6, 7), (36, 1, 3, 3), 1, 1, 4),      # image-major depthwise with multiplier 9
    ((2, 5, 7, 6), (3, 5, 3, 3), 1, 1, 1),       # padded-row layout
    ((2, 6, 7, 6), (6, 2, 3, 3), 1, 1, 3),       # padded-row layout with groups
    ((2, 5, 1, 6), (3, 5, 1, 3), 1, 0, 1),       # one output row: plain layout
    ((2, 5, 9, 7), (3, 5, 3, 3), 2, 1, 1),       # strided: plain layout, col2im input gradient
    ((2, 12, 6, 5), (3, 12, 3, 3), 1, 1, 1),     # C > 2·O: input gradient by the flipped kernel
    ((2, 12, 6, 5), (3, 4, 3, 3), 1, 1, 3),      # the same with groups
    ((1, 2, 5, 5), (2, 2, 5, 5), 1, 0, 1),       # kernel as large as the input: one output pixel
]


@pytest.mark.parametrize("xs,ws,stride,padding,groups", LAYOUTS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_conv2d_engine_layouts(xs, ws, stride, padding, groups, dtype):
    check(lambda lib, x, w, b: lib.nn.functional.conv2d(x, w, b, stride=stride, padding=padding, groups=groups),
          [xs, ws, (ws[0],)], dtype=dtype)


def test_conv2d_batch_of_one_and_unbatched():
    check(lambda lib, x, w, b: lib.nn.functional.conv2d(x, w, b, padding=1), [(1, 3, 5, 4), (2, 3, 3, 3), (2,)])
    check(lambda lib, x, w, b: lib.nn.functional.conv2d(x, w, b, padding=1), [(3, 5, 4), (2, 3, 3, 3), (2,)])
    check(lambda lib, x, w: lib.nn.functional.conv2d(x, w, stride=2, groups=3), [(3, 7, 6), (6, 1, 2, 2)])


def test_conv2d_empty_batch():
    check(lambda lib, x, w, b: lib.nn.functional.conv2d(x, w, b, padding=1), [(0, 3, 5, 4), (2, 3, 3, 3), (2,)])


def test_conv2d_only_some_inputs_require_grad():
    # the first layer of a network: the image needs no gradient, the weight does
    check(lambda lib, x, w, b: lib.nn.functional.conv2d(x, w, b, padding=1), [(2, 1, 8, 8), (8, 1, 3, 3), (8,)],
          grad_inputs=[1, 2])
    check(lambda lib, x, w: lib.nn.functional.conv2d(x, w, padding=1), [(2, 3, 6, 6), (4, 3, 3, 3)], grad_inputs=[0])


def test_conv2d_inf_in_input_gives_torch_weight_gradient():
    # inf/NaN at the right edge is read into the padded-row layout's junk columns; those must
    # not turn the weight gradient into NaN where PyTorch's is finite
    x = np.random.default_rng(3).standard_normal((2, 3, 6, 7))
    x[0, 1, 2, 6] = np.inf
    x[1, 0, 4, 6] = np.nan
    check(lambda lib, x, w: lib.nn.functional.conv2d(x, w), [x, (4, 3, 3, 3)], dtype="float64", grad_inputs=[1])
    # with a bias, whose gradient comes out of the same GEMM (a row of ones among the columns)
    check(lambda lib, x, w, b: lib.nn.functional.conv2d(x, w, b), [x, (4, 3, 3, 3), (4,)], dtype="float64",
          grad_inputs=[1, 2])


def test_conv2d_integer_input():
    x = np.random.default_rng(0).integers(-3, 4, (2, 3, 5, 5))
    w = np.random.default_rng(1).integers(-3, 4, (4, 3, 3, 3))
    check(lambda lib, x, w: lib.nn.functional.conv2d(x, w, padding=1), [x, w], grad=False)


# ---- conv1d / conv3d ---------------------------------------------------------------------------
CONV1D = [c for c in itertools.product([1, 3], [0, 2, "same", "valid"], [1, 2], [1, 2, "depthwise"], [2, 3])
          if _conv_case_ok(c[1], c[0])]


@pytest.mark.parametrize("stride,padding,dilation,groups,k", CONV1D)
@pytest.mark.parametrize("dtype", DTYPES)
def test_conv1d_configurations(stride, padding, dilation, groups, k, dtype):
    cin, cout = 4, 6
    if groups == "depthwise":
        groups, cout = cin, cin
    check(lambda lib, x, w, b: lib.nn.functional.conv1d(x, w, b, stride, padding, dilation, groups),
          [(3, cin, 11), (cout, cin // groups, k), (cout,)], dtype=dtype)


def test_conv1d_unbatched_and_image_major():
    check(lambda lib, x, w, b: lib.nn.functional.conv1d(x, w, b, padding=1), [(2, 9), (16, 2, 3), (16,)])
    check(lambda lib, x, w: lib.nn.functional.conv1d(x, w), [(1, 2, 1), (3, 2, 1)])


@pytest.mark.parametrize("stride,padding,dilation,groups", [
    (1, 0, 1, 1), (2, 1, 1, 1), ((1, 2, 1), (1, 0, 1), (1, 1, 2), 1), (1, "same", 1, 2), (1, 1, 1, "depthwise"),
])
@pytest.mark.parametrize("dtype", DTYPES)
def test_conv3d_configurations(stride, padding, dilation, groups, dtype):
    cin, cout = 2, 4
    if groups == "depthwise":
        groups = cin
    check(lambda lib, x, w, b: lib.nn.functional.conv3d(x, w, b, stride, padding, dilation, groups),
          [(2, cin, 5, 6, 5), (cout, cin // groups, 3, 2, 3), (cout,)], dtype=dtype)


def test_conv3d_unbatched():
    check(lambda lib, x, w: lib.nn.functional.conv3d(x, w, padding=1), [(2, 4, 3, 4), (3, 2, 3, 3, 3)])


# ---- transposed convolutions ------------------------------------------------------------------
CONVT2D = [c for c in itertools.product([1, 2, (3, 2)], [0, 1], [0, 1], [1, 2], [1, 2])
           if all(op < max(s, c[3]) for op, s in zip(
               (c[2],) * 2, c[0] if isinstance(c[0], tuple) else (c[0],) * 2))]


@pytest.mark.parametrize("stride,padding,output_padding,dilation,groups", CONVT2D)
@pytest.mark.parametrize("dtype", DTYPES)
def test_conv_transpose2d_configurations(stride, padding, output_padding, dilation, groups, dtype):
    cin, cout = 4, 6
    check(lambda lib, x, w, b: lib.nn.functional.conv_transpose2d(x, w, b, stride, padding, output_padding, groups,
                                                                  dilation),
          [(2, cin, 4, 5), (cin, cout // groups, 3, 2), (cout,)], dtype=dtype)


@pytest.mark.parametrize("stride,padding,output_padding", [(1, 0, 0), (2, 1, 1), (3, 0, 2), (2, 2, 0)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_conv_transpose1d_configurations(stride, padding, output_padding, dtype):
    check(lambda lib, x, w, b: lib.nn.functional.conv_transpose1d(x, w, b, stride, padding, output_padding),
          [(2, 3, 6), (3, 5, 4), (5,)], dtype=dtype)


def test_conv_transpose_unbatched_groups_and_3d():
    check(lambda lib, x, w: lib.nn.functional.conv_transpose1d(x, w, stride=2, groups=3), [(3, 5), (3, 2, 3)])
    check(lambda lib, x, w, b: lib.nn.functional.conv_transpose2d(x, w, b, stride=2, padding=1),
          [(4, 3, 3), (4, 2, 3, 3), (2,)])
    # kernel 2, stride 2: the upsampling block of U-Nets (windows do not overlap)
    check(lambda lib, x, w, b: lib.nn.functional.conv_transpose2d(x, w, b, stride=2), [(2, 6, 3, 4), (6, 3, 2, 2), (3,)])
    # many output channels per input channel: the flipped-kernel path of stride 1
    check(lambda lib, x, w: lib.nn.functional.conv_transpose2d(x, w, padding=1), [(2, 2, 5, 4), (2, 6, 3, 3)])
    check(lambda lib, x, w, b: lib.nn.functional.conv_transpose3d(x, w, b, stride=(1, 2, 2), padding=1),
          [(1, 2, 3, 4, 3), (2, 3, 3, 3, 3), (3,)], dtype="float64")


# ---- modules -----------------------------------------------------------------------------------
MODULE_CASES = [
    ("Conv1d", (3, 4, 3), {}, (2, 3, 10)),
    ("Conv1d", (4, 4, 4), {"padding": "same", "padding_mode": "reflect", "groups": 2}, (2, 4, 9)),
    ("Conv1d", (3, 4, 3), {"padding": 2, "padding_mode": "circular", "bias": False}, (3, 9)),
    ("Conv2d", (3, 5, 3), {"padding": 1}, (2, 3, 7, 6)),
    ("Conv2d", (3, 5, (3, 2)), {"stride": 2, "padding": (1, 0), "dilation": (1, 2)}, (2, 3, 9, 8)),
    ("Conv2d", (4, 8, 3), {"padding": "same", "groups": 4, "bias": False}, (1, 4, 6, 6)),
    ("Conv2d", (2, 3, 3), {"padding": 1, "padding_mode": "reflect"}, (2, 2, 5, 6)),
    ("Conv2d", (2, 3, 3), {"padding": (2, 1), "padding_mode": "replicate"}, (2, 2, 5, 6)),
    ("Conv2d", (2, 3, 3), {"padding": 1, "padding_mode": "circular"}, (2, 5, 6)),
    ("Conv2d", (2, 3, 4), {"padding": "same", "padding_mode": "replicate", "dilation": 2}, (1, 2, 9, 9)),
    ("Conv3d", (2, 3, 3), {"padding": 1}, (1, 2, 4, 5, 4)),
    ("Conv3d", (2, 4, 2), {"stride": 2, "padding_mode": "circular", "padding": 1, "groups": 2}, (2, 4, 4, 4)),
    ("ConvTranspose1d", (3, 4, 3), {"stride": 2, "padding": 1, "output_padding": 1}, (2, 3, 5)),
    ("ConvTranspose2d", (3, 4, 3), {"stride": 2, "padding": 1, "output_padding": 1}, (2, 3, 4, 5)),
    ("ConvTranspose2d", (4, 6, 2), {"stride": 2, "groups": 2, "bias": False, "dilation": 2}, (4, 3, 3)),
    ("ConvTranspose3d", (2, 3, 2), {"stride": 2}, (1, 2, 2, 3, 2)),
]


@pytest.mark.parametrize("name,args,kwargs,shape", MODULE_CASES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_conv_modules_match_torch(name, args, kwargs, shape, dtype):
    t_mod = getattr(torch.nn, name)(*args, **kwargs)
    l_mod = getattr(lnn, name)(*args, **kwargs)
    check_module(t_mod, l_mod, [shape], dtype=dtype)


@pytest.mark.parametrize("name,args,kwargs,shape", MODULE_CASES)
def test_conv_modules_repr_state_dict_and_attributes(name, args, kwargs, shape):
    t_mod = getattr(torch.nn, name)(*args, **kwargs)
    l_mod = getattr(lnn, name)(*args, **kwargs)
    assert repr(l_mod) == repr(t_mod)
    assert list(l_mod.state_dict()) == list(t_mod.state_dict())
    for key, value in t_mod.state_dict().items():
        assert tuple(l_mod.state_dict()[key].shape) == tuple(value.shape)
        assert l_mod.state_dict()[key].dtype == lamina.float32
    for attr in ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "output_padding",
                 "groups", "padding_mode", "transposed", "_reversed_padding_repeated_twice"):
        assert getattr(l_mod, attr) == getattr(t_mod, attr), attr


@pytest.mark.parametrize("name,args", [("Conv2d", (16, 32, 3)), ("Conv1d", (8, 20, 5)), ("ConvTranspose2d", (12, 6, 4)),
                                       ("Conv2d", (8, 16, 3, 1, 0, 1, 4))])
def test_conv_default_initialisation(name, args):
    # kaiming_uniform(a=√5) on the weight and U(-1/√fan_in, 1/√fan_in) on the bias, as PyTorch
    layer = getattr(lnn, name)(*args)
    w = layer.weight.detach().numpy()
    fan_in = w.shape[1] * int(np.prod(w.shape[2:]))
    bound = 1 / math.sqrt(fan_in)
    assert np.abs(w).max() <= bound
    assert np.abs(w).max() > 0.95 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.1 * bound
    b = layer.bias.detach().numpy()
    assert np.abs(b).max() <= bound and np.abs(b).max() > 0.5 * bound


def test_conv_module_dtype_and_unbatched_shapes():
    m = lnn.Conv2d(3, 4, 3, padding=1, dtype=lamina.float64)
    assert m.weight.dtype == lamina.float64
    assert m(lamina.zeros(3, 5, 5, dtype=lamina.float64)).shape == lamina.Size([4, 5, 5])
    conv = lnn.Conv2d(3, 4, 3)
    y = conv(lamina.randn(2, 3, 8, 8))
    assert y.dtype == lamina.float32 and y.grad_fn.name() == "ConvolutionBackward0"
    assert y.is_contiguous()
    assert y.view(2, -1).shape == lamina.Size([2, 144])


@pytest.mark.parametrize("output_size", [[9, 11], [1, 4, 10, 12], (10, 11)])
def test_conv_transpose2d_output_size(output_size):
    t_mod = torch.nn.ConvTranspose2d(4, 4, 3, stride=2, padding=1)
    l_mod = lnn.ConvTranspose2d(4, 4, 3, stride=2, padding=1)
    check_module(t_mod, l_mod, [(1, 4, 5, 6)], call=lambda mod, x: mod(x, output_size=output_size))


def test_conv_transpose_output_size_errors():
    m = lnn.ConvTranspose2d(4, 4, 3)
    with pytest.raises(ValueError, match=r"requested an output size of \[20, 20\], but valid sizes range from "
                                         r"\[7, 7\] to \[7, 7\] \(for an input of torch.Size\(\[5, 5\]\)\)"):
        m(lamina.randn(1, 4, 5, 5), output_size=(20, 20))
    with pytest.raises(ValueError, match=r"ConvTranspose2D: for 4D input, output_size must have 2 or 4 elements "
                                         r"\(got 1\)"):
        m(lamina.randn(1, 4, 5, 5), output_size=(7,))


# ---- errors ------------------------------------------------------------------------------------
def _same_error(fn, *shapes, exc=RuntimeError, **kwargs):
    """lamina raises the same exception type with the same message as torch."""
    arrays = [np.random.default_rng(0).standard_normal(s).astype("float32") if isinstance(s, tuple) else s
              for s in shapes]
    with pytest.raises(exc) as t_err:
        fn(torch, *[torch.from_numpy(a) if isinstance(a, np.ndarray) else a for a in arrays], **kwargs)
    with pytest.raises(exc) as l_err:
        fn(lamina, *[lamina.from_numpy(a) if isinstance(a, np.ndarray) else a for a in arrays], **kwargs)
    assert str(l_err.value) == str(t_err.value)


@pytest.mark.parametrize("fn,shapes,kwargs", [
    ("conv2d", [(5, 5), (8, 3, 3, 3)], {}),
    ("conv2d", [(2, 4, 16, 16), (8, 3, 3, 3)], {}),
    ("conv2d", [(3, 16, 16), (8, 4, 3, 3)], {}),
    ("conv1d", [(2, 3, 5, 5), (4, 3, 3)], {}),
    ("conv3d", [(5, 5), (4, 3, 3, 3, 3)], {}),
    ("conv2d", [(1, 3, 2, 2), (8, 3, 3, 3)], {}),
    ("conv2d", [(1, 3, 4, 4), (2, 3, 3, 3)], {"dilation": 2}),
    ("conv1d", [(1, 3, 4), (2, 3, 5)], {}),
    ("conv2d", [(1, 3, 5, 5), (8, 3, 3, 3)], {"stride": 2, "padding": "same"}),
    ("conv2d", [(1, 3, 5, 5), (8, 3, 3, 3)], {"padding": "foo"}),
    ("conv2d", [(1, 3, 5, 5), (8, 3, 3, 3)], {"groups": 2}),
    ("conv2d", [(1, 4, 5, 5), (3, 2, 3, 3)], {"groups": 2}),
    ("conv2d", [(1, 3, 5, 5), (8, 3, 3, 3), (7,)], {}),
    ("conv2d", [(1, 3, 5, 5), (8, 3, 3, 3)], {"stride": 0}),
    ("conv2d", [(1, 3, 5, 5), (8, 3, 3, 3)], {"padding": -1}),
    ("conv2d", [(1, 3, 5, 5), (8, 3, 3, 3)], {"dilation": 0}),
    ("conv2d", [(1, 3, 5, 5), (8, 3, 3, 3)], {"stride": (1, 1, 1)}),
    ("conv2d", [(1, 3, 5, 5), (8, 3, 3, 3)], {"groups": 0}),
    ("conv_transpose2d", [(1, 3, 5, 5), (3, 2, 3, 3)], {"stride": 2, "output_padding": 2}),
    ("conv_transpose2d", [(1, 4, 5, 5), (3, 2, 3, 3)], {}),
    ("conv_transpose2d", [(5, 5), (3, 2, 3, 3)], {}),
    ("conv_transpose2d", [(1, 3, 5, 5), (3, 2, 3, 3)], {"padding": 5}),
    ("conv_transpose1d", [(1, 3, 4), (3, 3, 5)], {"padding": 4}),
    ("conv_transpose1d", [(1, 3, 4), (3, 3, 5)], {"output_padding": 1}),
    ("conv_transpose2d", [(1, 4, 5, 5), (4, 2, 3, 3)], {"groups": 3}),
    ("conv_transpose2d", [(1, 4, 5, 5), (4, 2, 3, 3), (3,)], {}),
])
def test_conv_error_messages(fn, shapes, kwargs):
    _same_error(lambda lib, *xs, **kw: getattr(lib.nn.functional, fn)(*xs, **kw), *shapes, **kwargs)


def test_conv_dtype_mismatch_errors():
    x32, x64 = np.zeros((1, 3, 5, 5), "float32"), np.zeros((1, 3, 5, 5), "float64")
    w32, w64 = np.zeros((2, 3, 3, 3), "float32"), np.zeros((2, 3, 3, 3), "float64")
    _same_error(lambda lib, x, w: lib.nn.functional.conv2d(x, w), x32, w64)
    _same_error(lambda lib, x, w: lib.nn.functional.conv2d(x, w), x64, w32)
    _same_error(lambda lib, x, w, b: lib.nn.functional.conv2d(x, w, b), x32, w32, np.zeros(2, "float64"))


def test_conv_message_names_the_problem():
    # the two messages the brief quotes, verbatim
    with pytest.raises(RuntimeError, match=r"^Expected 3D \(unbatched\) or 4D \(batched\) input to conv2d, but got "
                                           r"input of size: \[5, 5\]$"):
        LF.conv2d(lamina.randn(5, 5), lamina.randn(8, 3, 3, 3))
    with pytest.raises(RuntimeError, match=r"^Given groups=1, weight of size \[8, 3, 3, 3\], expected "
                                           r"input\[2, 4, 16, 16\] to have 3 channels, but got 4 channels instead$"):
        LF.conv2d(lamina.randn(2, 4, 16, 16), lamina.randn(8, 3, 3, 3))


@pytest.mark.parametrize("ctor", [
    lambda nn: nn.Conv2d(3, 4, 3, groups=2), lambda nn: nn.Conv2d(4, 3, 3, groups=2),
    lambda nn: nn.Conv2d(4, 4, 3, groups=0), lambda nn: nn.Conv2d(4, 4, 3, padding="foo"),
    lambda nn: nn.Conv2d(4, 4, 3, stride=2, padding="same"), lambda nn: nn.Conv2d(4, 4, 3, padding_mode="foo"),
    lambda nn: nn.ConvTranspose2d(4, 4, 3, padding_mode="reflect"), lambda nn: nn.Conv1d(4, 4, 3, stride=2, padding="same"),
])
def test_conv_constructor_errors(ctor):
    with pytest.raises(ValueError) as t_err:
        ctor(torch.nn)
    with pytest.raises(ValueError) as l_err:
        ctor(lnn)
    # the messages print a Python set, whose order changes from process to process
    assert _set_free(str(l_err.value)) == _set_free(str(t_err.value))


def _set_free(msg):
    import re
    return re.sub(r"\{[^}]*\}", lambda m: str(sorted(m.group(0)[1:-1].split(", "))), msg)


# ---- unfold / fold -----------------------------------------------------------------------------
FOLD = [((3, 3), 1, 0, 1), (2, 1, 1, 2), ((2, 3), (2, 1), (1, 0), (1, 2)), (3, 2, 2, 3)]


@pytest.mark.parametrize("k,d,p,s", FOLD)
@pytest.mark.parametrize("dtype", DTYPES)
def test_unfold_fold(k, d, p, s, dtype):
    check(lambda lib, x: lib.nn.functional.unfold(x, k, d, p, s), [(2, 3, 7, 8)], dtype=dtype)
    check(lambda lib, x: lib.nn.functional.unfold(x, k, d, p, s), [(3, 7, 8)], dtype=dtype)
    t = torch.nn.functional.unfold(torch.zeros(1, 3, 7, 8), k, d, p, s)
    check(lambda lib, x: lib.nn.functional.fold(x, (7, 8), k, d, p, s), [tuple(t.shape)], dtype=dtype)
    check(lambda lib, x: lib.nn.functional.fold(x, (7, 8), k, d, p, s), [tuple(t.shape[1:])], dtype=dtype)


def test_fold_unfold_modules():
    for t_mod, l_mod, shape in [(torch.nn.Unfold(2, padding=1), lnn.Unfold(2, padding=1), (2, 3, 4, 5)),
                                (torch.nn.Fold((4, 5), 2), lnn.Fold((4, 5), 2), (2, 12, 12))]:
        assert repr(l_mod) == repr(t_mod)
        check_module(t_mod, l_mod, [shape])


def test_unfold_matmul_is_a_convolution():
    # Unfold + matmul with the flattened weight equals conv2d (the im2col identity, in lamina alone)
    x, w = lamina.randn(2, 3, 6, 5), lamina.randn(4, 3, 3, 3)
    cols = LF.unfold(x, 3, padding=1)
    y = (w.view(4, -1) @ cols).view(2, 4, 6, 5)
    np.testing.assert_allclose(y.detach().numpy(), LF.conv2d(x, w, padding=1).detach().numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("fn,shape,args", [
    ("unfold", (2, 5, 2), (3,)), ("unfold", (1, 2, 5, 2), (3,)), ("unfold", (1, 1, 5, 5, 5), (2,)),
    ("fold", (1, 12, 5), ((3, 3), 2)), ("fold", (1, 10, 4), ((3, 3), 2)), ("fold", (2, 3, 4, 4), ((3, 3), 2)),
    ("fold", (4,), ((3, 3), 2)),
    # empty non-batch dims are rejected before the block arithmetic
    ("fold", (1, 12, 0), ((4, 4), (2, 3))), ("fold", (1, 0, 4), ((4, 4), 2)), ("fold", (4, 0), ((4, 4), 2)),
    ("unfold", (1, 0, 4, 4), (2,)), ("unfold", (2, 0, 4), (2,)), ("unfold", (1, 2, 0, 4), (2,)),
])
def test_fold_errors(fn, shape, args):
    x = np.zeros(shape, "float32")
    with pytest.raises(Exception) as t_err:
        getattr(torch.nn.functional, fn)(torch.from_numpy(x), *args)
    with pytest.raises(type(t_err.value)) as l_err:
        getattr(LF, fn)(lamina.from_numpy(x), *args)
    assert str(l_err.value) == str(t_err.value)


@pytest.mark.parametrize("x_dtype,b_dtype", [("float64", "float32"), ("float32", "float64"), ("int64", "float32")])
def test_conv_bias_dtype_is_checked_before_the_weight(x_dtype, b_dtype):
    def fn(lib):
        x = lib.from_numpy(np.ones((1, 2, 5), x_dtype))
        return lib.nn.functional.conv1d(x, lib.ones(3, 2, 3), lib.from_numpy(np.ones(3, b_dtype)))
    with pytest.raises(RuntimeError) as t_err:
        fn(torch)
    with pytest.raises(RuntimeError) as l_err:
        fn(lamina)
    assert str(l_err.value) == str(t_err.value)
