"""scaled_dot_product_attention and MultiheadAttention against PyTorch: outputs, attention weights,
gradients of inputs, parameters and float masks, over layouts, mask kinds, options and dtypes;
state_dict layout, initialisation, repr and errors."""
import numpy as np
import pytest
import torch

import lamina
import lamina.nn as lnn
import lamina.nn.functional as LF
from oracle import check, check_module, copy_weights

# every test with the compiled softmax exponentials (lamina/_accel) and with NumPy's
pytestmark = pytest.mark.usefixtures("kernel_path")

DTYPES = ["float32", "float64"]
rng = np.random.default_rng(1234)


def _bool(shape, p=0.3, keep_one_axis=None):
    """A random bool mask (True with probability p)."""
    return rng.random(shape) < p


def _lib(mod):
    return torch if isinstance(mod, torch.nn.Module) else lamina


def _t(lib, arr):
    return lib.from_numpy(np.array(arr, copy=True))


# ---- scaled_dot_product_attention ---------------------------------------------------------------
SDPA_SHAPES = [
    [(2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 6)],    # (N, H, L, E) with Ev != E
    [(3, 4, 8), (3, 5, 8), (3, 5, 8)],              # 3-D
    [(4, 8), (5, 8), (5, 2)],                       # unbatched 2-D
    [(4, 1, 3, 8), (1, 2, 5, 8), (2, 5, 8)],        # leading dimensions broadcast
    [(2, 1, 1, 4), (2, 1, 1, 4), (2, 1, 1, 4)],     # single query, single key
]


@pytest.mark.parametrize("shapes", SDPA_SHAPES, ids=str)
@pytest.mark.parametrize("dtype", DTYPES)
def test_sdpa_plain(shapes, dtype):
    check(lambda lib, q, k, v: lib.nn.functional.scaled_dot_product_attention(q, k, v), shapes, dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mask_shape", [(4, 5), (2, 1, 4, 5), (1, 3, 1, 5), (5,)], ids=str)
def test_sdpa_float_mask_gets_gradient(dtype, mask_shape):
    check(lambda lib, q, k, v, m: lib.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=m),
          [(2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 6), mask_shape], dtype=dtype)


@pytest.mark.parametrize("mask_shape", [(4, 5), (2, 1, 4, 5), (2, 3, 4, 5)], ids=str)
def test_sdpa_bool_mask(mask_shape):
    mask = ~_bool(mask_shape, 0.4)  # True = attend
    check(lambda lib, q, k, v, m: lib.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=m),
          [(2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 6), mask])


@pytest.mark.parametrize("kind", ["bool", "float"])
def test_sdpa_fully_masked_row_gives_zeros(kind):
    mask = np.ones((4, 5), dtype=bool)
    mask[1] = False
    if kind == "float":
        mask = np.where(mask, 0.0, -np.inf).astype(np.float32)
    t_out, l_out = check(lambda lib, q, k, v, m: lib.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=m),
                         [(2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 6), mask], grad_inputs=[0, 1, 2])
    assert not l_out[:, :, 1].detach().numpy().any()


@pytest.mark.parametrize("L,S", [(4, 4), (3, 6), (6, 3)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_sdpa_causal(L, S, dtype):
    check(lambda lib, q, k, v: lib.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True),
          [(2, 2, L, 8), (2, 2, S, 8), (2, 2, S, 8)], dtype=dtype)


def test_sdpa_scale_and_gqa():
    check(lambda lib, q, k, v: lib.nn.functional.scaled_dot_product_attention(q, k, v, scale=0.37),
          [(2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 8)])
    check(lambda lib, q, k, v: lib.nn.functional.scaled_dot_product_attention(q, k, v, enable_gqa=True),
          [(2, 6, 4, 8), (2, 2, 5, 8), (2, 3, 5, 4)])
    check(lambda lib, q, k, v, m: lib.nn.functional.scaled_dot_product_attention(q, k, v, m, enable_gqa=True),
          [(2, 4, 4, 8), (2, 1, 5, 8), (2, 1, 5, 8), (4, 5)])


@pytest.mark.parametrize("dtype", DTYPES)
def test_sdpa_extreme_scores(dtype):
    """Scores past exp's range (overflow) and rows whose every score is far below it (underflow):
    the softmax must still equal PyTorch's, which subtracts each row's max first."""
    big = 60.0 if dtype == "float32" else 600.0
    q = (rng.standard_normal((2, 3, 4, 8)) * big).astype(dtype)
    check(lambda lib, q, k, v: lib.nn.functional.scaled_dot_product_attention(q, k, v),
          [q, (2, 3, 5, 8), (2, 3, 5, 6)], dtype=dtype)
    low = np.zeros((4, 5), dtype=dtype)
    low[2] = -1e4  # every key of query 2 far below exp's range, none hidden
    check(lambda lib, q, k, v, m: lib.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=m),
          [(2, 3, 4, 8), (2, 3, 5, 8), (2, 3, 5, 6), low], dtype=dtype, grad_inputs=[0, 1, 2])


def test_sdpa_empty_keys():
    check(lambda lib, q, k, v: lib.nn.functional.scaled_dot_product_attention(q, k, v),
          [(2, 3, 4, 8), (2, 3, 0, 8), (2, 3, 0, 6)])


def test_sdpa_dropout():
    q, k = lamina.zeros(64, 32, 4), lamina.zeros(64, 50, 4)  # uniform attention over 50 keys
    v = lamina.ones(64, 50, 1, requires_grad=True)
    out = LF.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    kept = out.detach().numpy() * 50 / 2  # each kept key contributes 2/50
    assert np.allclose(kept, np.round(kept), atol=1e-4)  # a whole number of kept keys
    assert abs(out.mean().item() - 1.0) < 0.05  # E[out] stays 1
    assert out.detach().numpy().std() > 0.05
    out.sum().backward()
    assert v.grad is not None and abs(v.grad.mean().item() - 32 / 50) < 0.05  # 32 queries, weight 1/50 each on average
    zero = LF.scaled_dot_product_attention(q, k, v, dropout_p=1.0)
    assert not zero.detach().numpy().any()


def test_sdpa_errors():
    q, k, v = lamina.randn(2, 3, 4), lamina.randn(2, 5, 4), lamina.randn(2, 5, 6)
    with pytest.raises(RuntimeError, match="Explicit attn_mask should not be set when is_causal=True"):
        LF.scaled_dot_product_attention(q, k, v, attn_mask=lamina.ones(3, 5, dtype=lamina.bool), is_causal=True)
    with pytest.raises(RuntimeError, match="to have the same dtype, but got query.dtype: float key.dtype: float "
                                           "and value.dtype: double"):
        LF.scaled_dot_product_attention(q, k, v.double())
    with pytest.raises(RuntimeError, match="at least 2 dimensional"):
        LF.scaled_dot_product_attention(lamina.randn(4), k[0], v[0])
    with pytest.raises(RuntimeError, match="Expected attn_mask dtype to be bool or float or to match query dtype"):
        LF.scaled_dot_product_attention(q, k, v, attn_mask=lamina.ones(3, 5, dtype=lamina.int64))
    with pytest.raises(RuntimeError, match="Expected attn_mask dtype"):
        LF.scaled_dot_product_attention(q, k, v, attn_mask=lamina.ones(3, 5, dtype=lamina.float64))
    with pytest.raises(RuntimeError, match="dropout probability has to be between 0 and 1, but got 1.5"):
        LF.scaled_dot_product_attention(q, k, v, dropout_p=1.5)
    with pytest.raises(RuntimeError, match="Number of heads in key and value must divide"):
        LF.scaled_dot_product_attention(lamina.randn(1, 4, 3, 8), lamina.randn(1, 3, 5, 8), lamina.randn(1, 3, 5, 8),
                                        enable_gqa=True)
    with pytest.raises(RuntimeError, match="batch2 tensor"):
        LF.scaled_dot_product_attention(q, lamina.randn(2, 5, 3), v)


def test_sdpa_float32_mask_with_float64_query():
    check(lambda lib, q, k, v, m: lib.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=m),
          [(2, 4, 8), (2, 5, 8), (2, 5, 8), rng.standard_normal((4, 5)).astype(np.float32)], dtype="float64",
          grad_inputs=[0, 1, 2])


# ---- MultiheadAttention -------------------------------------------------------------------------
def _pair(E=8, H=2, **kw):
    t = torch.nn.MultiheadAttention(E, H, **kw)
    m = lnn.MultiheadAttention(E, H, **kw)
    return t, m


def _shapes(bf, L, S, N, E, kdim=None, vdim=None):
    q = (N, L, E) if bf else (L, N, E)
    k = (N, S, kdim or E) if bf else (S, N, kdim or E)
    v = (N, S, vdim or E) if bf else (S, N, vdim or E)
    return q, k, v


@pytest.mark.parametrize("bf", [False, True])
@pytest.mark.parametrize("need_weights,average", [(True, True), (True, False), (False, True)])
@pytest.mark.parametrize("which", ["self", "cross", "separate"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_mha_layouts(bf, need_weights, average, which, dtype):
    t, m = _pair(batch_first=bf)
    q, k, v = _shapes(bf, 3, 5, 4, 8)

    if which == "self":
        specs, call = [q], lambda mod, x: mod(x, x, x, need_weights=need_weights, average_attn_weights=average)
    elif which == "cross":
        specs, call = [q, k], lambda mod, x, y: mod(x, y, y, need_weights=need_weights, average_attn_weights=average)
    else:
        specs, call = [q, k, v], lambda mod, x, y, z: mod(x, y, z, need_weights=need_weights,
                                                          average_attn_weights=average)
    check_module(t, m, specs, dtype=dtype, call=call)


MASK_CASES = ["attn_bool2d", "attn_float2d", "attn_bool3d", "attn_float3d", "kpm_bool", "kpm_float", "both_bool",
              "both_float"]


def _masks(case, L, S, N, H):
    attn = kpm = None
    if "attn" in case or "both" in case:
        shape = (N * H, L, S) if "3d" in case else (L, S)
        attn = _bool(shape) if "bool" in case else rng.standard_normal(shape).astype(np.float32)
    if "kpm" in case or "both" in case:
        kpm = _bool((N, S)) if "bool" in case else rng.standard_normal((N, S)).astype(np.float32)
    for arr in (attn, kpm):  # keep every query row attending to at least its first key
        if arr is not None and arr.dtype == bool:
            arr[..., 0] = False
    return attn, kpm


@pytest.mark.parametrize("case", MASK_CASES)
@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("bf", [False, True])
def test_mha_masks(case, need_weights, bf):
    t, m = _pair(batch_first=bf)
    L, S, N, H = 3, 5, 4, 2
    q, k, _ = _shapes(bf, L, S, N, 8)
    attn, kpm = _masks(case, L, S, N, H)
    specs = [q, k] + [a for a in (attn, kpm) if a is not None]

    def call(mod, x, y, *masks):
        masks = list(masks)
        a = masks.pop(0) if attn is not None else None
        p = masks.pop(0) if kpm is not None else None
        return mod(x, y, y, key_padding_mask=p, attn_mask=a, need_weights=need_weights)
    check_module(t, m, specs, call=call)


@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_fully_masked_row(need_weights):
    """A query with no visible key: NaN with need_weights (softmax), as PyTorch's SDPA otherwise."""
    t, m = _pair()
    attn = np.zeros((3, 3), dtype=bool)
    attn[1] = True
    check_module(t, m, [(3, 2, 8), attn], call=lambda mod, x, a: mod(x, x, x, attn_mask=a,
                                                                     need_weights=need_weights))


@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_fully_padded_sequence(need_weights):
    t, m = _pair(batch_first=True)
    kpm = np.zeros((2, 5), dtype=bool)
    kpm[1] = True  # the second sequence is all padding
    copy_weights(t, m)
    x = rng.standard_normal((2, 5, 8)).astype(np.float32)
    t_out = t(_t(torch, x), _t(torch, x), _t(torch, x), key_padding_mask=_t(torch, kpm), need_weights=need_weights)
    l_out = m(_t(lamina, x), _t(lamina, x), _t(lamina, x), key_padding_mask=_t(lamina, kpm),
              need_weights=need_weights)
    np.testing.assert_allclose(l_out[0].detach().numpy(), t_out[0].detach().numpy(), atol=1e-5, equal_nan=True)
    assert np.isnan(l_out[0].detach().numpy()[1]).all() == need_weights


@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_large_scores(need_weights):
    """Projections large enough that exp of the raw scores overflows float32: outputs, weights and
    gradients still match PyTorch (the max-shifted softmax takes over)."""
    t, m = _pair(batch_first=True)
    with torch.no_grad():
        t.in_proj_weight.mul_(10.0)
    check_module(t, m, [(2, 5, 8)], call=lambda mod, x: mod(x, x, x, need_weights=need_weights), atol=1e-4)


@pytest.mark.parametrize("kdim,vdim", [(6, 6), (6, 10), (8, 5)])
@pytest.mark.parametrize("bf", [False, True])
def test_mha_kdim_vdim(kdim, vdim, bf):
    t, m = _pair(kdim=kdim, vdim=vdim, batch_first=bf)
    assert list(m.state_dict()) == list(t.state_dict())
    q, k, v = _shapes(bf, 3, 5, 2, 8, kdim, vdim)
    check_module(t, m, [q, k, v], call=lambda mod, x, y, z: mod(x, y, z))
    check_module(t, m, [q, k, v], call=lambda mod, x, y, z: mod(x, y, z, need_weights=False))


@pytest.mark.parametrize("add_bias_kv", [False, True])
@pytest.mark.parametrize("add_zero_attn", [False, True])
@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("masked", [False, True])
def test_mha_bias_kv_zero_attn(add_bias_kv, add_zero_attn, need_weights, masked):
    t, m = _pair(add_bias_kv=add_bias_kv, add_zero_attn=add_zero_attn)
    attn, kpm = _masks("both_float" if masked else "none", 3, 5, 2, 2)
    specs = [(3, 2, 8), (5, 2, 8)] + ([attn, kpm] if masked else [])
    check_module(t, m, specs, call=lambda mod, x, y, *ms: mod(
        x, y, y, attn_mask=ms[0] if ms else None, key_padding_mask=ms[1] if ms else None,
        need_weights=need_weights))


@pytest.mark.parametrize("dtype", DTYPES)
def test_mha_no_bias(dtype):
    t, m = _pair(bias=False)
    assert list(m.state_dict()) == list(t.state_dict()) == ["in_proj_weight", "out_proj.weight"]
    check_module(t, m, [(3, 2, 8)], dtype=dtype, call=lambda mod, x: mod(x, x, x))


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("masks", [None, "kpm", "attn3d"])
def test_mha_unbatched(need_weights, masks):
    t, m = _pair(batch_first=True)  # batch_first is ignored for unbatched input
    specs = [(3, 8), (5, 8)]
    if masks == "kpm":
        kpm = np.zeros(5, dtype=bool)
        kpm[2:4] = True
        specs.append(kpm)
    elif masks == "attn3d":
        specs.append(rng.standard_normal((2, 3, 5)).astype(np.float32))

    def call(mod, x, y, *ms):
        kw = {}
        if masks == "kpm":
            kw["key_padding_mask"] = ms[0]
        elif masks == "attn3d":
            kw["attn_mask"] = ms[0]
        return mod(x, y, y, need_weights=need_weights, **kw)
    check_module(t, m, specs, call=call)


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("with_kpm", [False, True])
def test_mha_is_causal(need_weights, with_kpm):
    t, m = _pair(batch_first=True)
    causal = np.triu(np.full((4, 4), -np.inf, dtype=np.float32), 1)
    specs = [(2, 4, 8), causal]
    if with_kpm:
        kpm = np.zeros((2, 4), dtype=np.float32)
        kpm[1, 3] = -np.inf
        specs.append(kpm)
    check_module(t, m, specs, call=lambda mod, x, c, *p: mod(
        x, x, x, attn_mask=c, is_causal=True, need_weights=need_weights, key_padding_mask=p[0] if p else None))


def test_mha_eval_disables_dropout_and_train_applies_it():
    t, m = _pair(dropout=0.5, batch_first=True)
    check_module(t, m, [(2, 4, 8)], train=False, call=lambda mod, x: mod(x, x, x))
    m.train()
    x = lamina.randn(2, 4, 8)
    w1, w2 = m(x, x, x)[1].detach().numpy(), m(x, x, x)[1].detach().numpy()
    assert not np.allclose(w1, w2)
    # per head, a dropped row is the softmax row with some entries zeroed and the rest doubled
    m.eval()
    clean = m(x, x, x, average_attn_weights=False)[1].detach().numpy()
    m.train()
    dropped = m(x, x, x, average_attn_weights=False)[1].detach().numpy()
    assert np.allclose(dropped[dropped != 0], 2 * clean[dropped != 0], rtol=1e-5)
    assert 0.2 < (dropped == 0).mean() < 0.8


def test_mha_inference_under_no_grad():
    """PyTorch takes its fused inference path here; the values agree."""
    t, m = _pair(batch_first=True)
    copy_weights(t, m)
    t.eval()
    m.eval()
    x = rng.standard_normal((2, 5, 8)).astype(np.float32)
    with torch.no_grad():
        t_out, t_w = t(_t(torch, x), _t(torch, x), _t(torch, x))
    with lamina.no_grad():
        l_out, l_w = m(_t(lamina, x), _t(lamina, x), _t(lamina, x))
    np.testing.assert_allclose(l_out.numpy(), t_out.numpy(), atol=1e-5)
    np.testing.assert_allclose(l_w.numpy(), t_w.numpy(), atol=1e-6)
    assert l_out.grad_fn is None


def test_mha_state_dict_init_and_repr():
    for kw in ({}, {"add_bias_kv": True}, {"kdim": 3, "vdim": 5}, {"bias": False, "add_bias_kv": True}):
        t, m = _pair(16, 4, **kw)
        assert list(m.state_dict()) == list(t.state_dict())
        assert [n for n, _ in m.named_parameters()] == [n for n, _ in t.named_parameters()]
        assert repr(m) == repr(t)
        assert type(m.out_proj).__name__ == "NonDynamicallyQuantizableLinear" and isinstance(m.out_proj, lnn.Linear)
    m = lnn.MultiheadAttention(64, 4, add_bias_kv=True)
    bound = np.sqrt(6.0 / (64 + 3 * 64))  # xavier_uniform_ on the (3E, E) packed weight
    w = m.in_proj_weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert not m.in_proj_bias.detach().numpy().any() and not m.out_proj.bias.detach().numpy().any()
    assert np.abs(m.out_proj.weight.detach().numpy()).max() <= 1 / 8  # Linear's default init is kept
    assert m.bias_k.shape == (1, 1, 64) and 0.1 < m.bias_k.detach().numpy().std() < 0.3  # xavier_normal_: 0.174
    plain = lnn.MultiheadAttention(8, 2)
    assert plain.bias_k is None and plain.bias_v is None and plain.head_dim == 4 and plain._qkv_same_embed_dim


def test_mha_load_state_dict_both_ways():
    t, m = _pair(8, 2, add_bias_kv=True)
    m.load_state_dict({k: lamina.from_numpy(v.detach().numpy().copy()) for k, v in t.state_dict().items()})
    t2 = torch.nn.MultiheadAttention(8, 2, add_bias_kv=True)
    t2.load_state_dict({k: torch.from_numpy(v.detach().numpy().copy()) for k, v in m.state_dict().items()})
    x = rng.standard_normal((3, 2, 8)).astype(np.float32)
    a = t2(_t(torch, x), _t(torch, x), _t(torch, x))[0].detach().numpy()
    b = m(_t(lamina, x), _t(lamina, x), _t(lamina, x))[0].detach().numpy()
    np.testing.assert_allclose(b, a, atol=1e-5)


def test_mha_merge_masks():
    t, m = _pair(8, 2, batch_first=True)
    attn = rng.standard_normal((4, 4)).astype(np.float32)
    kpm = rng.standard_normal((3, 4)).astype(np.float32)
    x = rng.standard_normal((3, 4, 8)).astype(np.float32)
    for a, p in ((attn, None), (None, kpm), (attn, kpm)):
        tm, tt = t.merge_masks(None if a is None else _t(torch, a), None if p is None else _t(torch, p), _t(torch, x))
        lm, lt = m.merge_masks(None if a is None else _t(lamina, a), None if p is None else _t(lamina, p),
                               _t(lamina, x))
        assert lt == tt
        np.testing.assert_allclose(lm.numpy(), tm.numpy())


def test_mha_errors():
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        lnn.MultiheadAttention(10, 3)
    with pytest.raises(ValueError, match="embed_dim and num_heads must be greater than 0"):
        lnn.MultiheadAttention(0, 2)
    m = lnn.MultiheadAttention(8, 2)
    x = lamina.randn(3, 2, 8)
    with pytest.raises(AssertionError, match="was expecting embedding dimension of 8, but got 6"):
        y = lamina.randn(3, 2, 6)
        m(y, y, y)
    with pytest.raises(AssertionError, match="query should be unbatched 2D or batched 3D tensor but received 4-D"):
        m(x[None], x[None], x[None])
    with pytest.raises(AssertionError, match="expected `key` and `value` to be 3-D but found 2-D and 3-D"):
        m(x, x[0], x)
    with pytest.raises(RuntimeError, match=r"The shape of the 2D attn_mask is .*\[3, 4\].*, but should be \(3, 3\)"):
        m(x, x, x, attn_mask=lamina.zeros(3, 4))
    with pytest.raises(RuntimeError, match=r"The shape of the 3D attn_mask is .*, but should be \(4, 3, 3\)"):
        m(x, x, x, attn_mask=lamina.zeros(2, 3, 3))
    with pytest.raises(AssertionError, match="Expected key_padded_mask.shape\\[0\\] to be 2, but got 3"):
        m(x, x, x, key_padding_mask=lamina.zeros(3, 3, dtype=lamina.bool))
    with pytest.raises(AssertionError, match="Expected key_padded_mask.shape\\[1\\] to be 3, but got 4"):
        m(x, x, x, key_padding_mask=lamina.zeros(2, 4, dtype=lamina.bool))
    with pytest.raises(AssertionError, match="only bool and floating types of key_padding_mask are supported"):
        m(x, x, x, key_padding_mask=lamina.zeros(2, 3, dtype=lamina.int64))
    with pytest.raises(RuntimeError, match="Need attn_mask if specifying the is_causal hint"):
        m(x, x, x, is_causal=True)
    with pytest.raises(AssertionError, match="key shape .* does not match value shape"):
        m(x, x, lamina.randn(4, 2, 8))
    with pytest.warns(UserWarning, match="Support for mismatched key_padding_mask and attn_mask is deprecated"):
        m(x, x, x, key_padding_mask=lamina.zeros(2, 3, dtype=lamina.bool), attn_mask=lamina.zeros(3, 3))


@pytest.mark.parametrize("need_weights", [True, False])
def test_functional_multi_head_attention_forward(need_weights):
    E, H = 8, 2
    specs = [(3, 2, E), (5, 2, E), (3 * E, E), (3 * E,), (E, E), (E,)]

    def fn(lib, q, k, w_in, b_in, w_out, b_out):
        return lib.nn.functional.multi_head_attention_forward(
            q, k, k, E, H, w_in, b_in, None, None, False, 0.0, w_out, b_out, training=False,
            need_weights=need_weights)
    check(fn, specs)
    check(fn, specs, dtype="float64")


@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("mask_dtype, query_dtype, padding", [("float64", "float32", False), ("float32", "float64", False),
                                                              ("float16", "float32", False), ("float64", "float32", True)])
def test_float_mask_of_another_dtype_is_refused_as_pytorch(need_weights, mask_dtype, query_dtype, padding):
    """A float64 mask built with NumPy beside a float32 model: PyTorch refuses it (baddbmm's dtype
    check with weights, scaled_dot_product_attention's rule without)."""
    outcome = []
    for lib in (torch, lamina):
        m = lib.nn.MultiheadAttention(8, 2).to(getattr(lib, query_dtype))
        q = lib.zeros(4, 3, 8, dtype=getattr(lib, query_dtype))
        if padding:
            kw = dict(key_padding_mask=lib.from_numpy(np.zeros((3, 4), mask_dtype)))
        else:
            kw = dict(attn_mask=lib.from_numpy(np.triu(np.full((4, 4), -np.inf), 1).astype(mask_dtype)))
        try:
            outcome.append(repr(m(q, q, q, need_weights=need_weights, **kw)[0].dtype))
        except RuntimeError as e:
            outcome.append(str(e))
    assert outcome[1] == outcome[0]


# ---- torch.nn.attention: choosing the kernel ----------------------------------------------------
def _sdpa_under(lib, chosen):
    """Run scaled_dot_product_attention inside sdpa_kernel(chosen): the output, or the error."""
    q = _t(lib, rng.standard_normal((1, 2, 4, 8)).astype(np.float32))
    backend = lib.nn.attention.SDPBackend
    arg = getattr(backend, chosen) if isinstance(chosen, str) else [getattr(backend, n) for n in chosen]
    try:
        with lib.nn.attention.sdpa_kernel(arg):
            flags = [getattr(lib.backends.cuda, f"{n}_sdp_enabled")() for n in ("flash", "mem_efficient", "math",
                                                                                 "cudnn")]
            return flags, tuple(lib.nn.functional.scaled_dot_product_attention(q, q, q).shape)
    except RuntimeError as e:
        return None, str(e)


@pytest.mark.parametrize("chosen", ["MATH", "FLASH_ATTENTION", "EFFICIENT_ATTENTION", "CUDNN_ATTENTION",
                                    "OVERRIDEABLE", "ERROR", ["EFFICIENT_ATTENTION", "MATH"],
                                    ["CUDNN_ATTENTION", "EFFICIENT_ATTENTION"], ["MATH", "MATH"]])
def test_sdpa_kernel_runs_or_refuses_as_torch(chosen):
    assert _sdpa_under(lamina, chosen) == _sdpa_under(torch, chosen)
    # the previous choice (every kernel) comes back on leaving the block
    for lib in (lamina, torch):
        assert all(getattr(lib.backends.cuda, f"{n}_sdp_enabled")() for n in ("flash", "mem_efficient", "math",
                                                                                "cudnn"))


def test_sdp_backend_names_and_numbers():
    ours, theirs = lamina.nn.attention.SDPBackend, torch.nn.attention.SDPBackend
    assert list(ours.__members__) == list(theirs.__members__)
    for name in theirs.__members__:
        a, b = getattr(ours, name), getattr(theirs, name)
        assert (repr(a), str(a), int(a), a.name) == (repr(b), str(b), int(b), b.name)


def test_sdpa_kernel_rejects_a_non_backend():
    for lib in (lamina, torch):
        with pytest.raises(AssertionError, match="Backend must be an instance of SDPBackend or a list of SDPBackend "
                                                 "instances, got str"):
            with lib.nn.attention.sdpa_kernel("MATH"):
                pass


def test_sdp_flags_switched_directly():
    results = []
    for lib in (lamina, torch):
        q = _t(lib, np.ones((1, 1, 2, 3), np.float32))
        lib.backends.cuda.enable_math_sdp(False)
        lib.backends.cuda.enable_flash_sdp(False)
        try:
            with pytest.raises(RuntimeError) as e:
                lib.nn.functional.scaled_dot_product_attention(q, q, q)
            lib.backends.cuda.enable_flash_sdp(True)  # flash alone serves a CPU tensor
            results.append((str(e.value), tuple(lib.nn.functional.scaled_dot_product_attention(q, q, q).shape)))
        finally:
            lib.backends.cuda.enable_math_sdp(True)
            lib.backends.cuda.enable_flash_sdp(True)
    assert results[0] == results[1]


FLASH_CASES = {  # (query, key, value shapes), keywords: what PyTorch's CPU flash kernel takes or not
    "4-D": ([(1, 2, 4, 8), (1, 2, 5, 8), (1, 2, 5, 8)], {}),
    "3-D": ([(2, 4, 8), (2, 5, 8), (2, 5, 8)], {}),
    "value width differs": ([(1, 2, 4, 8), (1, 2, 5, 8), (1, 2, 5, 6)], {}),
    "batch broadcast": ([(2, 2, 4, 8), (1, 2, 5, 8), (1, 2, 5, 8)], {}),
    "grouped heads": ([(1, 4, 4, 8), (1, 2, 5, 8), (1, 2, 5, 8)], {"enable_gqa": True}),
    "causal": ([(1, 2, 4, 8), (1, 2, 5, 8), (1, 2, 5, 8)], {"is_causal": True}),
    "dropout": ([(1, 2, 4, 8), (1, 2, 5, 8), (1, 2, 5, 8)], {"dropout_p": 0.5}),
    "no keys": ([(1, 2, 4, 8), (1, 2, 0, 8), (1, 2, 0, 8)], {}),
}


@pytest.mark.parametrize("case", list(FLASH_CASES))
def test_flash_only_takes_what_torch_cpu_flash_takes(case):
    shapes, kw = FLASH_CASES[case]
    arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    outcomes = []
    for lib in (lamina, torch):
        q, k, v = (_t(lib, a) for a in arrays)
        with lib.nn.attention.sdpa_kernel(lib.nn.attention.SDPBackend.FLASH_ATTENTION):
            try:
                outcomes.append(tuple(lib.nn.functional.scaled_dot_product_attention(q, k, v, **kw).shape))
            except RuntimeError as e:
                outcomes.append(str(e))
    assert outcomes[0] == outcomes[1]


def test_flash_only_refuses_a_transposed_query_as_torch():
    a = rng.standard_normal((1, 2, 8, 4)).astype(np.float32)
    b = rng.standard_normal((1, 2, 5, 8)).astype(np.float32)
    outcomes = []
    for lib in (lamina, torch):
        with lib.nn.attention.sdpa_kernel([lib.nn.attention.SDPBackend.FLASH_ATTENTION]):
            try:
                lib.nn.functional.scaled_dot_product_attention(_t(lib, a).transpose(-1, -2), _t(lib, b), _t(lib, b))
                outcomes.append("ran")
            except RuntimeError as e:
                outcomes.append(str(e))
    assert outcomes[0] == outcomes[1] != "ran"
