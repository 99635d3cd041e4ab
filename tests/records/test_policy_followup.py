"""The follow-up chain's registration rules, as plain functions (no server, no database).

Each refusal test is named after what it breaks; ``Log`` admits statements in
order through ``admit`` with the registrar's in-memory view, as a batch would.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import pytest

from registry.records.directory import KeyDirectory
from registry.records.errors import RegistrationRefused
from registry.records.policy import WIB, EntrySummary, admit
from registry.records.references import LogView
from registry.store.models import SignerKeyRecord
from registry.verify.statement import Statement
from tests.factories import election_payload

NOW_MS = int(dt.datetime(2026, 1, 1, tzinfo=dt.UTC).timestamp() * 1000)
X = "Pemerintah Kabupaten Bandung"
Y = "Pemerintah Kota Bogor"
SUBJECT = hashlib.sha256(b"salt" + b"198001012005011001").digest()
HISTORY_S = 100 * 365 * 86_400
"""The statements here are dated years before NOW_MS: history, as the test settings allow."""


def at(day: str, hour: int = 10) -> int:
    """Seconds at ``hour`` o'clock WIB on ``day``."""
    d = dt.date.fromisoformat(day)
    return int(dt.datetime(d.year, d.month, d.day, hour, tzinfo=WIB).timestamp())


def kid(label: str) -> bytes:
    return hashlib.sha256(label.encode()).digest()


def key(label: str, role: str, instansi: str, start: str = "2019-01-01", end: str = "2025-12-31"):  # type: ignore[no-untyped-def]
    return SignerKeyRecord(
        kid=kid(label),
        public_key=hashlib.sha256(b"pk" + label.encode()).digest(),
        role=role,
        name=label,
        nip=None,
        jabatan=f"jabatan {label}",
        instansi=instansi,
        decree_number="SK 1",
        decree_date=start,
        term_start=start,
        term_end=end,
        valid_from=0,
        valid_until=2**62,
        enrolment_idx=0,
    )


class Log:
    """Statements admitted in order, starting at entry 10."""

    def __init__(self) -> None:
        self.keys = KeyDirectory(
            [
                key("recommender", "recommender", "KemenPAN-RB/BKN"),
                key("bkn", "bkn", "Badan Kepegawaian Negara"),
                key("bawaslu", "bawaslu", "Bawaslu"),
                key("ppk-x", "ppk", X, end="2021-06-30"),
                key("ppk-x2", "ppk", X, start="2021-07-01"),
                key("ppk-y", "ppk", Y),
                key("asn-x", "asn", X),
            ]
        )
        election = election_payload("pilkada-2020")  # what the records cite
        self.view = LogView([EntrySummary(0, "election", kid("admin"), False, election)])
        self.size = 10

    def statement(self, signer: str, payload: dict[str, Any], iat: int) -> Statement:
        digest = kid(repr(payload))
        return Statement(
            payload["type"], payload, kid(signer), b"", "test", iat, digest, digest, b""
        )

    def add(self, signer: str, payload: dict[str, Any], day: str = "2020-09-01") -> int:
        idx = self.size
        statement = self.statement(signer, payload, at(day))
        admission = admit(statement, idx, NOW_MS, self.keys, self.view, max_age_s=HISTORY_S)
        self.view.admitted(idx, statement, admission)
        self.size += 1
        return idx

    def refused(
        self, signer: str, payload: dict[str, Any], day: str = "2020-09-01"
    ) -> RegistrationRefused:
        with pytest.raises(RegistrationRefused) as caught:
            self.add(signer, payload, day)
        return caught.value

    # -- records ---------------------------------------------------------------------

    def report(self, day: str = "2020-08-20", subject: bytes = SUBJECT) -> int:
        return self.add(
            "bawaslu",
            {
                "type": "report",
                "election": "pilkada-2020",
                "case_number": "NET.1",
                "reporter": "Bawaslu",
                "instansi": X,
                "subject_commitment": subject,
                "category": "attending-campaign",
                "description": "ikut kampanye",
                "place": "Bandung",
                "date": day,
            },
            day,
        )

    def recommendation(self, day: str = "2020-09-01", **changes: Any) -> int:
        payload: dict[str, Any] = {
            "type": "recommendation",
            "election": "pilkada-2020",
            "case_number": "NET.1",
            "instansi": X,
            "ppk_kid": kid("ppk-x"),
            "subject_commitment": SUBJECT,
            "category": "attending-campaign",
            "sanction": "moral",
            "deadline": (dt.date.fromisoformat(day) + dt.timedelta(days=14)).isoformat(),
        }
        payload.update(changes)
        return self.add("recommender", payload, day)

    def sanction(self, rec: int, signer: str = "ppk-x", day: str = "2020-09-10", **changes: Any):  # type: ignore[no-untyped-def]
        payload = {
            "type": "follow-up",
            "recommendation": rec,
            "action": "sanctioned",
            "decree_number": "862/1/BKPSDM/2020",
            "decree_date": day,
            **changes,
        }
        return payload, signer, day

    def refusal(self, rec: int) -> dict[str, Any]:
        return {"type": "follow-up", "recommendation": rec, "action": "refused", "reason": "tidak"}

    def step(
        self, step: str, cites: list[int], ppk: str = "ppk-x", **changes: Any
    ) -> dict[str, Any]:
        return {
            "type": "enforcement",
            "instansi": X,
            "ppk_kid": kid(ppk),
            "step": step,
            "reason": "belum ditindaklanjuti",
            "recommendations": cites,
            **changes,
        }

    def revoke(self, entry: int, signer: str) -> int:
        return self.add(signer, {"type": "revocation", "entry": entry, "reason": "keliru"})


@pytest.fixture
def log() -> Log:
    return Log()


def follow(log: Log, rec: int, **kwargs: Any) -> int:
    payload, signer, day = log.sanction(rec, **kwargs)
    return log.add(signer, payload, day)


def refuse_follow(log: Log, rec: int, **kwargs: Any) -> RegistrationRefused:
    payload, signer, day = log.sanction(rec, **kwargs)
    return log.refused(signer, payload, day)


# -- recommendations ------------------------------------------------------------------------


def test_recommendation_citing_its_report_to_a_ppk_in_office_is_admitted(log: Log) -> None:
    report = log.report()
    assert log.recommendation(report=report) == report + 1


def test_recommendation_without_report_is_admitted(log: Log) -> None:
    rec = log.recommendation()
    admitted = log.view.summary(rec)
    assert admitted is not None
    assert (admitted.type, admitted.revoked) == ("recommendation", False)
    assert "report" not in admitted.payload


@pytest.mark.parametrize(
    ("changes", "code", "status"),
    [
        ({"report": 3}, "unknown-report", 404),
        ({"ppk_kid": kid("nobody")}, "unknown-ppk", 422),
        ({"ppk_kid": kid("asn-x")}, "not-a-ppk", 422),
        ({"instansi": Y}, "instansi-mismatch", 422),
    ],
    ids=["report-missing", "ppk-unknown", "addressed-to-asn", "instansi-of-another"],
)
def test_recommendation_refused(log: Log, changes: dict[str, Any], code: str, status: int) -> None:
    refused = log.refused("recommender", {**_rec_payload(), **changes})
    assert (refused.code, refused.status) == (code, status)


def _rec_payload() -> dict[str, Any]:
    return {
        "type": "recommendation",
        "election": "pilkada-2020",
        "case_number": "NET.1",
        "instansi": X,
        "ppk_kid": kid("ppk-x"),
        "subject_commitment": SUBJECT,
        "category": "attending-campaign",
        "sanction": "moral",
        "deadline": "2020-09-15",
    }


def test_recommendation_citing_a_non_report_is_refused(log: Log) -> None:
    rec = log.recommendation()
    refused = log.refused("recommender", {**_rec_payload(), "report": rec})
    assert (refused.code, refused.status) == ("not-a-report", 422)


def test_recommendation_citing_a_revoked_report_is_refused(log: Log) -> None:
    report = log.report()
    log.revoke(report, "bawaslu")
    refused = log.refused("recommender", {**_rec_payload(), "report": report})
    assert (refused.code, refused.status) == ("revoked-report", 409)


def test_recommendation_naming_another_asn_than_its_report_is_refused(log: Log) -> None:
    report = log.report(subject=hashlib.sha256(b"someone else").digest())
    refused = log.refused("recommender", {**_rec_payload(), "report": report})
    assert (refused.code, refused.status) == ("report-mismatch", 422)


def test_recommendation_to_a_ppk_out_of_office_is_refused(log: Log) -> None:
    late = _rec_payload() | {"deadline": "2021-08-15"}
    refused = log.refused("recommender", late, day="2021-08-01")
    assert (refused.code, refused.status) == ("ppk-not-in-office", 422)


# -- follow-ups -----------------------------------------------------------------------------


def test_follow_up_by_the_addressed_ppk_is_admitted(log: Log) -> None:
    rec = log.recommendation()
    answer = follow(log, rec)
    assert [(s.idx, s.signer_kid) for s in log.view.follow_ups(rec)] == [(answer, kid("ppk-x"))]


def test_recommendation_and_follow_up_in_one_batch(log: Log) -> None:
    rec = log.recommendation(day="2020-09-01")
    assert follow(log, rec, day="2020-09-02") == rec + 1


def test_follow_up_by_the_successor_of_the_same_instansi_is_admitted(log: Log) -> None:
    rec = log.recommendation(day="2021-06-01")
    answer = follow(log, rec, signer="ppk-x2", day="2021-07-05")
    assert [(s.idx, s.signer_kid) for s in log.view.follow_ups(rec)] == [(answer, kid("ppk-x2"))]


@pytest.mark.parametrize("ref", [9, 10_000], ids=["before-the-log-view", "beyond-the-log"])
def test_follow_up_of_an_unknown_recommendation_is_refused(log: Log, ref: int) -> None:
    refused = refuse_follow(log, ref)
    assert (refused.code, refused.status) == ("unknown-recommendation", 404)


def test_follow_up_of_a_report_is_refused(log: Log) -> None:
    refused = refuse_follow(log, log.report())
    assert (refused.code, refused.status) == ("not-a-recommendation", 422)


def test_follow_up_of_a_revoked_recommendation_is_refused(log: Log) -> None:
    rec = log.recommendation()
    log.revoke(rec, "recommender")
    assert refuse_follow(log, rec).code == "revoked-recommendation"


def test_follow_up_by_a_ppk_of_another_instansi_is_refused(log: Log) -> None:
    rec = log.recommendation()
    refused = refuse_follow(log, rec, signer="ppk-y")
    assert (refused.code, refused.status) == ("foreign-recommendation", 403)


def test_second_sanction_is_refused(log: Log) -> None:
    rec = log.recommendation()
    first = follow(log, rec)
    refused = refuse_follow(log, rec, day="2020-09-11")
    assert (refused.code, refused.status) == ("already-followed-up", 409)
    assert refused.evidence == {"follow_up": str(first)}


def test_refusal_after_a_sanction_is_refused(log: Log) -> None:
    rec = log.recommendation()
    follow(log, rec)
    assert log.refused("ppk-x", log.refusal(rec)).code == "already-followed-up"


def test_sanction_after_a_refusal_is_admitted_but_not_a_second_refusal(log: Log) -> None:
    rec = log.recommendation()
    log.add("ppk-x", log.refusal(rec))
    refused = log.refused("ppk-x", log.refusal(rec))
    assert (refused.code, refused.status) == ("already-refused", 409)
    follow(log, rec, day="2020-10-01")


def test_a_revoked_sanction_may_be_replaced(log: Log) -> None:
    rec = log.recommendation()
    first = follow(log, rec)
    log.revoke(first, "ppk-x")
    second = follow(log, rec, day="2020-09-12")
    answers = [(s.idx, s.revoked) for s in log.view.follow_ups(rec)]
    assert answers == [(first, True), (second, False)]


@pytest.mark.parametrize(
    "decree",
    ["2020-08-31", "2020-09-11"],
    ids=["decree-before-recommendation", "decree-after-signing"],
)
def test_implausible_decree_dates_are_refused(log: Log, decree: str) -> None:
    rec = log.recommendation(day="2020-09-01")
    refused = refuse_follow(log, rec, day="2020-09-10", decree_date=decree)
    assert (refused.code, refused.status) == ("implausible-decree-date", 422)


# -- enforcement ----------------------------------------------------------------------------


def overdue(log: Log) -> int:
    return log.recommendation(day="2020-09-01")


def climb(log: Log, *steps: str, cites: list[int], day: str = "2020-10-01") -> list[int]:
    return [log.add("bkn", log.step(s, cites), day) for s in steps]


def steps_against(log: Log, ppk: str = "ppk-x") -> list[tuple[str, bool]]:
    """The enforcement steps the log holds against ``ppk``, in order, and whether revoked."""
    return [(s.payload["step"], s.revoked) for s in log.view.enforcement_steps(kid(ppk))]


def test_the_ladder_in_order_then_unblock_after_compliance(log: Log) -> None:
    rec = overdue(log)
    climb(log, "early-warning", "warning", "reprimand", "block", cites=[rec])
    follow(log, rec, day="2020-10-05")
    climb(log, "unblock", cites=[rec], day="2020-10-06")
    climb(log, "early-warning", cites=[overdue(log)], day="2020-11-01")
    ladder = ["early-warning", "warning", "reprimand", "block", "unblock", "early-warning"]
    assert steps_against(log) == [(step, False) for step in ladder]


@pytest.mark.parametrize(
    ("done", "step"),
    [
        ((), "warning"),
        ((), "block"),
        ((), "unblock"),
        (("early-warning",), "early-warning"),
        (("early-warning",), "reprimand"),
        (("early-warning", "warning"), "warning"),
        (("early-warning", "warning", "reprimand", "block"), "early-warning"),
        (("early-warning", "warning", "reprimand", "block"), "block"),
    ],
    ids=[
        "warning-first",
        "block-first",
        "unblock-without-block",
        "early-warning-repeated",
        "warning-skipped",
        "warning-repeated",
        "early-warning-while-blocked",
        "block-repeated",
    ],
)
def test_enforcement_out_of_order_is_refused(log: Log, done: tuple[str, ...], step: str) -> None:
    rec = overdue(log)
    climb(log, *done, cites=[rec])
    refused = log.refused("bkn", log.step(step, [rec]), "2020-10-02")
    assert (refused.code, refused.status) == ("enforcement-out-of-order", 409)


def test_unblock_before_compliance_is_refused(log: Log) -> None:
    rec = overdue(log)
    climb(log, "early-warning", "warning", "reprimand", "block", cites=[rec])
    refused = log.refused("bkn", log.step("unblock", [rec]), "2020-10-02")
    assert (refused.code, refused.status) == ("not-complied", 409)
    assert refused.evidence == {"outstanding": str(rec)}


def test_a_new_round_after_compliance_with_an_unfinished_one(log: Log) -> None:
    rec = overdue(log)
    climb(log, "early-warning", "warning", cites=[rec])
    follow(log, rec, day="2020-10-05")
    later = overdue(log)
    [restart] = climb(log, "early-warning", cites=[later], day="2020-11-01")
    assert [s for s, _ in steps_against(log)] == ["early-warning", "warning", "early-warning"]
    summary = log.view.summary(restart)
    assert summary is not None
    assert summary.payload["recommendations"] == [later]


def test_an_uncited_step_is_complied_with_when_nothing_is_overdue(log: Log) -> None:
    climb(log, "early-warning", "warning", "reprimand", "block", cites=[])
    climb(log, "unblock", cites=[], day="2020-10-02")
    rec = overdue(log)
    climb(log, "early-warning", "warning", "reprimand", "block", cites=[], day="2020-10-03")
    assert log.refused("bkn", log.step("unblock", []), "2020-10-04").code == "not-complied"
    follow(log, rec, day="2020-10-04")
    climb(log, "unblock", cites=[], day="2020-10-05")


def test_a_revoked_step_no_longer_counts(log: Log) -> None:
    rec = overdue(log)
    _, warning = climb(log, "early-warning", "warning", cites=[rec])
    log.revoke(warning, "bkn")
    climb(log, "warning", cites=[rec], day="2020-10-03")
    assert steps_against(log) == [("early-warning", False), ("warning", True), ("warning", False)]


def test_the_ladder_is_per_ppk_key(log: Log) -> None:
    rec = overdue(log)
    climb(log, "early-warning", "warning", cites=[rec])
    log.add("bkn", log.step("early-warning", [], ppk="ppk-x2"), "2021-08-01")
    assert steps_against(log, "ppk-x2") == [("early-warning", False)]
    assert steps_against(log) == [("early-warning", False), ("warning", False)]


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"ppk_kid": kid("asn-x")}, "not-a-ppk"),
        ({"ppk_kid": kid("nobody")}, "unknown-ppk"),
        ({"instansi": Y}, "instansi-mismatch"),
    ],
    ids=["against-an-asn", "against-an-unknown-key", "instansi-of-another"],
)
def test_enforcement_against_no_ppk_of_the_instansi_is_refused(
    log: Log, changes: dict[str, Any], code: str
) -> None:
    refused = log.refused("bkn", log.step("early-warning", [], **changes))
    assert (refused.code, refused.status) == (code, 422)


def test_enforcement_citing_another_instansi_recommendation_is_refused(log: Log) -> None:
    rec = log.recommendation(instansi=Y, ppk_kid=kid("ppk-y"))
    refused = log.refused("bkn", log.step("early-warning", [rec]))
    assert (refused.code, refused.status) == ("foreign-recommendation", 422)


def test_enforcement_citing_an_unknown_recommendation_is_refused(log: Log) -> None:
    assert log.refused("bkn", log.step("early-warning", [99])).code == "unknown-recommendation"


# -- views ----------------------------------------------------------------------------------


class BareView:
    """Only what EntryView asks (as a replay without payloads has)."""

    def __init__(self) -> None:
        self.known: dict[int, EntrySummary] = {}

    def summary(self, idx: int) -> EntrySummary | None:
        return self.known.get(idx)


def test_a_bare_entry_view_skips_the_follow_up_chain_rules(log: Log) -> None:
    statement = log.statement("ppk-x", log.refusal(5), at("2020-09-01"))
    admission = admit(statement, 10, NOW_MS, log.keys, BareView(), max_age_s=HISTORY_S)
    assert admission.record.recommendation == 5  # type: ignore[union-attr]


def test_log_view_lists_in_log_order_and_flags_revoked(log: Log) -> None:
    rec = log.recommendation()
    first = follow(log, rec)
    log.revoke(first, "ppk-x")
    second = follow(log, rec, day="2020-09-12")
    found = log.view.follow_ups(rec)
    assert [(f.idx, f.revoked) for f in found] == [(first, True), (second, False)]
    assert [r.idx for r in log.view.recommendations_to(kid("ppk-x"))] == [rec]
