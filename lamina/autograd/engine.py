"""The backward pass: walk the graph from the roots in topological order (iteratively, so deep
graphs cannot hit Python's recursion limit), call each node's backward once with the sum of the
gradients that reached it, then hand each leaf the sum of its gradients (into `.grad`, or to the
caller for autograd.grad)."""
import re

import numpy as np

from . import grad_mode
from .node import Node

_FREED = ("Trying to backward through the graph a second time (or directly access saved tensors after "
          "they have already been freed). Saved intermediate values of the graph are freed when you call "
          ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
          "graph a second time or if you need to access saved tensors after calling backward.")

_anomaly = [False]  # set by autograd.set_detect_anomaly

_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
               "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor", "int8": "CharTensor",
               "uint8": "ByteTensor", "bool": "BoolTensor"}


def _count_consumers(roots):
    """For every node reachable from the roots: how many edges lead into it."""
    consumers = {}
    get = consumers.get
    stack = list(dict.fromkeys(roots))
    # a root that is also another root's ancestor is on the stack already: don't push it twice
    others = set(stack) if len(stack) > 1 else ()
    while stack:
        for parent in stack.pop().inputs:
            if parent.__class__ is Node:
                n = get(parent)
                if n is None:
                    consumers[parent] = 1
                    if parent not in others:
                        stack.append(parent)
                else:
                    consumers[parent] = n + 1
    return consumers


def _op_name(node_name):
    """PyTorch names the op in its in-place error ("output 0 of Mul"), not the backward node."""
    return re.sub(r"Backward\d*$", "", node_name)


def _check_versions(node, grad):
    for counter, expected, tensor in node.saved:
        if counter[0] != expected:
            if tensor is None:  # the op's own output
                what = (f"[torch.{_TYPE_NAMES[grad.dtype.name]} {list(grad.shape)}], which is output 0 of "
                        f"{_op_name(node._name)},")
            else:
                what = f"[torch.{_TYPE_NAMES[tensor._data.dtype.name]} {list(tensor._data.shape)}]"
                if tensor.grad_fn is not None:
                    what += f", which is output 0 of {_op_name(tensor.grad_fn._name)},"
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an inplace "
                f"operation: {what} is at version {counter[0]}; expected version {expected} instead. "
                "Hint: enable anomaly detection to find the operation that failed to compute its gradient, "
                "with torch.autograd.set_detect_anomaly(True, check_nan=False).")


def _check_nan(node, input_grads):
    for i, g in enumerate(input_grads):
        if isinstance(g, np.ndarray) and g.dtype.kind == "f" and np.isnan(g).any():
            raise RuntimeError(f"Function '{node._name}' returned nan values in its {i}th output.")


class PostAccumulateHook:
    """A leaf's register_post_accumulate_grad_hook entry, kept in its hook list but run only after
    its .grad has been accumulated (with the tensor, not the gradient)."""
    __slots__ = ("fn",)

    def __init__(self, fn):
        self.fn = fn


def _apply_hooks(hooks, grad):
    from ..tensor import Tensor
    for hook in list(hooks):
        if type(hook) is PostAccumulateHook:
            continue
        result = hook(Tensor._wrap(grad))
        if result is not None:
            if not isinstance(result, Tensor):
                raise TypeError(f"expected Variable, but hook returned '{type(result).__name__}'")
            new = result._data
            if new.shape != grad.shape:
                raise RuntimeError(f"hook '{_hook_name(hook)}' has changed the size of value")
            if new.dtype != grad.dtype:
                raise RuntimeError(f"hook '{_hook_name(hook)}' has changed the type of value (was "
                                   f"torch.{_TYPE_NAMES[grad.dtype.name]} got torch.{_TYPE_NAMES[new.dtype.name]})")
            grad = new
    return grad


def _hook_name(hook):
    return getattr(hook, "__name__", None) or str(hook)


_wrap = None  # Tensor._wrap, bound on first use: lamina.tensor imports this package


def _tensor_wrap():
    global _wrap
    if _wrap is None:
        from ..tensor import Tensor
        _wrap = Tensor._wrap
    return _wrap


def run_backward(roots, root_grads, retain_graph, wanted=None):
    """Propagate `root_grads` (ndarrays) from the root tensors.

    With `wanted` (a list of tensors, for autograd.grad), their gradients are returned in that
    order and no `.grad` is written; otherwise leaf gradients are accumulated into `.grad`."""
    wrap = _wrap or _tensor_wrap()
    results = None
    wanted_nodes = wanted_leaves = None
    if wanted is not None:
        results = [None] * len(wanted)
        wanted_nodes, wanted_leaves = {}, {}
        for i, t in enumerate(wanted):
            if t.grad_fn is None:
                wanted_leaves.setdefault(id(t), []).append(i)
            else:
                wanted_nodes.setdefault(t.grad_fn, []).append(i)

    pending = {}       # node -> gradient summed so far
    leaf_grads = {}    # id(leaf) -> [leaf, gradient summed so far]
    root_nodes = []
    for t, g in zip(roots, root_grads):
        node = t.grad_fn
        if node is None:
            _add_leaf(leaf_grads, t, g)
        else:
            pending[node] = pending[node] + g if node in pending else g
            root_nodes.append(node)
    consumers = _count_consumers(root_nodes)
    ready = [n for n in dict.fromkeys(root_nodes) if n not in consumers]

    mode = grad_mode._mode  # no_grad() as flags: cheaper than the context manager
    prev = mode.grad, mode.enabled
    mode.grad = mode.enabled = False
    try:
        while ready:
            node = ready.pop()
            grad = pending.pop(node, None)
            if grad is None:
                # every consumer returned None for this node: no gradient flows through it, but
                # its inputs were still waiting on it, so release them
                for parent in node.inputs:
                    if parent.__class__ is Node:
                        left = consumers[parent] - 1
                        consumers[parent] = left
                        if left == 0:
                            ready.append(parent)
                continue
            if wanted_nodes is not None and node in wanted_nodes:
                for i in wanted_nodes[node]:  # as it reaches the tensor, before its hooks (as PyTorch)
                    results[i] = grad
            if node.hooks:
                grad = _apply_hooks(node.hooks, grad)
            if node.retained is not None:  # after the hooks; autograd.grad fills it too
                out = node.retained()
                if out is not None:
                    out._grad = wrap(grad.copy() if out._grad is None else out._grad._data + grad)
            backward = node.backward
            if backward is None:
                raise RuntimeError(_FREED)
            saved = node.saved
            if saved:
                for counter, expected, _ in saved:
                    if counter[0] != expected:
                        _check_versions(node, grad)
            input_grads = backward(grad)
            if _anomaly[0]:
                _check_nan(node, input_grads)
            if saved is not None and not retain_graph:
                node.backward = None  # frees what the closure saved
                node.saved = ()
            for parent, g in zip(node.inputs, input_grads):
                if parent is None:
                    continue
                if parent.__class__ is Node:
                    if g is not None:
                        if parent in pending:
                            pending[parent] = pending[parent] + g
                        else:
                            pending[parent] = g
                    left = consumers[parent] - 1  # counted even for None, or the parent would never run
                    consumers[parent] = left
                    if left == 0:
                        ready.append(parent)
                elif g is not None:
                    entry = leaf_grads.get(id(parent))
                    if entry is None:
                        leaf_grads[id(parent)] = [parent, g]
                    else:
                        entry[1] = entry[1] + g
        if wanted is not None:
            for t, g in leaf_grads.values():
                places = wanted_leaves.get(id(t))
                if places is not None:
                    g = _apply_hooks(t._hooks, g) if t._hooks else g
                    for i in places:
                        results[i] = g
            return results
        # leaves last, still with grad mode off: their hooks (an optimizer step in a
        # post-accumulate hook) run as in PyTorch's backward, building no graph
        _deliver_all(leaf_grads, root_grads, wrap)
    finally:
        mode.grad, mode.enabled = prev


def _deliver_all(leaf_grads, root_grads, wrap):
    """Hand every leaf its summed gradient (into .grad)."""
    # Arrays already handed to a .grad: a second holder must get its own copy, or an in-place
    # change of one leaf's .grad (zero_, an optimizer step) would change another's.
    handed = {id(g) for g in root_grads}
    for t, g in leaf_grads.values():
        if getattr(t, "_base", None) is not None and t._base._requires_grad:
            continue  # a view taken under no_grad: a leaf no gradient reaches, as in PyTorch
        if t._grad is None and type(g) is np.ndarray and not t._hooks and t._requires_grad:
            # the common case (a fresh gradient for a leaf without one), without _deliver's checks
            data = t._data
            if g.shape == data.shape and g.dtype == data.dtype:
                flags = g.flags
                if id(g) in handed or not flags.owndata or not flags.writeable:
                    g = g.copy()
                handed.add(id(g))
                t._grad = wrap(g)
                continue
        _deliver(t, g, handed)


def _add_leaf(leaf_grads, t, g):
    entry = leaf_grads.get(id(t))
    if entry is None:
        leaf_grads[id(t)] = [t, g]
    else:
        entry[1] = entry[1] + g


def _deliver(t, g, handed):
    """Accumulate the summed gradient `g` into leaf `t`'s .grad."""
    if not t._requires_grad:
        return
    if type(g) is not np.ndarray:  # NumPy arithmetic on 0-d arrays gives scalars; .grad holds an array
        g = np.array(g)
    if g.shape != t._data.shape:
        raise RuntimeError(f"Function AccumulateGrad returned an invalid gradient - got {list(g.shape)} but "
                           f"expected shape compatible with {list(t._data.shape)}")
    if t._hooks:
        g = _apply_hooks(t._hooks, g)
    if g.dtype != t._data.dtype:
        g = g.astype(t._data.dtype)
    if t._grad is None:
        if id(g) in handed or not g.flags.owndata or not g.flags.writeable:
            g = g.copy()
        handed.add(id(g))
        t._grad = _wrap(g)
    else:
        acc = t._grad._data
        if acc.flags.writeable and acc.shape == g.shape:
            np.add(acc, g, out=acc)
            t._grad._vc[0] += 1
        else:
            t._grad = _wrap(acc + g)
    if t._hooks:
        for hook in list(t._hooks):
            if type(hook) is PostAccumulateHook:
                hook.fn(t)
