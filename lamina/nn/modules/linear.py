"""Linear layers: Identity, Linear, LazyLinear, Bilinear."""
import math

from ... import ops
from ...autograd.grad_mode import no_grad
from ...ops.creation import empty
from .. import init
from ..parameter import Parameter, UninitializedParameter
from .lazy import LazyModuleMixin
from .module import Module

__all__ = ["Identity", "Linear", "LazyLinear", "Bilinear"]


class Identity(Module):
    """Returns its input unchanged (arguments are accepted and ignored)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    r"""A layer of `out_features` neurons, each a weighted sum of all inputs plus a bias:
    :math:`y = x A^T + b`.

    Args:
        in_features: size of each input sample
        out_features: size of each output sample (the number of neurons)
        bias: if False, the layer learns no additive bias. Default: True

    Shape:
        Input: (*, H_in) with H_in = in_features. Output: (*, H_out) with H_out = out_features.

    Variables:
        weight: (out_features, in_features), initialised from U(-√k, √k) with k = 1/in_features
        bias: (out_features,), initialised from U(-√k, √k)

    Example::

        >>> layer = nn.Linear(3, 4)          # 4 neurons, 4 × (3 + 1) = 16 parameters
        >>> layer(torch.randn(2, 3)).shape
        lamina.Size([2, 4])
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(empty((out_features, in_features), dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        # kaiming_uniform_(a=√5) gives U(-1/√fan_in, 1/√fan_in), PyTorch's historical default
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.in_features
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        x = input._data
        if x.ndim and x.shape[-1] != self.in_features:
            rows = x.size // x.shape[-1] if x.shape[-1] else 0
            raise RuntimeError(
                f"Linear(in_features={self.in_features}, out_features={self.out_features}): expected input with "
                f"last dimension {self.in_features}, got shape {tuple(x.shape)} (mat1 and mat2 shapes cannot be "
                f"multiplied ({rows}x{x.shape[-1]} and {self.in_features}x{self.out_features}))")
        # from _parameters directly: self.weight goes through a failed lookup and Module.__getattr__
        # (1.3 us each on Python 3.11); a parametrization that replaces them still gets its way
        params = self._parameters
        weight = params["weight"] if "weight" in params else self.weight
        bias = params["bias"] if "bias" in params else self.bias
        return ops.linalg.linear(input, weight, bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class LazyLinear(LazyModuleMixin, Linear):
    r"""A Linear layer whose in_features is taken from the last dim of its first input. Until then
    weight and bias are UninitializedParameters; the first forward creates and initialises them
    (as Linear does) and the module becomes a plain Linear (see LazyModuleMixin).

    Args: out_features, bias (default True)."""

    cls_to_become = Linear

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        super().__init__(0, 0, False)
        self.weight = UninitializedParameter(dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(dtype=dtype)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input):
        if self.has_uninitialized_params():
            with no_grad():
                self.in_features = input.shape[-1]
                self.weight.materialize((self.out_features, self.in_features))
                if self.bias is not None:
                    self.bias.materialize((self.out_features,))
                self.reset_parameters()
        if self.in_features == 0:  # the weights came from a state_dict: check the input against them
            if input.shape[-1] != self.weight.shape[-1]:
                raise AssertionError(f"The in_features inferred from input: {input.shape[-1]} is not equal to "
                                     f"in_features from self.weight: {self.weight.shape[-1]}")
            self.in_features = input.shape[-1]


class Bilinear(Module):
    r""":math:`y = x_1^T A x_2 + b`.

    Shape: Input1 (*, H_in1), Input2 (*, H_in2), Output (*, H_out).
    weight (out, in1, in2) and bias (out,) from U(-√k, √k), k = 1/in1_features."""

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        self.weight = Parameter(empty((out_features, in1_features, in2_features), dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        if in1_features <= 0:  # the init bound divides by it
            raise ValueError(f"in1_features must be > 0, but got (in1_features={in1_features})")
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.weight.size(1))
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return ops.linalg.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
