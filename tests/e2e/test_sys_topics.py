"""$SYS/brokers/<node>/...: version, uptime, stats/* and metrics/* every broker.sys_interval,
and the clients/<id>/connected|disconnected events with the seed's JSON, for MQTT and gateway
clients."""
import json
import queue
import time

import paho.mqtt.client as mqtt
import pytest

import tcp_device

pytestmark = [pytest.mark.gatemq_only,
              pytest.mark.broker_config({"broker.sys_interval": "1s",
                                         "broker.sys_heartbeat": "1s"})]

NODE = "gatemq@127.0.0.1"
PREFIX = f"$SYS/brokers/{NODE}/"


def latest(client, topic, timeout=10, where=lambda value: True):
    """The first value published on `topic` that satisfies `where`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            message = client.expect(timeout=max(0.05, deadline - time.monotonic()))
        except queue.Empty:
            break
        if message.topic == topic and where(message.payload.decode()):
            return message.payload.decode()
    raise AssertionError(f"no matching value on {topic}")


def test_static_topics_are_retained(broker, paho):
    watcher = paho("watcher")
    watcher.subscribe("$SYS/brokers/#")
    seen = {}
    deadline = time.monotonic() + 10
    while len(seen) < 3 and time.monotonic() < deadline:
        message = watcher.expect()
        if message.retain:
            seen[message.topic] = message.payload.decode()
    assert seen["$SYS/brokers"] == NODE
    assert seen[PREFIX + "version"].count(".") == 2
    assert "gatemq" in seen[PREFIX + "sysdescr"]


def test_heartbeat_topics_are_published(broker, paho):
    watcher = paho("watcher")
    watcher.subscribe(PREFIX + "uptime")
    watcher.subscribe(PREFIX + "datetime")
    assert latest(watcher, PREFIX + "uptime").endswith("seconds")
    assert len(latest(watcher, PREFIX + "datetime")) == len("2026-01-01 00:00:00")


def test_connection_and_subscription_stats_follow_clients(broker, paho):
    watcher = paho("watcher")
    watcher.subscribe(PREFIX + "stats/#")
    assert int(latest(watcher, PREFIX + "stats/connections/count")) >= 1
    others = [paho(f"c{i}") for i in range(3)]
    for i, client in enumerate(others):
        client.subscribe(f"room/{i}/#", 1)
    client = paho("shared")
    client.subscribe("$share/g/jobs/+", 1)
    assert latest(watcher, PREFIX + "stats/connections/count", where=lambda v: int(v) >= 5)
    # watcher's own stats/# plus 3 room filters and one shared subscription
    assert latest(watcher, PREFIX + "stats/subscriptions/count", where=lambda v: int(v) == 5)
    assert latest(watcher, PREFIX + "stats/subscriptions/shared/count", where=lambda v: v == "1")
    assert latest(watcher, PREFIX + "stats/routes/count", where=lambda v: int(v) == 5)
    for client in others:
        client.disconnect()
    assert latest(watcher, PREFIX + "stats/connections/count", where=lambda v: int(v) == 2)
    assert latest(watcher, PREFIX + "stats/subscriptions/count", where=lambda v: int(v) == 2)
    assert int(latest(watcher, PREFIX + "stats/connections/max")) >= 5
    assert int(latest(watcher, PREFIX + "stats/subscriptions/max")) >= 5


def test_persistent_sessions_and_retained_are_counted(broker, paho):
    watcher = paho("watcher")
    watcher.subscribe(PREFIX + "stats/#")
    # $SYS/brokers, version and sysdescr are retained too
    baseline = int(latest(watcher, PREFIX + "stats/retained/count"))
    keeper = paho("keeper", clean=False)
    keeper.subscribe("keep/#", 1)
    keeper.publish("retained/one", "x", qos=1, retain=True)
    keeper.disconnect()
    assert latest(watcher, PREFIX + "stats/sessions/persistent/count", where=lambda v: v == "1")
    assert latest(watcher, PREFIX + "stats/sessions/count", where=lambda v: int(v) == 2)
    assert latest(watcher, PREFIX + "stats/retained/count",
                  where=lambda v: int(v) == baseline + 1)


def test_metrics_count_messages_and_packets(broker, paho):
    watcher = paho("watcher")
    watcher.subscribe(PREFIX + "metrics/#")
    sender = paho("sender")
    receiver = paho("receiver")
    receiver.subscribe("m/#", 2)
    for qos in (0, 1, 2):
        sender.publish(f"m/{qos}", "hello", qos=qos)
    assert len(receiver.expect_payloads(3)) == 3
    sender.publish("nobody/listens", "x", qos=1)
    assert latest(watcher, PREFIX + "metrics/messages/qos2/received", where=lambda v: v == "1")
    assert latest(watcher, PREFIX + "metrics/messages/qos1/received", where=lambda v: v == "2")
    assert latest(watcher, PREFIX + "metrics/packets/pubrel/received", where=lambda v: v == "1")
    assert latest(watcher, PREFIX + "metrics/messages/dropped", where=lambda v: int(v) >= 1)
    assert int(latest(watcher, PREFIX + "metrics/packets/connect")) >= 3
    assert int(latest(watcher, PREFIX + "metrics/bytes/received")) > 0
    assert int(latest(watcher, PREFIX + "metrics/bytes/sent")) > 0
    assert int(latest(watcher, PREFIX + "metrics/messages/qos2/sent")) >= 1


def test_presence_events_of_mqtt_clients(broker, paho):
    watcher = paho("watcher")
    watcher.subscribe(PREFIX + "clients/+/+")
    client = paho("device-7", protocol=mqtt.MQTTv311, keepalive=42, connect=False)
    client.client.username_pw_set("alice")
    client.connect()
    connected = json.loads(latest(watcher, PREFIX + "clients/device-7/connected"))
    assert connected["clientid"] == "device-7"
    assert connected["ipaddress"] == "127.0.0.1"
    assert connected["connack"] == 0
    assert connected["proto_ver"] == 4 and connected["proto_name"] == "MQTT"
    assert connected["clean_start"] is True and connected["keepalive"] == 42
    assert abs(connected["ts"] - time.time()) < 3600
    client.disconnect()
    disconnected = json.loads(latest(watcher, PREFIX + "clients/device-7/disconnected"))
    assert disconnected["clientid"] == "device-7"
    assert disconnected["reason"] == "normal"
    assert disconnected["username"] == "alice" and "ts" in disconnected


def test_abnormal_disconnect_reason_and_username(broker, paho):
    watcher = paho("watcher")
    watcher.subscribe(PREFIX + "clients/+/+")
    client = paho("dropper", connect=False, protocol=mqtt.MQTTv5)
    client.client.username_pw_set("bob")
    client.connect()
    connected = json.loads(latest(watcher, PREFIX + "clients/dropper/connected"))
    assert connected["username"] == "bob" and connected["proto_ver"] == 5
    client.drop()
    disconnected = json.loads(latest(watcher, PREFIX + "clients/dropper/disconnected"))
    assert disconnected["reason"] != "normal" and disconnected["username"] == "bob"


def test_presence_events_of_gateway_clients(broker, paho):
    watcher = paho("watcher")
    watcher.subscribe(PREFIX + "clients/+/+")
    device = tcp_device.Device(broker.tcp_gateway_port)
    device.connect("tcp-dev-1")
    connected = json.loads(latest(watcher, PREFIX + "clients/tcp-dev-1/connected"))
    assert connected["proto_name"] == "TCP"
    device.close()
    assert json.loads(latest(watcher, PREFIX + "clients/tcp-dev-1/disconnected"))


@pytest.mark.broker_config({"broker.sys_interval": "0", "broker.sys_heartbeat": "0"})
def test_zero_interval_turns_periodic_topics_off(broker, paho):
    watcher = paho("watcher")
    watcher.subscribe(PREFIX + "stats/#")
    watcher.subscribe(PREFIX + "uptime")
    with pytest.raises(queue.Empty):
        watcher.expect(timeout=2.5)
