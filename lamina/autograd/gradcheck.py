"""gradcheck: compare analytic gradients with central finite differences (use float64 inputs)."""
import numpy as np


class GradcheckError(RuntimeError):
    """Raised by gradcheck when the analytic and numerical Jacobians differ."""


def _outputs(func, inputs):
    from ..tensor import Tensor
    out = func(*inputs)
    out = out if isinstance(out, (tuple, list)) else (out,)
    return [o for o in out if isinstance(o, Tensor)]


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, nondet_tol=0.0,
              check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
              check_batched_forward_grad=False, check_forward_ad=False, check_backward_ad=True,
              fast_mode=False, masked=None):
    """True when, for every differentiable input and output, the Jacobian from backward matches
    central differences (f(x + eps) - f(x - eps)) / 2eps within atol + rtol * |numerical|;
    otherwise raises GradcheckError (or returns False with raise_exception=False).

    Args:
        func: a function of `inputs` returning a Tensor or a tuple of Tensors.
        inputs: a Tensor or tuple of Tensors; those with requires_grad=True are checked.
        eps, atol, rtol: the finite-difference step and the tolerances."""
    from ..tensor import Tensor
    from . import grad as autograd_grad
    from .grad_mode import no_grad
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    diff = [(i, t) for i, t in enumerate(inputs) if isinstance(t, Tensor) and t._requires_grad]
    if not diff:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, but none of the them "
                         "have requires_grad=True.")
    for i, t in diff:
        if t._data.dtype != np.float64:
            import warnings
            warnings.warn(f"Input #{i} requires gradient and is not a double precision floating point. This check "
                          "will likely fail if all the inputs are not of double precision floating point. ",
                          UserWarning, stacklevel=2)
    outs = _outputs(func, inputs)

    def fail(msg):
        if raise_exception:
            raise GradcheckError(msg)
        return False

    for oi, out in enumerate(outs):
        if not out._requires_grad:
            continue
        n_out = out._data.size
        for ii, t in diff:
            arr = t._data
            numeric = np.zeros((arr.size, n_out))
            for j, index in enumerate(np.ndindex(arr.shape)):
                orig = arr[index].copy()
                with no_grad():
                    arr[index] = orig + eps
                    plus = _outputs(func, inputs)[oi]._data.astype(np.float64).reshape(-1)
                    arr[index] = orig - eps
                    minus = _outputs(func, inputs)[oi]._data.astype(np.float64).reshape(-1)
                    arr[index] = orig
                numeric[j] = (plus - minus) / (2 * eps)
            analytic = np.zeros((arr.size, n_out))
            for k in range(n_out):
                seed = np.zeros(n_out, dtype=out._data.dtype)
                seed[k] = 1
                fresh = _outputs(func, inputs)[oi]
                g, = autograd_grad(fresh, t, grad_outputs=Tensor._wrap(seed.reshape(out._data.shape)),
                                   allow_unused=True)
                if g is not None:
                    if g._data.shape != arr.shape:
                        return fail(f"Gradient has wrong shape for input {ii}: {list(g._data.shape)} instead of "
                                    f"{list(arr.shape)}")
                    analytic[:, k] = g._data.astype(np.float64).reshape(-1)
            if not np.allclose(analytic, numeric, atol=atol, rtol=rtol):
                return fail(f"Jacobian mismatch for output {oi} with respect to input {ii},\n"
                            f"numerical:{numeric}\nanalytical:{analytic}\n")
    return True


def gradgradcheck(*args, **kwargs):
    raise NotImplementedError("lamina does not support higher-order gradients (create_graph=True)")
