"""Recurrent layers, fused: one graph node runs a whole sequence through one layer in one
direction (RNN tanh/relu, LSTM with optional projection, GRU), with back-propagation through
time written out by hand.

Forward:  G = X W_ihᵀ + b for all time steps in ONE GEMM; then per step ONE GEMM h W_hhᵀ and the
          gates computed on slices of one stacked (B, k·H) array.
Backward: the node walks the steps in reverse in NumPy, keeping the running dh/dc as (B, H)
          arrays; the per-step gate gradients are stacked so that dW_ih, dW_hh (and dW_hr),
          dX and the biases are one GEMM / one sum each after the loop.

Layout. Sequences are always handled as time-major rows ("packed" layout): step t covers rows
off[t]:off[t]+bs[t] with bs non-increasing, so a padded (T, B) batch is the case bs[t] = B. The
hidden states live in one buffer HB of N + B rows: the B initial states plus one block per step
(forward: [h0; step 0; ...; step T-1], reverse: [step 0; ...; step T-1; h0]). The state a step
reads is then a row slice of HB (a sequence that ended keeps its last state, one that has not
started yet reads h0), and the stacked previous states needed for dW_hh are a view of HB.

A node has one output, so the layer's output Y is one flat array [HB | h_n | c_n]; `piece`
cuts output, h_n and c_n out of it as views, and every gradient flows back into the one node."""
import functools

import numpy as np

from ._core import make

__all__ = []
METHODS = []

GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _sigmoid_(a):
    """σ in place, float32 stays float32. exp(-x) may overflow to inf for x < -88 (σ = 0 then,
    which is right); the caller silences that warning once for the whole loop."""
    np.negative(a, out=a)
    np.exp(a, out=a)
    a += 1.0
    np.reciprocal(a, out=a)


@functools.lru_cache(maxsize=128)
def schedule(B, T, batch_sizes, reverse):
    """The walk over time for one direction.

    Returns (steps, prev_all, final, shift): steps in processing order as (g0, g1, prev) with G rows
    g0:g1 (HB rows g0+shift : g1+shift) and `prev` the HB rows of the state the step reads (a
    slice, or an index array where a reverse packed step mixes continuing rows with h0 rows);
    prev_all the HB rows of every step's previous state in G order (for the one dW_hh GEMM);
    final the HB rows of each sequence's last state (h_n). batch_sizes is None for a padded batch."""
    bs = (B,) * T if batch_sizes is None else batch_sizes
    offs = [0] * T
    for t in range(1, T):
        offs[t] = offs[t - 1] + bs[t - 1]
    N = offs[-1] + bs[-1] if T else 0
    init = 0 if not reverse else N
    shift = B if not reverse else 0
    steps = []
    prevs = []
    order = range(T) if not reverse else range(T - 1, -1, -1)
    for t in order:
        g0, b = offs[t], bs[t]
        if not reverse:
            start = init if t == 0 else offs[t - 1] + shift
            prev = slice(start, start + b)
        elif t == T - 1 or bs[t + 1] == b:
            start = init if t == T - 1 else offs[t + 1] + shift
            prev = slice(start, start + b)
        else:  # rows still running continue from step t+1, rows starting now read h0
            nb = bs[t + 1]
            prev = np.concatenate([np.arange(offs[t + 1], offs[t + 1] + nb), np.arange(init + nb, init + b)])
        steps.append((g0, g0 + b, prev))
        prevs.append((t, prev))
    if batch_sizes is None:
        prev_all = slice(0, N) if not reverse else slice(B, N + B)
    else:
        prevs.sort(key=lambda p: p[0])
        prev_all = np.concatenate([np.arange(p.start, p.stop) if isinstance(p, slice) else p for _, p in prevs]
                                  ) if T else np.zeros(0, np.intp)
    if reverse or batch_sizes is None:
        final = slice(offs[-1] + shift, offs[-1] + shift + B) if not reverse else slice(0, B)
    else:  # forward packed: sequence j ends at step len_j - 1
        final = np.empty(B, np.intp)
        for t in range(T):
            nxt = bs[t + 1] if t + 1 < T else 0
            final[nxt:bs[t]] = np.arange(offs[t] + nxt, offs[t] + bs[t]) + shift
    return tuple(steps), prev_all, final, shift


def _rows(x, batch_first):
    """Input as time-major rows (N, I): a view unless batch_first needs a transposed copy."""
    if x.ndim == 2:
        return x
    if batch_first:
        x = x.swapaxes(0, 1)
    return x.reshape(-1, x.shape[-1])


def layer(mode, input, hx, cx, k, w_ih, w_hh, b_ih, b_hh, w_hr, reverse, B, T, batch_sizes, batch_first):
    """Run one layer in one direction over the whole sequence, as one graph node.

    input: (T, B, I), (B, T, I) with batch_first, or packed rows (N, I) with `batch_sizes` (a tuple).
    hx, cx: initial states (L·D, B, H) read at index k, or (B, H) with k None, or None for zeros.
    Returns (Y, (out_start, hn_start, cn_start)): Y's flat offsets of the output rows (N, H_out),
    of h_n (B, H_out) and of c_n (B, H)."""
    x = input.data
    X = _rows(x, batch_first)
    dt = X.dtype
    Wih, Whh = w_ih.data, w_hh.data
    H = Whh.shape[0] // GATES[mode]
    Hout = Whh.shape[1]
    N = X.shape[0]
    steps, prev_all, final, shift = schedule(B, T, batch_sizes, reverse)
    init = slice(0, B) if not reverse else slice(N, N + B)
    n_hb = (N + B) * Hout
    Y = np.empty(n_hb + B * Hout + (B * H if mode == "LSTM" else 0), dt)
    HB = Y[:n_hb].reshape(N + B, Hout)
    hn = Y[n_hb:n_hb + B * Hout].reshape(B, Hout)
    HB[init] = 0 if hx is None else (hx.data[k] if k is not None else hx.data)
    c0 = None if mode != "LSTM" else (0 if cx is None else (cx.data[k] if k is not None else cx.data))

    with np.errstate(over="ignore"):
        if mode == "LSTM":
            saved = _lstm_forward(X, HB, c0, Wih, Whh, b_ih, b_hh, w_hr, steps, shift, init, B, H, N)
            CB = saved[1]
            Y[n_hb + B * Hout:].reshape(B, H)[...] = CB[final]
        elif mode == "GRU":
            saved = _gru_forward(X, HB, Wih, Whh, b_ih, b_hh, steps, shift, B, H)
        else:
            saved = _rnn_forward(mode, X, HB, Wih, Whh, b_ih, b_hh, steps, shift, B)
    hn[...] = HB[final]
    layout = (B * Hout if not reverse else 0, n_hb, n_hb + B * Hout)

    named = [("x", input), ("hx", hx), ("cx", cx), ("w_ih", w_ih), ("w_hh", w_hh), ("b_ih", b_ih),
             ("b_hh", b_hh), ("w_hr", w_hr)]
    named = [(n, t) for n, t in named if t is not None]
    parents = tuple(t for _, t in named)

    def backward(gY):
        gHB = gY[:n_hb].reshape(N + B, Hout)
        dh = gY[n_hb:n_hb + B * Hout].reshape(B, Hout).copy()
        need = {n: t._requires_grad for n, t in named}
        HP = HB[prev_all]
        if mode == "LSTM":
            dc = gY[n_hb + B * Hout:].reshape(B, H).copy()
            dG, grads = _lstm_backward(saved, gHB, dh, dc, Whh, steps, shift, HP, need, N, B, H, Hout)
        elif mode == "GRU":
            dG, grads = _gru_backward(saved, gHB, dh, Whh, HP, steps, shift, need, N, H)
        else:
            dG, grads = _rnn_backward(mode, HB, gHB, dh, Whh, HP, steps, shift, need, N, B)
        if need.get("x"):
            gx = dG @ Wih
            if x.ndim == 3:
                gx = gx.reshape((T, B, x.shape[-1]))
                if batch_first:
                    gx = np.ascontiguousarray(gx.swapaxes(0, 1))
            grads["x"] = gx
        if need.get("w_ih"):
            grads["w_ih"] = dG.T @ X
        if need.get("b_ih") and "b_ih" not in grads:
            grads["b_ih"] = dG.sum(axis=0)
        for name, state in (("hx", hx), ("cx", cx)):
            if need.get(name):
                g = grads.pop(name + "_state")
                if k is not None:
                    full = np.zeros(state.data.shape, dt)
                    full[k] = g
                    g = full
                grads[name] = g
        return tuple(grads.get(n) for n, _ in named)
    name = {"LSTM": "MkldnnRnnLayerBackward0", "GRU": "GruLayerBackward0"}.get(mode, "RnnLayerBackward0")
    Yt = make(Y, parents, backward, name, saved=parents, save_output=True)
    return Yt, layout


# ---- LSTM: i, f, g, o = σ, σ, tanh, σ of the four H-wide column blocks ---------------------------
# c' = f c + i g,  h' = o tanh(c')  [h' = (o tanh(c')) W_hrᵀ with a projection]

def _lstm_forward(X, HB, c0, Wih, Whh, b_ih, b_hh, w_hr, steps, shift, init, B, H, N):
    G = X @ Wih.T
    if b_ih is not None:
        G += b_ih.data
        G += b_hh.data
    dt = G.dtype
    CB = np.empty((N + B, H), dt)
    CB[init] = c0
    TC = np.empty((N, H), dt)
    Whr = w_hr.data if w_hr is not None else None
    R = np.empty((N, H), dt) if Whr is not None else None
    WhhT = Whh.T
    tmp = np.empty((B, 4 * H), dt)
    H2, H3 = 2 * H, 3 * H
    for g0, g1, prev in steps:
        a = G[g0:g1]
        t = tmp[:g1 - g0]
        np.matmul(HB[prev], WhhT, out=t)
        a += t
        _sigmoid_(a[:, :H2])
        np.tanh(a[:, H2:H3], out=a[:, H2:H3])
        _sigmoid_(a[:, H3:])
        c = CB[g0 + shift:g1 + shift]
        np.multiply(a[:, H:H2], CB[prev], out=c)
        ig = t[:, :H]
        np.multiply(a[:, :H], a[:, H2:H3], out=ig)
        c += ig
        tc = TC[g0:g1]
        np.tanh(c, out=tc)
        if R is None:
            np.multiply(a[:, H3:], tc, out=HB[g0 + shift:g1 + shift])
        else:
            r = R[g0:g1]
            np.multiply(a[:, H3:], tc, out=r)
            np.matmul(r, Whr.T, out=HB[g0 + shift:g1 + shift])
    return G, CB, TC, R, Whr


def _lstm_backward(saved, gHB, dh_state, dc_state, Whh, steps, shift, HP, need, N, B, H, Hout):
    A, CB, TC, R, Whr = saved
    H2, H3 = 2 * H, 3 * H
    # Derivatives of the activations, for all steps at once: σ' = σ(1-σ), tanh' = 1 - tanh².
    D = np.subtract(1.0, A)
    D *= A
    gg = A[:, H2:H3]
    np.multiply(gg, gg, out=D[:, H2:H3])
    np.subtract(1.0, D[:, H2:H3], out=D[:, H2:H3])
    # ∂c/∂h-path factor o (1 - tanh² c), for all steps at once
    P = np.multiply(TC, TC)
    np.subtract(1.0, P, out=P)
    P *= A[:, H3:]
    dG = np.empty_like(A)
    dt = A.dtype
    u_buf = np.empty((B, H), dt)
    DH = np.empty((N, Hout), dt) if Whr is not None else None
    dr_buf = np.empty((B, H), dt) if Whr is not None else None
    for g0, g1, prev in reversed(steps):
        b = g1 - g0
        dh = dh_state[:b]
        dh += gHB[g0 + shift:g1 + shift]
        if DH is not None:
            DH[g0:g1] = dh
            dr = np.matmul(dh, Whr, out=dr_buf[:b])
        else:
            dr = dh
        a = A[g0:g1]
        da = dG[g0:g1]
        np.multiply(dr, TC[g0:g1], out=da[:, H3:])
        dc = dc_state[:b]
        u = u_buf[:b]
        np.multiply(dr, P[g0:g1], out=u)
        dc += u
        np.multiply(dc, a[:, H2:H3], out=da[:, :H])
        np.multiply(dc, CB[prev], out=da[:, H:H2])
        np.multiply(dc, a[:, :H], out=da[:, H2:H3])
        dc *= a[:, H:H2]
        da *= D[g0:g1]
        np.matmul(da, Whh, out=dh)
    grads = {"hx_state": dh_state, "cx_state": dc_state}
    if need.get("w_hh"):
        grads["w_hh"] = dG.T @ HP
    if need.get("w_hr"):
        grads["w_hr"] = DH.T @ R
    if need.get("b_ih") or need.get("b_hh"):
        gb = dG.sum(axis=0)
        grads["b_ih"] = gb
        grads["b_hh"] = gb.copy()
    return dG, grads


# ---- GRU: r, z = σ(...), n = tanh(W_in x + b_in + r (W_hn h + b_hn)), h' = (1 - z) n + z h ------

def _gru_forward(X, HB, Wih, Whh, b_ih, b_hh, steps, shift, B, H):
    A = X @ Wih.T
    if b_ih is not None:
        A += b_ih.data
    bhh = b_hh.data if b_hh is not None else None
    dt = A.dtype
    GH = np.empty(A.shape, dt)  # h W_hhᵀ + b_hh of every step (its n part is needed backward)
    WhhT = Whh.T
    tmp = np.empty((B, H), dt)
    H2 = 2 * H
    for g0, g1, prev in steps:
        a = A[g0:g1]
        gh = GH[g0:g1]
        hp = HB[prev]
        np.matmul(hp, WhhT, out=gh)
        if bhh is not None:
            gh += bhh
        rz = a[:, :H2]
        rz += gh[:, :H2]
        _sigmoid_(rz)
        u = tmp[:g1 - g0]
        np.multiply(a[:, :H], gh[:, H2:], out=u)
        n = a[:, H2:]
        n += u
        np.tanh(n, out=n)
        h = HB[g0 + shift:g1 + shift]
        np.subtract(hp, n, out=h)
        h *= a[:, H:H2]
        h += n
    return A, GH


def _gru_backward(saved, gHB, dh_state, Whh, HP, steps, shift, need, N, H):
    A, GH = saved
    H2 = 2 * H
    r, z, n = A[:, :H], A[:, H:H2], A[:, H2:]
    dt = A.dtype
    # Per-step factors for all steps at once:
    Dn = np.multiply(n, n)                       # ∂h'/∂(n pre-activation) = (1 - z)(1 - n²)
    np.subtract(1.0, Dn, out=Dn)
    Dn *= np.subtract(1.0, z)
    Dz = np.subtract(HP, n)                      # ∂h'/∂(z pre-activation) = (h - n) z (1 - z)
    Dz *= z
    Dz *= np.subtract(1.0, z)
    Dr = np.subtract(1.0, r)                     # ∂n_pre/∂(r pre-activation) = (W_hn h + b_hn) r (1 - r)
    Dr *= r
    Dr *= GH[:, H2:]
    dA = np.empty_like(A)                        # gradients of the input-side pre-activations
    dGh = np.empty_like(A)                       # and of the hidden-side ones (differ in the n part)
    u_buf = np.empty((dh_state.shape[0], dh_state.shape[1]), dt)
    for g0, g1, prev in reversed(steps):
        b = g1 - g0
        dh = dh_state[:b]
        dh += gHB[g0 + shift:g1 + shift]
        da = dA[g0:g1]
        dgh = dGh[g0:g1]
        dn = da[:, H2:]
        np.multiply(dh, Dn[g0:g1], out=dn)
        np.multiply(dh, Dz[g0:g1], out=da[:, H:H2])
        np.multiply(dn, Dr[g0:g1], out=da[:, :H])
        dgh[:, :H2] = da[:, :H2]
        np.multiply(dn, r[g0:g1], out=dgh[:, H2:])
        dh *= z[g0:g1]
        u = u_buf[:b]
        np.matmul(dgh, Whh, out=u)
        dh += u
    grads = {"hx_state": dh_state}
    if need.get("w_hh"):
        grads["w_hh"] = dGh.T @ HP
    if need.get("b_hh"):
        grads["b_hh"] = dGh.sum(axis=0)
    return dA, grads


# ---- Elman RNN: h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)  (or relu) -------------------------

def _rnn_forward(mode, X, HB, Wih, Whh, b_ih, b_hh, steps, shift, B):
    G = X @ Wih.T
    if b_ih is not None:
        G += b_ih.data
        G += b_hh.data
    tmp = np.empty((B, G.shape[1]), G.dtype)
    WhhT = Whh.T
    tanh = mode == "RNN_TANH"
    for g0, g1, prev in steps:
        a = G[g0:g1]
        t = tmp[:g1 - g0]
        np.matmul(HB[prev], WhhT, out=t)
        a += t
        if tanh:
            np.tanh(a, out=HB[g0 + shift:g1 + shift])
        else:
            np.maximum(a, 0.0, out=HB[g0 + shift:g1 + shift])
    return None


def _rnn_backward(mode, HB, gHB, dh_state, Whh, HP, steps, shift, need, N, B):
    Hs = HB[shift:shift + N]  # every step's output, in G order
    if mode == "RNN_TANH":
        D = np.multiply(Hs, Hs)
        np.subtract(1.0, D, out=D)
    else:
        D = (Hs > 0).astype(Hs.dtype)
    dP = np.empty_like(D)
    for g0, g1, prev in reversed(steps):
        b = g1 - g0
        dh = dh_state[:b]
        dh += gHB[g0 + shift:g1 + shift]
        dp = dP[g0:g1]
        np.multiply(dh, D[g0:g1], out=dp)
        np.matmul(dp, Whh, out=dh)
    grads = {"hx_state": dh_state}
    if need.get("w_hh"):
        grads["w_hh"] = dP.T @ HP
    if need.get("b_ih") or need.get("b_hh"):
        gb = dP.sum(axis=0)
        grads["b_ih"] = gb
        grads["b_hh"] = gb.copy()
    return dP, grads


# ---- views of a layer's output ------------------------------------------------------------------

def piece(Y, start, shape, swap=False, name="SliceBackward0"):
    """A view of the flat array Y: Y[start:start+prod(shape)] as `shape`, dims 0 and 1 swapped if
    `swap`. Its gradient lands in the same place of a zero array of Y's size."""
    y = Y.data
    size = 1
    for s in shape:
        size *= s
    out = y[start:start + size].reshape(shape)
    if swap:
        out = out.swapaxes(0, 1)

    def backward(g):
        gy = np.zeros(y.shape, g.dtype)
        gy[start:start + size].reshape(shape)[...] = g.swapaxes(0, 1) if swap else g
        return (gy,)
    return make(out, (Y,), backward, name, view_of=Y)


# ---- packing: gathers and scatters of rows with unique indices ---------------------------------

def gather_rows(input, index, name="PackPaddedSequenceBackward0"):
    """input[index] where `index` (a tuple of index arrays) hits each element at most once, so
    the backward can scatter with a plain assignment instead of np.add.at."""
    x = input.data
    out = x[index]

    def backward(g):
        gx = np.zeros(x.shape, g.dtype)
        gx[index] = g
        return (gx,)
    return make(out, (input,), backward, name)


def scatter_rows(input, shape, index, fill, name="PadPackedSequenceBackward0"):
    """A new array of `shape` filled with `fill`, with input's rows placed at `index` (unique)."""
    x = input.data
    out = np.full(shape, fill, dtype=x.dtype)
    out[index] = x

    def backward(g):
        return (g[index],)
    return make(out, (input,), backward, name)
