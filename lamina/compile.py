"""lamina.compile: record a model's forward pass once per input shape, then replay it without modules
or per-op autograd bookkeeping.

Inference (grad mode off, or nothing requires grad): on the first call with a given input shape
and dtype, the forward runs eagerly with a hook on every leaf module; the recorded calls must form
a chain (each module's input is the previous module's output, or that output through
relu/sigmoid/tanh or a reshape in functional code). The chain becomes a list of NumPy steps
writing into preallocated buffers (Linear as one matmul with `out=`, ReLU in place, eval BatchNorm
as one scale and shift refreshed when its tensors change, other deterministic leaf modules through
their own forward). Parameters are read at every call, so weight updates between calls are
picked up.

Training (grad mode on and the input or a parameter requires grad): the same chain, read off the
eager pass's autograd graph, becomes one fused forward and backward (see _compiled_training.py);
the output's grad_fn is a single CompiledFunctionBackward node, so loss.backward() and optimizers
work as usual. Dropout draws and running statistics follow the eager forward exactly.

Either program is checked against the eager pass of its first call, bit for bit (outputs; in
training also buffers and gradients), and only used if it matches. Anything else runs eagerly,
with one warning naming the reason: keyword or several arguments, in inference a module in
training mode that draws random numbers or updates statistics, modules with hooks, functional
code that is not recognised, or a replay that does not reproduce the eager pass. Submodules or
Parameter objects replaced, or hooks added, after compiling are not seen by the replay: compile
the model again (values changed in place, as optimizers and load_state_dict do, are seen).
A program is chosen by input shape, dtype, grad mode and the modules' training flags only: a
forward whose path depends on tensor values (an `if` on data) replays the path of its first call,
so compile only models whose layer sequence is fixed, as torch.compile guards would require."""
import warnings

import numpy as np

from . import _compiled_training as _training
from .autograd import grad_mode
from .autograd.grad_mode import no_grad
from .nn.modules.module import Module
from .tensor import Tensor

__all__ = ["compile"]


def compile(model=None, *, fullgraph=False, dynamic=None, backend=None, mode=None, options=None, disable=False):
    """Return a callable that runs `model` like `model(x)`, replaying a recorded program when it can.

    The keyword arguments are accepted for PyTorch compatibility (torch.compile); only `disable`
    has an effect (the model itself is returned). Usable as a decorator with or without arguments."""
    if model is None:
        return lambda m: compile(m, disable=disable)
    if disable:
        return model
    return OptimizedModule(model)


class _Unsupported(Exception):
    pass


class OptimizedModule(Module):
    """The compiled wrapper, an nn.Module as PyTorch's torch.compile returns: call it like the
    model; the model is its submodule `_orig_mod` (so state_dict keys start with "_orig_mod.", as
    PyTorch's do), and other attributes are the model's."""

    def __init__(self, model):
        super().__init__()
        d = self.__dict__
        d["_modules"]["_orig_mod"] = model
        d["training"] = model.training
        d["_programs"] = {}
        d["_warned"] = set()
        # the module tree as at compile time: its training flags are part of every program's key
        d["_module_list"] = list(model.modules())
        d["_params"] = list(model.parameters())

    def __getattr__(self, name):
        modules = self.__dict__.get("_modules")
        if modules is None:  # still being built (or unpickled): nothing to forward to yet
            raise AttributeError(name)
        if name == "_orig_mod":
            return modules["_orig_mod"]
        return getattr(modules["_orig_mod"], name)

    def __setattr__(self, name, value):
        setattr(self._orig_mod, name, value)

    def __delattr__(self, name):
        delattr(self._orig_mod, name)

    def forward(self, *args, **kwargs):
        return self(*args, **kwargs)

    def __len__(self):
        return len(self._orig_mod)  # a Sequential's length, as PyTorch forwards it

    def _eager(self, reason, args, kwargs):
        if reason not in self._warned:
            self._warned.add(reason)
            warnings.warn(f"lamina.compile: running {type(self._orig_mod).__name__} eagerly: {reason}", stacklevel=3)
        return self._orig_mod(*args, **kwargs)

    def __call__(self, *args, **kwargs):
        if kwargs or len(args) != 1 or not isinstance(args[0], Tensor):
            return self._eager("only a single tensor argument is compiled", args, kwargs)
        x = args[0]
        training = grad_mode._mode.grad and (x._requires_grad or any(p._requires_grad for p in self._params))
        key = (training, x._data.shape, x._data.dtype, tuple([m.training for m in self._module_list]))
        program = self._programs.get(key)
        if program is None:
            return self._capture_training(key, x) if training else self._capture(key, x)
        if isinstance(program, str):
            return self._eager(program, args, kwargs)
        return program(x) if training else Tensor._wrap(program(x._data))

    def _capture(self, key, x):
        from .inspect._capture import run_recording
        model = self._orig_mod
        with no_grad():
            try:
                _check_modules(model)
            except _Unsupported as e:
                self._programs[key] = str(e)
                return self._eager(str(e), (x,), {})
            out, calls = run_recording(model, (x,), leaves_only=True)
            try:
                program = _build(x, out, calls)
                replayed = program(x._data)
                if not (isinstance(out, Tensor) and replayed.shape == out._data.shape
                        and replayed.dtype == out._data.dtype and np.array_equal(replayed, out._data, equal_nan=True)):
                    raise _Unsupported("the recorded program does not reproduce the eager output "
                                       "(functional code between modules?)")
            except _Unsupported as e:
                self._programs[key] = str(e)
                self._eager(str(e), (x,), {}) if str(e) not in self._warned else None
                return out
        self._programs[key] = program
        return out

    def _capture_training(self, key, x):
        """Record the forward eagerly (its graph tells the functional code between modules), build
        the fused program, then rerun the step with it from the same random and buffer state and
        keep it only if output, buffers and gradients all equal eager's bit for bit."""
        from .inspect._capture import run_recording
        model = self._orig_mod
        try:
            _check_hooks(model)
        except _Unsupported as e:
            self._programs[key] = str(e)
            return self._eager(str(e), (x,), {})
        before = _snapshot(model)
        out, calls = run_recording(model, (x,), leaves_only=True)
        after = _snapshot(model)
        try:
            program = _training.build(x, out, calls)
            _restore(before)
            try:
                replayed = program(x)
            except Exception as e:  # the eager pass ran, so the program is what cannot do it
                raise _training.Unsupported(f"the recorded program failed ({type(e).__name__}: {e})") from e
            _check_replay(model, out, replayed, after, [x] + self._params)
        except _training.Unsupported as e:
            _restore(after)
            self._programs[key] = str(e)
            self._eager(str(e), (x,), {}) if str(e) not in self._warned else None
            return out
        self._programs[key] = program
        return replayed


def _snapshot(model):
    from .random import get_rng_state
    return get_rng_state(), [(b, b._data.copy()) for b in model.buffers()]


def _restore(snapshot):
    from .random import set_rng_state
    state, buffers = snapshot
    set_rng_state(state)
    for b, data in buffers:
        np.copyto(b._data, data)


def _check_replay(model, eager, replayed, after, sources):
    """Raise unless the replayed forward gave eager's output, buffers and input/parameter gradients."""
    same = (replayed._data.shape == eager._data.shape and replayed._data.dtype == eager._data.dtype
            and np.array_equal(replayed._data, eager._data, equal_nan=True))
    buffers = list(model.buffers())
    same = same and len(buffers) == len(after[1]) and all(
        b is b0 and np.array_equal(b._data, data, equal_nan=True) for b, (b0, data) in zip(buffers, after[1]))
    if not same:
        raise _training.Unsupported("the recorded program does not reproduce the eager forward "
                                    "(functional code between modules?)")
    wanted = [t for t in sources if t._requires_grad]
    if not eager._requires_grad or not wanted:
        return
    g = np.random.default_rng(0).standard_normal(eager._data.shape).astype(eager._data.dtype)
    expected = _training.gradients(eager, g, wanted)
    got = _training.gradients(replayed, g, wanted)  # retained: the user's backward comes next
    for a, b in zip(expected, got):
        if (a is None) != (b is None) or (a is not None and not np.array_equal(a, b, equal_nan=True)):
            raise _training.Unsupported("the recorded program does not reproduce the eager gradients")


def _check_hooks(model):
    for name, m in model.named_modules():
        if m._forward_hooks or m._forward_pre_hooks or m._backward_hooks or m._backward_pre_hooks:
            raise _Unsupported(f"module '{name or type(m).__name__}' has hooks")


_RANDOM_OR_STATEFUL = ("Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout",
                       "RReLU", "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "InstanceNorm1d", "InstanceNorm2d",
                       "InstanceNorm3d", "SyncBatchNorm")


def _check_modules(model):
    _check_hooks(model)
    for name, m in model.named_modules():
        if m.training and type(m).__name__ in _RANDOM_OR_STATEFUL:
            raise _Unsupported(f"module '{name}' ({type(m).__name__}) is in training mode")


# ---- building the program ----------------------------------------------------------------------
def _gap(prev, nxt):
    """A step turning array `prev` into `nxt` (functional code between two modules), or raise."""
    from .ops import pointwise
    a, b = prev._data, nxt._data
    if prev is nxt or a is b:
        return None
    if a.size == b.size and a.dtype == b.dtype and a.shape != b.shape and np.array_equal(a.reshape(b.shape), b):
        shape = b.shape
        return ("reshape", lambda v: v.reshape(shape))
    if a.shape == b.shape and a.dtype == b.dtype and a.dtype.kind == "f":
        if np.array_equal(a, b):
            raise _Unsupported("functional code between modules returned an equal tensor (cannot tell what it does)")
        if np.array_equal(np.maximum(a, 0), b):
            return ("relu", np.zeros_like(b))
        for name, fn in (("sigmoid", pointwise.sigmoid), ("tanh", pointwise.tanh)):
            if np.array_equal(fn(Tensor._wrap(a))._data, b):
                return (name, lambda v, fn=fn: fn(Tensor._wrap(v))._data)
    raise _Unsupported("functional code between modules that lamina.compile does not recognise")


def _build(x, out, calls):
    if not isinstance(out, Tensor):
        raise _Unsupported("the model does not return a single tensor")
    steps = []  # (kind, function) where kind 'alloc' writes its own buffer, 'inplace' may reuse its input
    cur = x
    for call in calls:
        if len(call.inputs) != 1 or not isinstance(call.inputs[0], Tensor) or not isinstance(call.output, Tensor):
            raise _Unsupported(f"module '{call.name}' does not take and return one tensor")
        gap = _gap(cur, call.inputs[0])
        if gap is not None:
            steps.append(gap)
        steps.append(_module_step(call.module, call.inputs[0]._data, call.output._data))
        cur = call.output
    gap = _gap(cur, out)
    if gap is not None:
        steps.append(gap)
    return _Program(steps)


def _module_step(m, x, y):
    kind = type(m).__name__
    if kind in ("Identity", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout"):
        return None  # eval mode (checked): the identity
    if kind == "ReLU":
        return ("relu", np.zeros_like(y))
    if kind == "Linear" and x.ndim == 2:
        return ("buffer", _linear(m, np.empty(y.shape, y.dtype)))
    if kind in ("BatchNorm1d", "BatchNorm2d", "BatchNorm3d") and m.running_mean is not None:
        return ("buffer", _batch_norm(m, x, np.empty(y.shape, y.dtype)))
    forward = m.forward
    return ("call", lambda v: forward(Tensor._wrap(v))._data)


def _linear(m, buf):
    params = m._parameters

    def run(v):
        out = np.dot(v, params["weight"]._data.T, out=buf)  # np.dot: less per-call overhead than matmul
        b = params["bias"]
        if b is not None:
            out += b._data
        return out
    return run


def _batch_norm(m, x, buf):
    """Eval batch norm as x * scale + shift, with scale and shift folded as in F.batch_norm and
    recomputed when the running statistics or the affine parameters change."""
    bshape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    cache = [None, None, None]

    def fold():
        tensors = (m.running_mean, m.running_var, m.weight, m.bias)
        stamp = tuple((id(t._data), t._vc[0]) if t is not None else None for t in tensors)
        if stamp != cache[0]:
            rm, rv, w, b = tensors
            invstd = 1.0 / np.sqrt(rv._data.reshape(bshape).astype(x.dtype, copy=False) + m.eps)
            scale = invstd * w._data.reshape(bshape) if w is not None else invstd
            shift = -rm._data.reshape(bshape).astype(x.dtype, copy=False) * scale
            if b is not None:
                shift = shift + b._data.reshape(bshape)
            cache[:] = stamp, scale, shift
        return cache[1], cache[2]

    def run(v):
        scale, shift = fold()
        out = np.multiply(v, scale, out=buf)
        out += shift
        return out
    return run


class _Program:
    """The replay: each step reads the previous result; ReLU works in place on an array the
    program owns; the result is copied out of the program's buffers. Whether an array is owned
    at each step follows from the kinds of the steps before it, so it is settled once here."""
    __slots__ = ("fns", "copy_out")

    def __init__(self, steps):
        self.fns = []
        owned = False
        for kind, fn in (s for s in steps if s is not None):
            if kind == "relu":  # fn holds zeros of the step's shape (see _relu)
                fn = _relu(fn, owned)
                owned = True
            elif kind == "buffer":
                owned = True
            elif kind != "reshape":  # a reshape is a view: owned if its base is
                owned = kind != "call"  # a module's own forward may return a view of its input
            self.fns.append(fn)
        self.copy_out = owned

    def __call__(self, v):
        for fn in self.fns:
            v = fn(v)
        return v.copy() if self.copy_out else v


def _relu(zeros, inplace):
    """max(v, 0) against an array of zeros: NumPy's maximum with a scalar 0 converts it on every
    call and runs a slower loop (1.2 against 0.6 µs on (1, 256)); the values are the same."""
    if inplace:
        return lambda v: np.maximum(v, zeros, out=v)
    return lambda v: np.maximum(v, zeros)


class _CallableModule(type(np)):
    """The package attribute `lamina.compile` is this module once it is imported (the import system
    sets it), so the module itself is callable: `lamina.compile(model)` works either way."""

    def __call__(self, *args, **kwargs):
        return compile(*args, **kwargs)


__import__("sys").modules[__name__].__class__ = _CallableModule


CompiledModule = OptimizedModule  # the name lamina used before
