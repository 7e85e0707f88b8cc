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
