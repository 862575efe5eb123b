"""``python -m bridge``: the ``bridge`` command without the venv's scripts on PATH.

On Linux iproute2 also installs a ``bridge`` command, which wins when the venv is not
activated; ``python -m bridge`` always reaches this one.
"""

import sys

from bridge.cli.main import main

sys.argv[0] = "python -m bridge"  # for usage lines, instead of __main__.py
sys.exit(main())
