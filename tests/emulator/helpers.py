"""Small helpers shared by the emulator's HTTP tests."""

API = "/data-federation/v2.0"


def create_body(**overrides):
    body = {
        "taskName": "nightly-export",
        "sourceName": "hive_enos",
        "querySql": "select * from sensor_data",
        "filePackageName": "export",
    }
    body.update(overrides)
    return body


def create_path(channel="ch-1", org="o1"):
    return f"{API}/channels/read/{channel}/download-request?orgId={org}"


def status_path(task_id, channel="ch-1", org="o1"):
    return f"{API}/channels/read/{channel}/download/{task_id}/status?orgId={org}"


def cancel_path(task_id, channel="ch-1", org="o1"):
    return f"{API}/channels/read/{channel}/download/{task_id}?orgId={org}"


def data_path(task_id, channel="ch-1", org="o1"):
    return f"/channels/read/{channel}/download/{task_id}/data?orgId={org}"
