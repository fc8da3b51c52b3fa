"""ModelArtifact save/load: round trip, and refusal of tampered or foreign files."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
import sklearn
import skops.io as sio
from sklearn.preprocessing import FunctionTransformer

from classifiers.artifact import ModelArtifact, metadata_sha256
from monitor.core.errors import ModelError, ModelVersionError, UntrustedModelError
from tests.training.conftest import FIXED_NOW

DOCS = [("Pakistan blocks X over security", ""), ("Rain expected on Sunday", "Cool.")]


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _rewrite(path: Path, members: dict[str, bytes]) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    path.write_bytes(buffer.getvalue())


def _copy(saved_model: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy.skops"
    target.write_bytes(saved_model.read_bytes())
    return target


def test_round_trip_keeps_metadata_and_predictions(
    small_model: ModelArtifact, saved_model: Path
) -> None:
    loaded = ModelArtifact.load(saved_model)
    assert loaded.metadata == small_model.metadata
    assert loaded.predict(DOCS) == small_model.predict(DOCS)
    meta = loaded.metadata
    assert meta.version.startswith("m-20250102030405-") and len(meta.version) == 25
    assert meta.trained_at == FIXED_NOW
    assert meta.sklearn_version == sklearn.__version__
    assert len(meta.data_sha256) == 64
    assert 0.0 < meta.threshold < 1.0
    assert {"cv_precision", "cv_recall", "cv_pr_auc"} <= set(meta.metrics)


def test_save_is_atomic_and_leaves_no_temporary_files(
    small_model: ModelArtifact, tmp_path: Path
) -> None:
    path = tmp_path / "nested" / "model.skops"
    small_model.save(path)
    small_model.save(path)  # overwrite in place
    assert [p.name for p in path.parent.iterdir()] == ["model.skops"]


def test_changed_bytes_are_refused(saved_model: Path, tmp_path: Path) -> None:
    path = _copy(saved_model, tmp_path)
    data = bytearray(path.read_bytes())
    for offset in range(len(data) // 3, len(data) // 3 + 64):
        data[offset] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelError):
        ModelArtifact.load(path)


def test_truncated_and_foreign_files_are_refused(saved_model: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.skops"
    path.write_bytes(saved_model.read_bytes()[:1000])
    with pytest.raises(ModelError, match=r"not a readable model archive|corrupted"):
        ModelArtifact.load(path)
    path.write_bytes(b"just text")
    with pytest.raises(ModelError):
        ModelArtifact.load(path)
    with pytest.raises(ModelError, match="cannot read model"):
        ModelArtifact.load(tmp_path / "missing.skops")


def test_swapped_pipeline_without_matching_checksum_is_refused(
    saved_model: Path, tmp_path: Path
) -> None:
    path = _copy(saved_model, tmp_path)
    members = _members(path)
    members["pipeline.skops"] = sio.dumps({"not": "a pipeline"})
    _rewrite(path, members)
    with pytest.raises(ModelError, match="checksum mismatch"):
        ModelArtifact.load(path)


def test_injected_type_is_refused_even_with_a_forged_checksum(
    saved_model: Path, tmp_path: Path
) -> None:
    path = _copy(saved_model, tmp_path)
    members = _members(path)
    pipeline = sio.loads(
        members["pipeline.skops"], trusted=sio.get_untrusted_types(data=members["pipeline.skops"])
    )
    pipeline.steps.insert(0, ("evil", FunctionTransformer(func=print)))
    evil = sio.dumps(pipeline)
    meta = json.loads(members["metadata.json"])
    meta["pipeline_sha256"] = hashlib.sha256(evil).hexdigest()
    meta["metadata_sha256"] = metadata_sha256(meta)
    _rewrite(path, {"metadata.json": json.dumps(meta).encode(), "pipeline.skops": evil})
    with pytest.raises(UntrustedModelError, match=r"builtins\.print"):
        ModelArtifact.load(path)


def test_other_scikit_learn_version_is_refused(saved_model: Path, tmp_path: Path) -> None:
    path = _copy(saved_model, tmp_path)
    members = _members(path)
    meta = json.loads(members["metadata.json"])
    meta["sklearn_version"] = "1.0.2"
    meta["metadata_sha256"] = metadata_sha256(meta)
    members["metadata.json"] = json.dumps(meta).encode()
    _rewrite(path, members)
    with pytest.raises(ModelVersionError, match=r"scikit-learn 1\.0\.2"):
        ModelArtifact.load(path)


def test_broken_metadata_is_refused(saved_model: Path, tmp_path: Path) -> None:
    path = _copy(saved_model, tmp_path)
    members = _members(path)
    broken = {"format": "appban-model/2"}
    members["metadata.json"] = json.dumps(
        broken | {"metadata_sha256": metadata_sha256(broken)}
    ).encode()
    _rewrite(path, members)
    with pytest.raises(ModelError, match="unusable metadata"):
        ModelArtifact.load(path)
