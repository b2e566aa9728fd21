"""Building tensors from pieces and pieces from tensors: tensor_split, h/v/dsplit, dstack, block_diag, kron, rot90, index grids."""

__all__ = []
METHODS = []
INPLACE = []
