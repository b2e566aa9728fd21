"""Dropout layers: thin modules over lamina/ops/dropout.py. Active in training mode only."""
from ...ops import dropout as F
from .module import Module

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"]


class _DropoutNd(Module):
    __constants__ = ["p", "inplace"]

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    r"""During training, zeroes each element with probability `p` and scales the rest by
    :math:`1/(1-p)`; in evaluation it returns the input unchanged.

    Args:
        p: probability of an element to be zeroed. Default: 0.5
        inplace: do the operation in place. Default: False

    Shape: Input (*), Output (*) (same shape)."""

    def forward(self, input):
        return F.dropout(input, self.p, self.training, self.inplace)


class Dropout1d(_DropoutNd):
    """Zeroes whole channels (1-D feature maps) with probability `p` during training.

    Shape: Input (N, C, L) or (C, L), Output: the same."""

    def forward(self, input):
        return F.dropout1d(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """Zeroes whole channels (2-D feature maps) with probability `p` during training.

    Shape: Input (N, C, H, W) or (N, C, L), Output: the same."""

    def forward(self, input):
        return F.dropout2d(input, self.p, self.training, self.inplace)


class Dropout3d(_DropoutNd):
    """Zeroes whole channels (3-D feature maps) with probability `p` during training.

    Shape: Input (N, C, D, H, W) or (C, D, H, W), Output: the same."""

    def forward(self, input):
        return F.dropout3d(input, self.p, self.training, self.inplace)


class AlphaDropout(_DropoutNd):
    """Dropout that keeps SELU's self-normalising property (mean 0, variance 1).

    Shape: Input (*), Output (*)."""

    def forward(self, input):
        return F.alpha_dropout(input, self.p, self.training)


class FeatureAlphaDropout(_DropoutNd):
    """Alpha dropout of whole channels.

    Shape: Input (N, C, *), Output: the same."""

    def forward(self, input):
        return F.feature_alpha_dropout(input, self.p, self.training)
