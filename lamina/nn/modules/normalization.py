"""Normalization layers: BatchNorm1d/2d/3d, InstanceNorm1d/2d/3d, LayerNorm, GroupNorm, RMSNorm,
LocalResponseNorm. Thin modules over lamina/ops/normalization.py; they own the parameters and
the running-statistics buffers (names and state_dict layout as PyTorch's)."""
import collections
import numbers
import warnings

from ...ops import normalization as F
from ...ops.creation import empty, ones, tensor, zeros
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "SyncBatchNorm", "InstanceNorm1d", "InstanceNorm2d",
           "InstanceNorm3d", "LayerNorm", "GroupNorm", "RMSNorm", "LocalResponseNorm"]


class _NormBase(Module):
    """What batch and instance norm share: per-channel affine parameters and running stats."""

    _version = 2  # version 2 added the num_batches_tracked buffer
    __constants__ = ["track_running_stats", "momentum", "eps", "num_features", "affine"]

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None,
                 dtype=None, *, bias=True):
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = Parameter(empty(num_features, dtype=dtype))
            if bias:
                self.bias = Parameter(empty(num_features, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", ones(num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", tensor(0))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self):
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def _check_input_dim(self, input):
        raise NotImplementedError

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")

    def _plan_load(self, state_dict, prefix, local_metadata, strict, missing, errors, plan):
        # Checkpoints older than version 2 have no num_batches_tracked: keep the current count.
        version = local_metadata.get("version", None)
        key = prefix + "num_batches_tracked"
        if (version is None or version < 2) and self.track_running_stats and key not in state_dict:
            state_dict = collections.ChainMap({key: self.num_batches_tracked}, state_dict)
        super()._plan_load(state_dict, prefix, local_metadata, strict, missing, errors, plan)


def count_batch(num_batches_tracked, momentum):
    """Count one training batch in `num_batches_tracked` (None: not tracked) and return the
    running statistics' momentum factor (with momentum None, the cumulative average's 1/count)."""
    factor = 0.0 if momentum is None else momentum
    if num_batches_tracked is not None:
        count = num_batches_tracked._data
        count[()] = count.item() + 1  # an in-place ufunc on a 0-d int64 costs three times this
        num_batches_tracked._vc[0] += 1
        if momentum is None:
            factor = 1.0 / float(num_batches_tracked._data)
    return factor


class _BatchNorm(_NormBase):
    def _count_batch(self, shape):
        """In training: check the batch (before the count moves: a bad batch changes nothing),
        count it in num_batches_tracked, and return the running statistics' momentum factor."""
        if not self.training:
            return 0.0 if self.momentum is None else self.momentum
        F.verify_batch_size(shape)
        return count_batch(self.num_batches_tracked if self.track_running_stats else None, self.momentum)

    def forward(self, input):
        self._check_input_dim(input)
        factor = self._count_batch(input._data.shape)
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        track = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if track else None, self.running_var if track else None,
                            self.weight, self.bias, use_batch, factor, self.eps)


class BatchNorm1d(_BatchNorm):
    r"""Batch normalization over a 2-D (N, C) or 3-D (N, C, L) input:
    :math:`y = \frac{x - \mathrm{E}[x]}{\sqrt{\mathrm{Var}[x] + \epsilon}} \gamma + \beta`,
    with mean and (biased) variance per channel over the batch (and L) in training, and the
    running estimates in evaluation.

    Args:
        num_features: C, the number of channels
        eps: added to the variance for stability. Default: 1e-5
        momentum: weight of the new batch in the running stats; None for a cumulative
            average. Default: 0.1
        affine: learn γ (weight, init 1) and β (bias, init 0). Default: True
        track_running_stats: keep running_mean/running_var (buffers). Default: True

    Shape: Input (N, C) or (N, C, L), Output: the same."""

    def _check_input_dim(self, input):
        if input.dim() != 2 and input.dim() != 3:
            raise ValueError(f"expected 2D or 3D input (got {input.dim()}D input)")


class BatchNorm2d(_BatchNorm):
    """Batch normalization over a 4-D input (N, C, H, W), statistics per channel.

    Args: as BatchNorm1d. Shape: Input (N, C, H, W), Output: the same."""

    def _check_input_dim(self, input):
        if input.dim() != 4:
            raise ValueError(f"expected 4D input (got {input.dim()}D input)")


class BatchNorm3d(_BatchNorm):
    """Batch normalization over a 5-D input (N, C, D, H, W), statistics per channel.

    Args: as BatchNorm1d. Shape: Input (N, C, D, H, W), Output: the same."""

    def _check_input_dim(self, input):
        if input.dim() != 5:
            raise ValueError(f"expected 5D input (got {input.dim()}D input)")


class SyncBatchNorm(_BatchNorm):
    r"""BatchNorm over any (N, C, *) input whose statistics PyTorch would gather across processes.
    lamina runs in one process (lamina.distributed has no process groups), where PyTorch's
    SyncBatchNorm is plain batch normalization too; process_group is kept, unused."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 process_group=None, device=None, dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)
        self.process_group = process_group

    def _check_input_dim(self, input):
        if input.dim() < 2:
            raise ValueError(f"expected at least 2D input (got {input.dim()}D input)")
        if input.shape[1] == 0:
            raise ValueError("SyncBatchNorm number of input channels should be non-zero")

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """`module` with every BatchNorm*d replaced by a SyncBatchNorm that shares its parameters
        and buffers (the module itself when it is one)."""
        out = module
        if isinstance(module, _BatchNorm):
            out = cls(module.num_features, module.eps, module.momentum, module.affine, module.track_running_stats,
                      process_group, bias=module.bias is not None)
            if module.affine:
                out.weight, out.bias = module.weight, module.bias
            out.running_mean, out.running_var = module.running_mean, module.running_var
            out.num_batches_tracked = module.num_batches_tracked
            out.training = module.training
        for name, child in module.named_children():
            out.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return out


class _InstanceNorm(_NormBase):
    _no_batch_dim = None

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False, track_running_stats=False, device=None,
                 dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)

    def _check_input_dim(self, input):
        nd = self._no_batch_dim
        if input.dim() not in (nd, nd + 1):
            raise ValueError(f"expected {nd}D or {nd + 1}D input (got {input.dim()}D input)")

    def _apply(self, input):
        return F.instance_norm(input, self.running_mean, self.running_var, self.weight, self.bias,
                               self.training or not self.track_running_stats,
                               self.momentum if self.momentum is not None else 0.0, self.eps)

    def _plan_load(self, state_dict, prefix, local_metadata, strict, missing, errors, plan):
        version = local_metadata.get("version", None)
        if version is None and not self.track_running_stats:
            keys = [prefix + n for n in ("running_mean", "running_var") if prefix + n in state_dict]
            if keys:
                name = type(self).__name__
                errors.append(
                    f"Unexpected running stats buffer(s) {' and '.join(repr(k).replace(chr(39), chr(34)) for k in keys)} "
                    f"for {name} with track_running_stats=False. If state_dict is a checkpoint saved before 0.4.0, "
                    f"this may be expected because {name} does not track running stats by default since 0.4.0. "
                    f"Please remove these keys from state_dict. If the running stats are actually needed, instead "
                    f"set track_running_stats=True in {name} to enable them. See the documentation of {name} for "
                    "details.")
        super()._plan_load(state_dict, prefix, local_metadata, strict, missing, errors, plan)

    def _unexpected_keys(self, state_dict, prefix, local_metadata, unexpected):
        # the legacy running-stats keys are reported by _plan_load's error instead
        if local_metadata.get("version", None) is None and not self.track_running_stats:
            legacy = {prefix + "running_mean", prefix + "running_var"}
            state_dict = {k: v for k, v in state_dict.items() if k not in legacy}
        super()._unexpected_keys(state_dict, prefix, local_metadata, unexpected)

    def forward(self, input):
        self._check_input_dim(input)
        feature_dim = input.dim() - self._no_batch_dim
        if input.size(feature_dim) != self.num_features:
            if self.affine:
                raise ValueError(f"expected input's size at dim={feature_dim} to match num_features "
                                 f"({self.num_features}), but got: {input.size(feature_dim)}.")
            warnings.warn(f"input's size at dim={feature_dim} does not match num_features. You can silence this "
                          "warning by not passing in num_features, which is not used because affine=False",
                          stacklevel=2)
        if input.dim() == self._no_batch_dim:
            return self._apply(input.unsqueeze(0)).squeeze(0)
        return self._apply(input)


class InstanceNorm1d(_InstanceNorm):
    """Normalises each channel of each sample over its length: (N, C, L) or (C, L).

    Args: num_features, eps (1e-5), momentum (0.1), affine (False), track_running_stats (False).
    Shape: Input (N, C, L) or (C, L), Output: the same."""
    _no_batch_dim = 2


class InstanceNorm2d(_InstanceNorm):
    """Normalises each channel of each sample over H and W: (N, C, H, W) or (C, H, W).

    Args: as InstanceNorm1d. Shape: Input (N, C, H, W) or (C, H, W), Output: the same."""
    _no_batch_dim = 3


class InstanceNorm3d(_InstanceNorm):
    """Normalises each channel of each sample over D, H and W.

    Args: as InstanceNorm1d. Shape: Input (N, C, D, H, W) or (C, D, H, W), Output: the same."""
    _no_batch_dim = 4


def _shape_tuple(normalized_shape):
    if isinstance(normalized_shape, numbers.Integral):
        return (int(normalized_shape),)
    return tuple(normalized_shape)


class LayerNorm(Module):
    r"""Layer normalization over the last dims of each sample:
    :math:`y = \frac{x - \mathrm{E}[x]}{\sqrt{\mathrm{Var}[x] + \epsilon}} \gamma + \beta`.

    Args:
        normalized_shape: the trailing shape to normalise over (int or tuple)
        eps: added to the variance. Default: 1e-5
        elementwise_affine: learn γ (init 1) and β (init 0) of shape normalized_shape. Default: True
        bias: learn β (when elementwise_affine). Default: True

    Shape: Input (N, *), Output: the same."""
    __constants__ = ["normalized_shape", "eps", "elementwise_affine"]

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None, dtype=None):
        super().__init__()
        self.normalized_shape = _shape_tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(empty(self.normalized_shape, dtype=dtype))
            if bias:
                self.bias = Parameter(empty(self.normalized_shape, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        if self.elementwise_affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")


class GroupNorm(Module):
    r"""Group normalization: the C channels of each sample split into num_groups groups, each
    normalised over its channels and spatial positions, then scaled and shifted per channel.

    Args:
        num_groups: number of groups (must divide num_channels)
        num_channels: C
        eps: Default: 1e-5
        affine: learn per-channel γ (init 1) and β (init 0). Default: True

    Shape: Input (N, C, *), Output: the same."""
    __constants__ = ["num_groups", "num_channels", "eps", "affine"]

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError(f"num_channels ({num_channels}) must be divisible by num_groups ({num_groups})")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        if affine:
            self.weight = Parameter(empty(num_channels, dtype=dtype))
            if bias:
                self.bias = Parameter(empty(num_channels, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, input):
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class RMSNorm(Module):
    r"""Root-mean-square normalization over the last dims:
    :math:`y = \frac{x}{\sqrt{\mathrm{mean}(x^2) + \epsilon}} \gamma`.

    Args:
        normalized_shape: the trailing shape (int or tuple)
        eps: Default: None (the dtype's machine epsilon)
        elementwise_affine: learn γ (init 1). Default: True

    Shape: Input (N, *), Output: the same."""
    __constants__ = ["normalized_shape", "eps", "elementwise_affine"]

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None, dtype=None):
        super().__init__()
        self.normalized_shape = _shape_tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(empty(self.normalized_shape, dtype=dtype))
        else:
            self.register_parameter("weight", None)
        self.reset_parameters()

    def reset_parameters(self):
        if self.elementwise_affine:
            init.ones_(self.weight)

    def forward(self, x):
        return F.rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class LocalResponseNorm(Module):
    r"""Normalises each channel by the squares of its `size` neighbouring channels:
    :math:`b_c = a_c (k + \frac{\alpha}{n} \sum_{c'} a_{c'}^2)^{-\beta}`.

    Args: size, alpha (1e-4), beta (0.75), k (1.0). Shape: Input (N, C, *), Output: the same."""
    __constants__ = ["size", "alpha", "beta", "k"]

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, input):
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
