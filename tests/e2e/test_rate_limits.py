"""Per-connection inbound rate limits: a limited publisher is slowed by paused reads (TCP
backpressure), and nothing it sent is lost. Tests check order and completeness, and that the
broker said it paused; they never assert on durations."""
import pytest

import mqtt_raw

pytestmark = pytest.mark.gatemq_only


def publish_and_collect(broker, paho, count, payload=b"x", qos=1):
    """Sends every PUBLISH in one write, so the first read already exceeds the limit however
    slowly the machine runs, and collects them all on an unlimited subscriber."""
    subscriber = paho("subscriber")
    subscriber.subscribe("rl/#", 1)
    publisher = mqtt_raw.RawClient(broker.port)
    assert publisher.connect("publisher").reason == 0
    publisher.send(b"".join(mqtt_raw.publish(f"rl/{i}", payload + str(i).encode(), qos,
                                             packet_id=i + 1 if qos else 0)
                            for i in range(count)))
    got = subscriber.expect_payloads(count, timeout=60)
    assert got == [payload + str(i).encode() for i in range(count)], "every message, in order"


@pytest.mark.broker_config({"zone.external.publish_limit": "20,1s"})
def test_publish_limit_slows_without_loss(broker, paho):
    publish_and_collect(broker, paho, 60)
    assert "rate limited: reading again in" in broker.log()


@pytest.mark.broker_config({"zone.external.rate_limit.conn_messages_in": "25,1s"})
def test_conn_messages_in_slows_without_loss(broker, paho):
    publish_and_collect(broker, paho, 60, qos=0)
    assert "rate limited" in broker.log()


@pytest.mark.broker_config({"zone.external.rate_limit.conn_bytes_in": "20KB,1s"})
def test_conn_bytes_in_slows_large_publishes_without_loss(broker, paho):
    publish_and_collect(broker, paho, 12, payload=b"b" * 8000)
    assert "rate limited" in broker.log()


@pytest.mark.broker_config({"listener.tcp.external.rate_limit": "16KB,16KB",
                            "listener.tcp.external.max_publish_rate": "30,1"})
def test_listener_rate_limit_and_max_publish_rate(broker, paho):
    publish_and_collect(broker, paho, 40, payload=b"p" * 1000)
    assert "rate limited" in broker.log()


def test_no_limits_by_default(broker, paho):
    publish_and_collect(broker, paho, 200, qos=0)
    assert "rate limited" not in broker.log()


@pytest.mark.broker_config({"zone.external.publish_limit": "10,1s"})
def test_internal_listener_has_its_own_zone(broker, paho):
    import conftest
    subscriber = paho("subscriber")
    subscriber.subscribe("int/#", 0)
    publisher = conftest.PahoClient(broker, "internal", port=broker.internal_port)
    for i in range(50):
        publisher.client.publish(f"int/{i}", str(i), 0)
    assert len(subscriber.expect_payloads(50)) == 50
    publisher.disconnect()
    assert "rate limited" not in broker.log()
