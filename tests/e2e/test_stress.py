"""Concurrency probes: takeover storms, mass wills, shutdown under load. Each ends by checking
that the broker still serves; the fixture then checks the clean exit."""
import signal
import threading
import time

import pytest

import mqtt_raw
from mqtt_raw import PUBACK, PUBLISH, V311, V5


def still_serves(port):
    subscriber = mqtt_raw.RawClient(port, V311)
    subscriber.connect("health-sub")
    subscriber.subscribe("health", 0)
    publisher = mqtt_raw.RawClient(port, V311)
    publisher.connect("health-pub")
    publisher.publish("health", "ok")
    assert subscriber.expect(PUBLISH).payload == b"ok"
    subscriber.close()
    publisher.close()


def run_threads(count, target):
    errors = []

    def wrapped(i):
        try:
            target(i)
        except Exception as error:  # collected and reported below
            errors.append(f"thread {i}: {error!r}")

    threads = [threading.Thread(target=wrapped, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(t.is_alive() for t in threads), "threads hung"
    return errors


def test_takeover_storm_on_one_client_id(broker):
    def storm(i):
        for j in range(15):
            version = V5 if (i + j) % 2 else V311
            client = mqtt_raw.RawClient(broker.port, version)
            props = [(mqtt_raw.SESSION_EXPIRY, 300)] if version == V5 else None
            try:
                client.send(mqtt_raw.connect("contested", version=version, clean=False,
                                             props=props))
                if j % 3 == 0:
                    client.send(mqtt_raw.subscribe(1, [(f"storm/{i}", 1)], version=version))
                for packet in client.wait_closed(timeout=0.3 if j % 2 else 0.05):
                    # Before the next connection takes over: CONNACK 0, SUBACK; then at most a
                    # DISCONNECT 0x8E (Session taken over).
                    if packet.type == mqtt_raw.CONNACK:
                        assert packet.reason == 0, packet.reason
                    elif packet.type == mqtt_raw.DISCONNECT:
                        assert packet.reason == 0x8E, packet.reason
                    else:
                        assert packet.type == mqtt_raw.SUBACK, packet
            except (OSError, TimeoutError):
                pass  # still open after the wait, or reset: both fine
            finally:
                client.close()

    errors = run_threads(8, storm)
    assert errors == []
    final = mqtt_raw.RawClient(broker.port, V311)
    assert final.connect("contested", clean=False).reason == 0
    final.close()
    still_serves(broker.port)


def test_many_wills_at_once(broker):
    watcher = mqtt_raw.RawClient(broker.port, V5)
    watcher.connect("will-watcher")
    watcher.subscribe("mass/will/#", 1)
    clients = []
    for i in range(60):
        client = mqtt_raw.RawClient(broker.port, V5 if i % 2 else V311)
        client.connect(f"mortal-{i}", will={"topic": f"mass/will/{i}", "payload": str(i),
                                            "qos": 1})
        clients.append(client)
    for client in clients:
        client.close()
    got = set()
    while len(got) < 60:
        message = watcher.expect(PUBLISH)
        got.add(int(message.payload))
        watcher.send(mqtt_raw.ack(PUBACK, message.packet_id, version=V5))
    assert got == set(range(60))
    watcher.close()


def test_many_sessions_expire(broker):
    for i in range(40):
        client = mqtt_raw.RawClient(broker.port, V5)
        client.connect(f"brief-{i}", clean=False, props=[(mqtt_raw.SESSION_EXPIRY, 1)])
        client.subscribe("brief/t", 1)
        client.send(mqtt_raw.disconnect(version=V5))
        client.wait_closed()
    time.sleep(3)
    publisher = mqtt_raw.RawClient(broker.port, V5)
    publisher.connect("brief-pub")
    publisher.publish("brief/t", "x", qos=1, packet_id=1)
    assert publisher.expect(PUBACK).reason == 0x10  # every subscription went with its session
    for i in range(40):
        client = mqtt_raw.RawClient(broker.port, V5)
        assert not client.connect(f"brief-{i}", clean=False).session_present
        client.close()
    publisher.close()


def test_connect_disconnect_churn_with_traffic(broker):
    subscriber = mqtt_raw.RawClient(broker.port, V311)
    subscriber.connect("churn-sub")
    subscriber.subscribe("churn/#", 0)

    def churn(i):
        for j in range(25):
            client = mqtt_raw.RawClient(broker.port, V5 if j % 2 else V311)
            client.connect(f"churn-{i}-{j}", will={"topic": f"churn/will/{i}", "payload": "w"})
            client.subscribe(f"churn/{i}/#", 1)
            client.publish(f"churn/{i}/{j}", "x" * (j * 50), qos=j % 2, packet_id=1)
            if j % 3 == 0:
                client.close()  # abrupt: the will goes
            else:
                client.send(mqtt_raw.disconnect(version=client.version))
                client.close()

    assert run_threads(6, churn) == []
    still_serves(broker.port)
    subscriber.close()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_shutdown_during_a_publish_flood(broker, sig):
    subscriber = mqtt_raw.RawClient(broker.port, V311)
    subscriber.connect("flood-sub")
    subscriber.subscribe("flood/#", 0)
    stop = threading.Event()

    def flood(i):
        client = mqtt_raw.RawClient(broker.port, V5 if i % 2 else V311)
        client.connect(f"flooder-{i}")
        try:
            packet_id = 0
            while not stop.is_set():
                packet_id = packet_id % 65535 + 1
                client.publish(f"flood/{i}", "y" * 500, qos=i % 2, packet_id=packet_id)
        except OSError:
            pass  # the broker went away: expected
        finally:
            client.close()

    threads = [threading.Thread(target=flood, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(1)
    try:
        assert broker.stop(sig) == 0
    finally:
        stop.set()
        for thread in threads:
            thread.join(20)
    subscriber.wait_closed(timeout=20)
