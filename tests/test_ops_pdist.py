"""torch.pdist / F.pdist: pairwise row distances (condensed), values and gradients for every p."""
import numpy as np
import pytest

from oracle import check, check_error

PS = [0, 0.5, 1, 1.5, 2, 3, float("inf")]


@pytest.mark.parametrize("p", PS)
@pytest.mark.parametrize("shape", [(5, 3), (2, 1), (1, 4), (0, 3), (4, 0), (7, 6)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_pdist(p, shape, dtype):
    # torch 2.13's PdistBackward0 segfaults on a 0-row input: compare that one's values only
    check(lambda lib, x: lib.pdist(x, p), [shape], dtype=dtype, grad=shape[0] > 0)


@pytest.mark.parametrize("p", PS)
def test_pdist_repeated_rows_and_ties(p):
    # coincident rows (distance 0), equal coordinates (diff 0) and ties for the max coordinate
    x = np.array([[1, 2, 0], [1, 2, 0], [0, 5, 3], [1, 3, 1], [2, 2, 0]], dtype="float64")
    check(lambda lib, x: lib.nn.functional.pdist(x, p=p), [x], dtype="float64")
    check(lambda lib, x: lib.nn.functional.pdist(x, p=p), [x.astype("float32")])


def test_pdist_default_p_and_grad_fn():
    _, out = check(lambda lib, x: lib.nn.functional.pdist(x), [(6, 4)])
    assert out.grad_fn.name() == "PdistBackward0"


def test_pdist_errors():
    check_error(lambda lib: lib.pdist(lib.ones(3)), RuntimeError, "pdist only supports 2D tensors, got: 1D")
    check_error(lambda lib: lib.pdist(lib.ones(2, 3, 4)), RuntimeError, "pdist only supports 2D tensors, got: 3D")
    check_error(lambda lib: lib.pdist(lib.ones(3, 4), -1), RuntimeError, "pdist only supports non-negative p values")
    check_error(lambda lib: lib.pdist(lib.arange(6).reshape(3, 2)), RuntimeError,
                "pdist only supports floating-point dtypes")
