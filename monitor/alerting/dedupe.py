"""Text fingerprints and near-duplicate tests (pure; no I/O).

Canonical URLs live in ``monitor.ingest.urls``.

* ``text_fingerprint(text)``: sha256 of the normalised text (exact duplicates).
* ``minhash_signature(text)``: a MinHash of the text's 5-word shingles, as ``bytes`` to
  store in SQLite; ``similarity(a, b)`` estimates the Jaccard similarity of two texts
  (``similarities(a, others)``: of one text with many).
  ``NEAR_DUPLICATE_THRESHOLD`` is the similarity at or above which two texts are one
  story (a syndicated copy), chosen from the measurements below.

Same *event* (two outlets writing up one decision in their own words) is a different
question with a different answer (``monitor.alerting.events``): independent write-ups share
almost no 5-word shingles, see the seeds in the threshold comment.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy loads with the first signature, not at start-up (~0.25 s)
    import numpy as np

# -- text fingerprints ----------------------------------------------------------------

_NOT_WORD = re.compile(r"[^\w\s]+")
_SPACES = re.compile(r"\s+")


def normalise_text(text: str) -> str:
    """Casefolded, NFKC, punctuation removed, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return _SPACES.sub(" ", _NOT_WORD.sub(" ", text.replace("_", " "))).strip()


def text_fingerprint(text: str) -> str:
    """sha256 hex of the normalised text: equal for texts differing only in case,
    punctuation and spacing."""
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()


# -- near duplicates ----------------------------------------------------------------

SHINGLE_WORDS = 5
NUM_PERM = 128
_SEED = 1  # fixed: signatures stored in SQLite must stay comparable across runs
_SCHEME = "affine32"  # pinned: datasketch's default changed in 2.0.0; values are uint32
_MAGIC = b"mh1:"  # format tag, so a future change of scheme is detectable
_TAG_COLUMNS = len(_MAGIC) // 4  # the tag fills whole 4-byte values (read as one table)

# Chosen from measurements with this module (5-word shingles, 128 permutations; the
# estimate's standard error is about 0.045 near 0.5). Copies are built from the seeds by
# tests/unit/test_dedupe.py (``syndicate``: own intro + outro, k sentences edited).
#   syndicated copies of seeds 000-004 (min-max over the 5 seeds):
#     intro + outro only ............................... 0.89-0.94
#     intro + outro, 3 sentences edited ................ 0.71-0.87
#     intro + outro, 5 sentences edited ................ 0.61-0.75
#     intro + outro, 8 sentences edited ................ 0.49-0.66
#     first 60 % of the text (a shortened copy) ........ 0.45-0.73
#     first 50 % ....................................... 0.33-0.59
#   not copies:
#     independent reports of ONE decision (000/001/002) and other TikTok stories
#       (003, 004), all 10 pairs ........................ 0.00-0.008
#     the same pairs sharing a 29-word outro ........... <= 0.023 (intro too: <= 0.055)
#     unrelated 400-word texts (15 current-events bullets each), 200 pairs: <= 0.031
#       sharing the 29-word outro ...................... <= 0.0625
#     2000 pairs of unrelated one-sentence bullets ..... 0.00
# Everything article-sized sits at <= 0.06 or >= 0.45: 0.4 keeps two standard errors
# below the weakest copies and far above unrelated text. Known weak spot: SHORT texts
# (~27-word bullets) that share a 29-word boilerplate reach 0.4 in 14 % of pairs (0.5 in
# 1.7 %): boilerplate must be stripped before signing (trafilatura does that for pages).
NEAR_DUPLICATE_THRESHOLD = 0.4


def shingles(text: str, size: int = SHINGLE_WORDS) -> set[str]:
    """The text's runs of ``size`` words (one shingle of all words when shorter)."""
    words = normalise_text(text).split()
    if len(words) <= size:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


def minhash_signature(text: str, *, num_perm: int = NUM_PERM) -> bytes:
    """Deterministic MinHash of the text's 5-word shingles, as bytes (4 + 4*num_perm)."""
    import numpy as np
    from datasketch import MinHash  # here, not at import: it pulls in scipy (~1 s)

    sketch = MinHash(
        num_perm=num_perm, seed=_SEED, scheme=_SCHEME, permutations=_permutations(num_perm)
    )
    sketch.update_batch([s.encode("utf-8") for s in sorted(shingles(text))])
    return _MAGIC + np.asarray(sketch.hashvalues, dtype="<u4").tobytes()


@functools.cache
def _permutations(num_perm: int) -> tuple[np.ndarray, np.ndarray]:
    """The seeded permutations every signature uses, drawn once (datasketch draws them
    again for each ``MinHash``)."""
    from datasketch import MinHash

    a, b = MinHash(num_perm=num_perm, seed=_SEED, scheme=_SCHEME).permutations
    a.setflags(write=False)
    b.setflags(write=False)
    return a, b


def similarity(sig_a: bytes, sig_b: bytes) -> float:
    """Estimated Jaccard similarity of the texts behind two signatures, 0..1.

    Signatures of another format or size cannot be compared: 0.0 (not a duplicate)
    rather than an error, so one odd stored row never stops the alerting stage.
    """
    return similarities(sig_a, [sig_b])[0]


def similarities(signature: bytes, others: Sequence[bytes | memoryview]) -> list[float]:
    """``[similarity(signature, other) for other in others]`` in one array comparison: a
    filing compares each ban report with every recent story, so the stored signatures
    are read as one table (1,000 stories: 0.4 ms; 1.8 ms checking and copying each on
    its own; ~3 ms comparing them one by one). An ``other`` of another format or size
    scores 0.0."""
    mine = _values(signature)
    scores = [0.0] * len(others)
    if mine is None or len(mine) == 0:
        return scores
    import numpy as np

    size = len(_MAGIC) + 4 * len(mine)
    blobs = [other if type(other) is bytes else bytes(other) for other in others]
    rows = [i for i, blob in enumerate(blobs) if len(blob) == size and _well_formed(blob)]
    if rows:
        # One buffer of whole signatures, one row each; the tag is the first 4-byte column.
        table = np.frombuffer(b"".join([blobs[i] for i in rows]), "<u4").reshape(len(rows), -1)
        equal = np.count_nonzero(table[:, _TAG_COLUMNS:] == mine, axis=1)
        for i, count in zip(rows, equal.tolist(), strict=True):
            scores[i] = count / len(mine)
    return scores


def _values(signature: bytes) -> np.ndarray | None:
    import numpy as np

    raw = bytes(signature)
    if not _well_formed(raw):
        return None
    return np.frombuffer(raw, dtype="<u4", offset=len(_MAGIC))


def _well_formed(raw: bytes) -> bool:
    """The format rule of a stored signature: the tag, then whole 4-byte values."""
    return raw.startswith(_MAGIC) and (len(raw) - len(_MAGIC)) % 4 == 0
