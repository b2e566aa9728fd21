"""What the linalg op modules share: LinAlgError, PyTorch's checks on matrix arguments (in its
order and wording), small array helpers, and `_multi`, which hangs several differentiable
outputs (svd's U, S, Vh; eigh's values and vectors; ...) off one hidden node."""
import numpy as np

from ..autograd.grad_mode import _mode
from ._core import make, wrap
from .arithmetic import type_name


class LinAlgError(RuntimeError):
    """torch.linalg.LinAlgError: a factorisation failed on its input (singular, not positive-definite)."""


# ---- checks ---------------------------------------------------------------------------------

def _matrix(name, x, square=True, float_only=True, half=False):
    """PyTorch's checks for a (batch of) matrix input, in its order: rank, squareness, dtype."""
    if x.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor A must have at least 2 dimensions.")
    if square and x.shape[-1] != x.shape[-2]:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are {x.shape[-2]} by "
                           f"{x.shape[-1]} matrices")
    if float_only:
        _floating(name, x, half)


# the LAPACK kernel PyTorch names when it refuses float16 (the others say "Low precision dtypes")
_HALF_KERNEL = {"linalg.det": "lu_cpu", "linalg.solve": "lu_cpu", "linalg.cholesky": "cholesky_cpu",
                "cholesky": "cholesky_cpu", "linalg.qr": "geqrf_cpu", "linalg.svd": "linalg_svd_cpu",
                "linalg.solve_triangular": "triangular_solve_cpu"}


def _floating(name, x, half=False):
    if x.dtype.kind != "f":
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got {type_name(x.dtype)}")
    if x.dtype == np.float16 and not half:
        kernel = _HALF_KERNEL.get(name)
        if kernel is None:
            raise RuntimeError(f"{name}: Low precision dtypes not supported. Got Half")
        raise NotImplementedError(f"\"{kernel}\" not implemented for 'Half'")


def _double_or_float(x):
    if x.dtype not in (np.float32, np.float64):
        raise RuntimeError("This function doesn't handle types other than float and double")


def _batch_note(shape, flat_index):
    """'(Batch element k): ' for a failure inside a batch, '' for a single matrix."""
    return f"(Batch element {flat_index}): " if len(shape) > 2 else ""


def _first_zero_pivot(a):
    """1-based index of the first exactly-zero pivot of LU with partial pivoting (LAPACK getrf's
    info), which PyTorch names in its singular-matrix error; 0 when there is none."""
    a = np.array(a, copy=True)
    n = a.shape[0]
    for k in range(n):
        p = k + int(np.argmax(np.abs(a[k:, k])))
        if a[p, k] == 0:
            return k + 1
        if p != k:
            a[[k, p]] = a[[p, k]]
        a[k + 1:, k] /= a[k, k]
        a[k + 1:, k + 1:] -= np.outer(a[k + 1:, k], a[k, k + 1:])
    return 0


def _mT(a):
    return np.swapaxes(a, -1, -2)


def _eye_like(a):
    return np.eye(a.shape[-1], dtype=a.dtype)


# ---- several outputs, one node ----------------------------------------------------------------

def _multi(arrays, parents, backward, name, saved):
    """Tensors for the outputs `arrays` of one op. With autograd on, a hidden hub tensor carries
    the op's node; each output is a piece of it whose gradient lands in the hub's flat gradient.
    backward(*grads) gets None for an output that received no gradient."""
    if not (_mode.grad and any(p._requires_grad for p in parents)):
        return [wrap(a) for a in arrays]
    offsets, total = [], 0
    for a in arrays:
        offsets.append(total)
        total += a.size
    used = [False] * len(arrays)

    def hub_backward(g):
        grads = [g[o:o + a.size].reshape(a.shape) if u else None for a, o, u in zip(arrays, offsets, used)]
        used[:] = [False] * len(arrays)
        return backward(*grads)
    hub = make(np.empty(total, arrays[0].dtype), parents, hub_backward, name, saved=saved)
    outs = []
    for i, (a, o) in enumerate(zip(arrays, offsets)):
        def piece_backward(g, i=i, o=o, n=a.size):
            used[i] = True
            full = np.zeros(total, g.dtype)
            full[o:o + n] = g.reshape(-1)
            return (full,)
        outs.append(make(a, (hub,), piece_backward, name))
    # backward reads the outputs' arrays: changing any output in place makes it an error
    hub.grad_fn.saved += tuple((o._vc, 0, None) for o in outs)
    return outs
