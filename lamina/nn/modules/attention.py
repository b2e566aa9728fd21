"""MultiheadAttention: project queries, keys and values, attend per head, project the result."""
from ...ops.attention import multi_head_attention_forward
from ...ops.creation import empty
from .. import init
from ..parameter import Parameter
from .linear import Linear
from .module import Module

__all__ = ["MultiheadAttention"]


class NonDynamicallyQuantizableLinear(Linear):
    """A Linear under PyTorch's name for MultiheadAttention.out_proj (so repr and pickles agree)."""


class MultiheadAttention(Module):
    r"""Attention over a sequence from several heads at once:

    :math:`\text{MultiHead}(Q, K, V) = \text{Concat}(head_1, \dots, head_h) W^O`,
    :math:`head_i = \text{softmax}(Q W_i^Q (K W_i^K)^T / \sqrt{d}) V W_i^V`, d = embed_dim / num_heads.

    Args:
        embed_dim: total dimension of the model (split evenly over the heads)
        num_heads: number of parallel heads (must divide embed_dim)
        dropout: dropout probability on the attention weights. Default: 0.0
        bias: learn biases for the input and output projections. Default: True
        add_bias_kv: append a learned key and value to the sequence. Default: False
        add_zero_attn: append a zero key and value to the sequence. Default: False
        kdim, vdim: feature sizes of key and value (default embed_dim); when they differ from
            embed_dim the projections are separate (q_proj_weight, k_proj_weight, v_proj_weight)
        batch_first: inputs and output are (N, L, E) instead of (L, N, E). Default: False

    Shape:
        query (L, E_q), (L, N, E_q) or (N, L, E_q); key (S, E_k), ...; value (S, E_v), ...
        key_padding_mask (S) or (N, S), bool (True = ignore that key) or float (added);
        attn_mask (L, S) or (N·num_heads, L, S), bool (True = not allowed) or float (added).
        Output: (attn_output like query with E = embed_dim, attn_weights (N, L, S) averaged over
        heads, (N, num_heads, L, S) if average_attn_weights=False, or None if need_weights=False).

    Variables:
        in_proj_weight (3·embed_dim, embed_dim): xavier_uniform_; in_proj_bias: zeros;
        out_proj: Linear(embed_dim, embed_dim) with its bias zeroed; bias_k, bias_v (1, 1, embed_dim):
        xavier_normal_.

    Example::

        >>> mha = nn.MultiheadAttention(16, 4, batch_first=True)
        >>> x = torch.randn(2, 5, 16)
        >>> out, w = mha(x, x, x)     # out (2, 5, 16), w (2, 5, 5)
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=False, device=None, dtype=None):
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got embed_dim={embed_dim} and "
                             f"num_heads={num_heads} instead")
        super().__init__()
        self.embed_dim = embed_dim
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        if self.head_dim * num_heads != self.embed_dim:
            raise AssertionError("embed_dim must be divisible by num_heads")
        if not self._qkv_same_embed_dim:
            self.q_proj_weight = Parameter(empty((embed_dim, embed_dim), dtype=dtype))
            self.k_proj_weight = Parameter(empty((embed_dim, self.kdim), dtype=dtype))
            self.v_proj_weight = Parameter(empty((embed_dim, self.vdim), dtype=dtype))
            self.register_parameter("in_proj_weight", None)
        else:
            self.in_proj_weight = Parameter(empty((3 * embed_dim, embed_dim), dtype=dtype))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(empty(3 * embed_dim, dtype=dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, dtype=dtype)
        if add_bias_kv:
            self.bias_k = Parameter(empty((1, 1, embed_dim), dtype=dtype))
            self.bias_v = Parameter(empty((1, 1, embed_dim), dtype=dtype))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self):
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
        if self.bias_v is not None:
            init.xavier_normal_(self.bias_v)

    def __setstate__(self, state):
        state.setdefault("_qkv_same_embed_dim", True)
        super().__setstate__(state)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        separate = not self._qkv_same_embed_dim
        return multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight, self.in_proj_bias,
            self.bias_k, self.bias_v, self.add_zero_attn, self.dropout, self.out_proj.weight, self.out_proj.bias,
            training=self.training, key_padding_mask=key_padding_mask, need_weights=need_weights,
            attn_mask=attn_mask, use_separate_proj_weight=separate, q_proj_weight=self.q_proj_weight,
            k_proj_weight=self.k_proj_weight, v_proj_weight=self.v_proj_weight,
            average_attn_weights=average_attn_weights, is_causal=is_causal,
            batch_first=self.batch_first and query.dim() == 3,
            _masked_rows_nan=self._fast_path(query, key, value, key_padding_mask, attn_mask))

    def _fast_path(self, query, key, value, key_padding_mask, attn_mask):
        """Whether PyTorch would run its fused inference kernel (its conditions): that kernel gives
        NaN for a query whose every key is masked, where the other paths give zeros."""
        from ...autograd.grad_mode import _mode
        from ...backends import mha
        if any(m is not None and m._data.dtype.kind == "f" for m in (key_padding_mask, attn_mask)):
            return False
        if (not mha.get_fastpath_enabled() or query.dim() != 3 or query is not key or key is not value
                or self.in_proj_weight is None or query.dtype != self.in_proj_weight.dtype
                or (self.in_proj_bias is not None and query.dtype != self.in_proj_bias.dtype) or self.training
                or self.num_heads % 2 or not self.batch_first or self.bias_k is not None or self.bias_v is not None
                or self.add_zero_attn or not self._qkv_same_embed_dim):
            return False
        tensors = (query, self.in_proj_weight, self.in_proj_bias, self.out_proj.weight, self.out_proj.bias)
        return not (_mode.grad and any(t is not None and t._requires_grad for t in tensors))

    def merge_masks(self, attn_mask, key_padding_mask, query):
        """(merged mask, mask type) as PyTorch's fast path takes them: type 1 is the key_padding_mask
        alone, type 2 an attn_mask expanded to (N, num_heads, L, L), plus the padding mask if given."""
        mask_type, merged = None, None
        if key_padding_mask is not None:
            mask_type, merged = 1, key_padding_mask
        if attn_mask is not None:
            batch_size, seq_len, _ = query.shape
            mask_type = 2
            if attn_mask.dim() == 3:
                merged = attn_mask.view(batch_size, -1, seq_len, seq_len)
            else:
                merged = attn_mask.view(1, 1, seq_len, seq_len).expand(batch_size, self.num_heads, -1, -1)
            if key_padding_mask is not None:
                merged = merged + key_padding_mask.view(batch_size, 1, 1, seq_len).expand(-1, self.num_heads,
                                                                                          -1, -1)
        return merged, mask_type
