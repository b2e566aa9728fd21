r"""TransformerEncoderLayer's inference fast path: the whole layer on arrays, with no graph.

PyTorch runs a fused kernel (torch._transformer_encoder_layer_fwd) under these conditions, and so
does lamina (_fused_weights checks them, in PyTorch's order): a batched 3-D input; eval mode;
self_attn with batch_first, an in-projection bias (bias=True) and query, key and value of one
size; ReLU or GELU as the activation; norm1.eps == norm2.eps; an even number of heads; no forward
(pre-)hooks on the layer or its submodules; and no gradient needed (grad mode off, or no input
or weight requires grad). lamina adds its own: plain LayerNorm/Linear submodules over the last
dimension, one dtype throughout, and masks of the shapes the layer-by-layer path accepts. Any
other call takes that path (which also raises the errors for bad input).

What it saves: one GEMM per projection, the attention scale folded into the in-projection's
query rows, the softmax's division done on the (N, L, E) attention output instead of the
(N, H, L, L) weights, residual adds and layer norms in place on buffers it owns, a LayerNorm bias
that only feeds linear maps folded into their biases (_fold), ReLU's bias folded past it into
linear2's bias (_feed_forward), and row-vector passes over grouped rows (ops._core.rows_apply)."""
import math

import numpy as np

from ..._accel import float32_kernels
from ...autograd.grad_mode import _mode
from ...ops import activation as _act
from ...ops._attention_softmax import _exp_weights
from ...ops._core import rows_apply, wrap
from ...ops.attention import _heads
from ._transformer_nodes import _hooked, _standardize_rows
from .activation import ReLU
from .attention import MultiheadAttention
from .linear import Linear
from .normalization import LayerNorm


def _fused_weights(layer, src, src_mask, key_padding_mask, is_causal):
    """The arrays of the layer's 12 weights when it may run fused, else None.

    The conditions are PyTorch's for its fast path, then what the fused code assumes.
    Submodules and parameters are read from the Module's dicts: each attribute access would go
    through Module.__getattr__, and this runs on every call."""
    mods = layer._modules
    sa, n1, n2, l1, l2 = (mods.get(k) for k in ("self_attn", "norm1", "norm2", "linear1", "linear2"))
    x = src._data
    if (layer.training or x.ndim != 3 or not isinstance(sa, MultiheadAttention) or not sa.batch_first
            or not sa._qkv_same_embed_dim or not layer.activation_relu_or_gelu or sa.num_heads % 2
            or not (isinstance(n1, LayerNorm) and isinstance(n2, LayerNorm)) or n1.eps != n2.eps
            or not (isinstance(l1, Linear) and isinstance(l2, Linear))):
        return None
    ap, op = sa._parameters, sa._modules["out_proj"]._parameters
    tensors = (ap["in_proj_weight"], ap["in_proj_bias"], op["weight"], op.get("bias"),
               n1._parameters.get("weight"), n1._parameters.get("bias"),
               n2._parameters.get("weight"), n2._parameters.get("bias"),
               l1._parameters["weight"], l1._parameters.get("bias"), l2._parameters["weight"],
               l2._parameters.get("bias"))
    if tensors[1] is None or _hooked(layer):
        return None
    if _mode.grad and (src._requires_grad or any(t is not None and t._requires_grad for t in tensors)):
        return None
    # lamina's own conditions: shapes and dtypes the layer-by-layer path accepts, masks it can add
    N, L, E = x.shape
    if E != sa.embed_dim or n1.normalized_shape != (E,) or n2.normalized_shape != (E,):
        return None
    arrays = tuple(None if t is None else t._data for t in tensors)
    if any(a is not None and a.dtype != x.dtype for a in arrays):
        return None
    if is_causal and src_mask is None:
        return None  # the layer-by-layer path raises: the causal hint needs the mask
    if src_mask is not None and src_mask._data.shape not in ((L, L), (N * sa.num_heads, L, L)):
        return None
    if key_padding_mask is not None and key_padding_mask._data.shape != (N, L):
        return None
    return arrays


def _encoder_layer_inference(layer, x, weights, src_mask, key_padding_mask):
    """The encoder layer on arrays with no graph (dropout is off in eval): one GEMM per projection,
    residual adds and layer norms in place on buffers this function owns. A LayerNorm's bias that
    feeds only linear maps is not added to its rows but folded into the next biases (_fold)."""
    w_in, b_in, w_out, b_out, g1, c1, g2, c2, w1, b1, w2, b2 = weights
    N, L, E = x.shape
    H, eps, act = layer._modules["self_attn"].num_heads, layer._modules["norm1"].eps, layer.activation
    masks = _score_masks(src_mask, key_padding_mask, N, H, L, x.dtype)
    x2 = x.reshape(N * L, E)
    if layer.norm_first:
        # norm1's output feeds only the in-projection (its weight g1 goes into the projection's
        # columns, its bias c1 into the projection's bias), norm2's only linear1
        xhat = np.empty_like(x2)
        _standardize_rows(x2, xhat, eps)
        y = self_attention_inference(xhat, N, L, H, w_in, _fold(b_in, w_in, c1), w_out, b_out, masks, g1)
        y += x2
        out = _feed_forward(_layer_norm_rows(y, np.empty_like(y), g2, None, eps), w1, _fold(b1, w1, c2), w2, b2,
                            act)
        out += y
    else:
        y = self_attention_inference(x2, N, L, H, w_in, b_in, w_out, b_out, masks)
        y += x2
        # y without norm1's bias c1: linear1 gets it as w1·c1 in its bias, the residual in linear2's
        y = _layer_norm_rows(y, y, g1, None, eps)
        out = _feed_forward(y, w1, _fold(b1, w1, c1), w2, _fold(b2, None, c1), act)
        out += y
        out = _layer_norm_rows(out, out, g2, c2, eps)
    return wrap(out.reshape(N, L, E))


def _fold(b, w, c):
    """The bias b (or None) plus what the vector c (or None) contributes through w: b + w·c,
    or b + c without w."""
    if c is None:
        return b
    c = c if w is None else w @ c
    return c if b is None else b + c


def _score_masks(src_mask, key_padding_mask, N, H, L, dtype):
    """The float masks as views broadcastable to the (N, H, L, L) scores."""
    masks = []
    if src_mask is not None:
        m = src_mask._data.astype(dtype, copy=False)
        masks.append(m if m.ndim == 2 else m.reshape(N, H, L, L))
    if key_padding_mask is not None:
        masks.append(key_padding_mask._data.astype(dtype, copy=False).reshape(N, 1, 1, L))
    return masks


def _layer_norm_rows(a, out, w, b, eps):
    """LayerNorm over the rows of 2-D `a`, written into `out` (which may be `a`). Contiguous
    float32 rows take one compiled pass per row (lamina/_accel) instead of six NumPy passes."""
    fused = float32_kernels(out, w, b)
    if fused is not None:
        if out is not a:
            np.copyto(out, a)
        fused.layer_norm_rows_(out, w, b, out.dtype.type(eps))
        return out
    _standardize_rows(a, out, eps)
    if w is not None:
        rows_apply(np.multiply, out, w, out=out)
    if b is not None:
        rows_apply(np.add, out, b, out=out)
    return out


def _feed_forward(y, w1, b1, w2, b2, act):
    """linear2(act(linear1(y))) on rows. With ReLU, linear1's bias b1 goes past it:
    relu(h + b1) = max(h, -b1) + b1, and the "+ b1" becomes w2·b1 in linear2's bias — one pass over
    the wide hidden layer instead of two."""
    h = y @ w1.T
    if act is _act.relu or isinstance(act, ReLU):
        # against a row, even of zeros: NumPy's loop for a broadcast scalar is 2.5x slower here
        rows_apply(np.maximum, h, np.zeros(h.shape[1], h.dtype) if b1 is None else -b1, out=h)
        if b1 is not None:
            b2 = w2 @ b1 if b2 is None else b2 + w2 @ b1
    else:
        if b1 is not None:
            h += b1
        h = act(wrap(h))._data
    out = h @ w2.T
    if b2 is not None:
        rows_apply(np.add, out, b2, out=out)
    return out


def self_attention_inference(x2, N, L, H, w_in, b_in, w_out, b_out, masks=(), gamma=None):
    """Multi-head self-attention of (N·L, E) rows (batch-major), in-projection to out-projection,
    for inference: no graph, few passes over memory. Returns a fresh (N·L, E) array.

    masks: float arrays broadcastable to the (N, H, L, L) scores, added to them; a query whose
    every key is -inf gets NaN, as from PyTorch's fused kernel (its training path gives zeros).
    gamma: a row vector (a LayerNorm's weight) the rows of x2 are taken as multiplied by: it
    scales the in-projection's columns, in the copy of the weight the attention scale needs
    anyway, instead of a pass over x2.

    The sums of the exponentials over the keys are a BLAS product with a ones vector, and the
    exponentials are not divided by them: the (N, L, E) product with v is, half their size.
    (Scores laid out (queries, keys) take less time in both batched products than transposed.)"""
    E = x2.shape[1]
    D = E // H
    scale = 1.0 / math.sqrt(D)
    w = np.empty_like(w_in)  # the scale goes into the query rows: E·E work instead of N·L·E
    if gamma is None:
        np.multiply(w_in[:E], scale, out=w[:E])
        w[E:] = w_in[E:]
    else:
        np.multiply(w_in, gamma, out=w)
        w[:E] *= scale
    qkv = x2 @ w.T
    # The whole bias in one pass: no slower than adding its query part alone (NumPy walks that as
    # short strided rows).
    b = b_in.copy()
    b[:E] *= scale
    rows_apply(np.add, qkv, b, out=qkv)
    q, k, v = qkv.reshape(N, L, 3, H, D).transpose(2, 0, 3, 1, 4)  # (N, H, L, D) views, no copy
    e, r, _ = _exp_weights(lambda: _scores(q, k, masks), -1, bool(masks), False)
    out = np.empty((N, L, E), dtype=qkv.dtype)
    np.matmul(e, v, out=_heads(out, H, True))
    if r is not None:  # each query's output of each head by its 1/sum
        o = out.reshape(N, L, H, D)
        np.multiply(o, r.transpose(0, 2, 1)[..., None], out=o)
    a = out.reshape(N * L, E) @ w_out.T
    if b_out is not None:
        rows_apply(np.add, a, b_out, out=a)
    return a


def _scores(q, k, masks):
    """(N, H, queries, keys) scores q kᵀ plus the masks."""
    s = np.matmul(q, np.swapaxes(k, -1, -2))
    for m in masks:
        s += m
    return s
