"""Elementwise special functions: erfc, erfinv, lgamma, digamma, xlogy, hypot, sinc and friends."""

__all__ = []
METHODS = []
INPLACE = []
