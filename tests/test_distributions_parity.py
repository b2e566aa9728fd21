"""torch.distributions parity regressions: each test runs the same code in PyTorch and lamina
(torch is imported unconditionally: without it these fail, never skip)."""
import numpy as np
import pytest
import torch

import lamina
from oracle import check, check_error

DTYPES = ["float32", "float64"]


def D(lib):
    return lib.distributions


def TR(lib):
    return lib.distributions.transforms


def pos(x):
    return x.exp()


def T(lib, a):
    return (torch if lib is torch else lamina).from_numpy(np.array(a, copy=True))


def both(fn):
    """fn(torch), fn(lamina)."""
    return fn(torch), fn(lamina)


# ---------------------------------------------------------------- parameters and dtypes
def test_parameters_stay_the_given_tensors():
    # broadcast_all hands back a tensor already of the broadcast shape as it is (a leaf stays a leaf)
    def fn(lib):
        loc = lib.zeros(3, requires_grad=True)
        hi = lib.ones(3, requires_grad=True)
        d, u = D(lib).Normal(loc, 1.0), D(lib).Uniform(loc, hi)
        return d.loc is loc, d.loc.is_leaf, repr(u.support), repr(D(lib).Bernoulli(logits=hi).probs.grad_fn is None)
    t, m = both(fn)
    assert t == m


@pytest.mark.parametrize("name", ["Gamma", "HalfCauchy", "Chi2"])
def test_log_prob_in_the_parameters_dtype(name):
    # Gamma and HalfCauchy evaluate a float64 value in their (float32) parameters' dtype
    args = {"Gamma": (2.0, 0.5), "HalfCauchy": (2.0,), "Chi2": (3.0,)}[name]
    check(lambda lib, v: getattr(D(lib), name)(*args).log_prob(v.exp()), [(4,)], dtype="float64",
          atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("make", [
    lambda lib: D(lib).Gamma(2.0, 0.5), lambda lib: D(lib).Chi2(3.0), lambda lib: D(lib).StudentT(5.0),
    lambda lib: D(lib).FisherSnedecor(5.0, 10.0), lambda lib: D(lib).InverseGamma(3.0, 2.0),
    lambda lib: D(lib).Binomial(5, probs=0.3), lambda lib: D(lib).Poisson(2.5),
    lambda lib: D(lib).NegativeBinomial(4.0, probs=0.3), lambda lib: D(lib).VonMises(0.5, 2.0)])
def test_sampling_with_number_parameters(make):
    # 0-d draws come back from NumPy as scalars: every sampler must still return a 0-d tensor
    t, m = make(torch).sample(), make(lamina).sample()
    assert (tuple(m.shape), str(m.dtype)) == (tuple(t.shape), str(t.dtype)) == ((), "torch.float32")
    assert tuple(make(lamina).sample((3,)).shape) == (3,)


def test_sample_shape_errors_and_sample_n_warning():
    def msf(lib):
        return D(lib).MixtureSameFamily(D(lib).Categorical(lib.ones(3)), D(lib).Normal(lib.zeros(3), lib.ones(3)))
    check_error(lambda lib: msf(lib).sample(3), TypeError, "object of type 'int' has no len")
    for lib in (torch, lamina):
        with pytest.warns(FutureWarning, match=r"`sample_n\(n\)` will be deprecated"):
            D(lib).Normal(0.0, 1.0).sample_n(2)


def test_lowrank_incompatible_batch_shapes():
    check_error(lambda lib: D(lib).LowRankMultivariateNormal(lib.zeros(3, 2), lib.ones(4, 2, 1), lib.ones(2)),
                ValueError, r"Incompatible batch shapes: loc torch.Size\(\[3, 2\]\), cov_factor "
                            r"torch.Size\(\[4, 2, 1\]\), cov_diag torch.Size\(\[2\]\)")


# ---------------------------------------------------------------- register_kl, ExponentialFamily
def test_register_kl_accepts_any_class_and_refuses_non_classes():
    for lib in (torch, lamina):
        assert callable(D(lib).register_kl(int, D(lib).Normal))
    check_error(lambda lib: D(lib).register_kl(D(lib).Normal, 3), TypeError, "issubclass")


def _my_exponential(lib):
    class MyExp(D(lib).ExponentialFamily):
        arg_constraints = {}

        def __init__(self, rate):
            self.rate = rate
            super().__init__(rate.shape)

        @property
        def _natural_params(self):
            return (-self.rate,)

        def _log_normalizer(self, x):
            return -lib.log(-x)

        _mean_carrier_measure = 0
    return MyExp


def test_exponential_family_bregman_entropy_and_kl():
    def fn(lib, r, r2):
        MyExp = _my_exponential(lib)
        return MyExp(pos(r)).entropy(), D(lib).kl_divergence(MyExp(pos(r)), MyExp(pos(r2)))
    check(fn, [(3,), (3,)], dtype="float64")


# ---------------------------------------------------------------- transforms: caching and identity
def test_transform_cache_returns_the_same_tensors():
    def fn(lib):
        x = lib.randn(3)
        out = []
        for t in (TR(lib).TanhTransform(cache_size=1), TR(lib).AffineTransform(1.0, 2.0).with_cache(1),
                  TR(lib).ComposeTransform([TR(lib).ExpTransform(), TR(lib).SigmoidTransform()], cache_size=1)):
            y = t(x)
            out.append((t.inv(y) is x, t(x) is y, t.inv is t.inv, t.inv.inv is t, t.with_cache(1) is t))
        plain = TR(lib).ExpTransform()
        out.append((plain.inv(plain(x)) is x, plain.with_cache(1)._cache_size))
        return out
    t, m = both(fn)
    assert t == m


def test_transform_sign_and_with_cache_errors():
    for name in ["AbsTransform", "SoftmaxTransform", "StickBreakingTransform", "LowerCholeskyTransform"]:
        check_error(lambda lib: getattr(TR(lib), name)().sign, NotImplementedError, "^$")

    def custom(lib):
        class My(TR(lib).Transform):
            def __init__(self, a):
                super().__init__()
        return My(1).with_cache(1)
    check_error(custom, NotImplementedError, r"\.My'>.with_cache is not implemented")
    for lib in (torch, lamina):
        assert [p._cache_size for p in TR(lib).ComposeTransform([TR(lib).ExpTransform()], cache_size=1).parts] == [1]


def test_squashed_gaussian_log_prob_of_saturated_samples():
    # SAC: with a cached tanh, log_prob of a sample whose tanh rounds to ±1 stays finite
    def fn(lib, loc, log_std):
        base = D(lib).Independent(D(lib).Normal(loc * 10, log_std.exp()), 1)
        d = D(lib).TransformedDistribution(base, [TR(lib).TanhTransform(cache_size=1)])
        x = loc * 10 + 0.1
        y = d.transforms[0](x)
        return d.log_prob(y), lib.isfinite(d.log_prob(d.rsample((50,)))).all()
    check(fn, [(4, 3), (3,)])


# ---------------------------------------------------------------- new transforms, constraints, registry
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("make,shape", [
    (lambda lib: TR(lib).CorrCholeskyTransform(), (2, 6)),
    (lambda lib: TR(lib).PositiveDefiniteTransform(), (2, 3, 3)),
    (lambda lib: TR(lib).CatTransform([TR(lib).ExpTransform(), TR(lib).SigmoidTransform()], dim=-1, lengths=[1, 2]), (2, 3)),
    (lambda lib: TR(lib).CatTransform([TR(lib).SigmoidTransform(), TR(lib).AffineTransform(1.0, -2.0)], dim=0), (2, 3)),
    (lambda lib: TR(lib).StackTransform([TR(lib).ExpTransform(), TR(lib).TanhTransform()], dim=0), (2, 3)),
])
def test_new_transforms(dtype, make, shape):
    def fn(lib, x):
        t = make(lib)
        y = t(x * 0.5)
        out = [y, t.inv(y.detach()), t.codomain.check(y.detach())]
        if not isinstance(t, TR(lib).PositiveDefiniteTransform):
            out.append(t.log_abs_det_jacobian(x * 0.5, y))
        return out
    check(fn, [shape], dtype=dtype)
    t, m = make(torch), make(lamina)
    assert (repr(m.domain), repr(m.codomain), m.bijective) == (repr(t.domain), repr(t.codomain), t.bijective)


def test_new_constraints_and_registry():
    mats = np.stack([np.eye(3), np.array([[1.0, 0, 0], [0.6, 0.8, 0], [0.0, 0.6, 0.8]]),
                     np.array([[1.0, 0, 0], [0.5, 2.0, 0], [0.1, 0.2, 0.3]])])
    vec = np.array([[0.5, -1.0, 0.3], [-0.5, 2.0, 1.5]])

    def fn(lib, m, v):
        c = D(lib).constraints
        cat = c.cat([c.positive, c.unit_interval], dim=-1, lengths=[1, 2])
        stack = c.stack([c.positive, c.real, c.unit_interval], dim=-1)
        return (c.corr_cholesky.check(m), cat.check(v), stack.check(v), stack.event_dim,
                D(lib).biject_to(cat)(v), D(lib).transform_to(stack)(v), D(lib).transform_to(c.positive_definite)(m))
    check(fn, [mats, vec], dtype="float64", grad=False)
    for name in ["cat", "corr_cholesky", "stack"]:
        assert name in lamina.distributions.constraints.__all__
    check_error(lambda lib: D(lib).constraints.independent(D(lib).constraints.real, -1), AssertionError,
                "reinterpreted_batch_ndims must be >= 0, got -1")
    check_error(lambda lib: D(lib).constraints.cat([D(lib).constraints.real], lengths=[1, 2]), AssertionError,
                r"lengths \(2\) must match cseq \(1\)")
    assert sorted(lamina.distributions.__all__) == sorted(torch.distributions.__all__)
    assert sorted(lamina.distributions.transforms.__all__) == sorted(torch.distributions.transforms.__all__)


def test_tril_vector_helpers():
    from lamina.distributions import utils as lu
    from torch.distributions import utils as tu
    check(lambda lib, v: (lu if lib is lamina else tu).vec_to_tril_matrix(v, diag=-1), [(2, 6)])
    check(lambda lib, m: (lu if lib is lamina else tu).tril_matrix_to_vec(m, diag=-1), [(2, 4, 4)])


# ---------------------------------------------------------------- GeneralizedPareto, LKJCholesky, Wishart
def test_generalized_pareto():
    def fn(lib, loc, s, c, u):
        d = D(lib).GeneralizedPareto(loc, pos(s), c * 0.3)
        v = d.icdf(u.sigmoid())
        return (d.log_prob(v), d.cdf(v), v, d.entropy(), d.mean, d.variance, d.mode,
                d.support.upper_bound, d.expand((2, 3)).log_prob(v))
    check(fn, [(3,), (3,), (3,), (2, 3)])
    check(lambda lib, v: D(lib).GeneralizedPareto(0.0, 1.0, 0.0).log_prob(v.exp()), [(4,)])
    d = lamina.distributions.GeneralizedPareto(lamina.zeros(3), lamina.ones(3), lamina.full((3,), 0.2))
    assert d.rsample((5,)).requires_grad is False and tuple(d.rsample((5,)).shape) == (5, 3)


@pytest.mark.parametrize("dtype", DTYPES)
def test_lkj_cholesky(dtype):
    corr = np.linalg.cholesky(np.array([[1.0, 0.3, 0.1], [0.3, 1.0, -0.2], [0.1, -0.2, 1.0]])).astype(dtype)

    def fn(lib, c, L):
        d = D(lib).LKJCholesky(3, pos(c))
        return d.log_prob(L), d.expand((4, 2)).log_prob(L), repr(d.support)
    check(fn, [(2,), corr], dtype=dtype)
    x = lamina.distributions.LKJCholesky(4, lamina.tensor([0.5, 2.0])).sample((100,))
    assert tuple(x.shape) == (100, 2, 4, 4)
    assert bool(lamina.distributions.constraints.corr_cholesky.check(x).all())
    check_error(lambda lib: D(lib).LKJCholesky(1), ValueError, "Found dim=1")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("which", ["covariance_matrix", "precision_matrix", "scale_tril"])
def test_wishart(dtype, which):
    def fn(lib, df, a, b, a2):
        m = a @ a.mT + lib.eye(3, dtype=a.dtype)
        if which == "scale_tril":
            m = lib.linalg.cholesky(m)
        d = D(lib).Wishart(pos(df) + 4, **{which: m})
        q = D(lib).Wishart(pos(df) + 5, covariance_matrix=a2 @ a2.mT + lib.eye(3, dtype=a.dtype))
        v = b @ b.mT + lib.eye(3, dtype=a.dtype)
        return (d.log_prob(v), d.entropy(), d.mean, d.variance, d.mode, d.expand((2, 2)).log_prob(v),
                D(lib).kl_divergence(d, q))
    check(fn, [(2,), (3, 3), (3, 3), (3, 3)], dtype=dtype)
    d = lamina.distributions.Wishart(lamina.tensor([4.0, 6.0]), lamina.eye(3))
    with pytest.warns(UserWarning, match="Singular sample detected"):
        x = d.rsample((200,))
    assert tuple(x.shape) == (200, 2, 3, 3) and bool(d.support.check(x).all())
    np.testing.assert_allclose(x.mean(0).numpy(), d.mean.numpy(), rtol=0.25, atol=0.6)
    check_error(lambda lib: D(lib).Wishart(lib.tensor(1.0), lib.eye(3)), ValueError, "greater than ndim - 1 = 2")
    check_error(lambda lib: D(lib).Wishart(lib.tensor(3.0)), AssertionError, "Exactly one of")
