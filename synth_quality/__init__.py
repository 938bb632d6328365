"""synth-quality: is your synthetic text data any good?

The public API::

    from synth_quality import audit, AuditConfig, AuditResult
    result = audit(real="real.csv", synthetic="synth.csv")
    result.examples      # one row per input row
    result.clusters      # one row per cluster
    result.summary       # dataset scores, detection AUC, timings...
    result.save("runs/first")
    bigger = add_rows(result, "round2.csv")   # the same audit plus new synthetic rows

The names are imported on first use (PEP 562): ``import synth_quality.present.tables`` (the
dashboard's first page) does not pay for scipy.stats and scikit-learn, which only the audit
itself needs.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

#: public name -> the module that defines it
_EXPORTS = {
    "audit": "pipeline.audit", "add_rows": "pipeline.incremental", "run_lift": "lift.run",
    "LiftConfig": "lift.config", "LiftResult": "lift.result", "load_inputs": "io", "AuditInput": "io",
    "AuditResult": "result", "AuditConfig": "config", "EmbedConfig": "config",
    "ProjectConfig": "config", "ClusterConfig": "config", "DetectConfig": "config",
    "ScoreConfig": "config", "ReferenceConfig": "config", "CornersConfig": "config",
    "SynthQualityError": "errors", "InputDataError": "errors",
    "ConfigError": "errors", "MissingDependencyError": "errors", "ModelLoadError": "errors",
}

__all__ = [*_EXPORTS, "__version__"]


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'synth_quality' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__():
    return sorted([*globals(), *_EXPORTS])
