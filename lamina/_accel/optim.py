"""Compiled optimizer updates (lamina/optim): one pass over a parameter, its state and its
gradient where NumPy makes one pass per term. float32, contiguous arrays; the same operations in
the same order as the NumPy path (no fused multiply-add), so the values are the same bits."""
from numba import njit


@njit(error_model="numpy", cache=True)
def sgd_momentum(param, buf, grad, momentum, sign, lr):
    """SGD with momentum (no dampening, weight decay or Nesterov): buf = momentum·buf + sign·g,
    param -= lr·buf. momentum, sign (±1, -1 to maximize) and lr are float32."""
    p, b, g = param.reshape(param.size), buf.reshape(buf.size), grad.reshape(grad.size)
    for i in range(p.size):
        v = b[i] * momentum + g[i] * sign
        b[i] = v
        p[i] = p[i] - v * lr
