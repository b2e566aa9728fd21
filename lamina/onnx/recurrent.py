"""RNN, LSTM and GRU (and their cells) as ONNX's RNN / LSTM / GRU ops, one op per layer.

ONNX stacks the gate blocks of its weights in another order than PyTorch:
LSTM PyTorch (i, f, g, o) → ONNX (i, o, f, c); GRU PyTorch (r, z, n) → ONNX (z, r, h).
The weights are reordered when they are written. PyTorch's GRU applies the reset gate after the
hidden projection, r ⊙ (W_hn h + b_hn), which is ONNX's linear_before_reset=1.

ONNX's ops take (seq, batch, features), stack the directions on a separate axis of the output
(seq, directions, batch, hidden), and do one layer each; the converter transposes batch-first
input, chains the layers and reassembles PyTorch's (output, h_n[, c_n])."""
import numpy as np

from .. import nn
from .registry import UnsupportedOperatorError, layer

_ORDER = {"LSTM": [0, 3, 1, 2], "GRU": [1, 0, 2], "RNN_TANH": [0], "RNN_RELU": [0]}
_OP = {"LSTM": "LSTM", "GRU": "GRU", "RNN_TANH": "RNN", "RNN_RELU": "RNN"}


def _gates(a, mode, H):
    """Reorder the gate blocks (rows) of a PyTorch weight or bias into ONNX's order."""
    order = _ORDER[mode]
    blocks = a.reshape((len(order), H) + a.shape[1:])
    return blocks[order].reshape(a.shape)


def _weights(ctx, params, mode, H, prefix):
    """W, R, B initializers for one layer from [(w_ih, w_hh, b_ih, b_hh) per direction]."""
    g = ctx.g
    W = np.stack([_gates(ctx.constant(p[0]), mode, H) for p in params])
    R = np.stack([_gates(ctx.constant(p[1]), mode, H) for p in params])
    names = [g.const(W, f"{prefix}.W"), g.const(R, f"{prefix}.R")]
    if params[0][2] is not None:
        B = np.stack([np.concatenate([_gates(ctx.constant(p[2]), mode, H), _gates(ctx.constant(p[3]), mode, H)])
                      for p in params])
        names.append(g.const(B, f"{prefix}.B"))
    else:
        names.append("")
    return names


def _attrs(mode, H, D):
    attrs = {"hidden_size": int(H), "direction": "bidirectional" if D == 2 else "forward"}
    if mode == "GRU":
        attrs["linear_before_reset"] = 1
    elif mode != "LSTM":
        attrs["activations"] = ["Tanh" if mode == "RNN_TANH" else "Relu"] * D
    return attrs


def _state(ctx, t):
    """The ONNX name of an initial state, or '' when it is absent or a constant zero (ONNX's default,
    which also keeps the batch size free when the model builds it with zeros(.., x.size(0), ..))."""
    if t is None or (not ctx.is_live(t) and not ctx.constant(t).any()):
        return ""
    return ctx.value(t)


def emit_rnn(ctx, m, x, ndim, hx, cx):
    """Returns (output, h_n, c_n or None) names, in PyTorch's layout."""
    g = ctx.g
    mode, H, L = m.mode, m.hidden_size, m.num_layers
    D = 2 if m.bidirectional else 1
    if getattr(m, "proj_size", 0):
        raise UnsupportedOperatorError("ONNX export does not support LSTM(proj_size > 0): ONNX's LSTM op has no "
                                       "projection")
    unbatched = ndim == 2
    if unbatched:
        x = g.unsqueeze(x, [1])
        hx = g.unsqueeze(hx, [1]) if hx else hx
        cx = g.unsqueeze(cx, [1]) if cx else cx
    elif m.batch_first:
        x = g.transpose(x, [1, 0, 2])
    hs, cs = [], []
    name = ctx.module_names.get(id(m), "rnn")
    for layer_i in range(L):
        params = []
        for d in range(D):
            sfx = f"_l{layer_i}" + ("_reverse" if d else "")
            params.append([getattr(m, f"{p}{sfx}", None) for p in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")])
        W, R, B = _weights(ctx, params, mode, H, f"{name}.l{layer_i}")
        rows = [layer_i * D, (layer_i + 1) * D]
        h0 = g.slice(hx, [rows[0]], [rows[1]], [0]) if hx else ""
        inputs = [x, W, R, B, "", h0]
        if mode == "LSTM":
            inputs.append(g.slice(cx, [rows[0]], [rows[1]], [0]) if cx else "")
        while inputs and inputs[-1] == "":
            inputs.pop()
        outs = g.op(_OP[mode], *inputs, outputs=3 if mode == "LSTM" else 2, **_attrs(mode, H, D))
        y = outs[0]
        hs.append(outs[1])
        if mode == "LSTM":
            cs.append(outs[2])
        # (T, D, N, H) → (T, N, D·H): the next layer's input and PyTorch's output layout
        x = g.reshape(g.transpose(y, [0, 2, 1, 3]), [0, 0, -1])
    h_n = g.op("Concat", *hs, axis=0) if L > 1 else hs[0]
    c_n = (g.op("Concat", *cs, axis=0) if L > 1 else cs[0]) if cs else None
    if unbatched:
        x = g.squeeze(x, [1])
        h_n = g.squeeze(h_n, [1])
        c_n = g.squeeze(c_n, [1]) if c_n else None
    elif m.batch_first:
        x = g.transpose(x, [1, 0, 2])
    return x, h_n, c_n


def _no_packed(input, m):
    if not hasattr(input, "ndim"):
        raise UnsupportedOperatorError(f"ONNX export does not support {type(m).__name__} on a PackedSequence; pass "
                                       "a padded tensor")


@layer(nn.LSTM)
def _lstm_layer(ctx, m, out, input, hx=None):
    _no_packed(input, m)
    h0, c0 = hx if hx is not None else (None, None)
    y, h, c = emit_rnn(ctx, m, ctx.value(input), input.ndim, _state(ctx, h0), _state(ctx, c0))
    return y, (h, c)


@layer(nn.GRU, nn.RNN)
def _gru_rnn_layer(ctx, m, out, input, hx=None):
    _no_packed(input, m)
    y, h, _ = emit_rnn(ctx, m, ctx.value(input), input.ndim, _state(ctx, hx), "")
    return y, h


# ---- cells: one step of the same ops --------------------------------------------------------------------
def _cell_mode(m):
    if isinstance(m, nn.LSTMCell):
        return "LSTM"
    if isinstance(m, nn.GRUCell):
        return "GRU"
    return "RNN_TANH" if m.nonlinearity == "tanh" else "RNN_RELU"


@layer(nn.RNNCell, nn.LSTMCell, nn.GRUCell)
def _cell_layer(ctx, m, out, input, hx=None):
    g = ctx.g
    mode, H = _cell_mode(m), m.hidden_size
    unbatched = input.ndim == 1
    x = ctx.value(input)
    x = g.unsqueeze(x, [0, 1] if unbatched else [0])  # (1, N, I): a sequence of one step
    h0, c0 = (hx if hx is not None else (None, None)) if mode == "LSTM" else (hx, None)
    states = []
    for s in (h0, c0)[:2 if mode == "LSTM" else 1]:
        name = _state(ctx, s)
        states.append(g.unsqueeze(name, [0, 1] if unbatched else [0]) if name else "")
    W, R, B = _weights(ctx, [(m.weight_ih, m.weight_hh, m.bias_ih, m.bias_hh)], mode, H,
                       ctx.module_names.get(id(m), "cell"))
    inputs = [x, W, R, B, ""] + states
    while inputs[-1] == "":
        inputs.pop()
    outs = g.op(_OP[mode], *inputs, outputs=3 if mode == "LSTM" else 2, **_attrs(mode, H, 1))
    squeeze = [0, 1] if unbatched else [0]
    h = g.squeeze(outs[1], squeeze)
    return (h, g.squeeze(outs[2], squeeze)) if mode == "LSTM" else h
