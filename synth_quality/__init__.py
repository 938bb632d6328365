"""synth-quality: is your synthetic text data any good?

The public API::

    from synth_quality import audit, AuditConfig, AuditResult
    result = audit(real="real.csv", synthetic="synth.csv")
    result.examples      # one row per input row
    result.clusters      # one row per cluster
    result.summary       # dataset scores, detection AUC, timings...
    result.save("runs/first")
    bigger = add_rows(result, "round2.csv")   # the same audit plus new synthetic rows
"""

from .config import (AuditConfig, ClusterConfig, DetectConfig, EmbedConfig, ProjectConfig,
                     ScoreConfig)
from .errors import (ConfigError, InputDataError, MissingDependencyError, ModelLoadError,
                     SynthQualityError)
from .incremental import add_rows
from .io import AuditInput, load_inputs
from .lift import LiftConfig, LiftResult, run_lift
from .pipeline import audit
from .result import AuditResult

__version__ = "0.1.0"

__all__ = [
    "audit", "add_rows", "run_lift", "LiftConfig", "LiftResult", "load_inputs", "AuditInput", "AuditResult", "AuditConfig", "EmbedConfig",
    "ProjectConfig", "ClusterConfig", "DetectConfig", "ScoreConfig", "SynthQualityError",
    "InputDataError", "ConfigError", "MissingDependencyError", "ModelLoadError", "__version__",
]
