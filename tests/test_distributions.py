"""torch.distributions: densities, moments, entropies, KL values and their parameter gradients
against PyTorch; samples by shape, dtype, support and moments (lamina's generator differs)."""
import re

import numpy as np
import pytest
import torch

import lamina
from oracle import check, check_error

DTYPES = ["float32", "float64"]


def D(lib):
    return lib.distributions


def pos(x):
    """A positive parameter from normal data (differentiable in both libraries)."""
    return x.exp()


def unit(x):
    return x.sigmoid()


# ---------------------------------------------------------------- Normal
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shapes", [((3,), (3,), (3,)), ((2, 1), (4,), (5, 2, 4)), ((), (), (6,)), ((0,), (1,), (0,))])
def test_normal_values_and_grads(dtype, shapes):
    def fn(lib, loc, s, v):
        d = D(lib).Normal(loc, pos(s))
        return d.log_prob(v), d.cdf(v), d.entropy(), d.mean, d.variance, d.stddev, d.mode
    check(fn, list(shapes), dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_normal_icdf(dtype):
    check(lambda lib, loc, s, u: D(lib).Normal(loc, pos(s)).icdf(unit(u)), [(4,), (4,), (3, 4)], dtype=dtype)


def test_normal_number_params():
    check(lambda lib, v: D(lib).Normal(0.5, 2.0).log_prob(v), [(5,)])
    assert lamina.distributions.Normal(0.0, 1.0).batch_shape == ()
    assert lamina.distributions.Normal(0.0, 1.0).sample().dtype == lamina.float32


# ---------------------------------------------------------------- Bernoulli
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("use_logits", [False, True])
def test_bernoulli_values_and_grads(dtype, use_logits):
    value = (np.arange(12).reshape(3, 4) % 2).astype(dtype)

    def fn(lib, p, v):
        d = D(lib).Bernoulli(logits=p) if use_logits else D(lib).Bernoulli(probs=unit(p))
        return d.log_prob(v), d.entropy(), d.mean, d.variance, d.probs, d.logits
    check(fn, [(4,), value], dtype=dtype)


def test_bernoulli_mode_and_support():
    probs = np.array([0.2, 0.5, 0.9], dtype="float32")
    check(lambda lib, p: (D(lib).Bernoulli(p).mode, D(lib).Bernoulli(p).enumerate_support(),
                          D(lib).Bernoulli(p).enumerate_support(expand=False)), [probs], grad=False)


# ---------------------------------------------------------------- Categorical
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("use_logits", [False, True])
@pytest.mark.parametrize("pshape,vshape", [((5,), (7,)), ((2, 3, 4), (2, 3)), ((3, 4), (6, 1, 3))])
def test_categorical_values_and_grads(dtype, use_logits, pshape, vshape):
    k = pshape[-1]
    value = (np.arange(int(np.prod(vshape))).reshape(vshape) % k).astype(np.int64)

    def fn(lib, p, v):
        d = D(lib).Categorical(logits=p) if use_logits else D(lib).Categorical(probs=pos(p))
        return d.log_prob(v), d.entropy(), d.probs, d.logits, d.mode, d.mean, d.variance
    check(fn, [pshape, value], dtype=dtype)


def test_categorical_enumerate_support_and_shapes():
    check(lambda lib, p: (D(lib).Categorical(logits=p).enumerate_support(),
                          D(lib).Categorical(logits=p).enumerate_support(False),
                          D(lib).Categorical(logits=p).expand((4, 2)).log_prob(lib.tensor([1, 2]))), [(2, 3)])


def test_categorical_zero_probability_entropy():
    probs = np.array([[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]], dtype="float32")
    check(lambda lib, p: D(lib).Categorical(probs=p).entropy(), [probs])


# ---------------------------------------------------------------- Uniform
@pytest.mark.parametrize("dtype", DTYPES)
def test_uniform_values_and_grads(dtype):
    def fn(lib, lo, w, u):
        low = lo
        high = lo + pos(w)
        d = D(lib).Uniform(low, high, validate_args=False)
        v = low + unit(u) * (high - low)
        outside = high + 1.0
        return (d.log_prob(v), d.log_prob(outside), d.cdf(v), d.icdf(unit(u)), d.entropy(), d.mean,
                d.variance, d.stddev)
    check(fn, [(3,), (3,), (2, 3)], dtype=dtype)


# ---------------------------------------------------------------- OneHotCategorical, Independent
@pytest.mark.parametrize("dtype", DTYPES)
def test_one_hot_categorical(dtype):
    value = np.eye(4, dtype=dtype)[[0, 3, 1]]

    def fn(lib, p, v):
        d = D(lib).OneHotCategorical(logits=p)
        return d.log_prob(v), d.entropy(), d.mean, d.variance, d.mode, d.enumerate_support()
    check(fn, [(3, 4), value], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("ndims", [0, 1, 2])
def test_independent_normal(dtype, ndims):
    def fn(lib, loc, s, v):
        d = D(lib).Independent(D(lib).Normal(loc, pos(s)), ndims)
        return d.log_prob(v), d.entropy(), d.mean, d.variance, lib.tensor(list(d.batch_shape + d.event_shape))
    check(fn, [(2, 3), (2, 3), (4, 2, 3)], dtype=dtype)
    t = torch.distributions.Independent(torch.distributions.Normal(torch.zeros(2, 3), torch.ones(2, 3)), ndims)
    lm = lamina.distributions.Independent(lamina.distributions.Normal(lamina.zeros(2, 3), lamina.ones(2, 3)), ndims)
    assert (tuple(lm.batch_shape), tuple(lm.event_shape)) == (tuple(t.batch_shape), tuple(t.event_shape))
    assert repr(lm) == repr(t)


# ---------------------------------------------------------------- MultivariateNormal
def _spd(lib, a):
    n = a.shape[-1]
    return a @ a.mT + lib.eye(n, dtype=a.dtype)


def _tril(lib, a):
    return a.tril(-1) + lib.diag_embed(a.diagonal(dim1=-2, dim2=-1).exp())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("form", ["covariance_matrix", "precision_matrix", "scale_tril"])
@pytest.mark.parametrize("lshape,mshape,vshape", [((3,), (3, 3), (5, 3)), ((2, 3), (3, 3), (4, 2, 3)),
                                                 ((3,), (2, 3, 3), (2, 3)), ((1, 2), (4, 1, 2, 2), (4, 3, 2))])
def test_mvn_values_and_grads(dtype, form, lshape, mshape, vshape):
    def fn(lib, loc, a, v):
        m = _tril(lib, a) if form == "scale_tril" else _spd(lib, a)
        d = D(lib).MultivariateNormal(loc, **{form: m})
        return (d.log_prob(v), d.entropy(), d.mean, d.variance, d.covariance_matrix, d.scale_tril,
                d.precision_matrix)
    check(fn, [lshape, mshape, vshape], dtype=dtype, atol=1e-4 if dtype == "float32" else None)


def test_mvn_expand_and_repr():
    for lib in (torch, lamina):
        d = D(lib).MultivariateNormal(lib.zeros(2), scale_tril=lib.eye(2))
        e = d.expand((3,))
        assert tuple(e.batch_shape) == (3,) and tuple(e.event_shape) == (2,)
        assert tuple(e.sample((4,)).shape) == (4, 3, 2)
    assert repr(lamina.distributions.MultivariateNormal(lamina.zeros(2), scale_tril=lamina.eye(2))) == \
        repr(torch.distributions.MultivariateNormal(torch.zeros(2), scale_tril=torch.eye(2)))


# ---------------------------------------------------------------- KL
@pytest.mark.parametrize("dtype", DTYPES)
def test_kl_pairs(dtype):
    def fn(lib, a, b, c, d_, lo1, lo2):
        Dl = D(lib)
        kl = Dl.kl_divergence
        out = [kl(Dl.Normal(a, pos(b)), Dl.Normal(c, pos(d_))),
               kl(Dl.Bernoulli(logits=a), Dl.Bernoulli(probs=unit(c))),
               kl(Dl.Categorical(logits=lo1), Dl.Categorical(probs=pos(lo2))),
               kl(Dl.OneHotCategorical(logits=lo1), Dl.OneHotCategorical(logits=lo2)),
               kl(Dl.Independent(Dl.Normal(lo1, pos(lo2)), 1), Dl.Independent(Dl.Normal(lo2, 1.0), 1)),
               kl(Dl.Uniform(a, a + pos(b)), Dl.Uniform(a - pos(c), a + pos(b) + pos(d_))),
               kl(Dl.Uniform(a, a + 1.0), Dl.Uniform(a + 0.5, a + 2.0))]
        return out
    check(fn, [(4,), (4,), (4,), (4,), (4, 3), (4, 3)], dtype=dtype)


def test_kl_degenerate_probs_are_inf_or_zero():
    p = np.array([0.0, 1.0, 0.5, 0.3], dtype="float32")
    q = np.array([0.5, 0.5, 0.0, 1.0], dtype="float32")
    check(lambda lib, a, b: D(lib).kl_divergence(D(lib).Bernoulli(a), D(lib).Bernoulli(b)), [p, q], grad=False)
    cp = np.array([[0.0, 0.5, 0.5], [0.5, 0.5, 0.0]], dtype="float32")
    cq = np.array([[0.2, 0.8, 0.0], [0.5, 0.5, 0.0]], dtype="float32")
    check(lambda lib, a, b: D(lib).kl_divergence(D(lib).Categorical(a), D(lib).Categorical(b)), [cp, cq],
          grad=False)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("pshape,qshape", [((3, 3), (3, 3)), ((2, 3, 3), (3, 3)), ((3, 3), (4, 3, 3))])
def test_kl_mvn(dtype, pshape, qshape):
    def fn(lib, l1, a1, l2, a2):
        p = D(lib).MultivariateNormal(l1, covariance_matrix=_spd(lib, a1))
        q = D(lib).MultivariateNormal(l2, scale_tril=_tril(lib, a2))
        return D(lib).kl_divergence(p, q)
    check(fn, [(3,), pshape, (3,), qshape], dtype=dtype, atol=1e-4 if dtype == "float32" else None)


def test_kl_register_and_missing_pair():
    Dl = lamina.distributions

    class MyNormal(Dl.Normal):
        pass

    @Dl.register_kl(MyNormal, Dl.Normal)
    def _kl(p, q):
        return lamina.zeros(p.batch_shape)

    assert Dl.kl_divergence(MyNormal(0.0, 1.0), Dl.Normal(5.0, 1.0)).item() == 0.0
    # a subclass without its own entry falls back to the parent's pair
    assert Dl.kl_divergence(Dl.Normal(0.0, 1.0), MyNormal(1.0, 1.0)).item() == pytest.approx(0.5)
    check_error(lambda lib: D(lib).kl_divergence(D(lib).Categorical(lib.ones(2)), D(lib).Normal(0.0, 1.0)),
                NotImplementedError, "No KL\\(p \\|\\| q\\) is implemented for p type Categorical and q type Normal")


# ---------------------------------------------------------------- sampling
def _sample_stats(dist, n=20000):
    s = dist.sample((n,))
    return s, s.double().mean(0).numpy(), s.double().var(0).numpy()


def test_normal_sampling_moments_and_rsample_grad():
    lamina.manual_seed(0)
    Dl = lamina.distributions
    loc = lamina.tensor([0.0, 3.0], requires_grad=True)
    scale = lamina.tensor([1.0, 0.5], requires_grad=True)
    d = Dl.Normal(loc, scale)
    s, m, v = _sample_stats(d)
    assert s.shape == (20000, 2) and s.dtype == lamina.float32 and not s.requires_grad
    np.testing.assert_allclose(m, [0.0, 3.0], atol=0.05)
    np.testing.assert_allclose(v, [1.0, 0.25], rtol=0.05)
    r = d.rsample((1000,))
    assert r.requires_grad
    r.sum().backward()
    np.testing.assert_allclose(loc.grad.numpy(), [1000.0, 1000.0])
    # d(loc + eps*scale)/dscale = eps: the sum of the standard-normal draws
    eps = ((r.detach() - loc.detach()) / scale.detach()).sum(0).numpy()
    np.testing.assert_allclose(scale.grad.numpy(), eps, rtol=1e-4, atol=1e-2)


def test_discrete_sampling():
    lamina.manual_seed(1)
    Dl = lamina.distributions
    s, m, _ = _sample_stats(Dl.Bernoulli(lamina.tensor([0.1, 0.7])))
    assert s.dtype == lamina.float32 and set(np.unique(s.numpy())) <= {0.0, 1.0}
    np.testing.assert_allclose(m, [0.1, 0.7], atol=0.02)
    probs = lamina.tensor([[0.2, 0.0, 0.8], [0.5, 0.25, 0.25]])
    c = Dl.Categorical(probs=probs).sample((20000,))
    assert c.shape == (20000, 2) and c.dtype == lamina.int64
    freq = np.stack([(c.numpy() == k).mean(0) for k in range(3)], -1)
    np.testing.assert_allclose(freq, probs.numpy(), atol=0.02)
    oh = Dl.OneHotCategorical(probs=probs).sample((5, 7))
    assert oh.shape == (5, 7, 2, 3) and oh.dtype == lamina.float32
    np.testing.assert_array_equal(oh.numpy().sum(-1), 1.0)
    assert Dl.Categorical(logits=lamina.zeros(4)).sample().shape == ()


def test_uniform_and_mvn_sampling():
    lamina.manual_seed(2)
    Dl = lamina.distributions
    s, m, v = _sample_stats(Dl.Uniform(lamina.tensor([-1.0, 2.0]), lamina.tensor([1.0, 6.0])))
    assert s.numpy().min(0)[0] >= -1 and s.numpy().max(0)[1] < 6
    np.testing.assert_allclose(m, [0.0, 4.0], atol=0.05)
    cov = np.array([[2.0, 0.6], [0.6, 1.0]])
    d = Dl.MultivariateNormal(lamina.tensor([1.0, -1.0]), covariance_matrix=lamina.tensor(cov, dtype=lamina.float32))
    s = d.sample((40000,)).numpy().astype(np.float64)
    np.testing.assert_allclose(s.mean(0), [1.0, -1.0], atol=0.05)
    np.testing.assert_allclose(np.cov(s.T), cov, atol=0.06)
    assert d.rsample().shape == (2,)


def test_straight_through_grad():
    check(lambda lib, p: D(lib).OneHotCategoricalStraightThrough(logits=p).rsample().sum(-1), [(3, 4)])


# ---------------------------------------------------------------- validation, shapes, repr
@pytest.mark.parametrize("make,exc,msg", [
    (lambda lib: D(lib).Normal(lib.tensor([0.0, 1.0]), lib.tensor([1.0, -1.0])), ValueError,
     "Expected parameter scale (Tensor of shape (2,)) of distribution Normal(loc: torch.Size([2]), "
     "scale: torch.Size([2])) to satisfy the constraint GreaterThan(lower_bound=0.0), but found invalid values:"),
    (lambda lib: D(lib).Bernoulli(lib.tensor([1.5])), ValueError,
     "Expected parameter probs (Tensor of shape (1,)) of distribution Bernoulli(probs: tensor([1.5000])) to satisfy "
     "the constraint Interval(lower_bound=0.0, upper_bound=1.0)"),
    (lambda lib: D(lib).Bernoulli(), ValueError, "Either `probs` or `logits` must be specified, but not both."),
    (lambda lib: D(lib).Categorical(probs=lib.tensor(0.5)), ValueError,
     "`probs` parameter must be at least one-dimensional."),
    (lambda lib: D(lib).Categorical(probs=lib.tensor([0.5, -0.1])), ValueError,
     "to satisfy the constraint Simplex()"),
    (lambda lib: D(lib).Uniform(lib.tensor([2.0]), lib.tensor([1.0])), ValueError,
     "Expected parameter low (Tensor of shape (1,)) of distribution Uniform(low: tensor([2.]), high: tensor([1.])) "
     "to satisfy the constraint LessThan(upper_bound=tensor([1.]))"),
    (lambda lib: D(lib).Normal(lib.zeros(2), 1.0).log_prob(lib.zeros(3)), ValueError,
     "Value is not broadcastable with batch_shape+event_shape: torch.Size([3]) vs torch.Size([2])."),
    (lambda lib: D(lib).Normal(0.0, 1.0).log_prob(0.5), ValueError, "The value argument to log_prob must be a Tensor"),
    (lambda lib: D(lib).Bernoulli(0.3).log_prob(lib.tensor([0.5, 1.0])), ValueError,
     "Expected value argument (Tensor of shape (2,)) to be within the support (Boolean()) of the distribution "
     "Bernoulli(probs: 0.30000001192092896), but found invalid values:"),
    (lambda lib: D(lib).Categorical(logits=lib.zeros(3)).log_prob(lib.tensor(3)), ValueError,
     "to be within the support (IntegerInterval(lower_bound=0, upper_bound=2))"),
    (lambda lib: D(lib).MultivariateNormal(lib.zeros(2), lib.tensor([[1.0, 2.0], [2.0, 1.0]])), ValueError,
     "to satisfy the constraint PositiveDefinite()"),
    (lambda lib: D(lib).MultivariateNormal(lib.zeros(2), scale_tril=lib.eye(2), covariance_matrix=lib.eye(2)),
     ValueError, "Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified."),
    (lambda lib: D(lib).MultivariateNormal(lib.zeros(2), scale_tril=lib.ones(2)), ValueError,
     "scale_tril matrix must be at least two-dimensional, with optional leading batch dimensions"),
    (lambda lib: D(lib).MultivariateNormal(lib.zeros(2), lib.eye(2)).log_prob(lib.zeros(3)), ValueError,
     "The right-most size of value must match event_shape: torch.Size([3]) vs torch.Size([2])."),
    (lambda lib: D(lib).Independent(D(lib).Normal(lib.zeros(2), 1.0), 2), ValueError,
     "Expected reinterpreted_batch_ndims <= len(base_distribution.batch_shape), actual 2 vs 1"),
])
def test_errors(make, exc, msg):
    check_error(make, exc, re.escape(msg))


def test_validate_args_false_skips_checks():
    for lib in (torch, lamina):
        d = D(lib).Normal(lib.tensor([0.0]), lib.tensor([-1.0]), validate_args=False)
        assert d.scale.item() == -1.0
        D(lib).Bernoulli(0.3, validate_args=False).log_prob(lib.tensor(0.5))


@pytest.mark.parametrize("make", [
    lambda lib: D(lib).Normal(lib.zeros(2, 3), lib.ones(3)),
    lambda lib: D(lib).Normal(0.0, 1.0),
    lambda lib: D(lib).Bernoulli(logits=lib.zeros(4)),
    lambda lib: D(lib).Categorical(probs=lib.ones(2, 5)),
    lambda lib: D(lib).OneHotCategorical(logits=lib.zeros(3)),
    lambda lib: D(lib).Uniform(lib.zeros(2), 1.0),
    lambda lib: D(lib).MultivariateNormal(lib.zeros(3), precision_matrix=lib.eye(3)),
])
def test_shapes_repr_expand(make):
    t, lm = make(torch), make(lamina)
    assert repr(lm) == repr(t)
    assert lm.batch_shape == lamina.Size(t.batch_shape) and lm.event_shape == lamina.Size(t.event_shape)
    assert lm.has_rsample == t.has_rsample and lm.has_enumerate_support == t.has_enumerate_support
    assert tuple(lm.sample((2, 1)).shape) == tuple(t.sample((2, 1)).shape)
    assert lm.sample().dtype.__repr__() == repr(t.sample().dtype)
    new_batch = (4,) + tuple(t.batch_shape)
    te, le = t.expand(new_batch), lm.expand(new_batch)
    assert tuple(le.batch_shape) == tuple(te.batch_shape)
    assert tuple(le.sample().shape) == tuple(te.sample().shape)
    assert repr(le) == repr(te)


def test_constraint_reprs():
    for name in ["real", "positive", "nonnegative", "unit_interval", "simplex", "boolean", "real_vector",
                 "nonnegative_integer", "lower_cholesky", "positive_definite", "one_hot"]:
        assert repr(getattr(lamina.distributions.constraints, name)) == repr(getattr(torch.distributions.constraints, name))


# ---------------------------------------------------------------- Gamma, Beta, Dirichlet
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shapes", [((3,), (3,), (4, 3)), ((2, 1), (3,), (2, 3)), ((), (), (5,))])
def test_gamma_values_and_grads(dtype, shapes):
    def fn(lib, a, b, v):
        d = D(lib).Gamma(pos(a), pos(b))
        return d.log_prob(pos(v)), d.entropy(), d.mean, d.mode, d.variance, d.stddev
    check(fn, list(shapes), dtype=dtype)


@pytest.mark.parametrize("alpha", [0.1, 0.7, 1.0, 3.0, 20.0, 500.0])
def test_gamma_rsample_gradient_matches_torch_implicit_gradient(alpha):
    # the reparameterized sample is differentiable in the concentration: d x / d alpha at fixed CDF
    # level; PyTorch's own approximation of that derivative is accurate to about 1e-3
    lamina.manual_seed(3)
    a = lamina.full((2000,), alpha, dtype=lamina.float64, requires_grad=True)
    x = D(lamina).Gamma(a, 1.0).rsample()
    x.sum().backward()
    ref = torch._standard_gamma_grad(torch.full((2000,), alpha, dtype=torch.float64), torch.from_numpy(x.detach().numpy()))
    np.testing.assert_allclose(a.grad.numpy(), ref.numpy(), rtol=2e-3, atol=1e-8)
    # the rate enters as x / rate
    lamina.manual_seed(3)
    rate = lamina.tensor(2.0, dtype=lamina.float64, requires_grad=True)
    y = D(lamina).Gamma(lamina.full((2000,), alpha, dtype=lamina.float64), rate).rsample()
    y.sum().backward()
    assert rate.grad.item() == pytest.approx(-(y.detach().sum().item()) / 2.0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_beta_dirichlet_values_and_grads(dtype):
    def fn(lib, a, b, u, c, w):
        beta = D(lib).Beta(pos(a), pos(b))
        dirich = D(lib).Dirichlet(pos(c))
        v = lib.softmax(w, -1)
        return (beta.log_prob(unit(u)), beta.entropy(), beta.mean, beta.variance, beta.mode,
                beta.concentration1, beta.concentration0,
                dirich.log_prob(v), dirich.entropy(), dirich.mean, dirich.variance, dirich.mode)
    check(fn, [(3,), (3,), (2, 3), (2, 4), (5, 2, 4)], dtype=dtype)


def test_beta_and_dirichlet_mode_below_one():
    c = np.array([[0.5, 0.3, 0.8], [2.0, 3.0, 4.0]], dtype="float32")
    check(lambda lib, x: (D(lib).Dirichlet(x).mode, D(lib).Beta(x[:, 0], x[:, 1]).mode), [c], grad=False)


# ---------------------------------------------------------------- Exponential, Laplace, LogNormal
@pytest.mark.parametrize("dtype", DTYPES)
def test_exponential_laplace_lognormal(dtype):
    def fn(lib, r, loc, s, v, u):
        e = D(lib).Exponential(pos(r))
        la = D(lib).Laplace(loc, pos(s))
        ln = D(lib).LogNormal(loc, pos(s))
        return (e.log_prob(pos(v)), e.cdf(pos(v)), e.icdf(unit(u)), e.entropy(), e.mean, e.mode, e.variance,
                e.stddev,
                la.log_prob(v), la.cdf(v), la.icdf(unit(u)), la.entropy(), la.mean, la.variance, la.stddev,
                ln.log_prob(pos(v)), ln.cdf(pos(v)), ln.icdf(unit(u)), ln.entropy(), ln.mean, ln.mode,
                ln.variance)
    check(fn, [(3,), (3,), (3,), (4, 3), (4, 3)], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_transformed_distribution(dtype):
    def fn(lib, loc, s, a, b, v):
        T = D(lib).transforms
        base = D(lib).Normal(loc, pos(s))
        squashed = D(lib).TransformedDistribution(base, [T.TanhTransform(), T.AffineTransform(a, pos(b))])
        logistic = D(lib).TransformedDistribution(base, T.SigmoidTransform())
        y = a + pos(b) * lib.tanh(v)
        return (squashed.log_prob(y), squashed.cdf(y), logistic.log_prob(lib.sigmoid(v)),
                logistic.icdf(lib.sigmoid(v)))
    check(fn, [(3,), (3,), (3,), (3,), (5, 3)], dtype=dtype)
    for lib in (torch, lamina):
        T = D(lib).transforms
        d = D(lib).TransformedDistribution(D(lib).Normal(lib.zeros(3), 1.0), T.AffineTransform(0.0, 2.0))
        assert tuple(d.batch_shape) == (3,) and tuple(d.rsample((2,)).shape) == (2, 3)
        assert tuple(d.expand((4, 3)).batch_shape) == (4, 3)


# ---------------------------------------------------------------- Poisson, Binomial
@pytest.mark.parametrize("dtype", DTYPES)
def test_poisson_binomial(dtype):
    k = np.array([[0, 1, 4], [2, 3, 0]], dtype=dtype)

    def fn(lib, r, p, counts):
        po = D(lib).Poisson(pos(r))
        b1 = D(lib).Binomial(5, probs=unit(p))
        b2 = D(lib).Binomial(lib.tensor([4.0, 5.0, 6.0], dtype=p.dtype), logits=p)
        return (po.log_prob(counts), po.mean, po.mode, po.variance,
                b1.log_prob(counts), b1.entropy(), b1.mean, b1.mode, b1.variance, b1.enumerate_support(),
                b2.log_prob(counts), b2.logits, b2.probs)
    check(fn, [(3,), (3,), k], dtype=dtype)


def test_poisson_entropy_not_implemented():
    check_error(lambda lib: D(lib).Poisson(lib.tensor([2.0])).entropy(), NotImplementedError, "^$")
    check_error(lambda lib: D(lib).Binomial(lib.tensor([2.0, 3.0]), lib.tensor([0.5, 0.5])).entropy(),
                NotImplementedError, "Inhomogeneous total count not supported by `entropy`.")


# ---------------------------------------------------------------- more KL pairs
@pytest.mark.parametrize("dtype", DTYPES)
def test_kl_more_pairs(dtype):
    def fn(lib, a, b, c, d_, m):
        Dl = D(lib)
        kl = Dl.kl_divergence
        return [kl(Dl.Gamma(pos(a), pos(b)), Dl.Gamma(pos(c), pos(d_))),
                kl(Dl.Beta(pos(a), pos(b)), Dl.Beta(pos(c), pos(d_))),
                kl(Dl.Dirichlet(pos(m)), Dl.Dirichlet(pos(m.flip(-1)))),
                kl(Dl.Exponential(pos(a)), Dl.Exponential(pos(c))),
                kl(Dl.Laplace(a, pos(b)), Dl.Laplace(c, pos(d_))),
                kl(Dl.Poisson(pos(a)), Dl.Poisson(pos(c))),
                kl(Dl.LogNormal(a, pos(b)), Dl.LogNormal(c, pos(d_)))]
    check(fn, [(4,), (4,), (4,), (4,), (4, 3)], dtype=dtype)


# ---------------------------------------------------------------- sampling of the rest
@pytest.mark.parametrize("name,make,mean,var,support", [
    ("gamma", lambda L: L.distributions.Gamma(L.tensor([0.5, 4.0]), L.tensor([1.0, 2.0])), [0.5, 2.0], [0.5, 1.0],
     lambda s: s > 0),
    ("beta", lambda L: L.distributions.Beta(L.tensor([0.5, 2.0]), L.tensor([0.5, 5.0])), [0.5, 2 / 7],
     [0.125, 10 / 392], lambda s: (s >= 0) & (s <= 1)),
    ("exponential", lambda L: L.distributions.Exponential(L.tensor([0.5, 4.0])), [2.0, 0.25], [4.0, 0.0625],
     lambda s: s >= 0),
    ("laplace", lambda L: L.distributions.Laplace(L.tensor([1.0, -2.0]), L.tensor([0.5, 2.0])), [1.0, -2.0],
     [0.5, 8.0], lambda s: np.isfinite(s)),
    ("poisson", lambda L: L.distributions.Poisson(L.tensor([0.5, 7.0])), [0.5, 7.0], [0.5, 7.0],
     lambda s: s == np.round(s)),
    ("binomial", lambda L: L.distributions.Binomial(10, L.tensor([0.2, 0.9])), [2.0, 9.0], [1.6, 0.9],
     lambda s: (s == np.round(s)) & (s <= 10)),
    ("lognormal", lambda L: L.distributions.LogNormal(L.tensor([0.0, 1.0]), L.tensor([0.25, 0.1])),
     [np.exp(0.03125), np.exp(1.005)], [np.expm1(0.0625) * np.exp(0.0625), np.expm1(0.01) * np.exp(2.01)],
     lambda s: s > 0),
])
def test_sampling_moments(name, make, mean, var, support):
    lamina.manual_seed(4)
    d = make(lamina)
    s = d.sample((40000,))
    t = make(torch).sample((3,))
    assert s.dtype == lamina.float32 and str(t.dtype) == "torch.float32"
    assert s.shape == (40000, 2)
    arr = s.numpy().astype(np.float64)
    assert support(arr).all()
    np.testing.assert_allclose(arr.mean(0), mean, rtol=0.03, atol=0.02)
    np.testing.assert_allclose(arr.var(0), var, rtol=0.08, atol=0.005)


def test_dirichlet_sampling_and_rsample_grad():
    lamina.manual_seed(5)
    c = lamina.tensor([1.0, 2.0, 3.0], requires_grad=True)
    d = D(lamina).Dirichlet(c)
    s = d.rsample((20000,))
    np.testing.assert_allclose(s.detach().numpy().sum(-1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(s.detach().numpy().mean(0), [1 / 6, 2 / 6, 3 / 6], atol=0.01)
    # E[x_0] = c_0 / Σc; the pathwise gradient of the sample mean estimates its derivative
    s[:, 0].mean().backward()
    np.testing.assert_allclose(c.grad.numpy(), [5 / 36, -1 / 36, -1 / 36], atol=0.01)


@pytest.mark.parametrize("make,msg", [
    (lambda lib: D(lib).Gamma(lib.tensor([1.0, -1.0]), 1.0), "Expected parameter concentration (Tensor of shape (2,)) "
     "of distribution Gamma(concentration: torch.Size([2]), rate: torch.Size([2])) to satisfy the constraint "
     "GreaterThan(lower_bound=0.0), but found invalid values:"),
    (lambda lib: D(lib).Poisson(lib.tensor([1.0])).log_prob(lib.tensor([1.5])),
     "to be within the support (IntegerGreaterThan(lower_bound=0))"),
    (lambda lib: D(lib).Beta(2.0, 2.0).log_prob(lib.tensor(1.5)), "to be within the support (Interval(lower_bound=0.0, "
     "upper_bound=1.0)) of the distribution Beta()"),
    (lambda lib: D(lib).Exponential(lib.tensor([1.0])).log_prob(lib.tensor([-1.0])),
     "to be within the support (GreaterThanEq(lower_bound=0.0))"),
    (lambda lib: D(lib).Dirichlet(lib.tensor(1.0)), "`concentration` parameter must be at least one-dimensional."),
    (lambda lib: D(lib).Binomial(3, logits=lib.zeros(2)).log_prob(lib.tensor([4.0, 1.0])),
     "to be within the support (IntegerInterval(lower_bound=0, upper_bound=tensor([3., 3.])))"),
    (lambda lib: D(lib).LogNormal(0.0, -1.0), "Expected parameter scale"),
])
def test_more_errors(make, msg):
    check_error(make, ValueError, re.escape(msg))


@pytest.mark.parametrize("make", [
    lambda lib: D(lib).Gamma(lib.ones(2, 3), 2.0),
    lambda lib: D(lib).Beta(lib.ones(3), 2.0),
    lambda lib: D(lib).Dirichlet(lib.ones(2, 4)),
    lambda lib: D(lib).Exponential(lib.ones(3)),
    lambda lib: D(lib).Laplace(0.0, lib.ones(3)),
    lambda lib: D(lib).Poisson(lib.ones(3)),
    lambda lib: D(lib).Binomial(4, lib.full((3,), 0.5)),
    lambda lib: D(lib).LogNormal(lib.zeros(3), 1.0),
])
def test_more_shapes_repr_expand(make):
    test_shapes_repr_expand(make)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("log_alpha", [-3.0, 0.0, 1.5, 5.0])
def test_gamma_cdf(dtype, log_alpha):
    def fn(lib, b, v):
        alpha = lib.full((3,), float(np.exp(log_alpha)), dtype=b.dtype)
        return D(lib).Gamma(alpha, pos(b)).cdf(pos(v) * alpha)
    check(fn, [(3,), (6, 3)], dtype=dtype)


def test_gamma_cdf_concentration_grad_not_implemented():
    def fn(lib):
        a = lib.tensor([2.0], requires_grad=True)
        D(lib).Gamma(a, 1.0).cdf(lib.tensor([1.5])).sum().backward()
    check_error(fn, NotImplementedError, re.escape("the derivative for 'igamma: input' is not implemented."))


# ---------------------------------------------------------------- Multinomial, MixtureSameFamily
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("use_logits", [False, True])
def test_multinomial(dtype, use_logits):
    counts = np.array([[2, 3, 0, 5], [0, 0, 10, 0], [1, 2, 3, 4]], dtype=dtype)

    def fn(lib, p, v):
        d = D(lib).Multinomial(10, logits=p) if use_logits else D(lib).Multinomial(10, probs=pos(p))
        return d.log_prob(v), d.entropy(), d.mean, d.variance
    check(fn, [(3, 4), counts], dtype=dtype)


def test_multinomial_zero_probability_category():
    probs = np.array([0.5, 0.0, 0.5], dtype="float32")
    counts = np.array([[3.0, 0.0, 7.0], [5.0, 0.0, 5.0]], dtype="float32")
    check(lambda lib, p, v: D(lib).Multinomial(10, probs=p).log_prob(v), [probs, counts], grad=False)


def test_multinomial_sampling():
    lamina.manual_seed(6)
    d = D(lamina).Multinomial(20, probs=lamina.tensor([[0.1, 0.3, 0.6], [0.5, 0.5, 0.0]]))
    s = d.sample((5000,))
    assert s.shape == (5000, 2, 3) and s.dtype == lamina.float32
    np.testing.assert_array_equal(s.numpy().sum(-1), 20.0)
    np.testing.assert_allclose(s.numpy().mean(0), d.mean.numpy(), atol=0.1)
    check_error(lambda lib: D(lib).Multinomial(lib.tensor(3), probs=lib.ones(2)), NotImplementedError,
                "inhomogeneous total_count is not supported")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mix_shape,comp_shape,vshape", [((3,), (3,), (5,)), ((2, 3), (2, 3), (4, 2)),
                                                        ((3,), (2, 3), (2,))])
def test_mixture_of_normals(dtype, mix_shape, comp_shape, vshape):
    def fn(lib, w, loc, s, v):
        d = D(lib).MixtureSameFamily(D(lib).Categorical(logits=w), D(lib).Normal(loc, pos(s)))
        return d.log_prob(v), d.cdf(v), d.mean, d.variance
    check(fn, [mix_shape, comp_shape, comp_shape, vshape], dtype=dtype)


def test_mixture_of_diagonal_gaussians_and_sampling():
    def fn(lib, w, loc, s, v):
        comp = D(lib).Independent(D(lib).Normal(loc, pos(s)), 1)
        d = D(lib).MixtureSameFamily(D(lib).Categorical(logits=w), comp)
        return d.log_prob(v), d.mean, d.variance
    check(fn, [(3,), (3, 2), (3, 2), (6, 2)])
    lamina.manual_seed(7)
    comp = D(lamina).Independent(D(lamina).Normal(lamina.tensor([[-5.0, 0.0], [5.0, 1.0]]), 0.1), 1)
    d = D(lamina).MixtureSameFamily(D(lamina).Categorical(probs=lamina.tensor([0.25, 0.75])), comp)
    s = d.sample((8000,)).numpy()
    assert s.shape == (8000, 2)
    assert abs((s[:, 0] > 0).mean() - 0.75) < 0.02
    np.testing.assert_allclose(s.mean(0), d.mean.numpy(), atol=0.15)
    tcomp = torch.distributions.Independent(torch.distributions.Normal(torch.zeros(2, 2), 0.1), 1)
    td = torch.distributions.MixtureSameFamily(torch.distributions.Categorical(probs=torch.ones(2) / 2), tcomp)
    assert repr(d) == repr(td)
    check_error(lambda lib: D(lib).MixtureSameFamily(D(lib).Categorical(logits=lib.zeros(3)),
                                                     D(lib).Normal(lib.zeros(2), 1.0)),
                ValueError, re.escape("`mixture_distribution component` (3) does not equal "
                                      "`component_distribution.batch_shape[-1]` (2)"))


# ---------------------------------------------------------------- Cauchy, StudentT, Chi2, HalfNormal, Geometric
@pytest.mark.parametrize("dtype", DTYPES)
def test_cauchy_studentt_chi2_halfnormal(dtype):
    def fn(lib, loc, s, df, v, u):
        c = D(lib).Cauchy(loc, pos(s))
        t = D(lib).StudentT(pos(df) + 2.5, loc, pos(s))
        x2 = D(lib).Chi2(pos(df))
        h = D(lib).HalfNormal(pos(s))
        return (c.log_prob(v), c.cdf(v), c.icdf(unit(u)), c.entropy(), c.mode, c.mean, c.variance,
                t.log_prob(v), t.entropy(), t.mean, t.variance, t.mode,
                x2.log_prob(pos(v)), x2.entropy(), x2.mean, x2.variance, x2.df,
                h.log_prob(pos(v)), h.cdf(pos(v)), h.icdf(unit(u)), h.entropy(), h.mean, h.variance, h.mode)
    check(fn, [(3,), (3,), (3,), (4, 3), (4, 3)], dtype=dtype)


def test_studentt_moments_for_small_df():
    df = np.array([0.5, 1.0, 1.5, 2.0, 3.0], dtype="float32")
    check(lambda lib, d: (D(lib).StudentT(d, 1.0, 2.0).mean, D(lib).StudentT(d, 1.0, 2.0).variance), [df], grad=False)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("use_logits", [False, True])
def test_geometric(dtype, use_logits):
    k = np.array([[0, 1, 4], [2, 7, 0]], dtype=dtype)

    def fn(lib, p, v):
        d = D(lib).Geometric(logits=p) if use_logits else D(lib).Geometric(probs=unit(p))
        return d.log_prob(v), d.entropy(), d.mean, d.variance, d.mode
    check(fn, [(3,), k], dtype=dtype)
    check_error(lambda lib: D(lib).Geometric(lib.tensor([0.0, 0.5])), ValueError, re.escape(
        "Expected parameter probs (Tensor of shape (2,)) of distribution Geometric(probs: torch.Size([2])) to be "
        "positive but found invalid values:\ntensor([0.])"))


@pytest.mark.parametrize("dtype", DTYPES)
def test_kl_cauchy_halfnormal(dtype):
    def fn(lib, a, b, c, d_):
        kl = D(lib).kl_divergence
        return (kl(D(lib).Cauchy(a, pos(b)), D(lib).Cauchy(c, pos(d_))),
                kl(D(lib).HalfNormal(pos(b)), D(lib).HalfNormal(pos(d_))))
    check(fn, [(4,), (4,), (4,), (4,)], dtype=dtype)


@pytest.mark.parametrize("name,make,mean,var,support", [
    ("chi2", lambda L: L.distributions.Chi2(L.tensor([1.0, 6.0])), [1.0, 6.0], [2.0, 12.0], lambda s: s > 0),
    ("studentt", lambda L: L.distributions.StudentT(L.tensor([5.0, 10.0]), L.tensor([1.0, -1.0]), 2.0), [1.0, -1.0],
     [4 * 5 / 3, 4 * 10 / 8], lambda s: np.isfinite(s)),
    ("halfnormal", lambda L: L.distributions.HalfNormal(L.tensor([1.0, 3.0])), [np.sqrt(2 / np.pi), 3 * np.sqrt(2 / np.pi)],
     [1 - 2 / np.pi, 9 * (1 - 2 / np.pi)], lambda s: s >= 0),
    ("geometric", lambda L: L.distributions.Geometric(L.tensor([0.3, 0.8])), [7 / 3, 0.25], [7 / 0.9, 0.3125],
     lambda s: (s >= 0) & (s == np.round(s))),
])
def test_sampling_moments_more(name, make, mean, var, support):
    test_sampling_moments(name, make, mean, var, support)


def test_cauchy_sampling_median():
    lamina.manual_seed(8)
    s = D(lamina).Cauchy(lamina.tensor([2.0]), lamina.tensor([0.5])).rsample((40000,)).detach().numpy()
    np.testing.assert_allclose(np.median(s), 2.0, atol=0.03)
    np.testing.assert_allclose(np.percentile(s, 75) - np.percentile(s, 25), 1.0, atol=0.05)


@pytest.mark.parametrize("make", [
    lambda lib: D(lib).Cauchy(lib.zeros(3), 1.0),
    lambda lib: D(lib).StudentT(lib.full((2, 3), 4.0)),
    lambda lib: D(lib).Chi2(lib.full((3,), 2.0)),
    lambda lib: D(lib).HalfNormal(lib.ones(3)),
    lambda lib: D(lib).Geometric(logits=lib.zeros(3)),
])
def test_more_shapes_repr_expand_2(make):
    test_shapes_repr_expand(make)


# ---------------------------------------------------------------- NegativeBinomial, Gumbel, relaxed distributions
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("use_logits", [False, True])
def test_negative_binomial(dtype, use_logits):
    k = np.array([[0, 1, 4], [2, 7, 0]], dtype=dtype)

    def fn(lib, r, p, v):
        total = lib.cat([lib.zeros(1, dtype=r.dtype), pos(r[1:])])  # r = 0 exercises the masked branch
        d = D(lib).NegativeBinomial(total, logits=p) if use_logits else D(lib).NegativeBinomial(total, probs=unit(p))
        return d.log_prob(v), d.mean, d.variance, d.mode
    check(fn, [(3,), (3,), k], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_gumbel_and_relaxed(dtype):
    def fn(lib, loc, s, v, u, t, w):
        g = D(lib).Gumbel(loc, pos(s))
        rb = D(lib).RelaxedBernoulli(pos(t), logits=loc)
        lrb = D(lib).relaxed_bernoulli.LogitRelaxedBernoulli(pos(t), probs=unit(loc))
        rc = D(lib).RelaxedOneHotCategorical(pos(t), logits=w)
        erc = D(lib).relaxed_categorical.ExpRelaxedCategorical(pos(t), probs=pos(w))
        simplex = lib.softmax(v, -1)
        return (g.log_prob(v), g.cdf(v), g.icdf(unit(u)), g.entropy(), g.mean, g.mode, g.variance, g.stddev,
                rb.log_prob(unit(v)), lrb.log_prob(v), rc.log_prob(simplex), erc.log_prob(lib.log_softmax(v, -1)))
    check(fn, [(3,), (3,), (4, 3), (4, 3), (), (3,)], dtype=dtype)


def test_relaxed_samples_are_differentiable():
    lamina.manual_seed(9)
    logits = lamina.tensor([[0.0, 1.0, 2.0]], requires_grad=True)
    s = D(lamina).RelaxedOneHotCategorical(lamina.tensor(0.5), logits=logits).rsample((1000,))
    assert s.shape == (1000, 1, 3)
    np.testing.assert_allclose(s.detach().numpy().sum(-1), 1.0, rtol=1e-5)
    # the hardened samples follow softmax(logits)
    freq = np.bincount(s.detach().numpy().argmax(-1).ravel(), minlength=3) / 1000
    np.testing.assert_allclose(freq, lamina.softmax(logits, -1).detach().numpy()[0], atol=0.05)
    s[..., 2].mean().backward()
    assert logits.grad is not None and logits.grad.numpy()[0, 2] > 0
    b = D(lamina).RelaxedBernoulli(lamina.tensor(0.1), probs=lamina.tensor([0.2, 0.9])).sample((4000,)).numpy()
    assert ((b > 0) & (b < 1)).all()
    np.testing.assert_allclose((b > 0.5).mean(0), [0.2, 0.9], atol=0.03)


@pytest.mark.parametrize("name,make,mean,var,support", [
    ("negbinomial", lambda L: L.distributions.NegativeBinomial(L.tensor([3.0, 0.5]), L.tensor([0.4, 0.7])), [2.0, 7 / 6],
     [2.0 / 0.6, (7 / 6) / 0.3], lambda s: (s >= 0) & (s == np.round(s))),
    ("gumbel", lambda L: L.distributions.Gumbel(L.tensor([0.0, 2.0]), L.tensor([1.0, 0.5])),
     [0.5772156649, 2 + 0.5 * 0.5772156649], [np.pi ** 2 / 6, 0.25 * np.pi ** 2 / 6], lambda s: np.isfinite(s)),
])
def test_sampling_moments_more_2(name, make, mean, var, support):
    test_sampling_moments(name, make, mean, var, support)


@pytest.mark.parametrize("make", [
    lambda lib: D(lib).NegativeBinomial(lib.full((3,), 2.0), logits=lib.zeros(3)),
    lambda lib: D(lib).Gumbel(lib.zeros(3), 1.0),
    lambda lib: D(lib).RelaxedBernoulli(lib.tensor(0.5), probs=lib.full((3,), 0.3)),
    lambda lib: D(lib).RelaxedOneHotCategorical(lib.tensor(0.5), logits=lib.zeros(2, 3)),
])
def test_more_shapes_repr_expand_3(make):
    test_shapes_repr_expand(make)


# ---------------------------------------------------------------- LowRankMultivariateNormal
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("lshape,wshape,dshape,vshape", [((4,), (4, 2), (4,), (5, 4)), ((3, 4), (4, 1), (4,), (2, 3, 4)),
                                                        ((4,), (2, 4, 3), (2, 4), (4,))])
def test_lowrank_mvn(dtype, lshape, wshape, dshape, vshape):
    def fn(lib, loc, W, d, v):
        dist = D(lib).LowRankMultivariateNormal(loc, W, pos(d))
        return (dist.log_prob(v), dist.entropy(), dist.mean, dist.variance, dist.covariance_matrix,
                dist.precision_matrix, dist.scale_tril)
    check(fn, [lshape, wshape, dshape, vshape], dtype=dtype, atol=1e-4 if dtype == "float32" else None)


def test_lowrank_mvn_sampling_shapes_and_errors():
    lamina.manual_seed(10)
    W = lamina.tensor([[1.0], [0.5], [0.0]])
    d = D(lamina).LowRankMultivariateNormal(lamina.zeros(3), W, lamina.full((3,), 0.1))
    s = d.rsample((30000,)).numpy().astype(np.float64)
    np.testing.assert_allclose(np.cov(s.T), d.covariance_matrix.numpy(), atol=0.03)
    assert tuple(d.expand((2, 5)).sample((3,)).shape) == (3, 2, 5, 3)
    test_shapes_repr_expand(lambda lib: D(lib).LowRankMultivariateNormal(lib.zeros(2, 3), lib.ones(3, 1), lib.ones(3)))
    check_error(lambda lib: D(lib).LowRankMultivariateNormal(lib.zeros(3), lib.ones(2, 1), lib.ones(3)), ValueError,
                re.escape("cov_factor must be a batch of matrices with shape 3 x m"))
    check_error(lambda lib: D(lib).LowRankMultivariateNormal(lib.zeros(3), lib.ones(3, 1), lib.ones(2)), ValueError,
                re.escape("cov_diag must be a batch of vectors with shape torch.Size([3])"))


# ---------------------------------------------------------------- transforms and biject_to / transform_to
_TRANSFORMS = [
    (lambda T, a: T.ExpTransform(), "real"),
    (lambda T, a: T.SigmoidTransform(), "real"),
    (lambda T, a: T.TanhTransform(), "real"),
    (lambda T, a: T.SoftplusTransform(), "real"),
    (lambda T, a: T.AffineTransform(a, a.exp()), "real"),
    (lambda T, a: T.PowerTransform(a.exp()), "positive"),
    (lambda T, a: T.ExpTransform().inv, "positive"),
    (lambda T, a: T.ComposeTransform([T.ExpTransform(), T.AffineTransform(1.0, 2.0)]), "real"),
    (lambda T, a: T.StickBreakingTransform(), "real"),
    (lambda T, a: T.IndependentTransform(T.SoftplusTransform(), 1), "real"),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("make,domain", _TRANSFORMS)
def test_transforms(dtype, make, domain):
    def fn(lib, a, x):
        t = make(D(lib).transforms, a)
        x = x.exp() if domain == "positive" else x
        y = t(x)
        return y, t.inv(y), t.log_abs_det_jacobian(x, y)
    check(fn, [(3,), (4, 3)], dtype=dtype)


def test_softmax_and_lower_cholesky_transforms():
    def fn(lib, x, m):
        T = D(lib).transforms
        return (T.SoftmaxTransform()(x), T.SoftmaxTransform().inv(T.SoftmaxTransform()(x)),
                T.LowerCholeskyTransform()(m), T.LowerCholeskyTransform().inv(T.LowerCholeskyTransform()(m)))
    check(fn, [(4, 3), (2, 3, 3)])


@pytest.mark.parametrize("name", ["real", "positive", "nonnegative", "unit_interval", "simplex", "real_vector",
                                  "greater_than", "less_than", "interval", "lower_cholesky"])
@pytest.mark.parametrize("registry", ["biject_to", "transform_to"])
def test_biject_to_transform_to(name, registry):
    def constraint(lib):
        C = D(lib).constraints
        extra = {"greater_than": lambda: C.greater_than(2.0), "less_than": lambda: C.less_than(-1.0),
                 "interval": lambda: C.interval(-2.0, 3.0)}
        return extra[name]() if name in extra else getattr(C, name)
    if registry == "biject_to" and name == "lower_cholesky":
        check_error(lambda lib: D(lib).biject_to(constraint(lib)), NotImplementedError,
                    "Cannot transform _LowerCholesky constraints")
        return

    def fn(lib, x):
        t = getattr(D(lib), registry)(constraint(lib))
        y = t(x)
        return y, constraint(lib).check(y), repr(t).replace("torch.distributions.", "")
    shape = (2, 3, 3) if name == "lower_cholesky" else (4, 3)
    t_out, l_out = check(fn, [shape])
    assert bool(l_out[1].all())


# ---------------------------------------------------------------- HalfCauchy, Pareto, Weibull, InverseGamma, LogisticNormal
@pytest.mark.parametrize("dtype", DTYPES)
def test_positive_support_families(dtype):
    def fn(lib, a, b, v, u):
        hc = D(lib).HalfCauchy(pos(a))
        pa = D(lib).Pareto(pos(a), pos(b) + 2.5)
        we = D(lib).Weibull(pos(a), pos(b))
        ig = D(lib).InverseGamma(pos(a) + 2.0, pos(b))
        x = pos(v)
        return (hc.log_prob(x), hc.cdf(x), hc.icdf(unit(u)), hc.entropy(), hc.mean, hc.mode,
                pa.log_prob(pa.scale + x), pa.cdf(pa.scale + x), pa.icdf(unit(u)), pa.entropy(), pa.mean, pa.variance,
                pa.mode,
                we.log_prob(x), we.cdf(x), we.icdf(unit(u)), we.entropy(), we.mean, we.variance, we.mode,
                ig.log_prob(x), ig.entropy(), ig.mean, ig.variance, ig.mode)
    check(fn, [(3,), (3,), (4, 3), (4, 3)], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_logistic_normal(dtype):
    def fn(lib, loc, s, w):
        d = D(lib).LogisticNormal(loc, pos(s))
        return d.log_prob(lib.softmax(w, -1)), lib.tensor(list(d.event_shape))
    check(fn, [(2, 3), (2, 3), (5, 2, 4)], dtype=dtype)


@pytest.mark.parametrize("make", [
    lambda lib: D(lib).HalfCauchy(lib.ones(3)),
    lambda lib: D(lib).Pareto(lib.ones(3), 2.0),
    lambda lib: D(lib).Weibull(lib.ones(3), 1.5),
    lambda lib: D(lib).InverseGamma(lib.full((3,), 2.0), 1.0),
    lambda lib: D(lib).LogisticNormal(lib.zeros(2, 3), 1.0),
])
def test_more_shapes_repr_expand_4(make):
    test_shapes_repr_expand(make)


def test_weibull_and_inverse_gamma_sampling():
    lamina.manual_seed(11)
    w = D(lamina).Weibull(lamina.tensor([1.0, 2.0]), lamina.tensor([1.0, 3.0]))
    s = w.sample((40000,)).numpy().astype(np.float64)
    np.testing.assert_allclose(s.mean(0), w.mean.numpy(), rtol=0.03)
    ig = D(lamina).InverseGamma(lamina.tensor([4.0]), lamina.tensor([3.0]))
    s = ig.rsample((40000,)).detach().numpy().astype(np.float64)
    np.testing.assert_allclose(s.mean(0), ig.mean.numpy(), rtol=0.03)
    ln = D(lamina).LogisticNormal(lamina.zeros(3), 0.5).sample((10,)).numpy()
    np.testing.assert_allclose(ln.sum(-1), 1.0, rtol=1e-5)


# ---------------------------------------------------------------- ContinuousBernoulli
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("use_logits", [False, True])
def test_continuous_bernoulli(dtype, use_logits):
    # probabilities on both sides of 1/2 and one inside the Taylor region
    raw = np.array([-2.0, -0.3, 0.002, 0.7, 3.0], dtype=dtype)

    def fn(lib, p, v, u):
        prm = p if use_logits else lib.sigmoid(p)
        d = D(lib).ContinuousBernoulli(logits=prm) if use_logits else D(lib).ContinuousBernoulli(probs=prm)
        q = D(lib).ContinuousBernoulli(probs=lib.full_like(p, 0.3))
        return (d.log_prob(unit(v)), d.cdf(unit(v)), d.icdf(unit(u)), d.entropy(), d.mean, d.variance, d.stddev,
                D(lib).kl_divergence(d, q))
    check(fn, [raw, (3, 5), (3, 5)], dtype=dtype, atol=1e-4 if dtype == "float32" else None)


def test_continuous_bernoulli_sampling():
    lamina.manual_seed(12)
    d = D(lamina).ContinuousBernoulli(probs=lamina.tensor([0.1, 0.5, 0.95]))
    s = d.sample((40000,)).numpy().astype(np.float64)
    assert ((s >= 0) & (s <= 1)).all()
    np.testing.assert_allclose(s.mean(0), d.mean.numpy(), atol=0.01)
    np.testing.assert_allclose(s.var(0), d.variance.numpy(), atol=0.01)
    test_shapes_repr_expand(lambda lib: D(lib).ContinuousBernoulli(logits=lib.zeros(3)))


# ---------------------------------------------------------------- FisherSnedecor, Kumaraswamy, VonMises
@pytest.mark.parametrize("dtype", DTYPES)
def test_fisher_kumaraswamy_vonmises(dtype):
    def fn(lib, a, b, v, u):
        f = D(lib).FisherSnedecor(pos(a) * 3, pos(b) * 3)
        k = D(lib).Kumaraswamy(pos(a), pos(b))
        vm = D(lib).VonMises(a, pos(b) * 3)  # concentrations on both sides of the 3.75 branch
        return (f.log_prob(pos(v)), f.mean, f.mode, f.variance,
                k.log_prob(unit(v)), k.cdf(unit(v)), k.icdf(unit(u)), k.entropy(), k.mean, k.variance, k.mode,
                vm.log_prob(v), vm.variance, vm.mean)
    check(fn, [(4,), (4,), (3, 4), (3, 4)], dtype=dtype)


def test_fisher_kumaraswamy_vonmises_sampling():
    lamina.manual_seed(13)
    f = D(lamina).FisherSnedecor(lamina.tensor([6.0]), lamina.tensor([12.0]))
    s = f.rsample((40000,)).detach().numpy().astype(np.float64)
    np.testing.assert_allclose(s.mean(), f.mean.item(), rtol=0.03)
    k = D(lamina).Kumaraswamy(lamina.tensor([2.0]), lamina.tensor([3.0]))
    s = k.sample((40000,)).numpy().astype(np.float64)
    np.testing.assert_allclose(s.mean(), k.mean.item(), rtol=0.02)
    vm = D(lamina).VonMises(lamina.tensor([3.0, -1.0]), lamina.tensor([4.0, 0.5]))
    s = vm.sample((40000,)).numpy().astype(np.float64)
    assert (s >= -np.pi).all() and (s < np.pi).all()
    # circular mean and 1 - mean resultant length
    np.testing.assert_allclose(np.angle(np.exp(1j * s).mean(0)), [3.0, -1.0], atol=0.05)
    np.testing.assert_allclose(1 - np.abs(np.exp(1j * s).mean(0)), vm.variance.numpy(), atol=0.02)
    for make in (lambda lib: D(lib).FisherSnedecor(lib.ones(3), 5.0), lambda lib: D(lib).Kumaraswamy(lib.ones(3), 2.0),
                 lambda lib: D(lib).VonMises(lib.zeros(3), lib.ones(3))):
        test_shapes_repr_expand(make)


def test_import_lamina_does_not_load_distributions():
    import subprocess
    import sys
    code = ("import sys, lamina; assert 'lamina.distributions' not in sys.modules; "
            "lamina.distributions.Normal(0.0, 1.0); assert 'lamina.distributions' in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_set_default_validate_args():
    Dl = lamina.distributions
    try:
        Dl.Distribution.set_default_validate_args(False)
        assert Dl.Normal(0.0, -1.0).scale.item() == -1.0
    finally:
        Dl.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError, match="Expected parameter scale"):
        Dl.Normal(0.0, -1.0)
    check_error(lambda lib: D(lib).Distribution.set_default_validate_args(3), ValueError, "^$")


def test_user_subclass_and_expand_guard():
    for lib in (torch, lamina):
        class Shifted(D(lib).Normal):
            def __init__(self, loc):
                super().__init__(loc, 1.0)
        with pytest.raises(NotImplementedError, match="Subclass Shifted of Normal that defines a custom __init__ "
                                                      "method must also define a custom .expand\\(\\) method."):
            Shifted(lib.zeros(2)).expand((3, 2))


@pytest.mark.parametrize("dtype", DTYPES)
def test_kl_binomial_geometric_gumbel_pareto(dtype):
    def fn(lib, a, b, c, d_):
        Dl = D(lib)
        kl = Dl.kl_divergence
        n_p = lib.tensor([5.0, 5.0, 6.0, 3.0], dtype=a.dtype)
        n_q = lib.tensor([5.0, 4.0, 6.0, 3.0], dtype=a.dtype)
        return (kl(Dl.Binomial(n_p, logits=a), Dl.Binomial(n_q, probs=unit(c))),
                kl(Dl.Geometric(probs=unit(a)), Dl.Geometric(logits=c)),
                kl(Dl.Gumbel(a, pos(b)), Dl.Gumbel(c, pos(d_))),
                kl(Dl.Pareto(pos(a), pos(b)), Dl.Pareto(pos(c), pos(d_))))
    check(fn, [(4,), (4,), (4,), (4,)], dtype=dtype)
    check_error(lambda lib: D(lib).kl_divergence(D(lib).Binomial(lib.tensor([2.0]), lib.tensor([0.5])),
                                                 D(lib).Binomial(lib.tensor([3.0]), lib.tensor([0.5]))),
                NotImplementedError, "KL between Binomials where q.total_count > p.total_count is not implemented")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("pb,qb", [((), ()), ((2,), ()), ((), (2,))])
def test_kl_lowrank_pairs(dtype, pb, qb):
    def fn(lib, l1, w1, d1, l2, w2, d2, a):
        lr_p = D(lib).LowRankMultivariateNormal(l1, w1, pos(d1))
        lr_q = D(lib).LowRankMultivariateNormal(l2, w2, pos(d2))
        mvn = D(lib).MultivariateNormal(l2, scale_tril=_tril(lib, a))
        kl = D(lib).kl_divergence
        return kl(lr_p, lr_q), kl(lr_p, mvn), kl(mvn, lr_q)
    n = 3
    check(fn, [pb + (n,), pb + (n, 2), pb + (n,), qb + (n,), qb + (n, 1), qb + (n,), qb + (n, n)], dtype=dtype,
          atol=1e-4 if dtype == "float32" else None)


def test_kl_between_exponential_families_of_different_types():
    check_error(lambda lib: D(lib).kl_divergence(D(lib).Bernoulli(0.5), D(lib).Normal(0.0, 1.0)), NotImplementedError,
                "The cross KL-divergence between different exponential families cannot")


@pytest.mark.parametrize("dtype", DTYPES)
def test_kl_cross_family_pairs(dtype):
    def fn(lib, a, b, c, d_):
        Dl = D(lib)
        kl = Dl.kl_divergence
        normal, laplace = Dl.Normal(a, pos(b)), Dl.Laplace(c, pos(d_))
        return (kl(normal, laplace), kl(laplace, Dl.Normal(c, pos(b))),
                kl(Dl.Exponential(pos(a)), Dl.Gamma(pos(c), pos(d_))), kl(Dl.Gamma(pos(a), pos(b)), Dl.Exponential(pos(c))),
                kl(Dl.Exponential(pos(a)), normal), kl(Dl.Gamma(pos(c), pos(d_)), normal),
                kl(Dl.Uniform(a, a + pos(b)), Dl.Normal(c, pos(d_))), kl(Dl.Bernoulli(logits=a), Dl.Poisson(pos(c))),
                kl(Dl.Beta(pos(a), pos(b)), Dl.Normal(c, pos(d_))), kl(Dl.Gumbel(a, pos(b)), Dl.Normal(c, pos(d_))),
                kl(normal, Dl.Uniform(c, c + 1.0)), kl(Dl.Gamma(pos(a), 1.0), Dl.Beta(pos(c), 1.0)),
                kl(Dl.Poisson(pos(a)), Dl.Bernoulli(logits=c)))
    check(fn, [(4,), (4,), (4,), (4,)], dtype=dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_kl_cross_family_pairs_2(dtype):
    def fn(lib, a, b, c, d_):
        Dl = D(lib)
        kl = Dl.kl_divergence
        beta = Dl.Beta(pos(a), pos(b))
        cb = Dl.ContinuousBernoulli(logits=a)
        unit_uniform = Dl.Uniform(unit(a) * 0.4 + 0.05, 0.6 + unit(b) * 0.3)  # inside (0, 1)
        pos_uniform = Dl.Uniform(pos(a), pos(a) + pos(b))
        pareto = Dl.Pareto(pos(a), pos(b) + 2.5)
        return (kl(beta, Dl.ContinuousBernoulli(logits=c)), kl(beta, Dl.Exponential(pos(c))),
                kl(beta, Dl.Gamma(pos(c), pos(d_))), kl(beta, Dl.Uniform(c - 5.0, 1.0)),
                kl(beta, Dl.Uniform(lib.zeros_like(c), lib.ones_like(c) + 1)),
                kl(cb, Dl.Exponential(pos(c))), kl(cb, Dl.Normal(c, pos(d_))), kl(cb, Dl.Uniform(c - 5.0, pos(d_) + 1.0)),
                kl(Dl.Exponential(pos(a)), Dl.Gumbel(c, pos(d_))), kl(Dl.Gamma(pos(a), pos(b)), Dl.Gumbel(c, pos(d_))),
                kl(Dl.Normal(a, pos(b)), Dl.Gumbel(c, pos(d_))),
                kl(pareto, Dl.Exponential(pos(c))), kl(pareto, Dl.Gamma(pos(c), pos(d_))), kl(pareto, Dl.Normal(c, pos(d_))),
                kl(Dl.Pareto(pos(a), unit(b) + 0.5), Dl.Normal(c, pos(d_))),
                kl(unit_uniform, Dl.Beta(pos(c), pos(d_))), kl(unit_uniform, Dl.ContinuousBernoulli(logits=c)),
                kl(pos_uniform, Dl.Exponential(pos(c))), kl(pos_uniform, Dl.Gamma(pos(c), pos(d_))),
                kl(Dl.Uniform(a, a + pos(b)), Dl.Gumbel(c, pos(d_))), kl(pos_uniform, Dl.Pareto(pos(c) * 0.5, pos(d_))),
                kl(Dl.Uniform(a, a + pos(b)), Dl.Exponential(pos(c))))
    check(fn, [(4,), (4,), (4,), (4,)], dtype=dtype, atol=1e-4 if dtype == "float32" else None)


def test_reshape_and_cdf_transforms():
    def fn(lib, x, loc, s):
        T = D(lib).transforms
        r = T.ReshapeTransform((6,), (2, 3))
        y = r(x)
        base = D(lib).Normal(loc, pos(s))
        c = T.CumulativeDistributionTransform(base)
        u = c(x[..., :1])
        flat = D(lib).TransformedDistribution(D(lib).Normal(lib.zeros(4, 6, dtype=x.dtype), 1.0),
                                              [T.ReshapeTransform((6,), (2, 3))])
        return (y, r.inv(y), r.log_abs_det_jacobian(x, y), u, c.inv(u), c.log_abs_det_jacobian(x[..., :1], u),
                flat.log_prob(y), lib.tensor(list(flat.batch_shape + flat.event_shape)))
    check(fn, [(4, 6), (1,), (1,)])
    check_error(lambda lib: D(lib).transforms.ReshapeTransform((6,), (4,)), ValueError,
                "in_shape, out_shape have different numbers of elements")
