"""Spectral normalization (Miyato et al., 2018), the hook-based form: torch.nn.utils.spectral_norm.

    W_SN = W / σ(W),   σ(W) ≈ uᵀ W v

with u, v the running power-iteration estimates of W's top singular vectors (W reshaped to a
matrix with `dim` as rows). `weight` becomes the parameter `weight_orig` plus the buffers
`weight_u` and `weight_v`; a forward pre-hook recomputes `weight` before each call and, in
training mode, advances the power iteration. New code should use
lamina.nn.utils.parametrizations.spectral_norm."""
import numpy as np

from ... import dot, mv
from ...autograd.grad_mode import no_grad
from ...tensor import Tensor
from ..parameter import Parameter, UninitializedParameter
from .weight_norm import remove_hook_reparametrization

__all__ = ["SpectralNorm", "spectral_norm", "remove_spectral_norm"]


def _normalize_into(x, eps, out):
    # F.normalize(x, dim=0, eps=eps, out=out) on arrays: x / max(||x||, eps)
    np.divide(x, max(float(np.sqrt(np.vdot(x, x).real)), eps), out=out, casting="unsafe")


class SpectralNorm:
    """The forward pre-hook that recomputes `module.<name>` from `<name>_orig`, `_u`, `_v`."""

    _version = 1

    def __init__(self, name="weight", n_power_iterations=1, dim=0, eps=1e-12):
        self.name = name
        self.dim = dim
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.n_power_iterations = n_power_iterations
        self.eps = eps

    def reshape_weight_to_matrix(self, weight):
        if self.dim != 0:
            weight = weight.permute(self.dim, *[d for d in range(weight.ndim) if d != self.dim])
        return weight.reshape(weight.shape[0], -1)

    def compute_weight(self, module, do_power_iteration):
        weight = getattr(module, self.name + "_orig")
        u = getattr(module, self.name + "_u")
        v = getattr(module, self.name + "_v")
        weight_mat = self.reshape_weight_to_matrix(weight)
        if do_power_iteration:
            # v first, then u (the reverse of the parametrization's order), written in place
            w = weight_mat._data
            for _ in range(self.n_power_iterations):
                _normalize_into(w.T @ u._data, self.eps, v._data)
                _normalize_into(w @ v._data, self.eps, u._data)
            u._vc[0] += 1
            v._vc[0] += 1
            u, v = u.clone(), v.clone()
        sigma = dot(u, mv(weight_mat, v))
        return weight / sigma

    def remove(self, module):
        with no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        delattr(module, self.name)
        delattr(module, self.name + "_u")
        delattr(module, self.name + "_v")
        delattr(module, self.name + "_orig")
        module.register_parameter(self.name, Parameter(weight.detach()))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module, do_power_iteration=module.training))

    @staticmethod
    def apply(module, name, n_power_iterations, dim, eps):
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, SpectralNorm) and hook.name == name:
                raise RuntimeError(f"Cannot register two spectral_norm hooks on the same parameter {name}")
        fn = SpectralNorm(name, n_power_iterations, dim, eps)
        weight = module._parameters[name]
        if weight is None:
            raise ValueError(f"`SpectralNorm` cannot be applied as parameter `{name}` is None")
        if isinstance(weight, UninitializedParameter):
            raise ValueError("The module passed to `SpectralNorm` can't have uninitialized parameters. Make sure to "
                             "run the dummy forward before applying spectral normalization")
        with no_grad():
            h, w = fn.reshape_weight_to_matrix(weight).shape
            u = weight.new_empty(h).normal_(0, 1)
            v = weight.new_empty(w).normal_(0, 1)
            _normalize_into(u._data, eps, u._data)
            _normalize_into(v._data, eps, v._data)
        delattr(module, fn.name)
        module.register_parameter(fn.name + "_orig", weight)
        # a plain attribute until the first forward recomputes it
        setattr(module, fn.name, Tensor._wrap(weight._data))
        module.register_buffer(fn.name + "_u", u)
        module.register_buffer(fn.name + "_v", v)
        module.register_forward_pre_hook(fn)
        return fn


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Apply spectral normalization to `module.<name>`.

    Args:
        module (nn.Module): containing module.
        name (str): name of the weight parameter. Default: "weight".
        n_power_iterations (int): power iterations per training forward. Default: 1.
        eps (float): epsilon for numerical stability in the norms. Default: 1e-12.
        dim (int, optional): dimension of the output channels. Default: 0, except 1 for
            ConvTranspose{1,2,3}d.

    Returns: the module, with parameter `<name>_orig` and buffers `<name>_u`, `<name>_v`."""
    if dim is None:
        from ..modules.conv import ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
        dim = 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)) else 0
    SpectralNorm.apply(module, name, n_power_iterations, dim, eps)
    return module


def remove_spectral_norm(module, name="weight"):
    """Replace `<name>_orig`, `_u`, `_v` by one parameter `<name>` holding the normalized weight."""
    return remove_hook_reparametrization(module, name, SpectralNorm, "spectral_norm")
