"""Convolution layers: Conv1d/2d/3d and ConvTranspose1d/2d/3d (thin wrappers over F.conv*)."""
import math

from ...ops import conv as C
from ...ops.creation import empty
from ...ops.padding import pad as _pad
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"]


def _ntuple(v, n):
    if isinstance(v, (list, tuple)):
        return tuple(v)
    return (v,) * n


class _ConvNd(Module):
    """What every convolution layer shares: arguments, parameters, initialisation and repr."""

    _nd = 2

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, transposed,
                 output_padding, groups, bias, padding_mode, device=None, dtype=None):
        super().__init__()
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        if isinstance(padding, str):
            valid_strings = {"same", "valid"}  # a set, printed in the order PyTorch's prints
            if padding not in valid_strings:
                raise ValueError(f"Invalid padding string {padding!r}, should be one of {valid_strings}")
            if padding == "same" and any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
        valid_modes = {"zeros", "reflect", "replicate", "circular"}
        if padding_mode not in valid_modes:
            raise ValueError(f"padding_mode must be one of {valid_modes}, but got padding_mode='{padding_mode}'")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = kernel_size
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.transposed = transposed
        self.output_padding = output_padding
        self.groups = groups
        self.padding_mode = padding_mode
        # F.pad's order (last dim first), used for the non-zero padding modes
        if isinstance(padding, str):
            rev = [0, 0] * len(kernel_size)
            if padding == "same":
                for d, k, i in zip(dilation, kernel_size, range(len(kernel_size) - 1, -1, -1)):
                    total = d * (k - 1)
                    rev[2 * i] = total // 2
                    rev[2 * i + 1] = total - total // 2
        else:
            rev = tuple(p for p in reversed(padding) for _ in range(2))
        self._reversed_padding_repeated_twice = rev
        shape = ((in_channels, out_channels // groups) if transposed else
                 (out_channels, in_channels // groups)) + tuple(kernel_size)
        self.weight = Parameter(empty(shape, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        # kaiming_uniform_(a=√5) gives U(-1/√fan_in, 1/√fan_in), PyTorch's default
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def extra_repr(self):
        s = "{in_channels}, {out_channels}, kernel_size={kernel_size}, stride={stride}"
        if self.padding != (0,) * len(self.padding):
            s += ", padding={padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += ", dilation={dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += ", output_padding={output_padding}"
        if self.groups != 1:
            s += ", groups={groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += ", padding_mode={padding_mode}"
        return s.format(**self.__dict__)

    def __setstate__(self, state):
        self.__dict__.update(state)
        if "padding_mode" not in self.__dict__:
            self.padding_mode = "zeros"


class _Conv(_ConvNd):
    _fn = None

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        n = self._nd
        super().__init__(in_channels, out_channels, _ntuple(kernel_size, n), _ntuple(stride, n),
                         padding if isinstance(padding, str) else _ntuple(padding, n), _ntuple(dilation, n),
                         False, (0,) * n, groups, bias, padding_mode, device, dtype)

    def _conv_forward(self, input, weight, bias):
        fn = type(self)._fn
        if self.padding_mode != "zeros":
            return fn(_pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode), weight, bias,
                      self.stride, 0, self.dilation, self.groups)
        return fn(input, weight, bias, self.stride, self.padding, self.dilation, self.groups)

    def forward(self, input):
        return self._conv_forward(input, self.weight, self.bias)


class Conv1d(_Conv):
    r"""A 1-D convolution over an input of several channels:
    out(N_i, C_out_j) = bias(C_out_j) + Σ_{k<C_in} weight(C_out_j, k) ⋆ input(N_i, k).

    Args:
        in_channels, out_channels: channels of the input and of the output
        kernel_size: size of the convolving kernel
        stride: stride of the convolution. Default: 1
        padding: int, tuple, 'valid' (none) or 'same' (output length = input length). Default: 0
        dilation: spacing between kernel elements. Default: 1
        groups: blocked connections; in and out channels split into `groups` independent convolutions
        bias: learn an additive bias. Default: True
        padding_mode: 'zeros', 'reflect', 'replicate' or 'circular'. Default: 'zeros'

    Shape:
        Input (N, C_in, L_in) or (C_in, L_in); Output (N, C_out, L_out) with
        L_out = ⌊(L_in + 2·padding - dilation·(kernel_size-1) - 1)/stride + 1⌋.

    Variables:
        weight: (out_channels, in_channels/groups, kernel_size), U(-√k, √k), k = groups/(C_in·kernel_size)
        bias: (out_channels,), U(-√k, √k)

    Example::

        >>> m = nn.Conv1d(16, 33, 3, stride=2)
        >>> m(torch.randn(20, 16, 50)).shape
        lamina.Size([20, 33, 24])
    """
    _nd = 1
    _fn = staticmethod(C.conv1d)


class Conv2d(_Conv):
    r"""A 2-D convolution over an image of several channels:
    out(N_i, C_out_j) = bias(C_out_j) + Σ_{k<C_in} weight(C_out_j, k) ⋆ input(N_i, k).

    Args:
        in_channels, out_channels: channels of the input and of the output
        kernel_size: int or (kH, kW)
        stride: int or pair. Default: 1
        padding: int, pair, 'valid' or 'same' (output size = input size; stride must be 1). Default: 0
        dilation: int or pair, spacing between kernel elements. Default: 1
        groups: blocked connections (groups = in_channels is a depthwise convolution). Default: 1
        bias: learn an additive bias. Default: True
        padding_mode: 'zeros', 'reflect', 'replicate' or 'circular'. Default: 'zeros'

    Shape:
        Input (N, C_in, H_in, W_in) or (C_in, H_in, W_in); Output (N, C_out, H_out, W_out) with
        H_out = ⌊(H_in + 2·padding[0] - dilation[0]·(kernel_size[0]-1) - 1)/stride[0] + 1⌋, likewise W_out.

    Variables:
        weight: (out_channels, in_channels/groups, kH, kW), U(-√k, √k), k = groups/(C_in·kH·kW)
        bias: (out_channels,), U(-√k, √k)

    Example::

        >>> m = nn.Conv2d(1, 32, 3, padding=1)   # 32 filters of 1×3×3, 32·(9+1) = 320 parameters
        >>> m(torch.randn(64, 1, 28, 28)).shape
        lamina.Size([64, 32, 28, 28])
    """
    _nd = 2
    _fn = staticmethod(C.conv2d)


class Conv3d(_Conv):
    r"""A 3-D convolution over a volume of several channels (the same arguments as Conv2d, with triples).

    Shape: Input (N, C_in, D, H, W) or (C_in, D, H, W); Output (N, C_out, D_out, H_out, W_out).
    weight: (out_channels, in_channels/groups, kD, kH, kW), U(-√k, √k), k = groups/(C_in·kD·kH·kW)."""
    _nd = 3
    _fn = staticmethod(C.conv3d)


class _ConvTransposeNd(_ConvNd):
    _fn = None

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {type(self).__name__}')
        n = self._nd
        super().__init__(in_channels, out_channels, _ntuple(kernel_size, n), _ntuple(stride, n),
                         _ntuple(padding, n), _ntuple(dilation, n), True, _ntuple(output_padding, n), groups,
                         bias, padding_mode, device, dtype)

    def _output_padding(self, input, output_size, stride, padding, kernel_size, num_spatial_dims, dilation=None):
        if output_size is None:
            return tuple(self.output_padding)
        has_batch = input.dim() == num_spatial_dims + 2
        non_spatial = 2 if has_batch else 1
        output_size = list(output_size)
        if len(output_size) == non_spatial + num_spatial_dims:
            output_size = output_size[non_spatial:]
        if len(output_size) != num_spatial_dims:
            raise ValueError(f"ConvTranspose{num_spatial_dims}D: for {input.dim()}D input, output_size must have "
                             f"{num_spatial_dims} or {non_spatial + num_spatial_dims} elements (got {len(output_size)})")
        min_sizes, max_sizes = [], []
        for d in range(num_spatial_dims):
            size = ((input.size(d + non_spatial) - 1) * stride[d] - 2 * padding[d]
                    + (dilation[d] if dilation is not None else 1) * (kernel_size[d] - 1) + 1)
            min_sizes.append(size)
            max_sizes.append(size + stride[d] - 1)
        for i, size in enumerate(output_size):
            if size < min_sizes[i] or size > max_sizes[i]:
                raise ValueError(f"requested an output size of {output_size}, but valid sizes range from {min_sizes} "
                                 f"to {max_sizes} (for an input of {input.size()[non_spatial:]})")
        return tuple(output_size[d] - min_sizes[d] for d in range(num_spatial_dims))

    def forward(self, input, output_size=None):
        if self.padding_mode != "zeros":
            raise ValueError(f"Only `zeros` padding mode is supported for {type(self).__name__}")
        output_padding = self._output_padding(input, output_size, self.stride, self.padding, self.kernel_size,
                                              self._nd, self.dilation)
        return type(self)._fn(input, self.weight, self.bias, self.stride, self.padding, output_padding,
                              self.groups, self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    r"""A 1-D transposed convolution (the gradient of Conv1d with respect to its input), often used
    to upsample.

    Args: in_channels, out_channels, kernel_size, stride=1, padding=0 (removes dilation·(k-1)-padding
    of implicit zero padding), output_padding=0 (extra size on one side), groups=1, bias=True, dilation=1.

    Shape: Input (N, C_in, L_in) or (C_in, L_in); Output (N, C_out, L_out) with
    L_out = (L_in-1)·stride - 2·padding + dilation·(kernel_size-1) + output_padding + 1.
    weight: (in_channels, out_channels/groups, kernel_size), U(-√k, √k), k = groups/(C_out·kernel_size)."""
    _nd = 1
    _fn = staticmethod(C.conv_transpose1d)


class ConvTranspose2d(_ConvTransposeNd):
    r"""A 2-D transposed convolution (the gradient of Conv2d with respect to its input), often used
    to upsample feature maps.

    Args: in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
    bias=True, dilation=1. forward(input, output_size=None) picks output_padding to reach output_size.

    Shape: Input (N, C_in, H_in, W_in) or (C_in, H_in, W_in); Output (N, C_out, H_out, W_out) with
    H_out = (H_in-1)·stride[0] - 2·padding[0] + dilation[0]·(kH-1) + output_padding[0] + 1, likewise W_out.
    weight: (in_channels, out_channels/groups, kH, kW), U(-√k, √k), k = groups/(C_out·kH·kW).

    Example::

        >>> up = nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1)
        >>> up(torch.randn(1, 16, 12, 12), output_size=[1, 8, 24, 24]).shape
        lamina.Size([1, 8, 24, 24])
    """
    _nd = 2
    _fn = staticmethod(C.conv_transpose2d)


class ConvTranspose3d(_ConvTransposeNd):
    r"""A 3-D transposed convolution (the gradient of Conv3d with respect to its input)."""
    _nd = 3
    _fn = staticmethod(C.conv_transpose3d)
