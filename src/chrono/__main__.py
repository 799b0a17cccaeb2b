"""``python -m chrono``: the same as the ``chrono`` command."""

from chrono.cli import main

raise SystemExit(main())
