"""`python -m crm_shared.nats_auth [--ready-file PATH]`: the auth callout alone (the local stack starts it so)."""

import argparse
import asyncio

from crm_shared.config import Settings
from crm_shared.nats_auth.callout import run_forever
from crm_shared.observability import configure_logging

parser = argparse.ArgumentParser(prog="python -m crm_shared.nats_auth")
parser.add_argument("--ready-file", help="written with the issuer's public key once the callout listens")
args = parser.parse_args()
settings = Settings()
configure_logging(settings.log_level, settings.log_json)
asyncio.run(run_forever(settings, args.ready_file))
