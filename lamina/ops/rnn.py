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
import sys
import threading

import numpy as np

from ._core import make

__all__ = []
METHODS = []

GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}

# Work buffers are recycled: a fresh multi-megabyte array costs a page fault per 4 KiB on first
# touch (and the OS takes the pages back at free), which for a small LSTM step is a sizeable part
# of the time. A pooled array is handed out again only when nothing else refers to it any more
# (the graph that saved it was freed), which its reference count tells. Sizes are rounded up to
# powers of two so that varying sequence lengths share buffers; what the pool keeps is bounded.
_POOL_MAX_ARRAY = 32 << 20   # bytes: larger arrays are not kept
_POOL_BUDGET = 128 << 20     # bytes kept per thread, at most
_POOL_PER_KEY = 6
_local = threading.local()


def _free_refcount():
    pool = [np.empty(1)]
    for arr in pool:
        return sys.getrefcount(arr)


_FREE = _free_refcount()


def _buf(shape, dt):
    """An uninitialised array of `shape` and dtype `dt`, recycled from this thread's pool when a
    pooled array of its size class is no longer referenced anywhere else."""
    n = 1
    for d in shape:
        n *= d
    cap = 1 << max(n - 1, 0).bit_length()
    pools = getattr(_local, "pools", None)
    if pools is None:
        pools = _local.pools = {}
        _local.kept = 0
    key = (cap, dt)
    pool = pools.get(key)
    if pool is None:
        pool = pools[key] = []
    for arr in pool:
        if sys.getrefcount(arr) == _FREE:
            return arr[:n].reshape(shape)
    arr = np.empty(cap, dt)
    if len(pool) < _POOL_PER_KEY and arr.nbytes <= _POOL_MAX_ARRAY and _local.kept + arr.nbytes <= _POOL_BUDGET:
        pool.append(arr)
        _local.kept += arr.nbytes
    return arr[:n].reshape(shape)


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
        xt = _buf((x.shape[1], x.shape[0], x.shape[2]), x.dtype)
        np.copyto(xt, x.swapaxes(0, 1))
        x = xt
    return x.reshape(-1, x.shape[-1])


def layer(mode, input, hx, cx, k, w_ih, w_hh, b_ih, b_hh, w_hr, reverse, B, T, batch_sizes, batch_first):
    """Run one layer in one direction over the whole sequence, as one graph node.

    input: (T, B, I), (B, T, I) with batch_first, or packed rows (N, I) with `batch_sizes` (a tuple).
    hx, cx: initial states (L·D, B, H) read at index k, or (B, H) with k None, or None for zeros.
    Returns (Y, (out_start, hn_start, cn_start, out_flag)): Y's flat offsets of the output rows
    (N, H_out), of h_n (B, H_out) and of c_n (B, H), and the flag to pass to `piece` for views of
    the output rows."""
    x = input._data
    X = _rows(x, batch_first)
    dt = X.dtype
    Wih, Whh = w_ih._data, w_hh._data
    H = Whh.shape[0] // GATES[mode]
    Hout = Whh.shape[1]
    N = X.shape[0]
    steps, prev_all, final, shift = schedule(B, T, batch_sizes, reverse)
    init = slice(0, B) if not reverse else slice(N, N + B)
    n_hb = (N + B) * Hout
    Y = _buf((n_hb + B * Hout + (B * H if mode == "LSTM" else 0),), dt)
    HB = Y[:n_hb].reshape(N + B, Hout)
    hn = Y[n_hb:n_hb + B * Hout].reshape(B, Hout)
    HB[init] = 0 if hx is None else (hx._data[k] if k is not None else hx._data)
    c0 = None if mode != "LSTM" else (0 if cx is None else (cx._data[k] if k is not None else cx._data))

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
    # Set by the output piece's backward: without it the HB part of the gradient is all zeros
    # (only h_n / c_n were used) and the per-step additions are skipped.
    out_used = [False]
    layout = (B * Hout if not reverse else 0, n_hb, n_hb + B * Hout, out_used)

    named = [("x", input), ("hx", hx), ("cx", cx), ("w_ih", w_ih), ("w_hh", w_hh), ("b_ih", b_ih),
             ("b_hh", b_hh), ("w_hr", w_hr)]
    named = [(n, t) for n, t in named if t is not None]
    parents = tuple(t for _, t in named)

    def backward(gY):
        gHB = gY[:n_hb].reshape(N + B, Hout) if out_used[0] else None
        dh = gY[n_hb:n_hb + B * Hout].reshape(B, Hout).copy()
        need = {n: t._requires_grad for n, t in named}
        HP = HB[prev_all]
        if mode == "LSTM":
            dc = gY[n_hb + B * Hout:].reshape(B, H).copy()
            dG, grads = _lstm_backward(saved, gHB, dh, dc, Whh, steps, shift, HP, prev_all, need, N, B, H, Hout)
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
                    full = np.zeros(state._data.shape, dt)
                    full[k] = g
                    g = full
                grads[name] = g
        return tuple(grads.get(n) for n, _ in named)
    name = {"LSTM": "MkldnnRnnLayerBackward0", "GRU": "GruLayerBackward0"}.get(mode, "RnnLayerBackward0")
    Yt = make(Y, parents, backward, name, saved=parents, save_output=True)
    return Yt, layout


# ---- LSTM: i, f, g, o = σ, σ, tanh, σ of the four H-wide column blocks ---------------------------
# c' = f c + i g,  h' = o tanh(c')  [h' = (o tanh(c')) W_hrᵀ with a projection]

def _gate_scale(H, gates, dt):
    """Per-row factors folded into the weights so each step's GEMM yields -x for the σ gates and
    -2x for the tanh gate: then σ is exp, +1, reciprocal on one contiguous block (no negation
    pass), and tanh(x) = 2σ(2x) - 1 comes from the same block. Powers of two scale exactly."""
    s = np.full(gates * H, -1.0, dt)
    s[2 * H:3 * H] = -2.0
    return s[:, None], s


def _lstm_forward(X, HB, c0, Wih, Whh, b_ih, b_hh, w_hr, steps, shift, init, B, H, N):
    dt = X.dtype
    col, row = _gate_scale(H, 4, dt)
    # Fold the factors into (copies of) the weights when that is cheaper than scaling every
    # step's pre-activations, i.e. for all but the shortest inputs (a cell is one step).
    fold = N > Wih.shape[1] + Whh.shape[1]
    G = np.matmul(X, (Wih * col).T if fold else Wih.T, out=_buf((N, 4 * H), dt))
    if b_ih is not None:
        G += (b_ih._data + b_hh._data) * row if fold else b_ih._data + b_hh._data
    CB = _buf((N + B, H), dt)
    CB[init] = c0
    TC = _buf((N, H), dt)
    Whr = w_hr._data if w_hr is not None else None
    R = _buf((N, H), dt) if Whr is not None else None
    WhhT = (Whh * col).T if fold else Whh.T
    tmp = np.empty((B, 4 * H), dt)
    H2, H3 = 2 * H, 3 * H
    for g0, g1, prev in steps:
        a = G[g0:g1]
        t = tmp[:g1 - g0]
        np.matmul(HB[prev], WhhT, out=t)
        a += t
        if not fold:
            a *= row
        np.exp(a, out=a)      # a held -x (-2x for g): now σ(x) = 1 / (1 + exp(-x))
        a += 1.0
        np.reciprocal(a, out=a)
        # a = [i, f, s, o] with s = σ(2x_g), so g = tanh(x_g) = 2s - 1 and i g = 2 i (s - ½)
        c = CB[g0 + shift:g1 + shift]
        np.multiply(a[:, H:H2], CB[prev], out=c)
        ig = t[:, :H]
        np.subtract(a[:, H2:H3], 0.5, out=ig)
        ig *= a[:, :H]
        c += ig
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


def _chunks(steps, rows):
    """The steps in backward order, grouped into runs of about `rows` G rows; each run covers one
    contiguous range of G rows (lo, hi)."""
    out, run, size = [], [], 0
    for st in reversed(steps):
        n = st[1] - st[0]
        if run and size + n > rows:
            out.append((min(run[0][0], run[-1][0]), max(run[0][1], run[-1][1]), run))
            run, size = [], 0
        run.append(st)
        size += n
    if run:
        out.append((min(run[0][0], run[-1][0]), max(run[0][1], run[-1][1]), run))
    return out


def _lstm_backward(saved, gHB, dh_state, dc_state, Whh, steps, shift, HP, prev_all, need, N, B, H, Hout):
    A, CB, TC, R, Whr = saved
    dt = A.dtype
    H2, H3 = 2 * H, 3 * H
    dG = _buf((N, 4 * H), dt)
    dG4 = dG.reshape(N, 4, H)
    u_buf = np.empty((B, H), dt)
    DH = _buf((N, Hout), dt) if Whr is not None else None
    dr_buf = np.empty((B, H), dt) if Whr is not None else None
    # Per run of steps (sized to stay in cache), everything the gate gradients need besides
    # dh and dc, with i, f, s, o = A's blocks (s = σ(2x_g), g = 2s - 1, 1 - g² = 4 s(1-s)):
    #   d(pre_i) = dc·g·i(1-i),  d(pre_f) = dc·c_prev·f(1-f),  d(pre_g) = dc·4i·s(1-s)   → dc · K[:, :3]
    #   d(pre_o) = dh·tanh(c)·o(1-o) → dh · K[:, 3],   dc += dh · o(1 - tanh² c) → dh · P
    rows = max(256, B)
    K_buf = np.empty((rows, 4, H), dt)
    P_buf = np.empty((rows, H), dt)
    g_buf = np.empty((rows, H), dt)
    for lo, hi, run in _chunks(steps, rows):
        n = hi - lo
        a = A[lo:hi]
        K = K_buf[:n]
        K2 = K.reshape(n, 4 * H)
        np.subtract(1.0, a, out=K2)
        K2 *= a
        g = g_buf[:n]
        np.multiply(a[:, H2:H3], 2.0, out=g)
        g -= 1.0
        K[:, 0] *= g
        K[:, 1] *= CB[prev_all][lo:hi] if isinstance(prev_all, slice) else CB[prev_all[lo:hi]]
        K[:, 2] *= a[:, :H]
        K[:, 2] *= 4.0
        tc = TC[lo:hi]
        K[:, 3] *= tc
        P = P_buf[:n]
        np.multiply(tc, tc, out=P)
        np.subtract(1.0, P, out=P)
        P *= a[:, H3:]
        for g0, g1, prev in run:
            b = g1 - g0
            l0, l1 = g0 - lo, g1 - lo
            dh = dh_state[:b]
            if gHB is not None:
                dh += gHB[g0 + shift:g1 + shift]
            if DH is not None:
                DH[g0:g1] = dh
                dr = np.matmul(dh, Whr, out=dr_buf[:b])
            else:
                dr = dh
            da = dG4[g0:g1]
            np.multiply(dr, K[l0:l1, 3], out=da[:, 3])
            dc = dc_state[:b]
            u = u_buf[:b]
            np.multiply(dr, P[l0:l1], out=u)
            dc += u
            np.multiply(dc[:, None, :], K[l0:l1, :3], out=da[:, :3])
            dc *= a[l0:l1, H:H2]
            np.matmul(dG[g0:g1], Whh, out=dh)
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
    dt = X.dtype
    H2 = 2 * H
    # r and z rows negated (σ without a negation pass, see _gate_scale); the n rows unchanged
    N = X.shape[0]
    fold = N > Wih.shape[1] + Whh.shape[1]  # as for the LSTM: else negate per step
    col = np.ones((3 * H, 1), dt)
    if fold:
        col[:H2] = -1.0
    G = np.matmul(X, (Wih * col).T if fold else Wih.T, out=_buf((N, 3 * H), dt))
    if b_ih is not None:
        G += b_ih._data * col[:, 0]
    bhh = b_hh._data * col[:, 0] if b_hh is not None else None
    GH = _buf((N, 3 * H), dt)  # h W_hhᵀ + b_hh of every step (its n part is needed backward)
    RZ = _buf((N, H2), dt)     # r | z
    NN = _buf((N, H), dt)      # n
    WhhT = (Whh * col).T if fold else Whh.T
    tmp = np.empty((B, H), dt)
    for g0, g1, prev in steps:
        gh = GH[g0:g1]
        hp = HB[prev]
        np.matmul(hp, WhhT, out=gh)
        if bhh is not None:
            gh += bhh
        rz = RZ[g0:g1]
        np.add(G[g0:g1, :H2], gh[:, :H2], out=rz)
        if not fold:
            np.negative(rz, out=rz)
        np.exp(rz, out=rz)
        rz += 1.0
        np.reciprocal(rz, out=rz)
        u = tmp[:g1 - g0]
        np.multiply(rz[:, :H], gh[:, H2:], out=u)
        n = NN[g0:g1]
        np.add(G[g0:g1, H2:], u, out=n)
        np.tanh(n, out=n)
        h = HB[g0 + shift:g1 + shift]
        np.subtract(hp, n, out=h)
        h *= rz[:, H:]
        h += n
    return RZ, NN, GH


def _gru_backward(saved, gHB, dh_state, Whh, HP, steps, shift, need, N, H):
    RZ, n, GH = saved
    H2 = 2 * H
    r, z = RZ[:, :H], RZ[:, H:]
    dt = RZ.dtype
    # Per-step factors for all steps at once:
    omz = np.subtract(1.0, z, out=_buf((N, H), dt))
    Dn = np.multiply(n, n, out=_buf((N, H), dt))  # ∂h'/∂(n pre-activation) = (1 - z)(1 - n²)
    np.subtract(1.0, Dn, out=Dn)
    Dn *= omz
    Dz = np.subtract(HP, n, out=_buf((N, H), dt))  # ∂h'/∂(z pre-activation) = (h - n) z (1 - z)
    Dz *= z
    Dz *= omz
    Dr = np.subtract(1.0, r, out=omz)            # ∂n_pre/∂(r pre-activation) = (W_hn h + b_hn) r (1 - r)
    Dr *= r
    Dr *= GH[:, H2:]
    dA = _buf((N, 3 * H), dt)                    # gradients of the input-side pre-activations
    dGh = _buf((N, 3 * H), dt)                   # and of the hidden-side ones (differ in the n part)
    u_buf = np.empty((dh_state.shape[0], dh_state.shape[1]), dt)
    for g0, g1, prev in reversed(steps):
        b = g1 - g0
        dh = dh_state[:b]
        if gHB is not None:
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
    G = np.matmul(X, Wih.T, out=_buf((X.shape[0], Wih.shape[0]), X.dtype))
    if b_ih is not None:
        G += b_ih._data
        G += b_hh._data
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
    D = _buf(Hs.shape, Hs.dtype)
    if mode == "RNN_TANH":
        np.multiply(Hs, Hs, out=D)
        np.subtract(1.0, D, out=D)
    else:
        np.greater(Hs, 0, out=D)
    dP = _buf(Hs.shape, Hs.dtype)
    for g0, g1, prev in reversed(steps):
        b = g1 - g0
        dh = dh_state[:b]
        if gHB is not None:
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
