"""Lazy modules (LazyModuleMixin): size inference on the first forward, the class swap, loading a
state_dict before initialisation, reprs and state_dicts while uninitialized, UninitializedBuffer."""
import numpy as np
import pytest
import torch

import lamina
from oracle import check_error, check_module

CASES = [
    ("LazyLinear", (4,), {}, (2, 3)),
    ("LazyLinear", (4,), {"bias": False}, (2, 5, 3)),
    ("LazyConv1d", (4, 3), {}, (2, 3, 7)),
    ("LazyConv1d", (4, 3), {"groups": 2, "padding": 1}, (2, 6, 7)),
    ("LazyConv2d", (4, 3), {"stride": 2, "bias": False}, (2, 3, 7, 6)),
    ("LazyConv2d", (2, 3), {"padding_mode": "reflect", "padding": 1}, (3, 5, 5)),
    ("LazyConv3d", (2, 2), {}, (1, 3, 4, 4, 4)),
    ("LazyConvTranspose1d", (4, 3), {"stride": 2, "output_padding": 1}, (2, 3, 5)),
    ("LazyConvTranspose2d", (4, 3), {"groups": 2}, (2, 4, 5, 5)),
    ("LazyConvTranspose3d", (2, 2), {}, (1, 3, 3, 3, 3)),
    ("LazyBatchNorm1d", (), {}, (4, 3)),
    ("LazyBatchNorm1d", (), {"momentum": None}, (4, 3, 5)),
    ("LazyBatchNorm2d", (), {"affine": False}, (2, 3, 4, 4)),
    ("LazyBatchNorm3d", (), {"track_running_stats": False}, (2, 3, 2, 2, 2)),
    ("LazyInstanceNorm1d", (), {}, (2, 3, 5)),
    ("LazyInstanceNorm2d", (), {"affine": False, "track_running_stats": False}, (2, 3, 4, 4)),
    ("LazyInstanceNorm3d", (), {"bias": False}, (2, 3, 2, 3, 2)),
]
IDS = [f"{c[0]}-{i}" for i, c in enumerate(CASES)]


def _pair(name, args, kwargs):
    return getattr(torch.nn, name)(*args, **kwargs), getattr(lamina.nn, name)(*args, **kwargs)


@pytest.mark.parametrize("name,args,kwargs,shape", CASES, ids=IDS)
def test_uninitialized_repr_and_state_dict(name, args, kwargs, shape):
    t, l = _pair(name, args, kwargs)
    assert repr(l) == repr(t)
    assert l.has_uninitialized_params() == t.has_uninitialized_params()
    ts, ls = t.state_dict(), l.state_dict()
    assert list(ls) == list(ts)
    assert [repr(v) for v in ls.values()] == [repr(v) for v in ts.values()]
    assert [repr(p) for p in l.parameters()] == [repr(p) for p in t.parameters()]


@pytest.mark.parametrize("name,args,kwargs,shape", CASES, ids=IDS)
def test_first_forward_infers_sizes_and_becomes_plain(name, args, kwargs, shape):
    t, l = _pair(name, args, kwargs)
    x = np.random.default_rng(0).standard_normal(shape).astype("float32")
    t(torch.from_numpy(x))
    l(lamina.from_numpy(x))
    assert type(l).__name__ == type(t).__name__ == name[4:]
    assert repr(l) == repr(t)
    assert not l._forward_pre_hooks  # the inference hook removed itself: later calls take the fast path
    for (tn, tp), (ln, lp) in zip(t.state_dict().items(), l.state_dict().items()):
        assert tn == ln and tuple(lp.shape) == tuple(tp.shape) and str(lp.dtype)[-7:] == str(tp.dtype)[-7:]
    # initialised as the plain layer would be: same distributions (weights inside PyTorch's bound)
    if "Conv" in name or "Linear" in name:
        w = l.weight.detach().numpy()
        fan_in = w.shape[1] * int(np.prod(w.shape[2:]))  # PyTorch's fan_in (dim 1, also for transposed)
        bound = 1 / np.sqrt(fan_in)
        assert np.all(np.abs(w) <= bound + 1e-6) and np.std(w) > 0
    if "Norm" in name and l.weight is not None:
        assert np.all(l.weight.detach().numpy() == 1)


@pytest.mark.parametrize("name,args,kwargs,shape", CASES, ids=IDS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_loaded_before_forward_matches_torch(name, args, kwargs, shape, dtype):
    t, l = _pair(name, args, kwargs)
    t(torch.randn(shape))  # torch's weights, inferred from a first batch
    if name.startswith("LazyInstanceNorm") and kwargs.get("affine", True):
        # a load keeps num_features=0 (PyTorch's rule), which the affine instance norm then rejects
        fresh_t, fresh_l = _pair(name, args, kwargs)
        fresh_t.load_state_dict(t.state_dict())
        fresh_l.load_state_dict({k: lamina.from_numpy(v.numpy()) for k, v in t.state_dict().items()})
        check_error(lambda lib: (fresh_t if lib is torch else fresh_l)(lib.ones(shape)), ValueError,
                    r"expected input's size at dim=1 to match num_features \(0\), but got: 3.")
        return
    if dtype == "float64":  # lazy entries convert their future dtype, as PyTorch's
        l = l.double()
    # loading gives the lazy lamina module the checkpoint's shapes (still lazy until its forward)
    check_module(t, l, [shape], dtype=dtype, train=True)
    assert type(l).__name__ == type(t).__name__


def test_lazy_linear_load_then_forward():
    t, l = _pair("LazyLinear", (3,), {})
    sd = torch.nn.Linear(5, 3).state_dict()
    t.load_state_dict(sd)
    l.load_state_dict({k: lamina.from_numpy(v.numpy()) for k, v in sd.items()})
    assert type(l).__name__ == "LazyLinear" and repr(l) == repr(t)
    assert not l.has_uninitialized_params()
    l(lamina.randn(2, 5))
    t(torch.randn(2, 5))
    assert repr(l) == repr(t) == "Linear(in_features=5, out_features=3, bias=True)"
    check_error(lambda lib: (lambda m: (m.load_state_dict({k: lib.tensor(v.numpy()) for k, v in sd.items()}),
                                        m(lib.ones(2, 4))))(lib.nn.LazyLinear(3)),
                AssertionError, "The in_features inferred from input: 4 is not equal to in_features from self.weight: 5")


def test_lazy_errors():
    check_error(lambda lib: lib.nn.LazyConv1d(4, 2, groups=2)(lib.ones(2, 3, 5)), ValueError,
                "in_channels must be divisible by groups")
    check_error(lambda lib: lib.nn.LazyConv2d(4, 2)(lib.ones(5, 5)), RuntimeError,
                r"Expected 3D \(unbatched\) or 4D \(batched\) input to LazyConv2d, but got input of size: "
                r"torch.Size\(\[5, 5\]\)")
    check_error(lambda lib: lib.nn.LazyLinear(3).weight.shape, RuntimeError,
                "Can't access the shape of an uninitialized parameter or buffer")
    check_error(lambda lib: lib.nn.LazyBatchNorm1d().running_mean.shape, RuntimeError,
                "Can't access the shape of an uninitialized parameter or buffer")
    # unbatched instance norm: num_features is read from dim 1 (PyTorch's rule), so affine fails
    check_error(lambda lib: lib.nn.LazyInstanceNorm1d(affine=True)(lib.ones(3, 5)), ValueError,
                r"expected input's size at dim=0 to match num_features \(5\), but got: 3.")


def test_uninitialized_buffer():
    for lib in (torch, lamina):
        u = lib.nn.UninitializedBuffer(persistent=False)
        assert repr(u) == "<UninitializedBuffer>" and u.persistent is False and u.requires_grad is False
        u.materialize((2, 3), dtype=lib.float64)
        assert type(u) is lib.Tensor and tuple(u.shape) == (2, 3) and u.dtype == lib.float64
    assert lamina.nn.UninitializedBuffer().persistent is True


def test_lazy_module_mixin_is_the_single_mechanism():
    from lamina.nn.modules.lazy import LazyModuleMixin
    for name in {c[0] for c in CASES}:
        assert issubclass(getattr(lamina.nn, name), LazyModuleMixin)
    m = lamina.nn.LazyLinear(2)
    with pytest.raises(NotImplementedError, match="initialize_parameters is not implemented for Foo"):
        type("Foo", (LazyModuleMixin, lamina.nn.Module), {})()(lamina.ones(1))
    m(lamina.ones(1, 3))
    assert type(m) is lamina.nn.Linear and m.weight.shape == (2, 3)
