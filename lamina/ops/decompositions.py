"""Matrix functions and decompositions behind torch.linalg: inv, det, solve, cholesky, qr, svd, eigh, norms."""

__all__ = []
METHODS = []
INPLACE = []
