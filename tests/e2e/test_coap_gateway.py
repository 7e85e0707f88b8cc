"""CoAP gateway (gateways/coap, issue #7) end to end: Debian's coap-client (libcoap 4.3) and a
byte-level CoAP client (coap_raw.py) against real MQTT peers (paho, mosquitto_sub): publish
with PUT/POST and the seed's form, Observe subscriptions and their cancellation, connection mode,
block-wise transfer, every error code, and hostile datagrams."""
import os
import random
import re
import socket
import subprocess
import time

import pytest

from coap_raw import (CON, DELETE, GET, NON, POST, PUT, RST, URI_PATH, Message, RawCoap, code,
                      encode, ping_until_answered)

pytestmark = pytest.mark.gatemq_only

COAP_CLIENT = next((path for path in ("/usr/bin/coap-client-openssl", "/usr/bin/coap-client-notls",
                                      "/usr/bin/coap-client-gnutls") if os.path.exists(path)), None)
needs_coap_client = pytest.mark.skipif(COAP_CLIENT is None, reason="libcoap3-bin not installed")


@pytest.fixture
def coap(broker):
    created = []

    def make():
        client = RawCoap(broker.coap_port)
        created.append(client)
        return client

    yield make
    for client in created:
        client.close()


def coap_client(broker, *args, path, timeout=20):
    command = [COAP_CLIENT, "-B", "5", *args, f"coap://127.0.0.1:{broker.coap_port}{path}"]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


def subscriber(paho, topic, qos=1, client_id="mqtt-watcher"):
    client = paho(client_id)
    client.subscribe(topic, qos)
    return client


# ---- publish (PUT / POST) -------------------------------------------------------------------------

@needs_coap_client
def test_put_publishes_to_an_mqtt_subscriber(broker, paho):
    watcher = subscriber(paho, "sensors/#")
    result = coap_client(broker, "-m", "put", "-e", "21.5", path="/mqtt/sensors/t1?c=dev1")
    assert result.returncode == 0 and result.stderr == "", result.stderr
    message = watcher.expect()
    assert (message.topic, message.payload) == ("sensors/t1", b"21.5")
    assert message.qos == 1, "a CON request publishes at QoS 1 (coap.publish_qos = coap)"


NOTLS_CLIENT = "/usr/bin/coap-client-notls"


@pytest.mark.skipif(not (os.path.exists(NOTLS_CLIENT) and os.path.exists("/usr/bin/mosquitto_sub")),
                    reason="coap-client-notls or mosquitto_sub not installed")
def test_notls_client_publish_reaches_mosquitto_sub(broker):
    watcher = subprocess.Popen(["/usr/bin/mosquitto_sub", "-h", "127.0.0.1", "-p", str(broker.port),
                                "-i", "sub-cli", "-t", "cli/#", "-v", "-C", "1", "-W", "30"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    command = [NOTLS_CLIENT, "-B", "5", "-m", "put", "-e", "from-notls",
               f"coap://127.0.0.1:{broker.coap_port}/mqtt/cli/notls?c=notls1"]
    try:
        # mosquitto_sub says nothing once subscribed: publish until it has seen one (-C 1)
        for _ in range(20):
            result = subprocess.run(command, capture_output=True, text=True, timeout=20)
            assert result.returncode == 0 and result.stderr == "", result.stderr
            try:
                out, err = watcher.communicate(timeout=1)
                break
            except subprocess.TimeoutExpired:
                continue
        else:
            raise AssertionError("mosquitto_sub received nothing")
    finally:
        watcher.kill()
    assert out.strip() == "cli/notls from-notls", (out, err)


@needs_coap_client
def test_post_non_with_qos_and_retain(broker, paho):
    result = coap_client(broker, "-m", "post", "-N", "-e", "kept",
                         path="/ps/state/door?c=dev2&qos=2&retain=1")
    assert result.returncode == 0 and result.stderr == "", result.stderr
    time.sleep(0.3)
    late = subscriber(paho, "state/door", qos=2, client_id="late")
    message = late.expect()
    assert (message.payload, message.retain, message.qos) == (b"kept", True, 2)


def test_put_answers_changed_and_honours_qos_zero(broker, paho, coap):
    watcher = subscriber(paho, "q/#")
    reply = coap().request(PUT, "/mqtt/q/zero", {"c": "dev3", "qos": "0"}, b"z")
    assert reply.code == code("2.04")
    message = watcher.expect()
    assert (message.payload, message.qos) == (b"z", 0)


def test_non_request_publishes_at_qos_zero(broker, paho, coap):
    watcher = subscriber(paho, "n/#")
    reply = coap().request(POST, "/mqtt/n/1", {"c": "dev4"}, b"non", type_=NON)
    assert reply.code == code("2.04") and reply.type == NON
    assert watcher.expect().qos == 0


@needs_coap_client
def test_seed_form_publish(broker, paho):
    watcher = subscriber(paho, "hello")
    result = coap_client(broker, "-m", "put", "-e", "qos=0&retain=0&message=payload&topic=hello",
                         path="/mqtt")
    assert result.returncode == 0 and result.stderr == "", result.stderr
    message = watcher.expect()
    assert (message.topic, message.payload, message.qos) == ("hello", b"payload", 0)


@pytest.mark.broker_config({"coap.mountpoint": "coap/%c/"})
def test_mountpoint_applies_both_ways(broker, paho, coap):
    watcher = subscriber(paho, "coap/#")
    device = coap()
    assert device.request(GET, "/mqtt/dn", {"c": "m1"}, observe=0).code == code("2.05")
    assert device.request(PUT, "/mqtt/up", {"c": "m1"}, b"u").code == code("2.04")
    assert watcher.expect().topic == "coap/m1/up"
    watcher.publish("coap/m1/dn", b"down", qos=0)
    assert device.notification().payload == b"down"


def test_extra_udp_endpoint_from_bind_udp_n(broker, paho):
    from conftest import free_port
    port = free_port(udp=True)
    broker.overrides["coap.bind.udp.1"] = f"127.0.0.1:{port}"
    broker.restart()
    watcher = subscriber(paho, "extra/#")
    device = RawCoap(port)
    try:
        assert device.request(PUT, "/mqtt/extra/port", {"c": "x1"}, b"second").code == code("2.04")
    finally:
        device.close()
    assert watcher.expect().payload == b"second"
    assert f"127.0.0.1:{port}" in broker.log()


@needs_coap_client
def test_block_wise_put_larger_than_one_block(broker, paho, tmp_path):
    watcher = subscriber(paho, "big")
    body = bytes(random.randrange(256) for _ in range(3000))
    source = tmp_path / "body.bin"
    source.write_bytes(body)
    result = coap_client(broker, "-m", "put", "-b", "64", "-f", str(source), path="/mqtt/big?c=b1")
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert watcher.expect().payload == body


# ---- observe (RFC 7641) ---------------------------------------------------------------------------

@needs_coap_client
def test_coap_client_observe_receives_mqtt_publishes_with_a_wildcard(broker, paho):
    publisher = paho("publisher")
    command = [COAP_CLIENT, "-s", "6", "-w", "-B", "8",
               f"coap://127.0.0.1:{broker.coap_port}/mqtt/room/%2B/temp?c=obs1"]
    observer = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.5)  # the registration is answered before anything is published
        for room, value in (("kitchen", "20"), ("hall", "19"), ("kitchen", "21")):
            publisher.publish(f"room/{room}/temp", value, qos=1)
        publisher.publish("room/kitchen/humidity", "55", qos=1)  # does not match
        out, err = observer.communicate(timeout=20)
    finally:
        observer.kill()
    lines = [line for line in out.splitlines() if line]
    assert lines[-3:] == ["20", "19", "21"], (out, err)
    assert "55" not in lines


def test_observe_registration_then_notifications_in_order(broker, paho, coap):
    device = coap()
    reply = device.request(GET, "/mqtt/feed/%23", {"c": "obs2"}, observe=0, token=b"tk")
    assert reply.code == code("2.05") and reply.observe() is not None, \
        "a percent-encoded '#' inside the Uri-Path option subscribes to the wildcard"
    publisher = paho("pub2")
    for i in range(5):
        publisher.publish(f"feed/a/{i}", str(i), qos=0)
    notes = [device.notification() for _ in range(5)]
    assert [n.payload for n in notes] == [b"0", b"1", b"2", b"3", b"4"]
    assert all(n.token == b"tk" and n.type == NON for n in notes), "QoS 0: NON notifications"
    sequence = [n.observe() for n in notes]
    assert sequence == sorted(sequence) and len(set(sequence)) == 5
    assert all(n.observe() > reply.observe() for n in notes)


def test_qos1_delivery_is_a_con_notification(broker, paho, coap):
    device = coap()
    assert device.request(GET, "/ps/alarm", {"c": "obs3", "qos": "1"}, observe=0).code == \
        code("2.05")
    paho("pub3").publish("alarm", "fire", qos=1)
    note = device.notification()
    assert (note.type, note.payload) == (CON, b"fire")


@pytest.mark.broker_config({"coap.notify_type": "con"})
def test_notify_type_con(broker, paho, coap):
    device = coap()
    device.request(GET, "/mqtt/c", {"c": "obs4", "qos": "0"}, observe=0)
    paho("pub4").publish("c", "x", qos=0)
    assert device.notification().type == CON


def test_observe_cancel_unsubscribes(broker, paho, coap):
    device = coap()
    device.request(GET, "/mqtt/cancel/me", {"c": "obs5"}, observe=0, token=b"t1")
    publisher = paho("pub5")
    publisher.publish("cancel/me", "before", qos=0)
    assert device.notification().payload == b"before"
    reply = device.request(GET, "/mqtt/cancel/me", {"c": "obs5"}, observe=1, token=b"t1")
    assert reply.code == code("2.05") and reply.observe() is None
    publisher.publish("cancel/me", "after", qos=0)
    assert device.notification(timeout=1.5) is None


def test_rst_to_a_notification_cancels_the_observation(broker, paho, coap):
    device = coap()
    device.request(GET, "/mqtt/rst", {"c": "obs6", "qos": "1"}, observe=0)
    publisher = paho("pub6")
    publisher.publish("rst", "one", qos=1)
    note = device.notification(acknowledge=False)
    assert note.type == CON
    device.rst(note)
    time.sleep(0.3)
    publisher.publish("rst", "two", qos=1)
    assert device.notification(timeout=1.5) is None


def held_con(device, payload):
    """The CON notification `payload`, left unacknowledged until the gateway retransmits it:
    by then every delivery published before has reached the gateway. Returns it and whatever
    else arrived meanwhile."""
    first = device.notification(acknowledge=False)
    assert (first.type, first.payload) == (CON, payload)
    others = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        message = device.notification(timeout=deadline - time.monotonic(), acknowledge=False)
        assert message is not None, "no retransmission"
        if message.mid == first.mid:
            return first, others
        others.append(message)
    raise AssertionError("no retransmission")


@pytest.mark.broker_config({"coap.max_queued_notifications": "2"})
def test_one_con_in_flight_and_the_oldest_queued_is_dropped(broker, paho, coap):
    device = coap()
    assert device.request(GET, "/mqtt/slow", {"c": "q1", "qos": "1"}, observe=0).code == \
        code("2.05")
    publisher = paho("pub-q1")
    for i in range(1, 6):
        publisher.publish("slow", str(i), qos=1)
    first, meanwhile = held_con(device, b"1")
    assert meanwhile == [], "nothing else while the first CON is unacknowledged"
    device.ack(first)
    rest = [device.notification() for _ in range(2)]
    assert [n.payload for n in rest] == [b"4", b"5"], "2 and 3 gave way to newer ones"
    assert device.notification(timeout=1.5) is None


def test_cancel_purges_queued_notifications(broker, paho, coap):
    device = coap()
    device.request(GET, "/mqtt/purge", {"c": "q2", "qos": "1"}, observe=0, token=b"pq")
    publisher = paho("pub-q2")
    for payload in ("a", "b", "c"):
        publisher.publish("purge", payload, qos=1)
    first, _ = held_con(device, b"a")
    reply = device.request(GET, "/mqtt/purge", {"c": "q2"}, observe=1, token=b"pq")
    assert reply.code == code("2.05")
    device.ack(first)
    late = []
    while (note := device.notification(timeout=2)) is not None:
        if note.mid != first.mid:
            late.append(note.payload)
    assert late == [], "queued notifications of a cancelled observation are never sent"


def test_plain_get_is_a_keepalive(broker, coap):
    device = coap()
    assert device.request(GET, "/mqtt/any", {"c": "ka"}).code == code("2.05")


@needs_coap_client
def test_ps_get_reads_the_retained_value_block_wise_when_large(broker, paho, coap, tmp_path):
    publisher = paho("retainer")
    publisher.publish("last/small", b"21.5", qos=1, retain=True)
    big = bytes(random.randrange(256) for _ in range(3000))
    publisher.publish("last/big", big, qos=1, retain=True)
    result = coap_client(broker, path="/ps/last/small?c=reader")
    assert result.returncode == 0 and result.stdout.strip() == "21.5", result.stderr
    received = tmp_path / "big.bin"
    result = coap_client(broker, "-b", "64", "-o", str(received), path="/ps/last/big?c=reader")
    assert result.returncode == 0, result.stderr
    assert received.read_bytes() == big
    device = coap()
    assert device.request(GET, "/ps/last/none", {"c": "reader2"}).code == code("4.04")
    assert device.request(GET, "/ps/last/+", {"c": "reader2"}).code == code("4.00")
    assert device.request(GET, "/mqtt/last/small", {"c": "reader2"}).payload == b"", \
        "a plain GET under /mqtt stays a keepalive"


@pytest.mark.broker_config({"acl_nomatch": "deny"})
def test_ps_get_of_a_topic_the_acl_hides_is_forbidden(broker, paho, coap):
    paho("retainer").publish("secret", b"x", qos=1, retain=True)
    assert coap().request(GET, "/ps/secret", {"c": "snoop"}).code == code("4.03")


@pytest.mark.broker_config({"coap.keepalive": "1s"})
def test_keepalive_expiry_ends_observations(broker, paho, coap):
    device = coap()
    device.request(GET, "/mqtt/quiet", {"c": "sleepy"}, observe=0)
    time.sleep(2.5)
    paho("pub7").publish("quiet", "late", qos=0)
    assert device.notification(timeout=1.5) is None
    assert "sleepy" in broker.log() and "keepalive timeout" in broker.log()


def test_coap_client_takes_over_an_mqtt_session(broker, paho, coap):
    mqtt_twin = paho("twin")
    coap().request(PUT, "/mqtt/t", {"c": "twin"}, b"x")
    assert mqtt_twin.disconnects.get(timeout=10) != 0


# ---- connection mode ------------------------------------------------------------------------------

def connect(device, client_id, **credentials):
    reply = device.request(POST, "/mqtt/connection", {"clientid": client_id, **credentials})
    assert reply.code == code("2.01"), reply.payload
    return reply.payload.decode()


@pytest.mark.broker_config({"coap.connection_required": "true"})
def test_connection_mode_with_token_and_heartbeat(broker, paho, coap):
    watcher = subscriber(paho, "ps/#")
    device = coap()
    token = connect(device, "conn1")
    assert len(token) >= 8
    heartbeat = device.request(PUT, "/mqtt/connection", {"clientid": "conn1", "token": token})
    assert heartbeat.code == code("2.04")
    ok = device.request(POST, "/ps/ps/x", {"clientid": "conn1", "token": token}, b"hi")
    assert ok.code == code("2.04")
    assert watcher.expect().payload == b"hi"
    assert device.request(POST, "/ps/ps/x", {"clientid": "conn1"}, b"no").code == code("4.01")
    assert device.request(POST, "/ps/ps/x", {"clientid": "conn1", "token": "bad"}, b"n").code == \
        code("4.01")
    bye = device.request(DELETE, "/mqtt/connection", {"clientid": "conn1", "token": token})
    assert bye.code == code("2.02")
    after = device.request(PUT, "/mqtt/connection", {"clientid": "conn1", "token": token})
    assert after.code == code("4.01")


def test_connection_post_needs_a_client_id(broker, coap):
    assert coap().request(POST, "/mqtt/connection").code == code("4.00")


# ---- errors ---------------------------------------------------------------------------------------

def test_missing_client_id_is_bad_request(broker, coap):
    assert coap().request(PUT, "/mqtt/t", {}, b"x").code == code("4.00")


@pytest.mark.parametrize("query", [{"c": "e1", "qos": "3"}, {"c": "e1", "retain": "maybe"},
                                   {"c": "e1", "expiry": "soon"}])
def test_bad_query_values_are_bad_request(broker, coap, query):
    assert coap().request(PUT, "/mqtt/t", query, b"x").code == code("4.00")


def test_wildcard_publish_is_bad_request(broker, coap):
    assert coap().request(PUT, "/mqtt/a/%23", {"c": "e2"}, b"x").code == code("4.00")


@pytest.mark.broker_config({"allow_anonymous": "false", "auth.user.password_hash": "plain",
                            "auth.user.1.username": "dev", "auth.user.1.password": "secret"})
def test_bad_credentials_are_unauthorized(broker, paho, coap):
    device = coap()
    assert device.request(PUT, "/mqtt/t", {"c": "a1", "u": "dev", "p": "wrong"}, b"x").code == \
        code("4.01")
    assert device.request(PUT, "/mqtt/t", {"c": "a1"}, b"x").code == code("4.01")
    assert device.request(PUT, "/mqtt/t", {"c": "a1", "u": "dev", "p": "secret"}, b"x").code == \
        code("2.04")


def test_acl_deny_is_forbidden(broker, paho, coap):
    path = broker.directory / "acl.conf"
    path.write_text('{deny, {client, "locked"}, publish, ["secret/#"]}.\n'
                    '{deny, {client, "locked"}, subscribe, ["secret/#"]}.\n'
                    '{allow, all}.\n')
    broker.overrides["acl_file"] = str(path)
    broker.restart()
    device = coap()
    assert device.request(PUT, "/mqtt/secret/x", {"c": "locked"}, b"x").code == code("4.03")
    assert device.request(GET, "/mqtt/secret/x", {"c": "locked"}, observe=0).code == code("4.03")
    assert device.request(PUT, "/mqtt/open/x", {"c": "locked"}, b"x").code == code("2.04")


def test_unknown_path_is_not_found(broker, coap):
    device = coap()
    assert device.request(GET, "/nothing/here", {"c": "e3"}).code == code("4.04")
    assert device.request(PUT, "/ps", {"c": "e3"}, b"x").code == code("4.04")


def test_wrong_method_is_method_not_allowed(broker, coap):
    device = coap()
    assert device.request(DELETE, "/mqtt/t", {"c": "e4"}).code == code("4.05")
    assert device.request(DELETE, "/mqtt", {"c": "e4"}).code == code("4.05")
    fetch = 5
    assert device.request(fetch, "/mqtt/t", {"c": "e4"}).code == code("4.05")


def test_unknown_critical_option_is_bad_option(broker, coap):
    reply = coap().request(GET, "/mqtt/t", {"c": "e5"}, extra_options=[(9, b"x")])
    assert reply.code == code("4.02")


def test_ps_delete_clears_the_retained_value(broker, paho, coap):
    device = coap()
    device.request(PUT, "/ps/keep", {"c": "d1", "retain": "1"}, b"v")
    assert device.request(DELETE, "/ps/keep", {"c": "d1"}).code == code("2.02")
    late = paho("late-d")
    late.subscribe("keep", 0)
    with pytest.raises(Exception):
        late.expect(timeout=1)


def test_well_known_core_lists_the_resources(broker, coap):
    reply = coap().request(GET, "/.well-known/core")
    assert reply.code == code("2.05")
    assert b"</mqtt>" in reply.payload and b"</mqtt/connection>" in reply.payload


@needs_coap_client
def test_block_wise_get_of_well_known_core(broker):
    result = coap_client(broker, "-b", "16", path="/.well-known/core")
    assert result.returncode == 0, result.stderr
    assert "</mqtt>" in result.stdout and "</mqtt/connection>" in result.stdout, result.stdout


# ---- DTLS (coap.dtls.*, PSK from psk.file.path and certificates) ----------------------------------

CERTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "etc", "certs")
needs_openssl_client = pytest.mark.skipif(not os.path.exists("/usr/bin/coap-client-openssl"),
                                          reason="coap-client-openssl not installed")


def enable_dtls(broker, **keys):
    from conftest import free_port
    port = free_port(udp=True)
    broker.overrides.update({"coap.dtls.port": f"127.0.0.1:{port}", **keys})
    broker.restart()
    return port


def coaps_put(port, path, payload, *args):
    command = ["/usr/bin/coap-client-openssl", "-B", "5", "-m", "put", "-e", payload, *args,
               f"coaps://127.0.0.1:{port}{path}"]
    return subprocess.run(command, capture_output=True, text=True, timeout=20)


@needs_openssl_client
def test_dtls_with_a_pre_shared_key(broker, paho, tmp_path):
    psk = tmp_path / "psk.txt"
    psk.write_text("# identity:secret\nsensor1:s3cret-key\n")
    port = enable_dtls(broker, **{"psk.file.path": str(psk)})
    watcher = subscriber(paho, "dtls/#")
    ok = coaps_put(port, "/mqtt/dtls/psk?c=d1", "sealed", "-u", "sensor1", "-k", "s3cret-key")
    assert ok.returncode == 0 and "4." not in ok.stderr, ok.stderr
    assert watcher.expect().payload == b"sealed"
    coaps_put(port, "/mqtt/dtls/psk?c=d2", "wrong", "-u", "sensor1", "-k", "not-the-key")
    coaps_put(port, "/mqtt/dtls/psk?c=d3", "unknown", "-u", "nobody", "-k", "s3cret-key")
    with pytest.raises(Exception):
        watcher.expect(timeout=1)
    assert broker.log().count("DTLS-PSK identity 'nobody'") >= 1


@needs_openssl_client
def test_dtls_with_certificates(broker, paho):
    port = enable_dtls(broker, **{"coap.dtls.certfile": os.path.join(CERTS, "cert.pem"),
                                  "coap.dtls.keyfile": os.path.join(CERTS, "key.pem")})
    watcher = subscriber(paho, "dtls/#")
    ok = coaps_put(port, "/mqtt/dtls/cert?c=c1", "signed", "-C", os.path.join(CERTS, "cacert.pem"))
    assert ok.returncode == 0 and "4." not in ok.stderr, ok.stderr
    assert watcher.expect().payload == b"signed"


def enable_certificate_and_psk(broker, tmp_path):
    psk = tmp_path / "psk.txt"
    psk.write_text("sensor1:s3cret-key\n")
    return enable_dtls(broker, **{"coap.dtls.certfile": os.path.join(CERTS, "cert.pem"),
                                  "coap.dtls.keyfile": os.path.join(CERTS, "key.pem"),
                                  "psk.file.path": str(psk)})


CLIENTS = [path for path in ("/usr/bin/coap-client-openssl", "/usr/bin/coap-client-gnutls")
           if os.path.exists(path)]


@pytest.mark.parametrize("client", CLIENTS, ids=os.path.basename)
def test_first_psk_handshake_after_start_with_a_certificate_too(broker, paho, tmp_path, client):
    """Issue #26: with certificates and PSK both configured, the first PSK handshake after start
    failed (handshake_failure) and only the later ones worked."""
    port = enable_certificate_and_psk(broker, tmp_path)
    watcher = subscriber(paho, "dtls/#")
    first = subprocess.run([client, "-B", "5", "-m", "put", "-e", "first", "-u", "sensor1", "-k",
                            "s3cret-key", f"coaps://127.0.0.1:{port}/mqtt/dtls/first?c=p1"],
                           capture_output=True, text=True, timeout=20)
    assert first.returncode == 0 and "4." not in first.stderr, first.stderr
    assert watcher.expect().payload == b"first"


@needs_openssl_client
def test_first_certificate_handshake_after_start_with_psk_too(broker, paho, tmp_path):
    port = enable_certificate_and_psk(broker, tmp_path)
    watcher = subscriber(paho, "dtls/#")
    ok = coaps_put(port, "/mqtt/dtls/cert?c=c1", "signed", "-C", os.path.join(CERTS, "cacert.pem"))
    assert ok.returncode == 0 and "4." not in ok.stderr, ok.stderr
    assert watcher.expect().payload == b"signed"
    # And PSK after it.
    ok = coaps_put(port, "/mqtt/dtls/psk?c=p1", "sealed", "-u", "sensor1", "-k", "s3cret-key")
    assert ok.returncode == 0 and "4." not in ok.stderr, ok.stderr
    assert watcher.expect().payload == b"sealed"


@needs_openssl_client
def test_dtls_verify_peer_requires_a_client_certificate(broker, paho):
    port = enable_dtls(broker, **{"coap.dtls.certfile": os.path.join(CERTS, "cert.pem"),
                                  "coap.dtls.keyfile": os.path.join(CERTS, "key.pem"),
                                  "coap.dtls.cacertfile": os.path.join(CERTS, "cacert.pem"),
                                  "coap.dtls.verify": "verify_peer",
                                  "coap.dtls.fail_if_no_peer_cert": "true"})
    watcher = subscriber(paho, "dtls/#")
    ca = os.path.join(CERTS, "cacert.pem")
    coaps_put(port, "/mqtt/dtls/anon?c=v0", "anonymous", "-C", ca)
    # The refused handshake is logged, with the session (libcoap's TLS messages are on).
    assert re.search(r"<-> 127\.0\.0\.1:\d+ .*DTLS: SSL3 alert write:fatal", broker.log()), \
        broker.log()[-3000:]
    ok = coaps_put(port, "/mqtt/dtls/mutual?c=v1", "mutual", "-C", ca,
                   "-c", os.path.join(CERTS, "client-cert.pem"),
                   "-j", os.path.join(CERTS, "client-key.pem"))
    assert ok.returncode == 0 and "4." not in ok.stderr, ok.stderr
    message = watcher.expect()
    assert (message.topic, message.payload) == ("dtls/mutual", b"mutual"), \
        "the client without a certificate never got through"


# ---- hostile datagrams ----------------------------------------------------------------------------

HOSTILE = [
    b"",
    b"\x40",                                  # truncated header
    b"\x40\x01\x00",                          # truncated header
    b"\x80\x01\x12\x34",                      # version 2: ignored
    b"\x49\x01\x12\x34" + b"123456789",       # token length 9 (reserved)
    b"\x44\x01\x12\x34\x01\x02",              # token cut short
    b"\x40\x01\x12\x35\xff",                  # payload marker without payload
    b"\x40\x01\x12\x36\xf0",                  # option delta 15 without a payload marker
    b"\x40\x01\x12\x37\x0d",                  # option length needs an extension byte that is missing
    b"\x40\x01\x12\x38\xbe\xff\xff",          # option number overflow
    b"\x50\x45\x12\x39",                      # a NON response nobody asked for
    b"\x60\x00\x12\x3a",                      # an ACK for nothing
    b"\x70\x00\x12\x3b",                      # a RST for nothing
    b"\x40\x00\x12\x3c",                      # CON empty message (a CoAP ping): RST
    b"\x40\x01\x12\x3d" + b"\xbf" * 40,       # garbage options
]


def test_hostile_datagrams_never_harm_the_gateway(broker, paho, coap):
    device = coap()
    assert device.request(GET, "/mqtt/alive", {"c": "h0"}).code == code("2.05")
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        for datagram in HOSTILE:
            sock.sendto(datagram, ("127.0.0.1", broker.coap_port))
        for _ in range(300):
            size = random.randrange(1, 80)
            sock.sendto(bytes(random.randrange(256) for _ in range(size)),
                        ("127.0.0.1", broker.coap_port))
        # the burst held pings too: libcoap answers one per peer every 250 ms at most
        ping_until_answered(sock, broker.coap_port, 0x9900)
    finally:
        sock.close()
    assert broker.process.poll() is None
    watcher = subscriber(paho, "alive")
    assert device.request(PUT, "/mqtt/alive", {"c": "h0"}, b"still").code == code("2.04")
    assert watcher.expect().payload == b"still"


def test_rst_for_bad_token_length_and_empty_payload_marker(broker, coap):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.settimeout(3)
        coap().request(GET, "/mqtt/warm", {"c": "h1"})  # the gateway is up
        for datagram, mid in ((b"\x49\x01\x22\x01" + b"123456789", 0x2201),
                              (b"\x40\x01\x22\x02\xff", 0x2202)):
            sock.sendto(datagram, ("127.0.0.1", broker.coap_port))
            reply = Message(sock.recvfrom(2048)[0])
            assert (reply.type, reply.mid) == (RST, mid)
    finally:
        sock.close()


def test_unknown_version_is_ignored(broker, coap):
    coap().request(GET, "/mqtt/warm", {"c": "h2"})  # the gateway is up
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        version_2_get = bytes([0x80, GET, 0x33, 0x01]) + encode(CON, GET, 0, b"",
                                                                 [(URI_PATH, b"mqtt")])[4:]
        sock.sendto(version_2_get, ("127.0.0.1", broker.coap_port))
        received = ping_until_answered(sock, broker.coap_port, 0x3310)
        assert [(r.type, r.mid) for r in received if r.mid < 0x3310] == [], \
            "the version 2 message got an answer"
    finally:
        sock.close()


def test_presence_events_of_coap_clients(broker, paho, coap):
    import json
    prefix = "$SYS/brokers/gatemq@127.0.0.1/clients/"
    watcher = paho("presence")
    watcher.subscribe(prefix + "+/+", 0)
    device = coap()
    token = connect(device, "present1")

    def event(topic):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            message = watcher.expect(timeout=max(0.05, deadline - time.monotonic()))
            if message.topic == prefix + topic:
                return json.loads(message.payload)
        raise AssertionError(f"no {topic} event")

    assert event("present1/connected")["clientid"] == "present1"
    assert device.request(DELETE, "/mqtt/connection",
                          {"clientid": "present1", "token": token}).code == code("2.02")
    assert event("present1/disconnected")["reason"] == "normal"


def test_shutdown_with_observers_exits_cleanly(broker, coap):
    device = coap()
    device.request(GET, "/mqtt/x/#", {"c": "s1"}, observe=0)
    broker.restart()  # SIGTERM must end observations and exit 0
    assert device.request(GET, "/mqtt/x", {"c": "s1"}).code == code("2.05")
