"""Loss layers: thin modules over lamina/ops/loss.py holding the options (and, for the
weighted losses, the class weights as buffers, as PyTorch keeps them)."""
import math

from ...ops import loss as F
from .linear import Linear
from .module import Module

__all__ = ["L1Loss", "MSELoss", "SmoothL1Loss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss",
           "LinearCrossEntropyLoss", "NLLLoss", "KLDivLoss", "SoftMarginLoss", "MarginRankingLoss",
           "CosineEmbeddingLoss", "PoissonNLLLoss", "GaussianNLLLoss", "HingeEmbeddingLoss",
           "MultiLabelSoftMarginLoss", "TripletMarginLoss", "MultiMarginLoss", "MultiLabelMarginLoss",
           "TripletMarginWithDistanceLoss", "NLLLoss2d", "CTCLoss"]


class _Loss(Module):
    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        if size_average is not None or reduce is not None:
            self.reduction = F._legacy(size_average, reduce)
        else:
            self.reduction = reduction


class _WeightedLoss(_Loss):
    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class L1Loss(_Loss):
    r"""Mean absolute error: :math:`\ell_n = |x_n - y_n|`, then reduced ('mean' | 'sum' | 'none').

    Shape: Input (*), Target (*) (same shape), Output scalar (or (*) for 'none')."""
    __constants__ = ["reduction"]

    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction)


class MSELoss(_Loss):
    r"""Mean squared error: :math:`\ell_n = (x_n - y_n)^2`, then reduced.

    Shape: Input (*), Target (*) (same shape), Output scalar (or (*) for 'none')."""
    __constants__ = ["reduction"]

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    r"""Squared error below `beta`, absolute error above (scaled to meet smoothly).

    Args: reduction ('mean'), beta (1.0). Shape: Input (*), Target (*)."""
    __constants__ = ["reduction"]

    def __init__(self, size_average=None, reduce=None, reduction="mean", beta=1.0):
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input, target):
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    r""":math:`0.5 (x - y)^2` for :math:`|x - y| < \delta`, else :math:`\delta(|x - y| - 0.5\delta)`.

    Args: reduction ('mean'), delta (1.0). Shape: Input (*), Target (*)."""
    __constants__ = ["reduction", "delta"]

    def __init__(self, reduction="mean", delta=1.0):
        if not isinstance(delta, (float, int)):
            raise TypeError(f"delta must be a float or int, got: {type(delta)}")
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input, target):
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class BCELoss(_WeightedLoss):
    r"""Binary cross-entropy on probabilities: :math:`-w [y \log x + (1-y) \log(1-x)]`
    (logs clamped at -100).

    Args: weight (rescales each element), reduction ('mean'). Shape: Input (*), Target (*)."""
    __constants__ = ["reduction"]

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    r"""Sigmoid + binary cross-entropy in one numerically stable step, on logits.

    Args:
        weight: rescaling of each element's loss
        reduction: 'mean' | 'sum' | 'none'
        pos_weight: weight of the positive examples, per class (broadcast over the last dim)

    Shape: Input (*), Target (*) (same shape)."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, self.weight, pos_weight=self.pos_weight,
                                                  reduction=self.reduction)


class CrossEntropyLoss(_WeightedLoss):
    r"""Cross-entropy between logits and class indices or class probabilities:
    :math:`\ell_n = -w_{y_n} \log \frac{\exp(x_{n,y_n})}{\sum_c \exp(x_{n,c})}`.

    Args:
        weight: a rescaling weight per class, (C,)
        ignore_index: a target value that contributes nothing (class indices only). Default: -100
        reduction: 'mean' (weighted by the targets' class weights) | 'sum' | 'none'
        label_smoothing: ε in [0, 1]; the target becomes (1-ε)·target + ε/C. Default: 0.0

    Shape: Input (C), (N, C) or (N, C, d1, ...); Target () / (N) / (N, d1, ...) of class indices
    (int64), or the input's shape of probabilities."""
    __constants__ = ["ignore_index", "reduction", "label_smoothing"]

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                 label_smoothing=0.0):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, weight=self.weight, ignore_index=self.ignore_index,
                               reduction=self.reduction, label_smoothing=self.label_smoothing)


class LinearCrossEntropyLoss(_WeightedLoss):
    r"""Cross-entropy of the logits of its own linear layer, :math:`x W^T (+ b)`, against the target
    (see CrossEntropyLoss): F.linear_cross_entropy with the layer's weight.

    Args:
        in_features: size of each input sample
        num_classes: the number of classes C
        out_features: (d1, ..., dK) for a K-dimensional loss (logits (N, C, d1, ..., dK)). Default: ()
        bias: whether the layer adds a learnable bias to the logits. Default: False
        device, dtype: of the layer's parameters
        weight: a rescaling weight per class, (C,)
        reduction: 'mean' | 'sum' | 'none'. Default: 'mean'
        ignore_index: a target value that contributes nothing (class indices only); None means
            -100 for class indices. Default: None
        label_smoothing: ε in [0, 1]. Default: 0.0
        options: nn.LinearCrossEntropyOptions for PyTorch's chunked path, or None (see
            F.linear_cross_entropy: lamina computes it in one pass, same values)

    Variables:
        linear: Linear(in_features, C·d1···dK, bias); its weight is stored flat, (C·d1···dK,
        in_features), and viewed as (C, d1, ..., dK, in_features) in forward: PyTorch's
        state_dict layout (linear.weight, linear.bias).

    Shape: Input (in_features) or (N, in_features); Target () / (N) / (N, d1, ..., dK) of class
    indices (int64), or (C) / (N, C, d1, ..., dK) of probabilities; Output scalar, or the
    target's batch shape for 'none'.

    Example::

        >>> loss = nn.LinearCrossEntropyLoss(5, 10, out_features=(4, 3))
        >>> loss(torch.randn(2, 5), torch.randint(0, 10, (2, 4, 3))).shape
        torch.Size([])
    """
    __constants__ = ["num_classes", "out_features", "reduction", "ignore_index", "label_smoothing"]

    def __init__(self, in_features, num_classes, *, out_features=(), bias=False, device=None, dtype=None,
                 reduction="mean", weight=None, ignore_index=None, label_smoothing=0.0, options=None):
        if weight is not None and tuple(weight.shape) != (num_classes,):
            raise RuntimeError(f"expected weight shape to be {(num_classes,)}, got {tuple(weight.shape)}")
        if label_smoothing < 0 or label_smoothing > 1.0:
            raise RuntimeError(f"expected label_smoothing to be in range [0, 1], got {label_smoothing}")
        super().__init__(weight=weight, reduction=reduction)
        self.num_classes = num_classes
        self.out_features = out_features
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing
        # Linear holds a matrix, so the (C, d1, ..., dK, in) weight is kept as (C·d1···dK, in)
        self.linear = Linear(in_features, math.prod(out_features, start=num_classes), bias=bias, device=device,
                             dtype=dtype)
        self.options = options

    def forward(self, input, target):
        weight, bias = self.linear.weight, self.linear.bias
        if self.out_features:  # without K dims the flat layout already is (C, in_features): no view node
            shape = (self.num_classes, *self.out_features)
            weight = weight.reshape(*shape, self.linear.in_features)
            bias = None if bias is None else bias.reshape(shape)
        return F.linear_cross_entropy(input, weight, target, linear_bias=bias, weight=self.weight,
                                      reduction=self.reduction, ignore_index=self.ignore_index,
                                      label_smoothing=self.label_smoothing, options=self.options)

    def extra_repr(self):
        return (f"in_features={self.linear.in_features}, num_classes={self.num_classes}, "
                f"out_features={self.out_features}, bias={self.linear.bias is not None}, reduction={self.reduction}, "
                f"ignore_index={self.ignore_index}, label_smoothing={self.label_smoothing}, options={self.options}")


class NLLLoss(_WeightedLoss):
    r"""Negative log-likelihood for log-probabilities: :math:`\ell_n = -w_{y_n} x_{n, y_n}`.

    Args: weight (C,), ignore_index (-100), reduction ('mean').
    Shape: Input (C), (N, C) or (N, C, d1, ...); Target () / (N) / (N, d1, ...)."""
    __constants__ = ["ignore_index", "reduction"]

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class KLDivLoss(_Loss):
    r"""Kullback-Leibler divergence :math:`y (\log y - x)` for log-probabilities x.

    Args: reduction ('mean'; 'batchmean' is the mathematical KL), log_target (False)."""
    __constants__ = ["reduction"]

    def __init__(self, size_average=None, reduce=None, reduction="mean", log_target=False):
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input, target):
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class SoftMarginLoss(_Loss):
    r"""Two-class logistic loss :math:`\log(1 + \exp(-y x))` for targets ±1."""
    __constants__ = ["reduction"]

    def forward(self, input, target):
        return F.soft_margin_loss(input, target, reduction=self.reduction)


class MarginRankingLoss(_Loss):
    r""":math:`\max(0, -y (x_1 - x_2) + \text{margin})` for targets ±1.

    Args: margin (0.0), reduction ('mean')."""
    __constants__ = ["margin", "reduction"]

    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return F.margin_ranking_loss(input1, input2, target, margin=self.margin, reduction=self.reduction)


class HingeEmbeddingLoss(_Loss):
    r""":math:`x` for y = 1, :math:`\max(0, \text{margin} - x)` for y = -1.

    Args: margin (1.0), reduction ('mean')."""
    __constants__ = ["margin", "reduction"]

    def __init__(self, margin=1.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input, target):
        return F.hinge_embedding_loss(input, target, margin=self.margin, reduction=self.reduction)


class CosineEmbeddingLoss(_Loss):
    r""":math:`1 - \cos(x_1, x_2)` for y = 1, :math:`\max(0, \cos(x_1, x_2) - \text{margin})` for y = -1.

    Args: margin (0.0), reduction ('mean')."""
    __constants__ = ["margin", "reduction"]

    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return F.cosine_embedding_loss(input1, input2, target, margin=self.margin, reduction=self.reduction)


class PoissonNLLLoss(_Loss):
    r"""Poisson negative log-likelihood: :math:`e^x - y x` (log_input) or :math:`x - y \log(x + \epsilon)`.

    Args: log_input (True), full (False; adds Stirling's term), eps (1e-8), reduction ('mean')."""
    __constants__ = ["log_input", "full", "eps", "reduction"]

    def __init__(self, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.log_input = log_input
        self.full = full
        self.eps = eps

    def forward(self, log_input, target):
        return F.poisson_nll_loss(log_input, target, log_input=self.log_input, full=self.full, eps=self.eps,
                                  reduction=self.reduction)


class GaussianNLLLoss(_Loss):
    r"""Gaussian negative log-likelihood with predicted variance:
    :math:`\frac12 (\log \max(\sigma^2, \epsilon) + (x - y)^2 / \max(\sigma^2, \epsilon))`.

    Args: full (False), eps (1e-6), reduction ('mean')."""
    __constants__ = ["full", "eps", "reduction"]

    def __init__(self, *, full=False, eps=1e-6, reduction="mean"):
        super().__init__(None, None, reduction)
        self.full = full
        self.eps = eps

    def forward(self, input, target, var):
        return F.gaussian_nll_loss(input, target, var, full=self.full, eps=self.eps, reduction=self.reduction)


class MultiLabelSoftMarginLoss(_WeightedLoss):
    r"""Multi-label one-versus-all logistic loss, averaged over the C classes of each sample."""
    __constants__ = ["reduction"]

    def forward(self, input, target):
        return F.multilabel_soft_margin_loss(input, target, weight=self.weight, reduction=self.reduction)


class TripletMarginLoss(_Loss):
    r""":math:`\max(d(a, p) - d(a, n) + \text{margin}, 0)` with the p-norm distance.

    Args: margin (1.0), p (2.0), eps (1e-6), swap (False), reduction ('mean')."""
    __constants__ = ["margin", "p", "eps", "swap", "reduction"]

    def __init__(self, margin=1.0, p=2.0, eps=1e-6, swap=False, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginLoss: expected margin to be greater than 0, got {margin} instead")
        self.margin = margin
        self.p = p
        self.eps = eps
        self.swap = swap

    def forward(self, anchor, positive, negative):
        return F.triplet_margin_loss(anchor, positive, negative, margin=self.margin, p=self.p, eps=self.eps,
                                     swap=self.swap, reduction=self.reduction)


class TripletMarginWithDistanceLoss(_Loss):
    r""":math:`\max(d(a, p) - d(a, n) + \text{margin}, 0)` for a distance function d (default
    nn.PairwiseDistance()).

    Args (keyword-only): distance_function (None), margin (1.0), swap (False), reduction ('mean')."""

    def __init__(self, *, distance_function=None, margin=1.0, swap=False, reduction="mean"):
        super().__init__(None, None, reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginWithDistanceLoss: expected margin to be greater than 0, got {margin} "
                             "instead")
        from .distance import PairwiseDistance
        self.distance_function = distance_function if distance_function is not None else PairwiseDistance()
        self.margin = margin
        self.swap = swap

    def forward(self, anchor, positive, negative):
        return F.triplet_margin_with_distance_loss(anchor, positive, negative,
                                                   distance_function=self.distance_function, margin=self.margin,
                                                   swap=self.swap, reduction=self.reduction)


class MultiMarginLoss(_WeightedLoss):
    r"""Multi-class hinge loss: :math:`\frac{1}{C}\sum_{i \ne y} w_y \max(0, \text{margin} - x_y + x_i)^p`.

    Args: p (1 or 2), margin (1.0), weight (C,), reduction ('mean'). Shape: Input (N, C) or (C), Target (N) or ()."""
    __constants__ = ["p", "margin", "reduction"]

    def __init__(self, p=1, margin=1.0, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)
        if p != 1 and p != 2:
            raise ValueError("only p == 1 and p == 2 supported")
        if weight is not None and weight.dim() != 1:
            raise ValueError(f"MultiMarginLoss: expected weight to be None or 1D tensor, got {weight.dim()}D instead")
        self.p = p
        self.margin = margin

    def forward(self, input, target):
        return F.multi_margin_loss(input, target, p=self.p, margin=self.margin, weight=self.weight,
                                   reduction=self.reduction)


class MultiLabelMarginLoss(_Loss):
    r"""Multi-label hinge loss between each target class (indices before the first -1 in the
    target row) and each non-target class.

    Shape: Input (N, C) or (C), Target: the same shape, int64."""
    __constants__ = ["reduction"]

    def forward(self, input, target):
        return F.multilabel_margin_loss(input, target, reduction=self.reduction)


class NLLLoss2d(NLLLoss):
    """Deprecated alias of NLLLoss (which handles (N, C, H, W) input itself)."""

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
        import warnings
        warnings.warn("`NLLLoss2d` has been deprecated. Please use `NLLLoss` instead as a drop-in replacement and see "
                      "https://pytorch.org/docs/main/nn.html#torch.nn.NLLLoss for more details.", FutureWarning,
                      stacklevel=2)
        super().__init__(weight, size_average, ignore_index, reduce, reduction)


class CTCLoss(_Loss):
    r"""Connectionist Temporal Classification loss for unsegmented sequences: -log of the total
    probability of every alignment of the target.

    Args: blank (0), reduction ('mean': each loss over its target length, then the batch mean),
    zero_infinity (False). Shape: log_probs (T, N, C) or (T, C); targets (N, S) or concatenated;
    input_lengths, target_lengths (N,)."""
    __constants__ = ["blank", "reduction"]

    def __init__(self, blank=0, reduction="mean", zero_infinity=False):
        super().__init__(reduction=reduction)
        self.blank = blank
        self.zero_infinity = zero_infinity

    def forward(self, log_probs, targets, input_lengths, target_lengths):
        return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, self.blank, self.reduction,
                          self.zero_infinity)
