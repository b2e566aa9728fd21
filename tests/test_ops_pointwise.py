"""Unary math, softmax/log_softmax and comparisons against PyTorch: values and gradients over
shapes (size-0, 0-d) and dtypes, integer inputs computing in float32, the domain edges
(inf, nan, log of 0), erf to float64 accuracy without SciPy, and the comparison/logical ops.
Runs with the compiled kernels (lamina/_accel) and with the NumPy paths (`kernel_path`)."""
import sys

import numpy as np
import pytest
import torch

import lamina
from oracle import check, check_error

DTYPES = ["float32", "float64"]
pytestmark = pytest.mark.usefixtures("kernel_path")
SHAPES = [(3, 4), (5,), (), (0, 3), (2, 1, 3)]


def uniform(shape, low, high, dtype="float32", seed=0):
    return np.asarray(np.random.default_rng(seed).uniform(low, high, shape), dtype=dtype)


# name → (input range, or None for standard normal)
UNARY = {
    "exp": None, "exp2": None, "expm1": None, "log": (0.1, 3), "log2": (0.1, 3), "log10": (0.1, 3),
    "log1p": (-0.5, 3), "sqrt": (0.1, 3), "rsqrt": (0.1, 3), "sin": None, "cos": None, "tan": (-1.2, 1.2),
    "asin": (-0.9, 0.9), "acos": (-0.9, 0.9), "atan": None, "sinh": None, "cosh": None, "asinh": None,
    "acosh": (1.1, 3), "atanh": (-0.9, 0.9), "tanh": None, "sigmoid": None, "relu": None, "erf": (-4, 4),
    "floor": None, "ceil": None, "round": None, "trunc": None, "frac": None, "abs": None, "neg": None,
    "sign": None, "square": None, "reciprocal": (0.2, 2), "logit": (0.05, 0.95), "nan_to_num": None,
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("op", list(UNARY))
def test_unary_function_and_method(op, shape, dtype):
    rng = UNARY[op]
    x = uniform(shape, *rng, dtype=dtype) if rng else np.asarray(np.random.default_rng(1).standard_normal(shape), dtype)
    check(lambda lib, t: getattr(lib, op)(t), [x], dtype=dtype)
    check(lambda lib, t: getattr(t, op)(), [x], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
def test_relu_of_large_tensors_with_special_values(dtype, layout):
    # large contiguous inputs take a different NumPy path (see pointwise._max0)
    x = np.asarray(np.random.default_rng(2).standard_normal((48, 64)), dtype)
    x[0, :5] = [0.0, -0.0, np.inf, -np.inf, 1e-40]
    x = x if layout == "contiguous" else x.T
    check(lambda lib, t: lib.relu(t), [x], dtype=dtype)
    check(lambda lib, t: lib.nn.functional.relu(t * 1, inplace=True), [x], dtype=dtype)
    x = x.copy()
    x[1, 1] = np.nan  # PyTorch passes the gradient through at nan (it zeroes it only where out <= 0)
    check(lambda lib, t: lib.relu(t), [x], dtype=dtype)
    y = lamina.relu(lamina.from_numpy(x.copy()))
    y.numpy()[...] = 7.0  # the output is the caller's own array
    assert (lamina.relu(lamina.zeros(48, 64, dtype=getattr(lamina, dtype))).numpy() == 0).all()


@pytest.mark.parametrize("op", ["exp", "log", "sqrt", "rsqrt", "sin", "tanh", "sigmoid", "relu", "erf", "floor", "round",
                                "abs", "neg", "log1p", "expm1", "nan_to_num"])
def test_inplace_unary_matches_torch(op):
    def fn(lib, t):
        y = t.abs() + 0.5
        getattr(y, op + "_")()
        return y
    check(fn, [(3, 4)])


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
@pytest.mark.parametrize("op", ["exp", "log", "sqrt", "sin", "tanh", "sigmoid", "erf", "rsqrt", "log1p", "atan",
                                "relu", "floor", "ceil", "round", "trunc", "nan_to_num", "reciprocal"])
def test_integer_input_computes_like_torch(op, dtype):
    x = np.array([[0, 1, 2], [3, 1, 0]]).astype(dtype)
    try:
        getattr(torch, op)(torch.from_numpy(x))
    except (RuntimeError, NotImplementedError) as e:  # rounding ops and relu refuse bool
        with pytest.raises(type(e), match=str(e).split(" not ")[0]):
            getattr(lamina, op)(lamina.from_numpy(x))
        return
    check(lambda lib, t: getattr(lib, op)(t), [x], grad=False)


EDGES = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, 1e-30, -100.0, 100.0, 1e30, -1e30], dtype="float32")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("op", ["exp", "expm1", "log", "log1p", "sqrt", "rsqrt", "tanh", "sigmoid", "relu", "erf",
                                "atan", "sinh", "exp2", "sign", "floor", "reciprocal", "nan_to_num"])
def test_values_at_domain_edges(op, dtype):
    check(lambda lib, t: getattr(lib, op)(t), [EDGES.astype(dtype)], dtype=dtype, grad=False)


@pytest.mark.parametrize("op", ["exp", "log", "sqrt", "tanh", "sigmoid", "relu", "erf", "abs", "sign", "nan_to_num"])
def test_gradients_at_domain_edges(op):
    # relu/abs at 0, sqrt/log at 0 (inf), sigmoid/tanh saturated, nan_to_num at non-finite
    x = np.array([0.0, 1.0, -1.0, 100.0, -100.0, 1e-30, np.inf, -np.inf], dtype="float32")
    check(lambda lib, t: getattr(lib, op)(t), [x])


def test_sigmoid_is_accurate_far_into_the_tails():
    x = np.array([-20.0, -50.0, -80.0, -87.0, 20.0, 40.0], dtype="float32")
    check(lambda lib, t: (lib.sigmoid(t), lib.sigmoid(t).log()), [x], rtol=1e-5, atol=0)


def test_round_with_decimals():
    x = np.array([1.2345, -2.5, 0.5, 1.5, 2.675, 1234.5678, -0.045], dtype="float64")
    for decimals in (0, 1, 2, -1, -2):
        check(lambda lib, t: lib.round(t, decimals=decimals), [x], dtype="float64")
    check(lambda lib, t: t.round(decimals=2), [x.astype("float32")])


def test_logit_with_eps_and_atan2():
    x = np.array([0.0, 0.01, 0.3, 0.99, 1.0, 0.5], dtype="float64")
    check(lambda lib, t: lib.logit(t, eps=0.05), [x], dtype="float64")
    check(lambda lib, t: t.logit(), [x[1:4]], dtype="float64")
    for shapes in ([(3, 4), (3, 4)], [(3, 1), (4,)], [(), (2,)]):
        check(lambda lib, a, b: lib.atan2(a, b), shapes)
    check(lambda lib, a, b: lib.atan2(a, b), [np.array([1, -2, 0]), np.array([3, 4, 0])], grad=False)


def test_nan_to_num_options():
    check(lambda lib, t: (lib.nan_to_num(t), t.nan_to_num(nan=1.5, posinf=9.0, neginf=-9.0)), [EDGES])


def test_grad_fn_names_match_torch():
    def names(lib):
        x = lib.ones(3, requires_grad=True)
        outs = [getattr(lib, op)(x) for op in ("exp", "log", "sqrt", "rsqrt", "sin", "cos", "tanh", "sigmoid", "relu",
                                               "erf", "floor", "round", "log1p", "expm1", "atan", "frac", "logit")]
        outs += [lib.softmax(x, 0), lib.log_softmax(x, 0), lib.round(x, decimals=1), lib.atan2(x, x)]
        return [o.grad_fn.name() for o in outs]
    assert names(lamina) == names(torch)


# ---- erf ---------------------------------------------------------------------------------------

def test_erf_is_float64_accurate_without_scipy():
    # dense grid over the two branches and their seam, tiny and huge arguments
    x = np.concatenate([np.linspace(-7, 7, 20001), np.geomspace(1e-300, 1e-3, 200), -np.geomspace(1e-300, 1e-3, 50),
                        [0.0, 1.9999999999, 2.0, 2.0000000001, 5.9, 6.0, 6.1, 27.0, 1e300, np.inf, -np.inf]])
    expected = torch.erf(torch.from_numpy(x)).numpy()
    got = lamina.erf(lamina.from_numpy(x)).numpy()
    ulps = np.abs(got - expected) / np.spacing(np.maximum(np.abs(expected), np.finfo(np.float64).tiny))
    assert ulps.max() <= 4, f"erf off by {ulps.max()} ulp at x={x[ulps.argmax()]}"
    assert np.isnan(lamina.erf(lamina.tensor([float("nan")])).item())


def test_erf_float32_and_float16_stay_in_their_dtype():
    x = np.linspace(-5, 5, 2001).astype("float32")
    check(lambda lib, t: lib.erf(t), [x], atol=2e-7, rtol=0)
    check(lambda lib, t: lib.erf(t), [x.astype("float16")], dtype="float16", grad=False)


def test_erf_does_not_import_scipy():
    before = "scipy" in sys.modules
    lamina.erf(lamina.randn(100) * 3)
    assert before or "scipy" not in sys.modules


# ---- softmax -----------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape,dim", [((3, 4), 1), ((3, 4), 0), ((3, 4), -1), ((2, 3, 4), 1), ((5,), 0), ((), 0),
                                       ((0, 3), 1), ((3, 0), 1), ((3, 0), 0), ((2, 1, 3), 1)], ids=str)
@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
def test_softmax(op, shape, dim, dtype):
    check(lambda lib, x: getattr(lib, op)(x, dim), [shape], dtype=dtype)
    check(lambda lib, x: getattr(x, op)(dim=dim), [shape], dtype=dtype)


@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
def test_softmax_with_dtype_and_integer_input(op):
    check(lambda lib, x: getattr(lib, op)(x, 1, dtype=lib.float64), [(3, 4)])
    check(lambda lib, x: getattr(x, op)(0, lib.float32), [np.array([[1, 2], [3, 4]])], grad=False)
    check(lambda lib, x: getattr(lib, op)(x, 0, dtype=lib.float32), [(3, 4)], dtype="float16", atol=1e-3, rtol=1e-3)


@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
def test_softmax_with_infinities_and_large_values(op):
    x = np.array([[-np.inf, 0.0, 1.0], [1000.0, 1000.0, -1000.0], [-np.inf, -np.inf, 5.0]], dtype="float32")
    check(lambda lib, t: getattr(lib, op)(t, 1), [x])
    check(lambda lib, t: getattr(lib, op)(t, 1), [np.full((2, 3), -np.inf, "float32")], grad=False)


@pytest.mark.parametrize("fn,exc,message", [
    (lambda L: L.softmax(L.tensor([[1, 2]]), 1), NotImplementedError,
     "\"softmax_lastdim_kernel_impl\" not implemented for 'Long'"),
    (lambda L: L.softmax(L.tensor([[1, 2]]), 0), NotImplementedError, "\"softmax_kernel_impl\" not implemented for 'Long'"),
    (lambda L: L.log_softmax(L.tensor([[1, 2]]), -1), NotImplementedError,
     "\"log_softmax_lastdim_kernel_impl\" not implemented for 'Long'"),
    (lambda L: L.softmax(L.ones(2, 3), 2), IndexError,
     r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"),
    (lambda L: L.round(L.tensor([1, 2]), decimals=1), NotImplementedError, "\"round_cpu\" not implemented for 'Long'"),
    (lambda L: L.frac(L.tensor([1, 2])), NotImplementedError, "\"frac_cpu\" not implemented for 'Long'"),
])
def test_error_messages_match_torch(fn, exc, message):
    check_error(fn, exc, message)


# ---- comparisons and logical ops ---------------------------------------------------------------

COMPARE = {
    "eq": lambda lib, x, y: x == y, "ne": lambda lib, x, y: x != y, "lt": lambda lib, x, y: x < y,
    "le": lambda lib, x, y: x <= y, "gt": lambda lib, x, y: x > y, "ge": lambda lib, x, y: x >= y,
    "eq_fn": lambda lib, x, y: lib.eq(x, y), "greater": lambda lib, x, y: lib.greater(x, y),
    "logical_and": lambda lib, x, y: lib.logical_and(x, y), "logical_or": lambda lib, x, y: lib.logical_or(x, y),
    "logical_xor": lambda lib, x, y: lib.logical_xor(x, y), "isclose": lambda lib, x, y: lib.isclose(x, y, atol=0.5),
}
OPERANDS = {
    "float": (np.array([[1.0, 2.0, np.nan], [0.0, -1.0, 3.0]], "float32"), np.array([1.0, 3.0, np.nan], "float32")),
    "int_vs_float": (np.array([[1, 2, 3], [0, -1, 3]]), np.array([1.0, 2.5, 3.0], "float32")),
    "bool": (np.array([[True, False, True]]), np.array([[True], [False]])),
    "uint8_vs_int8": (np.array([[1, 200, 3]], "uint8"), np.array([1, -56, 4], "int8")),
    "0d": (np.array(2.0, "float64"), np.array([1.0, 2.0, 3.0], "float32")),
}


@pytest.mark.parametrize("operands", list(OPERANDS))
@pytest.mark.parametrize("op", list(COMPARE))
def test_comparisons_and_logical_ops(op, operands):
    a, b = OPERANDS[operands]
    if op == "isclose" and a.dtype != b.dtype:
        pytest.skip("isclose requires equal dtypes (tested in the errors)")
    check(COMPARE[op], [a, b], grad=False)


@pytest.mark.parametrize("op", ["eq", "ne", "lt", "ge"])
def test_comparison_with_python_scalars(op):
    for x in (np.array([[1, 2, 3]]), np.array([[0.5, 1.5, 2.5]], "float32"), np.array([True, False])):
        for s in (1, 1.5, True):
            check(lambda lib, t: getattr(lib, op)(t, s), [x], grad=False)
    check(lambda lib, t: (1.5 < t, 2 == t, t > 1, t <= 2.5), [np.array([1, 2, 3])], grad=False)


@pytest.mark.parametrize("op", ["bitwise_and", "bitwise_or", "bitwise_xor"])
def test_bitwise_ops(op):
    for a, b in [(np.array([6, 3, -1]), np.array([3, 5, 7])), (np.array([True, False]), np.array([True, True])),
                 (np.array([6, 3], "uint8"), np.array([3, 5], "int32"))]:
        check(lambda lib, x, y: getattr(lib, op)(x, y), [a, b], grad=False)
    check(lambda lib, x: (x & 3, x | 8, x ^ 1, ~x), [np.array([6, 3, -1])], grad=False)
    check(lambda lib, x, y: (x & y, x | y, x ^ y, ~x), [np.array([True, False, True]), np.array([True, True, False])],
          grad=False)


@pytest.mark.parametrize("dtype", ["int64", "int32", "int8", "uint8"])
def test_shifts_match_torch(dtype):
    """<< and >> as torch: arithmetic right shift, and a count below 0 or of the width or more
    empties the value (-1 for negative values shifted right) instead of NumPy's undefined result."""
    x = np.array([-7, 7, 5, 0, 100, -128, 127] if dtype != "uint8" else [200, 7, 5, 0, 100, 128, 255], dtype)
    counts = np.array([1, 0, 3, 7, 8, 9, 70], dtype)
    check(lambda lib, t, c: (t << c, t >> c, lib.bitwise_left_shift(t, c), t.bitwise_right_shift(c)), [x, counts],
          grad=False)
    check(lambda lib, t: (t << 2, t >> 1, t >> -1, t << -1, t >> 70, 1 << t.clamp(0, 5), 64 >> t.clamp(0, 5)),
          [x], grad=False)
    check(lambda lib, t, c: (t.reshape(7, 1) << c, t.reshape(7, 1).bitwise_left_shift(c)), [x, counts[:3]], grad=False)


def test_augmented_assignment_writes_into_the_tensor():
    """x &= m, x **= 2, x //= 3, ...: the tensor (and every view of it) changes, as in torch; they
    must not rebind the name to a new tensor."""
    def run(lib, x):
        col = x[:, 0]
        for op in ("&=", "|=", "^=", "//=", "%=", "**=", "<<=", ">>="):
            ns = {"col": col}
            exec(f"col {op} 3", ns)
            assert ns["col"] is col
        f = x.float()
        g = f
        g **= 2
        g //= 3
        g %= 5
        m = x > 2
        m &= x < 9
        m |= x == 0
        m ^= x == 5
        return x, f, m
    check(run, [np.array([[5, 6], [7, 8], [1, 0]])], grad=False)


def test_shift_errors_match_torch():
    check_error(lambda L: L.tensor([1.5]) >> 1, NotImplementedError, "\"rshift_cpu\" not implemented for 'Float'")
    check_error(lambda L: L.tensor([True]) << L.tensor([True]), NotImplementedError,
                "\"lshift_cpu\" not implemented for 'Bool'")
    check_error(lambda L: 2 << L.tensor([1.0]), NotImplementedError, "\"lshift_cpu\" not implemented for 'Float'")
    check_error(lambda L: L.tensor([1.0]).__iand__(1), NotImplementedError, "\"bitwise_and_cpu\" not implemented")


def test_predicates():
    x = np.array([1.0, np.nan, np.inf, -np.inf, -0.0, 0.0], "float32")
    check(lambda lib, t: (t.isnan(), t.isinf(), t.isfinite(), t.isposinf(), t.isneginf(), t.signbit(),
                          lib.logical_not(t)), [x], grad=False)
    check(lambda lib, t: (t.isnan(), t.isinf(), t.isfinite(), t.signbit()), [np.array([1, -2, 0])], grad=False)


def test_equal_allclose_and_is_nonzero():
    for lib in (torch, lamina):
        a = lib.tensor([1.0, 2.0, 3.0])
        assert lib.equal(a, lib.tensor([1.0, 2.0, 3.0])) is True
        assert lib.equal(a, lib.tensor([1.0, 2.0])) is False
        assert lib.allclose(a, a + 1e-7) is True
        assert lib.allclose(a, a + 1e-3) is False
        assert lib.is_nonzero(lib.tensor([2.0])) is True
        assert (a == None) is False and (a != None) is True  # noqa: E711
        assert not (lib.tensor([1, 2]) == 1.5).any()


def test_comparisons_never_require_grad():
    x = lamina.randn(3, requires_grad=True)
    for out in (x > 0, x == x, lamina.isclose(x, x), x.isnan(), lamina.logical_and(x, x)):
        assert not out.requires_grad and out.grad_fn is None


@pytest.mark.parametrize("fn,exc,message", [
    (lambda L: L.bitwise_and(L.ones(2), L.ones(2)), NotImplementedError, "\"bitwise_and_cpu\" not implemented for 'Float'"),
    (lambda L: L.bitwise_not(L.ones(2)), NotImplementedError, "\"bitwise_not_cpu\" not implemented for 'Float'"),
    (lambda L: L.isclose(L.ones(2), L.ones(2, dtype=L.float64)), RuntimeError, "Float did not match Double"),
    (lambda L: L.ones(2, 3) == L.ones(3, 2), RuntimeError,
     r"The size of tensor a \(3\) must match the size of tensor b \(2\) at non-singleton dimension 1"),
    (lambda L: L.is_nonzero(L.ones(2)), RuntimeError, "Boolean value of Tensor with more than one value is ambiguous"),
    (lambda L: L.is_nonzero(L.ones(0)), RuntimeError, "Boolean value of Tensor with no values is ambiguous"),
])
def test_comparison_errors_match_torch(fn, exc, message):
    check_error(fn, exc, message)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("n_tail", [1, 16, 17, 200])
def test_erf_and_gelu_on_both_sides_of_the_few_tail_values_path(n_tail, dtype):
    """erf takes the C library's erf for at most 16 values with |x| >= 2 and the vector formula
    beyond: both within 1 ulp of PyTorch, with specials (±inf, nan, ±0, denormals, ±2 exactly)
    among the tail and the body; GELU through it, with its gradient."""
    rng = np.random.default_rng(n_tail)
    body = rng.uniform(-1.99, 1.99, 300)
    tail = rng.uniform(2.0, 7.0, n_tail) * rng.choice([-1.0, 1.0], n_tail)
    tail[:2] = [2.0, np.inf][:n_tail]
    specials = [np.nan, 0.0, -0.0, 1e-40, -1e-45, 1e-310]
    x = np.concatenate([body, tail, specials]).astype(dtype)
    rng.shuffle(x)
    got = lamina.erf(lamina.from_numpy(x.copy())).numpy()
    expected = torch.erf(torch.from_numpy(x.copy())).numpy()
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    ulp = np.spacing(np.abs(expected).astype(dtype))
    tail_at = np.abs(x) >= 2
    assert np.all(np.abs(got - expected)[tail_at] <= ulp[tail_at]), "erf's tail off by more than 1 ulp"
    body_at = ~tail_at & ~np.isnan(x)  # the series: 2 ulp, and within denormal rounding near 0
    assert np.all(np.abs(got - expected)[body_at] <= np.maximum(2 * ulp[body_at], 1e-44)), "erf off by > 2 ulp"
    assert np.signbit(got[x == 0]).tolist() == np.signbit(x[x == 0]).tolist()
    gelu_in = np.concatenate([body, tail * 1.4142135623730951]).astype(dtype).reshape(-1, 1)
    check(lambda lib, t: lib.nn.functional.gelu(t), [gelu_in], dtype=dtype)


def test_inplace_aliases_and_top_level_inplace_functions_match_torch():
    def run(lib):
        x = lib.tensor([0.25, 4.0])
        lib.sqrt_(x)
        y = lib.tensor([0.5, -0.25])
        y.arcsin_()
        z = lib.tensor([1.0, 3.0])
        z.greater_(2)
        w = lib.tensor([1.0, 3.0])
        w.less_equal_(1)
        return [x.tolist(), y.tolist(), z.tolist(), w.tolist(), lib.sigmoid_(lib.zeros(1)).tolist(),
                lib.clip_(lib.tensor([-2.0, 2.0]), -1, 1).tolist()]
    assert run(lamina) == run(torch)
