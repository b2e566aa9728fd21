"""torch.linalg: matrix functions and decompositions under their torch.linalg names (the work is
in lamina.ops.decompositions; matmul and diagonal are the ordinary ops)."""
from .ops import decompositions as _d
from .ops.decompositions import (LinAlgError, cholesky_ex, cond, eigh, eigvalsh, householder_product,  # noqa: F401
                                 inv_ex, lstsq, lu_factor, lu_factor_ex, matrix_exp, matrix_norm, matrix_power,
                                 matrix_rank, multi_dot, pinv, solve, solve_ex, solve_triangular, svdvals,
                                 tensorinv, tensorsolve, vander, vector_norm)
from .ops.linalg import matmul  # noqa: F401

inv = _d.linalg_inv
det = _d.det
slogdet = _d.linalg_slogdet
cholesky = _d.linalg_cholesky
qr = _d.linalg_qr
svd = _d.linalg_svd
norm = _d.linalg_norm
cross = _d.linalg_cross
lu = _d.linalg_lu
lu_solve = _d.linalg_lu_solve

__all__ = ["LinAlgError", "inv", "inv_ex", "det", "slogdet", "solve", "cholesky", "cholesky_ex", "qr", "svd",
           "svdvals", "eigh", "eigvalsh", "pinv", "matrix_power", "matrix_exp", "lstsq", "norm", "vector_norm",
           "matrix_norm", "cross", "multi_dot", "matmul", "vecdot", "diagonal", "solve_triangular", "solve_ex",
           "matrix_rank", "cond", "tensorinv", "tensorsolve", "vander", "lu", "lu_factor", "lu_factor_ex", "lu_solve",
           "householder_product"]


def vecdot(x, y, *, dim=-1):
    """Σ_k x[..., k] · y[..., k] along `dim`, broadcasting the other dims."""
    from .ops.arithmetic import mul
    from .ops.reduction import sum as _sum
    xd, yd = x._data, y._data
    if xd.ndim == 1 and yd.ndim == 1 and xd.shape != yd.shape:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{xd.shape[0]}] and src [{yd.shape[0]}] to "
                           f"have the same number of elements, but got {xd.shape[0]} and {yd.shape[0]} elements "
                           "respectively")
    return _sum(mul(x, y), dim)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """The diagonal of each matrix of A (over dims dim1, dim2), as torch.diagonal with matrix defaults."""
    from .ops.shape import diagonal as _diagonal
    return _diagonal(A, offset, dim1, dim2)
