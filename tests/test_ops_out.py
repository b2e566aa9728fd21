"""out= on PyTorch's top-level functions (torch.add(a, b, out=c)): the result lands in `out`
(cast to its dtype, resized when its shape differs), `out` itself is returned, and arguments
requiring grad are refused, as in PyTorch. Every case runs with torch and lamina and compares."""
import warnings

import numpy as np
import pytest
import torch

import lamina

rng = np.random.default_rng(7)
A = rng.standard_normal((3, 4)).astype(np.float32)
B = rng.standard_normal((3, 4)).astype(np.float32)
SQ = rng.standard_normal((3, 3)).astype(np.float32)
POS = (np.abs(A) + 0.5).astype(np.float32)
INTS = rng.integers(-5, 6, (3, 4))


def t(lib, a):
    return lib.from_numpy(np.array(a, copy=True))


# name: (arguments as a function of lib, keyword arguments, out shape, out dtype name)
CASES = {
    "add": (lambda L: (t(L, A), t(L, B)), {"alpha": 2}, (3, 4), "float32"),
    "sub": (lambda L: (t(L, A), 1.5), {}, (3, 4), "float32"),
    "mul": (lambda L: (t(L, A), t(L, B)), {}, (3, 4), "float64"),
    "div": (lambda L: (t(L, A), t(L, POS)), {"rounding_mode": "floor"}, (3, 4), "float32"),
    "pow": (lambda L: (t(L, POS), 2.5), {}, (3, 4), "float32"),
    "exp": (lambda L: (t(L, A),), {}, (3, 4), "float32"),
    "log": (lambda L: (t(L, POS),), {}, (3, 4), "float64"),
    "sqrt": (lambda L: (t(L, POS),), {}, (3, 4), "float32"),
    "sigmoid": (lambda L: (t(L, A),), {}, (3, 4), "float32"),
    "tanh": (lambda L: (t(L, A),), {}, (3, 4), "float32"),
    "abs": (lambda L: (t(L, INTS),), {}, (3, 4), "int64"),
    "clamp": (lambda L: (t(L, A), -0.5, 0.5), {}, (3, 4), "float32"),
    "matmul": (lambda L: (t(L, SQ), t(L, A)), {}, (3, 4), "float32"),
    "mm": (lambda L: (t(L, A), t(L, A.T)), {}, (3, 3), "float32"),
    "mean": (lambda L: (t(L, A), 1), {"keepdim": True}, (3, 1), "float32"),
    "std": (lambda L: (t(L, A), 0), {}, (4,), "float32"),
    "cumsum": (lambda L: (t(L, A), 1), {}, (3, 4), "float64"),
    "where": (lambda L: (t(L, A > 0), t(L, A), t(L, B)), {}, (3, 4), "float32"),
    "maximum": (lambda L: (t(L, A), t(L, B)), {}, (3, 4), "float32"),
    "tril": (lambda L: (t(L, SQ),), {"diagonal": -1}, (3, 3), "float32"),
    "index_select": (lambda L: (t(L, A), 1, t(L, np.array([3, 0]))), {}, (3, 2), "float32"),
    "add of ints into float": (lambda L: (t(L, INTS), 2), {}, (3, 4), "float32"),
    "exp into an empty out, resized silently": (lambda L: (t(L, A),), {}, (0,), "float32"),
}


def _run(lib, case):
    args, kw, shape, dtype = CASES[case]
    name = case.split()[0]
    out = lib.zeros(shape, dtype=getattr(lib, dtype))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = getattr(lib, name)(*args(lib), out=out, **kw)
    return result is out, str(out.dtype), tuple(out.shape), out.numpy().copy(), len(caught)


@pytest.mark.parametrize("case", list(CASES))
def test_result_lands_in_out(case):
    ours, theirs = _run(lamina, case), _run(torch, case)
    assert ours[:3] == theirs[:3] and ours[4] == theirs[4]
    np.testing.assert_allclose(ours[3], theirs[3], rtol=1e-6, atol=1e-6)


def _outcome(lib, call):
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call(lib)
    except (RuntimeError, TypeError) as e:
        return type(e), str(e)
    return [str(w.message).split(" (Triggered")[0] for w in caught]


BAD = {
    "input requires grad": lambda L: L.add(L.ones(3, requires_grad=True), 1, out=L.empty(3)),
    "out requires grad": lambda L: L.exp(L.ones(3), out=L.empty(3, requires_grad=True)),
    "float into long": lambda L: L.add(L.ones(3), 1, out=L.empty(3, dtype=L.long)),
    "out of another shape is resized": lambda L: L.exp(L.ones(3), out=L.empty(2)),
}


@pytest.mark.parametrize("case", list(BAD))
def test_out_refusals_and_warnings_as_torch(case):
    assert _outcome(lamina, BAD[case]) == _outcome(torch, BAD[case])


def test_out_under_no_grad_takes_tensors_requiring_grad():
    for lib in (lamina, torch):
        x = lib.ones(3, requires_grad=True)
        out = lib.empty(3)
        with lib.no_grad():
            assert lib.mul(x, 3, out=out) is out
        assert out.tolist() == [3.0, 3.0, 3.0] and not out.requires_grad


@pytest.mark.parametrize("name", ["max", "sort", "topk"])
def test_ops_with_several_results_fill_a_tuple(name):
    def run(lib):
        m = t(lib, A)
        outs = (lib.empty(0), lib.empty(0, dtype=lib.long))
        args = {"max": (m, 1), "sort": (m, 1), "topk": (m, 2)}[name]
        result = getattr(lib, name)(*args, out=outs)
        return result[0] is outs[0], result[1] is outs[1], outs[0].numpy().tolist(), outs[1].numpy().tolist()
    assert run(lamina) == run(torch)
