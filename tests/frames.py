"""Small hand-built stage frames for the linking and reply tests (fictional text)."""

from __future__ import annotations

import pandas as pd


def passages_frame(doc_id: str, rows: list[tuple], *, per_page: int = 8) -> pd.DataFrame:
    """Passages of ``doc_id``; rows: (kind, ref, text) or (kind, ref, text, parent_ref)."""
    return pd.DataFrame(
        [
            {
                "passage_id": f"{doc_id}:{seq:05d}",
                "doc_id": doc_id,
                "seq": seq,
                "page": 1 + seq // per_page,
                "ref": r[1],
                "parent_ref": r[3] if len(r) > 3 else "",
                "kind": r[0],
                "speaker": "",
                "text": r[2],
            }
            for seq, r in enumerate(rows)
        ]
    )


def docs_frame(*rows: dict, doc_type: str = "other") -> pd.DataFrame:
    """Documents read successfully; each row gives at least ``doc_id`` (path
    ``<doc_id>.pdf`` unless given, review ``""`` unless given)."""
    base = {"path": "", "doc_type": doc_type, "title": "", "date": "", "status": "ok", "review": ""}
    return pd.DataFrame(
        [{**base, **r, "path": r.get("path") or f"{r['doc_id']}.pdf"} for r in rows]
    )


def recs_frame(
    texts: dict[str, str], review: str, *, doc_id: str = "report-pdf", title: str = ""
) -> pd.DataFrame:
    """Recommendations ``number -> text`` of ``review`` (document title ``title``, by
    default "<review>: a report")."""
    return pd.DataFrame(
        [
            {
                "rec_id": f"{doc_id}#{n}",
                "doc_id": doc_id,
                "review": review,
                "number": n,
                "text": t,
                "addressees": "",
                "themes": "",
                "title": title or f"{review}: a report",
                "date": "2020-01-01",
            }
            for n, t in texts.items()
        ]
    )
