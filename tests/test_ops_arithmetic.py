"""Elementwise arithmetic against PyTorch: + − × ÷ ** (and reflected), the selection ops
(maximum, minimum, clamp, where), type promotion, gradients at ties, and error wording."""
import re

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import lamina
from oracle import check, check_error

DTYPES = ["float32", "float64"]
# (input shape, other shape): equal, broadcast both ways, size-1, size-0, 0-d, rank difference
SHAPE_PAIRS = [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((4,), (2, 3, 4)), ((2, 3, 4), (3, 1)), ((0, 4), (4,)),
               ((2, 0, 3), (1, 3)), ((), (2, 3)), ((2, 3), ()), ((), ()), ((1,), (5,))]


def positive(shape, dtype="float32", seed=0, low=0.5, high=2.0):
    return np.asarray(np.random.default_rng(seed).uniform(low, high, shape), dtype=dtype)


def away_from_zero(shape, dtype="float32", seed=0):
    a = positive(shape, dtype, seed)
    sign = np.where(np.random.default_rng(seed + 7).random(shape) < 0.5, -1, 1).astype(dtype)
    return np.asarray(a * sign, dtype=dtype)


BINARY = {
    "add": lambda lib, x, y: x + y,
    "sub": lambda lib, x, y: x - y,
    "mul": lambda lib, x, y: x * y,
    "div": lambda lib, x, y: x / y,
    "add_alpha": lambda lib, x, y: lib.add(x, y, alpha=2.5),
    "sub_alpha": lambda lib, x, y: lib.sub(x, y, alpha=-0.5),
    "maximum": lambda lib, x, y: lib.maximum(x, y),
    "minimum": lambda lib, x, y: lib.minimum(x, y),
    "fmax": lambda lib, x, y: lib.fmax(x, y),
    "fmin": lambda lib, x, y: lib.fmin(x, y),
    "atan2": lambda lib, x, y: lib.atan2(x, y),
    "remainder": lambda lib, x, y: lib.remainder(x, y),
    "fmod": lambda lib, x, y: lib.fmod(x, y),
    "where": lambda lib, x, y: lib.where(x > 0, x, y),
    "lerp": lambda lib, x, y: lib.lerp(x, y, 0.3),
    "lerp_tensor_weight": lambda lib, x, y: lib.lerp(x, y, y.sigmoid()),
    "addcmul": lambda lib, x, y: lib.addcmul(x, x, y, value=0.5),
    "addcdiv": lambda lib, x, y: lib.addcdiv(y, x, y, value=-2.0),
    "pow_tensor": lambda lib, x, y: x.abs() ** y,
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shapes", SHAPE_PAIRS, ids=str)
@pytest.mark.parametrize("op", list(BINARY))
def test_binary_op_broadcasts_with_gradients(op, shapes, dtype):
    a = away_from_zero(shapes[0], dtype, seed=1)
    b = away_from_zero(shapes[1], dtype, seed=2)
    check(BINARY[op], [a, b], dtype=dtype)


SCALAR_OPS = {
    "x+2": lambda lib, x: x + 2, "2+x": lambda lib, x: 2 + x, "x+1.5": lambda lib, x: x + 1.5,
    "x-2": lambda lib, x: x - 2, "2-x": lambda lib, x: 2 - x, "2.5-x": lambda lib, x: 2.5 - x,
    "x*3": lambda lib, x: x * 3, "3*x": lambda lib, x: 3 * x, "x*-0.5": lambda lib, x: x * -0.5,
    "x/4": lambda lib, x: x / 4, "4/x": lambda lib, x: 4 / x, "x/0.5": lambda lib, x: x / 0.5,
    "x**2": lambda lib, x: x ** 2, "x**3": lambda lib, x: x ** 3, "x**0.5": lambda lib, x: x.abs() ** 0.5,
    "x**-1": lambda lib, x: x ** -1, "x**0": lambda lib, x: x ** 0, "x**1": lambda lib, x: x ** 1,
    "2**x": lambda lib, x: 2 ** x, "0.5**x": lambda lib, x: 0.5 ** x, "pow(2,x)": lambda lib, x: lib.pow(2, x),
    "-x": lambda lib, x: -x, "+x": lambda lib, x: +x, "abs": lambda lib, x: abs(x),
    "x%1.5": lambda lib, x: x % 1.5, "fmod(x,1.5)": lambda lib, x: lib.fmod(x, 1.5),
    "square": lambda lib, x: lib.square(x), "reciprocal": lambda lib, x: x.reciprocal(),
    "rsub": lambda lib, x: lib.rsub(x, 3), "rsub_alpha": lambda lib, x: lib.rsub(x, 3, alpha=2),
    "add_scalar_alpha": lambda lib, x: lib.add(x, 3, alpha=2), "sign": lambda lib, x: x.sign() * x,
    "neg": lambda lib, x: lib.neg(x), "torch.add(2,x)": lambda lib, x: lib.add(2, x),
    "x//0.7": lambda lib, x: (x // 0.7).detach() + x, "div_floor": lambda lib, x: lib.div(x, 0.7, rounding_mode="floor"),
    "div_trunc": lambda lib, x: lib.div(x, 0.7, rounding_mode="trunc"),
    "clamp": lambda lib, x: x.clamp(-0.8, 0.9), "clamp_min": lambda lib, x: x.clamp(min=0.7),
    "clamp_max": lambda lib, x: lib.clamp(x, max=-0.6), "clip": lambda lib, x: lib.clip(x, -1, 1),
    "where_scalar": lambda lib, x: lib.where(x > 1, x, 0.0), "where_scalar_first": lambda lib, x: lib.where(x > 1, 2.0, x),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(3, 4), (), (0, 2), (1,)], ids=str)
@pytest.mark.parametrize("op", list(SCALAR_OPS))
def test_op_with_python_scalar(op, shape, dtype):
    check(SCALAR_OPS[op], [away_from_zero(shape, dtype)], dtype=dtype)


# ---- type promotion ---------------------------------------------------------------------------

def arr(values, dtype):
    return np.array(values, dtype=dtype)


INT = arr([[3, -2, 5], [7, 0, -4]], "int64")
INT32 = arr([[3, -2, 5], [7, 1, -4]], "int32")
BOOL = arr([[True, False, True], [False, False, True]], "bool")
U8 = arr([[3, 2, 250], [7, 0, 4]], "uint8")
I8 = arr([[3, -2, 5], [-7, 1, 4]], "int8")
F32 = arr([[0.5, -1.5, 2.0], [3.0, -0.25, 1.0]], "float32")
F64 = arr([[0.5, -1.5, 2.0], [3.0, -0.25, 1.0]], "float64")
F16 = arr([[0.5, -1.5, 2.0], [3.0, -0.25, 1.0]], "float16")
F64_0D = arr(2.5, "float64")
I64_0D = arr(3, "int64")
F32_0D = arr(2.5, "float32")

PROMOTION = [
    ("int+float_scalar", lambda lib, a: a + 2.5, [INT]),
    ("int*float_scalar", lambda lib, a: a * 0.5, [INT32]),
    ("int+int_scalar", lambda lib, a: a + 2, [INT32]),
    ("int/int", lambda lib, a, b: a / b, [INT, INT32 + 10]),
    ("int/int_scalar", lambda lib, a: a / 2, [INT]),
    ("int_scalar/int", lambda lib, a: 6 / (a + 10), [INT]),
    ("int//int", lambda lib, a, b: a // b, [INT, INT32 + 10]),
    ("int%int", lambda lib, a, b: a % b, [INT, arr([[3, -3, 2], [-2, 5, 3]], "int64")]),
    ("fmod_int", lambda lib, a, b: lib.fmod(a, b), [INT, arr([[3, -3, 2], [-2, 5, 3]], "int64")]),
    ("div_trunc_int", lambda lib, a: lib.div(a, 3, rounding_mode="trunc"), [INT]),
    ("div_floor_int", lambda lib, a: lib.div(a, -3, rounding_mode="floor"), [INT]),
    ("int+int32", lambda lib, a, b: a + b, [INT, INT32]),
    ("bool+bool", lambda lib, a, b: a + b, [BOOL, BOOL[::-1].copy()]),
    ("bool*bool", lambda lib, a, b: a * b, [BOOL, BOOL[::-1].copy()]),
    ("bool/bool", lambda lib, a, b: a / (b | True), [BOOL, BOOL]),
    ("bool+int_scalar", lambda lib, a: a + 1, [BOOL]),
    ("bool+uint8", lambda lib, a, b: a + b, [BOOL, U8]),
    ("uint8+int8", lambda lib, a, b: a + b, [U8, I8]),
    ("uint8*int32", lambda lib, a, b: a * b, [U8, INT32]),
    ("0d_f64+f32", lambda lib, a, b: a + b, [F64_0D, F32]),
    ("0d_f64*f16", lambda lib, a, b: a * b, [F64_0D, F16]),
    ("0d_f32+int", lambda lib, a, b: a + b, [F32_0D, INT]),
    ("0d_f64+int32", lambda lib, a, b: a + b, [F64_0D, INT32]),
    ("0d_int+f32", lambda lib, a, b: a + b, [I64_0D, F32]),
    ("0d_int+0d_f64", lambda lib, a, b: a + b, [I64_0D, F64_0D]),
    ("f32+f64", lambda lib, a, b: a + b, [F32, F64]),
    ("f32*f64", lambda lib, a, b: a * b, [F32, F64]),
    ("f64-f32", lambda lib, a, b: a - b, [F64, F32]),
    ("f32/f64", lambda lib, a, b: a / b, [F32, F64 + 5]),
    ("f32+int", lambda lib, a, b: a + b, [F32, INT]),
    ("int**2", lambda lib, a: a ** 2, [INT]),
    ("int**0.5", lambda lib, a: (a + 10) ** 0.5, [INT]),
    ("2**int", lambda lib, a: 2 ** (a + 4), [INT]),
    ("2.5**int", lambda lib, a: 2.5 ** a, [INT]),
    ("int**int", lambda lib, a, b: a ** b, [INT, arr([[2, -1, 0], [1, 3, -2]], "int64")]),
    ("f32**int_tensor", lambda lib, a, b: a ** b, [F32, arr([[2, -1, 0], [1, 3, -2]], "int64")]),
    ("bool**2", lambda lib, a: a ** 2, [BOOL]),
    ("int.abs", lambda lib, a: a.abs(), [I8]),
    ("int.neg", lambda lib, a: -a, [INT]),
    ("uint8.neg", lambda lib, a: -a, [U8]),
    ("int.sign", lambda lib, a: a.sign(), [INT]),
    ("bool.sign", lambda lib, a: a.sign(), [BOOL]),
    ("int.reciprocal", lambda lib, a: (a + 10).reciprocal(), [INT]),
    ("int.square", lambda lib, a: a.square(), [INT32]),
    ("int.clamp", lambda lib, a: a.clamp(-1, 4), [INT]),
    ("int.clamp_float", lambda lib, a: a.clamp(max=2.5), [INT]),
    ("bool.clamp", lambda lib, a: a.clamp(min=0), [BOOL]),
    ("int.clamp_tensor", lambda lib, a, b: a.clamp(min=b), [INT, F32]),
    ("f32.clamp_f64_0d", lambda lib, a, b: a.clamp(min=b), [F32, F64_0D]),
    ("maximum_int_float", lambda lib, a, b: lib.maximum(a, b), [INT, F32]),
    ("where_int_float", lambda lib, a, b: lib.where(a > 0, a, b), [INT, F64]),
    ("where_scalars", lambda lib, a: lib.where(a > 0, 1.0, 0), [INT]),
    ("where_int_scalars", lambda lib, a: lib.where(a > 0, 1, 0), [INT]),
    ("where_int_tensor_float_scalar", lambda lib, a: lib.where(a > 0, a, 0.5), [INT]),
    ("f32*np.float64", lambda lib, a: a * np.float64(2.0), [F32]),
    ("np.float64*f32", lambda lib, a: np.float64(2.0) * a, [F32]),
    ("int32*np.int64", lambda lib, a: a * np.int64(2), [INT32]),
    ("int*np.float32", lambda lib, a: a * np.float32(2.0), [INT]),
    ("f16+scalar", lambda lib, a: a + 1.0, [F16]),
]


@pytest.mark.parametrize("name,fn,inputs", PROMOTION, ids=[p[0] for p in PROMOTION])
def test_type_promotion_matches_torch(name, fn, inputs):
    check(fn, inputs, grad=False)


def test_float_result_of_promotion_carries_gradient_back_in_input_dtype():
    # float32 leaf + float64 tensor → float64 output; the leaf's gradient is float32
    check(lambda lib, a, b: (a * b + a / b - b).sum(), [(3, 4), np.random.default_rng(0).uniform(1, 2, (3, 4))])
    check(lambda lib, a, b: (a * b).exp(), [(3, 4), arr(2.0, "float64")])


# ---- gradients at ties and kinks --------------------------------------------------------------

TIES = arr([[1.0, 2.0, 2.0, -1.0], [0.0, 3.0, -2.0, 0.0]], "float64")
TIES_OTHER = arr([[1.0, 1.0, 2.0, -1.0], [0.0, 4.0, -2.0, 1.0]], "float64")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("op", ["maximum", "minimum", "fmax", "fmin", "clamp_tensor", "clamp_scalar",
                                "abs", "relu", "sign", "where"])
def test_gradients_at_ties_match_torch(op, dtype):
    fns = {
        "maximum": lambda lib, x, y: lib.maximum(x, y),
        "minimum": lambda lib, x, y: lib.minimum(x, y),
        "fmax": lambda lib, x, y: lib.fmax(x, y),
        "fmin": lambda lib, x, y: lib.fmin(x, y),
        "clamp_tensor": lambda lib, x, y: lib.clamp(x, min=y, max=y + 1),
        "clamp_scalar": lambda lib, x, y: lib.clamp(x, -1.0, 2.0) + lib.clamp(y, min=0.0),
        "abs": lambda lib, x, y: x.abs() + y.abs(),
        "relu": lambda lib, x, y: lib.relu(x) * lib.relu(y),
        "sign": lambda lib, x, y: x.sign() + y,
        "where": lambda lib, x, y: lib.where(x == y, x, y),
    }
    check(fns[op], [TIES.astype(dtype), TIES_OTHER.astype(dtype)], dtype=dtype)


NAN_INPUT = arr([0.0, 1.0, 2.0, np.nan, 1.0, np.nan], "float32")
NAN_OTHER = arr([1.0, 1.0, np.nan, 2.0, np.nan, np.nan], "float32")


@pytest.mark.parametrize("op", ["maximum", "minimum", "fmax", "fmin"])
def test_nan_propagation_and_gradients_match_torch(op):
    check(lambda lib, x, y: getattr(lib, op)(x, y), [NAN_INPUT, NAN_OTHER])


def test_clamp_with_tensor_bounds_matches_torch_in_every_order():
    # every ordering of input, min and max (with ties and NaN) — PyTorch's gradient routing
    vals = [0.0, 1.0, 2.0, np.nan]
    grid = np.array([(a, b, c) for a in vals for b in vals for c in vals], dtype="float32").T.copy()
    check(lambda lib, x, lo, hi: lib.clamp(x, lo, hi), [grid[0], grid[1], grid[2]])
    check(lambda lib, x, lo: lib.clamp(x, min=lo), [grid[0], grid[1]])
    check(lambda lib, x, hi: lib.clamp(x, max=hi), [grid[0], grid[2]])
    check(lambda lib, x: lib.clamp(x, 1.0, 1.0) + lib.clamp(x, 2.0, 0.5), [grid[0]])


INT_BOUNDS = [-300, -256, -255, -129, -128, -1, 0, 127, 128, 255, 256, 32767, 32768, 2 ** 31, 2 ** 40, 2 ** 63 - 1]


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "int64"])
@pytest.mark.parametrize("side", ["min", "max", "both"])
def test_clamp_of_integers_by_numbers_out_of_their_range_as_torch(dtype, side):
    """A number bound is converted to the tensor's integer type as PyTorch converts it: an error
    naming the C type where it does not fit, and uint8 taking -255..-1 modulo 256. The 1024-element
    input also takes the one-bound path that fills an array with the bound."""
    for bound in INT_BOUNDS:
        def run(lib):
            x = lib.arange(1024).remainder(200).to(getattr(lib, dtype))
            kw = {"min": bound, "max": bound} if side == "both" else {side: bound}
            return lib.clamp(x, **kw)
        try:
            expected = run(torch)
        except RuntimeError as e:
            check_error(run, RuntimeError, re.escape(str(e)))
            continue
        got = run(lamina)
        assert str(got.dtype) == str(expected.dtype)
        np.testing.assert_array_equal(got.numpy(), expected.numpy(), err_msg=f"bound {bound}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_pow_gradients_at_zero_and_negative_bases(dtype):
    base = arr([0.0, 2.0, -1.0, 0.0, 3.0, -2.0], dtype)
    expo = arr([2.0, 0.0, 2.0, -1.0, 0.5, 3.0], dtype)
    check(lambda lib, x, e: x ** e, [base, expo], dtype=dtype)
    for e in (0, 1, 2, 3, 0.5, -1, -2.5):
        check(lambda lib, x: x ** e, [base], dtype=dtype)
    for b in (0, 2, 0.5, -2):
        check(lambda lib, e: b ** e, [expo], dtype=dtype)


# ---- integer semantics ------------------------------------------------------------------------

@pytest.mark.parametrize("op", ["//", "%", "fmod", "trunc", "floor"])
def test_integer_division_rounding_matches_torch(op):
    a = arr([7, -7, 7, -7, 0, 5, -1], "int64")
    b = arr([2, 2, -2, -2, 3, 5, 3], "int64")
    fns = {"//": lambda lib, x, y: x // y, "%": lambda lib, x, y: x % y, "fmod": lambda lib, x, y: lib.fmod(x, y),
           "trunc": lambda lib, x, y: lib.div(x, y, rounding_mode="trunc"),
           "floor": lambda lib, x, y: lib.div(x, y, rounding_mode="floor")}
    check(fns[op], [a, b], grad=False)
    check(fns[op], [a.astype("float32"), b.astype("float32")], grad=False)


@pytest.mark.parametrize("op", [lambda x, y: x // y, lambda x, y: x % y, lambda x, y: lamina.fmod(x, y),
                                lambda x, y: lamina.div(x, y, rounding_mode="trunc")])
def test_integer_division_by_zero_raises_like_torch(op):
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        op(lamina.tensor([5, 3]), lamina.tensor([1, 0]))


def test_float_division_by_zero_gives_inf_and_nan_like_torch():
    check(lambda lib, x, y: (x / y, x // y, x % y, lib.fmod(x, y), (x / y).exp(), (x - 1).log(), lib.sqrt(x - 1)),
          [arr([1.0, -1.0, 0.0], "float32"), arr([0.0, 0.0, 0.0], "float32")], grad=False)


def test_int_pow_with_negative_exponents_follows_torch():
    check(lambda lib, a, b: a ** b, [arr([1, -1, 2, 0, -1, 3], "int64"), arr([-3, -3, -1, 2, -2, 0], "int64")],
          grad=False)


def test_rounding_division_and_floor_divide_gradients():
    check(lambda lib, x, y: lib.div(x, y, rounding_mode="floor") + x, [(3, 4), (4,)])
    check(lambda lib, x, y: lib.div(x, y, rounding_mode="trunc") * 2, [(3, 4), (3, 1)])
    x = lamina.tensor([1.5, -2.5], requires_grad=True)
    y = x // 2
    assert y.requires_grad
    with pytest.raises(RuntimeError, match="derivative for aten::floor_divide is not implemented"):
        y.sum().backward()


# ---- errors -----------------------------------------------------------------------------------

@pytest.mark.parametrize("fn,exc,message", [
    (lambda L: L.ones(2, 3) + L.ones(3, 2), RuntimeError,
     r"The size of tensor a \(3\) must match the size of tensor b \(2\) at non-singleton dimension 1"),
    (lambda L: L.ones(2, 3, 4) * L.ones(3, 3, 5), RuntimeError,
     r"The size of tensor a \(4\) must match the size of tensor b \(5\) at non-singleton dimension 2"),
    (lambda L: L.ones(4) / L.ones(3), RuntimeError, r"tensor a \(4\) must match the size of tensor b \(3\)"),
    (lambda L: L.maximum(L.ones(2), L.ones(3)), RuntimeError, "The size of tensor a"),
    (lambda L: L.where(L.ones(2) > 0, L.ones(3), 0.0), RuntimeError, "The size of tensor a"),
    (lambda L: L.tensor([True]) - L.tensor([True]), RuntimeError,
     r"Subtraction, the `-` operator, with two bool tensors is not supported"),
    (lambda L: L.tensor([True]) - 1, RuntimeError, r"Subtraction, the `-` operator, with a bool tensor"),
    (lambda L: 1 - L.tensor([True]), RuntimeError, r"Subtraction, the `-` operator, with a bool tensor"),
    (lambda L: -L.tensor([True]), RuntimeError, r"Negation, the `-` operator, on a bool tensor is not supported"),
    (lambda L: L.tensor([2, 3]) ** -1, RuntimeError, "Integers to negative integer powers are not allowed"),
    (lambda L: L.add(L.tensor([1]), L.tensor([1]), alpha=2.5), RuntimeError,
     "For integral input tensors, argument alpha must not be a floating point number"),
    (lambda L: L.add(L.ones(2), L.ones(2), alpha=True), RuntimeError, "Boolean alpha only supported"),
    (lambda L: L.div(L.ones(2), 2, rounding_mode="round"), RuntimeError,
     "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found 'round'"),
    (lambda L: L.clamp(L.ones(2)), RuntimeError, "At least one of 'min' or 'max' must not be None"),
    (lambda L: L.where(L.tensor([1, 0]), L.ones(2), 0.0), RuntimeError,
     "where expected condition to be a boolean tensor, but got a tensor with dtype Long"),
    (lambda L: L.abs(L.tensor([True])), NotImplementedError, "\"abs_cpu\" not implemented for 'Bool'"),
    (lambda L: L.maximum(L.ones(2), 2), TypeError, r"maximum\(\): argument 'other' \(position 2\) must be Tensor"),
    (lambda L: L.lerp(L.ones(2), L.ones(2, dtype=L.float64), 0.5), RuntimeError,
     "expected dtype float for `end` but got dtype double"),
])
def test_error_messages_match_torch(fn, exc, message):
    check_error(fn, exc, message)


# ---- in-place variants and graph names ----------------------------------------------------------

@pytest.mark.parametrize("op", ["add_", "sub_", "mul_", "div_", "pow_", "clamp_", "abs_", "neg_"])
def test_inplace_variants_match_torch(op):
    args = {"add_": (2.0,), "sub_": (0.5,), "mul_": (3.0,), "div_": (2.0,), "pow_": (2,), "clamp_": (-0.5, 0.5),
            "abs_": (), "neg_": ()}[op]

    def fn(lib, x, y):
        z = x * 1
        getattr(z, op)(*args)
        w = y * 1
        getattr(w, op)(y) if op in ("add_", "sub_", "mul_", "div_") else None
        return z, w
    check(fn, [(3, 4), positive((3, 4))])


def test_grad_fn_names_match_torch():
    def names(lib):
        x = lib.ones(3, requires_grad=True)
        y = lib.ones(3, requires_grad=True)
        outs = [x + y, x + 2, x - y, x * y, x * 2, x / y, x / 2, x ** y, x ** 2, lib.pow(2, x), -x, abs(x),
                lib.maximum(x, y), lib.clamp(x, 0, 1), lib.clamp(x, y), lib.where(x > 0, x, y),
                lib.lerp(x, y, 0.5), lib.addcmul(x, x, y), lib.addcdiv(x, x, y)]
        return [o.grad_fn.name() for o in outs]
    assert names(lamina) == names(torch)


# ---- broadcasting property ------------------------------------------------------------------------

@st.composite
def broadcastable_shapes(draw):
    """Two shapes that broadcast: a base shape, each side dropping leading dims and setting
    some dims to 1 (sizes include 0)."""
    ndim = draw(st.integers(0, 4))
    base = draw(st.lists(st.integers(0, 3), min_size=ndim, max_size=ndim))

    def derive():
        keep = draw(st.integers(0, ndim))
        dims = base[ndim - keep:]
        return tuple(1 if draw(st.booleans()) else n for n in dims)
    return derive(), derive()


@settings(max_examples=60, deadline=None)
@given(shapes=broadcastable_shapes(), op=st.sampled_from(["add", "sub", "mul", "div", "maximum", "pow", "where",
                                                        "atan2", "lt"]),
       dtype=st.sampled_from(DTYPES))
def test_binary_ops_broadcast_like_torch_property(shapes, op, dtype):
    fns = {"add": lambda lib, x, y: x + y, "sub": lambda lib, x, y: x - y, "mul": lambda lib, x, y: x * y,
           "div": lambda lib, x, y: x / y, "maximum": lambda lib, x, y: lib.maximum(x, y),
           "pow": lambda lib, x, y: x.abs() ** y, "where": lambda lib, x, y: lib.where(y > 0, x, y),
           "atan2": lambda lib, x, y: lib.atan2(x, y), "lt": lambda lib, x, y: (x < y)}
    a = away_from_zero(shapes[0], dtype, seed=3)
    b = away_from_zero(shapes[1], dtype, seed=4)
    check(fns[op], [a, b], dtype=dtype, grad=op != "lt")


def test_abs_gradient_is_zero_at_nan_and_zero():
    # PyTorch's abs backward gives 0 at NaN (np.sign would give NaN) and at ±0
    x = np.array([np.nan, 0.0, -0.0, np.inf, -np.inf, -2.0, 3.0], dtype="float32")
    check(lambda lib, t: lib.abs(t), [x])


@pytest.mark.parametrize("bounds", ["scalars", "tensors"])
def test_clamp_gradient_is_a_select_so_nan_does_not_leak(bounds):
    # PyTorch's clamp backward selects (where), so a NaN upstream gradient at a clamped spot gives 0
    x = np.array([-2.0, 0.5, 3.0, np.nan], "float32")
    up = np.array([np.nan, 1.0, np.nan, 2.0], "float32")

    def fn(lib, t):
        if bounds == "scalars":
            y = lib.clamp(t, -1.0, 1.0)
        else:
            y = lib.clamp(t, min=lib.full((4,), -1.0), max=lib.full((4,), 1.0))
        return y * lib.from_numpy(up)
    check(fn, [x])


@pytest.mark.parametrize("dtype,scalar", [("uint8", -1), ("uint8", 300), ("uint8", -56), ("uint8", 2 ** 63),
                                          ("int8", -129), ("int16", 70000), ("int32", 2 ** 40),
                                          ("int64", -2 ** 63)])
@pytest.mark.parametrize("op", ["add", "sub", "mul", "floordiv", "eq", "lt"])
def test_python_int_outside_the_integer_dtype_wraps_around(dtype, scalar, op):
    """uint8_tensor + (-1), int32_tensor + 2**40, uint8_tensor == -56: PyTorch converts the Python
    int to the tensor's dtype with wrap-around (lamina raised NumPy's OverflowError)."""
    import operator
    fn = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "floordiv": operator.floordiv,
          "eq": operator.eq, "lt": operator.lt}[op]
    data = np.array([0, 1, 7, 100, 127], dtype=dtype)
    try:
        expected = fn(torch.from_numpy(data.copy()), scalar)
    except Exception as e:  # e.g. floor division by a scalar that wraps to zero
        with pytest.raises(type(e)):
            fn(lamina.from_numpy(data.copy()), scalar)
        return
    got = fn(lamina.from_numpy(data.copy()), scalar)
    assert str(got.dtype) == str(expected.dtype)
    np.testing.assert_array_equal(got.numpy(), expected.numpy())


@pytest.mark.parametrize("scalar", [2 ** 64, -2 ** 63 - 1, 2 ** 70])
@pytest.mark.parametrize("dtype", ["uint8", "int64", "float32"])
def test_python_int_beyond_64_bits_raises_like_torch(scalar, dtype):
    with pytest.raises(OverflowError) as expected:
        torch.tensor([1], dtype=getattr(torch, dtype)) + scalar
    with pytest.raises(OverflowError, match=str(expected.value)):
        lamina.tensor([1], dtype=getattr(lamina, dtype)) + scalar


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bounds", [dict(min=0.25), dict(max=-0.5), dict(min=-0.5, max=0.5), dict(min=float("nan")),
                                    dict(max=3), dict(min=float("-inf"))], ids=str)
def test_clamp_with_one_number_bound_on_large_inputs_matches_torch(bounds, dtype):
    # from 1024 elements one bound is applied against a filled array (not NumPy's scalar loop):
    # ties with the bound, NaN, infinities and -0.0 among the values, gradients routed as torch's
    x = np.random.default_rng(0).standard_normal((40, 64)).astype(dtype)
    x.flat[:6] = [0.25, -0.5, 0.5, np.nan, np.inf, -0.0]
    check(lambda lib, a: lib.clamp(a, **bounds), [x], dtype=dtype)
    check(lambda lib, a: lib.clamp(a.t(), **bounds), [x], dtype=dtype)  # a transposed (non-contiguous) input


def test_clamp_with_one_bound_on_large_integer_input_matches_torch():
    x = np.arange(-600, 600).reshape(30, 40)
    check(lambda lib, a: lib.clamp(a, min=-7), [x])
    check(lambda lib, a: lib.clamp(a, max=2.5), [x])


@pytest.mark.parametrize("scalar, values, dtype", [(7, [3, -3, 5], "int64"), (7.5, [2.0, -2.0, 0.75], "float32"),
                                                   (-7, [3, -3, 4], "int32")])
def test_python_number_modulo_tensor_matches_torch(scalar, values, dtype):
    t = scalar % torch.tensor(values, dtype=getattr(torch, dtype))
    m = scalar % lamina.tensor(values, dtype=getattr(lamina, dtype))
    assert m.dtype.__repr__() == t.dtype.__repr__() and m.tolist() == t.tolist()


@pytest.mark.parametrize("case", ["uint8/256", "int16/100000", "int32/2**40", "uint8/-1", "256/uint8", "-1/uint8",
                                  "300//int8", "1000-int8"])
def test_integer_tensor_with_a_number_outside_its_dtype(case):
    """True division takes the number as it is (PyTorch computes in float); the integer ops wrap it."""
    def run(lib):
        u8, i8, i16, i32 = (lambda v, d=d: lib.tensor(v, dtype=getattr(lib, d))
                            for d in ("uint8", "int8", "int16", "int32"))
        return {"uint8/256": lambda: u8([128, 255]) / 256, "int16/100000": lambda: i16([10, 20]) / 100000,
                "int32/2**40": lambda: i32([100]) / 2 ** 40, "uint8/-1": lambda: u8([5]) / -1,
                "256/uint8": lambda: 256 / u8([2, 4]), "-1/uint8": lambda: -1 / u8([5]),
                "300//int8": lambda: 300 // i8([7, -7]), "1000-int8": lambda: 1000 - i8([5])}[case]()
    t, m = run(torch), run(lamina)
    assert repr(m.dtype) == repr(t.dtype)
    np.testing.assert_allclose(m.numpy(), t.numpy(), rtol=1e-6)


def test_bool_tensor_bitwise_operators_promote_as_torch():
    def run(lib):
        b = lib.tensor([True, False])
        out = []
        for other in [1, 2, True, lib.tensor([1, 0]), lib.tensor(True), 1.5, lib.tensor([3, 5], dtype=lib.uint8)]:
            for op in ("__and__", "__or__", "__xor__", "__rand__", "__ror__"):
                try:
                    r = getattr(b, op)(other)
                    out.append((r.tolist(), repr(r.dtype)))
                except NotImplementedError as e:
                    out.append(str(e))
        return out
    assert run(lamina) == run(torch)


def test_number_divided_by_tensor_is_number_times_reciprocal_as_torch():
    """PyTorch computes 3.7 / x as reciprocal(x) · 3.7: the same bits, a MulBackward0 node, and a
    backward from 1/x (x may be changed in place afterwards)."""
    x = np.random.default_rng(0).standard_normal(100_000).astype(np.float32)
    np.testing.assert_array_equal((3.7 / lamina.from_numpy(x)).numpy(), (3.7 / torch.from_numpy(x)).numpy())
    out = []
    for lib in (torch, lamina):
        w = lib.tensor([1.0, 2.0, 0.0], requires_grad=True)
        y = w * 1
        z = 2 / y
        y.add_(1)
        (z[:2].sum() + (0 / w).sum()).backward()
        out.append((z.grad_fn.name(), w.grad.tolist()))
    assert repr(out[1]) == repr(out[0])
