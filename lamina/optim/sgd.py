"""SGD: stochastic gradient descent with optional momentum, Nesterov momentum and weight decay."""
import numpy as np

from .._accel import float32_kernels
from ..tensor import Tensor
from ._flat import plan_for
from .optimizer import Optimizer, hyper, run_closure

_KEYS = ("momentum_buffer",)

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent (optionally with momentum).

    .. math::
        g_t = \nabla_\theta f_t(\theta_{t-1}) + \lambda \theta_{t-1}, \quad
        b_t = \mu b_{t-1} + (1 - \tau) g_t \ (b_1 = g_1), \quad
        \theta_t = \theta_{t-1} - \gamma \, (g_t + \mu b_t \text{ if nesterov else } b_t)

    Args:
        params (iterable): parameters or dicts defining parameter groups.
        lr (float): learning rate :math:`\gamma` (default: 1e-3).
        momentum (float): momentum factor :math:`\mu` (default: 0).
        dampening (float): dampening :math:`\tau` for momentum (default: 0).
        weight_decay (float): L2 penalty :math:`\lambda` (default: 0).
        nesterov (bool): use Nesterov momentum (default: False).
        maximize (bool): maximize the objective instead of minimizing (default: False).
        foreach, differentiable, fused: accepted for PyTorch compatibility; lamina always runs one
            NumPy loop (differentiable=True is not supported).

    State per parameter: 'momentum_buffer' (when momentum != 0).

    Example::

        >>> opt = lamina.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        >>> opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()"""

    _group_defaults = (("nesterov", False), ("maximize", False), ("foreach", None), ("differentiable", False),
                       ("fused", False))

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if differentiable:
            raise NotImplementedError("lamina optimizers do not support differentiable=True")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening, "weight_decay": weight_decay,
                    "nesterov": nesterov, "maximize": maximize, "foreach": foreach,
                    "differentiable": differentiable, "fused": fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform a single optimization step; `closure` re-evaluates the model and returns the loss."""
        loss = run_closure(closure)
        state = self.state
        for group in self.param_groups:
            lr = hyper(group["lr"])
            weight_decay = hyper(group["weight_decay"])
            momentum = hyper(group["momentum"])
            keep = 1.0 - hyper(group["dampening"])
            nesterov = group["nesterov"]
            maximize = group["maximize"]
            # the update reads each gradient from p.grad: no copy into the bucket first
            plan = plan_for(self, group, _KEYS if momentum != 0 else (), False, copy=False)
            params = group["params"]
            if plan is not None:
                params = plan.loose
                for bucket in plan.buckets:
                    _flat_update(bucket, lr, weight_decay, momentum, keep, nesterov, maximize)
            for p in params:
                grad = p._grad
                if grad is None:
                    continue
                pd = p._data
                g = grad._data
                if maximize:
                    g = np.negative(g)
                if weight_decay != 0:
                    g = g + pd * weight_decay  # a new array: the user's .grad is never modified
                if momentum != 0:
                    st = state[p]
                    buf = st.get("momentum_buffer")
                    if buf is None:
                        buf = st["momentum_buffer"] = Tensor._wrap(np.array(g, copy=True))
                        b = buf._data
                    else:
                        b = buf._data
                        b *= momentum
                        if keep == 1.0:
                            b += g
                        else:
                            b += g * keep
                    g = g + b * momentum if nesterov else b
                pd -= g * lr
                p._vc[0] += 1
        return loss


def _flat_update(b, lr, weight_decay, momentum, keep, nesterov, maximize):
    """The per-parameter update above, over one flat bucket, with the same values: each gradient
    is read once, from `p.grad`, by the first operation that needs it (x - g is exactly x + (-g)
    and x + g exactly g + x, so maximize and the order of the sums change nothing)."""
    pd, tmp, params = b.flat, b.tmp, b.params
    if momentum != 0 and weight_decay == 0 and keep == 1.0 and not nesterov:
        fused = float32_kernels(pd)
        if fused is not None:
            _momentum_fused(fused.sgd_momentum, b, lr, momentum, maximize)
            return
    g = None  # the flat (sign-corrected, decayed) gradient once there is one; until then, p.grad
    if weight_decay != 0:
        np.multiply(pd, weight_decay, out=tmp)
        _add_grads(b.tviews, params, maximize)
        g = tmp
    if momentum != 0:
        buf = b.state_flats["momentum_buffer"]
        buf *= momentum
        if g is not None:
            if keep == 1.0:
                buf += g
            else:
                np.multiply(g, keep, out=b.tmp2)
                buf += b.tmp2
        elif keep == 1.0:
            _add_grads(b.state_views["momentum_buffer"], params, maximize)
        else:
            for v, p in zip(b.tviews, params):
                np.multiply(p._grad._data, keep, out=v)
            if maximize:
                buf -= tmp
            else:
                buf += tmp
        if nesterov:
            if g is not None:
                np.multiply(buf, momentum, out=b.tmp2)
                g += b.tmp2
            else:
                np.multiply(buf, momentum, out=tmp)
                _add_grads(b.tviews, params, maximize)
                g = tmp
        else:
            g = buf
    if g is not None:
        np.multiply(g, lr, out=tmp)
        pd -= tmp
    else:  # no momentum, no weight decay: pd ∓ g·lr
        for v, p in zip(b.tviews, params):
            np.multiply(p._grad._data, lr, out=v)
        if maximize:
            pd += tmp
        else:
            pd -= tmp
    for p in params:
        p._vc[0] += 1


def _momentum_fused(kernel, b, lr, momentum, maximize):
    """_flat_update's plain-momentum case in one compiled pass per parameter (lamina/_accel)."""
    f32 = np.float32
    m, sign, rate = f32(momentum), f32(-1.0 if maximize else 1.0), f32(lr)
    for p, data, buf in zip(b.params, b.datas, b.state_views["momentum_buffer"]):
        g = p._grad._data
        g = g.reshape(-1) if g.flags.c_contiguous else np.ravel(g)  # ravel copies the strided one
        kernel(data.reshape(-1), buf.reshape(-1), g, m, sign, rate)
        p._vc[0] += 1


def _add_grads(views, params, maximize):
    """views[i] += params[i].grad (-= when maximizing), in place."""
    if maximize:
        for v, p in zip(views, params):
            v -= p._grad._data
    else:
        for v, p in zip(views, params):
            v += p._grad._data
