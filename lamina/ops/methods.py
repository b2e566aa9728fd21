"""Binds the op functions as Tensor methods.

Each ops module lists, in METHODS, the functions that are also methods (`x.exp()`), and in
INPLACE the ones that get a generated in-place twin (`x.exp_()`). Modules added later only
need to be named in OP_MODULES."""
import importlib

OP_MODULES = ("arithmetic", "pointwise", "compare", "reduction", "linalg", "shape", "indexing",
              "softmax", "conversion", "random_ops", "sorting", "compat",
              "special", "statistics", "assemble", "scatter", "decompositions", "callables")


def bind(cls):
    from .inplace import make_inplace
    for name in OP_MODULES:
        module = importlib.import_module(f"{__package__}.{name}")
        for attr in getattr(module, "METHODS", ()):
            if isinstance(attr, tuple):  # (method_name, function or its name in the module) where they differ
                setattr(cls, attr[0], attr[1] if callable(attr[1]) else getattr(module, attr[1]))
            else:
                setattr(cls, attr, getattr(module, attr))
        for attr in getattr(module, "INPLACE", ()):
            if isinstance(attr, tuple):
                setattr(cls, attr[0], attr[1])
            else:
                setattr(cls, attr + "_", make_inplace(getattr(module, attr)))
    for alias, name in INPLACE_ALIASES.items():
        if hasattr(cls, name) and not hasattr(cls, alias):
            setattr(cls, alias, getattr(cls, name))


# PyTorch's other spellings of in-place methods lamina already has: alias -> method
INPLACE_ALIASES = {"arccos_": "acos_", "arccosh_": "acosh_", "arcsin_": "asin_", "arcsinh_": "asinh_",
                   "arctan_": "atan_", "arctan2_": "atan2_", "arctanh_": "atanh_", "greater_": "gt_",
                   "greater_equal_": "ge_", "less_": "lt_", "less_equal_": "le_", "not_equal_": "ne_"}

# torch.X_(t, ...) for these in-place ops is t.X_(...)
TOP_LEVEL_INPLACE = ("abs_", "acos_", "acosh_", "arccos_", "arccosh_", "arcsin_", "arcsinh_", "arctan_", "arctanh_",
                     "asin_", "asinh_", "atan_", "atanh_", "ceil_", "clamp_", "clamp_max_", "clamp_min_", "clip_",
                     "cos_", "cosh_", "deg2rad_", "detach_", "erf_", "erfc_", "exp2_", "exp_", "expm1_", "fix_",
                     "floor_", "frac_", "gcd_", "i0_", "lcm_", "ldexp_", "log10_", "log1p_", "log2_", "log_",
                     "logit_", "nan_to_num_", "neg_", "negative_", "rad2deg_", "reciprocal_", "resize_as_",
                     "round_", "rsqrt_", "sigmoid_", "sin_", "sinc_", "sinh_", "sqrt_", "square_", "tan_", "tanh_",
                     "trunc_", "xlogy_", "zero_", "fill_", "addmv_")


def top_level_inplace(cls, namespace):
    """Module-level functions torch.abs_(t) ... for the in-place methods the class has."""
    def make(name):
        def fn(input, *args, **kwargs):
            if not isinstance(input, cls):
                raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                                f"{type(input).__name__}")
            return getattr(input, name)(*args, **kwargs)
        fn.__name__ = fn.__qualname__ = name
        fn.__doc__ = f"In-place {name[:-1]} of input: input.{name}(...)."
        return fn
    for name in TOP_LEVEL_INPLACE:
        if hasattr(cls, name) and name not in namespace:
            namespace[name] = make(name)
