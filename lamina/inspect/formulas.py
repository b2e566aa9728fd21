"""Where a layer's parameter count comes from, written out: `Linear(3→4): 4 × (3 + 1) = 16`.

`param_formula(module)` returns the formula for the module's own parameters (None when it has
none), `macs(module, inputs, output)` the multiply-accumulates of one forward call. Layer families
without a dedicated rule get a generic "weight 4×3 + bias 4 = 16" sum, so every module is covered."""
import math


def _n(x):
    return f"{x:,}"


def _own_count(module):
    return sum(p.numel() for p in module._parameters.values() if p is not None)


def _dims(shape):
    return "×".join(str(s) for s in shape)


def _linear(m):
    o, i = m.out_features, m.in_features
    if m.bias is not None:
        return f"Linear({i}→{o}): {o} × ({i} + 1) = {_n(o * (i + 1))}"
    return f"Linear({i}→{o}, no bias): {o} × {i} = {_n(o * i)}"


def _conv(m):
    k = m.kernel_size
    kernel = "×".join(str(s) for s in k)
    per_out = "·".join([str(m.in_channels // m.groups)] + [str(s) for s in k])
    if getattr(m, "transposed", False):
        per_in = "·".join([str(m.out_channels // m.groups)] + [str(s) for s in k])
        weights = m.in_channels * (m.out_channels // m.groups) * math.prod(k)
        text = f"{m.in_channels} × ({per_in})"
    else:
        weights = m.out_channels * (m.in_channels // m.groups) * math.prod(k)
        text = f"{m.out_channels} × ({per_out})"
    name = f"{type(m).__name__}({m.in_channels}→{m.out_channels}, {kernel}"
    name += f", groups={m.groups})" if m.groups != 1 else ")"
    if m.bias is not None:
        return f"{name}: {text} + {m.out_channels} = {_n(weights + m.out_channels)}"
    return f"{name}: {text} = {_n(weights)}"


def _batchnorm(m):
    if not m.affine:
        return None
    c = m.num_features
    return f"{type(m).__name__}({c}): 2 × {c} = {_n(2 * c)}"


def _layernorm(m):
    if not m.elementwise_affine:
        return None
    size = math.prod(m.normalized_shape)
    shape = _dims(m.normalized_shape)
    count = 2 if getattr(m, "bias", None) is not None else 1
    return f"{type(m).__name__}({shape}): {count} × {size} = {_n(count * size)}"


def _groupnorm(m):
    if not m.affine:
        return None
    return f"GroupNorm({m.num_groups}, {m.num_channels}): 2 × {m.num_channels} = {_n(2 * m.num_channels)}"


def _embedding(m):
    return (f"{type(m).__name__}({m.num_embeddings}, {m.embedding_dim}): {m.num_embeddings} × {m.embedding_dim} "
            f"= {_n(m.num_embeddings * m.embedding_dim)}")


_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1, "RNN": 1}


def _recurrent(m):
    if getattr(m, "proj_size", 0):
        return None  # the generic sum is clearer than a formula with projections
    g = _GATES.get(getattr(m, "mode", type(m).__name__), 1)
    h = m.hidden_size
    dirs = 2 if m.bidirectional else 1
    bias = m.bias
    terms = []
    total = 0
    for layer in range(m.num_layers):
        i = m.input_size if layer == 0 else h * dirs
        one = g * h * (i + h) + (2 * g * h if bias else 0)
        term = f"{g}·{h}·({i}+{h})" + (f" + 2·{g}·{h}" if bias else "")
        terms.append((term, one))
        total += one * dirs
    name = f"{type(m).__name__}({m.input_size}→{h}"
    if m.num_layers > 1:
        name += f", {m.num_layers} layers"
    if m.bidirectional:
        name += ", bidirectional"
    name += ")"
    if len(terms) == 1 and dirs == 1:
        return f"{name}: {terms[0][0]} = {_n(total)}"
    parts = [(f"{dirs} × [{t}]" if dirs > 1 else f"[{t}]") for t, _ in terms]
    return f"{name}: {' + '.join(parts)} = {_n(total)}"


def _cell(m):
    g = {"LSTMCell": 4, "GRUCell": 3}.get(type(m).__name__, 1)
    h, i = m.hidden_size, m.input_size
    bias = m.bias_ih is not None if "bias_ih" in m._parameters else False
    total = g * h * (i + h) + (2 * g * h if bias else 0)
    text = f"{g}·{h}·({i}+{h})" + (f" + 2·{g}·{h}" if bias else "")
    return f"{type(m).__name__}({i}→{h}): {text} = {_n(total)}"


def _attention(m):
    e = m.embed_dim
    if getattr(m, "_qkv_same_embed_dim", True) and m.in_proj_bias is not None and m.bias_k is None:
        # out_proj is a child Linear with a row (and formula) of its own
        return f"MultiheadAttention({e}, heads={m.num_heads}): in_proj 3·{e}·({e} + 1) = {_n(3 * e * (e + 1))}"
    return None


def _generic(m):
    parts = [f"{name} {_dims(p.shape) or '1'}" for name, p in m._parameters.items() if p is not None]
    if not parts:
        return None
    return f"{type(m).__name__}: {' + '.join(parts)} = {_n(_own_count(m))}"


_RULES = {
    "Linear": _linear, "NonDynamicallyQuantizableLinear": _linear, "LazyLinear": _linear,
    "Conv1d": _conv, "Conv2d": _conv, "Conv3d": _conv,
    "ConvTranspose1d": _conv, "ConvTranspose2d": _conv, "ConvTranspose3d": _conv,
    "BatchNorm1d": _batchnorm, "BatchNorm2d": _batchnorm, "BatchNorm3d": _batchnorm,
    "InstanceNorm1d": _batchnorm, "InstanceNorm2d": _batchnorm, "InstanceNorm3d": _batchnorm,
    "LayerNorm": _layernorm, "RMSNorm": _layernorm, "GroupNorm": _groupnorm,
    "Embedding": _embedding, "EmbeddingBag": _embedding,
    "LSTM": _recurrent, "GRU": _recurrent, "RNN": _recurrent,
    "LSTMCell": _cell, "GRUCell": _cell, "RNNCell": _cell,
    "MultiheadAttention": _attention,
}


def param_formula(module):
    """The formula for the module's own parameters, or None when it owns none."""
    if _own_count(module) == 0:
        return None
    for cls in type(module).__mro__:
        rule = _RULES.get(cls.__name__)
        if rule is not None:
            text = rule(module)
            return text if text is not None else _generic(module)
    return _generic(module)


def _numel(shape):
    return math.prod(shape) if shape else 1


def macs(module, input_shapes, output_shapes):
    """Multiply-accumulates of one call (0 for layers whose cost is not a product of weights)."""
    name = type(module).__name__
    out = output_shapes[0] if output_shapes else ()
    if name in ("Linear", "NonDynamicallyQuantizableLinear") and out:
        return _numel(out) * module.in_features
    if name.startswith("Conv") and out:
        k = math.prod(module.kernel_size)
        if getattr(module, "transposed", False):
            inp = input_shapes[0] if input_shapes else ()
            return _numel(inp) * (module.out_channels // module.groups) * k
        return _numel(out) * (module.in_channels // module.groups) * k
    if name in ("LSTM", "GRU", "RNN") and input_shapes:
        shape = input_shapes[0]
        steps = _numel(shape[:-1])  # T·B (or T for unbatched input)
        g = _GATES.get(getattr(module, "mode", name), 1)
        dirs = 2 if module.bidirectional else 1
        h = module.hidden_size
        total = 0
        for layer in range(module.num_layers):
            i = module.input_size if layer == 0 else h * dirs
            total += steps * dirs * g * h * (i + h)
        return total
    if name == "MultiheadAttention" and input_shapes:
        shape = input_shapes[0]
        tokens = _numel(shape[:-1])
        e = module.embed_dim
        length = shape[1] if (module.batch_first and len(shape) == 3) else shape[0]
        return 4 * tokens * e * e + 2 * tokens * length * e
    if name == "Embedding":
        return 0
    return 0
