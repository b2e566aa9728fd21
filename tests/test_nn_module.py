"""Module behaviour against torch.nn.Module: registration, traversal order and names, state_dict
(keys, metadata, strict and non-strict loading, errors, atomicity), modes, dtype conversion,
reprs of nested models, containers, and forward / backward hooks."""
import collections
import copy
import pickle

import numpy as np
import pytest
import torch

import lamina
import lamina.nn as lnn
from oracle import assert_same, check_module, copy_weights


def _r(m):
    return repr(m)


def build(lib, kind="net"):
    """The same architecture in either library."""
    nn = lib.nn
    if kind == "net":
        class Block(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(4, 4)
                self.norm = nn.BatchNorm1d(4)
                self.register_buffer("steps", lib.zeros(1))
                self.register_buffer("scratch", lib.zeros(2), persistent=False)

            def forward(self, x):
                return self.norm(self.fc(x)).relu()

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.embed = nn.Linear(3, 4)
                self.blocks = nn.ModuleList([Block(), Block()])
                self.head = nn.Sequential(nn.Dropout(0.1), nn.Linear(4, 2, bias=False))
                self.scale = nn.Parameter(lib.ones(1))
                self.heads = nn.ModuleDict({"a": nn.Linear(2, 1), "b": nn.Tanh()})

            def forward(self, x):
                x = self.embed(x)
                for b in self.blocks:
                    x = b(x)
                return self.head(x) * self.scale
        return Net()
    raise ValueError(kind)


def same_weights(t_mod, l_mod):
    copy_weights(t_mod, l_mod)
    return t_mod, l_mod


# ---- registration and traversal -----------------------------------------------------------------
def test_named_members_order_and_prefixes():
    t, m = build(torch), build(lamina)
    assert [n for n, _ in m.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in m.named_buffers()] == [n for n, _ in t.named_buffers()]
    assert [n for n, _ in m.named_modules()] == [n for n, _ in t.named_modules()]
    assert [n for n, _ in m.named_children()] == [n for n, _ in t.named_children()]
    assert [n for n, _ in m.named_parameters(prefix="model")] == [n for n, _ in t.named_parameters(prefix="model")]
    assert [n for n, _ in m.named_parameters(recurse=False)] == [n for n, _ in t.named_parameters(recurse=False)]
    assert [n for n, _ in m.named_buffers(recurse=False)] == [n for n, _ in t.named_buffers(recurse=False)]
    assert [n for n, _ in m.named_modules(prefix="root")] == [n for n, _ in t.named_modules(prefix="root")]
    assert len(list(m.parameters())) == len(list(t.parameters()))
    assert len(list(m.modules())) == len(list(t.modules()))


def test_shared_parameters_and_modules_deduplicated_like_torch():
    for lib in (torch, lamina):
        nn = lib.nn
        shared = nn.Linear(2, 2)
        seq = nn.Sequential(shared, nn.ReLU(), shared)
        seq.extra = nn.Linear(2, 2)
        seq.extra.weight = shared.weight
        lib_names = [n for n, _ in seq.named_parameters()]
        all_names = [n for n, _ in seq.named_parameters(remove_duplicate=False)]
        mods = [n for n, _ in seq.named_modules()]
        all_mods = [n for n, _ in seq.named_modules(remove_duplicate=False)]
        if lib is torch:
            expected = (lib_names, all_names, mods, all_mods, list(seq.state_dict()))
        else:
            assert (lib_names, all_names, mods, all_mods, list(seq.state_dict())) == expected


def _error(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the exception type and text are what is compared
        return type(e).__name__, str(e)
    return None


def test_registration_errors_match_torch():
    cases = [
        lambda lib, m: setattr(m, "w", lib.ones(1)),
        lambda lib, m: m.register_buffer("training", lib.ones(1)),
        lambda lib, m: m.register_buffer("a.b", lib.ones(1)),
        lambda lib, m: m.register_parameter("a.b", None),
        lambda lib, m: m.register_parameter("p", lib.ones(1)),
        lambda lib, m: m.add_module("", lib.nn.ReLU()),
        lambda lib, m: m.add_module("x", 3),
        lambda lib, m: m.register_buffer("b", 3),
        lambda lib, m: m.register_buffer(3, lib.ones(1)),
        lambda lib, m: getattr(m, "missing"),
        lambda lib, m: setattr(m, "sub", 5),
        lambda lib, m: m.get_parameter("fc.nothing"),
        lambda lib, m: m.get_buffer("nothing"),
    ]
    for case in cases:
        results = []
        for lib in (torch, lamina):
            m = lib.nn.Module()
            m.w = lib.nn.Parameter(lib.ones(1))
            m.sub = lib.nn.ReLU()
            m.fc = lib.nn.Linear(1, 1)
            results.append(_error(lambda: case(lib, m)))
        assert results[0] is not None
        assert results[1] == results[0]


def test_assigning_before_init_errors():
    for lib in (torch, lamina):
        class Bad(lib.nn.Module):
            def __init__(self):
                self.w = lib.nn.Parameter(lib.ones(1))
        with pytest.raises(AttributeError, match="cannot assign parameters before Module.__init__\\(\\) call"):
            Bad()


def test_reassign_and_delete_members():
    for lib in (torch, lamina):
        m = lib.nn.Linear(2, 3)
        m.bias = None
        assert m.bias is None and "bias" not in dict(m.named_parameters())
        m.extra = lib.nn.ReLU()
        m.extra = None
        del m.weight
        res = (list(m.state_dict()), [n for n, _ in m.named_children()], repr(m))
        if lib is torch:
            expected = res
        else:
            assert res == expected


def test_get_submodule_parameter_buffer():
    t, m = build(torch), build(lamina)
    assert type(m.get_submodule("blocks.1.norm")).__name__ == "BatchNorm1d"
    assert m.get_parameter("blocks.0.fc.weight") is m.blocks[0].fc.weight
    assert m.get_buffer("blocks.1.steps") is m.blocks[1].steps
    for target in ("blocks.5", "nothing"):
        with pytest.raises(AttributeError) as te:
            t.get_submodule(target)
        with pytest.raises(AttributeError) as le:
            m.get_submodule(target)
        assert str(le.value) == str(te.value)


# ---- state_dict -------------------------------------------------------------------------------------
def test_state_dict_keys_order_and_metadata():
    t, m = build(torch), build(lamina)
    ts, ms = t.state_dict(), m.state_dict()
    assert list(ms) == list(ts)
    assert dict(ms._metadata) == dict(ts._metadata)
    assert "blocks.0.scratch" not in ms  # non-persistent
    assert list(m.state_dict(prefix="p.")) == list(t.state_dict(prefix="p."))
    assert list(m.state_dict(prefix="p.")._metadata) == list(t.state_dict(prefix="p.")._metadata)


def test_state_dict_values_are_detached_and_keep_vars():
    m = build(lamina)
    sd = m.state_dict()
    assert not sd["embed.weight"].requires_grad
    assert np.shares_memory(sd["embed.weight"]._data, m.embed.weight._data)  # a view, as torch's detach()
    kv = m.state_dict(keep_vars=True)
    assert kv["embed.weight"] is m.embed.weight


def test_round_trip_through_torch_state_dict():
    t, m = build(torch), build(lamina)
    same_weights(t, m)
    for (k, tv), (k2, lv) in zip(t.state_dict().items(), m.state_dict().items()):
        assert k == k2
        np.testing.assert_array_equal(lv.numpy(), tv.numpy())
    # and back: lamina's state into torch
    t2 = build(torch)
    t2.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in m.state_dict().items()})
    for (k, tv), (_, lv) in zip(t2.state_dict().items(), m.state_dict().items()):
        np.testing.assert_array_equal(lv.numpy(), tv.numpy())


def _load_result(lib, state, strict):
    m = build(lib)
    try:
        r = m.load_state_dict(state, strict=strict)
        return ("ok", sorted(r.missing_keys), sorted(r.unexpected_keys), r.missing_keys, r.unexpected_keys)
    except RuntimeError as e:
        return ("error", str(e))


@pytest.mark.parametrize("strict", [True, False])
@pytest.mark.parametrize("change", ["drop", "extra", "both", "shape", "shape+extra", "none"])
def test_load_state_dict_missing_unexpected_and_errors(strict, change):
    base = build(torch).state_dict()
    state_t = collections.OrderedDict(base)
    if change in ("drop", "both"):
        del state_t["blocks.1.fc.bias"]
        del state_t["scale"]
    if change in ("extra", "both", "shape+extra"):
        state_t["blocks.0.fc.gamma"] = torch.ones(2)
        state_t["nope"] = torch.ones(1)
    if change in ("shape", "shape+extra"):
        state_t["embed.weight"] = torch.ones(5, 3)
    state_l = collections.OrderedDict((k, lamina.from_numpy(v.numpy().copy())) for k, v in state_t.items())
    assert _load_result(lamina, state_l, strict) == _load_result(torch, state_t, strict)


def test_failed_load_changes_nothing():
    m = build(lamina)
    before = {k: v.numpy().copy() for k, v in m.state_dict().items()}
    bad = {k: lamina.from_numpy(np.full(v.shape, 7.0, dtype=v.numpy().dtype)) for k, v in m.state_dict().items()}
    bad["head.1.weight"] = lamina.ones(9, 9)
    with pytest.raises(RuntimeError, match="size mismatch for head.1.weight: copying a param with shape "
                                           r"torch.Size\(\[9, 9\]\) from checkpoint, the shape in current model is "
                                           r"torch.Size\(\[2, 4\]\)."):
        m.load_state_dict(bad)
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k])


def test_load_keeps_parameter_identity_and_copies_values():
    m = build(lamina)
    w = m.embed.weight
    new = {k: lamina.from_numpy(np.asarray(v.numpy() + 1)) for k, v in m.state_dict().items()}
    m.load_state_dict(new)
    assert m.embed.weight is w
    np.testing.assert_array_equal(w.detach().numpy(), new["embed.weight"].numpy())
    new["embed.weight"]._data[...] = 0  # no aliasing with the source
    assert w.detach().numpy().any()


def test_load_with_assign():
    for lib in (torch, lamina):
        m = lib.nn.Linear(2, 2)
        src = {"weight": lib.ones(2, 2), "bias": lib.zeros(2)}
        m.load_state_dict(src, assign=True)
        assert isinstance(m.weight, lib.nn.Parameter) and m.weight.requires_grad
        np.testing.assert_array_equal(m.weight.detach().numpy(), np.ones((2, 2)))


def test_load_state_dict_type_errors():
    for lib in (torch, lamina):
        with pytest.raises(TypeError, match="Expected state_dict to be dict-like, got"):
            lib.nn.Linear(2, 2).load_state_dict([1, 2])


def test_load_post_hook_and_state_dict_hook_called():
    calls = []
    m = lnn.Linear(2, 2)
    h = m.register_load_state_dict_post_hook(lambda mod, keys: calls.append((mod, tuple(keys.missing_keys))))
    m.load_state_dict({"weight": lamina.ones(2, 2)}, strict=False)
    assert calls == [(m, ("bias",))]
    h.remove()
    m.load_state_dict(m.state_dict())
    assert len(calls) == 1


# ---- modes, grads, dtype ---------------------------------------------------------------------------
def test_train_eval_propagate():
    t, m = build(torch), build(lamina)
    m.eval()
    t.eval()
    assert [x.training for x in m.modules()] == [x.training for x in t.modules()] == [False] * len(list(t.modules()))
    m.blocks.train()
    t.blocks.train()
    assert [x.training for x in m.modules()] == [x.training for x in t.modules()]
    assert m.train() is m
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        m.train("yes")


def test_zero_grad_and_requires_grad():
    m = build(lamina)
    out = m(lamina.randn(5, 3)).sum()
    out.backward()
    assert any(p.grad is not None for p in m.parameters())
    had_grad = [p.grad is not None for p in m.parameters()]
    m.zero_grad(set_to_none=False)
    assert [p.grad is not None for p in m.parameters()] == had_grad
    assert all(not p.grad.numpy().any() for p in m.parameters() if p.grad is not None)
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())
    assert m.requires_grad_(False) is m
    assert not any(p.requires_grad for p in m.parameters())
    assert not m(lamina.randn(5, 3)).requires_grad


def test_apply_visits_children_first():
    for lib in (torch, lamina):
        order = []
        build(lib).apply(lambda mod: order.append(type(mod).__name__))
        if lib is torch:
            expected = order
        else:
            assert order == expected


@pytest.mark.parametrize("convert", ["double", "float", "to64", "to_tensor", "half"])
def test_dtype_conversion_keeps_parameter_identity(convert):
    m = build(lamina)
    m(lamina.randn(4, 3)).sum().backward()
    params = list(m.parameters())
    ids = [id(p) for p in params]
    target = {"double": lamina.float64, "float": lamina.float32, "to64": lamina.float64,
              "to_tensor": lamina.float64, "half": lamina.float16}[convert]
    if convert == "double":
        out = m.double()
    elif convert == "float":
        out = m.double().float()
    elif convert == "to64":
        out = m.to(dtype=lamina.float64)
    elif convert == "to_tensor":
        out = m.to(lamina.zeros(1, dtype=lamina.float64))
    else:
        out = m.half()
    assert out is m
    assert [id(p) for p in m.parameters()] == ids
    assert all(p.dtype == target and isinstance(p, lnn.Parameter) for p in m.parameters())
    assert all(p.grad.dtype == target for p in m.parameters() if p.grad is not None)
    assert m.blocks[0].norm.running_mean.dtype == target
    assert m.blocks[0].norm.num_batches_tracked.dtype == lamina.int64


def test_double_model_matches_torch_double():
    t, m = build(torch), build(lamina)
    t.head[0].p = m.head[0].p = 0.0  # in training mode: the two libraries' dropout masks differ
    check_module(t, m, [(6, 3)], dtype="float64")


def test_to_integer_dtype_error():
    for lib in (torch, lamina):
        with pytest.raises(TypeError, match="nn.Module.to only accepts floating point or complex dtypes, but got "
                                            "desired dtype="):
            lib.nn.Linear(2, 2).to(lib.int64)


def test_deepcopy_and_pickle():
    m = build(lamina)
    m2 = copy.deepcopy(m)
    assert m2.embed.weight is not m.embed.weight
    np.testing.assert_array_equal(m2.embed.weight.detach().numpy(), m.embed.weight.detach().numpy())
    assert repr(m2) == repr(m)
    lin = lnn.Linear(3, 2)
    lin2 = pickle.loads(pickle.dumps(lin))
    np.testing.assert_array_equal(lin2.weight.detach().numpy(), lin.weight.detach().numpy())
    assert isinstance(lin2.weight, lnn.Parameter)


# ---- repr -----------------------------------------------------------------------------------------
def test_nested_repr_identical_to_torch():
    assert repr(build(lamina)) == _r(build(torch))


def test_repr_of_assorted_models():
    for lib in (torch, lamina):
        nn = lib.nn
        models = [
            nn.Sequential(),
            nn.Sequential(nn.Linear(2, 3)),
            nn.Sequential(collections.OrderedDict([("fc", nn.Linear(2, 3)), ("act", nn.GELU("tanh"))])),
            nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.ReLU(), nn.ReLU(), nn.Linear(2, 2)]),
            nn.ModuleList(),
            nn.ModuleList([nn.Sequential(nn.Linear(1, 1), nn.ReLU()) for _ in range(2)]),
            nn.ModuleDict({"x": nn.ReLU(), "y": nn.Sequential(nn.Tanh())}),
            nn.ParameterList([nn.Parameter(lib.ones(2, 3)), nn.Parameter(lib.zeros(4, dtype=lib.float64))]),
            nn.ParameterDict({"a": nn.Parameter(lib.ones(2))}),
            nn.Sequential(nn.Linear(2, 2), nn.ModuleList([nn.ReLU(), nn.ReLU()]), nn.BatchNorm1d(2)),
        ]
        reprs = [repr(x) for x in models]
        if lib is torch:
            expected = reprs
        else:
            for got, exp in zip(reprs, expected):
                assert got == exp


# ---- containers -----------------------------------------------------------------------------------
def _seq(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 4), nn.Tanh())


def _names(mod):
    return [(n, type(c).__name__) for n, c in mod.named_children()]


@pytest.mark.parametrize("op", ["index", "neg_index", "slice", "step_slice", "append", "insert", "insert_neg",
                                "del", "del_slice", "setitem", "add", "mul", "extend", "pop", "len", "iter"])
def test_sequential_operations_match_torch(op):
    results = []
    for lib in (torch, lamina):
        s = _seq(lib)
        nn = lib.nn
        if op == "index":
            r = type(s[2]).__name__
        elif op == "neg_index":
            r = type(s[-1]).__name__
        elif op == "slice":
            r = (type(s[1:3]).__name__, _names(s[1:3]))
        elif op == "step_slice":
            r = _names(s[::2])
        elif op == "append":
            r = _names(s.append(nn.Sigmoid()))
        elif op == "insert":
            r = _names(s.insert(1, nn.Sigmoid()))
        elif op == "insert_neg":
            r = _names(s.insert(-1, nn.Sigmoid()))
        elif op == "del":
            del s[1]
            r = _names(s)
        elif op == "del_slice":
            del s[1:3]
            r = _names(s)
        elif op == "setitem":
            s[1] = nn.GELU()
            r = _names(s)
        elif op == "add":
            r = _names(s + _seq(lib))
        elif op == "mul":
            r = _names(s * 2)
        elif op == "extend":
            r = _names(s.extend([nn.Sigmoid(), nn.ReLU()]))
        elif op == "pop":
            r = (type(s.pop(1)).__name__, _names(s))
        elif op == "len":
            r = len(s)
        else:
            r = [type(x).__name__ for x in s]
        results.append(r)
    assert results[1] == results[0]


def test_sequential_index_error():
    for lib in (torch, lamina):
        with pytest.raises(IndexError, match="index 4 is out of range"):
            _seq(lib)[4]


def test_sequential_forward_matches_torch():
    check_module(_seq(torch), _seq(lamina), [(5, 2)])


def test_module_list_and_dict_operations():
    for lib in (torch, lamina):
        nn = lib.nn
        ml = nn.ModuleList([nn.ReLU(), nn.Tanh()])
        ml.append(nn.Sigmoid())
        ml.insert(0, nn.GELU())
        ml += [nn.ReLU()]
        del ml[1]
        ml[0] = nn.SiLU()
        r1 = (_names(ml), type(ml[-1]).__name__, _names(ml[1:3]), len(ml))
        md = nn.ModuleDict({"b": nn.ReLU(), "a": nn.Tanh()})
        md["c"] = nn.Sigmoid()
        md.update([("d", nn.GELU())])
        popped = md.pop("a")
        r2 = (list(md.keys()), [type(v).__name__ for v in md.values()], type(popped).__name__, "b" in md, len(md))
        pl = nn.ParameterList([nn.Parameter(lib.ones(2))])
        pl.append(nn.Parameter(lib.zeros(3)))
        r3 = ([n for n, _ in pl.named_parameters()], len(pl), list(pl[1].shape))
        if lib is torch:
            expected = (r1, r2, r3)
        else:
            assert (r1, r2, r3) == expected


# ---- forward hooks ----------------------------------------------------------------------------------
def _hook_log(lib):
    log = []
    m = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.ReLU())
    first = m[0]
    handles = [
        first.register_forward_pre_hook(lambda mod, args: log.append("pre1")),
        first.register_forward_pre_hook(lambda mod, args: log.append("pre0"), prepend=True),
        first.register_forward_hook(lambda mod, args, out: log.append("post1")),
        first.register_forward_hook(lambda mod, args, out: log.append("post0"), prepend=True),
        first.register_forward_pre_hook(lambda mod, args, kwargs: log.append("prekw"), with_kwargs=True),
        first.register_forward_hook(lambda mod, args, kwargs, out: log.append("postkw"), with_kwargs=True),
        m.register_forward_hook(lambda mod, args, out: log.append("outer")),
    ]
    return m, log, handles


def test_forward_hook_order_and_removal():
    logs = []
    for lib in (torch, lamina):
        m, log, handles = _hook_log(lib)
        m(lib.randn(3, 2))
        handles[0].remove()
        handles[3].remove()
        m(lib.randn(3, 2))
        logs.append(log)
    assert logs[1] == logs[0]


def test_forward_hooks_can_replace_input_and_output():
    outs = []
    for lib in (torch, lamina):
        m = lib.nn.Linear(2, 2)
        with lib.no_grad():
            m.weight.copy_(lib.eye(2))
            m.bias.zero_()
        m.register_forward_pre_hook(lambda mod, args: (args[0] * 2,))
        m.register_forward_hook(lambda mod, args, out: out + 1)
        outs.append(m(lib.ones(1, 2)).detach().numpy())
    np.testing.assert_array_equal(outs[1], outs[0])


def test_global_forward_hooks():
    from lamina.nn.modules import module as lmodule
    log = []
    h = lmodule.register_module_forward_hook(lambda mod, args, out: log.append(type(mod).__name__))
    try:
        _seq(lamina)(lamina.randn(1, 2))
    finally:
        h.remove()
    assert log == ["Linear", "ReLU", "Linear", "Tanh", "Sequential"]
    _seq(lamina)(lamina.randn(1, 2))
    assert len(log) == 5


# ---- backward hooks ---------------------------------------------------------------------------------
def _grad_capture(lib, module_fn, inputs):
    seen = []

    def hook(mod, grad_input, grad_output):
        seen.append(("hook", [None if g is None else g.detach().numpy().copy() for g in grad_input],
                     [None if g is None else g.detach().numpy().copy() for g in grad_output]))

    def pre(mod, grad_output):
        seen.append(("pre", [None if g is None else g.detach().numpy().copy() for g in grad_output]))
    mod = module_fn(lib)
    mod.register_full_backward_hook(hook)
    mod.register_full_backward_pre_hook(pre)
    xs = [lib.from_numpy(x.copy()).requires_grad_(rg) for x, rg in inputs]
    out = mod(*xs)
    (out * lib.arange(out.numel()).reshape(out.shape).to(out.dtype)).sum().backward()
    return seen, [None if x.grad is None else x.grad.numpy() for x in xs]


def _compare_captures(a, b):
    assert len(a) == len(b)
    for (ka, *va), (kb, *vb) in zip(a, b):
        assert ka == kb
        for la, lb in zip(va, vb):
            assert len(la) == len(lb)
            for x, y in zip(la, lb):
                if x is None:
                    assert y is None
                else:
                    np.testing.assert_allclose(y, x, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", ["linear", "linear_nograd_input", "relu", "two_inputs"])
def test_full_backward_hooks_match_torch(case):
    x = np.random.default_rng(0).standard_normal((3, 4)).astype("float32")

    class Add(torch.nn.Module):
        def forward(self, a, b):
            return a * 2 + b

    class LAdd(lnn.Module):
        def forward(self, a, b):
            return a * 2 + b

    cases = {
        "linear": (lambda lib: (torch.manual_seed(0), lib.nn.Linear(4, 2))[1], [(x, True)]),
        "linear_nograd_input": (lambda lib: lib.nn.Linear(4, 2), [(x, False)]),
        "relu": (lambda lib: lib.nn.ReLU(), [(x, True)]),
        "two_inputs": (lambda lib: Add() if lib is torch else LAdd(), [(x, True), (x * 3, True)]),
    }
    fn, inputs = cases[case]
    t_mod_holder, l_mod_holder = [], []

    def t_fn(lib):
        m = fn(lib)
        t_mod_holder.append(m)
        return m

    def l_fn(lib):
        m = fn(lib)
        if t_mod_holder and any(True for _ in m.parameters()):
            copy_weights(t_mod_holder[0], m)
        return m
    t_seen, t_grads = _grad_capture(torch, t_fn, inputs)
    l_seen, l_grads = _grad_capture(lamina, l_fn, inputs)
    _compare_captures(t_seen, l_seen)
    for a, b in zip(t_grads, l_grads):
        if a is None:
            assert b is None
        else:
            np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)


def test_backward_hook_can_replace_grad_input():
    grads = []
    for lib in (torch, lamina):
        m = lib.nn.ReLU()
        m.register_full_backward_hook(lambda mod, gi, go: (gi[0] * 10,))
        x = lib.tensor([1.0, -1.0, 2.0], requires_grad=True)
        m(x).sum().backward()
        grads.append(x.grad.numpy())
    np.testing.assert_array_equal(grads[1], grads[0])


def test_hook_handles_remove_backward_hooks():
    calls = []
    m = lnn.Linear(2, 2)
    h = m.register_full_backward_hook(lambda *a: calls.append(1))
    x = lamina.randn(1, 2, requires_grad=True)
    m(x).sum().backward()
    h.remove()
    m(x).sum().backward()
    assert calls == [1]


# ---- module outputs through a whole model -------------------------------------------------------------
@pytest.mark.parametrize("train", [True, False])
def test_whole_model_against_torch(train):
    t, m = build(torch), build(lamina)
    t.head[0].p = 0.0  # dropout's random mask differs between libraries; p=0 keeps it deterministic
    m.head[0].p = 0.0
    check_module(t, m, [(6, 3)], train=train)


def test_load_state_dict_result_prints_like_torch():
    for lib in (torch, lamina):
        m = lib.nn.Linear(2, 3)
        ok = m.load_state_dict(m.state_dict())
        assert repr(ok) == str(ok) == "<All keys matched successfully>"
        assert type(ok).__name__ == "_IncompatibleKeys" and ok == ([], [])
        partial = m.load_state_dict({}, strict=False)
        assert repr(partial) == "_IncompatibleKeys(missing_keys=['weight', 'bias'], unexpected_keys=[])"


def _frozen_bn_net(lib):
    class FrozenBN(lib.nn.Module):  # the fine-tuning idiom: BatchNorm kept in eval whatever the parent does
        def __init__(self):
            super().__init__()
            self.bn = lib.nn.BatchNorm1d(3)

        def train(self, mode=True):
            super().train(mode)
            self.bn.eval()
            return self
    return lib.nn.Sequential(lib.nn.Linear(3, 3), FrozenBN())


def test_train_goes_through_each_childs_own_train():
    for lib in (torch, lamina):
        net = _frozen_bn_net(lib)
        net.train()
        assert net.training and net[1].training and not net[1].bn.training, lib.__name__
        net.eval()
        assert not net[1].bn.training


def _renaming_module(lib):
    class Renamed(lib.nn.Module):
        """Loads checkpoints that called the weight 'old_w' (the _load_from_state_dict idiom)."""
        def __init__(self):
            super().__init__()
            self.w = lib.nn.Parameter(lib.zeros(2))
            self.count = 0

        def _load_from_state_dict(self, state_dict, prefix, *args):
            if prefix + "old_w" in state_dict:
                state_dict[prefix + "w"] = state_dict.pop(prefix + "old_w")
            super()._load_from_state_dict(state_dict, prefix, *args)

        def get_extra_state(self):
            return {"count": self.count}

        def set_extra_state(self, state):
            self.count = state["count"]
    return lib.nn.Sequential(lib.nn.Linear(2, 2), Renamed())


def test_load_from_state_dict_override_and_extra_state_match_torch():
    for lib in (torch, lamina):
        net = _renaming_module(lib)
        keys = list(net.state_dict())
        assert keys == ["0.weight", "0.bias", "1.w", "1._extra_state"], lib.__name__
        state = {k: v for k, v in net.state_dict().items()}
        state["1.old_w"] = lib.tensor([1.0, 2.0])
        del state["1.w"]
        state["1._extra_state"] = {"count": 5}
        given = dict(state)
        result = net.load_state_dict(state)
        assert state == given  # the caller's dict is not the one the override edits
        assert net[1].w.tolist() == [1.0, 2.0] and net[1].count == 5
        assert list(result.missing_keys) == [] and list(result.unexpected_keys) == []
        del state["1._extra_state"]
        with pytest.raises(RuntimeError, match=r'Missing key\(s\) in state_dict: "1._extra_state"'):
            net.load_state_dict(state)
        plain = lib.nn.Linear(2, 2)
        with pytest.raises(RuntimeError, match=r'Unexpected key\(s\) in state_dict: "_extra_state"'):
            plain.load_state_dict({**plain.state_dict(), "_extra_state": 1})


def test_failed_load_through_an_override_changes_nothing():
    net = _renaming_module(lamina)
    before = {k: v.clone() for k, v in net.state_dict().items() if isinstance(v, lamina.Tensor)}
    with pytest.raises(RuntimeError, match="size mismatch for 0.weight"):
        net.load_state_dict({"0.weight": lamina.ones(3, 3), "0.bias": lamina.ones(2), "1.old_w": lamina.ones(2),
                             "1._extra_state": {"count": 9}})
    assert net[1].count == 0
    for k, v in net.state_dict().items():
        if k in before:
            assert v.tolist() == before[k].tolist()


def test_state_dict_and_load_pre_hooks_match_torch():
    seen = {}
    for lib in (torch, lamina):
        calls = []
        m = lib.nn.Sequential(lib.nn.Linear(2, 2))
        m[0].register_state_dict_pre_hook(lambda mod, prefix, keep_vars: calls.append(("pre", prefix, keep_vars)))

        def post(mod, sd, prefix, meta):
            calls.append(("post", prefix, sorted(sd), meta["version"]))
            sd[prefix + "note"] = lib.zeros(1)
        m[0].register_state_dict_post_hook(post)
        sd = m.state_dict()
        m[0].register_state_dict_post_hook(lambda *a: {})
        with pytest.raises(RuntimeError, match="state_dict post-hook must return None"):
            m.state_dict()
        m = lib.nn.Sequential(lib.nn.Linear(2, 2))

        def load_pre(mod, state, prefix, meta, strict, missing, unexpected, errors):
            calls.append(("load", type(mod).__name__, prefix, sorted(state), strict))
            state.pop(prefix + "note", None)
        m[0].register_load_state_dict_pre_hook(load_pre)
        m._register_load_state_dict_pre_hook(lambda state, prefix, *rest: calls.append(("private", prefix)))
        m.load_state_dict(sd)
        seen[lib.__name__] = calls
    assert seen["torch"] == seen["lamina"]


def _two_output_hook_log(lib):
    class Two(lib.nn.Module):  # an auxiliary output that the loss does not use
        def __init__(self):
            super().__init__()
            self.l = lib.nn.Linear(2, 2)

        def forward(self, x):
            h = self.l(x)
            return h.relu(), h.sum()
    m = Two()
    with lib.no_grad():
        m.l.weight.copy_(lib.tensor([[1.0, 2.0], [-3.0, 4.0]]))
        m.l.bias.fill_(0.5)
    log = []

    def as_lists(grads):
        return [None if g is None else g.tolist() for g in grads]
    m.register_full_backward_hook(lambda mod, gi, go: log.append((as_lists(gi), as_lists(go))))
    x = lib.tensor([[1.0, -1.0], [0.5, 2.0], [3.0, 0.0]], requires_grad=True)
    out, aux = m(x)
    out.sum().backward(retain_graph=True)  # fires, with None for the unused output
    (out * 2).sum().backward()             # and again through the same graph
    return log


def test_full_backward_hook_with_an_output_the_loss_does_not_use():
    assert _two_output_hook_log(torch) == _two_output_hook_log(lamina)


def test_data_parallel_on_the_cpu_calls_the_module_and_prefixes_keys():
    t = torch.nn.DataParallel(torch.nn.Linear(3, 2))
    m = lamina.nn.DataParallel(lnn.Linear(3, 2))
    assert repr(m) == repr(t) and m.device_ids == t.device_ids == []
    assert list(m.state_dict()) == list(t.state_dict()) == ["module.weight", "module.bias"]
    m.load_state_dict({k: lamina.from_numpy(v.numpy().copy()) for k, v in t.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    np.testing.assert_allclose(m(lamina.from_numpy(x)).detach().numpy(), t(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-6)
    for lib in (torch, lamina):
        with pytest.raises(ValueError, match="Default process group has not been initialized"):
            lib.nn.parallel.DistributedDataParallel(lib.nn.Linear(2, 2))
        assert lib.distributed.is_initialized() is False
    assert lamina.distributed.is_available() is False  # no process groups (torch's CPU build has gloo)


def test_set_submodule_to_empty_and_memory_formats_match_torch():
    for lib in (torch, lamina):
        net = lib.nn.Sequential(lib.nn.Sequential(lib.nn.Linear(2, 2)), lib.nn.ReLU())
        net.set_submodule("0.0", lib.nn.Linear(2, 5))
        net.set_submodule("0.extra", lib.nn.Tanh())
        assert repr(net).count("out_features=5") == 1 and "(extra): Tanh()" in repr(net)
        with pytest.raises(AttributeError, match="Sequential has no attribute `missing`"):
            net.set_submodule("0.missing", lib.nn.ReLU(), strict=True)
        with pytest.raises(ValueError, match="Cannot set the submodule without a target name!"):
            net.set_submodule("", lib.nn.ReLU())
        w = net[0][0].weight
        assert net.to_empty(device="cpu") is net and net[0][0].weight is w and tuple(w.shape) == (5, 2)
        x = lib.zeros(2, 3, 4, 5)
        assert x.to(memory_format=lib.channels_last).shape == x.shape
        assert repr(lib.channels_last) == "torch.channels_last" and x.get_device() == -1 and x.is_cpu
        assert lib.nn.Conv2d(3, 2, 1).to(memory_format=lib.channels_last)(x).shape == (2, 2, 4, 5)


def _always_call_log(lib):
    class Fails(lib.nn.Module):
        def forward(self, x):
            raise ValueError("bad input")
    log = []
    m = Fails()
    m.register_forward_hook(lambda mod, args, out: log.append(("always", out)), always_call=True)
    m.register_forward_hook(lambda mod, args, out: log.append(("plain", out)))

    def broken(mod, args, out):
        raise KeyError("hook error")
    m.register_forward_hook(broken, always_call=True)
    g = lib.nn.modules.module.register_module_forward_hook(lambda mod, args, out: log.append(("global", out)),
                                                           always_call=True)
    try:
        with pytest.warns(UserWarning, match="module forward hook with ``always_call=True`` raised an exception"):
            with pytest.raises(ValueError, match="bad input"):
                m(lib.ones(1))
    finally:
        g.remove()
    ok = lib.nn.Identity()
    ok.register_forward_hook(lambda mod, args, out: log.append(("ran once", out.tolist())), always_call=True)
    ok(lib.ones(1))
    return log


def test_forward_hook_always_call_runs_when_forward_raises():
    assert _always_call_log(lamina) == _always_call_log(torch)
