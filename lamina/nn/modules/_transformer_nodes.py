r"""Two blocks of the Transformer layers as single autograd nodes, with hand-derived backward:

  norm(x + residual)                 one node instead of an add and a LayerNorm (_add_norm)
  linear2(relu(linear1(x)))          one node instead of three (_layer_feed_forward)

Both run whenever the layer's submodules are the plain ones (LayerNorm over the last dimension;
ReLU between two Linear layers, the dropout between them inactive) and no forward hook would miss
a call; otherwise the layer-by-layer path runs, which also raises the errors for bad input. These
nodes serve training and every call outside the encoder layer's inference fast path
(_transformer_fast_path.py), which shares _hooked and _standardize_rows from here."""
import numpy as np

from ..._accel import float32_kernels
from ...ops import activation as _act
from ...ops._core import _ones, make
from . import module as _module
from .activation import ReLU
from .dropout import Dropout
from .linear import Linear
from .normalization import LayerNorm


def _hooked(module):
    """Whether `module` or a submodule has a forward (pre-)hook, or one is registered for every
    module (register_module_forward_hook): those must see their calls."""
    if _module._global_forward_hooks or _module._global_forward_pre_hooks:
        return True
    stack = [module]
    while stack:
        m = stack.pop()
        if m is not None:
            if m._forward_hooks or m._forward_pre_hooks:
                return True
            stack += m._modules.values()
    return False


def _row_dots(a, b=None):
    """Each row of 2-D `a` dotted with the same row of `b` (default: itself). np.vecdot (NumPy 2)
    takes half the time einsum does on short rows."""
    b = a if b is None else b
    return _vecdot(a, b) if _vecdot is not None else np.einsum("ij,ij->i", a, b)


_vecdot = getattr(np, "vecdot", None)


def _standardize_rows(a, out, eps):
    """(a − mean)·σ⁻¹ over the rows of 2-D `a`, written into `out` (which may be `a`); returns σ⁻¹.
    The row sums are BLAS products with a ones vector: NumPy's reductions along short rows are
    several times slower."""
    E = a.shape[1]
    mean = a.dot(_ones(E, a.dtype))  # the shared ones vector: no allocation per call
    mean *= 1.0 / E
    np.subtract(a, mean[:, None], out=out)
    invstd = _row_dots(out)
    invstd *= 1.0 / E
    invstd += eps
    np.sqrt(invstd, out=invstd)
    np.reciprocal(invstd, out=invstd)  # then a multiply, cheaper than a divide on every element
    out *= invstd[:, None]
    return invstd


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
    the same dx for input and residual. Contiguous float32 rows take lamina/_accel's LayerNorm
    kernels (one pass per row each way); otherwise row sums are BLAS products with a ones vector."""
    x = input._data
    E = x.shape[-1]
    src = x.reshape(-1, E)
    if residual is not None:
        src = src + residual._data.reshape(-1, E)  # a fresh array: centred and scaled in place below
    w = None if weight is None else weight._data
    b = None if bias is None else bias._data
    fast = float32_kernels(src, w, b)
    if fast:
        out, xhat, invstd = fast.layer_norm_rows(src, w, b, np.float32(eps))

        def row_grads(g2, need_x):
            gx, gw, gb = fast.layer_norm_rows_backward(np.ascontiguousarray(g2, dtype=np.float32), xhat, invstd,
                                                       w, need_x)
            return (gx if need_x else None), gw, gb
    else:
        xhat = src if residual is not None else np.empty_like(src)
        invstd = _standardize_rows(src, xhat, eps)
        out = xhat * w if w is not None else xhat.copy()
        if b is not None:
            out += b

        def row_grads(g2, need_x):
            gw = np.einsum("ij,ij->j", g2, xhat) if weight is not None and weight._requires_grad else None
            gb = np.ones(len(g2), dtype=g2.dtype) @ g2 if bias is not None and bias._requires_grad else None
            if not need_x:
                return None, gw, gb
            gh = g2 * w if w is not None else g2.copy()
            m1 = gh @ np.ones(E, dtype=gh.dtype)
            m1 *= 1.0 / E
            m2 = _row_dots(gh, xhat)
            m2 *= 1.0 / E
            gh -= m1[:, None]
            gh -= xhat * m2[:, None]
            gh *= invstd[:, None]
            return gh, gw, gb

    def backward(g):
        gx, gw, gb = row_grads(g.reshape(-1, E),
                               input._requires_grad or (residual is not None and residual._requires_grad))
        gx = None if gx is None else gx.reshape(x.shape)
        grads = (gx,) if residual is None else (gx, gx)
        gw = gw if weight is not None and weight._requires_grad else None
        gb = gb if bias is not None and bias._requires_grad else None
        return grads + tuple(gr for gr, t in ((gw, weight), (gb, bias)) if t is not None)
    parents = tuple(t for t in (input, residual, weight, bias) if t is not None)
    return make(out.reshape(x.shape), parents, backward, "NativeLayerNormBackward0",
                saved=() if weight is None else (weight,))


# ---- the feed-forward block with ReLU as one node ------------------------------------------------
def _layer_feed_forward(layer, x):
    """The layer's linear2(dropout(activation(linear1(x)))), as one node when _relu_ff_fusable."""
    if _relu_ff_fusable(layer):
        l1, l2 = layer.linear1, layer.linear2
        out = _relu_feed_forward(x, l1.weight, l1.bias, l2.weight, l2.bias)
        if out is not None:
            return out
    return layer.linear2(layer.dropout(layer.activation(layer.linear1(x))))


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
