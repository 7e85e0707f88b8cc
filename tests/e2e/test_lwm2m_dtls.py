"""LwM2M over DTLS (issue #8): lwm2m.dtls.port with the broker's PSK table (psk.file.path), and
the seed's lwm2m.certfile / lwm2m.keyfile. The device is libcoap's own coap-client-openssl, a real
DTLS peer: it registers, and while it sends updates it also answers the gateway's requests (with
4.04, having no resources), which shows commands travel over the same DTLS session."""
import json
import os
import re
import subprocess

import pytest

from conftest import free_port
from lwm2m_app import watch_lwm2m
from lwm2m_device import DELETE, POST, Device, code

pytestmark = [pytest.mark.gatemq_only,
              pytest.mark.skipif(not os.path.exists("/usr/bin/coap-client-openssl"),
                                 reason="coap-client-openssl not installed")]

CLIENT = "/usr/bin/coap-client-openssl"
CERTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "etc", "certs")
FORBIDDEN = code("4.03")
OBJECTS = "</1/0>,</3/0>"
LOCATION = re.compile(r"Location-Path:rd, Location-Path:([A-Za-z0-9_-]+)")


def enable_dtls(broker, **keys):
    port = free_port(udp=True)
    broker.overrides.update({"lwm2m.dtls.port": f"127.0.0.1:{port}", **keys})
    broker.restart()
    return port


def enable_psk(broker, tmp_path, **keys):
    table = tmp_path / "psk.txt"
    table.write_text("# identity:secret\ndev1:s3cret-key\ndev2:other-key\n")
    return enable_dtls(broker, **{"psk.file.path": str(table), **keys})


def coaps(port, path, *args):
    """One coap-client-openssl POST; verbosity 7 prints the response's options (Location-Path)."""
    command = [CLIENT, "-v", "7", "-B", "5", "-m", "post", "-t", "40", "-e", OBJECTS, *args,
               f"coaps://127.0.0.1:{port}{path}"]
    return subprocess.run(command, capture_output=True, text=True, timeout=30)


def register(port, endpoint, *credentials):
    """Registers over DTLS; returns the registration id (the Location-Path after rd/)."""
    result = coaps(port, f"/rd?ep={endpoint}&lt=60&lwm2m=1.0&b=U", *credentials)
    output = result.stdout + result.stderr
    found = LOCATION.search(output)
    assert result.returncode == 0 and found, output[-2000:]
    return found.group(1)


def registration(endpoint, msg_type="register"):
    return {"msgType": msg_type,
            "data": {"ep": endpoint, "lt": 60, "lwm2m": "1.0", "b": "U", "alternatePath": "/",
                     "objectList": ["/1/0", "/3/0"]}}


def test_psk_device_registers_and_answers_commands_over_dtls(broker, paho, tmp_path):
    port = enable_psk(broker, tmp_path)
    app = watch_lwm2m(paho)
    credentials = ("-u", "dev1", "-k", "s3cret-key")
    registration_id = register(port, "dev1", *credentials)
    assert app.expect_json("lwm2m/dev1/up/resp") == registration("dev1")

    # Updates once a second from a new DTLS session keep the device listening; the gateway moves
    # the registration to that session and sends the command there.
    updates = subprocess.Popen(
        [CLIENT, "-G", "60", "-B", "5", "-m", "post", "-t", "40", "-e", OBJECTS, *credentials,
         f"coaps://127.0.0.1:{port}/rd/{registration_id}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert app.expect_json("lwm2m/dev1/up/resp") == registration("dev1", "update")
        app.publish("lwm2m/dev1/dn/cmd",
                    json.dumps({"reqID": 7, "msgType": "read", "data": {"path": "/3/0/0"}}), qos=1)
        answer = app.expect_json("lwm2m/dev1/up/resp")
        while answer["msgType"] == "update":
            answer = app.expect_json("lwm2m/dev1/up/resp")
        # coap-client serves no resources: its 4.04 came back through the DTLS session.
        assert answer == {"reqID": 7, "msgType": "read",
                          "data": {"reqPath": "/3/0/0", "code": "4.04", "codeMsg": "not_found"}}
    finally:
        updates.kill()
        updates.wait()


def test_wrong_key_or_unknown_identity_never_registers(broker, paho, tmp_path):
    port = enable_psk(broker, tmp_path)
    app = watch_lwm2m(paho)
    wrong_key = coaps(port, "/rd?ep=dev1&lt=60", "-u", "dev1", "-k", "not-the-key")
    unknown = coaps(port, "/rd?ep=dev3&lt=60", "-u", "nobody", "-k", "s3cret-key")
    for result in (wrong_key, unknown):
        assert not LOCATION.search(result.stdout + result.stderr)
    assert "DTLS-PSK identity 'nobody'" in broker.log()
    # Nothing was published: the next message is the one registration that succeeds.
    register(port, "dev2", "-u", "dev2", "-k", "other-key")
    assert app.expect_json("lwm2m/dev2/up/resp") == registration("dev2")


def test_plain_udp_cannot_update_replace_or_end_a_dtls_registration(broker, paho, tmp_path):
    port = enable_psk(broker, tmp_path)
    app = watch_lwm2m(paho)
    registration_id = register(port, "dev1", "-u", "dev1", "-k", "s3cret-key")
    assert app.expect_json("lwm2m/dev1/up/resp") == registration("dev1")
    with Device(broker.lwm2m_port, endpoint="dev1") as impostor:
        assert impostor.request(POST, ["rd", registration_id]).code == FORBIDDEN
        assert impostor.request(DELETE, ["rd", registration_id]).code == FORBIDDEN
        assert impostor.register().code == FORBIDDEN
    # Another PSK identity over DTLS may not either.
    other = coaps(port, f"/rd/{registration_id}", "-u", "dev2", "-k", "other-key")
    assert "4.03" in other.stdout + other.stderr
    assert "is registered over dtls" in broker.log()
    # The device itself still updates its registration.
    update = coaps(port, f"/rd/{registration_id}", "-u", "dev1", "-k", "s3cret-key")
    assert update.returncode == 0 and "2.04" in update.stdout + update.stderr
    assert app.expect_json("lwm2m/dev1/up/resp") == registration("dev1", "update")


def test_seed_certfile_and_keyfile_turn_dtls_on(broker, paho):
    port = enable_dtls(broker, **{"lwm2m.certfile": os.path.join(CERTS, "cert.pem"),
                                  "lwm2m.keyfile": os.path.join(CERTS, "key.pem")})
    app = watch_lwm2m(paho)
    register(port, "dev1", "-C", os.path.join(CERTS, "cacert.pem"))
    assert app.expect_json("lwm2m/dev1/up/resp") == registration("dev1")
    assert f"dtls on 127.0.0.1:{port}" in broker.log()


def enable_certificate_and_psk(broker, tmp_path):
    return enable_psk(broker, tmp_path, **{"lwm2m.certfile": os.path.join(CERTS, "cert.pem"),
                                           "lwm2m.keyfile": os.path.join(CERTS, "key.pem")})


def test_first_psk_registration_after_start_with_a_certificate_too(broker, paho, tmp_path):
    """Issue #26: with lwm2m.certfile / keyfile and the PSK table both set, the first PSK
    handshake after start failed; a Wakaama device only registered on its retry."""
    port = enable_certificate_and_psk(broker, tmp_path)
    app = watch_lwm2m(paho)
    register(port, "dev1", "-u", "dev1", "-k", "s3cret-key")
    assert app.expect_json("lwm2m/dev1/up/resp") == registration("dev1")


def test_first_certificate_registration_after_start_with_psk_too(broker, paho, tmp_path):
    port = enable_certificate_and_psk(broker, tmp_path)
    app = watch_lwm2m(paho)
    register(port, "dev2", "-C", os.path.join(CERTS, "cacert.pem"))
    assert app.expect_json("lwm2m/dev2/up/resp") == registration("dev2")
    register(port, "dev1", "-u", "dev1", "-k", "s3cret-key")
    assert app.expect_json("lwm2m/dev1/up/resp") == registration("dev1")


def test_identity_is_endpoint_refuses_another_devices_name(broker, paho, tmp_path):
    broker.overrides["lwm2m.dtls.identity_is_endpoint"] = "true"
    port = enable_psk(broker, tmp_path)
    app = watch_lwm2m(paho)
    refused = coaps(port, "/rd?ep=dev2&lt=60&lwm2m=1.0&b=U", "-u", "dev1", "-k", "s3cret-key")
    assert "4.03" in refused.stdout + refused.stderr and not LOCATION.search(refused.stdout)
    assert "is not the DTLS-PSK identity 'dev1'" in broker.log()
    register(port, "dev1", "-u", "dev1", "-k", "s3cret-key")
    assert app.expect_json("lwm2m/dev1/up/resp") == registration("dev1")
