"""torch.nn.utils.prune: zero out parts of a parameter through a mask, kept apart from the weights.

Pruning `module.<name>` moves the parameter to `<name>_orig`, stores a 0/1 buffer `<name>_mask`,
and registers the pruning method as a forward pre-hook that sets the plain attribute
`module.<name> = <name>_mask * <name>_orig` before each call, so the pruned entries stay zero and
their gradients into `<name>_orig` are masked. Pruning the same tensor again gathers the methods
in a PruningContainer, each new method choosing only among the entries (or channels) still alive.
`remove` folds the mask in for good and makes `<name>` a plain Parameter again."""
import numbers
from abc import ABC, abstractmethod
from collections.abc import Iterable

from ... import contiguous_format, kthvalue, norm, ones_like, rand, rand_like, topk, zeros_like
from .convert_parameters import parameters_to_vector
from .weight_norm import remove_pre_hook_where

__all__ = ["BasePruningMethod", "PruningContainer", "Identity", "RandomUnstructured", "L1Unstructured",
           "RandomStructured", "LnStructured", "CustomFromMask", "identity", "random_unstructured",
           "l1_unstructured", "random_structured", "ln_structured", "global_unstructured",
           "custom_from_mask", "remove", "is_pruned"]


class BasePruningMethod(ABC):
    """A pruning technique: subclasses say which entries to drop (compute_mask) and what kind of
    choice that is (PRUNING_TYPE: "unstructured", "structured" or "global"); this class does the
    reparametrization of the module. An instance is also the forward pre-hook that reapplies the
    mask, and remembers the tensor it acts on in `_tensor_name`."""

    _tensor_name = None

    def __call__(self, module, inputs):
        setattr(module, self._tensor_name, self.apply_mask(module))

    @abstractmethod
    def compute_mask(self, t, default_mask):
        """The mask for `t` (the importance scores), on top of `default_mask` (ones, or the mask
        left by earlier pruning, whose zeros must stay zeros). Same shape as `t`."""

    def apply_mask(self, module):
        """`<name>_orig` times `<name>_mask`: the pruned tensor, differentiable in `<name>_orig`."""
        if self._tensor_name is None:
            raise AssertionError(f"Module {module} has to be pruned")
        mask = getattr(module, self._tensor_name + "_mask")
        orig = getattr(module, self._tensor_name + "_orig")
        return mask.to(dtype=orig.dtype) * orig

    @classmethod
    def apply(cls, module, name, *args, importance_scores=None, **kwargs):
        """Prune `module.<name>` with cls(*args, **kwargs), ranking by `importance_scores` (same
        shape as the parameter; the parameter itself when None). Returns the method now hooked
        on the module: the new one, or the PruningContainer holding it and the earlier ones."""
        method = _chain_with_earlier_pruning(cls, module, name, *args, **kwargs)
        orig = getattr(module, name)  # the pruned tensor when pruned before, the parameter otherwise
        if importance_scores is not None:
            if importance_scores.shape != orig.shape:
                raise AssertionError(f"importance_scores should have the same shape as parameter {name} of "
                                     f"{module}, got {importance_scores.shape} vs {orig.shape}")
        else:
            importance_scores = orig
        first_time = not isinstance(method, PruningContainer)
        if first_time:
            # the parameter object itself becomes <name>_orig (optimizers holding it keep working)
            module.register_parameter(name + "_orig", orig)
            del module._parameters[name]
            default_mask = ones_like(orig)
        else:
            default_mask = getattr(module, name + "_mask").detach().clone(memory_format=contiguous_format)
        try:
            mask = method.compute_mask(importance_scores, default_mask=default_mask)
            module.register_buffer(name + "_mask", mask)
            setattr(module, name, method.apply_mask(module))
            module.register_forward_pre_hook(method)
        except Exception:
            # a bad amount or dim found while computing the mask: give the parameter back
            if first_time:
                module.register_parameter(name, getattr(module, name + "_orig"))
                del module._parameters[name + "_orig"]
            raise
        return method

    def prune(self, t, default_mask=None, importance_scores=None):
        """`t` with this method's mask applied (no module involved)."""
        if importance_scores is not None:
            if importance_scores.shape != t.shape:
                raise AssertionError("importance_scores should have the same shape as tensor t, "
                                     f"got {importance_scores.shape} vs {t.shape}")
        else:
            importance_scores = t
        default_mask = default_mask if default_mask is not None else ones_like(t)
        return t * self.compute_mask(importance_scores, default_mask=default_mask)

    def remove(self, module):
        """Make the pruning permanent: `<name>` becomes the `<name>_orig` Parameter holding the
        masked values; `<name>_orig` and `<name>_mask` go away. The zeros stay."""
        if self._tensor_name is None:
            raise AssertionError(f"Module {module} has to be pruned before pruning can be removed")
        weight = self.apply_mask(module)
        if hasattr(module, self._tensor_name):
            delattr(module, self._tensor_name)
        orig = module._parameters[self._tensor_name + "_orig"]
        orig.data = weight.data
        del module._parameters[self._tensor_name + "_orig"]
        del module._buffers[self._tensor_name + "_mask"]
        setattr(module, self._tensor_name, orig)


def _chain_with_earlier_pruning(cls, module, name, *args, **kwargs):
    """The new method cls(*args, **kwargs) for `name`, joined with the pruning hook already on
    that tensor (if any) in a PruningContainer. The old hook is unregistered: apply registers
    the result."""
    earlier = [(key, hook) for key, hook in module._forward_pre_hooks.items()
               if isinstance(hook, BasePruningMethod) and hook._tensor_name == name]
    if len(earlier) > 1:
        raise AssertionError(f"Avoid adding multiple pruning hooks to the same tensor {name} of module {module}. "
                             "Use a PruningContainer.")
    for key, _ in earlier:
        del module._forward_pre_hooks[key]
    method = cls(*args, **kwargs)
    method._tensor_name = name
    if not earlier:
        return method
    old = earlier[0][1]
    if isinstance(old, PruningContainer):
        old.add_pruning_method(method)
        return old
    container = PruningContainer(old)
    container.add_pruning_method(method)
    return container


class PruningContainer(BasePruningMethod):
    """The pruning methods applied one after another to one tensor, in order. Its mask is the
    previous mask with the latest method's choice made among what that mask left alive.

    Args:
        *args: a BasePruningMethod, or several (all acting on the same tensor)."""

    def __init__(self, *args):
        self._pruning_methods = ()
        if args:
            self._tensor_name = args[0]._tensor_name
        for method in args:
            self.add_pruning_method(method)

    def add_pruning_method(self, method):
        """Append `method` (which must act on this container's tensor)."""
        if not isinstance(method, BasePruningMethod) and method is not None:
            raise TypeError(f"{type(method)} is not a BasePruningMethod subclass")
        if method is not None and self._tensor_name != method._tensor_name:
            raise ValueError("Can only add pruning methods acting on the parameter named "
                             f"'{self._tensor_name}' to PruningContainer {self}. Found '{method._tensor_name}'")
        self._pruning_methods += (method,)

    def __len__(self):
        return len(self._pruning_methods)

    def __iter__(self):
        return iter(self._pruning_methods)

    def __getitem__(self, idx):
        return self._pruning_methods[idx]

    def compute_mask(self, t, default_mask):
        method = self._pruning_methods[-1]
        new_mask = default_mask.to(dtype=t.dtype)
        alive = _still_prunable(method, t, default_mask)
        partial = method.compute_mask(t[alive], default_mask=default_mask[alive])
        new_mask[alive] = partial.to(dtype=new_mask.dtype)
        return new_mask


def _still_prunable(method, t, mask):
    """The index into `t` that `method` chooses from: the unmasked entries (unstructured), the
    channels along method.dim not yet wholly zero (structured), or everything (global)."""
    kind = method.PRUNING_TYPE
    if kind == "unstructured":
        return mask == 1
    if kind == "structured":
        if not hasattr(method, "dim"):
            raise AttributeError('Pruning methods of PRUNING_TYPE "structured" need to have the attribute '
                                 "`dim` defined.")
        ndim = t.dim()
        dim = method.dim + ndim if method.dim < 0 else method.dim
        if dim < 0:
            raise IndexError(f"Index is out of bounds for tensor with dimensions {ndim}")
        live_channels = mask.sum(dim=[d for d in range(ndim) if d != dim]) != 0
        index = [slice(None)] * ndim
        index[dim] = live_channels
        return tuple(index)
    if kind == "global":
        return tuple([slice(None)] * len(t.shape))
    raise ValueError(f"Unrecognized PRUNING_TYPE {kind}")


class Identity(BasePruningMethod):
    """Prunes nothing: sets up the reparametrization with a mask of ones."""

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t, default_mask):
        return default_mask

    @classmethod
    def apply(cls, module, name):
        return super().apply(module, name)


class _UnstructuredByAmount(BasePruningMethod):
    """An unstructured method pruning `amount` entries (int) or that fraction of them (float in
    [0, 1]) on each application."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount):
        _validate_pruning_amount_init(amount)
        self.amount = amount


class RandomUnstructured(_UnstructuredByAmount):
    """Prunes `amount` of the still unpruned entries, chosen at random (lamina's generator)."""

    def compute_mask(self, t, default_mask):
        return _unstructured_mask(self.amount, t, default_mask,
                                  lambda count: topk(rand_like(t).view(-1), k=count).indices)

    @classmethod
    def apply(cls, module, name, amount):
        return super().apply(module, name, amount=amount)


class L1Unstructured(_UnstructuredByAmount):
    """Prunes the `amount` still unpruned entries of smallest absolute value."""

    def compute_mask(self, t, default_mask):
        # lamina's topk breaks ties among equal magnitudes as torch's does (ops/_std_sort.py), so
        # the same entries go
        return _unstructured_mask(self.amount, t, default_mask,
                                  lambda count: topk(t.abs().view(-1), k=count, largest=False).indices)

    @classmethod
    def apply(cls, module, name, amount, importance_scores=None):
        return super().apply(module, name, amount=amount, importance_scores=importance_scores)


class RandomStructured(BasePruningMethod):
    """Prunes `amount` whole channels along `dim`, chosen at random (lamina's generator).

    Args:
        amount (int or float): how many channels to prune, or (float in [0, 1]) what fraction.
        dim (int): the dimension whose slices are the channels. Default: -1."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount, dim=-1):
        _validate_pruning_amount_init(amount)
        self.amount = amount
        self.dim = dim

    def compute_mask(self, t, default_mask):
        channels, count = _channels_to_prune(t, self.amount, self.dim)
        if count == 0:
            return default_mask
        draw = rand(channels)
        kept = draw > kthvalue(draw, k=count).values
        mask = _channel_mask(t, self.dim, kept)
        mask *= default_mask.to(dtype=mask.dtype)
        return mask

    @classmethod
    def apply(cls, module, name, amount, dim=-1):
        return super().apply(module, name, amount=amount, dim=dim)


class LnStructured(BasePruningMethod):
    """Prunes the `amount` channels along `dim` with the smallest L`n` norm.

    Args:
        amount (int or float): how many channels to prune, or (float in [0, 1]) what fraction.
        n (int, float, inf, -inf, 'fro', 'nuc'): the norm's order, as `p` of lamina.norm.
        dim (int): the dimension whose slices are the channels. Default: -1."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount, n, dim=-1):
        _validate_pruning_amount_init(amount)
        self.amount = amount
        self.n = n
        self.dim = dim

    def compute_mask(self, t, default_mask):
        channels, count = _channels_to_prune(t, self.amount, self.dim)
        # as torch: the norm and its ranking come first, so a bad `n` fails even when count is 0
        kept = topk(_compute_norm(t, self.n, self.dim), k=channels - count, largest=True).indices
        if count == 0:
            return default_mask
        mask = _channel_mask(t, self.dim, kept)
        mask *= default_mask.to(dtype=mask.dtype)
        return mask

    @classmethod
    def apply(cls, module, name, amount, n, dim, importance_scores=None):
        return super().apply(module, name, amount=amount, n=n, dim=dim, importance_scores=importance_scores)


class CustomFromMask(BasePruningMethod):
    """Prunes where the given `mask` is zero."""

    PRUNING_TYPE = "global"

    def __init__(self, mask):
        self.mask = mask

    def compute_mask(self, t, default_mask):
        if default_mask.shape != self.mask.shape:
            raise AssertionError(f"default_mask shape {default_mask.shape} must match self.mask shape {self.mask.shape}")
        return default_mask * self.mask.to(dtype=default_mask.dtype)

    @classmethod
    def apply(cls, module, name, mask):
        return super().apply(module, name, mask=mask)


def _channel_mask(t, dim, channels):
    """Zeros shaped like t, with ones on the slices along `dim` picked by `channels` (indices or
    a boolean selection)."""
    mask = zeros_like(t)
    index = [slice(None)] * len(t.shape)
    index[dim] = channels
    mask[tuple(index)] = 1
    return mask


# ---- the functional interface: each prunes in place and returns the module ------------------------

def identity(module, name):
    """Reparametrize `module.<name>` with a mask of ones (prunes nothing)."""
    Identity.apply(module, name)
    return module


def random_unstructured(module, name, amount):
    """Prune `amount` (count or fraction) of the entries of `module.<name>` at random."""
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(module, name, amount, importance_scores=None):
    """Prune the `amount` (count or fraction) entries of `module.<name>` with the smallest
    absolute importance (the parameter's own values when importance_scores is None)."""
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def random_structured(module, name, amount, dim):
    """Prune `amount` (count or fraction) channels of `module.<name>` along `dim`, at random."""
    RandomStructured.apply(module, name, amount, dim)
    return module


def ln_structured(module, name, amount, n, dim, importance_scores=None):
    """Prune the `amount` (count or fraction) channels of `module.<name>` along `dim` with the
    smallest L`n` norm of their importance scores."""
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def global_unstructured(parameters, pruning_method, importance_scores=None, **kwargs):
    """Prune several tensors at once, ranking all their entries together.

    Args:
        parameters (iterable of (module, name)): the tensors to prune.
        pruning_method (class): an unstructured BasePruningMethod, e.g. L1Unstructured.
        importance_scores (dict, optional): (module, name) -> scores shaped like that tensor.
        **kwargs: passed to pruning_method, e.g. amount (counted over all the tensors).

    Each tensor ends up pruned with CustomFromMask carrying its share of the joint mask."""
    if not isinstance(parameters, Iterable):
        raise TypeError("global_unstructured(): parameters is not an Iterable")
    importance_scores = importance_scores if importance_scores is not None else {}
    if not isinstance(importance_scores, dict):
        raise TypeError("global_unstructured(): importance_scores must be of type dict")
    parameters = list(parameters)  # walked three times below; a generator would be spent after one
    scores = parameters_to_vector([importance_scores.get((module, name), getattr(module, name))
                                   for module, name in parameters])
    default_mask = parameters_to_vector([getattr(module, name + "_mask", ones_like(getattr(module, name)))
                                         for module, name in parameters])
    method = pruning_method(**kwargs)
    method._tensor_name = "temp"
    if method.PRUNING_TYPE != "unstructured":
        raise TypeError('Only "unstructured" PRUNING_TYPE supported for the `pruning_method`. '
                        f"Found method {pruning_method} of type {method.PRUNING_TYPE}")
    # a container combines the joint choice with the masks the tensors already carry
    final_mask = PruningContainer(method).compute_mask(scores, default_mask)
    start = 0
    for module, name in parameters:
        param = getattr(module, name)
        count = param.numel()
        custom_from_mask(module, name, mask=final_mask[start:start + count].view_as(param))
        start += count


def custom_from_mask(module, name, mask):
    """Prune `module.<name>` where `mask` is zero."""
    CustomFromMask.apply(module, name, mask)
    return module


def remove(module, name):
    """Make the pruning of `module.<name>` permanent: drop `<name>_orig`, `<name>_mask` and the
    hook, leaving `<name>` a Parameter with the pruned values."""
    def prunes_name(hook):
        return isinstance(hook, BasePruningMethod) and hook._tensor_name == name
    return remove_pre_hook_where(module, prunes_name, f"Parameter '{name}' of module {module} has to be pruned "
                                                      "before pruning can be removed")


def is_pruned(module):
    """Whether `module` or any of its submodules carries a pruning hook."""
    return any(isinstance(hook, BasePruningMethod)
               for _, sub in module.named_modules() for hook in sub._forward_pre_hooks.values())


# ---- checks and sizes --------------------------------------------------------------------------------

def _unstructured_mask(amount, t, default_mask, choose):
    """default_mask with `amount` (a count or fraction of t's entries) more entries set to 0:
    the flat indices choose(count) returns."""
    size = t.nelement()
    count = _compute_nparams_toprune(amount, size)
    _validate_pruning_amount(count, size)
    mask = default_mask.clone(memory_format=contiguous_format)
    if count != 0:
        mask.view(-1)[choose(count)] = 0
    return mask


def _channels_to_prune(t, amount, dim):
    """(the number of channels along dim, how many of them to prune), after PyTorch's checks."""
    _validate_structured_pruning(t)
    _validate_pruning_dim(t, dim)
    channels = t.shape[dim]
    count = _compute_nparams_toprune(amount, channels)
    _validate_pruning_amount(count, channels)
    return channels, count


def _validate_pruning_amount_init(amount):
    if not isinstance(amount, numbers.Real):
        raise TypeError(f"Invalid type for amount: {amount}. Must be int or float.")
    integral = isinstance(amount, numbers.Integral)
    if (integral and amount < 0) or (not integral and not 0.0 <= float(amount) <= 1.0):
        raise ValueError(f"amount={amount} should either be a float in the range [0, 1] or a non-negative integer")


def _validate_pruning_amount(amount, tensor_size):
    if isinstance(amount, numbers.Integral) and amount > tensor_size:
        raise ValueError(f"amount={amount} should be smaller than the number of parameters to prune={tensor_size}")


def _validate_structured_pruning(t):
    shape = t.shape
    if len(shape) <= 1:
        raise ValueError("Structured pruning can only be applied to multidimensional tensors. "
                         f"Found tensor of shape {shape} with {len(shape)} dims")


def _compute_nparams_toprune(amount, tensor_size):
    # a fraction is rounded half to even, as Python's round (and torch) do
    return amount if isinstance(amount, numbers.Integral) else round(amount * tensor_size)


def _validate_pruning_dim(t, dim):
    if dim >= t.dim():
        raise IndexError(f"Invalid index {dim} for tensor of size {t.shape}")


def _compute_norm(t, n, dim):
    """The L`n` norm of each channel along `dim` (over all the other dimensions)."""
    dims = list(range(t.dim()))
    dims.remove(dims[dim])
    return norm(t, p=n, dim=dims)
