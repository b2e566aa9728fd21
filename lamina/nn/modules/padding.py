"""Padding layers: constant (and zero), reflection, replication and circular, in 1, 2 and 3 dims
(thin wrappers over F.pad). `padding` is an int (every side) or a tuple (left, right, top, bottom,
front, back), last dimension first."""
from ...ops.padding import pad
from .module import Module

__all__ = ["ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "ZeroPad1d", "ZeroPad2d", "ZeroPad3d",
           "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d",
           "ReplicationPad3d", "CircularPad1d", "CircularPad2d", "CircularPad3d"]


def _sides(padding, n):
    return tuple(padding) if isinstance(padding, (list, tuple)) else (padding,) * (2 * n)


class _PadNd(Module):
    _mode = "constant"
    _nd = 1

    def __init__(self, padding):
        super().__init__()
        self.padding = _sides(padding, self._nd)

    def forward(self, input):
        return pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    r"""Pads the last dimension with a constant: (N, C, W) → (N, C, W + left + right)."""
    _nd = 1


class ConstantPad2d(_ConstantPadNd):
    r"""Pads the last two dimensions with a constant: (N, C, H, W) → (N, C, H + top + bottom, W + left + right)."""
    _nd = 2


class ConstantPad3d(_ConstantPadNd):
    r"""Pads the last three dimensions with a constant."""
    _nd = 3


class _ZeroPad:
    """ConstantPad with the value fixed at 0 (printed without it, as PyTorch does)."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad1d(_ZeroPad, ConstantPad1d):
    r"""Pads the last dimension with zeros."""


class ZeroPad2d(_ZeroPad, ConstantPad2d):
    r"""Pads the last two dimensions with zeros (padding: int or (left, right, top, bottom))."""


class ZeroPad3d(_ZeroPad, ConstantPad3d):
    r"""Pads the last three dimensions with zeros."""


class ReflectionPad1d(_PadNd):
    r"""Pads the last dimension with its mirror image, edge not repeated ([a b c] → [c b | a b c | b a])."""
    _mode, _nd = "reflect", 1


class ReflectionPad2d(_PadNd):
    r"""Pads the last two dimensions by reflection (each pad smaller than that dimension)."""
    _mode, _nd = "reflect", 2


class ReflectionPad3d(_PadNd):
    r"""Pads the last three dimensions by reflection."""
    _mode, _nd = "reflect", 3


class ReplicationPad1d(_PadNd):
    r"""Pads the last dimension by repeating its edge values ([a b c] → [a a | a b c | c c])."""
    _mode, _nd = "replicate", 1


class ReplicationPad2d(_PadNd):
    r"""Pads the last two dimensions by repeating the edges."""
    _mode, _nd = "replicate", 2


class ReplicationPad3d(_PadNd):
    r"""Pads the last three dimensions by repeating the edges."""
    _mode, _nd = "replicate", 3


class _CircularPadNd(_PadNd):
    _mode = "circular"

    def forward(self, input):
        n = self._nd
        if input.dim() not in (n + 1, n + 2):
            raise ValueError(f"expected {n + 1}D or {n + 2}D input (got {input.dim()}D input)")
        return pad(input, self.padding, "circular")


class CircularPad1d(_CircularPadNd):
    r"""Pads the last dimension by wrapping around ([a b c] → [b c | a b c | a b])."""
    _nd = 1


class CircularPad2d(_CircularPadNd):
    r"""Pads the last two dimensions by wrapping around (a torus)."""
    _nd = 2


class CircularPad3d(_CircularPadNd):
    r"""Pads the last three dimensions by wrapping around."""
    _nd = 3
