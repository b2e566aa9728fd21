"""Printed tensors against PyTorch's text: repr/str/print/format of every dtype and shape class,
the value classes that switch PyTorch's formatter (integer mode, scientific mode, nan/inf, -0.),
summarisation and line wrapping, set_printoptions, autograd suffixes, the default dtype, Parameters,
containers and modules. Each case is one function run on both libraries; the outputs must be equal."""
import contextlib
import io

import numpy as np
import pytest
import torch

import lamina


def printed(fn, L):
    """Everything fn(L) prints (or the error it raises), with L's print options restored after."""
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf):
            fn(L)
    except Exception as e:  # the same error is part of the same output
        buf.write(f"{type(e).__name__}: {e}")
    finally:
        L.set_printoptions(profile="default")
        L.set_default_dtype(L.float32)
    return buf.getvalue()


def same_as_torch(fn):
    assert printed(fn, lamina) == printed(fn, torch)


def show(t):
    print(repr(t), str(t), f"{t}", sep="\n")
    print(t)
    if t.dim() == 0:
        print(f"{t:.3f}", f"{t:.2e}", f"{t:>9}")


def T(L, a, **kw):
    return L.tensor(np.array(a, copy=True), **kw)


F32, F64, F16 = np.float32, np.float64, np.float16
ARRAYS = {
    "ints_in_float": np.array([1.0, -2.0, 30.0], F32),
    "four_decimals": np.array([0.12345, -2.5, 100.0], F32),
    "sci_ratio": np.array([1e-3, 1.0, 1001.0], F32),
    "sci_small": np.array([1e-5, 2e-5], F32),
    "sci_big": np.array([1e8, 1.0000001e8], F64),
    "sci_ints": np.array([1e10, 1.0, -3.0], F64),
    "mixed_mag": np.array([1e-9, 1e3, -1e8, 0.5], F64),
    "zeros": np.zeros(4, F32),
    "neg_zeros": np.array([-0.0, 0.0, -0.0], F32),
    "neg_zero_mix": np.array([-0.0, 1.5, -2.25], F32),
    "nonfinite": np.array([np.nan, np.inf, -np.inf], F32),
    "nonfinite_ints": np.array([np.nan, 1.0, np.inf, -np.inf, -7.0], F32),
    "nonfinite_frac": np.array([[np.nan, 0.25], [np.inf, -1e-6]], F64),
    "f32_extremes": np.array([np.finfo(F32).max, np.finfo(F32).min, np.finfo(F32).tiny], F32),
    "f64_huge_int": np.array([2.0 ** 60, 1.0], F64),
    "subnormal": np.array([np.finfo(F32).tiny / 8, 0.0], F32),
    "f16": np.array([65504.0, -0.1, 6e-8, 1.0], F16),
    "f16_ints": np.array([[1.0, 2048.0], [-3.0, 0.0]], F16),
    "int8": np.array([-128, 0, 127], np.int8),
    "int16_2d": np.array([[-32768, 5], [32767, -1]], np.int16),
    "int32": np.array([-2 ** 31, 2 ** 31 - 1, 0], np.int32),
    "int64": np.array([np.iinfo(np.int64).min, np.iinfo(np.int64).max]),
    "uint8": np.array([0, 255, 7], np.uint8),
    "bool": np.array([[True, False, True]]),
    "scalar_f32": np.array(3.5, F32),
    "scalar_f64": np.array(1e-7, F64),
    "scalar_nan": np.array(np.nan, F32),
    "scalar_neg_zero": np.array(-0.0, F32),
    "scalar_int": np.array(-42),
    "scalar_bool": np.array(True),
    "scalar_u8": np.array(200, np.uint8),
    "empty": np.zeros(0, F32),
    "empty_0x3": np.zeros((0, 3), F32),
    "empty_3x0x2_int": np.zeros((3, 0, 2), np.int32),
    "empty_bool": np.zeros((2, 0), bool),
    "long_row": np.linspace(-1, 1, 37).astype(F32),
    "long_row_sci": np.geomspace(1e-6, 1e6, 23),
    "summarized_1d": np.arange(2000, dtype=F32) / 3,
    "threshold_edge": np.arange(1000, dtype=np.int64),
    "threshold_edge_plus1": np.arange(1001, dtype=np.int64),
    "summarized_2d": (np.arange(3000, dtype=F32) / 7).reshape(30, 100),
    "summarized_3d": np.arange(2 * 30 * 30, dtype=np.int16).reshape(2, 30, 30),
    "4d": (np.arange(36, dtype=F64) - 17).reshape(2, 3, 2, 3) / 4,
    "5d": np.arange(32, dtype=np.int8).reshape(2, 2, 2, 2, 2),
    "wide_2d": np.arange(60, dtype=F32).reshape(2, 30) * 1.5,
}


@pytest.mark.parametrize("name", ARRAYS)
def test_values_dtypes_and_shapes_print_as_in_torch(name):
    same_as_torch(lambda L: show(T(L, ARRAYS[name])))


VIEWS = {
    "transpose": lambda t: t.transpose(0, 1), "permute": lambda t: t.permute(2, 0, 1),
    "slice": lambda t: t[1:, ::2], "select": lambda t: t[:, -1], "expand": lambda t: t[:1].expand(4, 3, 4),
    "scalar_expand": lambda t: t[0, 0, 0].expand(3), "unsqueeze": lambda t: t[0].unsqueeze(1),
}


@pytest.mark.parametrize("view", VIEWS)
def test_views_print_their_own_elements(view):
    a = (np.arange(24, dtype=F32).reshape(2, 3, 4) - 5) / 8
    same_as_torch(lambda L: show(VIEWS[view](T(L, a))))


OPTIONS = [
    dict(precision=2), dict(precision=0), dict(precision=8), dict(sci_mode=True), dict(sci_mode=False),
    dict(precision=1, sci_mode=True), dict(threshold=5), dict(threshold=5, edgeitems=1),
    dict(threshold=5, edgeitems=0), dict(edgeitems=0), dict(linewidth=20), dict(linewidth=1),
    dict(linewidth=120), dict(profile="short"), dict(profile="full"), dict(profile="short", precision=5),
    dict(threshold=0), dict(edgeitems=10, threshold=10),
]
OPTION_ARRAYS = ["four_decimals", "mixed_mag", "nonfinite_ints", "summarized_1d", "summarized_2d",
                 "int32", "empty_0x3", "scalar_f32", "4d"]


@pytest.mark.parametrize("opts", OPTIONS, ids=str)
def test_printoptions_change_the_text_as_in_torch(opts):
    def fn(L):
        L.set_printoptions(**opts)
        for name in OPTION_ARRAYS:
            show(T(L, ARRAYS[name]))
        print(T(L, ARRAYS["four_decimals"], requires_grad=True) * 2)
    same_as_torch(fn)


def test_each_set_printoptions_call_resets_sci_mode_and_printoptions_restores():
    def fn(L):
        a = np.array([1e-6, 1.0, 12345.678], F32)
        L.set_printoptions(sci_mode=False)
        print(T(L, a))
        L.set_printoptions(precision=2)  # sci_mode back to automatic
        print(T(L, a))
        with L._tensor_str.printoptions(precision=1, sci_mode=False):
            print(T(L, a))
        print(T(L, a), L._tensor_str.get_printoptions())
    same_as_torch(fn)


OPS = {
    "add": lambda L, x: x + 1, "mul": lambda L, x: x * 2, "sum": lambda L, x: x.sum(),
    "mean": lambda L, x: x.mean(), "view": lambda L, x: x.view(-1), "matmul": lambda L, x: x @ x.t(),
    "relu": lambda L, x: L.relu(x), "sigmoid": lambda L, x: x.sigmoid(), "select": lambda L, x: x[0],
    "slice": lambda L, x: x[:, 1:], "index": lambda L, x: x[[0, 0]], "transpose": lambda L, x: x.t(),
    "expand": lambda L, x: x[:1].expand(3, 3), "to_float64": lambda L, x: x.double(),
    "to_float16": lambda L, x: x.half(), "detach": lambda L, x: x.detach(),
}


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_autograd_suffixes_print_as_in_torch(op, dtype):
    a = np.array([[0.5, -1.25, 2.0], [3.0, 0.125, -4.0]], dtype)  # exact: same results in both

    def fn(L):
        x = T(L, a, requires_grad=True)
        show(x)
        show(OPS[op](L, x))
        L.set_printoptions(linewidth=30)  # suffixes wrap onto their own lines
        print(OPS[op](L, x))
    same_as_torch(fn)


@pytest.mark.parametrize("default", ["float64", "float16"])
def test_dtype_suffix_follows_the_default_dtype(default):
    def fn(L):
        L.set_default_dtype(getattr(L, default))
        for name in ("ints_in_float", "f16", "empty", "empty_0x3", "int32", "bool", "scalar_f32", "scalar_f64"):
            show(T(L, ARRAYS[name]))
        show(L.tensor([1.0, 2.5]))
        show(L.zeros(2, 2, requires_grad=True).sum())
        print(L.get_default_dtype())
    same_as_torch(fn)


def test_parameters_print_and_format_as_in_torch():
    def fn(L):
        p = L.nn.Parameter(T(L, np.array([1.0, -1.0], F32)))
        print(p, repr(p), f"{p}", [p], {"p": p}, p * 2, sep="\n")
        p0 = L.nn.Parameter(T(L, np.array(0.25, F32)))
        print(p0, f"{p0}")  # a 0-d Parameter is not formatted as a number, unlike a plain tensor
        print(L.nn.Parameter(T(L, np.ones(3, F64)), requires_grad=False))
        print(L.nn.Parameter(T(L, np.zeros((2, 0), F32))))
        print(f"{p0:.3f}")
    same_as_torch(fn)


def test_containers_modules_and_grads_print_as_in_torch():
    def fn(L):
        a = T(L, np.array([[1.5, -2.0], [3.25, 4.0]], F32))
        b, c = T(L, np.arange(3, dtype=np.int32)), T(L, np.array(2.5))
        print([a, b], (c,), {"a": a, "c": c}, [[a], {"x": (b, c)}])
        m = L.nn.Linear(3, 2)
        with L.no_grad():
            m.weight.copy_(T(L, np.array([[0.5, -1.0, 2.0], [0.25, 0.0, -0.75]], F32)))
            m.bias.copy_(T(L, np.array([0.125, -0.5], F32)))
        print(m.weight, m.bias, m.state_dict(), m.weight.grad, sep="\n")
        out = m(T(L, np.array([[1.0, 2.0, 3.0]], F32)))
        print(out)
        out.sum().backward()
        print(m.weight.grad, m.bias.grad, sep="\n")
        bn = L.nn.BatchNorm1d(2)
        print(bn.state_dict(), f"{bn.num_batches_tracked}")
    same_as_torch(fn)


def test_sizes_dtypes_and_devices_print_as_in_torch():
    def fn(L):
        for shape in ((), (0,), (2, 3), (2, 0, 4), (1, 2, 3, 4, 5)):
            t = L.zeros(shape)
            print(t.shape, repr(t.size()), f"{t.shape}", [t.shape], t.shape[1:], L.Size(shape))
        for d in (L.float32, L.float64, L.float16, L.int8, L.int16, L.int32, L.int64, L.uint8, L.bool,
                  L.float, L.double, L.half, L.long, L.int):
            print(d, repr(d), f"{d}", [d], L.zeros(2, dtype=d), L.zeros(0, dtype=d), L.ones((), dtype=d))
        print(L.zeros(1).device, repr(L.zeros(1).device))
    same_as_torch(fn)


def test_format_specs():
    def fn(L):
        for a in (np.array(0.5, F32), np.array(7), np.array(False), np.array(1e-7, F64)):
            t = T(L, a)
            print(f"{t}", f"{t:.3f}", f"{t:.2e}", f"{t:>10}", format(t, ""))
        x = T(L, np.array(3.0, F32), requires_grad=True)
        print(f"{x:.2f}", f"{x * 2:.1f}")
        print(f"{T(L, np.ones(2, F32))}")
        print(f"{T(L, np.ones(2, F32)):.3f}")  # only 0-d tensors take a format spec
    same_as_torch(fn)
