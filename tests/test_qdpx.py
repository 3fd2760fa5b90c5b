"""REFI-QDA export: read the .qdpx back and check every coded selection against the tags."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from lxml import etree

from pipeline.cli import main
from pipeline.report.qdpx import SEPARATOR, build_qdpx
from pipeline.tables import build_tables
from pipeline.textnorm import normalize_for_match

NS = {"q": "urn:QDA-XML:project:1.0"}
XSD = Path(__file__).parent / "data" / "refi_qda_project_subset.xsd"


def _open(data: bytes) -> tuple[etree._Element, dict[str, str]]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        root = etree.fromstring(zf.read("project.qde"))
        texts = {n: zf.read(n).decode("utf-8") for n in zf.namelist() if n != "project.qde"}
    return root, texts


@pytest.fixture()
def project(stage_dir: Path) -> tuple[etree._Element, dict[str, str]]:
    return _open(build_qdpx(build_tables(stage_dir)))


def test_structure_is_valid(project) -> None:  # type: ignore[no-untyped-def]
    root, texts = project
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    assert schema.validate(root), schema.error_log
    assert root.tag == "{urn:QDA-XML:project:1.0}Project"
    for src in root.iterfind("q:Sources/q:TextSource", NS):
        path = src.get("plainTextPath")
        assert path == f"internal://{src.get('guid')}.txt"
        assert f"Sources/{src.get('guid')}.txt" in texts
    assert all(not t.startswith("\ufeff") and "\r" not in t for t in texts.values())


def test_the_xsd_rejects_a_broken_project(project) -> None:  # type: ignore[no-untyped-def]
    root, _ = project
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    sel = root.find(".//q:PlainTextSelection", NS)
    del sel.attrib["startPosition"]
    assert not schema.validate(root)


def test_codebook(project, stage_dir: Path) -> None:  # type: ignore[no-untyped-def]
    root, _ = project
    tables = build_tables(stage_dir)
    top = root.findall("q:CodeBook/q:Codes/q:Code", NS)
    themes = [c for c in top if c.get("isCodable") == "true"]
    assert [c.get("name") for c in themes] == [t.label for t in tables.catalog]
    for code, theme in zip(themes, tables.catalog, strict=True):
        assert f"Theme id: {theme.id}." in code.findtext("q:Description", namespaces=NS)
    groups = [c for c in top if c.get("isCodable") == "false"]
    assert [g.get("name") for g in groups] == ["Recommendations"]
    reviews = groups[0].findall("q:Code", NS)
    assert [r.get("name") for r in reviews] == ["Child L"]
    assert [c.get("name") for c in reviews[0].findall("q:Code", NS)] == [
        "Child L 1",
        "Child L 2",
        "Child L 4",
    ]


def _sources(root: etree._Element, texts: dict[str, str]) -> dict[str, tuple[str, list]]:
    """Source name -> (text, [(start, end, code name)])."""
    codes = {c.get("guid"): c.get("name") for c in root.iter("{urn:QDA-XML:project:1.0}Code")}
    out = {}
    for src in root.iterfind("q:Sources/q:TextSource", NS):
        text = texts[f"Sources/{src.get('guid')}.txt"]
        sels = []
        for sel in src.iterfind("q:PlainTextSelection", NS):
            refs = sel.findall("q:Coding/q:CodeRef", NS)
            assert len(refs) == 1
            sels.append(
                (
                    int(sel.get("startPosition")),
                    int(sel.get("endPosition")),
                    codes[refs[0].get("targetGUID")],
                )
            )
        out[src.get("name")] = (text, sels)
    return out


def _expected_texts(passage: str, evidence: str, spans: str) -> list[str]:
    """What a tag's coded selections must say, worked out from themes.parquet alone."""
    if spans:
        return [s[2] for s in json.loads(spans)]
    if normalize_for_match(evidence) in normalize_for_match(passage):
        return [evidence]
    parts = [p.strip() for p in evidence.split(";")]
    found = [p for p in parts if normalize_for_match(p) in normalize_for_match(passage)]
    return found or [passage]


def test_every_selection_is_the_tagged_evidence(project, stage_dir: Path) -> None:  # type: ignore[no-untyped-def]
    root, texts = project
    sources = _sources(root, texts)
    docs = pd.read_parquet(stage_dir / "documents.parquet").set_index("doc_id")
    passages = pd.read_parquet(stage_dir / "passages.parquet")
    themes = pd.read_parquet(stage_dir / "themes.parquet")
    labels = {t.id: t.label for t in build_tables(stage_dir).catalog}
    checked = 0
    for doc_id, grp in passages.groupby("doc_id"):
        if docs.at[doc_id, "status"] != "ok":
            assert docs.at[doc_id, "title"] not in sources
            continue
        text, sels = sources[docs.at[doc_id, "title"]]
        parts = text.split(SEPARATOR)
        assert parts == list(grp.sort_values("seq")["text"]), "source = passages in order"
        starts = dict(zip(grp.sort_values("seq")["passage_id"], [0] * len(parts), strict=True))
        pos = 0
        for pid, part in zip(starts, parts, strict=True):
            starts[pid] = pos
            pos += len(part) + len(SEPARATOR)
        theme_sels = [s for s in sels if s[2] in labels.values()]
        expected = []
        for tag in themes[themes["doc_id"] == doc_id].itertuples():
            if tag.negated:
                continue  # not counted, not coded
            ptext = grp.set_index("passage_id").at[tag.passage_id, "text"]
            lo, hi = starts[tag.passage_id], starts[tag.passage_id] + len(ptext)
            mine = sorted(
                text[s:e]
                for s, e, name in theme_sels
                if name == labels[tag.theme] and lo <= s < e <= hi
            )
            want = _expected_texts(ptext, tag.evidence, tag.evidence_spans)
            assert [normalize_for_match(m) for m in mine] == sorted(
                normalize_for_match(w) for w in want
            ), (tag.passage_id, tag.theme)
            expected += want
            checked += 1
        assert len(theme_sels) == len(expected)
    assert checked == int((~themes["negated"] & (themes["doc_id"] != "broken-pdf")).sum())


def test_link_selections_cover_whole_passages(project, stage_dir: Path) -> None:  # type: ignore[no-untyped-def]
    root, texts = project
    links = pd.read_parquet(stage_dir / "links.parquet")
    passages = pd.read_parquet(stage_dir / "passages.parquet").set_index("passage_id")
    got = []
    for _name, (text, sels) in _sources(root, texts).items():
        got += [(text[s:e], code) for s, e, code in sels if code.startswith("Child L ")]
    want = [
        (passages.at[lk.passage_id, "text"], "Child L " + lk.rec_id.rsplit("#", 1)[1])
        for lk in links.itertuples()
    ]
    assert sorted(got) == sorted(want)


def test_variables(project) -> None:  # type: ignore[no-untyped-def]
    root, _ = project
    variables = {v.get("name"): v.get("guid") for v in root.iterfind("q:Variables/q:Variable", NS)}
    assert set(variables) == {"Document type", "Document date"}
    dated = 0
    for src in root.iterfind("q:Sources/q:TextSource", NS):
        values = {
            vv.find("q:VariableRef", NS).get("targetGUID"): vv[1].text
            for vv in src.iterfind("q:VariableValue", NS)
        }
        assert variables["Document type"] in values
        dated += variables["Document date"] in values
    assert dated == 4  # the undated minutes have no date value


def test_reproducible(stage_dir: Path) -> None:
    tables = build_tables(stage_dir)
    assert build_qdpx(tables) == build_qdpx(tables)


def test_cli_export(stage_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "review.qdpx"
    result = CliRunner().invoke(
        main, ["export", "qdpx", str(target), "--output", str(stage_dir), "--name", "Child L"]
    )
    assert result.exit_code == 0, result.output
    root, _ = _open(target.read_bytes())
    assert root.get("name") == "Child L"
    bad = CliRunner().invoke(
        main, ["export", "qdpx", str(tmp_path / "x.zip"), "--output", str(stage_dir)]
    )
    assert bad.exit_code == 2


@pytest.mark.parametrize(
    "parts", [("doc",), ("doc-1", "passage-0003", "voice_of_child"), ("", "é — ü", "\x1f")]
)
def test_guid_is_the_uuid5_of_its_parts(parts: tuple[str, ...]) -> None:
    """The hashlib-built GUID is exactly ``uuid.uuid5`` of the namespace and the parts."""
    import uuid

    from pipeline.report.qdpx import GUID_NAMESPACE, guid

    assert guid(*parts) == str(uuid.uuid5(GUID_NAMESPACE, "\x1f".join(parts)))


TRICKY = "A & B <tag> \"quoted\" 'single'\ttab\r\nline \x01ctl \ud800 café ✓"


def test_the_project_xml_is_what_elementtree_writes() -> None:
    """The writer of ``project.qde`` gives ElementTree's ``indent`` + ``tostring`` bytes,
    escapes included, for nested elements, text, empty elements and selections."""
    import xml.etree.ElementTree as ET

    from pipeline.report import qdpx

    ns = "urn:QDA-XML:project:1.0"
    ET.register_namespace("", ns)
    ref = ET.Element(f"{{{ns}}}Project", {"name": qdpx._x(TRICKY), "origin": "x"})
    mine = qdpx._Node("Project", {"name": qdpx._x(TRICKY), "origin": "x"})
    codes = ET.SubElement(ref, f"{{{ns}}}Codes")
    code = ET.SubElement(codes, f"{{{ns}}}Code", {"guid": "g1", "name": qdpx._x(TRICKY)})
    ET.SubElement(code, f"{{{ns}}}Description").text = qdpx._x(TRICKY)
    ET.SubElement(codes, f"{{{ns}}}Code", {"guid": "g2", "name": ""})
    ET.SubElement(ET.SubElement(ref, f"{{{ns}}}Empty"), f"{{{ns}}}TextValue").text = ""

    codes = qdpx._sub(mine, "Codes")
    code = qdpx._sub(codes, "Code", guid="g1", name=TRICKY)
    qdpx._description(code, TRICKY)
    qdpx._sub(codes, "Code", guid="g2", name="")
    qdpx._sub(qdpx._sub(mine, "Empty"), "TextValue").text = ""

    sel = qdpx.Selection("d", 3, 9, "code-guid", TRICKY, TRICKY, "key")
    source = ET.SubElement(ref, f"{{{ns}}}TextSource", {"guid": "s"})
    node = ET.SubElement(
        source,
        f"{{{ns}}}PlainTextSelection",
        {
            "guid": qdpx.guid("selection", "key"),
            "name": qdpx._x(TRICKY),
            "startPosition": "3",
            "endPosition": "9",
            "creatingUser": "u",
        },
    )
    ET.SubElement(node, f"{{{ns}}}Description").text = qdpx._x(TRICKY)
    coding = ET.SubElement(
        node, f"{{{ns}}}Coding", {"guid": qdpx.guid("coding", "key"), "creatingUser": "u"}
    )
    ET.SubElement(coding, f"{{{ns}}}CodeRef", {"targetGUID": "code-guid"})
    qdpx._sub(mine, "TextSource", guid="s").children.append(qdpx._selection_xml(sel, "u", 2))
    ET.indent(ref, space="  ")
    expected = ET.tostring(ref, encoding="utf-8", xml_declaration=True)
    assert qdpx.project_xml(mine) == expected
