"""The rule tagger on hand-built texts: inflection, case, hyphenation, misspellings,
context, negation, evidence offsets, and the component in a plain spaCy pipeline."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy

from pipeline.themes.rules import theme_nlp


@pytest.fixture(scope="module")
def nlp():
    return theme_nlp()


def counted(doc) -> dict[str, str]:
    """``{theme: evidence}`` of the themes that count (not negated)."""
    return {t: tag.evidence for t, tag in doc._.theme_tags.items() if not tag.negated}


@pytest.mark.parametrize(
    ("text", "theme", "evidence"),
    [
        # inflection and case
        ("Officers searched the pupils in the corridor.", "searches", "searched the pupils"),
        ("Two girls were strip searched.", "searches", "girls were strip searched"),
        ("She was STRIP-SEARCHED at school.", "searches", "STRIP-SEARCHED"),
        ("The POLICE attended the school.", "police", "POLICE"),
        ("Policing in schools was discussed.", "police", "Policing"),
        ("Schools and staffing", "education", "Schools; staffing"),
        ("The children's views were not recorded.", "voice_of_child", "children's views"),
        ("Lessons learnt from this incident", "learning", "Lessons learnt"),
        ("Headteachers were briefed.", "education", "Headteachers"),
        # a sentence about a table is not its caption
        ("Table 3 shows that police referrals rose.", "police", "police"),
        # running text dense with names is not a list of names; nor is a heading in capitals
        (
            "The Northshire Police and the Children's Services Department met Head "
            "Teachers of the Borough to agree how schools would share concerns.",
            "police",
            "Police",
        ),
        (
            "THE POLICE SEARCHED A CHILD AT SCHOOL WITHOUT AN APPROPRIATE ADULT PRESENT "
            "AND WITHOUT TELLING HER MOTHER",
            "police",
            "POLICE",
        ),
        # families and young people are both involved
        (
            "Areas involve families and young people in designing the service.",
            "voice_of_child",
            "involve families and young people",
        ),
        # a bracketed number opening running text is not a reference
        ("[3] The police did not attend the strategy meeting.", "police", "police"),
        # legislation without its name
        ("Owners should be required by law to prepare plans.", "national_policy", "by law"),
        # consent to share a family's information
        (
            "Staff asked whether consent had been sought before sharing information.",
            "voice_of_family",
            "consent had been sought before sharing",
        ),
        # the child heard, a few words on
        (
            "All victims are reassured that they are being taken seriously.",
            "voice_of_child",
            "victims are reassured that they are being taken seriously",
        ),
        # a welfare lens on a child who harmed
        (
            "The school should consider support for the alleged perpetrator and the victim.",
            "safeguarding_first",
            "support for the alleged perpetrator",
        ),
        # learning resources and opportunities
        ("The charity offers a toolkit to support teachers.", "learning", "toolkit"),
        ("Practitioners access learning opportunities.", "learning", "learning opportunities"),
        # a mixed-case acronym ending a sentence
        ("Data requests go to the DfE.", "national_policy", "DfE"),
        # a licence notice run into a long passage does not silence the passage
        (
            "Crown copyright 2025. " + "The review found that the school did not tell the "
            "child's mother before the police searched her, and no appropriate adult was "
            "present. " * 5,
            "police",
            "police",
        ),
        # a table row of text, not figures, raises its themes
        (
            "Police | Attend the strategy meeting | Share the crime report",
            "police",
            "Police",
        ),
        (
            "Box 1: Child M was strip searched by two police officers at school.",
            "police",
            "police officers",
        ),
        (
            "The child's physical health and education needs were assessed.",
            "health_trauma",
            "health",
        ),
        (
            "Parents experiencing the assessment said they felt heard.",
            "voice_of_family",
            "Parents experiencing",
        ),
        (
            "Staff were involved in listening to children.",
            "voice_of_child",
            "listening to children",
        ),
        # new wording classes of the codebook
        (
            "This should only be at the request of the victim.",
            "voice_of_child",
            "request of the victim",
        ),
        (
            "The pupil was moved to another class, taking account of her wishes.",
            "voice_of_child",
            "pupil was moved to another class, taking account of her wishes",
        ),
        (
            "They approach parents and family networks as partners.",
            "voice_of_family",
            "family networks as partners",
        ),
        (
            "First and foremost, they are children in need of help.",
            "safeguarding_first",
            "First and foremost, they are children",
        ),
        ("The Department for Transport will reply.", "national_policy", "Department for Transport"),
        (
            "It shows who else is working with a child.",
            "multi_agency",
            "else is working with a",
        ),
        ("Data sharing between the partners improved.", "multi_agency", "Data sharing; partners"),
        ("A multi-disciplinary team will lead the work.", "multi_agency", "multi-disciplinary"),
        # collaboration counts when agencies are named near it
        (
            "Social workers collaborate closely with the police on every case.",
            "multi_agency",
            "collaborate closely with the police",
        ),
        # monitoring counts together with another cue of oversight
        (
            "Leaders monitor the action plan and report to the board.",
            "oversight",
            "monitor; action plan",
        ),
        # the country acting: its policy, approach, spending
        (
            "We heard about problems in the UK's approach to space policy.",
            "national_policy",
            "UK's approach",
        ),
        (
            "Legislating that consent will be required to home educate.",
            "national_policy",
            "Legislating",
        ),
        ("Staff were trained to respond to disclosures.", "learning", "trained"),
        # a service named in a list of agencies counts with another mention of its theme
        (
            "Teachers joined; the agencies were Education, Health, Police and Social Care.",
            "education",
            "Teachers; Education",
        ),
        # hyphenation, spacing and joining
        ("Sustained work on anti-racism", "anti_racism", "anti-racism"),
        ("An anti racist approach", "anti_racism", "anti racist"),
        ("An antiracist approach", "anti_racism", "antiracist"),
        ("An Anti-Racist approach", "anti_racism", "Anti-Racist"),
        ("anti- racist practice", "anti_racism", "anti- racist"),
        ("Multi agency working", "multi_agency", "Multi agency"),
        ("multiagency meetings", "multi_agency", "multiagency"),
        # misspellings of codebook words (not listed anywhere)
        ("Active anti-rascist practice", "anti_racism", "anti-rascist"),
        ("all had the opportunity to challenge rascism.", "anti_racism", "rascism"),
        ("safegaurding first", "safeguarding_first", "safegaurding first"),
        ("the impact of discrimmination", "anti_racism", "discrimmination"),
        ("the racsim she had experienced", "anti_racism", "racsim"),  # two letters swapped
        # acronyms only in capitals
        ("the MASH received the referral", "multi_agency", "MASH; referral"),
        ("children with SEND", "disability", "SEND"),
    ],
)
def test_theme_found_with_evidence(nlp, text: str, theme: str, evidence: str) -> None:
    doc = nlp(text)
    assert counted(doc).get(theme) == evidence


@pytest.mark.parametrize(
    ("text", "theme"),
    [
        # a term in a non-thematic use
        ("has a parent or carer in custody, or is affected by parental offending", "police"),
        ("forcing someone to strip, touch themselves sexually", "searches"),
        ("Mash the potatoes and send them to the table.", "multi_agency"),
        ("Mash the potatoes and send them to the table.", "disability"),
        # inside an organisation's name or an address
        ("City and Hackney Safeguarding Children Partnership published a review", "multi_agency"),
        ("The Department for Education published the figures.", "education"),
        ("Write to Police Station Road, London E8 1EA.", "police"),
        ("The Royal College of Paediatrics and Child Health responded.", "health_trauma"),
        # a citation or a bibliographic reference is not the passage raising the theme
        ("Demand rose sharply (Ministry of Justice, 2023).", "national_policy"),
        (
            "Purcell, C., Baginsky, M. (2023) Home education in England: a loose thread. "
            "https://doi.org/10.1017/S1474746423000052",
            "education",
        ),
        ("Northshire Police. 2021. Joint Protocol for Information Sharing", "police"),
        ("[7] Northshire Police, Annual report 2023 (www.example.org)", "police"),
        (
            "https://example.org/report.pdf Northshire Police (2024). Annual report.",
            "police",
        ),
        # a figure's source line names where its figures come from
        ("Source: Department for Education, Children in need, 2024", "national_policy"),
        # a publication's licence notice is the publisher's
        (
            "(c) Crown copyright 2025. This publication is licensed under the terms of "
            "the Open Government Licence v3.0 except where otherwise stated.",
            "national_policy",
        ),
        # a figure's caption names what the figure shows
        ("Figure 4: Police referrals to the Northshire hub by month", "police"),
        ("The UK Space Agency will publish its plans.", "multi_agency"),
        ("Practitioners involved in protecting children met weekly.", "voice_of_child"),
        # the family network is involved, not the child
        ("The plan involves family networks in keeping children safe.", "voice_of_child"),
        ("Professor A. Example, University of Northshire", "education"),
        ("They work with the police, health and education.", "health_trauma"),
        # words near a theme's new cues that do not carry it
        ("A new duty social worker joined the team.", "national_policy"),
        ("Police knocked on the front door.", "multi_agency"),
        ("The parents showed little insight into the concerns.", "voice_of_family"),
        ("Professionals discussed the family at the meeting.", "voice_of_family"),
        ("She was offered DBT (dialectical behaviour therapy).", "national_policy"),
        ("Table 2.1 - Schools in the Northshire sample", "education"),
        # a data row of a table: its label names what the figures count
        ("Police | 34% | 38% | 37% | 34%", "police"),
        ("Police analyst (v2) | £13,000 | 3 months | 2020", "police"),
        ("School nurses | 12 | n/a | 7", "education"),
        ("Her mother-in-law attended the meeting.", "national_policy"),
        (
            "Support for perpetrators of domestic abuse is funded by the council.",
            "safeguarding_first",
        ),
        ("Her expertise in law and arbitration was not in doubt.", "national_policy"),
        ("All child-on-child abuse is unacceptable and will be taken seriously.", "voice_of_child"),
        ("Children may see, hear or experience the effects of abuse.", "voice_of_child"),
        ("Engaging in sexual activity without consent is an offence.", "voice_of_family"),
        ("Dr A. Example, Lecturer in Law at Northshire, gave evidence.", "national_policy"),
        # an inquiry named as the source of findings is not oversight by itself
        ("The Inquiry found that the fire doors were not tested.", "oversight"),
        ("Units operate in the 20 police force areas with the most violence.", "police"),
        ("When a local authority needs to get involved with a family, it acts.", "voice_of_family"),
        ("It shows families not already known to the team.", "voice_of_family"),
        (
            "Evidence is published online and available for inspection at the "
            "Parliamentary Archives.",
            "oversight",
        ),
        # a list of names or titles: its words name who or what is listed
        (
            "(BC 12) Northshire Police (BC 13) Professor A. Example, University of "
            "Northshire (BC 14) Department for Education (DfE) (BC 15) Example Health "
            "Trust (BC 16) Dr B. Example, Southshire College",
            "police",
        ),
        # a service named only in a list of agencies does not raise its theme
        ("The agencies were Education, Health, Police and Social Care.", "education"),
        # collaboration between companies or countries is not agencies working together
        ("The two companies began a collaboration on launch vehicles.", "multi_agency"),
        # monitoring alone is not oversight (a satellite monitors the oceans)
        ("The satellite is monitoring the planet's oceans.", "oversight"),
        # where children live is not their family's voice
        ("Children live with their families and family networks.", "voice_of_family"),
        # a pair of words whose end stands in an exclusion (an agency's name) does not count
        (
            "The case manager should consult local authority children's social care.",
            "voice_of_child",
        ),
        # a statistical model is trained; NEET names a status
        ("The model is trained on five years of records.", "learning"),
        ("Young people not in education, employment or training were counted.", "learning"),
        # countries and companies as partners; the picture a database gives of a child
        ("The UK will continue to work with international partners on satellites.", "multi_agency"),
        ("The database gives a holistic view of a child's needs.", "voice_of_child"),
        # their views after a child, but in the next sentence: the views are someone else's
        ("The child was placed in care. Staff gave their views.", "voice_of_child"),
        # real words are never read as misspellings of codebook words
        ("They walked through the overnight shelter.", "oversight"),
        ("They walked through the overnight shelter.", "searches"),
        # a short misspelling is not corrected (too many collisions)
        ("the plice came", "police"),
        # the space race is not race
        ("the space race and the race to the moon", "anti_racism"),
        # one weak cue is not enough
        ("The policy was published.", "learning"),
        # a race that is run, a surname, an NHS body
        ("Volunteers are needed for the race day; the race starts at noon.", "anti_racism"),
        ("Ms Black and the family support worker visited twice.", "anti_racism"),
        ("The Eastmoor Community Health Trust should see every child.", "community_trust"),
    ],
)
def test_theme_not_found(nlp, text: str, theme: str) -> None:
    doc = nlp(text)
    assert theme not in counted(doc)


def test_why_a_match_was_dropped_is_recorded(nlp) -> None:
    doc = nlp("has a parent or carer in custody")
    assert [(m.theme, m.text, r) for m, r in doc._.theme_dropped] == [
        ("police", "custody", "exclude:parent_in_custody")
    ]
    doc = nlp("The Department for Education said so.")
    assert ("education", "Education", "name") in [
        (m.theme, m.text, r) for m, r in doc._.theme_dropped
    ]


def test_a_police_service_named_in_full_counts(nlp) -> None:
    doc = nlp("The Metropolitan Police Service apologised.")
    assert "police" in counted(doc)


@pytest.mark.parametrize(
    ("text", "theme", "evidence"),
    [
        ("There was no evidence that race was a factor in the decision.", "anti_racism", "race"),
        ("Race was not a factor in how she was treated.", "anti_racism", "Race"),
        ("The review found no indication of police involvement.", "police", "police"),
    ],
)
def test_negated_mention_kept_marked_and_not_counted(
    nlp, text: str, theme: str, evidence: str
) -> None:
    doc = nlp(text)
    tag = doc._.theme_tags[theme]
    assert tag.negated and tag.evidence == evidence
    assert theme not in counted(doc)
    assert not [s for s in doc.spans["themes"] if s.label_ == theme]


@pytest.mark.parametrize(
    "text",
    [
        "Staff should not ignore racism.",  # prescriptive negation still raises the theme
        "There was no evidence that race was a factor, but racism was discussed at length.",
        "There was no evidence of racism in the referral; however, the racsim she had "
        "experienced at school was never explored.",
    ],
)
def test_theme_counts_when_not_every_mention_is_negated(nlp, text: str) -> None:
    assert "anti_racism" in counted(nlp(text))


def test_scores_follow_the_codebook_weights(nlp) -> None:
    one = nlp("We revised the policy and the procedure.")  # a strong cue and a weak one
    assert one._.theme_tags["learning"].score == pytest.approx(1 - 0.2 * 0.65, abs=1e-3)
    weak_pair = nlp("The policy was kept with the procedure.")  # two weak cues
    assert weak_pair._.theme_tags["learning"].score == pytest.approx(1 - 0.65**2, abs=1e-3)


TEXTS = [
    "Active anti-rascist practice",
    "The Chair stressed that the health system played a crucial role in identifying harm and "
    "making safeguarding referrals. He welcomed that IOPC investigation.",
    "Working with the Metropolitan Police; revising protocols and guidance on the role of "
    "police in schools",
    "“Voice of the child” – children’s views, wishes and feelings; the child’s lived experience",
    "There was no evidence that race was a factor.",
]


@pytest.mark.parametrize("text", TEXTS)
def test_evidence_offsets_index_the_text(nlp, text: str) -> None:
    doc = nlp(text)
    assert doc._.theme_tags
    for tag in doc._.theme_tags.values():
        for start, end, words in tag.spans:
            assert text[start:end] == words
    for m in doc._.theme_matches:
        assert text[m.start_char : m.end_char] == m.text
    for span in doc.spans["themes"]:
        assert text[span.start_char : span.end_char] == span.text


def test_component_works_in_a_plain_blank_pipeline() -> None:
    import pipeline.themes.rules  # noqa: F401  (registers the factory)

    nlp = spacy.blank("en")  # no lemmatizer: the component brings its own lemmas
    nlp.add_pipe("theme_rules")
    doc = nlp("The police searched the pupils at school.")
    assert {"police", "searches", "education"} <= set(counted(doc))
    assert {s.label_ for s in doc.spans["themes"]} >= {"police", "searches"}


def test_same_tags_whatever_the_pipeline_in_front(nlp) -> None:
    import pipeline.themes.rules  # noqa: F401

    plain = spacy.blank("en")
    plain.add_pipe("theme_rules")
    for text in TEXTS:
        a, b = nlp(text), plain(text)
        assert {t: g.spans for t, g in a._.theme_tags.items()} == {
            t: g.spans for t, g in b._.theme_tags.items()
        }


def test_component_leaves_the_doc_untouched(nlp) -> None:
    from pipeline.nlp import blank_english

    text = "Children were strip searched by police officers"
    before = blank_english()(text)
    after = nlp(text)
    assert after._.theme_tags
    for attr in ("text", "lemma_", "norm_", "whitespace_"):
        assert [getattr(t, attr) for t in after] == [getattr(t, attr) for t in before]


def test_misspellings_found_once_per_batch(nlp) -> None:
    rules = nlp.get_pipe("theme_rules")
    list(nlp.pipe(["a note on rascism", "more rascism here", "safegaurding leads"]))
    assert rules.variants["rascism"] == "racism"
    assert rules.variants["safegaurding"] == "safeguarding"
    assert "through" not in rules.variants


def test_a_custom_codebook(tmp_path: Path) -> None:
    import pipeline.themes.rules  # noqa: F401

    path = tmp_path / "weather.yaml"
    path.write_text(
        "themes:\n"
        "  - id: weather\n"
        "    label: Weather\n"
        "    description: Rain and snow.\n"
        "    patterns: [rain, {tokens: [{LEMMA: snow}, {LEMMA: storm}]}]\n"
        "    exclude: [rain check]\n",
        encoding="utf-8",
    )
    nlp = spacy.blank("en")
    codebook = {"@misc": "sgpipe.codebook.v1", "path": str(path)}
    nlp.add_pipe("theme_rules", config={"codebook": codebook})
    assert counted(nlp("It rained, then snow storms.")) == {"weather": "rained; snow storms"}
    assert counted(nlp("Take a rain check.")) == {}


@pytest.mark.parametrize(
    ("pattern", "needs"),
    [
        ([{"LOWER": "pace"}, {"LOWER": {"IN": ["code", "codes"]}}],
         [("LOWER", {"pace"}), ("LOWER", {"code", "codes"})]),
        ([{"LEMMA": "strip"}, {"ORTH": "-", "OP": "?"}, {"LEMMA": "search"}],
         [("LEMMA", {"strip"}), ("LEMMA", {"search"})]),
        ([{"IS_TITLE": True}, {"TEXT": "Act", "OP": "+"}, {"LIKE_NUM": True}],
         [("ORTH", {"Act"})]),
        ([{"LOWER": {"NOT_IN": ["a"]}}, {"LOWER": "b", "OP": "{0,2}"}, {"LOWER": "c", "OP": "!"}],
         []),
    ],
)  # fmt: skip
def test_required_words_of_token_patterns(pattern, needs) -> None:
    from pipeline.themes.rules import _required_words

    assert [(a, set(v)) for a, v in _required_words(pattern)] == needs


def test_matcher_is_skipped_only_where_it_finds_nothing(nlp) -> None:
    rules = nlp.get_pipe("theme_rules")
    texts = [
        "Children were strip searched by the Met under PACE codes.",
        "The Children Act 1989 and Working Together to Safeguard Children.",
        "It was treated as a safeguarding matter rather than a criminal one.",
        "Teachers met parents.",
        "",
    ]
    skipped = 0
    for text in texts:
        doc = nlp.make_doc(text)
        tokens = rules._tokens(doc)
        keys = rules._keys(tokens)
        if not rules._tokens_may_match(tokens, keys):
            skipped += 1
            assert rules._matcher(rules._shadow(doc, tokens, keys)) == []
        else:
            assert text
    assert skipped >= 2
