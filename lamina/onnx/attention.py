"""Attention as MatMul/Softmax: scaled_dot_product_attention, MultiheadAttention, and the
Transformer encoder/decoder layers and stacks built from them (eval mode: dropout is identity).

Multi-head attention works internally in (N, L, E) layout:
    Q, K, V = x W_qᵀ + b_q, ...           (one MatMul + Split when query, key and value are one tensor)
    Q → (N, h, L, d), Kᵀ → (N, h, d, S), V → (N, h, S, d)     (Reshape [0, 0, h, d] + Transpose)
    P = Softmax((Q·scale) Kᵀ + masks)     O = P V → (N, L, E) → O W_oᵀ + b_o
Reshapes copy the batch and sequence sizes from the input (0 in the target shape), so both stay
dynamic. Boolean masks become additive ones (True → -inf)."""
import math

import numpy as np

from .. import nn
from .activations import emit as emit_activation, layer_kind
from .layers import emit_layer_norm, emit_linear
from .registry import UnsupportedOperatorError, forward_owner, function, layer


def _additive(ctx, mask, dtype, keep_true=False):
    """An additive float mask from a bool one (True hides; keep_true: True keeps, as in SDPA)."""
    if mask is None:
        return None
    g = ctx.g
    hide, show = (0.0, float("-inf")) if keep_true else (float("-inf"), 0.0)
    if not ctx.is_live(mask):
        arr = ctx.constant(mask)
        if arr.dtype == np.bool_:
            arr = np.where(arr, hide, show)
        return g.const(arr.astype(dtype), "mask")
    m = ctx.value(mask)
    if mask._data.dtype == np.bool_:
        return g.op("Where", m, g.scalar(hide, dtype), g.scalar(show, dtype))
    return m if mask._data.dtype == dtype else g.cast(m, dtype)


def _project(ctx, x, W, b, hint):
    g = ctx.g
    y = g.op("MatMul", x, g.const(np.ascontiguousarray(W.T), f"{hint}.weight_T"))
    return g.op("Add", y, g.const(b, f"{hint}.bias")) if b is not None else y


def emit_mha(ctx, m, q, k, v, q_ndim, dtype, key_padding_mask=None, attn_mask=None, need_weights=False,
             average_attn_weights=True):
    """(output, weights or None) names for MultiheadAttention `m` on query/key/value names."""
    g = ctx.g
    if m.bias_k is not None or m.bias_v is not None or m.add_zero_attn:
        raise UnsupportedOperatorError("ONNX export does not support MultiheadAttention with add_bias_kv=True or "
                                       "add_zero_attn=True")
    E, h = m.embed_dim, m.num_heads
    d = E // h
    batched = q_ndim == 3
    prefix = ctx.module_names.get(id(m), "attn")

    def to_batch_first(x):
        if not batched:
            return g.unsqueeze(x, [0])
        return x if m.batch_first else g.transpose(x, [1, 0, 2])

    same_kv = k == v
    self_attn = same_kv and q == k
    qx = to_batch_first(q)
    kx = qx if self_attn else to_batch_first(k)
    vx = kx if same_kv else to_batch_first(v)
    if m._qkv_same_embed_dim:
        W = ctx.constant(m.in_proj_weight)
        Ws = W[:E], W[E:2 * E], W[2 * E:]
    else:
        Ws = tuple(ctx.constant(w) for w in (m.q_proj_weight, m.k_proj_weight, m.v_proj_weight))
    bias = ctx.constant(m.in_proj_bias) if m.in_proj_bias is not None else None
    bs = (bias[:E], bias[E:2 * E], bias[2 * E:]) if bias is not None else (None,) * 3
    if self_attn and m._qkv_same_embed_dim:  # one GEMM for all three, then split
        Q, K, V = g.split(_project(ctx, qx, W, bias, f"{prefix}.in_proj"), [E, E, E], 2)
    else:
        Q = _project(ctx, qx, Ws[0], bs[0], f"{prefix}.q_proj")
        K = _project(ctx, kx, Ws[1], bs[1], f"{prefix}.k_proj")
        V = _project(ctx, vx, Ws[2], bs[2], f"{prefix}.v_proj")
    Q = g.op("Mul", g.transpose(g.reshape(Q, [0, 0, h, d]), [0, 2, 1, 3]), g.scalar(1 / math.sqrt(d), dtype))
    K = g.transpose(g.reshape(K, [0, 0, h, d]), [0, 2, 3, 1])
    V = g.transpose(g.reshape(V, [0, 0, h, d]), [0, 2, 1, 3])
    S = g.op("MatMul", Q, K)
    am = _additive(ctx, attn_mask, dtype)
    if am is not None:
        if attn_mask.ndim == 3:  # (N·h, L, S) → (N, h, L, S)
            am = g.reshape(am, [-1, h] + list(attn_mask.shape[1:]))
        S = g.op("Add", S, am)
    kpm = _additive(ctx, key_padding_mask, dtype)
    if kpm is not None:
        S = g.op("Add", S, g.unsqueeze(kpm, [1, 2]) if key_padding_mask.ndim == 2 else kpm)
    P = g.op("Softmax", S, axis=-1)
    O = g.reshape(g.transpose(g.op("MatMul", P, V), [0, 2, 1, 3]), [0, 0, E])
    out = emit_linear(ctx, O, 3, m.out_proj.weight, m.out_proj.bias)
    if not batched:
        out = g.squeeze(out, [0])
    elif not m.batch_first:
        out = g.transpose(out, [1, 0, 2])
    weights = None
    if need_weights:
        weights = g.reduce("ReduceMean", P, [1], False) if average_attn_weights else P
        if not batched:
            weights = g.squeeze(weights, [0])
    return out, weights


@layer(nn.MultiheadAttention)
def _mha_layer(ctx, m, out, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
               average_attn_weights=True, is_causal=False):
    # is_causal is only a hint that attn_mask is causal (which it must then be given): the mask is used
    return emit_mha(ctx, m, ctx.value(query), ctx.value(key), ctx.value(value), query.ndim, query._data.dtype,
                    key_padding_mask, attn_mask, need_weights, average_attn_weights)


@function("scaled_dot_product_attention")
def _sdpa(ctx, out, query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
          enable_gqa=False):
    g = ctx.g
    dtype = query._data.dtype
    L, S = query.shape[-2], key.shape[-2]
    if enable_gqa and query.shape[-3] != key.shape[-3]:
        raise UnsupportedOperatorError("ONNX export does not support scaled_dot_product_attention with "
                                       "enable_gqa=True and fewer key heads than query heads")
    scale = 1 / math.sqrt(query.shape[-1]) if scale is None else scale
    q = g.op("Mul", ctx.value(query), g.scalar(scale, dtype))
    kt = g.transpose(ctx.value(key), list(range(key.ndim - 2)) + [key.ndim - 1, key.ndim - 2])
    s = g.op("MatMul", q, kt)
    if is_causal:
        s = g.op("Add", s, g.const(np.where(np.tri(L, S, dtype=bool), 0.0, float("-inf")).astype(dtype), "causal"))
    mask = _additive(ctx, attn_mask, dtype, keep_true=True)
    if mask is not None:
        s = g.op("Add", s, mask)
    return g.op("MatMul", g.op("Softmax", s, axis=-1), ctx.value(value))


# ---- transformer layers ----------------------------------------------------------------------------------
def _activation(ctx, act, x, ndim, dtype):
    if isinstance(act, nn.Module):
        try:
            kind, params = layer_kind(act, ndim)
        except KeyError:
            raise UnsupportedOperatorError(f"ONNX export does not support {type(act).__name__} as a transformer "
                                           "activation") from None
        return emit_activation(ctx.g, kind, x, dtype, **params)
    name = getattr(act, "__name__", "")
    if name in ("relu", "gelu") and getattr(act, "__module__", "").startswith("lamina."):
        return emit_activation(ctx.g, name, x, dtype)
    raise UnsupportedOperatorError(f"ONNX export does not support the transformer activation {act!r}: use 'relu', "
                                   "'gelu' or an activation layer")


class _Block:
    """Emits the sub-blocks of one encoder/decoder layer under readable scopes."""

    def __init__(self, ctx, layer, ndim, dtype):
        self.ctx, self.layer, self.ndim, self.dtype = ctx, layer, ndim, dtype
        self.prefix = ctx.module_names.get(id(layer), type(layer).__name__)

    def scoped(self, sub, fn, *args):
        g = self.ctx.g
        saved, g.scope = g.scope, f"{self.prefix}.{sub}"
        try:
            return fn(*args)
        finally:
            g.scope = saved

    def norm(self, which, x):
        n = getattr(self.layer, which)
        return self.scoped(which, emit_layer_norm, self.ctx, x, self.ndim, self.dtype, n.normalized_shape, n.weight,
                           getattr(n, "bias", None), n.eps)

    def attend(self, which, x, kv, mask, kpm):
        """Attention block `which` of the layer, on keys/values `kv` (x itself for self-attention)."""
        return self.scoped(which, emit_mha, self.ctx, getattr(self.layer, which), x, kv, kv, self.ndim, self.dtype,
                           kpm, mask)[0]

    def feed_forward(self, x):
        L = self.layer
        y = self.scoped("linear1", emit_linear, self.ctx, x, self.ndim, L.linear1.weight, L.linear1.bias)
        y = self.scoped("activation", _activation, self.ctx, L.activation, y, self.ndim, self.dtype)
        return self.scoped("linear2", emit_linear, self.ctx, y, self.ndim, L.linear2.weight, L.linear2.bias)


def emit_encoder_layer(ctx, layer_, x, ndim, dtype, src_mask=None, key_padding_mask=None):
    b, g = _Block(ctx, layer_, ndim, dtype), ctx.g
    if layer_.norm_first:
        y = b.norm("norm1", x)
        x = g.op("Add", x, b.attend("self_attn", y, y, src_mask, key_padding_mask))
        return g.op("Add", x, b.feed_forward(b.norm("norm2", x)))
    x = b.norm("norm1", g.op("Add", x, b.attend("self_attn", x, x, src_mask, key_padding_mask)))
    return b.norm("norm2", g.op("Add", x, b.feed_forward(x)))


def emit_decoder_layer(ctx, layer_, x, ndim, dtype, memory, tgt_mask=None, memory_mask=None, tgt_kpm=None,
                       memory_kpm=None):
    b, g = _Block(ctx, layer_, ndim, dtype), ctx.g

    def sa(y):
        return b.attend("self_attn", y, y, tgt_mask, tgt_kpm)

    def mha(y):
        return b.attend("multihead_attn", y, memory, memory_mask, memory_kpm)
    if layer_.norm_first:
        x = g.op("Add", x, sa(b.norm("norm1", x)))
        x = g.op("Add", x, mha(b.norm("norm2", x)))
        return g.op("Add", x, b.feed_forward(b.norm("norm3", x)))
    x = b.norm("norm1", g.op("Add", x, sa(x)))
    x = b.norm("norm2", g.op("Add", x, mha(x)))
    return b.norm("norm3", g.op("Add", x, b.feed_forward(x)))


@layer(nn.TransformerEncoderLayer)
def _encoder_layer(ctx, m, out, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
    return emit_encoder_layer(ctx, m, ctx.value(src), src.ndim, src._data.dtype, src_mask, src_key_padding_mask)


@layer(nn.TransformerDecoderLayer)
def _decoder_layer(ctx, m, out, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                   memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False):
    return emit_decoder_layer(ctx, m, ctx.value(tgt), tgt.ndim, tgt._data.dtype, ctx.value(memory), tgt_mask,
                              memory_mask, tgt_key_padding_mask, memory_key_padding_mask)


def _check_layers(m, cls):
    for i, sub in enumerate(m.layers):
        if forward_owner(type(sub)) is not forward_owner(cls):
            raise UnsupportedOperatorError(f"ONNX export does not support {type(sub).__name__} as layer {i} of "
                                           f"{type(m).__name__}: only {cls.__name__}")
    if m.norm is not None and not isinstance(m.norm, nn.LayerNorm):
        raise UnsupportedOperatorError(f"ONNX export does not support {type(m.norm).__name__} as the norm of "
                                       f"{type(m).__name__}: only LayerNorm")


def _final_norm(ctx, m, x, ndim, dtype):
    if m.norm is None:
        return x
    n = m.norm
    return emit_layer_norm(ctx, x, ndim, dtype, n.normalized_shape, n.weight, getattr(n, "bias", None), n.eps)


@layer(nn.TransformerEncoder)
def _encoder(ctx, m, out, src, mask=None, src_key_padding_mask=None, is_causal=None):
    _check_layers(m, nn.TransformerEncoderLayer)
    x, ndim, dtype = ctx.value(src), src.ndim, src._data.dtype
    for sub in m.layers:
        x = emit_encoder_layer(ctx, sub, x, ndim, dtype, mask, src_key_padding_mask)
    return _final_norm(ctx, m, x, ndim, dtype)


@layer(nn.TransformerDecoder)
def _decoder(ctx, m, out, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
             memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False):
    _check_layers(m, nn.TransformerDecoderLayer)
    x, ndim, dtype, mem = ctx.value(tgt), tgt.ndim, tgt._data.dtype, ctx.value(memory)
    for sub in m.layers:
        x = emit_decoder_layer(ctx, sub, x, ndim, dtype, mem, tgt_mask, memory_mask, tgt_key_padding_mask,
                               memory_key_padding_mask)
    return _final_norm(ctx, m, x, ndim, dtype)
