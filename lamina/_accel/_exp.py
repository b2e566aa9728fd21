"""1 + exp(x) for float32 in a form LLVM vectorises (NumPy's exp is a separate pass per call).

Cody–Waite reduction x = n·ln2 + r, |r| ≤ ln2/2, then a degree-6 polynomial for exp(r) (Cephes'
expf coefficients) and 2**n put into the exponent bits. Within 2 ulp of PyTorch's sigmoid over
the float32 range when used as 1/(1 + exp(-x)). Only `1 + exp` is offered: below exp(-87) the
reduction flushes to about 1e-38, which 1 + exp absorbs exactly; above ~88.7 the result is inf,
so 1/(1 + exp) is 0 as it should be. NaN propagates (it fails both clamps)."""
import numpy as np
from numba import njit

f32 = np.float32
_ROUND = f32(12582912.0)       # 1.5·2**23: adding and subtracting it rounds to an integer
_LN2_HI, _LN2_LO = f32(0.693359375), f32(-2.12194440e-4)


@njit(inline="always", error_model="numpy", fastmath={"contract"})
def one_plus_exp(x):
    x = f32(-87.0) if x < f32(-87.0) else x
    x = f32(89.0) if x > f32(89.0) else x
    n = (x * f32(1.44269504) + _ROUND) - _ROUND
    r = x - n * _LN2_HI
    r = r - n * _LN2_LO
    p = f32(1.9875691500e-4)
    p = p * r + f32(1.3981999507e-3)
    p = p * r + f32(8.3334519073e-3)
    p = p * r + f32(4.1665795894e-2)
    p = p * r + f32(1.6666665459e-1)
    p = p * r + f32(5.0000001201e-1)
    y = p * r * r + r + f32(1.0)
    # 2**(n-1) from its bits, then ·2: the split keeps 2**128 (x near 89) representable as inf
    half_scale = np.int32((np.int32(n) + np.int32(126)) << np.int32(23)).view(np.float32)
    return f32(1.0) + y * half_scale * f32(2.0)
