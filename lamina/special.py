"""torch.special: special functions under their torch.special names (the work is in lamina.ops.special)."""
from .ops.softmax import log_softmax as _log_softmax, softmax as _softmax
from .ops.pointwise import erf, exp2, expm1, log1p, logit, round, sigmoid as expit
from .ops.reduction import logsumexp
from .ops.special import (digamma, entr, erfc, erfcx, erfinv, i0, i0e, i1, i1e, igamma as gammainc,
                          igammac as gammaincc, lgamma as gammaln, log_ndtr,
                          mvlgamma as multigammaln, ndtri, polygamma, sinc, xlog1py, xlogy, zeta)

__all__ = ["expit", "logit", "erf", "erfc", "erfinv", "gammaln", "digamma", "psi", "polygamma", "multigammaln",
           "i0", "sinc", "xlogy", "xlog1py", "entr", "log1p", "expm1", "exp2", "log_softmax", "softmax",
           "logsumexp", "ndtr", "ndtri", "round", "i0e", "i1", "i1e", "erfcx", "log_ndtr", "zeta", "gammainc",
           "gammaincc"]

psi = digamma


def ndtr(input):
    """The standard normal CDF Φ(x) = erfc(−x/√2) / 2 (erfc keeps the far left tail accurate)."""
    return erfc(input * -0.7071067811865476) * 0.5


def softmax(input, dim, *, dtype=None):
    """softmax along `dim` (required here, unlike torch.nn.functional.softmax)."""
    return _softmax(input, dim, dtype=dtype)


def log_softmax(input, dim, *, dtype=None):
    """log_softmax along `dim` (required here)."""
    return _log_softmax(input, dim, dtype=dtype)
