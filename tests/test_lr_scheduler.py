"""lamina.optim.lr_scheduler against torch.optim.lr_scheduler: the same schedule on the same
optimizer must produce the same lrs (and momenta/betas) at every step, the same state_dict, and
resume identically from it."""
import math
import warnings

import pytest
import torch

import lamina
from lamina.nn import Parameter

STEPS = 45


def make_optimizer(lib, kind="sgd", lrs=(0.1, 0.02)):
    P = torch.nn.Parameter if lib is torch else Parameter
    groups = [{"params": [P(lib.zeros(2))], "lr": lr} for lr in lrs]
    if kind == "sgd":
        return lib.optim.SGD(groups, lr=0.1, momentum=0.9)
    if kind == "adam":
        return lib.optim.Adam(groups, lr=0.1)
    return lib.optim.RMSprop(groups, lr=0.1)


def snapshot(opt, sched):
    groups = [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups]
    return sched.get_last_lr(), groups


def assert_close(a, b, what):
    """Same structure; floats equal to 1e-12 relative (the formulas are the same Python float math)."""
    if isinstance(a, float) or isinstance(b, float):
        assert isinstance(a, (int, float)) and isinstance(b, (int, float)), what
        assert math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15), f"{what}: {a} != torch {b}"
    elif isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b), f"{what}: keys {list(a)} != torch {list(b)}"
        for k in a:
            assert_close(a[k], b[k], f"{what}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), f"{what}: {a} != torch {b}"
        for i, (x, y) in enumerate(zip(a, b)):
            assert_close(x, y, f"{what}[{i}]")
    else:
        assert a == b, f"{what}: {a!r} != torch {b!r}"


def comparable_state(sd):
    """Scheduler state without callables (they are compared through the lrs they produce)."""
    out = {}
    for k, v in sd.items():
        if k == "_schedulers":
            v = [comparable_state(s) for s in v]
        out[k] = v
    return out


def run_schedule(make, kind="sgd", steps=STEPS, metrics=None, lrs=(0.1, 0.02)):
    """Build the scheduler with make(lib, opt) in both libraries; step both `steps` times."""
    result = {}
    for lib in (torch, lamina):
        opt = make_optimizer(lib, kind, lrs)
        sched = make(lib, opt)
        trace = [snapshot(opt, sched)]
        for i in range(steps):
            opt.step()
            sched.step(metrics[i]) if metrics is not None else sched.step()
            trace.append(snapshot(opt, sched))
        result[lib] = (opt, sched, trace)
    t_trace, l_trace = result[torch][2], result[lamina][2]
    for i, (l_snap, t_snap) in enumerate(zip(l_trace, t_trace)):
        assert_close(l_snap, t_snap, f"step {i}")
    assert_close(comparable_state(result[lamina][1].state_dict()), comparable_state(result[torch][1].state_dict()),
                 "state_dict")
    return result


CASES = {
    "LambdaLR": lambda lib, o: lib.optim.lr_scheduler.LambdaLR(o, lambda e: 0.95 ** e),
    "LambdaLR-per-group": lambda lib, o: lib.optim.lr_scheduler.LambdaLR(
        o, [lambda e: 1 / (e + 1), lambda e: 0.5 if e % 3 else 1.0]),
    "MultiplicativeLR": lambda lib, o: lib.optim.lr_scheduler.MultiplicativeLR(o, lambda e: 0.9),
    "MultiplicativeLR-per-group": lambda lib, o: lib.optim.lr_scheduler.MultiplicativeLR(
        o, [lambda e: 0.99, lambda e: 1.01 if e < 10 else 0.9]),
    "StepLR": lambda lib, o: lib.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5),
    "StepLR-default-gamma": lambda lib, o: lib.optim.lr_scheduler.StepLR(o, 7),
    "MultiStepLR": lambda lib, o: lib.optim.lr_scheduler.MultiStepLR(o, milestones=[3, 7, 7, 20], gamma=0.3),
    "MultiStepLR-default": lambda lib, o: lib.optim.lr_scheduler.MultiStepLR(o, [10, 30]),
    "ConstantLR": lambda lib, o: lib.optim.lr_scheduler.ConstantLR(o),
    "ConstantLR-half": lambda lib, o: lib.optim.lr_scheduler.ConstantLR(o, factor=0.5, total_iters=10),
    "LinearLR": lambda lib, o: lib.optim.lr_scheduler.LinearLR(o),
    "LinearLR-custom": lambda lib, o: lib.optim.lr_scheduler.LinearLR(o, start_factor=0.1, end_factor=0.9,
                                                                     total_iters=17),
    "LinearLR-decay": lambda lib, o: lib.optim.lr_scheduler.LinearLR(o, start_factor=1.0, end_factor=0.0,
                                                                    total_iters=40),
    "ExponentialLR": lambda lib, o: lib.optim.lr_scheduler.ExponentialLR(o, gamma=0.9),
    "PolynomialLR": lambda lib, o: lib.optim.lr_scheduler.PolynomialLR(o, total_iters=30, power=2.0),
    "PolynomialLR-default": lambda lib, o: lib.optim.lr_scheduler.PolynomialLR(o),
    "CosineAnnealingLR": lambda lib, o: lib.optim.lr_scheduler.CosineAnnealingLR(o, T_max=10, eta_min=0.001),
    "CosineAnnealingLR-7": lambda lib, o: lib.optim.lr_scheduler.CosineAnnealingLR(o, T_max=7),
    "WarmRestarts": lambda lib, o: lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=5),
    "WarmRestarts-mult": lambda lib, o: lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(
        o, T_0=3, T_mult=2, eta_min=0.01),
    "OneCycleLR": lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=STEPS + 1),
    "OneCycleLR-linear": lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(
        o, max_lr=0.8, epochs=5, steps_per_epoch=10, anneal_strategy="linear", pct_start=0.25),
    "OneCycleLR-three-phase": lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(
        o, max_lr=1.0, total_steps=50, three_phase=True, base_momentum=[0.8, 0.7], max_momentum=0.99,
        div_factor=10.0, final_div_factor=100.0),
    "OneCycleLR-no-momentum": lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(
        o, max_lr=1.0, total_steps=STEPS, cycle_momentum=False),
    "CyclicLR": lambda lib, o: lib.optim.lr_scheduler.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=4),
    "CyclicLR-triangular2": lambda lib, o: lib.optim.lr_scheduler.CyclicLR(
        o, base_lr=[0.01, 0.001], max_lr=[0.1, 0.05], step_size_up=4, step_size_down=6, mode="triangular2"),
    "CyclicLR-exp_range": lambda lib, o: lib.optim.lr_scheduler.CyclicLR(
        o, base_lr=0.01, max_lr=0.1, step_size_up=5, mode="exp_range", gamma=0.97, base_momentum=0.7),
    "CyclicLR-scale_fn": lambda lib, o: lib.optim.lr_scheduler.CyclicLR(
        o, base_lr=0.01, max_lr=0.1, step_size_up=3, scale_fn=lambda x: 1 / (1 + 0.1 * x),
        scale_mode="iterations"),
    "CyclicLR-no-momentum": lambda lib, o: lib.optim.lr_scheduler.CyclicLR(
        o, base_lr=0.01, max_lr=0.1, step_size_up=2, cycle_momentum=False),
    "SequentialLR": lambda lib, o: lib.optim.lr_scheduler.SequentialLR(
        o, [lib.optim.lr_scheduler.LinearLR(o, start_factor=0.1, total_iters=5),
            lib.optim.lr_scheduler.ExponentialLR(o, gamma=0.9)], milestones=[5]),
    "SequentialLR-three": lambda lib, o: lib.optim.lr_scheduler.SequentialLR(
        o, [lib.optim.lr_scheduler.ConstantLR(o, factor=0.5, total_iters=3),
            lib.optim.lr_scheduler.CosineAnnealingLR(o, T_max=12),
            lib.optim.lr_scheduler.StepLR(o, step_size=4, gamma=0.5)], milestones=[4, 20]),
    "ChainedScheduler": lambda lib, o: lib.optim.lr_scheduler.ChainedScheduler(
        [lib.optim.lr_scheduler.ConstantLR(o, factor=0.1, total_iters=4),
         lib.optim.lr_scheduler.ExponentialLR(o, gamma=0.9)]),
    "ChainedScheduler-warmup-cosine": lambda lib, o: lib.optim.lr_scheduler.ChainedScheduler(
        [lib.optim.lr_scheduler.LinearLR(o, start_factor=0.2, total_iters=8),
         lib.optim.lr_scheduler.CosineAnnealingLR(o, T_max=20, eta_min=0.0)], optimizer=o),
}
MOMENTUM_CASES = [k for k in CASES if k.startswith(("OneCycle", "Cyclic"))]


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_lr_sequence_matches_torch(case):
    run_schedule(CASES[case])


@pytest.mark.parametrize("case", MOMENTUM_CASES, ids=MOMENTUM_CASES)
@pytest.mark.parametrize("kind", ["adam", "rmsprop"])
def test_momentum_cycling_with_betas_and_momentum(case, kind):
    """Adam cycles betas[0]; RMSprop cycles momentum."""
    run_schedule(CASES[case], kind=kind)


@pytest.mark.parametrize("case", ["StepLR", "CosineAnnealingLR", "OneCycleLR", "CyclicLR-triangular2",
                                  "WarmRestarts-mult", "SequentialLR-three", "ChainedScheduler",
                                  "LambdaLR", "MultiStepLR"])
def test_state_dict_round_trip_resumes_identically(case):
    """A scheduler rebuilt mid-run from state_dict continues with the same lrs as torch's original."""
    result = run_schedule(CASES[case], steps=17)
    t_opt, t_sched, _ = result[torch]
    l_opt, l_sched, _ = result[lamina]
    opt2 = make_optimizer(lamina)
    sched2 = CASES[case](lamina, opt2)
    sched2.load_state_dict(l_sched.state_dict())
    opt2.load_state_dict(l_opt.state_dict())  # after the scheduler, as PyTorch's docs say
    for i in range(20):
        t_opt.step()
        t_sched.step()
        opt2.step()
        sched2.step()
        assert_close(snapshot(opt2, sched2), snapshot(t_opt, t_sched), f"resumed step {i}")


def test_torch_scheduler_state_loads_into_lamina():
    """A torch scheduler's state_dict (plain Python values) drives a lamina scheduler onward."""
    result = run_schedule(CASES["CosineAnnealingLR"], steps=13)
    t_opt, t_sched, _ = result[torch]
    opt2 = make_optimizer(lamina)
    sched2 = CASES["CosineAnnealingLR"](lamina, opt2)
    sched2.load_state_dict(t_sched.state_dict())
    opt2.load_state_dict({"state": {}, "param_groups": t_opt.state_dict()["param_groups"]})
    for i in range(15):
        t_opt.step()
        t_sched.step()
        opt2.step()
        sched2.step()
        assert_close(snapshot(opt2, sched2), snapshot(t_opt, t_sched), f"step {i}")


PLATEAU = [1.0, 0.9, 0.91, 0.92, 0.9, 0.93, 0.95, 0.85, 0.86, 0.86, 0.87, 0.9, 0.84, 0.84, 0.841, 0.85, 0.86,
           0.87, 0.88, 0.8, 0.81, 0.82, 0.83, 0.84, 0.85, 0.86, 0.87, 0.88, 0.89, 0.9, 0.7, 0.71, 0.7, 0.7, 0.7,
           0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7]
PLATEAU_CASES = {
    "default": dict(),
    "patience2": dict(patience=2),
    "cooldown": dict(patience=1, cooldown=2, factor=0.5),
    "abs": dict(patience=2, threshold=0.05, threshold_mode="abs"),
    "max": dict(mode="max", patience=1, factor=0.3),
    "max-abs": dict(mode="max", threshold_mode="abs", threshold=0.01, patience=0),
    "min_lr": dict(patience=0, factor=0.5, min_lr=[0.03, 0.001]),
    "eps": dict(patience=0, factor=0.9, min_lr=0.015, eps=1e-3),
}


@pytest.mark.parametrize("case", list(PLATEAU_CASES), ids=list(PLATEAU_CASES))
def test_reduce_lr_on_plateau_matches_torch(case):
    kwargs = PLATEAU_CASES[case]
    run_schedule(lambda lib, o: lib.optim.lr_scheduler.ReduceLROnPlateau(o, **kwargs), metrics=PLATEAU,
                 steps=len(PLATEAU))


def test_reduce_lr_on_plateau_accepts_tensor_metric_and_resumes():
    result = run_schedule(lambda lib, o: lib.optim.lr_scheduler.ReduceLROnPlateau(o, patience=1),
                          metrics=PLATEAU[:20], steps=20)
    t_opt, t_sched, _ = result[torch]
    l_opt, l_sched, _ = result[lamina]
    opt2 = make_optimizer(lamina)
    sched2 = lamina.optim.lr_scheduler.ReduceLROnPlateau(opt2, patience=1)
    sched2.load_state_dict(l_sched.state_dict())
    opt2.load_state_dict(l_opt.state_dict())
    for m in PLATEAU[20:]:
        t_sched.step(torch.tensor(m))
        sched2.step(lamina.tensor(m))
        assert_close(snapshot(opt2, sched2), snapshot(t_opt, t_sched), "resumed")


@pytest.mark.parametrize("case", ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR",
                                  "ConstantLR-half", "PolynomialLR", "LambdaLR"])
def test_deprecated_step_with_epoch_uses_closed_form(case):
    out = {}
    for lib in (torch, lamina):
        opt = make_optimizer(lib)
        sched = CASES[case](lib, opt)
        lrs = []
        for epoch in [3, 1, 8, 8, 20, 5, 0, 12]:
            opt.step()
            with pytest.warns(UserWarning, match="The epoch parameter in `scheduler.step\\(\\)` was not necessary"):
                sched.step(epoch)
            lrs.append(sched.get_last_lr())
        out[lib] = lrs
    assert_close(out[lamina], out[torch], "lrs")


def test_warm_restarts_fractional_epochs():
    out = {}
    for lib in (torch, lamina):
        opt = make_optimizer(lib)
        sched = lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=4, T_mult=2, eta_min=0.001)
        lrs = []
        for i in range(60):
            opt.step()
            sched.step(i / 5)
            lrs.append((sched.get_last_lr(), sched.T_cur, sched.T_i, sched.last_epoch))
        out[lib] = lrs
    assert_close(out[lamina], out[torch], "warm restarts")


RESUMED = {
    "StepLR": lambda lib, o: lib.optim.lr_scheduler.StepLR(o, 3, gamma=0.5, last_epoch=9),
    "CosineAnnealingLR": lambda lib, o: lib.optim.lr_scheduler.CosineAnnealingLR(o, 10, last_epoch=9),
    "ExponentialLR": lambda lib, o: lib.optim.lr_scheduler.ExponentialLR(o, 0.9, last_epoch=9),
    "LinearLR": lambda lib, o: lib.optim.lr_scheduler.LinearLR(o, total_iters=15, last_epoch=9),
    "MultiStepLR": lambda lib, o: lib.optim.lr_scheduler.MultiStepLR(o, [12, 15], last_epoch=9),
    "WarmRestarts": lambda lib, o: lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, 4, last_epoch=9),
}


@pytest.mark.parametrize("case", list(RESUMED), ids=list(RESUMED))
def test_resume_with_last_epoch(case):
    """Constructing with last_epoch >= 0 (initial_lr already in the groups) continues the schedule."""
    out = {}
    for lib in (torch, lamina):
        opt = make_optimizer(lib)
        for g in opt.param_groups:
            g["initial_lr"] = g["lr"] * 2
        sched = RESUMED[case](lib, opt)
        trace = [snapshot(opt, sched)]
        for _ in range(20):
            opt.step()
            sched.step()
            trace.append(snapshot(opt, sched))
        out[lib] = trace
    assert_close(out[lamina], out[torch], case)


def test_initial_lr_and_first_step_set_in_init():
    opt = make_optimizer(lamina, lrs=(0.1, 0.02))
    sched = lamina.optim.lr_scheduler.LinearLR(opt, start_factor=0.5)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.02]
    assert sched.get_last_lr() == [0.05, 0.01] and sched.last_epoch == 0 and sched._step_count == 1
    assert "initial_lr: 0.1" in repr(opt)


def test_onecycle_too_many_steps():
    msg = {}
    for lib in (torch, lamina):
        opt = make_optimizer(lib)
        sched = lib.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=3)
        for _ in range(3):
            opt.step()
            sched.step()
        with pytest.raises(ValueError) as info:
            sched.step()
        msg[lib] = str(info.value)
    assert msg[lamina] == msg[torch] == "Tried to step 4 times. The specified number of total steps is 3"


def test_scheduler_step_before_optimizer_step_warns():
    opt = make_optimizer(lamina)
    sched = lamina.optim.lr_scheduler.StepLR(opt, 2)
    with pytest.warns(UserWarning, match="Detected call of `lr_scheduler.step\\(\\)` before `optimizer.step\\(\\)`"):
        sched.step()
    opt2 = make_optimizer(lamina)
    sched2 = lamina.optim.lr_scheduler.StepLR(opt2, 2)
    opt2.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched2.step()


def test_get_lr_outside_step_warns():
    sched = lamina.optim.lr_scheduler.StepLR(make_optimizer(lamina), 2)
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        sched.get_lr()


def test_tensor_lr_is_updated_in_place():
    p = Parameter(lamina.zeros(2))
    lr = lamina.tensor(0.1)
    opt = lamina.optim.SGD([p], lr=lr)
    sched = lamina.optim.lr_scheduler.StepLR(opt, 1, gamma=0.5)
    opt.step()
    sched.step()
    assert opt.param_groups[0]["lr"] is lr
    assert math.isclose(float(lr), 0.05, rel_tol=1e-6)


def same_error(fn):
    errors = {}
    for lib in (torch, lamina):
        with pytest.raises(Exception) as info:
            fn(lib)
        errors[lib] = info.value
    assert type(errors[lamina]) is type(errors[torch])
    assert str(errors[lamina]) == str(errors[torch])


ERRORS = {
    "not an optimizer": lambda lib: lib.optim.lr_scheduler.StepLR("sgd", 3),
    "missing initial_lr": lambda lib: lib.optim.lr_scheduler.StepLR(make_optimizer(lib), 3, last_epoch=4),
    "lambdas count": lambda lib: lib.optim.lr_scheduler.LambdaLR(make_optimizer(lib), [lambda e: 1.0]),
    "multiplicative not callable": lambda lib: lib.optim.lr_scheduler.MultiplicativeLR(make_optimizer(lib), 0.5),
    "constant factor": lambda lib: lib.optim.lr_scheduler.ConstantLR(make_optimizer(lib), factor=1.5),
    "linear start": lambda lib: lib.optim.lr_scheduler.LinearLR(make_optimizer(lib), start_factor=0),
    "linear end": lambda lib: lib.optim.lr_scheduler.LinearLR(make_optimizer(lib), end_factor=1.5),
    "plateau factor": lambda lib: lib.optim.lr_scheduler.ReduceLROnPlateau(make_optimizer(lib), factor=1.0),
    "plateau mode": lambda lib: lib.optim.lr_scheduler.ReduceLROnPlateau(make_optimizer(lib), mode="up"),
    "plateau threshold mode": lambda lib: lib.optim.lr_scheduler.ReduceLROnPlateau(make_optimizer(lib),
                                                                                   threshold_mode="x"),
    "plateau min_lrs": lambda lib: lib.optim.lr_scheduler.ReduceLROnPlateau(make_optimizer(lib), min_lr=[0.1]),
    "cyclic mode": lambda lib: lib.optim.lr_scheduler.CyclicLR(make_optimizer(lib), 0.01, 0.1, mode="zigzag"),
    "cyclic base_lr count": lambda lib: lib.optim.lr_scheduler.CyclicLR(make_optimizer(lib), [0.01], 0.1),
    "cyclic momentum": lambda lib: lib.optim.lr_scheduler.CyclicLR(
        lib.optim.Adagrad([torch.nn.Parameter(torch.zeros(1)) if lib is torch else Parameter(lamina.zeros(1))]),
        0.01, 0.1),
    "onecycle no steps": lambda lib: lib.optim.lr_scheduler.OneCycleLR(make_optimizer(lib), 1.0),
    "onecycle total": lambda lib: lib.optim.lr_scheduler.OneCycleLR(make_optimizer(lib), 1.0, total_steps=0),
    "onecycle epochs": lambda lib: lib.optim.lr_scheduler.OneCycleLR(make_optimizer(lib), 1.0, epochs=0,
                                                                     steps_per_epoch=3),
    "onecycle pct": lambda lib: lib.optim.lr_scheduler.OneCycleLR(make_optimizer(lib), 1.0, total_steps=5,
                                                                  pct_start=1.5),
    "onecycle anneal": lambda lib: lib.optim.lr_scheduler.OneCycleLR(make_optimizer(lib), 1.0, total_steps=5,
                                                                     anneal_strategy="exp"),
    "warm T_0": lambda lib: lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(make_optimizer(lib), T_0=0),
    "warm T_mult": lambda lib: lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(make_optimizer(lib), 2, T_mult=0),
    "warm negative epoch": lambda lib: lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(
        make_optimizer(lib), 2).step(-1),
    "sequential empty": lambda lib: lib.optim.lr_scheduler.SequentialLR(make_optimizer(lib), [], []),
    "sequential milestones": lambda lib: _sequential_bad_milestones(lib),
    "sequential plateau": lambda lib: _with_plateau(lib, "SequentialLR"),
    "chained empty": lambda lib: lib.optim.lr_scheduler.ChainedScheduler([]),
    "chained plateau": lambda lib: _with_plateau(lib, "ChainedScheduler"),
}


def _sequential_bad_milestones(lib):
    opt = make_optimizer(lib)
    s = lib.optim.lr_scheduler
    s.SequentialLR(opt, [s.StepLR(opt, 2), s.StepLR(opt, 3)], milestones=[2, 4])


def _with_plateau(lib, name):
    opt = make_optimizer(lib)
    s = lib.optim.lr_scheduler
    scheds = [s.StepLR(opt, 2), s.ReduceLROnPlateau(opt)]
    if name == "SequentialLR":
        s.SequentialLR(opt, scheds, milestones=[3])
    else:
        s.ChainedScheduler(scheds)


@pytest.mark.parametrize("case", list(ERRORS), ids=list(ERRORS))
def test_errors_match_torch(case):
    same_error(ERRORS[case])


def test_all_names_exported():
    assert set(lamina.optim.lr_scheduler.__all__) == set(torch.optim.lr_scheduler.__all__)
    for name in torch.optim.lr_scheduler.__all__:
        assert isinstance(getattr(lamina.optim.lr_scheduler, name), type), name


def test_custom_scheduler_subclass_matches_torch():
    """A user-written LRScheduler (warm-up then inverse square root) on the base class."""
    def make(lib):
        class InverseSqrt(lib.optim.lr_scheduler.LRScheduler):
            def __init__(self, optimizer, warmup, last_epoch=-1):
                self.warmup = warmup
                super().__init__(optimizer, last_epoch)

            def get_lr(self):
                e = max(self.last_epoch, 1)
                scale = min(e / self.warmup, (self.warmup / e) ** 0.5)
                return [base * scale for base in self.base_lrs]
        return InverseSqrt
    run_schedule(lambda lib, o: make(lib)(o, warmup=6))
