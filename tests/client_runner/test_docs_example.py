"""The example client of README.md (## Testing a client) passes the runner."""

import re
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "README.md"


def example_client(tmp_path) -> list[str]:
    section = DOC.read_text("utf-8").split("## Testing a client", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert len(code.splitlines()) <= 35  # it stays a short example
    script = tmp_path / "example_client.py"
    script.write_text(code, "utf-8")
    return [sys.executable, str(script)]


def test_docs_example_client_passes(dfmock_client_runner, tmp_path):
    exploration = dfmock_client_runner(example_client(tmp_path)).explore(12, derandomize=True)
    assert exploration.ok, exploration.report()
