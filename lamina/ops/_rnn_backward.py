"""Back-propagation through time for the fused recurrent layers (lamina/ops/rnn.py): per
layer kind, the reverse walk over the steps that turns the output gradients into per-step gate
gradients (stored as blocks, reordered into columns once), then the weight and bias gradients as
one GEMM/GEMV each. The per-step factors of the gate derivatives are computed here, a run of
steps at a time, from what the forward kept. Array-level only."""
import numpy as np

from ._rnn_plan import _active, _buf, _by_time, _constants, _row_sums, _run_blocks, _settle, _to_cols
from ._rnn_steps import _lstm_factors


# ---- LSTM --------------------------------------------------------------------------------------

def _lstm_backward(saved, Z, hz, gZ, dh_state, dc_state, Whh, plan, HP, need):
    (Db, TCb, S), R, Whr = saved      # what the forward kept (see _rnn_steps._lstm_factors)
    dt = Db.dtype
    H = dc_state.shape[0]
    # a contiguous copy: np.dot with the transposed view costs ~5% more per step
    WhhT = np.ascontiguousarray(Whh.T)
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
    cols = max((n * b for _, n, b, _, _, _, _ in plan.runs), default=0)
    sig_buf, p_buf = np.empty(cols * 4 * H, dt), np.empty(cols * H, dt)   # a run's σ and P
    gz = None if gZ is None else list(gZ)
    dhs = None if DH is None else _by_time(DH, plan, (Whr.shape[0],))
    last = plan.runs[-1][0] + plan.runs[-1][6][-1] if plan.runs else -1  # the time step backward ends at
    add, multiply = np.add, np.multiply
    for t0, n, b, g0, si0, so0, order in plan.runs:
        h = Z[so0:so0 + n, hz:, :b] if Whr is None else _run_blocks(R, g0, n, H, b)
        sig = sig_buf[:n * 4 * H * b].reshape(n, 4, H, b)
        P = p_buf[:n * H * b].reshape(n, H, b)
        K = _lstm_factors(_run_blocks(Db, g0, n, 4 * H, b).reshape(n, 4, H, b), S[si0:si0 + n, :, :, :b], h,
                          _run_blocks(TCb, g0, n, H, b), sig, P)
        K_o, K_ifg, Pl, F = list(K[:, 3]), list(K[:, :3]), list(P), list(sig[:, 1])
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


# ---- GRU ---------------------------------------------------------------------------------------

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
    WT = np.concatenate((Whh[H2:].T, Whh[:H2].T), axis=1)   # contiguous: np.dot costs less than on a .T view
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


# ---- Elman RNN ---------------------------------------------------------------------------------

def _rnn_backward(mode, Z, hz, gZ, dh_state, Whh, plan, HP, need):
    dt = Z.dtype
    Hh = dh_state.shape[0]
    WhhT = np.ascontiguousarray(Whh.T)  # np.dot costs less than on the .T view
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
