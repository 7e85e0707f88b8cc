"""Publish/subscribe with paho in every protocol version."""
import queue

import paho.mqtt.client as mqtt
import pytest

import mqtt_raw

VERSIONS = [mqtt.MQTTv31, mqtt.MQTTv311, mqtt.MQTTv5]


@pytest.mark.parametrize("protocol", VERSIONS)
@pytest.mark.parametrize("pub_qos,sub_qos", [(0, 0), (1, 1), (2, 2), (2, 1), (1, 0), (0, 2)])
def test_delivered_qos_is_the_lower_of_publish_and_subscription(paho, protocol, pub_qos, sub_qos):
    subscriber = paho("sub", protocol=protocol)
    subscriber.subscribe("q/test", sub_qos)
    publisher = paho("pub", protocol=protocol)
    publisher.publish("q/test", b"payload", pub_qos)
    message = subscriber.expect()
    assert message.payload == b"payload"
    assert message.topic == "q/test"
    assert message.qos == min(pub_qos, sub_qos)


@pytest.mark.broker_config({"zone.external.upgrade_qos": "on"})
@pytest.mark.parametrize("protocol", VERSIONS)
def test_upgrade_qos_delivers_at_the_subscription_qos(paho, protocol):
    subscriber = paho("sub", protocol=protocol)
    subscriber.subscribe("up", 2)
    subscriber.subscribe("up1", 1)
    publisher = paho("pub", protocol=protocol)
    publisher.publish("up", b"x", 0)
    message = subscriber.expect()
    assert (message.payload, message.qos) == (b"x", 2)
    publisher.publish("up1", b"y", 0)
    message = subscriber.expect()
    assert (message.payload, message.qos) == (b"y", 1)


def test_wildcards_match_per_spec(paho):
    subscriber = paho("sub")
    subscriber.subscribe("sport/+/player1", 1)
    subscriber.subscribe("finance/#", 1)
    publisher = paho("pub")
    for topic in ["sport/tennis/player1", "sport/tennis/player2", "finance", "finance/stock/ibm",
                  "sport/player1", "done"]:
        publisher.publish(topic, topic.encode(), 1)
    subscriber.subscribe("done", 1)
    publisher.publish("done", b"done", 1)
    received = []
    while True:
        message = subscriber.expect()
        if message.topic == "done":
            break
        received.append(message.topic)
    assert received == ["sport/tennis/player1", "finance", "finance/stock/ibm"]


def test_dollar_topics_are_not_matched_by_root_wildcards(raw):
    subscriber = raw()
    subscriber.connect("sub")
    subscriber.subscribe("#", 0)
    subscriber.subscribe("+/x", 0, packet_id=2)
    publisher = raw()
    publisher.connect("pub")
    publisher.publish("$app/x", "hidden")
    publisher.publish("visible/x", "seen")
    message = subscriber.expect(mqtt_raw.PUBLISH)
    assert message.topic == "visible/x"


def test_publishing_to_sys_topics_is_refused(raw):
    subscriber = raw()
    subscriber.connect("sub")
    subscriber.subscribe("$SYS/fake", 0)
    subscriber.subscribe("marker", 0, packet_id=2)
    publisher = raw()
    publisher.connect("pub")
    publisher.publish("$SYS/fake", "spoof", qos=1, packet_id=1)
    publisher.expect(mqtt_raw.PUBACK)
    publisher.publish("marker", "m")
    assert subscriber.expect(mqtt_raw.PUBLISH).topic == "marker"


@pytest.mark.parametrize("protocol", VERSIONS)
def test_unsubscribe_stops_delivery(paho, protocol):
    subscriber = paho("sub", protocol=protocol)
    subscriber.subscribe("a", 1)
    subscriber.subscribe("b", 1)
    publisher = paho("pub", protocol=protocol)
    publisher.publish("a", b"1", 1)
    assert subscriber.expect().payload == b"1"
    done = queue.Queue()
    subscriber.client.on_unsubscribe = lambda *args: done.put(args)
    subscriber.client.unsubscribe("a")
    done.get(timeout=10)  # the UNSUBACK
    publisher.publish("a", b"2", 1)
    publisher.publish("b", b"3", 1)
    assert subscriber.expect().payload == b"3"


@pytest.mark.gatemq_only
def test_overlapping_subscriptions_each_deliver(raw):
    # MQTT 3.1.1 allows one copy per matching subscription (Mosquitto sends one in all).
    subscriber = raw()
    subscriber.connect("sub")
    subscriber.subscribe("a/+", 0)
    subscriber.subscribe("a/b", 0, packet_id=2)
    publisher = raw()
    publisher.connect("pub")
    publisher.publish("a/b", "x")
    first = subscriber.expect(mqtt_raw.PUBLISH)
    second = subscriber.expect(mqtt_raw.PUBLISH)
    assert first.payload == second.payload == b"x"


def test_large_payload_round_trip(paho):
    subscriber = paho("sub", protocol=mqtt.MQTTv5)
    subscriber.subscribe("big", 1)
    payload = bytes(range(256)) * 2000
    paho("pub", protocol=mqtt.MQTTv5).publish("big", payload, 1)
    assert subscriber.expect().payload == payload


def test_many_messages_arrive_in_order(paho):
    subscriber = paho("sub")
    subscriber.subscribe("order", 1)
    publisher = paho("pub")
    for i in range(500):
        publisher.client.publish("order", str(i).encode(), 1)
    assert [int(p) for p in subscriber.expect_payloads(500)] == list(range(500))
