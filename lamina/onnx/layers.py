"""Linear, convolution, pooling, normalization, dropout, flatten, padding and embedding: each layer
and its F.* function become one ONNX node (or a short decomposition where ONNX has no twin).

Every `emit_*` helper takes ONNX value names plus the static facts it needs (ranks, sizes) and
returns the output name; the layer converters and the function converters below only gather
arguments for them."""
import numpy as np

from .. import nn
from .registry import UnsupportedOperatorError, function, layer


def _tuple(v, n):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * n


def _unsupported(what, why):
    raise UnsupportedOperatorError(f"ONNX export does not support {what}: {why}")


def _batched(g, x, ndim, nd):
    """Unbatched (C, *spatial) inputs get a batch dim for the ONNX op; returns (x, undo)."""
    if ndim == nd + 1:
        return g.unsqueeze(x, [0]), lambda y: g.squeeze(y, [0])
    return x, lambda y: y


# ---- linear -----------------------------------------------------------------------------------------
def emit_linear(ctx, x, ndim, weight, bias):
    """y = x Wᵀ + b: one Gemm for a batch of vectors, MatMul (+ Add) for other ranks."""
    g = ctx.g
    b = ctx.value(bias) if bias is not None else None
    if ndim == 2 and weight.ndim == 2:
        return g.op("Gemm", x, ctx.value(weight), *([b] if b else []), transB=1)
    wt = ctx.transposed(weight) if weight.ndim == 2 else ctx.value(weight)
    y = g.op("MatMul", x, wt)
    return g.op("Add", y, b) if b else y


@layer(nn.Linear)
def _linear_layer(ctx, m, out, input):
    return emit_linear(ctx, ctx.value(input), input.ndim, m.weight, m.bias)


@function("linear")
def _linear_fn(ctx, out, input, weight, bias=None):
    return emit_linear(ctx, ctx.value(input), input.ndim, weight, bias)


@layer(nn.Identity, nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d, nn.AlphaDropout, nn.FeatureAlphaDropout)
def _identity_layer(ctx, m, out, input, *args, **kwargs):
    return ctx.g.op("Identity", ctx.value(input))  # dropout is the identity in eval mode


@function("dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout",
          "contiguous", "clone", "cpu", "cuda", "detach")
def _identity_fn(ctx, out, input, *args, **kwargs):
    # exported for inference: F.dropout is the identity, as in PyTorch's eval-mode export
    return ctx.g.op("Identity", ctx.value(input))


# ---- convolution --------------------------------------------------------------------------------------
_ONNX_PAD_MODE = {"constant": "constant", "zeros": "constant", "reflect": "reflect", "replicate": "edge",
                  "circular": "wrap"}


def emit_pad(ctx, x, ndim, pad, mode="constant", value=None, dtype=np.float32):
    """F.pad: `pad` lists (left, right) for the last dims, last dim first."""
    g = ctx.g
    mode = _ONNX_PAD_MODE[mode]
    if mode == "wrap" and g.opset < 19:
        _unsupported("circular padding", "ONNX's Pad has mode 'wrap' from opset 19 on; export with opset_version=19")
    k = len(pad) // 2
    begins = [0] * (ndim - k) + [int(pad[2 * (k - 1 - i)]) for i in range(k)]
    ends = [0] * (ndim - k) + [int(pad[2 * (k - 1 - i) + 1]) for i in range(k)]
    args = [x, g.ints(begins + ends)]
    if mode == "constant" and value:
        args.append(g.scalar(value, dtype))
    return g.op("Pad", *args, mode=mode)


def emit_conv(ctx, x, ndim, weight, bias, stride, padding, dilation, groups, nd, padding_mode="zeros",
              transposed=False, output_padding=None):
    g = ctx.g
    x, undo = _batched(g, x, ndim, nd)
    k = tuple(weight.shape[2:])
    stride, dilation = _tuple(stride, nd), _tuple(dilation, nd)
    if isinstance(padding, str):
        if padding == "valid":
            begins = ends = (0,) * nd
        else:  # 'same': the odd extra pad goes at the end, as in PyTorch
            total = [d * (s - 1) for d, s in zip(dilation, k)]
            begins = tuple(t // 2 for t in total)
            ends = tuple(t - t // 2 for t in total)
    else:
        begins = ends = _tuple(padding, nd)
    if padding_mode != "zeros":
        flat = [p for i in range(nd - 1, -1, -1) for p in (begins[i], ends[i])]
        x = emit_pad(ctx, x, nd + 2, flat, padding_mode)
        begins = ends = (0,) * nd
    args = [x, ctx.value(weight)] + ([ctx.value(bias)] if bias is not None else [])
    attrs = dict(kernel_shape=list(k), strides=list(stride), pads=list(begins) + list(ends),
                 dilations=list(dilation), group=int(groups))
    if transposed:
        y = g.op("ConvTranspose", *args, output_padding=list(output_padding), **attrs)
    else:
        y = g.op("Conv", *args, **attrs)
    return undo(y)


def _nd_of(module):
    return type(module)._nd


@layer(nn.Conv1d, nn.Conv2d, nn.Conv3d)
def _conv_layer(ctx, m, out, input):
    return emit_conv(ctx, ctx.value(input), input.ndim, m.weight, m.bias, m.stride, m.padding, m.dilation,
                     m.groups, _nd_of(m), m.padding_mode)


def _output_padding(input, out, weight, stride, padding, dilation, nd):
    """The output_padding that gives the traced output size (covers output_size= as well)."""
    ins, outs, k = input.shape[-nd:], out.shape[-nd:], weight.shape[2:]
    s, p, d = _tuple(stride, nd), _tuple(padding, nd), _tuple(dilation, nd)
    return [outs[i] - ((ins[i] - 1) * s[i] - 2 * p[i] + d[i] * (k[i] - 1) + 1) for i in range(nd)]


@layer(nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)
def _conv_transpose_layer(ctx, m, out, input, output_size=None):
    nd = _nd_of(m)
    op = _output_padding(input, out, m.weight, m.stride, m.padding, m.dilation, nd)
    return emit_conv(ctx, ctx.value(input), input.ndim, m.weight, m.bias, m.stride, m.padding, m.dilation,
                     m.groups, nd, transposed=True, output_padding=op)


def _conv_fn(nd):
    @function(f"conv{nd}d")
    def convert(ctx, out, input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
        return emit_conv(ctx, ctx.value(input), input.ndim, weight, bias, stride, padding, dilation, groups, nd)

    @function(f"conv_transpose{nd}d")
    def convert_t(ctx, out, input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
        op = _output_padding(input, out, weight, stride, padding, dilation, nd)
        return emit_conv(ctx, ctx.value(input), input.ndim, weight, bias, stride, padding, dilation, groups, nd,
                         transposed=True, output_padding=op)


for _nd in (1, 2, 3):
    _conv_fn(_nd)


@function("pad")
def _pad_fn(ctx, out, input, pad, mode="constant", value=None):
    return emit_pad(ctx, ctx.value(input), input.ndim, pad, mode, value, out._data.dtype)


_PAD_LAYERS = [getattr(nn, f"{kind}Pad{n}d") for kind in ("Constant", "Zero", "Reflection", "Replication", "Circular")
               for n in (1, 2, 3) if hasattr(nn, f"{kind}Pad{n}d")]


@layer(*_PAD_LAYERS)
def _pad_layer(ctx, m, out, input):
    name = type(m).__name__
    mode = ("constant" if "Constant" in name or "Zero" in name else "reflect" if "Reflection" in name
            else "replicate" if "Replication" in name else "circular")
    return emit_pad(ctx, ctx.value(input), input.ndim, m.padding, mode, getattr(m, "value", None), out._data.dtype)


# ---- pooling ----------------------------------------------------------------------------------------
def emit_pool(ctx, x, ndim, kind, nd, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
              count_include_pad=True):
    g = ctx.g
    x, undo = _batched(g, x, ndim, nd)
    k = _tuple(kernel_size, nd)
    s = _tuple(stride, nd) if stride is not None and stride != [] and stride != () else k
    p = _tuple(padding, nd)
    attrs = dict(kernel_shape=list(k), strides=list(s), pads=list(p) * 2, ceil_mode=int(bool(ceil_mode)))
    if kind == "MaxPool":
        d = _tuple(dilation, nd)
        if any(v != 1 for v in d):
            attrs["dilations"] = list(d)
    else:
        attrs["count_include_pad"] = int(bool(count_include_pad))
    return undo(g.op(kind, x, **attrs))


def emit_adaptive(ctx, x, shape, kind, nd, output_size):
    g = ctx.g
    x, undo = _batched(g, x, len(shape), nd)
    size = tuple(shape[-nd:])
    out = tuple(i if o is None else o for o, i in zip(_tuple(output_size, nd), size))
    if all(o == 1 for o in out):
        return undo(g.op("GlobalAveragePool" if kind == "avg" else "GlobalMaxPool", x))
    if any(i % o for i, o in zip(size, out)):
        _unsupported(f"adaptive_{kind}_pool{nd}d from size {size} to {out}",
                     "ONNX has it only as a global pool or when the output size divides the input size")
    k = [i // o for i, o in zip(size, out)]
    op = "AveragePool" if kind == "avg" else "MaxPool"
    return undo(g.op(op, x, kernel_shape=k, strides=k))


_MAX_POOLS = (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d)
_AVG_POOLS = (nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d)
_ADAPTIVE = {nn.AdaptiveAvgPool1d: ("avg", 1), nn.AdaptiveAvgPool2d: ("avg", 2), nn.AdaptiveAvgPool3d: ("avg", 3),
             nn.AdaptiveMaxPool1d: ("max", 1), nn.AdaptiveMaxPool2d: ("max", 2), nn.AdaptiveMaxPool3d: ("max", 3)}


def _pool_nd(m, classes):
    return next(i + 1 for i, c in enumerate(classes) if isinstance(m, c))


@layer(*_MAX_POOLS)
def _max_pool_layer(ctx, m, out, input):
    if m.return_indices:
        _unsupported(f"{type(m).__name__}(return_indices=True)", "ONNX's indices are laid out differently")
    return emit_pool(ctx, ctx.value(input), input.ndim, "MaxPool", _pool_nd(m, _MAX_POOLS), m.kernel_size, m.stride,
                     m.padding, m.dilation, m.ceil_mode)


@layer(*_AVG_POOLS)
def _avg_pool_layer(ctx, m, out, input):
    if getattr(m, "divisor_override", None):
        _unsupported(f"{type(m).__name__}(divisor_override=...)", "ONNX's AveragePool has no divisor override")
    return emit_pool(ctx, ctx.value(input), input.ndim, "AveragePool", _pool_nd(m, _AVG_POOLS), m.kernel_size,
                     m.stride, m.padding, ceil_mode=m.ceil_mode, count_include_pad=m.count_include_pad)


@layer(*_ADAPTIVE)
def _adaptive_layer(ctx, m, out, input):
    kind, nd = next(v for c, v in _ADAPTIVE.items() if isinstance(m, c))
    if getattr(m, "return_indices", False):
        _unsupported(f"{type(m).__name__}(return_indices=True)", "ONNX's indices are laid out differently")
    return emit_adaptive(ctx, ctx.value(input), input.shape, kind, nd, m.output_size)


def _pool_fns(nd):
    @function(f"max_pool{nd}d")
    def max_pool(ctx, out, input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                 return_indices=False):
        if return_indices:
            _unsupported(f"max_pool{nd}d(return_indices=True)", "ONNX's indices are laid out differently")
        return emit_pool(ctx, ctx.value(input), input.ndim, "MaxPool", nd, kernel_size, stride, padding, dilation,
                         ceil_mode)

    @function(f"avg_pool{nd}d")
    def avg_pool(ctx, out, input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        if divisor_override:
            _unsupported(f"avg_pool{nd}d(divisor_override=...)", "ONNX's AveragePool has no divisor override")
        return emit_pool(ctx, ctx.value(input), input.ndim, "AveragePool", nd, kernel_size, stride, padding,
                         ceil_mode=ceil_mode, count_include_pad=count_include_pad)

    @function(f"adaptive_avg_pool{nd}d")
    def adaptive_avg(ctx, out, input, output_size):
        return emit_adaptive(ctx, ctx.value(input), input.shape, "avg", nd, output_size)

    @function(f"adaptive_max_pool{nd}d")
    def adaptive_max(ctx, out, input, output_size, return_indices=False):
        if return_indices:
            _unsupported(f"adaptive_max_pool{nd}d(return_indices=True)", "ONNX's indices are laid out differently")
        return emit_adaptive(ctx, ctx.value(input), input.shape, "max", nd, output_size)


for _nd in (1, 2, 3):
    _pool_fns(_nd)


# ---- normalization ----------------------------------------------------------------------------------
def _ones(ctx, n, dtype, hint):
    return ctx.g.const(np.ones(n, dtype=dtype), hint)


def _zeros(ctx, n, dtype, hint):
    return ctx.g.const(np.zeros(n, dtype=dtype), hint)


def _channel_view(g, v, ndim):
    """A per-channel (C,) vector shaped to broadcast over (N, C, *)."""
    return g.reshape(v, [-1] + [1] * (ndim - 2)) if ndim > 2 else v


def emit_batch_norm(ctx, x, shape, dtype, running_mean, running_var, weight, bias, use_batch_stats, eps):
    g = ctx.g
    C, ndim = shape[1], len(shape)
    scale = ctx.value(weight) if weight is not None else _ones(ctx, C, dtype, "bn_scale")
    shift = ctx.value(bias) if bias is not None else _zeros(ctx, C, dtype, "bn_bias")
    if not use_batch_stats:
        return g.op("BatchNormalization", x, scale, shift, ctx.value(running_mean), ctx.value(running_var),
                    epsilon=float(eps))
    # no running statistics: normalise with the batch's own (biased) mean and variance
    axes = [0] + list(range(2, ndim))
    d = g.op("Sub", x, g.reduce("ReduceMean", x, axes, True))
    var = g.reduce("ReduceMean", g.op("Mul", d, d), axes, True)
    y = g.op("Div", d, g.op("Sqrt", g.op("Add", var, g.scalar(eps, dtype))))
    return g.op("Add", g.op("Mul", y, _channel_view(g, scale, ndim)), _channel_view(g, shift, ndim))


@layer(nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)
def _batch_norm_layer(ctx, m, out, input):
    use_batch = m.running_mean is None or m.running_var is None
    return emit_batch_norm(ctx, ctx.value(input), input.shape, input._data.dtype, m.running_mean, m.running_var,
                           m.weight, m.bias, use_batch, m.eps)


@function("batch_norm")
def _batch_norm_fn(ctx, out, input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1,
                   eps=1e-5):
    use_batch = training or running_mean is None or running_var is None
    return emit_batch_norm(ctx, ctx.value(input), input.shape, input._data.dtype, running_mean, running_var, weight,
                           bias, use_batch, eps)


def emit_layer_norm(ctx, x, ndim, dtype, normalized_shape, weight, bias, eps):
    g = ctx.g
    ns = tuple(normalized_shape)
    if g.opset >= 17:
        scale = ctx.value(weight) if weight is not None else g.const(np.ones(ns, dtype=dtype), "ln_scale")
        args = [x, scale] + ([ctx.value(bias)] if bias is not None else [])
        return g.op("LayerNormalization", *args, axis=-len(ns), epsilon=float(eps))
    axes = list(range(ndim - len(ns), ndim))
    d = g.op("Sub", x, g.reduce("ReduceMean", x, axes, True))
    var = g.reduce("ReduceMean", g.op("Mul", d, d), axes, True)
    y = g.op("Div", d, g.op("Sqrt", g.op("Add", var, g.scalar(eps, dtype))))
    if weight is not None:
        y = g.op("Mul", y, ctx.value(weight))
    if bias is not None:
        y = g.op("Add", y, ctx.value(bias))
    return y


@layer(nn.LayerNorm)
def _layer_norm_layer(ctx, m, out, input):
    return emit_layer_norm(ctx, ctx.value(input), input.ndim, input._data.dtype, m.normalized_shape, m.weight,
                           getattr(m, "bias", None), m.eps)


@function("layer_norm")
def _layer_norm_fn(ctx, out, input, normalized_shape, weight=None, bias=None, eps=1e-5):
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else normalized_shape
    return emit_layer_norm(ctx, ctx.value(input), input.ndim, input._data.dtype, ns, weight, bias, eps)


def emit_group_norm(ctx, x, shape, dtype, groups, weight, bias, eps):
    g = ctx.g
    ndim = len(shape)
    r = g.reshape(x, [0, groups, -1])
    d = g.op("Sub", r, g.reduce("ReduceMean", r, [2], True))
    var = g.reduce("ReduceMean", g.op("Mul", d, d), [2], True)
    y = g.op("Div", d, g.op("Sqrt", g.op("Add", var, g.scalar(eps, dtype))))
    y = g.op("Reshape", y, g.op("Shape", x))
    if weight is not None:
        y = g.op("Mul", y, _channel_view(g, ctx.value(weight), ndim))
    if bias is not None:
        y = g.op("Add", y, _channel_view(g, ctx.value(bias), ndim))
    return y


@layer(nn.GroupNorm)
def _group_norm_layer(ctx, m, out, input):
    return emit_group_norm(ctx, ctx.value(input), input.shape, input._data.dtype, m.num_groups, m.weight, m.bias,
                           m.eps)


@function("group_norm")
def _group_norm_fn(ctx, out, input, num_groups, weight=None, bias=None, eps=1e-5):
    return emit_group_norm(ctx, ctx.value(input), input.shape, input._data.dtype, num_groups, weight, bias, eps)


_INSTANCE = (nn.InstanceNorm1d, nn.InstanceNorm2d, nn.InstanceNorm3d)


@layer(*_INSTANCE)
def _instance_norm_layer(ctx, m, out, input):
    g = ctx.g
    nd = _pool_nd(m, _INSTANCE)
    x, undo = _batched(g, ctx.value(input), input.ndim, nd)
    shape = input.shape if input.ndim == nd + 2 else (1,) + tuple(input.shape)
    C, dtype = shape[1], input._data.dtype
    if m.track_running_stats and m.running_mean is not None:  # eval mode with running statistics
        return undo(emit_batch_norm(ctx, x, shape, dtype, m.running_mean, m.running_var, m.weight, m.bias, False,
                                    m.eps))
    scale = ctx.value(m.weight) if m.weight is not None else _ones(ctx, C, dtype, "in_scale")
    shift = ctx.value(m.bias) if m.bias is not None else _zeros(ctx, C, dtype, "in_bias")
    return undo(g.op("InstanceNormalization", x, scale, shift, epsilon=float(m.eps)))


def emit_rms_norm(ctx, x, ndim, dtype, normalized_shape, weight, eps):
    g = ctx.g
    if eps is None:
        eps = float(np.finfo(dtype).eps)
    axes = list(range(ndim - len(normalized_shape), ndim))
    ms = g.reduce("ReduceMean", g.op("Mul", x, x), axes, True)
    y = g.op("Div", x, g.op("Sqrt", g.op("Add", ms, g.scalar(eps, dtype))))
    return g.op("Mul", y, ctx.value(weight)) if weight is not None else y


if hasattr(nn, "RMSNorm"):
    @layer(nn.RMSNorm)
    def _rms_norm_layer(ctx, m, out, input):
        return emit_rms_norm(ctx, ctx.value(input), input.ndim, input._data.dtype, m.normalized_shape, m.weight,
                             m.eps)


@function("rms_norm")
def _rms_norm_fn(ctx, out, input, normalized_shape, weight=None, eps=None):
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else normalized_shape
    return emit_rms_norm(ctx, ctx.value(input), input.ndim, input._data.dtype, ns, weight, eps)


# ---- flatten and embedding ------------------------------------------------------------------------
def emit_flatten(ctx, x, shape, start_dim, end_dim):
    g = ctx.g
    ndim = len(shape)
    if ndim == 0:
        return g.reshape(x, [1])
    start, end = start_dim % ndim, end_dim % ndim
    if start == end:
        return g.op("Identity", x)
    if start == 1 and end == ndim - 1:
        return g.op("Flatten", x, axis=1)
    # 0 copies the (possibly dynamic) leading dims; the trailing ones are static
    return g.reshape(x, [0] * start + [-1] + [int(n) for n in shape[end + 1:]])


@layer(nn.Flatten)
def _flatten_layer(ctx, m, out, input):
    return emit_flatten(ctx, ctx.value(input), input.shape, m.start_dim, m.end_dim)


@layer(nn.Unflatten)
def _unflatten_layer(ctx, m, out, input):
    dim = m.dim % input.ndim
    return ctx.g.reshape(ctx.value(input), [0] * dim + list(out.shape[dim:dim + len(m.unflattened_size)])
                         + [int(n) for n in input.shape[dim + 1:]])


def emit_embedding(ctx, indices, weight, max_norm):
    if max_norm is not None:
        _unsupported("Embedding(max_norm=...)", "it renormalises the weight in place during the forward pass")
    return ctx.g.op("Gather", ctx.value(weight), indices, axis=0)


@layer(nn.Embedding)
def _embedding_layer(ctx, m, out, input):
    return emit_embedding(ctx, ctx.value(input), m.weight, m.max_norm)


@function("embedding")
def _embedding_fn(ctx, out, input, weight, padding_idx=None, max_norm=None, *args, **kwargs):
    return emit_embedding(ctx, ctx.value(input), weight, max_norm)


@function("normalize")
def _normalize_fn(ctx, out, input, p=2.0, dim=1, eps=1e-12, *args):
    """x / max(‖x‖_p, eps) along dim."""
    ops = {1: "ReduceL1", 2: "ReduceL2"}
    if p not in ops:
        _unsupported(f"normalize(p={p!r})", "only p=1 and p=2 are exported")
    g, x = ctx.g, ctx.value(input)
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    norm = g.reduce(ops[p], x, sorted(d % input.ndim for d in dims), True)
    return g.op("Div", x, g.op("Max", norm, g.scalar(eps, input._data.dtype)))
