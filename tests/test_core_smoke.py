"""First oracle checks of the core: arithmetic, matmul, reductions through the harness."""
import pytest

from oracle import check


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shapes", [[(3, 4), (3, 4)], [(3, 1), (1, 4)], [(4,), (2, 3, 4)], [(0, 4), (4,)], [(), (2,)]])
def test_binary_arithmetic_broadcasts_like_torch(shapes, dtype):
    check(lambda lib, x, y: (x + y) * (x - y) / (y * y + 1), shapes, dtype=dtype)


@pytest.mark.parametrize("shapes", [[(3, 4), (4, 5)], [(4,), (4,)], [(2, 3, 4), (4,)], [(5, 2, 3, 4), (4, 2)]])
def test_matmul_matches_torch(shapes):
    check(lambda lib, x, y: lib.matmul(x, y), shapes)


@pytest.mark.parametrize("dim,keepdim", [(None, False), (1, True), ((0, 2), False), (-1, False)])
def test_sum_mean_match_torch(dim, keepdim):
    if dim is None:
        check(lambda lib, x: x.sum() + x.mean(), [(2, 3, 4)])
    else:
        check(lambda lib, x: x.sum(dim, keepdim=keepdim) * x.mean(dim, keepdim=keepdim), [(2, 3, 4)])


def test_a_none_gradient_does_not_stall_the_nodes_upstream():
    """A backward that returns None for an input requiring grad (a custom Function may) must not
    stop gradients from other paths reaching the leaves through that input's node."""
    import numpy as np
    import torch

    import lamina

    def run(lib):
        class Blocked(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a):
                return a + 1

            @staticmethod
            def backward(ctx, g):
                return None

        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        a = x * 2
        out = (a * 3).sum() + Blocked.apply(a).sum()
        out.backward()
        return x.grad.numpy()

    np.testing.assert_array_equal(run(lamina), run(torch))
