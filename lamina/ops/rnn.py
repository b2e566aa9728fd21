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
padded batch one slot, updated in place). Gates come from exp and divisions (σ(x) = 1/(1 +
exp(-x)), tanh(x) = 2/(1 + exp(-2x)) - 1): on float32 NumPy's exp costs half its tanh.

Packed sequences are time-major rows: step t covers rows off[t]:off[t]+bs[t], bs non-increasing
(a padded (T, B) batch is bs[t] = B). Step t works on the first bs[t] columns of its slots: a
sequence that ended keeps its last state in the slot where it ended, and in reverse a sequence
that starts reads h0, written beforehand into every slot's spare columns. Arrays saved per step
for backward are "blocks": step t's (R, bs[t]) array at offset off[t]·R of a flat buffer.

Backward walks the steps in reverse with dh, dc as (H, B) columns; the per-step factors it needs
were computed by the forward (LSTM) or are computed for a run of steps at once (GRU, RNN), the
per-step gate gradients are stored as blocks and turned into (·, N) columns with one block copy,
and then dW_ih, dW_hh, dX and the biases are one GEMM (or GEMV) each.

A node has one output, so the layer's output Y is one flat array [HB | h_n | c_n]; `piece`
cuts output, h_n and c_n out of it as views, and every gradient flows back into the one node."""
import functools
from typing import NamedTuple

import numpy as np

from ..autograd.grad_mode import _enabled
from ._core import make

__all__ = []
METHODS = []

GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _buf(shape, dt):
    """An uninitialised work array. (Large ones are reused by malloc rather than faulted in
    afresh each call: lamina raises glibc's mmap and trim thresholds, see ops/_alloc.py.)"""
    return np.empty(shape, dt)


# ---- the walk over time -------------------------------------------------------------------------

class Plan(NamedTuple):
    """How one direction walks the steps (see the module docstring for slots and blocks)."""
    N: int              # rows of all steps
    reverse: bool
    uniform: bool       # every step has the full batch (a padded input)
    steps: tuple        # forward order of work: (t, g0, b, s_in, s_out): time, first row, columns, slots
    runs: tuple         # backward order: (t0, n, b, g0, s_in0, s_out0, order) for n steps of b columns
    init: int           # the slot of h0 / c0
    slot_rows: tuple    # (first HB row, columns) of each slot
    prev_all: object    # HB rows of every step's previous state, in row order (for dW_hh)
    final: object       # HB rows of each sequence's last state (h_n)
    final_slot: object  # and the slot it is in, per sequence


@functools.lru_cache(maxsize=128)
def schedule(B, T, batch_sizes, reverse):
    """The Plan of one direction; batch_sizes is None for a padded batch."""
    bs = (B,) * T if batch_sizes is None else batch_sizes
    offs = [0] * T
    for t in range(1, T):
        offs[t] = offs[t - 1] + bs[t - 1]
    N = offs[-1] + bs[-1] if T else 0
    order = range(T) if not reverse else range(T - 1, -1, -1)
    steps = tuple((t, offs[t], bs[t], t + reverse, t + 1 - reverse) for t in order)
    init = T if reverse else 0
    if not reverse:
        slot_rows = ((0, B),) + tuple((B + offs[t], bs[t]) for t in range(T))
        last = [sum(1 for b in bs if b > j) for j in range(B)]   # slot of sequence j's last state
    else:
        slot_rows = tuple((offs[t], bs[t]) for t in range(T)) + ((N, B),)
        last = [0] * B
    # a state column beyond what its slot wrote is h0 (reverse: the sequence starts there)
    h0_row = slot_rows[init][0]
    prev = []
    for _, g0, b, s_in, _ in sorted(steps):
        r0, n = slot_rows[s_in]
        prev.extend(r0 + j if j < n else h0_row + j for j in range(b))
    final = [slot_rows[s][0] + j for j, s in enumerate(last)]
    if batch_sizes is None:
        prev_all = slice(prev[0], prev[0] + N) if N else slice(0, 0)
        final = slice(final[0], final[0] + B) if B else slice(0, 0)
    else:
        prev_all, final = np.array(prev, np.intp), np.array(final, np.intp)
    return Plan(N, reverse, batch_sizes is None, steps, _runs(bs, offs, reverse, B), init, slot_rows, prev_all,
                final, np.array(last, np.intp))


def _runs(bs, offs, reverse, B):
    """Backward's groups of consecutive steps with the same batch size, small enough to stay in
    cache (about 256 columns), in backward order; within a run the steps are index j = t - t0."""
    cap = max(1, max(256, B) // max(bs[0], 1)) if bs else 1
    runs, t, T = [], 0, len(bs)
    while t < T:
        t1 = t + 1
        while t1 < T and bs[t1] == bs[t] and t1 - t < cap:
            t1 += 1
        n = t1 - t
        order = tuple(range(n - 1, -1, -1)) if not reverse else tuple(range(n))
        runs.append((t, n, bs[t], offs[t], t + reverse, t + 1 - reverse, order))
        t = t1
    return tuple(runs if reverse else runs[::-1])


def _block(buf, g0, rows, b):
    """Step block (rows, b) at row g0 of a flat per-step buffer."""
    return buf[g0 * rows:(g0 + b) * rows].reshape(rows, b)


def _run_blocks(buf, g0, n, rows, b):
    """n consecutive step blocks of b columns as one (n, rows, b) view."""
    return buf[g0 * rows:(g0 + n * b) * rows].reshape(n, rows, b)


def _by_time(buf, plan, shape, sub=None):
    """Each time step's block of a flat per-step buffer as `shape + (b,)` (then indexed by
    `sub`), a list indexed by t; for a padded batch the views come from one list() call."""
    R = 1
    for d in shape:
        R *= d
    T = len(plan.steps)
    if T == 1:  # a cell
        v = buf[:plan.N * R].reshape(shape + (plan.N,))
        return [v if sub is None else v[sub]]
    if plan.uniform:
        v = buf[:plan.N * R].reshape((T,) + shape + (plan.N // T,))
        return list(v if sub is None else v[:, sub])
    out = [None] * T
    for t, g0, b, _, _ in plan.steps:
        v = buf[g0 * R:(g0 + b) * R].reshape(shape + (b,))
        out[t] = v if sub is None else v[sub]
    return out


def _blocks(buf, plan, shape, keep, sub=None):
    """_by_time's views in step order; without `keep` the buffer holds one step's block,
    reused by every step."""
    if keep:
        views = _by_time(buf, plan, shape, sub)
        return [views[st[0]] for st in plan.steps]
    R = 1
    for d in shape:
        R *= d
    out = []
    for _, _, b, _, _ in plan.steps[:1] if plan.uniform else plan.steps:
        v = buf[:R * b].reshape(shape + (b,))
        out.append(v if sub is None else v[sub])
    return out * len(plan.steps) if plan.uniform else out


def _at(arr, plan, out=False, ring=None):
    """arr[slot][..., :b] at each step's input slot (output slot if `out`), in step order; for
    a padded batch from one list() call. With `ring`, arr holds only that many slots, reused."""
    k = 4 if out else 3
    if len(plan.steps) == 1:  # a cell: one view, not a list of all slots first
        st = plan.steps[0]
        return [arr[st[k] % (ring or len(arr))][..., :st[2]]]
    if plan.uniform:
        views = list(arr)
        ring = ring or len(views)
        return [views[st[k] % ring] for st in plan.steps]
    return [arr[st[k]][..., :st[2]] for st in plan.steps]


def _active(state, b):
    """The first b columns of a (rows, B) state as a contiguous array: a run of steps works on
    it (ops on a strided column prefix cost several times more) and `_settle` puts it back."""
    return state if b == state.shape[1] else np.ascontiguousarray(state[:, :b])


def _settle(state, active):
    if active is not state:
        state[:, :active.shape[1]] = active


def _row_sums(cols):
    """Sum of each row of a (rows, N) matrix: for long rows a GEMV, several times faster than
    sum(axis=1)."""
    if cols.shape[1] < 256:
        return cols.sum(axis=1)
    return cols @ np.ones(cols.shape[1], cols.dtype)


def _to_cols(buf, rows, plan):
    """Per-step blocks (rows, b) → one (rows, N) matrix with step t in columns off[t]:off[t]+b:
    a copy of whole (b,)-rows, three times cheaper than the transposing copy to (N, rows).
    Its transpose is the time-major (N, rows) the weight gradients need."""
    if len(plan.steps) == 1:  # a cell: the one block is the matrix
        return buf[:rows * plan.N].reshape(rows, plan.N)
    out = _buf((rows, plan.N), buf.dtype)
    if plan.uniform:
        T = len(plan.steps)
        np.copyto(out.reshape(rows, T, plan.N // T), buf[:plan.N * rows].reshape(T, rows, -1).swapaxes(0, 1))
    else:  # a run's steps are consecutive blocks and columns
        for _, n, b, g0, _, _, _ in plan.runs:
            np.copyto(out[:, g0:g0 + n * b].reshape(rows, n, b), _run_blocks(buf, g0, n, rows, b).swapaxes(0, 1))
    return out


def _rows(x, batch_first):
    """Input as time-major rows (N, I): a view unless batch_first needs a transposed copy."""
    if x.ndim == 2:
        return x
    if batch_first:
        x = np.ascontiguousarray(x.swapaxes(0, 1))
    return x.reshape(-1, x.shape[-1])


_CONSTANTS = {}


def _constants(dt):
    """0-d arrays 1, 2, -4 of dtype dt: as ufunc operands they cost less per call than Python
    floats (no weak-scalar promotion to resolve)."""
    c = _CONSTANTS.get(dt)
    if c is None:
        c = _CONSTANTS[dt] = tuple(np.full((), v, dt) for v in (1.0, 2.0, -4.0))
    return c


@functools.lru_cache(maxsize=64)
def _gate_scale(factors, H, dt):
    """The per-row factors of the gate pre-activations, one per gate block of H rows (read-only,
    shared between calls)."""
    s = np.repeat(np.array(factors, dt), H)
    s.flags.writeable = False
    return s


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
    keep = _enabled[0] and any(t._requires_grad for t in parents)  # save for backward?

    Z, hz = _slots(x, _state(hx, k), b_ih is not None, Hout, plan, batch_first, T, B)
    lstm = mode == "LSTM"
    if lstm:
        S, ring = _cell_slots(_state(cx, k), plan, H, B, dt)
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
            dA, grads = _lstm_backward(saved, gZ, dh, dc, Whh, plan, HP, need)
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


def _cell_slots(c0, plan, H, B, dt):
    """The LSTM cell state slots S: per slot [spare; -2c] (see _lstm_forward). A padded batch
    needs only the last state, so one slot is updated in place (it stays in cache); `ring` is
    the number of slots a slot index is taken modulo."""
    T = len(plan.steps)
    ring = T + 1 if not plan.uniform else 1
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


class _Pre:
    """The gate pre-activations of one step, W_ih x + W_hh h + biases, scaled per row by `scale`
    if given (folded into the weights when merged). Merged: one GEMM with W = [W_ih | b | W_hh] on the
    whole slot (the loop calls it with `operands`); else two GEMMs on its parts and the bias and
    scale added per step (a call)."""

    def __init__(self, Wih, Whh, bias, scale, hz, merge, extra_rows=0):
        G, I = Wih.shape
        self.merge = merge
        self.hz = hz
        if merge:
            W = np.empty((G + extra_rows, hz + Whh.shape[1]), Wih.dtype)
            W[:G, :I] = Wih
            if bias is not None:
                W[:G, I] = bias
            W[:G, hz:] = Whh
            if scale is not None:
                W[:G] *= scale[:, None]
            self.W = W
        else:
            self.Wih, self.Whh, self.I = Wih, Whh, I
            self.bias = None if bias is None else bias[:, None]
            self.scale = None if scale is None else scale[:, None]

    def operands(self, zin, zero_h0):
        """Per step (W, z slot) for the merged GEMM, (None, z slot) otherwise; a first step
        reading h0 = 0 needs only the input and bias columns of W."""
        if not self.merge:
            return [(None, z) for z in zin]
        ops = [(self.W, z) for z in zin]
        if zero_h0 and ops:
            ops[0] = (self.W[:, :self.hz], zin[0][:self.hz])
        return ops

    def __call__(self, z, out):
        np.matmul(self.Wih, z[:self.I], out=out)
        out += self.Whh @ z[self.hz:]
        if self.bias is not None:
            out += self.bias
        if self.scale is not None:
            out *= self.scale


# ---- LSTM: i, f, g, o = σ, σ, tanh, σ of the four H-row blocks ------------------------------------
# c' = f c + i g,  h' = o tanh(c')  [h' = W_hr (o tanh(c')) with a projection]

def _lstm_forward(Z, S, ring, hz, Wih, Whh, b_ih, b_hh, w_hr, plan, merge, keep, zero_h0):
    dt = Z.dtype
    H = Whh.shape[0] // 4
    # The rows are scaled so that a step's GEMM yields -x (-2x for g): exp and +1 then give
    # D = 1 + exp(-x) on one contiguous block, and σ(x) = 1/D, tanh(x) = 2/D_g - 1 follow by
    # division (powers of two scale exactly; 2/inf = 0 keeps saturated gates finite). The
    # slots hold c~ = -2c, so that tanh(c) = 2/(1 + exp(c~)) - 1 too: an exp costs half a tanh.
    scale = _gate_scale((-1.0, -1.0, -2.0, -1.0), H, dt)
    pre = _Pre(Wih, Whh, None if b_ih is None else b_ih._data + b_hh._data, scale, hz, merge)
    Whr = None if w_hr is None else w_hr._data
    B = Z.shape[2]
    A = np.empty(4 * H * B, dt)          # one step's D; tanh(c) then goes over the spent D_g
    R = None if Whr is None else (_buf((plan.N * H,), dt) if keep else np.empty(H * B, dt))
    # every view the loop needs, made beforehand (a view costs as much as a small op)
    d_g = _blocks(A, plan, (4, H), False, 2)
    saved, facs = None, [None] * len(plan.steps)
    if keep:  # what backward needs of each step, computed while its arrays are in cache
        saved = (_buf((plan.N * 4 * H,), dt), _buf((plan.N * H,), dt), _buf((plan.N * H,), dt))
        facs = zip(_blocks(saved[0], plan, (4, H), True), _blocks(saved[1], plan, (H,), True),
                   _blocks(saved[2], plan, (H,), True), _blocks(np.empty(4 * H * B, dt), plan, (4, H), False))
    views = zip(_blocks(A, plan, (4 * H,), False), _blocks(A, plan, (4, H), False, slice(0, 2)), d_g,
                _blocks(A, plan, (4, H), False, 3), pre.operands(_at(Z, plan), zero_h0),
                _at(Z[:, hz:], plan, out=True), _at(S, plan, ring=ring), _at(S[:, 0], plan, ring=ring),
                _at(S[:, 1], plan, ring=ring), _at(S[:, 1], plan, out=True, ring=ring),
                _blocks(R, plan, (H,), keep) if R is not None else d_g,
                facs)
    one, two, m4 = _constants(dt)
    # local names and positional `out` (the third argument): a little less per call, which at
    # these sizes is what the step costs besides its GEMM and its two exps
    dot, exp, add, subtract, divide = np.dot, np.exp, np.add, np.subtract, np.divide
    for a, d_if, d_g, d_o, (W, z), h, s, g, c_prev, c, r, fac in views:
        if W is not None:
            dot(W, z, a)                 # np.dot: less overhead than matmul; `a` is contiguous
        else:
            pre(z, a)
        exp(a, a)
        add(a, one, a)                   # D
        divide(m4, d_g, g)               # s[0] is a spare row: -2g = 2 - 4/D_g
        add(g, two, g)
        divide(s, d_if, s)               # [-2 i g; f c~_prev]
        if fac is not None:
            _gate_factors(fac, a, s)
        tc = d_g
        add(g, c_prev, c)                # c~
        exp(c, tc)
        add(tc, one, tc)
        divide(two, tc, tc)
        subtract(tc, one, tc)            # tanh(c)
        if Whr is None:
            divide(tc, d_o, h)
        else:
            divide(tc, d_o, r)
            np.matmul(Whr, r, out=h)
        if fac is not None:
            _cell_factors(fac, h if Whr is None else r, tc)
    return saved, R, Whr


# What the LSTM backward needs of each step: blocks K (4H, b), P (H, b), F (H, b), with
# dc~ = d(loss)/d(c~), c~ = -2c (so d(loss)/dc = -2 dc~), σ = 1/D (s = σ(2x_g) = 1/D_g,
# g = 2s - 1, 1 - g² = 4s(1-s)), the forward's products [-2ig; f c~_prev] and h = o·tanh(c)
# (before a projection):
#   d(pre_i) = dc·g·i(1-i) = dc~·(-2ig)(1-i),  d(pre_f) = dc·c_prev·f(1-f) = dc~·(f c~_prev)(1-f),
#   d(pre_g) = dc·i·4s(1-s) = dc~·(-8)i s(1-s),  d(pre_o) = dh·tanh(c)·o(1-o) = dh·h(1-o)
#   → dc~·K[:3], dh·K[3];  dc~ += -dh·o(1 - tanh²c)/2 = dh·(h·tanh c - o)/2 → dh·P;
#   dc~_prev = dc~·f → F.
# `fac` is (K, P, F, sigma) for the step, sigma a scratch (4, H, b).

def _gate_factors(fac, D, products):
    k, _, f, sig = fac
    one = _constants(D.dtype)[0]
    np.divide(one, D.reshape(sig.shape), sig)     # i, f, s, o
    np.subtract(one, sig, k)
    np.multiply(k[:2], products, k[:2])
    np.multiply(k[2], sig[2], k[2])
    np.multiply(k[2], sig[0], k[2])
    k[2] *= -8.0
    np.copyto(f, sig[1])


def _cell_factors(fac, h, tc):
    k, p, _, sig = fac
    np.multiply(k[3], h, k[3])
    np.multiply(h, tc, p)
    np.subtract(p, sig[3], p)
    p *= 0.5


def _lstm_backward(saved, gZ, dh_state, dc_state, Whh, plan, HP, need):
    (Kb, Pb, Fb), R, Whr = saved      # per-step factors (see _LstmFactors)
    dt = Kb.dtype
    H = dc_state.shape[0]
    WhhT = Whh.T
    # d(loss)/d(pre-activation) per step, as blocks; at the end turned into the (4H, N) columns
    # the weight gradients need (the blocks are written in order and the columns row by row:
    # copying each step's block straight into its strided columns costs more)
    dG = _buf((plan.N * 4 * H,), dt)
    dgs, dg_o, dg_ifg = (_by_time(dG, plan, (4 * H,)), _by_time(dG, plan, (4, H), 3),
                         _by_time(dG, plan, (4, H), slice(0, 3)))
    DH = None if Whr is None else _buf((plan.N * Whh.shape[1],), dt)
    B = dc_state.shape[1]
    u_buf = np.empty(H * B, dt)
    dr_buf = None if Whr is None else np.empty(H * B, dt)
    gz = None if gZ is None else list(gZ)
    dhs = None if DH is None else _by_time(DH, plan, (Whr.shape[0],))
    last = plan.runs[-1][0] + plan.runs[-1][6][-1] if plan.runs else -1  # the time step backward ends at
    add, multiply = np.add, np.multiply
    for t0, n, b, g0, si0, so0, order in plan.runs:
        K = _run_blocks(Kb, g0, n, 4 * H, b).reshape(n, 4, H, b)
        K_o, K_ifg = list(K[:, 3]), list(K[:, :3])
        Pl, F = list(_run_blocks(Pb, g0, n, H, b)), list(_run_blocks(Fb, g0, n, H, b))
        dh, dc, u = _active(dh_state, b), _active(dc_state, b), u_buf[:H * b].reshape(H, b)
        dr = dh if DH is None else dr_buf[:H * b].reshape(H, b)
        for j in order:  # (out given positionally, as in the forward)
            t = t0 + j
            if gz is not None:
                add(dh, gz[so0 + j][:, :b], dh)
            if DH is not None:
                np.copyto(dhs[t], dh)
                np.matmul(Whr.T, dh, out=dr)
            multiply(dr, K_o[j], dg_o[t])
            multiply(dr, Pl[j], u)
            add(dc, u, dc)
            multiply(dc, K_ifg[j], dg_ifg[t])
            if t != last or need.get("hx") or need.get("cx"):  # the state before the first step
                multiply(dc, F[j], dc)
                np.dot(WhhT, dgs[t], dh)
        _settle(dh_state, dh)
        _settle(dc_state, dc)
    dA = _to_cols(dG, 4 * H, plan)
    grads = {"dc": dc_state}
    if need.get("w_hh"):
        grads["w_hh"] = dA @ HP
    if need.get("w_hr"):
        grads["w_hr"] = _to_cols(DH, Whr.shape[0], plan) @ _to_cols(R, H, plan).T
    if need.get("b_ih") or need.get("b_hh"):
        gb = _row_sums(dA)
        grads["b_ih"] = gb
        grads["b_hh"] = gb.copy()
    return dA.T, grads


# ---- GRU: r, z = σ(...), n = tanh(W_in x + b_in + r (W_hn h + b_hn)), h' = (1 - z) n + z h ------

def _gru_forward(Z, hz, Wih, Whh, b_ih, b_hh, plan, merge, keep, zero_h0):
    dt = Z.dtype
    H = Whh.shape[0] // 3
    H2 = 2 * H
    B = Z.shape[2]
    I = Wih.shape[1]
    # A step's gate block A is [-(r pre-activation); -(z ...); W_hn h + b_hn] (σ as 1/(1 + exp)
    # with no negation pass, as for the LSTM), and NX = W_in x + b_in the input side of n.
    # Merged: A is one GEMM per step and NX one batched GEMM for all steps before the loop;
    # short inputs: one GEMM per side per step.
    if merge:
        bias = None
        if b_ih is not None:
            bias = b_hh._data.copy()
            bias[:H2] += b_ih._data[:H2]
        pre = _Pre(Wih[:H2], Whh[:H2], None if bias is None else bias[:H2], _gate_scale((-1.0, -1.0), H, dt),
                   hz, merge, extra_rows=H)
        pre.W[H2:, :I] = 0   # the n rows: [0 | b_hn | W_hn]
        if bias is not None:
            pre.W[H2:, I] = bias[H2:]
        pre.W[H2:, hz:] = Whh[H2:]
        Wn = np.empty((H, hz), dt)
        Wn[:, :I] = Wih[H2:]
        if b_ih is not None:
            Wn[:, I] = b_ih._data[H2:]
        NX = np.matmul(Wn, Z[:, :hz])             # per slot: W_in x + b_in of the step reading it
        operands, nxs, axs = pre.operands(_at(Z, plan), zero_h0), _at(NX, plan), _at(Z, plan)
    else:
        AX = np.empty(3 * H * B, dt)              # W_ih x + b_ih, one step's
        operands, axs = [(None, z) for z in _at(Z, plan)], _blocks(AX, plan, (3 * H,), False)
        nxs = _blocks(AX, plan, (3, H), False, 2)
        b_i, b_h = (None, None) if b_ih is None else (b_ih._data[:, None], b_hh._data[:, None])
    A = _buf((plan.N * 3 * H,), dt) if keep else np.empty(3 * H * B, dt)
    NN = _buf((plan.N * H,), dt) if keep else np.empty(H * B, dt)          # n
    U = np.empty(H * B, dt)
    views = zip(_blocks(A, plan, (3 * H,), keep), _blocks(A, plan, (3, H), keep, slice(0, 2)),
                _blocks(A, plan, (3, H), keep, 0), _blocks(A, plan, (3, H), keep, 1),
                _blocks(A, plan, (3, H), keep, 2), _blocks(NN, plan, (H,), keep),
                _blocks(U, plan, (H,), False), operands, _at(Z[:, hz:], plan),
                _at(Z[:, hz:], plan, out=True), nxs, axs)
    one = _constants(dt)[0]
    for a, rz, d_r, d_z, nh, n, u, (W, z), h_prev, h, nx, ax in views:
        if W is not None:
            np.dot(W, z, a)  # cheaper per call than matmul; `a` is contiguous
        else:
            np.matmul(Wih, z[:I], out=ax)
            np.matmul(Whh, h_prev, out=a)
            if b_i is not None:
                np.add(ax, b_i, out=ax)
                np.add(a, b_h, out=a)
            np.add(a[:H2], ax[:H2], out=a[:H2])
            np.negative(rz, out=rz)
        np.exp(rz, out=rz)
        np.add(rz, one, out=rz)            # D_r, D_z: r = 1/D_r, z = 1/D_z
        np.divide(nh, d_r, out=n)          # r (W_hn h + b_hn)
        np.add(n, nx, out=n)
        np.tanh(n, out=n)
        np.subtract(h_prev, n, out=u)
        np.divide(u, d_z, out=u)           # z (h - n)
        np.add(n, u, out=h)
    return A, NN


def _gru_backward(saved, Z, hz, gZ, dh_state, Whh, plan, HP, need):
    A, NN = saved
    dt = A.dtype
    H = dh_state.shape[0]
    H2 = 2 * H
    B = dh_state.shape[1]
    # Gradient blocks per step: E = [n hidden side; r; z; n input side] — the last three are the
    # input-side gradient dA in torch's gate order, the first three the hidden side with the
    # n block first (W_hh's rows are reordered to match). Turned into (4H, N) columns at the end.
    E = _buf((plan.N * 4 * H,), dt)
    es = _by_time(E, plan, (4, H))
    WT = np.concatenate((Whh[H2:], Whh[:H2])).T
    one = _constants(dt)[0]
    tmp = np.empty(H * B, dt)
    gz = None if gZ is None else list(gZ)
    last = plan.runs[-1][0] + plan.runs[-1][6][-1] if plan.runs else -1  # the time step backward ends at
    for t0, n, b, g0, si0, so0, order in plan.runs:
        # Per run: r, z and the factors of h' = n + z (h - n):
        #   d(pre_n) = dh (1 - z)(1 - n²) → Dn,  d(pre_z) = dh (h - n) z (1 - z) → Dz,
        #   d(pre_r) = d(pre_n) (W_hn h + b_hn) r (1 - r) → Dr,  d(W_hn h + b_hn) = d(pre_n) r
        a = _run_blocks(A, g0, n, 3 * H, b).reshape(n, 3, H, b)
        Rs = np.divide(one, a[:, :2])             # r, z
        nn = _run_blocks(NN, g0, n, H, b)
        F = np.empty((n, 3, H, b), dt)            # Dr, Dz, Dn
        omz = np.subtract(one, Rs[:, 1])
        np.multiply(nn, nn, out=F[:, 2])
        np.subtract(one, F[:, 2], out=F[:, 2])
        F[:, 2] *= omz
        np.subtract(Z[si0:si0 + n, hz:, :b], nn, out=F[:, 1])
        F[:, 1] *= Rs[:, 1]
        F[:, 1] *= omz
        np.subtract(one, Rs[:, 0], out=F[:, 0])
        F[:, 0] *= Rs[:, 0]
        F[:, 0] *= a[:, 2]
        F_zn, F_r, R_r, R_z = list(F[:, 1:]), list(F[:, 0]), list(Rs[:, 0]), list(Rs[:, 1])
        dh, u = _active(dh_state, b), tmp[:H * b].reshape(H, b)
        for j in order:
            t = t0 + j
            e = es[t]
            if gz is not None:
                np.add(dh, gz[so0 + j][:, :b], out=dh)
            np.multiply(dh, F_zn[j], out=e[2:])           # d(pre_z), d(pre_n)
            np.multiply(e[3], F_r[j], out=e[1])           # d(pre_r)
            np.multiply(e[3], R_r[j], out=e[0])           # d(W_hn h + b_hn)
            if t != last or need.get("hx"):               # the state before the first step
                np.multiply(dh, R_z[j], out=dh)
                np.dot(WT, e[:3].reshape(3 * H, b), u)
                np.add(dh, u, out=dh)
        _settle(dh_state, dh)
    cols = _to_cols(E, 4 * H, plan)
    grads = {}
    if need.get("w_hh"):
        g = np.empty(Whh.shape, dt)
        np.matmul(cols[H:3 * H], HP, out=g[:H2])
        np.matmul(cols[:H], HP, out=g[H2:])
        grads["w_hh"] = g
    if need.get("b_hh") or need.get("b_ih"):
        total = _row_sums(cols)
        grads["b_hh"] = np.concatenate((total[H:3 * H], total[:H]))
        grads["b_ih"] = total[H:].copy()
    return cols[H:].T, grads


# ---- Elman RNN: h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)  (or relu) -------------------------

def _rnn_forward(mode, Z, hz, Wih, Whh, b_ih, b_hh, plan, merge, zero_h0):
    bias = None if b_ih is None else b_ih._data + b_hh._data
    pre = _Pre(Wih, Whh, bias, None, hz, merge)
    act = np.tanh if mode == "RNN_TANH" else functools.partial(np.maximum, 0.0)
    for (W, z), h in zip(pre.operands(_at(Z, plan), zero_h0), _at(Z[:, hz:], plan, out=True)):
        if W is not None:
            np.matmul(W, z, out=h)
        else:
            pre(z, h)
        act(h, out=h)
    return None


def _rnn_backward(mode, Z, hz, gZ, dh_state, Whh, plan, HP, need):
    dt = Z.dtype
    Hh = dh_state.shape[0]
    WhhT = Whh.T
    dP = _buf((plan.N * Hh,), dt)      # d(loss)/d(pre-activation) per step, blocks
    dps = _by_time(dP, plan, (Hh,))
    gz = None if gZ is None else list(gZ)
    for t0, n, b, g0, si0, so0, order in plan.runs:
        h = Z[so0:so0 + n, hz:, :b]      # the steps' outputs: tanh' = 1 - h², relu' = [h > 0]
        if mode == "RNN_TANH":
            D = np.multiply(h, h)
            np.subtract(1.0, D, out=D)
        else:
            D = (h > 0).astype(dt)
        D = list(D)
        dh = _active(dh_state, b)
        for j in order:
            if gz is not None:
                np.add(dh, gz[so0 + j][:, :b], out=dh)
            dp = dps[t0 + j]
            np.multiply(dh, D[j], out=dp)
            np.dot(WhhT, dp, dh)
        _settle(dh_state, dh)
    dA = _to_cols(dP, Hh, plan)
    grads = {}
    if need.get("w_hh"):
        grads["w_hh"] = dA @ HP
    if need.get("b_ih") or need.get("b_hh"):
        gb = _row_sums(dA)
        grads["b_ih"] = gb
        grads["b_hh"] = gb.copy()
    return dA.T, grads


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
