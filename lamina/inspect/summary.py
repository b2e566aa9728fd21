"""lamina.summary: a torchinfo-style table of a model, with the formula behind every count.

    >>> print(lamina.summary(model, input_size=(1, 784)))

One row per module in tree order (indented by depth): output shape, parameter count, the formula
(`Linear(3→4): 4 × (3 + 1) = 16`), multiply-accumulates. Totals give trainable vs frozen
parameters, parameter and activation memory. The returned object's `str` is the table; `rows`,
`totals` and `to_dict()` are for programs."""
from ..autograd.grad_mode import no_grad
from ..ops.creation import zeros
from ..tensor import Tensor
from ._capture import run_recording
from .formulas import macs, param_formula

DEFAULT_COLUMNS = ("output_size", "num_params", "formula")
_HEADERS = {"input_size": "Input Shape", "output_size": "Output Shape", "num_params": "Param #",
            "formula": "Where the count comes from", "mult_adds": "Mult-Adds", "trainable": "Trainable"}


def _fmt_shapes(shapes):
    if not shapes:
        return "--"
    text = ", ".join(str(list(s)) for s in shapes[:2])
    return text + (", ..." if len(shapes) > 2 else "")


def _bytes(n):
    return f"{n / 1e6:.2f} MB" if n >= 1e4 else f"{n / 1e3:.2f} KB"


class Summary:
    def __init__(self, model, rows, totals, columns):
        self.model_name = type(model).__name__
        self.rows = rows
        self.totals = totals
        self.columns = columns

    def to_dict(self):
        return {"model": self.model_name, "rows": [dict(r) for r in self.rows], "totals": dict(self.totals)}

    def __repr__(self):
        return str(self)

    def __str__(self):
        names = []
        for r in self.rows:
            label = f"{r['layer']}" + (f" ({r['name'].rsplit('.', 1)[-1]})" if r["name"] else "")
            names.append("  " * r["depth"] + label)
        table = [["Layer (type (name))"] + [_HEADERS[c] for c in self.columns]]
        for r, label in zip(self.rows, names):
            cells = [label]
            for c in self.columns:
                if c == "output_size":
                    cells.append(_fmt_shapes(r["output_shapes"]))
                elif c == "input_size":
                    cells.append(_fmt_shapes(r["input_shapes"]))
                elif c == "num_params":
                    cells.append(f"{r['num_params']:,}" if r["num_params"] else "--")
                elif c == "formula":
                    cells.append(r["formula"] or "")
                elif c == "mult_adds":
                    cells.append(f"{r['mult_adds']:,}" if r["mult_adds"] else "--")
                elif c == "trainable":
                    cells.append("True" if r["trainable"] else ("False" if r["num_params"] else "--"))
            table.append(cells)
        widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
        line = "=" * (sum(widths) + 2 * (len(widths) - 1))
        out = [line, "  ".join(h.ljust(w) for h, w in zip(table[0], widths)).rstrip(), line]
        for row in table[1:]:
            out.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
        t = self.totals
        out += [line,
                f"Total params: {t['total_params']:,}",
                f"Trainable params: {t['trainable_params']:,}",
                f"Non-trainable params: {t['non_trainable_params']:,}",
                f"Total mult-adds: {t['total_mult_adds']:,}",
                line,
                f"Input size: {_bytes(t['input_bytes'])}",
                f"Forward pass activations: {_bytes(t['activation_bytes'])}",
                f"Params size: {_bytes(t['param_bytes'])}",
                f"Estimated total size: {_bytes(t['input_bytes'] + t['activation_bytes'] + t['param_bytes'])}",
                line]
        return "\n".join(out)


def _make_inputs(input_size, dtypes):
    sizes = input_size if (input_size and isinstance(input_size[0], (tuple, list))) else [input_size]
    dtypes = dtypes or [None] * len(sizes)
    return [zeros(*s, dtype=d) for s, d in zip(sizes, dtypes)]


def summary(model, input_size=None, input_data=None, depth=3, col_names=DEFAULT_COLUMNS, dtypes=None,
            verbose=None, **kwargs):
    """Summarise `model`; with `input_size` (a shape, or a list of shapes) or `input_data` (a tensor
    or a tuple of arguments) it also runs one forward pass (in eval mode, without gradient, state
    restored afterwards) to record output shapes and multiply-accumulates."""
    for c in col_names:
        if c not in _HEADERS:
            raise ValueError(f"summary: unknown column {c!r}; expected one of {sorted(_HEADERS)}")
    calls_by_module = {}
    input_bytes = 0
    if input_size is not None or input_data is not None:
        if input_data is not None:
            args = list(input_data) if isinstance(input_data, (tuple, list)) else [input_data]
        else:
            args = _make_inputs(tuple(input_size), dtypes)
        input_bytes = sum(a._data.nbytes for a in args if isinstance(a, Tensor))
        was_training = model.training
        modes = {m: m.training for m in model.modules()}
        model.eval()
        try:
            with no_grad():
                _, calls = run_recording(model, args, kwargs)
        finally:
            for m, mode in modes.items():
                m.__dict__["training"] = mode
            model.__dict__["training"] = was_training
        for call in calls:
            calls_by_module.setdefault(id(call.module), call)

    rows = []
    activation_bytes = 0
    total_macs = 0
    for name, module in model.named_modules():
        d = name.count(".") + 1 if name else 0
        params = list(module.parameters())
        count = sum(p.numel() for p in params)
        call = calls_by_module.get(id(module))
        is_leaf = not any(True for _ in module.children())
        row = {
            "name": name, "layer": type(module).__name__, "depth": d,
            "num_params": count,
            "own_params": sum(p.numel() for p in module._parameters.values() if p is not None),
            "trainable": any(p.requires_grad for p in params) if params else False,
            "formula": param_formula(module),
            "input_shapes": call.input_shapes if call else [],
            "output_shapes": call.output_shapes if call else [],
            "mult_adds": macs(module, call.input_shapes, call.output_shapes) if call else 0,
        }
        if call and is_leaf:
            activation_bytes += call.output_nbytes
        total_macs += row["mult_adds"]
        if d <= depth:
            rows.append(row)
    unique = {id(p): p for p in model.parameters()}.values()
    trainable = sum(p.numel() for p in unique if p.requires_grad)
    total = sum(p.numel() for p in unique)
    totals = {"total_params": total, "trainable_params": trainable, "non_trainable_params": total - trainable,
              "total_mult_adds": total_macs, "param_bytes": sum(p._data.nbytes for p in unique),
              "activation_bytes": activation_bytes, "input_bytes": input_bytes}
    return Summary(model, rows, totals, tuple(col_names))
