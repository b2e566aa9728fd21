"""torch.autograd.functional (vjp, jvp, jacobian) against PyTorch: values, result structure
(Tensor or tuple, as the inputs and outputs were), zeros for unused inputs, strict mode and errors."""
import re

import numpy as np
import pytest
import torch

import lamina

RNG = np.random.default_rng(0)
X = RNG.standard_normal(3)
Y = RNG.standard_normal((3, 2))


def _funcs(lib):
    return {
        "single": (lambda a: (a ** 2).exp(), (X,)),
        "scalar": (lambda a: (a ** 3).sum(), (X,)),
        "two_in": (lambda a, b: a.sin() @ b, (X, Y)),
        "two_out": (lambda a, b: ((a ** 2 * b.sum()).tanh(), a.sin() @ b), (X, Y)),
        "unused": (lambda a, b: b * 2.0, (X, Y)),
        "constant": (lambda a: lib.ones(2, dtype=lib.float64), (X,)),
    }


def _as_lib(lib, arrays):
    return tuple(lib.from_numpy(a.copy()) for a in arrays)


def _flat(result):
    if isinstance(result, (tuple, list)):
        return [type(result).__name__] + [_flat(r) for r in result]
    return ("tensor", tuple(result.shape), result.detach().numpy())


def _same(a, b):
    assert type(a) is type(b)
    if isinstance(a, list):
        assert len(a) == len(b) and a[0] == b[0]
        for x, y in zip(a[1:], b[1:]):
            _same(x, y)
    else:
        assert a[:2] == b[:2]
        np.testing.assert_allclose(a[2], b[2], rtol=1e-10, atol=1e-12)


def _both(call):
    results = []
    for lib in (torch, lamina):
        results.append(_flat(call(lib)))
    _same(*results)


@pytest.mark.parametrize("name", ["single", "scalar", "two_in", "two_out", "unused", "constant"])
@pytest.mark.parametrize("tuple_inputs", [False, True])
def test_jacobian(name, tuple_inputs):
    def call(lib):
        fn, arrays = _funcs(lib)[name]
        ins = _as_lib(lib, arrays)
        if len(ins) == 1 and not tuple_inputs:
            ins = ins[0]
        return lib.autograd.functional.jacobian(fn, ins)
    _both(call)


@pytest.mark.parametrize("name", ["single", "two_in", "two_out", "unused"])
def test_vjp_and_jvp(name):
    def vjp(lib):
        fn, arrays = _funcs(lib)[name]
        ins = _as_lib(lib, arrays)
        outs = fn(*ins)
        v = tuple(lib.from_numpy(np.linspace(-1, 1, o.numel()).reshape(tuple(o.shape))) for o in
                  (outs if isinstance(outs, tuple) else (outs,)))
        return lib.autograd.functional.vjp(fn, ins, v if isinstance(outs, tuple) else v[0])

    def jvp(lib):
        fn, arrays = _funcs(lib)[name]
        ins = _as_lib(lib, arrays)
        v = tuple(lib.from_numpy(np.linspace(1, 2, a.size).reshape(a.shape)) for a in arrays)
        return lib.autograd.functional.jvp(fn, ins, v)
    _both(vjp)
    _both(jvp)


def test_vjp_of_a_scalar_needs_no_v_and_leaves_the_inputs_alone():
    def call(lib):
        x = lib.from_numpy(X.copy())
        out = lib.autograd.functional.vjp(lambda a: (a ** 3).sum(), x)
        assert not x.requires_grad and x.grad is None
        return out
    _both(call)


@pytest.mark.parametrize("call", [
    lambda lib: lib.autograd.functional.jacobian(lambda a: lib.ones(2, dtype=lib.float64), lib.from_numpy(X),
                                                 strict=True),
    lambda lib: lib.autograd.functional.jacobian(lambda a, b: b * 2.0, (lib.from_numpy(X), lib.from_numpy(Y)),
                                                 strict=True),
    lambda lib: lib.autograd.functional.vjp(lambda a: a * 2, lib.from_numpy(X)),
    lambda lib: lib.autograd.functional.vjp(lambda a: a * 2, lib.from_numpy(X), lib.ones(2, dtype=lib.float64)),
    lambda lib: lib.autograd.functional.jvp(lambda a: a * 2, lib.from_numpy(X)),
    lambda lib: lib.autograd.functional.jacobian(lambda a: a, [1.0, 2.0]),
    lambda lib: lib.autograd.functional.jacobian(lambda a: a, lib.from_numpy(X), strategy="sideways"),
])
def test_errors_match_torch(call):
    try:
        call(torch)
    except Exception as e:
        kind, message = type(e), str(e)
    else:
        raise AssertionError("torch did not raise")
    with pytest.raises(kind, match=re.escape(message)):
        call(lamina)


def test_second_order_helpers_say_they_need_double_backward():
    for name in ("hessian", "hvp", "vhp"):
        with pytest.raises(NotImplementedError, match="second derivatives"):
            getattr(lamina.autograd.functional, name)(lambda a: (a ** 2).sum(), lamina.ones(3))
