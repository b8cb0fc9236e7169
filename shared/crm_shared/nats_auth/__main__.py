"""`python -m crm_shared.nats_auth [--ready-file PATH]`: `crm nats-auth` (the local stack starts it so)."""

import sys

from crm_shared.cli import cli

cli(["nats-auth", *sys.argv[1:]], prog_name="python -m crm_shared")
