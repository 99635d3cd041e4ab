"""``python -m tests.verify.vectors``: rewrite tests/vectors/verify/."""

from tests.verify.vectors import main

main()
