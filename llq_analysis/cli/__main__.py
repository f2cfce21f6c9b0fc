"""``python -m llq_analysis.cli``: the ``llq`` command."""

import sys

from . import main

sys.exit(main())
