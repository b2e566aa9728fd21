"""Activation layers: thin modules over lamina.nn.functional (lamina/ops/activation.py).

Each holds only its hyper-parameters (PReLU also its slope parameter); repr and arguments are
PyTorch's."""
from ...ops import activation as F
from ...ops import pointwise as _pw
from ...ops.creation import empty
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["Threshold", "ReLU", "RReLU", "Hardtanh", "ReLU6", "Sigmoid", "Hardsigmoid", "Tanh", "SiLU", "Mish",
           "Hardswish", "ELU", "CELU", "SELU", "GLU", "GELU", "Hardshrink", "LeakyReLU", "LogSigmoid",
           "Softplus", "Softshrink", "PReLU", "Softsign", "Tanhshrink", "Softmin", "Softmax", "Softmax2d",
           "LogSoftmax"]


def _inplace_repr(inplace):
    return "inplace=True" if inplace else ""


class ReLU(Module):
    r"""Rectified linear unit: :math:`\text{ReLU}(x) = \max(0, x)`.

    Args:
        inplace: overwrite the input instead of allocating the output. Default: False

    Shape: Input (*), Output (*) (same shape)."""
    __constants__ = ["inplace"]

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return input.relu_() if self.inplace else _pw.relu(input)

    def extra_repr(self):
        return _inplace_repr(self.inplace)


class Threshold(Module):
    r""":math:`y = x` if :math:`x > \text{threshold}`, else `value`.

    Args: threshold, value, inplace (default False). Shape: Input (*), Output (*)."""
    __constants__ = ["threshold", "value", "inplace"]

    def __init__(self, threshold, value, inplace=False):
        super().__init__()
        self.threshold = threshold
        self.value = value
        self.inplace = inplace

    def forward(self, input):
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self):
        inplace = ", inplace=True" if self.inplace else ""
        return f"threshold={self.threshold}, value={self.value}{inplace}"


class RReLU(Module):
    r"""Randomized leaky ReLU: the negative slope is drawn from U(lower, upper) per element in
    training and is (lower + upper) / 2 in evaluation.

    Args: lower (1/8), upper (1/3), inplace (False). Shape: Input (*), Output (*)."""
    __constants__ = ["lower", "upper", "inplace"]

    def __init__(self, lower=1.0 / 8, upper=1.0 / 3, inplace=False):
        super().__init__()
        self.lower = lower
        self.upper = upper
        self.inplace = inplace

    def forward(self, input):
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self):
        inplace = ", inplace=True" if self.inplace else ""
        return f"lower={self.lower}, upper={self.upper}{inplace}"


class Hardtanh(Module):
    r""":math:`x` clamped to [min_val, max_val].

    Args: min_val (-1), max_val (1), inplace (False). Shape: Input (*), Output (*)."""
    __constants__ = ["min_val", "max_val", "inplace"]

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False, min_value=None, max_value=None):
        super().__init__()
        if min_value is not None:
            min_val = min_value  # the deprecated spelling
        if max_value is not None:
            max_val = max_value
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace
        assert self.max_val > self.min_val, f"max_val ({self.max_val}) must be greater than min_val ({self.min_val})"

    def forward(self, input):
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self):
        inplace = ", inplace=True" if self.inplace else ""
        return f"min_val={self.min_val}, max_val={self.max_val}{inplace}"


class ReLU6(Hardtanh):
    r""":math:`\min(\max(0, x), 6)`.

    Args: inplace (False). Shape: Input (*), Output (*)."""

    def __init__(self, inplace=False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self):
        return _inplace_repr(self.inplace)


class Sigmoid(Module):
    r""":math:`\sigma(x) = 1 / (1 + e^{-x})`, squashing to (0, 1).

    Shape: Input (*), Output (*)."""

    def forward(self, input):
        return _pw.sigmoid(input)


class Hardsigmoid(Module):
    r"""0 for x ≤ -3, 1 for x ≥ 3, x/6 + 1/2 between.

    Args: inplace (False). Shape: Input (*), Output (*)."""
    __constants__ = ["inplace"]

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.hardsigmoid(input, self.inplace)


class Tanh(Module):
    r""":math:`\tanh(x)`, squashing to (-1, 1).

    Shape: Input (*), Output (*)."""

    def forward(self, input):
        return _pw.tanh(input)


class SiLU(Module):
    r""":math:`x \cdot \sigma(x)` (swish).

    Args: inplace (False). Shape: Input (*), Output (*)."""
    __constants__ = ["inplace"]

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.silu(input, inplace=self.inplace)

    def extra_repr(self):
        return _inplace_repr(self.inplace)


class Mish(Module):
    r""":math:`x \cdot \tanh(\text{softplus}(x))`.

    Args: inplace (False). Shape: Input (*), Output (*)."""
    __constants__ = ["inplace"]

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.mish(input, inplace=self.inplace)

    def extra_repr(self):
        return _inplace_repr(self.inplace)


class Hardswish(Module):
    r""":math:`x \cdot \text{hardsigmoid}(x)`.

    Args: inplace (False). Shape: Input (*), Output (*)."""
    __constants__ = ["inplace"]

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.hardswish(input, self.inplace)


class ELU(Module):
    r""":math:`x` if x > 0 else :math:`\alpha (e^x - 1)`.

    Args: alpha (1.0), inplace (False). Shape: Input (*), Output (*)."""
    __constants__ = ["alpha", "inplace"]

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input):
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self):
        inplace = ", inplace=True" if self.inplace else ""
        return f"alpha={self.alpha}{inplace}"


class CELU(Module):
    r""":math:`\max(0, x) + \min(0, \alpha (e^{x/\alpha} - 1))`.

    Args: alpha (1.0), inplace (False). Shape: Input (*), Output (*)."""
    __constants__ = ["alpha", "inplace"]

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input):
        return F.celu(input, self.alpha, self.inplace)

    def extra_repr(self):
        inplace = ", inplace=True" if self.inplace else ""
        return f"alpha={self.alpha}{inplace}"


class SELU(Module):
    r""":math:`\text{scale} \cdot \text{ELU}(x, \alpha)` with α ≈ 1.6733 and scale ≈ 1.0507.

    Args: inplace (False). Shape: Input (*), Output (*)."""
    __constants__ = ["inplace"]

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.selu(input, self.inplace)

    def extra_repr(self):
        return _inplace_repr(self.inplace)


class GLU(Module):
    r"""Gated linear unit: :math:`a \otimes \sigma(b)` with a, b the two halves along `dim`.

    Args: dim (-1). Shape: Input (*, N, *), Output (*, N/2, *)."""
    __constants__ = ["dim"]

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.glu(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class GELU(Module):
    r""":math:`x \cdot \Phi(x)` with Φ the standard normal CDF (approximate='tanh' uses the
    tanh formula).

    Args: approximate ('none' or 'tanh'). Shape: Input (*), Output (*)."""
    __constants__ = ["approximate"]

    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Hardshrink(Module):
    r""":math:`x` where :math:`|x| > \lambda`, else 0.

    Args: lambd (0.5). Shape: Input (*), Output (*)."""
    __constants__ = ["lambd"]

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, input):
        return F.hardshrink(input, self.lambd)

    def extra_repr(self):
        return f"{self.lambd}"


class LeakyReLU(Module):
    r""":math:`x` if x ≥ 0 else :math:`\text{negative\_slope} \cdot x`.

    Args: negative_slope (0.01), inplace (False). Shape: Input (*), Output (*)."""
    __constants__ = ["inplace", "negative_slope"]

    def __init__(self, negative_slope=1e-2, inplace=False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self):
        inplace = ", inplace=True" if self.inplace else ""
        return f"negative_slope={self.negative_slope}{inplace}"


class LogSigmoid(Module):
    r""":math:`\log \sigma(x)`.

    Shape: Input (*), Output (*)."""

    def forward(self, input):
        return F.logsigmoid(input)


class Softplus(Module):
    r""":math:`\frac{1}{\beta} \log(1 + e^{\beta x})`, linear above `threshold`.

    Args: beta (1.0), threshold (20.0). Shape: Input (*), Output (*)."""
    __constants__ = ["beta", "threshold"]

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class Softshrink(Module):
    r""":math:`x - \lambda` above λ, :math:`x + \lambda` below -λ, 0 between.

    Args: lambd (0.5). Shape: Input (*), Output (*)."""
    __constants__ = ["lambd"]

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, input):
        return F.softshrink(input, self.lambd)

    def extra_repr(self):
        return str(self.lambd)


class PReLU(Module):
    r""":math:`\max(0, x) + a \min(0, x)` with a learnt slope `a` (one, or one per channel).

    Args:
        num_parameters: 1 or the number of input channels. Default: 1
        init: the initial value of a. Default: 0.25

    Shape: Input (*) with channels at dim 1 when ndim ≥ 2, Output (*).

    Variables:
        weight: (num_parameters,), initialised to `init`."""
    __constants__ = ["num_parameters"]

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        self.num_parameters = num_parameters
        super().__init__()
        self.init = init
        self.weight = Parameter(empty(num_parameters, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self):
        init.constant_(self.weight, self.init)

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class Softsign(Module):
    r""":math:`x / (1 + |x|)`.

    Shape: Input (*), Output (*)."""

    def forward(self, input):
        return F.softsign(input)


class Tanhshrink(Module):
    r""":math:`x - \tanh(x)`.

    Shape: Input (*), Output (*)."""

    def forward(self, input):
        return F.tanhshrink(input)


class _SoftmaxBase(Module):
    __constants__ = ["dim"]

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def __setstate__(self, state):
        super().__setstate__(state)
        if not hasattr(self, "dim"):
            self.dim = None

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmin(_SoftmaxBase):
    r""":math:`\text{softmax}(-x)` along `dim`: rescales to (0, 1), summing to 1.

    Args: dim. Shape: Input (*), Output (*)."""

    def forward(self, input):
        return F.softmin(input, self.dim, _stacklevel=5)


class Softmax(_SoftmaxBase):
    r""":math:`\text{Softmax}(x_i) = \exp(x_i) / \sum_j \exp(x_j)` along `dim`: each slice along
    `dim` becomes probabilities in (0, 1) summing to 1.

    Args: dim. Shape: Input (*), Output (*)."""

    def forward(self, input):
        return F.softmax(input, self.dim, _stacklevel=5)


class Softmax2d(Module):
    """Softmax over the channels at every spatial location.

    Shape: Input (N, C, H, W) or (C, H, W), Output: the same."""

    def forward(self, input):
        if input.dim() not in (3, 4):
            raise ValueError(f"Softmax2d: expected input to be 3D or 4D, got {input.dim()}D instead")
        return F.softmax(input, -3, _stacklevel=5)


class LogSoftmax(_SoftmaxBase):
    r""":math:`\log(\text{softmax}(x))` along `dim`, computed stably.

    Args: dim. Shape: Input (*), Output (*)."""

    def forward(self, input):
        return F.log_softmax(input, self.dim, _stacklevel=5)

