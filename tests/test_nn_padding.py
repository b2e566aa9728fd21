"""F.pad and the padding layers against PyTorch: every mode, negative pads, any number of padded
dims for the constant mode, gradients, module reprs and error messages."""
import numpy as np
import pytest
import torch

import lamina
import lamina.nn as lnn
import lamina.nn.functional as LF
from oracle import check, check_module

DTYPES = ["float32", "float64"]
PADS = [(1, 2), (0, 3), (2, 1, 0, 3), (1, 1, 2, 2, 1, 0), (-1, 2), (2, -1, 1, 1), (3, 3, -1, 0)]


# PyTorch's non-constant modes pad the last 1-3 dims of an unbatched or batched input only
PAD_CASES = [(mode, pad, shape) for mode in ["constant", "reflect", "replicate", "circular"] for pad in PADS
             for shape in [(2, 4, 5), (2, 3, 4, 5), (1, 2, 4, 5, 6)]
             if mode == "constant" or len(shape) in (len(pad) // 2 + 1, len(pad) // 2 + 2)]


@pytest.mark.parametrize("mode,pad,shape", PAD_CASES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_pad_modes(mode, pad, shape, dtype):
    check(lambda lib, x: lib.nn.functional.pad(x, pad, mode=mode), [shape], dtype=dtype)


@pytest.mark.parametrize("pad,value", [((1, 2, 3, 4, 5, 6, 1, 1), 2.5), ((1,) * 6, None), ((0, 0), 1.0),
                                       ((-1, -1, 2, 0), -3.0)])
def test_constant_pad_any_number_of_dims(pad, value):
    check(lambda lib, x: lib.nn.functional.pad(x, pad, value=value), [(2, 3, 4, 5)], dtype="float64")


def test_pad_edge_sizes():
    # reflect up to size - 1, circular up to the full size, replicate of a length-1 dim
    check(lambda lib, x: lib.nn.functional.pad(x, (3, 3), mode="reflect"), [(2, 3, 4)])
    check(lambda lib, x: lib.nn.functional.pad(x, (4, 4), mode="circular"), [(2, 3, 4)])
    check(lambda lib, x: lib.nn.functional.pad(x, (2, 3, 1, 1), mode="replicate"), [(2, 1, 1)])


def test_pad_integer_and_value_truncation():
    x = np.arange(10).reshape(1, 2, 5)
    check(lambda lib, x: lib.nn.functional.pad(x, (2, 1), value=1.7), [x], grad=False)
    check(lambda lib, x: lib.nn.functional.pad(x, (2, 1), mode="reflect"), [x], grad=False)


MODULES = [
    ("ZeroPad1d", (2,)), ("ZeroPad2d", (2,)), ("ZeroPad2d", ((1, 0, 2, 3),)), ("ZeroPad3d", (1,)),
    ("ConstantPad1d", ((1, 2), 3.5)), ("ConstantPad2d", (1, -1.0)), ("ConstantPad3d", ((1, 0, 0, 1, 1, 0), 2.0)),
    ("ReflectionPad1d", (2,)), ("ReflectionPad2d", ((1, 2, 0, 1),)), ("ReflectionPad3d", (1,)),
    ("ReplicationPad1d", ((3, 1),)), ("ReplicationPad2d", (2,)), ("ReplicationPad3d", ((1, 0, 2, 1, 0, 1),)),
    ("CircularPad1d", (2,)), ("CircularPad2d", ((1, 2, 2, 0),)), ("CircularPad3d", (1,)),
]


@pytest.mark.parametrize("name,args", MODULES)
@pytest.mark.parametrize("batched", [True, False])
def test_padding_modules(name, args, batched):
    t_mod = getattr(torch.nn, name)(*args)
    l_mod = getattr(lnn, name)(*args)
    assert repr(l_mod) == repr(t_mod)
    assert l_mod.padding == t_mod.padding
    nd = int(name[-2])
    shape = (2, 3, 4, 5, 4)[-(nd + 1):]
    check_module(t_mod, l_mod, [((2,) + shape) if batched else shape])


def test_pad_grad_fn_names():
    x = lamina.randn(1, 2, 4, 4, requires_grad=True)
    assert LF.pad(x, (1, 1)).grad_fn.name() == "ConstantPadNdBackward0"
    assert LF.pad(x, (1, 1, 1, 1), mode="reflect").grad_fn.name() == "ReflectionPad2DBackward0"
    assert LF.pad(x, (1, 1, 1, 1), mode="replicate").grad_fn.name() == "ReplicationPad2DBackward0"


@pytest.mark.parametrize("shape,pad,mode,value", [
    ((2, 5), (1, 2, 3), "constant", None),
    ((2, 5), (1, 2, 3, 4, 5, 6), "constant", None),
    ((5,), (1, 1), "reflect", None),
    ((2, 5), (1, 1, 1, 1), "reflect", None),
    ((1, 1, 2, 3, 5), (1,) * 8, "replicate", None),
    ((1, 2, 5), (5, 1), "reflect", None),
    ((1, 2, 5), (6, 1), "circular", None),
    ((1, 2, 5), (1, 1), "foo", None),
    ((1, 2, 5), (1, 1), "reflect", 2.0),
    ((1, 2, 5), (-6, 1), "constant", None),
    # reflect and replicate need every non-batch dim non-empty
    ((2, 0, 4), (1, 1), "reflect", None), ((2, 2, 0), (1, 1), "replicate", None),
    ((2, 0, 4), (1, 1, 1, 1), "replicate", None), ((1, 2, 0, 4), (1, 1, 1, 1), "reflect", None),
    ((0, 2, 4, 4), (1,) * 6, "reflect", None), ((1, 0, 2, 4, 4), (1,) * 6, "replicate", None),
    # the argument number names the offending pair
    ((1, 2, 3, 3), (0, 0, 3, 0), "reflect", None), ((1, 2, 3, 3, 3), (0, 0, 0, 0, 3, 0), "reflect", None),
    ((2, 3, 3, 3), (0, 0, 3, 0, 0, 0), "reflect", None),
])
def test_pad_errors(shape, pad, mode, value):
    x = np.zeros(shape, "float32")
    with pytest.raises(Exception) as t_err:
        torch.nn.functional.pad(torch.from_numpy(x), pad, mode=mode, value=value)
    with pytest.raises(type(t_err.value)) as l_err:
        LF.pad(lamina.from_numpy(x), pad, mode=mode, value=value)
    assert str(l_err.value) == str(t_err.value)


def test_circular_pad_module_checks_dims():
    with pytest.raises(ValueError, match=r"expected 3D or 4D input \(got 2D input\)"):
        lnn.CircularPad2d(1)(lamina.zeros(3, 4))


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("pad", [(-2, 4), (4, -2), (-1, 3, 2, -2), (-2, 1), (1, -2, -1, 2)])
def test_negative_pad_beside_a_positive_one_matches_torch(mode, pad):
    """reflect/replicate pad the whole input, then crop; circular crops, then wraps what is left."""
    x = np.random.default_rng(0).standard_normal((2, 3) + (5,) * (len(pad) // 2)).astype(np.float32)
    w = None
    out = []
    for lib in (torch, lamina):
        t = lib.tensor(x, requires_grad=True)
        try:
            y = lib.nn.functional.pad(t, pad, mode=mode)
        except RuntimeError as e:  # circular beyond what is left: PyTorch's result is undefined there
            assert mode == "circular" and "wrapping around more than once" in str(e)
            return
        if w is None:
            w = np.random.default_rng(1).standard_normal(tuple(y.shape)).astype(np.float32)
        (y * lib.tensor(w)).sum().backward()
        out.append((y.detach().numpy(), t.grad.numpy()))
    np.testing.assert_array_equal(out[1][0], out[0][0])
    np.testing.assert_allclose(out[1][1], out[0][1], rtol=1e-6, atol=1e-6)
