"""nn.utils.prune against torch.nn.utils.prune: the reparametrization (<name>_orig, <name>_mask,
the pre-hook), which entries each method picks (ties included), iterative pruning through a
PruningContainer, global pruning, remove, is_pruned and the error messages."""
import numpy as np
import pytest
import torch
import torch.nn.utils.prune as tprune

import lamina
import lamina.nn.utils.prune as lprune

rng = np.random.default_rng(0)


def _linears(n_in=6, n_out=5, values=None):
    """A torch Linear and a lamina Linear with the same weights."""
    t, m = torch.nn.Linear(n_in, n_out), lamina.nn.Linear(n_in, n_out)
    w = values if values is not None else rng.standard_normal((n_out, n_in)).astype(np.float32)
    b = rng.standard_normal(n_out).astype(np.float32)
    with torch.no_grad():
        t.weight.copy_(torch.from_numpy(w.copy()))
        t.bias.copy_(torch.from_numpy(b.copy()))
    with lamina.no_grad():
        m.weight.copy_(lamina.from_numpy(w.copy()))
        m.bias.copy_(lamina.from_numpy(b.copy()))
    return t, m


def _convs():
    t, m = torch.nn.Conv2d(3, 6, 3), lamina.nn.Conv2d(3, 6, 3)
    w = rng.standard_normal((6, 3, 3, 3)).astype(np.float32)
    with torch.no_grad():
        t.weight.copy_(torch.from_numpy(w.copy()))
    with lamina.no_grad():
        m.weight.copy_(lamina.from_numpy(w.copy()))
        m.bias.copy_(lamina.from_numpy(t.bias.detach().numpy().copy()))
    return t, m


def _np(x):
    return x.detach().numpy()


def _assert_same_pruning(t, m, name="weight"):
    """Same mask, pruned tensor, parameters, buffers, state_dict keys (and order) and hooks."""
    np.testing.assert_array_equal(_np(getattr(m, name + "_mask")), _np(getattr(t, name + "_mask")))
    np.testing.assert_array_equal(_np(getattr(m, name)), _np(getattr(t, name)))
    assert [k for k, _ in m.named_parameters()] == [k for k, _ in t.named_parameters()]
    assert [k for k, _ in m.named_buffers()] == [k for k, _ in t.named_buffers()]
    assert list(m.state_dict()) == list(t.state_dict())
    assert name not in m._parameters
    assert isinstance(getattr(m, name + "_orig"), lamina.nn.Parameter)
    assert [type(h).__name__ for h in m._forward_pre_hooks.values()] == \
        [type(h).__name__ for h in t._forward_pre_hooks.values()]


def _forward_and_grad(t, m, shape=(4, 6), name="weight"):
    """Forward outputs and the gradient reaching <name>_orig match (masked entries get zero)."""
    x = rng.standard_normal(shape).astype(np.float32)
    yt, ym = t(torch.from_numpy(x.copy())), m(lamina.from_numpy(x.copy()))
    np.testing.assert_allclose(_np(ym), _np(yt), rtol=1e-5, atol=1e-5)
    (yt ** 2).sum().backward()
    (ym ** 2).sum().backward()
    gt, gm = getattr(t, name + "_orig").grad, getattr(m, name + "_orig").grad
    np.testing.assert_allclose(gm.numpy(), gt.numpy(), rtol=1e-4, atol=1e-5)
    assert (gm.numpy()[_np(getattr(m, name + "_mask")) == 0] == 0).all()


@pytest.mark.parametrize("amount", [0, 3, 0.25, 0.5, 1.0, 30])
def test_l1_unstructured_matches(amount):
    t, m = _linears()
    tprune.l1_unstructured(t, "weight", amount)
    assert lprune.l1_unstructured(m, "weight", amount) is m
    _assert_same_pruning(t, m)
    _forward_and_grad(t, m)


def test_l1_unstructured_ties_pick_what_torch_picks():
    for trial in range(20):
        values = rng.integers(-2, 3, size=(7, 9)).astype(np.float32)
        t, m = _linears(9, 7, values=values)
        amount = int(rng.integers(1, 60))
        tprune.l1_unstructured(t, "weight", amount)
        lprune.l1_unstructured(m, "weight", amount)
        np.testing.assert_array_equal(_np(m.weight_mask), _np(t.weight_mask))
        # and again on what is left, where the ties are among the survivors
        tprune.l1_unstructured(t, "weight", 0.3)
        lprune.l1_unstructured(m, "weight", 0.3)
        np.testing.assert_array_equal(_np(m.weight_mask), _np(t.weight_mask))


def test_l1_unstructured_importance_scores():
    t, m = _linears()
    scores = rng.standard_normal((5, 6)).astype(np.float32)
    tprune.l1_unstructured(t, "weight", 0.4, importance_scores=torch.from_numpy(scores))
    lprune.l1_unstructured(m, "weight", 0.4, importance_scores=lamina.from_numpy(scores))
    _assert_same_pruning(t, m)


def test_importance_scores_of_the_wrong_shape():
    t, m = _linears()
    with pytest.raises(AssertionError, match="importance_scores should have the same shape"):
        tprune.l1_unstructured(t, "weight", 0.4, importance_scores=torch.ones(3))
    with pytest.raises(AssertionError, match="importance_scores should have the same shape"):
        lprune.l1_unstructured(m, "weight", 0.4, importance_scores=lamina.ones(3))


@pytest.mark.parametrize("n,dim,amount", [(1, 0, 2), (2, 0, 0.4), (2, 1, 3), (2, -1, 0.5),
                                          (float("inf"), 1, 2), (float("-inf"), 0, 1), ("fro", 0, 1), (1, 1, 0)])
def test_ln_structured_matches(n, dim, amount):
    t, m = _linears()
    tprune.ln_structured(t, "weight", amount, n, dim)
    lprune.ln_structured(m, "weight", amount, n, dim)
    _assert_same_pruning(t, m)
    _forward_and_grad(t, m)


def test_ln_structured_on_conv_channels_with_importance_scores():
    t, m = _convs()
    scores = rng.standard_normal((6, 3, 3, 3)).astype(np.float32)
    tprune.ln_structured(t, "weight", 0.5, 2, 0, importance_scores=torch.from_numpy(scores))
    lprune.ln_structured(m, "weight", 0.5, 2, 0, importance_scores=lamina.from_numpy(scores))
    _assert_same_pruning(t, m)
    _forward_and_grad(t, m, shape=(2, 3, 6, 6))


def test_ln_structured_ties_pick_what_torch_picks():
    for trial in range(20):
        values = rng.integers(-1, 2, size=(8, 3)).astype(np.float32)
        t, m = _linears(3, 8, values=values)
        amount = int(rng.integers(1, 8))
        tprune.ln_structured(t, "weight", amount, 1, 0)
        lprune.ln_structured(m, "weight", amount, 1, 0)
        np.testing.assert_array_equal(_np(m.weight_mask), _np(t.weight_mask))


def test_identity():
    t, m = _linears()
    tprune.identity(t, "weight")
    lprune.identity(m, "weight")
    _assert_same_pruning(t, m)
    assert (_np(m.weight_mask) == 1).all()
    _forward_and_grad(t, m)


def test_custom_from_mask_with_an_integer_mask_on_the_bias():
    t, m = _linears()
    mask = np.array([0, 1, 0, 1, 1])
    tprune.custom_from_mask(t, "bias", torch.from_numpy(mask))
    lprune.custom_from_mask(m, "bias", lamina.from_numpy(mask))
    _assert_same_pruning(t, m, "bias")
    assert m.bias_mask.dtype == lamina.float32
    _forward_and_grad(t, m, name="bias")


def test_repeated_l1_then_ln_builds_a_container():
    t, m = _convs()
    for prune_ in (tprune, lprune):
        mod = t if prune_ is tprune else m
        prune_.l1_unstructured(mod, "weight", 0.3)
        prune_.ln_structured(mod, "weight", 2, 2, 0)
        prune_.l1_unstructured(mod, "weight", 10)
        prune_.ln_structured(mod, "weight", 0.5, 1, 1)
    _assert_same_pruning(t, m)
    (hook,) = m._forward_pre_hooks.values()
    assert isinstance(hook, lprune.PruningContainer) and len(hook) == 4
    assert [type(x).__name__ for x in hook] == [type(x).__name__ for x in next(iter(t._forward_pre_hooks.values()))]
    assert isinstance(hook[0], lprune.L1Unstructured) and hook._tensor_name == "weight"
    _forward_and_grad(t, m, shape=(2, 3, 6, 6))


def test_repeated_ln_then_l1_on_a_linear():
    t, m = _linears(8, 6)
    for prune_, mod in ((tprune, t), (lprune, m)):
        prune_.ln_structured(mod, "weight", 2, 1, -1)
        prune_.l1_unstructured(mod, "weight", 0.5)
        prune_.ln_structured(mod, "weight", 1, float("inf"), 0)
    _assert_same_pruning(t, m)
    _forward_and_grad(t, m, shape=(3, 8))


def test_global_unstructured_over_two_layers():
    (t1, m1), (t2, m2) = _linears(6, 5), _linears(5, 4)
    tprune.global_unstructured([(t1, "weight"), (t2, "weight")], pruning_method=tprune.L1Unstructured, amount=20)
    lprune.global_unstructured([(m1, "weight"), (m2, "weight")], pruning_method=lprune.L1Unstructured, amount=20)
    _assert_same_pruning(t1, m1)
    _assert_same_pruning(t2, m2)
    assert isinstance(next(iter(m1._forward_pre_hooks.values())), lprune.CustomFromMask)
    # a second round, with importance scores for one of them, combines with the masks in place
    scores = rng.standard_normal((4, 5)).astype(np.float32)
    tprune.global_unstructured([(t1, "weight"), (t2, "weight")], pruning_method=tprune.L1Unstructured,
                               importance_scores={(t2, "weight"): torch.from_numpy(scores)}, amount=0.3)
    lprune.global_unstructured([(m1, "weight"), (m2, "weight")], pruning_method=lprune.L1Unstructured,
                               importance_scores={(m2, "weight"): lamina.from_numpy(scores)}, amount=0.3)
    _assert_same_pruning(t1, m1)
    _assert_same_pruning(t2, m2)
    assert isinstance(next(iter(m1._forward_pre_hooks.values())), lprune.PruningContainer)
    _forward_and_grad(t1, m1)


def test_global_unstructured_random_and_its_errors():
    m1, m2 = lamina.nn.Linear(6, 5), lamina.nn.Linear(5, 4)
    lprune.global_unstructured([(m1, "weight"), (m2, "weight")], pruning_method=lprune.RandomUnstructured, amount=0.5)
    assert int((m1.weight_mask == 0).sum()) + int((m2.weight_mask == 0).sum()) == 25
    for prune_, mod in ((tprune, torch.nn.Linear(3, 2)), (lprune, lamina.nn.Linear(3, 2))):
        with pytest.raises(TypeError, match=r"^global_unstructured\(\): parameters is not an Iterable$"):
            prune_.global_unstructured(5, prune_.L1Unstructured, amount=1)
        with pytest.raises(TypeError, match=r"importance_scores must be of type dict"):
            prune_.global_unstructured([(mod, "weight")], prune_.L1Unstructured, importance_scores=[1], amount=1)
        with pytest.raises(TypeError, match='Only "unstructured" PRUNING_TYPE supported'):
            prune_.global_unstructured([(mod, "weight")], prune_.RandomStructured, amount=1)


def test_random_unstructured_counts_and_iterates():
    lamina.manual_seed(0)
    m = lamina.nn.Linear(10, 8)
    lprune.random_unstructured(m, "weight", 0.25)
    assert int((m.weight_mask == 0).sum()) == 20
    before = m.weight_mask.numpy().copy()
    lprune.random_unstructured(m, "weight", 12)  # 12 more among the 60 left
    after = m.weight_mask.numpy()
    assert int((after == 0).sum()) == 32 and (after[before == 0] == 0).all()
    assert (m.weight.detach().numpy()[after == 0] == 0).all()


def test_random_structured_counts_and_iterates():
    lamina.manual_seed(0)
    m = lamina.nn.Conv2d(3, 8, 3)
    lprune.random_structured(m, "weight", 0.25, dim=0)
    dead = lambda: [c for c in range(8) if (m.weight_mask.numpy()[c] == 0).all()]
    live = lambda: [c for c in range(8) if (m.weight_mask.numpy()[c] == 1).all()]
    assert len(dead()) == 2 and len(live()) == 6
    first = dead()
    lprune.random_structured(m, "weight", 3, dim=0)  # 3 more of the 6 live channels
    assert len(dead()) == 5 and set(first) <= set(dead()) and len(live()) == 3


def test_random_methods_keep_the_reparametrization():
    t, m = _linears()
    tprune.random_unstructured(t, "weight", 0.5)
    lprune.random_unstructured(m, "weight", 0.5)
    assert list(m.state_dict()) == list(t.state_dict())
    assert int((m.weight_mask == 0).sum()) == int((t.weight_mask == 0).sum())
    x = rng.standard_normal((2, 6)).astype(np.float32)
    expected = x @ (m.weight_orig.detach().numpy() * m.weight_mask.numpy()).T + m.bias.detach().numpy()
    np.testing.assert_allclose(m(lamina.from_numpy(x)).detach().numpy(), expected, rtol=1e-5, atol=1e-6)


def test_pre_hook_recomputes_the_weight_after_orig_changes():
    t, m = _linears()
    tprune.l1_unstructured(t, "weight", 0.5)
    lprune.l1_unstructured(m, "weight", 0.5)
    with torch.no_grad():
        t.weight_orig.fill_(2.0)
    with lamina.no_grad():
        m.weight_orig.fill_(2.0)
    x = rng.standard_normal((3, 6)).astype(np.float32)
    np.testing.assert_allclose(_np(m(lamina.from_numpy(x))), _np(t(torch.from_numpy(x))), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(_np(m.weight), _np(t.weight))


def test_remove_makes_the_pruning_permanent():
    t, m = _linears()
    orig = m.weight
    for prune_, mod in ((tprune, t), (lprune, m)):
        prune_.l1_unstructured(mod, "weight", 0.5)
        prune_.ln_structured(mod, "weight", 1, 2, 0)
        assert prune_.remove(mod, "weight") is mod
        assert not prune_.is_pruned(mod)
    assert m.weight is orig and isinstance(m.weight, lamina.nn.Parameter)
    np.testing.assert_array_equal(_np(m.weight), _np(t.weight))
    assert list(m.state_dict()) == list(t.state_dict()) == ["bias", "weight"]
    assert not m._forward_pre_hooks and not m._buffers
    assert not hasattr(m, "weight_orig") and not hasattr(m, "weight_mask")


def test_remove_without_pruning_raises_torchs_error():
    t, m = _linears()
    with pytest.raises(ValueError) as te:
        tprune.remove(t, "weight")
    with pytest.raises(ValueError) as le:
        lprune.remove(m, "weight")
    prefix = "Parameter 'weight' of module "
    assert str(te.value).startswith(prefix) and str(le.value).startswith(prefix)
    assert str(le.value).endswith("has to be pruned before pruning can be removed")


def test_is_pruned_looks_into_submodules():
    net = lamina.nn.Sequential(lamina.nn.Linear(3, 4), lamina.nn.ReLU(), lamina.nn.Linear(4, 2))
    assert lprune.is_pruned(net) is False
    lprune.identity(net[2], "bias")
    assert lprune.is_pruned(net) is True
    tnet = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    tprune.identity(tnet[2], "bias")
    assert list(net.state_dict()) == list(tnet.state_dict())


def _error(fn):
    with pytest.raises(Exception) as info:
        fn()
    return type(info.value), str(info.value)


@pytest.mark.parametrize("call", [
    lambda p, m: p.l1_unstructured(m, "weight", -1),
    lambda p, m: p.l1_unstructured(m, "weight", 1.5),
    lambda p, m: p.l1_unstructured(m, "weight", -0.1),
    lambda p, m: p.l1_unstructured(m, "weight", "half"),
    lambda p, m: p.l1_unstructured(m, "weight", 31),
    lambda p, m: p.random_unstructured(m, "weight", 2.0),
    lambda p, m: p.ln_structured(m, "weight", 6, 2, 0),
    lambda p, m: p.ln_structured(m, "weight", 1, 2, 2),
    lambda p, m: p.random_structured(m, "weight", 1, 5),
    lambda p, m: p.ln_structured(m, "bias", 1, 2, 0),
    lambda p, m: p.random_structured(m, "bias", 1, 0),
])
def test_error_messages_match(call):
    t, m = _linears()
    t_type, t_msg = _error(lambda: call(tprune, t))
    l_type, l_msg = _error(lambda: call(lprune, m))
    assert l_type is t_type
    assert l_msg == t_msg
    # a failure while computing the mask rolls the reparametrization back, as torch does
    assert [k for k, _ in m.named_parameters()] == [k for k, _ in t.named_parameters()]
    assert not lprune.is_pruned(m)


def test_container_refuses_foreign_methods():
    a = lprune.L1Unstructured(1)
    a._tensor_name = "weight"
    container = lprune.PruningContainer(a)
    with pytest.raises(TypeError, match="is not a BasePruningMethod subclass"):
        container.add_pruning_method(3)
    b = lprune.L1Unstructured(1)
    b._tensor_name = "bias"
    with pytest.raises(ValueError, match="Can only add pruning methods acting on the parameter named 'weight'"):
        container.add_pruning_method(b)


def test_prune_method_on_a_bare_tensor():
    x = rng.standard_normal((4, 5)).astype(np.float32)
    expected = tprune.L1Unstructured(7).prune(torch.from_numpy(x.copy()))
    got = lprune.L1Unstructured(7).prune(lamina.from_numpy(x.copy()))
    np.testing.assert_array_equal(_np(got), _np(expected))
    expected = tprune.LnStructured(2, 1, dim=1).prune(torch.from_numpy(x.copy()))
    got = lprune.LnStructured(2, 1, dim=1).prune(lamina.from_numpy(x.copy()))
    np.testing.assert_array_equal(_np(got), _np(expected))


def test_exposed_as_nn_utils_prune():
    assert lamina.nn.utils.prune is lprune
    assert issubclass(lprune.L1Unstructured, lprune.BasePruningMethod)
