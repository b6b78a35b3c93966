"""Broken: reads ``data`` only as an object, as in the samples; the table's
one-item list makes it crash."""

import sys

from _common import Client


class ObjectOnly(Client):
    def struct(self, data):
        return data


sys.exit(ObjectOnly().run())
