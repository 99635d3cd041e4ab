"""Today's provinces table from the saved tally: at a restart without restoring the index,
fed with what is registered after it (a signer's province read from its enrolment entry, as
the key directory locates it), and never from a tally the registry did not save for this log
as it is (edited bytes, a broken seal).

The history of ``test_saved`` (eleven entries: one PPK of "Pemerintah Provinsi Jawa
Barat" enrolled in Jawa Barat, a report there, two recommendations to the PPK, one followed
up, a pact), served with "today" fixed; ``/api/dashboard/provinces`` computes the same
table from every fact.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from registry.compliance import tally_bytes
from registry.config import Settings
from registry.records.operator import OperatorKeys
from tests.api.helpers import NOW_S, Registry, enrolment
from tests.api.test_compliance import DAY, follow_up, recommendation, register
from tests.compliance import test_saved_tally_instansi as instansi
from tests.compliance.conftest import BEFORE_DUE
from tests.compliance.test_saved import running
from tests.compliance.test_saved_tally import index_restored, revocation, tally_rows
from tests.factories import declaration_payload


def tallied(registry: Registry) -> list[dict[str, Any]]:
    """Today's provinces table as ``/api/compliance/provinces`` answers it (from the tally)."""
    return instansi.tallied(registry, "provinces")


def computed(registry: Registry) -> list[dict[str, Any]]:
    """Today's provinces table computed from every fact (the dashboard's table)."""
    return instansi.computed(registry, "provinces")


def saved_history(settings: Settings, operator: OperatorKeys) -> list[dict[str, Any]]:
    """Fill a registry, answer today's provinces table (which saves the tally); the table."""
    return instansi.saved_history(settings, operator, "provinces")


def test_a_restart_answers_todays_provinces_table_without_restoring_the_index(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    table = saved_history(settings, operator)
    [row] = table
    assert row["province"] == "Jawa Barat"
    assert row["reports"]["entries"] == [6]
    assert (row["recommendations"]["entries"], row["pending"]["entries"]) == ([7, 8], [8])
    assert row["pacts"]["entries"] == [9]
    with running(settings, operator) as registry:
        assert tallied(registry) == table
        assert not index_restored(registry), "answered from the saved tally alone"
        assert computed(registry) == table


def test_entries_registered_after_the_save_count_in_their_keys_provinces_without_the_index(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    saved_history(settings, operator)
    later = NOW_S + 3 * DAY
    with running(settings, operator) as registry:  # answers nothing: saves no tally
        # An ASN of the Jawa Barat instansi enrolled in Bali, and a PPK in Papua.
        registry.enrol("asn-bali", "asn", province="Bali", term_end="2099-12-31")
        declared = registry.sign("asn-bali", declaration_payload(), later)
        registry.register_citations(declared)
        response = registry.post(declared)
        assert response.status_code == 201, response.text
        papua = registry.enrol("ppk-papua", province="Papua", term_end="2099-12-31").kid
        to_papua = register(registry, "recommender", recommendation(ppk_kid=papua), later + 60)
    with running(settings, operator) as registry:
        table = tallied(registry)
        assert [r["province"] for r in table] == ["Bali", "Jawa Barat", "Papua"]
        bali, jabar, papua_row = table
        assert bali["declarations"]["value"] == 1
        assert jabar["declarations"]["value"] == 0, "not its instansi's province"
        assert papua_row["recommendations"]["entries"] == [to_papua]
        assert not index_restored(registry), "every new entry taken without the index"
        assert registry.components.compliance.facts.read > 0, "read from the log"
        register(registry, "ppk-jabar", revocation(9), later + 120)  # the pact
        answered = register(registry, "ppk-jabar", follow_up(8), later + 180)
        table = tallied(registry)
        assert table[1]["pacts"]["value"] == 0
        assert answered in table[1]["followed_up"]["entries"]
        assert not index_restored(registry)
        assert table == computed(registry)
    with running(settings, operator) as registry:  # saved at the stop
        assert tallied(registry) == table
        assert registry.components.compliance.facts.read == 0


def test_inexact_provinces_are_answered_from_the_index_and_the_tally_made_again(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    # The fallback, reached here through a tally saved inexact (its seal made anew, as the
    # registry saves one): a second enrolment of a key is refused by the policy.
    table = saved_history(settings, operator)
    with running(settings, operator) as registry:
        compliance = registry.components.compliance
        tally = registry.client.blocking_portal.call(compliance._today, BEFORE_DUE)
        tally.provinces.exact = False
        tally.provinces.figures.add("Bali", "recommendations", 99)  # what it cannot move
        assert tallied(registry) == table, "answered from the index"
        assert index_restored(registry)
        assert compliance.index.tally is not None
        assert compliance.index.tally.provinces.exact, "made again from the index"
    [row] = tally_rows(settings)
    assert tally_bytes.decode(bytes(row.data)).provinces.exact, "and saved"
    with running(settings, operator) as registry:
        assert tallied(registry) == table
        assert not index_restored(registry)


TOMORROW = "2024-10-06"
"""The day after ``BEFORE_DUE`` in WIB, the day of ``NOW_S + 9 * DAY``."""


def enrolled_tomorrow(settings: Settings, operator: OperatorKeys) -> int:
    """A PPK enrolled in Papua by a statement dated tomorrow (a clock ahead), and a
    recommendation to it dated today, registered by a process that answers nothing; the
    recommendation's entry."""
    with running(settings, operator) as registry:
        papua = registry.signer("ppk-papua")
        payload = enrolment(papua.public_key, "ppk", province="Papua", term_end="2099-12-31")
        statement = operator.admin.sign_statement(payload, "operator", NOW_S + 9 * DAY)
        assert registry.post(statement).status_code == 201
        return register(registry, "recommender", recommendation(ppk_kid=papua.kid), NOW_S + 60)


def counted(rows: list[dict[str, Any]], entry: int) -> list[str | None]:
    """The provinces whose recommendations count ``entry``."""
    return [r["province"] for r in rows if entry in r["recommendations"]["entries"]]


def test_a_ppk_enrolled_as_of_tomorrow_counts_in_its_province_from_then_on(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    saved_history(settings, operator)
    rec = enrolled_tomorrow(settings, operator)
    with running(settings, operator) as registry:  # fed from the log, without the index
        assert counted(tallied(registry), rec) == [None]
        today(TOMORROW)
        table = tallied(registry)
        assert counted(table, rec) == ["Papua"], "its enrolment read when the day moves"
        assert not index_restored(registry)
        assert table == computed(registry)
    today(BEFORE_DUE)  # the saved tally is tomorrow's: made again from the index
    with running(settings, operator) as registry:
        assert counted(computed(registry), rec) == [None]
        assert counted(tallied(registry), rec) == [None]
        today(TOMORROW)  # the tally moves to it beside the index, which has every key
        table = tallied(registry)
        assert counted(table, rec) == ["Papua"]
        assert table == computed(registry)


class CountedReads:
    """The worker's checked entries, counting the rounds of reads the tally's feed makes."""

    def __init__(self, log: Any) -> None:
        self.log = log
        self.rounds = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.log, name)

    async def entries(self, start: int, end: int) -> Any:
        self.rounds += 1
        return await self.log.entries(start, end)

    async def entries_at(self, indexes: Any) -> Any:
        self.rounds += 1
        return await self.log.entries_at(indexes)


def test_the_enrolments_of_a_pages_signers_are_read_in_one_round_not_one_each(
    settings: Settings, operator: OperatorKeys, today: Callable[[str], None]
) -> None:
    # eight ASNs of eight provinces declare after the save: each declaration's province is
    # its signer's enrolment, read from the log; a page of them costs one round of reads
    # for their enrolments, not one read a signer (a national import's declarations would
    # otherwise be fed at one database query and one round of tiles each)
    saved_history(settings, operator)
    with running(settings, operator) as registry:
        declarations_by_new_signers(registry, 8)
    with running(settings, operator) as registry:
        facts = registry.components.compliance.facts
        counted = facts._log = CountedReads(facts._log)
        table = tallied(registry)
        assert not index_restored(registry)
        rounds = counted.rounds
        declared = {r["province"]: r["declarations"]["value"] for r in table}
        assert all(declared[f"Provinsi {n}"] == 1 for n in range(8))
        assert table == computed(registry)
    assert rounds <= 3, f"{rounds} rounds of reads for one page of entries"


def declarations_by_new_signers(registry: Registry, count: int) -> None:
    """``count`` ASNs enrolled in provinces of their own ("Provinsi 0"...), then each one's
    neutrality declaration, three days after the saved history."""
    later = NOW_S + 3 * DAY
    signers = [f"asn-{n}" for n in range(count)]
    for n, label in enumerate(signers):
        registry.enrol(label, "asn", province=f"Provinsi {n}", term_end="2099-12-31")
    for n, label in enumerate(signers):
        declared = registry.sign(label, declaration_payload(), later + n)
        registry.register_citations(declared)
        response = registry.post(declared)
        assert response.status_code == 201, response.text
