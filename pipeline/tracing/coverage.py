"""Per-recommendation coverage (``tables/recommendation_coverage.csv``) and ``sgpipe trace``:
who reported on each recommendation, when, with what status and stance."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from pipeline import schema, store
from pipeline.frames import itertuples
from pipeline.recnumbers import number_order, top_number
from pipeline.textnorm import normalize_for_match
from pipeline.tracing.replies import STANCE_COLUMNS, reply_stances

#: The columns of ``tables/recommendation_coverage.csv``, in order.
COVERAGE_COLUMNS = [
    "review",
    "number",
    "rec_id",
    "short_text",
    "addressees",
    "linked_passages",
    "linked_documents",
    "first_mentioned",
    "last_mentioned",
    "latest_status",
    "latest_status_doc",
    "silent",
    *STANCE_COLUMNS,  # the stance of the reply that answers it (pipeline.tracing.replies)
]


def coverage(
    recommendations: pd.DataFrame,
    links: pd.DataFrame,
    passages: pd.DataFrame,
    documents: pd.DataFrame,
    *,
    cache_dir: str | Path | None = None,
) -> pd.DataFrame:
    """One row per recommendation: how later documents report on it.

    Columns: ``review``, ``number``, ``rec_id``, ``short_text`` (the first 120
    characters), ``addressees``, ``linked_passages``, ``linked_documents``,
    ``first_mentioned`` and ``last_mentioned`` (dates of the linked documents,
    yyyy-mm-dd, empty when undated), ``latest_status`` (the status stated by the
    latest linked passage that states one: latest document date, then reading
    order), ``latest_status_doc`` and ``silent`` (no later document mentions it).
    ``cache_dir`` keeps the replies' readings across runs
    (:func:`pipeline.tracing.replies.reply_stances`).
    """
    cols = COVERAGE_COLUMNS
    if recommendations.empty:
        empty = pd.DataFrame({c: pd.Series([], dtype="object") for c in cols})
        return _with_stances(empty, recommendations, links, passages, documents, cache_dir)
    dates = dict(zip(documents["doc_id"], documents["date"].fillna(""), strict=True))
    seqs = dict(zip(passages["passage_id"], passages["seq"], strict=True))
    lk = links.copy()
    lk["date"] = lk["doc_id"].map(dates).fillna("")
    lk["seq"] = lk["passage_id"].map(seqs).fillna(0)
    rows = []
    order = _sorted_recs(recommendations)
    # each recommendation's links, in the links' order (as a mask per recommendation gives)
    by_rec = {rid: grp for rid, grp in lk.groupby("rec_id", sort=False)}
    none = lk.iloc[0:0]
    for rec in itertuples(order, index=False):
        mine = by_rec.get(rec.rec_id, none)
        dated = sorted(d for d in mine["date"] if d)
        stated = mine[mine["status"] != ""].sort_values(["date", "doc_id", "seq"])
        rows.append(
            {
                "review": rec.review,
                "number": rec.number,
                "rec_id": rec.rec_id,
                "short_text": _short(rec.text),
                "addressees": rec.addressees,
                "linked_passages": int(mine["passage_id"].nunique()),
                "linked_documents": int(mine["doc_id"].nunique()),
                "first_mentioned": dated[0] if dated else "",
                "last_mentioned": dated[-1] if dated else "",
                "latest_status": stated["status"].iloc[-1] if len(stated) else "",
                "latest_status_doc": stated["doc_id"].iloc[-1] if len(stated) else "",
                "silent": mine.empty,
            }
        )
    table = pd.DataFrame(rows, columns=cols)
    return _with_stances(table, recommendations, links, passages, documents, cache_dir)


def _short(text: object) -> str:
    """The first 120 characters of a recommendation's text."""
    text = re.sub(r"\s+", " ", str(text)).strip()
    return text if len(text) <= 120 else text[:117].rstrip() + "..."


def _with_stances(
    table: pd.DataFrame,
    recommendations: pd.DataFrame,
    links: pd.DataFrame,
    passages: pd.DataFrame,
    documents: pd.DataFrame,
    cache_dir: str | Path | None = None,
) -> pd.DataFrame:
    """Hook: each recommendation's stance columns from the latest reply that answers it
    (:func:`pipeline.tracing.replies.reply_stances`; a response's before other documents'), and
    one row per recommendation that only a response restates (its report is not in the
    corpus)."""
    stances = reply_stances(recommendations, links, passages, documents, cache_dir=cache_dir)
    if stances.empty:
        for col in STANCE_COLUMNS:
            table[col] = pd.Series([""] * len(table), dtype="object")
        return table
    # a response's reply decides the stance over a later progress report's
    stances = stances.assign(_response=stances["doc_type"] == "response")
    order = ["_response", "date", "doc_id", "seq"]
    latest = stances.sort_values(order).groupby("rec_id").tail(1)
    latest = latest.set_index("rec_id")
    for col in STANCE_COLUMNS:
        mapped = table["rec_id"].map(latest[col])
        if col in ("stance_page", "reply_passages"):  # whole numbers, empty where no reply
            mapped = mapped.map(lambda v: "" if pd.isna(v) else str(int(v)))
        table[col] = mapped.fillna("")
    known = set(recommendations["rec_id"]) if len(recommendations) else set()
    own = latest[~latest.index.isin(known)].reset_index()
    if len(own):
        extra = pd.DataFrame(
            {
                "review": own["review"],
                "number": own["number"],
                "rec_id": own["rec_id"],
                "short_text": [_short(t) for t in own["text"]],
                "addressees": "",
                "linked_passages": own["reply_passages"],
                "linked_documents": 1,
                "first_mentioned": own["date"],
                "last_mentioned": own["date"],
                "latest_status": own["stance_status"],
                "latest_status_doc": own["doc_id"],
                "silent": False,
                **{col: own[col] for col in STANCE_COLUMNS},
            }
        )
        keys = [
            (str(r), number_order(str(n)))
            for r, n in zip(extra["review"], extra["number"], strict=True)
        ]
        extra = extra.iloc[sorted(range(len(extra)), key=keys.__getitem__)]
        table = pd.concat([table, extra], ignore_index=True) if len(table) else extra
    return table.reset_index(drop=True)[COVERAGE_COLUMNS]


def _sorted_recs(recs: pd.DataFrame) -> pd.DataFrame:
    """Recommendations by review, then by number read as numbers (8.2 before 8.10)."""
    pairs = zip(recs["review"], recs["number"], strict=True)
    keys = [(str(r), number_order(str(n))) for r, n in pairs]
    return recs.iloc[sorted(range(len(recs)), key=keys.__getitem__)]


def find_review(recommendations: pd.DataFrame, name: str) -> str:
    """The review called ``name`` (case and punctuation ignored; a unique prefix will do).

    Raises ``KeyError`` with the known names when there is no single match.
    """
    reviews = sorted(recommendations["review"].unique())
    want = normalize_for_match(name)
    exact = [r for r in reviews if normalize_for_match(r) == want]
    if exact:
        return exact[0]
    partial = [r for r in reviews if want and want in normalize_for_match(r)]
    if len(partial) == 1:
        return partial[0]
    raise KeyError(f"review {name!r} not found; known reviews: {', '.join(reviews) or 'none'}")


def trace_review(
    review: str,
    *,
    recommendations: pd.DataFrame,
    links: pd.DataFrame,
    passages: pd.DataFrame,
    documents: pd.DataFrame,
    number: str | None = None,
    width: int = 200,
) -> str:
    """A plain-text trace: each recommendation of ``review`` and every later passage linked to it.

    For each link: document title (or file), date, page, ref, status, score and
    the quote. Recommendations that no later document mentions are listed as silent.
    """
    recs = recommendations[recommendations["review"] == review]
    if number is not None:
        recs = recs[recs["number"].isin({number, top_number(number)})]
        if recs.empty:
            raise KeyError(f"{review} has no recommendation {number}")
    recs = _sorted_recs(recs)
    docs = documents.set_index("doc_id")
    pas = passages.set_index("passage_id")
    lines = [f"{review}: {len(recs)} recommendation(s)"]
    silent = []
    for rec in itertuples(recs, index=False):
        mine = links[links["rec_id"] == rec.rec_id]
        text = re.sub(r"\s+", " ", str(rec.text))
        lines.append("")
        lines.append(
            f"Recommendation {rec.number}: {text[:width]}{'...' if len(text) > width else ''}"
        )
        if mine.empty:
            lines.append("  (silent: no later document mentions it)")
            silent.append(rec.number)
            continue
        mine = mine.assign(
            date=mine["doc_id"].map(lambda d: docs.loc[d, "date"] if d in docs.index else ""),
            seq=mine["passage_id"].map(lambda p: pas.loc[p, "seq"] if p in pas.index else 0),
        ).sort_values(["date", "doc_id", "seq"])
        for link in itertuples(mine, index=False):
            p = pas.loc[link.passage_id] if link.passage_id in pas.index else None
            doc = docs.loc[link.doc_id] if link.doc_id in docs.index else None
            name = (str(doc["title"]) or str(doc["path"])) if doc is not None else link.doc_id
            quote = re.sub(r"\s+", " ", str(p["text"])) if p is not None else ""
            where = f"p{int(p['page'])}" if p is not None else ""
            ref = ""
            if p is not None and p["ref"]:
                ref = f" ¶{p['ref']}"
            elif p is not None and p["parent_ref"]:
                ref = f" ¶{p['parent_ref']} (item)"
            lines.append(
                f"  - {name} ({link.date or 'undated'}), {where}{ref}: "
                f"{link.status or 'no status'}, score {link.score:.2f} [{link.method}]"
            )
            lines.append(f'    "{quote[:width]}{"..." if len(quote) > width else ""}"')
    lines.append("")
    lines.append(
        f"Silent: {', '.join(silent)}"
        if silent
        else "Silent: none (every recommendation is mentioned)"
    )
    return "\n".join(lines)


#: Where ``sgpipe link`` writes the coverage table (the tables stage writes the same file).
COVERAGE_CSV = Path("tables") / "recommendation_coverage.csv"


def write_coverage(output_dir: str | Path) -> Path:
    """Compute the coverage table from the outputs in ``output_dir`` and write it to
    :data:`COVERAGE_CSV` there; returns its path."""
    out = Path(output_dir)
    documents = store.read_table(schema.DOCUMENTS, out)
    passages = store.read_table(schema.PASSAGES, out)
    recs = store.read_table(schema.RECOMMENDATIONS, out)
    links = store.read_table(schema.LINKS, out)
    table = coverage(recs, links, passages, documents, cache_dir=out / ".cache")
    return store.write_csv(table, out / COVERAGE_CSV)
