"""Writing into a copy of a tensor: select/slice/diagonal_scatter, index_put, masked_scatter, scatter_reduce."""

__all__ = []
METHODS = []
INPLACE = []
