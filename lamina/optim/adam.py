"""Adam: adaptive moment estimation, with optional AMSGrad and (decoupled) weight decay."""
import numpy as np

from .._accel import float32_kernels
from ..tensor import Tensor
from ._flat import plan_for
from .optimizer import Optimizer, advance, check_betas_args, hyper, run_closure, step_tensor

_KEYS = ("exp_avg", "exp_avg_sq")
_KEYS_AMSGRAD = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")

__all__ = ["Adam"]


def _check_adam_args(lr, betas, eps, weight_decay):
    check_betas_args(lr, betas, eps, weight_decay)
    if not ((isinstance(betas[0], float) and isinstance(betas[1], float))
            or (isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor))):
        raise ValueError("betas must be either both floats or both Tensors")
    for i, b in enumerate(betas):
        if isinstance(b, Tensor) and b.numel() != 1:
            raise ValueError(f"Tensor betas[{i}] must be 1-element")


class Adam(Optimizer):
    r"""Adam.

    .. math::
        g_t = \nabla_\theta f_t(\theta_{t-1}) \,(+\, \lambda\theta_{t-1}), \quad
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \quad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2 \\
        \theta_t = \theta_{t-1} - \frac{\gamma}{1-\beta_1^t} \cdot
            \frac{m_t}{\sqrt{v_t} / \sqrt{1-\beta_2^t} + \epsilon}

    With amsgrad, :math:`v_t` in the denominator is replaced by its running maximum. With
    decoupled_weight_decay (AdamW), the decay multiplies the parameter by :math:`1-\gamma\lambda`
    instead of entering the gradient.

    Args:
        params (iterable): parameters or dicts defining parameter groups.
        lr (float): learning rate :math:`\gamma` (default: 1e-3).
        betas (Tuple[float, float]): :math:`(\beta_1, \beta_2)` (default: (0.9, 0.999)).
        eps (float): added to the denominator (default: 1e-8).
        weight_decay (float): :math:`\lambda` (default: 0).
        amsgrad (bool): use the AMSGrad variant (default: False).
        maximize (bool): maximize the objective instead of minimizing (default: False).
        decoupled_weight_decay (bool): AdamW-style weight decay (default: False).
        foreach, capturable, differentiable, fused: accepted for PyTorch compatibility
            (differentiable=True is not supported).

    State per parameter: 'step' (a 0-d float32 tensor), 'exp_avg', 'exp_avg_sq', and
    'max_exp_avg_sq' with amsgrad."""

    _group_defaults = (("amsgrad", False), ("maximize", False), ("foreach", None), ("capturable", False),
                       ("differentiable", False), ("decoupled_weight_decay", False), ("fused", None))

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        _check_adam_args(lr, betas, eps, weight_decay)
        if differentiable:
            raise NotImplementedError("lamina optimizers do not support differentiable=True")
        betas = tuple(b.squeeze() if isinstance(b, Tensor) and b.dim() != 0 else b for b in betas)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "amsgrad": amsgrad,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
                    "differentiable": differentiable, "fused": fused,
                    "decoupled_weight_decay": decoupled_weight_decay}
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform a single optimization step; `closure` re-evaluates the model and returns the loss."""
        loss = run_closure(closure)
        state = self.state
        for group in self.param_groups:
            lr = hyper(group["lr"])
            beta1, beta2 = (hyper(b) for b in group["betas"])
            eps = hyper(group["eps"])
            weight_decay = hyper(group["weight_decay"])
            amsgrad = group["amsgrad"]
            maximize = group["maximize"]
            decoupled = group["decoupled_weight_decay"]
            keys = _KEYS_AMSGRAD if amsgrad else _KEYS
            plan = plan_for(self, group, keys, True)
            params = group["params"]
            if plan is not None:
                params = plan.loose
                for bucket in plan.buckets:
                    _flat_update(bucket, lr, beta1, beta2, eps, weight_decay, amsgrad, maximize, decoupled)
            for p in params:
                grad = p._grad
                if grad is None:
                    continue
                pd = p._data
                g = grad._data
                st = state[p]
                if len(st) == 0:
                    st["step"] = step_tensor()
                    st["exp_avg"] = Tensor._wrap(np.zeros_like(pd))
                    st["exp_avg_sq"] = Tensor._wrap(np.zeros_like(pd))
                    if amsgrad:
                        st["max_exp_avg_sq"] = Tensor._wrap(np.zeros_like(pd))
                if maximize:
                    g = np.negative(g)
                t = advance(st["step"])
                if weight_decay != 0:
                    if decoupled:
                        pd *= 1 - lr * weight_decay
                    else:
                        g = g + pd * weight_decay
                m, v = st["exp_avg"]._data, st["exp_avg_sq"]._data
                vmax = st["max_exp_avg_sq"]._data if amsgrad else None
                _adam_update(pd, g, m, v, vmax, np.empty_like(m), np.empty_like(v), t, lr, beta1, beta2, eps)
                p._vc[0] += 1
        return loss


def update_moments(g, m, v, tmp, beta1, beta2):
    """The Adam family's moments, in place and in PyTorch's order: m.lerp_(g, 1 - beta1) and
    v = beta2 v + (1 - beta2) g². tmp is scratch of m's shape (left holding (1 - beta2) g²)."""
    np.subtract(g, m, out=tmp)
    tmp *= 1 - beta1
    m += tmp
    v *= beta2
    np.multiply(g, 1 - beta2, out=tmp)
    tmp *= g
    v += tmp


def _adam_update(pd, g, m, v, vmax, tmp, denom, t, lr, beta1, beta2, eps):
    """Step t of Adam on the array pd, in place, for gradient g (weight decay already applied):
    the moments (update_moments), then
    pd -= lr / (1 - beta1^t) · m / (√v / √(1 - beta2^t) + eps), with v replaced by its running
    maximum vmax for amsgrad (vmax None otherwise). tmp and denom are scratch arrays of pd's
    shape: every result goes through out= or in place, so 0-d arrays stay arrays."""
    update_moments(g, m, v, tmp, beta1, beta2)
    step_size = lr / (1 - beta1 ** t)
    bias_correction2_sqrt = (1 - beta2 ** t) ** 0.5
    if vmax is not None:
        np.maximum(vmax, v, out=vmax)
        v = vmax
    np.sqrt(v, out=denom)
    denom /= bias_correction2_sqrt
    denom += eps
    np.multiply(m, -step_size, out=tmp)
    tmp /= denom
    pd += tmp


def _flat_update(b, lr, beta1, beta2, eps, weight_decay, amsgrad, maximize, decoupled):
    """The per-parameter update below, over one flat bucket (same operations in the same order,
    so the values are identical)."""
    steps = b.steps  # every parameter's step counter, all equal (see optim/_flat.py)
    steps += 1.0
    t = steps.item(0)
    g, pd, tmp, denom = b.grad, b.flat, b.tmp, b.tmp2
    m, v = b.state_flats["exp_avg"], b.state_flats["exp_avg_sq"]
    if maximize:
        np.negative(g, out=g)
    if weight_decay != 0:
        if decoupled:
            pd *= 1 - lr * weight_decay
        else:
            np.multiply(pd, weight_decay, out=tmp)
            g += tmp
    fused = None if amsgrad else float32_kernels(pd)
    if fused is not None:  # the same operations in one compiled pass (lamina/_accel)
        f32 = np.float32
        fused.adam(pd, g, m, v, f32(1 - beta1), f32(beta2), f32(1 - beta2), f32((1 - beta2 ** t) ** 0.5),
                   f32(eps), f32(-(lr / (1 - beta1 ** t))))
    else:
        vmax = b.state_flats["max_exp_avg_sq"] if amsgrad else None
        _adam_update(pd, g, m, v, vmax, tmp, denom, t, lr, beta1, beta2, eps)
    for p in b.params:
        p._vc[0] += 1
