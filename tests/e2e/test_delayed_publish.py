"""Delayed publish: `$delayed/<seconds>/<topic>` arrives on <topic> after the delay, not before;
malformed forms and the caps (module.delayed.max_delay, max_delayed_messages) refuse."""
import queue
import time

import paho.mqtt.client as mqtt
import pytest

pytestmark = pytest.mark.gatemq_only


def test_message_arrives_after_its_delay_and_not_before(broker, paho):
    subscriber = paho("subscriber")
    subscriber.subscribe("later/#", 1)
    publisher = paho("publisher")
    sent_at = time.monotonic()
    publisher.publish("$delayed/2/later/one", "after two seconds", qos=1)
    with pytest.raises(queue.Empty):
        subscriber.expect(timeout=1.0)
    message = subscriber.expect(timeout=10)
    assert message.topic == "later/one" and message.payload == b"after two seconds"
    assert time.monotonic() - sent_at >= 1.9


def test_order_follows_due_time_and_retain_is_kept(broker, paho):
    publisher = paho("publisher")
    subscriber = paho("subscriber")
    subscriber.subscribe("d/#", 1)
    publisher.publish("$delayed/3/d/slow", "slow", qos=1)
    publisher.publish("$delayed/1/d/fast", "fast", qos=1, retain=True)
    publisher.publish("d/now", "now", qos=1)
    assert subscriber.expect_payloads(3) == [b"now", b"fast", b"slow"]
    late = paho("late")
    late.subscribe("d/fast", 1)
    assert late.expect().payload == b"fast", "the retain flag survives the delay"


def test_many_pending_messages_all_arrive(broker, paho):
    subscriber = paho("subscriber")
    subscriber.subscribe("bulk/+", 1)
    publisher = paho("publisher")
    for i in range(200):
        publisher.publish(f"$delayed/1/bulk/{i}", str(i), qos=1)
    got = sorted(int(p) for p in subscriber.expect_payloads(200))
    assert got == list(range(200))


def test_zero_delay_publishes_at_once(broker, paho):
    subscriber = paho("subscriber")
    subscriber.subscribe("zero", 0)
    paho("publisher").publish("$delayed/0/zero", "z", qos=1)
    assert subscriber.expect().payload == b"z"


def test_malformed_delayed_topics_are_dropped(broker, paho):
    subscriber = paho("subscriber")
    subscriber.subscribe("#", 0)
    publisher = paho("publisher", protocol=mqtt.MQTTv5)
    for topic in ("$delayed/abc/t", "$delayed/5", "$delayed//t", "$delayed/12345678901/t"):
        publisher.publish(topic, "x", qos=1)
    publisher.publish("marker", "m", qos=1)
    message = subscriber.expect()
    assert message.topic == "marker"
    assert "not $delayed/<seconds>/<topic>" in broker.log()


@pytest.mark.broker_config({"module.delayed.max_delay": "10s",
                            "module.delayed.max_delayed_messages": "2"})
def test_caps_on_delay_and_pending_count(broker, paho):
    subscriber = paho("subscriber")
    subscriber.subscribe("cap/#", 1)
    publisher = paho("publisher")
    publisher.publish("$delayed/60/cap/too-long", "x", qos=1)
    for i in range(3):
        publisher.publish(f"$delayed/1/cap/{i}", str(i), qos=1)
    assert sorted(subscriber.expect_payloads(2)) == [b"0", b"1"]
    with pytest.raises(queue.Empty):
        subscriber.expect(timeout=1.5)
    log = broker.log()
    assert "delay above module.delayed.max_delay" in log
    assert "module.delayed.max_delayed_messages reached" in log


@pytest.mark.broker_config({"listener.tcp.external.mountpoint": "tenant/"})
def test_mountpoint_applies_to_the_inner_topic(broker, paho):
    subscriber = paho("subscriber")
    subscriber.subscribe("inner", 1)
    paho("publisher").publish("$delayed/1/inner", "mounted", qos=1)
    message = subscriber.expect()
    assert message.topic == "inner" and message.payload == b"mounted"


@pytest.mark.broker_config({"module.delayed": "off"})
def test_off_treats_the_topic_as_ordinary(broker, paho):
    subscriber = paho("subscriber")
    subscriber.subscribe("$delayed/#", 0)
    paho("publisher").publish("$delayed/5/x", "plain", qos=1)
    assert subscriber.expect(timeout=5).topic == "$delayed/5/x"
