"""Variable-length sequences for the recurrent layers: padding, packing and unpacking.

A PackedSequence stores a batch of sequences sorted by decreasing length, time-major: `data`
holds step 0 of every sequence, then step 1 of those still running, and so on; `batch_sizes[t]`
says how many sequences are still running at step t. The recurrent layers then process at each
step only the sequences that still run, and h_n is each sequence's state at its own last step."""
from collections import namedtuple

import numpy as np

from ...ops import rnn as _rnn
from ...ops._core import wrap
from ...ops.arithmetic import type_name
from ...tensor import Tensor

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence",
           "pad_sequence", "unpad_sequence", "pack_sequence", "unpack_sequence"]

_PackedSequence = namedtuple("PackedSequence", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])


class PackedSequence(_PackedSequence):
    """Holds the data and list of `batch_sizes` of a packed sequence (made by pack_padded_sequence
    or pack_sequence, not by hand). For sequences `abc` and `x` the data is `axbc` with
    batch_sizes [2, 1, 1].

    Attributes:
        data: (sum of lengths, *) the steps, time-major
        batch_sizes: int64 tensor, the number of sequences running at each step
        sorted_indices: how the batch was sorted by length (None when it was given sorted)
        unsorted_indices: the inverse permutation, to restore the original order"""
    __slots__ = ()

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def cpu(self, *args, **kwargs):
        return self.to(*args, **kwargs)

    def cuda(self, *args, **kwargs):
        raise AssertionError("Torch not compiled with CUDA enabled")  # a CPU build's answer

    def double(self):
        return self.to(dtype=_dtype("float64"))

    def float(self):
        return self.to(dtype=_dtype("float32"))

    def half(self):
        return self.to(dtype=_dtype("float16"))

    def long(self):
        return self.to(dtype=_dtype("int64"))

    def int(self):
        return self.to(dtype=_dtype("int32"))

    def short(self):
        return self.to(dtype=_dtype("int16"))

    def char(self):
        return self.to(dtype=_dtype("int8"))

    def byte(self):
        return self.to(dtype=_dtype("uint8"))

    def pin_memory(self):
        return self

    def is_pinned(self):
        return False

    @property
    def is_cuda(self):
        return False


def _dtype(name):
    from ... import _dtype as d
    return d.to_dtype(name)


def _long(arr):
    return wrap(np.ascontiguousarray(arr, dtype=np.int64))


def invert_permutation(permutation):
    """The inverse of a permutation (None stays None)."""
    if permutation is None:
        return None
    p = permutation._data
    inv = np.empty_like(p)
    inv[p] = np.arange(p.shape[0], dtype=p.dtype)
    return wrap(inv)


def _lengths_array(lengths):
    if isinstance(lengths, Tensor):
        arr = lengths._data
        if arr.ndim != 1:
            raise RuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor, but got {arr.ndim}D cpu "
                               f"{type_name(arr.dtype)} tensor")
        return arr.astype(np.int64)
    return np.asarray([int(v) for v in lengths], dtype=np.int64).reshape(-1)




def _batch_sizes(sorted_lengths, T):
    """batch_sizes[t] = number of (length-sorted) sequences longer than t."""
    counts = np.bincount(sorted_lengths, minlength=T + 1)[:T + 1]
    return (sorted_lengths.shape[0] - np.cumsum(counts))[:T]


def _step_index(bs):
    """For each packed row: its time step and its position among the sequences running then."""
    T = bs.shape[0]
    t_idx = np.repeat(np.arange(T), bs)
    offs = np.concatenate([[0], np.cumsum(bs)[:-1]]).astype(np.int64) if T else bs
    return t_idx, np.arange(t_idx.shape[0]) - np.repeat(offs, bs)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch of variable-length sequences.

    Args:
        input: (T, B, *) padded sequences, or (B, T, *) with batch_first
        lengths: length of each sequence (list or 1-D int tensor)
        batch_first: if True, input is (B, T, *). Default: False
        enforce_sorted: if True, the sequences must be sorted by decreasing length; if False they
            are sorted here and the permutation is kept in the result. Default: True

    Returns:
        a PackedSequence"""
    lens = _lengths_array(lengths)
    x = input._data
    bdim = 0 if batch_first else 1
    if x.ndim < 2:
        raise RuntimeError(f"Dimension out of range (expected to be in range of [-{max(x.ndim, 1)}, "
                           f"{max(x.ndim, 1) - 1}], but got {bdim})")
    B, T = x.shape[bdim], x.shape[1 - bdim]
    if enforce_sorted:
        order = None
        if lens.shape[0] > 1 and np.any(lens[1:] > lens[:-1]):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. "
                               "You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence "
                               "to sidestep this requirement if you do not need ONNX exportability.")
    else:
        order = np.argsort(-lens, kind="stable")
        lens = lens[order]
    if lens.shape[0] != B:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {lens.shape[0]} "
                           f"(batch_size={B})")
    if B and lens[-1] <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' "
                           "that is <= 0")
    if B and lens[0] > T:
        raise RuntimeError(f"pack_padded_sequence: a sequence length ({int(lens[0])}) exceeds the padded "
                           f"length of the input ({T})")
    T = int(lens[0]) if B else 0
    bs = _batch_sizes(lens, T)
    t_idx, j_idx = _step_index(bs)
    b_idx = order[j_idx] if order is not None else j_idx
    index = (b_idx, t_idx) if batch_first else (t_idx, b_idx)
    data = _rnn.gather_rows(input, index, "PackPaddedSequenceBackward0")
    sorted_indices = _long(order) if order is not None else None
    return PackedSequence(data, _long(bs), sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Pad a packed batch back to (T, B, *) (or (B, T, *) with batch_first), in the original
    order. Returns (padded, lengths) with lengths an int64 tensor.

    Args:
        sequence: the PackedSequence
        batch_first: output (B, T, *) if True. Default: False
        padding_value: the value of the padded positions. Default: 0
        total_length: pad to this length instead of the longest sequence's"""
    bs = sequence.batch_sizes._data.astype(np.int64)
    T = bs.shape[0]
    if total_length is not None:
        if total_length < T:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in input, "
                             f"but got total_length={total_length} and max sequence length being {T}")
        T_out = total_length
    else:
        T_out = T
    B = int(bs[0]) if T else 0
    data = sequence.data
    # sequence j (in sorted order) runs for as many steps as have more than j sequences running
    lens = np.searchsorted(-bs, -np.arange(B), side="left").astype(np.int64)
    t_idx, j_idx = _step_index(bs)
    si = sequence.sorted_indices
    b_idx = si._data[j_idx] if si is not None else j_idx
    shape = ((B, T_out) if batch_first else (T_out, B)) + tuple(data._data.shape[1:])
    index = (b_idx, t_idx) if batch_first else (t_idx, b_idx)
    padded = _rnn.scatter_rows(data, shape, index, padding_value, "PadPackedSequenceBackward0")
    if si is not None:
        orig = np.empty_like(lens)
        orig[si._data] = lens
        lens = orig
    return padded, _long(lens)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack variable-length tensors (L_i, *) into one (T, B, *) tensor (B, T, * with batch_first),
    T the longest length, padding with `padding_value` on `padding_side` ("right" or "left")."""
    if isinstance(sequences, Tensor):
        sequences = tuple(sequences)
    try:
        sequences = tuple(sequences)
    except TypeError:
        raise RuntimeError("pad_sequence: Expected iterable for input sequences, but got arg of type: "
                           f"{type(sequences)}") from None
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    first = sequences[0]._data
    trailing = first.shape[1:]
    for s in sequences[1:]:
        shp = s._data.shape[1:]
        if shp != trailing:
            for d, (a, b) in enumerate(zip(trailing, shp)):
                if a != b:
                    raise RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b ({b}) at "
                                       f"non-singleton dimension {d + 1}")
            raise RuntimeError(f"pad_sequence: every sequence must have the trailing shape {tuple(trailing)}, got "
                               f"{tuple(shp)}")
    lens = [s._data.shape[0] for s in sequences]
    T, B = max(lens), len(sequences)
    shape = ((B, T) if batch_first else (T, B)) + tuple(trailing)
    out = np.full(shape, padding_value, dtype=first.dtype)
    spans = []
    for i, (s, n) in enumerate(zip(sequences, lens)):
        span = slice(0, n) if padding_side == "right" else slice(T - n, T)
        spans.append(span)
        out[(i, span) if batch_first else (span, i)] = s._data

    def backward(g):
        return tuple(g[(i, span) if batch_first else (span, i)].copy() for i, span in enumerate(spans))
    from ...ops._core import make
    return make(out, sequences, backward, "CopySlices")


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """Split a padded (T, B, *) tensor back into B tensors of their own lengths. Without
    batch_first the caller's tensor is left transposed to (B, T, *), as PyTorch's transpose_ leaves it."""
    x = padded_sequences if batch_first else padded_sequences.transpose_(0, 1)
    lens = _lengths_array(lengths)
    return [x[i, :int(n)] for i, n in enumerate(lens)]


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of variable-length tensors (L_i, *): pad_sequence then pack_padded_sequence."""
    lengths = [s._data.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """A PackedSequence back to the list of its tensors, in the original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
