"""ASGD: averaged stochastic gradient descent (keeps a running average 'ax' of the iterates)."""
import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, advance, hyper, run_closure, step_tensor

__all__ = ["ASGD"]


class ASGD(Optimizer):
    r"""Averaged SGD.

    .. math::
        \theta_t = \theta_{t-1}(1 - \lambda\eta_{t-1}) - \eta_{t-1} g_t, \quad
        \bar\theta_t = \bar\theta_{t-1} + \mu_{t-1}(\theta_t - \bar\theta_{t-1}) \\
        \eta_t = \frac{\gamma}{(1 + \lambda\gamma t)^\alpha}, \quad \mu_t = \frac{1}{\max(1, t - t_0)}

    where :math:`g_t` includes the weight decay term.

    Args:
        params (iterable): parameters or dicts defining parameter groups.
        lr (float): learning rate :math:`\gamma` (default: 1e-2).
        lambd (float): decay term :math:`\lambda` (default: 1e-4).
        alpha (float): power for the eta update (default: 0.75).
        t0 (float): step at which averaging starts (default: 1e6).
        weight_decay (float): L2 penalty (default: 0).
        maximize (bool): maximize the objective instead of minimizing (default: False).
        foreach, differentiable, capturable: accepted for PyTorch compatibility.

    State per parameter: 'step', 'eta', 'mu' (0-d tensors), 'ax' (the averaged parameter)."""

    _group_defaults = (("foreach", None), ("maximize", False), ("differentiable", False),
                       ("capturable", False))
    _scalar_state = ("step", "eta", "mu")

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None,
                 maximize=False, differentiable=False, capturable=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if differentiable:
            raise NotImplementedError("lamina optimizers do not support differentiable=True")
        defaults = {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0, "weight_decay": weight_decay,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                    "capturable": capturable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform a single optimization step; `closure` re-evaluates the model and returns the loss."""
        loss = run_closure(closure)
        state = self.state
        for group in self.param_groups:
            lr = hyper(group["lr"])
            lambd = hyper(group["lambd"])
            alpha = hyper(group["alpha"])
            t0 = hyper(group["t0"])
            weight_decay = hyper(group["weight_decay"])
            maximize = group["maximize"]
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                pd = p._data
                g = grad._data
                st = state[p]
                if len(st) == 0:
                    st["step"] = step_tensor()
                    st["eta"] = step_tensor(lr)
                    st["mu"] = step_tensor(1.0)
                    st["ax"] = Tensor._wrap(np.zeros_like(pd))
                if maximize:
                    g = np.negative(g)
                t = advance(st["step"])
                if weight_decay != 0:
                    g = g + pd * weight_decay
                eta_arr, mu_arr = st["eta"]._data, st["mu"]._data
                eta = eta_arr.item()
                pd *= 1 - lambd * eta
                pd -= g * eta
                ax = st["ax"]._data
                mu = mu_arr.item()
                if mu != 1:
                    diff = np.subtract(pd, ax, out=np.empty_like(pd))
                    diff *= mu
                    ax += diff
                else:
                    np.copyto(ax, pd)
                # eta and mu are stored in scalar-dtype tensors, so they are rounded there
                eta_arr[()] = lr / ((1 + lambd * lr * t) ** alpha)
                mu_arr[()] = 1 / max(1, t - t0)
                p._vc[0] += 1
        return loss
