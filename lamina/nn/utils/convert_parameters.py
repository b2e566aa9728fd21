"""Flatten parameters into one vector and back (for optimisers that work on a flat vector)."""
from ...tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters):
    """One 1-D tensor holding every parameter's values in order (differentiable)."""
    from ...ops.shape import cat, reshape
    return cat([reshape(p, (-1,)) for p in parameters])


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of `vec` into the parameters (each takes a view of vec's data,
    as PyTorch's `param.data = ...` does)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    pointer = 0
    flat = vec._data.reshape(-1)
    for param in parameters:
        n = param._data.size
        param._data = flat[pointer:pointer + n].reshape(param._data.shape)
        pointer += n
