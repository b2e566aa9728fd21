"""lamina.inspect: show what each layer does — summary tables with parameter formulas, shape
traces, per-neuron explanations and the autograd graph. Exported at the top level as
lamina.summary, lamina.trace, lamina.explain and lamina.draw_graph."""
from .explain import explain
from .graph import draw_graph
from .summary import summary
from .trace import trace

__all__ = ["summary", "trace", "explain", "draw_graph"]
