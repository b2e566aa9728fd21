"""Adadelta: step sizes from the ratio of running RMS of past updates to running RMS of gradients."""
import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, each_param, hyper, run_closure

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta.

    .. math::
        v_t = \rho v_{t-1} + (1-\rho) g_t^2, \quad
        \Delta_t = \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{v_t + \epsilon}} g_t, \quad
        u_t = \rho u_{t-1} + (1-\rho) \Delta_t^2, \quad \theta_t = \theta_{t-1} - \gamma \Delta_t

    where :math:`g_t` includes the weight decay term :math:`\lambda\theta_{t-1}`.

    Args:
        params (iterable): parameters or dicts defining parameter groups.
        lr (float): coefficient :math:`\gamma` that scales delta (default: 1.0).
        rho (float): decay of the running averages (default: 0.9).
        eps (float): added inside the square roots (default: 1e-6).
        weight_decay (float): L2 penalty :math:`\lambda` (default: 0).
        maximize (bool): maximize the objective instead of minimizing (default: False).
        foreach, capturable, differentiable: accepted for PyTorch compatibility.

    State per parameter: 'step', 'square_avg', 'acc_delta'."""

    _group_defaults = (("foreach", None), ("maximize", False), ("differentiable", False),
                       ("capturable", False))

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if differentiable:
            raise NotImplementedError("lamina optimizers do not support differentiable=True")
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay, "maximize": maximize,
                    "capturable": capturable, "foreach": foreach, "differentiable": differentiable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform a single optimization step; `closure` re-evaluates the model and returns the loss."""
        loss = run_closure(closure)
        state = self.state
        for group in self.param_groups:
            lr = hyper(group["lr"])
            rho = hyper(group["rho"])
            eps = hyper(group["eps"])
            weight_decay = hyper(group["weight_decay"])
            for p, g, st, _ in each_param(state, group, ("square_avg", "acc_delta"), weight_decay):
                pd = p._data
                sq = st["square_avg"]._data
                acc = st["acc_delta"]._data
                tmp = np.multiply(g, 1 - rho, out=np.empty_like(pd))
                tmp *= g
                sq *= rho
                sq += tmp
                std = np.add(sq, eps, out=np.empty_like(pd))
                np.sqrt(std, out=std)
                delta = np.add(acc, eps, out=tmp)
                np.sqrt(delta, out=delta)
                delta /= std
                delta *= g
                np.multiply(delta, 1 - rho, out=std)  # std is free now: reuse it for (1-rho) delta²
                std *= delta
                acc *= rho
                acc += std
                delta *= -lr
                pd += delta
                p._vc[0] += 1
        return loss
