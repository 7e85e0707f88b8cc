"""SIGTERM/SIGINT: stop accepting, tell clients, exit 0."""
import signal
import socket
import time

import pytest

import mqtt_raw
from mqtt_raw import V311, V5


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_closes_connections_and_exits_cleanly(broker, sig):
    v5 = mqtt_raw.RawClient(broker.port, V5)
    v5.connect("v5-client")
    v3 = mqtt_raw.RawClient(broker.port, V311)
    v3.connect("v3-client")
    idle = mqtt_raw.RawClient(broker.port, V311)  # connected, no CONNECT yet
    assert broker.stop(sig) == 0
    packets = v5.wait_closed()
    if broker.process.args[0].endswith("gatemq"):
        assert packets and packets[-1].type == mqtt_raw.DISCONNECT and packets[-1].reason == 0x8B
    assert v3.wait_closed() == []  # MQTT 3.1.1 has no server-sent DISCONNECT
    assert idle.wait_closed() == []
    with pytest.raises(OSError):
        socket.create_connection((broker.host, broker.port), timeout=2).close()


@pytest.mark.gatemq_only
def test_start_up_log_names_every_listener(broker):
    # Only what the brief allows: one line names each listener and its address. The lines come
    # once every listener is bound, so maybe a moment after the ports accept connections.
    for name, port in (("external", broker.port), ("internal", broker.internal_port)):
        def named():
            return any(name in line and f"127.0.0.1:{port}" in line
                       for line in broker.log().splitlines())
        deadline = time.monotonic() + 10
        while not named() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert named(), f"no start-up line names listener {name} on 127.0.0.1:{port}"


@pytest.mark.gatemq_only
def test_port_in_use_is_a_clear_start_up_error(broker, tmp_path):
    import os
    import subprocess
    from conftest import Broker
    # A second broker with its own free ports for everything but the external listener.
    second = Broker(tmp_path, {"listener.tcp.external": f"127.0.0.1:{broker.port}"})
    config = tmp_path / "second.conf"
    config.write_text(second.config_text())
    result = subprocess.run([os.environ["GATEMQ_BIN"], "--config", str(config)],
                            capture_output=True, timeout=20)
    assert result.returncode == 1
    output = result.stdout.decode() + result.stderr.decode()
    assert f"listener tcp:external: cannot bind 127.0.0.1:{broker.port}" in output


@pytest.mark.gatemq_only
def test_bad_config_is_a_clear_start_up_error(tmp_path):
    import os
    import subprocess
    config = tmp_path / "bad.conf"
    config.write_text("# comment\nzone.external.idle_timout = 15s\n")
    result = subprocess.run([os.environ["GATEMQ_BIN"], "--config", str(config)],
                            capture_output=True, timeout=20)
    assert result.returncode == 1
    assert (f"{config}:2: unknown key 'zone.external.idle_timout' (did you mean "
            f"'zone.external.idle_timeout'?)") in result.stderr.decode()


def test_shutdown_with_messages_in_flight_and_queued(broker):
    subscriber = mqtt_raw.RawClient(broker.port, V311)
    subscriber.connect("stuck", clean=False)
    subscriber.subscribe("busy/#", 1)
    offline = mqtt_raw.RawClient(broker.port, V5)
    offline.connect("away", clean=False, props=[(mqtt_raw.SESSION_EXPIRY, 600)])
    offline.subscribe("busy/#", 1)
    offline.send(mqtt_raw.disconnect(version=V5))
    offline.wait_closed()
    publisher = mqtt_raw.RawClient(broker.port, V5)
    publisher.connect("busy-pub")
    for i in range(100):
        publisher.publish("busy/t", str(i), qos=1, packet_id=i + 1)
    for _ in range(100):
        publisher.expect(mqtt_raw.PUBACK)
    subscriber.expect(mqtt_raw.PUBLISH)  # never acknowledged
    assert broker.stop(signal.SIGTERM) == 0
    subscriber.wait_closed()
    publisher.wait_closed()


def test_restart_on_the_same_port(broker):
    client = mqtt_raw.RawClient(broker.port, V311)
    client.connect("before")
    broker.restart()
    client.wait_closed()
    again = mqtt_raw.RawClient(broker.port, V311)
    assert again.connect("after").reason == 0
    again.close()


def test_paho_clients_see_the_shutdown(broker, paho):
    import paho.mqtt.client as mqtt
    clients = [paho(f"paho-{p}", protocol=p) for p in (mqtt.MQTTv31, mqtt.MQTTv311, mqtt.MQTTv5)]
    for client in clients:
        client.subscribe("any", 1)
    assert broker.stop(signal.SIGTERM) == 0
    for client in clients:
        assert client.disconnects.get(timeout=10) is not None
