"""Elementwise arithmetic with broadcasting: + - * / ** and friends, each forward beside its
backward. Operands follow PyTorch's type promotion (int tensor + float scalar is float32, a 0-d
float64 tensor does not upcast a float32 tensor, ...; see `binary_operands`).

The common case — two tensors of one dtype — takes a short path in add/sub/mul/div: no promotion
call, and when the shapes also match, a backward that hands the gradient straight through."""
import warnings

import numpy as np

from ..tensor import Tensor
from ._core import as_tensor, binary_operands, broadcast_error, float_dtype_of, make, unbroadcast
from .pointwise import _zeros_of, select

__all__ = ["add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "floor_divide",
           "remainder", "fmod", "pow", "neg", "negative", "abs", "absolute", "sign", "rsub",
           "maximum", "minimum", "clamp", "clip", "clamp_min", "clamp_max", "where", "lerp", "square",
           "reciprocal", "addcmul", "addcdiv", "fmax", "fmin"]
METHODS = ["add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "floor_divide",
           "remainder", "fmod", "pow", "neg", "negative", "abs", "absolute", "sign", "maximum", "minimum",
           "clamp", "clip", "clamp_min", "clamp_max", "lerp", "square", "reciprocal", "addcmul", "addcdiv",
           "fmax", "fmin", ("where", lambda self, condition, other: where(condition, self, other))]
INPLACE = ["add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "floor_divide",
           "remainder", "fmod", "pow", "neg", "negative", "abs", "absolute", "sign", "clamp", "clip",
           "clamp_min", "clamp_max", "lerp", "square", "reciprocal", "addcmul", "addcdiv"]

# PyTorch gives inf and nan silently where NumPy warns (x / 0, exp overflow, log of a negative).
# np.errstate around each op would cost microseconds per call, so NumPy's floating-point warnings
# are ignored instead when they are raised from lamina's own code; user code is untouched.
warnings.filterwarnings("ignore", message=r"(divide by zero|overflow|underflow|invalid value) encountered",
                        category=RuntimeWarning, module=r"lamina(\.|$)")

_TYPE_NAME = {"float16": "Half", "float32": "Float", "float64": "Double", "int64": "Long", "int32": "Int",
              "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool", "uint16": "UInt16",
              "uint32": "UInt32", "uint64": "UInt64"}


def type_name(np_dtype):
    """PyTorch's scalar-type name of a NumPy dtype, as its error messages print it ('Float')."""
    return _TYPE_NAME[np_dtype.name]


def _lift(input, other):
    """torch.add(2, x): a Python scalar in first place becomes a 0-d tensor of the promoted type."""
    return input if isinstance(input, Tensor) else as_tensor(input, other if isinstance(other, Tensor) else None)


def _grad_for(g, shape, dtype):
    """A gradient for an operand of `shape` and `dtype`: un-broadcast, and cast back when the op
    promoted the operand (float32 + float64 → the float32 side gets a float32 gradient)."""
    g = unbroadcast(g, shape)
    return g if g.dtype == dtype else g.astype(dtype)


def _operands(input, other):
    """(x, y, parents) for a binary op whose second operand may be a Python scalar."""
    x, y, _ = binary_operands(input, other)
    return x, y, ((input, other) if isinstance(other, Tensor) else (input,))


def _check_integral_zero(y):
    if y.dtype.kind in "iub" and not np.all(y):
        raise RuntimeError("ZeroDivisionError")


def _no_derivative(name):
    def backward(g):
        raise RuntimeError(f"derivative for aten::{name} is not implemented")
    return backward


# ---- + - -----------------------------------------------------------------------------------

def _check_alpha(dt, alpha):
    if isinstance(alpha, bool) and dt != np.bool_:
        raise RuntimeError("Boolean alpha only supported for Boolean results.")
    if isinstance(alpha, float) and dt.kind in "iub":
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating point number.")


def add(input, other, *, alpha=1):
    """out = input + alpha × other, broadcast."""
    if isinstance(other, Tensor):
        if not isinstance(input, Tensor):
            input = _lift(input, other)
        x, y = input._data, other._data
        if x.dtype == y.dtype and x.shape == y.shape and alpha == 1 and alpha is not True:
            return make(x + y, (input, other), _to_both, "AddBackward0")
        return _add_general(input, other, x, y, alpha)
    x, y, _ = binary_operands(input, other)
    if alpha != 1 or alpha is True:
        _check_alpha(x.dtype, alpha)
        y = y * alpha
    return make(x + y, (input,), _pass_through, "AddBackward0")


def _to_both(g):
    return g, g


def _add_general(input, other, x, y, alpha):
    if x.dtype != y.dtype:
        x, y, _ = binary_operands(input, other)
    if alpha != 1 or alpha is True:
        _check_alpha(x.dtype, alpha)
        return _add_scaled(input, other, x, y, alpha)
    try:
        out = x + y
    except ValueError:
        raise broadcast_error(x.shape, y.shape) from None
    xs, ys, xdt, ydt = x.shape, y.shape, input._data.dtype, other._data.dtype

    def backward(g):
        return _grad_for(g, xs, xdt), _grad_for(g, ys, ydt)
    return make(out, (input, other), backward, "AddBackward0")


def _pass_through(g):
    return (g,)


def _add_scaled(input, other, x, y, alpha):
    try:
        out = x + y * alpha
    except ValueError:
        raise broadcast_error(x.shape, y.shape) from None
    xs, ys, xdt, ydt = x.shape, y.shape, input._data.dtype, other._data.dtype

    def backward(g):
        return _grad_for(g, xs, xdt), _grad_for(g * alpha, ys, ydt)
    return make(out, (input, other), backward, "AddBackward0")


def _check_sub_bool(x, other):
    other_bool = other._data.dtype == np.bool_ if isinstance(other, Tensor) else isinstance(other, bool)
    if x.dtype == np.bool_ and other_bool:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")
    if x.dtype == np.bool_ or other_bool:
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead.")


def sub(input, other, *, alpha=1):
    """out = input − alpha × other, broadcast."""
    if isinstance(other, Tensor):
        if not isinstance(input, Tensor):
            input = _lift(input, other)
        x, y = input._data, other._data
        if x.dtype == y.dtype and x.shape == y.shape and x.dtype != np.bool_ and alpha == 1 and alpha is not True:
            return make(x - y, (input, other), _to_both_negated, "SubBackward0")
        return _sub_general(input, other, x, y, alpha)
    _check_sub_bool(input._data, other)
    x, y, _ = binary_operands(input, other)
    if alpha != 1 or alpha is True:
        _check_alpha(x.dtype, alpha)
        y = y * alpha
    return make(x - y, (input,), _pass_through, "SubBackward0")


def _to_both_negated(g):
    return g, -g


def _sub_general(input, other, x, y, alpha):
    if x.dtype != y.dtype or x.dtype == np.bool_:
        _check_sub_bool(x, other)
        x, y, _ = binary_operands(input, other)
    if alpha != 1 or alpha is True:
        _check_alpha(x.dtype, alpha)
        return _add_scaled(input, other, x, y, -alpha)
    try:
        out = x - y
    except ValueError:
        raise broadcast_error(x.shape, y.shape) from None
    xs, ys, xdt, ydt = x.shape, y.shape, input._data.dtype, other._data.dtype

    def backward(g):
        return _grad_for(g, xs, xdt), _grad_for(-g, ys, ydt)
    return make(out, (input, other), backward, "SubBackward0")


subtract = sub


def rsub(input, other, *, alpha=1):
    """out = other − alpha × input (what `2 - x` calls)."""
    if isinstance(other, Tensor):
        return sub(other, input, alpha=alpha)
    _check_sub_bool(input._data, other)
    x, y, _ = binary_operands(input, other)
    if alpha != 1 or alpha is True:
        _check_alpha(x.dtype, alpha)
        x = x * alpha

    def backward(g):
        return (-g if alpha == 1 else g * -alpha,)
    return make(y - x, (input,), backward, "RsubBackward1")


# ---- * / ------------------------------------------------------------------------------------

def mul(input, other):
    """out = input × other, broadcast."""
    if isinstance(other, Tensor):
        if not isinstance(input, Tensor):
            input = _lift(input, other)
        x, y = input._data, other._data
        if x.dtype == y.dtype and x.shape == y.shape:
            def backward(g):
                return (g * y if input._requires_grad else None, g * x if other._requires_grad else None)
            return make(x * y, (input, other), backward, "MulBackward0", saved=(input, other))
        return _mul_general(input, other, x, y)
    x, y, _ = binary_operands(input, other)

    def backward(g):
        return (g * y,)
    # saved=(): the scalar counts as saved, as in PyTorch, so a second backward raises there too
    return make(x * y, (input,), backward, "MulBackward0", saved=())


def _mul_general(input, other, x, y):
    if x.dtype != y.dtype:
        x, y, _ = binary_operands(input, other)
    try:
        out = x * y
    except ValueError:
        raise broadcast_error(x.shape, y.shape) from None
    xs, ys, xdt, ydt = x.shape, y.shape, input._data.dtype, other._data.dtype

    def backward(g):
        return (_grad_for(g * y, xs, xdt) if input._requires_grad else None,
                _grad_for(g * x, ys, ydt) if other._requires_grad else None)
    return make(out, (input, other), backward, "MulBackward0", saved=(input, other))


multiply = mul


def div(input, other, *, rounding_mode=None):
    """out = input / other (true division: integers divide as floats), broadcast.
    rounding_mode 'trunc' rounds towards zero, 'floor' towards −∞ (those have zero gradient)."""
    if rounding_mode is not None:
        return _rounding_div(input, other, rounding_mode)
    if not isinstance(input, Tensor):
        input = _lift(input, other)
    if isinstance(other, Tensor):
        x, y = input._data, other._data
        if x.dtype != y.dtype or x.dtype.kind != "f":
            x, y, dt = binary_operands(input, other)
            if dt.kind != "f":
                x, y = x.astype(float_dtype_of(dt)), y.astype(float_dtype_of(dt))
        try:
            out = x / y
        except ValueError:
            raise broadcast_error(x.shape, y.shape) from None
        xs, ys, xdt, ydt = x.shape, y.shape, input._data.dtype, other._data.dtype

        def backward(g):
            gx = g / y
            return (_grad_for(gx, xs, xdt) if input._requires_grad else None,
                    _grad_for(-gx * out, ys, ydt) if other._requires_grad else None)
        return make(out, (input, other), backward, "DivBackward0", saved=(input, other), save_output=True)
    x, y, dt = binary_operands(input, other)
    if dt.kind != "f":  # the number as it is, not wrapped into the integer dtype: uint8 / 256 is 0.5
        fdt = float_dtype_of(dt)
        x, y = x.astype(fdt), fdt.type(_number(other))

    def backward(g):
        return (g / y,)
    return make(x / y, (input,), backward, "DivBackward0", saved=())  # the divisor counts as saved (as mul's)


divide = true_divide = div


def _number(value):
    """A Python or NumPy scalar as the Python number it holds."""
    return value.item() if isinstance(value, np.generic) else value


def rdiv(input, other):
    """out = other / input for a scalar `other` (what `2 / x` calls), as PyTorch computes it:
    other · reciprocal(x), so the bits match and the backward keeps 1/x, not x (x may then be
    changed in place, as in PyTorch)."""
    if isinstance(other, Tensor):
        return div(other, input)
    x, y, dt = binary_operands(input, other)
    if dt.kind != "f":
        fdt = float_dtype_of(dt)
        x, y = x.astype(fdt), fdt.type(_number(other))
    with np.errstate(divide="ignore"):
        r = np.reciprocal(x)
    out = r * y

    def backward(g):
        return (-(g * r * r) * y,)
    return make(out, (input,), backward, "MulBackward0", saved=())


def _trunc_divide(x, y):
    if x.dtype.kind == "f":
        return np.trunc(x / y)
    return (x - np.fmod(x, y)) // y  # exact for integers, unlike going through floats


def _rounding_div(input, other, mode):
    if mode not in ("trunc", "floor"):
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{mode}'")
    input = _lift(input, other)
    x, y, parents = _operands(input, other)
    _check_integral_zero(np.asarray(y))
    try:
        out = _trunc_divide(x, y) if mode == "trunc" else np.floor_divide(x, y)
    except ValueError:
        raise broadcast_error(x.shape, np.shape(y)) from None
    xs, ys = x.shape, np.shape(y)

    def backward(g):
        return tuple(np.zeros(s, g.dtype) for s in (xs, ys)[:len(parents)])
    return make(out, parents, backward, "DivBackward2")


def floor_divide(input, other):
    """out = ⌊input / other⌋ (rounds towards −∞, like Python's //)."""
    input = _lift(input, other)
    x, y, parents = _operands(input, other)
    _check_integral_zero(np.asarray(y))
    try:
        out = np.floor_divide(x, y)
    except ValueError:
        raise broadcast_error(x.shape, np.shape(y)) from None
    return make(out, parents, _no_derivative("floor_divide"), "NotImplemented")


def _modulo(name, fn, quotient, doc):
    """A modulo op out = fn(x, y) = x - quotient(x, y)·y: d/d input = 1, d/d other = -quotient."""
    def op(input, other):
        input = _lift(input, other)
        x, y, parents = _operands(input, other)
        _check_integral_zero(np.asarray(y))
        try:
            out = fn(x, y)
        except ValueError:
            raise broadcast_error(x.shape, np.shape(y)) from None
        xs, ys, xdt = x.shape, np.shape(y), input._data.dtype

        def backward(g):
            gx = _grad_for(g, xs, xdt) if input._requires_grad else None
            if len(parents) == 1:
                return (gx,)
            gy = None
            if other._requires_grad:
                gy = _grad_for(-g * quotient(x, y), ys, other._data.dtype)
            return gx, gy
        return make(out, parents, backward, name, saved=parents)
    op.__name__ = op.__qualname__ = name[:-len("Backward0")].lower()
    op.__doc__ = doc
    return op


remainder = _modulo("RemainderBackward0", np.mod, np.floor_divide,
                    "Python's modulo: the result takes the sign of the divisor. d/d input = 1.")
fmod = _modulo("FmodBackward0", np.fmod, lambda x, y: np.trunc(x / y),
               "C's fmod: the result takes the sign of the dividend. d/d input = 1.")


# ---- ** -------------------------------------------------------------------------------------

def _int_power(x, e):
    """Integer power where negative exponents follow PyTorch (1 and −1 stay ±1, the rest give 0)."""
    neg = e < 0
    if not np.any(neg):
        return np.power(x, e)
    out = np.power(x, np.where(neg, 0, e))
    small = np.where(x == -1, np.where(e % 2 == 0, 1, -1), np.where(x == 1, 1, 0)).astype(out.dtype)
    return np.where(neg, small, out)


def pow(input, exponent):
    """out = input ** exponent, broadcast. Either side may be a Python number.

    d/d input = exponent · input^(exponent−1) (0 where exponent is 0);
    d/d exponent = out · log(input) (0 where input is 0 and exponent ≥ 0)."""
    if not isinstance(input, Tensor):
        if isinstance(input, np.ndarray):
            input = as_tensor(input)
        else:
            return _scalar_pow(input, exponent)
    if isinstance(exponent, np.ndarray):
        exponent = as_tensor(exponent)
    if not isinstance(exponent, Tensor):
        x, e, dt = binary_operands(input, exponent)
        if dt.kind in "iub" and e < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        if e == 2:
            out = x * x
        else:
            out = np.power(x, e)

        def backward(g):
            if e == 0:
                return (np.zeros_like(g),)
            if e == 2:
                return (g * (x + x),)
            return (g * (e * np.power(x, e - 1)),)
        return make(out, (input,), backward, "PowBackward0", saved=(input,))
    x, e, dt = binary_operands(input, exponent)
    try:
        out = _int_power(x, e) if dt.kind in "iu" else np.power(x, e)
    except ValueError:
        raise broadcast_error(x.shape, e.shape) from None
    xs, es = x.shape, e.shape

    def backward(g):
        gx = ge = None
        if input._requires_grad:
            gx = np.where(e == 0, 0.0, g * e * np.power(x, e - 1)).astype(g.dtype, copy=False)
            gx = _grad_for(gx, xs, input._data.dtype)
        if exponent._requires_grad:
            ge = np.where((x == 0) & (e >= 0), 0.0, g * out * np.log(x)).astype(g.dtype, copy=False)
            ge = _grad_for(ge, es, exponent._data.dtype)
        return gx, ge
    return make(out, (input, exponent), backward, "PowBackward1", saved=(input, exponent), save_output=True)


def _scalar_pow(base, exponent):
    """base ** tensor for a Python number base."""
    e, b, dt = binary_operands(exponent, base)
    out = _int_power(np.asarray(b), e) if dt.kind in "iu" else np.power(b, e)
    log_base = None
    if dt.kind == "f":
        log_base = float(np.log(base)) if base > 0 else (float("-inf") if base == 0 else float("nan"))
    zero_ok = base == 0

    def backward(g):
        ge = g * out * log_base
        if zero_ok:  # 0 ** e has zero gradient where e >= 0
            ge = np.where(e >= 0, 0.0, ge).astype(g.dtype, copy=False)
        return (ge,)
    return make(out, (exponent,), backward, "PowBackward2", saved=(), save_output=True)


def square(input):
    """out = input²."""
    return pow(input, 2)


def reciprocal(input):
    """out = 1 / input (integers give floats)."""
    x = input._data
    if x.dtype.kind != "f":
        x = x.astype(float_dtype_of(x.dtype))
    out = 1 / x

    def backward(g):
        return (-g * out * out,)
    return make(out, (input,), backward, "ReciprocalBackward0", saved=(), save_output=True)


# ---- unary ----------------------------------------------------------------------------------

def neg(input):
    """out = −input."""
    if input._data.dtype == np.bool_:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you are "
                           "trying to invert a mask, use the `~` or `logical_not()` operator instead.")

    def backward(g):
        return (-g,)
    return make(-input._data, (input,), backward, "NegBackward0")


negative = neg


def abs_grad_sign(x):
    """sign(x) as |x|'s derivative: 0 at 0 and, as in PyTorch's backward, 0 at NaN (np.sign gives NaN)."""
    s = np.sign(x, out=np.empty(np.shape(x), np.result_type(x)))  # an array even for 0-d x
    if s.dtype.kind == "f":
        np.copyto(s, 0, where=np.isnan(s))
    return s


def abs(input):
    """out = |input|. d/d input = sign(input), so 0 at 0 (and at NaN, as in PyTorch)."""
    x = input._data
    if x.dtype == np.bool_:
        raise NotImplementedError("\"abs_cpu\" not implemented for 'Bool'")

    def backward(g):
        return (g * abs_grad_sign(x),)
    return make(np.abs(x), (input,), backward, "AbsBackward0", saved=(input,))


absolute = abs


def sign(input):
    """out = −1, 0 or 1 by the sign of input (bool stays bool). Zero gradient."""
    x = input._data
    if x.dtype == np.bool_:
        out = x.copy()
    else:
        out = np.sign(x)
        if x.dtype.kind == "f":
            out = np.where(np.isnan(x), 0, out)  # PyTorch: sign(nan) = 0

    def backward(g):
        return (np.zeros_like(g),)
    return make(out, (input,), backward, "SignBackward0")


# ---- selection: maximum, minimum, clamp, where -----------------------------------------------

def _require_tensor(name, other):
    if not isinstance(other, Tensor):
        raise TypeError(f"{name}(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")


def _selection(name, forward, weights):
    """maximum/minimum/fmax/fmin. `weights(x, y)` gives the share of the gradient each side gets
    (PyTorch: maximum splits a tie evenly, fmax gives it to input; NaN rules differ too)."""
    def op(input, other):
        _require_tensor(name, other)
        x, y, _ = binary_operands(input, other)
        try:
            out = forward(x, y)
        except ValueError:
            raise broadcast_error(x.shape, y.shape) from None
        xs, ys = x.shape, y.shape

        def backward(g):
            wx, wy = weights(x, y)
            return (_grad_for(g * wx.astype(g.dtype), xs, input._data.dtype) if input._requires_grad else None,
                    _grad_for(g * wy.astype(g.dtype), ys, other._data.dtype) if other._requires_grad else None)
        return make(out, (input, other), backward, name.title() + "Backward0", saved=(input, other))
    op.__name__ = name
    return op


def _split_tie(first_loses):
    def weights(x, y):
        tie = (x == y) * 0.5
        # NaN compares false everywhere, so both sides keep the whole gradient, as in PyTorch
        return 1 - first_loses(x, y) - tie, 1 - first_loses(y, x) - tie
    return weights


def _to_first(first_wins):
    def weights(x, y):
        w = first_wins(x, y)
        return w, ~w
    return weights


maximum = _selection("maximum", np.maximum, _split_tie(np.less))
minimum = _selection("minimum", np.minimum, _split_tie(np.greater))
fmax = _selection("fmax", np.fmax, _to_first(lambda x, y: (x >= y) | np.isnan(y)))
fmin = _selection("fmin", np.fmin, _to_first(lambda x, y: (x <= y) | np.isnan(y)))


def clamp(input, min=None, max=None):
    """out = min(max(input, min), max). The gradient flows to input where min ≤ input ≤ max,
    and to a tensor bound where it is the one chosen."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        return _clamp_tensor(input, min, max)
    x = input._data
    if x.dtype.kind == "f":
        dt = x.dtype
    else:
        from .._dtype import result_type
        dt = result_type(input, *(b for b in (min, max) if b is not None)).np
        x = x.astype(dt, copy=False)
        if dt.kind in "iu":
            min, max = _integer_bound(min, dt), _integer_bound(max, dt)
    if (min is None or max is None) and x.flags.c_contiguous and x.size >= 1024:
        # one bound: NumPy's clip, and maximum/minimum against a number, run a loop that is not
        # vectorised; against an array filled with the bound they are (128x256: 21 -> 10 us)
        out = np.empty(x.shape, dt)
        out.fill(max if min is None else min)  # the number rounded to dt, as a weak scalar is
        (np.minimum if min is None else np.maximum)(x, out, out=out)
    else:
        out = np.clip(x, min, max)  # Python-number bounds are weak: float32 stays float32
    if out.dtype != dt:
        out = out.astype(dt)

    def backward(g):
        if min is None:
            keep = x <= max
        elif max is None:
            keep = x >= min
        else:
            keep = (x >= min) & (x <= max)
        # a select, as PyTorch's: a NaN gradient does not leak where clamped
        zeros = _zeros_of(g)
        return (np.where(keep, g, 0) if zeros is None else select(keep, g, zeros),)
    return make(out, (input,), backward, "ClampBackward1", saved=(input,))


clip = clamp

_C_TYPES = {"int8": "int8_t", "uint8": "uint8_t", "int16": "int16_t", "int32": "int", "int64": "int64_t"}


def _integer_bound(bound, dt):
    """A Python-number bound of an integer clamp as PyTorch converts it to the tensor's type
    (_dtype.int_range): its error where it does not fit, uint8's -255..-1 taken modulo 256."""
    if bound is None or isinstance(bound, bool) or dt.name not in _C_TYPES:
        return bound
    from .._dtype import int_range
    bound = int(bound)
    lo, hi = int_range(dt)
    if not lo <= bound <= hi:
        raise RuntimeError(f"value cannot be converted to type {_C_TYPES[dt.name]} without overflow")
    return bound % (hi + 1) if bound < 0 and dt.kind == "u" else bound


def clamp_min(input, min):
    return clamp(input, min=min)


def clamp_max(input, max):
    return clamp(input, max=max)


def _clamp_tensor(input, min, max):
    # PyTorch's rule: input gets the gradient where min ≤ input ≤ max; min where input < min < max;
    # max where max < input or max < min. (So when min == max > input, nobody gets it.)
    from .._dtype import result_type
    lo_t = as_tensor(min, input) if min is not None else None
    hi_t = as_tensor(max, input) if max is not None else None
    parents = tuple(t for t in (input, lo_t, hi_t) if t is not None)
    dt = result_type(*parents).np
    x = input._data.astype(dt, copy=False)
    lo = lo_t._data.astype(dt, copy=False) if lo_t is not None else None
    hi = hi_t._data.astype(dt, copy=False) if hi_t is not None else None
    out = x
    if lo is not None:
        out = np.maximum(out, lo)
    if hi is not None:
        out = np.minimum(out, hi)
    if out is x:
        out = x.copy()
    shape = out.shape

    def backward(g):
        keep = True
        if lo is not None:
            keep = x >= lo
        if hi is not None:
            keep = keep & (x <= hi)
        grads = [_grad_for(np.broadcast_to(np.where(keep, g, 0), shape), x.shape, input._data.dtype)
                 if input._requires_grad else None]
        if lo_t is not None:
            to_lo = (x < lo) & (lo < hi) if hi is not None else x < lo
            grads.append(_grad_for(np.broadcast_to(np.where(to_lo, g, 0), shape), lo.shape, lo_t._data.dtype)
                         if lo_t._requires_grad else None)
        if hi_t is not None:
            to_hi = (hi < x) | (hi < lo) if lo is not None else hi < x
            grads.append(_grad_for(np.broadcast_to(np.where(to_hi, g, 0), shape), hi.shape, hi_t._data.dtype)
                         if hi_t._requires_grad else None)
        return tuple(grads)
    return make(out, parents, backward, "ClampBackward0", saved=parents)


def _where_scalar(value, like):
    """where's number operand as a tensor of the dtype it promotes to with `like`, checked as a fill
    value (uint8 takes -1 as 255 but not 300)."""
    from .._dtype import result_type
    from ._core import checked_scalar
    if not isinstance(value, (int, float, bool, np.generic)):
        return as_tensor(value, like)
    dt = result_type(like, value).np
    return as_tensor(np.asarray(checked_scalar(value, dt, half_overflows=False)))


def where(condition, input=None, other=None):
    """out = input where condition else other, broadcast over all three. where(condition) alone
    is nonzero(condition, as_tuple=True)."""
    if input is None and other is None:
        from .indexing import nonzero
        return nonzero(condition, as_tuple=True)
    cond = condition._data if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                           f"{type_name(cond.dtype)}")
    if not isinstance(input, Tensor):
        if not isinstance(other, Tensor):  # two scalars: a tensor of their promoted type
            from .._dtype import result_type
            input = as_tensor(np.asarray(input, dtype=result_type(input, other).np))
        else:
            input = _where_scalar(input, other)
    if not isinstance(other, Tensor):
        other = _where_scalar(other, input)
    x, y, _ = binary_operands(input, other)
    try:
        out = np.where(cond, x, y)
    except ValueError:
        raise _where_broadcast_error(cond.shape, x.shape, y.shape) from None
    xs, ys = x.shape, y.shape

    def backward(g):
        zero = g.dtype.type(0)
        return (_grad_for(np.where(cond, g, zero), xs, input._data.dtype) if input._requires_grad else None,
                _grad_for(np.where(cond, zero, g), ys, other._data.dtype) if other._requires_grad else None)
    return make(out, (input, other), backward, "WhereBackward0", saved=())


def _where_broadcast_error(c, a, b):
    try:
        ca = np.broadcast_shapes(c, a)
    except ValueError:
        return broadcast_error(c, a)
    return broadcast_error(ca, b)


# ---- fused combinations ---------------------------------------------------------------------

def lerp(input, end, weight):
    """out = input + weight × (end − input)."""
    _require_same_dtype(input, end, "end")
    x, e = input._data, end._data
    diff = e - x
    w = weight._data if isinstance(weight, Tensor) else weight
    out = x + w * diff
    shapes = (x.shape, e.shape)

    def backward(g):
        gx = _grad_for(g * (1 - w), shapes[0], x.dtype) if input._requires_grad else None
        ge = _grad_for(g * w, shapes[1], e.dtype) if end._requires_grad else None
        if not isinstance(weight, Tensor):
            return gx, ge
        gw = _grad_for(g * diff, weight._data.shape, weight._data.dtype) if weight._requires_grad else None
        return gx, ge, gw
    if isinstance(weight, Tensor):
        _require_same_dtype(input, weight, "weight")
        return make(out, (input, end, weight), backward, "LerpBackward1", saved=(input, end, weight))
    return make(out, (input, end), backward, "LerpBackward0", saved=())


def _require_same_dtype(input, t, what):
    if input._data.dtype != t._data.dtype:
        raise RuntimeError(f"expected dtype {_DTYPE_WORD.get(input._data.dtype.name, input._data.dtype.name)} "
                           f"for `{what}` but got dtype {_DTYPE_WORD.get(t._data.dtype.name, t._data.dtype.name)}")


_DTYPE_WORD = {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int"}


def addcmul(input, tensor1, tensor2, *, value=1):
    """out = input + value × tensor1 × tensor2."""
    a, b, c = input._data, tensor1._data, tensor2._data
    out = a + value * (b * c) if value != 1 else a + b * c

    def backward(g):
        gv = g * value if value != 1 else g
        return (_grad_for(g, a.shape, a.dtype) if input._requires_grad else None,
                _grad_for(gv * c, b.shape, b.dtype) if tensor1._requires_grad else None,
                _grad_for(gv * b, c.shape, c.dtype) if tensor2._requires_grad else None)
    return make(out, (input, tensor1, tensor2), backward, "AddcmulBackward0", saved=(tensor1, tensor2))


def addcdiv(input, tensor1, tensor2, *, value=1):
    """out = input + value × tensor1 / tensor2."""
    a, b, c = input._data, tensor1._data, tensor2._data
    if b.dtype.kind in "iub" and c.dtype.kind in "iub":
        raise RuntimeError("Integer division with addcdiv is no longer supported, and in a future release "
                           "addcdiv will perform a true division of tensor1 and tensor2. The historic addcdiv "
                           "behavior can be implemented as (input + value * torch.trunc(tensor1 / tensor2))"
                           ".to(input.dtype) for integer inputs and as (input + value * tensor1 / tensor2) for "
                           "float inputs. The future addcdiv behavior is just the latter implementation: "
                           "(input + value * tensor1 / tensor2), for all dtypes.")
    q = b / c
    out = a + value * q if value != 1 else a + q

    def backward(g):
        gq = (g * value if value != 1 else g) / c
        return (_grad_for(g, a.shape, a.dtype) if input._requires_grad else None,
                _grad_for(gq, b.shape, b.dtype) if tensor1._requires_grad else None,
                _grad_for(-gq * q, c.shape, c.dtype) if tensor2._requires_grad else None)
    return make(out, (input, tensor1, tensor2), backward, "AddcdivBackward0", saved=(tensor1, tensor2))
