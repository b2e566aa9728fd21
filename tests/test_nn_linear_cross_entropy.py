"""nn.LinearCrossEntropyLoss, nn.LinearCrossEntropyOptions and F.linear_cross_entropy against PyTorch:
values and gradients (input, the linear's weight and bias), state_dict, repr, grad_fn names, the
chunked path's options (validated, computed in one pass) and the errors and warnings."""
import re
import warnings

import numpy as np
import pytest
import torch

import lamina
from oracle import check, check_error, check_module, copy_weights

rng = np.random.default_rng(7)
C, IN = 5, 4


def _classes(shape, c=C, ignore=None):
    t = rng.integers(0, c, shape).astype(np.int64)
    if ignore is not None and t.size:
        t.reshape(-1)[::3] = ignore
    return t


def _probs(shape, axis):
    p = rng.uniform(0.1, 1.0, shape)
    return (p / p.sum(axis=axis, keepdims=True)).astype(np.float32)


def _lib_tensor(lib, a):
    return None if a is None else lib.from_numpy(np.array(a, copy=True))


def _pair(in_features, num_classes, weight=None, **kw):
    """The same loss module built in torch and in lamina (weights copied by check_module)."""
    options = kw.pop("options", None)
    mods = []
    for lib in (torch, lamina):
        opts = None if options is None else lib.nn.LinearCrossEntropyOptions(**options)
        mods.append(lib.nn.LinearCrossEntropyLoss(in_features, num_classes, weight=_lib_tensor(lib, weight),
                                                  options=opts, **kw))
    return tuple(mods)


# ---- the module: values and gradients -------------------------------------------------------------------------
@pytest.mark.parametrize("out_features", [(), (3,), (2, 3)])
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_module_class_indices(out_features, bias, reduction):
    t_mod, l_mod = _pair(IN, C, out_features=out_features, bias=bias, reduction=reduction)
    check_module(t_mod, l_mod, [(6, IN), _classes((6, *out_features))])


@pytest.mark.parametrize("out_features", [(), (3,), (2, 3)])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
def test_module_probabilities(out_features, reduction, smoothing):
    t_mod, l_mod = _pair(IN, C, out_features=out_features, bias=True, reduction=reduction,
                         label_smoothing=smoothing)
    check_module(t_mod, l_mod, [(6, IN), _probs((6, C, *out_features), axis=1)])


@pytest.mark.parametrize("out_features", [(), (3,)])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("ignore_index", [None, 2, -1])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_module_class_weights_ignore_index_smoothing(out_features, reduction, ignore_index, smoothing):
    weight = rng.uniform(0.2, 3.0, C).astype(np.float64)
    t_mod, l_mod = _pair(IN, C, weight=weight, out_features=out_features, bias=True, reduction=reduction,
                         ignore_index=ignore_index, label_smoothing=smoothing)
    target = _classes((7, *out_features), ignore=-100 if ignore_index is None else ignore_index)
    check_module(t_mod, l_mod, [(7, IN), target], dtype="float64")


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("probabilities", [False, True])
def test_module_unbatched_input(reduction, probabilities):
    t_mod, l_mod = _pair(IN, C, bias=True, reduction=reduction)
    target = _probs((C,), axis=0) if probabilities else np.array(3, dtype=np.int64)
    check_module(t_mod, l_mod, [(IN,), target])


def test_module_float64_parameters_and_empty_batch():
    t_mod = torch.nn.LinearCrossEntropyLoss(IN, C, bias=True, dtype=torch.float64)
    l_mod = lamina.nn.LinearCrossEntropyLoss(IN, C, bias=True, dtype=lamina.float64, device="cpu")
    assert l_mod.linear.weight.dtype == lamina.float64 and l_mod.linear.bias.dtype == lamina.float64
    check_module(t_mod, l_mod, [(5, IN), _classes(5)], dtype="float64")
    for reduction in ("mean", "sum", "none"):
        t_mod.reduction = l_mod.reduction = reduction
        check_module(t_mod, l_mod, [(0, IN), np.zeros(0, np.int64)], dtype="float64")


def test_module_output_stays_float32():
    _, l_mod = _pair(IN, C, out_features=(2,), bias=True)
    out = l_mod(lamina.randn(3, IN), lamina.from_numpy(_classes((3, 2))))
    assert out.dtype == lamina.float32


# ---- the functional ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("wshape", [(C, IN), (C, 3, IN), (C, 2, 3, IN)])
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("probabilities", [False, True])
def test_functional_matches_torch(wshape, bias, probabilities):
    out_features = wshape[1:-1]
    target = _probs((4, C, *out_features), axis=1) if probabilities else _classes((4, *out_features))
    specs = [(4, IN), wshape, target, wshape[:-1]]

    def fn(lib, x, w, t, b):
        return lib.nn.functional.linear_cross_entropy(x, w, t, linear_bias=b if bias else None)
    check(fn, specs, grad_inputs=[0, 1, 3])


def test_functional_is_linear_then_cross_entropy():
    x, w, b = lamina.randn(6, IN), lamina.randn(C, IN), lamina.randn(C)
    t = lamina.from_numpy(_classes(6, ignore=-100))
    F = lamina.nn.functional
    for kw in ({}, {"reduction": "sum", "label_smoothing": 0.1}, {"reduction": "none", "ignore_index": -100}):
        ref = F.cross_entropy(F.linear(x, w, b), t, **{"ignore_index": -100, **kw})
        got = F.linear_cross_entropy(x, w, t, linear_bias=b, **kw)
        np.testing.assert_array_equal(got.numpy(), ref.numpy())


# ---- state_dict, parameters, repr, grad_fn ---------------------------------------------------------------------
@pytest.mark.parametrize("kw", [{}, {"out_features": (4, 3), "bias": True}, {"weight": np.ones(C, np.float32)}])
def test_state_dict_parameters_and_buffers_match_torch(kw):
    t_mod, l_mod = _pair(IN, C, **kw)
    shapes = lambda sd: [(k, tuple(v.shape)) for k, v in sd.items()]  # noqa: E731
    assert shapes(l_mod.state_dict()) == shapes(t_mod.state_dict())
    assert [n for n, _ in l_mod.named_parameters()] == [n for n, _ in t_mod.named_parameters()]
    assert [n for n, _ in l_mod.named_buffers()] == [n for n, _ in t_mod.named_buffers()]
    copy_weights(t_mod, l_mod)  # loads torch's state_dict: same keys and shapes


def test_init_matches_torch_statistics():
    # the flat linear is an nn.Linear(in_features, C·d1···dK): kaiming-uniform bounds 1/sqrt(in)
    _, l_mod = _pair(16, 10, out_features=(4, 3), bias=True)
    bound = 1 / np.sqrt(16)
    assert l_mod.linear.weight.shape == (120, 16) and l_mod.linear.bias.shape == (120,)
    assert np.abs(l_mod.linear.weight.detach().numpy()).max() <= bound
    assert np.abs(l_mod.linear.bias.detach().numpy()).max() <= bound


@pytest.mark.parametrize("kw", [{}, {"out_features": (4, 3), "bias": True, "reduction": "sum", "ignore_index": 3,
                                     "label_smoothing": 0.25}, {"options": {}},
                                {"options": {"batch_chunk_size": 2, "acc_policy": "accurate",
                                             "allow_retain_graph": True}}])
def test_repr_matches_torch(kw):
    t_mod, l_mod = _pair(5, 10, **kw)
    assert repr(l_mod) == repr(t_mod)


@pytest.mark.parametrize("case", ["indices4d", "probabilities", "smoothing", "k1_none", "chunked_mean",
                                  "chunked_none", "chunked_unbatched"])
def test_grad_fn_names_match_torch(case):
    def name(lib):
        F = lib.nn.functional
        x = lib.randn(3, IN, requires_grad=True)
        w1, w2 = lib.randn(C, IN, requires_grad=True), lib.randn(C, 2, 2, IN, requires_grad=True)
        t = lib.from_numpy(np.array([1, 0, 4]))
        opts = lib.nn.LinearCrossEntropyOptions()
        out = {"indices4d": lambda: F.linear_cross_entropy(x, w2, lib.zeros(3, 2, 2, dtype=lib.int64)),
               "probabilities": lambda: F.linear_cross_entropy(x, w1, lib.ones(3, C) / C),
               "smoothing": lambda: F.linear_cross_entropy(x, w1, t, label_smoothing=0.1),
               "k1_none": lambda: F.linear_cross_entropy(x, lib.randn(C, 2, IN), lib.zeros(3, 2, dtype=lib.int64),
                                                         reduction="none"),
               "chunked_mean": lambda: F.linear_cross_entropy(x, w1, t, options=opts),
               "chunked_none": lambda: F.linear_cross_entropy(x, w1, t, options=opts, reduction="none"),
               "chunked_unbatched": lambda: F.linear_cross_entropy(x[0], w1, t[0], options=opts),
               }[case]()
        return out.grad_fn.name(), [type(f).__name__ if f is None else f.name() for f, _ in
                                    out.grad_fn.next_functions][:1] if case == "chunked_unbatched" else None
    assert name(lamina) == name(torch)


def test_docstring_example_prints_as_torch():
    """PyTorch's docstring example, lamina on torch's random numbers: the same printout."""
    def run(lib, data):
        loss = lib.nn.LinearCrossEntropyLoss(5, 10, out_features=(4, 3))
        loss.load_state_dict({k: lib.from_numpy(v.copy()) for k, v in data["state"].items()})
        lines = [repr(loss)]
        for x, t in ((data["x1"], data["t1"]), (data["x2"], data["t2"])):
            input = lib.from_numpy(x.copy()).requires_grad_()
            output = loss(input, lib.from_numpy(t.copy()))
            output.backward()
            lines += [str(output), str(input.grad)]
        lines.append(str(loss.linear.weight.grad[:3]))
        return lines

    torch.manual_seed(283)
    t_loss = torch.nn.LinearCrossEntropyLoss(5, 10, out_features=(4, 3))
    data = {"x1": torch.randn(2, 5).numpy(), "t1": torch.randint(0, 10, (2, 4, 3)).numpy(),
            "x2": torch.randn(2, 5).numpy(), "t2": torch.randn(2, 10, 4, 3).softmax(dim=1).numpy(),
            "state": {k: v.numpy() for k, v in t_loss.state_dict().items()}}
    assert run(lamina, data) == run(torch, data)


# ---- options: the chunked path --------------------------------------------------------------------------------
OPTIONS = [{}, {"batch_chunk_size": 1}, {"batch_chunk_size": 3, "acc_policy": "balanced"},
           {"chunking_method": "aspect_ratio:4", "allow_retain_graph": True}, {"chunking_method": None}]


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("extras", [{}, {"bias": True, "ignore_index": 2},
                                    {"weight": True, "ignore_index": -100}])
def test_options_give_the_reference_values_and_gradients(options, reduction, extras):
    extras = dict(extras)
    weight = rng.uniform(0.5, 2.0, C).astype(np.float32) if extras.pop("weight", False) else None
    t_mod, l_mod = _pair(IN, C, weight=weight, reduction=reduction, options=options, **extras)
    target = _classes(7, ignore=extras.get("ignore_index", -100))
    check_module(t_mod, l_mod, [(7, IN), target])
    # and the same as without options (torch's chunked path equals its reference up to rounding)
    _, ref = _pair(IN, C, weight=weight, reduction=reduction, **extras)
    ref.load_state_dict(l_mod.state_dict())
    x, t = lamina.randn(7, IN), lamina.from_numpy(target)
    np.testing.assert_allclose(l_mod(x, t).detach().numpy(), ref(x, t).detach().numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_options_unbatched_and_empty(reduction):
    t_mod, l_mod = _pair(IN, C, bias=True, reduction=reduction, options={})
    check_module(t_mod, l_mod, [(IN,), np.array(4, dtype=np.int64)])
    check_module(t_mod, l_mod, [(0, IN), np.zeros(0, np.int64)])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("use_weight", [False, True])
def test_options_read_a_longer_target_and_class_weight_as_torch(reduction, use_weight):
    # the chunked loop reads the first N targets and looks class weights up by index, so longer
    # ones pass ('mean' still divides by the weights of all targets); the class weight gets no
    # gradient and is cast to the input's dtype
    def fn(lib, x, w, t, cw):
        return lib.nn.functional.linear_cross_entropy(x, w, t, weight=cw if use_weight else None, reduction=reduction,
                                                      options=lib.nn.LinearCrossEntropyOptions())
    longer = [(4, IN), (C, IN), _classes(9, ignore=-100), rng.uniform(0.5, 2, C + 2)]
    if reduction == "none":  # PyTorch 2.13's backward then fails: lamina's too, with its message
        check(fn, longer, grad=False)
        messages = []
        for lib in (torch, lamina):
            x = lib.randn(4, IN, requires_grad=True)
            out = fn(lib, x, lib.randn(C, IN), lib.from_numpy(longer[2].copy()), lib.from_numpy(longer[3].copy()))
            with pytest.raises(RuntimeError) as info:
                out.sum().backward()
            messages.append(str(info.value))
        assert messages[1] == messages[0] == ("The size of tensor a (9) must match the size of tensor b (4) at "
                                              "non-singleton dimension 0")
    else:
        check(fn, longer, grad_inputs=[0, 1])
        # every row read is ignored, the targets past them still count in 'mean'
        check(fn, [(4, IN), (C, IN), np.array([-100] * 4 + [1] * 3), rng.uniform(0.5, 2, C)], grad_inputs=[0, 1])
    check(fn, [(4, IN), (C, IN), _classes(4, c=C - 2), rng.uniform(0.5, 2, C - 2)], grad_inputs=[0, 1])


@pytest.mark.parametrize("allow", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_options_second_backward(allow, reduction):
    # mean/sum consume their gradients: a second backward raises unless allow_retain_graph
    for lib in (torch, lamina):
        x = lib.randn(3, IN, requires_grad=True)
        w = lib.randn(C, IN, requires_grad=True)
        opts = lib.nn.LinearCrossEntropyOptions(allow_retain_graph=allow)
        out = lib.nn.functional.linear_cross_entropy(x, w, lib.from_numpy(np.array([0, 4, 2])), options=opts,
                                                     reduction=reduction).sum()
        out.backward(retain_graph=True)
        first = x.grad.clone()
        if allow or reduction == "none":
            out.backward(retain_graph=True)
            np.testing.assert_allclose(x.grad.numpy(), 2 * first.numpy(), rtol=1e-6)
        else:
            with pytest.raises(RuntimeError, match=re.escape("linear_cross_entropy chunked backward called twice; "
                                                             "retain_graph=True / double backward are not supported.")):
                out.backward(retain_graph=True)


@pytest.mark.parametrize("kw,field", [({"label_smoothing": 0.1}, "label_smoothing=0.1"),
                                      ({"probabilities": True}, "target.dtype=torch.float32"),
                                      ({"out_features": (2,)}, "out_features=(2,)"),
                                      ({"out_features": (2,), "bias": True}, "linear_bias.shape=(5, 2)")])
def test_options_fall_back_with_torch_warning(kw, field):
    kw = dict(kw)
    probabilities = kw.pop("probabilities", False)
    t_mod, l_mod = _pair(IN, C, options={}, **kw)
    of = kw.get("out_features", ())
    target = _probs((3, C, *of), axis=1) if probabilities else _classes((3, *of))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_module(t_mod, l_mod, [(3, IN), target])  # the reference path's values and gradients
    messages = []
    for lib, mod in ((torch, t_mod), (lamina, l_mod)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            mod(lib.randn(3, IN), lib.from_numpy(target.copy()))
        messages.append([(w.category, str(w.message)) for w in caught])
    assert messages[1] == messages[0] and len(messages[1]) == 1
    messages = [messages[0][0][1], messages[1][0][1]]
    assert field in messages[1] and messages[1].startswith("linear_cross_entropy: ``options`` ignored")


def test_options_adjust_matches_torch():
    cases = [({}, (8, 4, 6)), ({"batch_chunk_size": 3}, (8, 4, 6)), ({"chunking_method": "aspect_ratio"}, (100, 8, 50)),
             ({"chunking_method": None, "acc_policy": "accurate"}, (5, 4, 6)), ({"batch_chunk_size": 50}, (7, 4, 6)),
             ({"acc_dtype": "float32"}, (8, 4, 6))]
    for kw, (n, f, c) in cases:
        for dt in ("float32", "float16", "float64"):
            got = []
            for lib in (torch, lamina):
                kw_lib = {k: getattr(lib, v) if k == "acc_dtype" else v for k, v in kw.items()}
                o = lib.nn.LinearCrossEntropyOptions(**kw_lib)._adjust(n, f, c, getattr(lib, dt), lib.device("cpu"))
                got.append(repr(o))
            assert got[0] == got[1]


def test_options_dataclass_behaviour_matches_torch():
    for lib in (torch, lamina):
        o = lib.nn.LinearCrossEntropyOptions(True, 3)
        assert repr(o) == ("LinearCrossEntropyOptions(allow_retain_graph=True, batch_chunk_size=3, "
                           "chunking_method='auto', acc_policy='auto', acc_dtype=None)")
        assert o == lib.nn.LinearCrossEntropyOptions(allow_retain_graph=True, batch_chunk_size=3)
        assert hash(o) == hash(lib.nn.LinearCrossEntropyOptions(True, 3))
        with pytest.raises(AttributeError, match="cannot assign to field 'acc_policy'"):
            o.acc_policy = "compact"
        assert not hasattr(o, "__dict__")


# ---- errors ---------------------------------------------------------------------------------------------------
def _lce(lib, x=(3, IN), w=(C, IN), t=(0, 4, 2), **kw):
    """F.linear_cross_entropy in `lib`: shapes become random tensors, tuples of ints under `t` become
    class indices, and callables (of lib) build any other argument."""
    build = lambda v: v(lib) if callable(v) else v  # noqa: E731
    x = lib.randn(*x) if isinstance(x, tuple) else build(x)
    w = lib.randn(*w) if isinstance(w, tuple) else build(w)
    t = lib.from_numpy(np.array(t, dtype=np.int64)) if isinstance(t, tuple) else build(t)
    return lib.nn.functional.linear_cross_entropy(x, w, t, **{k: build(v) for k, v in kw.items()})


def _opts(**kw):
    return lambda lib: lib.nn.LinearCrossEntropyOptions(**kw)


ERRORS = [
    (lambda L: _lce(L, x=(2, 3, IN)), RuntimeError, "expected input with dimensionality 1 or 2, got 3"),
    (lambda L: _lce(L, x=lambda L: L.tensor(1.0)), RuntimeError, "expected input with dimensionality 1 or 2, got 0"),
    (lambda L: _lce(L, w=(IN,)), RuntimeError, "expected linear_weight with dimensionality at least 2, got 1"),
    (lambda L: L.nn.functional.linear_cross_entropy(L.randn(3, 6), L.randn(C, IN), L.tensor([0, 1, 2])), RuntimeError,
     re.escape("expected equal input and linear_weight last dimensions (in_features), got 6 and 4, respectively")),
    (lambda L: _lce(L, linear_bias=lambda L: L.randn(C + 1)), RuntimeError,
     re.escape("expected linear_bias shape (5,), got (6,)")),
    (lambda L: L.nn.functional.linear_cross_entropy(L.randn(3, IN), L.randn(C, 2, IN), L.zeros(3, 2, dtype=L.int64),
                                                    linear_bias=L.randn(C)), RuntimeError,
     re.escape("expected linear_bias shape (5, 2), got (5,)")),
    (lambda L: L.nn.functional.linear_cross_entropy(L.randn(IN), L.randn(C, 2, IN), L.zeros(2, dtype=L.int64)),
     RuntimeError, re.escape("K-dimensional loss defined by linear_weight shape (5, 2, 4) requires batched input, "
                             "(N, 4), got unbatched input with shape (4,)")),
    (lambda L: _lce(L, t=lambda L: L.ones(3, C) / C, ignore_index=-100), RuntimeError,
     "ignore_index cannot be specified when target contains probabilities"),
    (lambda L: _lce(L, t=(0, 5, 1)), IndexError, "Target 5 is out of bounds."),
    (lambda L: _lce(L, t=(0, 1)), ValueError,
     re.escape("Expected input batch_size (3) to match target batch_size (2).")),
    (lambda L: _lce(L, reduction="bogus"), ValueError, "bogus is not a valid value for reduction"),
    (lambda L: _lce(L, label_smoothing=1.5), RuntimeError, "label_smoothing must be between 0.0 and 1.0. Got: 1.5"),
    (lambda L: _lce(L, weight=lambda L: L.ones(C + 1)), RuntimeError,
     re.escape("weight tensor should be defined either for all 5 classes or no classes but got weight tensor of "
               "shape: [6]")),
    (lambda L: _lce(L, x=lambda L: L.randn(3, IN, dtype=L.float64)), RuntimeError,
     "expected m1 and m2 to have the same dtype, but got: double != float"),
    (lambda L: _lce(L, linear_bias=lambda L: L.randn(C, dtype=L.float64)), RuntimeError,
     "self and mat2 must have the same dtype, but got Double and Float"),
    (lambda L: _lce(L, t=lambda L: L.tensor([0, 1, 2], dtype=L.int32)), RuntimeError,
     "expected target dtype to be Long or Byte, but got Int"),
    # the module's own checks
    (lambda L: L.nn.LinearCrossEntropyLoss(IN, C, weight=L.ones(C - 1)), RuntimeError,
     re.escape("expected weight shape to be (5,), got (4,)")),
    (lambda L: L.nn.LinearCrossEntropyLoss(IN, C, weight=L.ones(C, 1)), RuntimeError,
     re.escape("expected weight shape to be (5,), got (5, 1)")),
    (lambda L: L.nn.LinearCrossEntropyLoss(IN, C, label_smoothing=-0.1), RuntimeError,
     re.escape("expected label_smoothing to be in range [0, 1], got -0.1")),
    (lambda L: L.nn.LinearCrossEntropyLoss(IN, C, (2,)), TypeError,
     re.escape("__init__() takes 3 positional arguments but 4 were given")),
    (lambda L: L.nn.LinearCrossEntropyLoss(IN + 1, C)(L.randn(3, IN), L.tensor([0, 1, 2])), RuntimeError,
     re.escape("expected equal input and linear_weight last dimensions (in_features), got 4 and 5, respectively")),
    # the options' validation
    (lambda L: L.nn.LinearCrossEntropyOptions(acc_policy="fast"), ValueError, "invalid acc_policy: 'fast'"),
    (lambda L: L.nn.LinearCrossEntropyOptions(chunking_method="aspect_ratio:0"), ValueError,
     "invalid chunking_method: 'aspect_ratio:0'"),
    (lambda L: L.nn.LinearCrossEntropyOptions(chunking_method="rows"), ValueError, "invalid chunking_method: 'rows'"),
    (lambda L: L.nn.LinearCrossEntropyOptions(batch_chunk_size=0), ValueError,
     "batch_chunk_size must be positive int or None, got 0"),
    (lambda L: L.nn.LinearCrossEntropyOptions(batch_chunk_size=2.0), ValueError,
     "batch_chunk_size must be positive int or None, got 2.0"),
    (lambda L: L.nn.LinearCrossEntropyOptions(acc_dtype=L.int32), ValueError,
     re.escape("acc_dtype must be one of {None, torch.float16, torch.bfloat16, torch.float32, torch.float64}, got "
               "torch.int32. Pass acc_dtype=None to let the op pick automatically.")),
    (lambda L: L.nn.LinearCrossEntropyOptions(acc_dtype="float32"), ValueError, "got 'float32'"),
    # ... and at call time
    (lambda L: _lce(L, x=(8, IN), t=(0, 1, 2, 3, 4, 0, 1, 2),
                    options=_opts(batch_chunk_size=3, chunking_method="aspect_ratio")), ValueError,
     re.escape("batch_chunk_size (=3) and chunking_method ('aspect_ratio') give different chunk sizes (3 vs 4); "
               "pass only one.")),
    (lambda L: _lce(L, options=_opts(acc_dtype=L.float64)), RuntimeError,
     re.escape("linear_cross_entropy supports float32 acc_dtype with float16/bfloat16 inputs, but got torch.float64 "
               "acc_dtype and torch.float32 inputs.")),
    (lambda L: _lce(L, reduction="bogus", options=_opts()), ValueError, "bogus is not a valid value for reduction"),
]


@pytest.mark.parametrize("fn,exc,message", ERRORS)
def test_errors_match_torch(fn, exc, message):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_error(fn, exc, message)


# the chunked path reports a bad target or class weight through the indexing it runs chunk by chunk
CHUNKED_TARGETS = [
    ((0, 1, 9, 1, 7, -3, 1, 1), {}, RuntimeError, "index 9 is out of bounds for dimension 1 with size 5"),
    ((0, 1, 1, 1, -3, 9, 1, 1), {}, RuntimeError, "index -3 is out of bounds for dimension 1 with size 5"),
    ((0, 1, 1, 1, 2), {}, RuntimeError, None),  # "start (s) + length (l) exceeds ...": s, l from the chunk size
    (3, {}, RuntimeError, re.escape("narrow() cannot be applied to a 0-dim tensor.")),
    ("2d", {}, RuntimeError, "Index tensor must have the same number of dimensions as input tensor"),
    ("2d", {"weight": (C,)}, IndexError, re.escape("index_select(): Index is supposed to be a vector")),
    ((0, 1, 4, 1, 1, 1, 1, 1), {"weight": (C - 1,)}, IndexError, "index out of range in self"),
    ((0, 1, 9, 1, 1, 1, 1, 1), {"weight": (C,)}, IndexError, "index out of range in self"),
    ((0, 1, 2, 1, 1, 1, 1, 1), {"weight": ()}, RuntimeError,
     re.escape("index_select(): Index to scalar can have only 1 value, got 8 value(s)")),
    ((0, 1, 2, 1, 1, 1, 1, 1), {"weight": (C, 2)}, RuntimeError,
     re.escape("The size of tensor a (8) must match the size of tensor b (2) at non-singleton dimension 1")),
    ((0, 1, 2, 1, 1, 1, 1, 1), {"weight": (C, 1, 1)}, RuntimeError, None),
    ((0, 1, 2, 1, 1, 1, 1, 1), {"weight": (C, 8)}, RuntimeError, None),
    ((0, 1, 9, 1, 1, 1, 1, 1), {"x_dtype": "float64"}, RuntimeError,
     "expected m1 and m2 to have the same dtype, but got: double != float"),
]


@pytest.mark.parametrize("target,kw,exc,message", CHUNKED_TARGETS)
@pytest.mark.parametrize("chunk", [None, 1, 3, 8])
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_chunked_path_errors_match_torch(target, kw, exc, message, chunk, reduction):
    def fn(lib):
        x = lib.randn(8, IN, dtype=getattr(lib, kw.get("x_dtype", "float32")))
        t = lib.ones(8, 2, dtype=lib.int64) if target == "2d" else lib.from_numpy(np.array(target, dtype=np.int64))
        w = None if "weight" not in kw else lib.ones(kw["weight"])
        return lib.nn.functional.linear_cross_entropy(x, lib.randn(C, IN), t, weight=w, reduction=reduction,
                                                      options=lib.nn.LinearCrossEntropyOptions(batch_chunk_size=chunk))
    messages = []
    for lib in (torch, lamina):
        with pytest.raises(exc) as info:
            fn(lib)
        messages.append(str(info.value))
    assert messages[1] == messages[0]
    if message is not None:
        assert re.search(message, messages[1])
