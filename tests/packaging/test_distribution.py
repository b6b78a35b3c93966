"""What a plain ``pip install .`` ships: every Python package of the tree, and every
schema and fixture file the code reads (CI also installs for real and checks)."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))


def test_every_package_directory_is_listed_in_pyproject():
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("mock_server", "contract_tests")
        for init in (ROOT / top).rglob("__init__.py")
    }
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"


def test_data_folders_are_mapped_and_their_files_matched_by_package_data():
    setuptools = PYPROJECT["tool"]["setuptools"]
    assert setuptools["package-dir"] == {"dfmock_schemas": "schemas", "dfmock_fixtures": "fixtures"}
    for package, folder in setuptools["package-dir"].items():
        patterns = setuptools["package-data"][package]
        suffixes = {pattern.rsplit(".", 1)[1] for pattern in patterns}
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and path.suffix != ".py" and "__pycache__" not in path.parts:
                assert path.suffix.lstrip(".") in suffixes, f"{path} would not be installed"
