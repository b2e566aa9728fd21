"""Which layers and functions the exporter converts, and the error for everything else.

A layer converter is registered for the class that defines the layer's `forward`, so a user's
subclass that overrides `forward` is traced through its own code instead of being taken for the
built-in layer. A function converter is registered under the function's name (`relu`,
`__add__`, `view`, ...), shared by lamina.X, F.X and the Tensor method of that name."""

MODULES = {}         # class defining forward -> converter(ctx, module, out, *args, **kwargs)
MODULE_NAMES = []    # public layer names, for error messages
FUNCTIONS = {}       # function name -> converter(ctx, out, *args, **kwargs)


class UnsupportedOperatorError(RuntimeError):
    """A layer or function in the model has no ONNX converter (named in the message)."""


def forward_owner(cls):
    """The class in `cls`'s MRO whose body defines forward."""
    for c in cls.__mro__:
        if "forward" in c.__dict__:
            return c
    return None


def layer(*classes):
    """Register a converter for these layer classes."""
    def register(fn):
        for cls in classes:
            MODULES[forward_owner(cls)] = fn
            MODULE_NAMES.append(cls.__name__)
        return fn
    return register


def function(*names):
    """Register a converter for these function / method names."""
    def register(fn):
        for name in names:
            FUNCTIONS[name] = fn
        return fn
    return register


def supported_layers():
    return ", ".join(sorted(set(MODULE_NAMES)))


def supported_functions():
    """Function names (in-place twins `name_` not repeated), then the operators."""
    names = [n for n in FUNCTIONS if not n.startswith("_") and not n.startswith("Tensor.")]
    names = sorted(n for n in names if not (n.endswith("_") and n[:-1] in FUNCTIONS))
    return ", ".join(names) + "; the operators + - * / // ** @ == != < <= > >= & | ^ ~ and x[...] indexing"
