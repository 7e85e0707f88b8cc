"""Keepalive: a silent client is disconnected and its will published."""
import pytest

import mqtt_raw
from mqtt_raw import PUBLISH, V311, V5


@pytest.mark.parametrize("version", [V311, V5])
def test_silent_client_is_disconnected_and_its_will_published(raw, version):
    watcher = raw(V5)
    watcher.connect("watcher")
    watcher.subscribe("ka/will", 0)
    client = raw(version)
    client.connect("silent", keepalive=1, will={"topic": "ka/will", "payload": "timeout"})
    packets = client.wait_closed(timeout=15)
    if version == V5 and packets:
        assert packets[-1].type == mqtt_raw.DISCONNECT and packets[-1].reason == 0x8D
    assert watcher.expect(PUBLISH).payload == b"timeout"


def test_pings_keep_the_connection_alive(raw):
    client = raw(V311)
    client.connect("pinger", keepalive=1)
    for _ in range(4):
        client.send(mqtt_raw.packet(0xC0, b""))
        client.expect(mqtt_raw.PINGRESP)
        import time
        time.sleep(0.5)
    client.send(mqtt_raw.packet(0xC0, b""))
    client.expect(mqtt_raw.PINGRESP)


def test_keepalive_zero_means_no_timeout(raw):
    client = raw(V311)
    client.connect("forever", keepalive=0)
    import time
    time.sleep(2)
    client.send(mqtt_raw.packet(0xC0, b""))
    client.expect(mqtt_raw.PINGRESP)
