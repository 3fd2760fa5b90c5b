"""Status cues, with negation and hedging."""

from __future__ import annotations

import pytest

from pipeline.status import STATUSES, detect_status


@pytest.mark.parametrize(
    ("text", "status"),
    [
        # decisions on the recommendation
        ("The Government accepts this recommendation.", "accepted"),
        ("The Government agrees with the Committee's conclusion.", "accepted"),
        ("Response: Accepted. Work will start in April.", "accepted"),
        ("The Department does not accept this recommendation.", "not_accepted"),
        ("The Government does not agree with the Committee's view of the pledges.", "not_accepted"),
        ("Recommendation 6 has not been accepted in its original form.", "not_accepted"),
        (
            "The recommendation had not been accepted as written, but we would consider it.",
            "not_accepted",
        ),
        ("The Government rejects this recommendation.", "not_accepted"),
        ("The Government does not believe that it is appropriate to set targets.", "not_accepted"),
        ("The Home Office accepts the recommendation in principle.", "accepted_in_principle"),
        ("We agree with the principle of a single register.", "accepted_in_principle"),
        (
            "The Government agrees that more should be done to join up the work.",
            "accepted_in_principle",
        ),
        ("The Government agrees that obesity is an urgent problem.", "accepted_in_principle"),
        ("The Council partially accepts this recommendation.", "partially_accepted"),
        ("We accept part of the recommendation.", "partially_accepted"),
        (
            "The Government agrees that local areas should tailor services. It is right that they "
            "decide on funding without the need for central Government intervention.",
            "partially_accepted",
        ),
        # what has happened
        ("Recommendation 3 has been completed.", "completed"),
        ("This action has been completed.", "completed"),
        ("The protocol has been rewritten and signed off.", "completed"),
        ("The Department has commissioned the review of weight management.", "completed"),
        ("Recommendation 2 is in progress.", "in_progress"),
        ("The wellbeing check is being piloted in four schools.", "in_progress"),
        ("The audit has not yet been completed.", "in_progress"),
        ("Work is under way with the police.", "in_progress"),
        # what may happen
        (
            "The Department will consider the recommendations when designing the fund.",
            "under_consideration",
        ),
        ("The Government will give careful consideration to the idea.", "under_consideration"),
        ("The notification was planned to go live in February 2025.", "planned"),
        ("NICE plans to review its guidance next year.", "planned"),
        ("The new register will go live in October.", "planned"),
        # none
        ("The Chair thanked officers for the update.", ""),
        ("Child L and his family continued to receive regular updates.", ""),
        ("The audit has not been completed.", ""),
        # labels: table cells and "Status:"
        ("6 | Northbridge Council Education Service | Not accepted", "not_accepted"),
        ("3 | Schools Partnership | Completed", "completed"),
        ("Status: in progress (amber)", "in_progress"),
        # a label the text opens with, and a cell's closing sentence
        (
            "Partially accepted. The Council supports part (a). Part (b) will not be taken "
            "forward by the Council.",
            "partially_accepted",
        ),
        (
            "Accepted in principle - the Council will work with the Partnership.",
            "accepted_in_principle",
        ),
        ("R1 | Letters to schools | Green | Letter sent in May. Complete.", "completed"),
        ("The Council agreed that the recommendation should not be implemented.", "not_accepted"),
        (
            "The Government partially accepts this recommendation. We agree that schools should "
            "act, but we do not agree that every suspension needs an assessment.",
            "partially_accepted",
        ),
        ("9.4 | Protocol | Timescale: May 2024 | Complete. Protocol signed 3 May.", "completed"),
        ("9.6 | Training | June 2024 | On track", "in_progress"),
        ("9.8 | Audit | Due by March 2025 | Scheduled for 12 September 2024", "planned"),
    ],
)
def test_detect_status(text: str, status: str) -> None:
    assert detect_status(text).status == status


@pytest.mark.parametrize(
    "text",
    [
        "Recommendation 6 has not been accepted; officers will consider borough figures.",
        "The Council would consider it, but the recommendation was not accepted.",
    ],
)
def test_negation_outranks_hedging(text: str) -> None:
    assert detect_status(text).status == "not_accepted"


def test_explicit_words_outrank_implied_ones() -> None:
    text = (
        "Recommendation 2 is in progress. The programme was launched in June and will report soon."
    )
    assert detect_status(text).status == "in_progress"


def test_the_cue_is_the_words_that_gave_the_status() -> None:
    found = detect_status("In the meantime the Government agrees that more should be done here.")
    assert found.cue == "agrees that more should be done"


def test_every_detected_status_is_a_known_one() -> None:
    texts = ["accepted", "Status: completed", "will consider", "plans to", "is ongoing", ""]
    assert {detect_status(t).status for t in texts} <= {*STATUSES, ""}


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("Work on the new panel has not yet started.", "not_started"),
        ("The audit is yet to start because the post is vacant.", "not_started"),
        ("| 4 | Children's Services | Not yet started |", "not_started"),
        ("Status: not started", "not_started"),
        ("This action is on hold until the restructure is agreed.", "on_hold"),
        ("| 5 | Health Trust | On hold |", "on_hold"),
        ("Deferred. The Board will return to it in 2026.", "on_hold"),
        ("Implementation has been paused while funding is agreed.", "on_hold"),
        # a negated start is not a start, and not a completion either
        ("The pilot started in June and is in progress.", "in_progress"),
        # a decision on the recommendation still outranks what has happened
        ("The recommendation was not accepted and work has not started.", "not_accepted"),
    ],
)
def test_not_started_and_on_hold(text: str, status: str) -> None:
    assert detect_status(text).status == status
    assert status in STATUSES


def test_link_statuses_in_the_contract_are_the_detectors() -> None:
    from pipeline.schema import LINK_STATUSES

    assert set(LINK_STATUSES) == set(STATUSES)


def test_what_is_planned_outranks_not_started() -> None:
    text = (
        "Councillor Okafor queried why the plan had not yet started. The Director explained "
        "that co-production of the plan was planned to begin in March 2025."
    )
    assert detect_status(text).status == "planned"
