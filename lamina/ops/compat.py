"""Top-level functions that PyTorch scripts call as `torch.X` although the work is done elsewhere.

Two kinds: torch's top-level spellings of functional layers (`torch.dropout(x, p, train)`,
`torch.layer_norm`, `torch.batch_norm(...)`, `torch.embedding(weight, indices)`, ...), whose
argument order differs from `torch.nn.functional`'s, and a few small ops composed from the
existing ones (so their gradients come for free): repeat_interleave, diff, cdist, logaddexp.
The layer modules are imported on first call so that `import lamina` stays fast."""
import importlib

import numpy as np

from ..tensor import Tensor
from ._core import dim_arg, wrap
from .distance import pdist  # noqa: F401 - torch.pdist

__all__ = ["dropout", "dropout_", "alpha_dropout", "feature_dropout", "feature_alpha_dropout", "layer_norm",
           "batch_norm", "group_norm", "instance_norm", "rms_norm", "embedding", "conv1d", "conv2d", "conv3d",
           "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "max_pool1d", "max_pool2d",
           "max_pool3d", "avg_pool1d", "adaptive_avg_pool1d", "adaptive_max_pool1d", "cosine_similarity",
           "pairwise_distance", "pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "native_channel_shuffle",
           "selu", "selu_", "celu", "celu_",
           "prelu", "rrelu", "rrelu_", "threshold", "threshold_", "hardshrink", "relu_",
           "binary_cross_entropy_with_logits", "kl_div", "repeat_interleave", "diff", "cdist", "bincount",
           "searchsorted", "bucketize", "isin", "sgn", "positive", "detach", "is_complex", "logaddexp",
           "deg2rad", "rad2deg", "is_nonzero", "is_same_size", "pdist"]
METHODS = ["repeat_interleave", "diff", "bincount", "sgn", "positive", "is_complex", "logaddexp", "deg2rad",
           "rad2deg", "is_nonzero", "is_same_size", ("hardshrink", "_hardshrink_method"),
           ("prelu", "_prelu_method")]
INPLACE = ["deg2rad", "rad2deg", "sgn"]

_REDUCTIONS = {0: "none", 1: "mean", 2: "sum"}  # the top-level losses take the enum, and default to 0 ("none")


def _ops(name):
    return importlib.import_module(f"{__package__}.{name}")


# ---- torch.* spellings of functional layers (torch's argument order) ----

def dropout(input, p, train):
    return _ops("dropout").dropout(input, p, train)


def dropout_(input, p, train):
    return _ops("dropout").dropout(input, p, train, inplace=True)


def alpha_dropout(input, p, train):
    return _ops("dropout").alpha_dropout(input, p, train)


def feature_dropout(input, p, train):
    return _ops("dropout").dropout2d(input, p, train)


def feature_alpha_dropout(input, p, train):
    return _ops("dropout").feature_alpha_dropout(input, p, train)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5, cudnn_enable=True):
    return _ops("normalization").layer_norm(input, normalized_shape, weight, bias, eps)


def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps, cudnn_enabled):
    """torch.batch_norm: weight and bias come before the running statistics (F.batch_norm's order differs)."""
    return _ops("normalization").batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5, cudnn_enabled=True):
    return _ops("normalization").group_norm(input, num_groups, weight, bias, eps)


def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps, cudnn_enabled):
    return _ops("normalization").instance_norm(input, running_mean, running_var, weight, bias, use_input_stats,
                                               momentum, eps)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    return _ops("normalization").rms_norm(input, normalized_shape, weight, eps)


def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    """torch.embedding: the weight first, and padding_idx=-1 means "none"."""
    return _ops("embedding").embedding(indices, weight, None if padding_idx == -1 else padding_idx,
                                       scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


def _forward(module, name):
    def fn(*args, **kwargs):
        return getattr(_ops(module), name)(*args, **kwargs)
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"torch.{name}: the same as torch.nn.functional.{name}."
    return fn


conv1d, conv2d, conv3d = (_forward("conv", n) for n in ("conv1d", "conv2d", "conv3d"))
conv_transpose1d, conv_transpose2d, conv_transpose3d = (
    _forward("conv", n) for n in ("conv_transpose1d", "conv_transpose2d", "conv_transpose3d"))
max_pool1d, max_pool2d, max_pool3d, avg_pool1d, adaptive_avg_pool1d, adaptive_max_pool1d = (
    _forward("pooling", n) for n in ("max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d",
                                      "adaptive_avg_pool1d", "adaptive_max_pool1d"))
cosine_similarity, pairwise_distance = (_forward("embedding", n) for n in ("cosine_similarity", "pairwise_distance"))
pixel_shuffle, pixel_unshuffle, channel_shuffle, native_channel_shuffle = (
    _forward("interpolate", n)
    for n in ("pixel_shuffle", "pixel_unshuffle", "channel_shuffle", "native_channel_shuffle"))
selu_, celu_, prelu, rrelu_, threshold_, hardshrink, relu_ = (
    _forward("activation", n) for n in ("selu_", "celu_", "prelu", "rrelu_", "threshold_", "hardshrink", "relu_"))


def _hardshrink_method(self, lambd=0.5):
    """x.hardshrink(lambd): the method counts lambd as argument 1 in its errors, the function as 2."""
    activation = _ops("activation")
    return activation.hardshrink(self, activation.shrink_lambda(lambd, 1))


def _prelu_method(self, weight):
    activation = _ops("activation")
    activation.check_prelu_weight(weight, 1)
    return activation.prelu(self, weight)


def selu(input):
    return _ops("activation").selu(input)


def celu(input, alpha=1.0):
    return _ops("activation").celu(input, alpha)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None):
    return _ops("activation").rrelu(input, lower, upper, training)


def threshold(input, threshold, value):
    return _ops("activation").threshold(input, threshold, value)


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction=0):
    return _ops("loss").binary_cross_entropy_with_logits(input, target, weight, reduction=_REDUCTIONS[reduction],
                                                         pos_weight=pos_weight)


def kl_div(input, target, reduction=0, log_target=False):
    return _ops("loss").kl_div(input, target, reduction=_REDUCTIONS[reduction], log_target=log_target)


# ---- small ops composed from existing ones ----

def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Repeat each element (along `dim`, or of the flattened input) `repeats` times.

    With only a 1-D integer tensor of counts, returns the indices 0, 0, 1, ... repeated by count."""
    if repeats is None:  # torch.repeat_interleave(counts)
        counts = input._data
        return wrap(np.repeat(np.arange(counts.shape[0], dtype=np.int64), counts))
    if dim is None:
        input, dim = input.reshape(-1), 0
    dim = dim_arg(dim, input.ndim)
    counts = repeats._data if isinstance(repeats, Tensor) else np.asarray(repeats)
    if counts.ndim and counts.shape[0] not in (1, input.shape[dim]):
        raise RuntimeError("repeats must have the same size as input along dim, but got repeats.size(0) = "
                           f"{counts.shape[0]} and input.size({dim}) = {input.shape[dim]}")
    index = np.repeat(np.arange(input.shape[dim]), counts.reshape(-1) if counts.ndim else int(counts))
    return input.index_select(dim, wrap(index))


def diff(input, n=1, dim=-1, prepend=None, append=None):
    """n-th forward difference along dim: out[i] = x[i+1] - x[i], applied n times."""
    from .shape import cat
    dim = dim_arg(dim, input.ndim)
    if prepend is not None or append is not None:
        parts = [t if isinstance(t, Tensor) else wrap(np.asarray(t, dtype=input._data.dtype))
                 for t in (prepend, input, append) if t is not None]
        input = cat(parts, dim)
    for _ in range(n):
        length = input.shape[dim]
        if length == 0:
            break
        if input.dtype.name == "bool":
            input = input.narrow(dim, 1, length - 1) ^ input.narrow(dim, 0, length - 1)
        else:
            input = input.narrow(dim, 1, length - 1) - input.narrow(dim, 0, length - 1)
    return input


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """Distances between each row of x1 (..., P, M) and each row of x2 (..., R, M): (..., P, R)."""
    if x1.ndim < 2 or x2.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {x1.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: {x1.shape[-1]} X2: {x2.shape[-1]}")
    d = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    if p == 2:
        # sqrt has an infinite slope at 0; torch gives a zero gradient for coincident points
        sq = (d * d).sum(-1)
        zero = sq == 0
        return (sq.masked_fill(zero, 1.0)).sqrt().masked_fill(zero, 0.0)
    return d.norm(p=p, dim=-1)


def bincount(input, weights=None, minlength=0):
    if input.ndim != 1:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if input._data.size and input._data.min() < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    w = None if weights is None else weights._data
    out = np.bincount(input._data, w, minlength)
    if w is None:
        return wrap(out.astype(np.int64))
    return wrap(out.astype(w.dtype if w.dtype.kind == "f" else np.float64))


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None):
    """Indices where `input`'s values would be inserted into the last dim of `sorted_sequence`."""
    side = side or ("right" if right else "left")
    seq = sorted_sequence._data
    values = input._data if isinstance(input, Tensor) else np.asarray(input)
    if sorter is not None:
        seq = np.take_along_axis(seq, sorter._data, -1)
    if seq.ndim == 1:
        out = np.searchsorted(seq, values, side=side)
    else:
        rows = seq.reshape(-1, seq.shape[-1])
        vals = values.reshape(rows.shape[0], -1)
        out = np.stack([np.searchsorted(r, v, side=side) for r, v in zip(rows, vals)]).reshape(values.shape)
    return wrap(np.asarray(out, dtype=np.int32 if out_int32 else np.int64))


def bucketize(input, boundaries, *, out_int32=False, right=False):
    values = input._data if isinstance(input, Tensor) else np.asarray(input)
    out = np.searchsorted(boundaries._data, values, side="right" if right else "left")
    return wrap(np.asarray(out, dtype=np.int32 if out_int32 else np.int64))


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    a = elements._data if isinstance(elements, Tensor) else np.asarray(elements)
    b = test_elements._data if isinstance(test_elements, Tensor) else np.asarray(test_elements)
    return wrap(np.isin(a, b, assume_unique=assume_unique, invert=invert))


def sgn(input):
    return input.sign()


def positive(input):
    if input.dtype.name == "bool":
        raise TypeError("The `+` operator, on a bool tensor is not supported.")
    return input


def detach(input):
    return input.detach()


def is_complex(input):
    return False


def is_nonzero(input):
    if input.numel() != 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous" if input.numel()
                           else "Boolean value of Tensor with no values is ambiguous")
    return bool(input._data.reshape(()))


def is_same_size(input, other):
    return input.shape == other.shape


def logaddexp(input, other):
    """log(exp(a) + exp(b)) without overflow: max + log1p(exp(-|a - b|))."""
    from .arithmetic import maximum
    from .pointwise import exp, log1p
    return maximum(input, other) + log1p(exp(-(input - other).abs()))


def deg2rad(input):
    return input * (3.141592653589793 / 180.0)


def rad2deg(input):
    return input * (180.0 / 3.141592653589793)
