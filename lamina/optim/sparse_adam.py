"""SparseAdam: Adam for sparse gradients (e.g. nn.Embedding(sparse=True)).

lamina has no sparse tensors (its embedding gradients are dense), so this class gives PyTorch's
constructor checks, defaults and repr, and refuses a dense gradient in `step()` with PyTorch's
message, pointing to Adam."""
from ..tensor import Tensor
from .optimizer import Optimizer, run_closure

__all__ = ["SparseAdam"]


class SparseAdam(Optimizer):
    r"""SparseAdam: the Adam update applied only to the entries present in a sparse gradient
    (the moments of the other entries are left as they are).

    Args:
        params (iterable): dense parameters or dicts defining parameter groups.
        lr (float): learning rate (default: 1e-3).
        betas (Tuple[float, float]): coefficients of the running averages (default: (0.9, 0.999)).
        eps (float): added to the denominator (default: 1e-8).
        maximize (bool): maximize the objective instead of minimizing (default: False).

    State per parameter (as PyTorch): 'step' (a Python int), 'exp_avg', 'exp_avg_sq'."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 < lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        defaults = {"lr": lr, "betas": betas, "eps": eps, "maximize": maximize}
        super().__init__(params, defaults)
        complex_params = [[i, j] for i, group in enumerate(self.param_groups)
                          for j, p in enumerate(group["params"]) if p._data.dtype.kind == "c"]
        if complex_params:
            raise ValueError(f"Complex params at indices {complex_params}: SparseAdam does not support complex "
                             "parameters")

    def step(self, closure=None):
        """Perform a single optimization step; `closure` re-evaluates the model and returns the loss."""
        loss = run_closure(closure)
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    # every lamina gradient is dense
                    raise RuntimeError("SparseAdam does not support dense gradients, please consider Adam instead")
        return loss
