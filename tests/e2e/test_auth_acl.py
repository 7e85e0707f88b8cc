"""Built-in authentication (auth.user.N / auth.client.N, every password_hash) and the ACL file
(acl.conf rules, acl_nomatch, acl_deny_action, zone enable_acl, SIGHUP reload), with
mosquitto_pub/sub, paho and byte-level clients; ipaddr rules through PROXY-protocol addresses."""
import crypt
import hashlib
import signal
import subprocess
import time

import paho.mqtt.client as mqtt
import pytest

import mqtt_raw
import proxy_header
from mqtt_raw import DISCONNECT, PUBACK, V311, V5

pytestmark = pytest.mark.gatemq_only


def mosquitto_pub(broker, *args):
    command = ["/usr/bin/mosquitto_pub", "-h", broker.host, "-p", str(broker.port), "-t", "t",
               "-m", "x", "-q", "1", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=15)


def use_acl(broker, text):
    """Writes `text` as the broker's ACL file and restarts it on the same ports."""
    path = broker.directory / "acl.conf"
    path.write_text(text)
    broker.overrides["acl_file"] = str(path)
    broker.restart()
    return path


# PUBACK reason codes that mean "accepted": 0x10 is "no matching subscribers".
ACCEPTED = (0x00, 0x10)


def connect_v5(port, client_id, **kwargs):
    client = mqtt_raw.RawClient(port, V5, **kwargs)
    assert client.connect(client_id).reason == 0
    return client


# --- authentication ------------------------------------------------------------------------------

@pytest.mark.broker_config({"allow_anonymous": "false",
                            "auth.user.password_hash": "plain",
                            "auth.user.1.username": "admin",
                            "auth.user.1.password": "public",
                            "auth.client.password_hash": "plain",
                            "auth.client.1.clientid": "sensor-7",
                            "auth.client.1.password": "s7"})
def test_username_and_client_id_credentials(broker):
    assert mosquitto_pub(broker, "-u", "admin", "-P", "public").returncode == 0
    wrong = mosquitto_pub(broker, "-u", "admin", "-P", "nope")
    assert wrong.returncode != 0 and "bad user name or password" in wrong.stderr.lower()
    assert mosquitto_pub(broker, "-u", "someone", "-P", "x").returncode != 0
    assert mosquitto_pub(broker).returncode != 0, "anonymous refused"
    assert mosquitto_pub(broker, "-i", "sensor-7", "-u", "x", "-P", "s7").returncode == 0
    assert mosquitto_pub(broker, "-i", "sensor-7", "-u", "x", "-P", "s8").returncode != 0
    v5 = mqtt_raw.RawClient(broker.port, V5)
    assert v5.connect("c", username="admin", password="nope").reason == 0x86
    anonymous = mqtt_raw.RawClient(broker.port, V5)
    assert anonymous.connect("c").reason == 0x87


def test_known_user_with_a_wrong_password_is_refused_even_when_anonymous_is_allowed(broker):
    broker.overrides.update({"auth.user.password_hash": "plain", "auth.user.1.username": "admin",
                             "auth.user.1.password": "public"})
    broker.restart()
    assert mosquitto_pub(broker).returncode == 0, "anonymous still allowed"
    assert mosquitto_pub(broker, "-u", "stranger", "-P", "x").returncode == 0
    assert mosquitto_pub(broker, "-u", "admin", "-P", "wrong").returncode != 0


def stored(spec, password, salt=""):
    """The stored form of a password as the seed's password_hash formats define it."""
    digest = spec.replace("salt,", "").replace(",salt", "")
    if spec.startswith("pbkdf2"):
        _, mac, iterations, length = spec.split(",")
        return hashlib.pbkdf2_hmac({"sha": "sha1"}.get(mac, mac), password.encode(),
                                   salt.encode(), int(iterations), int(length)).hex()
    if digest == "bcrypt":
        return crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16))
    text = salt + password if spec.startswith("salt,") else (
        password + salt if spec.endswith(",salt") else password)
    return hashlib.new({"sha": "sha1"}.get(digest, digest), text.encode()).hexdigest()


@pytest.mark.parametrize("spec", ["md5", "sha", "sha256", "sha512", "salt,sha256", "sha512,salt",
                                  "bcrypt", "pbkdf2,sha256,1000,32", "pbkdf2,sha,10,20"])
def test_pre_hashed_passwords_in_every_format(broker, spec):
    salt = "s4lt" if "salt" in spec or spec.startswith("pbkdf2") else ""
    broker.overrides.update({"allow_anonymous": "false", "auth.user.password_hash": spec,
                             "auth.user.1.username": "u", "auth.user.1.salt": salt,
                             "auth.user.1.password": stored(spec, "pw", salt)})
    broker.restart()
    assert mosquitto_pub(broker, "-u", "u", "-P", "pw").returncode == 0
    assert mosquitto_pub(broker, "-u", "u", "-P", "pW").returncode != 0


def test_a_bad_password_hash_stops_start_up(broker, tmp_path):
    config = tmp_path / "bad.conf"
    config.write_text("listener.tcp.external = 127.0.0.1:0\nlistener.tcp.internal = off\n"
                      "listener.ssl.external = off\nlistener.ws.external = off\n"
                      "listener.wss.external = off\ntcp.enable = off\nstomp.enable = off\n"
                      "auth.user.password_hash = sha3\nlog.to = console\n")
    import os
    result = subprocess.run([os.environ["GATEMQ_BIN"], "--config", str(config)],
                            capture_output=True, text=True, timeout=20)
    assert result.returncode == 1
    assert "auth.user.password_hash: 'sha3'" in result.stdout + result.stderr


# --- ACL -----------------------------------------------------------------------------------------

SEED_ACL = """
{allow, {user, "dashboard"}, subscribe, ["$SYS/#"]}.
{allow, {ipaddr, "127.0.0.1"}, pubsub, ["$SYS/#", "#"]}.
{deny, all, subscribe, ["$SYS/#", {eq, "#"}]}.
{allow, all}.
"""


@pytest.mark.broker_config({"listener.tcp.external.proxy_protocol": "on"})
def test_the_seed_acl_file_by_client_address(broker):
    use_acl(broker, SEED_ACL)

    def via(address, client_id):
        header = proxy_header.encode(1, address, 40000, "127.0.0.1", broker.port)
        client = mqtt_raw.RawClient(broker.port, V5, before=header)
        assert client.connect(client_id).reason == 0
        return client

    local = via("127.0.0.1", "local")
    assert local.subscribe("#").codes == [0]
    assert local.subscribe("$SYS/#", packet_id=2).codes == [0]
    remote = via("203.0.113.5", "remote")
    assert remote.subscribe("#").codes == [0x87]
    assert remote.subscribe("$SYS/brokers/#", packet_id=2).codes == [0x87]
    assert remote.subscribe("a/#", packet_id=3).codes == [0], "only {eq, \"#\"} itself"
    v3 = mqtt_raw.RawClient(broker.port, V311,
                            before=proxy_header.encode(1, "203.0.113.6", 1, "127.0.0.1", 1))
    assert v3.connect("remote-v3").reason == 0
    assert v3.subscribe("#").codes == [0x80]


NOSUBSCRIBE_ACL = '{deny, all, subscribe, ["test/nosubscribe"]}.\n{allow, all}.\n'
WIDE_FILTERS = ["#", "+/+", "test/#"]


def test_subscribe_rules_match_the_filter_as_written(broker, paho):
    """The seed's semantics (and Mosquitto's), which the Paho interoperability suite expects: a
    deny rule for test/nosubscribe refuses that filter, not `#`, `+/+` or `test/#`, which then
    get what is published there ({eq, "#"} is how a file refuses `#` itself). Gateway clients
    go through the same check."""
    from mqttsn_client import NOT_SUPPORTED, Client
    from mqttsn_e2e import wait_for_gateway
    use_acl(broker, NOSUBSCRIBE_ACL)
    subscriber = paho("interop", protocol=mqtt.MQTTv5)
    _, _, _, codes, _ = subscriber.subscribe(
        [(f, 1) for f in WIDE_FILTERS + ["test/nosubscribe"]])
    assert [c.value for c in codes] == [1, 1, 1, 0x87]
    publisher = connect_v5(broker.port, "publisher")
    publisher.publish("test/nosubscribe", "reaches the wide filters", qos=1)
    assert publisher.expect(PUBACK).reason == 0
    assert subscriber.expect().topic == "test/nosubscribe"
    wait_for_gateway(broker.mqttsn_port)
    with Client(port=broker.mqttsn_port, timeout=10) as device:
        device.connect("sn-interop")
        assert device.subscribe("test/#")[2] == 0
        assert device.subscribe("test/nosubscribe")[2] == NOT_SUPPORTED


@pytest.mark.broker_config({"acl_subscribe_match": "overlap"})
def test_acl_subscribe_match_overlap_refuses_filters_that_reach_a_denied_topic(broker):
    use_acl(broker, NOSUBSCRIBE_ACL)
    client = connect_v5(broker.port, "strict")
    for packet_id, topic_filter in enumerate(WIDE_FILTERS + ["test/nosubscribe"], start=1):
        assert client.subscribe(topic_filter, packet_id=packet_id).codes == [0x87], topic_filter
    assert client.subscribe("test/other", packet_id=9).codes == [0]


def test_every_rule_form(broker, paho):
    use_acl(broker, """
%% comments are fine
{deny, {user, "guest"}, publish, ["cmd/#"]}.
{deny, {client, "rogue"}, pubsub, ["#"]}.
{allow, {'and', [{user, "ops"}, {client, "console"}]}, publish, ["admin/#"]}.
{deny, all, publish, ["admin/#"]}.
{allow, all, subscribe, ["users/%u/#", "devices/%c/#"]}.
{deny, all, subscribe, ["users/#", "devices/#"]}.
{allow, all}.
""")
    watcher = paho("watcher")
    watcher.subscribe("status", 1)  # "#" would overlap the deny of users/# and devices/#
    watcher.subscribe("admin/#", 1)

    def client(client_id, username=None):
        c = mqtt_raw.RawClient(broker.port, V5)
        assert c.connect(client_id, username=username).reason == 0
        return c

    guest = client("g", "guest")
    guest.publish("cmd/reboot", "x", qos=1)
    assert guest.expect(PUBACK).reason == 0x87
    guest.publish("status", "ok", qos=1)
    assert guest.expect(PUBACK).reason in ACCEPTED
    rogue = client("rogue")
    assert rogue.subscribe("anything").codes == [0x87]
    ops = client("console", "ops")
    ops.publish("admin/restart", "1", qos=1)
    assert ops.expect(PUBACK).reason in ACCEPTED
    other_ops = client("laptop", "ops")
    other_ops.publish("admin/restart", "2", qos=1)
    assert other_ops.expect(PUBACK).reason == 0x87
    alice = client("phone", "alice")
    assert alice.subscribe("users/alice/inbox").codes == [0]
    assert alice.subscribe("users/bob/inbox", packet_id=2).codes == [0x87]
    assert alice.subscribe("devices/phone/#", packet_id=3).codes == [0]
    assert alice.subscribe("devices/tablet/#", packet_id=4).codes == [0x87]
    received = [watcher.expect() for _ in range(2)]
    assert [(m.topic, m.payload) for m in received] == [("status", b"ok"),
                                                       ("admin/restart", b"1")]


@pytest.mark.broker_config({"acl_nomatch": "deny"})
def test_acl_nomatch_deny_and_the_internal_zone(broker):
    use_acl(broker, '{allow, all, pubsub, ["open/#"]}.\n')
    client = connect_v5(broker.port, "c")
    client.publish("open/1", "x", qos=1)
    assert client.expect(PUBACK).reason in ACCEPTED
    client.publish("closed/1", "x", qos=1)
    assert client.expect(PUBACK).reason == 0x87
    trusted = connect_v5(broker.internal_port, "trusted")
    trusted.publish("closed/1", "x", qos=1)
    assert trusted.expect(PUBACK).reason in ACCEPTED, "zone internal: enable_acl = off"


@pytest.mark.broker_config({"acl_deny_action": "disconnect"})
def test_acl_deny_action_disconnect(broker, paho):
    use_acl(broker, '{deny, all, publish, ["forbidden/#"]}.\n')
    client = connect_v5(broker.port, "offender")
    client.publish("forbidden/x", "x", qos=1)
    assert client.expect(DISCONNECT).reason == 0x87
    client.wait_closed()
    subscriber = connect_v5(broker.port, "subscriber")
    # only publish is denied here: subscribing stays fine
    assert subscriber.subscribe("forbidden/#").codes == [0]


def test_sighup_reloads_the_acl_file(broker):
    path = use_acl(broker, '{deny, all, publish, ["later/#"]}.\n')
    client = connect_v5(broker.port, "c")
    client.publish("later/x", "x", qos=1)
    assert client.expect(PUBACK).reason == 0x87
    path.write_text('{allow, all}.\n')
    broker.process.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while "SIGHUP: reloaded" not in broker.log():
        assert time.monotonic() < deadline, "no reload logged"
        time.sleep(0.05)
    client.publish("later/x", "x", qos=1, packet_id=2)
    assert client.expect(PUBACK).reason in ACCEPTED, "the cache was emptied too"
    path.write_text('{allow, all')  # broken: the old rules stay
    broker.process.send_signal(signal.SIGHUP)
    while "ACL not reloaded" not in broker.log():
        assert time.monotonic() < deadline + 10
        time.sleep(0.05)
    client.publish("later/x", "x", qos=1, packet_id=3)
    assert client.expect(PUBACK).reason in ACCEPTED


def test_gateway_clients_go_through_the_same_acl(broker, paho):
    use_acl(broker, '{deny, all, publish, ["secret/#"]}.\n')
    import stomp
    watcher = paho("watcher")
    watcher.subscribe("#", 0)
    conn = stomp.Connection12([(broker.host, broker.stomp_port)])
    errors = []

    class Listener(stomp.ConnectionListener):
        def on_error(self, frame):
            errors.append(frame)

    conn.set_listener("", Listener())
    conn.connect(wait=True)
    conn.send("secret/plans", "x")
    deadline = time.monotonic() + 10
    while not errors:
        assert time.monotonic() < deadline, "no ERROR frame"
        time.sleep(0.05)
    assert "not allowed" in errors[0].headers["message"]
    watcher.publish("public/marker", b"m")
    assert watcher.expect().topic == "public/marker", "secret/plans never reached the broker"


@pytest.mark.broker_config({"zone.external.acl_deny_action": "disconnect"})
def test_zone_acl_deny_action_and_tcp_gateway_devices(broker):
    import tcp_device
    use_acl(broker, '{deny, all, publish, ["tcp/+/up", "forbidden/#"]}.\n')
    client = connect_v5(broker.port, "offender")
    client.publish("forbidden/x", "x", qos=1)
    assert client.expect(DISCONNECT).reason == 0x87
    internal = connect_v5(broker.internal_port, "internal-client")
    internal.publish("forbidden/x", "x", qos=1)
    assert internal.expect(PUBACK).reason in ACCEPTED, "the internal zone skips the ACL"
    device = tcp_device.Device(broker.tcp_gateway_port)
    device.connect("tcp-offender")
    device.send(tcp_device.datatrans_frame(b"data"))
    device.wait_closed()
    assert "publish not authorized (acl_deny_action = disconnect)" in broker.log()


@pytest.mark.broker_config({"allow_anonymous": "false",
                            "zone.internal.allow_anonymous": "true"})
def test_zone_allow_anonymous(broker):
    refused = mqtt_raw.RawClient(broker.port, V311).connect("anon")
    assert refused.reason == 5
    assert mqtt_raw.RawClient(broker.internal_port, V311).connect("anon").reason == 0


@pytest.mark.broker_config({"zone.external.acl_deny_action": "disconnect"})
def test_acl_deny_action_disconnects_mqttsn_devices(broker):
    """MQTT-SN devices get the negative PUBACK / SUBACK, then a DISCONNECT, as MQTT clients get
    DISCONNECT 0x87; without the setting they stay (test_gateway_clients_go_through_...)."""
    from mqttsn_client import NOT_SUPPORTED, Client
    from mqttsn_e2e import wait_for_gateway
    use_acl(broker, '{deny, all, publish, ["forbidden/#"]}.\n'
                    '{deny, all, subscribe, ["closed/#"]}.\n{allow, all}.\n')
    wait_for_gateway(broker.mqttsn_port)
    with Client(port=broker.mqttsn_port, timeout=10) as publisher:
        publisher.connect("sn-publisher")
        topic_id = publisher.register("forbidden/x")
        assert publisher.publish(topic_id, b"x", qos=1) == NOT_SUPPORTED
        publisher.expect("DISCONNECT")
    with Client(port=broker.mqttsn_port, timeout=10) as subscriber:
        subscriber.connect("sn-subscriber")
        assert subscriber.subscribe("open/#")[2] == 0
        assert subscriber.subscribe("closed/#")[2] == NOT_SUPPORTED
        subscriber.expect("DISCONNECT")
    # The gateway logs the close after the DISCONNECT is on its way.
    deadline = time.monotonic() + 10
    while broker.log().count("not authorized (acl_deny_action = disconnect)") < 2:
        assert time.monotonic() < deadline, broker.log()[-3000:]
        time.sleep(0.05)
