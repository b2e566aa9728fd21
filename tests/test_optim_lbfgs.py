"""lamina.optim.LBFGS against torch.optim.LBFGS: the same closure gives the same parameter
trajectory, the same evaluation counts, the same state_dict layout and the same errors.

float64 problems are compared tightly. float32 ones only on a well-conditioned fit: PyTorch's
float32 dot products come from MKL, whose summation order NumPy does not reproduce bit for bit."""
import copy

import numpy as np
import pytest
import torch

import lamina
from lamina.nn import Parameter

LIBS = (torch, lamina)


def _param(lib, arr):
    arr = np.array(arr, copy=True)
    return torch.nn.Parameter(torch.from_numpy(arr)) if lib is torch else Parameter(lamina.from_numpy(arr))


def rosenbrock(x):
    return (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()


class Problem:
    """One optimizer and its closure in one library."""

    def __init__(self, lib, kind, dtype, **kwargs):
        rng = np.random.default_rng(0)
        if kind == "rosenbrock":
            self.params = [_param(lib, np.array([-1.2, 1.0, -0.5, 0.8], dtype=dtype))]
            self.loss = lambda: rosenbrock(self.params[0])
        else:  # least squares: y = X W + b, with an unused parameter whose grad stays None
            X = rng.standard_normal((20, 3)).astype(dtype)
            Y = (X @ rng.standard_normal((3, 2)) + 0.5 + 0.1 * rng.standard_normal((20, 2))).astype(dtype)
            to = torch.from_numpy if lib is torch else lamina.from_numpy
            self.X, self.Y = to(X), to(Y)
            self.params = [_param(lib, rng.standard_normal((3, 2)).astype(dtype)),
                           _param(lib, np.zeros(2, dtype)), _param(lib, np.ones(3, dtype))]
            W, b = self.params[0], self.params[1]
            self.loss = lambda: lib.nn.functional.mse_loss(self.X @ W + b, self.Y)
        self.opt = lib.optim.LBFGS(self.params, **kwargs)
        self.calls = 0

    def closure(self):
        self.calls += 1
        self.opt.zero_grad()
        loss = self.loss()
        loss.backward()
        return loss

    def step(self):
        return self.opt.step(self.closure)

    def values(self):
        return [p.detach().numpy().copy() for p in self.params]


def run_both(kind, dtype, steps, **kwargs):
    t, l = Problem(torch, kind, dtype, **kwargs), Problem(lamina, kind, dtype, **kwargs)
    for _ in range(steps):
        yield t, l, t.step(), l.step()


CONFIGS = [
    {},
    {"line_search_fn": "strong_wolfe"},
    {"history_size": 3, "max_iter": 7, "lr": 0.5},
    {"max_iter": 5, "max_eval": 3},
    {"line_search_fn": "strong_wolfe", "max_iter": 10, "max_eval": 12, "history_size": 2},
    {"tolerance_change": 1e-3, "lr": 0.1},
    {"tolerance_grad": 1e-2, "line_search_fn": "strong_wolfe"},
]


@pytest.mark.parametrize("kwargs", CONFIGS, ids=str)
def test_rosenbrock_float64_trajectory(kwargs):
    # up to 60 closure calls: float64 round-off (MKL's dot products, fused multiply-adds)
    # grows along the curved valley, to about 1e-10 here
    for t, l, t_loss, l_loss in run_both("rosenbrock", "float64", 3, **kwargs):
        np.testing.assert_allclose(l.values()[0], t.values()[0], rtol=1e-7, atol=1e-9)
        assert float(l_loss.detach()) == pytest.approx(float(t_loss.detach()), rel=1e-7, abs=1e-9)
        assert l.calls == t.calls
        t_st, l_st = t.opt.state[t.params[0]], l.opt.state[l.params[0]]
        assert (l_st["func_evals"], l_st["n_iter"]) == (t_st["func_evals"], t_st["n_iter"])
    # the problem is actually being solved, so the comparison is not between two stuck runs
    assert float(rosenbrock(l.params[0].detach())) < 0.5 * float(rosenbrock(lamina.tensor([-1.2, 1.0, -0.5, 0.8])))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kwargs", CONFIGS[:4], ids=str)
def test_least_squares_trajectory(dtype, kwargs):
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == "float32" else dict(rtol=1e-9, atol=1e-11)
    for t, l, t_loss, l_loss in run_both("lstsq", dtype, 3, **kwargs):
        for tv, lv in zip(t.values(), l.values()):
            assert lv.dtype == tv.dtype
            np.testing.assert_allclose(lv, tv, **tol)
        assert isinstance(l_loss, lamina.Tensor) and str(l_loss.dtype) == str(t_loss.dtype)
        assert float(l_loss.detach()) == pytest.approx(float(t_loss.detach()), rel=1e-4)
    np.testing.assert_array_equal(l.values()[2], np.ones(3, dtype))  # grad None: never moved


def _plain(value):
    if isinstance(value, (torch.Tensor, lamina.Tensor)):
        return ("tensor", value.detach().numpy())
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _assert_state_like(l_state, t_state, rtol):
    assert list(l_state.keys()) == list(t_state.keys())
    for key in t_state:
        lv, tv = _plain(l_state[key]), _plain(t_state[key])
        if isinstance(tv, list):
            assert len(lv) == len(tv), key
            pairs = zip(lv, tv)
        else:
            pairs = [(lv, tv)]
        for a, b in pairs:
            if isinstance(b, tuple):
                assert isinstance(a, tuple), f"{key}: lamina {a!r} is not a tensor"
                assert a[1].shape == b[1].shape and a[1].dtype == b[1].dtype, key
                np.testing.assert_allclose(a[1], b[1], rtol=rtol, atol=1e-7, err_msg=key)
            elif b is None:
                assert a is None, key
            else:
                assert type(a) is type(b), key
                assert a == pytest.approx(b, rel=rtol), key


@pytest.mark.parametrize("kwargs", [{}, {"line_search_fn": "strong_wolfe", "history_size": 4}], ids=str)
def test_state_dict_layout_matches_torch(kwargs):
    for t, l, _, _ in run_both("rosenbrock", "float64", 2, **kwargs):
        pass
    t_sd, l_sd = t.opt.state_dict(), l.opt.state_dict()
    assert l_sd["param_groups"] == t_sd["param_groups"]
    assert list(l_sd["state"]) == list(t_sd["state"]) == [0]
    _assert_state_like(l_sd["state"][0], t_sd["state"][0], rtol=1e-4)


def test_state_after_first_iteration_has_no_al():
    for t, l, _, _ in run_both("rosenbrock", "float64", 1, max_iter=1):
        pass
    assert "al" not in t.opt.state[t.params[0]]
    _assert_state_like(l.opt.state[l.params[0]], t.opt.state[t.params[0]], rtol=1e-12)


def test_state_dict_round_trip_resumes_identically():
    a = Problem(lamina, "lstsq", "float64", history_size=5, max_iter=4)
    b = Problem(lamina, "lstsq", "float64", history_size=5, max_iter=4)
    for _ in range(2):
        a.step()
    saved = copy.deepcopy(a.opt.state_dict())
    for p, q in zip(b.params, a.params):
        p.data.copy_(q.data)
    b.opt.load_state_dict(saved)
    for _ in range(2):
        a.step()
        b.step()
        for av, bv in zip(a.values(), b.values()):
            np.testing.assert_array_equal(bv, av)
    assert b.opt.state[b.params[0]]["n_iter"] == a.opt.state[a.params[0]]["n_iter"] > 8


def test_deepcopy_keeps_working():
    # (PyTorch's deep-copied LBFGS raises AttributeError on step; lamina's carries on)
    a = Problem(lamina, "rosenbrock", "float64", max_iter=3)
    a.step()
    clone = copy.deepcopy(a.opt)
    b = Problem(lamina, "rosenbrock", "float64", max_iter=3)
    b.params = clone.param_groups[0]["params"]
    b.loss = lambda: rosenbrock(b.params[0])
    b.opt = clone
    a.step()
    b.step()
    np.testing.assert_array_equal(b.values()[0], a.values()[0])
    assert b.params[0] is not a.params[0]


def _torch_to_lamina(obj):
    if isinstance(obj, torch.Tensor):
        return lamina.from_numpy(obj.detach().numpy().copy())
    if isinstance(obj, dict):
        return {k: _torch_to_lamina(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_torch_to_lamina(v) for v in obj]
    return obj


def test_torch_state_dict_loads_and_continues_like_torch():
    t, l = Problem(torch, "rosenbrock", "float64", max_iter=5), Problem(lamina, "rosenbrock", "float64", max_iter=5)
    for _ in range(2):
        t.step()
    l.params[0].data.copy_(lamina.from_numpy(t.values()[0]))
    l.opt.load_state_dict(_torch_to_lamina(t.opt.state_dict()))
    for _ in range(2):
        t.step()
        l.step()
        np.testing.assert_allclose(l.values()[0], t.values()[0], rtol=1e-9, atol=1e-12)


def test_load_state_dict_casts_history_to_param_dtype():
    src = Problem(lamina, "rosenbrock", "float64", max_iter=3)
    src.step()
    src.step()
    dst = Problem(lamina, "rosenbrock", "float32", max_iter=3)
    dst.opt.load_state_dict(src.opt.state_dict())
    st = dst.opt.state[dst.params[0]]
    assert st["d"].dtype == lamina.float32 and st["prev_flat_grad"].dtype == lamina.float32
    assert all(v.dtype == lamina.float32 for v in st["old_dirs"] + st["ro"])
    assert st["old_dirs"][0] is not src.opt.state[src.params[0]]["old_dirs"][0]
    dst.step()  # and the loaded state is usable
    assert dst.params[0].dtype == lamina.float32


def test_converged_start_returns_after_one_evaluation():
    for lib in LIBS:
        x = _param(lib, np.ones(4))
        opt = lib.optim.LBFGS([x])
        calls = []

        def closure():
            calls.append(1)
            opt.zero_grad()
            loss = rosenbrock(x)
            loss.backward()
            return loss

        assert float(opt.step(closure).detach()) == 0.0
        assert len(calls) == 1
        assert dict(opt.state[x]) == {"func_evals": 1, "n_iter": 0}


def test_closure_runs_with_grad_enabled_under_no_grad():
    t, l = Problem(torch, "lstsq", "float64"), Problem(lamina, "lstsq", "float64")
    with torch.no_grad():
        t.step()
    with lamina.no_grad():
        l.step()
    for tv, lv in zip(t.values(), l.values()):
        np.testing.assert_allclose(lv, tv, rtol=1e-9, atol=1e-11)


def test_step_bumps_parameter_version():
    l = Problem(lamina, "lstsq", "float64", max_iter=2)
    before = l.params[0]._version
    l.step()
    assert l.params[0]._version > before


def test_defaults_and_repr_match_torch():
    for kwargs in ({}, {"max_iter": 8}, {"lr": 0.3, "history_size": 7, "line_search_fn": "strong_wolfe"}):
        t_opt = torch.optim.LBFGS([_param(torch, np.zeros(2))], **kwargs)
        l_opt = lamina.optim.LBFGS([_param(lamina, np.zeros(2))], **kwargs)
        assert l_opt.defaults == t_opt.defaults
        assert repr(l_opt) == repr(t_opt)


def _same_error(fn, exc, match):
    for lib in LIBS:
        with pytest.raises(exc, match=match):
            fn(lib)


def test_errors_match_torch():
    _same_error(lambda lib: lib.optim.LBFGS([{"params": [_param(lib, np.zeros(2))]},
                                             {"params": [_param(lib, np.zeros(2))], "lr": 0.1}]),
                ValueError, r"LBFGS doesn't support per-parameter options \(parameter groups\)")
    _same_error(lambda lib: lib.optim.LBFGS([_param(lib, np.zeros(2))], lr=-1.0),
                ValueError, "Invalid learning rate: -1.0")
    _same_error(lambda lib: lib.optim.LBFGS([_param(lib, np.zeros(2))]).step(), TypeError,
                "missing 1 required positional argument: 'closure'")
    _same_error(lambda lib: lib.optim.LBFGS([], lr=0.1), ValueError, "optimizer got an empty parameter list")

    def bad_line_search(lib):
        x = _param(lib, np.array([-1.2, 1.0]))
        opt = lib.optim.LBFGS([x], line_search_fn="backtracking")

        def closure():
            opt.zero_grad()
            loss = rosenbrock(x)
            loss.backward()
            return loss
        opt.step(closure)

    _same_error(bad_line_search, RuntimeError, "only 'strong_wolfe' is supported")
