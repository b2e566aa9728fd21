"""lamina.optim against torch.optim: the same parameters and the same gradient sequence must give
the same parameters after every step, the same state_dict, the same repr and the same errors."""
import copy
import importlib
import inspect
import pickle

import numpy as np
import pytest
import torch

import lamina
from lamina.nn import Parameter

SHAPES = [(), (5,), (3, 4)]
TOL = {"float32": dict(rtol=1e-5, atol=1e-6), "float64": dict(rtol=1e-12, atol=1e-13)}
LIBS = {"torch": torch, "lamina": lamina}


def to_lib(lib, arr):
    arr = np.array(arr, copy=True)
    return torch.from_numpy(arr) if lib is torch else lamina.from_numpy(arr)


def make_params(lib, arrays):
    cls = torch.nn.Parameter if lib is torch else Parameter
    return [cls(to_lib(lib, a)) for a in arrays]


def get_optim(lib, name):
    return getattr(lib.optim, name)


class Pair:
    """The same optimizer set-up in torch and lamina, fed identical gradients."""

    def __init__(self, name, kwargs, shapes=SHAPES, dtype="float32", seed=0, groups=None):
        self.rng = np.random.default_rng(seed)
        self.dtype = dtype
        init = [self.rng.standard_normal(s).astype(dtype) for s in shapes]
        self.shapes = shapes
        self.t_params = make_params(torch, init)
        self.l_params = make_params(lamina, init)
        if groups is None:
            self.t_opt = get_optim(torch, name)(self.t_params, **kwargs)
            self.l_opt = get_optim(lamina, name)(self.l_params, **kwargs)
        else:  # groups: list of (indices, options)
            self.t_opt = get_optim(torch, name)(
                [dict(params=[self.t_params[i] for i in idx], **opts) for idx, opts in groups], **kwargs)
            self.l_opt = get_optim(lamina, name)(
                [dict(params=[self.l_params[i] for i in idx], **opts) for idx, opts in groups], **kwargs)

    def set_grads(self, skip=()):
        for i, (tp, lp) in enumerate(zip(self.t_params, self.l_params)):
            if i in skip:
                tp.grad = lp.grad = None
                continue
            g = self.rng.standard_normal(self.shapes[i]).astype(self.dtype)
            tp.grad = to_lib(torch, g)
            lp.grad = to_lib(lamina, g)

    def step(self):
        self.t_opt.step()
        self.l_opt.step()

    def check_params(self, what=""):
        for i, (tp, lp) in enumerate(zip(self.t_params, self.l_params)):
            assert lp._data.dtype == tp.detach().numpy().dtype, f"param {i} dtype {what}"
            assert lp.shape == tuple(tp.shape)
            np.testing.assert_allclose(lp._data, tp.detach().numpy(), err_msg=f"param {i} {what}", **TOL[self.dtype])

    def check_state(self, what=""):
        assert_state_dicts_equal(self.t_opt.state_dict(), self.l_opt.state_dict(), self.dtype, what)


def assert_state_dicts_equal(t_sd, l_sd, dtype="float32", what=""):
    assert l_sd["param_groups"] == t_sd["param_groups"], what
    assert list(l_sd["state"]) == list(t_sd["state"]), f"state keys {what}"
    for k, t_entry in t_sd["state"].items():
        l_entry = l_sd["state"][k]
        assert list(l_entry) == list(t_entry), f"state[{k}] keys {what}"
        for key, tv in t_entry.items():
            lv = l_entry[key]
            if isinstance(tv, torch.Tensor):
                assert isinstance(lv, lamina.Tensor), f"state[{k}][{key}] is {type(lv)}"
                assert lv._data.dtype == tv.numpy().dtype, f"state[{k}][{key}] dtype {lv.dtype} vs {tv.dtype}"
                assert lv.shape == tuple(tv.shape)
                np.testing.assert_allclose(lv._data, tv.numpy(), err_msg=f"state[{k}][{key}] {what}",
                                           rtol=TOL[dtype]["rtol"] * 10, atol=TOL[dtype]["atol"])
            else:
                assert lv == tv


def run(name, kwargs, dtype="float32", steps=20, skip_every=4, **pair_kw):
    """20 steps with identical gradients; the last parameter gets no gradient every 4th step."""
    pair = Pair(name, kwargs, dtype=dtype, **pair_kw)
    for i in range(steps):
        skip = (len(pair.t_params) - 1,) if skip_every and i % skip_every == 1 else ()
        pair.set_grads(skip)
        pair.step()
        pair.check_params(f"after step {i + 1}")
    pair.check_state()
    return pair


SGD_CASES = [
    {}, {"lr": 0.1}, {"lr": 0.1, "momentum": 0.9}, {"lr": 0.05, "momentum": 0.9, "dampening": 0.5},
    {"lr": 0.05, "momentum": 0.9, "nesterov": True}, {"lr": 0.1, "weight_decay": 0.1},
    {"lr": 0.05, "momentum": 0.8, "weight_decay": 0.05, "nesterov": True, "maximize": True},
    {"lr": 0.1, "maximize": True}, {"lr": 0.1, "momentum": 0.5, "dampening": 0.1, "weight_decay": 0.01},
]
ADAM_CASES = [
    {}, {"lr": 0.05}, {"lr": 0.05, "amsgrad": True}, {"lr": 0.01, "weight_decay": 0.1},
    {"lr": 0.02, "betas": (0.3, 0.5), "eps": 1e-3}, {"lr": 0.02, "maximize": True, "amsgrad": True},
    {"lr": 0.02, "weight_decay": 0.1, "decoupled_weight_decay": True},
    {"lr": 0.02, "betas": (0.8, 0.99), "weight_decay": 0.01, "maximize": True},
]
ADAMW_CASES = [{}, {"lr": 0.05}, {"lr": 0.05, "weight_decay": 0.1, "amsgrad": True},
               {"lr": 0.01, "weight_decay": 0, "maximize": True}, {"lr": 0.02, "betas": (0.5, 0.9), "eps": 1e-4}]
RMSPROP_CASES = [
    {}, {"lr": 0.01, "alpha": 0.9}, {"lr": 0.01, "centered": True}, {"lr": 0.01, "momentum": 0.9},
    {"lr": 0.005, "momentum": 0.5, "centered": True, "weight_decay": 0.1},
    {"lr": 0.01, "eps": 1e-3, "maximize": True}, {"lr": 0.01, "alpha": 0.5, "weight_decay": 0.01},
]
ADAGRAD_CASES = [
    {}, {"lr": 0.1}, {"lr": 0.1, "lr_decay": 0.05}, {"lr": 0.1, "weight_decay": 0.1},
    {"lr": 0.1, "initial_accumulator_value": 0.5}, {"lr": 0.1, "eps": 1e-3, "maximize": True},
    {"lr": 0.2, "lr_decay": 0.01, "weight_decay": 0.01, "initial_accumulator_value": 0.1},
]
# Beyond the five common ones: the rest of torch.optim's element-wise optimizers.
EXTRA_CASES = [
    ("Adadelta", {}), ("Adadelta", {"lr": 0.5, "rho": 0.5, "eps": 1e-4}),
    ("Adadelta", {"weight_decay": 0.1, "maximize": True}),
    ("Adamax", {}), ("Adamax", {"lr": 0.05, "betas": (0.5, 0.9), "eps": 1e-3}),
    ("Adamax", {"lr": 0.05, "weight_decay": 0.1, "maximize": True}),
    ("NAdam", {}), ("NAdam", {"lr": 0.05, "momentum_decay": 0.05, "betas": (0.8, 0.99)}),
    ("NAdam", {"lr": 0.02, "weight_decay": 0.1}), ("NAdam", {"lr": 0.02, "weight_decay": 0.1,
                                                           "decoupled_weight_decay": True, "maximize": True}),
    ("RAdam", {}), ("RAdam", {"lr": 0.05, "betas": (0.8, 0.9)}), ("RAdam", {"lr": 0.05, "weight_decay": 0.1}),
    ("RAdam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True, "maximize": True}),
    ("Rprop", {}), ("Rprop", {"lr": 0.05, "etas": (0.3, 1.5), "step_sizes": (1e-3, 0.1)}),
    ("Rprop", {"maximize": True}),
    ("ASGD", {}), ("ASGD", {"lr": 0.05, "lambd": 0.01, "alpha": 0.5, "t0": 5}),
    ("ASGD", {"lr": 0.05, "t0": 0, "weight_decay": 0.1, "maximize": True}),
]
CASES = ([("SGD", c) for c in SGD_CASES] + [("Adam", c) for c in ADAM_CASES] + [("AdamW", c) for c in ADAMW_CASES]
         + [("RMSprop", c) for c in RMSPROP_CASES] + [("Adagrad", c) for c in ADAGRAD_CASES] + EXTRA_CASES)


def case_id(case):
    name, kw = case
    return name + "-" + ("-".join(f"{k}={v}" for k, v in kw.items()) or "defaults")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_matches_torch_step_by_step(case, dtype):
    name, kwargs = case
    run(name, kwargs, dtype=dtype)


@pytest.mark.parametrize("case", CASES[::3], ids=[case_id(c) for c in CASES[::3]])
def test_float32_stays_float32_in_state(case):
    name, kwargs = case
    pair = run(name, kwargs, steps=3)
    for st in pair.l_opt.state.values():
        for key, v in st.items():
            if isinstance(v, lamina.Tensor):
                assert v._data.dtype == np.float32, key


def test_step_counter_follows_default_dtype():
    prev = lamina.get_default_dtype()
    t_prev = torch.get_default_dtype()
    try:
        lamina.set_default_dtype(lamina.float64)
        torch.set_default_dtype(torch.float64)
        pair = run("Adam", {"lr": 0.01}, steps=2)
        assert pair.l_opt.state[pair.l_params[0]]["step"].dtype == lamina.float64
    finally:
        lamina.set_default_dtype(prev)
        torch.set_default_dtype(t_prev)


@pytest.mark.parametrize("name,kwargs", [("SGD", {"lr": 0.1, "momentum": 0.9}), ("Adam", {"lr": 0.05}),
                                         ("RMSprop", {"momentum": 0.5, "centered": True}),
                                         ("Adagrad", {"lr_decay": 0.1})])
def test_param_groups_with_different_options(name, kwargs):
    groups = [([0, 2], {"lr": 0.3}), ([1], {"lr": 0.01, "weight_decay": 0.1})]
    pair = run(name, kwargs, groups=groups)
    assert [g["lr"] for g in pair.l_opt.param_groups] == [0.3, 0.01]
    assert repr(pair.l_opt) == repr(pair.t_opt)


def test_add_param_group_mid_training():
    pair = Pair("Adam", {"lr": 0.05}, shapes=[(3,), (2, 2)], groups=[([0], {})])
    t_new, l_new = pair.t_params.pop(), pair.l_params.pop()
    shapes = pair.shapes
    pair.shapes = shapes[:1]
    for _ in range(3):
        pair.set_grads()
        pair.step()
    pair.t_opt.add_param_group({"params": t_new, "lr": 0.5, "amsgrad": True})
    pair.l_opt.add_param_group({"params": l_new, "lr": 0.5, "amsgrad": True})
    pair.t_params.append(t_new)
    pair.l_params.append(l_new)
    pair.shapes = shapes
    for i in range(5):
        pair.set_grads()
        pair.step()
        pair.check_params(f"step {i}")
    pair.check_state()


@pytest.mark.parametrize("name,kwargs", [("SGD", {"lr": 0.1, "momentum": 0.9}), ("Adam", {"lr": 0.1}),
                                         ("AdamW", {"lr": 0.1, "amsgrad": True}),
                                         ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.3}),
                                         ("Adagrad", {"lr": 0.1})])
def test_closure_step(name, kwargs):
    """step(closure): the closure re-evaluates a loss with grad enabled; step returns that loss."""
    rng = np.random.default_rng(3)
    init = rng.standard_normal((3, 4)).astype("float32")
    target = rng.standard_normal((3, 4)).astype("float32")
    results = {}
    for lib_name, lib in LIBS.items():
        (w,) = make_params(lib, [init])
        opt = get_optim(lib, name)([w], **kwargs)
        tgt = to_lib(lib, target)
        losses, values = [], []

        def closure():
            opt.zero_grad()
            loss = ((w - tgt) ** 2).sum()
            loss.backward()
            return loss
        with lib.no_grad():  # the closure must still build a graph
            for _ in range(10):
                losses.append(float(opt.step(closure)))
                values.append(w.detach().numpy().copy())
        results[lib_name] = (losses, values)
    np.testing.assert_allclose(results["lamina"][0], results["torch"][0], rtol=1e-5)
    np.testing.assert_allclose(np.stack(results["lamina"][1]), np.stack(results["torch"][1]), rtol=1e-5, atol=1e-6)


def test_step_without_closure_returns_none():
    p = Parameter(lamina.zeros(2))
    p.grad = lamina.ones(2)
    assert lamina.optim.SGD([p], lr=0.1).step() is None


def test_trains_a_small_model_like_torch():
    """A Linear-Linear model, cross-entropy-free MSE regression, Adam: same weights after 15 steps."""
    torch.manual_seed(0)
    t_model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Linear(8, 2))
    l_model = lamina.nn.Sequential(lamina.nn.Linear(4, 8), lamina.nn.Linear(8, 2))
    l_model.load_state_dict({k: lamina.from_numpy(v.detach().numpy().copy()) for k, v in t_model.state_dict().items()})
    t_opt = torch.optim.Adam(t_model.parameters(), lr=0.01, weight_decay=0.01)
    l_opt = lamina.optim.Adam(l_model.parameters(), lr=0.01, weight_decay=0.01)
    rng = np.random.default_rng(1)
    for _ in range(15):
        x = rng.standard_normal((6, 4)).astype("float32")
        y = rng.standard_normal((6, 2)).astype("float32")
        for lib, model, opt in ((torch, t_model, t_opt), (lamina, l_model, l_opt)):
            opt.zero_grad()
            ((model(to_lib(lib, x)) - to_lib(lib, y)) ** 2).mean().backward()
            opt.step()
    for (name, tp), (lname, lp) in zip(t_model.named_parameters(), l_model.named_parameters()):
        assert name == lname
        np.testing.assert_allclose(lp._data, tp.detach().numpy(), rtol=1e-5, atol=1e-6, err_msg=name)


# ---- state_dict ---------------------------------------------------------------------------------
STATEFUL = [("SGD", {"lr": 0.1, "momentum": 0.9}), ("Adam", {"lr": 0.05, "amsgrad": True}),
            ("AdamW", {"lr": 0.05}), ("RMSprop", {"momentum": 0.5, "centered": True}),
            ("Adagrad", {"lr": 0.1, "lr_decay": 0.01}), ("Adadelta", {}), ("Adamax", {"lr": 0.05}),
            ("NAdam", {"lr": 0.05}), ("RAdam", {"lr": 0.05}), ("Rprop", {}), ("ASGD", {"t0": 3})]
STATEFUL_IDS = [n for n, _ in STATEFUL]


def lamina_sd_to_torch(sd):
    return _convert(sd, lambda t: torch.from_numpy(t._data.copy()), lamina.Tensor)


def torch_sd_to_lamina(sd):
    return _convert(sd, lambda t: lamina.from_numpy(t.numpy().copy()), torch.Tensor)


def _convert(obj, fn, cls):
    if isinstance(obj, cls):
        return fn(obj)
    if isinstance(obj, dict):
        return {k: _convert(v, fn, cls) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_convert(v, fn, cls) for v in obj]
    return obj


def continue_pair(pair, steps=8):
    for i in range(steps):
        pair.set_grads(skip=(0,) if i == 2 else ())
        pair.step()
        pair.check_params(f"after resuming, step {i + 1}")
    pair.check_state("after resuming")


@pytest.mark.parametrize("name,kwargs", STATEFUL, ids=STATEFUL_IDS)
def test_round_trip_mid_training_resumes_identically(name, kwargs):
    pair = run(name, kwargs, steps=7)
    sd = pickle.loads(pickle.dumps(pair.l_opt.state_dict()))  # as if saved to a file
    clones = [Parameter(lamina.from_numpy(p._data.copy())) for p in pair.l_params]
    resumed = get_optim(lamina, name)(clones, **kwargs)
    resumed.load_state_dict(sd)
    assert resumed.state_dict()["param_groups"] == pair.l_opt.state_dict()["param_groups"]
    rng = np.random.default_rng(5)
    for _ in range(6):
        for p, q in zip(pair.l_params, clones):
            g = rng.standard_normal(p.shape).astype("float32")
            p.grad, q.grad = lamina.from_numpy(g), lamina.from_numpy(g.copy())
        pair.l_opt.step()
        resumed.step()
        for p, q in zip(pair.l_params, clones):
            np.testing.assert_array_equal(q._data, p._data)


@pytest.mark.parametrize("name,kwargs", STATEFUL, ids=STATEFUL_IDS)
def test_torch_state_dict_loads_into_lamina(name, kwargs):
    pair = run(name, kwargs, steps=6)
    # A fresh lamina optimizer on the torch parameters' current values takes torch's state.
    pair.l_params = make_params(lamina, [p.detach().numpy() for p in pair.t_params])
    pair.l_opt = get_optim(lamina, name)(pair.l_params, **kwargs)
    pair.l_opt.load_state_dict(torch_sd_to_lamina(pair.t_opt.state_dict()))
    pair.check_state("after load")
    continue_pair(pair)


@pytest.mark.parametrize("name,kwargs", STATEFUL, ids=STATEFUL_IDS)
def test_lamina_state_dict_loads_into_torch(name, kwargs):
    pair = run(name, kwargs, steps=6)
    pair.t_params = make_params(torch, [p._data for p in pair.l_params])
    pair.t_opt = get_optim(torch, name)(pair.t_params, **kwargs)
    pair.t_opt.load_state_dict(lamina_sd_to_torch(pair.l_opt.state_dict()))
    pair.check_state("after load")
    continue_pair(pair)


def test_load_state_dict_casts_to_param_dtype_and_copies():
    p = Parameter(lamina.zeros(3, dtype=lamina.float64))
    opt = lamina.optim.Adam([p])
    sd = {"state": {0: {"step": lamina.tensor(4.0), "exp_avg": lamina.ones(3), "exp_avg_sq": lamina.ones(3)}},
          "param_groups": [dict(opt.state_dict()["param_groups"][0])]}
    opt.load_state_dict(sd)
    st = opt.state[p]
    assert st["exp_avg"].dtype == lamina.float64
    assert st["step"].dtype == lamina.float32  # the step counter keeps its own dtype, as in torch
    st["exp_avg_sq"]._data += 1
    assert float(sd["state"][0]["exp_avg_sq"][0]) == 1.0  # the loaded tensors are private copies


def test_failed_load_leaves_optimizer_unchanged():
    pair = run("Adam", {"lr": 0.05}, steps=2)
    before = pair.l_opt.state_dict()
    snapshot = {k: {kk: vv._data.copy() for kk, vv in v.items()} for k, v in before["state"].items()}
    bad = copy.deepcopy(before)
    bad["param_groups"][0]["params"] = bad["param_groups"][0]["params"][:-1]
    with pytest.raises(ValueError, match="loaded state dict contains a parameter group that doesn't match the size "
                                         "of optimizer's group"):
        pair.l_opt.load_state_dict(bad)
    bad = copy.deepcopy(before)
    bad["param_groups"].append(dict(bad["param_groups"][0]))
    with pytest.raises(ValueError, match="loaded state dict has a different number of parameter groups"):
        pair.l_opt.load_state_dict(bad)
    after = pair.l_opt.state_dict()
    assert after["param_groups"] == before["param_groups"]
    for k, v in after["state"].items():
        for kk, vv in v.items():
            np.testing.assert_array_equal(vv._data, snapshot[k][kk])


def test_adagrad_state_exists_before_first_step():
    pair = Pair("Adagrad", {"initial_accumulator_value": 0.25})
    pair.check_state("before any step")


def test_old_checkpoint_with_numeric_step_is_upgraded():
    pair = run("Adam", {"lr": 0.05}, steps=3)
    sd = pair.l_opt.state_dict()
    sd = {"state": {k: dict(v, step=float(v["step"])) for k, v in sd["state"].items()},
          "param_groups": sd["param_groups"]}
    clones = [Parameter(lamina.from_numpy(p._data.copy())) for p in pair.l_params]
    opt = lamina.optim.Adam(clones, lr=0.05)
    opt.load_state_dict(sd)
    assert all(isinstance(st["step"], lamina.Tensor) for st in opt.state.values())
    for p in clones:
        p.grad = lamina.ones(p.shape)
    opt.step()
    assert float(opt.state[clones[0]]["step"]) == 4.0


# ---- construction, repr, defaults, errors --------------------------------------------------------
NAMES = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam", "Rprop", "ASGD"]


@pytest.mark.parametrize("name", NAMES)
def test_signature_and_defaults_match_torch(name):
    t_sig = inspect.signature(get_optim(torch, name).__init__).parameters
    l_sig = inspect.signature(get_optim(lamina, name).__init__).parameters
    assert [(k, p.kind, p.default) for k, p in l_sig.items()] == [(k, p.kind, p.default) for k, p in t_sig.items()]
    t_opt = get_optim(torch, name)([torch.nn.Parameter(torch.zeros(2))])
    l_opt = get_optim(lamina, name)([Parameter(lamina.zeros(2))])
    assert l_opt.defaults == t_opt.defaults
    assert l_opt.param_groups[0].keys() == t_opt.param_groups[0].keys()


@pytest.mark.parametrize("name", NAMES)
def test_repr_matches_torch(name):
    t_p, l_p = make_params(torch, [np.zeros(2), np.zeros(3)]), make_params(lamina, [np.zeros(2), np.zeros(3)])
    kw = {} if name == "Rprop" else {"weight_decay": 0.25}
    t_opt = get_optim(torch, name)([{"params": [t_p[0]]}, {"params": [t_p[1]], "lr": 0.5}], **kw)
    l_opt = get_optim(lamina, name)([{"params": [l_p[0]]}, {"params": [l_p[1]], "lr": 0.5}], **kw)
    assert repr(l_opt) == repr(t_opt)
    assert repr(l_opt).startswith(f"{name} (\nParameter Group 0\n")


def test_sgd_repr_literal():
    opt = lamina.optim.SGD([Parameter(lamina.zeros(1))], lr=0.1)
    assert repr(opt) == ("SGD (\nParameter Group 0\n    dampening: 0\n    differentiable: False\n    foreach: None\n"
                         "    fused: None\n    lr: 0.1\n    maximize: False\n    momentum: 0\n    nesterov: False\n"
                         "    weight_decay: 0\n)")


def same_error(fn):
    """fn(lib, Parameter) must raise the same exception type and message in torch and lamina."""
    errors = {}
    for name, lib in LIBS.items():
        param = torch.nn.Parameter if lib is torch else Parameter
        with pytest.raises(Exception) as info:
            fn(lib, param)
        errors[name] = info.value
    assert type(errors["lamina"]) is type(errors["torch"]), (errors["lamina"], errors["torch"])
    assert str(errors["lamina"]) == str(errors["torch"])
    return str(errors["lamina"])


ERROR_CASES = {
    "bare tensor": lambda lib, P: lib.optim.SGD(lib.zeros(3), lr=0.1),
    "bare parameter": lambda lib, P: lib.optim.Adam(P(lib.zeros(3))),
    "empty": lambda lib, P: lib.optim.SGD([], lr=0.1),
    "not a tensor": lambda lib, P: lib.optim.SGD([P(lib.zeros(2)), 3], lr=0.1),
    "non-leaf": lambda lib, P: lib.optim.SGD([P(lib.zeros(2)) * 2], lr=0.1),
    "set": lambda lib, P: lib.optim.SGD([{"params": {P(lib.zeros(2))}}], lr=0.1),
    "group not a dict": lambda lib, P: lib.optim.SGD([P(lib.zeros(2))]).add_param_group([P(lib.zeros(2))]),
    "two groups": lambda lib, P: _two_groups(lib, P),
    "names mixed": lambda lib, P: lib.optim.SGD([("a", P(lib.zeros(2))), P(lib.zeros(2))]),
    "negative lr": lambda lib, P: lib.optim.SGD([P(lib.zeros(2))], lr=-0.1),
    "negative momentum": lambda lib, P: lib.optim.SGD([P(lib.zeros(2))], momentum=-0.5),
    "negative weight decay": lambda lib, P: lib.optim.SGD([P(lib.zeros(2))], weight_decay=-1.0),
    "nesterov": lambda lib, P: lib.optim.SGD([P(lib.zeros(2))], lr=0.1, nesterov=True),
    "nesterov dampening": lambda lib, P: lib.optim.SGD([P(lib.zeros(2))], momentum=0.9, dampening=0.1,
                                                        nesterov=True),
    "adam beta0": lambda lib, P: lib.optim.Adam([P(lib.zeros(2))], betas=(1.0, 0.999)),
    "adam beta1": lambda lib, P: lib.optim.Adam([P(lib.zeros(2))], betas=(0.9, -0.1)),
    "adam int betas": lambda lib, P: lib.optim.Adam([P(lib.zeros(2))], betas=(0, 0.9)),
    "adam eps": lambda lib, P: lib.optim.AdamW([P(lib.zeros(2))], eps=-1.0),
    "adam lr": lambda lib, P: lib.optim.AdamW([P(lib.zeros(2))], lr=-1.0),
    "rmsprop alpha": lambda lib, P: lib.optim.RMSprop([P(lib.zeros(2))], alpha=-0.1),
    "rmsprop momentum": lambda lib, P: lib.optim.RMSprop([P(lib.zeros(2))], momentum=-0.1),
    "adagrad lr_decay": lambda lib, P: lib.optim.Adagrad([P(lib.zeros(2))], lr_decay=-0.1),
    "adagrad initial": lambda lib, P: lib.optim.Adagrad([P(lib.zeros(2))], initial_accumulator_value=-0.1),
    "adagrad eps": lambda lib, P: lib.optim.Adagrad([P(lib.zeros(2))], eps=-0.1),
    "base step": lambda lib, P: lib.optim.Optimizer([P(lib.zeros(2))], {}).step(),
}


def _two_groups(lib, P):
    p = P(lib.zeros(2))
    opt = lib.optim.SGD([p], lr=0.1)
    opt.add_param_group({"params": [P(lib.zeros(1)), p]})


@pytest.mark.parametrize("case", list(ERROR_CASES), ids=list(ERROR_CASES))
def test_errors_match_torch(case):
    same_error(ERROR_CASES[case])


def test_bare_tensor_message():
    with pytest.raises(TypeError, match="params argument given to the optimizer should be an iterable of Tensors "
                                        "or dicts, but got torch.FloatTensor"):
        lamina.optim.SGD(Parameter(lamina.zeros(2)), lr=0.1)


def test_duplicate_parameters_warn_like_torch():
    p = Parameter(lamina.zeros(2))
    with pytest.warns(UserWarning, match="optimizer contains a parameter group with duplicate parameters"):
        lamina.optim.SGD([p, p], lr=0.1)


def test_named_parameters_are_recorded():
    t_opt = torch.optim.SGD([("w", torch.nn.Parameter(torch.zeros(2))), ("b", torch.nn.Parameter(torch.zeros(1)))])
    l_opt = lamina.optim.SGD([("w", Parameter(lamina.zeros(2))), ("b", Parameter(lamina.zeros(1)))])
    assert l_opt.param_groups[0]["param_names"] == ["w", "b"]
    assert l_opt.state_dict()["param_groups"] == t_opt.state_dict()["param_groups"]


def test_differentiable_is_refused():
    with pytest.raises(NotImplementedError, match="differentiable=True"):
        lamina.optim.Adam([Parameter(lamina.zeros(2))], differentiable=True)


# ---- zero_grad, hooks, in-place semantics ------------------------------------------------------
@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad(set_to_none):
    p, q = Parameter(lamina.ones(3)), Parameter(lamina.ones(2))
    (p * 2).sum().backward()
    grad = p.grad
    opt = lamina.optim.SGD([p, q], lr=0.1)
    opt.zero_grad(set_to_none=set_to_none)
    assert q.grad is None
    if set_to_none:
        assert p.grad is None
    else:
        assert p.grad is grad and not p.grad.requires_grad
        np.testing.assert_array_equal(p.grad._data, np.zeros(3, np.float32))


def test_zero_grad_default_is_set_to_none():
    p = Parameter(lamina.ones(3))
    p.grad = lamina.ones(3)
    lamina.optim.Adam([p]).zero_grad()
    assert p.grad is None


def test_grad_is_not_modified_and_param_updated_in_place():
    p = Parameter(lamina.ones(3))
    arr = p._data
    g = lamina.full((3,), 2.0)
    p.grad = g
    opt = lamina.optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.5, maximize=True)
    opt.step()
    opt.step()
    assert p._data is arr  # other references to the parameter's array see the update
    np.testing.assert_array_equal(g._data, np.full(3, 2.0, np.float32))


def test_step_bumps_version_so_stale_graphs_fail():
    for lib, P in ((torch, torch.nn.Parameter), (lamina, Parameter)):
        p = P(lib.ones(3))
        y = (p * p).sum()
        p.grad = lib.ones(3)
        lib.optim.SGD([p], lr=0.1).step()
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.backward()


def test_step_hooks():
    p = Parameter(lamina.ones(2))
    p.grad = lamina.ones(2)
    opt = lamina.optim.SGD([p], lr=0.5)
    calls = []
    h1 = opt.register_step_pre_hook(lambda o, args, kwargs: calls.append(("pre", float(p._data[0]))))
    h2 = opt.register_step_post_hook(lambda o, args, kwargs: calls.append(("post", float(p._data[0]))))
    h3 = lamina.optim.register_optimizer_step_pre_hook(lambda o, args, kwargs: calls.append(("global", o is opt)))
    try:
        opt.step()
    finally:
        h3.remove()
    assert calls == [("global", True), ("pre", 1.0), ("post", 0.5)]
    h1.remove()
    h2.remove()
    opt.step()
    assert len(calls) == 3


def test_pre_hook_can_replace_arguments():
    p = Parameter(lamina.ones(2))
    opt = lamina.optim.SGD([p], lr=0.5)

    def closure():
        opt.zero_grad()
        loss = (p * 3).sum()
        loss.backward()
        return loss
    opt.register_step_pre_hook(lambda o, args, kwargs: ((closure,), {}))
    loss = opt.step()
    assert float(loss) == 6.0
    np.testing.assert_allclose(p._data, [-0.5, -0.5])


def test_pre_hook_bad_return_raises():
    p = Parameter(lamina.ones(2))
    opt = lamina.optim.SGD([p], lr=0.5)
    opt.register_step_pre_hook(lambda o, args, kwargs: 5)
    with pytest.raises(RuntimeError, match="must return None or a tuple of"):
        opt.step()


def test_state_dict_hooks():
    p = Parameter(lamina.ones(2))
    opt = lamina.optim.SGD([p], lr=0.5)
    opt.register_state_dict_post_hook(lambda o, sd: dict(sd, extra=1))
    sd = opt.state_dict()
    assert sd["extra"] == 1
    seen = []
    opt.register_load_state_dict_pre_hook(lambda o, sd: {k: v for k, v in sd.items() if k != "extra"})
    opt.register_load_state_dict_post_hook(lambda o: seen.append(True))
    sd["param_groups"][0]["lr"] = 0.25
    opt.load_state_dict(sd)
    assert seen == [True] and opt.param_groups[0]["lr"] == 0.25


def test_deepcopy_and_pickle_of_optimizer():
    pair = run("Adam", {"lr": 0.05}, steps=2)
    clone = copy.deepcopy(pair.l_opt)
    assert repr(clone) == repr(pair.l_opt)
    clone.register_step_pre_hook(lambda *a: None)  # hook dicts are recreated
    assert len(clone.state) == len(pair.l_opt.state)


def test_tensor_lr():
    rng = np.random.default_rng(0)
    init, grad = rng.standard_normal(4).astype("float32"), rng.standard_normal(4).astype("float32")
    out = {}
    for lib in (torch, lamina):
        (p,) = make_params(lib, [init])
        opt = lib.optim.SGD([p], lr=lib.tensor(0.1), momentum=0.9)
        for _ in range(3):
            p.grad = to_lib(lib, grad)
            opt.step()
        out[lib.__name__] = p.detach().numpy().copy()
    np.testing.assert_allclose(out["lamina"], out["torch"], rtol=1e-6)


def test_load_state_dict_accepts_ndarrays():
    pair = run("Adam", {"lr": 0.05}, steps=3)
    sd = pair.t_opt.state_dict()
    as_numpy = {"state": {k: {kk: vv.numpy().copy() for kk, vv in v.items()} for k, v in sd["state"].items()},
                "param_groups": sd["param_groups"]}
    pair.l_params = make_params(lamina, [p.detach().numpy() for p in pair.t_params])
    pair.l_opt = lamina.optim.Adam(pair.l_params, lr=0.05)
    pair.l_opt.load_state_dict(as_numpy)
    continue_pair(pair, steps=3)


def custom_optimizer(lib):
    """A user-written optimizer on the base class, as in tutorials: same code for both libraries."""
    from_lib = importlib.import_module(lib.__name__ + ".optim.optimizer")  # where `required` lives

    class SignSGD(lib.optim.Optimizer):
        def __init__(self, params, lr=from_lib.required, momentum=0.0):
            super().__init__(params, {"lr": lr, "momentum": momentum})

        @lib.no_grad()
        def step(self, closure=None):
            loss = None
            if closure is not None:
                with lib.enable_grad():
                    loss = closure()
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    st = self.state[p]
                    buf = st.get("buf")
                    if buf is None:
                        buf = st["buf"] = p.grad.clone()
                    else:
                        buf.mul_(group["momentum"]).add_(p.grad)
                    p.add_(buf.sign(), alpha=-group["lr"])
            return loss
    return SignSGD


def test_custom_optimizer_subclass_matches_torch():
    rng = np.random.default_rng(4)
    init = [rng.standard_normal(s).astype("float32") for s in SHAPES]
    grads = [[rng.standard_normal(s).astype("float32") for s in SHAPES] for _ in range(6)]
    out = {}
    for lib in (torch, lamina):
        params = make_params(lib, init)
        opt = custom_optimizer(lib)([{"params": params[:2], "lr": 0.1}, {"params": params[2:], "lr": 0.01}],
                                    momentum=0.5)
        sched = lib.optim.lr_scheduler.StepLR(opt, 2, gamma=0.5)
        for step_grads in grads:
            for p, g in zip(params, step_grads):
                p.grad = to_lib(lib, g)
            opt.step()
            sched.step()
        out[lib] = ([p.detach().numpy().copy() for p in params], repr(opt),
                    list(opt.state_dict()["state"]), sched.get_last_lr())
    for a, b in zip(out[lamina][0], out[torch][0]):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert out[lamina][1:] == out[torch][1:]


def test_required_option_missing_matches_torch():
    msg = same_error(lambda lib, P: custom_optimizer(lib)([P(lib.zeros(2))]))
    assert msg == "parameter group didn't specify a value of required optimization parameter lr"


# ---- the flat-buffer fast path of SGD and Adam (lamina/optim/_flat.py) ---------------------------
FLAT_CASES = [("SGD", {"lr": 0.1, "momentum": 0.9}), ("SGD", {"lr": 0.1}),
              ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1}),
              ("Adam", {"lr": 0.05}), ("Adam", {"lr": 0.05, "amsgrad": True, "weight_decay": 0.1}),
              ("AdamW", {"lr": 0.05, "weight_decay": 0.1})]


@pytest.mark.parametrize("name,kwargs", FLAT_CASES)
def test_flat_updates_follow_torch_through_reassignment_and_reload(name, kwargs):
    """Many steps with every gradient present (the flat path), mixed dtypes in one group, then the
    user reassigns a parameter's .data, loads a state dict, and leaves one gradient out."""
    rng = np.random.default_rng(5)
    shapes, dtypes = [(3, 4), (4,), (), (2, 3)], ["float32", "float32", "float64", "float64"]
    init = [rng.standard_normal(s).astype(d) for s, d in zip(shapes, dtypes)]
    params = {lib: make_params(lib, init) for lib in (torch, lamina)}
    opts = {lib: get_optim(lib, name)(params[lib], **kwargs) for lib in (torch, lamina)}
    held = {}
    for i in range(12):
        grads = [rng.standard_normal(s).astype(d) for s, d in zip(shapes, dtypes)]
        if i == 4:  # a new array for one parameter, as `p.data = ...` in user code
            new = rng.standard_normal(shapes[0]).astype("float32")
            params[torch][0].data = torch.from_numpy(new.copy())
            params[lamina][0].data = lamina.from_numpy(new.copy())
        if i == 6:  # round trip through the state dict
            for lib in (torch, lamina):
                opts[lib].load_state_dict(copy.deepcopy(opts[lib].state_dict()))
        for lib in (torch, lamina):
            for j, (p, g) in enumerate(zip(params[lib], grads)):
                p.grad = None if i == 8 and j == 1 else to_lib(lib, g)
            opts[lib].step()
        if i == 2:  # state tensors handed out by state_dict() keep following the optimizer
            held = {lib: opts[lib].state_dict()["state"].get(0, {}) for lib in (torch, lamina)}
        for j, (tp, lp) in enumerate(zip(params[torch], params[lamina])):
            assert lp._data.dtype == tp.detach().numpy().dtype
            np.testing.assert_allclose(lp._data, tp.detach().numpy(), rtol=1e-5, atol=1e-6,
                                       err_msg=f"param {j} after step {i + 1}")
    assert_state_dicts_equal(opts[torch].state_dict(), opts[lamina].state_dict())
    for key, tv in held[torch].items():
        np.testing.assert_allclose(held[lamina][key]._data, tv.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_replaced_step_counter_drives_the_bias_correction(name):
    """The flat path keeps every step counter of a bucket in one array; a counter the user
    replaces (or sets back) must still be the one the next step reads and advances, as in
    PyTorch, and the counters left alone must go on counting on their own."""
    rng = np.random.default_rng(11)
    init = [rng.standard_normal((3, 2)).astype("float32"), rng.standard_normal(4).astype("float32")]
    params = {lib: make_params(lib, init) for lib in (torch, lamina)}
    opts = {lib: get_optim(lib, name)(params[lib], lr=0.1) for lib in (torch, lamina)}
    kept = {}
    for i in range(7):
        grads = [rng.standard_normal(a.shape).astype("float32") for a in init]
        for lib in (torch, lamina):
            if i == 2:  # the same tensor, set in place, while both counters are equal
                opts[lib].state[params[lib][1]]["step"].fill_(1.0)
                kept[lib] = opts[lib].state[params[lib][1]]["step"]  # held by the user
            if i == 4:
                opts[lib].state[params[lib][0]]["step"] = lib.tensor(40.0)  # a new tensor
            for p, g in zip(params[lib], grads):
                p.grad = to_lib(lib, g)
            opts[lib].step()
        for tp, lp in zip(params[torch], params[lamina]):
            np.testing.assert_allclose(lp._data, tp.detach().numpy(), rtol=1e-5, atol=1e-6,
                                       err_msg=f"after step {i + 1}")
    assert_state_dicts_equal(opts[torch].state_dict(), opts[lamina].state_dict())
    assert float(kept[lamina]) == float(kept[torch]) == 6.0


@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_parameter_sharing_memory_with_numpy_keeps_being_updated(name):
    """A parameter built on a NumPy array with from_numpy shares its memory, as in PyTorch: the
    array sees every update, including those of the fast path."""
    arrays = [np.ones((3, 2), np.float32), np.ones(4, np.float32)]
    params = [Parameter(lamina.from_numpy(a)) for a in arrays]
    t_params = make_params(torch, [np.ones((3, 2), np.float32), np.ones(4, np.float32)])
    opt = get_optim(lamina, name)(params, lr=0.1, **({"momentum": 0.9} if name == "SGD" else {}))
    t_opt = get_optim(torch, name)(t_params, lr=0.1, **({"momentum": 0.9} if name == "SGD" else {}))
    for i in range(4):
        for p, tp in zip(params, t_params):
            p.grad = lamina.full(p.shape, float(i + 1))
            tp.grad = torch.full(tuple(p.shape), float(i + 1))
        opt.step()
        t_opt.step()
    for a, tp in zip(arrays, t_params):
        np.testing.assert_allclose(a, tp.detach().numpy(), rtol=1e-6)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "NAdam", "ASGD", "RMSprop", "Adagrad", "Rprop"])
def test_unpickling_an_older_optimizer_fills_options_and_tensor_counters(name):
    """State pickled by an older version may lack newer group options and hold counters such as
    'step' as Python numbers; restoring it fills torch's defaults and the optimizer keeps stepping."""
    p = Parameter(lamina.randn(3))
    opt = get_optim(lamina, name)([p], lr=0.01)
    p.grad = lamina.ones(3)
    opt.step()
    state = opt.__getstate__()
    group = state["param_groups"][0]
    for key in ("maximize", "foreach", "differentiable"):
        group.pop(key)
    counters = state["state"][p]
    for key in [k for k in counters if k in ("step", "mu_product", "eta", "mu")]:
        counters[key] = float(counters[key].numpy())
    restored = object.__new__(type(opt))
    restored.__setstate__(state)
    restored_group = restored.param_groups[0]
    assert restored_group["maximize"] is False and restored_group["foreach"] is None
    assert restored_group["differentiable"] is False
    assert all(isinstance(v, lamina.Tensor) for v in restored.state[p].values())
    before = p.detach().numpy().copy()
    p.grad = lamina.ones(3)
    restored.step()
    assert not np.array_equal(p.detach().numpy(), before)
