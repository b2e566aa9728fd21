"""gradcheck: compare analytic gradients with central finite differences in float64."""
import numpy as np


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, **kwargs):
    """True when every input's analytic Jacobian matches the numerical one; otherwise raises
    (or returns False with raise_exception=False). Inputs should be float64 for a fair check."""
    from ..tensor import Tensor
    from .grad_mode import no_grad
    inputs = inputs if isinstance(inputs, tuple) else (inputs,)
    diff = [t for t in inputs if isinstance(t, Tensor) and t._requires_grad]

    def outputs_of():
        out = func(*inputs)
        return out if isinstance(out, tuple) else (out,)

    outs = [o for o in outputs_of() if isinstance(o, Tensor)]
    for oi, out in enumerate(outs):
        if not out._requires_grad:
            continue
        n_out = out.data.size
        for ti, t in enumerate(diff):
            numeric = np.zeros((t.data.size, n_out))
            flat = t.data.reshape(-1)
            for j in range(t.data.size):
                orig = flat[j]
                with no_grad():
                    flat[j] = orig + eps
                    plus = outputs_of()[oi].data.reshape(-1).astype(np.float64)
                    flat[j] = orig - eps
                    minus = outputs_of()[oi].data.reshape(-1).astype(np.float64)
                    flat[j] = orig
                numeric[j] = (plus - minus) / (2 * eps)
            analytic = np.zeros((t.data.size, n_out))
            for k in range(n_out):
                from . import grad as autograd_grad
                seed = np.zeros(n_out, dtype=out.data.dtype)
                seed[k] = 1
                fresh = outputs_of()[oi]
                g, = autograd_grad(fresh, t, grad_outputs=Tensor._wrap(seed.reshape(out.data.shape)),
                                   allow_unused=True)
                if g is not None:
                    analytic[:, k] = g.data.reshape(-1)
            if not np.allclose(analytic, numeric, atol=atol, rtol=rtol):
                if raise_exception:
                    raise RuntimeError(f"Jacobian mismatch for output {oi} with respect to input {ti},\n"
                                       f"numerical:{numeric}\nanalytical:{analytic}\n")
                return False
    return True


def gradgradcheck(*args, **kwargs):
    raise NotImplementedError("lamina does not support higher-order gradients (create_graph=True)")
