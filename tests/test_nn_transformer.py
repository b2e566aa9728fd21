"""Transformer layers and models against PyTorch: encoder/decoder layers (post-/pre-norm, relu/gelu/
callable, batch_first, masks of each kind, eval and train with dropout 0), stacks, the full
nn.Transformer forward and backward, state_dicts loaded both ways, initialisation and errors."""
import warnings

import numpy as np
import pytest
import torch

import lamina
import lamina.nn as lnn
from oracle import check_module, copy_weights

# every test with the compiled softmax exponentials (lamina/_accel) and with NumPy's
pytestmark = pytest.mark.usefixtures("kernel_path")

DTYPES = ["float32", "float64"]
rng = np.random.default_rng(7)


def _t(lib, arr):
    return lib.from_numpy(np.array(arr, copy=True))


def _lib(mod):
    return torch if isinstance(mod, torch.nn.Module) else lamina


def _activation(name, lib):
    if name == "callable":
        return lib.nn.functional.silu
    if name == "module":
        return lib.nn.GELU()
    return name


def _shape(bf, S, N, E):
    return (N, S, E) if bf else (S, N, E)


ENC_OPTS = [(nf, act, bf) for nf in (False, True) for act in ("relu", "gelu", "callable", "module")
            for bf in (False, True)]


@pytest.mark.parametrize("norm_first,act,bf", ENC_OPTS)
@pytest.mark.parametrize("train", [False, True])
def test_encoder_layer(norm_first, act, bf, train):
    kw = dict(dim_feedforward=16, dropout=0.0, norm_first=norm_first, batch_first=bf)
    t = torch.nn.TransformerEncoderLayer(8, 2, activation=_activation(act, torch), **kw)
    m = lnn.TransformerEncoderLayer(8, 2, activation=_activation(act, lamina), **kw)
    assert list(m.state_dict()) == list(t.state_dict())
    assert m.activation_relu_or_gelu == t.activation_relu_or_gelu
    check_module(t, m, [_shape(bf, 5, 3, 8)], train=train)


def _enc_masks(case, S, N, H):
    mask = kpm = None
    if case in ("bool", "both_bool"):
        mask = rng.random((S, S)) < 0.3
        np.fill_diagonal(mask, False)
    if case in ("float", "both_float"):
        mask = rng.standard_normal((S, S)).astype(np.float32)
    if case == "float3d":
        mask = rng.standard_normal((N * H, S, S)).astype(np.float32)
    if case in ("kpm", "both_bool"):
        kpm = np.zeros((N, S), dtype=bool)
        kpm[1, -2:] = True
    if case == "both_float":
        kpm = np.zeros((N, S), dtype=np.float32)
        kpm[0, -1] = -np.inf
    if case == "causal":
        mask = np.triu(np.full((S, S), -np.inf, dtype=np.float32), 1)
    return mask, kpm


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("act", ["relu", "gelu"])
@pytest.mark.parametrize("norms", ["random_affine", "no_bias", "no_affine"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_encoder_layer_inference_trained_norms(norm_first, act, norms, dtype):
    """The fast path folds LayerNorm's shift into the next layer's bias: with trained (non-default)
    norm weights and biases, and with norms that have no bias or no affine parameters at all, its
    output is still PyTorch's, with a key padding mask too."""
    kw = dict(dim_feedforward=16, dropout=0.0, batch_first=True, norm_first=norm_first, activation=act)
    t, m = torch.nn.TransformerEncoderLayer(8, 2, **kw), lnn.TransformerEncoderLayer(8, 2, **kw)
    if norms != "random_affine":
        for lib, mod in ((torch, t), (lamina, m)):
            opts = dict(bias=False) if norms == "no_bias" else dict(elementwise_affine=False)
            mod.norm1, mod.norm2 = lib.nn.LayerNorm(8, **opts), lib.nn.LayerNorm(8, **opts)
    if dtype == "float64":
        t, m = t.double(), m.double()
    with torch.no_grad():
        for name, p in t.named_parameters():
            if name.startswith("norm"):
                p.copy_(torch.from_numpy(rng.uniform(0.5, 2.0, p.shape) if name.endswith("weight")
                                         else rng.standard_normal(p.shape)))
    copy_weights(t, m)
    t.eval(), m.eval()
    x = rng.standard_normal((3, 5, 8)).astype(dtype)
    kpm = np.zeros((3, 5), bool)
    kpm[1, 3:] = True
    # torch 2.13 in eval mode fails on a LayerNorm without bias (its fast-path check reads
    # norm.bias.device): there the reference is its training-mode path, the same math at dropout 0
    fast = norms == "random_affine"
    t.train(fast is False)
    t_out, l_out = _no_grad_call(t, m, [x, kpm], call=lambda mod, x, k: mod(x, src_key_padding_mask=k),
                                 torch_fast=fast)
    assert l_out.dtype == t_out.dtype
    ok = ~kpm if fast else np.ones_like(kpm)  # padded rows: torch's fast path may leave zeros there
    np.testing.assert_allclose(l_out[ok], t_out[ok], atol=1e-5 if dtype == "float32" else 1e-10, rtol=1e-4)


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("norms", ["random_affine", "no_bias", "no_affine"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_encoder_layer_training_trained_norms(norm_first, norms, dtype):
    """In training the residual add and LayerNorm are one node (with compiled kernels on float32):
    with trained norm weights and biases (default ones are 1 and 0, which hide a lost bias or
    weight), or norms without them, outputs and every gradient are PyTorch's."""
    kw = dict(dim_feedforward=16, dropout=0.0, batch_first=True, norm_first=norm_first)
    t, m = torch.nn.TransformerEncoderLayer(8, 2, **kw), lnn.TransformerEncoderLayer(8, 2, **kw)
    if norms != "random_affine":
        for lib, mod in ((torch, t), (lamina, m)):
            opts = dict(bias=False) if norms == "no_bias" else dict(elementwise_affine=False)
            mod.norm1, mod.norm2 = lib.nn.LayerNorm(8, **opts), lib.nn.LayerNorm(8, **opts)
    with torch.no_grad():
        for name, p in t.named_parameters():
            if name.startswith("norm"):
                p.copy_(torch.from_numpy(rng.uniform(0.5, 2.0, p.shape) if name.endswith("weight")
                                         else rng.standard_normal(p.shape)))
    check_module(t, m, [(3, 5, 8)], dtype=dtype)


@pytest.mark.parametrize("case", ["bool", "float", "float3d", "kpm", "both_bool", "both_float", "causal"])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("bf", [False, True])
def test_encoder_layer_masks(case, norm_first, bf):
    kw = dict(dim_feedforward=16, dropout=0.0, norm_first=norm_first, batch_first=bf)
    t, m = torch.nn.TransformerEncoderLayer(8, 2, **kw), lnn.TransformerEncoderLayer(8, 2, **kw)
    mask, kpm = _enc_masks(case, 5, 3, 2)
    specs = [_shape(bf, 5, 3, 8)] + [a for a in (mask, kpm) if a is not None]

    def call(mod, x, *ms):
        ms = list(ms)
        a = ms.pop(0) if mask is not None else None
        p = ms.pop(0) if kpm is not None else None
        return mod(x, src_mask=a, src_key_padding_mask=p, is_causal=case == "causal")
    check_module(t, m, specs, call=call)


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("act", ["relu", "gelu", "callable"])
@pytest.mark.parametrize("bf", [False, True])
@pytest.mark.parametrize("train", [False, True])
def test_decoder_layer(norm_first, act, bf, train):
    kw = dict(dim_feedforward=16, dropout=0.0, norm_first=norm_first, batch_first=bf)
    t = torch.nn.TransformerDecoderLayer(8, 2, activation=_activation(act, torch), **kw)
    m = lnn.TransformerDecoderLayer(8, 2, activation=_activation(act, lamina), **kw)
    assert list(m.state_dict()) == list(t.state_dict())
    check_module(t, m, [_shape(bf, 4, 3, 8), _shape(bf, 6, 3, 8)], train=train)


@pytest.mark.parametrize("kind", ["bool", "float"])
@pytest.mark.parametrize("bf", [False, True])
def test_decoder_layer_masks(kind, bf):
    kw = dict(dim_feedforward=16, dropout=0.0, batch_first=bf)
    t, m = torch.nn.TransformerDecoderLayer(8, 2, **kw), lnn.TransformerDecoderLayer(8, 2, **kw)
    T, S, N = 4, 6, 3
    causal = np.triu(np.ones((T, T), dtype=bool), 1)
    mem_mask = rng.random((T, S)) < 0.3
    mem_mask[:, 0] = False
    tgt_kpm = np.zeros((N, T), dtype=bool)
    tgt_kpm[2, -1] = True
    mem_kpm = np.zeros((N, S), dtype=bool)
    mem_kpm[0, -3:] = True
    masks = [causal, mem_mask, tgt_kpm, mem_kpm]
    if kind == "float":
        masks = [np.where(a, -np.inf, 0.0).astype(np.float32) for a in masks]
    check_module(t, m, [_shape(bf, T, N, 8), _shape(bf, S, N, 8)] + masks,
                 call=lambda mod, x, mem, a, b, c, d: mod(x, mem, tgt_mask=a, memory_mask=b, tgt_key_padding_mask=c,
                                                          memory_key_padding_mask=d))


# ---- inference: eval + no_grad takes the fused path (PyTorch's fast path conditions) -------------
def _eval_pair(E=8, H=2, **kw):
    kw = dict(dim_feedforward=16, dropout=0.0, batch_first=True, **kw)
    t, m = torch.nn.TransformerEncoderLayer(E, H, **kw), lnn.TransformerEncoderLayer(E, H, **kw)
    copy_weights(t, m)
    return t.eval(), m.eval()


def _no_grad_call(t, m, arrays, call=lambda mod, x, *masks: mod(x), torch_fast=True):
    """(torch output, lamina output) of call(module, *inputs), lamina's under no_grad; torch's
    under no_grad too (its fast path) unless torch_fast is False (its layer-by-layer path)."""
    with torch.set_grad_enabled(not torch_fast):
        t_out = call(t, *[_t(torch, a) for a in arrays])
    with lamina.no_grad():
        l_out = call(m, *[_t(lamina, a) for a in arrays])
    assert l_out.grad_fn is None and not l_out.requires_grad
    return t_out.detach().numpy(), l_out.numpy()


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("act", ["relu", "gelu", "module", "relu_module"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_encoder_layer_inference(norm_first, act, dtype):
    activation = (lambda lib: lib.nn.ReLU()) if act == "relu_module" else (lambda lib: _activation(act, lib))
    kw = dict(dim_feedforward=16, dropout=0.0, batch_first=True, norm_first=norm_first)
    t = torch.nn.TransformerEncoderLayer(8, 2, activation=activation(torch), **kw)
    m = lnn.TransformerEncoderLayer(8, 2, activation=activation(lamina), **kw)
    if dtype == "float64":
        t, m = t.double(), m.double()
    copy_weights(t, m)
    t.eval(), m.eval()
    x = rng.standard_normal((3, 5, 8)).astype(dtype)
    t_out, l_out = _no_grad_call(t, m, [x])
    assert l_out.dtype == t_out.dtype
    np.testing.assert_allclose(l_out, t_out, atol=1e-5 if dtype == "float32" else 1e-10, rtol=1e-4)


@pytest.mark.parametrize("case", ["bool", "float", "float3d", "kpm", "both_bool", "both_float", "causal"])
@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_layer_inference_masks(case, norm_first):
    """Against PyTorch's layer-by-layer path: its fast path gives NaN for float masks that are not
    0/-inf (and for bool and causal masks agrees with both)."""
    t, m = _eval_pair(norm_first=norm_first)
    mask, kpm = _enc_masks(case, 5, 3, 2)

    def call(mod, x, *ms):
        ms = list(ms)
        a = ms.pop(0) if mask is not None else None
        p = ms.pop(0) if kpm is not None else None
        return mod(x, src_mask=a, src_key_padding_mask=p, is_causal=case == "causal")
    x = rng.standard_normal((3, 5, 8)).astype(np.float32)
    t_out, l_out = _no_grad_call(t, m, [x] + [a for a in (mask, kpm) if a is not None], call, torch_fast=False)
    np.testing.assert_allclose(l_out, t_out, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("shape", [(4, 16), (3, 16), (2, 24)], ids=str)
@pytest.mark.parametrize("masked", [False, True])
def test_encoder_layer_inference_grouped_rows(shape, masked):
    """Sizes where the fast path views several rows as one for its LayerNorm weight/bias and ReLU
    passes (N·L a multiple of a power of two: all rows in one group, or several groups)."""
    N, S = shape
    t, m = _eval_pair(norm_first=masked)
    x = rng.standard_normal((N, S, 8)).astype(np.float32)
    if not masked:
        t_out, l_out = _no_grad_call(t, m, [x])
    else:
        kpm = np.zeros((N, S), dtype=bool)
        kpm[0, -3:] = True
        kpm[-1] = True  # a sequence with every key padded: NaN from the fused kernel, as PyTorch's
        t_out, l_out = _no_grad_call(t, m, [x, kpm], lambda mod, x, p: mod(x, src_key_padding_mask=p))
    np.testing.assert_allclose(l_out, t_out, atol=1e-5, rtol=1e-4, equal_nan=True)


def test_encoder_layer_inference_fully_padded_sequence():
    """A sequence whose every key is padding: PyTorch's fused inference kernel gives NaN there, and
    so does lamina's fast path; with gradients on, both give finite values from a zero attention
    output."""
    t, m = _eval_pair()
    kpm = np.zeros((3, 5), dtype=bool)
    kpm[1] = True
    kpm[0, -2:] = True
    x = rng.standard_normal((3, 5, 8)).astype(np.float32)
    t_out, l_out = _no_grad_call(t, m, [x, kpm], lambda mod, x, p: mod(x, src_key_padding_mask=p))
    assert np.isnan(t_out[1]).all() and np.isnan(l_out[1]).all()
    np.testing.assert_allclose(l_out, t_out, atol=1e-5, rtol=1e-4, equal_nan=True)
    t_out = t(_t(torch, x).requires_grad_(), src_key_padding_mask=_t(torch, kpm)).detach().numpy()
    l_out = m(_t(lamina, x).requires_grad_(), src_key_padding_mask=_t(lamina, kpm)).detach().numpy()
    assert np.isfinite(t_out).all()
    np.testing.assert_allclose(l_out, t_out, atol=1e-5, rtol=1e-4)


def test_attention_fast_path_conditions_decide_fully_masked_rows():
    """nn.MultiheadAttention: NaN for a query with every key masked exactly where PyTorch takes its
    fused kernel (eval, no grad, batch_first, self-attention on one tensor, bool masks), zeros
    elsewhere."""
    for kw in [dict(), dict(train=True), dict(same=False), dict(float_mask=True), dict(grad=True), dict(heads=1)]:
        outs = []
        data = rng.standard_normal((2, 5, 8)).astype(np.float32)
        t_mha = torch.nn.MultiheadAttention(8, kw.get("heads", 2), batch_first=True)
        for lib in (torch, lamina):
            mha = t_mha if lib is torch else lnn.MultiheadAttention(8, kw.get("heads", 2), batch_first=True)
            if lib is lamina:
                copy_weights(t_mha, mha)
            mha.train(kw.get("train", False))
            x = _t(lib, data)
            mask = lib.tensor([[True] * 5, [False, False, True, True, True]])
            if kw.get("float_mask"):
                mask = lib.zeros(2, 5).masked_fill(mask, float("-inf"))
            with lib.set_grad_enabled(kw.get("grad", False)):
                out, _ = mha(x, x, x if kw.get("same", True) else x * 1, key_padding_mask=mask, need_weights=False)
            outs.append(out.detach().numpy())
        np.testing.assert_allclose(outs[1], outs[0], atol=1e-5, rtol=1e-4, equal_nan=True, err_msg=str(kw))


def _nested_pair(**kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, **kw), 2,
                                        torch.nn.LayerNorm(8))
    t_warn = [str(w.message) for w in caught if "nested" in str(w.message)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m = lnn.TransformerEncoder(lnn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, **kw), 2, lnn.LayerNorm(8))
    assert [str(w.message) for w in caught] == t_warn
    copy_weights(t, m)
    return t, m, t_warn


@pytest.mark.parametrize("rows", ["left_aligned", "padding_in_the_middle"])
@pytest.mark.parametrize("train", [False, True])
def test_encoder_stack_pads_with_zeros_where_pytorch_runs_nested_tensors(rows, train):
    """Eval, no grad, a padding mask only at the ends: PyTorch runs the layers on nested tensors and
    returns 0 (then the final norm) at padded positions; otherwise the masked computation's values."""
    t, m, warned = _nested_pair(batch_first=True)
    assert not warned
    t.train(train), m.train(train)
    kpm = np.zeros((3, 5), dtype=bool)
    if rows == "left_aligned":
        kpm[1, 2:] = True
        kpm[2, 4:] = True
    else:
        kpm[1, [1, 3]] = True
    x = rng.standard_normal((3, 5, 8)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's prototype-stage note on nested tensors
        t_out, l_out = _no_grad_call(t, m, [x, kpm], lambda mod, x, p: mod(x, src_key_padding_mask=p))
    np.testing.assert_allclose(l_out, t_out, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("kw", [dict(batch_first=False), dict(batch_first=True, norm_first=True),
                                dict(batch_first=True, activation=torch.tanh), dict(batch_first=True, bias=False)],
                         ids=["sequence_first", "norm_first", "tanh", "no_bias"])
def test_encoder_stack_warns_as_pytorch_when_nested_tensors_cannot_serve(kw):
    if "activation" in kw:
        kw = dict(kw, activation="gelu")  # the same condition through a name both libraries take
        kw["activation"] = lambda x: x
    _, m, warned = _nested_pair(**kw)
    assert len(warned) == 1 and m.use_nested_tensor is False


def test_encoder_layer_inference_large_scores():
    """exp of the raw scores overflows float32 here: the fused path's max-shifted fallback."""
    t, m = _eval_pair(norm_first=True)
    with torch.no_grad():
        t.self_attn.in_proj_weight.mul_(10.0)
    copy_weights(t, m)
    x = rng.standard_normal((3, 5, 8)).astype(np.float32)
    t_out, l_out = _no_grad_call(t, m, [x])
    np.testing.assert_allclose(l_out, t_out, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("kw", [dict(nhead=3, d_model=9), dict(bias=False), dict(batch_first=False)], ids=str)
def test_encoder_layer_inference_outside_fast_path_conditions(kw):
    """Odd heads, no biases, sequence-first: PyTorch's layer-by-layer path; the values agree too."""
    kw = dict(d_model=8, nhead=2, dim_feedforward=16, dropout=0.0, batch_first=True) | kw
    t, m = torch.nn.TransformerEncoderLayer(**kw), lnn.TransformerEncoderLayer(**kw)
    copy_weights(t, m)
    t.eval(), m.eval()
    t_out, l_out = _no_grad_call(t, m, [rng.standard_normal((3, 5, kw["d_model"])).astype(np.float32)])
    np.testing.assert_allclose(l_out, t_out, atol=1e-5, rtol=1e-4)


def test_hooks_see_their_calls_in_eval_and_training():
    """A forward hook on a submodule turns the fused paths off, so the hook still runs."""
    t, m = _eval_pair()
    seen = []
    m.linear1.register_forward_hook(lambda mod, args, out: seen.append(tuple(out.shape)))
    x = rng.standard_normal((3, 5, 8)).astype(np.float32)
    t_out, l_out = _no_grad_call(t, m, [x])
    np.testing.assert_allclose(l_out, t_out, atol=1e-5, rtol=1e-4)
    m.train()
    m(_t(lamina, x)).sum().backward()
    assert seen == [(3, 5, 16), (3, 5, 16)]
    assert m.linear1.weight.grad is not None


@pytest.mark.parametrize("kind", ["forward", "pre"])
def test_global_module_hooks_see_sublayer_calls(kind):
    """A hook registered for every module (nn.modules.module.register_module_forward_hook) also
    turns the fused paths off: it sees linear1's call in eval and in training, values unchanged."""
    t, m = _eval_pair()
    seen = []
    if kind == "forward":
        register = lamina.nn.modules.module.register_module_forward_hook
        hook = lambda mod, args, out: seen.append(type(mod).__name__)  # noqa: E731
    else:
        register = lamina.nn.modules.module.register_module_forward_pre_hook
        hook = lambda mod, args: seen.append(type(mod).__name__)  # noqa: E731
    x = rng.standard_normal((3, 5, 8)).astype(np.float32)
    handle = register(hook)
    try:
        t_out, l_out = _no_grad_call(t, m, [x])
        assert seen.count("Linear") == 2 and seen.count("LayerNorm") == 2  # linear1, linear2 (out_proj is read)
        seen.clear()
        m.train()
        m(_t(lamina, x)).sum().backward()
        assert seen.count("Linear") == 2 and seen.count("LayerNorm") == 2
    finally:
        handle.remove()
    np.testing.assert_allclose(l_out, t_out, atol=1e-5, rtol=1e-4)
    m.eval()
    with lamina.no_grad():  # the hook removed: the fused path again, same values
        np.testing.assert_allclose(m(_t(lamina, x)).numpy(), t_out, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_stack_inference(norm_first):
    kw = dict(dim_feedforward=16, dropout=0.0, batch_first=True, norm_first=norm_first)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(8, 2, **kw), 2, torch.nn.LayerNorm(8),
                                        enable_nested_tensor=False)
    m = lnn.TransformerEncoder(lnn.TransformerEncoderLayer(8, 2, **kw), 2, lnn.LayerNorm(8))
    copy_weights(t, m)
    t.eval(), m.eval()
    kpm = np.zeros((3, 5), dtype=bool)
    kpm[0, 3:] = True
    causal = np.triu(np.full((5, 5), -np.inf, dtype=np.float32), 1)
    t_out, l_out = _no_grad_call(t, m, [rng.standard_normal((3, 5, 8)).astype(np.float32), causal, kpm],
                                 lambda mod, x, c, p: mod(x, mask=c, src_key_padding_mask=p))
    np.testing.assert_allclose(l_out, t_out, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("norms", ["layer_norm_variants", "rms_norm"])
def test_replaced_norms_in_training(norm_first, norms):
    """Residual + LayerNorm run as one node; a LayerNorm without affine parameters, one with its own
    eps and an RMSNorm (the layer-by-layer path) all give PyTorch's values and gradients."""
    kw = dict(dim_feedforward=16, dropout=0.0, norm_first=norm_first)
    t, m = torch.nn.TransformerEncoderLayer(8, 2, **kw), lnn.TransformerEncoderLayer(8, 2, **kw)
    for lib, mod in ((torch, t), (lamina, m)):
        if norms == "rms_norm":
            mod.norm2 = lib.nn.RMSNorm(8)
        else:
            mod.norm1 = lib.nn.LayerNorm(8, elementwise_affine=False)
            mod.norm2 = lib.nn.LayerNorm(8, eps=1e-3)
    check_module(t, m, [(5, 3, 8)], dtype="float64")


def test_feed_forward_one_node_in_training():
    """With ReLU and no active inner dropout the feed-forward block is one node; its gradients (of
    input, weights and biases) are checked by test_encoder_layer; here its graph edges: the
    output's node leads to the input, both weights and both biases."""
    m = lnn.TransformerEncoderLayer(8, 2, 16, dropout=0.0)
    out = m._ff_block(lamina.randn(5, 3, 8, requires_grad=True))
    assert out.grad_fn.name() == "ViewBackward0"
    assert len(out.grad_fn.next_functions) == 5


def test_layers_unbatched_and_float64():
    def enc():
        return torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0), lnn.TransformerEncoderLayer(8, 2, 16, dropout=0.0)

    def dec():
        return (torch.nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, norm_first=True),
                lnn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, norm_first=True))
    check_module(*enc(), [(5, 8)])
    check_module(*enc(), [(5, 3, 8)], dtype="float64")
    check_module(*dec(), [(4, 8), (6, 8)])
    check_module(*dec(), [(4, 2, 8), (6, 2, 8)], dtype="float64")


@pytest.mark.parametrize("with_norm", [False, True])
@pytest.mark.parametrize("bf", [False, True])
def test_encoder_stack(with_norm, bf):
    kw = dict(dim_feedforward=16, dropout=0.0, batch_first=bf)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's nested-tensor notice
        t = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(8, 2, **kw), 3,
                                        torch.nn.LayerNorm(8) if with_norm else None)
    layer = lnn.TransformerEncoderLayer(8, 2, **kw)
    m = lnn.TransformerEncoder(layer, 3, lnn.LayerNorm(8) if with_norm else None, enable_nested_tensor=False)
    assert list(m.state_dict()) == list(t.state_dict())
    # deep copies: same starting values as the template, but independent tensors
    np.testing.assert_array_equal(m.layers[2].linear1.weight.detach().numpy(), layer.linear1.weight.detach().numpy())
    assert m.layers[0].linear1.weight is not m.layers[1].linear1.weight
    assert m.layers[0].self_attn.in_proj_weight is not layer.self_attn.in_proj_weight
    kpm = np.zeros((3, 5), dtype=bool)
    kpm[0, 3:] = True
    causal = np.triu(np.full((5, 5), -np.inf, dtype=np.float32), 1)
    check_module(t, m, [_shape(bf, 5, 3, 8), causal, kpm],
                 call=lambda mod, x, c, p: mod(x, mask=c, src_key_padding_mask=p))
    check_module(t, m, [_shape(bf, 5, 3, 8)], train=False)


def test_decoder_stack():
    kw = dict(dim_feedforward=16, dropout=0.0)
    t = torch.nn.TransformerDecoder(torch.nn.TransformerDecoderLayer(8, 2, **kw), 2, torch.nn.LayerNorm(8))
    m = lnn.TransformerDecoder(lnn.TransformerDecoderLayer(8, 2, **kw), 2, lnn.LayerNorm(8))
    assert list(m.state_dict()) == list(t.state_dict())
    causal = np.triu(np.full((4, 4), -np.inf, dtype=np.float32), 1)
    check_module(t, m, [(4, 2, 8), (6, 2, 8), causal], call=lambda mod, x, mem, c: mod(x, mem, tgt_mask=c))
    check_module(t, m, [(4, 2, 8), (6, 2, 8), causal],
                 call=lambda mod, x, mem, c: mod(x, mem, tgt_mask=c, tgt_is_causal=True))


@pytest.mark.parametrize("bf", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("dtype", DTYPES)
def test_transformer_forward_backward(bf, norm_first, dtype):
    kw = dict(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=16, dropout=0.0,
              batch_first=bf, norm_first=norm_first, activation="gelu")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = torch.nn.Transformer(**kw)
    m = lnn.Transformer(**kw)
    assert list(m.state_dict()) == list(t.state_dict())
    S, T, N = 6, 4, 3
    tgt_mask = torch.nn.Transformer.generate_square_subsequent_mask(T).numpy()
    src_kpm = np.zeros((N, S), dtype=bool)
    src_kpm[1, -2:] = True
    tgt_kpm = np.zeros((N, T), dtype=bool)
    tgt_kpm[2, -1] = True
    check_module(t, m, [_shape(bf, S, N, 8), _shape(bf, T, N, 8), tgt_mask, src_kpm, tgt_kpm], dtype=dtype,
                 call=lambda mod, s, tg, c, sp, tp: mod(s, tg, tgt_mask=c if dtype == "float32" else c.double(),
                                                        src_key_padding_mask=sp, tgt_key_padding_mask=tp,
                                                        memory_key_padding_mask=sp, tgt_is_causal=True))


def test_transformer_state_dict_both_ways_and_train_step():
    kw = dict(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=16, dropout=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = torch.nn.Transformer(**kw)
        t_back = torch.nn.Transformer(**kw)
    m = lnn.Transformer(**kw)
    copy_weights(t, m)
    t_back.load_state_dict({k: torch.from_numpy(v.detach().numpy().copy()) for k, v in m.state_dict().items()})
    src = rng.standard_normal((5, 2, 8)).astype(np.float32)
    tgt = rng.standard_normal((3, 2, 8)).astype(np.float32)
    a = t_back(_t(torch, src), _t(torch, tgt)).detach().numpy()
    b = m(_t(lamina, src), _t(lamina, tgt)).detach().numpy()
    np.testing.assert_allclose(b, a, atol=1e-5)
    # one SGD step on each gives the same new weights
    for mod, lib in ((t_back, torch), (m, lamina)):
        opt = lib.optim.SGD(mod.parameters(), lr=0.1)
        mod(_t(lib, src), _t(lib, tgt)).pow(2).mean().backward()
        opt.step()
    for k, v in t_back.state_dict().items():
        np.testing.assert_allclose(m.state_dict()[k].numpy(), v.numpy(), atol=1e-5, err_msg=k)


def test_generate_square_subsequent_mask():
    for dtype in (None, "float64"):
        tm = torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=getattr(torch, dtype) if dtype else None)
        lm = lnn.Transformer.generate_square_subsequent_mask(4, dtype=getattr(lamina, dtype) if dtype else None)
        assert str(lm.dtype).split(".")[-1] == str(tm.dtype).split(".")[-1]
        np.testing.assert_array_equal(lm.numpy(), tm.numpy())


def test_transformer_init_and_repr():
    kw = dict(d_model=16, nhead=4, num_encoder_layers=2, num_decoder_layers=1, dim_feedforward=32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = torch.nn.Transformer(**kw)
    m = lnn.Transformer(**kw)
    assert repr(m) == repr(t)
    for name, p in m.named_parameters():
        if p.dim() > 1:  # every matrix re-initialised with xavier_uniform_
            bound = np.sqrt(6.0 / (p.shape[0] + p.shape[1]))
            assert np.abs(p.detach().numpy()).max() <= bound, name
        elif name.endswith("in_proj_bias"):
            assert not p.detach().numpy().any()
    layer = lnn.TransformerEncoderLayer(8, 2)
    assert repr(layer) == repr(torch.nn.TransformerEncoderLayer(8, 2))
    assert layer.self_attn.dropout == 0.1 and layer.dropout.p == 0.1 and layer.norm1.eps == 1e-5


def test_bias_false_and_layer_norm_eps():
    kw = dict(dim_feedforward=16, dropout=0.0, bias=False, layer_norm_eps=1e-3)
    t, m = torch.nn.TransformerEncoderLayer(8, 2, **kw), lnn.TransformerEncoderLayer(8, 2, **kw)
    assert list(m.state_dict()) == list(t.state_dict())
    check_module(t, m, [(5, 2, 8)])


def test_errors():
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        lnn.TransformerEncoderLayer(8, 2, activation="tanh")
    m = lnn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=16)
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        m(lamina.randn(5, 2, 8), lamina.randn(3, 3, 8))
    with pytest.raises(RuntimeError, match="the feature number of src and tgt must be equal to d_model"):
        m(lamina.randn(5, 2, 6), lamina.randn(3, 2, 6))
    layer = lnn.TransformerEncoderLayer(8, 2, 16)
    with pytest.warns(UserWarning, match="Support for mismatched src_key_padding_mask and src_mask is deprecated"):
        layer(lamina.randn(5, 2, 8), src_mask=lamina.zeros(5, 5), src_key_padding_mask=lamina.zeros(2, 5,
                                                                                                    dtype=lamina.bool))


def test_dropout_active_in_train():
    m = lnn.TransformerEncoderLayer(8, 2, 16, dropout=0.5)
    x = lamina.randn(5, 2, 8)
    a, b = m(x).detach().numpy(), m(x).detach().numpy()
    assert not np.allclose(a, b)
    m.eval()
    np.testing.assert_array_equal(m(x).detach().numpy(), m(x).detach().numpy())
