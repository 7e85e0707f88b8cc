"""Configuration settings observed on the wire: listeners, zones, mqtt.* limits, the retainer and
GATEMQ_* environment overrides. Keys without a Mosquitto equivalent skip on that target."""
import time

import pytest

import mqtt_raw
from mqtt_raw import PUBACK, PUBLISH, SUBACK, V311, V5


def internal_client(broker, version=V311):
    return mqtt_raw.RawClient(broker.internal_port, version)


@pytest.mark.gatemq_only
def test_internal_and_external_listeners_share_one_router(broker, raw):
    inside = internal_client(broker)
    try:
        assert inside.connect("inside").reason == 0
        inside.subscribe("cross/#", 1)
        outside = raw(V311)
        outside.connect("outside")
        outside.publish("cross/listener", "hello", qos=1, packet_id=1)
        outside.expect(PUBACK)
        message = inside.expect(PUBLISH)
        assert (message.topic, message.payload) == ("cross/listener", b"hello")
    finally:
        inside.close()
    log = broker.log()
    for name, port in (("external", broker.port), ("internal", broker.internal_port)):
        assert name in log and f"127.0.0.1:{port}" in log, f"listener {name} not logged"


@pytest.mark.gatemq_only
@pytest.mark.broker_config({"zone.external.mountpoint": "mp/",
                            "listener.tcp.internal.zone": "internal"})
def test_zone_mountpoint_prefixes_and_strips_topics(broker, raw):
    inside = internal_client(broker)
    try:
        inside.connect("inside")
        inside.subscribe("#", 0)
        subscriber = raw(V311)
        subscriber.connect("mounted-sub")
        subscriber.subscribe("a/+", 0)
        publisher = raw(V311)
        publisher.connect("mounted-pub")
        publisher.publish("a/b", "x")
        # The unmounted listener sees the real topic; the mounted client its own view of it.
        assert inside.expect(PUBLISH).topic == "mp/a/b"
        assert subscriber.expect(PUBLISH).topic == "a/b"
        inside.publish("a/b", "not-mounted")  # outside the mountpoint: invisible to the zone
        inside.publish("mp/a/c", "mounted")
        message = subscriber.expect(PUBLISH)
        assert (message.topic, message.payload) == ("a/c", b"mounted")
    finally:
        inside.close()


@pytest.mark.gatemq_only
@pytest.mark.broker_config({"listener.tcp.external.mountpoint": "lm/",
                            "listener.tcp.internal.zone": "internal"})
def test_listener_mountpoint(broker, raw):
    inside = internal_client(broker)
    try:
        inside.connect("inside")
        inside.subscribe("#", 0)
        publisher = raw(V5)
        publisher.connect("lm-pub")
        publisher.publish("t", "x")
        assert inside.expect(PUBLISH).topic == "lm/t"
    finally:
        inside.close()


@pytest.mark.gatemq_only
@pytest.mark.broker_env({"GATEMQ_ZONE__EXTERNAL__SERVER_KEEPALIVE": "7",
                         "GATEMQ_MQTT__MAX_TOPIC_ALIAS": "3"})
def test_environment_overrides_apply_and_win_over_the_file(raw):
    # The file sets mqtt.max_topic_alias = 10; the environment says 3.
    connack = raw(V5).connect("env", keepalive=60)
    assert connack.props[mqtt_raw.SERVER_KEEP_ALIVE] == 7
    assert connack.props[mqtt_raw.TOPIC_ALIAS_MAXIMUM] == 3


@pytest.mark.gatemq_only
@pytest.mark.broker_config({"zone.external.server_keepalive": "1",
                            "listener.tcp.internal.zone": "internal"})
def test_server_keepalive_is_enforced(broker, raw):
    watcher = internal_client(broker, V5)  # zone internal: no server keepalive for the watcher
    watcher.connect("watcher")
    watcher.subscribe("sk/will", 0)
    client = raw(V5)
    connack = client.connect("sk", keepalive=600, will={"topic": "sk/will", "payload": "gone"})
    assert connack.props[mqtt_raw.SERVER_KEEP_ALIVE] == 1
    packets = client.wait_closed(timeout=15)
    if packets:
        assert packets[-1].type == mqtt_raw.DISCONNECT and packets[-1].reason == 0x8D
    try:
        assert watcher.expect(PUBLISH).payload == b"gone"
    finally:
        watcher.close()


@pytest.mark.broker_config({"mqtt.max_qos_allowed": "1"})
def test_max_qos_allowed(raw):
    client = raw(V5)
    connack = client.connect("maxqos")
    assert connack.props.get(0x24) == 1  # Maximum QoS
    suback = client.subscribe("mq/t", 2)
    assert suback.codes == [1]
    client.publish("mq/t", "x", qos=1, packet_id=1)
    first, second = client.recv(), client.recv()  # PUBACK and the delivery, in either order
    delivery = first if first.type == PUBLISH else second
    assert {first.type, second.type} == {PUBLISH, PUBACK} and delivery.qos == 1
    client.publish("mq/t", "too-high", qos=2, packet_id=2)
    packets = client.wait_closed()
    assert packets and packets[-1].type == mqtt_raw.DISCONNECT, packets
    assert packets[-1].reason == 0x9B  # QoS not supported


@pytest.mark.broker_config({"mqtt.retain_available": "false"})
def test_retain_not_available(raw):
    client = raw(V5)
    connack = client.connect("noretain")
    assert connack.props.get(0x25) == 0  # Retain Available
    client.publish("r/t", "x", qos=1, packet_id=1, retain=True)
    packets = client.wait_closed()
    assert packets and packets[-1].type == mqtt_raw.DISCONNECT, packets
    assert packets[-1].reason == 0x9A  # Retain not supported


@pytest.mark.gatemq_only
@pytest.mark.broker_config({"mqtt.wildcard_subscription": "false"})
def test_wildcard_subscription_not_available(raw):
    client = raw(V5)
    connack = client.connect("nowild")
    assert connack.props.get(0x28) == 0  # Wildcard Subscription Available
    client.send(mqtt_raw.subscribe(1, [("w/+", 1), ("w/#", 1), ("w/exact", 1)], version=V5))
    suback = client.expect(SUBACK)
    assert suback.codes == [0xA2, 0xA2, 1]


@pytest.mark.gatemq_only
@pytest.mark.broker_config({"retainer.expiry_interval": "1s"})
def test_retainer_expiry_interval(raw):
    publisher = raw(V311)
    publisher.connect("ret-exp")
    publisher.publish("rexp/t", "soon-gone", qos=1, packet_id=1, retain=True)
    publisher.expect(PUBACK)
    time.sleep(2.5)
    subscriber = raw(V311)
    subscriber.connect("ret-exp-sub")
    subscriber.subscribe("rexp/t", 0)
    subscriber.subscribe("marker", 0, packet_id=2)
    publisher.publish("marker", "m")
    assert subscriber.expect(PUBLISH).topic == "marker"


@pytest.mark.gatemq_only
@pytest.mark.broker_config({"zone.external.session_expiry_interval": "1s"})
def test_zone_session_expiry_applies_to_v311_persistent_sessions(raw):
    client = raw(V311)
    client.connect("v3-expiring", clean=False)
    client.subscribe("v3e/t", 1)
    client.send(mqtt_raw.disconnect())
    client.wait_closed()
    time.sleep(3)
    client = raw(V311)
    assert not client.connect("v3-expiring", clean=False).session_present


@pytest.mark.gatemq_only
@pytest.mark.broker_config({"zone.external.max_awaiting_rel": "2"})
def test_max_awaiting_rel_is_the_v5_receive_maximum(raw):
    client = raw(V5)
    connack = client.connect("awaiting")
    assert connack.props[mqtt_raw.RECEIVE_MAXIMUM] == 2
    for packet_id in (1, 2):
        client.publish("aw/t", "x", qos=2, packet_id=packet_id)
        assert client.expect(mqtt_raw.PUBREC).packet_id == packet_id
    client.publish("aw/t", "x", qos=2, packet_id=3)  # a third without PUBREL
    packets = client.wait_closed()
    assert packets and packets[-1].type == mqtt_raw.DISCONNECT, packets
    assert packets[-1].reason == 0x93  # Receive Maximum exceeded


@pytest.mark.gatemq_only
@pytest.mark.broker_config({"zone.external.max_awaiting_rel": "1",
                            "zone.external.await_rel_timeout": "1s"})
def test_await_rel_timeout_reclaims_the_slot(raw):
    # docs/configuration.md: after await_rel_timeout an awaiting-PUBREL slot may be reclaimed.
    client = raw(V5)
    client.connect("await-timeout")
    client.publish("awt/t", "x", qos=2, packet_id=9)
    assert client.expect(mqtt_raw.PUBREC).packet_id == 9
    time.sleep(2.5)
    client.publish("awt/t", "y", qos=2, packet_id=10)  # would exceed max_awaiting_rel = 1
    assert client.expect(mqtt_raw.PUBREC).packet_id == 10
    client.send(mqtt_raw.ack(mqtt_raw.PUBREL, 10, version=V5))
    pubcomp = client.expect(mqtt_raw.PUBCOMP)
    assert pubcomp.packet_id == 10 and pubcomp.reason == 0
    client.send(mqtt_raw.ack(mqtt_raw.PUBREL, 9, version=V5))  # its slot was reclaimed
    pubcomp = client.expect(mqtt_raw.PUBCOMP)
    assert pubcomp.packet_id == 9 and pubcomp.reason == 0x92  # Packet Identifier not found


@pytest.mark.gatemq_only
@pytest.mark.broker_config({"zone.external.max_subscriptions": "1"})
def test_max_subscriptions(raw):
    client = raw(V5)
    client.connect("maxsubs")
    assert client.subscribe("one", 1).codes == [1]
    assert client.subscribe("two", 1, packet_id=2).codes == [0x97]  # Quota exceeded
    assert client.subscribe("one", 0, packet_id=3).codes == [0]  # replacing is not a new one


@pytest.mark.gatemq_only
@pytest.mark.broker_config({"mqtt.ignore_loop_deliver": "true"})
@pytest.mark.parametrize("version", [V311, V5])
def test_ignore_loop_deliver(raw, version):
    client = raw(version)
    client.connect("looper")
    client.subscribe("loop/#", 0)
    client.publish("loop/own", "own")
    other = raw(version)
    other.connect("other")
    other.publish("loop/theirs", "theirs")
    assert client.expect(PUBLISH).payload == b"theirs"


@pytest.mark.gatemq_only
@pytest.mark.broker_config({"zone.internal.ignore_loop_deliver": "true",
                            "listener.tcp.internal.zone": "internal"})
def test_ignore_loop_deliver_is_per_zone(broker, raw):
    inside = mqtt_raw.RawClient(broker.internal_port, V311)
    try:
        inside.connect("inside-looper")
        inside.subscribe("zl/#", 0)
        inside.publish("zl/own", "own")  # its zone ignores loops
        outside = raw(V311)
        outside.connect("outside-looper")
        outside.subscribe("zl/#", 0)
        outside.publish("zl/mine", "mine")  # the external zone delivers its own messages
        assert outside.expect(PUBLISH).payload == b"mine"
        assert inside.expect(PUBLISH).payload == b"mine"
    finally:
        inside.close()


def connect_when_a_slot_is_free(raw, client_id, timeout=10):
    """Closed connections (the fixture's start-up probe, a client that just left) free their slot
    once the broker has seen the close: retry until then."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        client = raw(V311)
        try:
            if client.connect(client_id).reason == 0:
                return client
        except (mqtt_raw.Closed, OSError, AssertionError):
            pass
        time.sleep(0.1)
    pytest.fail(f"{client_id}: no free connection slot within {timeout}s")


@pytest.mark.gatemq_only
@pytest.mark.broker_config({"listener.tcp.external.max_connections": "2"})
def test_listener_max_connections(raw):
    first = connect_when_a_slot_is_free(raw, "c1")
    connect_when_a_slot_is_free(raw, "c2")
    third = raw(V311)
    try:
        third.send(mqtt_raw.connect("c3"))
    except OSError:
        pass  # already closed
    assert all(p.type != mqtt_raw.CONNACK or p.reason != 0 for p in third.wait_closed())
    first.send(mqtt_raw.disconnect())
    first.wait_closed()
    connect_when_a_slot_is_free(raw, "c4")


@pytest.mark.gatemq_only
@pytest.mark.broker_config({"listener.tcp.external.access.1": "deny all"})
def test_listener_access_rules_deny(broker, raw):
    denied = raw(V311)
    try:
        denied.send(mqtt_raw.connect("denied"))
    except OSError:
        pass
    assert all(p.type != mqtt_raw.CONNACK or p.reason != 0 for p in denied.wait_closed())
    inside = internal_client(broker)
    try:
        assert inside.connect("allowed").reason == 0
    finally:
        inside.close()


@pytest.mark.gatemq_only
@pytest.mark.broker_config({"zone.external.mountpoint": "mp/",
                            "listener.tcp.internal.zone": "internal"})
def test_mountpoint_applies_to_wills_and_retained_messages(broker, raw):
    inside = internal_client(broker)
    try:
        inside.connect("inside")
        inside.subscribe("mp/#", 0)
        dying = raw(V311)
        dying.connect("mounted-dying", will={"topic": "will", "payload": "w"})
        dying.close()
        assert inside.expect(PUBLISH).topic == "mp/will"
        publisher = raw(V5)
        publisher.connect("mounted-retainer")
        publisher.publish("kept", "r", qos=1, packet_id=1, retain=True)
        publisher.expect(PUBACK)
        assert inside.expect(PUBLISH).topic == "mp/kept"
        late = raw(V5)
        late.connect("mounted-late")
        late.subscribe("kept", 0)
        message = late.expect(PUBLISH)
        assert (message.topic, message.retain) == ("kept", True)
    finally:
        inside.close()


@pytest.mark.gatemq_only
def test_environment_overrides_the_listener_address(tmp_path):
    from conftest import Broker, free_port
    file_port = free_port()
    for attempt in range(3):
        directory = tmp_path / str(attempt)
        directory.mkdir()
        second = Broker(directory, {"listener.tcp.external": f"127.0.0.1:{file_port}"})
        second.env = {"GATEMQ_LISTENER__TCP__EXTERNAL": f"127.0.0.1:{second.port}"}
        try:
            second.start()  # waits for the environment's port
            break
        except RuntimeError:
            # Another xdist worker drew one of these ports: the fixture's retry moves the ports
            # but not this variable, so try again from scratch.
            if attempt == 2:
                raise
    try:
        client = mqtt_raw.RawClient(second.port, V311)
        assert client.connect("env-listener").reason == 0
        client.close()
        import socket
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", file_port), timeout=2).close()
    finally:
        assert second.stop() == 0


@pytest.mark.gatemq_only
def test_missing_config_file_is_a_clear_start_up_error(tmp_path):
    import os
    import subprocess
    missing = tmp_path / "nope.conf"
    result = subprocess.run([os.environ["GATEMQ_BIN"], "--config", str(missing)],
                            capture_output=True, timeout=20)
    assert result.returncode != 0
    assert str(missing) in (result.stdout + result.stderr).decode()


@pytest.mark.gatemq_only
def test_version_flag(tmp_path):
    import os
    import subprocess
    result = subprocess.run([os.environ["GATEMQ_BIN"], "--version"], capture_output=True,
                            timeout=20)
    assert result.returncode == 0 and "gatemq" in result.stdout.decode().lower()


@pytest.mark.gatemq_only
@pytest.mark.broker_config({"zone.external.max_packet_size": "1KB",
                            "zone.external.retain_available": "false",
                            "listener.tcp.internal.zone": "internal"})
def test_zone_overrides_of_mqtt_limits(broker, raw):
    # docs/configuration.md: mqtt.* limits may be overridden per zone with the same key.
    outside = raw(V5)
    connack = outside.connect("zoned-out")
    assert connack.props[mqtt_raw.MAXIMUM_PACKET_SIZE] == 1024
    assert connack.props.get(0x25) == 0  # Retain Available
    outside.publish("z/t", "x" * 2000, qos=1, packet_id=1)
    packets = outside.wait_closed()
    assert packets and packets[-1].reason == 0x95, packets
    inside = internal_client(broker, V5)
    try:
        connack = inside.connect("zoned-in")
        assert connack.props.get(mqtt_raw.MAXIMUM_PACKET_SIZE, 1024 * 1024) == 1024 * 1024
        assert connack.props.get(0x25, 1) == 1
        inside.publish("z/t", "x" * 2000, qos=1, packet_id=1, retain=True)
        assert inside.expect(PUBACK).packet_id == 1
    finally:
        inside.close()


@pytest.mark.gatemq_only
def test_no_config_file_from_any_directory_uses_the_default_files(tmp_path):
    """Started without --config from a directory without etc/, the node finds the default
    files (test certificates, etc/acl.conf) in the tree it was built from."""
    import os
    import pathlib
    import signal
    import socket
    import ssl
    import subprocess
    from conftest import LISTENERS, UDP_LISTENERS, free_port
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEMQ_")}
    env["GATEMQ_LOG__TO"] = "console"
    ports = {}
    for _, key, _ in LISTENERS:  # every default port moved out of the way of other tests
        ports[key] = free_port(udp=key in UDP_LISTENERS)
        env["GATEMQ_" + key.upper().replace(".", "__")] = f"127.0.0.1:{ports[key]}"
    process = subprocess.Popen([os.environ["GATEMQ_BIN"]], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        tls_port = ports["listener.ssl.external"]
        deadline = time.monotonic() + 20
        while True:
            assert process.poll() is None, process.stdout.read().decode()
            try:
                raw = socket.create_connection(("127.0.0.1", tls_port), timeout=2)
                break
            except OSError:
                assert time.monotonic() < deadline, "the TLS listener never opened"
                time.sleep(0.1)
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        with context.wrap_socket(raw) as tls:
            certificate = ssl.DER_cert_to_PEM_cert(tls.getpeercert(binary_form=True))
        shipped = (pathlib.Path(__file__).resolve().parents[2] / "etc/certs/cert.pem").read_text()
        def body(pem):  # the first certificate's base64 lines
            return "".join(pem.split("-----END CERTIFICATE-----")[0].splitlines()[1:])
        assert body(certificate) == body(shipped)  # the shipped test certificate
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=20)[0].decode()
    assert process.returncode == 0, output
    assert "running from" in output
