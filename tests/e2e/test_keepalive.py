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
    if version == V311:
        assert packets == []  # MQTT 3.1.1 has no server-sent DISCONNECT
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


def test_v31_silent_client_is_disconnected(raw):
    watcher = raw(V5)
    watcher.connect("watcher31")
    watcher.subscribe("ka/will31", 0)
    client = raw(mqtt_raw.V31)
    client.connect("silent31", keepalive=1, will={"topic": "ka/will31", "payload": "t31"})
    client.wait_closed(timeout=15)
    assert watcher.expect(PUBLISH).payload == b"t31"


def test_any_packet_counts_as_activity(raw):
    import time
    client = raw(V311)
    client.connect("busy", keepalive=1)
    client.subscribe("busy/t", 0)
    for i in range(6):  # 3 s of QoS 0 publishes (echoed back), no PINGREQ
        client.publish("busy/t", str(i))
        assert client.expect(PUBLISH).payload == str(i).encode()
        time.sleep(0.5)
    client.send(mqtt_raw.packet(0xC0, b""))
    client.expect(mqtt_raw.PINGRESP)


@pytest.mark.parametrize("version", [V311, V5])
def test_old_connections_keepalive_does_not_hit_the_new_one(raw, version):
    import time
    props = [(mqtt_raw.SESSION_EXPIRY, 300)] if version == V5 else None
    old = raw(version)
    old.connect("ka-takeover", clean=False, keepalive=1, props=props)
    new = raw(version)
    assert new.connect("ka-takeover", clean=False, keepalive=0, props=props).session_present
    old.wait_closed()
    time.sleep(3)  # several of the old connection's keepalive periods
    new.send(mqtt_raw.packet(0xC0, b""))
    new.expect(mqtt_raw.PINGRESP)


def test_keepalive_closes_only_the_silent_client(raw):
    import time
    silent = raw(V311)
    silent.connect("quiet-one", keepalive=1)
    chatty = raw(V311)
    chatty.connect("chatty-one", keepalive=1)
    deadline = time.monotonic() + 15
    closed = False
    while time.monotonic() < deadline and not closed:
        chatty.send(mqtt_raw.packet(0xC0, b""))
        chatty.expect(mqtt_raw.PINGRESP)
        try:
            silent.recv(timeout=0.4)
        except mqtt_raw.Closed:
            closed = True
        except TimeoutError:
            pass
    assert closed, "the silent client was never disconnected"
    chatty.send(mqtt_raw.packet(0xC0, b""))
    chatty.expect(mqtt_raw.PINGRESP)
