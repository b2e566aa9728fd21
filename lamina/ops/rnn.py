"""Recurrent layers, fused: one graph node runs a whole sequence through one layer in one
direction (RNN tanh/relu, LSTM with optional projection, GRU), with back-propagation through
time written out by hand.

Columns. Every per-step array is (features, batch): a gate is then a contiguous (H, B) slab and
each NumPy call of the step runs on contiguous memory. (In a (B, 4H) row layout every gate is a
strided slice, and a strided ufunc call costs several times a contiguous one at these sizes,
where the call overhead, not the arithmetic, dominates.)

Slots. Z holds T + 1 slots of (K, B): the I input features, a row of ones (with bias) and the
H_out features of the hidden state. A step reads its input slot [x_t; 1; h_prev] and writes its
h into the hidden rows of its output slot, so all gate pre-activations of a step are ONE GEMM,
W Z_slot with W = [W_ih | b_ih + b_hh | W_hh]: input projection, both biases and recurrence at
once (for short inputs, where building W costs more than it saves, two GEMMs instead). Forward,
step t reads slot t and writes slot t + 1; reverse, it reads t + 1 and writes t. The slots are
then in the order of the output rows HB (h0 first forward, last reverse), which one transposing
copy fills at the end. The LSTM cell state lives in slots of the same kind (S), as -2c (for a
padded batch without backward one slot, updated in place). Gates come from exp and divisions (σ(x) = 1/(1 +
exp(-x)), tanh(x) = 2/(1 + exp(-2x)) - 1): on float32 NumPy's exp costs half its tanh.

Packed sequences are time-major rows: step t covers rows off[t]:off[t]+bs[t], bs non-increasing
(a padded (T, B) batch is bs[t] = B). Step t works on the first bs[t] columns of its slots: a
sequence that ended keeps its last state in the slot where it ended, and in reverse a sequence
that starts reads h0, written beforehand into every slot's spare columns. Arrays saved per step
for backward are "blocks": step t's (R, bs[t]) array at offset off[t]·R of a flat buffer.

Backward walks the steps in reverse with dh, dc as (H, B) columns; the per-step factors it needs
are computed for a run of steps at once from what the forward kept, the per-step gate gradients are stored as blocks and turned into (·, N) columns with one block copy,
and then dW_ih, dW_hh, dX and the biases are one GEMM (or GEMV) each.

A node has one output, so the layer's output Y is one flat array [HB | h_n | c_n]; `piece`
cuts output, h_n and c_n out of it as views, and every gradient flows back into the one node.

Files: this module holds the graph nodes (layer, piece, the packing gathers) and the slot setup;
_rnn_plan.py the walk over time and the block views, _rnn_steps.py the forward step kernels,
_rnn_backward.py back-propagation through time."""

import numpy as np

from ..autograd.grad_mode import _mode
from ._core import make
from ._rnn_backward import _gru_backward, _lstm_backward, _rnn_backward
from ._rnn_plan import _buf, schedule
from ._rnn_steps import _gru_forward, _lstm_forward, _rnn_forward

__all__ = []
METHODS = []

GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _rows(x, batch_first):
    """Input as time-major rows (N, I): a view unless batch_first needs a transposed copy."""
    if x.ndim == 2:
        return x
    if batch_first:
        x = np.ascontiguousarray(x.swapaxes(0, 1))
    return x.reshape(-1, x.shape[-1])


def _state(s, k):
    """An initial state's (B, H) array: s[k] of the (L·D, B, H) tensor, or s itself with k None."""
    return None if s is None else (s._data[k] if k is not None else s._data)


# ---- the layer ------------------------------------------------------------------------------------

def layer(mode, input, hx, cx, k, w_ih, w_hh, b_ih, b_hh, w_hr, reverse, B, T, batch_sizes, batch_first):
    """Run one layer in one direction over the whole sequence, as one graph node.

    input: (T, B, I), (B, T, I) with batch_first, or rows (N, I) (packed with `batch_sizes`, a
    tuple, or time-major). hx, cx: initial states (L·D, B, H) read at index k, or (B, H) with k
    None, or None for zeros. Returns (Y, (out_start, hn_start, cn_start, out_flag)): Y's flat
    offsets of the output rows (N, H_out), of h_n (B, H_out) and of c_n (B, H), and the flag to
    pass to `piece` for views of the output rows."""
    x = input._data
    dt = x.dtype
    Wih, Whh = w_ih._data, w_hh._data
    H = Whh.shape[0] // GATES[mode]
    Hout = Whh.shape[1]
    plan = schedule(B, T, batch_sizes, reverse)
    N = plan.N
    named = [("x", input), ("hx", hx), ("cx", cx), ("w_ih", w_ih), ("w_hh", w_hh), ("b_ih", b_ih),
             ("b_hh", b_hh), ("w_hr", w_hr)]
    named = [(n, t) for n, t in named if t is not None]
    parents = tuple(t for _, t in named)
    keep = _mode.grad and any(t._requires_grad for t in parents)  # save for backward?

    Z, hz = _slots(x, _state(hx, k), b_ih is not None, Hout, plan, batch_first, T, B)
    lstm = mode == "LSTM"
    if lstm:
        S, ring = _cell_slots(_state(cx, k), plan, H, B, dt, keep)
    merge = N > Z.shape[1]  # else building W costs more than it saves
    with np.errstate(over="ignore"):
        if lstm:
            saved = _lstm_forward(Z, S, ring, hz, Wih, Whh, b_ih, b_hh, w_hr, plan, merge, keep, hx is None)
        elif mode == "GRU":
            saved = _gru_forward(Z, hz, Wih, Whh, b_ih, b_hh, plan, merge, keep, hx is None)
        else:
            saved = _rnn_forward(mode, Z, hz, Wih, Whh, b_ih, b_hh, plan, merge, hx is None)

    n_hb = (N + B) * Hout
    Y = _buf((n_hb + B * Hout + (B * H if lstm else 0),), dt)
    HB = Y[:n_hb].reshape(N + B, Hout)
    _fill_rows(HB, Z[:, hz:], plan)
    Y[n_hb:n_hb + B * Hout].reshape(B, Hout)[...] = HB[plan.final]
    if lstm:
        cn = S[(0 if reverse else T) % ring, 1].T if plan.uniform else S[plan.final_slot, 1, :, np.arange(B)]
        np.multiply(cn, -0.5, out=Y[n_hb + B * Hout:].reshape(B, H))  # the slots hold -2c
    # Set by the output piece's backward: without it the HB part of the gradient is all zeros
    # (only h_n / c_n were used) and the per-step additions are skipped.
    out_used = [False]
    layout = (B * Hout if not reverse else 0, n_hb, n_hb + B * Hout, out_used)
    if not keep:  # no graph will be built
        return make(Y, parents, None, "RnnLayer"), layout

    def backward(gY):
        need = {n: t._requires_grad for n, t in named}
        dh = np.ascontiguousarray(gY[n_hb:n_hb + B * Hout].reshape(B, Hout).T)
        gZ = _slot_grads(gY[:n_hb].reshape(N + B, Hout), plan, T, B) if out_used[0] else None
        HP = HB[plan.prev_all]
        if lstm:
            dc = np.multiply(gY[n_hb + B * Hout:].reshape(B, H).T, -0.5, out=np.empty((H, B), dt))  # for -2c
            dA, grads = _lstm_backward(saved, Z, hz, gZ, dh, dc, Whh, plan, HP, need)
        elif mode == "GRU":
            dA, grads = _gru_backward(saved, Z, hz, gZ, dh, Whh, plan, HP, need)
        else:
            dA, grads = _rnn_backward(mode, Z, hz, gZ, dh, Whh, plan, HP, need)
        if need.get("x"):
            gx = dA @ Wih
            if x.ndim == 3:
                gx = gx.reshape((T, B, x.shape[-1]))
                if batch_first:
                    gx = np.ascontiguousarray(gx.swapaxes(0, 1))
            grads["x"] = gx
        if need.get("w_ih"):
            grads["w_ih"] = dA.T @ _rows(x, batch_first)
        dc = grads.pop("dc", None)
        for name, state, g in (("hx", hx, dh), ("cx", cx, None if dc is None else dc * -2.0)):
            if need.get(name):
                g = g.T
                if k is not None:
                    full = np.zeros(state._data.shape, dt)
                    full[k] = g
                    g = full
                grads[name] = np.ascontiguousarray(g)
        return tuple(grads.get(n) for n, _ in named)
    name = {"LSTM": "MkldnnRnnLayerBackward0", "GRU": "GruLayerBackward0"}.get(mode, "RnnLayerBackward0")
    return make(Y, parents, backward, name, saved=parents, save_output=True), layout


def _slots(x, h0, bias, Hout, plan, batch_first, T, B):
    """Z (T + 1, K, B) with every step's input slot [x_t; 1; ·] and h0 in its slot; hz is the
    first hidden row."""
    I = x.shape[-1]
    hz = I + bias
    Z = _buf((T + 1, hz + Hout, B), x.dtype)
    if plan.uniform:
        x3 = x if x.ndim == 3 else x.reshape(T, B, I)
        if batch_first and x.ndim == 3:
            x3 = x3.swapaxes(0, 1)
        xs = int(plan.reverse)  # the slot of x_0
        np.copyto(Z[xs:xs + T, :I], x3.swapaxes(1, 2))
        Z[T - T * xs, :I] = 0   # the last output slot has no input: keep its unused rows finite
    else:  # unused columns are zero, so whole-slot products stay finite
        Z.fill(0)
        for _, g0, b, s_in, _ in plan.steps:
            Z[s_in, :I, :b] = x[g0:g0 + b].T
    if bias:
        Z[:, I] = 1
    # reverse packed: a sequence starting late reads h0 from the spare columns of any slot
    hpart = Z[:, hz:] if not plan.uniform and plan.reverse else Z[plan.init, hz:]
    hpart[...] = 0 if h0 is None else h0.T
    return Z, hz


def _cell_slots(c0, plan, H, B, dt, keep):
    """The LSTM cell state slots S: per slot [spare; -2c] (see _rnn_steps._lstm_forward). A padded batch
    without backward needs only the last state, so one slot is updated in place (it stays in
    cache); with backward every step's slot keeps what it needs. `ring` is the number of slots a
    slot index is taken modulo."""
    T = len(plan.steps)
    ring = T + 1 if keep or not plan.uniform else 1
    S = _buf((ring, 2, H, B), dt)
    if not plan.uniform:
        S.fill(0)
    # reverse packed: a sequence starting late reads c0 from the spare columns of any slot
    c = S[:, 1] if not plan.uniform and plan.reverse else S[plan.init % ring, 1]
    if c0 is None:
        c[...] = 0
    else:
        np.multiply(c0.T, -2.0, out=c)
    return S, ring


def _fill_rows(HB, Zh, plan):
    """The output rows HB (N + B, H_out) from the hidden rows of the slots."""
    if plan.uniform:
        np.copyto(HB.reshape(Zh.shape[0], Zh.shape[2], Zh.shape[1]), Zh.swapaxes(1, 2))
    else:
        for s, (r0, n) in enumerate(plan.slot_rows):
            HB[r0:r0 + n] = Zh[s, :, :n].T


def _slot_grads(gHB, plan, T, B):
    """The output rows' gradient per slot as (H_out, b) columns: an array (T + 1, H_out, B) for a
    padded batch (one transposing copy), else a list of contiguous arrays."""
    if plan.uniform:
        out = _buf((T + 1, gHB.shape[1], B), gHB.dtype)
        np.copyto(out, gHB.reshape(T + 1, B, gHB.shape[1]).swapaxes(1, 2))
        return out
    return [np.ascontiguousarray(gHB[r0:r0 + n].T) for r0, n in plan.slot_rows]


# ---- views of a layer's output ------------------------------------------------------------------

def piece(Y, start, shape, swap=False, name="SliceBackward0", flag=None):
    """A view of the flat array Y: Y[start:start+prod(shape)] as `shape`, dims 0 and 1 swapped if
    `swap`. Its gradient lands in the same place of a zero array of Y's size. A view of the
    output rows must pass the layer's `flag` (layout[3]), which its backward sets."""
    y = Y._data
    size = 1
    for s in shape:
        size *= s
    out = y[start:start + size].reshape(shape)
    if swap:
        out = out.swapaxes(0, 1)

    def backward(g):
        if flag is not None:
            flag[0] = True
        gy = _buf(y.shape, g.dtype)  # recycled: only the part outside this piece needs zeroing
        gy[:start] = 0
        gy[start + size:] = 0
        gy[start:start + size].reshape(shape)[...] = g.swapaxes(0, 1) if swap else g
        return (gy,)
    return make(out, (Y,), backward, name, view_of=Y)


# ---- packing: gathers and scatters of rows with unique indices ---------------------------------

def gather_rows(input, index, name="PackPaddedSequenceBackward0"):
    """input[index] where `index` (a tuple of index arrays) hits each element at most once, so
    the backward can scatter with a plain assignment instead of np.add.at."""
    x = input._data
    out = x[index]

    def backward(g):
        gx = np.zeros(x.shape, g.dtype)
        gx[index] = g
        return (gx,)
    return make(out, (input,), backward, name)


def scatter_rows(input, shape, index, fill, name="PadPackedSequenceBackward0"):
    """A new array of `shape` filled with `fill`, with input's rows placed at `index` (unique)."""
    x = input._data
    out = np.full(shape, fill, dtype=x.dtype)
    out[index] = x

    def backward(g):
        return (g[index],)
    return make(out, (input,), backward, name)
