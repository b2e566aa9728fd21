"""lamina.onnx.export: every exported model passes onnx.checker (full check) and onnxruntime's
outputs match the model's, in lamina and in PyTorch (same weights), also for batch sizes other
than the example's (dynamic axes).

Each model is written once as `def build(lib)` so the same code builds the lamina model (which is
exported) and its PyTorch twin (the oracle); weights go from lamina to torch by state_dict."""
import io
import subprocess
import sys
import warnings

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

import lamina
from lamina.onnx import UnsupportedOperatorError
from seed_models import clinical_mlp, mlp_stack

ATOL = 1e-5


# ---- harness -----------------------------------------------------------------------------------
def _twin(build, seed=0):
    """(lamina model, torch model with the same weights), both in eval mode."""
    lamina.manual_seed(seed)
    lm = build(lamina)
    tm = build(torch)
    state = {k: torch.from_numpy(np.array(v.numpy(), copy=True)) for k, v in lm.state_dict().items()}
    tm.load_state_dict(state)
    return lm.eval(), tm.eval()


def _flat(out):
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flat(o)]
    return [] if out is None else [out]


def _inputs(specs, batch, seed):
    """Arrays for input specs: ('f', shape) random normal float32, ('i', shape, high) int64 in [0, high)."""
    rng = np.random.default_rng(seed)
    arrays = []
    for spec in specs:
        shape = tuple(batch if s == "N" else s for s in spec[1])
        if spec[0] == "f":
            arrays.append(rng.standard_normal(shape).astype(np.float32))
        elif spec[0] == "b":
            arrays.append(rng.random(shape) < 0.3)
        else:
            arrays.append(rng.integers(0, spec[2], shape).astype(np.int64))
    return arrays


def check_export(build, specs, opset=17, batches=(2, 5), example_batch=3, dynamic=True):
    """Export lamina's model on an example batch, check the file, and compare onnxruntime with
    lamina and torch on other batch sizes. Returns the loaded ModelProto."""
    lm, tm = _twin(build)
    names = [f"x{i}" for i in range(len(specs))]
    example = tuple(lamina.from_numpy(a) for a in _inputs(specs, example_batch, seed=1))
    lm.train()  # export must use eval mode and give the mode back
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # export warns about nothing in these models
        dyn = {n: {0: "batch"} for n, s in zip(names, specs) if "N" in s[1]} if dynamic else None
        buf = io.BytesIO()
        lamina.onnx.export(lm, example if len(example) > 1 else example[0], buf, opset_version=opset,
                           input_names=names, dynamic_axes=dyn)
    assert lm.training and all(m.training for m in lm.modules())
    lm.eval()
    proto = onnx.load_from_string(buf.getvalue())
    onnx.checker.check_model(proto, full_check=True)
    assert proto.opset_import[0].version == opset
    assert proto.ir_version == {13: 7, 14: 7, 15: 8, 16: 8, 17: 8, 18: 8, 19: 9, 20: 9, 21: 10}[opset]
    sess = ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"])
    for batch in (batches if dynamic else (example_batch,)):
        arrays = _inputs(specs, batch, seed=batch)
        got = sess.run(None, dict(zip(names, arrays)))
        with lamina.no_grad():
            want = _flat(lm(*(lamina.from_numpy(a.copy()) for a in arrays)))
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert g.shape == tuple(w.shape) and g.dtype == w.numpy().dtype
            np.testing.assert_allclose(g, w.numpy(), rtol=0, atol=ATOL)
        with torch.no_grad():
            ref = _flat(tm(*(torch.from_numpy(a.copy()) for a in arrays)))
        for g, r in zip(got, ref):
            np.testing.assert_allclose(g, r.numpy(), rtol=0, atol=ATOL)
    return proto


def ops_of(proto):
    return [n.op_type for n in proto.graph.node]


# ---- the seed models -------------------------------------------------------------------------------------
mlp = mlp_stack


def clinical(lib):
    model = clinical_mlp(lib, 50)
    if lib is lamina:  # running statistics that are not the identity
        rng = np.random.default_rng(5)
        model.input_norm.running_mean._data[:] = rng.standard_normal(50)
        model.input_norm.running_var._data[:] = rng.random(50) + 0.5
        model.input_norm.weight._data[:] = rng.random(50) + 0.5
    return model


def test_seed_mlp_exports_as_gemm_relu_and_runs_with_any_batch():
    proto = check_export(mlp, [("f", ("N", 784))], example_batch=1, batches=(1, 7))
    assert ops_of(proto) == ["Gemm", "Relu", "Gemm", "Relu", "Gemm"]
    assert {i.name for i in proto.graph.initializer} == {"0.weight", "0.bias", "2.weight", "2.bias", "4.weight",
                                                         "4.bias"}
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"


def test_clinical_mlp_in_eval_mode_uses_the_running_statistics():
    proto = check_export(clinical, [("f", ("N", 50))])
    assert ops_of(proto)[0] == "BatchNormalization" and "Dropout" not in ops_of(proto)
    assert ops_of(proto)[-1] == "Sigmoid"


# ---- convolutional networks --------------------------------------------------------------------------------
def lenet(lib):
    nn, F = lib.nn, lib.nn.functional

    class LeNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
            self.pool = nn.MaxPool2d(2, 2)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            x = self.pool(F.relu(self.conv1(x)))
            x = F.avg_pool2d(lib.tanh(self.conv2(x)), 2)
            x = x.view(x.size(0), -1)  # the traced batch size must not be baked in
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            return F.log_softmax(self.fc3(x), dim=1)
    return LeNet()


def mnist1d_cnn(lib):
    nn = lib.nn
    return nn.Sequential(nn.Conv1d(1, 25, 5, stride=2, padding=1), nn.ReLU(),
                         nn.Conv1d(25, 25, 3, stride=2, padding=1), nn.ReLU(),
                         nn.Conv1d(25, 25, 3, stride=2, padding=1), nn.ReLU(),
                         nn.Flatten(), nn.Linear(25 * 5, 10))


def test_lenet_cnn():
    proto = check_export(lenet, [("f", ("N", 1, 28, 28))])
    assert ops_of(proto).count("Conv") == 2 and "MaxPool" in ops_of(proto) and "AveragePool" in ops_of(proto)


def test_mnist1d_conv1d_stack():
    proto = check_export(mnist1d_cnn, [("f", ("N", 1, 40))])
    conv = [n for n in proto.graph.node if n.op_type == "Conv"]
    assert len(conv) == 3
    attrs = {a.name: list(a.ints) for a in conv[0].attribute if a.ints}
    assert attrs["strides"] == [2] and attrs["pads"] == [1, 1] and attrs["kernel_shape"] == [5]


@pytest.mark.parametrize("kwargs", [dict(stride=2, padding=1, dilation=2), dict(groups=2, padding="same"),
                                    dict(padding=2, padding_mode="reflect"), dict(padding=1, padding_mode="replicate"),
                                    dict(padding=(1, 2), stride=(2, 1), bias=False)])
def test_conv2d_options(kwargs):
    check_export(lambda lib: lib.nn.Conv2d(4, 6, 3, **kwargs), [("f", ("N", 4, 9, 8))])


def test_conv_transpose_and_circular_padding_at_opset_19():
    check_export(lambda lib: lib.nn.Sequential(lib.nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1, output_padding=1),
                                               lib.nn.Conv2d(4, 2, 3, padding=1, padding_mode="circular")),
                 [("f", ("N", 3, 5, 6))], opset=19)


def test_circular_padding_before_opset_19_is_refused():
    with pytest.raises(UnsupportedOperatorError, match="circular padding.*opset 19"):
        lamina.onnx.export(lamina.nn.Conv1d(2, 2, 3, padding=1, padding_mode="circular"), lamina.randn(1, 2, 5),
                           io.BytesIO())


@pytest.mark.parametrize("layer", [
    lambda nn: nn.MaxPool1d(3, stride=2, padding=1),
    lambda nn: nn.MaxPool1d(3, stride=2, padding=1, ceil_mode=True),  # 5 windows, not 4
    lambda nn: nn.AvgPool1d(3, stride=2, padding=1),
    lambda nn: nn.AvgPool1d(3, stride=2, padding=1, count_include_pad=False),
    lambda nn: nn.AdaptiveAvgPool1d(1),
    lambda nn: nn.AdaptiveAvgPool1d(4),
    lambda nn: nn.AdaptiveMaxPool1d(2),
])
def test_pooling_1d(layer):
    check_export(lambda lib: layer(lib.nn), [("f", ("N", 3, 8))])


@pytest.mark.parametrize("layer", [
    lambda nn: nn.MaxPool2d(3, stride=2, padding=1, dilation=1),
    lambda nn: nn.AvgPool2d(2),
    lambda nn: nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    lambda nn: nn.MaxPool2d(3, stride=1, dilation=2),
    lambda nn: nn.AdaptiveAvgPool2d(1),
    lambda nn: nn.AdaptiveAvgPool2d((2, None)),
    lambda nn: nn.AdaptiveMaxPool2d(1),
])
def test_pooling_2d(layer):
    check_export(lambda lib: layer(lib.nn), [("f", ("N", 3, 8, 8))])


def test_adaptive_pool_to_a_size_that_does_not_divide_is_refused():
    with pytest.raises(UnsupportedOperatorError, match=r"adaptive_avg_pool2d from size \(5, 5\) to \(3, 3\)"):
        lamina.onnx.export(lamina.nn.AdaptiveAvgPool2d(3), lamina.randn(1, 2, 5, 5), io.BytesIO())


# ---- normalization ------------------------------------------------------------------------------------
@pytest.mark.parametrize("opset", [13, 17, 18])
@pytest.mark.parametrize("layer", [
    lambda nn: nn.LayerNorm(6),
    lambda nn: nn.LayerNorm((4, 6), elementwise_affine=False),
    lambda nn: nn.LayerNorm(6, bias=False),
    lambda nn: nn.GroupNorm(2, 4),
    lambda nn: nn.RMSNorm(6),
])
def test_normalization(layer, opset):
    check_export(lambda lib: layer(lib.nn), [("f", ("N", 4, 6))], opset=opset)


def test_layer_norm_is_one_node_from_opset_17_and_decomposed_before():
    assert ops_of(check_export(lambda lib: lib.nn.LayerNorm(6), [("f", ("N", 6))], opset=17)) == [
        "LayerNormalization"]
    assert "LayerNormalization" not in ops_of(check_export(lambda lib: lib.nn.LayerNorm(6), [("f", ("N", 6))],
                                                           opset=16))


def _with_stats(layer):
    def build(lib):
        m = layer(lib.nn)
        if lib is lamina:
            rng = np.random.default_rng(3)
            m.running_mean._data[:] = rng.standard_normal(m.num_features)
            m.running_var._data[:] = rng.random(m.num_features) + 0.5
        return m
    return build


@pytest.mark.parametrize("layer, shape", [
    (lambda nn: nn.BatchNorm1d(4), ("N", 4)),
    (lambda nn: nn.BatchNorm1d(4, affine=False), ("N", 4, 5)),
    (lambda nn: nn.BatchNorm2d(4), ("N", 4, 3, 3)),
])
def test_batch_norm_eval(layer, shape):
    check_export(_with_stats(layer), [("f", shape)])


@pytest.mark.parametrize("layer", [lambda nn: nn.InstanceNorm2d(4), lambda nn: nn.InstanceNorm2d(4, affine=True),
                                   lambda nn: nn.BatchNorm2d(4, track_running_stats=False)])
def test_normalization_with_the_inputs_statistics(layer):
    check_export(lambda lib: layer(lib.nn), [("f", ("N", 4, 3, 5))])


# ---- activations -------------------------------------------------------------------------------------------
ACTIVATIONS = [
    lambda nn: nn.ReLU(), lambda nn: nn.ReLU6(), lambda nn: nn.Sigmoid(), lambda nn: nn.Tanh(),
    lambda nn: nn.LeakyReLU(0.2), lambda nn: nn.ELU(0.7), lambda nn: nn.CELU(1.3), lambda nn: nn.SELU(),
    lambda nn: nn.GELU(), lambda nn: nn.GELU(approximate="tanh"), lambda nn: nn.SiLU(), lambda nn: nn.Mish(),
    lambda nn: nn.Softplus(), lambda nn: nn.Softplus(beta=2, threshold=1.5), lambda nn: nn.Hardsigmoid(),
    lambda nn: nn.Hardswish(), lambda nn: nn.Hardtanh(-2, 1.5), lambda nn: nn.Softsign(), lambda nn: nn.Tanhshrink(),
    lambda nn: nn.LogSigmoid(), lambda nn: nn.Softshrink(0.7), lambda nn: nn.Hardshrink(), lambda nn: nn.PReLU(10),
    lambda nn: nn.Threshold(0.3, -2.0), lambda nn: nn.Softmax(dim=1), lambda nn: nn.LogSoftmax(dim=-1),
    lambda nn: nn.Softmin(dim=1), lambda nn: nn.GLU(), lambda nn: nn.Identity(), lambda nn: nn.RReLU(),
]


@pytest.mark.parametrize("i", range(len(ACTIVATIONS)))
def test_activation_layers(i):
    def build(lib):
        seq = lib.nn.Sequential(lib.nn.Linear(4, 10), ACTIVATIONS[i](lib.nn))
        if lib is lamina:  # weights large enough to reach every branch (thresholds, saturation)
            seq[0].weight._data *= 8
        return seq
    check_export(build, [("f", ("N", 4))])


@pytest.mark.parametrize("opset", [17, 20])
def test_gelu_is_native_from_opset_20_and_erf_before(opset):
    proto = check_export(lambda lib: lib.nn.GELU(), [("f", ("N", 7))], opset=opset)
    assert ("Gelu" in ops_of(proto)) == (opset >= 20) and ("Erf" in ops_of(proto)) == (opset < 20)


# ---- recurrent networks --------------------------------------------------------------------------------
def lstm_classifier(lib):
    nn = lib.nn

    class LSTMClassifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(8, 16, num_layers=2, batch_first=True)
            self.fc = nn.Linear(16, 3)

        def forward(self, x):
            out, (h, c) = self.lstm(x)
            return self.fc(out[:, -1, :])
    return LSTMClassifier()


def gru_classifier(lib):
    nn = lib.nn

    class GRUClassifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.gru = nn.GRU(8, 12, batch_first=True, bidirectional=True)
            self.fc = nn.Linear(24, 3)

        def forward(self, x):
            out, h = self.gru(x)
            return self.fc(lib.cat((h[-2], h[-1]), dim=1))
    return GRUClassifier()


def test_lstm_classifier():
    proto = check_export(lstm_classifier, [("f", ("N", 7, 8))])
    assert ops_of(proto).count("LSTM") == 2


def test_bidirectional_gru_classifier():
    proto = check_export(gru_classifier, [("f", ("N", 7, 8))])
    gru = next(n for n in proto.graph.node if n.op_type == "GRU")
    attrs = {a.name: (a.s or a.i) for a in gru.attribute}
    assert attrs["direction"] == b"bidirectional" and attrs["linear_before_reset"] == 1


@pytest.mark.parametrize("mode", ["LSTM", "GRU", "RNN_TANH", "RNN_RELU"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_recurrent_layers_return_output_and_final_states(mode, bidirectional):
    """All outputs (output, h_n[, c_n]) with given initial states, 2 layers, seq-first layout."""
    def build(lib):
        nn = lib.nn
        kw = dict(num_layers=2, bidirectional=bidirectional)
        if mode.startswith("RNN"):
            return nn.RNN(5, 6, nonlinearity=mode[4:].lower(), **kw)
        return getattr(nn, mode)(5, 6, **kw)
    D = 2 if bidirectional else 1
    specs = [("f", (4, "N", 5)), ("f", (2 * D, "N", 6))] + ([("f", (2 * D, "N", 6))] if mode == "LSTM" else [])

    def wrapped(lib):
        inner = build(lib)

        class Model(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.rnn = inner

            def forward(self, x, h, c=None):
                return self.rnn(x, (h, c)) if c is not None else self.rnn(x, h)
        return Model()
    names = ["x", "h", "c"][:len(specs)]
    lm, tm = _twin(wrapped)
    buf = io.BytesIO()
    example = [lamina.from_numpy(a) for a in _inputs(specs, 3, seed=0)]
    lamina.onnx.export(lm, tuple(example), buf, input_names=names, dynamic_axes={n: {1: "N"} for n in names})
    onnx.checker.check_model(onnx.load_from_string(buf.getvalue()), full_check=True)
    sess = ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"])
    arrays = _inputs(specs, 2, seed=4)
    got = sess.run(None, dict(zip(names, arrays)))
    with torch.no_grad():
        want = _flat(tm(*(torch.from_numpy(a) for a in arrays)))
    with lamina.no_grad():
        mine = _flat(lm(*(lamina.from_numpy(a) for a in arrays)))
    assert len(got) == len(want) == (3 if mode == "LSTM" else 2)
    for g, w, m in zip(got, want, mine):
        np.testing.assert_allclose(g, w.numpy(), atol=ATOL, rtol=0)
        np.testing.assert_allclose(g, m.numpy(), atol=ATOL, rtol=0)


def test_lstm_with_zero_initial_state_built_in_forward_keeps_the_batch_dynamic():
    def build(lib):
        nn = lib.nn

        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.lstm = nn.LSTM(3, 4, batch_first=True)

            def forward(self, x):
                h0 = lib.zeros(1, x.size(0), 4)
                return self.lstm(x, (h0, lib.zeros(1, x.size(0), 4)))[0]
        return M()
    check_export(build, [("f", ("N", 5, 3))])


def test_unbatched_gru_and_lstm_cell():
    check_export(lambda lib: lib.nn.GRU(3, 4, bidirectional=True), [("f", (6, 3))], dynamic=False)
    check_export(lambda lib: lib.nn.LSTMCell(3, 4), [("f", ("N", 3))])
    check_export(lambda lib: lib.nn.GRUCell(3, 4), [("f", ("N", 3))])


# ---- attention and transformers -----------------------------------------------------------------------------
def transformer_classifier(lib, norm_first=False, activation="relu"):
    nn = lib.nn

    class TransformerClassifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Linear(6, 16)
            self.encoder = nn.TransformerEncoderLayer(16, 4, dim_feedforward=32, batch_first=True,
                                                      norm_first=norm_first, activation=activation)
            self.head = nn.Linear(16, 3)

        def forward(self, x):
            return self.head(self.encoder(self.embed(x)).mean(dim=1))
    return TransformerClassifier()


def test_transformer_encoder_layer_classifier():
    proto = check_export(transformer_classifier, [("f", ("N", 5, 6))])
    assert {"MatMul", "Softmax", "LayerNormalization"} <= set(ops_of(proto))


@pytest.mark.parametrize("opset", [13, 18, 21])
def test_transformer_pre_norm_gelu_at_other_opsets(opset):
    check_export(lambda lib: transformer_classifier(lib, norm_first=True, activation="gelu"), [("f", ("N", 5, 6))],
                 opset=opset)


def test_transformer_encoder_stack_with_causal_mask_and_padding_mask_input():
    def build(lib):
        nn = lib.nn

        class M(nn.Module):
            def __init__(self):
                super().__init__()
                layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16)
                self.encoder = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(8), enable_nested_tensor=False)

            def forward(self, x, pad):
                mask = lib.ones(x.shape[0], x.shape[0]).triu(1).bool()
                return self.encoder(x, mask=mask, src_key_padding_mask=pad)
        return M()
    # sequence-first (S, N, E); the padding mask (N, S) is a graph input; the first key is never padded
    lm, tm = _twin(build)
    specs = [("f", (5, "N", 8)), ("b", ("N", 5))]
    arrays = _inputs(specs, 2, seed=0)
    arrays[1][:, 0] = False
    buf = io.BytesIO()
    lamina.onnx.export(lm, tuple(lamina.from_numpy(a) for a in arrays), buf, input_names=["x", "pad"],
                       dynamic_axes={"x": {1: "N"}, "pad": {0: "N"}})
    onnx.checker.check_model(onnx.load_from_string(buf.getvalue()), full_check=True)
    sess = ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"])
    arrays = _inputs(specs, 4, seed=9)
    arrays[1][:, 0] = False
    got = sess.run(None, {"x": arrays[0], "pad": arrays[1]})[0]
    with torch.no_grad():
        want = tm(*(torch.from_numpy(a) for a in arrays))
    with lamina.no_grad():
        mine = lm(*(lamina.from_numpy(a) for a in arrays))
    np.testing.assert_allclose(got, want.numpy(), atol=ATOL, rtol=0)
    np.testing.assert_allclose(got, mine.numpy(), atol=ATOL, rtol=0)


@pytest.mark.parametrize("batch_first", [False, True])
def test_multihead_attention_returns_output_and_averaged_weights(batch_first):
    def build(lib):
        return lib.nn.MultiheadAttention(12, 3, batch_first=batch_first)
    L, S = 4, 6
    q_shape = ("N", L, 12) if batch_first else (L, "N", 12)
    kv_shape = ("N", S, 12) if batch_first else (S, "N", 12)

    def cross(lib):
        inner = build(lib)

        class M(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.attn = inner

            def forward(self, q, kv):
                return self.attn(q, kv, kv)
        return M()
    proto = check_export(cross, [("f", q_shape), ("f", kv_shape)], dynamic=False)
    assert len(proto.graph.output) == 2


def test_multihead_attention_self_attention_with_separate_kdim_and_mask():
    def build(lib):
        nn = lib.nn

        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.attn = nn.MultiheadAttention(8, 2, kdim=5, vdim=7, batch_first=True)

            def forward(self, q, k, v):
                mask = lib.ones(3, 4).triu(1).bool()
                return self.attn(q, k, v, attn_mask=mask, average_attn_weights=False)
        return M()
    check_export(build, [("f", ("N", 3, 8)), ("f", ("N", 4, 5)), ("f", ("N", 4, 7))])


def test_transformer_decoder_layer():
    def build(lib):
        nn = lib.nn

        class M(nn.Module):
            def __init__(self):
                super().__init__()
                self.dec = nn.TransformerDecoderLayer(8, 2, dim_feedforward=16, batch_first=True)

            def forward(self, tgt, memory):
                return self.dec(tgt, memory)
        return M()
    check_export(build, [("f", ("N", 3, 8)), ("f", ("N", 5, 8))])


def test_scaled_dot_product_attention_function():
    def build(lib):
        F = lib.nn.functional

        class M(lib.nn.Module):
            def forward(self, q, k, v):
                return F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return M()
    check_export(build, [("f", ("N", 2, 4, 8)), ("f", ("N", 2, 4, 8)), ("f", ("N", 2, 4, 8))])


# ---- embeddings and the ops between layers --------------------------------------------------------------------
def embedding_bag_of_words(lib):
    nn = lib.nn

    class EmbeddingClassifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(100, 16, padding_idx=0)
            self.fc = nn.Linear(16, 4)

        def forward(self, tokens):
            return self.fc(self.embedding(tokens).mean(dim=1))
    return EmbeddingClassifier()


def test_embedding_mean_linear():
    proto = check_export(embedding_bag_of_words, [("i", ("N", 9), 100)])
    assert ops_of(proto)[0] == "Gather" and proto.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.INT64


def glue_ops(lib):
    nn, F = lib.nn, lib.nn.functional

    class Glue(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(6, 6)
            self.scale = nn.Parameter(lib.ones(6) * 0.5)

        def forward(self, x):
            y = self.fc(x) * self.scale + 1.0            # (N, 4, 6)
            y = 2 - y / 3 + y ** 2 - (-y).abs()
            a, b = y.chunk(2, dim=-1)                    # (N, 4, 3) each
            z = lib.stack([a, b], dim=1)                 # (N, 2, 4, 3)
            z = z.permute(0, 2, 1, 3).reshape(x.shape[0], 4, -1)
            z = lib.cat([z, y.transpose(1, 2)[:, :4, None, :].squeeze(2)], dim=-1)
            w = F.softmax(z, dim=-1).clamp(min=0.01, max=0.5) + z.sum(dim=1, keepdim=True)
            w = lib.where(w > 0.2, w, lib.zeros_like(w)) + z.max(dim=-1, keepdim=True).values
            v = w[:, 1:, ::2].exp().sqrt().log() + x.mean(dim=(1, 2), keepdim=True)
            return lib.tanh(v.flatten(1)) @ lib.ones(v.shape[-1] * 3, 2), v.unsqueeze(0)[0, :, -1]
    return Glue()


@pytest.mark.parametrize("opset", range(13, 22))
def test_tensor_ops_between_layers_at_every_opset(opset):
    # Reduce* take axes as an input from opset 18, HardSwish exists from 14, Gelu from 20
    def build(lib):
        return lib.nn.Sequential(glue_ops(lib), lib.nn.LayerNorm(2), lib.nn.Hardswish(), lib.nn.GELU())
    proto = check_export(lambda lib: _first_output(lib, build(lib)), [("f", ("N", 4, 6))], opset=opset)
    assert ("ReduceSum" in ops_of(proto)) and (opset >= 17) == ("LayerNormalization" in ops_of(proto))


def _first_output(lib, seq):
    """glue_ops returns two tensors; keep the first through the rest of `seq`."""
    class M(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.seq = seq

        def forward(self, x):
            y, z = self.seq[0](x)
            for layer in list(self.seq)[1:]:
                y = layer(y)
            return y, z
    return M()


def test_more_functions():
    def build(lib):
        F = lib.nn.functional

        class M(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = lib.nn.Linear(5, 8)

            def forward(self, x, idx):
                y = F.normalize(self.fc(x), dim=-1).detach()
                h = x.new_zeros(3, 5)  # a constant, whatever x is
                z = lib.cat([y, y.flip(1)[:, :2]], 1).unsqueeze(1).expand(-1, 3, -1)  # (N, 3, 10)
                e = F.embedding(idx, self.fc.weight)  # (N, 2, 5) rows of the weight
                w = (z[:, :, :5] + h).var(dim=1) + e.std(dim=1, unbiased=False) - e.amax(1) * e.argmin(1)
                return F.gelu(w, approximate="tanh").float(), lib.stack(list(w.unbind(1)), -1).max(1).values
        return M()
    check_export(build, [("f", ("N", 5)), ("i", ("N", 2), 8)])


def test_indexing_comparisons_and_other_ops():
    def build(lib):
        class M(lib.nn.Module):
            def forward(self, x, idx):                               # x (N, 3, 4), idx (N, 2) in [0, 3)
                a = x[..., None, 1:3][:, [2, 0]]                     # (N, 2, 1, 2)
                b = x.index_select(1, lib.tensor([1, 1])).movedim(1, 2).narrow(1, 1, 2).flip(2)  # (N, 2, 2)
                c = lib.gather(x, 1, idx.unsqueeze(-1).expand(-1, -1, 4)).select(2, 0)  # (N, 2)
                m = (x > 0.5) | (x < -1.0)
                d = x.masked_fill(m, 0.25).cumsum(dim=2).tril().sum(1)  # (N, 4)
                e = lib.rsub(x, 1.5, alpha=2).clamp(-1, 1).mean(-1) // 0.3 + lib.einsum("nij,nkj->nik", x, x)[:, 0]
                f = lib.addmm(lib.ones(4), x[:, 0], lib.ones(4, 4) * 0.1).repeat(1, 2) + (idx == 1).float().sum()
                g = lib.where(x.argmax(1, keepdim=True) >= 2, x.amin(1, keepdim=True), x.abs().amax(1, keepdim=True))
                return a.reshape(-1, 4), b.flatten(1) - c.repeat(1, 2), d, e, f, g.squeeze(1) ** 2, -x.mT, x[0].T
        return M()
    check_export(build, [("f", ("N", 3, 4)), ("i", ("N", 2), 3)])


def test_full_transformer_model():
    def build(lib):
        return lib.nn.Transformer(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=1, dim_feedforward=16,
                                  batch_first=True)
    check_export(build, [("f", ("N", 5, 8)), ("f", ("N", 3, 8))])


def test_float64_model():
    def build(lib):
        nn = lib.nn
        return nn.Sequential(nn.Linear(6, 5), nn.Tanh(), nn.LayerNorm(5), nn.Linear(5, 2)).double()
    lm, tm = _twin(build)
    x = np.random.default_rng(0).standard_normal((4, 6))
    buf = io.BytesIO()
    lamina.onnx.export(lm, lamina.from_numpy(x), buf)
    got = ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"]).run(None, {"input": x})[0]
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, tm(torch.from_numpy(x)).detach().numpy(), atol=1e-10, rtol=0)


def test_python_control_flow_on_traced_values_warns():
    class M(lamina.nn.Module):
        def forward(self, x):
            return x * 2 if x.sum() > 0 else x
    with pytest.warns(UserWarning, match="Tensor.__bool__ turns a tensor computed from the inputs into a Python value"):
        lamina.onnx.export(M(), lamina.ones(2), io.BytesIO())


def test_user_subclass_overriding_forward_is_traced_through_its_own_code():
    def build(lib):
        class DoubledLinear(lib.nn.Linear):
            def forward(self, x):
                return super().forward(x) * 2
        return lib.nn.Sequential(DoubledLinear(3, 4), lib.nn.Tanh())
    # super().forward runs the built-in Linear's forward: only F.linear and * are seen
    check_export(build, [("f", ("N", 3))])


def test_shared_weights_are_stored_once():
    def build(lib):
        nn = lib.nn
        fc = nn.Linear(5, 5)
        return nn.Sequential(fc, nn.ReLU(), fc)
    proto = check_export(build, [("f", ("N", 5))])
    assert len(proto.graph.initializer) == 2


# ---- API: names, files, opsets, errors -------------------------------------------------------------------------
def test_names_dynamic_axes_and_a_file_path(tmp_path):
    path = tmp_path / "model.onnx"
    model = mlp(lamina).eval()
    returned = lamina.onnx.export(model, lamina.randn(2, 784), str(path), input_names=["pixels"],
                                  output_names=["logits"], dynamic_axes={"pixels": [0], "logits": {-2: "batch"}})
    proto = onnx.load(str(path))
    assert proto == returned
    assert [i.name for i in proto.graph.input] == ["pixels"] and [o.name for o in proto.graph.output] == ["logits"]
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "pixels_dynamic_axes_1"
    assert proto.graph.output[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    assert proto.producer_name == "lamina"


def test_keyword_arguments_in_the_example_tuple():
    class Scaled(lamina.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = lamina.nn.Linear(3, 2)

        def forward(self, x, scale=None):
            return self.fc(x) * scale
    model = Scaled()
    buf = io.BytesIO()
    lamina.onnx.export(model, (lamina.randn(2, 3), {"scale": lamina.randn(2, 1)}), buf, input_names=["x", "scale"])
    x, scale = (np.random.default_rng(i).standard_normal(s).astype(np.float32) for i, s in ((0, (2, 3)), (1, (2, 1))))
    got = ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"]).run(None, {"x": x, "scale": scale})
    want = model(lamina.from_numpy(x), scale=lamina.from_numpy(scale)).detach().numpy()
    np.testing.assert_allclose(got[0], want, atol=ATOL, rtol=0)


def test_without_dynamic_axes_the_shapes_are_the_examples():
    proto = check_export(mlp, [("f", ("N", 784))], dynamic=False)
    assert [d.dim_value for d in proto.graph.output[0].type.tensor_type.shape.dim] == [3, 10]


def test_output_that_is_an_input_or_returned_twice_gets_its_own_name():
    class M(lamina.nn.Module):
        def forward(self, x):
            y = lamina.relu(x)
            return x, y, y
    buf = io.BytesIO()
    lamina.onnx.export(M(), lamina.randn(2, 3), buf, output_names=["a", "b", "c"])
    proto = onnx.load_from_string(buf.getvalue())
    onnx.checker.check_model(proto, full_check=True)
    sess = ort.InferenceSession(buf.getvalue(), providers=["CPUExecutionProvider"])
    x = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    a, b, c = sess.run(None, {"input": x})
    np.testing.assert_array_equal(a, x)
    np.testing.assert_array_equal(b, np.maximum(x, 0))
    np.testing.assert_array_equal(c, np.maximum(x, 0))


def test_output_names_must_not_clash():
    with pytest.raises(ValueError, match=r"output name\(s\) \['weight'\] are already input or weight names"):
        lamina.onnx.export(lamina.nn.Linear(2, 2), lamina.randn(1, 2), io.BytesIO(), output_names=["weight"])
    with pytest.raises(ValueError, match="2 output names given for 1 outputs"):
        lamina.onnx.export(lamina.nn.Linear(2, 2), lamina.randn(1, 2), io.BytesIO(), output_names=["a", "b"])


@pytest.mark.parametrize("opset", [12, 22, "17"])
def test_opset_out_of_range_is_refused(opset):
    with pytest.raises(ValueError, match="opset_version must be an int from 13 to 21"):
        lamina.onnx.export(mlp(lamina), lamina.randn(1, 784), io.BytesIO(), opset_version=opset)


def test_unsupported_layer_names_the_layer_and_lists_the_supported_ones():
    model = lamina.nn.Sequential(lamina.nn.Linear(4, 4), lamina.nn.Upsample(scale_factor=2))
    with pytest.raises(UnsupportedOperatorError, match=r"does not support the layer Upsample \('1'\). Supported "
                                                       r"layers: .*Conv2d.*LSTM.*Linear"):
        lamina.onnx.export(model, lamina.randn(1, 2, 4), io.BytesIO())


def test_unsupported_function_names_the_function_and_lists_the_supported_ones():
    class M(lamina.nn.Module):
        def forward(self, x):
            return x.sort(dim=1).values

    with pytest.raises(UnsupportedOperatorError, match=r"does not support Tensor.sort in M. Supported functions: "
                                                       r".*matmul"):
        lamina.onnx.export(M(), lamina.randn(2, 3), io.BytesIO())


def test_an_op_the_tracer_cannot_see_is_named_by_its_autograd_node():
    from lamina.ops import pointwise

    class Hidden(lamina.nn.Module):
        def forward(self, x):
            return pointwise.exp(x) + 1  # the ops module's own function, not lamina.exp

    with pytest.raises(UnsupportedOperatorError, match=r"a tensor in Hidden was computed by an operation the "
                                                       r"exporter did not see \(autograd node ExpBackward0\)"):
        lamina.onnx.export(Hidden(), lamina.randn(2, 3), io.BytesIO())


def test_unsupported_options_say_why():
    with pytest.raises(UnsupportedOperatorError, match=r"MaxPool2d\(return_indices=True\)"):
        lamina.onnx.export(lamina.nn.MaxPool2d(2, return_indices=True), lamina.randn(1, 1, 4, 4), io.BytesIO())
    with pytest.raises(UnsupportedOperatorError, match="proj_size"):
        lamina.onnx.export(lamina.nn.LSTM(3, 4, proj_size=2), lamina.randn(2, 1, 3), io.BytesIO())
    with pytest.raises(UnsupportedOperatorError, match=r"Embedding\(max_norm=...\)"):
        lamina.onnx.export(lamina.nn.Embedding(5, 2, max_norm=1.0), lamina.tensor([[1, 2]]), io.BytesIO())


def test_failed_export_restores_everything_and_leaves_no_file(tmp_path):
    model = lamina.nn.Sequential(lamina.nn.Linear(4, 4), lamina.nn.Upsample(scale_factor=2))
    path = tmp_path / "m.onnx"
    add = lamina.Tensor.__add__
    with pytest.raises(UnsupportedOperatorError):
        lamina.onnx.export(model, lamina.randn(1, 2, 4), str(path))
    assert not path.exists() and model.training
    assert lamina.Tensor.__add__ is add and lamina.nn.Module.__call__.__name__ == "__call__"
    assert (lamina.ones(2) + 1).tolist() == [2.0, 2.0]


def test_bad_example_input():
    with pytest.raises(TypeError, match="example_input must be a Tensor or a tuple of Tensors, got ndarray"):
        lamina.onnx.export(mlp(lamina), np.zeros((1, 784), np.float32), io.BytesIO())


def test_onnx_is_imported_only_by_export_and_its_absence_says_how_to_get_it():
    code = ("import sys, lamina, lamina.onnx\n"
            "print('onnx' in sys.modules, 'onnxruntime' in sys.modules)\n"
            "sys.modules['onnx'] = None  # as if it were not installed\n"
            "try:\n"
            "    lamina.onnx.export(lamina.nn.Linear(2, 2), lamina.randn(1, 2), 'never.onnx')\n"
            "except ImportError as e:\n"
            "    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    first, message = out.split("\n", 1)
    assert first.split() == ["False", "False"]
    assert "lamina.onnx.export needs the onnx package: pip install 'lamina[onnx]'" in message
