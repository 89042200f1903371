"""``python -m simulator.cli`` is the ``simulate`` command."""

import sys

from . import main

sys.exit(main())
