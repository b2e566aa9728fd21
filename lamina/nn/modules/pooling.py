"""Pooling layers (thin wrappers over lamina/ops/pooling.py): max, average, adaptive, LP and
max-unpooling, in 1, 2 and 3 dimensions."""
from ...ops import pooling as P
from .module import Module

__all__ = ["MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d", "AdaptiveAvgPool1d",
           "AdaptiveAvgPool2d", "AdaptiveAvgPool3d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d",
           "LPPool1d", "LPPool2d", "LPPool3d", "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d"]


def _ntuple(v, n):
    return tuple(v) if isinstance(v, (list, tuple)) else (v,) * n


class _MaxPoolNd(Module):
    _fn = None

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, input):
        return type(self)._fn(input, self.kernel_size, self.stride, self.padding, self.dilation,
                              ceil_mode=self.ceil_mode, return_indices=self.return_indices)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    r"""1-D max pooling: out(N, C, l) = max_{m<k} input(N, C, stride·l + dilation·m) over an input
    implicitly padded with -∞ on both sides.

    Args:
        kernel_size: window size
        stride: window step. Default: kernel_size
        padding: implicit -∞ padding on both sides (at most kernel_size/2). Default: 0
        dilation: spacing between window elements. Default: 1
        return_indices: also return the flat index of each maximum (for MaxUnpool1d). Default: False
        ceil_mode: round the output length up, so that a partial last window counts. Default: False

    Shape: Input (N, C, L_in) or (C, L_in); Output (N, C, L_out) with
    L_out = ⌊(L_in + 2·padding - dilation·(kernel_size-1) - 1)/stride + 1⌋ (⌈⌉ with ceil_mode)."""
    _fn = staticmethod(P.max_pool1d)


class MaxPool2d(_MaxPoolNd):
    r"""2-D max pooling: out(N, C, h, w) = max_{m<kH, n<kW} input(N, C, stride[0]·h + m, stride[1]·w + n).

    Args: kernel_size, stride (default kernel_size), padding (-∞, at most half the kernel), dilation,
    return_indices, ceil_mode: as MaxPool1d, each an int or a pair.

    Shape: Input (N, C, H_in, W_in) or (C, H_in, W_in); Output (N, C, H_out, W_out) with
    H_out = ⌊(H_in + 2·padding[0] - dilation[0]·(kernel_size[0]-1) - 1)/stride[0] + 1⌋, likewise W_out.

    Example::

        >>> nn.MaxPool2d(2)(torch.randn(64, 32, 28, 28)).shape   # halves height and width
        lamina.Size([64, 32, 14, 14])
    """
    _fn = staticmethod(P.max_pool2d)


class MaxPool3d(_MaxPoolNd):
    r"""3-D max pooling over an input (N, C, D, H, W) or (C, D, H, W); arguments as MaxPool2d, with triples."""
    _fn = staticmethod(P.max_pool3d)


class AvgPool1d(Module):
    r"""1-D average pooling: out(N, C, l) = 1/k · Σ_{m<k} input(N, C, stride·l + m).

    Args:
        kernel_size: window size
        stride: window step. Default: kernel_size
        padding: implicit zero padding on both sides (at most kernel_size/2). Default: 0
        ceil_mode: round the output length up. Default: False
        count_include_pad: count the zero padding in the divisor. Default: True

    Shape: Input (N, C, L_in) or (C, L_in); Output (N, C, L_out),
    L_out = ⌊(L_in + 2·padding - kernel_size)/stride + 1⌋."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
        super().__init__()
        self.kernel_size = _ntuple(kernel_size, 1)
        self.stride = _ntuple(stride if stride is not None else kernel_size, 1)
        self.padding = _ntuple(padding, 1)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input):
        return P.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _AvgPoolNd(Module):
    _fn = None

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input):
        return type(self)._fn(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                              self.count_include_pad, self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(_AvgPoolNd):
    r"""2-D average pooling: out(N, C, h, w) = 1/(kH·kW) · Σ_{m,n} input(N, C, stride[0]·h + m, stride[1]·w + n).

    Args: kernel_size, stride (default kernel_size), padding, ceil_mode, count_include_pad (as
    AvgPool1d), divisor_override (if set, the divisor for every window).

    Shape: Input (N, C, H_in, W_in) or (C, H_in, W_in); Output (N, C, H_out, W_out),
    H_out = ⌊(H_in + 2·padding[0] - kernel_size[0])/stride[0] + 1⌋, likewise W_out."""
    _fn = staticmethod(P.avg_pool2d)


class AvgPool3d(_AvgPoolNd):
    r"""3-D average pooling over an input (N, C, D, H, W) or (C, D, H, W); arguments as AvgPool2d."""
    _fn = staticmethod(P.avg_pool3d)


class _AdaptivePool(Module):
    _fn = None

    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size = output_size
        if type(self).__name__.startswith("AdaptiveMax"):
            self.return_indices = return_indices

    def extra_repr(self):
        return f"output_size={self.output_size}"


class _AdaptiveAvg(_AdaptivePool):
    def __init__(self, output_size):
        super().__init__(output_size)

    def forward(self, input):
        return type(self)._fn(input, self.output_size)


class _AdaptiveMax(_AdaptivePool):
    def forward(self, input):
        return type(self)._fn(input, self.output_size, self.return_indices)


class AdaptiveAvgPool1d(_AdaptiveAvg):
    r"""1-D average pooling to a fixed output length: window i covers [⌊i·L/o⌋, ⌈(i+1)·L/o⌉).

    Shape: Input (N, C, L_in) or (C, L_in); Output (N, C, output_size)."""
    _fn = staticmethod(P.adaptive_avg_pool1d)


class AdaptiveAvgPool2d(_AdaptiveAvg):
    r"""2-D average pooling to a fixed output size (int, pair; None keeps that input size).
    AdaptiveAvgPool2d(1) is global average pooling.

    Shape: Input (N, C, H_in, W_in) or (C, H_in, W_in); Output (N, C, *output_size)."""
    _fn = staticmethod(P.adaptive_avg_pool2d)


class AdaptiveAvgPool3d(_AdaptiveAvg):
    r"""3-D average pooling to a fixed output size."""
    _fn = staticmethod(P.adaptive_avg_pool3d)


class AdaptiveMaxPool1d(_AdaptiveMax):
    r"""1-D max pooling to a fixed output length (return_indices: also the index of each maximum)."""
    _fn = staticmethod(P.adaptive_max_pool1d)


class AdaptiveMaxPool2d(_AdaptiveMax):
    r"""2-D max pooling to a fixed output size (int, pair; None keeps that input size)."""
    _fn = staticmethod(P.adaptive_max_pool2d)


class AdaptiveMaxPool3d(_AdaptiveMax):
    r"""3-D max pooling to a fixed output size."""
    _fn = staticmethod(P.adaptive_max_pool3d)


class _LPPoolNd(Module):
    _fn = None

    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        self.norm_type = norm_type
        self.kernel_size = kernel_size
        self.stride = stride
        self.ceil_mode = ceil_mode

    def forward(self, input):
        return type(self)._fn(input, float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode)

    def extra_repr(self):
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"ceil_mode={self.ceil_mode}")


class LPPool1d(_LPPoolNd):
    r"""1-D power-average pooling: f(X) = (Σ_{x∈X} x^p)^(1/p) (p = ∞ is max pooling, p = 1 sum pooling)."""
    _fn = staticmethod(P.lp_pool1d)


class LPPool2d(_LPPoolNd):
    r"""2-D power-average pooling: f(X) = (Σ_{x∈X} x^p)^(1/p)."""
    _fn = staticmethod(P.lp_pool2d)


class LPPool3d(_LPPoolNd):
    r"""3-D power-average pooling: f(X) = (Σ_{x∈X} x^p)^(1/p)."""
    _fn = staticmethod(P.lp_pool3d)


class _MaxUnpoolNd(Module):
    _fn = None
    _nd = 2

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        n = self._nd
        self.kernel_size = _ntuple(kernel_size, n)
        self.stride = _ntuple(stride if stride is not None else kernel_size, n)
        self.padding = _ntuple(padding, n)

    def forward(self, input, indices, output_size=None):
        return type(self)._fn(input, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    r"""Partial inverse of MaxPool1d: each value goes back to its index, every other position is zero.

    forward(input, indices, output_size=None); default L_out = (L_in-1)·stride - 2·padding + kernel_size."""
    _nd = 1
    _fn = staticmethod(P.max_unpool1d)


class MaxUnpool2d(_MaxUnpoolNd):
    r"""Partial inverse of MaxPool2d: each value goes back to its index, every other position is zero.

    forward(input, indices, output_size=None); default H_out = (H_in-1)·stride[0] - 2·padding[0] + kH."""
    _nd = 2
    _fn = staticmethod(P.max_unpool2d)


class MaxUnpool3d(_MaxUnpoolNd):
    r"""Partial inverse of MaxPool3d."""
    _nd = 3
    _fn = staticmethod(P.max_unpool3d)
