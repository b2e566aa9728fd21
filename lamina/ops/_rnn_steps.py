"""The forward step kernels of the fused recurrent layers (lamina/ops/rnn.py): gate
pre-activations (_Pre: one GEMM per step on an [x; 1; h] slot, or two for short inputs) and the
per-step gate math of LSTM (exp-based gates, cell state as -2c; the factors its backward derives
from the kept blocks, _lstm_factors), GRU and Elman RNN, in training and in inference (one
reused work block, no saved blocks). Array-level only: no graph nodes here."""
import functools

import numpy as np

from .._accel import kernels
from ._rnn_plan import _at, _blocks, _buf, _constants, _gate_scale


class _Pre:
    """The gate pre-activations of one step, W_ih x + W_hh h + biases, each gate block of rows
    scaled by its factor in `scale` (_gate_scale) if given (folded into the weights when
    merged). Merged: one GEMM with W = [W_ih | b | W_hh] on the whole slot (the loop calls it
    with `operands`); else two GEMMs on its parts and the bias and scale added per step (a call)."""

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
                rows = W[:G].reshape(len(scale), -1)   # gate blocks of rows, each contiguous
                np.multiply(rows, scale, out=rows)
            self.W = W
        else:
            self.Wih, self.Whh, self.I = Wih, Whh, I
            self.bias = None if bias is None else bias[:, None]
            self.scale = scale

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
        if self.scale is not None:  # `out` is a contiguous step block
            rows = out.reshape(len(self.scale), -1)
            np.multiply(rows, self.scale, out=rows)


# ---- LSTM: i, f, g, o = σ, σ, tanh, σ of the four H-row blocks ------------------------------------
# c' = f c + i g,  h' = o tanh(c')  [h' = W_hr (o tanh(c')) with a projection]

def _lstm_forward(Z, S, ring, hz, Wih, Whh, b_ih, b_hh, w_hr, plan, merge, keep, zero_h0):
    dt = Z.dtype
    H = Whh.shape[0] // 4
    # The rows are scaled so that a step's GEMM yields -x (-2x for g): exp and +1 then give
    # D = 1 + exp(-x) on one contiguous block, and σ(x) = 1/D, tanh(x) = 2/D_g - 1 follow by
    # division (powers of two scale exactly; 2/inf = 0 keeps saturated gates finite). The
    # slots hold c~ = -2c, so that tanh(c) = 2/(1 + exp(c~)) - 1 too: an exp costs half a tanh.
    scale = _gate_scale((-1.0, -1.0, -2.0, -1.0), dt)
    pre = _Pre(Wih, Whh, None if b_ih is None else b_ih._data + b_hh._data, scale, hz, merge)
    Whr = None if w_hr is None else w_hr._data
    B = Z.shape[2]
    # D of each step: for backward (keep) a block per step, written by the GEMM in place;
    # else one reused step block, and tanh(c) then goes over the spent D_g
    A = _buf((plan.N * 4 * H,), dt) if keep else np.empty(4 * H * B, dt)
    TC = _buf((plan.N * H,), dt) if keep else None      # tanh(c) per step, for backward
    R = None if Whr is None else (_buf((plan.N * H,), dt) if keep else np.empty(H * B, dt))
    # every view the loop needs, made beforehand (a view costs as much as a small op)
    d_g = _blocks(A, plan, (4, H), keep, 2)
    views = zip(_blocks(A, plan, (4 * H,), keep), _blocks(A, plan, (4, H), keep, slice(0, 2)), d_g,
                _blocks(A, plan, (4, H), keep, 3), pre.operands(_at(Z, plan), zero_h0),
                _at(Z[:, hz:], plan, out=True), _at(S, plan, ring=ring), _at(S[:, 0], plan, ring=ring),
                _at(S[:, 1], plan, ring=ring), _at(S[:, 1], plan, out=True, ring=ring),
                _blocks(R, plan, (H,), keep) if R is not None else d_g,
                _blocks(TC, plan, (H,), True) if keep else d_g)
    fused = _fused_kernels(dt, plan)
    if fused is not None:
        _lstm_loop_fused(fused, keep, views, _blocks(A, plan, (4, H), keep), pre, Whr)
        return (None if not keep else (A, TC, S)), R, Whr
    one, two, m4 = _constants(dt)
    # local names and positional `out` (the third argument): a little less per call, which at
    # these sizes is what the step costs besides its GEMM and its two exps
    dot, exp, add, subtract, divide = np.dot, np.exp, np.add, np.subtract, np.divide
    for a, d_if, d_g, d_o, (W, z), h, s, g, c_prev, c, r, tc in views:
        if W is not None:
            dot(W, z, a)                 # np.dot: less overhead than matmul; `a` is contiguous
        else:
            pre(z, a)
        exp(a, a)
        add(a, one, a)                   # D
        divide(m4, d_g, g)               # s[0] is a spare row: -2g = 2 - 4/D_g
        add(g, two, g)
        divide(s, d_if, s)               # [-2 i g; f c~_prev], kept in the slot for backward
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
    return (None if not keep else (A, TC, S)), R, Whr


def _fused_kernels(dt, plan):
    """The compiled step kernels (lamina/_accel/numba_kernels.py) where they apply: float32 blocks that
    are contiguous (every step has the whole batch); else None and the NumPy loop runs."""
    if dt != np.float32 or not plan.uniform:
        return None
    return kernels()


def _lstm_loop_fused(fused, keep, views, gate_views, pre, Whr):
    """_lstm_forward's loop with the gate math in one compiled call per step; gate_views: each
    step's block as (4, H, b). Without `keep` the cell state is updated in place (one slot,
    ring = 1) and nothing else is stored."""
    dot = np.dot
    for (a, _, _, _, (W, z), h, s, _, _, c, r, tc), gates in zip(views, gate_views):
        if W is not None:
            dot(W, z, a)
        else:
            pre(z, a)
        out = h if Whr is None else r
        if keep:
            fused.lstm_step(gates, s, c, tc, out)
        else:
            fused.lstm_step_inference(gates, c, out)
        if Whr is not None:
            np.matmul(Whr, r, out=h)


# What the LSTM backward needs of each step, from what the forward kept: D = 1 + exp(-x) of
# the four gates (σ = 1/D; s = σ(2x_g) = 1/D_g, g = 2s - 1, 1 - g² = 4s(1-s)), the products
# [-2ig; f c~_prev] left in the cell slots, tanh(c) and h = o·tanh(c) (before a projection).
# With dc~ = d(loss)/d(c~), c~ = -2c (so d(loss)/dc = -2 dc~):
#   d(pre_i) = dc·g·i(1-i) = dc~·(-2ig)(1-i),  d(pre_f) = dc·c_prev·f(1-f) = dc~·(f c~_prev)(1-f),
#   d(pre_g) = dc·i·4s(1-s) = dc~·(-8)i s(1-s),  d(pre_o) = dh·tanh(c)·o(1-o) = dh·h(1-o)
#   → dc~·K[:3], dh·K[3];  dc~ += -dh·o(1 - tanh²c)/2 = dh·(h·tanh c - o)/2 → dh·P;
#   dc~_prev = dc~·f → F = σ[1].
# Computed by backward for a run of n steps at once (a few calls per run instead of per step).

def _lstm_factors(D, products, h, tc, sig, P):
    """From D (n, 4, H, b), overwritten by K, the products (n, 2, H, b), h and tanh(c) (n, H, b):
    sig (n, 4, H, b) = σ of the four gates, K and P (n, H, b)."""
    one = _constants(D.dtype)[0]
    np.divide(one, D, sig)                       # i, f, s, o
    K = np.subtract(one, sig, D)
    np.multiply(K[:, :2], products, K[:, :2])
    np.multiply(K[:, 2], sig[:, 2], K[:, 2])
    np.multiply(K[:, 2], sig[:, 0], K[:, 2])
    K[:, 2] *= -8.0
    np.multiply(K[:, 3], h, K[:, 3])
    np.multiply(h, tc, P)
    np.subtract(P, sig[:, 3], P)
    P *= 0.5
    return K


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
        pre = _Pre(Wih[:H2], Whh[:H2], None if bias is None else bias[:H2], _gate_scale((-1.0, -1.0), dt),
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
