"""Deciding which bytes to write for the tensors being saved, so shared memory stays shared.

PyTorch saves a storage once and each tensor as (storage, offset, size, stride). lamina tensors
are ndarrays, and views (transpose, slices with steps, expand's stride 0, view/reshape) share a
base array. Tensors whose arrays live in one base buffer and have the same dtype become one
storage: the bytes from the lowest to the highest element any of them reaches, each tensor an
element offset and element strides into it. A tensor that cannot be described that way (negative
or misaligned strides, an unusual base) is copied into a storage of its own."""
import sys

import numpy as np

from .dtypes import kind_of_array


class Storage:
    """One data record to write: its element kind, length in elements, and bytes."""
    __slots__ = ("kind", "numel", "source")

    def __init__(self, kind, numel, source):
        self.kind = kind
        self.numel = numel
        self.source = source  # a 1-D uint8 array (often a view of the tensors' own memory)


class Placement:
    """Where one array lives in a Storage."""
    __slots__ = ("storage", "offset", "stride")

    def __init__(self, storage, offset, stride):
        self.storage = storage
        self.offset = offset
        self.stride = stride


def _little(flat, dtype):
    """Bytes in little-endian order (a no-op view on little-endian machines)."""
    if sys.byteorder == "little" or dtype.itemsize == 1:
        return flat
    return flat.view(dtype).astype(dtype.newbyteorder("<")).view(np.uint8)


def _root(arr):
    """The ndarray at the bottom of arr's chain of bases (through as_strided's wrappers)."""
    cur = arr
    while True:
        base = cur.base
        if isinstance(base, np.ndarray):
            cur = base
        elif base is not None and isinstance(getattr(base, "base", None), np.ndarray):
            cur = base.base  # numpy's DummyArray from as_strided / broadcast_to
        else:
            return cur


def _address(arr):
    return arr.__array_interface__["data"][0]


def _standalone(arr, kind):
    flat = np.ascontiguousarray(arr)
    storage = Storage(kind, flat.size, _little(flat.reshape(-1).view(np.uint8), flat.dtype))
    stride = tuple(s // flat.itemsize for s in flat.strides) if flat.size else _contiguous_stride(flat.shape)
    return Placement(storage, 0, stride)


def _contiguous_stride(shape):
    stride, step = [], 1
    for n in reversed(shape):
        stride.append(step)
        step *= max(n, 1)
    return tuple(reversed(stride))


def plan(arrays):
    """{id(array): Placement} for a list of distinct ndarrays; storages appear in first-use order."""
    placements = {}
    groups = {}  # (id(root), dtype) -> [root, [(arr, lo, hi), ...]]
    for arr in arrays:
        kind = kind_of_array(arr.dtype)
        size = arr.itemsize
        if arr.size == 0 or any(s < 0 or s % size for s in arr.strides):
            placements[id(arr)] = _standalone(arr, kind)
            continue
        root = _root(arr)
        if not (root.flags.c_contiguous or root.flags.f_contiguous) or root.itemsize == 0:
            placements[id(arr)] = _standalone(arr, kind)
            continue
        lo = _address(arr)
        hi = lo + sum((n - 1) * s for n, s in zip(arr.shape, arr.strides)) + size
        start = _address(root)
        if lo < start or hi > start + root.nbytes:
            placements[id(arr)] = _standalone(arr, kind)
            continue
        groups.setdefault((id(root), arr.dtype), [root, []])[1].append((arr, lo, hi))
    for (_, dtype), (root, members) in groups.items():
        low = min(lo for _, lo, _ in members)
        kind = kind_of_array(dtype)
        size = dtype.itemsize
        shared = [(a, lo, hi) for a, lo, hi in members if (lo - low) % size == 0]
        for a, _, _ in members:
            if (_address(a) - low) % size:
                placements[id(a)] = _standalone(a, kind)
        high = max(hi for _, _, hi in shared)
        start = _address(root)
        flat = root.ravel(order="K").view(np.uint8)[low - start:high - start]
        storage = Storage(kind, (high - low) // size, _little(flat, dtype))
        for a, lo, _ in shared:
            placements[id(a)] = Placement(storage, (lo - low) // size, tuple(s // size for s in a.strides))
    return placements
