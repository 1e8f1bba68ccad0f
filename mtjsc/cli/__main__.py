"""``python -m mtjsc.cli ...``: the command line, as ``python -m mtjsc``."""

import sys

from mtjsc.cli import main

sys.exit(main())
