"""System alarms end to end: the OS monitor raises high_system_memory_usage (the watermark set to
1% so any machine is above it), the alert is published on $SYS/brokers/<node>/alarms/alert,
listed by GET /api/v4/alarms/... and by `gatemq ctl alarms list`, and logged; the process memory
alarm stays quiet at its default 5%."""
import json
import queue
import re
import time

import pytest

from mgmt_api import Api
from test_ctl import ctl

pytestmark = [pytest.mark.gatemq_only,
              # A few seconds before the first check leaves time to subscribe to the alert.
              pytest.mark.broker_config({"os_mon.mem_check_interval": "5s",
                                         "os_mon.sysmem_high_watermark": "1%"})]

NODE = "gatemq@127.0.0.1"
ALARM = "high_system_memory_usage"


def next_alert(client, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        assert remaining > 0, "no alarm alert"
        try:
            message = client.expect(timeout=remaining)
        except queue.Empty:
            continue
        if message.topic.endswith("/alarms/alert"):
            return message


def names(alarms):
    return [alarm["name"] for alarm in alarms]


def test_memory_alarm_is_published_listed_and_logged(broker, paho):
    watcher = paho("alarm-watcher")
    watcher.subscribe("$SYS/brokers/+/alarms/alert")
    message = next_alert(watcher)
    assert message.topic == f"$SYS/brokers/{NODE}/alarms/alert"
    assert not message.retain
    payload = json.loads(message.payload)
    assert payload["name"] == ALARM
    assert payload["message"].startswith("System memory usage is ")
    assert payload["details"]["high_watermark"] == 1
    assert 1 < payload["details"]["usage"] <= 100
    assert isinstance(payload["activate_at"], int) and "deactivate_at" not in payload

    api = Api(broker)
    activated = api.wait_for("/alarms/activated", lambda data: ALARM in names(data[0]["alarms"]))
    assert activated[0]["node"] == NODE
    alarm = next(a for a in activated[0]["alarms"] if a["name"] == ALARM)
    assert alarm["activated"] is True and alarm["activate_at"] == payload["activate_at"]
    # The process check runs in the same tick: at the default 5% the broker is far below it.
    assert "high_process_memory_usage" not in names(activated[0]["alarms"])

    everything = api.get("/alarms")
    assert everything[0]["node"] == NODE and ALARM in names(everything[0]["alarms"])
    assert api.get("/alarms/deactivated") == [{"node": NODE, "alarms": []}]
    api.ok("DELETE", "/alarms/deactivated")
    assert api.get("/alarms/deactivated")[0]["alarms"] == []

    out = ctl(broker, "alarms", "list")
    assert out.startswith(f"Alarm({ALARM}, message=System memory usage is "), out
    assert "high_process_memory_usage" not in out
    # the activation time as a local date and time, not milliseconds
    assert re.search(r", activate_at=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d, details=", out), out

    deadline = time.monotonic() + 10
    while f"alarm {ALARM} activated" not in broker.log():
        assert time.monotonic() < deadline, "no warning line for the alarm"
        time.sleep(0.1)


@pytest.mark.broker_config({"os_mon.mem_check_interval": "1s"})
def test_no_alarm_below_the_default_watermarks(broker):
    api = Api(broker)
    # Several checks have run by the time the process has been up a few seconds.
    time.sleep(3)
    activated = api.get("/alarms/activated")[0]["alarms"]
    assert "high_process_memory_usage" not in names(activated)
    assert ctl(broker, "alarms", "list").count("high_process_memory_usage") == 0
