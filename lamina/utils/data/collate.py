"""Collation, as torch.utils.data: turning a list of samples into one batch.

`default_collate` follows the structure of the first sample and stacks the leaves:
  Tensor                 -> stacked along a new first dimension
  NumPy array            -> converted to tensors, then stacked (string/object arrays are an error)
  NumPy scalar           -> a 1-d tensor of its dtype
  float / int / bool     -> a float64 / int64 / bool tensor (as torch: Python floats give float64)
  str / bytes            -> left as the list
  dict (Mapping)         -> a dict of collated values, key by key
  namedtuple             -> the same namedtuple of collated fields
  tuple                  -> a *list* of collated fields (torch keeps this for backward compatibility)
  list (Sequence)        -> a list of collated positions; all samples must have the same length

`collate(batch, collate_fn_map=...)` is the same walk with a user-extensible type table."""
import collections.abc
import copy
import re

import numpy as np

from ...tensor import Tensor

__all__ = ["collate", "default_collate", "default_convert", "default_collate_fn_map", "collate_tensor_fn",
           "collate_numpy_array_fn", "collate_numpy_scalar_fn", "collate_float_fn", "collate_int_fn",
           "collate_str_fn", "default_collate_err_msg_format"]

_STR_OR_OBJECT = re.compile(r"[SaUO]")  # NumPy dtype codes default_collate cannot make tensors of

default_collate_err_msg_format = ("default_collate: batch must contain tensors, numpy arrays, numbers, "
                                  "dicts or lists; found {}")


def _as_tensor(x):
    from ...ops.creation import as_tensor
    return as_tensor(x)


def default_convert(data):
    """Turn the NumPy arrays and scalars inside `data` into tensors; keep everything else.

    What DataLoader applies to each sample when automatic batching is off (`batch_size=None`)."""
    t = type(data)
    if isinstance(data, Tensor):
        return data
    if t.__module__ == "numpy" and t.__name__ not in ("str_", "string_", "bytes_"):
        if t is np.ndarray and _STR_OR_OBJECT.search(data.dtype.str):
            return data
        return _as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        try:
            if isinstance(data, collections.abc.MutableMapping):
                out = copy.copy(data)
                out.update({k: default_convert(data[k]) for k in data})
                return out
            return t({k: default_convert(data[k]) for k in data})
        except TypeError:
            return {k: default_convert(data[k]) for k in data}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return t(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            if isinstance(data, collections.abc.MutableSequence):
                out = copy.copy(data)
                for i, d in enumerate(data):
                    out[i] = default_convert(d)
                return out
            return t([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data


def collate(batch, *, collate_fn_map=None):
    """Collate `batch` (a list of samples) by the structure of its first sample.

    Leaves are handled by `collate_fn_map`: {type or tuple of types: fn(batch, *, collate_fn_map)},
    looked up by exact type first, then by isinstance in the table's order."""
    elem = batch[0]
    t = type(elem)
    if collate_fn_map is not None:
        fn = collate_fn_map.get(t)
        if fn is not None:
            return fn(batch, collate_fn_map=collate_fn_map)
        for kind, fn in collate_fn_map.items():
            if isinstance(elem, kind):
                return fn(batch, collate_fn_map=collate_fn_map)
    if isinstance(elem, collections.abc.Mapping):
        def field(key):
            return collate([d[key] for d in batch], collate_fn_map=collate_fn_map)
        try:
            if isinstance(elem, collections.abc.MutableMapping):
                out = copy.copy(elem)
                out.update({k: field(k) for k in elem})
                return out
            return t({k: field(k) for k in elem})
        except TypeError:
            return {k: field(k) for k in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return t(*(collate(s, collate_fn_map=collate_fn_map) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(e) != size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        columns = [collate(s, collate_fn_map=collate_fn_map) for s in zip(*batch)]
        if isinstance(elem, tuple):
            return columns
        try:
            if isinstance(elem, collections.abc.MutableSequence):
                out = copy.copy(elem)
                for i, c in enumerate(columns):
                    out[i] = c
                return out
            return t(columns)
        except TypeError:
            return columns
    raise TypeError(default_collate_err_msg_format.format(t))


def collate_tensor_fn(batch, *, collate_fn_map=None):
    from ...ops.shape import stack
    for b in batch:
        if b._requires_grad:
            return stack(batch, 0)
    # no graph to record: one NumPy call (stack() also checks shapes and promotes dtypes)
    data = [b._data for b in batch]
    shape, dt = data[0].shape, data[0].dtype
    if all(d.shape == shape and d.dtype == dt for d in data):
        return Tensor._wrap(np.stack(data))
    return stack(batch, 0)


def collate_numpy_array_fn(batch, *, collate_fn_map=None):
    if _STR_OR_OBJECT.search(batch[0].dtype.str):
        raise TypeError(default_collate_err_msg_format.format(batch[0].dtype))
    return collate([_as_tensor(b) for b in batch], collate_fn_map=collate_fn_map)


def collate_numpy_scalar_fn(batch, *, collate_fn_map=None):
    return _as_tensor(batch)


def collate_float_fn(batch, *, collate_fn_map=None):
    return Tensor._wrap(np.array(batch, dtype=np.float64))


def collate_int_fn(batch, *, collate_fn_map=None):
    from ...ops.creation import tensor
    return tensor(batch)  # ints -> int64, bools -> bool, as torch.tensor


def collate_str_fn(batch, *, collate_fn_map=None):
    return batch


default_collate_fn_map = {
    Tensor: collate_tensor_fn,
    np.ndarray: collate_numpy_array_fn,
    (np.bool_, np.number, np.object_): collate_numpy_scalar_fn,
    float: collate_float_fn,
    int: collate_int_fn,
    str: collate_str_fn,
    bytes: collate_str_fn,
}


def default_collate(batch):
    """Stack a list of samples into a batch the way torch's default_collate does (see the
    module docstring for the rules): tensors, arrays and numbers become tensors with a new
    first dimension; dicts, tuples, lists and namedtuples are collated field by field.

    Example::

        >>> default_collate([(tensor([1., 2.]), 0), (tensor([3., 4.]), 1)])
        [tensor([[1., 2.], [3., 4.]]), tensor([0, 1])]"""
    return collate(batch, collate_fn_map=default_collate_fn_map)
