"""Lookup tables and the vector comparisons used with them: embedding, embedding_bag, one_hot,
cosine_similarity and pairwise_distance.

An embedding's forward is a row gather (np.take); its backward scatters the output gradient
back onto the looked-up rows, summing repeats: indices are sorted once and each run of equal
indices is summed with np.add.reduceat (faster than np.add.at)."""
import numpy as np

from .._accel import float32_kernels
from ..tensor import Tensor
from ._core import as_tensor, make, sum_axes, unbroadcast, wrap

__all__ = ["embedding", "embedding_bag", "one_hot", "cosine_similarity", "pairwise_distance"]

_TYPE = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor", "int64": "LongTensor",
         "int32": "IntTensor", "int16": "ShortTensor", "int8": "CharTensor", "uint8": "ByteTensor",
         "bool": "BoolTensor"}


def _indices(input, fn):
    idx = input._data
    if idx.dtype not in (np.int64, np.int32):
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got torch.{_TYPE.get(idx.dtype.name, idx.dtype.name)} instead (while "
                           f"checking arguments for {fn})")
    return idx


def _scatter_rows(num, flat_idx, rows, dtype):
    """(num, D) array whose row i is the sum of rows[j] over j with flat_idx[j] == i."""
    out = np.zeros((num,) + rows.shape[1:], dtype=dtype)
    if flat_idx.size == 0:
        return out
    fast = float32_kernels(rows, out) if rows.ndim == 2 and flat_idx.flags.c_contiguous else None
    if fast:  # one compiled pass in index order (lamina/_accel) instead of a sort and gathers
        fast.scatter_add_rows(flat_idx, rows, out)
        return out
    order = np.argsort(flat_idx, kind="stable")
    s = flat_idx[order]
    starts = np.flatnonzero(np.concatenate(([True], s[1:] != s[:-1])))
    if starts.size == s.size:  # no index repeats
        out[flat_idx] = rows
        return out
    # reduceat costs ~0.4 us per run even for a run of one row. Short runs (the usual case) are
    # summed level by level instead: the first row of every run is copied, then each run's
    # second, third, ... row is added (1600 lookups among 10000 rows: 920 -> ~200 us); long
    # runs leave the runs of one row to a copy and the rest to reduceat. Short runs are added row
    # after row; reduceat may associate a run's rows otherwise (a rounding-level difference).
    lengths = np.diff(starts, append=s.size)
    longest = int(lengths.max())
    if longest <= 8:
        out[s[starts]] = rows[order[starts]]
        for k in range(1, longest):
            sel = starts[lengths > k]
            out[s[sel]] += rows[order[sel + k]]
        return out
    single = lengths == 1
    first = starts[single]
    out[s[first]] = rows[order[first]]
    repeated = ~single
    in_repeated = np.repeat(repeated, lengths)
    run_lengths = lengths[repeated]
    run_starts = np.cumsum(run_lengths) - run_lengths
    out[s[starts[repeated]]] = np.add.reduceat(rows[order[in_repeated]], run_starts, axis=0)
    return out


def _renorm_(weight, idx, max_norm, norm_type):
    """PyTorch's embedding_renorm_: rows looked up whose norm exceeds max_norm are scaled down to
    it, in place and outside autograd (the weight's version counter moves, as in PyTorch)."""
    w = weight._data
    rows = np.unique(idx)
    if rows.size == 0:
        return
    sel = w[rows]
    p = float(norm_type)
    if p == 2:
        norms = np.sqrt(np.einsum("ij,ij->i", sel, sel))
    elif p == float("inf"):
        norms = np.abs(sel).max(axis=1)
    elif p == 0:
        norms = (sel != 0).sum(axis=1).astype(w.dtype)
    else:
        norms = (np.abs(sel) ** p).sum(axis=1) ** (1.0 / p)
    big = norms > max_norm
    if big.any():
        scale = max_norm / (norms[big] + 1e-7)
        w[rows[big]] = sel[big] * scale[:, None].astype(w.dtype)
        weight._vc[0] += 1


def _padding(padding_idx, num, fn_name="embedding"):
    if padding_idx is None:
        return None
    if padding_idx > 0 and padding_idx >= num or padding_idx < 0 and padding_idx < -num:
        raise AssertionError("Padding_idx must be within num_embeddings")
    return padding_idx % num if padding_idx < 0 else padding_idx


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, sparse=False):
    r"""Rows of `weight` picked by the integer `input`: out[..., :] = weight[input[...], :].

    Args:
        input: int64/int32 indices of any shape, each in [0, num_embeddings)
        weight: (num_embeddings, embedding_dim)
        padding_idx: this row gets no gradient
        max_norm: rows looked up with a larger norm are rescaled to it first (in place, as PyTorch)
        norm_type: the p of that norm. Default: 2
        scale_grad_by_freq: divide each row's gradient by how often it occurs in `input`
        sparse: accepted; the gradient is dense (lamina has no sparse tensors)

    Shape: input (*), output (*, embedding_dim)."""
    idx = _indices(input, "embedding")
    w = weight._data
    if w.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    num = w.shape[0]
    padding_idx = _padding(padding_idx, num)
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        raise IndexError("index out of range in self")
    if max_norm is not None:
        _renorm_(weight, idx, max_norm, norm_type)
    flat = idx.reshape(-1)
    out = np.take(w, flat, axis=0).reshape(idx.shape + w.shape[1:])

    def backward(g):
        rows = g.reshape((flat.size,) + w.shape[1:])
        if scale_grad_by_freq:
            counts = np.bincount(flat, minlength=num)
            rows = rows / counts[flat].astype(w.dtype).reshape((-1,) + (1,) * (rows.ndim - 1))
        gw = _scatter_rows(num, flat, rows, w.dtype)
        if padding_idx is not None:
            gw[padding_idx] = 0
        return (None, gw)
    return make(out, (input, weight), backward, "EmbeddingBackward0", saved=())


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    r"""Sums, means or maxima of bags of embeddings, without building the per-index rows' tensor.

    Args:
        input: 1-D indices cut into bags by `offsets` (bag i starts at offsets[i]), or 2-D (B, n):
            B bags of n indices each (offsets must then be None)
        weight: (num_embeddings, embedding_dim)
        mode: "sum", "mean" or "max". Default: "mean"
        per_sample_weights: like input; each row is scaled by its weight first ("sum" only)
        include_last_offset: offsets has B+1 entries, the last one the end of the last bag
        padding_idx: entries equal to it are left out of their bag (and of a mean's count)
        max_norm, norm_type, scale_grad_by_freq, sparse: as in embedding

    An empty bag gives zeros. Output: (B, embedding_dim)."""
    if weight._data.dtype == np.int64 and input._data.dtype.kind == "f":
        import warnings
        warnings.warn("Argument order of nn.functional.embedding_bag was changed. Usage `embedding_bag(weight, "
                      "input, ...)` is deprecated, and should now be `embedding_bag(input, weight, ...)`.",
                      stacklevel=2)
        weight, input = input, weight
    if per_sample_weights is not None and input._data.shape != per_sample_weights._data.shape:
        raise ValueError(f"embedding_bag: If per_sample_weights ({_size(per_sample_weights)}) is not None, then it "
                         f"must have the same shape as the input ({_size(input)})")
    w = weight._data
    if w.ndim != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {w.ndim}")
    idx = input._data
    psw = per_sample_weights._data if per_sample_weights is not None else None
    if idx.ndim == 2:
        if offsets is not None:
            raise ValueError(f"if input is 2D, then offsets has to be None, as input is treated is a mini-batch of "
                             f"fixed length sequences. However, found offsets of type {type(offsets)}")
        starts = np.arange(0, idx.size, idx.shape[1], dtype=np.int64) if idx.shape[1] else np.zeros(idx.shape[0],
                                                                                                     np.int64)
        include_last_offset = False
        idx = idx.reshape(-1)
        psw = psw.reshape(-1) if psw is not None else None
    elif idx.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets._data.ndim != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        starts = offsets._data.astype(np.int64, copy=False)
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {idx.ndim}")
    modes = {"sum": 0, "mean": 1, "max": 2}
    if mode not in modes:
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if mode == "max" and sparse:
        raise ValueError("max mode does not support sparse weights")
    _indices(wrap(idx), "embedding_bag")
    num, dim = w.shape
    if max_norm is not None:
        _renorm_(weight, idx, max_norm, norm_type)
    if psw is not None and mode != "sum":
        raise NotImplementedError("embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                  f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
                                  "GitHub.")
    if psw is not None and psw.dtype != w.dtype:
        raise RuntimeError("Expected tensor for argument #1 'weight' to have the same type as tensor for argument #1 "
                           f"'per_sample_weights'; but type torch.{_TYPE[w.dtype.name]} does not equal "
                           f"torch.{_TYPE[psw.dtype.name]} (while checking arguments for embedding_bag)")
    if padding_idx is not None:
        if not -num <= padding_idx < num:
            raise RuntimeError(f"padding_idx must be within the number of embeddings, -{num} through {num - 1}, but "
                               f"got {padding_idx}")
        padding_idx %= num
    if starts.size and starts[0] != 0:
        raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from "
                           f"position 0. However, got {starts[0]}")
    n = idx.size
    if include_last_offset:
        if starts.size and starts[-1] > n:
            raise RuntimeError(f"offsets[-1] can not be greater than input's length {n} but got offsets[-1] of "
                               f"{starts[-1]}")
        ends = starts[1:]
        starts = starts[:-1]
    else:
        ends = np.append(starts[1:], n)
    if starts.size and (np.any(ends < starts) or ends[-1] > n):
        raise RuntimeError("Expected i < index_size to be true, but got false.  (Could this error message be "
                           "improved?  If so, please report an enhancement request to PyTorch.)")
    bad = np.flatnonzero((idx < 0) | (idx >= num))
    if bad.size:
        raise RuntimeError(f"Index {bad[0]} of input takes value {idx[bad[0]]} which is not in the valid range "
                           f"[0, {num})")

    # every entry's bag; entries past the last bag's end (include_last_offset) belong to none
    B = starts.size
    used = int(ends[-1]) if B else 0
    idx = idx[:used]
    bag = np.repeat(np.arange(B), ends - starts)
    keep = idx != padding_idx if padding_idx is not None else None
    counts = np.bincount(bag if keep is None else bag[keep], minlength=B)
    rows = np.take(w, idx, axis=0)
    if psw is not None:
        rows *= psw[:used, None]
    if mode == "max":
        if keep is not None:
            rows[~keep] = -np.inf
        out, arg = _segment_max(rows, starts, ends, used, dim, w.dtype)
        out[counts == 0] = 0
    else:
        if keep is not None:
            rows[~keep] = 0
        out = _segment_sum(rows, starts, ends, used, dim, w.dtype)
        if mode == "mean":
            out /= np.maximum(counts, 1).astype(w.dtype)[:, None]
    parents = (weight,) if per_sample_weights is None else (weight, per_sample_weights)

    def backward(g):
        gw = gp = None
        if mode == "max":
            valid = arg >= 0
            gw = _scatter_rows(num, idx[arg[valid]], _col_rows(g, arg, valid, dim),
                               w.dtype) if weight._requires_grad else None
            return (gw,) if per_sample_weights is None else (gw, None)
        gb = g if mode == "sum" else g / np.maximum(counts, 1).astype(w.dtype)[:, None]
        per_row = gb[bag]  # the gradient reaching each entry's row
        if keep is not None:
            per_row[~keep] = 0
        if per_sample_weights is not None and per_sample_weights._requires_grad:
            gp = np.zeros(psw.shape, dtype=w.dtype)
            gp[:used] = np.einsum("ij,ij->i", per_row, np.take(w, idx, axis=0))
            gp = gp.reshape(per_sample_weights._data.shape)
        if weight._requires_grad:
            if psw is not None:
                per_row = per_row * psw[:used, None]
            if scale_grad_by_freq:
                freq = np.bincount(idx, minlength=num)
                per_row = per_row / freq[idx].astype(w.dtype)[:, None]
            gw = _scatter_rows(num, idx, per_row, w.dtype)
        return (gw,) if per_sample_weights is None else (gw, gp)
    return make(out, parents, backward, "EmbeddingBagBackward0", saved=())


def _size(t):
    from ..tensor import Size
    return Size(t._data.shape)


def _segment_sum(rows, starts, ends, used, dim, dtype):
    """Sum of rows[starts[i]:ends[i]] for each bag (bags are contiguous runs)."""
    B = starts.size
    if used and (dtype == np.float32 or dtype == np.float64) and used % B == 0 and rows.flags.c_contiguous:
        n = used // B
        if (ends - starts == n).all():  # bags of one length (2-D input): a batched product with ones
            return sum_axes(rows[:used].reshape(B, n, dim), (1,))
    out = np.zeros((B, dim), dtype=dtype)
    nonempty = ends > starts
    if used and nonempty.any():
        out[nonempty] = np.add.reduceat(rows, starts[nonempty], axis=0)
    return out


def _segment_max(rows, starts, ends, used, dim, dtype):
    """Per-bag, per-feature maximum and the entry it came from (the first one on ties; -1 if empty)."""
    B = starts.size
    out = np.zeros((B, dim), dtype=dtype)
    arg = np.full((B, dim), -1, dtype=np.int64)
    nonempty = ends > starts
    if not (used and nonempty.any()):
        return out, arg
    s = starts[nonempty]
    mx = np.maximum.reduceat(rows, s, axis=0)
    bag = np.repeat(np.arange(s.size), (ends - starts)[nonempty])
    pos = np.where(rows == mx[bag], np.arange(used)[:, None], used)
    first = np.minimum.reduceat(pos, s, axis=0)
    finite = mx != -np.inf
    out[nonempty] = np.where(finite, mx, 0)
    arg[nonempty] = np.where(finite, first, -1)
    return out, arg


def _col_rows(g, arg, valid, dim):
    """The gradient rows for max mode: entry arg[b, d] receives g[b, d] in column d only."""
    rows = np.zeros((int(valid.sum()), dim), dtype=g.dtype)
    cols = np.nonzero(valid)[1]
    rows[np.arange(rows.shape[0]), cols] = g[valid]
    return rows


def one_hot(tensor, num_classes=-1):
    """int64 (*, num_classes) with a 1 at each value's position; num_classes=-1 uses max + 1."""
    x = tensor._data
    if x.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        if x.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(x.max()) + 1
    if x.size:
        if x.min() < 0:
            raise RuntimeError("Class values must be non-negative.")
        if x.max() >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    out = np.zeros(x.shape + (max(num_classes, 0),), dtype=np.int64)
    np.put_along_axis(out, x[..., None], 1, axis=-1)
    return wrap(out)


def _check_broadcast(x1, x2):
    """PyTorch's RuntimeError when the two inputs do not broadcast (NumPy's is a ValueError)."""
    from ._core import broadcast_error
    try:
        np.broadcast_shapes(x1._data.shape, x2._data.shape)
    except ValueError:
        raise broadcast_error(x1._data.shape, x2._data.shape) from None


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    r""":math:`\frac{x_1 \cdot x_2}{\max(\Vert x_1 \Vert, \epsilon) \max(\Vert x_2 \Vert, \epsilon)}` along
    `dim` of the broadcast inputs (the dimension is removed). As PyTorch, each input is divided by
    its clamped norm first, and the clamp is invisible to the gradient."""
    if not isinstance(x1, Tensor):
        x1 = as_tensor(x1)
    if not isinstance(x2, Tensor):
        x2 = as_tensor(x2)
    from .._dtype import result_type
    from ._core import dim_arg, float_dtype_of
    _check_broadcast(x1, x2)
    dt = float_dtype_of(result_type(x1, x2).np)
    a, b = np.broadcast_arrays(x1._data.astype(dt, copy=False), x2._data.astype(dt, copy=False))
    d = dim_arg(dim, a.ndim)
    na = np.sqrt((a * a).sum(axis=d, keepdims=True))
    nb = np.sqrt((b * b).sum(axis=d, keepdims=True))
    ca, cb = np.maximum(na, eps).astype(dt), np.maximum(nb, eps).astype(dt)
    ua, ub = a / ca, b / cb
    out = (ua * ub).sum(axis=d)

    def backward(g):
        g = np.expand_dims(g, d)
        ga = gb = None
        if x1._requires_grad:
            # through a/ca directly, and through ca = ‖a‖ (norm's gradient a/‖a‖, 0 at 0)
            s = (ub * a).sum(axis=d, keepdims=True) / (ca * ca)
            ga = g * (ub / ca - s * np.divide(a, na, out=np.zeros_like(a), where=na != 0))
            ga = unbroadcast(ga, x1._data.shape).astype(x1._data.dtype, copy=False)
        if x2._requires_grad:
            s = (ua * b).sum(axis=d, keepdims=True) / (cb * cb)
            gb = g * (ua / cb - s * np.divide(b, nb, out=np.zeros_like(b), where=nb != 0))
            gb = unbroadcast(gb, x2._data.shape).astype(x2._data.dtype, copy=False)
        return ga, gb
    return make(out, (x1, x2), backward, "SumBackward1", saved=(x1, x2))


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    r""":math:`\Vert x_1 - x_2 + \epsilon \Vert_p` over the last dimension of the broadcast inputs."""
    if not isinstance(x1, Tensor):
        x1 = as_tensor(x1)
    if not isinstance(x2, Tensor):
        x2 = as_tensor(x2)
    from ._core import binary_operands
    _check_broadcast(x1, x2)
    a, b, dt = binary_operands(x1, x2)
    if dt.kind != "f":
        a, b = a.astype(np.float32), np.asarray(b, np.float32)
    diff = a - b + eps
    d = max(x1._data.ndim, x2._data.ndim) - 1
    if d < 0:
        diff, d = diff.reshape(1), 0
    p = float(p)
    ad = np.abs(diff)
    if p == 2:
        norm = np.sqrt((diff * diff).sum(axis=d, keepdims=True))
    elif p == float("inf"):
        norm = ad.max(axis=d, keepdims=True) if ad.shape[d] else np.zeros(ad.shape[:d] + (1,) + ad.shape[d + 1:], dt)
    elif p == 0:
        norm = (diff != 0).sum(axis=d, keepdims=True).astype(diff.dtype)
    elif p == 1:
        norm = ad.sum(axis=d, keepdims=True)
    else:
        norm = (ad ** p).sum(axis=d, keepdims=True) ** (1.0 / p)
    out = norm if keepdim else np.squeeze(norm, d)

    def backward(g):
        g = g if keepdim else np.expand_dims(g, d)
        if p == 0:
            gd = np.zeros_like(diff)
        elif p == 1:
            gd = g * np.sign(diff)
        elif p == float("inf"):
            hit = (ad == norm)
            gd = g * np.sign(diff) * hit / np.maximum(hit.sum(axis=d, keepdims=True), 1)
        elif p == 2:
            gd = g * np.divide(diff, norm, out=np.zeros_like(diff), where=norm != 0)
        else:
            scale = np.divide(g, norm ** (p - 1), out=np.zeros_like(norm), where=norm != 0)
            if p >= 2:
                gd = diff * ad ** (p - 2) * scale
            else:  # |x|^(p-1) is infinite at 0 for p < 1: PyTorch takes 0 there
                gd = np.sign(diff) * np.power(ad, p - 1, out=np.zeros_like(ad), where=ad != 0) * scale
        gd = gd.astype(diff.dtype, copy=False)
        return (unbroadcast(gd, x1._data.shape).astype(x1._data.dtype, copy=False) if x1._requires_grad else None,
                unbroadcast(-gd, x2._data.shape).astype(x2._data.dtype, copy=False) if x2._requires_grad else None)
    return make(out, (x1, x2), backward, "NormBackward1", saved=())
