"""The TCP gateway (private length-prefixed framing) against real MQTT clients."""
import subprocess
import time

import pytest

import mqtt_raw
import tcp_device
from tcp_device import CONNACK, DATATRANS, PONG, Device

pytestmark = pytest.mark.gatemq_only


@pytest.fixture
def device(broker):
    created = []

    def make():
        created.append(Device(broker.tcp_gateway_port))
        return created[-1]

    yield make
    for d in created:
        d.close()


def test_device_publishes_up_and_mosquitto_sub_receives(broker, device):
    subscriber = subprocess.Popen(
        ["mosquitto_sub", "-h", broker.host, "-p", str(broker.port), "-t", "tcp/+/up", "-C", "1",
         "-W", "15", "-v"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    sensor = device()
    code, message = sensor.connect("sensor-1")
    assert code == 0 and message == b"Connect Successfully"
    for _ in range(300):  # mosquitto_sub cannot say when it has subscribed
        sensor.send(tcp_device.datatrans_frame(b"temp=21.5"))
        try:
            out, err = subscriber.communicate(timeout=0.05)
            break
        except subprocess.TimeoutExpired:
            continue
    assert out.decode().strip() == "tcp/sensor-1/up temp=21.5", err


def test_mqtt_publish_to_the_down_topic_reaches_the_device(broker, device, raw):
    sensor = device()
    assert sensor.connect("sensor-2")[0] == 0
    publisher = raw(mqtt_raw.V311)
    publisher.connect("app")
    publisher.publish("tcp/sensor-2/dn", b"\x00\x01binary", qos=1, packet_id=1)
    publisher.expect(mqtt_raw.PUBACK)
    assert sensor.recv() == (DATATRANS, 0, b"\x00\x01binary")
    # QoS 1 to a device completes at once: the next one flows too.
    publisher.publish("tcp/sensor-2/dn", "second", qos=1, packet_id=2)
    assert sensor.recv() == (DATATRANS, 0, b"second")


def test_ping_gets_pong(device):
    sensor = device()
    sensor.connect("pinger")
    sensor.send(bytes([0x40]))
    assert sensor.recv()[0] == PONG


@pytest.mark.broker_config({"allow_anonymous": "false"})
def test_authentication_failure_gets_connack_1(device):
    sensor = device()
    sensor.send(tcp_device.connect_frame("nobody", username="u", password="p"))
    frames = sensor.wait_closed()
    assert frames and frames[0][:2] == (CONNACK, 1)


def test_bad_version_gets_connack_2(device):
    sensor = device()
    sensor.send(tcp_device.connect_frame("old", version=2))
    frames = sensor.wait_closed()
    assert frames and frames[0][:2] == (CONNACK, 2)


@pytest.mark.parametrize("garbage", [
    bytes([0x30, 0x00, 0x01, 0x41]),                 # DATATRANS before CONNECT
    bytes([0x40]),                                   # PING before CONNECT
    bytes([0x11, 0x00, 0x03, 0x3c, 0x00, 0x05]),      # truncated client id
    bytes([0x11, 0x00, 0x00]),                       # empty CONNECT payload
    bytes([0x20, 0x00, 0x00]),                       # a server-only frame
    bytes([0xF0, 0x01, 0x02]),                       # reserved type
    b"GET / HTTP/1.1\r\n\r\n",
])
def test_bad_first_frames_close_the_connection(device, raw, garbage):
    sensor = device()
    sensor.send(garbage)
    sensor.wait_closed()
    healthy = device()
    assert healthy.connect("healthy")[0] == 0


@pytest.mark.broker_config({"tcp.proto.max_packet_size": "16"})
def test_oversize_frame_closes_the_connection(device):
    sensor = device()
    sensor.connect("big")
    sensor.send(tcp_device.datatrans_frame(b"x" * 17))
    sensor.wait_closed()


def test_truncated_frame_then_close_does_not_affect_others(device, raw):
    sensor = device()
    sensor.connect("half")
    sensor.send(bytes([0x30, 0x00, 0x10, 0x41]))
    sensor.close()
    other = device()
    assert other.connect("other")[0] == 0
    subscriber = raw(mqtt_raw.V311)
    subscriber.connect("watch")
    subscriber.subscribe("tcp/other/up", 0)
    other.send(tcp_device.datatrans_frame("still-fine"))
    assert subscriber.expect(mqtt_raw.PUBLISH).payload == b"still-fine"


def test_keepalive_expiry_closes_a_silent_device(device):
    sensor = device()
    sensor.connect("sleepy", keepalive=1)
    sensor.wait_closed(timeout=15)


def test_takeover_between_a_device_and_an_mqtt_client(broker, device, raw):
    sensor = device()
    assert sensor.connect("shared-id")[0] == 0
    mqtt_client = raw(mqtt_raw.V5)
    assert mqtt_client.connect("shared-id").reason == 0
    sensor.wait_closed()  # the device connection was taken over
    # And back: the device takes the id over from the MQTT client (v5 hears 0x8E).
    again = device()
    assert again.connect("shared-id")[0] == 0
    packets = mqtt_client.wait_closed()
    assert packets and packets[-1].type == mqtt_raw.DISCONNECT and packets[-1].reason == 0x8E


def test_device_disconnect_frame_ends_the_session(device, raw):
    sensor = device()
    sensor.connect("bye")
    sensor.send(bytes([0x60]))
    sensor.wait_closed()
    publisher = raw(mqtt_raw.V5)
    publisher.connect("after-bye")
    publisher.publish("tcp/bye/dn", "x", qos=1, packet_id=1)
    assert publisher.expect(mqtt_raw.PUBACK).reason == 0x10  # nobody subscribed any more


@pytest.mark.broker_config({"tcp.proto.up_topic": "devices/%u/%c", "tcp.mountpoint": "gw/"})
def test_topic_templates_and_mountpoint(device, raw):
    subscriber = raw(mqtt_raw.V311)
    subscriber.connect("watch")
    subscriber.subscribe("gw/devices/alice/dev-9", 0)
    sensor = device()
    sensor.connect("dev-9", username="alice", password="x")
    sensor.send(tcp_device.datatrans_frame("templated"))
    assert subscriber.expect(mqtt_raw.PUBLISH).payload == b"templated"


@pytest.mark.broker_config({"tcp.enable": "off"})
def test_gateway_can_be_disabled(broker):
    import socket
    with pytest.raises(OSError):
        socket.create_connection((broker.host, broker.tcp_gateway_port), timeout=2).close()


def test_gateway_port_in_use_is_a_clear_start_up_error(broker, tmp_path):
    import os
    config = tmp_path / "second.conf"
    config.write_text("listener.tcp.external = 127.0.0.1:0\nlistener.tcp.internal = off\n"
                      "listener.ssl.external = off\nlistener.ws.external = off\n"
                      "listener.wss.external = off\ntcp.listener.ssl.external = off\nmqtt.sn.enable = off\n"
                      f"tcp.listener.external = 127.0.0.1:{broker.tcp_gateway_port}\n"
                      "log.to = console\n")
    result = subprocess.run([os.environ["GATEMQ_BIN"], "--config", str(config)],
                            capture_output=True, timeout=20)
    assert result.returncode == 1
    output = result.stdout.decode() + result.stderr.decode()
    assert (f"listener tcp-gateway:external: cannot bind 127.0.0.1:{broker.tcp_gateway_port}: "
            "Address already in use") in output


def test_start_up_log_names_the_gateway_listener(broker):
    assert f"tcp-gateway:external on 127.0.0.1:{broker.tcp_gateway_port} (plugin emqx_tcp)" in \
        broker.log()


def test_shutdown_closes_connected_devices(broker, device):
    import signal
    sensor = device()
    assert sensor.connect("until-shutdown")[0] == 0
    assert broker.stop(signal.SIGTERM) == 0
    sensor.wait_closed()
