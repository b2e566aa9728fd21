"""Weight normalization (Salimans & Kingma, 2016), the hook-based form: torch.nn.utils.weight_norm.

    w = g * v / ||v||

where the norm runs over every dimension except `dim` (over all of them when dim is None).
`weight` is replaced by the parameters `weight_g` (the magnitude) and `weight_v` (the
direction); a forward pre-hook recomputes `weight` before each call. New code should use
lamina.nn.utils.parametrizations.weight_norm."""
import warnings

from ...ops.decompositions import vector_norm
from ..parameter import Parameter, UninitializedParameter

__all__ = ["WeightNorm", "weight_norm", "remove_weight_norm"]


def _norm_except_dim(v, pow=2, dim=0):
    """torch.norm_except_dim: the `pow`-norm of v over all dimensions but `dim`, keeping them as
    size 1 (dim=-1 means the norm of the whole tensor, a 0-d result)."""
    if dim == -1:
        return vector_norm(v, pow)
    if dim < 0:
        dim += v.ndim
    others = tuple(d for d in range(v.ndim) if d != dim)
    return vector_norm(v, pow, dim=others, keepdim=True)


def _weight_norm(v, g, dim=0):
    """torch._weight_norm: v scaled to norm g along every slice at `dim`."""
    return v * (g / _norm_except_dim(v, 2, dim))


class WeightNorm:
    """The forward pre-hook that recomputes `module.<name>` from `<name>_g` and `<name>_v`."""

    def __init__(self, name, dim):
        self.name = name
        self.dim = -1 if dim is None else dim

    def compute_weight(self, module):
        return _weight_norm(getattr(module, self.name + "_v"), getattr(module, self.name + "_g"), self.dim)

    @staticmethod
    def apply(module, name, dim):
        warnings.warn("`torch.nn.utils.weight_norm` is deprecated in favor of "
                      "`torch.nn.utils.parametrizations.weight_norm`.", FutureWarning, stacklevel=3)
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, WeightNorm) and hook.name == name:
                raise RuntimeError(f"Cannot register two weight_norm hooks on the same parameter {name}")
        fn = WeightNorm(name, dim)
        weight = getattr(module, name)
        if isinstance(weight, UninitializedParameter):
            raise ValueError("The module passed to `WeightNorm` can't have uninitialized parameters. Make sure to run "
                             "the dummy forward before applying weight normalization")
        del module._parameters[name]
        module.register_parameter(name + "_g", Parameter(_norm_except_dim(weight.detach(), 2, fn.dim)))
        module.register_parameter(name + "_v", Parameter(weight.detach()))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module):
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.detach()))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module, name="weight", dim=0):
    """Apply weight normalization to `module.<name>` (deprecated by PyTorch in favour of
    parametrizations.weight_norm, and warns so).

    Args:
        module (Module): containing module.
        name (str): name of the weight parameter. Default: "weight".
        dim (int or None): the dimension kept by the norm (one magnitude per slice along it);
            None normalizes the whole tensor. Default: 0.

    Returns: the module, with parameters `<name>_g` and `<name>_v`."""
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module, name="weight"):
    """Fold `<name>_g` and `<name>_v` back into one parameter `<name>`."""
    return remove_hook_reparametrization(module, name, WeightNorm, "weight_norm")


def remove_hook_reparametrization(module, name, kind, label):
    """Undo the hook-based reparametrization `kind` (WeightNorm, SpectralNorm) of `name`: its hook
    folds the parameters back and leaves; PyTorch's ValueError when there is none."""
    return remove_pre_hook_where(module, lambda hook: isinstance(hook, kind) and hook.name == name,
                                 f"{label} of '{name}' not found in {module}")


def remove_pre_hook_where(module, matches, missing):
    """The first forward pre-hook of module that `matches`: its remove(module) folds its
    reparametrization back, then the hook goes; ValueError(missing) when there is none."""
    for key, hook in module._forward_pre_hooks.items():
        if matches(hook):
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(missing)

