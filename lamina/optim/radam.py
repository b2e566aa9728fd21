"""RAdam: Adam with a rectified adaptive learning rate (SGD with momentum while the variance
estimate is unreliable)."""
import numpy as np

from .adam import update_moments
from .optimizer import Optimizer, check_betas_args, each_param, hyper, run_closure

__all__ = ["RAdam"]


class RAdam(Optimizer):
    r"""RAdam.

    .. math::
        \rho_\infty = \frac{2}{1-\beta_2} - 1, \quad
        \rho_t = \rho_\infty - \frac{2 t \beta_2^t}{1-\beta_2^t}, \quad \hat m_t = \frac{m_t}{1-\beta_1^t} \\
        \theta_t = \theta_{t-1} - \gamma \hat m_t \, r_t \frac{\sqrt{1-\beta_2^t}}{\sqrt{v_t} + \epsilon}
        \text{ if } \rho_t > 5, \text{ else } \theta_{t-1} - \gamma \hat m_t, \quad
        r_t = \sqrt{\frac{(\rho_t-4)(\rho_t-2)\rho_\infty}{(\rho_\infty-4)(\rho_\infty-2)\rho_t}}

    Args:
        params (iterable): parameters or dicts defining parameter groups.
        lr (float): learning rate :math:`\gamma` (default: 1e-3).
        betas (Tuple[float, float]): :math:`(\beta_1, \beta_2)` (default: (0.9, 0.999)).
        eps (float): added to the denominator (default: 1e-8).
        weight_decay (float): :math:`\lambda` (default: 0).
        decoupled_weight_decay (bool): RAdamW-style decay of the parameters (default: False).
        maximize (bool): maximize the objective instead of minimizing (default: False).
        foreach, capturable, differentiable: accepted for PyTorch compatibility.

    State per parameter: 'step', 'exp_avg', 'exp_avg_sq'."""

    _group_defaults = (("foreach", None), ("maximize", False), ("differentiable", False),
                       ("decoupled_weight_decay", False), ("capturable", False))

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False,
                 *, foreach=None, maximize=False, capturable=False, differentiable=False):
        check_betas_args(lr, betas, eps, weight_decay)
        if differentiable:
            raise NotImplementedError("lamina optimizers do not support differentiable=True")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "maximize": maximize,
                    "foreach": foreach, "capturable": capturable, "decoupled_weight_decay": decoupled_weight_decay,
                    "differentiable": differentiable}
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
            decoupled = group["decoupled_weight_decay"]
            rho_inf = 2 / (1 - beta2) - 1
            l2 = 0 if decoupled else weight_decay  # decoupled decay shrinks θ instead of adding to g
            for p, g, st, t in each_param(state, group, ("exp_avg", "exp_avg_sq"), l2):
                pd = p._data
                if decoupled and weight_decay != 0:
                    pd *= 1 - lr * weight_decay
                m = st["exp_avg"]._data
                v = st["exp_avg_sq"]._data
                tmp = np.empty_like(pd)
                update_moments(g, m, v, tmp, beta1, beta2)
                bias_correction1 = 1 - beta1 ** t
                bias_correction2 = 1 - beta2 ** t
                rho_t = rho_inf - 2 * t * (beta2 ** t) / bias_correction2
                update = np.divide(m, bias_correction1, out=tmp)
                update *= lr
                if rho_t > 5.0:
                    adaptive = np.sqrt(v, out=np.empty_like(pd))
                    adaptive += eps
                    np.divide(bias_correction2 ** 0.5, adaptive, out=adaptive)
                    update *= adaptive
                    update *= ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
                pd -= update
                p._vc[0] += 1
        return loss
