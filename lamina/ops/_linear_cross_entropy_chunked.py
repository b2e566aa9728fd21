"""F.linear_cross_entropy with `options`: what PyTorch's batch-chunked path does, in one pass.

PyTorch walks the batch in chunks of rows so the (N, C) logits never exist at once; lamina
computes the same loss through F.linear and F.cross_entropy (its gradients come with them).
What a caller can observe of the chunking is kept: the options' validation, the errors a bad
target or class weight gives (raised by the indexing ops PyTorch runs chunk by chunk, so which
comes first depends on the chunk size), the class weight read without gradient and cast to the
input's dtype, the grad_fn name and, unless allow_retain_graph, the refusal of a second backward."""
import numpy as np

from ._core import broadcast_error, wrap
from .linalg import _DN, linear
from .loss import cross_entropy

_SCALAR_NODE = "GeneratedBackwardFor_torch_nn__linear_cross_entropy_batch_chunked_defaultBackward"
_NONE_NODE = "GeneratedBackwardFor_torch_nn__linear_cross_entropy_batch_chunked_no_reduction_defaultBackward"
_TWICE = ("linear_cross_entropy chunked backward called twice; retain_graph=True / double backward are not "
          "supported.")


def _check_acc_dtype(dtype, acc):
    from .. import _dtype
    if acc is not dtype and not (acc is _dtype.float32 and (dtype is _dtype.float16 or dtype is _dtype.bfloat16)):
        raise RuntimeError(f"linear_cross_entropy supports float32 acc_dtype with float16/bfloat16 inputs, but got "
                           f"{acc} acc_dtype and {dtype} inputs.")


def _class_weight_rows(w, t, mask):
    """Each row's class weight (0 where ignored), as PyTorch looks it up once for all rows."""
    if t.ndim != 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if w.ndim == 0:
        if t.size != 1:
            raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got {t.size} value(s)")
        w = w.reshape(1)
    if ((t < 0) | (t >= w.shape[0])).any():
        raise IndexError("index out of range in self")
    picked = w[t]
    if not _broadcasts(mask.shape, picked.shape):  # PyTorch zeroes the ignored rows with torch.where
        raise broadcast_error(mask.shape, picked.shape)
    return np.broadcast_to(picked, np.broadcast_shapes(mask.shape, picked.shape))


def _broadcasts(a, b):
    return all(x == y or 1 in (x, y) for x, y in zip(a[::-1], b[::-1]))


def _replay_chunk_errors(x_dtype, w_dtype, t, c, weight, ignore_index, n, chunk, reduction):
    """Raise the error PyTorch's chunked loop would raise first for these targets, if any."""
    # ignored rows point at class 0 when ignore_index is no class, so they index nothing out of range
    fixed = t if 0 <= ignore_index < c else np.where(t == ignore_index, 0, t)
    rows_w = None
    for start in range(0, n, chunk):
        size = min(chunk, n - start)
        if t.ndim == 0:
            raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
        if start + size > t.shape[0]:
            raise RuntimeError(f"start ({start}) + length ({size}) exceeds dimension size ({t.shape[0]}).")
        if start == 0:
            if weight is not None:
                rows_w = _class_weight_rows(weight, fixed, t == ignore_index)
            if x_dtype != w_dtype:
                raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_DN[x_dtype.name]} != "
                                   f"{_DN[w_dtype.name]}")
        if t.ndim != 1:
            raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
        part = fixed[start:start + size]
        bad = (part < 0) | (part >= c)
        if bad.any():
            raise RuntimeError(f"index {int(part[bad.argmax()])} is out of bounds for dimension 1 with size {c}")
        if start == 0 and rows_w is not None and rows_w.ndim != 1:
            _weight_shape_error(rows_w[:size], size, reduction)


def _weight_shape_error(rows_w, size, reduction):
    """A class weight of more than one dim fails where PyTorch first combines it with a row's loss."""
    if reduction != "none":
        raise RuntimeError(f"1D tensors expected, but got {rows_w.ndim}D and 1D tensors")
    if not _broadcasts((size,), rows_w.shape):
        raise broadcast_error((size,), rows_w.shape)
    shape = list(np.broadcast_shapes((size,), rows_w.shape))
    raise RuntimeError(f"output with shape [{size}] doesn't match the broadcast shape {shape}")


def _backward_once(node):
    """Let `node` run backward once, as PyTorch's chunked op consumes its precomputed gradients."""
    inner = node.backward

    def backward(g):
        nonlocal inner
        if inner is None:
            raise RuntimeError(_TWICE)
        run, inner = inner, None
        return run(g)
    node.backward = backward


def _raiser(error):
    def backward(g):
        raise error
    return backward


def chunked_path(input, linear_weight, target, linear_bias, weight, reduction, ignore_index, options):
    """F.linear_cross_entropy for class-index targets when `options` is given (see the module doc)."""
    batched = input.dim() == 2
    if not batched:  # PyTorch's chunked op takes one row and squeezes the result
        input, target = input.unsqueeze(0), target.unsqueeze(0)
    n, c = input.shape[0], linear_weight.shape[0]
    opts = options._adjust(n, input.shape[1], c, input.dtype, input.device)
    _check_acc_dtype(input.dtype, opts.acc_dtype)
    x_dtype, t = input._data.dtype, target._data
    _replay_chunk_errors(x_dtype, linear_weight._data.dtype, t, c, None if weight is None else weight._data,
                         ignore_index, n, opts.batch_chunk_size, reduction)
    # past those checks, read what the chunked loop reads: the first n targets, and each row's
    # class weight in the input's dtype without gradient (a weight shorter than C is padded
    # with classes no target names; with no rows nothing is read)
    rows = wrap(t[:n] if n else np.zeros(0, np.int64))
    class_w = None
    if weight is not None and n:
        w = weight._data.reshape(-1).astype(x_dtype)
        class_w = wrap(np.concatenate([w[:c], np.zeros(max(c - w.size, 0), x_dtype)]))
    if linear_bias is not None and linear_bias._data.dtype != x_dtype:
        linear_bias = linear_bias.to(input.dtype)
    logits = linear(input, linear_weight, linear_bias)
    if reduction == "mean" and t.shape[0] > n > 0:
        # PyTorch's mean divides by the class weights of all the targets it was given, read or not
        keep = t != ignore_index
        per_row = weight._data.reshape(-1)[np.where(keep, t, 0)] if weight is not None else 1
        total = float((per_row * keep).sum())
        out = cross_entropy(logits, rows, weight=class_w, reduction="sum", ignore_index=ignore_index)
        out = out / (total or float("nan"))
    else:
        out = cross_entropy(logits, rows, weight=class_w, reduction=reduction, ignore_index=ignore_index)
    node = out.grad_fn
    if node is not None:
        node._name = _NONE_NODE if reduction == "none" else _SCALAR_NODE
        if reduction != "none" and not opts.allow_retain_graph:
            _backward_once(node)
        elif reduction == "none" and t.shape[0] > n:
            # PyTorch 2.13's backward scales the weights of all targets by the n row gradients
            node.backward = _raiser(broadcast_error((t.shape[0],), (n,)))
    return out if batched else out.squeeze(0)
