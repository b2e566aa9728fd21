"""lamina's compiled kernels (numba), all in this one file: numba's on-disk cache checks only the
file a kernel is defined in, so a helper the kernels inline (exp_f32) must live beside them or an
edit to it would leave stale machine code in the cache.

Each kernel does in one loop what a NumPy path elsewhere does in several passes over memory, with
the same operations in the same order unless its docstring says otherwise; float32, C-contiguous
arrays. error_model="numpy" (no ZeroDivisionError checks) lets LLVM vectorise the loops;
"contract" allows fused multiply-adds where noted.

exp_f32: exp(x) by Cody–Waite reduction x = n·ln2 + r, |r| ≤ ln2/2, a degree-6 polynomial for
exp(r) (Cephes' expf coefficients), and 2**n put into the exponent bits. Within 2 ulp of
PyTorch's exp and sigmoid (NumPy's exp is a separate pass per call, 2 ns per element here).
Results below the smallest normal float (x < -87.34) are 0, as with flush-to-zero; above
float32's range (x > 88.72) inf; NaN stays NaN (it fails every comparison)."""
import numpy as np
from numba import njit

f32 = np.float32

_ROUND = f32(12582912.0)       # 1.5·2**23: adding and subtracting it rounds to an integer
# (x·log2e + _ROUND) - _ROUND must not be simplified: no "reassoc" among the fastmath flags
_LN2_HI, _LN2_LO = f32(0.693359375), f32(-2.12194440e-4)
_SUBNORMAL = f32(-87.33654)    # ln of the smallest normal float32


@njit(inline="always", error_model="numpy", fastmath={"contract"})
def exp_f32(x):
    v = f32(89.0) if x > f32(89.0) else x
    v = f32(-88.0) if v < f32(-88.0) else v  # in range of the bit trick; results this small are set to 0 below
    n = (v * f32(1.44269504) + _ROUND) - _ROUND
    r = v - n * _LN2_HI
    r = r - n * _LN2_LO
    p = f32(1.9875691500e-4)
    p = p * r + f32(1.3981999507e-3)
    p = p * r + f32(8.3334519073e-3)
    p = p * r + f32(4.1665795894e-2)
    p = p * r + f32(1.6666665459e-1)
    p = p * r + f32(5.0000001201e-1)
    y = p * r * r + r + f32(1.0)
    # 2**n as two powers of two built from their exponent bits, 2**(n//2) and 2**(n - n//2): each
    # is a normal float for every n in [-127, 128], so exp(88.5) stays finite and exp(89) is inf
    ni = np.int32(n)
    half = ni >> np.int32(1)
    s1 = np.int32((half + np.int32(127)) << np.int32(23)).view(np.float32)
    s2 = np.int32((ni - half + np.int32(127)) << np.int32(23)).view(np.float32)
    e = y * s1 * s2
    return f32(0.0) if x < _SUBNORMAL else e


@njit(inline="always", error_model="numpy", fastmath={"contract"})
def one_plus_exp(x):
    return f32(1.0) + exp_f32(x)


# ---- elementwise ---------------------------------------------------------------------------------

# The row reductions below are functions of their own with "reassoc", which lets LLVM vectorise
# them (the sum's order is then the SIMD lanes', not left to right: a rounding-level difference
# from NumPy's pairwise sums). Inlined by numba into a caller, they would take the caller's flags,
# and a kernel with exp_f32 must not have "reassoc"; LLVM's own inlining keeps each instruction's
# flags. One running sum waits on each addition: 4x slower on rows of 512.

@njit(error_model="numpy", fastmath={"reassoc", "contract"})
def row_sum(a):
    """Σ a (1-D)."""
    s = f32(0)
    for i in range(a.size):
        s += a[i]
    return s


@njit(error_model="numpy", fastmath={"reassoc", "contract"})
def row_dot(a, b):
    """Σ a·b (1-D, same size)."""
    s = f32(0)
    for i in range(a.size):
        s += a[i] * b[i]
    return s


@njit(error_model="numpy", fastmath={"reassoc", "contract"})
def row_dots(g, w, h):
    """(Σ g·w, Σ g·w·h) (1-D, same size): LayerNorm backward's two row means in one pass."""
    a = f32(0)
    b = f32(0)
    for i in range(g.size):
        u = g[i] * w[i]
        a += u
        b += u * h[i]
    return a, b


@njit(inline="always", error_model="numpy")
def copy_block(src, sr, sc, dst, dr, dc, h, w):
    """dst[dr:dr + h, dc:dc + w] = src[sr:sr + h, sc:sc + w] for 2-D arrays, row by row over
    1-D row views (indexing a 4-D array element by element in such a loop took 1.7x as long): a
    plane into a padded scratch plane or out of one, in the convolution kernels."""
    for r in range(h):
        a, z = src[sr + r, sc:], dst[dr + r, dc:]
        for q in range(w):
            z[q] = a[q]


@njit(inline="always", error_model="numpy")
def row_max(a):
    """max of a (1-D, not empty). A NaN may or may not be returned: callers subtract the max and
    take exp, so a NaN in the row reaches every output through the sum either way."""
    m = a[0]
    for i in range(1, a.size):
        v = a[i]
        m = v if v > m else m
    return m


@njit(error_model="numpy", cache=True, fastmath={"contract"})
def exp(x, out):
    """out = exp(x), 1-D, out a different array (callers pass flat views: one compiled version for
    every shape)."""
    for i in range(x.size):
        out[i] = exp_f32(x[i])


@njit(error_model="numpy", cache=True, fastmath={"contract"})
def exp_(a):
    """a = exp(a) in place, 1-D. Not exp(a, a): LLVM vectorises exp's loop behind a check that out
    and x do not overlap, and the same array sends it to the scalar loop (attention's 262,144
    scores: 1,363 µs against 147 µs here)."""
    for i in range(a.size):
        a[i] = exp_f32(a[i])


@njit(error_model="numpy", cache=True, fastmath={"contract", "reassoc"})
def layer_norm_rows_(x, w, b, eps):
    """LayerNorm over each row of x (n, E), in place: (x - mean)·σ⁻¹·w + b, w and b (E,) or None.
    "reassoc" lets LLVM vectorise the two row sums (their order is then the SIMD lanes', not
    left to right: a rounding-level difference from _transformer_nodes._standardize_rows)."""
    n, E = x.shape
    count = f32(E)  # divided by, not multiplied by its reciprocal: a constant row's mean is exact
    for i in range(n):
        row = x[i]
        total = f32(0.0)
        for j in range(E):
            total += row[j]
        mean = total / count
        squares = f32(0.0)
        for j in range(E):
            d = row[j] - mean
            row[j] = d
            squares += d * d
        invstd = f32(1.0) / np.sqrt(squares / count + eps)
        for j in range(E):
            v = row[j] * invstd
            if w is not None:
                v = v * w[j]
            if b is not None:
                v = v + b[j]
            row[j] = v


# ---- recurrent layers (lamina/ops/_rnn_steps.py) -----------------------------------------------

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


@njit(error_model="numpy", cache=True)
def blocks_to_columns(src, dst):
    """dst[r, t] = src[t, r]: per-step blocks (T, rows, b) into one matrix (rows, T, b), as
    _rnn_plan._to_cols (for the weight gradients). Its rows of b are short (the batch): np.copyto
    makes a memmove call per row, three times as long in all on an LSTM's (50, 512, 32)."""
    T, rows, b = src.shape
    for t in range(T):
        for r in range(rows):
            s, d = src[t, r], dst[r, t]
            for m in range(b):
                d[m] = s[m]


# ---- optimizers (lamina/optim) ---------------------------------------------------------------------

@njit(error_model="numpy", cache=True)  # no "contract": the NumPy path's bits
def sgd_momentum(param, buf, grad, momentum, sign, lr):
    """SGD with momentum (no dampening, weight decay or Nesterov): buf = momentum·buf + sign·g,
    param -= lr·buf, over 1-D arrays (flat views of a parameter's: one compiled version for every
    shape). momentum, sign (±1, -1 to maximize) and lr are float32."""
    for i in range(param.size):
        v = buf[i] * momentum + grad[i] * sign
        buf[i] = v
        param[i] = param[i] - v * lr


@njit(error_model="numpy", cache=True)  # no "contract": the NumPy path's bits
def adam(param, grad, m, v, one_minus_beta1, beta2, one_minus_beta2, bias_correction2_sqrt, eps,
         minus_step_size):
    """One Adam step over flat arrays, as optim/adam.py's _adam_update rounds it (every scalar
    a float32, each operation rounded in turn): m.lerp_(g, 1 - beta1),
    v = beta2·v + (1 - beta2)·g², param += -step_size·m / (√v / √(1 - beta2^t) + eps)."""
    for i in range(param.size):
        g = grad[i]
        mi = m[i] + (g - m[i]) * one_minus_beta1
        m[i] = mi
        vi = v[i] * beta2 + g * one_minus_beta2 * g
        v[i] = vi
        denom = np.sqrt(vi) / bias_correction2_sqrt + eps
        param[i] = param[i] + mi * minus_step_size / denom


# ---- batch norm in training (lamina/ops/normalization.py) -------------------------------------------

@njit(error_model="numpy", cache=True)
def batch_norm_2d(x, w, b, eps, running_mean, running_var, keep, momentum, momentum_unbiased):
    """Batch statistics of x (n, c) over its rows, the normalised affine output, and the running
    statistics moved, as normalization._stats, _affine and update_running_stats compute them (sums
    in row order): returns (out, x̂, σ⁻¹ (1, c)). w, b: (1, c) or None; running_mean/var: (c,)
    or None, updated in place as r·keep + μ·momentum (var: unbiased, momentum_unbiased =
    momentum·n/(n-1)); the scalars float32."""
    n, c = x.shape
    count = f32(n)  # exact: callers keep n ≤ 2**24
    mean = np.zeros(c, np.float32)
    var = np.zeros(c, np.float32)
    for i in range(n):
        for j in range(c):
            mean[j] += x[i, j]
    for j in range(c):
        mean[j] /= count
    xhat = np.empty_like(x)
    for i in range(n):
        for j in range(c):
            d = x[i, j] - mean[j]
            xhat[i, j] = d
            var[j] += d * d
    invstd = np.empty((1, c), np.float32)
    for j in range(c):
        var[j] /= count
        invstd[0, j] = f32(1.0) / np.sqrt(var[j] + eps)
    out = np.empty_like(x)
    for i in range(n):
        for j in range(c):
            h = xhat[i, j] * invstd[0, j]
            xhat[i, j] = h
            if w is not None:
                h = h * w[0, j]
            if b is not None:
                h = h + b[0, j]
            out[i, j] = h
    if running_mean is not None:
        for j in range(c):
            running_mean[j] = running_mean[j] * keep + mean[j] * momentum
            running_var[j] = running_var[j] * keep + var[j] * momentum_unbiased
    return out, xhat, invstd


@njit(error_model="numpy", cache=True)
def batch_norm_2d_backward(g, xhat, invstd, w, need_input_grad):
    """Gradients of batch_norm_2d's output g (n, c): (input grad or an empty (0, c) array when
    not needed, weight grad Σ g·x̂, bias grad Σ g), the last two (c,). The input's gradient is
    (gh - mean(gh) - x̂·mean(gh·x̂))·σ⁻¹ with gh = g·w, as normalization._dxhat."""
    n, c = g.shape
    count = f32(n)
    gw = np.zeros(c, np.float32)
    gb = np.zeros(c, np.float32)
    for i in range(n):
        for j in range(c):
            gb[j] += g[i, j]
            gw[j] += g[i, j] * xhat[i, j]
    if not need_input_grad:
        return np.empty((0, c), np.float32), gw, gb
    m1 = np.zeros(c, np.float32)
    m2 = np.zeros(c, np.float32)
    for i in range(n):
        for j in range(c):
            gh = g[i, j] * w[0, j] if w is not None else g[i, j]
            m1[j] += gh
            m2[j] += gh * xhat[i, j]
    for j in range(c):
        m1[j] /= count
        m2[j] /= count
    gx = np.empty_like(g)
    for i in range(n):
        for j in range(c):
            gh = g[i, j] * w[0, j] if w is not None else g[i, j]
            gx[i, j] = (gh - m1[j] - xhat[i, j] * m2[j]) * invstd[0, j]
    return gx, gw, gb


# ---- max pooling over 2×2 tiles (lamina/ops/pooling.py) --------------------------------------------

@njit(error_model="numpy", cache=True)
def max_pool_2x2(x, out, pos):
    """MaxPool2d(2) of x (n, c, H, W) into out (n, c, H//2, W//2), and pos (uint8, same shape):
    which of the window's four inputs won, row-major: the first maximum, or the last NaN when
    the window holds one (the output is then NaN), as PyTorch picks them.

    Unrolled for the four inputs and without branches on the data (compare results turned into
    the index by arithmetic): with a loop over a runtime kernel size, or a chain of conditional
    expressions, mispredicted branches made it slower than NumPy's passes."""
    n, c = x.shape[0], x.shape[1]
    oh, ow = out.shape[2], out.shape[3]
    for i in range(n):
        for j in range(c):
            for a in range(oh):
                top = x[i, j, 2 * a]
                bottom = x[i, j, 2 * a + 1]
                for b in range(ow):
                    v0, v1 = top[2 * b], top[2 * b + 1]
                    v2, v3 = bottom[2 * b], bottom[2 * b + 1]
                    m = max(max(v0, v1), max(v2, v3))
                    # 0 if v0 is the max, else 1 if v1 is, else 2 if v2 is, else 3
                    q = np.int32(v0 != m) * (1 + np.int32(v1 != m) * (1 + np.int32(v2 != m)))
                    total = v0 + v1 + v2 + v3
                    if total != total:  # a NaN (or inf - inf; rare), which max may have dropped
                        last_nan = 3 if v3 != v3 else (2 if v2 != v2 else (1 if v1 != v1 else (0 if v0 != v0 else -1)))
                        if last_nan >= 0:
                            q = last_nan
                            m = v3 if q == 3 else (v2 if q == 2 else (v1 if q == 1 else v0))
                    out[i, j, a, b] = m
                    pos[i, j, a, b] = q


@njit(error_model="numpy", cache=True)
def max_pool_2x2_backward(g, pos, gx):
    """The gradient of max_pool_2x2: gx (n, c, H, W) zeroed, then each g (n, c, oh, ow) stored at
    the input pos names (an address computed from pos, no branch)."""
    n, c, oh, ow = g.shape
    for i in range(n):
        for j in range(c):
            plane = gx[i, j]
            plane[...] = f32(0)
            for a in range(oh):
                for b in range(ow):
                    q = pos[i, j, a, b]
                    plane[2 * a + (q >> 1), 2 * b + (q & 1)] = g[i, j, a, b]


# ---- ReLU (lamina/ops/pointwise.py) ---------------------------------------------------------------

@njit(error_model="numpy", cache=True)
def relu(x):
    """max(x, 0) of a 1-D array as np.maximum(x, 0) gives it: NaN stays NaN, -0.0 stays -0.0."""
    out = np.empty_like(x)
    for i in range(x.size):
        v = x[i]
        out[i] = v if v >= f32(0) or v != v else f32(0)
    return out


@njit(error_model="numpy", cache=True)
def relu_backward(g, out):
    """ReLU's input gradient from its output (1-D): g where out is not 0, else 0 (also where g is
    NaN or inf, as PyTorch's threshold_backward; NumPy's g * (out != 0) would give NaN there)."""
    res = np.empty_like(g)
    for i in range(g.size):
        res[i] = f32(0) if out[i] == f32(0) else g[i]
    return res


# ---- dropout (lamina/ops/dropout.py) ---------------------------------------------------------------------

@njit(error_model="numpy", cache=True)
def dropout_apply(x, bits, threshold, scale, out, noise):
    """noise = scale where bits >= threshold, else 0; out = x·noise (flat float32 x, out and
    noise; uint32 bits and threshold; float32 scale): ops.dropout's keep mask, its scaling and
    the product in one pass, with the same values."""
    zero = f32(0)
    for i in range(x.size):
        m = scale if bits[i] >= threshold else zero
        noise[i] = m
        out[i] = x[i] * m


# ---- binary cross-entropy, summed (lamina/ops/loss.py) --------------------------------------------------

@njit(error_model="numpy", cache=True)  # no "contract": each element's loss as the NumPy path rounds it
def binary_cross_entropy_sum(x, t):
    """Σ (t - 1)·max(log1p(-x), -100) - t·max(log x, -100) over flat float32 probabilities x and
    targets t, as loss.binary_cross_entropy computes each element (summed in float64, then
    rounded: NumPy's float32 pairwise sum differs by rounding). Returns (sum, True), or
    (0, False) without finishing when an x is outside [0, 1] or NaN (the caller's general path
    then raises PyTorch's error)."""
    total = 0.0
    for i in range(x.size):
        v = x[i]
        if not (v >= f32(0) and v <= f32(1)):
            return f32(0), False
        log_x = max(np.log(v), f32(-100))
        log_1mx = max(np.log1p(-v), f32(-100))
        total += (t[i] - f32(1)) * log_1mx - t[i] * log_x
    return f32(total), True


@njit(error_model="numpy", cache=True)
def binary_cross_entropy_backward(x, t, k):
    """k·(x - t) / max((1 - x)·x, 1e-12) over flat float32 arrays: binary_cross_entropy's input
    gradient for a loss gradient k per element, in the NumPy path's order of operations."""
    grad = np.empty_like(x)
    for i in range(x.size):
        v = x[i]
        grad[i] = k * ((v - t[i]) / max((f32(1) - v) * v, f32(1e-12)))
    return grad


# ---- cross-entropy over class indices, mean reduction (lamina/ops/loss.py) -----------------------------

@njit(error_model="numpy", cache=True, fastmath={"contract"})
def cross_entropy_mean(x, t, e, s):
    """mean over rows of -log softmax(x)[row, t[row]] for logits x (n, c) and int64 targets t (n,),
    as loss._mean_ce computes it: each row shifted by its maximum, e = exp of the shifted row (in
    the (n, c) buffer given), s (n,) their sums, loss = Σ (log s - shifted x[t]) / n. Returns
    (loss, True), or (0, False) without computing when a target is outside [0, c) (the caller's
    general path then reports it). exp_f32 (within an ulp of PyTorch's exp) and row_sum's SIMD
    order: within a few ulps of the NumPy path, not its bits. The exponentials and their sum are
    separate loops: with the running sum in the same loop neither vectorised (on (128, 100)
    logits 80-89 against 23-26 µs; (128, 10): 10-13 against 7.7 µs)."""
    n, c = x.shape
    for i in range(n):
        if t[i] < 0 or t[i] >= c:
            return f32(0), False
    total = f32(0)
    for i in range(n):
        row, out = x[i], e[i]
        top = row_max(row)
        for j in range(c):
            out[j] = exp_f32(row[j] - top)
        acc = row_sum(out)
        s[i] = acc
        total += np.log(acc) - (row[t[i]] - top)
    return total / f32(n), True


@njit(error_model="numpy", cache=True)
def cross_entropy_mean_backward(e, s, t, k):
    """The gradient of cross_entropy_mean scaled by k (the upstream gradient / n): e / s · k, and
    - k at each row's target, as loss._mean_ce's backward."""
    n, c = e.shape
    grad = np.empty_like(e)
    for i in range(n):
        for j in range(c):
            grad[i, j] = e[i, j] / s[i] * k
        grad[i, t[i]] -= k
    return grad


# ---- direct grouped 2-D convolution, stride 1 (lamina/ops/conv.py sends the depthwise ones here) ----------

@njit(error_model="numpy", cache=True, fastmath={"contract"})
def direct_conv2d(xp, w, bias, groups, dh, dw, out):
    """out (n, O, oh, ow) = bias + the stride-1 cross-correlation of the zero-padded input
    xp (n, C, Hp, Wp) with w (O, C/groups, kh, kw): output channel o reads the C/groups input
    channels of its group. bias (O,) or None.

    Per (image, output channel) plane the outputs are computed in the padded input's row layout:
    output (r, q) at r·Wp + q, so that each kernel tap of each input channel is one long loop
    acc[t] += w·x[t + offset] over the plane (vectorised), and the columns past ow in each row
    are dropped when copying out. (Loops over single output rows, 14 long here, ran at 2 ns per
    multiply-add.)"""
    n, Wp = xp.shape[0], xp.shape[3]
    O, cpg, kh, kw = w.shape
    opg = O // groups
    oh, ow = out.shape[2], out.shape[3]
    m = (oh - 1) * Wp + ow
    acc = np.empty(oh * Wp, np.float32)  # the last row's columns past ow are never written
    rows = acc.reshape(oh, Wp)
    for b in range(n):
        for o in range(O):
            c0 = (o // opg) * cpg
            start = bias[o] if bias is not None else f32(0)
            for t in range(m):
                acc[t] = start
            for k in range(cpg):
                x = xp[b, c0 + k].reshape(-1)
                for i in range(kh):
                    for j in range(kw):
                        wv = w[o, k, i, j]
                        off = i * dh * Wp + j * dw
                        src = x[off:off + m]  # indexed from a range below: no negative-index checks
                        for t in range(m):
                            acc[t] += wv * src[t]
            copy_block(rows, 0, 0, out[b, o], 0, 0, oh, ow)


@njit(error_model="numpy", cache=True, fastmath={"contract", "reassoc"})
def direct_conv2d_backward(xp, w, g, groups, dh, dw, pad_h, pad_w, gx, gw):
    """Gradients of direct_conv2d for the output gradient g (n, O, oh, ow): gw (O, C/groups, kh, kw),
    Σ over images and output positions of g times the input it met (sums reassociated), and,
    unless gx has no elements (not wanted), gx (n, C, H, W), the unpadded input's gradient,
    summed per group in scratch planes in the row layout of direct_conv2d."""
    n, Hp, Wp = xp.shape[0], xp.shape[2], xp.shape[3]
    O, cpg, kh, kw = w.shape
    opg = O // groups
    oh, ow = g.shape[2], g.shape[3]
    H, W = gx.shape[2], gx.shape[3]
    need_x = gx.size > 0
    m = (oh - 1) * Wp + ow
    grow = np.zeros(oh * Wp, np.float32)  # g in the row layout; the columns past ow stay 0
    grows = grow.reshape(oh, Wp)
    planes = np.empty((cpg, Hp * Wp), np.float32)
    gw[...] = f32(0)
    for b in range(n):
        for grp in range(groups):
            c0 = grp * cpg
            if need_x:
                planes[...] = f32(0)
            for o in range(grp * opg, (grp + 1) * opg):
                copy_block(g[b, o], 0, 0, grows, 0, 0, oh, ow)
                for k in range(cpg):
                    x = xp[b, c0 + k].reshape(-1)
                    for i in range(kh):
                        for j in range(kw):
                            off = i * dh * Wp + j * dw
                            src = x[off:off + m]
                            s = f32(0)
                            for t in range(m):  # the junk columns add g = 0 times an input: exactly 0...
                                s += grow[t] * src[t]
                            if not np.isfinite(s):  # ...unless that input is inf or NaN: valid columns only
                                s = f32(0)
                                for r in range(oh):
                                    for q in range(ow):
                                        s += grow[r * Wp + q] * src[r * Wp + q]
                            gw[o, k, i, j] += s
                    if need_x:
                        plane = planes[k]
                        for i in range(kh):
                            for j in range(kw):
                                wv = w[o, k, i, j]
                                off = i * dh * Wp + j * dw
                                dst = plane[off:off + m]
                                for t in range(m):
                                    dst[t] += wv * grow[t]
            if need_x:
                for k in range(cpg):
                    copy_block(planes[k].reshape(Hp, Wp), pad_h, pad_w, gx[b, c0 + k], 0, 0, H, W)


# ---- softmax and log_softmax over the last dim (lamina/ops/softmax.py) ---------------------------------

@njit(error_model="numpy", cache=True, fastmath={"contract"})
def softmax_rows(x, y):
    """y = softmax of each row of x (rows, n): exp_f32(x - row max), times 1 / the row's sum."""
    for r in range(x.shape[0]):
        xr, yr = x[r], y[r]
        m = row_max(xr)
        for j in range(xr.size):
            yr[j] = exp_f32(xr[j] - m)
        inv = f32(1) / row_sum(yr)
        for j in range(yr.size):
            yr[j] *= inv


@njit(error_model="numpy", cache=True, fastmath={"contract"})
def softmax_rows_backward(g, y, gx):
    """gx = g·y - y·Σ(g·y) per row, softmax's backward as softmax.py writes it."""
    for r in range(g.shape[0]):
        gr, yr, out = g[r], y[r], gx[r]
        d = row_dot(gr, yr)
        for j in range(gr.size):
            out[j] = gr[j] * yr[j] - yr[j] * d


@njit(error_model="numpy", cache=True, fastmath={"contract"})
def log_softmax_rows(x, out, e, total):
    """out = (x - row max) - log Σ exp(x - row max) per row of x (rows, n); e the exponentials
    and total (rows,) their sums, kept for the backward."""
    for r in range(x.shape[0]):
        xr, o, er = x[r], out[r], e[r]
        m = row_max(xr)
        for j in range(xr.size):
            z = xr[j] - m
            o[j] = z
            er[j] = exp_f32(z)
        s = row_sum(er)
        total[r] = s
        ls = np.log(s)
        for j in range(o.size):
            o[j] -= ls


@njit(error_model="numpy", cache=True, fastmath={"contract"})
def log_softmax_rows_backward(g, e, total, gx):
    """gx = g - e·(Σ g / total) per row, log_softmax's backward as softmax.py writes it."""
    for r in range(g.shape[0]):
        gr, er, out = g[r], e[r], gx[r]
        k = row_sum(gr) / total[r]
        for j in range(gr.size):
            out[j] = gr[j] - er[j] * k



# ---- exp, sigmoid, SiLU, GELU: elementwise over flat float32 arrays (ops/pointwise.py, activation.py) -----
# Each takes NumPy's formula for the op with exp_f32 in place of np.exp (2.7x faster, within an ulp
# of PyTorch's; results below float32's smallest normal number are 0) and fuses its passes.

@njit(error_model="numpy", cache=True, fastmath={"contract"})
def sigmoid(x):
    """1 / (1 + exp(-x)), as pointwise._sigmoid."""
    out = np.empty_like(x)
    for i in range(x.size):
        out[i] = f32(1) / one_plus_exp(-x[i])
    return out


@njit(error_model="numpy", cache=True)
def sigmoid_backward(g, y):
    """(1 - y)·y·g, as pointwise._sigmoid_backward."""
    out = np.empty_like(g)
    for i in range(g.size):
        out[i] = (f32(1) - y[i]) * y[i] * g[i]
    return out


@njit(error_model="numpy", cache=True, fastmath={"contract"})
def silu(x):
    """(x / d, d) with d = 1 + exp(-x), kept for the backward, as activation._silu."""
    out = np.empty_like(x)
    d = np.empty_like(x)
    for i in range(x.size):
        di = one_plus_exp(-x[i])
        d[i] = di
        out[i] = x[i] / di
    return out, d


@njit(error_model="numpy", cache=True, fastmath={"contract"})
def silu_backward(g, x, d):
    """((1 - s)·x + 1)·s·g with s = 1 / d, as activation._silu's grad."""
    out = np.empty_like(g)
    for i in range(g.size):
        s = f32(1) / d[i]
        out[i] = ((f32(1) - s) * x[i] + f32(1)) * s * g[i]
    return out


# pointwise.erf_array's float32 coefficients (_ERF_P32, _ERF_Q32; a test keeps the two equal), copied:
# numba's cache would not see an edit in another file
_ERF_P = (0.6749332360079201, -0.261111865558584, 0.11947914089098077, -0.04866268513260502, 0.017128318020334522, -0.0052353908814721396, 0.0014052043164093965, -0.0003339735948940198, 7.158454616611712e-05, -1.510169992011736e-05, 2.665988655139148e-06)
_ERF_Q = (0.5370034537305782, -0.023826558614922333, -0.003204806740590586, 0.0009059517566688285, -7.916110297839682e-05, -1.2518861408797451e-05, 5.894071091009369e-06, -9.015838503244881e-07)
_ERF_P_HIGH_FIRST = tuple(f32(c) for c in reversed(_ERF_P))
_ERF_Q_HIGH_FIRST = tuple(f32(c) for c in reversed(_ERF_Q))


@njit(inline="always", error_model="numpy", fastmath={"contract"})
def _horner(t, coeffs):
    """The polynomial with `coeffs` (highest degree first) at t."""
    p = coeffs[0]
    for i in range(1, len(coeffs)):
        p = p * t + coeffs[i]
    return p


@njit(inline="always", error_model="numpy", fastmath={"contract"})
def _erf_series(z, t):
    """erf(z) for |z| < 2 as z·P(t), t = z²/2 - 1 (pointwise.erf_array's float32 series)."""
    return z * _horner(t, _ERF_P_HIGH_FIRST)


@njit(inline="always", error_model="numpy", fastmath={"contract"})
def _erf_tail(z):
    """erf(z) for |z| ≥ 2: ±(1 - exp(-a²)·Q(6/a - 2)/a), a = min(|z|, 6) (erf_array's tail)."""
    a = min(abs(z), f32(6))
    q = _horner(f32(6) / a - f32(2), _ERF_Q_HIGH_FIRST)
    r = f32(1) - exp_f32(-(a * a)) * q / a
    return r if z >= f32(0) else -r


@njit(inline="always", error_model="numpy", fastmath={"contract"})
def _cdf_tail(z):
    """Φ for |z| ≥ 2 (z = x/√2)."""
    return _erf_tail(z) * f32(0.5) + f32(0.5)


@njit(error_model="numpy", cache=True, fastmath={"contract"})
def _gelu_tail_cdf(z):
    """_cdf_tail as a function of its own, called, not inlined, for gelu's few flagged elements:
    inlined into a loop where it is rare, LLVM vectorised the rare branch and ran the tail for
    every element (5x slower)."""
    return _cdf_tail(z)


@njit(error_model="numpy", cache=True, fastmath={"contract"})
def gelu(x):
    """(x·Φ(x), Φ(x)) with Φ(x) = erf(x/√2)/2 + 1/2, kept for the backward, as activation.gelu:
    the series over every element (vectorised), each past |x| ≥ 2.8 flagged; then those redone
    with the tail formula. When few are flagged (0.5% of a standard normal), eight flags are read
    at a time and only the flagged are redone; else (a wide input) one more vectorised pass takes
    the tail wherever it applies. Measured on 524k float32 (1 thread): 500-660 µs on a standard
    normal (a second scalar pass over every element: 960-1130 µs; PyTorch 510-630 µs), 1.3 ms with
    standard deviation 3 (the scalar pass: 6.1 ms)."""
    out = np.empty_like(x)
    cdf = np.empty_like(x)
    n = x.size
    flags = np.zeros(n + (-n) % 8, np.uint8)
    for i in range(n):
        v = x[i]
        z = v * f32(0.7071067811865476)
        c = _erf_series(z, z * z * f32(0.5) - f32(1)) * f32(0.5) + f32(0.5)
        cdf[i] = c
        out[i] = v * c
        flags[i] = abs(v) >= f32(2.8)
    words = flags.view(np.uint64)
    busy = 0
    for w in range(words.size):
        busy += words[w] != 0
    if busy * 8 > words.size:  # past about one group in eight the vectorised pass costs less
        for i in range(n):
            v = x[i]
            z = v * f32(0.7071067811865476)
            tail = _cdf_tail(z)
            c = tail if z * z * f32(0.5) - f32(1) >= f32(1) else cdf[i]  # the series' own test
            cdf[i] = c
            out[i] = v * c
        return out, cdf
    for w in range(words.size):
        if words[w] != 0:
            for i in range(8 * w, min(8 * w + 8, n)):
                v = x[i]
                z = v * f32(0.7071067811865476)
                if flags[i] and z * z * f32(0.5) - f32(1) >= f32(1):
                    c = _gelu_tail_cdf(z)
                    cdf[i] = c
                    out[i] = v * c
    return out, cdf


@njit(error_model="numpy", cache=True, fastmath={"contract"})
def gelu_backward(g, x, cdf):
    """g·(Φ(x) + x·exp(-x²/2)/√(2π)), as activation.gelu's backward."""
    out = np.empty_like(g)
    for i in range(g.size):
        v = x[i]
        out[i] = (exp_f32(v * v * f32(-0.5)) * v * f32(0.3989422804014327) + cdf[i]) * g[i]
    return out


@njit(inline="always", error_model="numpy", fastmath={"contract"})
def _gelu_tanh_gate(v):
    """σ(2u) = (1 + tanh u)/2 for GELU's tanh form, u = √(2/π)(v + 0.044715 v³): the same
    function without tanh's cancellation as u → -∞."""
    u = f32(0.7978845608028654) * (v + f32(0.044715) * v * v * v)
    return f32(1) / one_plus_exp(f32(-2) * u)


@njit(error_model="numpy", cache=True, fastmath={"contract"})
def gelu_tanh(x):
    """x·σ(2u): PyTorch's x·(1 + tanh u)/2, written with the identity 1 + tanh u = 2σ(2u)."""
    out = np.empty_like(x)
    for i in range(x.size):
        out[i] = x[i] * _gelu_tanh_gate(x[i])
    return out


@njit(error_model="numpy", cache=True, fastmath={"contract"})
def gelu_tanh_backward(g, x):
    """g·(σ + 2v·σ(1 - σ)·u'), σ = σ(2u), u' = √(2/π)(1 + 3·0.044715 v²): the tanh form's derivative
    (1 + t)/2 + v(1 - t²)u'/2 with t = tanh u = 2σ - 1."""
    out = np.empty_like(g)
    for i in range(g.size):
        v = x[i]
        s = _gelu_tanh_gate(v)
        du = f32(0.7978845608028654) * (f32(1) + f32(3 * 0.044715) * v * v)
        out[i] = (s + f32(2) * v * s * (f32(1) - s) * du) * g[i]
    return out


# ---- LayerNorm in training, over rows (lamina/ops/normalization.py) --------------------------------------

@njit(error_model="numpy", cache=True, fastmath={"contract"})
def layer_norm_rows(x, w, b, eps):
    """LayerNorm of each row of x (n, E): (out, x̂, σ⁻¹ (n,)) with x̂ = (x - mean)·σ⁻¹, σ² the
    biased variance, out = x̂·w + b (w, b (E,) or None), as normalization.layer_norm; the row sums
    vectorised (row_sum), a rounding-level difference from NumPy's pairwise sums."""
    n, E = x.shape
    count = f32(E)  # divided by, not multiplied by its reciprocal: a constant row's mean is exact
    out = np.empty_like(x)
    xhat = np.empty_like(x)
    invstd = np.empty(n, np.float32)
    for i in range(n):
        row, h, o = x[i], xhat[i], out[i]
        mean = row_sum(row) / count
        for j in range(E):
            h[j] = row[j] - mean
        s = f32(1.0) / np.sqrt(row_dot(h, h) / count + eps)
        invstd[i] = s
        for j in range(E):
            v = h[j] * s
            h[j] = v
            if w is not None:
                v = v * w[j]
            if b is not None:
                v = v + b[j]
            o[j] = v
    return out, xhat, invstd


@njit(error_model="numpy", cache=True, fastmath={"contract"})
def layer_norm_rows_backward(g, xhat, invstd, w, need_x):
    """Gradients of layer_norm_rows for g (n, E): (gx or an empty (0, E) array when not needed,
    Σ_rows g·x̂, Σ_rows g), the last two (E,). gx = (ĝ - mean ĝ - x̂·mean(ĝ·x̂))·σ⁻¹ with ĝ = g·w."""
    n, E = g.shape
    inv_count = f32(1.0) / f32(E)
    gw = np.zeros(E, np.float32)
    gb = np.zeros(E, np.float32)
    gx = np.empty((n if need_x else 0, E), np.float32)
    wv = w if w is not None else np.ones(E, np.float32)
    for i in range(n):
        gr, h = g[i], xhat[i]
        for j in range(E):
            gb[j] += gr[j]
        for j in range(E):
            gw[j] += gr[j] * h[j]
        if need_x:
            m1, m2 = row_dots(gr, wv, h)
            m1 *= inv_count
            m2 *= inv_count
            s = invstd[i]
            o = gx[i]
            for j in range(E):
                o[j] = (gr[j] * wv[j] - m1 - h[j] * m2) * s
    return gx, gw, gb


# ---- batch norm in evaluation: one scale and shift per channel (lamina/ops/normalization.py) ----------

@njit(error_model="numpy", cache=True)  # no "contract": NumPy's two roundings
def channel_affine(x, scale, shift, out):
    """out[i, j] = x[i, j]·scale[j] + shift[j] over x (n, c, L)."""
    n, c = x.shape[0], x.shape[1]
    for i in range(n):
        for j in range(c):
            s, h = scale[j], shift[j]
            src, dst = x[i, j], out[i, j]
            for k in range(src.size):
                dst[k] = src[k] * s + h


# ---- batch norm in training over (N, C, L): BatchNorm2d/3d, and 1d on (N, C, L) (ops/normalization.py) ----

@njit(error_model="numpy", cache=True)
def batch_norm_nd(x, w, b, eps, running_mean, running_var, keep, momentum, momentum_unbiased):
    """batch_norm_2d for x (N, C, L), L > 1 spatial positions flattened: the statistics of each
    channel over its N·L values (row sums vectorised: rounding-level differences from NumPy's
    pairwise sums), returns (out, x̂, σ⁻¹ (C,)); w, b (C,) or None; running statistics as
    batch_norm_2d."""
    N, C, L = x.shape
    count = f32(N * L)  # exact: callers keep N·L ≤ 2**24
    out = np.empty_like(x)
    xhat = np.empty_like(x)
    invstd = np.empty(C, np.float32)
    for c in range(C):
        total = f32(0)
        for n in range(N):
            total += row_sum(x[n, c])
        mean = total / count
        squares = f32(0)
        for n in range(N):
            src, h = x[n, c], xhat[n, c]
            for j in range(L):
                h[j] = src[j] - mean
            squares += row_dot(h, h)
        var = squares / count
        s = f32(1.0) / np.sqrt(var + eps)
        invstd[c] = s
        scale = s * w[c] if w is not None else s
        shift = b[c] if b is not None else f32(0)
        for n in range(N):
            h, o = xhat[n, c], out[n, c]
            for j in range(L):
                o[j] = h[j] * scale + shift
                h[j] = h[j] * s
        if running_mean is not None:
            running_mean[c] = running_mean[c] * keep + mean * momentum
            running_var[c] = running_var[c] * keep + var * momentum_unbiased
    return out, xhat, invstd


@njit(error_model="numpy", cache=True)
def batch_norm_nd_backward(g, xhat, invstd, w, need_input_grad):
    """batch_norm_2d_backward for (N, C, L): (input grad or an empty (0, C, L) array, weight grad
    Σ g·x̂, bias grad Σ g), the last two (C,)."""
    N, C, L = g.shape
    count = f32(N * L)
    gw = np.empty(C, np.float32)
    gb = np.empty(C, np.float32)
    gx = np.empty((N if need_input_grad else 0, C, L), np.float32)
    for c in range(C):
        sg = f32(0)
        sgh = f32(0)
        for n in range(N):
            sg += row_sum(g[n, c])
            sgh += row_dot(g[n, c], xhat[n, c])
        gb[c] = sg
        gw[c] = sgh
        if need_input_grad:
            wc = w[c] if w is not None else f32(1)
            m1 = sg * wc / count
            m2 = sgh * wc / count
            s = invstd[c]
            for n in range(N):
                gr, h, o = g[n, c], xhat[n, c], gx[n, c]
                for j in range(L):
                    o[j] = (gr[j] * wc - m1 - h[j] * m2) * s
    return gx, gw, gb


# ---- an embedding's weight gradient (lamina/ops/embedding.py) -------------------------------------------

@njit(error_model="numpy", cache=True)
def scatter_add_rows(idx, rows, out):
    """out[idx[j]] += rows[j] for j in order (out (num, D) zeroed by the caller, rows (n, D)): each
    row of out sums its rows one after another in index order, as _scatter_rows' NumPy path does
    for runs of up to 8 (its np.add.reduceat for longer runs may round otherwise). The indices
    were checked against num by the forward."""
    for j in range(idx.size):
        src = rows[j]
        dst = out[idx[j]]
        for k in range(src.size):
            dst[k] += src[k]


# ---- col2im of a strided 2-D convolution's plain column layout (lamina/ops/_im2col.py) -------------------

@njit(error_model="numpy", cache=True)
def col2im_2d(gc, kw, sh, sw, dh, dw, pad_h, pad_w, padded_h, padded_w, gx):
    """gx (n, c, H, W) from the column gradient gc (K, c, n, oh, ow), K = kh·kw kernel positions, of
    an input padded to (padded_h, padded_w) by (pad_h, pad_w) at the top left:
    each (channel, image) plane of the padded input gets every kernel position's (oh, ow) block
    added at its strided, dilated offsets, in kernel-position order from 0 as col2im_add adds
    them (the same bits), in a scratch plane that stays in cache; its unpadded part is gx.
    NumPy's adds through stride-2 slices ran at a third of this speed."""
    K, c, n, oh, ow = gc.shape
    H, W = gx.shape[2], gx.shape[3]
    plane = np.empty(padded_h * padded_w, np.float32)
    for ch in range(c):
        for b in range(n):
            plane[:] = f32(0)
            for k in range(K):
                i, j = k // kw, k % kw
                src = gc[k, ch, b]
                for r in range(oh):
                    base = (r * sh + i * dh) * padded_w + j * dw
                    for q in range(ow):
                        plane[base + q * sw] += src[r, q]
            dst = gx[b, ch]
            for r in range(H):
                for q in range(W):
                    dst[r, q] = plane[(r + pad_h) * padded_w + q + pad_w]


# ---- Winograd F(2x2, 3x3) convolution transforms (lamina/ops/_winograd.py) --------------------------------
# A tile is a 2x2 block of outputs; its input is the 4x4 block of the padded input at twice its
# tile coordinates. Transformed tiles live in 16 planes, one per entry of the 4x4 transform, each
# holding (channels, T) with T = n·th·tw tiles in (image, tile row, tile column) order, so that the
# 16 GEMMs between them are plain matrix products. The kernels take the planes as one C-contiguous
# (16, >= channels·T) buffer, channel c at columns c·T to (c + 1)·T: a slice of one of its rows
# is a contiguous array to numba, which lets winograd_output's loop over a channel's tiles be
# vectorised (the strided (16, channels, T) view kept it scalar).

@njit(inline="always")
def _bt(d0, d1, d2, d3):
    """Bᵀ·(d0, d1, d2, d3), Bᵀ = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]]."""
    return d0 - d2, d1 + d2, d2 - d1, d1 - d3


@njit(inline="always")
def _b(v0, v1, v2, v3):
    """B·(v0, v1, v2, v3): the adjoint of _bt."""
    return v0, v1 - v2 + v3, v1 + v2 - v0, -v3


@njit(inline="always")
def _at(m0, m1, m2, m3):
    """Aᵀ·(m0, m1, m2, m3), Aᵀ = [[1, 1, 1, 0], [0, 1, -1, -1]]."""
    return m0 + m1 + m2, m1 - m2 - m3


@njit(inline="always")
def _a(y0, y1):
    """A·(y0, y1): the adjoint of _at."""
    return y0, y0 + y1, y0 - y1, -y1


@njit(error_model="numpy", cache=True)
def winograd_input(x, top, left, th, tw, v):
    """v[:, c·T + t] = Bᵀ d B for every 4x4 input tile d of x (n, c, H, W) zero-padded by top rows
    and left columns (and by zeros after, to 2·th + 2 rows and 2·tw + 2 columns: th·tw tiles per
    image). One tile at a time, its 16 inputs 4 short rows of the padded plane.

    Each plane is padded in a scratch plane that stays in L1 (its zero border written once): a
    padded copy of the whole input first was another pass over memory (0.3 of 1.3 ms on the CNN's
    (64, 32, 14, 14))."""
    n, c, H, W = x.shape
    T = n * th * tw
    plane = np.zeros((2 * th + 2, 2 * tw + 2), np.float32)
    for ch in range(c):
        for b in range(n):
            copy_block(x[b, ch], 0, 0, plane, top, left, H, W)
            for i in range(th):
                r = 2 * i
                base = ch * T + (b * th + i) * tw
                for j in range(tw):
                    s, t = 2 * j, base + j
                    # Bᵀ d, column by column...
                    a0, a1, a2, a3 = _bt(plane[r, s], plane[r + 1, s], plane[r + 2, s], plane[r + 3, s])
                    b0, b1, b2, b3 = _bt(plane[r, s + 1], plane[r + 1, s + 1], plane[r + 2, s + 1], plane[r + 3, s + 1])
                    c0, c1, c2, c3 = _bt(plane[r, s + 2], plane[r + 1, s + 2], plane[r + 2, s + 2], plane[r + 3, s + 2])
                    d0, d1, d2, d3 = _bt(plane[r, s + 3], plane[r + 1, s + 3], plane[r + 2, s + 3], plane[r + 3, s + 3])
                    # ...then times B along each row
                    v[0, t], v[1, t], v[2, t], v[3, t] = _bt(a0, b0, c0, d0)
                    v[4, t], v[5, t], v[6, t], v[7, t] = _bt(a1, b1, c1, d1)
                    v[8, t], v[9, t], v[10, t], v[11, t] = _bt(a2, b2, c2, d2)
                    v[12, t], v[13, t], v[14, t], v[15, t] = _bt(a3, b3, c3, d3)


@njit(error_model="numpy", cache=True)
def winograd_output(m, bias, y):
    """y (n, o, 2·th, 2·tw) = Aᵀ M A (+ bias[o]) for every tile's 16 products m[:, o·T + t].

    Per output channel: first the four outputs of every tile into four scratch rows, in one loop
    over the contiguous tiles (vectorised), then those rows interleaved into the output's rows.
    Tile by tile, with the interleaving stores in the same loop, it ran at half the speed."""
    n, o = y.shape[0], y.shape[1]
    th, tw = y.shape[2] // 2, y.shape[3] // 2
    T = n * th * tw
    q = np.empty((4, T), np.float32)
    q0, q1, q2, q3 = q[0], q[1], q[2], q[3]
    for ch in range(o):
        add = bias[ch] if bias is not None else f32(0)
        lo, hi = ch * T, (ch + 1) * T
        m0, m1, m2, m3 = m[0, lo:hi], m[1, lo:hi], m[2, lo:hi], m[3, lo:hi]
        m4, m5, m6, m7 = m[4, lo:hi], m[5, lo:hi], m[6, lo:hi], m[7, lo:hi]
        m8, m9, m10, m11 = m[8, lo:hi], m[9, lo:hi], m[10, lo:hi], m[11, lo:hi]
        m12, m13, m14, m15 = m[12, lo:hi], m[13, lo:hi], m[14, lo:hi], m[15, lo:hi]
        for t in range(T):
            p0, r0 = _at(m0[t], m4[t], m8[t], m12[t])    # Aᵀ M, column by column...
            p1, r1 = _at(m1[t], m5[t], m9[t], m13[t])
            p2, r2 = _at(m2[t], m6[t], m10[t], m14[t])
            p3, r3 = _at(m3[t], m7[t], m11[t], m15[t])
            y00, y01 = _at(p0, p1, p2, p3)               # ...times A
            y10, y11 = _at(r0, r1, r2, r3)
            q0[t], q1[t], q2[t], q3[t] = y00 + add, y01 + add, y10 + add, y11 + add
        for b in range(n):
            for i in range(th):
                base = (b * th + i) * tw
                top, bottom = y[b, ch, 2 * i], y[b, ch, 2 * i + 1]
                for j in range(tw):
                    top[2 * j], top[2 * j + 1] = q0[base + j], q1[base + j]
                    bottom[2 * j], bottom[2 * j + 1] = q2[base + j], q3[base + j]


@njit(error_model="numpy", cache=True)
def winograd_grad_output(g, dm, gb):
    """dm[:, o·T + t] = A dY Aᵀ for every 2x2 tile dY of the output gradient g (n, o, 2·th, 2·tw), and
    gb[o] += the sum of g's channel o (float64, one running sum per channel). Tile by tile: gathering
    the tiles into rows first, as winograd_output scatters them, measured no faster here.

    Channel by channel, so that each of the 16 planes is written as one contiguous run (ch·T to
    (ch + 1)·T); image by image, the writes jumped between channels' runs and the kernel took 1.3
    times as long on (64, 64, 14, 14)."""
    n, o = g.shape[0], g.shape[1]
    th, tw = g.shape[2] // 2, g.shape[3] // 2
    T = n * th * tw
    for ch in range(o):
        total = 0.0
        for b in range(n):
            src = g[b, ch]
            for i in range(th):
                r = 2 * i
                base = ch * T + (b * th + i) * tw
                for j in range(tw):
                    s, t = 2 * j, base + j
                    g00, g01, g10, g11 = src[r, s], src[r, s + 1], src[r + 1, s], src[r + 1, s + 1]
                    total += (g00 + g01) + (g10 + g11)
                    a0, a1, a2, a3 = _a(g00, g10)    # A dY, column by column...
                    b0, b1, b2, b3 = _a(g01, g11)
                    dm[0, t], dm[1, t], dm[2, t], dm[3, t] = _a(a0, b0)  # ...times Aᵀ
                    dm[4, t], dm[5, t], dm[6, t], dm[7, t] = _a(a1, b1)
                    dm[8, t], dm[9, t], dm[10, t], dm[11, t] = _a(a2, b2)
                    dm[12, t], dm[13, t], dm[14, t], dm[15, t] = _a(a3, b3)
        gb[ch] += total


@njit(error_model="numpy", cache=True)
def winograd_grad_input(dv, top, left, th, tw, gx):
    """gx (n, c, H, W) = B dV Bᵀ from the transformed-input gradients dv[:, c·T + t], added over the
    overlapping 4x4 blocks of the padded input (top rows and left columns before, as in
    winograd_input) and cropped to the input: the adjoint of winograd_input.

    Each plane is summed in a scratch plane that stays in L1, and only its inside is copied out (a
    whole padded gradient first, then cropped, took two more passes over memory)."""
    n, c, H, W = gx.shape
    T = n * th * tw
    x = np.empty((2 * th + 2, 2 * tw + 2), np.float32)
    for ch in range(c):
        for b in range(n):
            x[...] = f32(0)
            for i in range(th):
                r = 2 * i
                base = ch * T + (b * th + i) * tw
                for j in range(tw):
                    s, t = 2 * j, base + j
                    # B dV, column by column...
                    a0, a1, a2, a3 = _b(dv[0, t], dv[4, t], dv[8, t], dv[12, t])
                    b0, b1, b2, b3 = _b(dv[1, t], dv[5, t], dv[9, t], dv[13, t])
                    c0, c1, c2, c3 = _b(dv[2, t], dv[6, t], dv[10, t], dv[14, t])
                    d0, d1, d2, d3 = _b(dv[3, t], dv[7, t], dv[11, t], dv[15, t])
                    # ...then times Bᵀ along each row, added where the tile's input came from
                    for p, (e0, e1, e2, e3) in enumerate(((a0, b0, c0, d0), (a1, b1, c1, d1),
                                                          (a2, b2, c2, d2), (a3, b3, c3, d3))):
                        f0, f1, f2, f3 = _b(e0, e1, e2, e3)
                        x[r + p, s] += f0
                        x[r + p, s + 1] += f1
                        x[r + p, s + 2] += f2
                        x[r + p, s + 3] += f3
            copy_block(x, top, left, gx[b, ch], 0, 0, H, W)


@njit(error_model="numpy", cache=True, fastmath={"reassoc"})
def all_finite(a):
    """True when no entry of a (any shape, C-contiguous) is inf or NaN: x·0 is 0 only for finite x."""
    flat = a.reshape(-1)
    s = f32(0)
    for i in range(flat.size):
        s += flat[i] * f32(0)
    return s == f32(0)
