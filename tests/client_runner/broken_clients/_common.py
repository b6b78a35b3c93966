"""A small client that keeps the protocol; each broken client changes one thing.

Not a package module: the scripts next to it run as ``python <script>`` and import
it from their own folder."""

import os
import sys
import time

import requests

BASE = os.environ["DFMOCK_BASE_URL"]
ORG = os.environ["DFMOCK_ORG_ID"]
CHANNEL = os.environ["DFMOCK_CHANNEL_ID"]
TASK = os.environ["DFMOCK_TASK_ID"]
OUTPUT = os.environ["DFMOCK_OUTPUT"]
INTERVAL = float(os.environ["DFMOCK_POLL_INTERVAL"])
STATUS_URL = f"{BASE}/data-federation/v2.0/channels/read/{CHANNEL}/download/{TASK}/status"


class Client:
    retry_statuses = {429, 500, 502, 503, 504}
    exits = {2: 3, 5: 4, 6: 5, 7: 5}  # progress state -> exit status

    def struct(self, data):
        return data[0] if isinstance(data, list) else data

    def code(self, struct):
        return int(struct["progressCode"])

    def get(self, url, params):
        """A response worth reading, after retrying transient failures (6 in a row at most)."""
        for attempt in range(7):
            delay = INTERVAL * 2 ** attempt
            try:
                response = requests.get(url, params=params, timeout=10)
            except requests.RequestException:
                time.sleep(delay)
                continue
            if response.status_code in self.retry_statuses:
                time.sleep(max(delay, float(response.headers.get("Retry-After", 0))))
                continue
            return response, delay
        sys.exit(1)

    def body(self, url, params):
        while True:
            response, delay = self.get(url, params)
            try:
                body = response.json()
            except ValueError:
                time.sleep(delay)
                continue
            if "apim_status" in body:
                time.sleep(delay)
                continue
            return response, body

    def download(self, url, size):
        """True: file written; False: the file is gone."""
        while True:
            response, delay = self.get(url, {})
            if "json" in response.headers.get("Content-Type", ""):
                if response.json().get("code") == 81410:
                    return False
            elif len(response.content) == size:
                with open(OUTPUT, "wb") as out:
                    out.write(response.content)
                return True
            time.sleep(delay)

    def run(self):
        while True:
            response, body = self.body(STATUS_URL, {"orgId": ORG})
            if body.get("code") != 0:
                print(f"error answer: {body}", file=sys.stderr)
                return 1
            struct = self.struct(body["data"])
            code = self.code(struct)
            if code == 3:
                if self.download(struct["downloadUrl"], int(struct["dataSize"])):
                    return 0
            elif code in self.exits:
                return self.exits[code]
            time.sleep(INTERVAL)
