"""Recurrent layers: RNN, LSTM, GRU (multi-layer, bidirectional, packed sequences) and their
single-step cells RNNCell, LSTMCell, GRUCell.

Each layer and direction is one fused graph node (lamina/ops/rnn.py): one GEMM for the input
projection of the whole sequence, one GEMM per step for the hidden part, backward through time
by hand. Parameter names, shapes, gate order and initialisation are PyTorch's, so state_dicts
move between the two unchanged."""
import math
import numbers
import warnings

from ...ops import rnn as _rnn
from ...ops.arithmetic import type_name
from ...ops.creation import empty
from ...ops.indexing import index_select
from ...ops.shape import cat, reshape, squeeze, stack, transpose, unsqueeze
from .. import init
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]



class RNNBase(Module):
    """What RNN, LSTM and GRU share: the parameters of every layer and direction, their checks,
    and the loop over layers and directions."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool)
                or not 0 <= dropout <= 1):
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                             "element being zeroed")
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and "
                          f"num_layers={num_layers}", stacklevel=2)
        if not isinstance(bias, bool):
            raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
        if not isinstance(batch_first, bool):
            raise TypeError(f"batch_first should be of type bool, got: {type(batch_first).__name__}")
        if not isinstance(input_size, int):
            raise TypeError(f"input_size should be of type int, got: {type(input_size).__name__}")
        if input_size <= 0:
            raise ValueError("input_size must be greater than zero")
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _rnn.GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        gate_size = _rnn.GATES[mode] * hidden_size
        num_directions = 2 if bidirectional else 1
        real_hidden = proj_size if proj_size > 0 else hidden_size
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            for direction in range(num_directions):
                layer_input = input_size if layer == 0 else real_hidden * num_directions
                suffix = "_reverse" if direction == 1 else ""
                shapes = [("weight_ih", (gate_size, layer_input)), ("weight_hh", (gate_size, real_hidden))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size > 0:
                    shapes += [("weight_hr", (proj_size, hidden_size))]
                names = []
                for base, shape in shapes:
                    name = f"{base}_l{layer}{suffix}"
                    setattr(self, name, Parameter(empty(shape, dtype=dtype)))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    @property
    def _flat_weights(self):
        return [getattr(self, n) if hasattr(self, n) else None for n in self._flat_weights_names]

    @property
    def all_weights(self):
        """The parameters as a list per layer and direction: [[w_ih, w_hh, b_ih, b_hh(, w_hr)], ...]."""
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def flatten_parameters(self):
        """A no-op: there is no cuDNN weight buffer to compact on the CPU."""

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    # ---- checks, with PyTorch's messages ------------------------------------------------------
    def check_input(self, input, batch_sizes):
        w = getattr(self, self._flat_weights_names[0])
        if input.dtype != w.dtype:
            raise ValueError(f"RNN input dtype ({_tname(input)}) does not match weight dtype ({_tname(w)}). "
                             f"Convert input: input.to({_tname(w)}), or convert model: model.to({_tname(input)})")
        expected = 2 if batch_sizes is not None else 3
        if input.dim() != expected:
            raise RuntimeError(f"input must have {expected} dimensions, got {input.dim()}")
        if self.input_size != input.size(-1):
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                               f"got {input.size(-1)}")

    def get_expected_hidden_size(self, input, batch_sizes):
        if batch_sizes is not None:
            mini_batch = int(batch_sizes[0])
        else:
            mini_batch = input.size(0) if self.batch_first else input.size(1)
        num_directions = 2 if self.bidirectional else 1
        size = self.proj_size if self.proj_size > 0 else self.hidden_size
        return (self.num_layers * num_directions, mini_batch, size)

    def check_hidden_size(self, hx, expected_hidden_size, msg="Expected hidden size {}, got {}"):
        if tuple(hx.shape) != expected_hidden_size:
            raise RuntimeError(msg.format(expected_hidden_size, list(hx.shape)))

    def check_forward_args(self, input, hidden, batch_sizes):
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden, self.get_expected_hidden_size(input, batch_sizes))

    def permute_hidden(self, hx, permutation):
        if permutation is None:
            return hx
        return index_select(hx, 1, permutation)

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if self.proj_size != 0:
            s += ", proj_size={proj_size}"
        if self.num_layers != 1:
            s += ", num_layers={num_layers}"
        if self.bias is not True:
            s += ", bias={bias}"
        if self.batch_first is not False:
            s += ", batch_first={batch_first}"
        if self.dropout != 0:
            s += ", dropout={dropout}"
        if self.bidirectional is not False:
            s += ", bidirectional={bidirectional}"
        return s.format(**self.__dict__)

    # ---- the computation ---------------------------------------------------------------------
    def _run(self, x, hx, cx, batch_sizes):
        """All layers and directions. x: (T, B, I) / (B, T, I) with batch_first, or packed rows
        (N, I) with batch_sizes (a tuple). hx, cx: (L·D, B, ·) or None. Returns (output, h_n, c_n)
        with output (T, B, D·H_out) / (B, T, D·H_out), or (N, D·H_out) when packed."""
        packed = batch_sizes is not None
        if packed:
            T, B = len(batch_sizes), batch_sizes[0]
            batch_first = False
        else:
            batch_first = self.batch_first
            T, B = (x.shape[1], x.shape[0]) if batch_first else (x.shape[0], x.shape[1])
            if T == 0:
                raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
        D = 2 if self.bidirectional else 1
        L = self.num_layers
        H = self.hidden_size
        Hout = self.proj_size if self.proj_size > 0 else H
        lstm = self.mode == "LSTM"
        params = self._parameters
        if any(n not in params for n in self._flat_weights_names):
            # a weight moved out of _parameters (parametrize, weight_norm, spectral_norm): read the attribute
            params = {n: getattr(self, n) for n in self._flat_weights_names}
        layer_in = x
        hns, cns = [], []
        for layer in range(L):
            last = layer == L - 1
            outs = []
            for d in range(D):
                k = layer * D + d
                names = self._all_weights[k]
                w_ih, w_hh = params[names[0]], params[names[1]]
                b_ih, b_hh = (params[names[2]], params[names[3]]) if self.bias else (None, None)
                w_hr = params[names[-1]] if self.proj_size > 0 else None
                Y, (o0, h0, c0, used) = _rnn.layer(self.mode, layer_in, hx, cx, k, w_ih, w_hh, b_ih, b_hh, w_hr,
                                             d == 1, B, T, batch_sizes, batch_first and layer == 0)
                if last and D == 1 and not packed:
                    outs.append(_rnn.piece(Y, o0, (T, B, Hout), swap=batch_first, flag=used))
                else:
                    outs.append(_rnn.piece(Y, o0, (_rows(T, B, batch_sizes), Hout), flag=used))
                one = L * D == 1
                hns.append(_rnn.piece(Y, h0, (1, B, Hout) if one else (B, Hout), name="StackBackward0"))
                if lstm:
                    cns.append(_rnn.piece(Y, c0, (1, B, H) if one else (B, H), name="StackBackward0"))
            out = outs[0] if D == 1 else cat(outs, 1)
            if not last and self.dropout > 0 and self.training:
                from ...ops.dropout import dropout
                out = dropout(out, self.dropout, True)
            layer_in = out
        if not packed and D == 2:
            out = reshape(out, (T, B, D * Hout))
            if batch_first:
                out = transpose(out, 0, 1)
        h_n = hns[0] if len(hns) == 1 else stack(hns, 0)
        c_n = None if not lstm else (cns[0] if len(cns) == 1 else stack(cns, 0))
        return out, h_n, c_n


def _rows(T, B, batch_sizes):
    return T * B if batch_sizes is None else sum(batch_sizes)


def _tname(t):
    return "torch." + str(t.dtype).split(".")[-1]


def _check_hidden_dtype(input, h):
    if h is not None and h.dtype != input.dtype:
        raise RuntimeError(f"Input and hidden tensors are not the same dtype, found input tensor with "
                           f"{_type_name(input)} and hidden tensor with {_type_name(h)}")


def _unpack(input):
    """(data, batch_sizes as a tuple of ints, sorted_indices, unsorted_indices)."""
    data, batch_sizes, sorted_indices, unsorted_indices = input
    return data, tuple(int(b) for b in batch_sizes._data.tolist()), sorted_indices, unsorted_indices


class RNN(RNNBase):
    r"""A multi-layer Elman RNN with tanh or ReLU non-linearity:
    :math:`h_t = \tanh(x_t W_{ih}^T + b_{ih} + h_{t-1} W_{hh}^T + b_{hh})`.

    Args:
        input_size: features of the input x
        hidden_size: features of the hidden state h
        num_layers: stacked recurrent layers. Default: 1
        nonlinearity: 'tanh' or 'relu'. Default: 'tanh'
        bias: if False, no b_ih and b_hh. Default: True
        batch_first: input and output are (N, L, H) instead of (L, N, H). Default: False
        dropout: dropout on the outputs of every layer but the last. Default: 0
        bidirectional: also run each layer backwards in time. Default: False

    Shape:
        input (L, N, H_in), (N, L, H_in) with batch_first, (L, H_in) unbatched, or a PackedSequence;
        h_0 (D·num_layers, N, H_out). Output (L, N, D·H_out), h_n (D·num_layers, N, H_out).

    Variables:
        weight_ih_l[k] (hidden_size, input_size or D·hidden_size), weight_hh_l[k] (hidden_size,
        hidden_size), bias_ih_l[k], bias_hh_l[k] (hidden_size,); `_reverse` for the backward
        direction. All from U(-√k, √k), k = 1/hidden_size.

    Example::

        >>> rnn = nn.RNN(10, 20, 2)
        >>> output, hn = rnn(torch.randn(5, 3, 10), torch.randn(2, 3, 20))
    """

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            self_nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            self_nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if self_nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif self_nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{self_nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(mode, *args, **kwargs)
        self.nonlinearity = self_nonlinearity

    def forward(self, input, hx=None):
        return _forward_single_state(self, input, hx, "RNN: Expected input to be 2D or 3D, got {}D tensor instead")


class GRU(RNNBase):
    r"""A multi-layer gated recurrent unit (GRU) RNN:

    .. math::
        r_t = σ(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}),\quad
        z_t = σ(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz}),
        n_t = \tanh(W_{in} x_t + b_{in} + r_t ⊙ (W_{hn} h_{t-1} + b_{hn})),\quad
        h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}

    Args: as RNN (no nonlinearity).

    Shape: as RNN.

    Variables:
        weight_ih_l[k] (3·hidden_size, ·) = (W_ir | W_iz | W_in), weight_hh_l[k] (3·hidden_size,
        hidden_size), bias_ih_l[k], bias_hh_l[k] (3·hidden_size,); all from U(-√k, √k),
        k = 1/hidden_size.

    Example::

        >>> gru = nn.GRU(10, 20, 2)
        >>> output, hn = gru(torch.randn(5, 3, 10), torch.randn(2, 3, 20))
    """

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)

    def forward(self, input, hx=None):
        return _forward_single_state(self, input, hx, "GRU: Expected input to be 2D or 3D, got {}D instead")


def _forward_single_state(self, input, hx, dim_msg):
    """RNN and GRU forward: one state tensor."""
    if isinstance(input, PackedSequence):
        x, batch_sizes, sorted_indices, unsorted_indices = _unpack(input)
        if hx is not None:
            hx = self.permute_hidden(hx, sorted_indices)
        unbatched = False
    else:
        x, batch_sizes = input, None
        if input.dim() not in (2, 3):
            raise ValueError(dim_msg.format(input.dim()))
        unbatched = input.dim() == 2
        batch_dim = 0 if self.batch_first else 1
        if unbatched:
            x = unsqueeze(input, batch_dim)
            if hx is not None:
                if hx.dim() != 2:
                    raise RuntimeError(f"For unbatched 2-D input, hx should also be 2-D but got {hx.dim()}-D tensor")
                hx = unsqueeze(hx, 1)
        elif hx is not None and hx.dim() != 3:
            raise RuntimeError(f"For batched 3-D input, hx should also be 3-D but got {hx.dim()}-D tensor")
        sorted_indices = unsorted_indices = None
    if hx is not None:
        self.check_forward_args(x, hx, batch_sizes)
        _check_hidden_dtype(x, hx)
    else:
        self.check_input(x, batch_sizes)
    out, h_n, _ = self._run(x, hx, None, batch_sizes)
    if batch_sizes is not None:
        return (PackedSequence(out, input.batch_sizes, sorted_indices, unsorted_indices),
                self.permute_hidden(h_n, unsorted_indices))
    if unbatched:
        return squeeze(out, 0 if self.batch_first else 1), squeeze(h_n, 1)
    return out, h_n


class LSTM(RNNBase):
    r"""A multi-layer long short-term memory (LSTM) RNN:

    .. math::
        i_t = σ(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi}),\quad
        f_t = σ(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf}),
        g_t = \tanh(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg}),\quad
        o_t = σ(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho}),
        c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t,\quad h_t = o_t ⊙ \tanh(c_t)

    With proj_size > 0, h_t = W_{hr}(o_t ⊙ tanh(c_t)) has proj_size features.

    Args: as RNN (no nonlinearity), plus proj_size: size of the projected h (0: none). Default: 0

    Shape:
        input as RNN; (h_0, c_0) of (D·num_layers, N, H_out) and (D·num_layers, N, H_cell).
        Output (L, N, D·H_out), h_n (D·num_layers, N, H_out), c_n (D·num_layers, N, H_cell).

    Variables:
        weight_ih_l[k] (4·hidden_size, ·) = (W_ii | W_if | W_ig | W_io), weight_hh_l[k]
        (4·hidden_size, H_out), bias_ih_l[k], bias_hh_l[k] (4·hidden_size,), weight_hr_l[k]
        (proj_size, hidden_size) with proj_size > 0; all from U(-√k, √k), k = 1/hidden_size.

    Example::

        >>> lstm = nn.LSTM(10, 20, 2)
        >>> output, (hn, cn) = lstm(torch.randn(5, 3, 10))
    """

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)

    def get_expected_cell_size(self, input, batch_sizes):
        if batch_sizes is not None:
            mini_batch = int(batch_sizes[0])
        else:
            mini_batch = input.size(0) if self.batch_first else input.size(1)
        num_directions = 2 if self.bidirectional else 1
        return (self.num_layers * num_directions, mini_batch, self.hidden_size)

    def check_forward_args(self, input, hidden, batch_sizes):
        self.check_input(input, batch_sizes)
        self.check_hidden_size(hidden[0], self.get_expected_hidden_size(input, batch_sizes),
                               "Expected hidden[0] size {}, got {}")
        self.check_hidden_size(hidden[1], self.get_expected_cell_size(input, batch_sizes),
                               "Expected hidden[1] size {}, got {}")

    def permute_hidden(self, hx, permutation):
        if permutation is None:
            return hx
        return index_select(hx[0], 1, permutation), index_select(hx[1], 1, permutation)

    def forward(self, input, hx=None):
        if isinstance(input, PackedSequence):
            x, batch_sizes, sorted_indices, unsorted_indices = _unpack(input)
            if hx is not None:
                hx = self.permute_hidden(hx, sorted_indices)
            unbatched = False
        else:
            x, batch_sizes = input, None
            if input.dim() not in (2, 3):
                raise ValueError(f"LSTM: Expected input to be 2D or 3D, got {input.dim()}D instead")
            unbatched = input.dim() == 2
            if unbatched:
                x = unsqueeze(input, 0 if self.batch_first else 1)
            sorted_indices = unsorted_indices = None
            if hx is not None:
                if not unbatched:
                    if hx[0].dim() != 3 or hx[1].dim() != 3:
                        raise RuntimeError("For batched 3-D input, hx and cx should also be 3-D but got "
                                           f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
                else:
                    if hx[0].dim() != 2 or hx[1].dim() != 2:
                        raise RuntimeError("For unbatched 2-D input, hx and cx should also be 2-D but got "
                                           f"({hx[0].dim()}-D, {hx[1].dim()}-D) tensors")
                    hx = (unsqueeze(hx[0], 1), unsqueeze(hx[1], 1))
        if hx is not None:
            self.check_forward_args(x, hx, batch_sizes)
            _check_hidden_dtype(x, hx[0])
            _check_hidden_dtype(x, hx[1])
            h0, c0 = hx
        else:
            self.check_input(x, batch_sizes)
            h0 = c0 = None
        out, h_n, c_n = self._run(x, h0, c0, batch_sizes)
        if batch_sizes is not None:
            return (PackedSequence(out, input.batch_sizes, sorted_indices, unsorted_indices),
                    self.permute_hidden((h_n, c_n), unsorted_indices))
        if unbatched:
            return squeeze(out, 0 if self.batch_first else 1), (squeeze(h_n, 1), squeeze(c_n, 1))
        return out, (h_n, c_n)


# ---- cells ------------------------------------------------------------------------------------

class RNNCellBase(Module):
    """What the cells share: weight_ih, weight_hh, bias_ih, bias_hh with k gate blocks."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = Parameter(empty((num_chunks * hidden_size, input_size), dtype=dtype))
        self.weight_hh = Parameter(empty((num_chunks * hidden_size, hidden_size), dtype=dtype))
        if bias:
            self.bias_ih = Parameter(empty(num_chunks * hidden_size, dtype=dtype))
            self.bias_hh = Parameter(empty(num_chunks * hidden_size, dtype=dtype))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self):
        s = "{input_size}, {hidden_size}"
        if "bias" in self.__dict__ and self.bias is not True:
            s += ", bias={bias}"
        if "nonlinearity" in self.__dict__ and self.nonlinearity != "tanh":
            s += ", nonlinearity={nonlinearity}"
        return s.format(**self.__dict__)

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _step(self, mode, name, input, states):
        """One step through the fused layer op (T = 1). states: tuple of tensors or None."""
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        if states is not None:
            for i, s in enumerate(states):
                if s.dim() not in (1, 2):
                    what = "hidden" if len(states) == 1 else f"hx[{i}]"
                    raise ValueError(f"{name}: Expected {what} to be 1D or 2D, got {s.dim()}D instead")
        batched = input.dim() == 2
        x = input if batched else unsqueeze(input, 0)
        if states is not None and not batched:
            states = tuple(unsqueeze(s, 0) for s in states)
        B = x.shape[0]
        if x.shape[1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {x.shape[1]} expected {self.input_size}")
        if x.dtype != self.weight_ih.dtype:
            raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got {_type_name(x)} "
                               f"and {_type_name(self.weight_ih)}")
        if states is not None:
            for i, s in enumerate(states):
                if s.shape[0] != B:
                    raise RuntimeError(f"Input batch size {B} doesn't match hidden{i} batch size {s.shape[0]}")
                if s.shape[1] != self.hidden_size:
                    raise RuntimeError(f"hidden{i} has inconsistent hidden_size: got {s.shape[1]}, expected "
                                       f"{self.hidden_size}")
                if s.dtype != x.dtype:
                    raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got "
                                       f"{_type_name(s)} and {_type_name(x)}")
        hx = states[0] if states is not None else None
        cx = states[1] if states is not None and len(states) > 1 else None
        Y, (_, h0, c0, _) = _rnn.layer(mode, x, hx, cx, None, self.weight_ih, self.weight_hh, self.bias_ih,
                                    self.bias_hh, None, False, B, 1, None, False)
        H = self.hidden_size
        shape = (B, H) if batched else (H,)
        h = _rnn.piece(Y, h0, shape)
        if mode != "LSTM":
            return h
        return h, _rnn.piece(Y, c0, shape)


def _type_name(t):
    return type_name(t._data.dtype)


class RNNCell(RNNCellBase):
    r"""An Elman RNN cell: :math:`h' = \tanh(x W_{ih}^T + b_{ih} + h W_{hh}^T + b_{hh})` (or ReLU).

    Args:
        input_size, hidden_size; bias: use b_ih and b_hh. Default: True; nonlinearity: 'tanh' or 'relu'

    Shape: input (N, H_in) or (H_in); hidden (N, H_out) or (H_out), zeros if not given;
    output (N, H_out) or (H_out).

    Variables: weight_ih (hidden_size, input_size), weight_hh (hidden_size, hidden_size), bias_ih,
    bias_hh (hidden_size,); all from U(-√k, √k), k = 1/hidden_size."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        mode = "RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU"
        return self._step(mode, "RNNCell", input, None if hx is None else (hx,))


class LSTMCell(RNNCellBase):
    r"""A long short-term memory cell: gates i, f, g, o from x W_{ih}^T + b_{ih} + h W_{hh}^T + b_{hh},
    :math:`c' = f ⊙ c + i ⊙ g`, :math:`h' = o ⊙ \tanh(c')`.

    Shape: input (N, H_in) or (H_in); (h_0, c_0) each (N, H) or (H), zeros if not given;
    returns (h_1, c_1) of the same shape.

    Variables: weight_ih (4·hidden_size, input_size), weight_hh (4·hidden_size, hidden_size),
    bias_ih, bias_hh (4·hidden_size,); all from U(-√k, √k), k = 1/hidden_size."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        return self._step("LSTM", "LSTMCell", input, None if hx is None else tuple(hx))


class GRUCell(RNNCellBase):
    r"""A gated recurrent unit cell: r, z = σ(...), n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),
    :math:`h' = (1 - z) ⊙ n + z ⊙ h`.

    Shape: input (N, H_in) or (H_in); hidden (N, H) or (H), zeros if not given; output like hidden.

    Variables: weight_ih (3·hidden_size, input_size), weight_hh (3·hidden_size, hidden_size),
    bias_ih, bias_hh (3·hidden_size,); all from U(-√k, √k), k = 1/hidden_size."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        return self._step("GRU", "GRUCell", input, None if hx is None else (hx,))
