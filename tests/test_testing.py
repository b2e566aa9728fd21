"""torch.testing.assert_close and make_tensor against PyTorch: which inputs pass, and the exact
failure messages (scripts print or match them)."""
import numpy as np
import pytest
import torch

import lamina

NAN, INF = float("nan"), float("inf")

CASES = {
    "close float32": lambda L: L.testing.assert_close(L.tensor([1.0, 2.0]), L.tensor([1.0, 2.0 + 1e-6])),
    "not close": lambda L: L.testing.assert_close(L.tensor([1.0, 2.0]), L.tensor([1.0, 2.1])),
    "2-D, two mismatches": lambda L: L.testing.assert_close(L.tensor([[1.0, 2.0], [3.0, 4.0]]),
                                                             L.tensor([[1.0, 2.5], [3.5, 4.0]])),
    "dtype": lambda L: L.testing.assert_close(L.tensor([1.0, 2.0]), L.tensor([1.0, 2.0], dtype=L.float64)),
    "dtype unchecked": lambda L: L.testing.assert_close(L.tensor([1, 2]), L.tensor([1.0, 2.0]), check_dtype=False),
    "shape": lambda L: L.testing.assert_close(L.zeros(2, 3), L.zeros(3, 2)),
    "integers are exact": lambda L: L.testing.assert_close(L.tensor([1, 2]), L.tensor([1, 3])),
    "bool": lambda L: L.testing.assert_close(L.tensor([True]), L.tensor([False])),
    "python floats": lambda L: L.testing.assert_close(1.0, 1.1),
    "0-d tensors report as scalars": lambda L: L.testing.assert_close(L.tensor(1.0), L.tensor(1.5)),
    "nan": lambda L: L.testing.assert_close(L.tensor([NAN]), L.tensor([NAN])),
    "nan equal": lambda L: L.testing.assert_close(L.tensor([NAN]), L.tensor([NAN]), equal_nan=True),
    "inf vs finite": lambda L: L.testing.assert_close(L.tensor([0.0, 1.0]), L.tensor([0.0, INF])),
    "expected zero": lambda L: L.testing.assert_close(L.tensor([1.0, 2.0]), L.tensor([0.0, 2.0])),
    "float16 tolerance": lambda L: L.testing.assert_close(L.tensor([1.0, 2.0], dtype=L.float16),
                                                          L.tensor([1.0, 2.001], dtype=L.float16)),
    "float64 tolerance": lambda L: L.testing.assert_close(L.tensor([1.0, 2.0], dtype=L.float64),
                                                          L.tensor([1.0, 2.0000001], dtype=L.float64)),
    "own tolerances": lambda L: L.testing.assert_close(L.tensor([1.0, 2.0]), L.tensor([1.0, 2.2]), rtol=0.2, atol=0),
    "only rtol": lambda L: L.testing.assert_close(L.tensor([1.0]), L.tensor([1.0]), rtol=0.01),
    "numpy arrays": lambda L: L.testing.assert_close(np.array([1.0, 2.0]), np.array([1.0, 2.5])),
    "list item": lambda L: L.testing.assert_close([L.tensor(1.0)], [L.tensor(2.0)]),
    "tuple item": lambda L: L.testing.assert_close((L.ones(2), 3), (L.ones(2), 4)),
    "list length": lambda L: L.testing.assert_close([1, 2], [1, 2, 3]),
    "mapping item": lambda L: L.testing.assert_close({"a": L.tensor(1.0)}, {"a": L.tensor(2.0)}),
    "mapping keys": lambda L: L.testing.assert_close({"a": 1}, {"b": 1}),
    "msg string": lambda L: L.testing.assert_close(L.tensor([1.0, 2.0]), L.tensor([1.0, 2.1]), msg="custom"),
    "msg callable": lambda L: L.testing.assert_close(L.tensor([1.0, 2.0]), L.tensor([1.0, 3.0]),
                                                     msg=lambda m: "X" + m[:10]),
}


def _outcome(lib, case):
    try:
        case(lib)
    except Exception as e:
        return type(e).__name__, str(e)
    return "passed", ""


@pytest.mark.parametrize("name", list(CASES))
def test_assert_close_matches_torch(name):
    assert _outcome(lamina, CASES[name]) == _outcome(torch, CASES[name])


def test_assert_close_refuses_a_tensor_against_a_number():
    with pytest.raises(TypeError, match="No comparison pair was able to handle inputs of type"):
        lamina.testing.assert_close(lamina.tensor(1.0), 1.0)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "uint8", "bool"])
def test_make_tensor_shape_dtype_and_range(dtype):
    t = lamina.testing.make_tensor((3, 4), dtype=getattr(lamina, dtype), device="cpu", low=0, high=5)
    ref = torch.testing.make_tensor((3, 4), dtype=getattr(torch, dtype), device="cpu", low=0, high=5)
    assert t.shape == ref.shape and repr(t.dtype) == repr(ref.dtype)
    if dtype != "bool":
        assert (t.numpy() >= 0).all() and (t.numpy() < 5).all()
    g = lamina.testing.make_tensor(2, dtype=lamina.float32, requires_grad=True)
    assert g.requires_grad and g.shape == (2,)
