"""lamina.func.vmap: map a function over a dimension of its inputs by running it once per index
and stacking the results along the output dimension.

PyTorch batches each op instead (its BatchedTensor and per-op batching rules); lamina has no
batching rules, so it loops in Python. The per-sample calls see ordinary tensors, the stacking is
lamina's differentiable `stack`, and gradients flow from the stacked result back to the inputs."""
import functools

import numpy as np

from ._pytree import broadcast_prefix, pretty, tree_flatten, tree_unflatten

__all__ = ["vmap"]

_RANDOM_IN_ERROR_MODE = ("vmap: called random operation while in randomness error mode. Please either use the "
                         "'same' or 'different' randomness flags on vmap or perform the randomness operation out "
                         "of vmap")


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """Vectorizing map: `vmap(func)` returns a function that runs `func` over a dimension of its
    inputs and stacks the results, as if `func` had been written for a batch.

    lamina runs `func` once per index along the mapped dimension, in a Python loop, and stacks
    the outputs with `lamina.stack`: the results equal PyTorch's (values, shapes, dtypes) but
    there is no batching speed-up. Each call sees ordinary tensors (the mapped dimension
    removed), so `.item()` and Python control flow on values work, where PyTorch refuses them;
    outputs whose shapes differ between indices cannot be stacked and raise ValueError.

    Args:
        func (callable): a function of one or more arguments returning a Tensor or a structure
            (tuple, list, dict) of Tensors.
        in_dims (int or tuple): the dimension to map over in each input; None for an input
            passed unchanged to every call (parameters, for example). A tuple gives one entry
            per positional argument, nested like the arguments (an int or None applies to a
            whole container). Keyword arguments are never mapped. Default: 0.
        out_dims (int or tuple): where the mapped dimension goes in each output; None for an
            output that is the same for every index (lamina checks by value: every call must
            return equal tensors). Default: 0.
        randomness (str): 'error', 'different' or 'same'. With 'error', lamina compares the
            global generator's state before the loop with its state after the first call and
            after the last: if random numbers were drawn, it restores the generator and raises
            PyTorch's error. With 'different' each call draws its own numbers. With 'same' the
            global generator is rewound before every call, so every index draws the same
            numbers; afterwards it stands where one call left it. Draws from an explicit
            `Generator` object are neither detected nor rewound. Default: 'error'.
        chunk_size (int, optional): accepted for PyTorch's API; the loop already runs one index
            at a time, so results are the same for every chunk size.

    Returns: a function taking the same arguments as `func`, returning its outputs stacked.

    A batch of size 0 runs `func` once on zero-filled inputs of one sample's shape, to learn the
    output shapes, and returns empty outputs.

    Example::

        >>> x = lamina.randn(5, 3)
        >>> lamina.func.vmap(lambda v: v.dot(v))(x).shape    # one dot product per row
        torch.Size([5])
    """
    check_randomness(randomness)
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        return _vmap_call(func, in_dims, out_dims, randomness, args, kwargs)
    return wrapped


def check_randomness(randomness):
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. Got {randomness}")


def _name(func):
    if hasattr(func, "__name__"):
        return func.__name__
    if isinstance(func, functools.partial):
        return f"functools.partial({_name(func.func)}, ...)"
    return repr(func)  # an nn.Module, say


def _vmap_call(func, in_dims, out_dims, randomness, args, kwargs):
    _check_out_dims(out_dims, func)
    batch_size, flat_in_dims, flat_args, args_spec = _mapped_inputs(in_dims, args, func)
    guard = _RandomnessGuard(randomness)
    if batch_size == 0:
        probe = [_zero_sample(a, d) for a, d in zip(flat_args, flat_in_dims)]
        out = guard.call(func, tree_unflatten(probe, args_spec), kwargs)
        return _empty_outputs(out, out_dims, func)
    # one unbind per mapped input: every sample's slice comes from a single op
    slices = [None if d is None else a.unbind(d) for a, d in zip(flat_args, flat_in_dims)]
    outputs = []
    for i in range(batch_size):
        sample = [a if s is None else s[i] for a, s in zip(flat_args, slices)]
        outputs.append(guard.call(func, tree_unflatten(sample, args_spec), kwargs, check=i == 0))
    guard.check()
    return _stack_outputs(outputs, out_dims, func)


# ---- inputs -------------------------------------------------------------------------------

def _check_out_dims(out_dims, func):
    if isinstance(out_dims, int):
        return
    for d in tree_flatten(out_dims)[0]:
        if d is not None and not isinstance(d, int):
            raise ValueError(f"vmap({_name(func)}, ..., out_dims={out_dims}): `out_dims` must be an int, None or a "
                             "python collection of ints representing where in the outputs the vmapped dimension "
                             "should appear.")


def _mapped_inputs(in_dims, args, func):
    """(batch size, the in_dim of every leaf of args (non-negative or None), the leaves, spec)."""
    from ..tensor import Tensor
    where = f"vmap({_name(func)}, in_dims={in_dims}, ...)(<inputs>)"
    if not isinstance(in_dims, (int, tuple)):
        raise ValueError(f"{where}: expected `in_dims` to be int or a (potentially nested) tuple matching the "
                         f"structure of inputs, got: {type(in_dims)}.")
    if len(args) == 0:
        raise ValueError(f"vmap({_name(func)})(<inputs>): got no inputs. Maybe you forgot to add inputs, or you are "
                         "trying to vmap over a function with no inputs. The latter is unsupported.")
    flat_args, args_spec = tree_flatten(args)
    flat_in_dims = broadcast_prefix(in_dims, args_spec)
    if flat_in_dims is None:
        raise ValueError(f"{where}: in_dims is not compatible with the structure of `inputs`. in_dims has structure "
                         f"{tree_flatten(in_dims)[1]} but inputs has structure {args_spec}.")
    for i, (arg, d) in enumerate(zip(flat_args, flat_in_dims)):
        if d is None:
            continue
        if not isinstance(d, int):
            raise ValueError(f"{where}: Got in_dim={d} for an input but in_dim must be either an integer dimension "
                             "or None.")
        if not isinstance(arg, Tensor):
            raise ValueError(f"{where}: Got in_dim={d} for an input but the input is of type {type(arg)}. We cannot "
                             "vmap over non-Tensor arguments, please use None as the respective in_dim")
        n = arg.dim()
        if not -n <= d < n:
            raise ValueError(f"{where}: Got in_dim={d} for some input, but that input is a Tensor of dimensionality "
                             f"{n} so expected in_dim to satisfy -{n} <= in_dim < {n}.")
        flat_in_dims[i] = d % n
    sizes = [a.shape[d] for a, d in zip(flat_args, flat_in_dims) if d is not None]
    if not sizes:
        raise ValueError("vmap: Expected at least one Tensor to vmap over")
    if any(s != sizes[0] for s in sizes):
        raise ValueError("vmap: Expected all tensors to have the same size in the mapped dimension, got sizes "
                         f"{sizes} for the mapped dimension")
    return sizes[0], flat_in_dims, flat_args, args_spec


def _zero_sample(arg, in_dim):
    """A stand-in for one sample of an empty batch: zeros of the per-sample shape."""
    if in_dim is None:
        return arg
    from ..ops.creation import zeros
    shape = arg.shape[:in_dim] + arg.shape[in_dim + 1:]
    return zeros(shape, dtype=arg.dtype)


class _RandomnessGuard:
    """Runs one per-sample call under vmap's `randomness` mode, watching the global generator."""

    def __init__(self, mode):
        from ..random import rng
        self.mode = mode
        self.rng = rng
        self.start = None if mode == "different" else rng().bit_generator.state

    def call(self, func, args, kwargs, check=True):
        """func(*args, **kwargs); `check` False skips the 'error' mode test (reading the
        generator's state costs microseconds per call: the loop checks its first call and its end)."""
        if self.mode == "same":
            self.rng().bit_generator.state = self.start  # every index draws what the first drew
        out = func(*args, **kwargs)
        if check:
            self.check()
        return out

    def check(self):
        if self.mode == "error" and self.rng().bit_generator.state != self.start:
            self.rng().bit_generator.state = self.start  # the refused calls leave the stream as it was
            raise RuntimeError(_RANDOM_IN_ERROR_MODE)


# ---- outputs ------------------------------------------------------------------------------

def _flat_out_dims(out_dims, output, spec, func):
    """One out_dim per output leaf, with PyTorch's rule that a lone Tensor output takes an int,
    None or a one-element tuple."""
    from ..tensor import Tensor
    if isinstance(output, Tensor):
        if isinstance(out_dims, int) or out_dims is None:
            return [out_dims]
        if isinstance(out_dims, tuple) and len(out_dims) == 1:
            return list(out_dims)
        flat = None
    else:
        flat = broadcast_prefix(out_dims, spec)
    if flat is None:
        raise ValueError(f"vmap({_name(func)}, ..., out_dims={out_dims})(<inputs>): out_dims is not compatible with "
                         f"the structure of `outputs`. out_dims has structure {tree_flatten(out_dims)[1]} but outputs "
                         f"has structure {spec}.")
    return flat


def _check_mapped_output(value, out_dim, func):
    from ..tensor import Tensor
    if out_dim is not None and not isinstance(value, Tensor):
        name = _name(func)
        raise ValueError(f"vmap({name}, ...): `{name}` must only return Tensors, got type {type(value)}. Did you "
                         "mean to set out_dims= to None for output?")


def _stack_outputs(outputs, out_dims, func):
    from ..ops.shape import stack
    flat_per_sample, spec = _flatten_all(outputs, func)
    flat_dims = _flat_out_dims(out_dims, outputs[0], spec, func)
    results = []
    for j, out_dim in enumerate(flat_dims):
        column = [flat[j] for flat in flat_per_sample]
        _check_mapped_output(column[0], out_dim, func)
        if out_dim is None:
            results.append(_unmapped(column, func))
        else:
            _check_same_shapes(column, func)
            results.append(stack(column, dim=out_dim))
    return tree_unflatten(results, spec)


def _flatten_all(outputs, func):
    """Every sample's output leaves, after checking they all share the first one's structure."""
    flat_per_sample = []
    spec = None
    for out in outputs:
        flat, this_spec = tree_flatten(out)
        if spec is None:
            spec = this_spec
        elif this_spec != spec:
            name = _name(func)
            raise ValueError(f"vmap({name}, ...): `{name}` returned outputs of different structures for different "
                             f"samples ({pretty(spec)} and {pretty(this_spec)}); lamina's vmap calls `{name}` once "
                             "per sample and needs one structure")
        flat_per_sample.append(flat)
    return flat_per_sample, spec


def _check_same_shapes(column, func):
    shape = column[0].shape
    for i, t in enumerate(column):
        if t.shape != shape:
            name = _name(func)
            raise ValueError(f"vmap({name}, ...): `{name}` returned tensors of different shapes for different "
                             f"samples ({list(shape)} for sample 0, {list(t.shape)} for sample {i}); vmap stacks "
                             "them, so every sample's output needs one shape")


def _unmapped(column, func):
    """An output with out_dim None: PyTorch requires that it not depend on the mapped inputs;
    lamina checks that every sample returned the same tensor value and hands back the first."""
    from ..tensor import Tensor
    first = column[0]
    if isinstance(first, Tensor) and not all(_same_value(first, t) for t in column[1:]):
        name = _name(func)
        raise ValueError(f"vmap({name}, ...): `{name}` can not return a BatchedTensor when out_dim is None")
    return first


def _same_value(a, b):
    x, y = a._data, b._data
    return x.shape == y.shape and np.array_equal(x, y, equal_nan=x.dtype.kind in "fc")


def _empty_outputs(output, out_dims, func):
    """vmap's result for a batch of size 0: each mapped output with an empty mapped dimension."""
    flat, spec = tree_flatten(output)
    results = []
    for value, out_dim in zip(flat, _flat_out_dims(out_dims, output, spec, func)):
        _check_mapped_output(value, out_dim, func)
        # unsqueeze checks out_dim against the stacked rank, as stack would
        results.append(value if out_dim is None else value.unsqueeze(out_dim).narrow(out_dim, 0, 0))
    return tree_unflatten(results, spec)
