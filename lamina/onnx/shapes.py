"""Reshaping, indexing and dtype conversion between layers: view/reshape, flatten, permute, cat,
split, expand, x[...], .float(), zeros_like, ... (see functions.py for the conventions).

Sizes that may follow a dynamic axis are never written as the traced numbers where ONNX can
express them relative to the input: Reshape copies a leading dimension with 0, Slice runs "to
the end" with INT64_MAX, Expand keeps an existing dimension with 1, *_like uses Shape."""
import numpy as np

from ..tensor import Tensor
from .builder import INT64_MAX
from .functions import _axes, _dims, _operand, _unsupported
from .registry import function


# ---- shapes -----------------------------------------------------------------------------------------------
def emit_reshape(ctx, input, target):
    """Reshape to `target` (PyTorch's, may hold one -1): leading dims equal to the input's are
    written as 0 ("copy"), so a dynamic batch stays dynamic; the others as given."""
    shape = list(input.shape)
    spec = list(target)
    resolved = list(spec)
    if -1 in spec:
        known = int(np.prod([s for s in spec if s != -1]))
        resolved[spec.index(-1)] = int(np.prod(shape)) // known if known else 0
    for i, (r, s) in enumerate(zip(resolved, shape)):
        if r != s:
            break
        spec[i] = 0
    if spec.count(0) == len(spec) and len(spec) == len(shape):
        return ctx.g.op("Identity", ctx.value(input))
    return ctx.g.reshape(ctx.value(input), spec)


@function("view", "reshape")
def _view(ctx, out, input, *shape):
    return emit_reshape(ctx, input, _dims(shape))


@function("view_as", "reshape_as")
def _view_as(ctx, out, input, other):
    return emit_reshape(ctx, input, list(other.shape))


@function("flatten")
def _flatten(ctx, out, input, start_dim=0, end_dim=-1):
    from .layers import emit_flatten
    return emit_flatten(ctx, ctx.value(input), input.shape, start_dim, end_dim)


@function("ravel")
def _ravel(ctx, out, input):
    return ctx.g.reshape(ctx.value(input), [-1])


@function("unflatten")
def _unflatten(ctx, out, input, dim, sizes):
    dim = dim % input.ndim
    return ctx.g.reshape(ctx.value(input), [0] * dim + list(out.shape[dim:dim + len(sizes)])
                         + [int(n) for n in input.shape[dim + 1:]])


@function("squeeze", "squeeze_")
def _squeeze(ctx, out, input, dim=None):
    axes = _axes(dim, input.ndim) if dim is not None else list(range(input.ndim))
    axes = [a for a in axes if input.shape[a] == 1]  # PyTorch leaves other dims alone
    return ctx.g.squeeze(ctx.value(input), axes) if axes else ctx.g.op("Identity", ctx.value(input))


@function("unsqueeze", "unsqueeze_")
def _unsqueeze(ctx, out, input, dim):
    return ctx.g.unsqueeze(ctx.value(input), [dim % (input.ndim + 1)])


def _perm_swap(ndim, d0, d1):
    perm = list(range(ndim))
    perm[d0 % ndim], perm[d1 % ndim] = perm[d1 % ndim], perm[d0 % ndim]
    return perm


@function("transpose", "transpose_", "swapaxes", "swapaxes_", "swapdims", "swapdims_")
def _transpose(ctx, out, input, dim0, dim1):
    if input.ndim < 2:
        return ctx.g.op("Identity", ctx.value(input))
    return ctx.g.transpose(ctx.value(input), _perm_swap(input.ndim, dim0, dim1))


@function("t", "t_")
def _t(ctx, out, input):
    return _transpose(ctx, out, input, 0, -1)


@function("T", "H")
def _T(ctx, out, input):
    return ctx.g.transpose(ctx.value(input), list(range(input.ndim - 1, -1, -1)))


@function("mT", "mH")
def _mT(ctx, out, input):
    return ctx.g.transpose(ctx.value(input), _perm_swap(input.ndim, -2, -1))


@function("permute")
def _permute(ctx, out, input, *dims):
    return ctx.g.transpose(ctx.value(input), [d % input.ndim for d in _dims(dims)])


@function("movedim", "moveaxis")
def _movedim(ctx, out, input, source, destination):
    n = input.ndim
    src = [s % n for s in (source if isinstance(source, (tuple, list)) else [source])]
    dst = [d % n for d in (destination if isinstance(destination, (tuple, list)) else [destination])]
    perm = [None] * n
    for s, d in zip(src, dst):
        perm[d] = s
    rest = iter(i for i in range(n) if i not in src)
    perm = [p if p is not None else next(rest) for p in perm]
    return ctx.g.transpose(ctx.value(input), perm)


@function("cat", "concat", "concatenate")
def _cat(ctx, out, tensors, dim=0, **kwargs):
    dt = out._data.dtype
    parts = [_operand(ctx, t, dt) for t in tensors if not (t.ndim == 1 and t.shape[0] == 0)]  # legacy empty
    return ctx.g.op("Concat", *parts, axis=dim % out.ndim)


@function("stack")
def _stack(ctx, out, tensors, dim=0, **kwargs):
    dim = dim % out.ndim
    dt = out._data.dtype
    return ctx.g.op("Concat", *(ctx.g.unsqueeze(_operand(ctx, t, dt), [dim]) for t in tensors), axis=dim)


@function("split", "chunk", "tensor_split")
def _split(ctx, out, input, *args, dim=0, **kwargs):
    if len(args) >= 2:
        dim = args[1]
    dim = dim % input.ndim
    return tuple(ctx.g.split(ctx.value(input), [int(o.shape[dim]) for o in out], dim))


@function("unbind")
def _unbind(ctx, out, input, dim=0):
    dim = dim % input.ndim
    parts = ctx.g.split(ctx.value(input), [1] * len(out), dim)
    return tuple(ctx.g.squeeze(p, [dim]) for p in parts)


@function("narrow")
def _narrow(ctx, out, input, dim, start, length):
    dim = dim % input.ndim
    start = int(start) % input.shape[dim] if int(start) < 0 else int(start)
    return ctx.g.slice(ctx.value(input), [start], [start + int(length)], [dim])


@function("select")
def _select(ctx, out, input, dim, index):
    return ctx.g.op("Gather", ctx.value(input), ctx.g.scalar(int(index), np.int64), axis=dim % input.ndim)


def _expand_shape(input, sizes):
    """Expand's target: -1 and sizes equal to the input's become 1 (Expand broadcasts, keeping the
    input's own, possibly dynamic, size)."""
    lead = len(sizes) - input.ndim
    return [1 if s == -1 or (i >= lead and input.shape[i - lead] == s) else int(s) for i, s in enumerate(sizes)]


@function("expand", "broadcast_to")
def _expand(ctx, out, input, *sizes):
    return ctx.g.op("Expand", ctx.value(input), ctx.g.ints(_expand_shape(input, _dims(sizes))))


@function("expand_as")
def _expand_as(ctx, out, input, other):
    return ctx.g.op("Expand", ctx.value(input), ctx.g.op("Shape", ctx.value(other)))


@function("repeat", "tile", "Tensor.tile")
def _repeat(ctx, out, input, *sizes, dims=None):
    reps = _dims(sizes if dims is None else (dims,))
    x = ctx.value(input)
    if len(reps) > input.ndim:
        x = ctx.g.unsqueeze(x, list(range(len(reps) - input.ndim)))
    else:  # tile pads the repeats with leading 1s
        reps = [1] * (input.ndim - len(reps)) + reps
    return ctx.g.op("Tile", x, ctx.g.ints(reps))


@function("flip", "Tensor.flip")  # the method also takes the dims one by one
def _flip(ctx, out, input, *dims, **kw):
    axes = [d % input.ndim for d in _dims(dims or (kw["dims"],))]
    n = len(axes)
    return ctx.g.slice(ctx.value(input), [-1] * n, [-INT64_MAX - 1] * n, axes, [-1] * n)


@function("gather", "take_along_dim")
def _gather(ctx, out, input, dim, index, **kwargs):
    if isinstance(dim, Tensor):  # take_along_dim(input, indices, dim)
        dim, index = index, dim
    return ctx.g.op("GatherElements", ctx.value(input), ctx.value(index), axis=dim % input.ndim)


@function("index_select")
def _index_select(ctx, out, input, dim, index):
    return ctx.g.op("Gather", ctx.value(input), ctx.value(index), axis=dim % input.ndim)


def _trilu(upper, *names):
    @function(*names)
    def convert(ctx, out, input, diagonal=0):
        if ctx.g.opset < 14:
            _unsupported(f"{names[0]} at opset 13", "ONNX's Trilu needs opset 14")
        return ctx.g.op("Trilu", ctx.value(input), ctx.g.scalar(int(diagonal), np.int64), upper=upper)
    return convert


_trilu(0, "tril", "tril_")
_trilu(1, "triu", "triu_")


# ---- indexing -------------------------------------------------------------------------------------------
@function("__getitem__")
def _getitem(ctx, out, input, index):
    """Basic indexing (ints, slices, None, ...) and one integer tensor / list index."""
    g = ctx.g
    items = list(index) if isinstance(index, tuple) else [index]
    if any(isinstance(i, Tensor) and i._data.dtype == np.bool_ for i in items):
        _unsupported("boolean mask indexing", "its result size depends on the data")
    n_real = sum(1 for i in items if i is not None and i is not Ellipsis)
    if Ellipsis in items:
        e = items.index(Ellipsis)
        items[e:e + 1] = [slice(None)] * (input.ndim - n_real)
    items += [slice(None)] * (input.ndim - sum(1 for i in items if i is not None))
    x = ctx.value(input)
    starts, ends, axes, steps = [], [], [], []
    gathers, new_axes = [], []
    axis = out_axis = 0
    for item in items:
        if item is None:
            new_axes.append(out_axis)
            out_axis += 1
            continue
        if isinstance(item, slice):
            start, stop, step = item.start, item.stop, item.step or 1
            if step < 0:
                _unsupported("negative slice steps", "PyTorch does not allow them either")
            if (start or 0) != 0 or stop is not None or step != 1:
                starts.append(int(start or 0))
                ends.append(INT64_MAX if stop is None else int(stop))
                axes.append(axis)
                steps.append(step)
            out_axis += 1
        elif isinstance(item, (Tensor, list, np.ndarray)):
            gathers.append((axis, item, True))
            out_axis += 1 if not isinstance(item, Tensor) or item.ndim == 1 else item.ndim
        else:
            gathers.append((axis, int(item), False))
        axis += 1
    if len([gt for gt in gathers if gt[2]]) > 1:
        _unsupported("indexing with several index tensors", "only one tensor / list index is exported")
    if starts:
        x = g.slice(x, starts, ends, axes, steps)
    # gather from the last axis first so the earlier axis numbers stay valid
    for axis, item, is_tensor in sorted(gathers, key=lambda t: -t[0]):
        if is_tensor:
            idx = ctx.value(item) if isinstance(item, Tensor) else g.const(np.asarray(item, dtype=np.int64), "index")
        else:
            idx = g.scalar(item, np.int64)
        x = g.op("Gather", x, idx, axis=axis)
    if new_axes:
        x = g.unsqueeze(x, new_axes)
    if x == ctx.value(input):
        x = g.op("Identity", x)
    return x


# ---- dtype conversion and creation from a live tensor -------------------------------------------------------
@function("to", "type", "float", "double", "half", "long", "int", "short", "char", "byte", "bool", "type_as")
def _cast(ctx, out, input, *args, **kwargs):
    if not isinstance(out, Tensor):  # x.type() with no dtype returns a string
        return None
    x = ctx.value(input)
    return ctx.g.cast(x, out._data.dtype) if out._data.dtype != input._data.dtype else ctx.g.op("Identity", x)


def _like(fill):
    def convert(ctx, out, input, *args, **kwargs):
        g = ctx.g
        value = fill if fill is not None else (args[0] if args else kwargs["fill_value"])
        return g.op("Expand", g.scalar(value, out._data.dtype), g.op("Shape", ctx.value(input)))
    return convert


function("zeros_like")(_like(0))
function("ones_like")(_like(1))
function("full_like")(_like(None))
