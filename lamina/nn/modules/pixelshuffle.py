"""PixelShuffle and PixelUnshuffle: trade channels for spatial resolution and back; ChannelShuffle."""
from ...ops.interpolate import channel_shuffle, pixel_shuffle, pixel_unshuffle
from .module import Module

__all__ = ["PixelShuffle", "PixelUnshuffle", "ChannelShuffle"]


class PixelShuffle(Module):
    r"""Rearranges (*, C·r², H, W) into (*, C, H·r, W·r): efficient sub-pixel upsampling by factor r."""

    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input):
        return pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self):
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    r"""Rearranges (*, C, H·r, W·r) into (*, C·r², H, W): the inverse of PixelShuffle."""

    def __init__(self, downscale_factor):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input):
        return pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self):
        return f"downscale_factor={self.downscale_factor}"


class ChannelShuffle(Module):
    r"""Splits the C channels of (N, C, *) into `groups` groups and interleaves them: the channels,
    seen as (groups, C/groups), are transposed to (C/groups, groups). Output shape = input shape."""

    def __init__(self, groups):
        super().__init__()
        self.groups = groups

    def forward(self, input):
        return channel_shuffle(input, self.groups)

    def extra_repr(self):
        return f"groups={self.groups}"
