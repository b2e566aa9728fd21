"""What Normal, Laplace and Cauchy share as real-valued location-scale families given loc and scale."""
from . import constraints


class LocScale:
    """Mixin: parameters loc (real) and scale (> 0) broadcast together, support the real line,
    reparameterized samples, mode at loc. Each family keeps its own density, moments and sampler."""
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self._init_params(validate_args, loc=loc, scale=scale)

    def expand(self, batch_shape, _instance=None):
        # the family is the class that lists LocScale as a base (so a subclass's error names it)
        family = next(c for c in type(self).__mro__ if LocScale in c.__bases__)
        return self._expanded(family, batch_shape, _instance, (("loc", ()), ("scale", ())))

    @property
    def mode(self):
        return self.loc
