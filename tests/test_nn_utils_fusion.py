"""nn.utils.fuse_conv_bn_eval / fuse_linear_bn_eval (and their *_weights), skip_init and
functional_call (nn.utils.stateless and lamina.func) against PyTorch."""
import numpy as np
import pytest
import torch

import lamina
from oracle import TOL


def to_l(t):
    return lamina.from_numpy(t.detach().numpy().copy())


def assert_close(t, l, dtype="float32", what=""):
    atol, rtol = TOL[dtype]
    assert tuple(l.shape) == tuple(t.shape), what
    assert str(l.dtype) == str(t.dtype), what
    np.testing.assert_allclose(l.detach().numpy(), t.detach().numpy(), atol=atol * 10, rtol=rtol * 10, err_msg=what)


def pair(factory, dtype="float32"):
    torch.manual_seed(0)
    t = factory(torch)
    l = factory(lamina)
    if dtype == "float64":
        t, l = t.double(), l.double()
    rng = np.random.default_rng(3)
    with torch.no_grad():  # non-trivial batch norm statistics and affine parameters
        for name, v in t.state_dict().items():
            if v.dtype.is_floating_point and ("running" in name or name.endswith(("1.weight", "1.bias"))):
                v.copy_(torch.from_numpy(rng.uniform(0.5, 1.5, tuple(v.shape)).astype(str(v.dtype)[6:])))
    l.load_state_dict({k: to_l(v) for k, v in t.state_dict().items()})
    return t.eval(), l.eval()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("factory,shape,transpose", [
    (lambda lib: lib.nn.Sequential(lib.nn.Conv2d(2, 3, 3), lib.nn.BatchNorm2d(3)), (2, 2, 5, 5), False),
    (lambda lib: lib.nn.Sequential(lib.nn.Conv1d(2, 4, 3, bias=False), lib.nn.BatchNorm1d(4)), (2, 2, 7), False),
    (lambda lib: lib.nn.Sequential(lib.nn.Conv2d(2, 3, 1), lib.nn.BatchNorm2d(3, affine=False)), (1, 2, 3, 3), False),
    (lambda lib: lib.nn.Sequential(lib.nn.ConvTranspose2d(2, 3, 3), lib.nn.BatchNorm2d(3)), (2, 2, 4, 4), True),
])
def test_fuse_conv_bn_eval(factory, shape, transpose, dtype):
    t, l = pair(factory, dtype)
    ft = torch.nn.utils.fuse_conv_bn_eval(t[0], t[1], transpose=transpose)
    fl = lamina.nn.utils.fuse_conv_bn_eval(l[0], l[1], transpose=transpose)
    assert fl is not l[0] and repr(fl) == repr(ft)
    assert isinstance(fl.weight, lamina.nn.Parameter) and isinstance(fl.bias, lamina.nn.Parameter)
    assert list(fl.state_dict()) == list(ft.state_dict())
    for k, v in ft.state_dict().items():
        assert_close(v, fl.state_dict()[k], dtype, k)
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    out_l = fl(lamina.from_numpy(x))
    assert_close(ft(torch.from_numpy(x)), out_l, dtype)
    assert_close(t(torch.from_numpy(x)), out_l, dtype, "fused equals conv then bn")
    # the original conv is untouched
    assert_close(t[0].weight, l[0].weight, dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("factory,shape", [
    (lambda lib: lib.nn.Sequential(lib.nn.Linear(4, 3), lib.nn.BatchNorm1d(3)), (5, 4)),
    (lambda lib: lib.nn.Sequential(lib.nn.Linear(4, 3, bias=False), lib.nn.BatchNorm1d(3)), (5, 4)),
])
def test_fuse_linear_bn_eval(factory, shape, dtype):
    t, l = pair(factory, dtype)
    ft = torch.nn.utils.fuse_linear_bn_eval(t[0], t[1])
    fl = lamina.nn.utils.fuse_linear_bn_eval(l[0], l[1])
    assert repr(fl) == repr(ft)
    for k, v in ft.state_dict().items():
        assert_close(v, fl.state_dict()[k], dtype, k)
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    assert_close(ft(torch.from_numpy(x)), fl(lamina.from_numpy(x)), dtype)


def test_fuse_weights_functions_and_requires_grad():
    t, l = pair(lambda lib: lib.nn.Sequential(lib.nn.Conv2d(2, 3, 3), lib.nn.BatchNorm2d(3)))
    t[0].weight.requires_grad_(False)
    l[0].weight.requires_grad_(False)
    outs = []
    for lib, m in ((torch, t), (lamina, l)):
        conv, bn = m[0], m[1]
        outs.append(lib.nn.utils.fuse_conv_bn_weights(conv.weight, conv.bias, bn.running_mean, bn.running_var,
                                                      bn.eps, bn.weight, bn.bias))
    for a, b in zip(*outs):
        assert_close(a, b)
        assert b.requires_grad == a.requires_grad and b.grad_fn is None
    t2, l2 = pair(lambda lib: lib.nn.Sequential(lib.nn.Linear(4, 3), lib.nn.BatchNorm1d(3)))
    wt = torch.nn.utils.fuse_linear_bn_weights(t2[0].weight, t2[0].bias, t2[1].running_mean, t2[1].running_var,
                                               t2[1].eps, t2[1].weight, t2[1].bias)
    wl = lamina.nn.utils.fuse_linear_bn_weights(l2[0].weight, l2[0].bias, l2[1].running_mean, l2[1].running_var,
                                                l2[1].eps, l2[1].weight, l2[1].bias)
    for a, b in zip(wt, wl):
        assert_close(a, b)
        assert isinstance(b, lamina.nn.Parameter) and b.requires_grad


def test_fusion_errors():
    for lib in (torch, lamina):
        conv, bn = lib.nn.Conv2d(2, 3, 3), lib.nn.BatchNorm2d(3)
        with pytest.raises(AssertionError, match="Fusion only for eval!"):
            lib.nn.utils.fuse_conv_bn_eval(conv, bn)
        lin, bn1 = lib.nn.Linear(3, 4).eval(), lib.nn.BatchNorm1d(3).eval()
        with pytest.raises(AssertionError, match="To fuse, linear.out_features == bn.num_features or bn.num_features "
                                                 "== 1, got linear.out_features=4 and bn.num_features=3"):
            lib.nn.utils.fuse_linear_bn_eval(lin, bn1)
        with pytest.raises(AssertionError, match="bn.running_mean and bn.running_var must not be None"):
            lib.nn.utils.fuse_conv_bn_eval(conv.eval(), lib.nn.BatchNorm2d(3, track_running_stats=False).eval())


# ---- skip_init ---------------------------------------------------------------------------------
def test_skip_init():
    for lib in (torch, lamina):
        m = lib.nn.utils.skip_init(lib.nn.Linear, 5, 2, bias=False)
        assert isinstance(m, lib.nn.Linear) and tuple(m.weight.shape) == (2, 5) and m.bias is None
        m = lib.nn.utils.skip_init(lib.nn.Conv2d, in_channels=2, out_channels=3, kernel_size=3, dtype=lib.float64)
        assert m.weight.dtype == lib.float64 and tuple(m.weight.shape) == (3, 2, 3, 3)

        class NoDevice(lib.nn.Module):
            def __init__(self, n):
                super().__init__()
        with pytest.raises(RuntimeError, match="Module must support a 'device' arg to skip initialization"):
            lib.nn.utils.skip_init(NoDevice, 3)
        with pytest.raises(RuntimeError, match="Expected a Module; got <class 'int'>"):
            lib.nn.utils.skip_init(int)


# ---- functional_call ---------------------------------------------------------------------------
def _net(lib):
    return lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4), lib.nn.Tanh(), lib.nn.Linear(4, 2))


@pytest.mark.parametrize("api", ["func", "stateless"])
def test_functional_call_matches_torch_and_restores(api):
    t, l = pair(_net)
    t.train(), l.train()
    rng = np.random.default_rng(5)
    new = {"0.weight": rng.standard_normal((4, 3)).astype("float32"),
           "3.bias": rng.standard_normal(2).astype("float32"),
           "1.running_mean": rng.standard_normal(4).astype("float32")}
    x = rng.standard_normal((6, 3)).astype("float32")
    tt = {k: torch.from_numpy(v.copy()).requires_grad_(k != "1.running_mean") for k, v in new.items()}
    ll = {k: lamina.from_numpy(v.copy()).requires_grad_(k != "1.running_mean") for k, v in new.items()}
    before = {k: v.detach().numpy().copy() for k, v in l.state_dict().items()}
    if api == "func":
        yt = torch.func.functional_call(t, tt, (torch.from_numpy(x),))
        yl = lamina.func.functional_call(l, ll, (lamina.from_numpy(x),))
    else:
        with pytest.warns(FutureWarning, match="Please use `torch.func.functional_call` instead"):
            yt = torch.nn.utils.stateless.functional_call(t, tt, torch.from_numpy(x))
        with pytest.warns(FutureWarning, match="Please use `torch.func.functional_call` instead"):
            yl = lamina.nn.utils.stateless.functional_call(l, ll, lamina.from_numpy(x))
    assert_close(yt, yl)
    yt.sum().backward()
    yl.sum().backward()
    for k in ("0.weight", "3.bias"):
        assert_close(tt[k].grad, ll[k].grad, what=k)
    assert l[0].weight.grad is None  # the module's own parameter took no part
    # the module has its own tensors back; the given running_mean got the batch-norm update
    for k, v in l.state_dict().items():
        if k in ("1.running_mean", "1.running_var", "1.num_batches_tracked"):
            continue
        np.testing.assert_array_equal(v.numpy(), before[k], err_msg=k)
    assert_close(tt["1.running_mean"], ll["1.running_mean"])
    assert_close(t[1].running_var, l[1].running_var)
    assert l[0].weight is list(l.parameters())[0]


def test_functional_call_kwargs_dict_list_tied_and_strict():
    def tied(lib):
        class Tied(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.a = lib.nn.Linear(2, 2, bias=False)
                self.b = lib.nn.Linear(2, 2, bias=False)
                self.b.weight = self.a.weight

            def forward(self, x, scale=1.0):
                return self.b(self.a(x)) * scale
        return Tied()

    t, l = tied(torch), tied(lamina)
    l.load_state_dict({k: to_l(v) for k, v in t.state_dict().items()})
    w = np.arange(4, dtype="float32").reshape(2, 2)
    x = np.ones((1, 2), dtype="float32")
    yt = torch.func.functional_call(t, [{"a.weight": torch.from_numpy(w)}], (torch.from_numpy(x),), {"scale": 2.0})
    yl = lamina.func.functional_call(l, [{"a.weight": lamina.from_numpy(w)}], (lamina.from_numpy(x),), {"scale": 2.0})
    assert_close(yt, yl)  # b.weight followed a.weight
    yt = torch.func.functional_call(t, {"a.weight": torch.from_numpy(w)}, torch.from_numpy(x), tie_weights=False)
    yl = lamina.func.functional_call(l, {"a.weight": lamina.from_numpy(w)}, lamina.from_numpy(x), tie_weights=False)
    assert_close(yt, yl)
    for lib, m in ((torch, t), (lamina, l)):
        two = {"a.weight": lib.zeros(2, 2), "b.weight": lib.ones(2, 2)}
        with pytest.raises(ValueError, match=r"functional_call got multiple values for keys \['a.weight', "
                                             r"'b.weight'\], which are tied"):
            lib.func.functional_call(m, two, lib.ones(1, 2))
        with pytest.raises(RuntimeError, match=r"Error\(s\) in reparametrizing for Tied:\n\tUnexpected "
                                               r"key\(s\): 'c'.\n\tMissing key\(s\): 'a.weight', 'b.weight'."):
            lib.func.functional_call(m, {"c": lib.ones(1)}, lib.ones(1, 2), strict=True)
        with pytest.raises(ValueError, match=r"\['a.weight'\] appeared in multiple dictionaries"):
            lib.func.functional_call(m, [{"a.weight": lib.ones(2, 2)}, {"a.weight": lib.ones(2, 2)}], lib.ones(1, 2))
        with pytest.raises(ValueError, match="Expected parameter_and_buffer_dicts to be a dict, or a list/tuple"):
            lib.func.functional_call(m, 3, lib.ones(1, 2))
