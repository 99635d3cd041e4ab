"""`registry monitor`: a served registry followed over HTTP, new entries reported, a fork caught."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from registry.cli import main
from registry.config import Settings
from registry.records.operator import OperatorKeys
from tests.api.helpers import pact
from tests.api.test_witnessing import registry_with
from tests.cli.test_audit import SIZE, fill, fork_tail, served
from tests.cli.test_backup import more_pacts

JATIM = "Pemerintah Provinsi Jawa Timur"


def monitor(url: str, operator: OperatorKeys, *args: str) -> Result:
    key = operator.note.verifier_key_string
    return CliRunner().invoke(main, ["monitor", url, "--once", "--key", key, *args])


def lines(result: Result) -> list[dict[str, object]]:
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def test_every_entry_is_reported_by_type_signer_and_instansi(
    settings: Settings, operator: OperatorKeys
) -> None:
    fill(settings, operator)
    with registry_with(settings, operator, [], bootstrap=False) as registry:
        registry.enrol("ppk-jatim", instansi=JATIM, name="Adhy Karyono")
        jatim_pact = pact(instansi=JATIM, place="Surabaya")
        jatim_pact["signer"]["name"] = "Adhy Karyono"
        answer = registry.post(registry.sign("ppk-jatim", jatim_pact))
        assert answer.status_code == 201, answer.text
    with served(settings, operator) as url:
        everything = lines(monitor(url, operator, "--from-size", "0", "--json"))
        only_jatim = lines(
            monitor(url, operator, "--from-size", "0", "--json", "--instansi", JATIM)
        )
        text = monitor(url, operator, "--from-size", str(SIZE + 1))
    assert [e["index"] for e in everything] == list(range(SIZE + 2))
    assert [e["type"] for e in everything[:5]] == [
        *("enrolment", "enrolment", "template", "election", "pact")
    ]
    assert {e["instansi"] for e in everything[4:SIZE]} == {"Pemerintah Provinsi Jawa Barat"}
    assert [(e["index"], e["type"], e["signer_name"]) for e in only_jatim] == [
        (SIZE + 1, "pact", "Adhy Karyono")
    ]
    assert text.exit_code == 0, text.output
    assert f"#{SIZE + 1} pact by Adhy Karyono ({JATIM})" in text.output


def test_a_state_file_follows_the_log_from_where_it_stopped(
    settings: Settings, operator: OperatorKeys, tmp_path: Path
) -> None:
    fill(settings, operator)
    state = tmp_path / "monitor.json"
    with served(settings, operator) as url:
        assert lines(monitor(url, operator, "--state", str(state), "--json")) == []
    more_pacts(settings, operator, 2, "Cirebon")
    with served(settings, operator) as url:
        new = lines(monitor(url, operator, "--state", str(state), "--json"))
        again = lines(monitor(url, operator, "--state", str(state), "--json"))
    assert [(e["index"], e["type"]) for e in new] == [(SIZE, "pact"), (SIZE + 1, "pact")]
    assert again == []


def test_a_forked_log_raises_the_alarm(
    settings: Settings, operator: OperatorKeys, tmp_path: Path
) -> None:
    fill(settings, operator)
    state = tmp_path / "monitor.json"
    with served(settings, operator) as url:
        assert monitor(url, operator, "--state", str(state)).exit_code == 0
    fork_tail(settings, operator, 4, [])
    with served(settings, operator) as url:
        result = monitor(url, operator, "--state", str(state))
    assert result.exit_code == 1
    assert f"ALARM {url}" in result.output
    assert f"two roots signed for size {SIZE}" in result.output
