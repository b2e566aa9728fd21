"""Compiled step kernels for the fused recurrent layers (lamina/ops/_rnn_steps.py): one loop
instead of a dozen NumPy passes over a step's gate block. float32, C-contiguous blocks."""
import numpy as np
from numba import njit

from ._exp import one_plus_exp

f32 = np.float32


@njit(error_model="numpy", cache=True, fastmath={"contract"})
def lstm_step(a, s, c, tc, h):
    """The LSTM step after its GEMM, as _rnn_steps._lstm_forward's NumPy loop does it, with the
    same operations in the same order: a (4, H, b) holds -x (-2x for g) and becomes
    D = 1 + exp(a); s (2, H, b) = [spare; c~_prev] becomes [-2ig; f c~_prev]; c (H, b) gets
    c~ = -2c', tc tanh(c'), h o·tanh(c'). In inference tc may be a view of a's g block and c of
    s[1]: every element is read before it is written."""
    H, b = c.shape
    for k in range(H):
        for m in range(b):
            d_i = one_plus_exp(a[0, k, m])
            d_f = one_plus_exp(a[1, k, m])
            d_g = one_plus_exp(a[2, k, m])
            d_o = one_plus_exp(a[3, k, m])
            a[0, k, m] = d_i
            a[1, k, m] = d_f
            a[2, k, m] = d_g
            a[3, k, m] = d_o
            ig = (f32(-4.0) / d_g + f32(2.0)) / d_i
            fc = s[1, k, m] / d_f
            s[0, k, m] = ig
            s[1, k, m] = fc
            cn = ig + fc
            c[k, m] = cn
            t = f32(2.0) / one_plus_exp(cn) - f32(1.0)
            tc[k, m] = t
            h[k, m] = t / d_o


@njit(error_model="numpy", cache=True, fastmath={"contract"})
def lstm_step_inference(a, c, h):
    """lstm_step without what backward needs: a (4, H, b) = [-x; -2x for g] is only read, c
    (H, b) holds c~_prev and gets c~, h gets o·tanh(c'). No two arguments may share memory
    (LLVM then vectorises the loop; with overlap it takes its scalar version, 5x slower)."""
    H, b = c.shape
    for k in range(H):
        for m in range(b):
            d_o = one_plus_exp(a[3, k, m])
            ig = (f32(-4.0) / one_plus_exp(a[2, k, m]) + f32(2.0)) / one_plus_exp(a[0, k, m])
            cn = ig + c[k, m] / one_plus_exp(a[1, k, m])
            c[k, m] = cn
            h[k, m] = (f32(2.0) / one_plus_exp(cn) - f32(1.0)) / d_o
