"""Retained messages and the v5 subscription options that govern them."""
import time

import pytest

import mqtt_raw
from mqtt_raw import PUBACK, PUBLISH, V311, V5


def publish_retained(raw, topic, payload, version=V311, props=None):
    publisher = raw(version)
    publisher.connect(f"retainer-{topic}-{len(payload)}")
    publisher.publish(topic, payload, qos=1, packet_id=1, retain=True, props=props)
    publisher.expect(PUBACK)
    publisher.close()


def test_retained_message_is_delivered_on_subscribe(raw):
    publish_retained(raw, "ret/a", "kept")
    subscriber = raw(V311)
    subscriber.connect("sub")
    subscriber.subscribe("ret/#", 1)
    message = subscriber.expect(PUBLISH)
    assert message.payload == b"kept" and message.retain and message.topic == "ret/a"


def test_retained_message_is_replaced_and_deleted(raw):
    publish_retained(raw, "ret/b", "first")
    publish_retained(raw, "ret/b", "second")
    subscriber = raw(V311)
    subscriber.connect("sub1")
    subscriber.subscribe("ret/b", 0)
    assert subscriber.expect(PUBLISH).payload == b"second"
    publish_retained(raw, "ret/b", "")  # an empty payload deletes
    late = raw(V311)
    late.connect("sub2")
    late.subscribe("ret/b", 0)
    late.subscribe("marker", 0, packet_id=2)
    publisher = raw(V311)
    publisher.connect("marker-pub")
    publisher.publish("marker", "m")
    message = late.expect(PUBLISH)
    assert message.topic == "marker"


def test_live_delivery_clears_the_retain_flag_for_v311(raw):
    subscriber = raw(V311)
    subscriber.connect("live")
    subscriber.subscribe("live/t", 0)
    publisher = raw(V311)
    publisher.connect("live-pub")
    publisher.publish("live/t", "now", retain=True)
    assert not subscriber.expect(PUBLISH).retain


@pytest.mark.parametrize("handling,expect_on_first,expect_on_second", [
    (0, True, True), (1, True, False), (2, False, False)])
def test_v5_retain_handling(raw, handling, expect_on_first, expect_on_second):
    publish_retained(raw, "rh/t", "retained")
    subscriber = raw(V5)
    subscriber.connect("rh")
    subscriber.subscribe("marker", 0, packet_id=9)
    marker = raw(V5)
    marker.connect("marker")
    for packet_id, expected in ((1, expect_on_first), (2, expect_on_second)):
        subscriber.send(mqtt_raw.subscribe(packet_id, [("rh/t", 1 | handling << 4)], version=V5))
        subscriber.expect(mqtt_raw.SUBACK)  # retained messages follow the SUBACK
        marker.publish("marker", "m")
        received = []
        while True:
            packet = subscriber.recv()
            if packet.type == PUBLISH and packet.topic == "marker":
                break
            if packet.type == PUBLISH:
                received.append((packet.payload, packet.retain))
        assert received == ([(b"retained", True)] if expected else [])


def test_v5_retain_as_published(raw):
    subscriber = raw(V5)
    subscriber.connect("rap")
    subscriber.send(mqtt_raw.subscribe(1, [("rap/keep", 0x08), ("rap/clear", 0x00)], version=V5))
    subscriber.expect(mqtt_raw.SUBACK)
    publisher = raw(V5)
    publisher.connect("rap-pub")
    publisher.publish("rap/keep", "a", retain=True)
    assert subscriber.expect(PUBLISH).retain
    publisher.publish("rap/clear", "b", retain=True)
    assert not subscriber.expect(PUBLISH).retain


def test_retained_message_expires(raw):
    publish_retained(raw, "exp/r", "short-lived", version=V5, props=[(mqtt_raw.MESSAGE_EXPIRY, 1)])
    time.sleep(2.5)
    subscriber = raw(V5)
    subscriber.connect("late")
    subscriber.subscribe("exp/r", 0)
    subscriber.subscribe("marker", 0, packet_id=2)
    publisher = raw(V5)
    publisher.connect("m")
    publisher.publish("marker", "m")
    assert subscriber.expect(PUBLISH).topic == "marker"


@pytest.mark.gatemq_only
@pytest.mark.broker_config({"retainer.max_payload_size": "10B"})
def test_retained_payload_over_the_limit_is_not_stored(raw):
    publish_retained(raw, "big/r", "x" * 11)
    publish_retained(raw, "small/r", "x" * 10)
    subscriber = raw(V311)
    subscriber.connect("s")
    subscriber.subscribe("+/r", 0)
    assert subscriber.expect(PUBLISH).topic == "small/r"


@pytest.mark.gatemq_only
@pytest.mark.broker_config({"retainer.max_retained_messages": "1"})
def test_retained_store_limit(raw):
    publish_retained(raw, "one", "1")
    publish_retained(raw, "two", "2")
    publish_retained(raw, "one", "1b")  # replacing an existing topic is always allowed
    subscriber = raw(V311)
    subscriber.connect("s")
    subscriber.subscribe("#", 0)
    assert subscriber.expect(PUBLISH).payload == b"1b"
    with pytest.raises(TimeoutError):
        subscriber.recv(timeout=1)


@pytest.mark.parametrize("stored_qos,sub_qos", [(1, 0), (1, 2), (2, 1), (0, 2)])
def test_retained_delivery_qos_is_the_lower_one(raw, stored_qos, sub_qos):
    publisher = raw(V311)
    publisher.connect("rq-pub")
    publisher.publish("rq/t", "r", qos=stored_qos, packet_id=1, retain=True)
    if stored_qos == 1:
        publisher.expect(PUBACK)
    elif stored_qos == 2:
        publisher.expect(mqtt_raw.PUBREC)
        publisher.send(mqtt_raw.ack(mqtt_raw.PUBREL, 1))
        publisher.expect(mqtt_raw.PUBCOMP)
    else:
        publisher.send(mqtt_raw.packet(0xC0, b""))
        publisher.expect(mqtt_raw.PINGRESP)
    subscriber = raw(V311)
    subscriber.connect("rq-sub")
    subscriber.subscribe("rq/t", sub_qos)
    message = subscriber.expect(PUBLISH)
    assert message.retain and message.qos == min(stored_qos, sub_qos)


def test_wildcard_subscribe_gets_every_matching_retained_message(raw):
    for topic in ("many/a", "many/b", "many/c/d", "other/x"):
        publish_retained(raw, topic, topic)
    subscriber = raw(V311)
    subscriber.connect("many-sub")
    subscriber.subscribe("marker", 0, packet_id=2)
    subscriber.subscribe("many/#", 0)  # the SUBACK comes before the retained messages
    publisher = raw(V311)
    publisher.connect("many-marker")
    publisher.publish("marker", "m")
    topics = set()
    while True:
        message = subscriber.expect(PUBLISH)
        if message.topic == "marker":
            break
        assert message.retain
        topics.add(message.topic)
    assert topics == {"many/a", "many/b", "many/c/d"}


def test_retained_dollar_topics_are_not_sent_to_root_wildcards(raw):
    publish_retained(raw, "$app/r", "hidden")
    publish_retained(raw, "app/r", "visible")
    subscriber = raw(V311)
    subscriber.connect("dollar-sub")
    subscriber.subscribe("#", 0)
    message = subscriber.expect(PUBLISH)
    assert message.topic == "app/r"
    with pytest.raises(TimeoutError):
        subscriber.recv(timeout=0.5)
    subscriber.subscribe("$app/#", 0, packet_id=2)
    assert subscriber.expect(PUBLISH).topic == "$app/r"


@pytest.mark.parametrize("protocol_version", [mqtt_raw.V31, V311, V5])
def test_retained_with_paho_versions(raw, paho, protocol_version):
    import paho.mqtt.client as mqtt
    protocol = {mqtt_raw.V31: mqtt.MQTTv31, V311: mqtt.MQTTv311, V5: mqtt.MQTTv5}[protocol_version]
    publisher = paho("ret-pub", protocol=protocol)
    publisher.publish("paho/ret", b"kept", 1, retain=True)
    subscriber = paho("ret-sub", protocol=protocol)
    subscriber.subscribe("paho/ret", 1)
    message = subscriber.expect()
    assert message.payload == b"kept" and message.retain


def test_retained_message_expiry_counts_down(raw):
    publish_retained(raw, "cd/r", "ageing", version=V5, props=[(mqtt_raw.MESSAGE_EXPIRY, 30)])
    time.sleep(2.2)
    subscriber = raw(V5)
    subscriber.connect("cd-sub")
    subscriber.subscribe("cd/r", 0)
    message = subscriber.expect(PUBLISH)
    assert message.payload == b"ageing" and message.retain
    assert 1 <= message.props[mqtt_raw.MESSAGE_EXPIRY] <= 28


def test_retained_message_keeps_its_properties_and_gets_the_subscription_id(raw):
    publish_retained(raw, "rp/t", "with-props", version=V5, props=[
        (mqtt_raw.CONTENT_TYPE, "text/plain"), (mqtt_raw.USER_PROPERTY, ("k", "v")),
        (mqtt_raw.RESPONSE_TOPIC, "rp/reply"), (mqtt_raw.CORRELATION_DATA, b"\x01\x02"),
        (mqtt_raw.PAYLOAD_FORMAT, 1)])
    subscriber = raw(V5)
    subscriber.connect("rp-sub")
    subscriber.subscribe("rp/+", 1, props=[(mqtt_raw.SUBSCRIPTION_ID, 77)])
    message = subscriber.expect(PUBLISH)
    assert message.retain and message.payload == b"with-props"
    assert message.props[mqtt_raw.CONTENT_TYPE] == "text/plain"
    assert message.props[mqtt_raw.USER_PROPERTY] == [("k", "v")]
    assert message.props[mqtt_raw.RESPONSE_TOPIC] == "rp/reply"
    assert message.props[mqtt_raw.CORRELATION_DATA] == b"\x01\x02"
    assert message.props[mqtt_raw.PAYLOAD_FORMAT] == 1
    assert message.props[mqtt_raw.SUBSCRIPTION_ID] == [77]


def test_retained_message_is_sent_despite_no_local(raw):
    client = raw(V5)
    client.connect("own-retained")
    client.publish("nlr/t", "mine", qos=1, packet_id=1, retain=True)
    client.expect(PUBACK)
    client.send(mqtt_raw.subscribe(2, [("nlr/t", 0x04 | 1)], version=V5))  # No Local
    client.expect(mqtt_raw.SUBACK)
    message = client.expect(PUBLISH)
    assert message.payload == b"mine" and message.retain


def test_retained_will_is_stored(raw):
    live = raw(V5)
    live.connect("rw-live")
    live.subscribe("rw/t", 0)
    client = raw(V5)
    client.connect("rw", will={"topic": "rw/t", "payload": "last", "retain": True,
                               "props": [(mqtt_raw.USER_PROPERTY, ("why", "gone"))]})
    client.close()
    assert live.expect(PUBLISH).payload == b"last"  # stored before it is routed
    subscriber = raw(V5)
    subscriber.connect("rw-late")
    subscriber.subscribe("rw/t", 0)
    message = subscriber.expect(PUBLISH)
    assert message.retain and message.payload == b"last"
    assert message.props[mqtt_raw.USER_PROPERTY] == [("why", "gone")]
