"""Binds the op functions as Tensor methods.

Each ops module lists, in METHODS, the functions that are also methods (`x.exp()`), and in
INPLACE the ones that get a generated in-place twin (`x.exp_()`). Modules added later only
need to be named in OP_MODULES."""
import importlib

OP_MODULES = ("arithmetic", "pointwise", "compare", "reduction", "linalg", "shape", "indexing",
              "softmax", "conversion", "random_ops", "sorting", "compat",
              "special", "statistics", "assemble", "scatter", "decompositions")


def bind(cls):
    from .inplace import make_inplace
    for name in OP_MODULES:
        module = importlib.import_module(f"{__package__}.{name}")
        for attr in getattr(module, "METHODS", ()):
            if isinstance(attr, tuple):  # (method_name, function) where they differ
                setattr(cls, attr[0], attr[1])
            else:
                setattr(cls, attr, getattr(module, attr))
        for attr in getattr(module, "INPLACE", ()):
            if isinstance(attr, tuple):
                setattr(cls, attr[0], attr[1])
            else:
                setattr(cls, attr + "_", make_inplace(getattr(module, attr)))
