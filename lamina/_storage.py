"""tensor.untyped_storage() and tensor.storage(): the memory a tensor views, as PyTorch shows it.

A lamina tensor's memory is a NumPy array's; for a view it is its base tensor's. A storage here
is that memory span (a pointer and a byte count, holding the array so the memory stays alive):
scripts compare data_ptr()s to see whether two tensors share memory, read nbytes(), index
elements, and print it. Reads and writes go to the same bytes the tensors see."""
import ctypes
import warnings

import numpy as np

__all__ = ["UntypedStorage", "TypedStorage"]


def _span(array):
    """Bytes from the array's first element to the end of its last (its strides are never negative)."""
    if array.size == 0:
        return 0
    return sum((n - 1) * s for n, s in zip(array.shape, array.strides)) + array.itemsize


class UntypedStorage:
    """The bytes of a tensor's memory."""

    def __init__(self, array):
        self._array = array  # holds the memory
        self._ptr = array.__array_interface__["data"][0]
        self._nbytes = _span(array)

    def _view(self, dtype=np.uint8):
        raw = (ctypes.c_uint8 * self._nbytes).from_address(self._ptr)
        return np.frombuffer(raw, np.uint8).view(dtype)

    device = property(lambda self: _cpu())

    def data_ptr(self):
        return self._ptr

    def nbytes(self):
        return self._nbytes

    def size(self):
        return self._nbytes

    def __len__(self):
        return self._nbytes

    def element_size(self):
        return 1

    def is_shared(self):
        return False

    def is_pinned(self, device="cuda"):
        return False

    def cpu(self):
        return self

    def tolist(self):
        return self._view().tolist()

    def __getitem__(self, index):
        return self._view()[index].tolist()

    def __setitem__(self, index, value):
        self._view()[index] = value

    def __iter__(self):
        return iter(self.tolist())

    def _info(self):
        return f"[torch.storage.UntypedStorage(device=cpu) of size {len(self)}]"

    def __repr__(self):
        return _listed(self.tolist(), self._info())


class TypedStorage(UntypedStorage):
    """The same memory as elements of the tensor's dtype (PyTorch's deprecated tensor.storage())."""

    def __init__(self, array, dtype):
        super().__init__(array)
        self.dtype = dtype

    def _elements(self):
        return self._view(self.dtype.np)

    def size(self):
        return self._nbytes // self.dtype.np.itemsize

    def __len__(self):
        return self.size()

    def element_size(self):
        return self.dtype.np.itemsize

    def tolist(self):
        return self._elements().tolist()

    def __getitem__(self, index):
        return self._elements()[index].tolist()

    def __setitem__(self, index, value):
        self._elements()[index] = value

    def untyped(self):
        return UntypedStorage(self._array)

    def _info(self):
        return f"[torch.storage.TypedStorage(dtype={self.dtype}, device=cpu) of size {len(self)}]"


def _listed(values, info):
    """One element per line, each after a space, then the summary line (an empty storage still
    gets its line with the one space, as PyTorch prints it)."""
    return " " + "\n ".join(str(v) for v in values) + "\n" + info


def _cpu():
    from ._device import cpu
    return cpu


def memory_of(tensor):
    """The array whose memory `tensor` views: its base's for a view (as storage_offset counts)."""
    base = getattr(tensor, "_base", None)
    return (tensor if base is None else base)._data


def typed_storage(tensor):
    warnings.warn("TypedStorage is deprecated. It will be removed in the future and UntypedStorage will be the only "
                  "storage class. This should only matter to you if you are using storages directly.  To access "
                  "UntypedStorage directly, use tensor.untyped_storage() instead of tensor.storage()",
                  UserWarning, stacklevel=3)
    return TypedStorage(memory_of(tensor), tensor.dtype)
