"""PyTorch names lamina gained together, each against PyTorch: the top-level in-place functions
(torch.exp_(t), ...) and torch.fill; is_signed, layout/strided and the layout= argument of the
factories; row_stack, get_device, warn-always, anomaly mode and the inter-op thread count; the
window functions (hann, hamming, blackman, bartlett, kaiser); Tensor.apply_/map_ and the
hardshrink/prelu methods; torch.gradient with every spacing form, its gradients and its errors."""
import warnings

import numpy as np
import pytest
import torch

import lamina
from oracle import check

LIBS = (torch, lamina)


def outcome(fn, lib):
    """fn(lib)'s value, or (exception type name, first line of its message)."""
    try:
        return fn(lib)
    except Exception as e:  # noqa: BLE001 - the error itself is compared
        return type(e).__name__, str(e).split("\n")[0]


def same_outcome(fn, message=True):
    """fn raises the same error in both (its type, and its first line; message="prefix": up to
    " - got", how PyTorch's overload parser lists the arguments; False: the type only), or gives
    equal values."""
    t, l = outcome(fn, torch), outcome(fn, lamina)
    if isinstance(t, tuple) or isinstance(l, tuple):
        assert isinstance(t, tuple) and isinstance(l, tuple), f"torch: {t!r}, lamina: {l!r}"
        if message == "prefix":
            t, l = [(e[0], e[1].split(" - got")[0]) for e in (t, l)]
        assert (t if message else t[0]) == (l if message else l[0]), f"torch: {t!r}, lamina: {l!r}"
        return
    plain = [x.tolist() if isinstance(x, (torch.Tensor, lamina.Tensor)) else x for x in (t, l)]
    assert plain[0] == plain[1], f"torch: {t!r}, lamina: {l!r}"


# ---- top-level in-place functions ----------------------------------------------------------------

def _uniform(shape, low, high, seed=0):
    return np.random.default_rng(seed).uniform(low, high, shape).astype(np.float32)


# name -> (input array, extra args as a function of lib, kwargs)
INPLACE = {
    "cos_": (None, (), {}), "cosh_": (None, (), {}), "acos_": ((-0.9, 0.9), (), {}),
    "arccos_": ((-0.9, 0.9), (), {}), "acosh_": ((1.1, 3), (), {}), "arccosh_": ((1.1, 3), (), {}),
    "ceil_": (None, (), {}), "deg2rad_": (None, (), {}), "rad2deg_": (None, (), {}), "erf_": (None, (), {}),
    "erfc_": (None, (), {}), "exp_": (None, (), {}), "exp2_": (None, (), {}), "expm1_": (None, (), {}),
    "neg_": (None, (), {}), "negative_": (None, (), {}), "reciprocal_": ((0.2, 2), (), {}),
    "square_": (None, (), {}), "zero_": (None, (), {}), "nan_to_num_": (None, (), {"nan": 0.5}),
    "clamp_": (None, (), {"min": -0.4, "max": 0.6}), "clamp_max_": (None, (0.3,), {}),
    "clamp_min_": (None, (-0.3,), {}), "xlogy_": ((0.1, 2), (2.5,), {}),
}


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_top_level_inplace_matches_the_method_and_torch(name):
    rng, args, kwargs = INPLACE[name]
    x = _uniform((3, 4), *rng) if rng else np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32)
    # on a non-leaf: torch.X_(t) rewrites t (same object returned) and the gradient flows through it
    # (torch has no derivative for in-place acosh; lamina's is acosh's, so only values are compared)
    check(lambda lib, t: getattr(lib, name)(t * 1, *args, **kwargs), [x], grad=name not in ("acosh_", "arccosh_"))
    for lib in LIBS:
        t = lib.from_numpy(x.copy()) if lib is lamina else torch.from_numpy(x.copy())
        assert getattr(lib, name)(t, *args, **kwargs) is t
    got = getattr(lamina, name)(lamina.from_numpy(x.copy()), *args, **kwargs).numpy()
    want = getattr(torch, name)(torch.from_numpy(x.copy()), *args, **kwargs).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_top_level_inplace_nan_to_num_ldexp_xlogy_with_tensors():
    x = np.array([np.nan, np.inf, -np.inf, 1.5], np.float32)
    check(lambda lib, t: lib.nan_to_num_(t * 1, posinf=9.0), [x], grad=False)
    check(lambda lib, t, e: lib.ldexp_(t, e), [np.array([1., 2., 3.], np.float32), np.array([1, 2, -1])],
          grad=False)
    check(lambda lib, t, y: lib.xlogy_(t * 1, y), [(2, 3), _uniform((2, 3), 0.5, 2)])


def test_detach_and_resize_as_at_top_level():
    for lib in LIBS:
        y = lib.ones(2, 3, requires_grad=True) * 2
        assert lib.detach_(y) is y and not y.requires_grad and y.grad_fn is None
        z = lib.zeros(2)
        assert lib.resize_as_(z, lib.ones(3, 4)) is z and tuple(z.shape) == (3, 4)


@pytest.mark.parametrize("call", [
    lambda lib: lib.exp_(lib.ones(2, dtype=lib.int64)),  # the float result cannot go into int64
    lambda lib: lib.cos_(lib.ones(2, requires_grad=True)),  # a leaf that requires grad
    lambda lib: lib.exp_(3),
    lambda lib: lib.zero_([1.0]),
], ids=["int-result", "leaf", "int-arg", "list-arg"])
def test_top_level_inplace_errors(call):
    same_outcome(call)
    # an op with several overloads words it "invalid combination of arguments": the type is the same
    same_outcome(lambda lib: lib.clamp_(2.0, min=0), message=False)


# ---- torch.fill ----------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "int32", "uint8", "bool"])
@pytest.mark.parametrize("value", [2.5, -1, 7, True, 0])
def test_fill_is_out_of_place_with_input_dtype(dtype, value):
    for make_value in (lambda lib: value, lambda lib: lib.tensor(value)):
        t_in = torch.ones(2, 3, dtype=getattr(torch, dtype))
        l_in = lamina.ones(2, 3, dtype=getattr(lamina, dtype))
        t, l = outcome(lambda lib: torch.fill(t_in, make_value(torch)), torch), \
            outcome(lambda lib: lamina.fill(l_in, make_value(lamina)), lamina)
        if isinstance(t, tuple):
            assert l == t
            continue
        assert l.dtype == getattr(lamina, dtype) and tuple(l.shape) == (2, 3)
        np.testing.assert_array_equal(l.numpy(), t.numpy())
        assert (l_in.numpy() == 1).all()  # the input is untouched


def test_fill_gradients_go_to_the_value_tensor():
    check(lambda lib, x, v: lib.fill(x, v), [(2, 3), np.array(1.5, np.float32)])
    check(lambda lib, x, v: lib.fill(x, v), [(2, 3), np.array(1.5, np.float64)], dtype="float64")
    check(lambda lib, x: lib.fill(x, 4), [(2, 3)])  # the input's gradient is zero
    for lib in LIBS:
        y = lib.fill(lib.ones(2, requires_grad=True), 2.0)
        assert y.requires_grad and y.grad_fn.name() == "FillBackward0"
        y = lib.fill(lib.ones(2), lib.tensor(2.0, requires_grad=True))
        assert y.grad_fn.name() == "FillBackward1"
        with lib.no_grad():
            assert not lib.fill(lib.ones(2, requires_grad=True), 2.0).requires_grad


@pytest.mark.parametrize("call", [
    lambda lib: lib.fill(lib.ones(2, 3), lib.tensor([3.0])),
    lambda lib: lib.fill(lib.ones(2, dtype=lib.uint8), 300),
    lambda lib: lib.fill(lib.ones(2, dtype=lib.int64), float("nan")),
    lambda lib: lib.fill(lib.ones(2, dtype=lib.float16), 1e6),
    lambda lib: lib.fill(lib.ones(2), "a"),
    lambda lib: lib.fill(lib.ones(2), None),
    lambda lib: lib.fill(3, 3),
    lambda lib: lib.fill(lib.ones(2), 1 + 2j),
    lambda lib: lib.fill(lib.ones(2, dtype=lib.int64), lib.tensor(2.5, requires_grad=True)),
])
def test_fill_errors(call):
    same_outcome(call)


def test_fill_from_a_value_tensor_casts_without_the_overflow_check():
    check(lambda lib: lib.fill(lib.ones(3, dtype=lib.float16), lib.tensor(1e6)), [], grad=False, dtype="float16")
    check(lambda lib: lib.fill(lib.ones(3, dtype=lib.int32), lib.tensor(2.7)), [], grad=False)


# ---- is_signed, layout ---------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32",
                                   "float64"])
def test_is_signed(dtype):
    t = torch.zeros(2, dtype=getattr(torch, dtype))
    l = lamina.zeros(2, dtype=getattr(lamina, dtype))
    assert lamina.is_signed(l) is torch.is_signed(t)
    assert l.is_signed() is t.is_signed()
    assert lamina.is_signed(input=l) is torch.is_signed(input=t)


def test_is_signed_and_get_device_want_a_tensor():
    same_outcome(lambda lib: lib.is_signed(3))
    same_outcome(lambda lib: lib.get_device([1.0]))


def test_layout_is_strided_and_prints_as_torch():
    assert lamina.ones(2).layout is lamina.strided
    assert lamina.ones(2, 3).t()[0].layout == lamina.strided
    for name in ("strided", "sparse_coo", "sparse_csr", "sparse_csc", "sparse_bsr", "sparse_bsc", "jagged"):
        assert str(getattr(lamina, name)) == str(getattr(torch, name))
        assert repr(getattr(lamina, name)) == repr(getattr(torch, name))
        assert isinstance(getattr(lamina, name), lamina.layout)
    assert lamina.strided != lamina.sparse_coo and {lamina.strided: 1}[lamina.strided] == 1
    assert lamina.typename(lamina.strided) == torch.typename(torch.strided)
    same_outcome(lambda lib: lib.layout("strided"))


FACTORIES = {
    "zeros": lambda lib, **kw: lib.zeros(2, 3, **kw), "ones": lambda lib, **kw: lib.ones(2, **kw),
    "empty": lambda lib, **kw: lib.empty(2, **kw), "full": lambda lib, **kw: lib.full((2,), 1.0, **kw),
    "zeros_like": lambda lib, **kw: lib.zeros_like(lib.ones(2), **kw),
    "ones_like": lambda lib, **kw: lib.ones_like(lib.ones(2), **kw),
    "empty_like": lambda lib, **kw: lib.empty_like(lib.ones(2), **kw),
    "full_like": lambda lib, **kw: lib.full_like(lib.ones(2), 3, **kw),
    "arange": lambda lib, **kw: lib.arange(3, **kw), "linspace": lambda lib, **kw: lib.linspace(0, 1, 3, **kw),
    "logspace": lambda lib, **kw: lib.logspace(0, 1, 3, **kw), "eye": lambda lib, **kw: lib.eye(2, **kw),
    "rand": lambda lib, **kw: lib.rand(2, **kw), "randn": lambda lib, **kw: lib.randn(2, **kw),
    "randint": lambda lib, **kw: lib.randint(3, (2,), **kw), "randperm": lambda lib, **kw: lib.randperm(3, **kw),
    "rand_like": lambda lib, **kw: lib.rand_like(lib.ones(2), **kw),
    "tril_indices": lambda lib, **kw: lib.tril_indices(3, 3, **kw),
    "new_zeros": lambda lib, **kw: lib.ones(2).new_zeros(2, **kw),
    "new_full": lambda lib, **kw: lib.ones(2).new_full((2,), 3.0, **kw),
}


@pytest.mark.parametrize("factory", sorted(FACTORIES))
def test_factories_take_layout_strided_and_refuse_the_rest(factory):
    make = FACTORIES[factory]
    for layout in (None, "strided"):
        t = make(torch, layout=getattr(torch, layout) if layout else None)
        l = make(lamina, layout=getattr(lamina, layout) if layout else None)
        assert l.layout is lamina.strided and tuple(l.shape) == tuple(t.shape) and str(l.dtype) == str(t.dtype)
    same_outcome(lambda lib: make(lib, layout="strided"), message=factory in (  # not a torch.layout
        "zeros", "ones", "empty", "full", "zeros_like", "ones_like", "empty_like", "full_like", "tril_indices"))
    with pytest.raises(NotImplementedError, match="strided only"):  # torch would make a sparse tensor
        make(lamina, layout=lamina.sparse_coo)


def test_scalar_tensor_takes_any_layout_as_torch():
    for lib in LIBS:
        assert lib.scalar_tensor(2, layout=lib.sparse_coo).layout is lib.strided
    same_outcome(lambda lib: lib.scalar_tensor(2, layout=3))


# ---- row_stack, get_device, warn-always, anomaly, interop threads -------------------------------

def test_row_stack_is_vstack():
    check(lambda lib, a, b: lib.row_stack([a, b]), [(3,), (3,)])
    check(lambda lib, a, b: lib.row_stack((a, b)), [(2, 3), (1, 3)])
    check(lambda lib, a: lib.row_stack(tensors=[a]), [()])
    for call in (lambda lib: lib.row_stack([]), lambda lib: lib.row_stack(lib.ones(2)),
                 lambda lib: lib.row_stack([lib.ones(2), 3])):
        same_outcome(call)


def test_get_device_is_minus_one_on_cpu():
    for lib in LIBS:
        assert lib.get_device(lib.ones(2)) == -1 and lib.get_device(input=lib.ones(2)) == -1


def test_warn_always_switch_and_meshgrid_warning():
    assert lamina.is_warn_always_enabled() is torch.is_warn_always_enabled() is False
    same_outcome(lambda lib: lib.set_warn_always(1))
    same_outcome(lambda lib: lib.set_warn_always(b=True))
    try:
        for lib in LIBS:
            lib.set_warn_always(True)
            assert lib.is_warn_always_enabled() is True
        a = lamina.ones(2)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            lamina.meshgrid(a, a)
            lamina.meshgrid(a, a)
        assert sum("indexing" in str(w.message) for w in caught) == 2  # every call, as torch under warn-always
    finally:
        for lib in LIBS:
            lib.set_warn_always(False)
    assert lamina.is_warn_always_enabled() is False


def test_anomaly_mode_switches():
    try:
        for args in [(True,), (True, False), (False,), (False, True)]:
            for lib in LIBS:
                lib.set_anomaly_enabled(*args)
            assert lamina.is_anomaly_enabled() is torch.is_anomaly_enabled()
            assert lamina.is_anomaly_check_nan_enabled() is torch.is_anomaly_check_nan_enabled()
        for lib in LIBS:
            with lib.autograd.set_detect_anomaly(True, check_nan=False):
                pass
        assert lamina.is_anomaly_enabled() is torch.is_anomaly_enabled() is False
        same_outcome(lambda lib: lib.set_anomaly_enabled(1))
        same_outcome(lambda lib: lib.set_anomaly_enabled(True, 1))
    finally:
        for lib in LIBS:
            lib.set_anomaly_enabled(False)


def test_anomaly_mode_drives_the_nan_check_in_backward():
    def nan_backward(lib):
        x = lib.tensor([0.0], requires_grad=True)
        lib.sqrt(x * 0 - 1).sum().backward()  # the gradient of sqrt at -1 is NaN
        return x.grad.isnan().all().item()
    try:
        for lib in LIBS:
            lib.set_anomaly_enabled(True)
        same_outcome(nan_backward)
        assert isinstance(outcome(nan_backward, lamina), tuple)  # raised
        for lib in LIBS:
            lib.set_anomaly_enabled(True, False)  # on, without the NaN check: backward runs
        assert outcome(nan_backward, lamina) is True and outcome(nan_backward, torch) is True
    finally:
        for lib in LIBS:
            lib.set_anomaly_enabled(False)


def test_interop_threads(monkeypatch):
    n = lamina.get_num_interop_threads()
    assert isinstance(n, int) and n >= 1
    for bad in (0, -1, 2.5, "a", True):
        same_outcome(lambda lib: lib.set_num_interop_threads(bad))  # refused before anything is set
    monkeypatch.setattr(lamina._compat, "_interop", {"threads": None, "set": False})
    lamina.set_num_interop_threads(3)
    assert lamina.get_num_interop_threads() == 3
    with pytest.raises(RuntimeError, match="cannot set number of interop threads after parallel work has "
                                           "started or set_num_interop_threads called"):
        lamina.set_num_interop_threads(2)


# ---- window functions ----------------------------------------------------------------------------

WINDOWS = {
    "hann_window": [()], "blackman_window": [()], "bartlett_window": [()],
    "hamming_window": [(), (0.5,), (0.3, 0.2), (1, 2)],
    "kaiser_window": [(), (0.0,), (3.5,), (-2.0,), (40.0,)],
}
# float32 within an ulp or two of 1 (the cosine's rounding differs from PyTorch's SLEEF by an ulp);
# kaiser's Bessel function is float64 in lamina, float32 in PyTorch: its error shows at large beta
WINDOW_TOL = {"float16": 0, "float32": 3e-7, "float64": 1e-15}


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@pytest.mark.parametrize("periodic", [True, False])
@pytest.mark.parametrize("name", sorted(WINDOWS))
def test_window_values(name, periodic, dtype):
    for extra in WINDOWS[name]:
        for n in list(range(0, 12)) + [31, 64, 255, 1000]:
            t = getattr(torch, name)(n, periodic, *extra, dtype=getattr(torch, dtype))
            l = getattr(lamina, name)(n, periodic, *extra, dtype=getattr(lamina, dtype))
            assert l.dtype == getattr(lamina, dtype) and tuple(l.shape) == tuple(t.shape)
            atol = WINDOW_TOL[dtype]
            rtol = 0
            if name == "kaiser_window":
                atol, rtol = {"float16": (1e-3, 0), "float32": (1e-6, 1e-5), "float64": (1e-14, 1e-13)}[dtype]
            np.testing.assert_allclose(l.numpy().astype(np.float64), t.numpy().astype(np.float64),
                                       atol=atol, rtol=rtol, err_msg=f"{name}({n}, {periodic}, {extra})")


@pytest.mark.parametrize("name", sorted(WINDOWS))
def test_window_defaults_and_keywords(name):
    check(lambda lib: getattr(lib, name)(7), [], grad=False)
    check(lambda lib: getattr(lib, name)(window_length=6, periodic=False), [], grad=False)
    check(lambda lib: getattr(lib, name)(lib.tensor(5)), [], grad=False)
    check(lambda lib: getattr(lib, name)(np.int64(5), dtype=lib.float64), [], grad=False, dtype="float64")
    for lib in LIBS:
        w = getattr(lib, name)(4, requires_grad=True)
        assert w.requires_grad and w.is_leaf and w.dtype == lib.float32
        assert getattr(lib, name)(4, layout=lib.strided, device="cpu", pin_memory=False).shape == (4,)
    previous = lamina.get_default_dtype()
    try:
        for lib in LIBS:
            lib.set_default_dtype(lib.float64)
        check(lambda lib: getattr(lib, name)(5), [], grad=False, dtype="float64")
    finally:
        torch.set_default_dtype(torch.float32)
        lamina.set_default_dtype(previous)


@pytest.mark.parametrize("name", sorted(WINDOWS))
@pytest.mark.parametrize("call", [
    lambda lib, f: f(-1), lambda lib, f: f(5, dtype=lib.int64), lambda lib, f: f(5, dtype=lib.uint8),
    lambda lib, f: f(5, dtype=lib.bool), lambda lib, f: f(-1, dtype=lib.int16),
    lambda lib, f: f(5, dtype=lib.int8, layout=lib.strided, pin_memory=True), lambda lib, f: f(5.0),
    lambda lib, f: f(True), lambda lib, f: f(None), lambda lib, f: f(lib.tensor(5.0)),
    lambda lib, f: f(5, periodic=1), lambda lib, f: f(5, periodic=None),
    lambda lib, f: f(5, layout=lib.sparse_coo), lambda lib, f: f(-1, layout=lib.sparse_coo),
    lambda lib, f: f(5, layout=lib.sparse_coo, dtype=lib.float64, pin_memory=True),
], ids=lambda c: "")
def test_window_errors(name, call):
    same_outcome(lambda lib: call(lib, getattr(lib, name)))
    # argument-parsing errors: the same TypeError, worded by PyTorch's overload parser
    same_outcome(lambda lib: getattr(lib, name)(5, layout="strided"), message=False)
    same_outcome(lambda lib: getattr(lib, name)(5, True, lib.float64), message=False)


@pytest.mark.parametrize("call", [
    lambda lib: lib.kaiser_window(5, beta=3.0), lambda lib: lib.kaiser_window(5, True, None),
    lambda lib: lib.hamming_window(5, alpha=0.5), lambda lib: lib.hamming_window(5, True, beta=0.5),
    lambda lib: lib.hamming_window(5, True, "a"),
])
def test_window_parameters_follow_torchs_overloads(call):
    same_outcome(call, message="prefix")
    for lib in LIBS:  # the accepted spellings
        assert lib.kaiser_window(5, periodic=False, beta=2).shape == (5,)
        assert lib.hamming_window(5, True, alpha=0.5, beta=0.1).shape == (5,)
    check(lambda lib: lib.kaiser_window(6, True, lib.tensor(2.0)), [], grad=False)
    check(lambda lib: lib.hamming_window(6, True, True), [], grad=False)


# ---- Tensor.apply_ and map_ ------------------------------------------------------------------------

RESULTS = {"double": lambda v: v * 2, "float": lambda v: 2.7, "neg-float": lambda v: -2.7, "int": lambda v: 200,
           "neg-int": lambda v: -200, "huge": lambda v: 1e30, "nan": lambda v: float("nan"),
           "bool": lambda v: True, "np-float64": lambda v: np.float64(2.5), "np-float32": lambda v: np.float32(2.5),
           "np-int": lambda v: np.int8(3), "0d-int-tensor": "tensor", "str": lambda v: "a", "none": lambda v: None,
           "complex": lambda v: 1j, "2**70": lambda v: 2 ** 70}


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "int32", "int8", "uint8", "bool"])
@pytest.mark.parametrize("result", sorted(RESULTS))
def test_apply_stores_results_by_torchs_conversion_rules(dtype, result):
    def run(lib):
        fn = RESULTS[result] if RESULTS[result] != "tensor" else (lambda v: lib.tensor(3))
        x = lib.tensor([1, 2, 0], dtype=getattr(lib, dtype))
        out = x.apply_(fn)
        assert out is x
        return x.tolist()
    t, l = outcome(run, torch), outcome(run, lamina)
    assert t == l or (isinstance(t, list) and np.allclose(t, l, equal_nan=True)), f"torch {t!r}, lamina {l!r}"


def test_apply_visits_elements_in_order_with_python_numbers():
    for dtype, kind in (("float32", float), ("int64", int), ("bool", bool)):
        seen = {}
        for lib in LIBS:
            values = seen[lib] = []
            x = lib.arange(6).reshape(2, 3).t().to(getattr(lib, dtype))
            x.apply_(lambda v: values.append(v) or v)
        assert seen[lamina] == seen[torch] and all(type(v) is kind for v in seen[lamina])
    check(lambda lib: lib.ones(0).apply_(lambda v: v + 1), [], grad=False)
    check(lambda lib: lib.tensor(3.0).apply_(lambda v: v + 1), [], grad=False)
    check(lambda lib, x: (x[:, 1:].apply_(lambda v: v * 10), x)[1], [(3, 4)], grad=False)  # through a view


def test_map_combines_broadcast_other():
    check(lambda lib, x, y: x.map_(y, lambda a, b: a * b + 1), [(2, 3), (3,)], grad=False)
    check(lambda lib, x: x.map_(lib.tensor(2.0), lambda a, b: a - b), [(4,)], grad=False)
    check(lambda lib, x, y: x.map_(other=y, callable=lambda a, b: max(a, b)), [(3,), (3,)], grad=False)
    check(lambda lib: lib.tensor([1, 2]).map_(lib.tensor([5, 7]), lambda a, b: b - a), [], grad=False)
    for lib in LIBS:  # elements already written are seen when other shares self's memory
        x = lib.ones(3)
        x[1:].map_(x[:2], lambda a, b: a + b)
        assert x.tolist() == [1.0, 2.0, 3.0]


@pytest.mark.parametrize("call", [
    lambda lib: lib.ones(2, requires_grad=True).apply_(lambda v: v),
    lambda lib: (lib.ones(2, requires_grad=True) * 1).apply_(lambda v: v),
    lambda lib: lib.ones(2).apply_(3),
    lambda lib: lib.ones(2).apply_(lambda v, w: v),
    lambda lib: lib.ones(2).apply_(lambda v: lib.tensor([2.0, 3.0])),
    lambda lib: lib.ones(3, requires_grad=True).map_(lib.ones(3), lambda a, b: a),
    lambda lib: lib.ones(3).map_(lib.ones(3, requires_grad=True), lambda a, b: a),
    lambda lib: lib.ones(3).map_(3, lambda a, b: a),
    lambda lib: lib.ones(3).map_(lib.ones(3, dtype=lib.float64), lambda a, b: a),
    lambda lib: lib.ones(3, dtype=lib.int64).map_(lib.ones(3), lambda a, b: a),
    lambda lib: lib.ones(3).map_(lib.tensor([True, False, True]), lambda a, b: a),
    lambda lib: lib.ones(3).map_(lib.ones(2), lambda a, b: a),
    lambda lib: lib.ones(3).map_(lib.ones(2, 3), lambda a, b: a),
    lambda lib: lib.ones(3).map_(lib.ones(3), lambda a: a),
    lambda lib: lib.ones(3).map_(lib.ones(3), 5),
])
def test_apply_and_map_errors(call):
    same_outcome(call)


def test_apply_refuses_requires_grad_even_under_no_grad():
    for lib in LIBS:
        x = lib.ones(2, requires_grad=True)
        with lib.no_grad(), pytest.raises(RuntimeError, match=r"Use var.detach\(\).apply_\(\) instead"):
            x.apply_(lambda v: v)
        x.detach().apply_(lambda v: v * 3)  # the documented way: the detached alias shares memory
        assert x.tolist() == [3.0, 3.0]


# ---- hardshrink and prelu methods ----------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_hardshrink_and_prelu_methods(dtype):
    x = np.array([[-1.0, -0.3, -0.0, 0.2, 0.6, 2.0]], dtype)
    check(lambda lib, t: t.hardshrink(), [x], dtype=dtype)
    check(lambda lib, t: t.hardshrink(0.25), [x], dtype=dtype)
    check(lambda lib, t: t.hardshrink(lambd=lib.tensor(1.0)), [x], dtype=dtype)
    check(lambda lib, t, w: t.prelu(w), [(2, 3, 4), np.array([0.1, -0.2, 0.3], dtype)], dtype=dtype)
    check(lambda lib, t, w: t.prelu(weight=w), [(5,), np.array(0.25, dtype)], dtype=dtype)
    for lib in LIBS:  # +0 inside the band, as torch: -0.3 shrinks to 0.0, not -0.0
        assert not np.signbit(lib.tensor([-0.3]).hardshrink().numpy()).any()


@pytest.mark.parametrize("call", [
    lambda lib: lib.ones(3).prelu(0.25), lambda lib: lib.ones(3).hardshrink("a"),
    lambda lib: lib.ones(3).hardshrink(None), lambda lib: lib.ones(3, dtype=lib.int64).hardshrink(),
    lambda lib: lib.ones(3).prelu(lib.tensor([1.0, 2.0])),
    lambda lib: lib.nn.functional.prelu(lib.ones(3), 0.25), lambda lib: lib.hardshrink(lib.ones(3), "a"),
])
def test_hardshrink_and_prelu_method_errors(call):
    same_outcome(call)


# ---- torch.gradient ------------------------------------------------------------------------------

UNIFORM = [{}, {"spacing": 2.0}, {"spacing": 2}, {"spacing": [2.0, 3.0]}, {"spacing": (0.5, -3)},
           {"dim": 1}, {"dim": -1}, {"dim": [1]}, {"dim": (1, 0)}, {"edge_order": 2},
           {"spacing": 1.5, "dim": [0, 1], "edge_order": 2}, {"spacing": [3.0], "dim": 0, "edge_order": 2},
           {"spacing": None, "dim": None}, {"dim": []}, {"spacing": True}, {"spacing": [np.float64(2.0), 3]},
           {"dim": np.int64(1)}]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kwargs", UNIFORM, ids=str)
@pytest.mark.parametrize("shape", [(4, 5), (3, 2)], ids=str)
def test_gradient_uniform_spacing_values_and_gradients(shape, kwargs, dtype):
    if kwargs.get("edge_order") == 2 and min(shape) < 3:
        shape = (shape[0], 3)
    check(lambda lib, t: lib.gradient(t, **kwargs), [shape], dtype=dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("edge_order", [1, 2])
def test_gradient_coordinates_values_and_gradients(edge_order, dtype):
    x0 = np.array([0.0, 0.5, 1.7, 2.0], dtype)
    x1 = np.array([-1.0, 0.0, 0.3, 1.0, 2.5], dtype)
    # the gradient flows to the coordinate tensors as well as to the values
    check(lambda lib, t, a, b: lib.gradient(t, spacing=(a, b), edge_order=edge_order), [(4, 5), x0, x1],
          dtype=dtype)
    check(lambda lib, t, b: lib.gradient(t, spacing=[b], dim=1, edge_order=edge_order), [(4, 5), x1], dtype=dtype)
    check(lambda lib, t, b: lib.gradient(t, spacing=[b], dim=[-1], edge_order=edge_order), [(2, 3, 5), x1],
          dtype=dtype)
    check(lambda lib, t, a: lib.gradient(t, spacing=(a,), edge_order=edge_order), [(4,), x0], dtype=dtype)


def test_gradient_dtypes_follow_torch():
    ints = np.array([[1, 2, 4, 8], [10, 20, 40, 80], [3, 5, 7, 1]], np.int64)
    for kwargs in ({}, {"spacing": 2}, {"spacing": 2.5, "edge_order": 2}, {"edge_order": 2}):
        check(lambda lib, t: lib.gradient(t, **kwargs), [ints], grad=False)  # integers give float32
    check(lambda lib, t: lib.gradient(t), [ints.astype(np.int8)], grad=False)
    check(lambda lib, t: lib.gradient(t, spacing=2.5), [ints.astype(np.float16)], grad=False, dtype="float16")
    for edge_order in (1, 2):
        check(lambda lib, t, a, b: lib.gradient(t, spacing=(a, b), edge_order=edge_order),
              [ints, np.array([0, 1, 3]), np.array([0, 1, 2, 5])], grad=False)
    # float64 coordinates promote the interior (and so the result) of a float32 input, as in torch
    check(lambda lib, t, a, b: lib.gradient(t, spacing=(a, b)),
          [(3, 4), np.array([0.0, 1, 3], np.float32), np.array([0.0, 1, 2, 5], np.float64)])
    check(lambda lib, t: lib.gradient(t, spacing=lib.tensor(2.0)), [(3, 4)])
    check(lambda lib, t: lib.gradient(t), [np.array(3.0, np.float32)])  # 0-d: no dims, an empty tuple
    check(lambda lib, t: lib.gradient(t, spacing=0), [(3, 4)], grad=False)  # division by zero: inf
    for lib in LIBS:
        assert isinstance(lib.gradient(lib.ones(3)), tuple)


@pytest.mark.parametrize("call", [
    lambda lib, t: lib.gradient(t, spacing=[2]),
    lambda lib, t: lib.gradient(t, spacing=[2, 3], dim=1),
    lambda lib, t: lib.gradient(t, spacing=[]),
    lambda lib, t: lib.gradient(t, spacing=[1, 2, 3], dim=[0, 1]),
    lambda lib, t: lib.gradient(t, dim=[1, 1]),
    lambda lib, t: lib.gradient(t, dim=5),
    lambda lib, t: lib.gradient(t, spacing=2, dim=[0, 5]),
    lambda lib, t: lib.gradient(t, edge_order=3),
    lambda lib, t: lib.gradient(t, edge_order=0),
    lambda lib, t: lib.gradient(t[:2], edge_order=2),
    lambda lib, t: lib.gradient(t[:1]),
    lambda lib, t: lib.gradient(t[:, :2], edge_order=2, dim=1),
    lambda lib, t: lib.gradient(lib.tensor(3.0), dim=0),
    lambda lib, t: lib.gradient(lib.ones(0)),
    lambda lib, t: lib.gradient(lib.ones(3, dtype=lib.uint8)),
    lambda lib, t: lib.gradient(lib.ones(3, dtype=lib.uint8), spacing=[3, 4], edge_order=5, dim=7),
    lambda lib, t: lib.gradient(lib.ones(3, dtype=lib.bool)),
    lambda lib, t: lib.gradient(t, spacing=(lib.tensor([0.0, 1, 2, 5]),)),
    lambda lib, t: lib.gradient(t, spacing=(lib.tensor([[0.0, 1, 2, 5]]),), dim=1),
    lambda lib, t: lib.gradient(t, spacing=(lib.tensor(2.0),), dim=1),
    lambda lib, t: lib.gradient(t, spacing=(lib.tensor([0.0, 1, 2, 5, 6]),), dim=1),
    lambda lib, t: lib.gradient(t, spacing=(lib.tensor([0.0, 1, 3]), lib.tensor([0.0, 1, 2, 5])), dim=(0, 0)),
    lambda lib, t: lib.gradient(t, spacing=(lib.tensor([0.0, 1, 3]), lib.tensor([0.0, 1, 2, 5])), dim=5),
    lambda lib, t: lib.gradient(t, spacing=[lib.tensor([0.0, 1, 3]), 2.0]),
    lambda lib, t: lib.gradient(t, spacing=[2.0, lib.tensor([0.0, 1, 3])]),
    lambda lib, t: lib.gradient(t, spacing=lib.tensor([2.0, 3])),
    lambda lib, t: lib.gradient(t, spacing="a"),
    lambda lib, t: lib.gradient(t, dim=1.5),
    lambda lib, t: lib.gradient(t, edge_order=True),
    lambda lib, t: lib.gradient(t, edge_order=2.0),
    lambda lib, t: lib.gradient([1.0, 2.0]),
])
def test_gradient_errors(call):
    same_outcome(lambda lib: call(lib, lib.tensor([[1.0, 2, 4, 8], [10, 20, 40, 80], [3, 5, 7, 1]])))


def test_import_stays_light():
    """The new names load with `import lamina` without pulling in the layer families."""
    import subprocess
    import sys
    code = ("import sys, lamina; lamina.hann_window(4); lamina.gradient(lamina.ones(3)); "
            "print(sorted(m for m in ('lamina.ops.activation', 'lamina.nn', 'scipy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
