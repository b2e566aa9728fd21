"""out= for the top-level functions whose PyTorch forms take it (torch.add(a, b, out=c)).

The op functions themselves have no out parameter; lamina/__init__.py exports these names
wrapped by `with_out`, which runs the op and writes its result into `out` as PyTorch does: cast
to out's dtype where PyTorch's cast rule allows it, out resized (with PyTorch's warning) when its
shape differs, out itself returned. Methods (x.add) and operators are not wrapped and pay nothing.
Ops with several results (max with dim, sort, topk, ...) take a tuple of tensors.

Autograd does not record through out=: as in PyTorch, an argument (or out) that requires grad
while grad mode is on is an error."""
import functools

from ..autograd.grad_mode import _mode, no_grad
from ..tensor import Tensor
from ._core import fill_out
from .arithmetic import type_name
from .inplace import castable

# the top-level functions that take out= in PyTorch and not already in lamina
OUT_FUNCTIONS = (
    "add", "addbmm", "addcdiv", "addcmul", "addmm", "addmv", "addr", "all", "amax", "amin", "aminmax", "baddbmm",
    "bitwise_left_shift", "bitwise_not", "bitwise_right_shift", "bmm", "bucketize", "ceil", "cholesky",
    "cholesky_inverse", "cholesky_solve", "clamp", "clip", "column_stack", "copysign", "cos", "cosh", "cross",
    "cummax", "cummin", "cumprod", "cumsum", "deg2rad", "diag", "digamma", "div", "divide", "dot", "dstack", "erf",
    "erfc", "erfinv", "exp", "exp2", "expm1", "fix", "float_power", "floor", "floor_divide", "fmax", "fmin", "fmod",
    "frac", "frexp", "gather", "gcd", "ger", "heaviside", "histc", "hstack", "hypot", "i0", "igamma", "igammac",
    "index_select", "inner", "inverse", "isneginf", "isposinf", "kron", "kthvalue", "lcm", "ldexp", "lerp", "lgamma",
    "log", "log1p", "logaddexp", "logaddexp2", "logcumsumexp", "logit", "logsumexp", "lu_solve", "lu_unpack",
    "masked_select", "matmul", "matrix_power", "max", "maximum", "min", "minimum", "mm", "mode", "mul", "multiply",
    "mv", "mvlgamma", "nan_to_num", "nanmean", "nanquantile", "narrow_copy", "neg", "negative", "nextafter",
    "nonzero", "outer", "polygamma", "pow", "quantile", "reciprocal", "remainder", "renorm", "round", "row_stack",
    "rsqrt", "searchsorted", "sgn", "sigmoid", "sign", "signbit", "sin", "sinc", "sinh", "sort", "sqrt", "std",
    "std_mean", "sub", "subtract", "svd", "take_along_dim", "tan", "tanh", "topk", "triangular_solve", "tril", "triu",
    "trunc", "var", "var_mean", "vdot", "vstack", "where", "xlogy",
    "abs", "acos", "acosh", "any", "asin", "asinh", "atan", "atan2", "atanh", "diff", "log10", "log2", "mean",
    "median", "msort", "nanmedian", "norm", "rad2deg", "square",
)


def with_out(fn, name):
    """fn with PyTorch's keyword-only out= (None: fn itself, at the cost of one call); `name`
    is the function's public name, which PyTorch's errors give."""

    @functools.wraps(fn)
    def call(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        return _into(out, name, fn, args, kwargs)
    return call


def _into(out, name, fn, args, kwargs):
    outs = tuple(out) if isinstance(out, (tuple, list)) else (out,)
    if not all(isinstance(o, Tensor) for o in outs):
        bad = next(o for o in outs if not isinstance(o, Tensor))
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(bad).__name__}")
    inputs = [a for a in args if isinstance(a, Tensor)] + [v for v in kwargs.values() if isinstance(v, Tensor)]
    if _mode.grad and any(t._requires_grad for t in inputs + list(outs)):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic differentiation, "
                           "but one of the arguments requires grad.")
    with no_grad():
        result = fn(*args, **kwargs)
    results = result if isinstance(result, tuple) else (result,)
    if len(results) != len(outs):
        raise TypeError(f"{name}(): expected {len(results)} output tensor{'s' if len(results) > 1 else ''} for out=, "
                        f"got {len(outs)}")
    for o, r in zip(outs, results):
        have, want = r._data.dtype, o._data.dtype
        if have != want and not castable(have, want):
            raise RuntimeError(f"result type {type_name(have)} can't be cast to the desired output type "
                               f"{type_name(want)}")
    for o, r in zip(outs, results):
        fill_out(o, r._data)
    if not isinstance(result, tuple):
        return out
    return type(result)(*outs) if hasattr(result, "_fields") else tuple(outs)


def add_out_args(namespace):
    """Replace each OUT_FUNCTIONS name in `namespace` (lamina's globals) by its with_out form."""
    for name in OUT_FUNCTIONS:
        fn = namespace.get(name)
        if fn is not None:
            namespace[name] = with_out(fn, name)
