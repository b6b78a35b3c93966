"""Broken: retries 429 and 500 but treats 503 Service Unavailable as final."""

import sys

from _common import Client


class NoRetry503(Client):
    retry_statuses = {429, 500, 502, 504}


sys.exit(NoRetry503().run())
