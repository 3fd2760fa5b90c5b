"""What changed since the last briefing: run snapshots and their comparison.

Every ``sgpipe run`` keeps a compact snapshot of what it reported in
``<output>/history/snapshot-<UTC time>.json``: per recommendation its status (with the
quote and page that stated it), first and last mention and the documents that
mention it; per document its title, date and type; per theme and document the
passages counted. The run then compares itself with the previous snapshot (or the
one named by ``--since PATH|DATE``) and writes ``changes.parquet`` (read by the
``tables`` stage into ``tables/changes.csv`` and by the briefings' "Since the last
briefing" section).

Rows of ``changes.parquet`` (``change`` column), in this order:

* ``compared_with``: always the first row; ``detail`` names the snapshot compared
  with, or says that this is the first run and there is nothing to compare with;
* ``new_document`` / ``removed_document``: a document read now but not then, or
  the other way round (``doc_id``, ``title``, ``date``);
* ``status_changed``: a recommendation whose latest stated status differs
  (``old`` -> ``new``), with the ``quote``, ``page`` and document that state the new one;
* ``first_mention``: a recommendation no document mentioned before, with the
  first passage that does (its status, if it states one, is in ``new``);
* ``silent``: a recommendation that has now gone more than N months (default 6)
  without a mention (counted from its last mention, or its review's date when never
  mentioned, to the latest document date), and had not then;
* ``theme_count``: a theme whose counted passages moved (``old`` -> ``new``).

A run with nothing changed writes the ``compared_with`` row only. A snapshot equal
to the latest one (same outputs) is not stored again.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline import schema, store
from pipeline.frames import itertuples

log = logging.getLogger(__name__)

HISTORY_DIR = "history"
SNAPSHOT_VERSION = 1
DEFAULT_SILENT_MONTHS = 6
CHANGE_KINDS = schema.CHANGE_KINDS
_NAME = re.compile(r"^snapshot-(\d{8}T\d{6}(?:\.\d+)?Z)\.json$")


class SnapshotError(ValueError):
    """``--since`` names no snapshot that can be read."""


@dataclass(frozen=True)
class Snapshot:
    """A stored snapshot: its file, the UTC time of its run and its content."""

    path: Path
    created: str
    data: dict[str, Any]


# --------------------------------------------------------------------------- snapshot


def build_snapshot(folder: str | Path) -> dict[str, Any]:
    """The compact summary of the outputs in ``folder`` that a later run compares with."""
    folder = Path(folder)
    documents = store.read_table(schema.DOCUMENTS, folder)
    passages = store.read_table(schema.PASSAGES, folder)
    themes = store.read_table(schema.THEMES, folder)
    recs = store.read_table(schema.RECOMMENDATIONS, folder)
    links = store.read_table(schema.LINKS, folder)
    ok = documents[documents["status"] == "ok"]
    docs = {
        r.doc_id: {"path": r.path, "title": r.title, "date": r.date, "doc_type": r.doc_type}
        for r in itertuples(ok, index=False)
    }
    dates = {d: v["date"] for d, v in docs.items()}
    text = dict(zip(passages["passage_id"], passages["text"], strict=True))
    page = dict(zip(passages["passage_id"], passages["page"], strict=True))
    seq = dict(zip(passages["passage_id"], passages["seq"], strict=True))
    kind = dict(zip(passages["passage_id"], passages["kind"], strict=True))
    lk = links[links["doc_id"].isin(docs)].copy()
    lk["date"] = lk["doc_id"].map(dates).fillna("")
    lk["seq"] = lk["passage_id"].map(seq).fillna(0).astype(int)
    if "status_cue" not in lk.columns:
        lk["status_cue"] = ""
    lk = lk.sort_values(["date", "doc_id", "seq"], kind="stable")
    # plain dicts per recommendation: pandas filtering per recommendation cost a second
    by_rec: dict[str, list[dict[str, Any]]] = {}
    cols = ["rec_id", "doc_id", "passage_id", "status", "date", "status_cue"]
    for row in lk[cols].to_dict("records"):
        by_rec.setdefault(row["rec_id"], []).append(row)
    out_recs: dict[str, Any] = {}
    for r in itertuples(recs.drop_duplicates("rec_id"), index=False):
        mine = by_rec.get(r.rec_id, [])
        stated = [m for m in mine if m["status"] != ""]
        dated = [m["date"] for m in mine if m["date"]]
        entry: dict[str, Any] = {
            "review": r.review,
            "number": r.number,
            "review_date": dates.get(r.doc_id, ""),
            "documents": sorted({m["doc_id"] for m in mine}),
            "first_mentioned": dated[0] if dated else "",
            "last_mentioned": dated[-1] if dated else "",
            "status": "",
            "status_doc": "",
            "status_quote": "",
            "status_page": 0,
            "first": {},
        }
        if mine:
            entry["first"] = _where(mine[0], text, page, docs)
        if stated:
            last = stated[-1]
            # quote the document's own words where it has them: its first passage stating
            # that status that is not a table row (a RAG table repeats the paragraph)
            same = [
                m for m in stated if m["doc_id"] == last["doc_id"] and m["status"] == last["status"]
            ]
            prose = [m for m in same if kind.get(m["passage_id"]) != "table"]
            where = _where(prose[0] if prose else last, text, page, docs)
            entry.update(
                status=str(last["status"]),
                status_doc=where["doc_id"],
                status_quote=where["quote"],
                status_page=where["page"],
            )
        out_recs[r.rec_id] = entry
    counted = themes
    if "negated" in themes.columns:
        counted = themes[~themes["negated"].fillna(False).astype(bool)]
    counted = counted[counted["doc_id"].isin(docs)].drop_duplicates(["passage_id", "theme"])
    theme_counts: dict[str, dict[str, int]] = {}
    for (theme, doc_id), n in counted.groupby(["theme", "doc_id"]).size().items():
        theme_counts.setdefault(str(theme), {})[str(doc_id)] = int(n)
    as_of = max((d for d in dates.values() if d), default="")
    return {
        "version": SNAPSHOT_VERSION,
        "as_of": as_of,
        "documents": docs,
        "recommendations": out_recs,
        "themes": theme_counts,
    }


def _where(row: dict[str, Any], text: dict, page: dict, docs: dict) -> dict[str, Any]:
    from pipeline.tables import trim_quote

    body = str(text.get(row["passage_id"], ""))
    cue = str(row.get("status_cue", "") or "")
    at = body.lower().find(cue.lower()) if cue else -1
    return {
        "doc_id": str(row["doc_id"]),
        "title": docs.get(row["doc_id"], {}).get("title", ""),
        "date": str(row["date"]),
        "page": int(page.get(row["passage_id"], 0)),
        "quote": trim_quote(body, at if at >= 0 else None),
        "status": str(row["status"]),
    }


def list_snapshots(folder: str | Path) -> list[Snapshot]:
    """The snapshots stored under ``folder/history/``, oldest first (unreadable ones skipped)."""
    hist = Path(folder) / HISTORY_DIR
    out = []
    for path in sorted(hist.glob("snapshot-*.json")) if hist.is_dir() else []:
        if not (m := _NAME.match(path.name)):
            continue
        try:
            out.append(Snapshot(path, m.group(1), json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError):
            log.warning("%s: not a readable snapshot; skipped", path)
    return out


def _content(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != "created"}


def save_snapshot(folder: str | Path, data: dict[str, Any], *, now: dt.datetime) -> Path | None:
    """Store ``data`` as a new snapshot unless it equals the latest one; return its path."""
    existing = list_snapshots(folder)
    if existing and _content(existing[-1].data) == _content(data):
        return None
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    path = Path(folder) / HISTORY_DIR / f"snapshot-{stamp}.json"
    store.write_json({**data, "created": stamp}, path, indent=None)
    return path


def pick_base(folder: str | Path, since: str = "") -> Snapshot | None:
    """The snapshot to compare with: the latest stored one, or the one ``since`` names:
    a snapshot file (path), or a date (yyyy-mm-dd): the latest snapshot made on or
    before that day. Raises :class:`SnapshotError` when ``since`` names none."""
    if not since:
        snaps = list_snapshots(folder)
        return snaps[-1] if snaps else None
    path = Path(since)
    if path.is_file():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SnapshotError(f"--since {since}: not a readable snapshot ({exc})") from exc
        m = _NAME.match(path.name)
        return Snapshot(path, m.group(1) if m else str(data.get("created", "")), data)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", since):
        day = since.replace("-", "")
        snaps = [s for s in list_snapshots(folder) if s.created[:8] <= day]
        if snaps:
            return snaps[-1]
        raise SnapshotError(
            f"--since {since}: no snapshot in {Path(folder) / HISTORY_DIR} "
            "was made on or before that day"
        )
    raise SnapshotError(f"--since {since}: neither a snapshot file nor a yyyy-mm-dd date")


# --------------------------------------------------------------------------- comparison


def _months_between(start: str, end: str) -> float:
    a, b = dt.date.fromisoformat(start[:10]), dt.date.fromisoformat(end[:10])
    return (b.year - a.year) * 12 + (b.month - a.month) + (b.day - a.day) / 31


def _silent(rec: dict[str, Any], as_of: str, months: int) -> bool:
    since = rec.get("last_mentioned") or rec.get("review_date") or ""
    return bool(since and as_of) and _months_between(since, as_of) > months


def _row(change: str, **kw: Any) -> dict[str, Any]:
    row = dict.fromkeys(schema.CHANGES.columns, "")
    row["page"] = 0
    row["change"] = change
    row.update(kw)
    return row


def _label(created: str) -> str:
    try:
        when = dt.datetime.strptime(created.split(".")[0].rstrip("Z"), "%Y%m%dT%H%M%S")
        return when.strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return created


def compare(
    old: Snapshot | None, new: dict[str, Any], *, silent_months: int = DEFAULT_SILENT_MONTHS
) -> pd.DataFrame:
    """The rows of ``changes.parquet`` (see the module docstring) from ``old`` to ``new``."""
    if old is None:
        rows = [
            _row(
                "compared_with",
                detail="First run in this output folder: there is nothing to compare with yet. "
                "The next run will list what changed since this one.",
            )
        ]
        return pd.DataFrame(rows, columns=list(schema.CHANGES.columns))
    before = old.data
    rows = [
        _row(
            "compared_with",
            detail=f"Compared with the run of {_label(old.created)} "
            f"(documents up to {before.get('as_of') or 'undated'}; {old.path.name}).",
            date=before.get("as_of", ""),
        )
    ]
    old_docs, new_docs = before.get("documents", {}), new["documents"]
    for doc_id in sorted(set(new_docs) - set(old_docs), key=lambda d: (new_docs[d]["date"], d)):
        d = new_docs[doc_id]
        rows.append(
            _row(
                "new_document",
                doc_id=doc_id,
                title=d["title"],
                date=d["date"],
                detail=f"{d['doc_type']}: {d['path']}",
            )
        )
    for doc_id in sorted(set(old_docs) - set(new_docs)):
        d = old_docs[doc_id]
        rows.append(
            _row(
                "removed_document",
                doc_id=doc_id,
                title=d["title"],
                date=d["date"],
                detail=f"{d['doc_type']}: {d['path']}",
            )
        )
    old_recs, new_recs = before.get("recommendations", {}), new["recommendations"]
    for rec_id, rec in new_recs.items():
        was = old_recs.get(rec_id, {})
        ident = {"rec_id": rec_id, "review": rec["review"], "number": rec["number"]}
        if rec["status"] and rec["status"] != was.get("status", ""):
            doc = new_docs.get(rec["status_doc"], {})
            rows.append(
                _row(
                    "status_changed",
                    **ident,
                    doc_id=rec["status_doc"],
                    title=doc.get("title", ""),
                    date=doc.get("date", ""),
                    old=was.get("status", ""),
                    new=rec["status"],
                    quote=rec["status_quote"],
                    page=int(rec["status_page"]),
                    detail=f"{was.get('status') or 'no status'} -> {rec['status']}",
                )
            )
        if rec["documents"] and not was.get("documents") and rec["first"]:
            f = rec["first"]
            rows.append(
                _row(
                    "first_mention",
                    **ident,
                    doc_id=f["doc_id"],
                    title=f["title"],
                    date=f["date"],
                    new=f["status"],
                    quote=f["quote"],
                    page=int(f["page"]),
                    detail="first mentioned by a later document",
                )
            )
        as_of = new.get("as_of", "")
        if _silent(rec, as_of, silent_months) and not (
            was and _silent(was, before.get("as_of", ""), silent_months)
        ):
            since = rec["last_mentioned"] or rec["review_date"]
            what = "last mentioned" if rec["last_mentioned"] else "review published"
            rows.append(
                _row(
                    "silent",
                    **ident,
                    old=rec["status"],
                    date=since,
                    detail=f"no mention for more than {silent_months} months "
                    f"({what} {since}; "
                    f"latest document {as_of})",
                )
            )
    old_t, new_t = before.get("themes", {}), new["themes"]
    for theme in sorted(set(old_t) | set(new_t)):
        a, b = sum(old_t.get(theme, {}).values()), sum(new_t.get(theme, {}).values())
        if a != b:
            rows.append(
                _row(
                    "theme_count",
                    theme=theme,
                    old=str(a),
                    new=str(b),
                    detail=f"{b - a:+d} passages ({a} -> {b})",
                )
            )
    out = pd.DataFrame(rows, columns=list(schema.CHANGES.columns))
    out["_k"] = out["change"].map({k: i for i, k in enumerate(CHANGE_KINDS)})
    return out.sort_values("_k", kind="stable").drop(columns="_k").reset_index(drop=True)


# --------------------------------------------------------------------------- stage


def changes_stage(cfg: Any, *, now: dt.datetime | None = None) -> pd.DataFrame:
    """Compare this run's outputs with the previous snapshot (or ``cfg.since``), write
    ``changes.parquet`` and store this run's snapshot. ``sgpipe run`` skips it when the
    tables it reads, the stored snapshots (their names and sizes), ``--since`` and
    ``--silent-months`` are those of its last run (see ``pipeline.run``)."""
    out = Path(cfg.output_dir)
    base = pick_base(out, getattr(cfg, "since", ""))
    snap = build_snapshot(out)
    months = getattr(cfg, "silent_months", DEFAULT_SILENT_MONTHS)
    changes = compare(base, snap, silent_months=months)
    old = out / schema.CHANGES.filename
    if not (
        old.is_file()
        and store.read_table(schema.CHANGES, out).equals(schema.conform(changes, schema.CHANGES))
    ):  # unchanged: keep the file, so that the briefing stages are skipped
        store.write_table(changes, schema.CHANGES, out)
    saved = save_snapshot(out, snap, now=now or dt.datetime.now(dt.UTC))
    log.info(
        "changes: %d since %s%s",
        len(changes) - 1,
        base.path.name if base else "nothing (first run)",
        f"; snapshot {saved.name}" if saved else "",
    )
    return changes
