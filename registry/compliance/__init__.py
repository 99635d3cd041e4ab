"""Follow-up compliance: what each PPK did with the recommendations they received.

``facts`` reads log entries into small records (issued-at days, not
registration times); ``index`` keeps them in memory, updated as entries commit;
``metrics`` defines each recommendation's outcome and the figures over a group;
``views`` and ``track`` build the tables; ``export`` writes them as CSV;
``access`` checks the signed requests that may read or erase the personal
data behind a subject commitment.  No web framework and no database session
here: the store is handed in.  Definitions: docs/compliance.md.
"""
