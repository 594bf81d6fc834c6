"""``python -m gifworthy.cli``: the same as the ``gifworthy`` command."""

import sys

from gifworthy.cli import main

sys.exit(main())
