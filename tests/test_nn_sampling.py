"""F.affine_grid and F.grid_sample against PyTorch: values and the gradients of both the input
and the grid, for every mode, padding mode and align_corners, in 2-D and 3-D; errors; NaN points."""
import itertools
import re
import warnings

import numpy as np
import pytest
import torch

import lamina
from oracle import check, check_error

MODES = ["bilinear", "nearest", "bicubic"]
PADDINGS = ["zeros", "border", "reflection"]


def _grid(shape, seed=0, dtype="float32"):
    """Points spread beyond [-1, 1] (so padding matters), with the edges ±1 and 0 hit exactly."""
    g = np.random.default_rng(seed).uniform(-1.6, 1.6, shape).astype(dtype)
    g.reshape(-1)[:4] = [1.0, -1.0, 0.0, 1.0]
    return g


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("mode,padding_mode,align_corners",
                         list(itertools.product(MODES, PADDINGS, [False, True])))
def test_grid_sample_2d(mode, padding_mode, align_corners, dtype):
    x = np.random.default_rng(1).standard_normal((2, 3, 5, 6)).astype(dtype)
    check(lambda lib, a, g: lib.nn.functional.grid_sample(a, g, mode=mode, padding_mode=padding_mode,
                                                          align_corners=align_corners),
          [x, _grid((2, 4, 7, 2), dtype=dtype)], dtype=dtype)


@pytest.mark.parametrize("mode,padding_mode,align_corners",
                         list(itertools.product(["bilinear", "nearest"], PADDINGS, [False, True])))
def test_grid_sample_3d(mode, padding_mode, align_corners):
    x = np.random.default_rng(2).standard_normal((2, 2, 3, 4, 5)).astype("float64")
    check(lambda lib, a, g: lib.nn.functional.grid_sample(a, g, mode=mode, padding_mode=padding_mode,
                                                          align_corners=align_corners),
          [x, _grid((2, 2, 3, 4, 3), dtype="float64")], dtype="float64")


@pytest.mark.parametrize("size", [(2, 3, 4, 5), (2, 1, 3, 4, 5), (2, 3, 1, 6), (1, 1, 7, 1)], ids=str)
@pytest.mark.parametrize("align_corners", [False, True])
def test_affine_grid(size, align_corners):
    d = len(size) - 2
    theta = np.random.default_rng(3).standard_normal((size[0], d, d + 1)).astype("float32")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the unit-size warning, tested below
        check(lambda lib, t: lib.nn.functional.affine_grid(t, size, align_corners=align_corners), [theta])


def test_spatial_transformer_chain_reaches_theta():
    # the STN pattern: theta from a layer, a grid from theta, the image sampled on the grid
    x = np.random.default_rng(4).standard_normal((2, 3, 8, 8)).astype("float32")
    # maps that put no point exactly on a pixel centre, where bilinear's gradient has a kink
    theta = np.array([[[0.93, 0.11, 0.05], [-0.13, 1.07, 0.02]], [[1.03, 0.02, 0.21], [0.01, 0.83, -0.09]]],
                     "float32")

    def stn(lib, img, t):
        grid = lib.nn.functional.affine_grid(t, list(img.shape), align_corners=False)
        return lib.nn.functional.grid_sample(img, grid, align_corners=False)
    check(stn, [x, theta])


def test_nan_and_infinite_points_match_torch():
    img = np.arange(9.0, dtype="float32").reshape(1, 1, 3, 3)
    for mode, padding_mode, value in itertools.product(MODES, PADDINGS, [np.nan, np.inf, -np.inf]):
        g = np.full((1, 2, 2, 2), value, "float32")
        check(lambda lib, a, p: lib.nn.functional.grid_sample(a, p, mode=mode, padding_mode=padding_mode,
                                                              align_corners=False), [img, g], grad=False)


def test_default_align_corners_warns_like_torch():
    for lib in (torch, lamina):
        with pytest.warns(UserWarning, match="Default grid_sample and affine_grid behavior has changed"):
            lib.nn.functional.grid_sample(lib.ones(1, 1, 3, 3), lib.zeros(1, 2, 2, 2))
        with pytest.warns(UserWarning, match="Default grid_sample and affine_grid behavior has changed"):
            lib.nn.functional.affine_grid(lib.zeros(1, 2, 3), [1, 1, 2, 2])
        with pytest.warns(UserWarning, match="affine_grid behavior has changed for unit-size grids"):
            lib.nn.functional.affine_grid(lib.zeros(1, 2, 3), [1, 1, 1, 2], align_corners=True)


@pytest.mark.parametrize("call,exc", [
    (lambda F, L: F.grid_sample(L.ones(1, 1, 3, 3), L.ones(1, 2, 2, 2), mode="linear", align_corners=False),
     ValueError),
    (lambda F, L: F.grid_sample(L.ones(1, 1, 3, 3), L.ones(1, 2, 2, 2), padding_mode="wrap", align_corners=False),
     ValueError),
    (lambda F, L: F.grid_sample(L.ones(1, 1, 3, 3), L.ones(1, 2, 2, 2, dtype=L.float64), align_corners=False),
     RuntimeError),
    (lambda F, L: F.grid_sample(L.ones(1, 1, 3, 3), L.ones(1, 2, 2, 2, 3), align_corners=False), RuntimeError),
    (lambda F, L: F.grid_sample(L.ones(1, 1, 3), L.ones(1, 2, 1), align_corners=False), RuntimeError),
    (lambda F, L: F.grid_sample(L.ones(2, 1, 3, 3), L.ones(1, 2, 2, 2), align_corners=False), RuntimeError),
    (lambda F, L: F.grid_sample(L.ones(1, 1, 3, 3, 3), L.ones(1, 2, 2, 2, 3), mode="bicubic", align_corners=False),
     RuntimeError),
    (lambda F, L: F.grid_sample(L.ones(1, 1, 0, 3), L.ones(1, 2, 2, 2), align_corners=False), RuntimeError),
    (lambda F, L: F.grid_sample(L.ones(1, 1, 3, 3, dtype=L.int64), L.ones(1, 2, 2, 2, dtype=L.int64),
                                align_corners=False), NotImplementedError),
    (lambda F, L: F.affine_grid(L.ones(1, 3, 3), [1, 1, 4, 4], align_corners=False), ValueError),
    (lambda F, L: F.affine_grid(L.ones(1, 2, 3), [1, 4, 4], align_corners=False), NotImplementedError),
    (lambda F, L: F.affine_grid(L.ones(1, 2, 3, dtype=L.int64), [1, 1, 4, 4], align_corners=False), ValueError),
    (lambda F, L: F.affine_grid(L.ones(2, 2, 3), [1, 1, 4, 4], align_corners=False), RuntimeError),
    (lambda F, L: F.affine_grid(L.ones(1, 2, 3), [1, 1, 0, 4], align_corners=False), ValueError),
])
def test_errors_match_torch(call, exc):
    try:
        call(torch.nn.functional, torch)
    except exc as e:
        message = re.escape(str(e))
    else:
        raise AssertionError("torch did not raise")
    check_error(lambda lib: call(lib.nn.functional, lib), exc, message)
