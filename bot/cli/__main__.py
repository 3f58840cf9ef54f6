"""`python -m bot.cli`: the same as the `pem-bot` command."""

import sys

from bot.cli.run import main

sys.exit(main())
