"""lamina.explain: what one layer computed for one sample, written out with its real numbers.

    >>> print(lamina.explain(nn.Linear(3, 4), torch.tensor([[1.0, 2.0, 3.0]])))
    Linear(in_features=3, out_features=4): each neuron is a weighted sum of the 3 inputs plus a bias
    Neuron 1: 0.3930×1.0000 + (-1.1067)×2.0000 + (-0.3850)×3.0000 + 0.1008 = -2.8661
    ...
    Output = XWᵀ + b  (W: 4×3, b: 4)

Linear: one line per neuron; Conv: one output position per channel; activations: the function and
how many inputs it zeroed or saturated; BatchNorm/LayerNorm: the statistics used and the affine step.
The numbers shown are the layer's actual output (`.values`), recomputed in the text to check by eye."""
import numpy as np

from ..autograd.grad_mode import no_grad


def _num(v):
    return f"({v:.4f})" if v < 0 else f"{v:.4f}"


def _terms(weights, inputs, max_terms):
    shown = [f"{_num(w)}×{_num(x)}" for w, x in zip(weights[:max_terms], inputs[:max_terms])]
    rest = len(weights) - max_terms
    if rest > 0:
        shown.append(f"… ({rest} more)")
    return " + ".join(shown)


class Explanation:
    """`str()` is the text; `values` the layer's output for the explained sample; `lines` the rows."""

    def __init__(self, header, lines, footer, values):
        self.header, self.lines, self.footer = header, lines, footer
        self.values = values

    def __str__(self):
        return "\n".join([self.header] + self.lines + ([self.footer] if self.footer else []))

    __repr__ = __str__


def _explain_linear(layer, x, y, sample, max_terms, max_rows):
    w = layer.weight._data
    b = layer.bias._data if layer.bias is not None else None
    xs = x.reshape(-1, x.shape[-1])[sample] if x.ndim > 1 else x
    ys = y.reshape(-1, y.shape[-1])[sample] if y.ndim > 1 else y
    lines = []
    for j in range(min(layer.out_features, max_rows)):
        bias = "" if b is None else f" + {_num(float(b[j]))}"
        lines.append(f"Neuron {j + 1}: {_terms(w[j], xs, max_terms)}{bias} = {float(ys[j]):.4f}")
    if layer.out_features > max_rows:
        lines.append(f"… ({layer.out_features - max_rows} more neurons)")
    header = (f"Linear(in_features={layer.in_features}, out_features={layer.out_features}): each neuron is a "
              f"weighted sum of the {layer.in_features} inputs" + (" plus a bias" if b is not None else ""))
    footer = f"Output = XWᵀ" + (" + b" if b is not None else "") + f"  (W: {w.shape[0]}×{w.shape[1]}" + \
        (f", b: {b.shape[0]})" if b is not None else ")")
    return Explanation(header, lines, footer, ys.copy())


def _explain_conv(layer, x, y, sample, max_terms, max_rows, position):
    nd = len(layer.kernel_size)
    xs = x[sample] if x.ndim == nd + 2 else x
    ys = y[sample] if y.ndim == nd + 2 else y
    pos = tuple(position) if position is not None else (0,) * nd
    if getattr(layer, "transposed", False) or getattr(layer, "padding_mode", "zeros") != "zeros" \
            or isinstance(layer.padding, str):
        values = ys[(slice(None),) + pos]
        lines = [f"Channel {c + 1} at {pos}: {float(values[c]):.4f}" for c in range(min(len(values), max_rows))]
        return Explanation(f"{layer!r}: output at position {pos} per channel", lines, None, values.copy())
    pad = [(0, 0)] + [(p, p) for p in layer.padding]
    xp = np.pad(xs, pad)
    starts = [pos[i] * layer.stride[i] for i in range(nd)]
    g = layer.groups
    cin = layer.in_channels // g
    cout = layer.out_channels // g
    lines = []
    values = ys[(slice(None),) + pos]
    for c in range(min(layer.out_channels, max_rows)):
        group = c // cout
        window = [slice(group * cin, (group + 1) * cin)]
        for i in range(nd):
            span = (layer.kernel_size[i] - 1) * layer.dilation[i] + 1
            window.append(slice(starts[i], starts[i] + span, layer.dilation[i]))
        patch = xp[tuple(window)].reshape(-1)
        weights = layer.weight._data[c].reshape(-1)
        bias = "" if layer.bias is None else f" + {_num(float(layer.bias._data[c]))}"
        lines.append(f"Channel {c + 1} at {pos}: {_terms(weights, patch, max_terms)}{bias} = {float(values[c]):.4f}")
    if layer.out_channels > max_rows:
        lines.append(f"… ({layer.out_channels - max_rows} more channels)")
    k = "×".join(str(s) for s in layer.kernel_size)
    header = (f"{type(layer).__name__}: each output channel is a weighted sum over a {cin}×{k} window of the input "
              "(zero-padded)" + (" plus a bias" if layer.bias is not None else ""))
    return Explanation(header, lines, None, values.copy())


_FUNCTIONS = {"ReLU": "max(0, x)", "ReLU6": "min(max(0, x), 6)", "Sigmoid": "1 / (1 + e^(−x))",
              "Tanh": "tanh(x)", "LeakyReLU": "x if x > 0 else negative_slope·x", "GELU": "x·Φ(x)",
              "SiLU": "x·sigmoid(x)", "ELU": "x if x > 0 else α(eˣ − 1)", "Softplus": "log(1 + e^(βx)) / β",
              "Softmax": "eˣⁱ / Σⱼ eˣʲ", "LogSoftmax": "xᵢ − log Σⱼ eˣʲ", "Hardtanh": "clamp(x, min, max)",
              "Mish": "x·tanh(softplus(x))", "SELU": "scale·(max(0,x) + min(0, α(eˣ − 1)))"}


def _explain_activation(layer, x, y):
    name = type(layer).__name__
    n = x.size
    zeroed = int(np.sum((y == 0) & (x != 0)))
    text = [f"{name}: y = {_FUNCTIONS.get(name, name)}"]
    if name in ("Sigmoid", "Tanh"):
        lo = 0.0 if name == "Sigmoid" else -1.0
        sat = int(np.sum((y < lo + 0.01) | (y > 0.99)))
        text.append(f"{sat} of {n} outputs saturated (within 0.01 of a bound): their gradient is nearly 0")
    else:
        text.append(f"{zeroed} of {n} inputs zeroed" + (f"; {int(np.sum(x < 0))} were negative" if zeroed else ""))
    return Explanation(text[0], text[1:], None, y.copy())


def _explain_norm(layer, x, y, sample):
    name = type(layer).__name__
    lines = []
    if name.startswith("BatchNorm"):
        axes = (0,) + tuple(range(2, x.ndim))
        use_batch = layer.training or layer.running_mean is None
        mean = x.mean(axis=axes) if use_batch else layer.running_mean._data
        var = x.var(axis=axes) if use_batch else layer.running_var._data
        source = "this batch" if use_batch else "running statistics"
        for c in range(min(len(mean), 6)):
            step = f"(x − {mean[c]:.4f}) / √({var[c]:.4f} + {layer.eps:g})"
            if layer.affine:
                step += f" × {layer.weight._data[c]:.4f} + {_num(float(layer.bias._data[c]))}"
            lines.append(f"channel {c + 1}: {step}")
        if len(mean) > 6:
            lines.append(f"… ({len(mean) - 6} more channels)")
        header = f"{name}({layer.num_features}): per channel, statistics from {source}"
        return Explanation(header, lines, None, (y[sample] if y.ndim > 1 else y).copy())
    dims = tuple(range(x.ndim - len(getattr(layer, "normalized_shape", (x.shape[-1],))), x.ndim))
    xs = x[sample] if x.ndim > len(dims) else x
    d = tuple(range(xs.ndim - len(dims), xs.ndim))
    mean, var = float(xs.mean(axis=d).reshape(-1)[0]), float(xs.var(axis=d).reshape(-1)[0])
    step = f"(x − {mean:.4f}) / √({var:.4f} + {layer.eps:g})"
    if getattr(layer, "elementwise_affine", False):
        step += " × γ + β (per element)"
    header = f"{name}: statistics over the last {len(dims)} dim(s) of each sample"
    return Explanation(header, [f"sample {sample}, first row: {step}"], None, (y[sample] if y.ndim > len(dims) else y).copy())


def explain(layer, x, sample=0, max_terms=4, max_rows=8, position=None):
    """Explain what `layer` computes on input `x` for sample `sample` of the batch."""
    with no_grad():
        y = layer(x)
    xd, yd = x._data, y._data
    name = type(layer).__name__
    if name in ("Linear", "NonDynamicallyQuantizableLinear"):
        return _explain_linear(layer, xd, yd, sample, max_terms, max_rows)
    if name.startswith("Conv"):
        return _explain_conv(layer, xd, yd, sample, max_terms, max_rows, position)
    if name.startswith("BatchNorm") or name in ("LayerNorm", "RMSNorm"):
        return _explain_norm(layer, xd, yd, sample)
    if name in _FUNCTIONS or not any(True for _ in layer.parameters()):
        return _explain_activation(layer, xd, yd)
    return Explanation(f"{layer!r}: output shape {list(yd.shape)}", [], None, yd.copy())
