"""Module: the base of every layer. Parameters, buffers and submodules register themselves by
attribute assignment; state_dict keys, repr text and train/eval follow PyTorch exactly.

A call runs `forward` directly when no hook is registered anywhere (the common case), so the
cost of a layer call is one Python call more than its forward."""
from collections import OrderedDict, namedtuple
import functools
import itertools

import numpy as np

from ... import _dtype
from ...autograd.grad_mode import no_grad
from ...tensor import Tensor
from ...utils.hooks import RemovableHandle
from ..parameter import Buffer, Parameter

class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """load_state_dict's result; a notebook shows PyTorch's line when nothing is missing or unexpected."""

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__

_EXTRA_STATE = "_extra_state"  # the state_dict key suffix of get_extra_state's value
_HOOK_DICTS = ("_forward_pre_hooks", "_forward_hooks", "_backward_hooks", "_backward_pre_hooks", "_state_dict_hooks",
               "_state_dict_pre_hooks", "_load_state_dict_pre_hooks", "_load_state_dict_post_hooks")
_pending_loads = []  # per load_state_dict in progress: the copies its modules planned


def _apply_load(plan, assign):
    """Make the copies load_state_dict checked: (tensor, value) pairs, or (set_extra_state, state)."""
    with no_grad():
        for target, value in plan:
            if not isinstance(target, Tensor):
                target(value)
            elif assign:
                target._data = value._data
                target._vc[0] += 1
            else:
                np.copyto(target._data, value._data.reshape(target._data.shape), casting="unsafe")
                target._vc[0] += 1


# Hooks registered for every module (register_module_forward_hook and friends).
_global_forward_pre_hooks = OrderedDict()
_global_forward_hooks = OrderedDict()
_global_forward_hooks_always_called = {}
_global_backward_hooks = OrderedDict()
_hook_ids = itertools.count()


def _addindent(text, spaces):
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    first = lines.pop(0)
    return first + "\n" + "\n".join((" " * spaces) + line for line in lines)


def register_module_forward_pre_hook(hook):
    key = next(_hook_ids)
    _global_forward_pre_hooks[key] = hook
    return RemovableHandle(_global_forward_pre_hooks, key)


def register_module_forward_hook(hook, *, always_call=False):
    key = next(_hook_ids)
    _global_forward_hooks[key] = hook
    if always_call:
        _global_forward_hooks_always_called[key] = True
    return RemovableHandle(_global_forward_hooks, key)


def register_module_full_backward_hook(hook):
    key = next(_hook_ids)
    _global_backward_hooks[key] = hook
    return RemovableHandle(_global_backward_hooks, key)


class Module:
    """Base class for all neural network modules; subclass it and define `forward`."""

    _version = 1
    training: bool
    call_super_init = False

    def __init__(self, *args, **kwargs):
        if args or kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got unexpected arguments")
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = {}
        d["_buffers"] = {}
        d["_non_persistent_buffers_set"] = set()
        d["_modules"] = {}
        d["_forward_pre_hooks"] = OrderedDict()
        d["_forward_pre_hooks_with_kwargs"] = {}
        d["_forward_hooks"] = OrderedDict()
        d["_forward_hooks_with_kwargs"] = {}
        d["_forward_hooks_always_called"] = {}
        d["_backward_hooks"] = OrderedDict()
        d["_backward_pre_hooks"] = OrderedDict()
        d["_state_dict_hooks"] = OrderedDict()
        d["_state_dict_pre_hooks"] = OrderedDict()
        d["_load_state_dict_pre_hooks"] = OrderedDict()
        d["_load_state_dict_post_hooks"] = OrderedDict()

    def forward(self, *input):
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required "forward" function')

    # ---- calling ----------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        if (self._forward_hooks or self._forward_pre_hooks or self._backward_hooks or self._backward_pre_hooks
                or _global_forward_hooks or _global_forward_pre_hooks or _global_backward_hooks):
            return self._call_with_hooks(args, kwargs)
        return self.forward(*args, **kwargs)

    def _call_with_hooks(self, args, kwargs):
        from ._hooks import call_with_hooks
        return call_with_hooks(self, args, kwargs)

    # ---- registration -----------------------------------------------------------------------
    def __setattr__(self, name, value):
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._remove_from(name, keep="_parameters")
            self.register_parameter(name, value)
            return
        if params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as parameter '{name}' "
                                "(torch.nn.Parameter or None expected)")
            self.register_parameter(name, value)
            return
        modules = d.get("_modules")
        if isinstance(value, Module):
            if modules is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._remove_from(name, keep="_modules")
            modules[name] = value
            return
        if modules is not None and name in modules:
            if value is not None:
                raise TypeError(f"cannot assign '{_typename(value)}' as child module '{name}' "
                                "(torch.nn.Module or None expected)")
            modules[name] = value
            return
        buffers = d.get("_buffers")
        if isinstance(value, Buffer) or (buffers is not None and name in buffers):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{_typename(value)}' as buffer '{name}' "
                                "(torch.nn.Buffer, torch.Tensor or None expected)")
            if isinstance(value, Buffer):
                persistent = value.persistent
                value = Tensor._wrap(value._data)
                self._remove_from(name, keep="_buffers")
                self.register_buffer(name, value, persistent)
            else:
                buffers[name] = value
            return
        object.__setattr__(self, name, value)

    def _remove_from(self, name, keep=None):
        """Forget `name` everywhere except in the store `keep` (where re-registering it keeps
        its place in the order, as PyTorch does)."""
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            if key != keep:
                d[key].pop(name, None)
        if keep != "_buffers":
            d["_non_persistent_buffers_set"].discard(name)
        d.pop(name, None)

    def __getattr__(self, name):
        # runs for every parameter, buffer and submodule access (self.weight, self.fc1):
        # the three stores looked up in line, not in a loop
        d = self.__dict__
        store = d.get("_parameters")
        if store is not None and name in store:
            return store[name]
        store = d.get("_buffers")
        if store is not None and name in store:
            return store[name]
        store = d.get("_modules")
        if store is not None and name in store:
            return store[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            if name in d.get(key, ()):
                del d[key][name]
                d["_non_persistent_buffers_set"].discard(name)
                return
        object.__delattr__(self, name)

    def _check_name(self, kind, name):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {kind} before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string. Got {_typename(name)}")
        if "." in name:
            raise KeyError(f'{kind} name can\'t contain "."')
        if name == "":
            raise KeyError(f'{kind} name can\'t be empty string ""')

    def register_parameter(self, name, param):
        self._check_name("parameter", name)
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{_typename(param)}' object to parameter '{name}' "
                            "(torch.nn.Parameter or None required)")
        if param is not None and param.grad_fn is not None:
            raise ValueError(f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must be "
                             f"created explicitly. To express '{name}' as a function of another Tensor, compute "
                             "the value in the forward() method.")
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        self._check_name("buffer", name)
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{_typename(tensor)}' object to buffer '{name}' "
                            "(torch Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name, module):
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{_typename(module)} is not a Module subclass")
        self._check_name("module", name)
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target):
        if target == "":
            return self
        mod = self
        for item in target.split("."):
            if not hasattr(mod, item):
                raise AttributeError(mod._get_name() + " has no attribute `" + item + "`")
            mod = getattr(mod, item)
            if not isinstance(mod, Module):
                raise AttributeError("`" + item + "` is not an nn.Module")
        return mod

    def set_submodule(self, target, module, strict=False):
        """Replace (or, unless strict, add) the submodule at the dotted path `target`."""
        if target == "":
            raise ValueError("Cannot set the submodule without a target name!")
        parent_path, _, name = target.rpartition(".")
        if not isinstance(module, Module):
            raise ValueError(f"`module` is not an nn.Module, found {type(module)}")
        parent = self.get_submodule(parent_path)
        if strict and not hasattr(parent, name):
            raise AttributeError(parent._get_name() + " has no attribute `" + name + "`")
        if hasattr(parent, name) and not isinstance(getattr(parent, name), Module):
            raise AttributeError("`" + name + "` is not an nn.Module")
        setattr(parent, name, module)

    def get_parameter(self, target):
        path, _, name = target.rpartition(".")
        mod = self.get_submodule(path)
        if not hasattr(mod, name):
            raise AttributeError(mod._get_name() + " has no attribute `" + name + "`")
        param = getattr(mod, name)
        if not isinstance(param, Parameter):
            raise AttributeError("`" + name + "` is not an nn.Parameter")
        return param

    def get_buffer(self, target):
        path, _, name = target.rpartition(".")
        mod = self.get_submodule(path)
        if not hasattr(mod, name):
            raise AttributeError(mod._get_name() + " has no attribute `" + name + "`")
        buffer = getattr(mod, name)
        if name not in mod._buffers:
            raise AttributeError("`" + name + "` is not a buffer")
        return buffer

    # ---- traversal --------------------------------------------------------------------------
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        if memo is None:
            memo = set()
        if remove_duplicate:
            if self in memo:
                return
            memo.add(self)
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            yield from module.named_modules(memo, prefix + ("." if prefix else "") + name, remove_duplicate)

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        seen = set()
        for name, module in self._modules.items():
            if module is not None and module not in seen:
                seen.add(module)
                yield name, module

    def children(self):
        for _, m in self.named_children():
            yield m

    def _named_members(self, get_members, prefix="", recurse=True, remove_duplicate=True):
        seen = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in get_members(module):
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                if remove_duplicate:
                    seen.add(id(value))
                yield module_prefix + ("." if module_prefix else "") + name, value

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        return self._named_members(lambda m: m._parameters.items(), prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        return self._named_members(lambda m: m._buffers.items(), prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # ---- modes and bulk changes -------------------------------------------------------------
    def train(self, mode=True):
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.__dict__["training"] = mode
        for child in self.children():  # through each child's own train(): an override (a frozen BatchNorm) runs
            child.train(mode)
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        for p in self.parameters():
            if p._grad is None:
                continue
            if set_to_none:
                p._grad = None
            else:
                p._grad.detach_()
                p._grad.zero_()

    def apply(self, fn):
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def _convert_floats(self, np_dtype):
        """Cast floating parameters, their grads and buffers in place (Parameter identity kept,
        so optimizers built before the cast still hold the same objects)."""
        for m in self.modules():
            for p in m._parameters.values():
                if p is not None and p._data.dtype.kind == "f" and p._data.dtype != np_dtype:
                    p._data = p._data.astype(np_dtype)
                    if p._grad is not None:
                        p._grad._data = p._grad._data.astype(np_dtype)
            for k, b in m._buffers.items():
                if b is not None and b._data.dtype.kind == "f" and b._data.dtype != np_dtype:
                    b._data = b._data.astype(np_dtype)
        return self

    def to(self, *args, **kwargs):
        from ..._device import check_device
        dtype = kwargs.get("dtype")
        check_device(kwargs.get("device"))
        for a in args:
            if isinstance(a, Tensor):
                dtype = a.dtype
            elif (isinstance(a, (_dtype.dtype, _dtype.ForeignDtype)) or (isinstance(a, str) and a in _dtype._NAMES)
                  or (a is not None and not isinstance(a, str) and type(a).__name__ == "dtype")):
                dtype = a
            else:
                check_device(a)
        if dtype is None:
            return self
        dt = _dtype.to_dtype(dtype)
        if not dt.is_floating_point:
            raise TypeError(f"nn.Module.to only accepts floating point or complex dtypes, but got desired "
                            f"dtype={dt}")
        return self._convert_floats(dt.np)

    def float(self):
        return self._convert_floats(np.dtype(np.float32))

    def bfloat16(self):
        return self.to(_dtype.bfloat16)  # raises: NumPy has no bfloat16 arrays

    def to_empty(self, *, device=None, recurse=True):
        """Parameters and buffers replaced by uninitialised memory of the same shapes and dtypes
        (they keep their identity); initialise them afterwards, as after PyTorch's to_empty."""
        from ..._device import check_device
        check_device(device)
        for m in (self.modules() if recurse else (self,)):
            for t in (*m._parameters.values(), *m._buffers.values()):
                if t is not None:
                    t._data = np.empty_like(t._data)
                    t._grad = None
        return self

    def compile(self, *args, **kwargs):
        """Accepted for PyTorch scripts (Module.compile() compiles the module's calls in place).
        lamina keeps calling the module eagerly, which gives the same values; lamina.compile(model)
        is lamina's own replay, and returns a new callable instead."""
        return None

    def double(self):
        return self._convert_floats(np.dtype(np.float64))

    def half(self):
        return self._convert_floats(np.dtype(np.float16))

    def type(self, dst_type):
        return self.to(dst_type)

    def cpu(self):
        return self

    def cuda(self, device=None):
        raise AssertionError("Torch not compiled with CUDA enabled")  # a CPU build's answer

    def share_memory(self):
        return self

    # ---- state ------------------------------------------------------------------------------
    def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
        if args:  # the legacy positional form state_dict(destination, prefix, keep_vars)
            destination = args[0]
            if len(args) > 1:
                prefix = args[1]
            if len(args) > 2:
                keep_vars = args[2]
        if destination is None:
            destination = OrderedDict()
            destination._metadata = OrderedDict()
        local_metadata = {"version": self._version}
        meta = getattr(destination, "_metadata", None)
        if meta is not None:
            meta[prefix[:-1]] = local_metadata
        for hook in self._state_dict_pre_hooks.values():
            hook(self, prefix, keep_vars)
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars)
        for hook in self._state_dict_hooks.values():
            result = hook(self, destination, prefix, local_metadata)
            if getattr(hook, "_from_public_api", False):
                if result is not None:
                    raise RuntimeError("state_dict post-hook must return None")
            elif result is not None:  # the private hook's old contract: its result replaces the dict
                destination = result
        return destination

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if keep_vars else b.detach()
        if type(self).get_extra_state is not Module.get_extra_state:
            destination[prefix + _EXTRA_STATE] = self.get_extra_state()

    def get_extra_state(self):
        """Extra state for this module's state_dict (under the key '_extra_state'): override it
        together with set_extra_state."""
        raise RuntimeError("Reached a code path in Module.get_extra_state() that should never be called. "
                           "Please file an issue at https://github.com/pytorch/pytorch/issues/new?template=bug-report.yml "
                           "to report this bug.")

    def set_extra_state(self, state):
        raise RuntimeError("Reached a code path in Module.set_extra_state() that should never be called. "
                           "Please file an issue at https://github.com/pytorch/pytorch/issues/new?template=bug-report.yml "
                           "to report this bug.")

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        """Check this module's own entries of state_dict (not its children's) and load them.

        PyTorch's hook point: a subclass overrides it to rename or convert an old checkpoint's keys
        in state_dict (its own copy) before calling super(). Within load_state_dict the copies wait
        until every module has been checked, so that a failed load changes nothing; called
        directly, they happen at once."""
        for hook in self._load_state_dict_pre_hooks.values():
            hook(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs)
        plan = []
        self._plan_load(state_dict, prefix, local_metadata, strict, missing_keys, error_msgs, plan)
        extra_key = prefix + _EXTRA_STATE
        if type(self).set_extra_state is not Module.set_extra_state:
            if extra_key in state_dict:
                plan.append((self.set_extra_state, state_dict[extra_key]))
            elif strict:
                missing_keys.append(extra_key)
        elif strict and extra_key in state_dict:
            unexpected_keys.append(extra_key)
        if strict:
            self._unexpected_keys({k: v for k, v in state_dict.items() if k != extra_key}, prefix, local_metadata,
                                  unexpected_keys)
        if _pending_loads:
            _pending_loads[-1] += plan
        else:
            _apply_load(plan, local_metadata.get("assign_to_params_buffers", False))

    def _plan_load(self, state_dict, prefix, local_metadata, strict, missing, errors, plan):
        """Check this module's own entries; record (target, value) copies in `plan` without
        applying them, so that a load which fails anywhere changes nothing."""
        own = {k: v for k, v in self._parameters.items() if v is not None}
        own.update({k: v for k, v in self._buffers.items()
                    if v is not None and k not in self._non_persistent_buffers_set})
        for name, target in own.items():
            key = prefix + name
            if key not in state_dict:
                if strict:
                    missing.append(key)
                continue
            value = state_dict[key]
            if not isinstance(value, Tensor):
                if isinstance(value, np.ndarray) or np.isscalar(value):
                    value = Tensor._wrap(np.asarray(value))
                else:
                    errors.append(f'While copying the parameter named "{key}", expected torch.Tensor or '
                                  f"Tensor-like object from checkpoint but received {type(value)}")
                    continue
            if value._data.shape != target._data.shape:
                if target._data.ndim == 0 and value._data.shape == (1,):
                    value = Tensor._wrap(value._data.reshape(()))  # PyTorch's legacy 1-element to 0-d allowance
                else:
                    from ...tensor import Size
                    errors.append(f"size mismatch for {key}: copying a param with shape {Size(value._data.shape)} "
                                  f"from checkpoint, the shape in current model is {Size(target._data.shape)}.")
                    continue
            plan.append((target, value))

    def _unexpected_keys(self, state_dict, prefix, local_metadata, unexpected):
        """PyTorch's rule: a key under this module's prefix is unexpected when its first part
        names neither a child module (dotted keys) nor one of this module's entries."""
        local = {k for k, v in self._parameters.items() if v is not None}
        local.update(k for k, v in self._buffers.items() if v is not None and k not in self._non_persistent_buffers_set)
        for key in state_dict:
            if key.startswith(prefix):
                head, dot, _ = key[len(prefix):].partition(".")
                if (dot and head not in self._modules) or (not dot and head not in local):
                    unexpected.append(key)

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy parameters and buffers from `state_dict` (same keys as state_dict()).

        Every module's _load_from_state_dict checks its entries before anything is written: a
        load that raises leaves the model as it was (unless a load_state_dict post hook is
        registered: then, as in PyTorch, the hooks see the loaded model and may clear the key
        lists before the strict check). Returns (missing_keys, unexpected_keys)."""
        if not hasattr(state_dict, "keys") or not hasattr(state_dict, "__getitem__"):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        metadata = getattr(state_dict, "_metadata", None)
        state_dict = OrderedDict((k, state_dict[k]) for k in state_dict.keys())  # overrides may edit their copy
        missing, unexpected, errors, plan = [], [], [], []
        visited = []  # modules in PyTorch's load order: pre-order over _modules

        def visit(module, local_state, prefix):
            local = dict(metadata.get(prefix[:-1], {})) if metadata is not None else {}
            if assign:
                local["assign_to_params_buffers"] = True
            module._load_from_state_dict(local_state, prefix, local, True, missing, unexpected, errors)
            visited.append(module)
            for name, child in module._modules.items():
                if child is not None:
                    child_prefix = prefix + name + "."
                    visit(child, {k: v for k, v in local_state.items() if k.startswith(child_prefix)}, child_prefix)
        _pending_loads.append(plan)
        try:
            visit(self, state_dict, "")
        finally:
            _pending_loads.pop()
        result = _IncompatibleKeys(missing, unexpected)
        hooked = [m for m in visited if m._load_state_dict_post_hooks]
        if not hooked:
            self._raise_load_errors(strict, missing, unexpected, errors)
        elif errors:
            raise RuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(
                type(self).__name__, "\n\t".join(errors)))
        _apply_load(plan, assign)
        if hooked:
            # PyTorch calls each module's post hooks after its subtree: reverse pre-order
            # is not that order, so walk the tree again in post-order
            def post(module):
                for child in module._modules.values():
                    if child is not None:
                        post(child)
                for hook in module._load_state_dict_post_hooks.values():
                    if hook(module, result) is not None:
                        raise AssertionError(
                            "Hooks registered with ``register_load_state_dict_post_hook`` are not expected to return "
                            "new values, if incompatible_keys need to be modified, it should be done inplace.")
            post(self)
            self._raise_load_errors(strict, missing, unexpected, [])
        return result

    def _raise_load_errors(self, strict, missing, unexpected, errors):
        errors = list(errors)
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: {}. ".format(
                    ", ".join(f'"{k}"' for k in unexpected)))
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: {}. ".format(", ".join(f'"{k}"' for k in missing)))
        if errors:
            raise RuntimeError("Error(s) in loading state_dict for {}:\n\t{}".format(
                type(self).__name__, "\n\t".join(errors)))

    def register_state_dict_pre_hook(self, hook):
        """hook(module, prefix, keep_vars), called before state_dict saves this module."""
        key = next(_hook_ids)
        self._state_dict_pre_hooks[key] = hook
        return RemovableHandle(self._state_dict_pre_hooks, key)

    def register_state_dict_post_hook(self, hook):
        """hook(module, state_dict, prefix, local_metadata) -> None, called after state_dict saved
        this module's subtree; it may change state_dict in place."""
        hook._from_public_api = True
        return self._register_state_dict_hook(hook)

    def register_load_state_dict_pre_hook(self, hook):
        """hook(module, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
        error_msgs), called before this module's entries are checked."""
        return self._register_load_state_dict_pre_hook(hook, with_module=True)

    def _register_load_state_dict_pre_hook(self, hook, with_module=False):
        key = next(_hook_ids)
        self._load_state_dict_pre_hooks[key] = functools.partial(hook, self) if with_module else hook
        return RemovableHandle(self._load_state_dict_pre_hooks, key)

    def register_load_state_dict_post_hook(self, hook):
        key = next(_hook_ids)
        self._load_state_dict_post_hooks[key] = hook
        return RemovableHandle(self._load_state_dict_post_hooks, key)

    def _register_state_dict_hook(self, hook):
        key = next(_hook_ids)
        self._state_dict_hooks[key] = hook
        return RemovableHandle(self._state_dict_hooks, key)

    # ---- hooks ------------------------------------------------------------------------------
    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        key = next(_hook_ids)
        self._forward_pre_hooks[key] = hook
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs[key] = True
        if prepend:
            self._forward_pre_hooks.move_to_end(key, last=False)
        return RemovableHandle(self._forward_pre_hooks, key)

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False, always_call=False):
        key = next(_hook_ids)
        self._forward_hooks[key] = hook
        if with_kwargs:
            self._forward_hooks_with_kwargs[key] = True
        if always_call:
            self._forward_hooks_always_called[key] = True
        if prepend:
            self._forward_hooks.move_to_end(key, last=False)
        return RemovableHandle(self._forward_hooks, key)

    def register_full_backward_hook(self, hook, prepend=False):
        key = next(_hook_ids)
        self._backward_hooks[key] = hook
        if prepend:
            self._backward_hooks.move_to_end(key, last=False)
        return RemovableHandle(self._backward_hooks, key)

    def register_full_backward_pre_hook(self, hook, prepend=False):
        key = next(_hook_ids)
        self._backward_pre_hooks[key] = hook
        if prepend:
            self._backward_pre_hooks.move_to_end(key, last=False)
        return RemovableHandle(self._backward_pre_hooks, key)

    def register_backward_hook(self, hook):
        return self.register_full_backward_hook(hook)

    # ---- printing ---------------------------------------------------------------------------
    def extra_repr(self):
        return ""

    def _get_name(self):
        return type(self).__name__

    def __repr__(self):
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({key}): " + _addindent(repr(module), 2) for key, module in self._modules.items()]
        lines = extra_lines + child_lines
        main = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                main += extra_lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"

    def __dir__(self):
        keys = list(object.__dir__(self)) + list(self._parameters) + list(self._modules) + list(self._buffers)
        return sorted(k for k in set(keys) if not k[0].isdigit())

    def __setstate__(self, state):
        self.__dict__.update(state)
        for name in _HOOK_DICTS:  # a module pickled before these existed
            self.__dict__.setdefault(name, OrderedDict())


_TENSOR_TYPES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
                 "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor", "int8": "CharTensor",
                 "uint8": "ByteTensor", "bool": "BoolTensor"}


def _typename(obj):
    """torch.typename: 'torch.FloatTensor' for tensors, the qualified class name otherwise."""
    if isinstance(obj, Tensor):
        return "torch." + _TENSOR_TYPES.get(obj._data.dtype.name, "Tensor")
    t = type(obj)
    return t.__module__ + "." + t.__qualname__ if t.__module__ not in ("builtins",) else t.__qualname__
