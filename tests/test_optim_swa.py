"""lamina.optim.swa_utils against torch.optim.swa_utils: the averaged model's parameters, buffers
and n_averaged after the same sequence of models, the BatchNorm statistics from update_bn, and
SWALR's learning rate at every epoch."""
import numpy as np
import pytest
import torch
import torch.optim.swa_utils as t_swa

import lamina
import lamina.optim.swa_utils as l_swa

LIBS = ((torch, t_swa), (lamina, l_swa))


def build(lib, dtype="float32"):
    nn = lib.nn
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
    return model.double() if dtype == "float64" else model


def pair(dtype="float32"):
    t_model, l_model = build(torch, dtype), build(lamina, dtype)
    l_model.load_state_dict({k: lamina.from_numpy(v.detach().numpy().copy()) for k, v in t_model.state_dict().items()})
    return t_model, l_model


def perturb(models, rng, dtype):
    """The same random walk of every parameter and buffer in both models (a stand-in for training)."""
    t_model, l_model = models
    for (name, tp), lp in zip(t_model.state_dict().items(), l_model.state_dict().values()):
        if name.endswith("num_batches_tracked"):
            step = rng.integers(1, 5)
        else:
            step = rng.standard_normal(tuple(tp.shape)).astype(dtype)
            if name.endswith("running_var"):
                step = np.abs(step)
        with torch.no_grad():
            tp.add_(torch.from_numpy(np.asarray(step)))
        with lamina.no_grad():
            lp.add_(lamina.from_numpy(np.asarray(step)))


def assert_models_equal(t_model, l_model, rtol=0.0, atol=0.0):
    t_sd, l_sd = t_model.state_dict(), l_model.state_dict()
    assert list(l_sd) == list(t_sd)
    for key in t_sd:
        tv, lv = t_sd[key].detach().numpy(), l_sd[key].detach().numpy()
        assert lv.dtype == tv.dtype, key
        np.testing.assert_allclose(lv, tv, rtol=rtol, atol=atol, err_msg=key)


AVERAGERS = {
    "default": lambda swa: {},
    "swa_avg_fn": lambda swa: {"avg_fn": swa.get_swa_avg_fn()},
    "ema_avg_fn": lambda swa: {"avg_fn": swa.get_ema_avg_fn(0.9)},
    "ema_multi": lambda swa: {"multi_avg_fn": swa.get_ema_multi_avg_fn(0.75)},
    "ema_multi_0.3": lambda swa: {"multi_avg_fn": swa.get_ema_multi_avg_fn(0.3)},
    "swa_multi": lambda swa: {"multi_avg_fn": swa.get_swa_multi_avg_fn()},
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("use_buffers", [False, True])
@pytest.mark.parametrize("averager", list(AVERAGERS))
def test_averaged_model_matches_torch(averager, use_buffers, dtype):
    if averager == "swa_multi" and use_buffers:
        pytest.skip("torch refuses integer buffers here; tested in test_swa_multi_refuses_integer_buffers")
    rng = np.random.default_rng(0)
    models = pair(dtype)
    averaged = [swa.AveragedModel(m, use_buffers=use_buffers, **AVERAGERS[averager](swa))
                for m, (_, swa) in zip(models, LIBS)]
    # float64 lerp: PyTorch fuses the multiply-add, NumPy rounds twice
    atol = 1e-14 if dtype == "float64" and "multi" in averager else 0.0
    for _ in range(4):
        perturb(models, rng, dtype)
        for a, m in zip(averaged, models):
            a.update_parameters(m)
        assert_models_equal(*averaged, atol=atol)
    assert int(averaged[1].n_averaged) == int(averaged[0].n_averaged) == 4
    assert averaged[1].n_averaged.dtype == lamina.int64
    # the copy is independent of the model it averages
    assert not np.array_equal(averaged[1].module[0].weight.detach().numpy(), models[1][0].weight.detach().numpy())


def test_state_dict_keys_and_forward_delegate():
    t_model, l_model = pair()
    t_avg, l_avg = t_swa.AveragedModel(t_model), l_swa.AveragedModel(l_model)
    assert list(l_avg.state_dict()) == list(t_avg.state_dict())
    assert list(l_avg.state_dict())[0] == "n_averaged"
    t_avg.update_parameters(t_model)
    l_avg.update_parameters(l_model)
    x = np.random.default_rng(1).standard_normal((5, 3)).astype("float32")
    t_avg.eval()
    l_avg.eval()
    np.testing.assert_allclose(l_avg(lamina.from_numpy(x)).detach().numpy(),
                               t_avg(torch.from_numpy(x)).detach().numpy(), rtol=1e-6, atol=1e-6)
    assert [name for name, _ in l_avg.named_parameters()] == [name for name, _ in t_avg.named_parameters()]


def test_custom_avg_functions_receive_tensors_and_count():
    rng = np.random.default_rng(2)
    models = pair("float64")
    calls = {torch: [], lamina: []}
    averaged = []
    for m, (lib, swa) in zip(models, LIBS):
        def avg_fn(a, c, n, lib=lib):
            calls[lib].append(int(n))
            return 0.25 * a + 0.75 * c
        averaged.append(swa.AveragedModel(m, avg_fn=avg_fn))
    for _ in range(3):
        perturb(models, rng, "float64")
        for a, m in zip(averaged, models):
            a.update_parameters(m)
    assert calls[lamina] == calls[torch]
    assert_models_equal(*averaged, rtol=1e-15)


def test_multi_avg_fn_is_called_once_per_dtype():
    t_model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Linear(2, 2).double())
    l_model = lamina.nn.Sequential(lamina.nn.Linear(2, 2), lamina.nn.Linear(2, 2).double())
    seen = {}
    for lib, swa, model in ((torch, t_swa, t_model), (lamina, l_swa, l_model)):
        seen[lib] = []
        avg = swa.AveragedModel(model, multi_avg_fn=lambda a, c, n, lib=lib: seen[lib].append(
            (len(a), str(a[0].dtype).split(".")[-1], int(n))))
        avg.update_parameters(model)
        avg.update_parameters(model)
    # PyTorch visits the dtype groups in hash-map order, so only the set of calls is comparable
    assert sorted(seen[lamina]) == sorted(seen[torch]) == [(2, "float32", 1), (2, "float64", 1)]


def test_swa_multi_refuses_integer_buffers():
    for lib, swa in LIBS:
        bn = lib.nn.BatchNorm1d(3)
        avg = swa.AveragedModel(bn, use_buffers=True, multi_avg_fn=swa.get_swa_multi_avg_fn())
        avg.update_parameters(bn)
        with pytest.raises(RuntimeError, match="Integer division with addcdiv is no longer supported"):
            avg.update_parameters(bn)


def test_errors_match_torch():
    for lib, swa in LIBS:
        model = lib.nn.Linear(2, 2)
        with pytest.raises(AssertionError, match="Only one of avg_fn and multi_avg_fn should be provided"):
            swa.AveragedModel(model, avg_fn=swa.get_swa_avg_fn(), multi_avg_fn=swa.get_swa_multi_avg_fn())
        for make in (swa.get_ema_avg_fn, swa.get_ema_multi_avg_fn):
            with pytest.raises(ValueError,
                               match=r"Invalid decay value 1.5 provided. Please provide a value in \[0,1\]"):
                make(1.5)


# ---- update_bn ---------------------------------------------------------------------------------
def bn_pair():
    def build_bn(lib):
        nn = lib.nn
        return nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3, momentum=0.3), nn.Flatten(), nn.Linear(12, 5),
                             nn.BatchNorm1d(5))
    t_model, l_model = build_bn(torch), build_bn(lamina)
    l_model.load_state_dict({k: lamina.from_numpy(v.detach().numpy().copy()) for k, v in t_model.state_dict().items()})
    return t_model, l_model


@pytest.mark.parametrize("batches", ["tensors", "tuples"])
@pytest.mark.parametrize("training", [False, True])
def test_update_bn_matches_torch(batches, training):
    rng = np.random.default_rng(3)
    data = [rng.standard_normal((n, 2, 4, 4)).astype("float32") for n in (4, 6, 3)]
    t_model, l_model = bn_pair()
    for lib, swa, model in ((torch, t_swa, t_model), (lamina, l_swa, l_model)):
        to = torch.from_numpy if lib is torch else lamina.from_numpy
        # stale statistics that update_bn must throw away
        model.train()
        model(to(rng.standard_normal((5, 2, 4, 4)).astype("float32") * 0 + 7))
        model.train(training)
        loader = [to(x) if batches == "tensors" else (to(x), to(np.zeros(len(x)))) for x in data]
        swa.update_bn(loader, model)
        assert model.training is training
        assert model[1].momentum == 0.3 and model[4].momentum == 0.1
    assert_models_equal(t_model, l_model, rtol=1e-5, atol=1e-6)
    assert int(l_model[1].num_batches_tracked) == 3


def test_update_bn_without_batchnorm_leaves_model_alone():
    for lib, swa in LIBS:
        model = lib.nn.Linear(2, 2)
        model.eval()
        swa.update_bn([lib.ones(1, 2)], model)
        assert model.training is False


def test_update_bn_on_averaged_model():
    rng = np.random.default_rng(4)
    data = [rng.standard_normal((8, 3)).astype("float32") for _ in range(2)]
    models = pair()
    result = []
    for (lib, swa), model in zip(LIBS, models):
        to = torch.from_numpy if lib is torch else lamina.from_numpy
        avg = swa.AveragedModel(model)
        avg.update_parameters(model)
        swa.update_bn([to(x) for x in data], avg)
        result.append(avg)
    assert_models_equal(*result, rtol=1e-5, atol=1e-6)


# ---- SWALR -------------------------------------------------------------------------------------
def lr_sequence(lib, swa, kwargs, groups=(0.5,), warmup=0, epochs=14):
    params = [{"params": [(torch.nn.Parameter if lib is torch else lamina.nn.Parameter)(lib.zeros(2))], "lr": lr}
              for lr in groups]
    opt = lib.optim.SGD(params, lr=0.1)
    if warmup:
        pre = lib.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
        for _ in range(warmup):
            opt.step()
            pre.step()
    sched = swa.SWALR(opt, **kwargs)
    out = [sched.get_last_lr()]
    for _ in range(epochs):
        opt.step()
        sched.step()
        out.append(sched.get_last_lr())
    return out, sched


SWALR_CASES = [
    dict(swa_lr=0.05),
    dict(swa_lr=0.05, anneal_strategy="linear", anneal_epochs=4),
    dict(swa_lr=0.2, anneal_epochs=1),
    dict(swa_lr=0.2, anneal_epochs=0, anneal_strategy="linear"),
    dict(swa_lr=[0.01, 0.3], anneal_epochs=5),
    dict(swa_lr=0.05, anneal_epochs=3, last_epoch=-1),
]


@pytest.mark.parametrize("warmup", [0, 3])
@pytest.mark.parametrize("kwargs", SWALR_CASES, ids=str)
def test_swalr_lr_per_epoch_matches_torch(kwargs, warmup):
    groups = (0.5, 0.1) if isinstance(kwargs["swa_lr"], list) else (0.5,)
    t_lrs, t_sched = lr_sequence(torch, t_swa, kwargs, groups, warmup)
    l_lrs, l_sched = lr_sequence(lamina, l_swa, kwargs, groups, warmup)
    np.testing.assert_allclose(np.array(l_lrs), np.array(t_lrs), rtol=1e-15, atol=1e-17)
    swa_lrs = [[g["swa_lr"] for g in s.optimizer.param_groups] for s in (l_sched, t_sched)]
    assert swa_lrs[0] == swa_lrs[1]


def test_swalr_state_dict_round_trip():
    _, sched = lr_sequence(lamina, l_swa, dict(swa_lr=0.05, anneal_strategy="linear", anneal_epochs=6), epochs=2)
    _, t_sched = lr_sequence(torch, t_swa, dict(swa_lr=0.05, anneal_strategy="linear", anneal_epochs=6), epochs=2)
    sd = sched.state_dict()
    assert "optimizer" not in sd and "anneal_func" not in sd
    assert sd["_anneal_strategy"] == "linear" and sd["anneal_epochs"] == 6
    assert sd["last_epoch"] == t_sched.state_dict()["last_epoch"]
    opt = lamina.optim.SGD([lamina.nn.Parameter(lamina.zeros(2))], lr=0.5)
    other = l_swa.SWALR(opt, swa_lr=1.0)
    other.load_state_dict(sd)
    assert other.anneal_func(0.5) == 0.5  # linear again, not cos
    opt.param_groups[0]["lr"] = sched.optimizer.param_groups[0]["lr"]
    opt.param_groups[0]["swa_lr"] = 0.05
    opt.step()
    sched.optimizer.step()
    other.step()
    sched.step()
    assert other.get_last_lr() == sched.get_last_lr()


def test_swalr_errors_match_torch():
    for lib, swa in LIBS:
        opt = lib.optim.SGD([(torch.nn.Parameter if lib is torch else lamina.nn.Parameter)(lib.zeros(2))], lr=0.1)
        with pytest.raises(ValueError, match="anneal_strategy must be one of 'cos' or 'linear', instead got exp"):
            swa.SWALR(opt, swa_lr=0.1, anneal_strategy="exp")
        for bad in (-1, 2.5):
            with pytest.raises(ValueError, match=f"anneal_epochs must be equal or greater than 0, got {bad}"):
                swa.SWALR(opt, swa_lr=0.1, anneal_epochs=bad)
        with pytest.raises(ValueError, match="swa_lr must have the same length as optimizer.param_groups. "
                                             "swa_lr has 2 values, param_groups has 1."):
            swa.SWALR(opt, swa_lr=[0.1, 0.2])
        with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
            swa.SWALR(opt, swa_lr=0.1).get_lr()
