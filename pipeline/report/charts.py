"""Charts for the HTML report: a theme x document heatmap and a recommendation timeline.

Both are drawn with matplotlib (Agg, no display needed) and returned as SVG text
without a date or random ids, so the same tables give the same bytes. Document
titles are drawn as plain text: mathtext is off, so a ``$`` in a title is a dollar.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date

import pandas as pd

from pipeline.tables import ThemeInfo

#: Status -> (colour, marker, legend label). Colour and shape both differ, so the
#: timeline reads in greyscale and for colour-blind readers.
STATUS_STYLE: dict[str, tuple[str, str, str]] = {
    "completed": ("#1a9850", "o", "completed"),
    "in_progress": ("#e08214", "s", "in progress"),
    "planned": ("#4575b4", "^", "planned"),
    "on_hold": ("#762a83", "P", "on hold"),
    "not_started": ("#c51b7d", "v", "not started"),
    "not_accepted": ("#d73027", "X", "not accepted"),
    "": ("#8c8c8c", "D", "mentioned, no status"),
}
_RC = {
    "text.parse_math": False,
    "svg.hashsalt": "safeguarding-pipeline",
    "svg.fonttype": "none",
    "font.family": ["DejaVu Sans", "sans-serif"],
    "font.size": 9,
}


def short_title(title: str, date_iso: str = "", *, width: int = 36) -> str:
    """A column label for a document: its title cut to ``width`` characters, and its date.

    >>> short_title("Local Child Safeguarding Practice Review: Child L", "2024-03-12")
    'Local Child Safeguarding Practice…\\n2024-03-12'
    """
    title = " ".join(str(title).split())
    if len(title) > width:
        title = title[: width - 1].rsplit(" ", 1)[0] + "…"
    return f"{title}\n{date_iso or 'undated'}"


def _svg(fig: object) -> str:
    import matplotlib.pyplot as plt

    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})  # type: ignore[attr-defined]
    plt.close(fig)  # type: ignore[arg-type]
    return buf.getvalue()


def heatmap_svg(theme_by_document: pd.DataFrame, catalog: Sequence[ThemeInfo]) -> str | None:
    """Themes (rows) x documents (columns), coloured by the share of the document's
    passages that raise the theme and labelled with the passage count. Themes no
    document raises are left out.

    ``None`` when there is nothing to draw (no documents, or no theme raised).
    """
    if theme_by_document.empty or not catalog:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    docs = theme_by_document.drop_duplicates("doc_id")[["doc_id", "title", "date"]]
    totals = theme_by_document.groupby("theme")["passages_tagged"].sum()
    order = [t.id for t in catalog if totals.get(t.id, 0) > 0]
    if not order:
        return None
    labels = {t.id: t.label for t in catalog}
    share = theme_by_document.pivot(index="theme", columns="doc_id", values="share")
    count = theme_by_document.pivot(index="theme", columns="doc_id", values="passages_tagged")
    share = share.loc[order, list(docs["doc_id"])]
    count = count.loc[order, list(docs["doc_id"])]
    n_rows, n_cols = share.shape
    with matplotlib.rc_context(_RC):
        fig, ax = plt.subplots(
            figsize=(min(max(6.5, 3.0 + 1.05 * n_cols), 40.0), min(1.4 + 0.34 * n_rows, 40.0))
        )
        im = ax.imshow(share.to_numpy(dtype=float), cmap="Blues", vmin=0, aspect="auto")
        vmax = float(share.to_numpy(dtype=float).max()) or 1.0
        im.set_clim(0, vmax)
        ax.set_yticks(range(n_rows), [labels.get(t, t) for t in order])
        ax.set_xticks(
            range(n_cols),
            [short_title(r.title, r.date, width=28) for r in docs.itertuples()],
            rotation=35,
            ha="right",
            rotation_mode="anchor",
            fontsize=8,
        )
        for i in range(n_rows):
            for j in range(n_cols):
                n = int(count.iat[i, j])
                if n:
                    dark = share.iat[i, j] > 0.6 * vmax
                    ax.text(
                        j,
                        i,
                        str(n),
                        ha="center",
                        va="center",
                        fontsize=8,
                        color="white" if dark else "#08306b",
                    )
        ax.set_xticks([x - 0.5 for x in range(1, n_cols)], minor=True)
        ax.set_yticks([y - 0.5 for y in range(1, n_rows)], minor=True)
        ax.grid(which="minor", color="white", linewidth=1.5)
        ax.tick_params(which="minor", length=0)
        bar = fig.colorbar(im, ax=ax, fraction=0.04, pad=0.02, format="{x:.0%}")
        bar.set_label("share of the document's passages")
        ax.set_title("Passages raising each theme (number in cell), by document", loc="left")
        return _svg(fig)


def _parse(iso: str) -> date | None:
    try:
        return date.fromisoformat(iso[:10]) if len(iso) >= 10 else None
    except ValueError:
        return None


def timeline_svg(
    recommendations: pd.DataFrame,
    evidence: pd.DataFrame,
    documents: pd.DataFrame,
    *,
    traced: bool = True,
) -> str | None:
    """When each recommendation was mentioned by a later document, coloured by status.

    One row per recommendation (grouped by review); a marker per (document,
    status) at the document's date, bigger when several passages of the document
    report on it; a black bar at the review's own date; "no later mention" for
    silent recommendations (unless ``traced`` is false: the linking stage has not
    run). Mentions in undated documents are counted at the row's end. ``None``
    when there are no recommendations.
    """
    if recommendations.empty:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    from pipeline.tables import number_key

    recs = recommendations.assign(_n=recommendations["number"].map(number_key))
    recs = recs.sort_values(["review", "_n", "rec_id"], kind="stable").reset_index(drop=True)
    links = evidence[evidence["kind"] == "link"]
    doc_dates = dict(zip(documents["doc_id"], documents["date"], strict=False))
    if "date" in recs.columns:  # the recommendations stage may date curated reviews itself
        for rec in recs.itertuples():
            if rec.doc_id not in doc_dates and _parse(str(rec.date or "")):
                doc_dates[rec.doc_id] = str(rec.date)
    all_dates = [d for d in map(_parse, links["date"]) if d]
    all_dates += [d for d in (_parse(doc_dates.get(x, "")) for x in recs["doc_id"]) if d]
    n = len(recs)
    with matplotlib.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(11, min(1.6 + 0.32 * n, 60.0)))
        for y, rec in enumerate(recs.itertuples()):
            published = _parse(doc_dates.get(rec.doc_id, ""))
            if published:
                ax.plot([published], [y], marker="|", color="black", markersize=14, mew=2)
            mine = links[links["rec_id"] == rec.rec_id]
            undated = 0
            for (_doc, status, iso), grp in mine.groupby(["doc_id", "status", "date"]):
                when = _parse(iso)
                if when is None:
                    undated += len(grp)
                    continue
                colour, marker, _ = STATUS_STYLE.get(status, STATUS_STYLE[""])
                ax.scatter(
                    [when],
                    [y],
                    s=40 + 25 * (len(grp) - 1),
                    c=colour,
                    marker=marker,
                    edgecolors="black",
                    linewidths=0.4,
                    zorder=3,
                )
            note = []
            if mine.empty and traced:
                note.append("no later mention")
            if undated:
                note.append(f"+{undated} in undated documents")
            if note:
                ax.annotate(
                    "; ".join(note),
                    xy=(1.0, y),
                    xycoords=("axes fraction", "data"),
                    xytext=(6, 0),
                    textcoords="offset points",
                    va="center",
                    fontsize=8,
                    color="#b2182b" if mine.empty else "#555555",
                    style="italic",
                )
        ax.set_yticks(range(n), [_rec_label(r.review, r.number, r.text) for r in recs.itertuples()])
        ax.set_ylim(n - 0.5, -0.5)
        if all_dates:
            lo, hi = min(all_dates), max(all_dates)
            pad = max((hi - lo).days * 0.05, 45)
            ax.set_xlim(
                pd.Timestamp(lo) - pd.Timedelta(days=pad), pd.Timestamp(hi) + pd.Timedelta(days=pad)
            )
        locator = mdates.AutoDateLocator(minticks=3, maxticks=9)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        ax.grid(axis="x", color="#dddddd", linewidth=0.6)
        ax.grid(axis="y", color="#f0f0f0", linewidth=0.6)
        handles = [
            Line2D([], [], color="black", marker="|", linestyle="", markersize=12, mew=2)
        ] + [
            Line2D([], [], color=c, marker=m, linestyle="", markeredgecolor="black", mew=0.4)
            for c, m, _ in STATUS_STYLE.values()
        ]
        ax.legend(
            handles,
            ["review published"] + [lab for _, _, lab in STATUS_STYLE.values()],
            loc="upper center",
            bbox_to_anchor=(0.5, -0.6 / max(n, 1) - 0.04),
            ncol=6,
            frameon=False,
            fontsize=8,
        )
        ax.set_title(
            "When later documents reported on each recommendation, and what they said"
            + ("" if traced else " (not traced yet: the linking stage has not run)"),
            loc="left",
        )
        return _svg(fig)


def _rec_label(review: str, number: str, text: str, *, width: int = 48) -> str:
    text = " ".join(str(text).split())
    if len(text) > width:
        text = text[: width - 1].rsplit(" ", 1)[0] + "…"
    return f"{review} {number}: {text}" if review else f"{number}: {text}"
