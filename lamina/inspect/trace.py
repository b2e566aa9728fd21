"""lamina.trace: follow one input through a model, layer by layer, as the first seed's
"Watching Data Transform" does: shape in → shape out, and what the layer changed.

    >>> steps = lamina.trace(model, torch.randn(1, 784))
    (0) Linear       [1, 784] → [1, 256]    784 → 256 features: each output a weighted sum of all 784 inputs
    (1) ReLU         [1, 256] → [1, 256]    shape same, 48% of values now zero
    ...

Only leaf modules (those without children) are listed, in call order. Returns the steps (each with
name, layer, input/output shapes and the description) and prints them unless print_steps=False."""
import numpy as np

from ..autograd.grad_mode import no_grad
from ._capture import run_recording


def _first_tensor_data(value):
    from ..tensor import Tensor
    if isinstance(value, Tensor):
        return value._data
    if isinstance(value, (tuple, list)):
        for v in value:
            d = _first_tensor_data(v)
            if d is not None:
                return d
    return None


def _pct(x):
    return f"{100 * x:.0f}%"


def describe(module, x, y):
    """One sentence on what `module` did to input array x giving output array y."""
    name = type(module).__name__
    if x is None or y is None:
        return ""
    same = x.shape == y.shape
    if name in ("Linear", "NonDynamicallyQuantizableLinear"):
        return (f"{module.in_features} → {module.out_features} features: each output a weighted sum of all "
                f"{module.in_features} inputs plus a bias")
    if name.startswith("Conv"):
        k = "×".join(str(s) for s in module.kernel_size)
        return f"{module.in_channels} → {module.out_channels} channels, {k} kernel sliding over {list(x.shape[2:])} → {list(y.shape[2:])}"
    if name in ("ReLU", "ReLU6", "LeakyReLU", "ELU", "GELU", "SiLU", "Mish", "Hardswish", "SELU", "CELU", "PReLU",
                "Threshold", "Hardtanh", "Softplus"):
        newly = float(np.mean((y == 0) & (x != 0))) if same else 0.0
        zero = float(np.mean(y == 0))
        text = f"shape same, {_pct(zero)} of values now zero"
        if name not in ("ReLU", "ReLU6", "Threshold", "Hardtanh") and newly == 0:
            neg = float(np.mean(x < 0))
            text = f"shape same, {_pct(neg)} of inputs negative (squashed toward 0, not zeroed)"
        return text
    if name in ("Sigmoid", "Tanh", "Hardsigmoid", "Softsign"):
        lo, hi = (0.0, 1.0) if name in ("Sigmoid", "Hardsigmoid") else (-1.0, 1.0)
        saturated = float(np.mean((y < lo + 0.01) | (y > hi - 0.01)))
        return f"shape same, values squashed into ({lo:g}, {hi:g}); {_pct(saturated)} saturated"
    if name in ("Softmax", "LogSoftmax", "Softmin"):
        return f"shape same, each slice along dim {module.dim} turned into {'log-' if name == 'LogSoftmax' else ''}probabilities"
    if name.startswith("Dropout") or name in ("AlphaDropout", "FeatureAlphaDropout"):
        if not module.training or module.p == 0:
            return "evaluation mode: values pass through unchanged"
        alive = x != 0  # inputs already zero (after a ReLU, say) say nothing about dropout
        zeroed = float(np.mean(y[alive] == 0)) if alive.any() else 0.0
        return f"training: {_pct(zeroed)} of values zeroed, the rest scaled by {1 / (1 - module.p):g}"
    if name.startswith("BatchNorm"):
        how = "batch statistics" if module.training or module.running_mean is None else "running statistics"
        return (f"normalized per channel with {how} (output mean {float(y.mean()):+.3f}, std {float(y.std()):.3f}), "
                "then scaled and shifted")
    if name in ("LayerNorm", "RMSNorm", "GroupNorm") or name.startswith("InstanceNorm"):
        return f"normalized over {getattr(module, 'normalized_shape', 'each group')}; output mean {float(y.mean()):+.3f}, std {float(y.std()):.3f}"
    if name in ("Flatten", "Unflatten"):
        return f"{list(x.shape)} → {list(y.shape)}, same {x.size} values rearranged"
    if "Pool" in name:
        return f"spatial size {list(x.shape[2:])} → {list(y.shape[2:])}, keeping the {'max' if 'Max' in name else 'mean'} of each window"
    if name in ("LSTM", "GRU", "RNN"):
        return f"read {x.shape[0] if not module.batch_first else x.shape[1]} steps; output holds the hidden state at every step"
    if name == "Embedding":
        return f"looked up {x.size} indices in a {module.num_embeddings}×{module.embedding_dim} table"
    if same:
        return "shape same"
    return f"{list(x.shape)} → {list(y.shape)}"


class TraceStep:
    __slots__ = ("name", "layer", "input_shape", "output_shape", "description")

    def __init__(self, name, layer, input_shape, output_shape, description):
        self.name, self.layer = name, layer
        self.input_shape, self.output_shape = input_shape, output_shape
        self.description = description

    def __repr__(self):
        return f"TraceStep({self.name!r}, {self.layer}, {self.input_shape} → {self.output_shape})"


class Trace(list):
    def __str__(self):
        rows = [(f"({s.name})" if s.name else "", s.layer, f"{s.input_shape} → {s.output_shape}", s.description)
                for s in self]
        widths = [max((len(r[i]) for r in rows), default=0) for i in range(3)]
        return "\n".join(f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:<{widths[2]}}  {d}".rstrip() for a, b, c, d in rows)


def trace(model, *inputs, print_steps=True, **kwargs):
    """Run one forward pass (no gradient; the model's mode is kept, so Dropout shows what it does in
    training) and describe each leaf layer's effect."""
    with no_grad():
        _, calls = run_recording(model, inputs, kwargs, leaves_only=True)
    steps = Trace()
    for call in calls:
        x = _first_tensor_data(call.inputs)
        y = _first_tensor_data(call.output)
        steps.append(TraceStep(call.name, type(call.module).__name__,
                               list(call.input_shapes[0]) if call.input_shapes else [],
                               list(call.output_shapes[0]) if call.output_shapes else [],
                               describe(call.module, x, y)))
    if print_steps:
        print(steps)
    return steps
