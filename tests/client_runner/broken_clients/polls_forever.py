"""Broken: only success, cancelled and deleted end its loop; after ``failed`` it polls forever."""

import sys

from _common import Client


class PollsForever(Client):
    exits = {5: 4, 6: 5, 7: 5}


sys.exit(PollsForever().run())
