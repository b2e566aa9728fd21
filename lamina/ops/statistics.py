"""Statistics over a dimension: running extrema (cummax, cummin), logcumsumexp, mode, quantiles, histograms, covariance."""

__all__ = []
METHODS = []
INPLACE = []
