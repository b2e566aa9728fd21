"""Training replay for lamina.compile: a model's recorded chain of layers run as one fused forward
and one fused backward, so a training step builds one graph node for the whole model instead of
one per op (and no Module calls, Tensor wrappers or engine bookkeeping in between).

The chain comes from one eager forward in grad mode with a hook on every leaf module (see
compile.py): each module's input must be the previous module's output, possibly through ReLU,
sigmoid, tanh or a reshape in functional code, which are read off the autograd graph the eager
pass built. Linear, ReLU, Sigmoid, Tanh, Dropout, BatchNorm (training, tracking running stats)
and Flatten-like reshapes get fused kernels that compute exactly what the eager ops compute;
any other leaf module runs its own forward inside the program, with its own small graph for the
backward (correct, only not faster). The output is an ordinary tensor whose grad_fn is one node
("CompiledFunctionBackward", as in PyTorch) with the input and every parameter as inputs, so
loss.backward() and optimizers see the usual `.grad`."""
import numpy as np

from .autograd import grad_mode
from .autograd.engine import run_backward
from .nn.modules.normalization import count_batch
from .ops import pointwise
from .ops._core import make, wrap
from .ops.dropout import dropout_apply
from .ops.linalg import linear_backward, linear_forward
from .ops.normalization import batch_stats_backward, batch_stats_forward
from .tensor import Tensor

NODE_NAME = "CompiledFunctionBackward"


class Unsupported(Exception):
    """The model cannot be replayed; the message says why (shown in the eager-fallback warning)."""


# ---- kernels: forward(v) -> (out, ctx); backward(g, ctx, need_input_grad) -> (gx, [param grads]) ----
class _Linear:
    def __init__(self, m):
        self.m = m
        self.params = (m.weight,) if m.bias is None else (m.weight, m.bias)
        self.reads = (m.weight,)  # what backward reads: its in-place change must raise, as in eager

    def forward(self, v):
        w = self.params[0]._data
        out, v2 = linear_forward(v, w, self.params[1]._data if len(self.params) == 2 else None)
        return out, (v.shape, v2, w)

    def backward(self, g, ctx, need_input_grad):
        shape, v2, w = ctx
        weight, *bias = self.params
        grads = linear_backward(g, shape, v2, w, need_input_grad, weight._requires_grad,
                                bool(bias) and bias[0]._requires_grad, bool(bias))
        return grads[0], list(grads[1:])


class _Activation:
    """An element-wise activation whose gradient is a function of its output: the same forward
    and backward arrays as the eager op (ops.pointwise)."""
    params = ()

    def __init__(self, forward, backward):
        self.fn, self.grad = forward, backward

    def forward(self, v):
        out = self.fn(v)
        return out, out

    def backward(self, g, out, need_input_grad):
        return self.grad(g, None, out), []


_ACTIVATIONS = {  # grad_fn name of the eager op -> (forward, backward(g, x, out))
    "ReluBackward0": (pointwise._max0, lambda g, x, y: pointwise.relu_grad(g, y)),  # as pointwise.relu
    "SigmoidBackward0": (pointwise._sigmoid, pointwise._sigmoid_backward),
    "TanhBackward0": (np.tanh, pointwise._tanh_backward),
}


def _activation(node_name):
    return _Activation(*_ACTIVATIONS[node_name])


class _Reshape:
    params = ()

    def __init__(self, shape):
        self.shape = shape

    def forward(self, v):
        return v.reshape(self.shape), v.shape

    def backward(self, g, in_shape, need_input_grad):
        return g.reshape(in_shape), []


class _Dropout:
    """nn.Dropout in training mode (in evaluation the chain leaves it out): the same mask draw,
    from the same generator, as ops.dropout, so compiled and eager runs consume the same numbers."""
    params = ()

    def __init__(self, m):
        self.p = m.p

    def forward(self, v):
        return dropout_apply(v, self.p)

    def backward(self, g, noise, need_input_grad):
        return (g * noise).astype(g.dtype, copy=False), []


class _BatchNormTrain:
    """BatchNorm in training mode with running statistics: batch statistics, the running averages
    and num_batches_tracked moved as the module's forward moves them. The module's tensors are
    looked up once (Module attribute lookups cost more than the arithmetic at small sizes)."""

    def __init__(self, m, shape):
        self.m = m
        self.weight, self.bias = m.weight, m.bias
        self.params = tuple(p for p in (m.weight, m.bias) if p is not None)
        self.reads = () if m.weight is None else (m.weight,)
        self.running = (m.running_mean, m.running_var)
        self.num_batches_tracked = m.num_batches_tracked if m.track_running_stats else None
        self.bshape = (1, shape[1]) + (1,) * (len(shape) - 2)
        self.axes = (0,) + tuple(range(2, len(shape)))

    def forward(self, v):
        m = self.m
        # the module's count without its checks (the eager pass that built this program made
        # them for this input shape and these training flags)
        factor = count_batch(self.num_batches_tracked, m.momentum)
        w = None if self.weight is None else self.weight._data.reshape(self.bshape)
        b = None if self.bias is None else self.bias._data.reshape(self.bshape)
        out, saved = batch_stats_forward(v, self.axes, m.eps, w, b, self.running, factor)
        return out, (saved, w)

    def backward(self, g, ctx, need_input_grad):
        saved, w = ctx
        gx, gw, gb = batch_stats_backward(g, saved, w, self.weight, self.bias, self.axes, need_input_grad)
        if self.weight is None:
            return gx, [] if self.bias is None else [gb]
        return gx, [gw] if self.bias is None else [gw, gb]


class _ModuleCall:
    """Any other leaf module: its own forward, differentiated by the engine on a graph of its own."""

    def __init__(self, m):
        self.m = m
        self.params = tuple(p for p in m.parameters())

    def forward(self, v):
        leaf = wrap(v)
        leaf._requires_grad = True
        with grad_mode.enable_grad():
            out = self.m(leaf)
        if not isinstance(out, Tensor):
            raise Unsupported(f"module {type(self.m).__name__} does not return one tensor")
        return out._data, (leaf, out)

    def backward(self, g, ctx, need_input_grad):
        leaf, out = ctx
        if out is leaf:  # the module returned its input: the gradient passes straight through
            return g, [None] * len(self.params)
        if out.grad_fn is None:  # nothing in the module needed a gradient
            return None, [None] * len(self.params)
        trained = [p for p in self.params if p._requires_grad]
        results = gradients(out, g, [leaf] + trained)
        got = iter(results[1:])
        return results[0], [next(got) if p._requires_grad else None for p in self.params]


def gradients(out, g, wanted):
    """d out / d wanted for upstream gradient g, without running the wanted tensors' hooks (the
    fused node's own delivery runs them, once) and keeping the graph (freed with its holder)."""
    hooks = [t._hooks for t in wanted]
    try:
        for t in wanted:
            t._hooks = None
        return run_backward([out], [g], True, wanted=wanted)
    finally:
        for t, h in zip(wanted, hooks):
            t._hooks = h


# ---- building the chain ---------------------------------------------------------------------------
_RESHAPES = {"ViewBackward0", "UnsafeViewBackward0", "AliasBackward0", "UnsqueezeBackward0",
             "SqueezeBackward0", "SqueezeBackward1", "SqueezeBackward2"}


def _module_kernel(m, x, y):
    """The fused kernel for one leaf module call (input array x, output array y), or None for the
    identity."""
    from .nn import modules as nn
    kind = type(m)
    if kind is nn.Identity:
        return None
    if issubclass(kind, nn.dropout._DropoutNd) and (not m.training or m.p == 0.0):
        return None  # the identity, as in ops.dropout
    if kind is nn.Linear:
        return _Linear(m)
    if kind is nn.ReLU:
        return _activation("ReluBackward0")
    if kind is nn.Sigmoid:
        return _activation("SigmoidBackward0")
    if kind is nn.Tanh:
        return _activation("TanhBackward0")
    if kind is nn.Dropout:
        return _Dropout(m)
    if kind in (nn.Flatten, nn.Unflatten):
        return _Reshape(y.shape)
    if kind in (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d) and m.training and m.running_mean is not None:
        return _BatchNormTrain(m, x.shape)
    return _ModuleCall(m)


def _gap_kernels(prev, nxt):
    """Kernels for the functional code that turned tensor `prev` (a module's output, or the
    model's input) into `nxt` (the next module's input), read off the autograd graph."""
    if prev is nxt:
        return []
    if nxt.grad_fn is None:
        if prev._requires_grad or nxt._requires_grad:
            raise Unsupported("functional code between modules that lamina.compile does not recognise")
        a, b = prev._data, nxt._data  # no graph (the input needs no grad): only a reshape is recognised
        if a.size == b.size and a.dtype == b.dtype and np.array_equal(a.reshape(b.shape), b):
            return [_Reshape(b.shape)]
        raise Unsupported("functional code on the input that lamina.compile does not recognise")
    target = prev.grad_fn or prev
    names = []
    node = nxt.grad_fn
    while node is not target:
        if node is None or isinstance(node, Tensor) or len(node.inputs) != 1:
            raise Unsupported("functional code between modules that lamina.compile does not recognise")
        names.append(node._name)
        node = node.inputs[0]
    kernels = []
    for name in reversed(names):
        if name in _ACTIVATIONS:
            kernels.append(_activation(name))
        elif name not in _RESHAPES:
            raise Unsupported(f"functional code between modules ({name[:-len('Backward0')]}) that "
                              "lamina.compile does not recognise")
    if nxt._data.shape != prev._data.shape:
        kernels.append(_Reshape(nxt._data.shape))  # element-wise kernels commute with reshapes
    return kernels


def build(x, out, calls):
    """The TrainingProgram for the recorded leaf-module `calls` of one eager forward from `x` to `out`."""
    if not isinstance(out, Tensor):
        raise Unsupported("the model does not return a single tensor")
    kernels = []
    cur = x
    for call in calls:
        if len(call.inputs) != 1 or not isinstance(call.inputs[0], Tensor) or not isinstance(call.output, Tensor):
            raise Unsupported(f"module '{call.name}' does not take and return one tensor")
        kernels += _gap_kernels(cur, call.inputs[0])
        kernel = _module_kernel(call.module, call.inputs[0]._data, call.output._data)
        if kernel is not None:
            kernels.append(kernel)
        cur = call.output
    kernels += _gap_kernels(cur, out)
    return TrainingProgram(kernels)


class TrainingProgram:
    """Runs the kernels forward, saving each one's context, and returns the output tensor with a
    single node whose backward runs the kernels in reverse."""

    def __init__(self, kernels):
        self.kernels = kernels
        self.params = tuple(p for k in kernels for p in k.params)
        self.reads = tuple(t for k in kernels for t in getattr(k, "reads", ()))
        self._backwards = [k.backward for k in reversed(kernels)]
        self._n_params = [len(k.params) for k in reversed(kernels)]
        self._needs = {}  # requires_grad flags -> per kernel (reversed): must it return an input gradient
        # only a chain of reshapes can return a view of the input (the output must be new memory)
        self._may_alias = all(isinstance(k, _Reshape) for k in kernels)

    def _needs_input_grad(self, x):
        """Per kernel, last first: does anything before it (a parameter or the input) need a gradient."""
        key = (x._requires_grad,) + tuple([p._requires_grad for p in self.params])
        needs = self._needs.get(key)
        if needs is None:
            needs, need = [], x._requires_grad
            for kernel in self.kernels:
                needs.append(need)
                need = need or any(p._requires_grad for p in kernel.params)
            needs = self._needs[key] = needs[::-1]
        return needs

    def __call__(self, x):
        v = x._data
        contexts = []
        for kernel in self.kernels:
            v, ctx = kernel.forward(v)
            contexts.append(ctx)
        if self._may_alias and np.may_share_memory(v, x._data):
            v = v.copy()
        backwards, n_params = self._backwards, self._n_params
        contexts.reverse()
        needs = self._needs_input_grad(x)

        def backward(g):
            flat = []  # parameter gradients, last kernel first
            for kernel_backward, ctx, need_input, n in zip(backwards, contexts, needs, n_params):
                if g is None:  # nothing flows back any more
                    flat += [None] * n
                    continue
                g, grads = kernel_backward(g, ctx, need_input)
                flat += reversed(grads)
            flat.append(g)
            flat.reverse()
            return tuple(flat)
        return make(v, (x,) + self.params, backward, NODE_NAME, saved=(x,) + self.reads)
