"""Adagrad: per-coordinate learning rates from the running sum of squared gradients."""
import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, advance, hyper, run_closure, step_tensor

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad.

    .. math::
        \tilde\gamma_t = \frac{\gamma}{1 + (t-1)\eta}, \quad s_t = s_{t-1} + g_t^2, \quad
        \theta_t = \theta_{t-1} - \tilde\gamma_t \frac{g_t}{\sqrt{s_t} + \epsilon}

    where :math:`g_t` includes the weight decay term :math:`\lambda\theta_{t-1}` and
    :math:`s_0` is initial_accumulator_value.

    Args:
        params (iterable): parameters or dicts defining parameter groups.
        lr (float): learning rate :math:`\gamma` (default: 1e-2).
        lr_decay (float): learning rate decay :math:`\eta` (default: 0).
        weight_decay (float): L2 penalty :math:`\lambda` (default: 0).
        initial_accumulator_value (float): starting value of the sums :math:`s_0` (default: 0).
        eps (float): added to the denominator (default: 1e-10).
        maximize (bool): maximize the objective instead of minimizing (default: False).
        foreach, differentiable, fused: accepted for PyTorch compatibility.

    State per parameter (created at construction, as in PyTorch): 'step', 'sum'."""

    _group_defaults = (("foreach", None), ("maximize", False), ("differentiable", False), ("fused", None))

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if differentiable:
            raise NotImplementedError("lamina optimizers do not support differentiable=True")
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable, "fused": fused}
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p)

    def _init_state(self, p):
        st = self.state[p]
        st["step"] = step_tensor()
        st["sum"] = Tensor._wrap(np.full_like(p._data, self.defaults["initial_accumulator_value"]))
        return st

    def step(self, closure=None):
        """Perform a single optimization step; `closure` re-evaluates the model and returns the loss."""
        loss = run_closure(closure)
        state = self.state
        for group in self.param_groups:
            lr = hyper(group["lr"])
            lr_decay = hyper(group["lr_decay"])
            eps = hyper(group["eps"])
            weight_decay = hyper(group["weight_decay"])
            maximize = group["maximize"]
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                pd = p._data
                g = grad._data
                st = state[p]
                if len(st) == 0:  # a group added after construction
                    st = self._init_state(p)
                t = advance(st["step"])
                if maximize:
                    g = np.negative(g)
                if weight_decay != 0:
                    g = g + pd * weight_decay
                clr = lr / (1 + (t - 1) * lr_decay)
                s = st["sum"]._data
                tmp = np.multiply(g, g, out=np.empty_like(pd))
                s += tmp
                std = np.sqrt(s, out=np.empty_like(pd))
                std += eps
                np.multiply(g, -clr, out=tmp)
                tmp /= std
                pd += tmp
                p._vc[0] += 1
        return loss
