"""Optimizers over a parameter group large enough (over 4 MB of flat buffers) that the flat
update's memory is one block aligned for transparent huge pages: values follow PyTorch step by
step, through gradient accumulation, zero_grad(set_to_none=False), hooks, a reassigned .data
and a state-dict round trip."""
import copy

import numpy as np
import pytest
import torch

import lamina

SHAPES = [(700, 400), (700,), (3, 700), (3,)]  # 282,803 float32: 5 rows of 1.1 MB for SGD momentum

SGD_CASES = [{"lr": 0.01, "momentum": 0.9}, {"lr": 0.01, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01},
             {"lr": 0.01, "momentum": 0.5, "dampening": 0.3, "maximize": True}, {"lr": 0.01}]


def _params(lib, init):
    return [lib.nn.Parameter(lib.tensor(a.copy())) for a in init]


def _run(name, kwargs, set_to_none=True, accumulate=False, hook=False):
    rng = np.random.default_rng(0)
    init = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    params = {lib: _params(lib, init) for lib in (torch, lamina)}
    opts = {lib: getattr(lib.optim, name)(params[lib], **kwargs) for lib in (torch, lamina)}
    if hook:
        for lib in (torch, lamina):
            params[lib][0].register_hook(lambda g: g * 0.5)
    held = {}
    for i in range(6):
        if i == 3:  # a new array for one parameter, as `p.data = ...` in user code: the plan is rebuilt
            new = rng.standard_normal(SHAPES[2]).astype(np.float32)
            params[torch][2].data = torch.tensor(new)
            params[lamina][2].data = lamina.tensor(new)
        if i == 4:
            for lib in (torch, lamina):
                opts[lib].load_state_dict(copy.deepcopy(opts[lib].state_dict()))
        # sum(p * G) has the gradient G exactly in both libraries: only the updates are compared
        coefs = [[rng.standard_normal(s).astype(np.float32) for s in SHAPES] for _ in range(2 if accumulate else 1)]
        for lib in (torch, lamina):
            opts[lib].zero_grad(set_to_none=set_to_none)
            for cs in coefs:
                sum((p * lib.tensor(c)).sum() for p, c in zip(params[lib], cs)).backward()
            if i == 1:  # a gradient the user holds across steps must not change afterwards
                w = params[lib][0]
                held[lib] = (w.grad, w.grad.detach().clone())
            opts[lib].step()
        for j, (tp, lp) in enumerate(zip(params[torch], params[lamina])):
            np.testing.assert_allclose(lp.detach().numpy(), tp.detach().numpy(), rtol=1e-5, atol=1e-6,
                                       err_msg=f"param {j} after step {i + 1}")
    for lib in (torch, lamina):
        grad, snapshot = held[lib]
        if set_to_none:
            np.testing.assert_array_equal(grad.detach().numpy(), snapshot.detach().numpy())
    t_state, l_state = opts[torch].state_dict()["state"], opts[lamina].state_dict()["state"]
    assert list(t_state) == list(l_state)
    for k in t_state:
        for key, tv in t_state[k].items():
            np.testing.assert_allclose(np.asarray(l_state[k][key].numpy()), tv.numpy(), rtol=1e-4, atol=1e-6)
    return opts[lamina]


@pytest.mark.parametrize("kwargs", SGD_CASES, ids=str)
@pytest.mark.parametrize("set_to_none,accumulate,hook", [(True, False, False), (False, True, True)])
def test_sgd_large_group_matches_torch(kwargs, set_to_none, accumulate, hook):
    _run("SGD", kwargs, set_to_none, accumulate, hook)


@pytest.mark.parametrize("name,kwargs", [("Adam", {"lr": 1e-3}), ("AdamW", {"lr": 1e-3, "amsgrad": True})])
def test_adam_large_group_matches_torch(name, kwargs):
    _run(name, kwargs, set_to_none=False, accumulate=True)


def test_large_bucket_is_aligned_for_huge_pages_and_holds_the_parameters():
    """The flat path is the one taken (every parameter in one bucket) and its block starts on a
    2 MB boundary; after a reassigned .data the rebuilt plan again holds the other parameters."""
    opt = _run("SGD", {"lr": 0.01, "momentum": 0.9})
    plan = next(iter(opt._flat_plans.values()))
    (bucket,) = plan.buckets
    assert bucket.flat.ctypes.data % (2 * 1024 * 1024) == 0
    assert len(bucket.params) + len(plan.loose) == len(SHAPES) and len(bucket.params) >= 3
    for p in bucket.params:
        assert np.shares_memory(p._data, bucket.flat)


@pytest.mark.parametrize("kwargs", [{"lr": 0.01}, {"lr": 0.01, "weight_decay": 0.01, "maximize": True}], ids=str)
def test_sgd_with_momentum_switched_off_mid_training_follows_torch(kwargs):
    """Momentum set to 0 after some steps: the momentum buffers stay in the state (so the flat
    update still runs) but are no longer used, in lamina as in PyTorch."""
    rng = np.random.default_rng(3)
    init = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
    params = {lib: _params(lib, init) for lib in (torch, lamina)}
    opts = {lib: lib.optim.SGD(params[lib], momentum=0.9, **kwargs) for lib in (torch, lamina)}
    for i in range(5):
        if i == 2:
            for lib in (torch, lamina):
                opts[lib].param_groups[0]["momentum"] = 0
        grads = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
        for lib in (torch, lamina):
            for p, g in zip(params[lib], grads):
                p.grad = lib.tensor(g)
            opts[lib].step()
        for j, (tp, lp) in enumerate(zip(params[torch], params[lamina])):
            np.testing.assert_allclose(lp.detach().numpy(), tp.detach().numpy(), rtol=1e-5, atol=1e-6,
                                       err_msg=f"param {j} after step {i + 1}")
    plans = list(opts[lamina]._flat_plans.values())
    assert plans and not plans[0].loose
