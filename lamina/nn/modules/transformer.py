"""The Transformer of "Attention Is All You Need": encoder and decoder layers, their stacks, and
the full encoder-decoder model. Submodule names match PyTorch's, so state_dicts load both ways."""
import copy

import numpy as np

from ...autograd.grad_mode import _enabled
from ...ops import activation as _act
from ...ops._core import make, wrap
from ...ops.attention import self_attention_inference
from .. import init
from .activation import GELU, ReLU
from .attention import MultiheadAttention
from .container import ModuleList
from .dropout import Dropout
from .linear import Linear
from .module import Module
from .normalization import LayerNorm

__all__ = ["Transformer", "TransformerEncoder", "TransformerDecoder", "TransformerEncoderLayer",
           "TransformerDecoderLayer"]


def _generate_square_subsequent_mask(sz, device=None, dtype=None):
    from ... import _dtype
    dt = _dtype.to_dtype(dtype).np if dtype is not None else _dtype.get_default_dtype().np
    return wrap(np.triu(np.full((sz, sz), float("-inf"), dtype=dt), 1))


def _get_activation_fn(activation):
    if activation == "relu":
        return _act.relu
    if activation == "gelu":
        return _act.gelu
    raise RuntimeError(f"activation should be relu/gelu, not {activation}")


def _float_mask(mask, name, other, other_name, dtype, check_other=True):
    """PyTorch's canonical form: a bool mask becomes 0 / -inf of the input's dtype."""
    from ...ops.attention import _canonical_mask
    mask = _canonical_mask(mask, name, other, other_name, dtype, check_other)
    if mask is None or mask._data.dtype != np.bool_:
        return mask
    out = np.zeros(mask._data.shape, dtype=dtype)
    out[mask._data] = float("-inf")
    return wrap(out)


def _seq_len(src, batch_first):
    shape = src._data.shape
    return shape[0] if len(shape) == 2 else shape[1 if batch_first else 0]


def _detect_is_causal_mask(mask, is_causal=None, size=None):
    """is_causal as given, or — when None — whether `mask` is exactly the causal -inf mask."""
    if is_causal is None and mask is not None:
        sz = size if size is not None else mask._data.shape[-2]
        causal = np.triu(np.full((sz, sz), float("-inf"), dtype=mask._data.dtype), 1)
        return mask._data.shape == causal.shape and bool((mask._data == causal).all())
    return is_causal is True


class Transformer(Module):
    r"""An encoder-decoder Transformer: the encoder reads `src`, the decoder reads `tgt` and
    attends to the encoder's output (memory).

    Args:
        d_model: features per token. Default: 512
        nhead: attention heads. Default: 8
        num_encoder_layers, num_decoder_layers: depth of each stack. Default: 6
        dim_feedforward: width of the feed-forward block. Default: 2048
        dropout: dropout probability. Default: 0.1
        activation: "relu", "gelu" or a callable. Default: relu
        custom_encoder, custom_decoder: modules used instead of the default stacks
        layer_norm_eps: LayerNorm eps. Default: 1e-5
        batch_first: (N, S, E) instead of (S, N, E). Default: False
        norm_first: LayerNorm before each block (pre-norm) instead of after. Default: False
        bias: biases in the Linear and LayerNorm layers. Default: True

    Shape:
        src (S, E) / (S, N, E) / (N, S, E); tgt (T, E) / (T, N, E) / (N, T, E); output like tgt.
        src_mask (S, S) or (N·nhead, S, S); tgt_mask (T, T) or (N·nhead, T, T); memory_mask (T, S);
        *_key_padding_mask (N, S) or (N, T). Bool masks hide True positions; float ones are added.

    Every weight matrix (dim > 1) is re-initialised with xavier_uniform_, as PyTorch does.
    """

    def __init__(self, d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6, dim_feedforward=2048,
                 dropout=0.1, activation=_act.relu, custom_encoder=None, custom_decoder=None, layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        super().__init__()
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            layer = TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                                            batch_first, norm_first, bias, dtype=dtype)
            norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
            self.encoder = TransformerEncoder(layer, num_encoder_layers, norm)
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            layer = TransformerDecoderLayer(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                                            batch_first, norm_first, bias, dtype=dtype)
            norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
            self.decoder = TransformerDecoder(layer, num_decoder_layers, norm)
        self._reset_parameters()
        self.d_model = d_model
        self.nhead = nhead
        self.batch_first = batch_first

    def forward(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None, src_key_padding_mask=None,
                tgt_key_padding_mask=None, memory_key_padding_mask=None, src_is_causal=None, tgt_is_causal=None,
                memory_is_causal=False):
        batched = src.dim() == 3
        if batched and src.size(0 if self.batch_first else 1) != tgt.size(0 if self.batch_first else 1):
            raise RuntimeError("the batch number of src and tgt must be equal")
        if src.size(-1) != self.d_model or tgt.size(-1) != self.d_model:
            raise RuntimeError("the feature number of src and tgt must be equal to d_model")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask, tgt_is_causal=tgt_is_causal,
                            memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz, device=None, dtype=None):
        """(sz, sz) float mask: 0 on and below the diagonal, -inf above (each position sees the past)."""
        return _generate_square_subsequent_mask(sz, device, dtype)

    def _reset_parameters(self):
        for p in self.parameters():
            if p.dim() > 1:
                init.xavier_uniform_(p)


class TransformerEncoder(Module):
    r"""A stack of `num_layers` deep copies of `encoder_layer`, then an optional `norm`.

    Args:
        encoder_layer: a TransformerEncoderLayer (copied, not shared)
        num_layers: how many copies
        norm: applied to the last layer's output (optional)
        enable_nested_tensor, mask_check: accepted for compatibility; lamina has no nested tensors.

    Shape: src as the layer takes it; mask (S, S) or (N·nhead, S, S); src_key_padding_mask (N, S).
    """

    def __init__(self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True, mask_check=True):
        super().__init__()
        self.layers = ModuleList([copy.deepcopy(encoder_layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm
        self.enable_nested_tensor = enable_nested_tensor
        self.use_nested_tensor = False  # PyTorch's inference fast path; never taken in lamina
        self.mask_check = mask_check

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        dtype = src._data.dtype
        src_key_padding_mask = _float_mask(src_key_padding_mask, "src_key_padding_mask", mask, "mask", dtype)
        mask = _float_mask(mask, "mask", None, "", dtype, check_other=False)
        batch_first = self.layers[0].self_attn.batch_first
        is_causal = _detect_is_causal_mask(mask, is_causal, _seq_len(src, batch_first))
        output = src
        for mod in self.layers:
            output = mod(output, src_mask=mask, is_causal=is_causal, src_key_padding_mask=src_key_padding_mask)
        if self.norm is not None:
            output = self.norm(output)
        return output


class TransformerDecoder(Module):
    r"""A stack of `num_layers` deep copies of `decoder_layer`, then an optional `norm`.

    Shape: tgt (T, N, E) / (N, T, E) / (T, E); memory the encoder's output; tgt_mask (T, T);
    memory_mask (T, S); tgt_key_padding_mask (N, T); memory_key_padding_mask (N, S).
    """

    def __init__(self, decoder_layer, num_layers, norm=None):
        super().__init__()
        self.layers = ModuleList([copy.deepcopy(decoder_layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False):
        output = tgt
        seq_len = _seq_len(tgt, self.layers[0].self_attn.batch_first)
        tgt_is_causal = _detect_is_causal_mask(tgt_mask, tgt_is_causal, seq_len)
        for mod in self.layers:
            output = mod(output, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                         tgt_key_padding_mask=tgt_key_padding_mask, memory_key_padding_mask=memory_key_padding_mask,
                         tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)
        if self.norm is not None:
            output = self.norm(output)
        return output


def _activation(activation):
    return _get_activation_fn(activation) if isinstance(activation, str) else activation


# ---- residual add and LayerNorm as one node ---------------------------------------------------
def _add_norm(norm, x, residual=None):
    """norm(x + residual), or norm(x) without a residual: one node when `norm` is a plain
    LayerNorm over the last dimension (the layer-by-layer path otherwise, and for its errors)."""
    if type(norm) is LayerNorm and not _hooked(norm):
        d = x._data
        params = [t for t in (norm.weight, norm.bias) if t is not None]
        if (d.ndim and norm.normalized_shape == d.shape[-1:] and d.dtype.kind == "f"
                and all(t._data.dtype == d.dtype for t in params)
                and (residual is None or (residual._data.shape == d.shape and residual._data.dtype == d.dtype))):
            return _residual_layer_norm(x, residual, norm.weight, norm.bias, norm.eps)
    return norm(x if residual is None else x + residual)


def _residual_layer_norm(input, residual, weight, bias, eps):
    r"""layer_norm(input + residual) over the last dimension, with its backward:
    x̂ = (a − mean)·σ⁻¹, y = x̂·w + b;  dx = σ⁻¹·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) with ĝ = dy·w,
    the same dx for input and residual. Row sums are BLAS products with a ones vector (NumPy's
    reductions along short rows are several times slower)."""
    x = input._data
    E = x.shape[-1]
    src = x.reshape(-1, E)
    if residual is not None:
        xhat = src = src + residual._data.reshape(-1, E)  # a fresh array: centred and scaled in place
    else:
        xhat = np.empty_like(src)
    ones = np.ones(E, dtype=x.dtype)
    mean = src @ ones
    mean *= 1.0 / E
    np.subtract(src, mean[:, None], out=xhat)
    invstd = np.einsum("ij,ij->i", xhat, xhat)
    invstd *= 1.0 / E
    invstd += eps
    np.sqrt(invstd, out=invstd)
    np.reciprocal(invstd, out=invstd)
    xhat *= invstd[:, None]
    w = None if weight is None else weight._data
    out = xhat * w if w is not None else xhat.copy()
    if bias is not None:
        out += bias._data

    def backward(g):
        g2 = g.reshape(-1, E)
        gw = np.einsum("ij,ij->j", g2, xhat) if weight is not None and weight._requires_grad else None
        gb = np.ones(len(g2), dtype=g2.dtype) @ g2 if bias is not None and bias._requires_grad else None
        gx = None
        if input._requires_grad or (residual is not None and residual._requires_grad):
            gh = g2 * w if w is not None else g2.copy()
            m1 = gh @ ones
            m1 *= 1.0 / E
            m2 = np.einsum("ij,ij->i", gh, xhat)
            m2 *= 1.0 / E
            gh -= m1[:, None]
            gh -= xhat * m2[:, None]
            gh *= invstd[:, None]
            gx = gh.reshape(x.shape)
        grads = (gx,) if residual is None else (gx, gx)
        return grads + tuple(gr for gr, t in ((gw, weight), (gb, bias)) if t is not None)
    parents = tuple(t for t in (input, residual, weight, bias) if t is not None)
    return make(out.reshape(x.shape), parents, backward, "NativeLayerNormBackward0",
                saved=() if weight is None else (weight,))


# ---- the feed-forward block with ReLU as one node ------------------------------------------------
def _relu_ff_fusable(layer):
    """linear2(relu(linear1(x))) may run as one node: ReLU, plain Linear layers, the dropout
    between them inactive, and no hooks that would miss their calls."""
    mods = layer._modules
    l1, l2, drop, act = mods.get("linear1"), mods.get("linear2"), mods.get("dropout"), layer.activation
    return ((act is _act.relu or (isinstance(act, ReLU) and not _hooked(act)))
            and type(l1) is Linear and type(l2) is Linear and type(drop) is Dropout
            and (not drop.training or drop.p == 0.0) and not (_hooked(l1) or _hooked(l2) or _hooked(drop)))


def _relu_feed_forward(input, w1, b1, w2, b2):
    """linear2(relu(linear1(x))) as one node: the hidden layer is rectified in place and its
    gradient masked in place (three nodes would allocate the ReLU's output and its gradient)."""
    x, W1, W2 = input._data, w1._data, w2._data
    if x.ndim == 0 or x.shape[-1] != W1.shape[1] or W2.shape[1] != W1.shape[0] or not x.dtype == W1.dtype == W2.dtype:
        return None  # the layer-by-layer path raises the error
    x2 = x.reshape(-1, x.shape[-1])
    h = x2 @ W1.T
    if b1 is not None:
        h += b1._data
    np.maximum(h, np.zeros(h.shape[1], h.dtype), out=h)  # a row of zeros: NumPy's scalar loop is slower
    out = h @ W2.T
    if b2 is not None:
        out += b2._data
    out = out.reshape(x.shape[:-1] + (W2.shape[0],))

    def backward(g):
        g2 = g.reshape(-1, g.shape[-1])
        ones = np.ones(len(g2), dtype=g2.dtype)  # bias gradients as BLAS products: column sums
        gw2 = g2.T @ h if w2._requires_grad else None
        gb2 = ones @ g2 if b2 is not None and b2._requires_grad else None
        gx = gw1 = gb1 = None
        if input._requires_grad or w1._requires_grad or (b1 is not None and b1._requires_grad):
            gh = g2 @ W2
            np.multiply(gh, h > 0, out=gh)  # ReLU's gradient, 0 at 0 as in PyTorch
            gw1 = gh.T @ x2 if w1._requires_grad else None
            gb1 = ones @ gh if b1 is not None and b1._requires_grad else None
            gx = (gh @ W1).reshape(x.shape) if input._requires_grad else None
        return tuple(gr for gr, t in ((gx, input), (gw1, w1), (gb1, b1), (gw2, w2), (gb2, b2)) if t is not None)
    parents = tuple(t for t in (input, w1, b1, w2, b2) if t is not None)
    name = ("AddmmBackward0" if b2 is not None else "MmBackward0") if x.ndim == 2 else "ViewBackward0"
    return make(out, parents, backward, name, saved=(input, w1, w2))


# ---- the encoder layer's fused inference path ----------------------------------------------------
def _hooked(module):
    """Whether `module` or a submodule has a forward (pre-)hook: those must see their calls."""
    stack = [module]
    while stack:
        m = stack.pop()
        if m is not None:
            if m._forward_hooks or m._forward_pre_hooks:
                return True
            stack += m._modules.values()
    return False


def _fused_weights(layer, src, src_mask, key_padding_mask, is_causal):
    """The arrays of the layer's 12 weights when it may run fused, else None.

    The conditions are PyTorch's for its fast path (torch._transformer_encoder_layer_fwd), then
    what the fused code assumes; any other call takes the layer-by-layer path, which also raises
    the errors for bad input. Submodules and parameters are read from the Module's dicts: each
    attribute access would go through Module.__getattr__, and this runs on every call."""
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
    if _enabled[0] and (src._requires_grad or any(t is not None and t._requires_grad for t in tensors)):
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
    """LayerNorm over the rows of 2-D `a`, written into `out` (which may be `a`). The row sums are
    BLAS products with a ones vector: NumPy's reductions along short rows are several times slower."""
    E = a.shape[1]
    mean = a @ np.ones(E, dtype=a.dtype)
    mean *= 1.0 / E
    np.subtract(a, mean[:, None], out=out)
    var = np.einsum("ij,ij->i", out, out)
    var *= 1.0 / E
    var += eps
    np.sqrt(var, out=var)
    out *= np.reciprocal(var, out=var)[:, None]  # a multiply is cheaper than a divide on every element
    if w is not None:
        out *= w
    if b is not None:
        out += b
    return out


def _feed_forward(y, w1, b1, w2, b2, act):
    """linear2(act(linear1(y))) on rows. With ReLU, linear1's bias b1 goes past it:
    relu(h + b1) = max(h, -b1) + b1, and the "+ b1" becomes w2·b1 in linear2's bias — one pass over
    the wide hidden layer instead of two."""
    h = y @ w1.T
    if act is _act.relu or isinstance(act, ReLU):
        # against a row, even of zeros: NumPy's loop for a broadcast scalar is 2.5x slower here
        np.maximum(h, np.zeros(h.shape[1], h.dtype) if b1 is None else -b1, out=h)
        if b1 is not None:
            b2 = w2 @ b1 if b2 is None else b2 + w2 @ b1
    else:
        if b1 is not None:
            h += b1
        h = act(wrap(h))._data
    out = h @ w2.T
    if b2 is not None:
        out += b2
    return out


def _encoder_layer_inference(layer, x, weights, src_mask, key_padding_mask):
    """The encoder layer on arrays with no graph (dropout is off in eval): one GEMM per projection,
    residual adds and layer norms in place on buffers this function owns."""
    w_in, b_in, w_out, b_out, g1, c1, g2, c2, w1, b1, w2, b2 = weights
    N, L, E = x.shape
    H, eps, act = layer._modules["self_attn"].num_heads, layer._modules["norm1"].eps, layer.activation
    masks = _score_masks(src_mask, key_padding_mask, N, H, L, x.dtype)
    x2 = x.reshape(N * L, E)
    if layer.norm_first:
        y = self_attention_inference(_layer_norm_rows(x2, np.empty_like(x2), g1, c1, eps), N, L, H, w_in, b_in,
                                     w_out, b_out, masks)
        y += x2
        out = _feed_forward(_layer_norm_rows(y, np.empty_like(y), g2, c2, eps), w1, b1, w2, b2, act)
        out += y
    else:
        y = self_attention_inference(x2, N, L, H, w_in, b_in, w_out, b_out, masks)
        y += x2
        y = _layer_norm_rows(y, y, g1, c1, eps)
        out = _feed_forward(y, w1, b1, w2, b2, act)
        out += y
        out = _layer_norm_rows(out, out, g2, c2, eps)
    return wrap(out.reshape(N, L, E))


class TransformerEncoderLayer(Module):
    r"""Self-attention then a feed-forward block, each with a residual connection and LayerNorm:

    post-norm (default): x = norm1(x + SA(x)); x = norm2(x + FF(x))
    pre-norm (norm_first): x = x + SA(norm1(x)); x = x + FF(norm2(x))
    with FF(x) = linear2(dropout(activation(linear1(x)))).

    Args:
        d_model: features per token; nhead: attention heads
        dim_feedforward: width of FF. Default: 2048
        dropout: Default: 0.1; activation: "relu", "gelu" or a callable. Default: relu
        layer_norm_eps: Default: 1e-5; batch_first: Default: False; norm_first: Default: False
        bias: biases in Linear and LayerNorm. Default: True

    Shape: src (S, E), (S, N, E) or (N, S, E) with batch_first; output the same.

    Inference (eval mode, no gradient needed, batched batch_first input, biases, an even number of
    heads, ReLU or GELU, no forward hooks — PyTorch's fast-path conditions) runs fused on arrays;
    otherwise residual + LayerNorm and the ReLU feed-forward block are single graph nodes.
    """

    __constants__ = ["norm_first"]

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation=_act.relu, layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first,
                                            dtype=dtype)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        activation = _activation(activation)
        if activation is _act.relu or isinstance(activation, ReLU):
            self.activation_relu_or_gelu = 1
        elif activation is _act.gelu or isinstance(activation, GELU):
            self.activation_relu_or_gelu = 2
        else:
            self.activation_relu_or_gelu = 0
        self.activation = activation

    def __setstate__(self, state):
        super().__setstate__(state)
        if not hasattr(self, "activation"):
            self.activation = _act.relu

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        dtype = src._data.dtype
        src_key_padding_mask = _float_mask(src_key_padding_mask, "src_key_padding_mask", src_mask, "src_mask", dtype)
        src_mask = _float_mask(src_mask, "src_mask", None, "", dtype, check_other=False)
        weights = _fused_weights(self, src, src_mask, src_key_padding_mask, is_causal)
        if weights is not None:
            return _encoder_layer_inference(self, src._data, weights, src_mask, src_key_padding_mask)
        x = src
        if self.norm_first:
            x = x + self._sa_block(_add_norm(self.norm1, x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(_add_norm(self.norm2, x))
        else:
            x = _add_norm(self.norm1, x, self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = _add_norm(self.norm2, x, self._ff_block(x))
        return x

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal=False):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask, need_weights=False,
                           is_causal=is_causal)[0]
        return self.dropout1(x)

    def _ff_block(self, x):
        if _relu_ff_fusable(self):
            l1, l2 = self.linear1, self.linear2
            out = _relu_feed_forward(x, l1.weight, l1.bias, l2.weight, l2.bias)
            if out is not None:
                return self.dropout2(out)
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))


class TransformerDecoderLayer(Module):
    r"""Self-attention, attention over the encoder's output (memory), then a feed-forward block,
    each with a residual connection and LayerNorm (after the block, or before with norm_first):

    post-norm: x = norm1(x + SA(x)); x = norm2(x + MHA(x, mem)); x = norm3(x + FF(x))

    Args: as TransformerEncoderLayer.

    Shape: tgt (T, E), (T, N, E) or (N, T, E); memory (S, E), (S, N, E) or (N, S, E); output like tgt.
    """

    __constants__ = ["norm_first"]

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation=_act.relu, layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        super().__init__()
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=batch_first, bias=bias,
                                            dtype=dtype)
        self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=batch_first, bias=bias,
                                                 dtype=dtype)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm3 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.dropout3 = Dropout(dropout)
        self.activation = _activation(activation)

    def __setstate__(self, state):
        state.setdefault("activation", _act.relu)
        super().__setstate__(state)

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False):
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(_add_norm(self.norm1, x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(_add_norm(self.norm2, x), memory, memory_mask, memory_key_padding_mask,
                                    memory_is_causal)
            x = x + self._ff_block(_add_norm(self.norm3, x))
        else:
            x = _add_norm(self.norm1, x, self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
            x = _add_norm(self.norm2, x, self._mha_block(x, memory, memory_mask, memory_key_padding_mask,
                                                         memory_is_causal))
            x = _add_norm(self.norm3, x, self._ff_block(x))
        return x

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal=False):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask, is_causal=is_causal,
                           need_weights=False)[0]
        return self.dropout1(x)

    def _mha_block(self, x, mem, attn_mask, key_padding_mask, is_causal=False):
        x = self.multihead_attn(x, mem, mem, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                                is_causal=is_causal, need_weights=False)[0]
        return self.dropout2(x)

    def _ff_block(self, x):
        if _relu_ff_fusable(self):
            l1, l2 = self.linear1, self.linear2
            out = _relu_feed_forward(x, l1.weight, l1.bias, l2.weight, l2.bias)
            if out is not None:
                return self.dropout3(out)
        return self.dropout3(self.linear2(self.dropout(self.activation(self.linear1(x)))))
