"""Matrix functions and decompositions behind torch.linalg: inv, det, slogdet, solve, cholesky,
qr, svd, eigh, pinv, lstsq, LU, triangular solves, matrix_power, matrix_exp, rank, condition
number, the vector and matrix norms, cross, tensordot, multi_dot, trace, and the fused products
baddbmm/addbmm/addmv/addr.

NumPy's LAPACK wrappers do the factorisations (they batch over leading dims); every backward is
written out here from the differential of the factorisation (real matrices only). Ops with
several differentiable outputs (svd, eigh, qr, slogdet) hang them off one hidden node so that
backward runs the formula once with all output gradients, as PyTorch's single node does.

This module holds the op lists and gathers the ops from private modules, one concern each:
_linalg_common (LinAlgError, input checks, the one-node-many-outputs helper), _linalg_solve
(inverse, determinants, solves), _linalg_factor (Cholesky, QR, Householder form),
_linalg_spectral (svd, eigh, pinv, lstsq, rank, low-rank SVD/PCA), _linalg_lu (LU and its
solves), _linalg_functions (matrix_power, matrix_exp, trace, vander), _linalg_norms (norms,
cond) and _linalg_products (cross, tensordot, multi_dot, baddbmm/addbmm/addmv/addr)."""
from ._linalg_common import LinAlgError  # noqa: F401
from ._linalg_factor import (cholesky, cholesky_ex, cholesky_inverse, cholesky_solve, geqrf,  # noqa: F401
                             householder_product, linalg_cholesky, linalg_qr, orgqr, ormqr, qr)
from ._linalg_functions import matrix_exp, matrix_power, trace, vander  # noqa: F401
from ._linalg_lu import linalg_lu, linalg_lu_solve, lu, lu_factor, lu_factor_ex, lu_solve, lu_unpack  # noqa: F401
from ._linalg_norms import cond, frobenius_norm, linalg_norm, matrix_norm, nuclear_norm, vector_norm  # noqa: F401
from ._linalg_products import (addbmm, addmv, addr, baddbmm, chain_matmul, cross, linalg_cross,  # noqa: F401
                               multi_dot, tensordot)
from ._linalg_solve import (det, inv_ex, inverse, linalg_inv, linalg_slogdet, logdet, slogdet, solve,  # noqa: F401
                            solve_ex, solve_triangular, tensorinv, tensorsolve, triangular_solve)
from ._linalg_spectral import (eigh, eigvalsh, linalg_svd, lstsq, matrix_rank, pca_lowrank, pinv,  # noqa: F401
                               pinverse, svd, svd_lowrank, svdvals)
from .linalg import addmm, matmul  # noqa: F401  (addmm: for its in-place twin addmm_, see INPLACE)

__all__ = ["inverse", "det", "logdet", "slogdet", "pinverse", "matrix_power", "matrix_exp", "cholesky",
           "cholesky_solve", "cholesky_inverse", "qr", "svd", "cross", "tensordot", "baddbmm", "addbmm",
           "addmv", "addr", "chain_matmul", "trace", "lu", "lu_solve", "lu_unpack",
           "triangular_solve", "nuclear_norm", "frobenius_norm", "geqrf", "orgqr", "ormqr",
           "svd_lowrank", "pca_lowrank"]
METHODS = ["inverse", "det", "logdet", "slogdet", "pinverse", "matrix_power", "matrix_exp", "cholesky",
           "cholesky_solve", "cholesky_inverse", "qr", "svd", "cross", "baddbmm", "addbmm", "addmv", "addr", "trace",
           "lu", "lu_solve", "lu_unpack", "triangular_solve", "geqrf", "orgqr", "ormqr"]
INPLACE = ["addmm", "baddbmm", "addbmm", "addmv", "addr"]
