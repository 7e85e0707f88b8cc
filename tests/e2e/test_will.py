"""Will messages: when they are published and when not."""
import time

import paho.mqtt.client as mqtt
import pytest

import mqtt_raw
from mqtt_raw import PUBLISH, V311, V5


def will_watcher(raw, topic="will/t"):
    watcher = raw(V5)
    watcher.connect("watcher")
    watcher.subscribe(topic, 1)
    return watcher


def marker(raw, topic="will/t"):
    publisher = raw(V5)
    publisher.connect("marker")
    publisher.publish(topic, "marker")


@pytest.mark.parametrize("protocol", [mqtt.MQTTv31, mqtt.MQTTv311, mqtt.MQTTv5])
def test_will_published_on_abnormal_close(raw, paho, protocol):
    watcher = will_watcher(raw)
    client = paho("dying", protocol=protocol,
                  will={"topic": "will/t", "payload": b"gone", "qos": 1})
    client.drop()
    message = watcher.expect(PUBLISH)
    assert message.payload == b"gone"


def test_will_not_published_on_normal_disconnect(raw, paho):
    watcher = will_watcher(raw)
    client = paho("polite", will={"topic": "will/t", "payload": b"gone", "qos": 1})
    client.disconnect()
    marker(raw)
    assert watcher.expect(PUBLISH).payload == b"marker"


def test_v5_disconnect_with_will_publishes_it(raw):
    watcher = will_watcher(raw)
    client = raw(V5)
    client.connect("asks", will={"topic": "will/t", "payload": "please"})
    client.send(mqtt_raw.disconnect(reason=0x04, version=V5))
    assert watcher.expect(PUBLISH).payload == b"please"


def test_will_delay_publishes_after_the_delay(raw):
    watcher = will_watcher(raw)
    client = raw(V5)
    client.connect("delayed", props=[(mqtt_raw.SESSION_EXPIRY, 60)],
                   will={"topic": "will/t", "payload": "late",
                         "props": [(mqtt_raw.WILL_DELAY, 1)]})
    client.close()
    assert watcher.expect(PUBLISH, timeout=15).payload == b"late"


def test_will_delay_cancelled_by_reconnect(raw):
    watcher = will_watcher(raw)
    will = {"topic": "will/t", "payload": "cancelled", "props": [(mqtt_raw.WILL_DELAY, 3)]}
    client = raw(V5)
    client.connect("comeback", clean=False, props=[(mqtt_raw.SESSION_EXPIRY, 60)], will=will)
    client.close()
    client = raw(V5)
    assert client.connect("comeback", clean=False,
                          props=[(mqtt_raw.SESSION_EXPIRY, 60)]).session_present
    time.sleep(4)
    marker(raw)
    assert watcher.expect(PUBLISH).payload == b"marker"


def test_will_retain_and_properties(raw):
    client = raw(V5)
    client.connect("props", will={"topic": "will/r", "payload": "bye", "retain": True, "qos": 1,
                                  "props": [(mqtt_raw.CONTENT_TYPE, "text/plain"),
                                            (mqtt_raw.USER_PROPERTY, ("why", "test"))]})
    client.close()
    time.sleep(0.5)
    watcher = raw(V5)
    watcher.connect("late-watcher")
    watcher.subscribe("will/r", 1)
    message = watcher.expect(PUBLISH)
    assert message.payload == b"bye" and message.retain
    assert message.props[mqtt_raw.CONTENT_TYPE] == "text/plain"
    assert message.props[mqtt_raw.USER_PROPERTY] == [("why", "test")]


def test_takeover_publishes_the_old_connections_will(raw):
    watcher = will_watcher(raw)
    old = raw(V311)
    old.connect("twin", will={"topic": "will/t", "payload": "replaced"})
    new = raw(V311)
    new.connect("twin")
    assert watcher.expect(PUBLISH).payload == b"replaced"


def test_v5_normal_disconnect_does_not_publish_the_will(raw):
    watcher = will_watcher(raw)
    client = raw(V5)
    client.connect("normal5", will={"topic": "will/t", "payload": "not-sent"})
    client.send(mqtt_raw.disconnect(reason=0x00, version=V5))
    client.wait_closed()
    marker(raw)
    assert watcher.expect(PUBLISH).payload == b"marker"


def test_will_is_published_when_the_session_ends_before_the_delay(raw):
    # MQTT 5 3.1.3.2.2: the will goes at the earlier of the will delay and the session's end.
    watcher = will_watcher(raw)
    client = raw(V5)
    client.connect("short-session", props=[(mqtt_raw.SESSION_EXPIRY, 1)],
                   will={"topic": "will/t", "payload": "session-ended",
                         "props": [(mqtt_raw.WILL_DELAY, 600)]})
    client.close()
    assert watcher.expect(PUBLISH, timeout=15).payload == b"session-ended"


@pytest.mark.parametrize("will_qos,sub_qos", [(0, 1), (1, 1), (2, 2), (2, 1)])
def test_will_qos_is_delivered_like_a_publish(raw, will_qos, sub_qos):
    watcher = raw(V311)
    watcher.connect("qos-watcher")
    watcher.subscribe("will/q", sub_qos)
    client = raw(V311)
    client.connect("qos-dying", will={"topic": "will/q", "payload": "q", "qos": will_qos})
    client.close()
    message = watcher.expect(PUBLISH)
    assert message.payload == b"q" and message.qos == min(will_qos, sub_qos)


def test_v311_will_retain(raw):
    # A live subscriber sees the will go out (the broker stores a retained message before it
    # routes it); a later subscriber then gets it as retained.
    live = raw(V311)
    live.connect("live311")
    live.subscribe("will/r311", 1)
    client = raw(V311)
    client.connect("retain311", will={"topic": "will/r311", "payload": "kept", "retain": True,
                                      "qos": 1})
    client.close()
    assert live.expect(PUBLISH).payload == b"kept"
    late = raw(V311)
    late.connect("late311")
    late.subscribe("will/r311", 1)
    message = late.expect(PUBLISH)
    assert message.payload == b"kept" and message.retain


def test_will_on_protocol_error(raw):
    # A connection the broker closes for a protocol violation is not a normal disconnect.
    watcher = will_watcher(raw)
    client = raw(V5)
    client.connect("violator", will={"topic": "will/t", "payload": "violated"})
    client.send(bytes([0x36, 0x05, 0x00, 0x01, 0x74, 0x00, 0x01]))  # PUBLISH QoS 3
    client.wait_closed()
    assert watcher.expect(PUBLISH).payload == b"violated"


@pytest.mark.gatemq_only  # Mosquitto 2.0.11 accepts it
def test_will_with_a_wildcard_response_topic_refuses_the_connect(raw):
    # The Will becomes a PUBLISH, whose Response Topic may hold no wildcard [MQTT-3.3.2-14]: a
    # protocol error in CONNECT, answered like the decoder's other ones (CONNACK 0x82, 4.13.1).
    watcher = will_watcher(raw)
    client = raw(V5)
    connack = client.connect("bad-will", will={
        "topic": "will/t", "payload": "never", "props": [(mqtt_raw.RESPONSE_TOPIC, "replies/#")]})
    assert connack.reason == 0x82
    client.wait_closed()
    marker(raw)
    assert watcher.expect(PUBLISH).payload == b"marker", "no will was published"
