"""lamina.onnx.export: write a model as an ONNX file by tracing one forward pass.

How it works (see tracer.py): the model runs once on the example input, in eval mode, with layer
calls and tensor ops temporarily routed through recording wrappers. Each built-in layer is
converted as a whole from its attributes and parameters (Linear → Gemm/MatMul, LSTM → the ONNX
LSTM op with its gates reordered, MultiheadAttention → MatMul/Softmax, ...); the Python code
between layers (`x.view(...)`, `x + y`, `F.relu`, `torch.cat`, indexing, ...) is converted op by
op. Converting whole layers rather than walking the autograd graph gives each ONNX node the
attributes it needs (strides, eps, gate layout) and keeps the graph close to what the model says.
Shapes that depend on the batch (or another dynamic axis) are expressed relative to the input
(Reshape with 0 = "copy this dim", Slice to INT64_MAX, Shape ops), never as the traced numbers.

Limits, as for any tracing exporter: the graph is the path this one forward took (Python `if`s on
tensor values are frozen; turning a traced tensor into a Python value warns), sizes read with
`x.size(i)` become constants except as leading dims of view/reshape, and the model is exported
for inference (eval mode, dropout off). While export runs, lamina's functions are wrapped
process-wide: do not run other lamina code in other threads meanwhile."""
import io
import warnings

from ..autograd.grad_mode import enable_grad
from ..tensor import Tensor
from .builder import IR_VERSION, MAX_OPSET, MIN_OPSET, Graph
from .registry import UnsupportedOperatorError

__all__ = ["export", "UnsupportedOperatorError"]


def export(model, example_input, path, opset_version=17, input_names=None, output_names=None,
           dynamic_axes=None):
    """Export `model` to ONNX by running it once on `example_input`.

    Args:
        model: a lamina nn.Module (exported in eval mode; its train/eval flags are restored after)
        example_input: a Tensor or a tuple of Tensors, the positional arguments of forward; a dict
            as the tuple's last item gives keyword arguments
        path: file name (or a binary file object) to write the .onnx model to
        opset_version: ONNX opset, 13 to 21. Default: 17 (IR version 8)
        input_names, output_names: names of the graph's inputs and outputs, in order. Default:
            "input" / "output" (numbered "input_0", ... when there are several)
        dynamic_axes: {name: {axis: dim_name}} or {name: [axis, ...]} marking axes (e.g. the batch)
            whose size may differ from the example's

    Returns: the onnx.ModelProto that was written.

    Raises: UnsupportedOperatorError naming a layer or function the exporter cannot convert.

    Example::

        >>> model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
        >>> lamina.onnx.export(model, torch.randn(1, 784), "mlp.onnx", input_names=["x"],
        ...                    output_names=["logits"], dynamic_axes={"x": {0: "batch"}, "logits": {0: "batch"}})
    """
    try:
        import onnx
    except ImportError:
        raise ImportError("lamina.onnx.export needs the onnx package: pip install 'lamina[onnx]'") from None
    if not isinstance(opset_version, int) or not MIN_OPSET <= opset_version <= MAX_OPSET:
        raise ValueError(f"opset_version must be an int from {MIN_OPSET} to {MAX_OPSET}, got {opset_version!r}")
    args, kwargs = _split_args(example_input)
    graph = Graph(opset_version)
    from .tracer import Tracer
    from . import activations, attention, functions, layers, recurrent, shapes  # noqa: F401  (registers them)
    tracer = Tracer(graph, model)

    in_names = _names(input_names, len(args) + len(kwargs), "input")
    traced_args = [_as_input(t) for t in args]
    traced_kwargs = {k: _as_input(t) for k, t in kwargs.items()}
    dyn = _dynamic(dynamic_axes)
    for name, t in zip(in_names, traced_args + list(traced_kwargs.values())):
        tracer.bind_input(t, graph.add_input(name, t._data.dtype, _shape(t, dyn.get(name, {}))))

    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    restore = tracer.activate()
    try:
        with enable_grad():
            output = model(*traced_args, **traced_kwargs)
    finally:
        restore()
        for m, training in modes:
            m.training = training

    outputs = _flatten(output)
    if not outputs:
        raise ValueError("ONNX export: the model returned no tensor")
    out_names = _names(output_names, len(outputs), "output")
    clash = set(out_names) & (set(in_names) | set(graph.initializers))
    if clash:
        raise ValueError(f"ONNX export: output name(s) {sorted(clash)} are already input or weight names")
    unknown = set(dyn) - set(in_names) - set(out_names)
    if unknown:
        warnings.warn(f"Provided key(s) {', '.join(sorted(unknown))} for dynamic axes are not a valid input/output "
                      "name", stacklevel=2)
    produced = graph.produced()
    renamed = {}
    for name, t in zip(out_names, outputs):
        value = tracer.value(t)
        if value in produced and value not in renamed:
            graph.rename(value, name)
            renamed[value] = name
        else:  # a graph input, a constant or a value already returned: give it its own name
            graph.nodes.append(("Identity", [renamed.get(value, value)], [name], {}))
        if name in dyn:
            shape = _shape(t, dyn[name])
        elif dyn:  # sizes may follow a dynamic input: declare the rank only
            shape = [None] * t.ndim
        else:
            shape = list(t.shape)
        graph.outputs.append((name, t._data.dtype, shape))
    graph.prune()

    from .. import __version__
    proto = graph.to_model(__version__)
    onnx.checker.check_model(proto)
    data = proto.SerializeToString()
    if isinstance(path, io.IOBase) or hasattr(path, "write"):
        path.write(data)
    else:
        from ..io.atomic import atomic_write
        with atomic_write(path) as fh:
            fh.write(data)
    return proto


def _split_args(example_input):
    if isinstance(example_input, Tensor):
        return [example_input], {}
    if isinstance(example_input, (tuple, list)):
        items = list(example_input)
        kwargs = items.pop() if items and isinstance(items[-1], dict) else {}
        for t in items + list(kwargs.values()):
            if not isinstance(t, Tensor):
                raise TypeError(f"ONNX export: example inputs must be Tensors, got {type(t).__name__}")
        return items, kwargs
    raise TypeError(f"ONNX export: example_input must be a Tensor or a tuple of Tensors, got "
                    f"{type(example_input).__name__}")


def _as_input(t):
    """A fresh leaf with the example's values (so the model cannot see or change the caller's)."""
    x = Tensor._wrap(t._data.copy())
    if x._data.dtype.kind == "f":
        x.requires_grad_(True)
    return x


def _names(given, n, default):
    if given is None:
        return [default] if n == 1 else [f"{default}_{i}" for i in range(n)]
    given = list(given)
    if len(given) != n:
        raise ValueError(f"ONNX export: {len(given)} {default} names given for {n} {default}s")
    if len(set(given)) != n:
        raise ValueError(f"ONNX export: {default} names must be unique, got {given}")
    return given


def _dynamic(dynamic_axes):
    """{name: {axis: dim_name}}, from either of PyTorch's forms."""
    out = {}
    for name, axes in (dynamic_axes or {}).items():
        if isinstance(axes, dict):
            out[name] = {int(a): str(d) for a, d in axes.items()}
        else:
            out[name] = {int(a): f"{name}_dynamic_axes_{i + 1}" for i, a in enumerate(axes)}
    return out


def _shape(t, axes):
    """The traced shape with the dynamic axes (negative ones count from the end) named."""
    named = {a % t.ndim: d for a, d in axes.items()} if t.ndim else {}
    return [named.get(i, n) for i, n in enumerate(t.shape)]


def _flatten(output):
    if isinstance(output, Tensor):
        return [output]
    if isinstance(output, (tuple, list)):
        return [t for o in output for t in _flatten(o)]
    if isinstance(output, dict):
        return [t for o in output.values() for t in _flatten(o)]
    return []


assert set(IR_VERSION) == set(range(MIN_OPSET, MAX_OPSET + 1))
