"""RMSprop: divide the gradient by a running root mean square of recent gradients."""
import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, each_param, hyper, run_closure

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop.

    .. math::
        v_t = \alpha v_{t-1} + (1-\alpha) g_t^2, \quad
        \tilde v_t = v_t - \bar g_t^2 \text{ if centered } (\bar g_t = \alpha \bar g_{t-1} + (1-\alpha) g_t) \\
        b_t = \mu b_{t-1} + g_t / (\sqrt{\tilde v_t} + \epsilon), \quad \theta_t = \theta_{t-1} - \gamma b_t
        \quad (\text{without momentum: } \theta_t = \theta_{t-1} - \gamma g_t / (\sqrt{\tilde v_t} + \epsilon))

    where :math:`g_t` includes the weight decay term :math:`\lambda\theta_{t-1}`.

    Args:
        params (iterable): parameters or dicts defining parameter groups.
        lr (float): learning rate :math:`\gamma` (default: 1e-2).
        alpha (float): smoothing constant :math:`\alpha` (default: 0.99).
        eps (float): added to the denominator (default: 1e-8).
        weight_decay (float): L2 penalty :math:`\lambda` (default: 0).
        momentum (float): momentum factor :math:`\mu` (default: 0).
        centered (bool): normalise by an estimate of the gradient's variance (default: False).
        maximize (bool): maximize the objective instead of minimizing (default: False).
        capturable, foreach, differentiable: accepted for PyTorch compatibility.

    State per parameter: 'step', 'square_avg', 'momentum_buffer' (momentum > 0),
    'grad_avg' (centered)."""

    _group_defaults = (("momentum", 0), ("centered", False), ("foreach", None), ("maximize", False),
                       ("differentiable", False), ("capturable", False))

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= momentum:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= alpha:
            raise ValueError(f"Invalid alpha value: {alpha}")
        if differentiable:
            raise NotImplementedError("lamina optimizers do not support differentiable=True")
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps, "centered": centered,
                    "weight_decay": weight_decay, "capturable": capturable, "foreach": foreach,
                    "maximize": maximize, "differentiable": differentiable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform a single optimization step; `closure` re-evaluates the model and returns the loss."""
        loss = run_closure(closure)
        state = self.state
        for group in self.param_groups:
            lr = hyper(group["lr"])
            alpha = hyper(group["alpha"])
            eps = hyper(group["eps"])
            weight_decay = hyper(group["weight_decay"])
            momentum = hyper(group["momentum"])
            centered = group["centered"]
            buffers = ("square_avg",) + (("momentum_buffer",) if momentum > 0 else ()) + (
                ("grad_avg",) if centered else ())
            for p, g, st, _ in each_param(state, group, buffers, weight_decay):
                pd = p._data
                sq = st["square_avg"]._data
                tmp = np.multiply(g, 1 - alpha, out=np.empty_like(pd))
                tmp *= g
                sq *= alpha
                sq += tmp
                avg = np.empty_like(pd)
                if centered:
                    ga = st["grad_avg"]._data
                    np.subtract(g, ga, out=tmp)  # ga.lerp_(g, 1 - alpha)
                    tmp *= 1 - alpha
                    ga += tmp
                    np.multiply(ga, ga, out=tmp)
                    np.subtract(sq, tmp, out=avg)
                    np.sqrt(avg, out=avg)
                else:
                    np.sqrt(sq, out=avg)
                avg += eps
                if momentum > 0:
                    buf = st["momentum_buffer"]._data
                    buf *= momentum
                    np.divide(g, avg, out=tmp)
                    buf += tmp
                    np.multiply(buf, -lr, out=tmp)
                else:
                    np.multiply(g, -lr, out=tmp)
                    tmp /= avg
                pd += tmp
                p._vc[0] += 1
        return loss
