"""NAdam: Adam with Nesterov momentum and a momentum-decay schedule."""
import numpy as np

from ..tensor import Tensor
from .adam import update_moments
from .optimizer import Optimizer, advance, check_betas_args, hyper, run_closure, step_tensor

__all__ = ["NAdam"]


class NAdam(Optimizer):
    r"""NAdam.

    .. math::
        \mu_t = \beta_1 (1 - \tfrac12 \cdot 0.96^{t\psi}), \quad
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t, \quad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2 \\
        \theta_t = \theta_{t-1} - \gamma \Big(\frac{(1-\mu_t) g_t}{1-\prod_{i\le t}\mu_i}
            + \frac{\mu_{t+1} m_t}{1-\prod_{i\le t+1}\mu_i}\Big) \Big/ \Big(\sqrt{v_t/(1-\beta_2^t)} + \epsilon\Big)

    Args:
        params (iterable): parameters or dicts defining parameter groups.
        lr (float): learning rate :math:`\gamma` (default: 2e-3).
        betas (Tuple[float, float]): :math:`(\beta_1, \beta_2)` (default: (0.9, 0.999)).
        eps (float): added to the denominator (default: 1e-8).
        weight_decay (float): :math:`\lambda` (default: 0).
        momentum_decay (float): :math:`\psi` (default: 4e-3).
        decoupled_weight_decay (bool): NAdamW-style decay of the parameters (default: False).
        maximize (bool): maximize the objective instead of minimizing (default: False).
        foreach, capturable, differentiable: accepted for PyTorch compatibility.

    State per parameter: 'step', 'mu_product' (0-d tensors), 'exp_avg', 'exp_avg_sq'."""

    _group_defaults = (("maximize", False), ("foreach", None), ("capturable", False),
                       ("differentiable", False), ("decoupled_weight_decay", False))
    _scalar_state = ("step", "mu_product")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        check_betas_args(lr, betas, eps, weight_decay)
        if not 0.0 <= momentum_decay:
            raise ValueError(f"Invalid momentum_decay value: {momentum_decay}")
        if differentiable:
            raise NotImplementedError("lamina optimizers do not support differentiable=True")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "momentum_decay": momentum_decay, "decoupled_weight_decay": decoupled_weight_decay,
                    "maximize": maximize, "foreach": foreach, "capturable": capturable,
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
            momentum_decay = hyper(group["momentum_decay"])
            decoupled = group["decoupled_weight_decay"]
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
                    st["mu_product"] = step_tensor(1.0)
                    st["exp_avg"] = Tensor._wrap(np.zeros_like(pd))
                    st["exp_avg_sq"] = Tensor._wrap(np.zeros_like(pd))
                if maximize:
                    g = np.negative(g)
                t = advance(st["step"])
                bias_correction2 = 1 - beta2 ** t
                if weight_decay != 0:
                    if decoupled:
                        pd *= 1 - lr * weight_decay
                    else:
                        g = g + pd * weight_decay
                mu = beta1 * (1.0 - 0.5 * (0.96 ** (t * momentum_decay)))
                mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((t + 1) * momentum_decay)))
                # the product is a float32 (or float64) tensor, multiplied in its own precision as in PyTorch
                prod = st["mu_product"]._data
                prod *= mu
                mu_product = prod.item()
                mu_product_next = mu_product * mu_next
                m = st["exp_avg"]._data
                v = st["exp_avg_sq"]._data
                tmp = np.empty_like(pd)
                update_moments(g, m, v, tmp, beta1, beta2)
                denom = np.divide(v, bias_correction2, out=np.empty_like(pd))
                np.sqrt(denom, out=denom)
                denom += eps
                np.multiply(g, -lr * (1.0 - mu) / (1.0 - mu_product), out=tmp)
                tmp /= denom
                pd += tmp
                np.multiply(m, (-lr * mu_next) / (1.0 - mu_product_next), out=tmp)
                tmp /= denom
                pd += tmp
                p._vc[0] += 1
        return loss
