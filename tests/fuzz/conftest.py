def pytest_configure(config):
    config.addinivalue_line("markers", "fuzz: Schemathesis over schemas/openapi.yaml (more examples in CI: "
                                       "DFMOCK_FUZZ_EXAMPLES=150 pytest -m fuzz tests/fuzz)")
