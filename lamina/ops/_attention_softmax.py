r"""The softmax of attention on arrays, shared by every attention path: scores with their masks,
the softmax over the keys (with or without the row-max pass), dropout on the weights, and the
backward's dS. scaled_dot_product_attention and multi_head_attention_forward (ops/attention.py)
build their graph nodes on it; TransformerEncoderLayer's inference fast path
(nn/modules/_transformer_fast_path.py) takes the exponentials and their sums (_exp_weights)
and divides the attention output instead of the weights, with no graph.

Per head, rows are queries: S = (q·scale) kᵀ + mask,  P = softmax(S),  and in backward
dS = P ⊙ (dP − rowsum(dP ⊙ P)).

The softmax skips subtracting each query's largest score when the sums of the exponentials show
that is safe (_exp_sums), and otherwise computes the scores again and takes the shifted way."""
import numpy as np

from .._accel import float32_kernels
from ..random import rng
from ._core import sum_axes

_NEG_INF = float("-inf")
_causal_cache = {}


def _causal_mask(L, S, dtype):
    """(L, S) additive mask of `dtype`: -inf where a causal (top-left aligned) mask hides the key."""
    m = _causal_cache.get((L, S, dtype))
    if m is None:
        if len(_causal_cache) > 64:
            _causal_cache.clear()
        m = _causal_cache[(L, S, dtype)] = _additive(~np.tri(L, S, dtype=bool), dtype)
        m.flags.writeable = False
    return m


def _additive(hide, dtype):
    """A bool mask (True = hidden) as a float one to add: 0 or -inf. Adding is what PyTorch does,
    and NumPy adds several times faster than it writes through a where= mask."""
    out = np.zeros(hide.shape, dtype=dtype)
    out[hide] = _NEG_INF
    return out


def _probs(qs, k, masks, causal, safe, p):
    """(P, Pd, keep): softmax(qs kᵀ + masks) over keys, and P after dropout (Pd is P without it).

    masks: (array, hide) pairs broadcastable to the scores; hide=True marks bool arrays whose True
    entries are hidden, otherwise the array is added. safe: a row with every key hidden gives zeros
    (SDPA's rule) instead of NaN (softmax's)."""
    s, _ = _softmax(lambda: _scores(qs, k, masks, causal), -1, bool(masks) or causal, safe)
    if p <= 0:
        return s, s, None
    if p >= 1:
        return s, np.zeros_like(s), np.zeros(s.shape, dtype=bool)
    keep = rng().random(s.shape, dtype=s.dtype if s.dtype in (np.float32, np.float64) else np.float64) >= p
    pd = s * keep
    pd *= 1.0 / (1.0 - p)
    return s, pd, keep


def _scores(qs, k, masks, causal):
    """qs kᵀ with the masks added: (..., L, S)."""
    s = np.matmul(qs, np.swapaxes(k, -1, -2))
    for m, hide in masks:
        if np.broadcast_shapes(s.shape, m.shape) != s.shape:
            s = np.broadcast_to(s, np.broadcast_shapes(s.shape, m.shape)).copy()
        s += _additive(m, s.dtype) if hide else m
    if causal:
        s += _causal_mask(s.shape[-2], s.shape[-1], s.dtype)
    return s


def _softmax(scores, axis, masked, safe):
    """Softmax over the keys `axis` (-1, or -2 for scores laid out (keys, queries)) of the fresh
    array `scores()` returns, in place. Returns (weights, shifted): shifted is True when the sums
    ruled out the shortcut, so the scores were computed again and their row max subtracted.
    masked and safe as in _shifted_exp_sums."""
    s, z, shifted = _exp_weights(scores, axis, masked, safe)
    if z is not None:
        s *= z[..., None] if axis == -1 else z[..., None, :]
    return s, shifted


def _exp_weights(scores, axis, masked, safe):
    """The softmax before its division: (e, r, shifted) with e the exponentials (in place of the
    fresh scores) and r the reciprocals of their sums over the keys `axis` (None when there are
    no keys), so that softmax = e·r. A caller that multiplies e by values may scale the smaller
    product instead: (e V)·r."""
    s = scores()
    if not s.shape[axis]:
        return s, None, False
    z = _exp_sums(s, axis)
    shifted = z is None
    if shifted:
        s = scores()
        z = _shifted_exp_sums(s, axis, masked, safe)
    np.reciprocal(z, out=z)
    return s, z, shifted


# sums within these keep every exponential finite and the largest of each query normal (float32: 1e±19)
_SAFE_SUMS = {np.dtype(t): (float(np.finfo(t).tiny) ** 0.5, float(np.finfo(t).max) ** 0.5)
              for t in (np.float32, np.float64)}


def _key_sums(e, axis):
    """Sums of `e` over the keys axis (-1 or -2) as a BLAS product with a ones vector: NumPy's
    reductions along short rows are several times slower. Over the last axis of a contiguous `e`,
    one matrix-vector product over all its rows (sum_axes) instead of one per head: the same
    sums, 64 BLAS calls fewer on (16, 4, 64, 64) weights."""
    if axis == -1 and e.ndim > 1 and e.size and e.dtype.char in "fd" and e.flags.c_contiguous:
        return sum_axes(e, (e.ndim - 1,))
    ones = np.ones(e.shape[axis], dtype=e.dtype)
    return e @ ones if axis == -1 else ones @ e


def _exp_sums(s, axis):
    """exp(scores) in place and their sums over the keys `axis` — or None when the sums show the
    exponentials unsafe (overflow, underflow, a query with no visible key, NaN); `s` is then spoilt.

    Softmax usually subtracts each query's largest score first; skipping that saves two passes,
    and the result is the same (to rounding) whenever no exponential overflows or underflows,
    which the sums tell: every term is at most its sum, and the largest is at least sum / keys."""
    bounds = _SAFE_SUMS.get(s.dtype)
    if bounds is None:
        return None
    with np.errstate(over="ignore"):  # an overflow is caught below, and the shifted way taken
        _exp_inplace(s)
    z = _key_sums(s, axis)
    return z if z.size == 0 or (bounds[0] < z.min() and z.max() < bounds[1]) else None


def _exp_inplace(s):
    """s = exp(s): one compiled pass for contiguous float32 (lamina/_accel, 2.7x NumPy's exp
    here, within an ulp of PyTorch's), else NumPy's."""
    fused = float32_kernels(s)
    if fused is not None:
        fused.exp_(s.reshape(-1))  # a view: s is contiguous
    else:
        np.exp(s, out=s)


def _shifted_exp_sums(s, axis, masked, safe):
    """exp(scores − max over keys) in place and their sums over the keys `axis`. A query with
    every key masked gets zero weights when `safe` (sum set to 1), NaN weights otherwise."""
    mx = s.max(axis=axis, keepdims=True)
    if masked:
        if safe:
            mx[mx == _NEG_INF] = 0.0
        elif (mx == _NEG_INF).any():  # -inf - -inf: the NaN rows softmax gives, without a warning
            with np.errstate(invalid="ignore"):
                s -= mx
            mx = 0.0
    s -= mx
    _exp_inplace(s)
    z = _key_sums(s, axis)
    if safe and masked:
        z[z == 0] = 1.0
    return z


def _dscores(dP, P, keep, p, rowsum=None):
    """dS from dP (in place): P ⊙ (dP − rowsum(dP ⊙ P)), dP taken w.r.t. P before dropout."""
    if keep is not None:
        dP *= keep
        dP *= (1.0 / (1.0 - p)) if p < 1 else 0.0
        rowsum = None
    if rowsum is None:
        rowsum = np.einsum("...s,...s->...", dP, P)[..., None]
    dP -= rowsum
    dP *= P
    return dP
