"""`registry monitor URL`: follow a log and report its new entries (registry.log.monitor).

Attached to ``registry`` with ``main.add_command``.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import click
import httpx

from registry.cli.audit import TIMEOUT_S, log_keys_of
from registry.cli.words import fail, say
from registry.log.audit_sources import ServerSource, SourceError
from registry.log.monitor import Monitor, MonitorAlarm, MonitorState, SeenEntry


def _shown(entry: SeenEntry, instansi: str | None, types: tuple[str, ...]) -> bool:
    if instansi is not None and entry.instansi != instansi:
        return False
    return not types or entry.type in types


def _print(entry: SeenEntry, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(entry.as_json(), ensure_ascii=False))
        return
    click.echo(
        say(
            "monitor.entry",
            index=entry.index,
            type=entry.type,
            name=entry.signer_name or "-",
            instansi=entry.instansi or "-",
            kid=entry.signer[:16],
        )
    )


@click.command(name="monitor")
@click.argument("url")
@click.option("--from-size", type=click.IntRange(min=0), help="Report entries from this index on.")
@click.option(
    "--state",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where the monitor keeps the last checkpoint it verified (read at start, then updated).",
)
@click.option("--instansi", help="Report only entries of signers of this instansi.")
@click.option("--type", "types", multiple=True, help="Report only entries of this type.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.option("--once", is_flag=True, help="Check once and stop (no following).")
@click.option("--interval", type=click.FloatRange(min=0.1), default=10.0, show_default=True)
@click.option("--key", "keys", multiple=True, help="The log's C2SP verifier key.")
@click.option(
    "--trust",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The registry's /.well-known/transparency-configuration JSON.",
)
def monitor_command(
    url: str,
    from_size: int | None,
    state: Path | None,
    instansi: str | None,
    types: tuple[str, ...],
    as_json: bool,
    once: bool,
    interval: float,
    keys: tuple[str, ...],
    trust: Path | None,
) -> None:
    """Follow the log at URL from a checkpoint, checking consistency on the way.

    Reports each new entry (type, signer, instansi) as text or JSON lines.
    Starts where --state left off, else at --from-size, else at the log's
    current end. Exits 1 at the first sign of a fork or a bad entry.
    """
    log_keys, origin, _ = log_keys_of("server", url, keys, trust)
    if state is not None and state.exists():
        try:
            kept = MonitorState.load(state)
        except (OSError, ValueError, KeyError) as exc:
            raise fail("monitor.state-unreadable", path=str(state), detail=str(exc)) from exc
    else:
        kept = None

    async def run() -> None:
        async with httpx.AsyncClient(timeout=TIMEOUT_S) as client:
            source = ServerSource(client, url)
            current = kept
            if current is None:
                if from_size is None:
                    note = (await source.checkpoints())[0]
                    current = MonitorState.starting_at(int(note.split("\n")[1]))
                else:
                    current = MonitorState.starting_at(from_size)
            monitor = Monitor(source, log_keys, origin, current)
            while True:
                try:
                    seen = await monitor.poll()
                except SourceError as exc:
                    if once:
                        raise
                    click.echo(say("monitor.unreachable", url=url, detail=exc.detail), err=True)
                    seen = []
                for entry in seen:
                    if _shown(entry, instansi, types):
                        _print(entry, as_json)
                if state is not None:
                    monitor.state.save(state)
                if not as_json:
                    click.echo(
                        say("monitor.polled", new=len(seen), size=monitor.state.size), err=True
                    )
                if once:
                    return
                await asyncio.sleep(interval)

    try:
        asyncio.run(run())
    except MonitorAlarm as alarm:
        index = "-" if alarm.index is None else str(alarm.index)
        raise fail("monitor.alarm", url=url, index=index, detail=alarm.detail) from alarm
    except SourceError as exc:
        raise fail("audit.unreadable-source", source=url, detail=exc.detail) from exc
