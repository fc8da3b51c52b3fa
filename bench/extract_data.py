"""Build a labelled extraction set in the benchmark layout from a package on PyPI.

    python bench/extract_data.py OUT

The scrapinghub article-extraction-benchmark cannot be fetched here, so this writes the
same layout from what the package index legitimately ships: the test data of the
``newspaper4k`` source distribution (MIT), real news pages (CNN, Time, Wired, Fox,
Chinese, Japanese, Thai, Arabic, Burmese ... sites) each with the article text that
newspaper4k's own tests expect. Those texts are silver labels (one extractor's checked
output, not the benchmark's hand-written bodies): read scores on them as a regression
signal, not as the benchmark's figure.

OUT receives ``ground-truth.json`` ({key: {"articleBody", "url"}}) and
``html/<key>.html.gz``, the layout ``bench/extract.py`` reads. Nothing is written into
the repository; the source distribution is downloaded with pip into a temporary folder.
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "newspaper4k==0.9.6"
# The same page as cleveland.com1, labelled a second way for another of its tests.
DUPLICATES = frozenset({"video_article_01"})


def download(folder: Path) -> Path:
    """The source distribution of PACKAGE, downloaded with pip into ``folder``."""
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
         "--no-binary", ":all:", "--dest", str(folder), PACKAGE],
        check=True,
    )  # fmt: skip
    (sdist,) = folder.glob("*.tar.gz")
    return sdist


def pages(sdist: Path) -> dict[str, dict[str, object]]:
    """key -> {"html": bytes, "articleBody": str, "url": str} for every labelled page."""
    found: dict[str, dict[str, object]] = {}
    with tarfile.open(sdist) as tar:
        members = {m.name.split("/tests/data/", 1)[-1]: m for m in tar if "/tests/data/" in m.name}

        def read(name: str) -> bytes | None:
            member = members.get(name)
            handle = tar.extractfile(member) if member is not None else None
            return handle.read() if handle is not None else None

        for name in sorted(members):
            if not (name.startswith("html/") and name.endswith(".html")):
                continue
            key = name.removeprefix("html/").removesuffix(".html")
            html, text = read(name), read(f"txt/{key}.txt")
            if html is None or text is None or key in DUPLICATES:
                continue
            meta = json.loads(read(f"metadata/{key}.json") or b"{}")
            found[key] = {"html": html, "articleBody": text.decode("utf-8"),
                          "url": str(meta.get("url", ""))}  # fmt: skip
    return found


def write(out: Path, found: dict[str, dict[str, object]]) -> None:
    (out / "html").mkdir(parents=True, exist_ok=True)
    truth = {}
    for key, page in found.items():
        html = page["html"]
        assert isinstance(html, bytes)
        (out / "html" / f"{key}.html.gz").write_bytes(gzip.compress(html, mtime=0))
        truth[key] = {"articleBody": page["articleBody"], "url": page["url"]}
    text = json.dumps(truth, ensure_ascii=False, indent=1, sort_keys=True)
    (out / "ground-truth.json").write_text(text, "utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n", 3)[3],
    )  # fmt: skip
    parser.add_argument("out", type=Path, help="folder to write (outside the repository)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        found = pages(download(Path(tmp)))
    write(args.out, found)
    print(f"{len(found)} labelled pages from {PACKAGE} in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
