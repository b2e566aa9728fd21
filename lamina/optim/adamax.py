"""Adamax: Adam with the infinity norm in place of the second moment."""
import numpy as np

from .optimizer import Optimizer, check_betas_args, each_param, hyper, run_closure

__all__ = ["Adamax"]


class Adamax(Optimizer):
    r"""Adamax.

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \quad u_t = \max(\beta_2 u_{t-1}, |g_t| + \epsilon), \quad
        \theta_t = \theta_{t-1} - \frac{\gamma}{1-\beta_1^t} \frac{m_t}{u_t}

    where :math:`g_t` includes the weight decay term :math:`\lambda\theta_{t-1}`.

    Args:
        params (iterable): parameters or dicts defining parameter groups.
        lr (float): learning rate :math:`\gamma` (default: 2e-3).
        betas (Tuple[float, float]): :math:`(\beta_1, \beta_2)` (default: (0.9, 0.999)).
        eps (float): added to :math:`|g_t|` (default: 1e-8).
        weight_decay (float): L2 penalty :math:`\lambda` (default: 0).
        maximize (bool): maximize the objective instead of minimizing (default: False).
        foreach, differentiable, capturable: accepted for PyTorch compatibility.

    State per parameter: 'step', 'exp_avg', 'exp_inf'."""

    _group_defaults = (("foreach", None), ("maximize", False), ("differentiable", False),
                       ("capturable", False))

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        check_betas_args(lr, betas, eps, weight_decay)
        if differentiable:
            raise NotImplementedError("lamina optimizers do not support differentiable=True")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "capturable": capturable}
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
            for p, g, st, t in each_param(state, group, ("exp_avg", "exp_inf"), weight_decay):
                pd = p._data
                m = st["exp_avg"]._data
                u = st["exp_inf"]._data
                tmp = np.subtract(g, m, out=np.empty_like(pd))  # m.lerp_(g, 1 - beta1)
                tmp *= 1 - beta1
                m += tmp
                u *= beta2
                np.abs(g, out=tmp)
                tmp += eps
                np.maximum(u, tmp, out=u)
                np.multiply(m, -lr / (1 - beta1 ** t), out=tmp)
                tmp /= u
                pd += tmp
                p._vc[0] += 1
        return loss
