"""The walk over time of the fused recurrent layers (lamina/ops/rnn.py): which slot and which
columns each step reads and writes (Plan, schedule), the views of per-step "blocks" in flat
buffers, the reorder of blocks into (rows, N) columns, and the small cached constants the step
kernels use. Kept apart from the arithmetic so that forward and backward share one description
of the layout (slots, blocks, runs: see rnn.py's docstring)."""
import functools
from typing import NamedTuple

import numpy as np

from .._accel import float32_kernels


def _buf(shape, dt):
    """An uninitialised work array. (Large ones are reused by malloc rather than faulted in
    afresh each call: lamina raises glibc's mmap and trim thresholds, see ops/_alloc.py.)"""
    return np.empty(shape, dt)


# ---- the walk over time -------------------------------------------------------------------------

class Plan(NamedTuple):
    """How one direction walks the steps (see rnn.py's docstring for slots and blocks)."""
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
    if plan.uniform:  # the slots are consecutive: step order is a slice of them
        T = len(plan.steps)
        if ring == 1:
            return [arr[0]] * T
        views = list(arr)
        first = plan.steps[0][k] % len(views)
        return views[first:first + T] if not plan.reverse else views[first::-1][:T]
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
        src, dst = buf[:plan.N * rows].reshape(T, rows, -1), out.reshape(rows, T, plan.N // T)
        fast = float32_kernels(src)
        if fast:
            fast.blocks_to_columns(src, dst)
        else:
            np.copyto(dst, src.swapaxes(0, 1))
    else:  # a run's steps are consecutive blocks and columns
        for _, n, b, g0, _, _, _ in plan.runs:
            np.copyto(out[:, g0:g0 + n * b].reshape(rows, n, b), _run_blocks(buf, g0, n, rows, b).swapaxes(0, 1))
    return out


_CONSTANTS = {}


def _constants(dt):
    """0-d arrays 1, 2, -4 of dtype dt: as ufunc operands they cost less per call than Python
    floats (no weak-scalar promotion to resolve)."""
    c = _CONSTANTS.get(dt)
    if c is None:
        c = _CONSTANTS[dt] = tuple(np.full((), v, dt) for v in (1.0, 2.0, -4.0))
    return c


@functools.lru_cache(maxsize=64)
def _gate_scale(factors, dt):
    """The factors of the gate pre-activations, one per gate, as an (n_gates, 1) column to
    multiply a (n_gates, H·cols) view of contiguous gate rows with: one scalar per contiguous
    block runs ~3x faster than a per-row column broadcast over (rows, cols). Read-only, shared
    between calls."""
    s = np.array(factors, dt).reshape(-1, 1)
    s.flags.writeable = False
    return s
