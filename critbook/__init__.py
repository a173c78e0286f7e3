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

from .attention import (
    attention_entropy,
    attention_layer,
    attention_weights,
    max_attention_weight,
    normalize,
    top_mass_count,
)
from .depth import critical_depth_closed_form, simplex_depth
from .diagnosis import Diagnosis, diagnose
from .dimension import cap_fraction, packing_dimension
from .extremes import (
    gaussian_top_scores,
    sphere_attention_prediction,
    sphere_top_distances,
    top_gaps,
)
from .geometry import (
    angle_ratio,
    cluster_count,
    collapse_metrics,
    effective_rank,
    iterate_layers,
    mean_cosine,
    rank_one_residual,
)
from .gradients import eta, eta_hutchinson, finite_difference_jacobian, jvp, layer_jacobian
from .heads import HeadDiagnosis, diagnose_heads, entropy_vs_gap, head_attention
from .scaling import (
    RegimeSegment,
    Rule,
    calibrated_ratio,
    critical_beta,
    effective_gamma,
    llama4_factor,
    practical_rules,
    qwen_logn_factor,
    regime_segments,
    ssmax_factor,
    yarn_factor,
)
from .simplex import (
    approach_exponent,
    critical_gamma,
    regime,
    simplex_angle_ratio,
    simplex_eta,
    simplex_eta_limit,
    simplex_layer,
    simplex_limit,
    simplex_self_weight,
)
from .sweeps import eta_phase_diagram, phase_diagram, sparsity_sweep
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
    "collapse_metrics",
    "cluster_count",
    "max_attention_weight",
    "sphere_attention_prediction",
    # gradients
    "layer_jacobian",
    "finite_difference_jacobian",
    "jvp",
    "eta",
    "eta_hutchinson",
    "eta_phase_diagram",
    "simplex_eta",
    "simplex_eta_limit",
    # phase diagrams and the sparse regime
    "phase_diagram",
    "top_mass_count",
    "sparsity_sweep",
    "approach_exponent",
    # simplex closed forms
    "critical_gamma",
    "regime",
    "simplex_self_weight",
    "simplex_layer",
    "simplex_angle_ratio",
    "simplex_limit",
    # scaling in practice
    "yarn_factor",
    "qwen_logn_factor",
    "llama4_factor",
    "ssmax_factor",
    "Rule",
    "practical_rules",
    "effective_gamma",
    "critical_beta",
    "calibrated_ratio",
    "RegimeSegment",
    "regime_segments",
    "gaussian_top_scores",
    "sphere_top_distances",
    "top_gaps",
    "Diagnosis",
    "diagnose",
    # depth and the role of the dimension
    "simplex_depth",
    "critical_depth_closed_form",
    "cap_fraction",
    "packing_dimension",
    # real attention heads
    "HeadDiagnosis",
    "diagnose_heads",
    "head_attention",
    "entropy_vs_gap",
]
