"""Distances between vectors: PairwiseDistance and CosineSimilarity."""
from ...ops.embedding import cosine_similarity, pairwise_distance
from .module import Module

__all__ = ["PairwiseDistance", "CosineSimilarity"]


class PairwiseDistance(Module):
    r""":math:`\Vert x_1 - x_2 + \epsilon e \Vert_p` over the last dimension.

    Args:
        p: the norm degree. Default: 2
        eps: added to the difference, to avoid a zero norm. Default: 1e-6
        keepdim: keep the last dimension (size 1). Default: False

    Shape: x1 (N, D) or (D), x2 broadcastable to it; output (N) or () (or with a trailing 1)."""

    __constants__ = ["norm", "eps", "keepdim"]

    def __init__(self, p=2.0, eps=1e-6, keepdim=False):
        super().__init__()
        self.norm = p
        self.eps = eps
        self.keepdim = keepdim

    def forward(self, x1, x2):
        return pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)


class CosineSimilarity(Module):
    r""":math:`\frac{x_1 \cdot x_2}{\max(\Vert x_1 \Vert_2, \epsilon) \cdot \max(\Vert x_2 \Vert_2, \epsilon)}`
    along `dim`.

    Args:
        dim: the dimension compared (removed from the output). Default: 1
        eps: lower bound of each norm. Default: 1e-8

    Shape: x1 (*1, D, *2), x2 broadcastable to it; output (*1, *2)."""

    __constants__ = ["dim", "eps"]

    def __init__(self, dim=1, eps=1e-8):
        super().__init__()
        self.dim = dim
        self.eps = eps

    def forward(self, x1, x2):
        return cosine_similarity(x1, x2, self.dim, self.eps)
