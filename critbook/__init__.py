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
from .geometry import (
    angle_ratio,
    cluster_count,
    collapse_metrics,
    effective_rank,
    iterate_layers,
    max_attention_weight,
    mean_cosine,
    rank_one_residual,
    sphere_attention_prediction,
)
from .gradients import (
    eta,
    eta_hutchinson,
    eta_phase_diagram,
    finite_difference_jacobian,
    jvp,
    layer_jacobian,
    simplex_eta,
    simplex_eta_limit,
)

# --- added for issue 15: real attention heads
from .heads import HeadDiagnosis, diagnose_heads, entropy_vs_gap, head_attention  # noqa: E402
from .phase import (
    approach_exponent,
    phase_diagram,
    sparsity_sweep,
    top_mass_count,
)
from .scaling import (
    Diagnosis,
    RegimeSegment,
    Rule,
    calibrated_ratio,
    critical_beta,
    diagnose,
    effective_gamma,
    gaussian_top_scores,
    llama4_factor,
    practical_rules,
    qwen_logn_factor,
    regime_segments,
    sphere_top_distances,
    ssmax_factor,
    top_gaps,
    yarn_factor,
)
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
    # real attention heads (issue 15)
    "HeadDiagnosis",
    "diagnose_heads",
    "head_attention",
    "entropy_vs_gap",
]
