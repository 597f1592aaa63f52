"""Rebuild the bundled sample records (src/kg/sample/*.json) from the letters in ../shared/corpus.

    python tools/build_sample_records.py [--check]

The records are what `kg extract --no-text` finds (facts and evidence offsets, no letter
text), plus facts from the public record that an opening-only letter does not state, listed
in tools/sample-curation.json with their source. `--check` exits 1 when a file is stale.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from kg.extract import extract_file
from kg.record import CommunicationRecord

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"
SAMPLE = REPO / "src" / "kg" / "sample"
CURATION = REPO / "tools" / "sample-curation.json"


def build() -> dict[Path, str]:
    curation = json.loads(CURATION.read_text(encoding="utf-8"))
    files: dict[Path, str] = {}
    for letter in sorted(CORPUS.glob("*.txt")):
        record = extract_file(letter).without_text()
        data = record.model_dump(mode="json", exclude_none=True)
        curated = curation.get(record.reference or "", {})
        for field, value in curated.get("set", {}).items():
            data[field] = value
            data.setdefault("warnings", []).append(
                f"{field}: set from the public record ({curated['source']})"
            )
        record = CommunicationRecord.model_validate(data)
        files[SAMPLE / f"{letter.stem}.json"] = record.to_json() + "\n"
    return files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="Exit 1 if a sample file differs from a rebuild."
    )
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"no corpus at {CORPUS}", file=sys.stderr)
        return 2
    stale = []
    for path, text in build().items():
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(path.name)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print(
            f"stale sample records: {', '.join(stale)}; run python tools/build_sample_records.py",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
