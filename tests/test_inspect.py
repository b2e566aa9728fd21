"""summary / trace / explain / draw_graph: counts and shapes agree with PyTorch's own models,
formulas add up, explained numbers are the layer's real output, the DOT text is well formed."""
import re
import subprocess
import sys

import numpy as np
import pytest
import torch

import lamina
from oracle import copy_weights
from seed_models import clinical_mlp, custom_layer, layer_with_activation, mlp_stack


def both(build):
    """The same architecture built by torch and by lamina."""
    return build(torch), build(lamina)


def count(model):
    return sum(p.numel() for p in model.parameters())


# ---- the seeds' models ---------------------------------------------------------------------

def seed_models(lib):
    nn = lib.nn
    return {
        "neuron": (nn.Linear(10, 1), (1, 10)),
        "layer": (nn.Linear(10, 5), (1, 10)),
        "first_layer": (nn.Linear(3, 4), (1, 3)),
        "with_activation": (layer_with_activation(lib, 10, 20), (32, 10)),
        "custom": (custom_layer(lib, 100, 50), (32, 100)),
        "clinical": (clinical_mlp(lib, 50), (32, 50)),
        "stack": (mlp_stack(lib), (1, 784)),
    }


@pytest.mark.parametrize("name", ["neuron", "layer", "first_layer", "with_activation", "custom", "clinical",
                                  "stack"])
def test_summary_totals_and_shapes_match_torch_on_the_seed_models(name):
    t_model, t_shape = seed_models(torch)[name]
    l_model, shape = seed_models(lamina)[name]
    s = lamina.summary(l_model, input_size=shape)
    assert s.totals["total_params"] == count(t_model) == count(l_model)
    # every module's recorded output shape is what torch's forward produces for that module
    t_shapes = {}
    def record(name):
        def hook(mod, inputs, output):
            t_shapes.setdefault(name, list(output.shape))
        return hook
    hooks = [m.register_forward_hook(record(n)) for n, m in t_model.named_modules()]
    t_model.eval()(torch.zeros(*shape))
    for h in hooks:
        h.remove()
    for row in s.rows:
        if row["output_shapes"]:
            assert list(row["output_shapes"][0]) == t_shapes[row["name"]], row["name"]


def test_seed_parameter_counts_are_pytorchs():
    models = seed_models(lamina)
    counts = {k: count(m) for k, (m, _) in models.items()}
    assert counts["neuron"] == 11 and counts["layer"] == 55 and counts["first_layer"] == 16
    assert counts["custom"] == 5150
    assert counts["clinical"] == 14949  # the seed's text says 14,977: an addition slip (PyTorch: 14,949)


LAYER_BUILDERS = {
    "Linear": lambda nn: nn.Linear(3, 4),
    "Linear no bias": lambda nn: nn.Linear(3, 4, bias=False),
    "Conv1d": lambda nn: nn.Conv1d(1, 25, 5, stride=2, padding=1),
    "Conv2d": lambda nn: nn.Conv2d(3, 8, 3),
    "Conv2d groups": lambda nn: nn.Conv2d(4, 8, 3, groups=2, bias=False),
    "ConvTranspose2d": lambda nn: nn.ConvTranspose2d(4, 6, 3, groups=2),
    "BatchNorm1d": lambda nn: nn.BatchNorm1d(50),
    "BatchNorm2d no affine": lambda nn: nn.BatchNorm2d(8, affine=False),
    "LayerNorm": lambda nn: nn.LayerNorm((4, 5)),
    "GroupNorm": lambda nn: nn.GroupNorm(2, 6),
    "Embedding": lambda nn: nn.Embedding(100, 16),
    "LSTM": lambda nn: nn.LSTM(12, 16),
    "GRU 2-layer bidirectional": lambda nn: nn.GRU(6, 5, num_layers=2, bidirectional=True),
    "RNN no bias": lambda nn: nn.RNN(3, 4, bias=False),
    "LSTM proj": lambda nn: nn.LSTM(8, 6, proj_size=3),
    "LSTMCell": lambda nn: nn.LSTMCell(5, 7),
    "MultiheadAttention": lambda nn: nn.MultiheadAttention(16, 4),
    "MultiheadAttention kdim": lambda nn: nn.MultiheadAttention(16, 4, kdim=8, vdim=6),
    "PReLU": lambda nn: nn.PReLU(3),
    "Bilinear": lambda nn: nn.Bilinear(3, 4, 5),
    "TransformerEncoderLayer": lambda nn: nn.TransformerEncoderLayer(16, 4, 32),
}


@pytest.mark.parametrize("name", list(LAYER_BUILDERS))
def test_formula_adds_up_to_the_layers_own_count_for_every_family(name):
    t_layer, l_layer = both(lambda lib: LAYER_BUILDERS[name](lib.nn))
    s = lamina.summary(l_layer)
    assert s.totals["total_params"] == count(t_layer)
    for row in s.rows:
        if row["formula"]:
            # the number after the last "=" is the module's own parameter count
            assert int(row["formula"].rsplit("=", 1)[1].replace(",", "")) == row["own_params"], row["formula"]
        else:
            assert row["own_params"] == 0


@pytest.mark.parametrize("layer,text", [
    (lambda nn: nn.Linear(3, 4), "Linear(3→4): 4 × (3 + 1) = 16"),
    (lambda nn: nn.BatchNorm1d(50), "BatchNorm1d(50): 2 × 50 = 100"),
    (lambda nn: nn.Conv2d(3, 8, 3), "Conv2d(3→8, 3×3): 8 × (3·3·3) + 8 = 224"),
    (lambda nn: nn.LSTM(12, 16), "LSTM(12→16): 4·16·(12+16) + 2·4·16 = 1,920"),
])
def test_formula_text_is_written_the_way_the_issue_shows_it(layer, text):
    assert lamina.summary(layer(lamina.nn)).rows[0]["formula"] == text


def test_summary_table_and_dict():
    model = seed_models(lamina)["stack"][0]
    s = lamina.summary(model, input_size=(1, 784))
    text = str(s)
    assert "Linear(784→256): 256 × (784 + 1) = 200,960" in text
    assert "Total params: 235,146" in text
    assert "[1, 10]" in text
    d = s.to_dict()
    assert d["totals"]["trainable_params"] == 235146
    assert [r["layer"] for r in d["rows"]] == ["Sequential", "Linear", "ReLU", "Linear", "ReLU", "Linear"]
    assert s.totals["total_mult_adds"] == 784 * 256 + 256 * 128 + 128 * 10


def test_summary_counts_frozen_parameters_and_restores_mode():
    model = seed_models(lamina)["custom"][0]
    model.linear.weight.requires_grad_(False)
    model.train()
    before = model.norm.running_mean.numpy().copy()
    s = lamina.summary(model, input_size=(4, 100))
    assert s.totals["non_trainable_params"] == 5000
    assert s.totals["trainable_params"] == 150
    assert model.training and model.norm.training
    np.testing.assert_array_equal(model.norm.running_mean.numpy(), before)  # no side effect on stats


def test_summary_rejects_unknown_columns():
    with pytest.raises(ValueError, match="unknown column"):
        lamina.summary(lamina.nn.Linear(2, 2), col_names=("bogus",))


# ---- trace ---------------------------------------------------------------------------------

def test_trace_follows_the_seed_stack_with_torchs_shapes(capsys):
    t_model, l_model = both(lambda lib: seed_models(lib)["stack"][0])
    x = np.random.default_rng(0).standard_normal((1, 784)).astype(np.float32)
    steps = lamina.trace(l_model, lamina.from_numpy(x))
    printed = capsys.readouterr().out
    shapes = []
    h = torch.from_numpy(x)
    for layer in t_model:
        h = layer(h)
        shapes.append(list(h.shape))
    assert [s.output_shape for s in steps] == shapes
    assert "784 → 256 features" in printed


def test_trace_relu_and_dropout_percentages_are_what_happened():
    lamina.manual_seed(3)
    model = lamina.nn.Sequential(lamina.nn.ReLU(), lamina.nn.Dropout(0.2))
    x = lamina.randn(200, 50)
    steps = lamina.trace(model, x, print_steps=False)
    zero_pct = int(re.search(r"(\d+)% of values now zero", steps[0].description).group(1))
    assert abs(zero_pct - 100 * np.mean(x.numpy() <= 0)) < 1
    dropped = int(re.search(r"training: (\d+)% of values zeroed", steps[1].description).group(1))
    assert 17 <= dropped <= 23 and "scaled by 1.25" in steps[1].description
    model.eval()
    assert "unchanged" in lamina.trace(model, x, print_steps=False)[1].description


# ---- explain -------------------------------------------------------------------------------

def test_explain_linear_neuron_values_are_the_layer_output():
    t_layer, l_layer = both(lambda lib: lib.nn.Linear(3, 4))
    copy_weights(t_layer, l_layer)
    x = [[1.0, 2.0, 3.0]]
    e = lamina.explain(l_layer, lamina.tensor(x))
    expected = t_layer(torch.tensor(x)).detach().numpy()[0]
    np.testing.assert_allclose(e.values, expected, atol=1e-6)
    # each written-out line adds up to the value it states
    for j, line in enumerate(e.lines):
        nums = [float(v) for v in re.findall(r"\(?(-?\d+\.\d+)\)?", line.split(":", 1)[1])]
        *products, bias, value = nums
        total = sum(w * xv for w, xv in zip(products[0::2], products[1::2])) + bias
        assert abs(total - value) < 1e-3 and abs(value - expected[j]) < 1e-4
    assert e.footer == "Output = XWᵀ + b  (W: 4×3, b: 4)"


def test_explain_wide_linear_truncates_terms_and_neurons():
    layer = lamina.nn.Linear(300, 40)
    x = lamina.randn(2, 300)
    e = lamina.explain(layer, x, sample=1)
    np.testing.assert_allclose(e.values, layer(x).detach().numpy()[1], atol=1e-6)
    assert "… (296 more)" in e.lines[0]
    assert e.lines[-1] == "… (32 more neurons)"


def test_explain_conv_position_values_equal_the_output():
    t_layer, l_layer = both(lambda lib: lib.nn.Conv2d(3, 4, 3, padding=1, stride=2))
    copy_weights(t_layer, l_layer)
    x = np.random.default_rng(1).standard_normal((2, 3, 7, 7)).astype(np.float32)
    e = lamina.explain(l_layer, lamina.from_numpy(x), sample=1, position=(1, 2), max_terms=27)
    expected = t_layer(torch.from_numpy(x)).detach().numpy()[1, :, 1, 2]
    np.testing.assert_allclose(e.values, expected, atol=1e-6)
    for c, line in enumerate(e.lines):
        nums = [float(v) for v in re.findall(r"\(?(-?\d+\.\d+)\)?", line.split(":", 1)[1])]
        *products, bias, value = nums
        assert abs(sum(w * xv for w, xv in zip(products[0::2], products[1::2])) + bias - expected[c]) < 1e-3


def test_explain_activation_and_norms():
    x = lamina.tensor([[-1.0, 2.0, -3.0, 0.5]])
    e = lamina.explain(lamina.nn.ReLU(), x)
    assert "2 of 4 inputs zeroed" in str(e)
    bn = lamina.nn.BatchNorm1d(4)
    xb = lamina.randn(8, 4)
    e = lamina.explain(bn, xb)
    assert "statistics from this batch" in str(e)
    mean = float(re.search(r"channel 1: \(x − (-?\d+\.\d+)\)", str(e)).group(1))
    assert abs(mean - xb.numpy()[:, 0].mean()) < 1e-4
    bn.eval()
    assert "running statistics" in str(lamina.explain(bn, xb))


# ---- draw_graph ----------------------------------------------------------------------------

def parse_dot(text):
    """A strict reader for the DOT subset draw_graph writes: node statements and edges."""
    lines = text.strip().split("\n")
    assert lines[0] == "digraph {" and lines[-1] == "}"
    nodes, edges = {}, []
    for line in lines[1:-1]:
        line = line.strip()
        if line.startswith(("graph [", "node [")):
            continue
        m = re.fullmatch(r'(\w+) \[label="((?:[^"\\]|\\.)*)", fillcolor=\w+\];', line)
        if m:
            nodes[m.group(1)] = m.group(2)
            continue
        m = re.fullmatch(r"(\w+) -> (\w+);", line)
        assert m, f"not DOT: {line!r}"
        edges.append((m.group(1), m.group(2)))
    for a, b in edges:
        assert a in nodes and b in nodes
    return nodes, edges


def test_draw_graph_names_nodes_like_torch_and_labels_leaves():
    model = lamina.nn.Sequential(lamina.nn.Linear(3, 4), lamina.nn.ReLU(), lamina.nn.Linear(4, 2))
    out = model(lamina.randn(5, 3)).sum()
    g = lamina.draw_graph(out, params=dict(model.named_parameters()))
    nodes, edges = parse_dot(g.source)
    labels = sorted(nodes.values())
    assert labels.count("AddmmBackward0") == 2 and "ReluBackward0" in labels and "SumBackward0" in labels
    assert "0.weight\\n(4, 3)" in labels and "2.bias\\n(2)" in labels
    # torch's graph has the same op names
    t_model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    t_out = t_model(torch.randn(5, 3)).sum()
    t_names, stack = set(), [t_out.grad_fn]
    while stack:
        fn = stack.pop()
        if fn is None or type(fn).__name__ == "AccumulateGrad":
            continue
        t_names.add(fn.name())
        stack.extend(f for f, _ in fn.next_functions)
    # lamina fuses the weight transpose into its linear op, so torch's TBackward0 has no twin
    assert t_names - {"TBackward0"} == {n for n in labels if n.endswith("Backward0")}


def test_draw_graph_renders_when_graphviz_is_installed(tmp_path):
    graphviz = pytest.importorskip("graphviz")
    import shutil
    if shutil.which("dot") is None:
        pytest.skip("the Graphviz `dot` program is not installed")
    out = lamina.nn.Linear(2, 2)(lamina.randn(1, 2)).sum()
    path = lamina.draw_graph(out).render(str(tmp_path / "g"), "svg")
    assert open(path).read().lstrip().startswith("<?xml") or "<svg" in open(path).read()
    del graphviz


# ---- CLI -----------------------------------------------------------------------------------

def test_cli_summary_and_trace_on_a_model_file(tmp_path):
    src = tmp_path / "model.py"
    src.write_text("import lamina.nn as nn\n\ndef build():\n    return nn.Sequential(nn.Linear(784, 256), "
                   "nn.ReLU(), nn.Linear(256, 10))\n")
    out = subprocess.run([sys.executable, "-m", "lamina.cli", "summary", f"{src}:build", "--input", "1,784"],
                         capture_output=True, text=True, check=True).stdout
    assert "Total params: 203,530" in out and "Linear(784→256): 256 × (784 + 1) = 200,960" in out
    out = subprocess.run([sys.executable, "-m", "lamina.cli", "trace", f"{src}:build", "--input", "2,784"],
                         capture_output=True, text=True, check=True).stdout
    assert "[2, 784] → [2, 256]" in out and "[2, 256] → [2, 10]" in out
