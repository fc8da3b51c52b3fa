"""Model archives: the checksum covers the metadata, the threshold is range-checked, and
files that are not small regular archives are refused quickly with bounded memory."""

from __future__ import annotations

import hashlib
import io
import json
import os
import threading
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from classifiers.archive import MAX_MEMBER_BYTES
from classifiers.artifact import ModelArtifact, metadata_sha256
from monitor.core.errors import ModelError


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _with_meta(saved_model: Path, target: Path, rehash: bool, **changes: object) -> Path:
    members = _members(saved_model)
    meta = json.loads(members["metadata.json"]) | changes
    if rehash:
        meta["metadata_sha256"] = metadata_sha256(meta)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("metadata.json", json.dumps(meta))
        archive.writestr("pipeline.skops", members["pipeline.skops"])
    target.write_bytes(buffer.getvalue())
    return target


@pytest.mark.parametrize("threshold", [float("nan"), 2.0, -1.0, 0.99])
def test_an_edited_threshold_fails_the_metadata_checksum(
    saved_model: Path, tmp_path: Path, threshold: float
) -> None:
    path = _with_meta(saved_model, tmp_path / "m.skops", False, threshold=threshold)
    with pytest.raises(ModelError, match="metadata checksum mismatch"):
        ModelArtifact.load(path)


@pytest.mark.parametrize("threshold", [float("nan"), float("inf"), 2.0, 1.0, 0.0, -1.0, "0.5"])
def test_an_out_of_range_threshold_is_refused_even_with_a_good_checksum(
    saved_model: Path, tmp_path: Path, threshold: object
) -> None:
    path = _with_meta(saved_model, tmp_path / "m.skops", True, threshold=threshold)
    with pytest.raises(ModelError, match="threshold"):
        ModelArtifact.load(path)


def test_the_old_format_without_a_metadata_checksum_is_refused(
    saved_model: Path, tmp_path: Path
) -> None:
    path = _with_meta(saved_model, tmp_path / "m.skops", True, format="appban-model/1")
    with pytest.raises(ModelError, match="no metadata checksum"):
        ModelArtifact.load(path)


def _bomb(path: Path, inner: bool, meta: dict[str, object] | None = None) -> Path:
    """An archive whose pipeline (or a member inside the pipeline) inflates to 296 MB."""
    size = MAX_MEMBER_BYTES + (40 << 20)
    chunk = bytes(1 << 20)

    def zeros(archive: zipfile.ZipFile, name: str) -> None:
        with archive.open(name, "w", force_zip64=True) as out:
            for _ in range(size >> 20):
                out.write(chunk)

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        if inner:
            payload = io.BytesIO()
            with zipfile.ZipFile(payload, "w", compression=zipfile.ZIP_DEFLATED) as skops:
                zeros(skops, "arr.npy")
            meta = dict(meta or {}, pipeline_sha256=hashlib.sha256(payload.getvalue()).hexdigest())
            meta["metadata_sha256"] = metadata_sha256(meta)
            archive.writestr("metadata.json", json.dumps(meta))
            archive.writestr("pipeline.skops", payload.getvalue())
        else:
            archive.writestr("metadata.json", "{}")
            zeros(archive, "pipeline.skops")
    path.write_bytes(buffer.getvalue())
    return path


def _refused_quickly(path: Path, match: str) -> None:
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(ModelError, match=match):
            ModelArtifact.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.monotonic() - started < 2
    assert peak < 16 << 20, f"peak {peak >> 20} MB"


def test_a_zip_bomb_is_refused_before_inflating(tmp_path: Path) -> None:
    _refused_quickly(_bomb(tmp_path / "bomb.skops", inner=False), "above the .*-byte cap")


def test_a_zip_bomb_inside_the_pipeline_is_refused_before_skops_reads_it(
    saved_model: Path, tmp_path: Path
) -> None:
    meta = json.loads(_members(saved_model)["metadata.json"])
    _refused_quickly(_bomb(tmp_path / "inner.skops", inner=True, meta=meta), "above the caps")


def test_a_more_members_archive_is_refused(saved_model: Path, tmp_path: Path) -> None:
    members = _members(saved_model) | {"extra.bin": b"x"}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    (tmp_path / "m.skops").write_bytes(buffer.getvalue())
    with pytest.raises(ModelError, match="expected"):
        ModelArtifact.load(tmp_path / "m.skops")


def test_special_files_are_refused_without_reading(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.skops"
    os.mkfifo(fifo)
    errors: list[BaseException] = []
    reader = threading.Thread(target=lambda: _capture(errors, fifo), daemon=True)
    reader.start()
    reader.join(timeout=3)
    assert not reader.is_alive(), "loading a FIFO hangs"
    assert errors and "not a regular file" in str(errors[0])
    _refused_quickly(Path("/dev/zero"), "not a regular file")


def _capture(errors: list[BaseException], path: Path) -> None:
    try:
        ModelArtifact.load(path)
    except BaseException as exc:
        errors.append(exc)


def test_an_oversized_file_is_refused_from_its_size(tmp_path: Path) -> None:
    path = tmp_path / "big.skops"
    with path.open("wb") as out:
        out.truncate(65 << 20)  # sparse: no disk used
    _refused_quickly(path, "above the .*-byte cap")
