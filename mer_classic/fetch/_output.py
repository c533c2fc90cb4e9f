"""Writing a crawl's outputs: tracks.csv, conflicts.csv and summary.json."""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mer_classic._io import atomic_open, escape_formula, write_text_atomic
from mer_classic.fetch._attributes import ATTRIBUTE_COLUMNS, FORBIDDEN_HINT

__all__ = ["TRACK_COLUMNS", "CONFLICT_COLUMNS", "write_outputs", "why_empty"]

_META_COLUMNS = (
    "track_id",
    "isrc",
    "name",
    "artists",
    "album",
    "release_date",
    "duration_ms",
    "preview_url",
    "audio_path",
    "label",
    "source",
)
#: columns of ``tracks.csv`` (``duration_ms`` appears once: track metadata and the
#: audio attribute are the same value)
TRACK_COLUMNS: tuple[str, ...] = _META_COLUMNS + tuple(
    c for c in ATTRIBUTE_COLUMNS if c not in _META_COLUMNS
)
#: columns of ``conflicts.csv``
CONFLICT_COLUMNS: tuple[str, ...] = (
    "track_id",
    "isrc",
    "name",
    "artists",
    "label",
    "conflicting_labels",
    "source",
)


def _write_csv(path: Path, columns: Sequence[str], rows: list[dict[str, Any]]) -> None:
    """Write ``rows``; text a spreadsheet would run as a formula gets a ``'``."""
    with atomic_open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {
                    c: "" if row.get(c) is None else escape_formula(row.get(c))
                    for c in columns
                }
            )


def why_empty(summary: dict[str, Any], require_audio: bool) -> str:
    """Explain, for the error message, why no row was kept."""
    if require_audio:
        return (
            f"--require-audio dropped all {summary['dropped_without_audio']} tracks "
            "(apps created after 2024-11-27 get no preview_url). Rerun with --resume "
            "without --require-audio to keep them, and use local audio with "
            "`mer-classic extract`."
        )
    return f"every track is in conflicts.csv ({summary['conflicts']['tracks']} tracks)"


def write_outputs(
    crawler: Any,
    rows: list[dict[str, Any]],
    conflicts: list[dict[str, Any]],
    dup_stats: dict[str, int],
    require_audio: bool,
) -> dict[str, Any]:
    """Write tracks.csv, conflicts.csv and summary.json; mark the state complete.

    ``crawler`` is the running :class:`~mer_classic.fetch._stages.Crawler` (state,
    output folder, options and request counters). Returns the summary dict.
    """
    state, out = crawler.state, crawler.out
    table = []
    audio_missing: Counter[str] = Counter()
    for row in rows:
        track_id = row["track_id"]
        status = state.previews.get(track_id)
        has_audio = status == "ok" and (out / "audio" / f"{track_id}.mp3").exists()
        if not has_audio:
            if not row["preview_url"]:
                audio_missing["no_preview_url"] += 1
            elif not crawler.previews or crawler.offline:
                audio_missing["previews_off"] += 1
            else:
                audio_missing[status or "not_downloaded"] += 1
        if require_audio and not has_audio:
            continue
        out_row = dict(row, audio_path=f"audio/{track_id}.mp3" if has_audio else "")
        attrs = state.attributes.get(track_id) or {}
        for column in ATTRIBUTE_COLUMNS:
            if column == "duration_ms":
                if (
                    out_row.get("duration_ms") in (None, "")
                    and attrs.get(column) is not None
                ):
                    out_row["duration_ms"] = int(float(attrs[column]))
                continue
            out_row[column] = attrs.get(column)
        out_row["_has_attrs"] = bool(attrs)
        table.append(out_row)
    state.complete = True
    crawler.checkpoint()
    _write_csv(out / "tracks.csv", TRACK_COLUMNS, table)
    _write_csv(out / "conflicts.csv", CONFLICT_COLUMNS, conflicts)
    if crawler.attributes == "none":
        attr_status = "none"
    elif crawler.offline:
        attr_status = "from tracks file"
    elif state.flags.get("audio_features"):
        attr_status = "unavailable (Spotify answered 403)"
    else:
        attr_status = "spotify"
    with_audio = sum(1 for r in table if r["audio_path"])
    with_attrs = sum(1 for r in table if r["_has_attrs"])
    counts = dict(state.requests)
    counts["total"] = (
        counts.get("api", 0) + counts.get("token", 0) + counts.get("preview", 0)
    )
    this_run = dict(crawler.run_counts)
    this_run["total"] = sum(this_run.values())
    summary = {
        "tracks": len(table),
        "labels": dict(sorted(Counter(r["label"] for r in table).items())),
        "with_audio": with_audio,
        "without_audio": len(table) - with_audio,
        "dropped_without_audio": sum(audio_missing.values()) if require_audio else 0,
        "audio_missing": dict(sorted(audio_missing.items())),
        "with_attributes": with_attrs,
        "without_attributes": len(table) - with_attrs,
        "attributes": attr_status,
        "duplicates": {"by_id": dup_stats["by_id"], "by_isrc": dup_stats["by_isrc"]},
        "conflicts": {"groups": dup_stats["conflict_groups"], "tracks": len(conflicts)},
        "skipped": dict(sorted(Counter(s["reason"] for s in state.skipped).items())),
        "problems": list(state.problems),
        "forbidden_endpoints": sorted(k for k, v in state.flags.items() if v),
        "requests": counts,
        "requests_this_run": this_run,
        "runs": state.runs,
        "out": str(out),
    }
    if attr_status.startswith("unavailable"):
        summary["attributes_hint"] = FORBIDDEN_HINT
    write_text_atomic(out / "summary.json", json.dumps(summary, indent=2) + "\n")
    return summary
