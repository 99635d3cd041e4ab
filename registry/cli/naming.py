"""`registry sign` names the signer of a pact, declaration or follow-up that names none.

The signer (name, jabatan, instansi) must be the signing key's enrolment; when the
record file leaves it out, it is read from the registry's database
(``REGISTRY_DATABASE_URL``, or a configuration file naming one) once the key is open
and its kid known.  Without a database the schema asks for it in the file.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from registry.cli.words import CliError, words
from registry.config import CONFIG_FILE_VARIABLE, ConfigError, Settings
from registry.records.pledges import NAMING_TYPES, named_by_enrolment
from registry.records.schemas import RecordError
from registry.records.signer_lookup import enrolled_key
from registry.records.text_form import read_record_file


def names_no_signer(path: Path) -> bool:
    """Whether the record file is a pact, declaration or follow-up naming no signer."""
    try:
        data = read_record_file(path)
    except RecordError:
        return False
    return isinstance(data, dict) and data.get("type") in NAMING_TYPES and "signer" not in data


def named(data: Any, kid: bytes) -> Any:
    """``data`` naming its signer as ``kid``'s enrolment in the registry database does, when
    a database is configured (REGISTRY_DATABASE_URL or a config file) and enrols ``kid``."""
    if not isinstance(data, dict) or not any(
        name in os.environ for name in ("REGISTRY_DATABASE_URL", CONFIG_FILE_VARIABLE)
    ):
        return data
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        raise CliError(words(exc.message)) from exc
    return named_by_enrolment(data, asyncio.run(enrolled_key(settings.database_url, kid)))
