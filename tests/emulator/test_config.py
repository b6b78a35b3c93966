import json

import pytest

from mock_server.cli import build_parser, config_from_args
from mock_server.config import ConfigError, load_config_file
from mock_server.timeline import Uniform


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_yaml_config_with_channels_timeline_and_switches(tmp_path):
    path = write(tmp_path, "dfmock.yaml", """
seed: 7
clock: step:2s
timeline:
  waiting: 1s..2s
  running: {uniform: [3, 4]}
  outcome: {success: 9, failed: 1}
  data_size: 10k
wire:
  numbers: integer
  error_status: 200
channels:
  - id: ch-1
    org: o1
    timeline: waiting:0s,failed
  - id: ch-2
    status: STOP
limits:
  max_tasks: 50
  journal_size: 5
""")
    config = load_config_file(path)
    assert config.seed == 7 and config.clock == "step:2s" and config.max_tasks == 50 and config.journal_size == 5
    assert config.timeline.waiting == Uniform(1, 2) and config.timeline.running == Uniform(3, 4)
    assert config.wire.numbers == "integer" and config.wire.error_status == "200"
    first, second = config.channels
    assert first.timeline.outcome == (("failed", 1.0),) and first.timeline.running == Uniform(3, 4)
    assert second.status == "STOP" and second.timeline is None


def test_json_config(tmp_path):
    path = write(tmp_path, "c.json", json.dumps({"clock": "manual", "timeline": "waiting:3s"}))
    assert load_config_file(path).timeline.waiting == Uniform(3, 3)


def test_every_problem_is_reported_with_its_path(tmp_path):
    path = write(tmp_path, "bad.yaml", """
clock: sometimes
wire: {numbers: roman}
channels: [{status: START}]
limits: {max_tasks: 0}
colour: blue
""")
    with pytest.raises(ConfigError) as info:
        load_config_file(path)
    report = info.value.report()
    assert report.startswith(f"invalid configuration in {path}:")
    for fragment in ("$.clock:", "$.wire.numbers:", "$.channels[0]: 'id' is a required property",
                     "$.limits.max_tasks:", "unknown key(s) ('colour' was unexpected)"):
        assert fragment in report, report


def test_bad_timeline_in_config_names_the_item(tmp_path):
    path = write(tmp_path, "bad.yaml", "timeline: waiting:2s,sometimes\n")
    with pytest.raises(ConfigError, match=r"\$\.timeline: unknown timeline item 'sometimes'"):
        load_config_file(path)


def test_unreadable_and_invalid_yaml(tmp_path):
    with pytest.raises(ConfigError, match="cannot read the file"):
        load_config_file(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config_file(write(tmp_path, "x.yaml", "a: [b"))


def test_flags_override_the_file(tmp_path):
    path = write(tmp_path, "c.yaml", "seed: 1\nclock: manual\ntimeline: waiting:5s\n")
    args = build_parser().parse_args(["serve", "--config", str(path), "--seed", "2", "--timeline", "running:9s",
                                      "--numbers", "integer", "--request-id"])
    config = config_from_args(args)
    assert config.seed == 2 and config.clock == "manual"
    assert config.timeline.waiting == Uniform(5, 5) and config.timeline.running == Uniform(9, 9)
    assert config.wire.numbers == "integer" and config.wire.request_id is True
