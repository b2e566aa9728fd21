"""The Transformer of "Attention Is All You Need": encoder and decoder layers, their stacks, and
the full encoder-decoder model. Submodule names match PyTorch's, so state_dicts load both ways.

The layers' fused code lives beside this file: _transformer_fast_path.py (the encoder layer's
inference fast path, on arrays) and _transformer_nodes.py (residual + LayerNorm and the ReLU
feed-forward block, each as one autograd node)."""
import copy
import warnings

import numpy as np

from ...ops import activation as _act
from ...ops._attention_softmax import _additive
from ...ops._core import wrap
from ...ops.attention import _canonical_mask
from .. import init
from ._transformer_fast_path import _encoder_layer_inference, _fused_weights
from ._transformer_nodes import _add_norm, _layer_feed_forward
from .activation import GELU, ReLU
from .attention import MultiheadAttention
from .container import ModuleList
from .dropout import Dropout
from .linear import Linear
from .module import Module
from .normalization import LayerNorm

__all__ = ["Transformer", "TransformerEncoder", "TransformerDecoder", "TransformerEncoderLayer",
           "TransformerDecoderLayer"]


def _causal_float_mask(sz, dtype):
    """(sz, sz) array: 0 on and below the diagonal, -inf above (True above for bool)."""
    return np.triu(np.full((sz, sz), float("-inf"), dtype=dtype), 1)


def _generate_square_subsequent_mask(sz, device=None, dtype=None):
    from ... import _dtype
    dt = _dtype.to_dtype(dtype).np if dtype is not None else _dtype.get_default_dtype().np
    return wrap(_causal_float_mask(sz, dt))


def _get_activation_fn(activation):
    if activation == "relu":
        return _act.relu
    if activation == "gelu":
        return _act.gelu
    raise RuntimeError(f"activation should be relu/gelu, not {activation}")


def _float_mask(mask, name, other, other_name, dtype, check_other=True):
    """PyTorch's canonical form: a bool mask becomes 0 / -inf of the input's dtype."""
    mask = _canonical_mask(mask, name, other, other_name, dtype, check_other)
    if mask is None or mask._data.dtype != np.bool_:
        return mask
    return wrap(_additive(mask._data, dtype))


def _seq_len(src, batch_first):
    shape = src._data.shape
    return shape[0] if len(shape) == 2 else shape[1 if batch_first else 0]


def _detect_is_causal_mask(mask, is_causal=None, size=None):
    """is_causal as given, or — when None — whether `mask` is exactly the causal -inf mask."""
    if is_causal is None and mask is not None:
        sz = size if size is not None else mask._data.shape[-2]
        causal = _causal_float_mask(sz, mask._data.dtype)
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
        enable_nested_tensor: PyTorch's sparsity fast path. In eval, without gradients, with a
            src_key_padding_mask that pads only at the ends of the sequences (checked unless
            mask_check=False) and no mask, PyTorch runs the layers on nested tensors and pads the
            result with zeros: lamina gives the same output (the masked computation, then zeros
            at the padded positions). As in PyTorch, it is off, with a warning saying why, for
            layers it cannot serve (batch_first=False, norm_first, odd nhead, ...).

    Shape: src as the layer takes it; mask (S, S) or (N·nhead, S, S); src_key_padding_mask (N, S).
    """

    def __init__(self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True, mask_check=True):
        super().__init__()
        self.layers = ModuleList([copy.deepcopy(encoder_layer) for _ in range(num_layers)])
        self.num_layers = num_layers
        self.norm = norm
        self.enable_nested_tensor = enable_nested_tensor
        self.use_nested_tensor = enable_nested_tensor
        self.mask_check = mask_check
        why_not = _why_not_nested(encoder_layer)
        if enable_nested_tensor and why_not:
            warnings.warn(f"enable_nested_tensor is True, but self.use_nested_tensor is False because {why_not}",
                          stacklevel=2)
            self.use_nested_tensor = False

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        dtype = src._data.dtype
        src_key_padding_mask = _float_mask(src_key_padding_mask, "src_key_padding_mask", mask, "mask", dtype)
        mask = _float_mask(mask, "mask", None, "", dtype, check_other=False)
        batch_first = self.layers[0].self_attn.batch_first
        is_causal = _detect_is_causal_mask(mask, is_causal, _seq_len(src, batch_first))
        keep = self._nested_rows(src, mask, src_key_padding_mask)
        output = src
        for mod in self.layers:
            output = mod(output, src_mask=mask, is_causal=is_causal, src_key_padding_mask=src_key_padding_mask)
        if keep is not None:  # PyTorch's nested tensors come back padded with zeros
            output = wrap(np.where(keep[..., None], output._data, output._data.dtype.type(0)))
        if self.norm is not None:
            output = self.norm(output)
        return output


    def _nested_rows(self, src, mask, key_padding_mask):
        """(N, S) True at the real tokens when PyTorch would run the stack on nested tensors
        (its conditions, in its order), else None."""
        from ...backends import mha
        from ...autograd.grad_mode import _mode
        first = self.layers[0]
        if (not mha.get_fastpath_enabled() or not getattr(self, "use_nested_tensor", False) or first.training
                or src._data.ndim != 3 or key_padding_mask is None or mask is not None):
            return None
        keep = key_padding_mask._data == 0  # the float mask: 0 where attended, -inf where padded
        # left-aligned: no real token after a padded one in any row (PyTorch checks it unless
        # mask_check=False; lamina then keeps the plain path's values for other masks)
        if keep.shape != src._data.shape[:2] or (keep[:, 1:] & ~keep[:, :-1]).any():
            return None
        sa = first.self_attn
        tensors = (src, sa.in_proj_weight, sa.in_proj_bias, sa.out_proj.weight, sa.out_proj.bias, first.norm1.weight,
                   first.norm1.bias, first.norm2.weight, first.norm2.bias, first.linear1.weight, first.linear1.bias,
                   first.linear2.weight, first.linear2.bias)
        if _mode.grad and any(t is not None and t._requires_grad for t in tensors):
            return None
        return keep


def _why_not_nested(layer):
    """Why PyTorch's TransformerEncoder cannot take its nested-tensor path with this layer ('' if it can)."""
    if not isinstance(layer, TransformerEncoderLayer):
        return "encoder_layer was not TransformerEncoderLayer"
    if layer.norm_first:
        return "encoder_layer.norm_first was True"
    if not layer.self_attn.batch_first:
        return "encoder_layer.self_attn.batch_first was not True(use batch_first for better inference performance)"
    if not layer.self_attn._qkv_same_embed_dim:
        return "encoder_layer.self_attn._qkv_same_embed_dim was not True"
    if layer.self_attn.in_proj_bias is None:
        return "encoder_layer.self_attn was passed bias=False"
    if not layer.activation_relu_or_gelu:
        return "encoder_layer.activation_relu_or_gelu was not True"
    if layer.norm1.eps != layer.norm2.eps:
        return "encoder_layer.norm1.eps was not equal to encoder_layer.norm2.eps"
    if layer.self_attn.num_heads % 2 == 1:
        return "encoder_layer.self_attn.num_heads is odd"
    return ""


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
        return self.dropout2(_layer_feed_forward(self, x))


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
        return self.dropout3(_layer_feed_forward(self, x))
