"""Dropout: zero random elements (or whole channels) while training and scale the survivors by
1/(1-p) so the expected value is unchanged; the identity in evaluation.

The mask is drawn once in forward and the same mask scales the gradient. Random streams are
lamina's own (NumPy's), not PyTorch's: same statistics, different draws."""
import math
import warnings

import numpy as np

from .._accel import float32_kernels
from ..random import rng
from ._core import make
from .arithmetic import type_name
from .inplace import apply_inplace

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"]

# SELU's saturation value -scale·alpha: what alpha dropout sets dropped units to
_ALPHA_PRIME = 1.7580993408473766
_TWO32 = 2 ** 32


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _check_float(x):
    if x.dtype.kind != "f":
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{type_name(x.dtype)}")


def _noise_shape(x, feature):
    if not feature:
        return x.shape
    if x.ndim < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    return x.shape[:2] + (1,) * (x.ndim - 2)


def _random_bits(n):
    """n uniformly random 32-bit words: two per raw 64-bit draw of lamina's generator, the
    cheapest draw there is (the keep masks of _keep_mask and dropout_apply)."""
    return rng().bit_generator.random_raw((n + 1) // 2).view(np.uint32)[:n]


def _keep_mask(x, p, feature):
    """Float mask of x's dtype: 1 where kept (probability 1-p), 0 where dropped.

    Each element gets 32 random bits (two per raw 64-bit draw of the generator) and is kept where
    they reach p·2³²: a keep probability within 2⁻³² of 1-p (finer than float32 uniforms), from
    the cheapest draw there is and one comparison written straight into the mask."""
    shape = _noise_shape(x, feature)
    n = math.prod(shape)
    threshold = math.ceil(p * _TWO32)
    dtype = x.dtype if x.dtype == np.float32 or x.dtype == np.float64 else np.dtype(np.float64)
    if threshold >= _TWO32:
        return np.zeros(shape, x.dtype)
    bits = _random_bits(n).reshape(shape)
    keep = np.greater_equal(bits, threshold, out=np.empty(shape, dtype), casting="unsafe")
    return keep if keep.dtype == x.dtype else keep.astype(x.dtype)


def _scaled_mul(input, noise, out=None):
    """input · noise (`out`, when already computed), with gradient g · noise (the same noise)."""
    if out is None:
        out = input._data * noise

    def backward(g):
        return ((g * noise).astype(g.dtype, copy=False),)
    return make(out, (input,), backward, "MulBackward0")


def dropout_noise(x, p, feature):
    """What dropout multiplies x by: the keep mask scaled by 1/(1-p) (0 when p is 1)."""
    if p == 1.0:
        return x.dtype.type(0)
    noise = _keep_mask(x, p, feature)
    noise *= 1.0 / (1.0 - p)
    return noise


def dropout_apply(x, p):
    """(x · noise, noise) for element-wise dropout of array x: contiguous float32 in one compiled
    pass (lamina/_accel) over the same random bits _keep_mask draws, with the same values; on
    ClinicalMLP's (32, 128) that replaces six NumPy calls."""
    threshold = math.ceil(p * _TWO32)
    if 0 < threshold < _TWO32:
        fast = float32_kernels(x)  # contiguous float32, or None
        if fast:
            n = x.size
            bits = _random_bits(n)
            out, noise = np.empty_like(x), np.empty_like(x)
            fast.dropout_apply(x.reshape(-1), bits, np.uint32(threshold), np.float32(1.0 / (1.0 - p)),
                               out.reshape(-1), noise.reshape(-1))
            return out, noise
    noise = dropout_noise(x, p, False)
    return x * noise, noise


def _dropout_op(input, p, feature):
    if feature:
        return _scaled_mul(input, dropout_noise(input._data, p, True))
    out, noise = dropout_apply(input._data, p)
    return _scaled_mul(input, noise, out)


def _alpha_dropout_op(input, p, feature):
    x = input._data
    if p == 1.0:
        return _scaled_mul(input, x.dtype.type(0))
    keep = _keep_mask(x, p, feature)
    # a and b keep zero mean and unit variance for SELU-normalised input
    a = 1.0 / math.sqrt((_ALPHA_PRIME * _ALPHA_PRIME * p + 1) * (1 - p))
    shift = (keep - 1) * (_ALPHA_PRIME * a) + _ALPHA_PRIME * a * p
    noise = keep * a
    out = x * noise + shift

    def backward(g):
        return ((g * noise).astype(g.dtype, copy=False),)
    return make(out, (input,), backward, "AddBackward0")


def _run(op, input, p, training, inplace, feature):
    _check_p(p)
    if not training or p == 0.0 or input._data.size == 0:
        return input
    _check_float(input._data)
    if inplace:
        return apply_inplace(input, op, p, feature)
    return op(input, p, feature)


def dropout(input, p=0.5, training=True, inplace=False):
    """Zeroes each element with probability p and scales the rest by 1/(1-p) (training only)."""
    return _run(_dropout_op, input, p, training, inplace, False)


def _unbatched(fn, input, batched, inplace):
    """Run a channel-wise dropout on input without a batch dimension by adding one."""
    if batched:
        return fn(input)
    from .shape import squeeze, unsqueeze
    if inplace:
        input.unsqueeze_(0)
        fn(input)
        input.squeeze_(0)
        return input
    return squeeze(fn(unsqueeze(input, 0)), 0)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zeroes whole channels of (N, C, L) or (C, L) input with probability p."""
    _check_p(p)
    nd = input.dim()
    if nd not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {nd}D input. Note that dropout1d "
                           "exists to provide channel-wise dropout on inputs with 1 spatial dimension, a channel "
                           "dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    return _unbatched(lambda t: _run(_dropout_op, t, p, training, inplace, True), input, nd == 3, inplace)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zeroes whole channels of (N, C, H, W) input with probability p.

    A 3-D input is treated as (N, C, L), as PyTorch still does (with its warning)."""
    _check_p(p)
    nd = input.dim()
    if nd not in (3, 4):
        warnings.warn(f"dropout2d: Received a {nd}-D input to dropout2d, which is deprecated and will result in "
                      "an error in a future release. To retain the behavior and silence this warning, please "
                      "use dropout instead. Note that dropout2d exists to provide channel-wise dropout on inputs "
                      "with 2 spatial dimensions, a channel dimension, and an optional batch dimension (i.e. 3D "
                      "or 4D inputs).", stacklevel=2)
    if nd == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout "
                      "behavior is desired - input is interpreted as shape (N, C, L), where C is the channel "
                      "dim. This behavior will change in a future release to interpret the input as one without "
                      "a batch dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout "
                      "behavior, please switch to using dropout1d instead.", stacklevel=2)
    return _run(_dropout_op, input, p, training, inplace, True)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zeroes whole channels of (N, C, D, H, W) or (C, D, H, W) input with probability p."""
    _check_p(p)
    nd = input.dim()
    if nd not in (4, 5):
        warnings.warn(f"dropout3d: Received a {nd}-D input to dropout3d, which is deprecated and will result in "
                      "an error in a future release. To retain the behavior and silence this warning, please "
                      "use dropout instead. Note that dropout3d exists to provide channel-wise dropout on inputs "
                      "with 3 spatial dimensions, a channel dimension, and an optional batch dimension (i.e. 4D "
                      "or 5D inputs).", stacklevel=2)
    return _unbatched(lambda t: _run(_dropout_op, t, p, training, inplace, True), input, nd == 5, inplace)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout for SELU networks: dropped units take SELU's negative saturation value and an
    affine correction keeps mean 0 and variance 1."""
    return _run(_alpha_dropout_op, input, p, training, inplace, False)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Alpha dropout of whole channels."""
    return _run(_alpha_dropout_op, input, p, training, inplace, True)
