"""Run one forward pass with a forward hook on every module and record each call."""
from ..tensor import Tensor


def shapes_of(value):
    """Shapes of the tensors in a (possibly nested) output, in order."""
    if isinstance(value, Tensor):
        return [tuple(value.shape)]
    if isinstance(value, (tuple, list)):
        out = []
        for v in value:
            out.extend(shapes_of(v))
        return out
    if isinstance(value, dict):
        return shapes_of(list(value.values()))
    if hasattr(value, "data") and isinstance(getattr(value, "data", None), Tensor):  # PackedSequence
        return shapes_of(value.data)
    return []


class Call:
    __slots__ = ("name", "module", "depth", "inputs", "output", "input_shapes", "output_shapes", "output_nbytes")

    def __init__(self, name, module, inputs, output):
        self.name = name
        self.module = module
        self.depth = name.count(".") + 1 if name else 0
        self.inputs = inputs
        self.output = output
        self.input_shapes = shapes_of(inputs)
        self.output_shapes = shapes_of(output)
        self.output_nbytes = sum(t._data.nbytes for t in _tensors(output))


def _tensors(value):
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [t for v in value for t in _tensors(v)]
    return []


def run_recording(model, args, kwargs=None, leaves_only=False):
    """Forward `model(*args, **kwargs)`; return (output, [Call in call order])."""
    calls = []
    handles = []
    for name, module in model.named_modules():
        if leaves_only and any(True for _ in module.children()):
            continue

        def hook(mod, inputs, output, name=name):
            calls.append(Call(name, mod, inputs, output))
        handles.append(module.register_forward_hook(hook))
    try:
        output = model(*args, **(kwargs or {}))
    finally:
        for h in handles:
            h.remove()
    return output, calls
