import pytest

from mock_server import ChannelConfig, EmulatorConfig, create_app
from mock_server.timeline import parse_timeline

from .helpers import API, create_body, create_path, status_path


def channels(client, org="o1", channel_type=None):
    query = f"?orgId={org}" + (f"&channelType={channel_type}" if channel_type else "")
    body = client.get(f"{API}/channels{query}").get_json()
    assert body["code"] == 0, body
    return body["data"]


def test_by_default_any_channel_is_accepted_and_listed_once_used():
    client = create_app(EmulatorConfig(clock="manual")).test_client()
    assert channels(client) == []
    client.post(create_path(channel="ch-a"), json=create_body())
    client.post(create_path(channel="ch-a"), json=create_body())
    client.post(create_path(channel="ch-b", org="o2"), json=create_body())
    listed = channels(client)
    assert [c["channelId"] for c in listed] == ["ch-a"]
    assert listed[0]["channelType"] == "READ" and listed[0]["channelStatus"] == "START"
    assert [c["channelId"] for c in channels(client, org="o2")] == ["ch-b"]


@pytest.fixture
def declared():
    config = EmulatorConfig(clock="manual", channels=(
        ChannelConfig("ch-read", org_id="o1"),
        ChannelConfig("ch-stopped", org_id="o1", status="STOP"),
        ChannelConfig("ch-write", org_id="o1", channel_type="WRITE"),
        ChannelConfig("ch-fast", timeline=parse_timeline("waiting:0s,running:1s,failed")),
    ))
    return create_app(config).test_client()


def test_declared_channels_are_listed_and_filtered(declared):
    assert [c["channelId"] for c in channels(declared)] == ["ch-read", "ch-stopped", "ch-write", "ch-fast"]
    assert [c["channelId"] for c in channels(declared, channel_type="WRITE")] == ["ch-write"]
    assert [c["channelId"] for c in channels(declared, org="o9")] == ["ch-fast"]


@pytest.mark.parametrize("channel, org, code", [
    ("ch-unknown", "o1", 81404), ("ch-stopped", "o1", 81400), ("ch-write", "o1", 81400), ("ch-read", "o2", 81400),
])
def test_declared_channels_refuse(declared, channel, org, code):
    assert declared.post(create_path(channel=channel, org=org), json=create_body()).get_json()["code"] == code


def test_a_channel_timeline_applies_to_its_tasks(declared):
    task_id = declared.post(create_path(channel="ch-fast", org="o5"), json=create_body()).get_json()["data"]["taskId"]
    declared.post("/__admin/clock/advance", json={"seconds": 1})
    assert declared.get(status_path(task_id, channel="ch-fast", org="o5")).get_json()["data"]["progressCode"] == "2"
