"""Demo data: a reproducible, realistic history of signed statements for `registry demo`.

:func:`build_demo` returns every statement in the order it must be registered
into an empty log (entry ``i`` is ``statements[i]``; references between
records are those log indexes).  It is pure: no I/O, no clock unless ``now``
is left out, and the same seed gives the same bytes.

What it tells, from DOMAIN.md and the seed articles:

* the operator enrols itself (bootstrap), then every signer on the day their
  term starts (or on the registry's go-live day, 2 January 2020): heads of the
  38 provinces, 178 real kabupaten/kota and 8 ministries (definitive, Pj or Plt,
  each office its own key), the recommending authority, BKN, Bawaslu and ASN;
* the enforcement history after Pilkada 2020 with the national figures: 2,304
  reports, 1,596 recommendations, 1,373 follow-ups that impose the sanction; by
  31 July 2020, 456 reports, 344 recommendations and 189 sanctions (seed 002).
  A *refused* follow-up does not count as followed up: the 223 recommendations
  not followed up include the refusals.  Acting heads follow up less and later;
  BKN escalates (early warning, warning, reprimand, block in SAPK) against
  heads in office with overdue recommendations, and unblocks once they comply;
* the pact and declaration templates, the governors' pacts of 27 September
  2022 witnessed by KASN and Bawaslu (seed 001), the pacts of regents and mayors
  for Pemilu 2024 and of all regional heads for Pilkada 2024, and neutrality
  declarations by PPKs and ASN.

ASN named in reports are only a commitment SHA-256(salt || NIP); the NIPs,
names and salts come back in :attr:`DemoData.identities` for the personal-data
table, and no NIP (not even an ASN signer's) is written in any statement.
Every person is fictional except the two seed-001 witnesses.

The package holds one part of the story per module: :mod:`.dates` (key dates,
WIB timestamps), :mod:`.signers` (keys, the public result types, the builder
that collects events), :mod:`.offices` (regions and their heads' terms),
:mod:`.enforcement` (reports to follow-ups), :mod:`.escalation` (BKN's
enforcement steps), :mod:`.pledges` (pacts and declarations) and
:mod:`.assembly` (:func:`build_demo`); the static tables are in
:mod:`.places` (provinces, kabupaten/kota, ministries), :mod:`.people` (the
pools of fictional names, titles and posts) and :mod:`.data` (the cases and
the texts).
"""

from registry.demo.assembly import build_demo
from registry.demo.signers import DEMO_PASSPHRASE, DemoData, demo_key

__all__ = ["DEMO_PASSPHRASE", "DemoData", "build_demo", "demo_key"]
