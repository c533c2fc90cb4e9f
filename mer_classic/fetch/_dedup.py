"""De-duplication by track id and ISRC, and label conflicts.

An *entry* is one occurrence of a track in a source (a playlist item or a table
row): the metadata columns of ``tracks.csv`` plus ``label`` and ``source``.
"""

from __future__ import annotations

from typing import Any

from mer_classic.fetch._attributes import ATTRIBUTE_COLUMNS, AUDIO_ATTRIBUTES

__all__ = [
    "entry_from_track",
    "entry_from_row",
    "attributes_from_row",
    "resolve_entries",
]


def entry_from_track(track: dict[str, Any], label: str, source: str) -> dict[str, Any]:
    """Turn a Web API track object into an entry (the metadata columns of a row).

    Examples
    --------
    >>> e = entry_from_track({"id": "a", "name": "S", "artists": [{"name": "X"},
    ...     {"name": "Y"}], "external_ids": {"isrc": "usx1"}}, "calm", "playlist:p")
    >>> e["artists"], e["isrc"], e["preview_url"]
    ('X; Y', 'USX1', '')
    """
    album = track.get("album") or {}
    return {
        "track_id": track["id"],
        "isrc": ((track.get("external_ids") or {}).get("isrc") or "").upper(),
        "name": track.get("name") or "",
        "artists": "; ".join(
            a.get("name") or ""
            for a in track.get("artists") or []
            if isinstance(a, dict)
        ),
        "album": album.get("name") or "",
        "release_date": album.get("release_date") or "",
        "duration_ms": track.get("duration_ms"),
        "preview_url": track.get("preview_url") or "",
        "label": label,
        "source": source,
    }


def entry_from_row(row: Any) -> dict[str, Any]:
    """Build an entry from a tracks-table row's own columns (``--offline``)."""
    extra = row.extra
    duration = extra.get("duration_ms") or extra.get("length") or ""
    return {
        "track_id": row.track_id,
        "isrc": (extra.get("isrc") or "").upper(),
        "name": extra.get("name") or extra.get("track_name") or "",
        "artists": extra.get("artists") or extra.get("artist") or "",
        "album": extra.get("album") or extra.get("album_name") or "",
        "release_date": extra.get("release_date") or "",
        "duration_ms": int(float(duration)) if _is_number(duration) else None,
        "preview_url": extra.get("preview_url") or "",
        "label": "",
        "source": "",
    }


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def attributes_from_row(row: Any) -> dict[str, Any]:
    """Spotify attribute columns present in a tracks-table row (``--offline``)."""
    attrs = {}
    for column in ATTRIBUTE_COLUMNS:
        value = row.extra.get(column)
        if column == "duration_ms" and not value:
            value = row.extra.get("length")
        if value not in (None, "") and _is_number(value):
            attrs[column] = value  # as written: no float round trip
    has_audio_attr = any(c in attrs for c in AUDIO_ATTRIBUTES)
    return attrs if has_audio_attr else {}


def resolve_entries(
    entries: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, int]]:
    """De-duplicate entries by id and ISRC and split out label conflicts.

    Entries sharing a track id, or an ISRC (same recording under another id), form
    one group. A group with one label gives one row: the first entry with a
    preview URL, else the first entry, with the group's sources joined by ``;``.
    A group with several labels goes to the conflicts, one row per id. The result
    depends only on the entries and their order.

    Parameters
    ----------
    entries : list of dict
        Entries in crawl order (:func:`entry_from_track` plus label and source).

    Returns
    -------
    rows : list of dict
    conflicts : list of dict
        Rows with :data:`~mer_classic.fetch._crawl.CONFLICT_COLUMNS`.
    stats : dict
        ``by_id`` and ``by_isrc`` duplicates dropped, ``conflict_groups``.

    Examples
    --------
    >>> def e(i, isrc, label):
    ...     return {"track_id": i, "isrc": isrc, "name": "", "artists": "",
    ...             "preview_url": "", "label": label, "source": "s"}
    >>> rows, conflicts, stats = resolve_entries(
    ...     [e("a", "I1", "calm"), e("a", "I1", "calm"), e("b", "I1", "calm"),
    ...      e("c", "I2", "calm"), e("c", "I2", "sad")])
    >>> [r["track_id"] for r in rows], [c["track_id"] for c in conflicts], stats
    (['a'], ['c'], {'by_id': 2, 'by_isrc': 1, 'conflict_groups': 1})
    """
    first: dict[str, dict[str, Any]] = {}
    labels: dict[str, list[str]] = {}
    sources: dict[str, list[str]] = {}
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    by_isrc: dict[str, str] = {}
    rank: dict[str, int] = {}
    for e in entries:
        tid = e["track_id"]
        if tid not in first:
            rank[tid] = len(rank)
            first[tid] = e
            parent[tid] = tid
            labels[tid], sources[tid] = [], []
        if e["label"] not in labels[tid]:
            labels[tid].append(e["label"])
        for s in str(e["source"]).split(";"):
            if s and s not in sources[tid]:
                sources[tid].append(s)
        isrc = e.get("isrc") or ""
        if isrc:
            other = by_isrc.setdefault(isrc, tid)
            a, b = find(other), find(tid)
            if a != b:
                # keep the earliest-seen id as the root
                if rank[a] <= rank[b]:
                    parent[b] = a
                else:
                    parent[a] = b
    groups: dict[str, list[str]] = {}
    for tid in first:
        groups.setdefault(find(tid), []).append(tid)
    rows: list[dict[str, Any]] = []
    conflicts: list[dict[str, Any]] = []
    n_isrc = 0
    for members in groups.values():
        group_labels: list[str] = []
        group_sources: list[str] = []
        for tid in members:
            group_labels += [lab for lab in labels[tid] if lab not in group_labels]
            group_sources += [s for s in sources[tid] if s not in group_sources]
        n_isrc += len(members) - 1
        if len(group_labels) > 1:
            for tid in members:
                e = first[tid]
                conflicts.append(
                    {
                        "track_id": tid,
                        "isrc": e["isrc"],
                        "name": e["name"],
                        "artists": e["artists"],
                        "label": ";".join(labels[tid]),
                        "conflicting_labels": ";".join(group_labels),
                        "source": ";".join(sources[tid]),
                    }
                )
            continue
        rep = next((t for t in members if first[t]["preview_url"]), members[0])
        row = dict(first[rep], label=group_labels[0], source=";".join(group_sources))
        rows.append(row)
    stats = {
        "by_id": len(entries) - len(first),
        "by_isrc": n_isrc,
        "conflict_groups": sum(
            1 for m in groups.values() if len({lab for t in m for lab in labels[t]}) > 1
        ),
    }
    return rows, conflicts, stats
