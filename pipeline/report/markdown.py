"""``briefing.md``: the briefing tables as GitHub-flavoured Markdown.

For pasting into a wiki, an issue or an e-mail that renders Markdown. Document
text is escaped for Markdown: pipes cannot break a table, and ``<``, ``*``, ``[``
and the like show as themselves instead of becoming HTML, emphasis or links
(entities such as ``&lt;`` can only ever produce text, so ``&`` is left alone).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pandas as pd

from pipeline.frames import itertuples
from pipeline.report.common import (
    SINCE_TITLE,
    changes_view,
    coverage_view,
    headline,
    pct,
    theme_matrix,
)
from pipeline.tables import COUNTING_NOTES, Tables, provenance_line, top_quotes

#: Each Markdown special character with a backslash before it (``str.translate``: one
#: pass per cell, where a regex substitution with a template cost 0.5 s on a briefing).
_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*[]<>|#!~"})
_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")


def md_escape(value: object) -> str:
    """Escape text for a Markdown table cell or paragraph (one line).

    >>> md_escape("a | b <script>")
    'a \\\\| b \\\\<script\\\\>'
    >>> md_escape("voice_of_child")
    'voice_of_child'
    """
    text = " ".join(("" if value is None else str(value)).split())
    text = text.translate(_MD_SPECIAL)
    if "_" in text:
        text = _UNDERSCORE.sub(r"\\_", text)
    return text


def md_table(
    df: pd.DataFrame, headers: Sequence[str] | None = None, *, right: Sequence[int] = ()
) -> str:
    """A pipe table; ``right`` are the indexes of right-aligned (numeric) columns."""
    headers = list(headers) if headers is not None else [str(c) for c in df.columns]
    lines = ["| " + " | ".join(md_escape(h) for h in headers) + " |"]
    lines.append(
        "| " + " | ".join("---:" if i in right else "---" for i in range(len(headers))) + " |"
    )
    for row in itertuples(df, index=False):
        lines.append("| " + " | ".join(md_escape(v) for v in row) + " |")
    return "\n".join(lines)


def render_markdown(tables: Tables) -> str:
    """The whole briefing as Markdown text."""
    out = ["# Safeguarding briefing", ""]
    out += [f"- **{md_escape(k)}:** {md_escape(v)}" for k, v in headline(tables)]
    if tables.notes:
        out += ["", *[f"- Note: {md_escape(n)}" for n in tables.notes]]
    intro, changes = changes_view(tables)
    out += ["", f"## {SINCE_TITLE}", "", md_escape(intro)]
    if len(changes):
        out += ["", md_table(changes)]
    out += ["", "## Themes", ""]
    summary = tables.theme_summary[tables.theme_summary["passages_tagged"] > 0]
    if summary.empty:
        out.append("No theme is counted yet.")
    else:
        view = summary[
            ["label", "passages_tagged", "documents", "share", "first_date", "last_date"]
        ].copy()
        view["share"] = view["share"].map(pct)
        out.append(
            md_table(
                view,
                [
                    "Theme",
                    "Passages",
                    "Documents",
                    "Share of passages",
                    "First raised",
                    "Last raised",
                ],
                right=[1, 2, 3],
            )
        )

    out += ["", "## Themes by document (passages)", ""]
    matrix = theme_matrix(tables)
    if matrix.empty:
        out.append("No theme is counted yet.")
    else:
        flat = matrix.reset_index()
        out.append(md_table(flat, [str(c) for c in flat.columns], right=range(1, flat.shape[1])))

    out += ["", "## Themes over time (passages, dated documents by month)", ""]
    tbd = tables.theme_by_date
    if tbd.empty or not (tbd["passages_tagged"] > 0).any():
        out.append("No dated document raises a theme.")
    else:
        raised = tbd.groupby("theme")["passages_tagged"].transform("sum") > 0
        wide = tbd[raised].pivot(index="label", columns="period", values="passages_tagged")
        order = list(dict.fromkeys(tbd.loc[raised, "label"]))
        flat = wide.loc[order].reset_index()
        out.append(md_table(flat, ["Theme", *wide.columns], right=range(1, flat.shape[1])))

    out += ["", "## Recommendation coverage", ""]
    cov = tables.recommendation_coverage
    if cov is None:
        out.append("The recommendation coverage table is not available in this run.")
    elif cov.empty:
        out.append("No recommendations were found in this run.")
    else:
        view = coverage_view(cov)
        for col in view.columns:
            if "share" in col or col.endswith("_pct"):
                view[col] = view[col].map(lambda v: pct(float(v)))
        numeric = [i for i, c in enumerate(view.columns) if pd.api.types.is_numeric_dtype(view[c])]
        out.append(md_table(view, right=numeric))

    out += ["", "## Actions from minutes", ""]
    if tables.actions.empty:
        out.append("No action lines were found.")
    else:
        view = tables.actions[["title", "date", "item", "owner", "due", "due_context"]]
        out.append(
            md_table(
                view, ["Meeting", "Date", "Item", "Owner", "Due", "Where the due date is stated"]
            )
        )

    out += ["", "## Strongest quotes by theme", ""]
    quotes = top_quotes(tables.evidence, n=3)
    if quotes.empty:
        out.append("No quotes yet.")
    for _theme, grp in quotes.groupby("theme", sort=False):
        out += [f"### {md_escape(grp['label'].iloc[0])}", ""]
        for q in itertuples(grp, index=False):
            out.append(f"> “{md_escape(q.quote)}”  ")
            out.append(f"> — *{md_escape(provenance_line(q._asdict()))}*")
            out.append("")

    out += ["## Evidence", ""]
    ev = tables.evidence
    if ev.empty:
        out.append("No theme tags or recommendation links yet.")
    else:
        view = pd.DataFrame(
            {
                "kind": ev["kind"],
                "what": [
                    r.label if r.kind == "theme" else f"{r.review} {r.number}".strip()
                    for r in itertuples(ev)
                ],
                "status": ev["status"],
                "score": ev["score"].map(lambda s: f"{s:.2f}"),
                "counted": ev["counted"].map({True: "yes", False: "no"}),
                "evidence": ev["evidence"],
                "source": [provenance_line(r._asdict()) for r in itertuples(ev, index=False)],
            }
        )
        out.append(
            md_table(
                view,
                [
                    "Kind",
                    "Theme / recommendation",
                    "Status",
                    "Score",
                    "Counted",
                    "Evidence",
                    "Source",
                ],
                right=[3],
            )
        )

    out += ["", "## How counts were made", ""]
    out += [f"- {md_escape(n)}" for n in COUNTING_NOTES]
    if len(tables.unread):
        out += ["", "Documents not counted:", ""]
        out += [
            f"- {md_escape(r.path)}: {md_escape(r.status)} {md_escape(r.error)}".rstrip()
            for r in itertuples(tables.unread)
        ]
    return "\n".join(out) + "\n"
