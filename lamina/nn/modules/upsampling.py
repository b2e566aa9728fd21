"""Upsampling layers: Upsample (any F.interpolate mode), UpsamplingNearest2d, UpsamplingBilinear2d."""
from ...ops.interpolate import interpolate
from .module import Module

__all__ = ["Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"]


class Upsample(Module):
    r"""Upsamples (N, C, *spatial) data to `size` or by `scale_factor`.

    Args:
        size: output spatial size (int or tuple)
        scale_factor: multiplier of the spatial size (float or tuple)
        mode: 'nearest' | 'nearest-exact' | 'linear' | 'bilinear' | 'bicubic' | 'trilinear'. Default: 'nearest'
        align_corners: for interpolating modes, align the corner pixel centres. Default: None (False)
        recompute_scale_factor: recompute the scale from the output size for the interpolation

    Shape: Input (N, C, W_in), (N, C, H_in, W_in) or (N, C, D_in, H_in, W_in); Output the same
    with each spatial size ⌊in · scale_factor⌋ (or `size`).

    Example::

        >>> nn.Upsample(scale_factor=2, mode="bilinear")(torch.randn(1, 3, 8, 8)).shape
        lamina.Size([1, 3, 16, 16])
    """

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None,
                 recompute_scale_factor=None):
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, tuple):
            self.scale_factor = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input):
        return interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                           recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self):
        info = f"scale_factor={self.scale_factor!r}" if self.scale_factor is not None else f"size={self.size!r}"
        return info + f", mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    r"""2-D nearest-neighbour upsampling (deprecated in PyTorch in favour of F.interpolate)."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    r"""2-D bilinear upsampling with align_corners=True (deprecated in PyTorch in favour of F.interpolate)."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)
