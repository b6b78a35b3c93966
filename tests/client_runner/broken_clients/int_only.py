"""Broken: written against the docs' table (progressCode is an Integer), it refuses
the JSON strings every published sample sends."""

import sys

from _common import Client


class IntOnly(Client):
    def code(self, struct):
        code = struct["progressCode"]
        if not isinstance(code, int):
            print(f"unexpected progressCode {code!r}", file=sys.stderr)
            sys.exit(2)
        return code


sys.exit(IntOnly().run())
