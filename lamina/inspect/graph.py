"""lamina.draw_graph: the autograd graph behind a tensor, as Graphviz DOT text.

    >>> g = lamina.draw_graph(loss, params=dict(model.named_parameters()))
    >>> print(g.source)              # DOT text, no dependency
    >>> g.render("graph", "svg")     # needs the `graphviz` package and the `dot` program ([viz] extra)

Nodes are named as PyTorch names them (AddmmBackward0, ReluBackward0); leaves show the parameter
name (when `params` maps names to tensors) and shape; the output node shows its shape."""
from ..autograd.node import Node


def _quote(text):
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _shape(t):
    return "(" + ", ".join(str(s) for s in t.shape) + ")"


class Graph:
    def __init__(self, source, nodes, edges):
        self.source = source
        self.nodes = nodes   # {node_id: label}
        self.edges = edges   # [(from_id, to_id)]

    def __str__(self):
        return self.source

    def render(self, filename="graph", format="svg", cleanup=True):
        """Write filename.<format> with Graphviz; raises ImportError with a hint when it is missing."""
        try:
            import graphviz
        except ImportError:
            raise ImportError("draw_graph(...).render needs the `graphviz` package and the Graphviz `dot` "
                              "program: pip install 'lamina[viz]' (and apt-get install graphviz)") from None
        return graphviz.Source(self.source).render(filename, format=format, cleanup=cleanup)

    def _repr_svg_(self):
        try:
            import graphviz
            return graphviz.Source(self.source).pipe(format="svg").decode()
        except Exception:
            return None


def draw_graph(output, params=None, show_shapes=True):
    """Walk `output.grad_fn` back to the leaves and return the graph as a Graph (DOT in .source)."""
    outputs = list(output) if isinstance(output, (tuple, list)) else [output]
    names = {id(t): name for name, t in (params or {}).items()}
    nodes, edges = {}, []
    lines = ["digraph {", '  graph [rankdir=TB, fontsize=10];',
             '  node [shape=box, style="rounded,filled", fillcolor=white, fontsize=10, fontname=monospace];']

    def add(node_id, label, color):
        if node_id in nodes:
            return
        nodes[node_id] = label
        lines.append(f"  {node_id} [label={_quote(label)}, fillcolor={color}];")

    stack = []
    for i, out in enumerate(outputs):
        out_id = f"out{i}"
        add(out_id, f"output {_shape(out)}" if show_shapes else "output", "darkolivegreen1")
        if out.grad_fn is not None:
            fn_id = f"n{id(out.grad_fn)}"
            edges.append((fn_id, out_id))
            stack.append(out.grad_fn)
        elif out.requires_grad:
            leaf_id = f"t{id(out)}"
            add(leaf_id, names.get(id(out), "tensor") + (f"\n{_shape(out)}" if show_shapes else ""), "lightblue")
            edges.append((leaf_id, out_id))
    seen = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        node_id = f"n{id(node)}"
        add(node_id, node.name(), "lightgrey")
        for t in node.inputs:  # each is the producing Node, a leaf Tensor, or None
            if t is None:
                continue
            if isinstance(t, Node):
                edges.append((f"n{id(t)}", node_id))
                stack.append(t)
            else:
                leaf_id = f"t{id(t)}"
                label = names.get(id(t), "tensor") + (f"\n{_shape(t)}" if show_shapes else "")
                add(leaf_id, label, "lightblue")
                edges.append((leaf_id, node_id))
    for a, b in dict.fromkeys(edges):
        lines.append(f"  {a} -> {b};")
    lines.append("}")
    return Graph("\n".join(lines), nodes, list(dict.fromkeys(edges)))
