"""Optimizer: the base class that holds parameter groups and per-parameter state.

Subclasses implement `step()` as one pass over each group's parameters, updating `p.data` in
place with NumPy (no autograd graph). The state_dict format is PyTorch's: per-parameter state
keyed by the parameter's position across all groups, and each group's options with
'params' as a list of those positions, so checkpoints move between lamina and PyTorch."""
import copy
import functools
from collections import OrderedDict, defaultdict

import numpy as np

from .._dtype import get_default_dtype
from ..autograd.grad_mode import enable_grad
from ..tensor import Tensor
from ..utils.hooks import RemovableHandle

__all__ = ["Optimizer", "register_optimizer_step_pre_hook", "register_optimizer_step_post_hook"]

_global_step_pre_hooks = OrderedDict()
_global_step_post_hooks = OrderedDict()


class _RequiredParameter:
    """Marks an option that every parameter group must set (there is no default)."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


def _add_hook(hooks, hook, prepend=False):
    handle = RemovableHandle(hooks, None)
    handle._key = handle.id
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


def register_optimizer_step_pre_hook(hook):
    """Register `hook(optimizer, args, kwargs) -> None or (args, kwargs)` before every optimizer's step."""
    return _add_hook(_global_step_pre_hooks, hook)


def register_optimizer_step_post_hook(hook):
    """Register `hook(optimizer, args, kwargs)` after every optimizer's step."""
    return _add_hook(_global_step_post_hooks, hook)


def _typename(obj):
    if isinstance(obj, Tensor):
        return obj.type()
    return type(obj).__name__ if type(obj).__module__ == "builtins" else f"{type(obj).__module__}.{type(obj).__qualname__}"


def _hooked_step(step):
    """Wrap a step method so that step pre/post hooks run around it."""
    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        if _global_step_pre_hooks or self._optimizer_step_pre_hooks:
            for hook in (*_global_step_pre_hooks.values(), *self._optimizer_step_pre_hooks.values()):
                result = hook(self, args, kwargs)
                if result is not None:
                    if isinstance(result, tuple) and len(result) == 2:
                        args, kwargs = result
                    else:
                        raise RuntimeError(
                            f"{step} must return None or a tuple of (new_args, new_kwargs), but got {result}.")
        out = step(self, *args, **kwargs)
        self._opt_called = True  # read by lr schedulers to warn about a wrong call order
        if _global_step_post_hooks or self._optimizer_step_post_hooks:
            for hook in (*self._optimizer_step_post_hooks.values(), *_global_step_post_hooks.values()):
                hook(self, args, kwargs)
        return out
    wrapper._hooked = True
    return wrapper


def scalar_dtype():
    """The dtype of step counters in optimizer state: float32, or float64 if that is the default."""
    return np.float64 if get_default_dtype().np == np.float64 else np.float32


def step_tensor(value=0.0):
    return Tensor._wrap(np.array(value, dtype=scalar_dtype()))


def advance(step):
    """Add one to a step-counter tensor in place and return the new count as a Python float.

    Item access and assignment are about ten times cheaper than `arr += 1` on a 0-d array."""
    arr = step._data
    arr[()] = arr.item() + 1.0
    return arr.item()


def check_betas_args(lr, betas, eps, weight_decay):
    """The argument checks the Adam family shares, with PyTorch's messages."""
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


def each_param(state, group, buffers, weight_decay=0.0):
    """The per-parameter preamble every element-wise optimizer shares.

    Yields (p, grad, st, t) for each parameter of `group` that has a gradient: the parameter, its
    gradient (negated when the group maximizes, plus the L2 term weight_decay·θ when given), its
    state dict (a step counter and a zeroed array per name in `buffers` are created on first use)
    and the step count after this step. Neither p.grad nor anything shared is modified."""
    maximize = group["maximize"]
    for p in group["params"]:
        grad = p._grad
        if grad is None:
            continue
        data = p._data
        g = grad._data
        st = state[p]
        if len(st) == 0:
            st["step"] = step_tensor()
            for name in buffers:
                st[name] = Tensor._wrap(np.zeros_like(data))
        if maximize:
            g = np.negative(g)
        t = advance(st["step"])
        if weight_decay != 0:
            g = g + data * weight_decay
        yield p, g, st, t


def run_closure(closure):
    if closure is None:
        return None
    with enable_grad():
        return closure()


class Optimizer:
    # (key, value) options that __setstate__ fills in for groups pickled without them, and the
    # per-parameter state entries that must be 0-d tensors; each optimizer names its own
    _group_defaults = ()
    _scalar_state = ("step",)

    """Base class for all optimizers.

    Args:
        params (iterable): Tensors, (name, Tensor) pairs, or dicts defining parameter groups
            (each with a 'params' entry and any options that override `defaults`).
        defaults (dict): default values of the optimization options."""

    def __init__(self, params, defaults):
        self.defaults = defaults
        self._optimizer_step_pre_hooks = OrderedDict()
        self._optimizer_step_post_hooks = OrderedDict()
        self._optimizer_state_dict_pre_hooks = OrderedDict()
        self._optimizer_state_dict_post_hooks = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks = OrderedDict()
        self._optimizer_load_state_dict_post_hooks = OrderedDict()
        self._patch_step_function()
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            "but got " + _typename(params))
        self.state = defaultdict(dict)
        self.param_groups = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    def _patch_step_function(self):
        # Like PyTorch: wrap the concrete class's step once, so hooks run for every subclass.
        cls = type(self)
        if not getattr(cls.step, "_hooked", False):
            cls.step = _hooked_step(cls.step)

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        for name in ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks",
                     "_optimizer_state_dict_pre_hooks", "_optimizer_state_dict_post_hooks",
                     "_optimizer_load_state_dict_pre_hooks", "_optimizer_load_state_dict_post_hooks"):
            if name not in self.__dict__:
                setattr(self, name, OrderedDict())
        self._patch_step_function()
        self.defaults.setdefault("differentiable", False)
        # Checkpoints from older versions may lack newer group options, and may hold per-parameter
        # counters as Python numbers where the update rules now expect 0-d tensors.
        for group in self.param_groups:
            for key, value in self._group_defaults:
                group.setdefault(key, value)
            for p in group["params"]:
                st = self.state.get(p)
                if not st:
                    continue
                for key in self._scalar_state:
                    if key in st and not isinstance(st[key], Tensor):
                        st[key] = step_tensor(float(st[key]))

    def __repr__(self):
        # PyTorch's layout, including the blank line between groups
        out = type(self).__name__ + " ("
        for i, group in enumerate(self.param_groups):
            out += f"\nParameter Group {i}\n"
            out += "".join(f"    {key}: {group[key]}\n" for key in sorted(group) if key != "params")
        return out + ")"

    # ---- parameter groups ------------------------------------------------------------------
    def add_param_group(self, param_group):
        """Add a group of parameters (a dict with 'params' and optional per-group options)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering "
                            "of tensors in sets will change between runs. Please use a list instead.")
        else:
            params = list(params)
        tensors, names = [], []
        for p in params:
            if isinstance(p, tuple):
                names.append(p[0])
                tensors.append(p[1])
            else:
                tensors.append(p)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
            param_group["param_names"] = names
        for p in tensors:
            if not isinstance(p, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is " + _typename(p))
            if not self.defaults.get("differentiable", None) and not (p.is_leaf or p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required optimization parameter {name}")
            param_group.setdefault(name, default)
        ids = [id(p) for p in tensors]
        if len(ids) != len(set(ids)):
            import warnings
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, this will "
                          "cause an error; see github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        seen = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {which} to the optimizer")
        if not seen.isdisjoint(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all optimized tensors: to None (default), or to zeros in place."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                if set_to_none:
                    p._grad = None
                else:
                    if g.grad_fn is not None:
                        g.detach_()
                    else:
                        g.requires_grad_(False)
                    g._data[...] = 0
                    g._vc[0] += 1

    def step(self, closure=None):
        """Perform a single optimization step; `closure` re-evaluates the model and returns the loss."""
        raise NotImplementedError

    # ---- hooks -----------------------------------------------------------------------------
    def register_step_pre_hook(self, hook):
        """Register `hook(optimizer, args, kwargs) -> None or (new_args, new_kwargs)`, run before step."""
        return _add_hook(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook):
        """Register `hook(optimizer, args, kwargs)`, run after step."""
        return _add_hook(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook, prepend=False):
        return _add_hook(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend=False):
        return _add_hook(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend=False):
        return _add_hook(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend=False):
        return _add_hook(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # ---- state_dict --------------------------------------------------------------------------
    def state_dict(self):
        """The optimizer's state as a dict: {'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}.

        Like PyTorch, the state tensors are returned by reference, not copied."""
        for hook in self._optimizer_state_dict_pre_hooks.values():
            hook(self)
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {(index[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        state_dict = {"state": state, "param_groups": groups}
        for hook in self._optimizer_state_dict_post_hooks.values():
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        return state_dict

    def load_state_dict(self, state_dict):
        """Load state from `state_dict()` output (lamina's, or PyTorch's with its tensors converted).

        Tensors are copied (floating state cast to its parameter's dtype); the optimizer is unchanged
        if the groups do not match."""
        state_dict = state_dict.copy()
        for hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the size of "
                             "optimizer's group")
        id_map = {}
        for g, s in zip(groups, saved_groups):
            id_map.update(zip(s["params"], g["params"]))

        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = {key: _cast_state(param, key, val) for key, val in v.items()}
            else:
                state[k] = v
        for g, s in zip(groups, saved_groups):
            s["params"] = g["params"]
            if "param_names" in g and "param_names" not in s:
                s["param_names"] = g["param_names"]
        self.__setstate__({"state": state, "param_groups": saved_groups})
        for hook in self._optimizer_load_state_dict_post_hooks.values():
            hook(self)


def _cast_state(param, key, value):
    """A private copy of one state value (a Tensor or ndarray becomes a Tensor). As in PyTorch,
    state of a floating-point parameter takes the parameter's dtype, except the step counter."""
    if isinstance(value, (Tensor, np.ndarray)):
        arr = value._data if isinstance(value, Tensor) else value
        if key != "step" and param._data.dtype.kind == "f":
            arr = arr.astype(param._data.dtype, copy=True)
        else:
            arr = arr.copy()
        return Tensor._wrap(arr)
    if isinstance(value, dict):
        return {k: _cast_state(param, k, v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast_state(param, None, v) for v in value)
    return value


def hyper(value):
    """A hyperparameter as a Python float, so NumPy keeps the parameters' dtype (a NumPy float64
    scalar or a 0-d Tensor would not be a weak scalar)."""
    return value if type(value) is float else float(value)
