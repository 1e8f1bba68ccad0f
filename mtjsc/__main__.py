"""``python -m mtjsc ...`` runs the command line, like the ``mtjsc`` script."""

import sys

from mtjsc.cli import main

sys.exit(main())
