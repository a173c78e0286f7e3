"""critbook: critical attention scaling in long-context transformers.

The companion package of the critbook textbook. Pure functions on numpy
arrays for the tractable attention model of Chen, Lin, Polyanskiy and Rigollet
(2025): the scaled attention layer, token configurations, and the closed forms
of the simplex model.

Examples
--------
>>> import numpy as np
>>> import critbook as cb
>>> X = cb.gaussian_tokens(1000, 64, rho=0.3, rng=0)
>>> gamma = cb.critical_gamma(0.3)
>>> X_out = cb.attention_layer(X, beta=gamma * np.log(1000))
>>> X_out.shape
(1000, 64)
"""

from .attention import attention_entropy, attention_layer, attention_weights, normalize
from .geometry import angle_ratio, effective_rank, iterate_layers, mean_cosine, rank_one_residual
from .simplex import (
    critical_gamma,
    regime,
    simplex_angle_ratio,
    simplex_layer,
    simplex_limit,
    simplex_self_weight,
)
from .tokens import (
    almost_simplex_constants,
    gaussian_tokens,
    simplex_tokens,
    uniform_sphere_tokens,
)

__version__ = "0.1.0"

__all__ = [
    # attention
    "normalize",
    "attention_weights",
    "attention_layer",
    "attention_entropy",
    # tokens
    "simplex_tokens",
    "gaussian_tokens",
    "uniform_sphere_tokens",
    "almost_simplex_constants",
    # geometry
    "mean_cosine",
    "angle_ratio",
    "rank_one_residual",
    "effective_rank",
    "iterate_layers",
    # simplex closed forms
    "critical_gamma",
    "regime",
    "simplex_self_weight",
    "simplex_layer",
    "simplex_angle_ratio",
    "simplex_limit",
]
