"""Rprop: resilient backpropagation, per-coordinate step sizes adapted from the gradient's sign."""
import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, advance, hyper, run_closure, step_tensor

__all__ = ["Rprop"]


class Rprop(Optimizer):
    r"""Rprop.

    Each coordinate's step size grows by :math:`\eta_+` while the gradient keeps its sign and
    shrinks by :math:`\eta_-` when the sign flips (that step is then skipped), clamped to
    [step_size_min, step_size_max]; the parameter moves by the step size against the gradient's sign.

    Args:
        params (iterable): parameters or dicts defining parameter groups.
        lr (float): initial step size (default: 1e-2).
        etas (Tuple[float, float]): :math:`(\eta_-, \eta_+)` (default: (0.5, 1.2)).
        step_sizes (Tuple[float, float]): minimal and maximal step size (default: (1e-6, 50)).
        maximize (bool): maximize the objective instead of minimizing (default: False).
        capturable, foreach, differentiable: accepted for PyTorch compatibility.

    State per parameter: 'step', 'prev' (the previous gradient), 'step_size'."""

    _group_defaults = (("foreach", None), ("maximize", False), ("differentiable", False),
                       ("capturable", False))

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False, foreach=None,
                 maximize=False, differentiable=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        if differentiable:
            raise NotImplementedError("lamina optimizers do not support differentiable=True")
        defaults = {"lr": lr, "etas": etas, "step_sizes": step_sizes, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable, "capturable": capturable}
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Perform a single optimization step; `closure` re-evaluates the model and returns the loss."""
        loss = run_closure(closure)
        state = self.state
        for group in self.param_groups:
            etaminus, etaplus = (hyper(e) for e in group["etas"])
            step_size_min, step_size_max = (hyper(s) for s in group["step_sizes"])
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
                    st["prev"] = Tensor._wrap(np.zeros_like(pd))
                    st["step_size"] = Tensor._wrap(np.full_like(g, hyper(group["lr"])))
                if maximize:
                    g = np.negative(g)
                advance(st["step"])
                prev = st["prev"]._data
                size = st["step_size"]._data
                agree = np.multiply(g, prev, out=np.empty_like(pd))
                # factor: eta+ where the sign held, eta- where it flipped, 1 where either is zero
                flipped = agree < 0
                factor = np.where(agree > 0, etaplus, np.where(flipped, etaminus, 1.0)).astype(size.dtype, copy=False)
                size *= factor
                np.clip(size, step_size_min, step_size_max, out=size)
                np.copyto(prev, g)
                prev[flipped] = 0  # after a sign flip, skip the step and forget the gradient
                np.sign(prev, out=agree)
                agree *= size
                pd -= agree
                p._vc[0] += 1
        return loss
