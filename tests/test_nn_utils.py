"""nn.utils against torch.nn.utils: gradient clipping by norm and by value, the total norm,
and parameters <-> vector conversion."""
import math

import numpy as np
import pytest
import torch

import lamina
import lamina.nn as lnn
from oracle import assert_same

rng = np.random.default_rng(0)


def _pairs(shapes, dtypes=None, scale=3.0, none_at=()):
    """Matching torch and lamina parameters with the same gradients."""
    t_params, l_params = [], []
    for i, shape in enumerate(shapes):
        dt = (dtypes or ["float32"] * len(shapes))[i]
        value = rng.standard_normal(shape).astype(dt)
        grad = (rng.standard_normal(shape) * scale).astype(dt)
        tp = torch.nn.Parameter(torch.from_numpy(value.copy()))
        lp = lnn.Parameter(lamina.from_numpy(value.copy()))
        if i not in none_at:
            tp.grad = torch.from_numpy(grad.copy())
            lp.grad = lamina.from_numpy(grad.copy())
        t_params.append(tp)
        l_params.append(lp)
    return t_params, l_params


def _same_grads(t_params, l_params):
    for tp, lp in zip(t_params, l_params):
        assert_same(tp.grad, lp.grad, 1e-6, 1e-5, what="grad")


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.0, 0.5, math.inf, "inf", -math.inf, 0])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_grad_norm(norm_type, max_norm):
    t_params, l_params = _pairs([(3, 4), (5,), (2, 2, 2)], none_at=(1,) if norm_type == 1 else ())
    t_norm = torch.nn.utils.clip_grad_norm_(t_params, max_norm, norm_type=norm_type)
    l_norm = lnn.utils.clip_grad_norm_(l_params, max_norm, norm_type=norm_type)
    assert isinstance(l_norm, lamina.Tensor) and l_norm.shape == ()
    assert_same(t_norm, l_norm, 1e-6, 1e-5, what="total norm")
    _same_grads(t_params, l_params)


def test_clip_grad_norm_keeps_grad_arrays_and_dtypes():
    t_params, l_params = _pairs([(3,), (2,)], dtypes=["float32", "float64"])
    arrays = [p.grad._data for p in l_params]
    t_norm = torch.nn.utils.clip_grad_norm_(t_params, 1.0)
    l_norm = lnn.utils.clip_grad_norm_(l_params, 1.0)
    assert_same(t_norm, l_norm, 1e-6, 1e-6)
    _same_grads(t_params, l_params)
    assert all(p.grad._data is a for p, a in zip(l_params, arrays))


def test_clip_grad_norm_single_tensor_and_generator():
    t_params, l_params = _pairs([(4, 3)])
    assert_same(torch.nn.utils.clip_grad_norm_(t_params[0], 0.1), lnn.utils.clip_grad_norm_(l_params[0], 0.1),
                1e-6, 1e-5)
    _same_grads(t_params, l_params)
    t_mod, l_mod = torch.nn.Linear(3, 2), lnn.Linear(3, 2)
    with pytest.warns(UserWarning, match="`parameters` is an empty generator, no gradient clipping will occur."):
        lnn.utils.clip_grad_norm_((p for p in []), 1.0)
    out = lnn.utils.clip_grad_norm_(l_mod.parameters(), 1.0)  # no grads yet
    assert out.item() == 0.0 and torch.nn.utils.clip_grad_norm_(t_mod.parameters(), 1.0).item() == 0.0


def test_clip_grad_norm_nonfinite():
    t_params, l_params = _pairs([(3,), (2,)])
    for lp, tp in zip(l_params, t_params):
        lp.grad._data[0] = np.inf
        tp.grad[0] = np.inf
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from `parameters` is non-finite, "
                                           "so it cannot be clipped."):
        lnn.utils.clip_grad_norm_(l_params, 1.0, error_if_nonfinite=True)
    # without the flag: scaled by the non-finite norm, as torch does
    t_norm = torch.nn.utils.clip_grad_norm_(t_params, 1.0)
    l_norm = lnn.utils.clip_grad_norm_(l_params, 1.0, foreach=True)
    assert_same(t_norm, l_norm, 1e-6, 1e-6)
    _same_grads(t_params, l_params)


@pytest.mark.parametrize("clip", [0.1, 1, 10.0])
def test_clip_grad_value(clip):
    t_params, l_params = _pairs([(3, 4), (5,)], none_at=(1,))
    torch.nn.utils.clip_grad_value_(t_params, clip)
    assert lnn.utils.clip_grad_value_(l_params, clip) is None
    _same_grads(t_params, l_params)
    assert l_params[1].grad is None


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf])
def test_get_total_norm_and_clip_grads_with_norm(norm_type):
    t_params, l_params = _pairs([(3, 4), (6,)])
    t_total = torch.nn.utils.get_total_norm([p.grad for p in t_params], norm_type)
    l_total = lnn.utils.get_total_norm([p.grad for p in l_params], norm_type)
    assert_same(t_total, l_total, 1e-6, 1e-5)
    torch.nn.utils.clip_grads_with_norm_(t_params, 2.0, t_total)
    lnn.utils.clip_grads_with_norm_(l_params, 2.0, l_total)
    _same_grads(t_params, l_params)
    assert lnn.utils.get_total_norm([]).item() == 0.0


def test_parameters_to_vector_and_back():
    t_mod = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2))
    l_mod = lnn.Sequential(lnn.Linear(3, 4), lnn.Linear(4, 2))
    l_mod.load_state_dict({k: lamina.from_numpy(v.detach().numpy().copy()) for k, v in t_mod.state_dict().items()})
    t_vec = torch.nn.utils.parameters_to_vector(t_mod.parameters())
    l_vec = lnn.utils.parameters_to_vector(l_mod.parameters())
    assert_same(t_vec, l_vec, 0, 0)
    # differentiable: gradient flows back to every parameter
    (l_vec * lamina.arange(l_vec.numel()).float()).sum().backward()
    np.testing.assert_array_equal(l_mod[0].bias.grad.numpy(), np.arange(12, 16, dtype="float32"))
    new = np.arange(l_vec.numel(), dtype="float32")
    torch.nn.utils.vector_to_parameters(torch.from_numpy(new.copy()), t_mod.parameters())
    vec = lamina.from_numpy(new.copy())
    lnn.utils.vector_to_parameters(vec, l_mod.parameters())
    for (tn, tp), (ln, lp) in zip(t_mod.named_parameters(), l_mod.named_parameters()):
        assert tn == ln
        np.testing.assert_array_equal(lp.detach().numpy(), tp.detach().numpy())
    # the parameters now view the vector's memory, as in torch
    vec._data[0] = -1.0
    assert l_mod[0].weight.detach().numpy()[0, 0] == -1.0


def test_vector_to_parameters_type_error():
    for lib in (torch, lamina):
        with pytest.raises(TypeError, match="expected torch.Tensor, but got: list"):
            lib.nn.utils.vector_to_parameters([1.0, 2.0], [lib.nn.Parameter(lib.zeros(2))])


def test_clip_grad_norm_with_an_overflowed_gradient_is_silent_like_torch():
    import warnings as _w
    for lib in (torch, lamina):
        p = lib.nn.Parameter(lib.ones(3))
        q = lib.nn.Parameter(lib.ones(2))
        p.grad = lib.tensor([float("inf"), 1.0, 2.0])
        q.grad = lib.tensor([3e38, 3e38])
        with _w.catch_warnings():
            _w.simplefilter("error")
            norm = lib.nn.utils.clip_grad_norm_([p, q], 1.0)
        assert float(norm) == float("inf")
        assert np.isnan(p.grad.numpy()).any()


def test_unpad_sequence_leaves_the_padded_tensor_transposed_as_torch():
    out = []
    for lib in (torch, lamina):
        seqs = [lib.ones(n, 2) * n for n in (3, 1, 2)]
        padded = lib.nn.utils.rnn.pad_sequence(seqs)
        parts = lib.nn.utils.rnn.unpad_sequence(padded, lib.tensor([3, 1, 2]))
        out.append((list(padded.shape), [p.tolist() for p in parts]))
    assert out[1] == out[0]
