"""The backward pass: walk the graph from the roots in topological order (iteratively, so deep
graphs cannot hit Python's recursion limit), call each node's backward once with the sum of the
gradients that reached it, and hand leaf gradients to `.grad` (or to the caller, for grad())."""
import numpy as np

from . import grad_mode

_FREED = ("Trying to backward through the graph a second time (or directly access saved tensors after "
          "they have already been freed). Saved intermediate values of the graph are freed when you call "
          ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
          "graph a second time or if you need to access saved tensors after calling backward.")


def _count_consumers(roots):
    """For every node reachable from the roots: how many edges lead into it."""
    consumers = {}
    stack = list(roots)
    seen = set(roots)
    while stack:
        node = stack.pop()
        for t in node.inputs:
            if t is None:
                continue
            parent = t.grad_fn
            if parent is None:
                continue
            consumers[parent] = consumers.get(parent, 0) + 1
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return consumers


_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
               "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor", "int8": "CharTensor",
               "uint8": "ByteTensor", "bool": "BoolTensor"}


def _check_versions(node, grad):
    for counter, expected, tensor in node.saved:
        if counter[0] != expected:
            if tensor is None:  # the op's own output
                what = f"[torch.{_TYPE_NAMES[grad.dtype.name]} {list(grad.shape)}], which is output 0 of {node._name}"
            else:
                what = f"[torch.{_TYPE_NAMES[tensor.data.dtype.name]} {list(tensor.data.shape)}]"
                if tensor.grad_fn is not None:
                    what += f", which is output 0 of {tensor.grad_fn._name}"
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an inplace "
                f"operation: {what}, is at version {counter[0]}; expected version {expected} instead. "
                "Hint: enable anomaly detection to find the operation that failed to compute its gradient, "
                "with torch.autograd.set_detect_anomaly(True).")


def _apply_hooks(hooks, grad):
    from ..tensor import Tensor
    for hook in hooks:
        result = hook(Tensor._wrap(grad))
        if result is not None:
            grad = result.data if isinstance(result, Tensor) else np.asarray(result)
    return grad


def run_backward(roots, root_grads, retain_graph, wanted=None):
    """Propagate `root_grads` (ndarrays) from the root tensors.

    With `wanted` (a list of tensors, for autograd.grad), their gradients are returned in that
    order and no `.grad` is written; otherwise leaf gradients are accumulated into `.grad`."""
    from ..tensor import Tensor
    wanted_ids = {id(t): i for i, t in enumerate(wanted)} if wanted is not None else None
    results = [None] * len(wanted) if wanted is not None else None

    pending = {}       # node -> gradient summed so far
    leaf_direct = []   # roots that are themselves leaves
    root_nodes = []
    for t, g in zip(roots, root_grads):
        if t.grad_fn is None:
            leaf_direct.append((t, g))
        else:
            node = t.grad_fn
            pending[node] = pending[node] + g if node in pending else g
            root_nodes.append(node)
    consumers = _count_consumers(root_nodes)
    ready = [n for n in dict.fromkeys(root_nodes) if consumers.get(n, 0) == 0]
    # Arrays already handed to a .grad: a second holder must get its own copy, or an in-place
    # accumulation into one leaf's .grad would change another's.
    handed = {id(g) for g in root_grads}

    def deliver_leaf(t, g):
        if wanted_ids is not None:
            i = wanted_ids.get(id(t))
            if i is not None:
                results[i] = g if results[i] is None else results[i] + g
            return
        if not t._requires_grad:
            return
        if g.shape != t.data.shape:
            raise RuntimeError(f"lamina internal error: gradient of shape {g.shape} for a leaf of shape "
                               f"{t.data.shape} (from {t.grad_fn})")
        if t._hooks:
            g = _apply_hooks(t._hooks, g)
        if g.dtype != t.data.dtype:
            g = g.astype(t.data.dtype)
        if t.grad is None:
            if id(g) in handed or not g.flags.owndata or not g.flags.writeable:
                g = g.copy()
            handed.add(id(g))
            t.grad = Tensor._wrap(g)
        else:
            acc = t.grad.data
            if acc.shape == g.shape and acc.flags.writeable:
                np.add(acc, g, out=acc)
            else:
                t.grad = Tensor._wrap(acc + g)

    for t, g in leaf_direct:
        deliver_leaf(t, g)

    with grad_mode.no_grad():
        while ready:
            node = ready.pop()
            grad = pending.pop(node)
            if node.hooks:
                grad = _apply_hooks(node.hooks, grad)
            if node.retained is not None:
                out = node.retained()
                if out is not None and wanted_ids is None:
                    out.grad = Tensor._wrap(grad.copy() if out.grad is None else out.grad.data + grad)
            backward = node.backward
            if backward is None:
                raise RuntimeError(_FREED)
            if node.saved:
                _check_versions(node, grad)
            input_grads = backward(grad)
            if not retain_graph and node.saved is not None:
                node.backward = None  # frees what the closure saved
                node.saved = ()
            for t, g in zip(node.inputs, input_grads):
                if t is None or g is None:
                    continue
                if wanted_ids is not None and id(t) in wanted_ids and t.grad_fn is not None:
                    # autograd.grad asked for a non-leaf: record what reached it, keep going
                    i = wanted_ids[id(t)]
                    results[i] = g if results[i] is None else results[i] + g
                parent = t.grad_fn
                if parent is None:
                    deliver_leaf(t, g)
                    continue
                pending[parent] = pending[parent] + g if parent in pending else g
                left = consumers[parent] - 1
                consumers[parent] = left
                if left == 0:
                    ready.append(parent)
    return results
