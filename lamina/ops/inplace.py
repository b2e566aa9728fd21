"""In-place ops (`x.add_(y)`, `x[i] = v`, `x.zero_()`): one mechanism for all of them.

The new value is computed by the op's out-of-place function and written into the existing
array, so NumPy views of it see the change and its version counter moves on (a node that saved
it will refuse to run backward). When autograd is involved the tensor is rebased as PyTorch does:
its old value becomes the op's input and the tensor becomes the op's output. Writing through a
view also rebases the view's base (a CopySlices node: the base with the view's region replaced),
and the base's other views are re-pointed at the base's new value."""
import numpy as np

from ..autograd.grad_mode import _mode
from ..autograd.node import Node, edge
from ..tensor import Tensor
from ._core import make, wrap
from .arithmetic import type_name


_LEAF = "a leaf Variable that requires grad is being used in an in-place operation."
_VIEW_OF_LEAF = "a view of a leaf Variable that requires grad is being used in an in-place operation."
_NO_GRAD_VIEW = ("A view was created in no_grad mode and is being modified inplace with grad mode enabled. Given "
                 "that this use case is ambiguous and error-prone, it is forbidden. You can clarify your code by "
                 "moving both the view and the inplace either both inside the no_grad block (if you don't want "
                 "the inplace to be tracked) or both outside (if you want the inplace to be tracked).")


def check_inplace(t):
    """PyTorch's refusals: a leaf that requires grad (or a view of one) cannot be modified in
    place while grad mode is on, nor can a view made under no_grad of a tensor requiring grad."""
    if not _mode.grad:
        return
    base = getattr(t, "_base", None)
    if base is not None and base._requires_grad and t.grad_fn is None:  # a view made under no_grad
        raise RuntimeError(_NO_GRAD_VIEW)
    if t._requires_grad:
        if t.grad_fn is None:
            raise RuntimeError(_LEAF)
        if base is not None and base.grad_fn is None and base._requires_grad:
            raise RuntimeError(_VIEW_OF_LEAF)


check_leaf = check_inplace  # the older name


def _tracking(self, args, kwargs):
    if not _mode.grad:
        return False
    if self._requires_grad:
        return True
    for a in args:
        if isinstance(a, Tensor) and a._requires_grad:
            return True
    for a in kwargs.values():
        if isinstance(a, Tensor) and a._requires_grad:
            return True
    return False


def apply_inplace(self, fn, *args, **kwargs):
    """Run the out-of-place `fn(self, *args, **kwargs)` and make `self` hold the result."""
    check_inplace(self)
    if not _tracking(self, args, kwargs):
        write(self, fn(self, *args, **kwargs)._data)
        return self
    # The old value, detached from `self`'s memory so that writing the new value cannot change
    # what fn's backward saved; its edge is self's graph as it is now.
    old = wrap(self._data.copy())
    old.grad_fn = self.grad_fn
    old._requires_grad = self._requires_grad
    result = fn(old, *args, **kwargs)
    write(self, result._data)
    rebase(self, result.grad_fn)
    return self


def write(self, value, check_cast=True):
    """Copy `value` into self's array (broadcast, cast) and bump the version counter."""
    arr = self._data
    value = np.asarray(value)
    if value.shape != arr.shape and np.broadcast_shapes(value.shape, arr.shape) != arr.shape:
        raise RuntimeError(f"output with shape {list(arr.shape)} doesn't match the broadcast shape "
                           f"{list(np.broadcast_shapes(value.shape, arr.shape))}")
    if check_cast:
        _check_castable(value.dtype, arr.dtype)
    check_no_overlap(arr)
    np.copyto(arr, value, casting="unsafe")
    self._vc[0] += 1


def check_no_overlap(arr, region=None):
    """PyTorch's refusal to write into memory that several elements share: an expand()ed
    dimension (stride 0) of size > 1 in the region written (arr[region], all of arr by default).
    Read-only arrays are refused with the same words."""
    written = arr if region is None else arr[region]
    if not arr.flags.writeable or (isinstance(written, np.ndarray)  # not a single element
                                   and any(s == 0 and n > 1 for n, s in zip(written.shape, written.strides))):
        raise RuntimeError("unsupported operation: more than one element of the written-to tensor refers "
                           "to a single memory location. Please clone() the tensor before performing the "
                           "operation.")


def castable(src, dst):
    """PyTorch's rule for writing a result of NumPy dtype src into dst (in-place ops, out=,
    torch.can_cast): not down a kind (float to integer, integer to bool); integers among themselves."""
    return "biuf".index(dst.kind) >= "biuf".index(src.kind) or (src.kind in "iu" and dst.kind in "iu")


def _check_castable(result_dtype, self_dtype):
    if result_dtype != self_dtype and not castable(result_dtype, self_dtype):
        raise RuntimeError(f"result type {type_name(result_dtype)} can't be cast to the desired "
                           f"output type {type_name(self_dtype)}")


def overwrite(self, values, name):
    """Fill `self` with `values` (zero_, fill_, uniform_, ...): the old value gets zero gradient."""
    check_inplace(self)
    if _mode.grad and self._requires_grad:
        def fn(old):
            def backward(g):
                return (np.zeros_like(g),)
            return make(np.broadcast_to(np.asarray(values, dtype=old._data.dtype), old._data.shape), (old,),
                        backward, name)
        return apply_inplace(self, fn)
    write(self, values, check_cast=False)
    return self


def make_inplace(fn):
    """The `name_` method for an out-of-place op `fn`."""
    def method(self, *args, **kwargs):
        return apply_inplace(self, fn, *args, **kwargs)
    method.__name__ = fn.__name__ + "_"
    method.__doc__ = f"In-place version of {fn.__name__}()."
    return method


# ---- graph rebasing ---------------------------------------------------------------------------

def rebase(self, node):
    """`self` now holds the output of `node`; fix up the graph of its base and sibling views."""
    self.grad_fn = node
    self._requires_grad = node is not None
    base = getattr(self, "_base", None)
    if base is None:
        _refresh_views(self, None)
        return
    if node is None and not base._requires_grad:
        return
    base_arr, view_arr = base._data, self._data

    def backward(g):
        pos = _positions(base_arr, view_arr)
        gb = np.array(g, order="C")  # a fresh C-ordered copy, so flat indices address it
        flat = gb.reshape(-1)
        gv = flat[pos]
        flat[pos] = 0
        return gb, gv
    base.grad_fn = Node("CopySlices", backward, (edge(base), node), None)
    base._requires_grad = True
    _refresh_views(base, self)


def _refresh_views(base, skip):
    """Point every live view of `base` (except `skip`) at base's current graph."""
    views = getattr(base, "_views", None)
    if not views or base.grad_fn is None:
        return
    alive = []
    for r in views:
        v = r()
        if v is None:
            continue
        alive.append(r)
        if v is not skip:
            v.grad_fn = Node("AsStridedBackward0", _scatter_into(base._data, v._data), (base.grad_fn,), None)
            v._requires_grad = True
    base._views = alive


def _scatter_into(base_arr, view_arr):
    """Backward of a view regenerated from its base: put the view's gradient at its positions."""
    overlapping = 0 in view_arr.strides and view_arr.size > 1

    def backward(g):
        pos = _positions(base_arr, view_arr)
        gb = np.zeros(base_arr.shape, dtype=g.dtype)
        flat = gb.reshape(-1)
        if overlapping:
            np.add.at(flat, pos, g)
        else:
            flat[pos] = g
        return (gb,)
    return backward


def _offsets(arr):
    """Byte offset from arr's first element of every element, in C order."""
    off = np.zeros(arr.shape, dtype=np.intp)
    for d, (n, s) in enumerate(zip(arr.shape, arr.strides)):
        shape = [1] * arr.ndim
        shape[d] = n
        off = off + (np.arange(n, dtype=np.intp) * s).reshape(shape)
    return off


def _positions(base_arr, view_arr):
    """For each element of `view_arr` (which lies in base_arr's memory): its flat C-order index
    in base_arr."""
    start = view_arr.__array_interface__["data"][0] - base_arr.__array_interface__["data"][0]
    view_off = _offsets(view_arr) + start
    if base_arr.flags.c_contiguous:
        return view_off // base_arr.itemsize
    base_off = _offsets(base_arr).reshape(-1)
    order = np.argsort(base_off, kind="stable")
    return order[np.searchsorted(base_off[order], view_off)]
