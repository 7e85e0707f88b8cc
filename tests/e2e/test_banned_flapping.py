"""Flapping detection (zone enable_flapping_detect, flapping_threshold, ban interval) and the
banned-client check at CONNECT, for MQTT 3.1.1, 5.0 and gateway clients."""
import time

import pytest

import mqtt_raw
import tcp_device
from mqtt_raw import V311, V5

pytestmark = pytest.mark.gatemq_only

FLAPPING = {"zone.external.enable_flapping_detect": "on",
            "zone.external.flapping_threshold": "3, 1m",
            "zone.external.flapping_banned_expiry_interval": "3s"}


def connect_and_drop(broker, client_id, version=V311):
    client = mqtt_raw.RawClient(broker.port, version)
    connack = client.connect(client_id)
    client.close()
    return connack


def wait_for_log(broker, text, timeout=10):
    deadline = time.monotonic() + timeout
    while text not in broker.log():
        assert time.monotonic() < deadline, f"'{text}' not logged"
        time.sleep(0.05)


@pytest.mark.broker_config(FLAPPING)
def test_flapping_client_is_banned_then_admitted_again(broker):
    for _ in range(3):
        assert connect_and_drop(broker, "flappy").reason == 0
    wait_for_log(broker, "is flapping")
    refused = mqtt_raw.RawClient(broker.port, V311).connect("flappy")
    assert refused.reason == 5, "3.1.1: not authorized"
    refused5 = mqtt_raw.RawClient(broker.port, V5).connect("flappy")
    assert refused5.reason == 0x8A, "5.0: Banned"
    assert connect_and_drop(broker, "steady").reason == 0, "other clients are not affected"
    deadline = time.monotonic() + 15
    while True:
        client = mqtt_raw.RawClient(broker.port, V311)
        if client.connect("flappy").reason == 0:
            break
        assert time.monotonic() < deadline, "ban never expired"
        time.sleep(0.2)


@pytest.mark.broker_config(FLAPPING)
def test_fewer_disconnects_than_the_threshold_do_not_ban(broker):
    for _ in range(2):
        assert connect_and_drop(broker, "calm").reason == 0
    client = mqtt_raw.RawClient(broker.port, V311)
    assert client.connect("calm").reason == 0
    assert "is flapping" not in broker.log()


@pytest.mark.broker_config(FLAPPING)
def test_banned_gateway_client_is_refused(broker):
    for _ in range(3):
        device = tcp_device.Device(broker.tcp_gateway_port)
        device.connect("tcp-flappy")
        device.close()
        time.sleep(0.1)
    wait_for_log(broker, "tcp-flappy@")
    wait_for_log(broker, "is flapping")
    device = tcp_device.Device(broker.tcp_gateway_port)
    code, _ = device.connect("tcp-flappy")
    assert code != 0


@pytest.mark.broker_config({**FLAPPING, "zone.external.enable_ban": "off"})
def test_enable_ban_off_ignores_bans(broker):
    for _ in range(3):
        connect_and_drop(broker, "ignored")
    wait_for_log(broker, "is flapping")
    assert connect_and_drop(broker, "ignored").reason == 0


@pytest.mark.broker_config({"flapping_detect_policy": "2, 1m, 3s",
                            "zone.external.enable_flapping_detect": "on"})
def test_global_policy_gives_the_zone_defaults(broker):
    for _ in range(2):
        connect_and_drop(broker, "policy")
    wait_for_log(broker, "is flapping (2 disconnects")
    assert mqtt_raw.RawClient(broker.port, V311).connect("policy").reason == 5


def test_flapping_detection_is_off_by_default(broker):
    for _ in range(12):
        assert connect_and_drop(broker, "free").reason == 0
