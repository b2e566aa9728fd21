"""Fold and Unfold: sliding local blocks to columns (im2col) and back (col2im, summing overlaps)."""
from ...ops.conv import fold, unfold
from .module import Module

__all__ = ["Fold", "Unfold"]


class Fold(Module):
    r"""Combines an array of sliding local blocks into a tensor, summing where blocks overlap.

    Args: output_size (spatial size of the result), kernel_size, dilation=1, padding=0, stride=1.

    Shape: Input (N, C·∏kernel_size, L) or (C·∏kernel_size, L); Output (N, C, *output_size), where L
    is the number of blocks: L = ∏_d ⌊(output_size_d + 2·padding_d - dilation_d·(kernel_size_d-1) - 1)/stride_d + 1⌋."""

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.output_size = output_size
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input):
        return fold(input, self.output_size, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class Unfold(Module):
    r"""Extracts sliding local blocks from a batched input: each block's C·∏kernel_size values become a column.

    Args: kernel_size, dilation=1, padding=0, stride=1.

    Shape: Input (N, C, H, W) or (C, H, W); Output (N, C·∏kernel_size, L) (see Fold for L).
    Unfold followed by a matmul with the weight is a convolution."""

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.padding = padding
        self.stride = stride

    def forward(self, input):
        return unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, padding={self.padding}, "
                f"stride={self.stride}")
