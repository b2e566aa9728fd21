"""The tracing context: one forward pass in which every layer call and tensor op becomes ONNX nodes.

Between `Tracer.activate()` and the `restore()` it returns (called in export's `finally`), the
`forward` of every built-in layer with a converter, the Tensor operator/method slots, the
lamina.* op functions and lamina.nn.functional.* are replaced by recording wrappers. A wrapper
runs the real computation, then, if any argument is a *live* tensor (one computed from the graph
inputs), hands the call to the converter registered for that layer class or function name, which
appends nodes and returns the ONNX names of the outputs. Patching `forward` rather than the call
also catches `super().forward(x)` in a user's subclass. `Module.__call__` is wrapped too, to
refuse built-in layers that have no converter and to name the module in error messages.
Calls made while a converter's own call runs (a layer's internals, an op calling another op) are
not recorded: `depth` counts how deep we are.

Tensors that are not live are constants: parameters and buffers become initializers named by
their state_dict key, anything else computed from constants alone (a mask, `weight.t()`) is
folded into an initializer. A live tensor reaching an op without a converter raises
UnsupportedOperatorError at the call, naming the op; a tensor computed out of the tracer's sight
(its grad_fn is set but nobody recorded it) raises it when used, naming its autograd node."""
import importlib
import warnings

from ..tensor import Tensor
from .registry import FUNCTIONS, MODULES, UnsupportedOperatorError, forward_owner, supported_functions, \
    supported_layers

_OPERATORS = ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__", "__rtruediv__",
              "__floordiv__", "__rfloordiv__", "__mod__", "__pow__", "__rpow__", "__matmul__", "__rmatmul__",
              "__neg__", "__abs__", "__invert__", "__and__", "__or__", "__xor__", "__rand__", "__ror__", "__rxor__",
              "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__getitem__", "__setitem__",
              "__iadd__", "__isub__", "__imul__", "__itruediv__")
_PROPERTIES = ("T", "mT", "H", "mH")
_CONSTANT_MAKERS = {"new_zeros", "new_ones", "new_full", "new_empty", "new_tensor"}
_TO_PYTHON = ("item", "tolist", "numpy", "__float__", "__int__", "__bool__", "__index__")
# layers whose forward is plain Python over other layers: traced through, not converted
_CONTAINERS = ("Sequential", "Transformer", "TransformerDecoder")


def _tensors(obj):
    if isinstance(obj, Tensor):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for o in obj:
            yield from _tensors(o)
    elif isinstance(obj, dict):
        for o in obj.values():
            yield from _tensors(o)


class Tracer:
    """Maps the tensors of one forward pass to ONNX values while the wrappers record it."""

    def __init__(self, graph, model):
        self.g = graph
        self.depth = 0
        self._names = {}      # id(live tensor) -> ONNX value name
        self._consts = {}     # id(constant tensor) -> initializer name
        self._folded = set()  # ids of constants computed (with a grad_fn) from constants only
        self._alive = []      # every tensor seen, so that no id is reused while tracing
        self.param_names = {id(t): n for n, t in model.named_buffers()}
        self.param_names.update((id(t), n) for n, t in model.named_parameters())
        self.module_names = {id(m): n for n, m in model.named_modules()}
        self._module_stack = []

    # ---- values ------------------------------------------------------------------------------------
    def value(self, t):
        """The ONNX name of tensor `t`: its node output if live, else an initializer."""
        key = id(t)
        name = self._names.get(key)
        if name is None:
            name = self._consts.get(key)
        if name is not None:
            return name
        if t.grad_fn is not None and key not in self._folded:
            raise UnsupportedOperatorError(
                f"ONNX export: a tensor{self._where()} was computed by an operation the exporter did not see "
                f"(autograd node {t.grad_fn.name()}). Use lamina's functions (lamina.X, F.X or Tensor methods) "
                f"and layers; supported functions: {supported_functions()}")
        hint = self.param_names.get(key, "const")
        name = self._consts[key] = self.g.const(t._data, hint)
        self._alive.append(t)
        return name

    def constant(self, t):
        """The array of a tensor that must be a constant (a layer's weight), checked."""
        if self.is_live(t):
            raise UnsupportedOperatorError(f"ONNX export: a weight{self._where()} is computed from the inputs; "
                                           "layers need constant weights")
        self.value(t)  # raises if it came from an op the tracer did not see
        return t._data

    def transposed(self, t):
        """Wᵀ of a 2-D weight: an initializer '<name>_T' for a constant, a Transpose for a live one."""
        if self.is_live(t):
            return self.g.transpose(self.value(t), [1, 0])
        key = ("T", id(t))
        name = self._consts.get(key)
        if name is None:
            data = self.constant(t)
            name = self._consts[key] = self.g.const(data.T, self.param_names.get(id(t), "const") + "_T")
        return name

    def is_live(self, obj):
        if isinstance(obj, Tensor):
            return id(obj) in self._names
        if isinstance(obj, (list, tuple)):
            return any(self.is_live(o) for o in obj)
        if isinstance(obj, dict):
            return any(self.is_live(o) for o in obj.values())
        return False

    def bind_input(self, t, name):
        self._names[id(t)] = name
        self._alive.append(t)

    def bind(self, out, names, what):
        """Record that the tensors in `out` are the values `names` (same nesting)."""
        if isinstance(out, Tensor):
            if not isinstance(names, str):
                raise AssertionError(f"ONNX export: the converter of {what} returned {names!r} for a tensor")
            self._names[id(out)] = names
            self._consts.pop(id(out), None)  # an in-place op on a constant makes it live
            self._alive.append(out)
        elif isinstance(out, (tuple, list)):
            for o, n in zip(out, names):
                self.bind(o, n, what)

    def fold(self, out):
        if isinstance(out, Tensor):
            self._folded.add(id(out))
            self._alive.append(out)
        elif isinstance(out, (tuple, list)):
            for o in out:
                self.fold(o)

    def _where(self):
        if not self._module_stack:
            return ""
        name, module = self._module_stack[-1]
        return f" in {type(module).__name__} '{name}'" if name else f" in {type(module).__name__}"

    # ---- the recording wrappers ----------------------------------------------------------------
    def _function(self, key, display, orig):
        tracer = self

        def traced(*args, **kwargs):
            if tracer.depth:
                return orig(*args, **kwargs)
            # x.new_zeros(n, m) takes only x's dtype: a constant, like lamina.zeros(n, m)
            live = key not in _CONSTANT_MAKERS and (tracer.is_live(args) or tracer.is_live(kwargs))
            if not live:
                tracer._check_seen(args, kwargs)
            convert = FUNCTIONS.get(key) if live else None
            if live and convert is None:
                raise UnsupportedOperatorError(
                    f"ONNX export does not support {display}{tracer._where()}. Supported functions: "
                    f"{supported_functions()}")
            tracer.depth += 1
            try:
                out = orig(*args, **kwargs)
            finally:
                tracer.depth -= 1
            if live:
                tracer.bind(out, tracer._convert(convert, out, *args, **kwargs), display)
            else:
                tracer.fold(out)
            return out
        traced.__wrapped__ = orig
        return traced

    def _convert(self, convert, /, *args, **kwargs):
        # a converter reads shapes and arrays only; should it touch a tensor op, that is not the model's
        self.depth += 1
        try:
            return convert(self, *args, **kwargs)
        finally:
            self.depth -= 1

    def _to_python(self, name, orig):
        """Tensor → Python value (item, tolist, bool(), ...): the graph keeps the traced value."""
        tracer = self

        def traced(t, *args, **kwargs):
            if not tracer.depth and id(t) in tracer._names:
                warnings.warn(f"ONNX export: Tensor.{name} turns a tensor computed from the inputs into a Python "
                              "value; the exported graph treats it as a constant, so it may be wrong for other "
                              "inputs", UserWarning, stacklevel=2)
            return orig(t, *args, **kwargs)
        traced.__wrapped__ = orig
        return traced

    def _check_seen(self, args, kwargs):
        """Raise if an argument was computed out of the tracer's sight (value() would, later)."""
        for t in _tensors((args, kwargs)):
            if t.grad_fn is not None and id(t) not in self._folded and id(t) not in self._names:
                self.value(t)

    def _forward(self, convert, orig):
        """The forward of a built-in layer: run it, then convert the call as a whole."""
        tracer = self

        def traced(module, *args, **kwargs):
            if tracer.depth:
                return orig(module, *args, **kwargs)
            live = tracer.is_live(args) or tracer.is_live(kwargs)
            if not live:
                tracer._check_seen(args, kwargs)
            tracer.depth += 1
            try:
                out = orig(module, *args, **kwargs)
            finally:
                tracer.depth -= 1
            if not live:  # a layer applied to constants only gives a constant
                tracer.fold(out)
                return out
            name = tracer.module_names.get(id(module), "")
            saved, tracer.g.scope = tracer.g.scope, name or type(module).__name__
            try:
                tracer.bind(out, tracer._convert(convert, module, out, *args, **kwargs), type(module).__name__)
            finally:
                tracer.g.scope = saved
            return out
        traced.__wrapped__ = orig
        return traced

    def _module_call(self, orig):
        """Module.__call__: refuse built-in layers without a converter; remember where we are."""
        tracer = self

        def traced(module, *args, **kwargs):
            if tracer.depth:
                return orig(module, *args, **kwargs)
            owner = forward_owner(type(module))
            name = tracer.module_names.get(id(module), "")
            if (owner not in MODULES and owner is not None and owner.__module__.startswith("lamina.nn.")
                    and owner.__name__ not in _CONTAINERS and owner.__name__ != "Module"):
                where = f" ('{name}')" if name else ""
                raise UnsupportedOperatorError(
                    f"ONNX export does not support the layer {type(module).__name__}{where}. Supported layers: "
                    f"{supported_layers()}")
            tracer._module_stack.append((name, module))
            try:
                return orig(module, *args, **kwargs)
            finally:
                tracer._module_stack.pop()
        traced.__wrapped__ = orig
        return traced

    def _patches(self):
        """(namespace, attribute, wrap) for every callable to replace; wrap(original) -> wrapper."""
        import lamina
        from ..nn import functional as F
        from ..nn.modules.module import Module
        from ..ops import methods

        def fn(key, display):
            return lambda orig: self._function(key, display, orig)

        def forward(convert):
            return lambda orig: self._forward(convert, orig)

        patches = [(Module, "__call__", self._module_call), (Tensor, "detach", fn("detach", "Tensor.detach"))]
        patches += [(owner, "forward", forward(convert)) for owner, convert in MODULES.items()]
        for mod_name in methods.OP_MODULES + ("creation",):
            mod = importlib.import_module(f"lamina.ops.{mod_name}")
            for attr in getattr(mod, "METHODS", ()):
                if isinstance(attr, tuple):  # a method whose arguments differ from lamina.<name>'s
                    patches.append((Tensor, attr[0], fn(f"Tensor.{attr[0]}", f"Tensor.{attr[0]}")))
                else:
                    patches.append((Tensor, attr, fn(attr, f"Tensor.{attr}")))
            for attr in getattr(mod, "INPLACE", ()):
                name = attr[0] if isinstance(attr, tuple) else attr + "_"
                patches.append((Tensor, name, fn(name, f"Tensor.{name}")))
            patches += [(lamina, n, fn(n, f"lamina.{n}")) for n in getattr(mod, "__all__", ()) if hasattr(lamina, n)]
        patches += [(Tensor, n, fn(n, f"Tensor.{n}")) for n in _OPERATORS if n in vars(Tensor)]
        for name in dir(F):
            obj = getattr(F, name)
            if not name.startswith("_") and callable(obj) and not isinstance(obj, type) and \
                    getattr(obj, "__module__", "").startswith("lamina."):
                patches.append((F, name, fn(name, f"F.{name}")))
        patches += [(Tensor, n, lambda orig, n=n: self._to_python(n, orig)) for n in _TO_PYTHON if n in vars(Tensor)]
        patches += [(Tensor, n, lambda prop, n=n: property(self._function(n, f"Tensor.{n}", prop.fget)))
                    for n in _PROPERTIES if isinstance(vars(Tensor).get(n), property)]
        return patches

    def activate(self):
        """Install the wrappers; returns the function that removes them."""
        saved = []
        seen = set()
        for owner, attr, wrap in self._patches():
            if (id(owner), attr) in seen:
                continue
            seen.add((id(owner), attr))
            had = attr in vars(owner)
            orig = vars(owner)[attr] if had else getattr(owner, attr)
            saved.append((owner, attr, had, orig))
            setattr(owner, attr, wrap(orig))

        def restore():
            for owner, attr, had, orig in reversed(saved):
                if had:
                    setattr(owner, attr, orig)
                else:
                    delattr(owner, attr)
        return restore
