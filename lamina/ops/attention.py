r"""Attention: scaled_dot_product_attention and multi_head_attention_forward.

The heart of both is one fused node — scores, masks, softmax, dropout and the weighted sum of the
values — with a hand-derived backward (per head, rows are queries):

    S = (q·scale) kᵀ + mask      P = softmax(S)      O = P v
    dV = Pᵀ dO    dP = dO vᵀ    dS = P ⊙ (dP − rowsum(dO ⊙ O))    dQ = scale · dS k    dK = dSᵀ (q·scale)

rowsum(dP ⊙ P) equals rowsum(dO ⊙ O) when there is no dropout (FlashAttention's identity): L·D
work instead of L·S. Multi-head attention runs the heads as strided views of the projections (no
copies), and writes dQ, dK, dV straight into the packed gradient of the in-projection. The array
code of the softmax and of dS is in _attention_softmax.py."""
import math
import warnings

import numpy as np

from ..backends import sdp_enabled
from ._attention_softmax import _dscores, _probs
from ._core import make, unbroadcast, wrap

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]

_DN = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int", "int32": "int",
       "int16": "short int", "int8": "signed char", "uint8": "unsigned char", "bool": "bool"}


# ---- scaled_dot_product_attention --------------------------------------------------------------
def _check_flash_only(q, k, v, dropout_p, enable_gqa):
    """With PyTorch's math kernel switched off, only its CPU flash kernel is left: refuse what that
    kernel does not take (lamina computes the same values either way)."""
    if not sdp_enabled["flash"]:
        raise RuntimeError("No viable backend for scaled_dot_product_attention was found. This is likely due to "
                           "turning off both the math kernel and the fused kernels.")
    usable = (q.ndim == k.ndim == v.ndim == 4 and q.shape[-1] == k.shape[-1] == v.shape[-1]
              and q.shape[0] == k.shape[0] == v.shape[0] and dropout_p == 0.0
              and all(a.size == 0 or a.shape[-1] <= 1 or a.strides[-1] == a.itemsize for a in (q, k, v)))
    if usable and not (q.shape[1] == k.shape[1] == v.shape[1]):
        usable = enable_gqa and q.shape[1] % k.shape[1] == 0 and q.shape[1] % v.shape[1] == 0
    if not usable:
        raise RuntimeError("No available kernel.  Aborting execution.")


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    r"""softmax(q kᵀ · scale + mask) v over the last two dimensions, batched over the leading ones.

    Args:
        query: (..., L, E); key: (..., S, E); value: (..., S, Ev) — leading dimensions broadcast
        attn_mask: bool (True = take part in attention) or float (added to the scores), broadcastable
            to (..., L, S)
        dropout_p: dropout on the attention weights (always applied: pass 0.0 in evaluation)
        is_causal: hide keys after each query (top-left aligned lower triangle); excludes attn_mask
        scale: defaults to 1/√E
        enable_gqa: key/value may have fewer heads (dim -3) than query, each serving a group of them

    A query row whose every key is masked gives zeros (and zero gradient), as PyTorch's CPU kernel.
    Output: (..., L, Ev)."""
    q, k, v = query._data, key._data, value._data
    if not sdp_enabled["math"]:  # switched off by nn.attention.sdpa_kernel
        _check_flash_only(q, k, v, dropout_p, enable_gqa)
    if q.ndim < 2 or k.ndim < 2 or v.ndim < 2:
        raise RuntimeError("Expected query, key, and value to all be  at least 2 dimensional, but got query.dim: "
                           f"{q.ndim} key.dim: {k.ndim} and value.dim: {v.ndim} instead.")
    if not q.dtype == k.dtype == v.dtype:
        raise RuntimeError(f"Expected query, key, and value to have the same dtype, but got query.dtype: "
                           f"{_DN[q.dtype.name]} key.dtype: {_DN[k.dtype.name]} and value.dtype: "
                           f"{_DN[v.dtype.name]} instead.")
    if q.dtype.kind != "f":
        raise RuntimeError(f"expected scalar type Float but found {_DN[q.dtype.name].split()[0].title()}")
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
    if not 0.0 <= dropout_p <= 1.0:
        raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {dropout_p}")
    if q.shape[-1] != k.shape[-1]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{int(np.prod(k.shape[:-2]))}, {q.shape[-1]}] but got: "
                           f"[{int(np.prod(k.shape[:-2]))}, {k.shape[-1]}].")
    if k.shape[-2] != v.shape[-2]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{int(np.prod(v.shape[:-2]))}, {k.shape[-2]}] but got: "
                           f"[{int(np.prod(v.shape[:-2]))}, {v.shape[-2]}].")
    groups = None
    if enable_gqa and q.ndim >= 3 and k.ndim >= 3 and (k.shape[-3] != q.shape[-3] or v.shape[-3] != q.shape[-3]):
        hq, hk, hv = q.shape[-3], k.shape[-3], v.shape[-3]
        if hq % hk or hq % hv:
            raise RuntimeError("Number of heads in key and value must divide the number of heads in ")
        groups = (hq // hk, hq // hv)
        k = np.repeat(k, groups[0], axis=-3)
        v = np.repeat(v, groups[1], axis=-3)
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)

    masks, mask_t = [], None
    if attn_mask is not None:
        m = attn_mask._data
        if m.dtype == np.bool_:
            masks.append((~m, True))
        elif m.dtype == q.dtype or m.dtype == np.float32:
            masks.append((m if m.dtype == q.dtype else m.astype(q.dtype), False))
            mask_t = attn_mask
        else:
            raise RuntimeError(f"Expected attn_mask dtype to be bool or float or to match query dtype, but got "
                               f"attn_mask.dtype: {_DN[m.dtype.name]} and  query.dtype: {_DN[q.dtype.name]} instead.")
    qs = q * scale
    P, Pd, keep = _probs(qs, k, masks, is_causal, True, float(dropout_p))
    out = np.matmul(Pd, v)
    parents = (query, key, value) if mask_t is None else (query, key, value, mask_t)
    p = float(dropout_p)

    def backward(g):
        gk = gv = gq = gm = None
        if value._requires_grad:
            gv = np.matmul(np.swapaxes(Pd, -1, -2), g)
        dS = _dscores(np.matmul(g, np.swapaxes(v, -1, -2)), P, keep, p,
                      None if keep is not None else np.einsum("...d,...d->...", g, out)[..., None])
        if mask_t is not None and mask_t._requires_grad:
            gm = unbroadcast(dS, mask_t._data.shape).astype(mask_t._data.dtype, copy=False)
        if key._requires_grad:
            gk = np.matmul(np.swapaxes(dS, -1, -2), qs)
        if query._requires_grad:
            gq = np.matmul(dS, k)
            gq *= scale
            gq = unbroadcast(gq, query._data.shape)
        if groups is not None:  # fold the repeated heads back onto the key/value heads
            if gk is not None:
                gk = gk.reshape(gk.shape[:-3] + (-1, groups[0]) + gk.shape[-2:]).sum(axis=-3)
            if gv is not None:
                gv = gv.reshape(gv.shape[:-3] + (-1, groups[1]) + gv.shape[-2:]).sum(axis=-3)
        if gk is not None:
            gk = unbroadcast(gk, key._data.shape)
        if gv is not None:
            gv = unbroadcast(gv, value._data.shape)
        return (gq, gk, gv) if mask_t is None else (gq, gk, gv, gm)
    return make(out, parents, backward, "ScaledDotProductFlashAttentionForCpuBackward0", saved=parents,
                save_output=True)


# ---- multi-head attention ----------------------------------------------------------------------
def _heads(a, H, batch_first):
    """(N, H, L, D) strided view of a (N, L, H·D) array (batch_first) or a (L, N, H·D) one."""
    a = a.reshape(a.shape[:-1] + (H, a.shape[-1] // H))
    return a.transpose(0, 2, 1, 3) if batch_first else a.transpose(1, 2, 0, 3)


def _attend(sources, roles, E, H, batch_first, masks, mask_grads, causal, p, safe, need_weights, average):
    """Run the heads over projections held in `sources` (Tensors laid out (N, L, ·) or (L, N, ·)).

    roles: ((source index, first column), ...) for q, k and v: each is E columns of a source, so a
    packed in-projection (N, L, 3E) serves all three without a copy. mask_grads: (tensor, 4-D view
    shape) for float masks that require grad. Returns the output in the query's layout, and the
    attention weights (N, [H,] L, S) when asked, each its own node over the same forward work."""
    arrays = [s._data for s in sources]
    q = _heads(arrays[roles[0][0]][..., roles[0][1]:roles[0][1] + E], H, batch_first)
    k = _heads(arrays[roles[1][0]][..., roles[1][1]:roles[1][1] + E], H, batch_first)
    v = _heads(arrays[roles[2][0]][..., roles[2][1]:roles[2][1] + E], H, batch_first)
    scale = 1.0 / math.sqrt(E // H)
    qs = q * scale
    P, Pd, keep = _probs(qs, k, masks, causal, safe, p)
    out = np.empty(arrays[roles[0][0]].shape[:-1] + (E,), dtype=qs.dtype)
    out_h = _heads(out, H, batch_first)
    np.matmul(Pd, v, out=out_h)
    parents = tuple(sources) + tuple(t for t, _ in mask_grads)
    n_src = len(sources)

    def grad_buffers():
        bufs = []
        for i, s in enumerate(sources):
            if not s._requires_grad:
                bufs.append(None)
                continue
            covered = sum(E for r in roles if r[0] == i)
            bufs.append((np.empty if covered == arrays[i].shape[-1] else np.zeros)(arrays[i].shape, qs.dtype))
        return bufs

    def target(bufs, role):
        b = bufs[roles[role][0]]
        return None if b is None else _heads(b[..., roles[role][1]:roles[role][1] + E], H, batch_first)

    def q_k_grads(dS, bufs):
        """Mask, key and query gradients from dS."""
        extra = tuple(unbroadcast(dS[..., :shape4[-1]], shape4).reshape(t._data.shape).astype(t._data.dtype)
                      if t._requires_grad else None for t, shape4 in mask_grads)
        tk = target(bufs, 1)
        if tk is not None:
            np.matmul(np.swapaxes(dS, -1, -2), qs, out=tk)
        tq = target(bufs, 0)
        if tq is not None:
            np.matmul(dS, k, out=tq)
            tq *= scale  # L·D work, not L·S
        return tuple(bufs) + extra

    def backward(g):
        bufs = grad_buffers()
        g_h = _heads(g, H, batch_first)
        tv = target(bufs, 2)
        if tv is not None:
            np.matmul(np.swapaxes(Pd, -1, -2), g_h, out=tv)
        if bufs[roles[0][0]] is None and bufs[roles[1][0]] is None and not any(
                t._requires_grad for t, _ in mask_grads):
            return tuple(bufs) + (None,) * len(mask_grads)  # only the values need a gradient
        rowsum = None if keep is not None else np.einsum("...d,...d->...", g_h, out_h)[..., None]
        dS = _dscores(np.matmul(g_h, np.swapaxes(v, -1, -2)), P, keep, p, rowsum)
        return q_k_grads(dS, bufs)
    out_t = make(out, parents, backward, "ViewBackward0", saved=parents, save_output=True)
    if not need_weights:
        return out_t, None

    weights = Pd.mean(axis=1) if average else Pd.copy()  # the backward closures keep Pd as it is

    # The weights do not depend on the values: a values-only source is no parent of theirs (the
    # engine waits for a gradient from every parent edge, so None is not an option).
    used = [i for i in range(n_src) if i in (roles[0][0], roles[1][0])]
    w_parents = tuple(sources[i] for i in used) + tuple(t for t, _ in mask_grads)

    def weights_backward(g):
        bufs = grad_buffers()
        gP = np.broadcast_to((g * (1.0 / H))[:, None], Pd.shape) if average else g
        dS = _dscores(np.array(gP, dtype=qs.dtype), P, keep, p)
        tv = target(bufs, 2)
        if tv is not None and roles[2][0] in used:
            tv[...] = 0
        grads = q_k_grads(dS, bufs)
        return tuple(grads[i] for i in used) + grads[n_src:]
    w_t = make(weights, w_parents, weights_backward, "MeanBackward1" if average else "ViewBackward0",
               saved=w_parents)
    return out_t, w_t


def _canonical_mask(mask, name, other, other_name, dtype, check_other=True):
    """Bool masks stay bool (True = hidden, later -inf); float masks are added. PyTorch's checks."""
    if mask is None:
        return None
    if mask._data.dtype != np.bool_ and mask._data.dtype.kind != "f":
        raise AssertionError(f"only bool and floating types of {name} are supported")
    if check_other and other is not None and other._data.dtype != mask._data.dtype:
        warnings.warn(f"Support for mismatched {name} and {other_name} is deprecated. Use same type for both "
                      "instead.", stacklevel=4)
    return mask


def _shape_check(query, key, value, key_padding_mask, attn_mask, num_heads):
    qd, kd, vd = query._data.ndim, key._data.ndim, value._data.ndim
    if qd == 3:
        if kd != 3 or vd != 3:
            raise AssertionError("For batched (3-D) `query`, expected `key` and `value` to be 3-D but found "
                                 f"{kd}-D and {vd}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask._data.ndim != 2:
            raise AssertionError("For batched (3-D) `query`, expected `key_padding_mask` to be `None` or 2-D but "
                                 f"found {key_padding_mask._data.ndim}-D tensor instead")
        if attn_mask is not None and attn_mask._data.ndim not in (2, 3):
            raise AssertionError("For batched (3-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D but "
                                 f"found {attn_mask._data.ndim}-D tensor instead")
        return True
    if qd == 2:
        if kd != 2 or vd != 2:
            raise AssertionError("For unbatched (2-D) `query`, expected `key` and `value` to be 2-D but found "
                                 f"{kd}-D and {vd}-D tensors respectively")
        if key_padding_mask is not None and key_padding_mask._data.ndim != 1:
            raise AssertionError("For unbatched (2-D) `query`, expected `key_padding_mask` to be `None` or 1-D "
                                 f"but found {key_padding_mask._data.ndim}-D tensor instead")
        if attn_mask is not None:
            if attn_mask._data.ndim not in (2, 3):
                raise AssertionError("For unbatched (2-D) `query`, expected `attn_mask` to be `None`, 2-D or 3-D "
                                     f"but found {attn_mask._data.ndim}-D tensor instead")
            expected = (num_heads, query._data.shape[0], key._data.shape[0])
            if attn_mask._data.ndim == 3 and attn_mask._data.shape != expected:
                raise AssertionError(f"Expected `attn_mask` shape to be {expected} but got "
                                     f"{_size(attn_mask._data.shape)}")
        return False
    raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received {qd}-D query tensor")


def _size(shape):
    from ..tensor import Size
    return Size(shape)


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias,
                                 bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias,
                                 training=True, key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None, k_proj_weight=None,
                                 v_proj_weight=None, static_k=None, static_v=None, average_attn_weights=True,
                                 is_causal=False, *, batch_first=False, _masked_rows_nan=False):
    r"""Multi-head attention (see nn.MultiheadAttention): project q, k, v, attend per head, project out.

    Shape (batch_first=False, PyTorch's functional layout): query (L, N, E) or (L, E); key/value
    (S, N, E_k/E_v) or (S, E_k/E_v); key_padding_mask (N, S) or (S); attn_mask (L, S) or
    (N·num_heads, L, S). Returns (output (L, N, E), weights (N, L, S) / (N, num_heads, L, S) or None).
    `batch_first=True` (lamina's keyword, used by the module) takes and returns (N, L, E)."""
    from .linalg import linear
    from .shape import cat, squeeze, unsqueeze

    batched = _shape_check(query, key, value, key_padding_mask, attn_mask, num_heads)
    if not batched:
        query, key, value = unsqueeze(query, 1), unsqueeze(key, 1), unsqueeze(value, 1)
        if key_padding_mask is not None:
            key_padding_mask = unsqueeze(key_padding_mask, 0)
        batch_first = False
    if batch_first:
        bsz, tgt_len, embed_dim = query._data.shape
        src_len = key._data.shape[1]
    else:
        tgt_len, bsz, embed_dim = query._data.shape
        src_len = key._data.shape[0]
    dtype = query._data.dtype
    key_padding_mask = _canonical_mask(key_padding_mask, "key_padding_mask", attn_mask, "attn_mask", dtype)
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
                           "method `generate_square_subsequent_mask` to create this mask.")
    if is_causal and key_padding_mask is None and not need_weights:
        attn_mask = None  # the causal hint replaces the mask, as in PyTorch
    else:
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", dtype, check_other=False)
        if key_padding_mask is not None:
            is_causal = False
    causal = bool(is_causal) and attn_mask is None
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if static_k is not None or static_v is not None:
        raise NotImplementedError("lamina's multi_head_attention_forward does not support static_k/static_v")
    E = embed_dim

    # ---- in-projection: one GEMM for self-attention, the packed result serves q, k and v
    if not use_separate_proj_weight:
        if key._data.shape != value._data.shape:
            raise AssertionError(f"key shape {_size(key._data.shape)} does not match value shape "
                                 f"{_size(value._data.shape)}")
        if in_proj_weight is None:
            raise AssertionError("use_separate_proj_weight is False but in_proj_weight is None")
        if key is value and query is key:
            sources, roles = [linear(query, in_proj_weight, in_proj_bias)], ((0, 0), (0, E), (0, 2 * E))
        elif key is value:
            bq, bkv = (None, None) if in_proj_bias is None else (in_proj_bias[:E], in_proj_bias[E:])
            sources = [linear(query, in_proj_weight[:E], bq), linear(key, in_proj_weight[E:], bkv)]
            roles = ((0, 0), (1, 0), (1, E))
        else:
            bs = (None,) * 3 if in_proj_bias is None else (in_proj_bias[:E], in_proj_bias[E:2 * E],
                                                           in_proj_bias[2 * E:])
            sources = [linear(x, in_proj_weight[i * E:(i + 1) * E], bs[i]) for i, x in enumerate((query, key, value))]
            roles = ((0, 0), (1, 0), (2, 0))
    else:
        if key._data.shape[:2] != value._data.shape[:2]:
            raise AssertionError(f"key's sequence and batch dims {_size(key._data.shape[:2])} do not match value's "
                                 f"{_size(value._data.shape[:2])}")
        for name, w in (("q", q_proj_weight), ("k", k_proj_weight), ("v", v_proj_weight)):
            if w is None:
                raise AssertionError(f"use_separate_proj_weight is True but {name}_proj_weight is None")
        for w, x, what in ((q_proj_weight, query, "query"), (k_proj_weight, key, "key"), (v_proj_weight, value, "value")):
            if tuple(w._data.shape) != (E, x._data.shape[-1]):
                raise AssertionError(f"expecting {what} weights shape of {(E, x._data.shape[-1])}, but got "
                                     f"{_size(w._data.shape)}")
        bs = (None,) * 3 if in_proj_bias is None else (in_proj_bias[:E], in_proj_bias[E:2 * E], in_proj_bias[2 * E:])
        sources = [linear(x, w, b) for x, w, b in zip((query, key, value), (q_proj_weight, k_proj_weight,
                                                                            v_proj_weight), bs)]
        roles = ((0, 0), (1, 0), (2, 0))

    # ---- masks, as views broadcastable to the (N, H, L, S) scores
    masks, mask_grads = [], []
    if attn_mask is not None:
        am = attn_mask._data
        if am.ndim == 2:
            if am.shape != (tgt_len, src_len):
                raise RuntimeError(f"The shape of the 2D attn_mask is {_size(am.shape)}, but should be "
                                   f"{(tgt_len, src_len)}.")
        elif am.ndim == 3:
            if am.shape != (bsz * num_heads, tgt_len, src_len):
                raise RuntimeError(f"The shape of the 3D attn_mask is {_size(am.shape)}, but should be "
                                   f"{(bsz * num_heads, tgt_len, src_len)}.")
            am = am.reshape(bsz, num_heads, tgt_len, src_len)
        else:
            raise RuntimeError(f"attn_mask's dimension {am.ndim} is not supported")
    kpm = None
    if key_padding_mask is not None:
        kpm = key_padding_mask._data.reshape(key_padding_mask._data.shape[0], 1, 1, -1)

    # ---- extra key/value rows: learned biases, then zeros (the masks get a visible column each)
    S_ax = 1 if batch_first else 0
    extra = []
    if bias_k is not None and bias_v is not None:
        shape = (bsz, 1, E) if batch_first else (1, bsz, E)
        extra.append((bias_k.expand(*shape), bias_v.expand(*shape)))
    elif bias_k is not None or bias_v is not None:
        raise AssertionError("bias_k is set but bias_v is None" if bias_k is not None else
                             "bias_v is set but bias_k is None")
    if add_zero_attn:
        z = wrap(np.zeros((bsz, 1, E) if batch_first else (1, bsz, E), dtype=dtype))
        extra.append((z, z))
    if extra:
        ks = [sources[roles[1][0]] if sources[roles[1][0]]._data.shape[-1] == E else
              sources[roles[1][0]][..., roles[1][1]:roles[1][1] + E]]
        vs = [sources[roles[2][0]] if sources[roles[2][0]]._data.shape[-1] == E else
              sources[roles[2][0]][..., roles[2][1]:roles[2][1] + E]]
        for bk, bv in extra:
            ks.append(bk)
            vs.append(bv)
        sources = [sources[roles[0][0]] if sources[roles[0][0]]._data.shape[-1] == E else
                   sources[roles[0][0]][..., roles[0][1]:roles[0][1] + E], cat(ks, S_ax), cat(vs, S_ax)]
        roles = ((0, 0), (1, 0), (2, 0))

    def pad(m):
        if m is None or not extra:
            return m
        fill = np.zeros(m.shape[:-1] + (len(extra),), dtype=m.dtype)
        return np.concatenate([m, fill], axis=-1)
    src_total = src_len + len(extra)
    if kpm is not None:
        if kpm.shape[0] != bsz:
            raise AssertionError(f"Expected key_padded_mask.shape[0] to be {bsz}, but got {kpm.shape[0]}")
        if kpm.shape[-1] != src_len:
            raise AssertionError(f"Expected key_padded_mask.shape[1] to be {src_total}, but got "
                                 f"{kpm.shape[-1] + len(extra)}")
    for t, m in ((attn_mask, None if attn_mask is None else am), (key_padding_mask, kpm)):
        if t is None:
            continue
        hide = m.dtype == np.bool_
        if not hide and m.dtype != dtype:  # a float mask of another dtype (float64 from NumPy, say)
            q_name, m_name = _DN[np.dtype(dtype).name], _DN[m.dtype.name]
            if need_weights:  # PyTorch adds it to the scores with baddbmm
                raise RuntimeError(f"Input dtypes must be the same, got: input {m_name}, batch1: {q_name}, "
                                   f"batch2: {q_name}")
            if m.dtype != np.float32:  # scaled_dot_product_attention's rule
                raise RuntimeError(f"Expected attn_mask dtype to be bool or float or to match query dtype, but got "
                                   f"attn_mask.dtype: {m_name} and  query.dtype: {q_name} instead.")
        masks.append((pad(m) if hide else pad(m).astype(dtype, copy=False), hide))
        if not hide and t._requires_grad:
            mask_grads.append((t, m.shape))

    if not training:
        dropout_p = 0.0
    # safe: a query whose every key is masked gets zeros (SDPA's rule) unless the weights are
    # returned, or nn.MultiheadAttention is where PyTorch's fused kernel gives NaN there
    out, weights = _attend(sources, roles, E, num_heads, batch_first, masks, mask_grads, causal, float(dropout_p),
                           not (need_weights or _masked_rows_nan), need_weights, average_attn_weights)
    out = linear(out, out_proj_weight, out_proj_bias)
    if not batched:
        out = squeeze(out, 1)
        if weights is not None:
            weights = squeeze(weights, 0)
    return out, weights
