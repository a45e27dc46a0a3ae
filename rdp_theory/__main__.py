"""``python -m rdp_theory``: the ``rdp-theory`` command (see :mod:`rdp_theory.cli`)."""

import sys

from .cli import main

sys.exit(main())
