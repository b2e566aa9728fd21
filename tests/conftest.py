"""Test setup: the oracle must be importable (a missing torch fails the run, it never skips),
and both libraries run single-threaded-equal and seeded."""
import os
import sys

import numpy as np
import pytest
import torch  # noqa: F401 - imported here so that a missing oracle is an error, not a skip

sys.path.insert(0, os.path.dirname(__file__))
torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _seeded():
    import lamina
    torch.manual_seed(0)
    lamina.manual_seed(0)
    np.random.seed(0)
    yield


@pytest.fixture(params=["numba", "numpy"])
def kernel_path(request):
    """Runs a test twice: with lamina's compiled kernels (lamina/_accel, numba) and with its
    NumPy paths, for the modules whose ops have both."""
    from lamina._accel import disabled
    if request.param == "numpy":
        with disabled():
            yield request.param
    else:
        yield request.param
