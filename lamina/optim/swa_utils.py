"""Stochastic Weight Averaging and EMA: an averaged copy of a model (AveragedModel), the
learning-rate schedule that goes with it (SWALR), and update_bn to recompute BatchNorm
statistics for the averaged weights.

The averaging arithmetic follows PyTorch's CPU kernels: lerp is fused (one rounding), integer
buffers are averaged in the default float dtype and truncated back."""
import math
import warnings
from copy import deepcopy

import numpy as np

from .._dtype import get_default_dtype
from ..autograd.grad_mode import no_grad
from ..nn.modules.module import Module
from ..nn.modules.normalization import _BatchNorm
from ..tensor import Tensor
from .lr_scheduler import LRScheduler, _per_group

__all__ = ["AveragedModel", "update_bn", "SWALR", "get_ema_multi_avg_fn", "get_swa_multi_avg_fn", "get_ema_avg_fn",
           "get_swa_avg_fn"]

_ADDCDIV_INT_ERROR = (
    "Integer division with addcdiv is no longer supported, and in a future  release addcdiv will perform a true "
    "division of tensor1 and tensor2. The historic addcdiv behavior can be implemented as (input + value * "
    "torch.trunc(tensor1 / tensor2)).to(input.dtype) for integer inputs and as (input + value * tensor1 / tensor2) "
    "for float inputs. The future addcdiv behavior is just the latter implementation: (input + value * tensor1 / "
    "tensor2), for all dtypes.")


def _as_float(arr):
    """Integer/bool data in the default float dtype (what PyTorch's type promotion gives for
    integer tensor × float); floating data unchanged."""
    return arr if arr.dtype.kind in "fc" else arr.astype(get_default_dtype().np)


def _count(num_averaged):
    return int(num_averaged._data) if isinstance(num_averaged, Tensor) else num_averaged


def _lerp_(start, end, weight):
    """start ← lerp(start, end, weight) in place, as PyTorch's CPU kernel computes it:
    start + w·(end − start) for |w| < 0.5, else end + (w − 1)·(end − start), each a fused
    multiply-add. float32 is emulated exactly through float64; float64 rounds twice."""
    w = start.dtype.type(weight)
    diff = end - start
    small = abs(w) < 0.5
    coeff, base = (w, start) if small else (w - 1, end)
    if start.dtype.itemsize < 8:
        start[...] = base.astype(np.float64) + diff.astype(np.float64) * np.float64(coeff)
    else:
        start[...] = base + diff * coeff


def _check_decay(decay):
    if decay < 0.0 or decay > 1.0:
        raise ValueError(f"Invalid decay value {decay} provided. Please provide a value in [0,1] range.")


def get_ema_multi_avg_fn(decay=0.999):
    r"""The in-place EMA update over lists of tensors, for AveragedModel's `multi_avg_fn`:
    :math:`W^{EMA} \leftarrow \text{decay}\, W^{EMA} + (1 - \text{decay})\, W^{model}`.

    Args:
        decay (float): in [0, 1] (default: 0.999)."""
    _check_decay(decay)

    def ema_update(ema_param_list, current_param_list, _):
        floating = ema_param_list[0]._data.dtype.kind in "fc"
        for p_ema, p_model in zip(ema_param_list, current_param_list, strict=True):
            dst = p_ema._data
            if floating:
                _lerp_(dst, p_model._data, 1 - decay)
            else:
                dst[...] = _as_float(dst) * decay + _as_float(p_model._data) * (1 - decay)
            p_ema._vc[0] += 1

    return ema_update


def get_swa_multi_avg_fn():
    r"""The in-place equal-weight (SWA) update over lists of tensors, for AveragedModel's
    `multi_avg_fn`: :math:`W^{SWA} \leftarrow W^{SWA} + (W^{model} - W^{SWA}) / (n + 1)`."""

    def swa_update(averaged_param_list, current_param_list, num_averaged):
        n = _count(num_averaged)
        if averaged_param_list[0]._data.dtype.kind not in "fc":
            if isinstance(num_averaged, Tensor):
                raise RuntimeError(_ADDCDIV_INT_ERROR)
            raise RuntimeError("For integral input tensors, argument alpha must not be a floating point number.")
        # a tensor count gives the weight as a default-dtype tensor (1 / long tensor)
        weight = (get_default_dtype().np.type(1) / (n + 1) if isinstance(num_averaged, Tensor)
                  else 1 / (n + 1))
        for p_avg, p_model in zip(averaged_param_list, current_param_list, strict=True):
            _lerp_(p_avg._data, p_model._data, weight)
            p_avg._vc[0] += 1

    return swa_update


def get_ema_avg_fn(decay=0.999):
    r"""The EMA of one tensor, for AveragedModel's `avg_fn`: returns
    :math:`\text{decay}\, W^{EMA} + (1 - \text{decay})\, W^{model}`.

    Args:
        decay (float): in [0, 1] (default: 0.999)."""
    _check_decay(decay)

    def ema_update(ema_param, current_param, num_averaged):
        return Tensor._wrap(decay * _as_float(ema_param._data) + (1 - decay) * _as_float(current_param._data))

    return ema_update


def _swa_average(avg, cur, n):
    avg, cur = _as_float(avg), _as_float(cur)
    return avg + (cur - avg) / (n + 1)


def get_swa_avg_fn():
    r"""The equal-weight (SWA) average of one tensor, for AveragedModel's `avg_fn`: returns
    :math:`W^{SWA} + (W^{model} - W^{SWA}) / (n + 1)`."""

    def swa_update(averaged_param, current_param, num_averaged):
        return Tensor._wrap(_swa_average(averaged_param._data, current_param._data, _count(num_averaged)))

    return swa_update


def _copy_into(dst, value):
    """dst ← value in place (float values truncate into integer buffers, as copy_ does)."""
    dst._data[...] = value._data if isinstance(value, Tensor) else value
    dst._vc[0] += 1


class AveragedModel(Module):
    r"""A running average of a model's parameters: Stochastic Weight Averaging (SWA) by default,
    or any average given as `avg_fn` / `multi_avg_fn` (e.g. an EMA).

    The first `update_parameters(model)` copies the model's parameters; each later call averages
    them in: :math:`W \leftarrow W + (W^{model} - W)/(n + 1)` for SWA, where n (the buffer
    `n_averaged`) counts the models averaged so far. Buffers are copied from the model, or averaged
    too with `use_buffers=True`.

    Args:
        model (Module): the model to average (deep-copied).
        device: where to keep the copy (default: None, the model's device).
        avg_fn (callable): `avg_fn(averaged, current, n_averaged) -> Tensor` for one tensor.
        multi_avg_fn (callable): `multi_avg_fn(averaged_list, current_list, n_averaged)`, updating
            the first list in place.
        use_buffers (bool): average the buffers as well as the parameters (default: False)."""

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        self.module = deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", Tensor._wrap(np.array(0, dtype=np.int64)))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def update_parameters(self, model):
        """Average `model`'s current parameters (and buffers with use_buffers) into this copy."""
        if self.use_buffers:
            mine = [*self.module.parameters(), *self.module.buffers()]
            theirs = [*model.parameters(), *model.buffers()]
        else:
            mine, theirs = list(self.parameters()), list(model.parameters())
        pairs = list(zip(mine, theirs))
        n = int(self.n_averaged._data)
        if n == 0:
            for p_avg, p_model in pairs:
                _copy_into(p_avg, p_model._data)
        else:
            self._average(pairs, n)
        if not self.use_buffers:
            for b_avg, b_model in zip(self.module.buffers(), model.buffers(), strict=True):
                _copy_into(b_avg, b_model._data)
        arr = self.n_averaged._data
        arr[()] = arr + 1
        self.n_averaged._vc[0] += 1

    def _average(self, pairs, n):
        if self.avg_fn is not None and self.multi_avg_fn is None:
            for p_avg, p_model in pairs:
                _copy_into(p_avg, self.avg_fn(p_avg.detach(), p_model.detach(), self.n_averaged))
            return
        if self.multi_avg_fn is None:  # equal-weight average, one tensor at a time as PyTorch on CPU
            for p_avg, p_model in pairs:
                _copy_into(p_avg, _swa_average(p_avg._data, p_model._data, n))
            return
        # like PyTorch, one call per dtype (in order of first appearance)
        groups = {}
        for p_avg, p_model in pairs:
            mine, theirs = groups.setdefault(p_avg._data.dtype, ([], []))
            mine.append(p_avg.detach())
            theirs.append(p_model.detach())
        for mine, theirs in groups.values():
            self.multi_avg_fn(mine, theirs, self.n_averaged)


def update_bn(loader, model, device=None):
    """Recompute the BatchNorm running statistics of `model` with one pass over `loader`.

    Every BatchNorm layer's running statistics are reset and accumulated as a cumulative average
    (momentum None) over the batches; the momenta and the model's training mode are restored
    afterwards.

    Args:
        loader (iterable): batches: tensors, or lists/tuples whose first element is the input.
        model (Module): the model to update.
        device: if set, each batch is moved there first."""
    momenta = {}
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta:
        module.momentum = None
    with no_grad():
        for batch in loader:
            if isinstance(batch, (list, tuple)):
                batch = batch[0]
            if device is not None:
                batch = batch.to(device)
            model(batch)
    for module, momentum in momenta.items():
        module.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    r"""Anneals each group's learning rate to a fixed `swa_lr` over `anneal_epochs` epochs, then
    keeps it there.

    .. math::
        \eta_t = \alpha_t\,\eta_{swa} + (1 - \alpha_t)\,\eta_0, \quad
        \alpha_t = \frac{1 - \cos(\pi \min(1, t/T))}{2} \text{ (cos) or } \min(1, t/T) \text{ (linear)}

    where :math:`\eta_0` is recovered from the current lr, so SWALR can take over from another
    scheduler at any epoch.

    Args:
        optimizer (Optimizer): wrapped optimizer.
        swa_lr (float or list): the final lr, for all groups or one per group.
        anneal_epochs (int): T, the number of annealing epochs (default: 10).
        anneal_strategy (str): 'cos' or 'linear' (default: 'cos').
        last_epoch (int): the index of the last epoch (default: -1)."""

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos", last_epoch=-1):
        for value, group in zip(_per_group("swa_lr", optimizer, swa_lr), optimizer.param_groups, strict=True):
            group["swa_lr"] = value
        if anneal_strategy not in ["cos", "linear"]:
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}")
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t):
        return t

    @staticmethod
    def _cosine_anneal(t):
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr, swa_lr, alpha):
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def _set_anneal_func(self, anneal_strategy):
        self._anneal_strategy = anneal_strategy
        self.anneal_func = self._cosine_anneal if anneal_strategy == "cos" else self._linear_anneal

    def get_lr(self):
        if not self._get_lr_called_within_step:
            warnings.warn("To get the last learning rate computed by the scheduler, please use `get_last_lr()`.",
                          UserWarning, stacklevel=2)
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        # undo the previous epoch's interpolation to recover the lr SWALR started from
        prev_alpha = self.anneal_func(max(0, min(1, (step - 1) / max(1, self.anneal_epochs))))
        prev_lrs = [self._get_initial_lr(group["lr"], group["swa_lr"], prev_alpha)
                    for group in self.optimizer.param_groups]
        alpha = self.anneal_func(max(0, min(1, step / max(1, self.anneal_epochs))))
        return [group["swa_lr"] * alpha + lr * (1 - alpha)
                for group, lr in zip(self.optimizer.param_groups, prev_lrs, strict=True)]

    def state_dict(self):
        """Every attribute except the optimizer and the annealing function."""
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)
