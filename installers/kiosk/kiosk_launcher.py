"""Entry script of the frozen kiosk: the same as the ``rentguy-kiosk`` console script.

PyInstaller needs a script, not an entry point. ``--self-test`` (``client.selftest``) is
handled by ``client.app.main`` like every other option, so the bundle, the installed
console script and ``install-kiosk.sh`` run the very same checks.
"""

import sys

from client.app import main

if __name__ == "__main__":
    sys.exit(main())
