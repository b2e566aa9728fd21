"""AdaptiveLogSoftmaxWithLoss (Grave et al., 2016): a softmax over many classes made cheap by a
head over the frequent classes plus one entry per cluster of rarer ones, each cluster with its
own smaller (down-projected) softmax."""
from collections import namedtuple

import numpy as np

from ...ops._core import wrap
from ...ops.shape import cat
from .container import ModuleList, Sequential
from .linear import Linear
from .module import Module

__all__ = ["AdaptiveLogSoftmaxWithLoss"]

_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])


class AdaptiveLogSoftmaxWithLoss(Module):
    r"""Efficient softmax approximation for large output spaces.

    Classes [0, cutoffs[0]) are scored by the head directly; the head also scores one entry per
    cluster [cutoffs[i], cutoffs[i+1]), whose class then gets
    :math:`\log p(\mathrm{cluster}) + \log p(\mathrm{class} \mid \mathrm{cluster})` from the
    cluster's own two-layer projection (hidden size in_features // div_value^(i+1)).

    Args:
        in_features: features per input sample
        n_classes: number of classes
        cutoffs: increasing cluster boundaries, each in [1, n_classes - 1]
        div_value: how much smaller each successive cluster's projection is. Default: 4.0
        head_bias: give the head a bias. Default: False

    Shape:
        input (N, in_features) or (in_features,); target (N,) or () with values in [0, n_classes).
        Returns (output, loss): output (N,) the target log-probabilities, loss their negated mean."""

    def __init__(self, in_features, n_classes, cutoffs, div_value=4.0, head_bias=False, device=None, dtype=None):
        super().__init__()
        cutoffs = list(cutoffs)
        if len(cutoffs) == 0:
            raise ValueError("cutoffs should be a sequence of length larger than 0")
        if (cutoffs != sorted(cutoffs) or min(cutoffs) <= 0 or max(cutoffs) > n_classes - 1
                or len(set(cutoffs)) != len(cutoffs) or any(int(c) != c for c in cutoffs)):
            raise ValueError("cutoffs should be a sequence of unique, positive integers sorted in an increasing "
                             "order, where each value is between 1 and n_classes-1")
        self.in_features = in_features
        self.n_classes = n_classes
        self.cutoffs = cutoffs + [n_classes]
        self.div_value = div_value
        self.head_bias = head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        self.head = Linear(in_features, self.head_size, bias=head_bias, dtype=dtype)
        self.tail = ModuleList()
        for i in range(self.n_clusters):
            hidden = int(in_features // (div_value ** (i + 1)))
            size = self.cutoffs[i + 1] - self.cutoffs[i]
            self.tail.append(Sequential(Linear(in_features, hidden, bias=False, dtype=dtype),
                                        Linear(hidden, size, bias=False, dtype=dtype)))

    def reset_parameters(self):
        self.head.reset_parameters()
        for i2h, h2o in self.tail:
            i2h.reset_parameters()
            h2o.reset_parameters()

    def forward(self, input_, target_):
        t_dim = target_.dim()
        if t_dim == 1:
            if input_.size(0) != target_.size(0):
                raise RuntimeError("Input and target should have the same size in the batch dimension.")
            if input_.dim() != 2:
                raise RuntimeError(f"1D target tensor expects 2D input tensors, but found inputs with size "
                                   f"{input_.size()}")
        elif t_dim == 0:
            if input_.dim() != 1:
                raise RuntimeError(f"0D target tensor expects 1D input tensors, but found inputs with size "
                                   f"{input_.size()}")
        else:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        batched = t_dim > 0
        input = input_ if batched else input_.unsqueeze(0)
        target = target_._data.reshape(-1)
        n = target.shape[0]
        head_column = np.empty(n, dtype=np.int64)  # the head entry each row reads: its class or its cluster
        tail_rows, tail_values = [], []
        used = 0
        bounds = [0] + self.cutoffs
        for i in range(len(bounds) - 1):
            rows = np.flatnonzero((target >= bounds[i]) & (target < bounds[i + 1]))
            if not rows.size:
                continue
            used += rows.size
            if i == 0:
                head_column[rows] = target[rows]
                continue
            head_column[rows] = self.shortlist_size + i - 1
            logp = self.tail[i - 1](input.index_select(0, wrap(rows))).log_softmax(dim=1)
            tail_values.append(logp.gather(1, wrap((target[rows] - bounds[i])[:, None])).squeeze(1))
            tail_rows.append(rows)
        if used != n:
            raise RuntimeError(f"Target values should be in [0, {self.n_classes - 1}], but values in range "
                               f"[{target.min()}, {target.max()}] were found. ")
        head_logprob = self.head(input).log_softmax(dim=1)
        output = head_logprob.gather(1, wrap(head_column[:, None])).squeeze(1)
        if tail_values:
            # put each row's in-cluster term in place: slot 0 of `terms` is the zero of shortlist rows
            order = np.concatenate(tail_rows)
            slot = np.zeros(n, dtype=np.int64)
            slot[order] = np.arange(1, order.size + 1)
            terms = cat([input.new_zeros(1), *tail_values])
            output = terms.index_select(0, wrap(slot)) + output
        loss = (-output).mean()
        if not batched:
            output = output.squeeze(0)
        return _ASMoutput(output, loss)

    def _get_full_log_prob(self, input, head_output):
        """log p(c | x) for every class c: (N, n_classes)."""
        head_logprob = head_output.log_softmax(dim=1)
        parts = [head_logprob[:, :self.shortlist_size]]
        for i in range(self.n_clusters):
            cluster = self.tail[i](input).log_softmax(dim=1)
            parts.append(cluster + head_logprob[:, self.shortlist_size + i].unsqueeze(1))
        return cat(parts, dim=1)

    def log_prob(self, input):
        r"""Log-probabilities of all n_classes. Shape: Input (N, in_features), Output (N, n_classes)."""
        return self._get_full_log_prob(input, self.head(input))

    def predict(self, input):
        r"""The most probable class of each row, as log_prob(input).argmax(dim=1), computing the
        clusters only for rows whose best head entry is a cluster. Shape: (N, in_features) → (N,)."""
        head_output = self.head(input)
        output = head_output.argmax(dim=1)
        outside = output >= self.shortlist_size
        if not outside.any():
            return output
        if outside.all():
            return self._get_full_log_prob(input, head_output).argmax(dim=1)
        output[outside] = self._get_full_log_prob(input[outside], head_output[outside]).argmax(dim=1)
        return output
