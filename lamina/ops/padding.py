"""F.pad: constant, reflect, replicate and circular padding (negative pads crop).

The forward is one allocation plus one copy (np.pad for the non-constant modes). The backward of
a non-constant mode folds each padded border back onto the input positions it was copied from,
one slice-add per border; the constant mode's backward is a crop."""
import numpy as np

from ._core import make

__all__ = ["pad"]

_NP_MODE = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}
_NAME = {"reflect": "ReflectionPad{}DBackward0", "replicate": "ReplicationPad{}DBackward0",
         "circular": "CircularPad{}DBackward0"}


def _check(x, pad, mode, value):
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > x.ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(pad)} and input of dimension {x.ndim}")
    if mode == "constant":
        return
    if mode not in _NP_MODE:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    n = len(pad) // 2
    if n not in (1, 2, 3) or x.ndim not in (n + 1, n + 2):
        raise NotImplementedError(
            f"Padding size {len(pad)} is not supported for {x.ndim}D input tensor.\n"
            "Supported combinations for non-constant padding:\n"
            "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
            "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
            "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")
    if mode in ("reflect", "replicate") and 0 in x.shape[-n - 1:]:
        raise RuntimeError(f"Expected {n + 1}D or {n + 2}D (batch mode) tensor with possibly 0 batch size and other "
                           f"non-zero dimensions for input, but got: {list(x.shape)}")
    for i in range(n):
        dim = x.ndim - 1 - i
        lo, hi = pad[2 * i], pad[2 * i + 1]
        size = x.shape[dim]
        if mode == "reflect" and (lo >= size or hi >= size):
            raise RuntimeError(f"Argument #{4 + 2 * i}: Padding size should be less than the corresponding input "
                               f"dimension, but got: padding ({lo}, {hi}) at dimension {dim} of input {list(x.shape)}")
        # circular wraps what the negative pads leave (PyTorch's check counts the whole size, and
        # then fails on overlapping memory or wraps garbage)
        left = size - max(-lo, 0) - max(-hi, 0)
        if mode == "circular" and (lo > left or hi > left):
            raise RuntimeError("Padding value causes wrapping around more than once.")


def _fold_border(g, axis, lo, hi, n, mode):
    """Gradient of one padded axis (size lo+n+hi) folded back to size n."""
    def sl(a, b, step=None):
        idx = [slice(None)] * g.ndim
        idx[axis] = slice(a, b, step)
        return tuple(idx)
    core = g[sl(lo, lo + n)].copy()
    if lo:
        left = g[sl(0, lo)]
        if mode == "reflect":      # padded j ← input lo - j
            core[sl(1, lo + 1)] += left[sl(None, None, -1)]
        elif mode == "replicate":  # every left border element ← input 0
            core[sl(0, 1)] += left.sum(axis=axis, keepdims=True)
        else:                      # circular: padded j ← input n - lo + j
            core[sl(n - lo, n)] += left
    if hi:
        right = g[sl(lo + n, lo + n + hi)]
        if mode == "reflect":      # padded lo + n + j ← input n - 2 - j
            core[sl(n - 1 - hi, n - 1)] += right[sl(None, None, -1)]
        elif mode == "replicate":
            core[sl(n - 1, n)] += right.sum(axis=axis, keepdims=True)
        else:                      # circular: padded lo + n + j ← input j
            core[sl(0, hi)] += right
    return core


def pad(input, pad, mode="constant", value=None):
    r"""Pad the last len(pad)/2 dims of input: pad = (left_last, right_last, left_prev, right_prev, ...).

    mode: 'constant' (fill with `value`, default 0), 'reflect' (mirror without repeating the
    edge), 'replicate' (repeat the edge) or 'circular' (wrap around). Negative pads remove
    elements. Non-constant modes pad the last 1, 2 or 3 dims of a (batched or unbatched) input."""
    x = input._data
    pad = tuple(int(p) for p in pad)
    _check(x, pad, mode, value)
    n = len(pad) // 2
    pads = [(0, 0)] * (x.ndim - n) + [(pad[2 * i], pad[2 * i + 1]) for i in range(n - 1, -1, -1)]
    # negative pads crop the input first
    crop = tuple(slice(max(-lo, 0), s - max(-hi, 0)) for (lo, hi), s in zip(pads, x.shape))
    cropped = any(lo < 0 or hi < 0 for lo, hi in pads)
    grow = [(max(lo, 0), max(hi, 0)) for lo, hi in pads]
    xc = x[crop] if cropped else x
    if any(s < 0 for s in (c.stop - c.start for c in crop)):
        raise RuntimeError("narrow(): length must be non-negative.")
    if mode == "constant":
        fill = 0 if value is None else value
        out = np.full(tuple(s + lo + hi for s, (lo, hi) in zip(xc.shape, grow)), fill, dtype=x.dtype)
        inner = tuple(slice(lo, lo + s) for s, (lo, hi) in zip(xc.shape, grow))
        out[inner] = xc
        name = "ConstantPadNdBackward0"

        def unpad(g):
            return g[inner]
    elif mode == "circular":  # PyTorch crops first, then wraps what is left
        out = np.pad(xc, grow, mode="wrap")
        name = _NAME[mode].format(n)

        def unpad(g):
            for axis, (lo, hi) in enumerate(grow):
                if lo or hi:
                    g = _fold_border(g, axis, lo, hi, xc.shape[axis], mode)
            return g
    else:
        # reflect and replicate: PyTorch pads the whole input, then crops, so a reflection next to a
        # negative pad still mirrors the original edge ((-2, 4) on 0..4 is 2 3 4 3 2 1 0)
        full = np.pad(x, grow, mode=_NP_MODE[mode])
        keep = tuple(slice(max(-lo, 0), s - max(-hi, 0)) for (lo, hi), s in zip(pads, full.shape))
        out = full[keep] if cropped else full
        name = _NAME[mode].format(n)

        def backward(g):
            if cropped:
                g_full = np.zeros(full.shape, dtype=g.dtype)
                g_full[keep] = g
                g = g_full
            for axis, (lo, hi) in enumerate(grow):
                if lo or hi:
                    g = _fold_border(g, axis, lo, hi, x.shape[axis], mode)
            return (g,)
        return make(np.ascontiguousarray(out), (input,), backward, name)

    def backward(g):
        gc = unpad(g)
        if not cropped:
            return (gc,)
        gx = np.zeros(x.shape, dtype=g.dtype)
        gx[crop] = gc
        return (gx,)
    return make(out, (input,), backward, name)
