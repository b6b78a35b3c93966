import requests

from mock_server import EmulatorConfig
from mock_server.runner import run_emulator

from .helpers import create_body, create_path, status_path

pytest_plugins = ["pytester"]


def test_runner_yields_base_url_clock_and_journal():
    with run_emulator(EmulatorConfig(clock="manual", seed=3)) as dfm:
        task_id = requests.post(dfm.url(create_path()), json=create_body(), timeout=5).json()["data"]["taskId"]
        dfm.advance(10)
        status = requests.get(dfm.url(status_path(task_id)), timeout=5).json()["data"]
        assert status["progressCode"] == "3"
        assert status["downloadUrl"].startswith(dfm.base_url)
        assert [e.method for e in dfm.journal.entries()] == ["POST", "GET"]
        assert dfm.clock.now() == 1704067210.0


def test_dfmock_fixture_gives_each_test_a_fresh_emulator(pytester):
    pytester.makepyfile("""
        import requests
        from mock_server import EmulatorConfig
        import pytest

        API = "/data-federation/v2.0/channels/read/c/download-request?orgId=o"
        BODY = {"taskName": "t", "sourceName": "hive_enos", "querySql": "q", "filePackageName": "f"}

        def test_first(dfmock):
            requests.post(dfmock.url(API), json=BODY, timeout=5)
            dfmock.advance(3)
            assert len(dfmock.emulator.store) == 1 and dfmock.clock.now() == 1704067203.0

        def test_second_is_fresh(dfmock):
            assert len(dfmock.emulator.store) == 0 and len(dfmock.journal) == 0
            assert dfmock.clock.now() == 1704067200.0

        @pytest.fixture
        def dfmock_config():
            return EmulatorConfig(clock="manual", seed=99)

        def test_overridden_config(dfmock):
            assert dfmock.emulator.seed == 99
    """)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_dfmock_app_fixture_is_in_process(dfmock_app):
    response = dfmock_app.test_client().get("/__admin/health")
    assert response.get_json()["clock"]["mode"] == "manual"
