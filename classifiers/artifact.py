"""``ModelArtifact``: a fitted pipeline plus its metadata; saved and loaded with skops.

File layout (one file, any name; the service uses ``model.skops``): a zip archive
holding three members,

- ``metadata.json``: ``ModelMetadata``, the sha256 of the pipeline bytes, and
  ``metadata_sha256``: the sha256 of the canonical JSON of everything else in the file
  (so the checksum covers all that changes behaviour: the threshold as much as the
  pipeline);
- ``pipeline.skops``: the scikit-learn pipeline in skops format (never pickle), its
  vectorizers' ``vocabulary_`` taken out;
- ``vocabulary.json``: those vocabularies, ``{step name: {term: column}}``, checked
  against ``vocabulary_sha256`` of the metadata and put back on load. skops writes a
  dict term by term (tens of thousands of terms took seconds to load); JSON reads in
  milliseconds. Format ``appban-model/2`` files (two members) still load.

``load`` refuses, always with a ``ModelError`` subclass and never a crash:

- anything but a regular file within the size caps, an archive with other members or
  members inflating beyond the caps (``classifiers.archive``) -> ``ModelError``;
- a file that is not such an archive, or whose bytes were changed (zip CRC, metadata
  or pipeline sha256), or an older format without a metadata checksum -> ``ModelError``;
- a threshold that is not a finite number in (0, 1) -> ``ModelError``;
- a model trained with another scikit-learn version -> ``ModelVersionError``;
- a pipeline holding any type skops does not trust by default, other than the
  exact allow-list ``SKOPS_TRUSTED_TYPES`` -> ``UntrustedModelError``.

The metadata is read and checked before any object of the pipeline is built.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
import skops.io as sio
from sklearn.pipeline import Pipeline

from classifiers.archive import check_inner, read_capped, read_members
from classifiers.features import FastFeatures
from classifiers.meaning import analyse, plain_why
from classifiers.pipeline import (
    SKOPS_TRUSTED_TYPES,
    ban_probabilities,
    compact,
    top_terms,
    word_coefficients,
    word_names,
)
from classifiers.text import document_text
from monitor.core.errors import ModelError, ModelVersionError, UntrustedModelError

FORMAT = "appban-model/3"  # /1 had no metadata checksum; /2 kept vocabularies in skops
_FORMATS = ("appban-model/2", FORMAT)
_METADATA = "metadata.json"
_PIPELINE = "pipeline.skops"
_VOCABULARY = "vocabulary.json"
_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


@dataclass(frozen=True, slots=True)
class ModelMetadata:
    """What is known about a trained model. ``trained_at`` is UTC."""

    version: str  # "m-YYYYMMDDHHMMSS-<first 8 hex of the pipeline sha256>"
    trained_at: datetime
    sklearn_version: str
    data_sha256: str  # of the training examples (see training.data.data_sha256)
    threshold: float  # score at or above which a prediction is a ban
    metrics: Mapping[str, float] = field(default_factory=dict)
    kind: str = "default"
    n_examples: int = 0


@dataclass(frozen=True, slots=True)
class Prediction:
    """One item's verdict: calibrated P(ban), the threshold decision and the "why": for a
    ban, the headline's meaning in plain words, then the top model terms (``explain``);
    below the threshold only the terms (the meaning analysis is skipped: it is the
    costly part of an explanation and nothing alerts on those items)."""

    score: float
    is_ban: bool
    why: tuple[str, ...]


def model_version(trained_at: datetime, pipeline_sha256: str) -> str:
    return f"m-{trained_at.astimezone(UTC):%Y%m%d%H%M%S}-{pipeline_sha256[:8]}"


class ModelArtifact:
    """A fitted pipeline ready to serve. Build with ``from_pipeline`` or ``load``."""

    def __init__(self, pipeline: Pipeline, metadata: ModelMetadata) -> None:
        self.pipeline = pipeline
        self.metadata = metadata
        self._features = FastFeatures(pipeline.named_steps["features"])
        # Cached once: explanations then cost one sparse multiply per batch.
        self._coefficients = word_coefficients(pipeline)
        self._names = word_names(pipeline)

    @classmethod
    def from_pipeline(
        cls,
        pipeline: Pipeline,
        *,
        threshold: float,
        data_sha256: str,
        metrics: Mapping[str, float],
        kind: str,
        n_examples: int,
        trained_at: datetime,
    ) -> ModelArtifact:
        """Wrap a freshly fitted pipeline; the version names its time and bytes."""
        pipeline = compact(pipeline)
        digest = hashlib.sha256(_serialise(pipeline)[0]).hexdigest()
        metadata = ModelMetadata(
            version=model_version(trained_at, digest),
            trained_at=trained_at.astimezone(UTC),
            sklearn_version=sklearn.__version__,
            data_sha256=data_sha256,
            threshold=float(threshold),
            metrics=dict(metrics),
            kind=kind,
            n_examples=n_examples,
        )
        return cls(pipeline, metadata)

    def predict(self, docs: Sequence[tuple[str, str]], *, top_k: int = 5) -> list[Prediction]:
        """Score ``(title, text)`` pairs in one vectorised pass."""
        if not docs:
            return []
        texts = [document_text(title, text) for title, text in docs]
        features = self._features.transform(texts)
        scores = ban_probabilities(self.pipeline, features)
        terms = top_terms(features, self._coefficients, self._names, top_k)
        threshold = self.metadata.threshold
        return [
            Prediction(
                score=float(s),
                is_ban=bool(s >= threshold),
                why=explain(doc, w) if s >= threshold else tuple(f'"{t}"' for t in w),
            )
            for doc, s, w in zip(docs, scores, terms, strict=True)
        ]

    def scores(self, docs: Sequence[tuple[str, str]]) -> np.ndarray:
        """P(ban) only, without explanations (for evaluation)."""
        if not docs:
            return np.zeros(0)
        texts = [document_text(title, text) for title, text in docs]
        features = self._features.transform(texts)
        return ban_probabilities(self.pipeline, features)

    def save(self, path: Path) -> None:
        """Write atomically: a crash mid-write never leaves a half model at ``path``."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = _archive(self.pipeline, self.metadata)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: Path) -> ModelArtifact:
        """Read and verify a saved artifact (see the module docstring for refusals)."""
        raw = read_capped(Path(path))
        meta_raw, pipeline_bytes, vocabulary_bytes = _unpack(raw, path)
        metadata, digest, vocabulary_digest = _parse_metadata(meta_raw, path)
        _check_version(metadata, path)
        if hashlib.sha256(pipeline_bytes).hexdigest() != digest:
            raise ModelError(f"model {path} is corrupted: pipeline checksum mismatch")
        check_inner(pipeline_bytes, path)
        pipeline = _load_pipeline(pipeline_bytes, path)  # refuses untrusted types first
        if hashlib.sha256(vocabulary_bytes).hexdigest() != vocabulary_digest:
            raise ModelError(f"model {path} is corrupted: vocabulary checksum mismatch")
        _restore_vocabularies(pipeline, vocabulary_bytes, path)
        return cls(pipeline, metadata)


def explain(doc: tuple[str, str], terms: tuple[str, ...]) -> tuple[str, ...]:
    """The plain-words "why": the headline's meaning (actor, action, app, status), then
    the strongest model terms, quoted."""
    return plain_why(analyse(*doc)) + tuple(f'"{term}"' for term in terms)


def _serialise(pipeline: Pipeline) -> tuple[bytes, bytes]:
    """(skops bytes of the pipeline without vocabularies, JSON bytes of the vocabularies)."""
    steps = pipeline.named_steps["features"].transformer_list
    vocabularies = {n: s.vocabulary_ for n, s in steps if hasattr(s, "vocabulary_")}
    for name, step in steps:
        if name in vocabularies:
            del step.vocabulary_
    try:
        pipeline_bytes = sio.dumps(pipeline)
    finally:
        for name, step in steps:
            if name in vocabularies:
                step.vocabulary_ = vocabularies[name]
    plain = {n: {t: int(i) for t, i in v.items()} for n, v in vocabularies.items()}
    return pipeline_bytes, json.dumps(plain, ensure_ascii=False, sort_keys=True).encode()


def _restore_vocabularies(pipeline: Pipeline, data: bytes, path: Path) -> None:
    if not data:
        return  # an appban-model/2 file: the vocabularies are inside the pipeline
    try:
        vocabularies = json.loads(data)
        steps = dict(pipeline.named_steps["features"].transformer_list)
        for name, vocabulary in vocabularies.items():
            if not all(isinstance(t, str) and type(i) is int for t, i in vocabulary.items()):
                raise ValueError(f"vocabulary {name!r} is not term -> column")
            steps[name].vocabulary_ = vocabulary
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ModelError(f"model {path} has an unusable vocabulary: {exc}") from None


def _archive(pipeline: Pipeline, metadata: ModelMetadata) -> bytes:
    pipeline_bytes, vocabulary_bytes = _serialise(pipeline)
    meta = asdict(metadata) | {
        "format": FORMAT,
        "trained_at": metadata.trained_at.isoformat(),
        "metrics": dict(metadata.metrics),
        "pipeline_sha256": hashlib.sha256(pipeline_bytes).hexdigest(),
        "vocabulary_sha256": hashlib.sha256(vocabulary_bytes).hexdigest(),
    }
    meta["metadata_sha256"] = metadata_sha256(meta)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(_METADATA, json.dumps(meta, indent=2, sort_keys=True))
        archive.writestr(_PIPELINE, pipeline_bytes)
        archive.writestr(_VOCABULARY, vocabulary_bytes)
    return buffer.getvalue()


def _unpack(raw: bytes, path: Path) -> tuple[bytes, bytes, bytes]:
    """Metadata, pipeline and vocabulary bytes (b"" for a format-2 file without one)."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            has_vocabulary = _VOCABULARY in archive.namelist()
        if not has_vocabulary:
            meta_raw, pipeline_bytes = read_members(raw, [_METADATA, _PIPELINE], path)
            return meta_raw, pipeline_bytes, b""
        meta_raw, pipeline_bytes, vocabulary = read_members(
            raw, [_METADATA, _PIPELINE, _VOCABULARY], path
        )
        return meta_raw, pipeline_bytes, vocabulary
    except ModelError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise ModelError(f"model {path} is not a readable model archive: {exc}") from None
    except Exception as exc:  # zlib.error and others from damaged deflate streams
        raise ModelError(f"model {path} is corrupted: {type(exc).__name__}") from None


def metadata_sha256(meta: Mapping[str, Any]) -> str:
    """The checksum of a metadata document: sha256 of its canonical JSON (sorted keys, no
    spaces), ``metadata_sha256`` itself left out."""
    body = {k: v for k, v in meta.items() if k != "metadata_sha256"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _parse_metadata(raw: bytes, path: Path) -> tuple[ModelMetadata, str, str]:
    """Metadata, the pipeline's sha256 and the vocabulary's (that of b"" for format 2)."""
    try:
        data: dict[str, Any] = json.loads(raw)
        if data.get("format") == "appban-model/1":
            raise ModelError(
                f"model {path} has no metadata checksum (an older format): retrain it "
                "with `monitor train` or `monitor retrain`"
            )
        if data.get("metadata_sha256") != metadata_sha256(data):
            raise ModelError(f"model {path} is corrupted: metadata checksum mismatch")
        del data["metadata_sha256"]
        if data.pop("format") not in _FORMATS:
            raise ValueError("unknown format")
        digest = str(data.pop("pipeline_sha256"))
        vocabulary_digest = str(data.pop("vocabulary_sha256", _EMPTY_SHA256))
        data["trained_at"] = datetime.fromisoformat(data["trained_at"])
        data["threshold"] = _threshold(data["threshold"])
        data["metrics"] = {str(k): float(v) for k, v in data["metrics"].items()}
        return ModelMetadata(**data), digest, vocabulary_digest
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ModelError(f"model {path} has unusable metadata: {exc}") from None


def _threshold(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"threshold {value!r} is not a number")
    if not (math.isfinite(value) and 0.0 < value < 1.0):
        raise ValueError(f"threshold {value!r} is not a finite number in (0, 1)")
    return float(value)


def _check_version(metadata: ModelMetadata, path: Path) -> None:
    if metadata.sklearn_version != sklearn.__version__:
        raise ModelVersionError(
            f"model {path} was trained with scikit-learn {metadata.sklearn_version}, "
            f"this is {sklearn.__version__}: retrain it with `monitor train`"
        )


def _load_pipeline(data: bytes, path: Path) -> Pipeline:
    try:
        untrusted = set(sio.get_untrusted_types(data=data))
    except Exception as exc:  # a hostile file can make skops' schema reader raise anything
        raise ModelError(f"model {path} is corrupted: {type(exc).__name__}") from None
    refused = sorted(untrusted - set(SKOPS_TRUSTED_TYPES))
    if refused:
        raise UntrustedModelError(f"model {path} holds untrusted types: {', '.join(refused)}")
    try:
        pipeline = sio.loads(data, trusted=list(SKOPS_TRUSTED_TYPES))
    except Exception as exc:  # same reason: never crash on a damaged file
        raise ModelError(f"model {path} cannot be loaded: {type(exc).__name__}") from None
    if not isinstance(pipeline, Pipeline) or set(pipeline.named_steps) != {
        "features",
        "classifier",
    }:
        raise ModelError(f"model {path} does not hold an appban pipeline")
    return pipeline
