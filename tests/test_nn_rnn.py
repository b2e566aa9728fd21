"""Recurrent layers and sequence packing against PyTorch: RNN (tanh/relu), LSTM (with projection),
GRU, the cells, and nn.utils.rnn. Same weights (copied by state_dict key) must give the same
output, h_n, c_n, input gradients and parameter gradients, over the option product. Every test
runs with the compiled step kernels (lamina/_accel) and with the NumPy paths (`kernel_path`)."""
import warnings

import numpy as np
import pytest
import torch

import lamina
import lamina.nn as lnn
from oracle import check, check_module, copy_weights

pytestmark = pytest.mark.usefixtures("kernel_path")

MODES = ["RNN_TANH", "RNN_RELU", "LSTM", "GRU"]
I, H, T, B = 3, 4, 3, 2


def _make(lib, mode, *args, **kwargs):
    if mode.startswith("RNN_"):
        kwargs["nonlinearity"] = mode[4:].lower()
        return lib.nn.RNN(*args, **kwargs)
    return getattr(lib.nn, mode)(*args, **kwargs)


def _pair(mode, *args, **kwargs):
    return _make(torch, mode, *args, **kwargs), _make(lamina, mode, *args, **kwargs)


def _lib(module):
    return torch if isinstance(module, torch.nn.Module) else lamina


def _state_specs(mode, layers, directions, batch, hidden=H, proj=0, unbatched=False):
    out = proj or hidden
    lead = (layers * directions,)
    mid = () if unbatched else (batch,)
    specs = [lead + mid + (out,)]
    if mode == "LSTM":
        specs.append(lead + mid + (hidden,))
    return specs


def _call_with_state(mode):
    if mode == "LSTM":
        return lambda m, x, h, c: m(x, (h, c))
    return lambda m, x, h: m(x, h)


# ---- the option product -----------------------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("state", [False, True])
@pytest.mark.parametrize("unbatched", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_layer_matches_torch(mode, layers, bidirectional, batch_first, bias, state, unbatched, dtype):
    t, l = _pair(mode, I, H, layers, bias=bias, batch_first=batch_first, bidirectional=bidirectional)
    if unbatched:
        specs = [(T, I)]
    else:
        specs = [(B, T, I) if batch_first else (T, B, I)]
    call = None
    if state:
        specs += _state_specs(mode, layers, 2 if bidirectional else 1, B, unbatched=unbatched)
        call = _call_with_state(mode)
    check_module(t, l, specs, dtype=dtype, call=call)


@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("state", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_lstm_proj_size(layers, bidirectional, state, dtype):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch: "LSTM with projections is not supported with oneDNN"
        t, l = _pair("LSTM", I, 6, layers, bidirectional=bidirectional, proj_size=2)
        assert [n for n, _ in l.named_parameters()] == [n for n, _ in t.named_parameters()]
        specs = [(T, B, I)]
        call = None
        if state:
            specs += _state_specs("LSTM", layers, 2 if bidirectional else 1, B, hidden=6, proj=2)
            call = _call_with_state("LSTM")
        check_module(t, l, specs, dtype=dtype, call=call)


@pytest.mark.parametrize("mode,which", [(m, w) for m in MODES for w in ("output", "h_n", "last_step", "both")]
                         + [("LSTM", "c_n"), ("LSTM", "h_n and c_n")])
@pytest.mark.parametrize("layers,bidirectional", [(1, False), (2, True)])
def test_gradient_from_each_result(mode, which, layers, bidirectional):
    """Gradients flow into the fused node from output only, from h_n only, from c_n only."""
    t, l = _pair(mode, I, H, layers, bidirectional=bidirectional)

    def call(m, x):
        out, state = m(x)
        h = state[0] if mode == "LSTM" else state
        return {"output": out, "h_n": h, "c_n": state[1] if mode == "LSTM" else None,
                "last_step": out[-1], "both": (out, h), "h_n and c_n": state}[which]
    check_module(t, l, [(4, B, I)], call=call)


# ---- long sequences: backward walks the steps in several runs ------------------------------------

@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_long_sequence_gradients_match_torch(mode, bidirectional):
    """T·B = 320 step columns: more than one backward run (runs hold up to 256 columns), so the
    per-run factors and the state carried from run to run are compared with torch."""
    t, l = _pair(mode, I, H, 1, bidirectional=bidirectional)
    check_module(t, l, [(40, 8, I)], train=True)


def test_long_sequence_lstm_projection_gradients_match_torch():
    t, l = _pair("LSTM", I, 6, 1, proj_size=2, bidirectional=True)
    check_module(t, l, [(40, 8, I)], train=True)


# ---- dropout between layers ---------------------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
def test_dropout_eval_and_zero_p_match_torch(mode):
    t, l = _pair(mode, I, H, 2, dropout=0.5)
    check_module(t, l, [(T, B, I)], train=False)
    t, l = _pair(mode, I, H, 2, dropout=0.0)
    check_module(t, l, [(T, B, I)], train=True)


@pytest.mark.parametrize("mode", MODES)
def test_dropout_one_zeroes_only_between_layers(mode):
    """p = 1 drops everything deterministically: layer 2 sees zeros, layer 1's h_n is untouched
    (no dropout after the last layer, none on h_n)."""
    t, l = _pair(mode, I, H, 2, dropout=1.0)
    check_module(t, l, [(T, B, I)], train=True)


def test_dropout_training_changes_output_and_keeps_shape():
    l = lnn.LSTM(I, 8, 2, dropout=0.5)
    x = lamina.randn(T, 16, I)
    l.eval()
    ref, _ = l(x)
    l.train()
    out, (h, c) = l(x)
    assert out.shape == ref.shape and h.shape == (2, 16, 8)
    assert not np.allclose(out.detach().numpy(), ref.detach().numpy())
    # layer 1 has no dropout before it: its h_n equals eval mode's
    _, (h_eval, _) = l.eval()(x)
    np.testing.assert_allclose(h.detach().numpy()[0], h_eval.detach().numpy()[0], rtol=1e-6)


def test_dropout_warning_and_range():
    with pytest.warns(UserWarning, match=r"dropout option adds dropout after all but last recurrent layer, so "
                                         r"non-zero dropout expects num_layers greater than 1, but got "
                                         r"dropout=0.5 and num_layers=1"):
        lnn.GRU(3, 4, dropout=0.5)
    with pytest.raises(ValueError, match=r"dropout should be a number in range \[0, 1\]"):
        lnn.LSTM(3, 4, 2, dropout=1.5)


# ---- packed sequences through the layers ------------------------------------------------------------

LENGTHS = np.array([2, 5, 3, 5, 1])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("state", [False, True])
def test_packed_unsorted_matches_torch(mode, layers, bidirectional, state):
    t, l = _pair(mode, I, H, layers, bidirectional=bidirectional)

    def call(m, x, *hx):
        lib = _lib(m)
        packed = lib.nn.utils.rnn.pack_padded_sequence(x, lib.tensor(LENGTHS), enforce_sorted=False)
        args = () if not hx else ((hx[0], hx[1]) if mode == "LSTM" else hx[0],)
        out, hn = m(packed, *args)
        assert isinstance(out, lib.nn.utils.rnn.PackedSequence)
        padded, lengths = lib.nn.utils.rnn.pad_packed_sequence(out)
        return out.data, out.batch_sizes, out.sorted_indices, out.unsorted_indices, padded, lengths, hn
    specs = [(5, 5, I)]
    if state:
        specs += _state_specs(mode, layers, 2 if bidirectional else 1, 5)
    check_module(t, l, specs, call=call)


@pytest.mark.parametrize("mode", ["LSTM", "GRU"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_packed_sorted_batch_first(mode, dtype):
    t, l = _pair(mode, I, H, batch_first=True, bidirectional=True)

    def call(m, x):
        lib = _lib(m)
        packed = lib.nn.utils.rnn.pack_padded_sequence(x, [4, 4, 2], batch_first=True)
        out, hn = m(packed)
        return lib.nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=6), hn
    check_module(t, l, [(3, 4, I)], dtype=dtype, call=call)


def test_packed_hidden_is_permuted_like_torch():
    """h0 is given in the caller's batch order; h_n comes back in it too."""
    t, l = _pair("GRU", I, H)
    lens = [1, 3, 2]

    def call(m, x, h):
        lib = _lib(m)
        out, hn = m(lib.nn.utils.rnn.pack_padded_sequence(x, lens, enforce_sorted=False), h)
        return hn
    check_module(t, l, [(3, 3, I), (1, 3, H)], call=call)


# ---- cells ----------------------------------------------------------------------------------------

CELLS = [("RNNCell", "tanh"), ("RNNCell", "relu"), ("LSTMCell", None), ("GRUCell", None)]


@pytest.mark.parametrize("cell,nonlinearity", CELLS)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("state", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cell_matches_torch(cell, nonlinearity, bias, batched, state, dtype):
    kw = {"nonlinearity": nonlinearity} if nonlinearity else {}
    t = getattr(torch.nn, cell)(I, H, bias=bias, **kw)
    l = getattr(lnn, cell)(I, H, bias=bias, **kw)
    lead = (B,) if batched else ()
    specs = [lead + (I,)]
    call = None
    if state:
        specs.append(lead + (H,))
        if cell == "LSTMCell":
            specs.append(lead + (H,))
            call = lambda m, x, h, c: m(x, (h, c))  # noqa: E731
    check_module(t, l, specs, dtype=dtype, call=call)


def test_cell_loop_matches_torch():
    """A cell unrolled by hand over a sequence, gradients through every step."""
    t, l = torch.nn.LSTMCell(I, H), lnn.LSTMCell(I, H)

    def call(m, x):
        hc = None
        outs = []
        for step in range(x.shape[0]):
            hc = m(x[step], hc)
            outs.append(hc[0])
        return _lib(m).stack(outs), hc[1]
    check_module(t, l, [(4, B, I)], call=call)


# ---- parameters, state dicts, init, repr ----------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kw", [{}, {"num_layers": 2, "bidirectional": True}, {"bias": False}])
def test_parameter_names_shapes_and_state_dict_both_ways(mode, kw):
    t, l = _pair(mode, 5, 7, **kw)
    t_params = [(n, tuple(p.shape)) for n, p in t.named_parameters()]
    assert [(n, tuple(p.shape)) for n, p in l.named_parameters()] == t_params
    assert list(l.state_dict().keys()) == list(t.state_dict().keys())
    assert [[tuple(p.shape) for p in w] for w in l.all_weights] == [[tuple(p.shape) for p in w] for w in t.all_weights]
    # torch → lamina
    copy_weights(t, l)
    for (n, p), (_, q) in zip(t.state_dict().items(), l.state_dict().items()):
        np.testing.assert_array_equal(q.numpy(), p.numpy(), err_msg=n)
    # lamina → torch: a fresh lamina model's weights make torch compute what lamina computes
    l2 = _make(lamina, mode, 5, 7, **kw)
    t.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in l2.state_dict().items()})
    x = np.random.default_rng(1).standard_normal((3, 2, 5)).astype(np.float32)
    t_out = t(torch.from_numpy(x))[0]
    l_out = l2(lamina.from_numpy(x))[0]
    np.testing.assert_allclose(l_out.detach().numpy(), t_out.detach().numpy(), atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("mode", MODES)
def test_init_uniform_bound(mode):
    l = _make(lamina, mode, 16, 64, 2)
    bound = 1 / np.sqrt(64)
    values = np.concatenate([p.detach().numpy().ravel() for p in l.parameters()])
    assert values.min() >= -bound and values.max() <= bound
    assert abs(values.mean()) < 0.05 * bound
    assert abs(values.std() - bound / np.sqrt(3)) < 0.02 * bound  # U(-b, b) has std b/√3
    for p in l.parameters():
        assert p.dtype == lamina.float32 and p.requires_grad


def test_flatten_parameters_is_a_noop_and_dtype_kwarg():
    l = lnn.LSTM(3, 4, dtype=lamina.float64)
    before = [p.detach().numpy().copy() for p in l.parameters()]
    assert l.flatten_parameters() is None
    assert all(np.array_equal(a, p.detach().numpy()) for a, p in zip(before, l.parameters()))
    assert all(p.dtype == lamina.float64 for p in l.parameters())
    assert l._flat_weights_names == torch.nn.LSTM(3, 4)._flat_weights_names


@pytest.mark.parametrize("cls,args,kwargs", [
    (cls, (40, 128), {"batch_first": True}) for cls in ("RNN", "LSTM", "GRU")] + [
    (cls, (3, 4, 2), {"bias": False, "dropout": 0.5, "bidirectional": True}) for cls in ("RNN", "LSTM", "GRU")] + [
    (cls, (3, 4, 3), {}) for cls in ("RNN", "LSTM", "GRU")] + [
    ("LSTM", (4, 5), {"proj_size": 2}), ("RNN", (3, 4), {"nonlinearity": "relu"}),
    ("RNN", (3, 4, 1, "relu"), {}),
])
def test_repr_like_torch(cls, args, kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert repr(getattr(lnn, cls)(*args, **kwargs)) == repr(getattr(torch.nn, cls)(*args, **kwargs))


def test_cell_repr_like_torch():
    for make in (lambda nn: nn.RNNCell(3, 4, nonlinearity="relu"), lambda nn: nn.RNNCell(3, 4),
                 lambda nn: nn.LSTMCell(3, 4, bias=False), lambda nn: nn.GRUCell(3, 4)):
        assert repr(make(lnn)) == repr(make(torch.nn))


def test_double_converts_and_matches():
    t, l = _pair("LSTM", I, H)
    copy_weights(t, l)
    t, l = t.double(), l.double()
    x = np.random.default_rng(0).standard_normal((T, B, I))
    out_t = t(torch.from_numpy(x))[0].detach().numpy()
    out_l = l(lamina.from_numpy(x))[0]
    assert out_l.dtype == lamina.float64
    np.testing.assert_allclose(out_l.detach().numpy(), out_t, atol=1e-12)


# ---- numerics and edge cases ------------------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_saturated_gates_stay_finite(mode, dtype):
    t, l = _pair(mode, I, H)
    x = (np.random.default_rng(0).standard_normal((T, B, I)) * 1000).astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning from exp
        check_module(t, l, [x], dtype=dtype)


@pytest.mark.parametrize("mode", MODES)
def test_empty_batch_like_torch(mode):
    t, l = _pair(mode, I, H, 2, bidirectional=True)
    check_module(t, l, [(3, 0, I)])


def test_no_grad_builds_no_graph_and_grad_fn_otherwise():
    l = lnn.LSTM(I, H)
    x = lamina.randn(T, B, I)
    with lamina.no_grad():
        out, (h, c) = l(x)
    assert out.grad_fn is None and not h.requires_grad
    out, (h, c) = l(x)
    assert out.requires_grad and h.grad_fn is not None and c.grad_fn is not None


def test_long_sequence_and_uneven_lengths():
    t, l = _pair("LSTM", I, H, bidirectional=True)
    check_module(t, l, [(120, 1, I)], atol=1e-4)
    lens = [120, 7, 60]

    def call(m, x):
        lib = _lib(m)
        out, (h, c) = m(lib.nn.utils.rnn.pack_padded_sequence(x, lens, enforce_sorted=False))
        return out.data, h, c
    check_module(t, l, [(120, 3, I)], call=call, atol=1e-4)


def test_inplace_change_of_output_is_an_error_in_backward():
    l = lnn.GRU(I, H)
    out, h = l(lamina.randn(T, B, I))
    loss = (out * 2).sum() + h.sum()
    out.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


# ---- errors as torch ------------------------------------------------------------------------------

def _same_error(fn, exc=None):
    """fn(lib) raises in torch; lamina must raise the same type with the same message."""
    with pytest.raises(Exception) as t_err:
        fn(torch)
    with pytest.raises(type(t_err.value) if exc is None else exc) as l_err:
        fn(lamina)
    assert str(l_err.value) == str(t_err.value)


@pytest.mark.parametrize("case", [
    lambda lib: lib.nn.LSTM(40, 20)(lib.randn(5, 3, 10)),
    lambda lib: lib.nn.RNN(40, 20)(lib.randn(5, 3, 40), lib.randn(1, 4, 20)),
    lambda lib: lib.nn.GRU(40, 20)(lib.randn(5, 3, 40), lib.randn(1, 4, 20)),
    lambda lib: lib.nn.LSTM(40, 20)(lib.randn(5, 3, 40), (lib.randn(1, 4, 20), lib.randn(1, 3, 20))),
    lambda lib: lib.nn.LSTM(40, 20)(lib.randn(5, 3, 40), (lib.randn(1, 3, 20), lib.randn(1, 3, 21))),
    lambda lib: lib.nn.LSTM(40, 20)(lib.randn(5, 3, 40), (lib.randn(3, 20), lib.randn(1, 3, 20))),
    lambda lib: lib.nn.LSTM(40, 20)(lib.randn(5, 40), (lib.randn(1, 3, 20), lib.randn(1, 3, 20))),
    lambda lib: lib.nn.RNN(40, 20)(lib.randn(5, 3, 40), lib.randn(3, 20)),
    lambda lib: lib.nn.GRU(40, 20)(lib.randn(5, 40), lib.randn(1, 3, 20)),
    lambda lib: lib.nn.LSTM(40, 20)(lib.randn(40)),
    lambda lib: lib.nn.RNN(40, 20)(lib.randn(40)),
    lambda lib: lib.nn.GRU(40, 20)(lib.randn(2, 2, 2, 40)),
    lambda lib: lib.nn.LSTM(40, 20)(lib.randn(2, 2, 2, 40)),
    lambda lib: lib.nn.LSTM(40, 20)(lib.randn(5, 3, 40, dtype=lib.float64)),
    lambda lib: lib.nn.RNN(40, 20)(lib.randn(0, 3, 40)),
    lambda lib: lib.nn.RNN(4, 5, nonlinearity="gelu"),
    lambda lib: lib.nn.GRU(4, 5, proj_size=2),
    lambda lib: lib.nn.LSTM(4, 5, proj_size=5),
    lambda lib: lib.nn.LSTM(0, 5),
    lambda lib: lib.nn.LSTM(4, 0),
    lambda lib: lib.nn.LSTM(4, 5, 0),
    lambda lib: lib.nn.LSTM(4, 5, bias=1),
    lambda lib: lib.nn.LSTMCell(40, 20)(lib.randn(3, 10)),
    lambda lib: lib.nn.LSTMCell(40, 20)(lib.randn(3, 40), (lib.randn(4, 20), lib.randn(3, 20))),
    lambda lib: lib.nn.LSTMCell(40, 20)(lib.randn(3, 40), (lib.randn(3, 20), lib.randn(2, 20))),
    lambda lib: lib.nn.LSTMCell(40, 20)(lib.randn(3, 40), (lib.randn(3, 20), lib.randn(3, 21))),
    lambda lib: lib.nn.RNNCell(40, 20)(lib.randn(3, 40), lib.randn(3, 21)),
    lambda lib: lib.nn.GRUCell(40, 20)(lib.randn(3, 40), lib.randn(4, 20)),
    lambda lib: lib.nn.GRUCell(40, 20)(lib.randn(3, 2, 40)),
    lambda lib: lib.nn.LSTMCell(40, 20)(lib.randn(3, 40), (lib.randn(3, 2, 20), lib.randn(3, 20))),
    lambda lib: lib.nn.RNNCell(40, 20)(lib.randn(3, 40), lib.randn(3, 2, 20)),
    lambda lib: lib.nn.RNNCell(40, 20)(lib.randn(3, 40, dtype=lib.float64)),
])
def test_errors_like_torch(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _same_error(case)


def test_error_messages_quoted_in_the_brief():
    with pytest.raises(RuntimeError, match=r"^input.size\(-1\) must be equal to input_size. Expected 40, got 10$"):
        lnn.LSTM(40, 20)(lamina.randn(5, 3, 10))
    with pytest.raises(RuntimeError, match=r"^Expected hidden size \(1, 3, 20\), got \[1, 4, 20\]$"):
        lnn.GRU(40, 20)(lamina.randn(5, 3, 40), lamina.randn(1, 4, 20))


# ---- nn.utils.rnn -----------------------------------------------------------------------------

U = lambda lib: lib.nn.utils.rnn  # noqa: E731


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
@pytest.mark.parametrize("padding_value", [0.0, -1.5])
@pytest.mark.parametrize("trailing", [(), (3,)])
def test_pad_sequence(batch_first, padding_side, padding_value, trailing):
    specs = [(n,) + trailing for n in (2, 4, 1)]
    check(lambda lib, *seqs: U(lib).pad_sequence(list(seqs), batch_first=batch_first, padding_value=padding_value,
                                                  padding_side=padding_side), specs)


def test_pad_sequence_int_and_errors():
    seqs = [np.array([1, 2]), np.array([3, 4, 5])]
    check(lambda lib, a, b: U(lib).pad_sequence([a, b], padding_value=-1.5), seqs, grad=False)
    _same_error(lambda lib: U(lib).pad_sequence([]))
    _same_error(lambda lib: U(lib).pad_sequence([lib.ones(2, 3), lib.ones(3, 4)]))
    _same_error(lambda lib: U(lib).pad_sequence([lib.ones(2)], padding_side="up"))


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("enforce_sorted,lengths", [(True, [5, 3, 3, 1]), (False, [2, 5, 1, 3]),
                                                    (False, [3, 3, 1, 3])])
@pytest.mark.parametrize("total_length", [None, 7])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_pack_pad_round_trip(batch_first, enforce_sorted, lengths, total_length, dtype):
    shape = (4, 5, 2) if batch_first else (5, 4, 2)

    def fn(lib, x):
        p = U(lib).pack_padded_sequence(x, lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)
        padded, lens = U(lib).pad_packed_sequence(p, batch_first=batch_first, padding_value=0.5,
                                                 total_length=total_length)
        return p.data, p.batch_sizes, p.sorted_indices, p.unsorted_indices, padded, lens
    check(fn, [shape], dtype=dtype)


def test_pack_sequence_unpack_and_unpad():
    specs = [(3, 2), (5, 2), (1, 2)]
    check(lambda lib, *s: tuple(U(lib).pack_sequence(list(s), enforce_sorted=False)), specs)
    check(lambda lib, *s: U(lib).unpack_sequence(U(lib).pack_sequence(list(s), enforce_sorted=False)), specs)
    check(lambda lib, *s: U(lib).unpad_sequence(U(lib).pad_sequence(list(s)), lib.tensor([3, 5, 1])), specs)
    check(lambda lib, *s: tuple(U(lib).pack_sequence(list(s)[::-1][1:] + [s[2]])), specs)


def test_packed_sequence_repr_fields_and_to():
    p = U(lamina).pack_sequence([lamina.tensor([1, 2, 3]), lamina.tensor([4, 5]), lamina.tensor([6])])
    q = U(torch).pack_sequence([torch.tensor([1, 2, 3]), torch.tensor([4, 5]), torch.tensor([6])])
    assert p._fields == q._fields
    assert p.data.tolist() == q.data.tolist() == [1, 4, 6, 2, 5, 3]
    assert p.batch_sizes.tolist() == q.batch_sizes.tolist() == [3, 2, 1]
    assert p.sorted_indices is None and p.unsorted_indices is None
    assert repr(p).startswith("PackedSequence(data=")
    d = p.double()
    assert d.data.dtype == lamina.float64 and d.batch_sizes is p.batch_sizes
    assert p.to(lamina.int64) is p
    assert U(lamina).invert_permutation(lamina.tensor([2, 0, 1])).tolist() == [1, 2, 0]


@pytest.mark.parametrize("case", [
    lambda lib: U(lib).pack_padded_sequence(lib.randn(5, 3, 2), [3, 5, 2]),
    lambda lib: U(lib).pack_padded_sequence(lib.randn(5, 3, 2), [3, 0, 2], enforce_sorted=False),
    lambda lib: U(lib).pack_padded_sequence(lib.randn(5, 3, 2), [3, 2]),
    lambda lib: U(lib).pack_padded_sequence(lib.randn(5, 3, 2), lib.tensor([[3, 2, 1]])),
    lambda lib: U(lib).pad_packed_sequence(U(lib).pack_sequence([lib.ones(3), lib.ones(2)]), total_length=2),
])
def test_packing_errors_like_torch(case):
    _same_error(case)


def test_packed_input_must_be_2d_rows():
    l = lnn.LSTM(I, H)
    p = U(lamina).pack_sequence([lamina.randn(3, I), lamina.randn(2, I)])
    bad = U(lamina).PackedSequence(p.data[:, None], p.batch_sizes)
    with pytest.raises(RuntimeError, match="input must have 2 dimensions, got 3"):
        l(bad)


def test_results_kept_across_calls_are_not_overwritten():
    """Work arrays are reused (by malloc between calls, in place within a call); results still
    referenced must never be."""
    l = lnn.LSTM(I, H, 2, bidirectional=True)
    x1, x2 = lamina.randn(T, B, I), lamina.randn(T, B, I)
    with lamina.no_grad():
        out1, (h1, c1) = l(x1)
        kept = [out1.numpy().copy(), h1.numpy().copy(), c1.numpy().copy()]
        for _ in range(3):
            l(x2)
    for a, b in zip(kept, (out1, h1, c1)):
        np.testing.assert_array_equal(a, b.numpy())
    # and a graph kept alive keeps its saved buffers: backward after other calls is still right
    t = torch.nn.GRU(I, H)
    g = lnn.GRU(I, H)
    copy_weights(t, g)
    xs = np.random.default_rng(3).standard_normal((T, B, I)).astype(np.float32)
    out, _ = g(lamina.from_numpy(xs))
    for _ in range(3):
        g(lamina.randn(T, B, I))[0].sum().backward()
    g.zero_grad()
    out.sum().backward()
    t(torch.from_numpy(xs))[0].sum().backward()
    np.testing.assert_allclose(g.weight_hh_l0.grad.numpy(), t.weight_hh_l0.grad.numpy(), atol=1e-5)


def test_threads_do_not_share_work_buffers():
    import threading
    l = lnn.LSTM(I, H)
    xs = [lamina.randn(T, B, I) for _ in range(4)]
    with lamina.no_grad():
        expected = [l(x)[0].numpy().copy() for x in xs]
    results = [None] * 4

    def work(k):
        with lamina.no_grad():
            for _ in range(20):
                results[k] = l(xs[k])[0].numpy().copy()
    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for r, e in zip(results, expected):
        np.testing.assert_array_equal(r, e)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("steps", [1, 2, 12])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_short_and_long_inputs(mode, steps, dtype):
    """Short inputs run two GEMMs per step, longer ones one GEMM on [x; 1; h] with the weights
    and biases merged once (lamina/ops/rnn.py): both paths must match torch."""
    t, l = _pair(mode, 5, 6, 2, bidirectional=True)
    check_module(t, l, [(steps, 3, 5), (4, 3, 6)] + ([(4, 3, 6)] if mode == "LSTM" else []),
                 dtype=dtype, call=_call_with_state(mode))


# ---- the merged one-GEMM-per-step path (more rows than I + 1 + H) --------------------------------

TL = 12  # steps: T·B rows exceed the merged weight's columns, so every layer takes that path


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("layers,bidirectional", [(1, False), (2, True)])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("state", [False, True])
def test_merged_step_gemm_matches_torch(mode, layers, bidirectional, batch_first, bias, state):
    """Without a state the first step skips the hidden half of its GEMM (h0 = 0)."""
    t, l = _pair(mode, I, H, layers, bias=bias, batch_first=batch_first, bidirectional=bidirectional)
    specs = [(B + 1, TL, I) if batch_first else (TL, B + 1, I)]
    call = None
    if state:
        specs += _state_specs(mode, layers, 2 if bidirectional else 1, B + 1)
        call = _call_with_state(mode)
    check_module(t, l, specs, call=call)


@pytest.mark.parametrize("mode,which", [(m, w) for m in MODES for w in ("output", "h_n", "last_step")]
                         + [("LSTM", "c_n")])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.filterwarnings("ignore:LSTM with projections is not supported with oneDNN")
def test_merged_gradient_from_each_result(mode, which, dtype):
    kw = {"proj_size": 2} if which == "c_n" else {}  # c_n's gradient through a projected h
    t, l = _pair(mode, I, H, 2, bidirectional=True, **kw)

    def call(m, x):
        out, state = m(x)
        h = state[0] if mode == "LSTM" else state
        return {"output": out, "h_n": h, "c_n": state[1] if mode == "LSTM" else None, "last_step": out[-1]}[which]
    check_module(t, l, [(TL, B, I)], dtype=dtype, call=call)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("steps", [2, TL])
@pytest.mark.parametrize("packed", [False, True])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_no_grad_matches_torch(mode, steps, packed, bidirectional):
    """Inference saves nothing for backward and reuses one cell slot: same results as torch."""
    t, l = _pair(mode, I, H, 2, bidirectional=bidirectional)
    copy_weights(t, l)
    x = np.random.default_rng(1).standard_normal((steps, 4, I)).astype(np.float32)
    lens = [steps, steps - 1, 2, steps]  # the sequence that starts late (reverse) reads h0
    results = []
    for lib, m in ((torch, t), (lamina, l)):
        with lib.no_grad():
            inp = lib.from_numpy(x.copy())
            if packed:
                inp = lib.nn.utils.rnn.pack_padded_sequence(inp, lens, enforce_sorted=False)
            out, hn = m(inp)
            out = lib.nn.utils.rnn.pad_packed_sequence(out)[0] if packed else out
            hn = hn if mode != "LSTM" else lib.cat(hn)
        assert not out.requires_grad
        results.append([out.numpy(), hn.numpy()])
    for expected, got in zip(*results):
        np.testing.assert_allclose(got, expected, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_long_saturated_cell_state_matches_torch(sign):
    """i = f = 1 and g = ±1 make c grow by one per step, past where exp(±2c) overflows float32:
    h and c must stay finite and equal torch's, without overflow warnings."""
    t, l = _pair("LSTM", 1, H)
    with torch.no_grad():
        t.weight_ih_l0.zero_()
        t.weight_hh_l0.zero_()
        t.bias_hh_l0.zero_()
        t.bias_ih_l0.copy_(torch.tensor([30.0] * H + [30.0] * H + [30.0 * sign] * H + [0.0] * H))
    x = np.zeros((150, B, 1), np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_module(t, l, [x], call=lambda m, x: m(x)[1])


def test_state_without_grad_and_half_the_state_with():
    """The step before the first only runs when the initial state needs its gradient."""
    t, l = _pair("LSTM", I, H)
    copy_weights(t, l)
    rng = np.random.default_rng(2)
    x, h0, c0 = (rng.standard_normal(s).astype(np.float32) for s in ((TL, B, I), (1, B, H), (1, B, H)))
    grads = []
    for lib, m in ((torch, t), (lamina, l)):
        h, c = lib.from_numpy(h0.copy()), lib.from_numpy(c0.copy())
        out, _ = m(lib.from_numpy(x.copy()), (h, c))
        out.sum().backward()
        h.requires_grad_(True)
        out, _ = m(lib.from_numpy(x.copy()), (h, c))
        out.sum().backward()
        grads.append([m.weight_hh_l0.grad.numpy(), m.bias_ih_l0.grad.numpy(), h.grad.numpy()])
        assert c.grad is None
    for expected, got in zip(*grads):
        np.testing.assert_allclose(got, expected, atol=1e-4, rtol=1e-3)
