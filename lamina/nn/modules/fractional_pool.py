"""Fractional max pooling layers (thin wrappers over lamina/ops/fractional_pool.py)."""
from ...ops import fractional_pool as P
from .module import Module

__all__ = ["FractionalMaxPool2d", "FractionalMaxPool3d"]


class _FractionalMaxPoolNd(Module):
    _nd = 2
    __constants__ = ["kernel_size", "return_indices", "output_size", "output_ratio"]

    def __init__(self, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                 _random_samples=None):
        super().__init__()
        nd = self._nd

        def ntuple(v):
            return tuple(v) if isinstance(v, (list, tuple)) else (v,) * nd
        self.kernel_size = ntuple(kernel_size)
        self.return_indices = return_indices
        # fixed offsets (for reproducible pooling) are a buffer, as in PyTorch; None is not saved
        self.register_buffer("_random_samples", _random_samples)
        self.output_size = ntuple(output_size) if output_size is not None else None
        self.output_ratio = ntuple(output_ratio) if output_ratio is not None else None
        if output_size is None and output_ratio is None:
            raise ValueError(f"{type(self).__name__} requires specifying either an output size, or a pooling ratio")
        if output_size is not None and output_ratio is not None:
            raise ValueError("only one of output_size and output_ratio may be specified")
        if self.output_ratio is not None and not all(0 < r < 1 for r in self.output_ratio):
            raise ValueError(f"output_ratio must be between 0 and 1 (got {output_ratio})")

    def forward(self, input):
        fn = P.fractional_max_pool2d if self._nd == 2 else P.fractional_max_pool3d
        return fn(input, self.kernel_size, self.output_size, self.output_ratio, self.return_indices,
                  _random_samples=self._random_samples)


class FractionalMaxPool2d(_FractionalMaxPoolNd):
    r"""2-D fractional max pooling: kH×kW windows whose starts step pseudo-randomly by ⌊α⌋ or ⌈α⌉
    (α = (H - kH) / (oH - 1)), so the output can shrink by a non-integer factor.

    Args:
        kernel_size: window size k or (kH, kW)
        output_size: (oH, oW) or one int; or
        output_ratio: a fraction in (0, 1) of the input size (one float or a pair)
        return_indices: also return the argmax positions (for MaxUnpool2d). Default: False

    Shape: Input (N, C, H, W) or (C, H, W), Output (N, C, oH, oW) or (C, oH, oW)."""
    _nd = 2


class FractionalMaxPool3d(_FractionalMaxPoolNd):
    r"""3-D fractional max pooling over (N, C, T, H, W) or (C, T, H, W); as FractionalMaxPool2d.

    Shape: Output (N, C, oT, oH, oW)."""
    _nd = 3
