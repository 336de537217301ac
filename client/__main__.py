"""``python -m client``: the same as the ``rentguy-kiosk`` console script."""

import sys

from client.app import main

sys.exit(main())
