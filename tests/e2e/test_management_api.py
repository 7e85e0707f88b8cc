"""The management REST API (issue #11) end to end: every endpoint through urllib, a few through
curl, HTTP Basic failures, the seed's error codes for unknown paths, wrong methods, bad JSON and
bad values, pagination over hundreds of clients, gateway clients (TCP and MQTT-SN) listed and
kicked, and the live reload."""
import base64
import signal
import socket
import time

import pytest

import mqtt_raw
from mgmt_api import Api, curl
from mqttsn_e2e import sn  # noqa: F401 (fixture)
from tcp_device import Device
from test_auth_acl import use_acl

pytestmark = pytest.mark.gatemq_only

NODE = "gatemq@127.0.0.1"


@pytest.fixture
def api(broker):
    return Api(broker)


def wait_until(condition, timeout=10):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition never held"
        time.sleep(0.05)


# --- authentication ---------------------------------------------------------------------------

def test_no_credentials_get_401_with_code_104(api):
    status, envelope, headers = api.request("GET", "/brokers", auth=None)
    assert status == 401 and envelope["code"] == 104
    assert headers["WWW-Authenticate"].startswith("Basic")


@pytest.mark.parametrize("auth", [("admin", "wrong"), ("someone", "public")])
def test_wrong_credentials_get_401_with_code_103(api, auth):
    assert api.error("GET", "/brokers", auth=auth) == (401, 103)


@pytest.mark.parametrize("header", ["Bearer abc", "Basic !!!notbase64", "Basic " +
                                    base64.b64encode(b"no-colon").decode(),
                                    "Basic " + base64.b64encode(b":public").decode()])
def test_malformed_or_empty_credentials_get_104(api, header):
    status, code = api.error("GET", "/brokers", auth=None, headers={"Authorization": header})
    assert (status, code) == (401, 104)


def test_unknown_paths_need_credentials_too(api):
    assert api.error("GET", "/no/such/thing", auth=None) == (401, 104)


@pytest.mark.broker_config({"management.default_application.id": "ops",
                            "management.default_application.secret": "s3cret"})
def test_configured_application_credentials(api):
    assert api.error("GET", "/brokers") == (401, 103)
    assert api.get("/brokers", auth=("ops", "s3cret"))[0]["node"] == NODE


def test_curl_basic_auth(broker):
    url = f"http://127.0.0.1:{broker.management_port}/api/v4/brokers"
    status, body = curl(broker, "-u", "admin:public", url)
    assert status == 200 and body["code"] == 0 and body["data"][0]["node"] == NODE
    status, body = curl(broker, "-u", "admin:nope", url)
    assert (status, body["code"]) == (401, 103)
    status, body = curl(broker, url)
    assert (status, body["code"]) == (401, 104)


# --- errors -----------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/api/v4/nothing", "/api/v4/clients/a/b/c", "/api/v5/brokers",
                                  "/", "/api", "/api/v4x/brokers"])
def test_unknown_paths_get_404_code_102(api, path):
    assert api.error("GET", path, prefix="") == (404, 102)


def test_wrong_method_gets_405_with_allow(api):
    status, envelope, headers = api.request("POST", "/brokers", body={})
    assert (status, envelope["code"]) == (405, 102)
    assert headers["Allow"] == "GET"
    status, envelope, headers = api.request("PUT", "/clients/c1")
    assert status == 405 and set(headers["Allow"].split(", ")) == {"GET", "DELETE"}


@pytest.mark.parametrize("path", ["/mqtt/publish", "/mqtt/subscribe", "/mqtt/publish_batch",
                                  "/banned", "/log/level"])
def test_bad_json_gets_400_code_109(api, path):
    method = "PUT" if path == "/log/level" else "POST"
    for raw in (b"{not json", b"", b"\xff\xfe", b'{"topic": "t"'):
        assert api.error(method, path, raw=raw) == (400, 109), raw


@pytest.mark.parametrize("body,code", [
    ({}, 107),                                      # no topic
    ({"topic": "t", "qos": 3}, 108),
    ({"topic": "t", "qos": "1"}, 108),
    ({"topic": "t/#"}, 108),                        # a filter is not a topic name
    ({"topic": "t", "retain": "yes"}, 108),
    ({"topic": "t", "payload": "%%%", "encoding": "base64"}, 108),
    ({"topic": "t", "encoding": "rot13"}, 108),
    ({"topic": 5}, 108),
    ([1, 2], 108),                                  # not an object
])
def test_bad_publish_bodies(api, body, code):
    assert api.error("POST", "/mqtt/publish", body) == (400, code)


@pytest.mark.parametrize("query", ["_page=0", "_page=x", "_limit=-1", "_limit=0", "page_size=1e3",
                                   "_page=%zz"])
def test_bad_pagination_gets_400_code_108(api, query):
    assert api.error("GET", "/clients?" + query) == (400, 108)


def test_huge_body_is_refused_without_a_crash(api, broker, paho):
    status, envelope, _ = api.request("POST", "/mqtt/publish",
                                      raw=b'{"topic":"t","payload":"' + b"x" * (17 << 20) + b'"}')
    assert status == 413
    assert envelope is None or envelope["code"] != 0
    assert api.get("/brokers")[0]["node"] == NODE  # still serving


def raw_http(broker, request):
    """Sends `request` bytes as they are; the whole answer (the server closes after it)."""
    with socket.create_connection((broker.host, broker.management_port), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def test_hostile_requests_get_json_errors_and_the_server_lives_on(api, broker):
    token = base64.b64encode(b"admin:public")
    # Bytes that are not UTF-8 in the path come back in the message, replaced, not as a crash.
    answer = raw_http(broker, b"GET /api/v4/\xff\xfe HTTP/1.1\r\nHost: x\r\n"
                              b"Authorization: Basic " + token + b"\r\nConnection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 404") and b'"code":102' in answer
    # Not HTTP at all: httplib's 400, in the envelope.
    answer = raw_http(broker, b"\x00\x01garbage\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400") and b'"code":102' in answer
    # A path far longer than any resource.
    status, code = api.error("GET", "/clients/" + "x" * 6000)
    assert (status, code) == (404, 112)
    assert api.get("/brokers")[0]["node"] == NODE


def test_unknown_node_gets_404_code_101(api):
    for path in ("/nodes/other@host", "/brokers/other@host", "/nodes/other@host/clients",
                 "/monitoring/stats/other@host", "/nodes/other@host/sessions"):
        assert api.error("GET", path) == (404, 101), path


# --- node resources ---------------------------------------------------------------------------

@pytest.mark.parametrize("prefix", ["/api/v2", "/api/v3", "/api/v4"])
def test_every_prefix_serves_the_same_resources(api, prefix):
    assert api.get("/brokers", prefix=prefix)[0]["node"] == NODE
    assert api.get("/routes", prefix=prefix) == []


def test_brokers(api):
    [broker] = api.get("/brokers")
    assert broker["node"] == NODE and broker["node_status"] == "Running"
    assert set(broker) >= {"sysdescr", "version", "uptime", "datetime"}
    assert api.get(f"/brokers/{NODE}")["version"] == broker["version"]


@pytest.mark.parametrize("path", ["/nodes", "/management/nodes", "/monitoring/nodes"])
def test_nodes(api, paho, path):
    paho("counted")
    # The fixture's port probes may still be closing: wait for them to be gone.
    [node] = api.wait_for(path, lambda nodes: nodes[0]["connections"] == 1)
    assert node["node"] == NODE and node["sessions"] == 1
    assert node["workers"] == 2 and node["memory_used"] > 0 and node["max_fds"] > 0
    assert api.get(f"{path}/{NODE}")["connections"] == 1


@pytest.mark.parametrize("all_path,one_path", [("/stats", f"/nodes/{NODE}/stats"),
                                               ("/monitoring/stats", f"/monitoring/stats/{NODE}")])
def test_stats(api, paho, all_path, one_path):
    paho("s").subscribe("a/b")
    [entry] = api.wait_for(all_path, lambda e: e[0]["stats"]["connections/count"] == 1)
    assert entry["node"] == NODE
    assert entry["stats"]["subscriptions/count"] == 1
    assert api.get(one_path)["connections/count"] == 1


@pytest.mark.parametrize("all_path,one_path", [
    ("/metrics", f"/nodes/{NODE}/metrics"),
    ("/monitoring/metrics", f"/monitoring/metrics/{NODE}")])
def test_metrics(api, paho, all_path, one_path):
    paho("m").publish("m/x", "hello", qos=1)
    [entry] = api.get(all_path)
    assert entry["node"] == NODE
    assert entry["metrics"]["packets/connect"] >= 1
    assert entry["metrics"]["packets/received"] >= 2
    assert api.get(one_path)["packets/connect"] >= 1


@pytest.mark.parametrize("all_path,one_path", [
    ("/listeners", f"/nodes/{NODE}/listeners"),
    ("/monitoring/listeners", f"/monitoring/listeners/{NODE}")])
def test_listeners(api, broker, paho, all_path, one_path):
    paho("l")

    def by_listen(entries):
        return {listener["listen"]: listener for listener in entries[0]["listeners"]}

    def settled(entries):
        # "l" on the external port; the fixture's readiness probes of every port closed (the
        # broker sees their EOF a moment later), so both views below count the same.
        return all(listener["current_conns"] == (1 if listen == f"127.0.0.1:{broker.port}" else 0)
                   for listen, listener in by_listen(entries).items())

    [entry] = api.wait_for(all_path, settled)
    listeners = by_listen([entry])
    assert listeners[f"127.0.0.1:{broker.port}"]["protocol"] == "mqtt:tcp"
    assert listeners[f"127.0.0.1:{broker.ws_port}"]["protocol"] == "mqtt:ws"
    assert listeners[f"127.0.0.1:{broker.management_port}"]["protocol"] == "http:management"
    assert api.get(one_path) == entry["listeners"]


# --- clients, sessions ------------------------------------------------------------------------

def connect_user(broker, client_id, username, version=mqtt_raw.V311):
    client = mqtt_raw.RawClient(broker.port, version)
    assert client.connect(client_id, username=username).reason == 0
    return client


def test_clients_list_get_and_filters(api, broker, paho):
    alice = connect_user(broker, "alice-1", "alice")
    bob = connect_user(broker, "bob-1", "bob", mqtt_raw.V5)
    envelope = api.ok("GET", "/clients")
    assert envelope["meta"]["count"] == 2
    assert [c["clientid"] for c in envelope["data"]] == ["alice-1", "bob-1"]
    client = envelope["data"][0]
    assert client["node"] == NODE and client["username"] == "alice"
    assert client["protocol"] == "mqtt" and client["proto_ver"] == 4
    assert client["ip_address"] == "127.0.0.1" and client["connected"] is True
    assert client["port"] == alice.sock.getsockname()[1]
    assert envelope["data"][1]["proto_ver"] == 5

    def ids(query):
        return [c["clientid"] for c in api.get("/clients?" + query)]

    assert ids("username=bob") == ["bob-1"]
    assert ids("_like_clientid=ice") == ["alice-1"]
    assert ids("_like_username=o") == ["bob-1"]
    assert ids("proto_ver=5") == ["bob-1"]
    assert ids("protocol=mqtt&ip_address=127.0.0.1") == ["alice-1", "bob-1"]
    assert ids("zone=nowhere") == []
    assert [c["clientid"] for c in api.get("/clients/username/alice")] == ["alice-1"]
    assert api.get("/clients/alice-1")[0]["username"] == "alice"
    assert api.get(f"/nodes/{NODE}/clients/bob-1")[0]["clientid"] == "bob-1"
    assert len(api.get(f"/nodes/{NODE}/clients")) == 2
    assert api.error("GET", "/clients/nobody") == (404, 112)
    bob.close()
    alice.close()


def test_client_id_with_a_slash_is_percent_encoded(api, broker):
    client = connect_user(broker, "a/b c", "u")
    assert api.get("/clients/a%2Fb%20c")[0]["clientid"] == "a/b c"
    client.close()


def test_kick_disconnects_an_mqtt5_client_with_0x98(api, broker):
    client = mqtt_raw.RawClient(broker.port, mqtt_raw.V5)
    client.connect("victim")
    api.ok("DELETE", "/clients/victim")
    assert client.expect(mqtt_raw.DISCONNECT).reason == 0x98
    client.wait_closed()
    wait_until(lambda: api.request("GET", "/clients/victim")[0] == 404)
    assert api.error("DELETE", "/clients/victim") == (404, 112)


def test_kick_of_a_persistent_session_keeps_the_session(api, broker):
    client = mqtt_raw.RawClient(broker.port)  # paho would reconnect by itself
    client.connect("keeper", clean=False)
    client.subscribe("keep/#", 1)
    api.ok("DELETE", "/clients/keeper")
    client.wait_closed()
    wait_until(lambda: api.get("/sessions/keeper")[0]["connected"] is False)
    assert api.get("/clients?_like_clientid=keeper") == []
    [session] = api.get("/sessions/keeper")
    assert session["subscriptions_cnt"] == 1 and session["clean_start"] is False


def test_sessions(api, paho):
    paho("s1").subscribe("x/1", 1)
    paho("s2", clean=False)
    envelope = api.ok("GET", "/sessions")
    assert envelope["meta"]["count"] == 2
    [s1, s2] = envelope["data"]
    assert s1["clientid"] == "s1" and s1["subscriptions_cnt"] == 1 and s1["connected"] is True
    assert s2["clean_start"] is False
    assert set(s1) >= {"max_inflight", "inflight", "mqueue_len", "mqueue_dropped",
                       "awaiting_rel", "created_at", "expiry_interval"}
    assert api.get(f"/nodes/{NODE}/sessions/s2")[0]["clientid"] == "s2"
    assert len(api.get(f"/nodes/{NODE}/sessions")) == 2
    assert api.error("GET", "/sessions/none") == (404, 112)


# --- pagination -------------------------------------------------------------------------------

def test_pagination_over_three_hundred_clients(api, broker):
    clients = [connect_user(broker, f"page-{i:03}", f"user{i % 3}") for i in range(300)]
    seen = []
    for page in (1, 2, 3):
        envelope = api.ok("GET", f"/clients?_page={page}&_limit=100")
        assert envelope["meta"] == {"page": page, "limit": 100, "count": 300}
        assert len(envelope["data"]) == 100
        seen += [c["clientid"] for c in envelope["data"]]
    assert seen == [f"page-{i:03}" for i in range(300)]
    past = api.ok("GET", "/clients?_page=4&_limit=100")
    assert past["data"] == [] and past["meta"]["count"] == 300
    # The seed's spelling, and a filter paginated after filtering.
    seed = api.ok("GET", "/clients?curr_page=2&page_size=20", prefix="/api/v2")
    assert [c["clientid"] for c in seed["data"]] == [f"page-{i:03}" for i in range(20, 40)]
    filtered = api.ok("GET", "/clients?username=user1&_limit=7&_page=2")
    assert filtered["meta"]["count"] == 100
    assert [c["clientid"] for c in filtered["data"]] == [f"page-{i:03}"
                                                       for i in range(22, 43, 3)]
    assert api.ok("GET", "/sessions?_limit=50&_page=6")["meta"]["count"] == 300
    assert len(api.ok("GET", "/sessions?_limit=50&_page=6")["data"]) == 50
    # Without _limit everything comes at once (below management.max_row_limit).
    assert len(api.get("/clients")) == 300
    for client in clients:
        client.close()


@pytest.mark.broker_config({"management.max_row_limit": "25"})
def test_max_row_limit_caps_the_page_size(api, broker):
    clients = [connect_user(broker, f"cap-{i:02}", "u") for i in range(30)]
    envelope = api.ok("GET", "/clients?_limit=1000")
    assert envelope["meta"] == {"page": 1, "limit": 25, "count": 30}
    assert len(envelope["data"]) == 25
    assert len(api.get("/clients?_page=2")) == 5
    for client in clients:
        client.close()


# --- subscriptions, routes, publish -----------------------------------------------------------

def test_subscriptions_and_routes(api, paho):
    one = paho("sub-1")
    one.subscribe("t/+/x", 1)
    one.subscribe("t/#", 0)
    paho("sub-2").subscribe("t/#", 2)
    expected = [{"node": NODE, "clientid": "sub-1", "topic": "t/#", "qos": 0},
                {"node": NODE, "clientid": "sub-1", "topic": "t/+/x", "qos": 1},
                {"node": NODE, "clientid": "sub-2", "topic": "t/#", "qos": 2}]
    envelope = api.ok("GET", "/subscriptions")
    assert envelope["data"] == expected and envelope["meta"]["count"] == 3
    assert api.get("/subscriptions?topic=t%2F%23") == [expected[0], expected[2]]
    assert api.get("/subscriptions?qos=2") == [expected[2]]
    assert api.get("/subscriptions/sub-1") == expected[:2]
    assert api.get("/clients/sub-2/subscriptions") == [expected[2]]
    assert api.get(f"/nodes/{NODE}/subscriptions/sub-2") == [expected[2]]
    assert len(api.get(f"/nodes/{NODE}/subscriptions")) == 3
    assert api.get("/subscriptions/nobody") == []
    assert api.error("GET", "/clients/nobody/subscriptions") == (404, 112)
    assert api.get("/routes") == [{"topic": "t/#", "node": NODE}, {"topic": "t/+/x", "node": NODE}]
    assert api.get("/routes/t/%2B/x") == [{"topic": "t/+/x", "node": NODE}]
    assert api.get("/routes/t%2F%23") == [{"topic": "t/#", "node": NODE}]
    assert api.get("/routes/not/there") == []


def test_publish_single_base64_and_batch(api, paho):
    listener = paho("listener")
    listener.subscribe("http/#", 1)
    api.ok("POST", "/mqtt/publish", {"topic": "http/one", "payload": "hello", "qos": 1})
    message = listener.expect()
    assert (message.topic, message.payload, message.qos) == ("http/one", b"hello", 1)
    api.ok("POST", "/mqtt/publish", {"topic": "http/bin", "encoding": "base64",
                                     "payload": base64.b64encode(b"\x00\xff").decode()})
    assert listener.expect().payload == b"\x00\xff"
    api.ok("POST", "/mqtt/publish", {"topics": "http/a,http/b", "payload": "both"})
    assert sorted(m.topic for m in (listener.expect(), listener.expect())) == ["http/a", "http/b"]
    results = api.ok(
        "POST", "/mqtt/publish_batch",
        [{"topic": "http/b1", "payload": "1"}, {"qos": 1}, {"topic": "http/b2", "payload": "2"}])
    assert [r["code"] for r in results["data"]] == [0, 107, 0]
    assert [listener.expect().payload for _ in range(2)] == [b"1", b"2"]
    assert api.error("POST", "/mqtt/publish_batch", {"topic": "x"}) == (400, 108)


def test_retained_publish_over_http(api, paho):
    api.ok("POST", "/mqtt/publish", {"topic": "keep/me", "payload": "kept", "retain": True})
    late = paho("late")
    late.subscribe("keep/#")
    assert late.expect().payload == b"kept"


def test_subscribe_and_unsubscribe_over_http(api, paho):
    client = paho("remote")
    granted = api.ok("POST", "/mqtt/subscribe",
                     {"clientid": "remote", "topic": "cmd/#", "qos": 1})["data"]
    assert granted == [{"topic": "cmd/#", "qos": 1}]
    assert api.get("/subscriptions/remote") == [{"node": NODE, "clientid": "remote",
                                                 "topic": "cmd/#", "qos": 1}]
    paho("sender").publish("cmd/go", "now", qos=1)
    assert client.expect().payload == b"now"
    batch = api.ok("POST", "/mqtt/subscribe_batch",
                   [{"clientid": "remote", "topics": "a,b", "qos": 0},
                    {"clientid": "ghost", "topic": "x"},
                    {"clientid": "remote", "topic": "bad/#/x"}])["data"]
    assert batch[0] == {"code": 0, "data": [{"topic": "a", "qos": 0}, {"topic": "b", "qos": 0}]}
    assert [item["code"] for item in batch] == [0, 112, 108]
    result = api.ok("POST", "/mqtt/unsubscribe", {"clientid": "remote", "topic": "cmd/#"})
    assert result["data"] == [{"topic": "cmd/#", "existed": True}]
    unsub = api.ok("POST", "/mqtt/unsubscribe_batch",
                   [{"clientid": "remote", "topic": "a"}, {"clientid": "remote", "topic": "zz"}])
    assert [item["data"][0]["existed"] for item in unsub["data"]] == [True, False]
    assert [s["topic"] for s in api.get("/subscriptions/remote")] == ["b"]
    assert api.error("POST", "/mqtt/subscribe", {"clientid": "ghost", "topic": "x"}) == (404, 112)
    assert api.error("POST", "/mqtt/subscribe", {"topic": "x"}) == (400, 107)
    assert api.error("POST", "/mqtt/subscribe",
                     {"clientid": "remote", "topic": "x", "qos": 7}) == (400, 108)


def test_curl_publish_and_list(broker, paho):
    listener = paho("curl-listener")
    listener.subscribe("curl/t")
    base = f"http://127.0.0.1:{broker.management_port}/api/v4"
    status, body = curl(broker, "-u", "admin:public", "-X", "POST", "-H",
                        "Content-Type: application/json", "-d",
                        '{"topic":"curl/t","payload":"via curl"}', base + "/mqtt/publish")
    assert (status, body["code"]) == (200, 0)
    assert listener.expect().payload == b"via curl"
    status, body = curl(broker, "-u", "admin:public", base + "/clients?_limit=1")
    assert body["meta"] == {"page": 1, "limit": 1, "count": 1}
    status, body = curl(broker, "-u", "admin:public", "-X", "DELETE",
                        base + "/clients/curl-listener")
    assert (status, body["code"]) == (200, 0)
    listener.disconnects.get(timeout=10)


# --- banned, ACL, log level, reload -----------------------------------------------------------

def test_banned_add_list_delete(api, broker):
    until = int(time.time()) + 3600
    ban = api.ok("POST", "/banned", {"who": "evil", "as": "clientid", "reason": "spam",
                                     "until": until})["data"]
    assert ban["who"] == "evil" and ban["until"] == until and ban["by"] == "management API"
    api.ok("POST", "/banned", {"who": "mallory", "as": "username"})
    listed = api.ok("GET", "/banned")
    assert listed["meta"]["count"] == 2
    assert {(b["who"], b["as"]) for b in listed["data"]} == {("evil", "clientid"),
                                                             ("mallory", "username")}
    refused = mqtt_raw.RawClient(broker.port)
    assert refused.connect("evil").reason != 0
    api.ok("DELETE", "/banned/clientid/evil")
    assert mqtt_raw.RawClient(broker.port).connect("evil").reason == 0
    assert api.error("DELETE", "/banned/clientid/evil") == (404, 102)
    assert api.error("POST", "/banned", {"as": "clientid"}) == (400, 107)
    assert api.error("POST", "/banned", {"who": "x", "as": "nickname"}) == (400, 108)
    assert api.error("POST", "/banned", {"who": "x", "until": "soon"}) == (400, 108)
    assert api.error("DELETE", "/banned/nickname/x") == (400, 108)


def test_log_level_get_and_set(api, broker):
    assert api.get("/log/level") == {"level": "debug"}
    assert api.ok("PUT", "/log/level", {"level": "warning"})["data"] == {"level": "warning"}
    assert api.get("/log/level", prefix="/api/v2") == {"level": "warning"}
    assert api.error("PUT", "/log/level", {"level": "loud"}) == (400, 108)
    assert api.error("PUT", "/log/level", {"lvl": "info"}) == (400, 107)
    assert api.error("PUT", "/log/level", {"level": 3}) == (400, 108)
    assert api.get("/log/level") == {"level": "warning"}


def publish_reason(client, topic, packet_id):
    client.publish(topic, "x", qos=1, packet_id=packet_id)
    return client.expect(mqtt_raw.PUBACK).reason


def test_acl_reload_without_the_default_file_is_no_rules(api, broker):
    """The broker runs where there is no etc/acl.conf: start-up takes that as no rules, and so
    does a reload."""
    assert not (broker.directory / "etc" / "acl.conf").exists()
    assert api.ok("POST", "/acl/reload")["data"] == {"rules": 0}


def test_acl_reload_and_cache_clean(api, broker):
    path = use_acl(broker, '{deny, all, publish, ["locked/#"]}.\n')
    client = mqtt_raw.RawClient(broker.port, mqtt_raw.V5)
    client.connect("acl-client")
    assert publish_reason(client, "locked/x", 1) == 0x87
    path.write_text("{allow, all}.\n")
    assert api.ok("POST", "/acl/reload")["data"] == {"rules": 1}
    assert publish_reason(client, "locked/x", 2) in (0x00, 0x10)
    path.write_text("{allow, all")  # broken: refused, the old rules stay
    status, code = api.error("POST", "/acl/reload")
    assert status == 400 and code == 102
    assert publish_reason(client, "locked/x", 3) in (0x00, 0x10)
    # The cache: deny again, then the cached "allow" for this client goes with a clean.
    assert api.ok("DELETE", "/clients/acl-client/acl_cache")["code"] == 0
    assert api.ok("DELETE", "/acl-cache")["data"] == {"clients": 1}
    assert api.error("DELETE", "/clients/nobody/acl_cache") == (404, 112)


def rewrite_config(broker, **changes):
    """Changes keys (written with __ for dots) in the broker's configuration file."""
    path = broker.directory / "gatemq.conf"
    changes = {key.replace("__", "."): value for key, value in changes.items()}
    lines = [line for line in path.read_text().splitlines()
             if line.split(" = ")[0] not in changes]
    lines += [f"{key} = {value}" for key, value in changes.items()]
    path.write_text("\n".join(lines) + "\n")


def test_reload_applies_log_level_and_acl_without_dropping_clients(api, broker, paho):
    path = use_acl(broker, '{deny, all, publish, ["r/#"]}.\n')
    listener = paho("stays")
    listener.subscribe("r/#")
    path.write_text("{allow, all}.\n")
    rewrite_config(broker, log__level="error")
    assert api.ok("POST", "/reload")["data"] == {"reloaded": ["auth", "acl_file", "log.level"]}
    assert api.get("/log/level") == {"level": "error"}
    paho("writer").publish("r/x", "after reload", qos=1)
    assert listener.expect().payload == b"after reload"  # connected throughout, ACL changed
    assert listener.disconnects.empty()
    # A broken file changes nothing.
    rewrite_config(broker, log__level="shouting")
    status, code = api.error("POST", "/reload")
    assert (status, code) == (400, 102)
    assert api.get("/log/level") == {"level": "error"}


def test_reload_replaces_the_built_in_credentials_without_dropping_clients(api, broker):
    def connects(password):
        return mqtt_raw.RawClient(broker.port, mqtt_raw.V5).connect(
            "c-" + password, username="alice", password=password).reason

    rewrite_config(broker, auth__user__password_hash="plain", auth__user__1__username="alice",
                   auth__user__1__password="first")
    assert connects("wrong") == 0, "alice is nobody yet: anonymous clients are allowed"
    api.ok("POST", "/reload")
    assert connects("wrong") == 0x86
    assert connects("first") == 0
    alice = mqtt_raw.RawClient(broker.port, mqtt_raw.V5)
    assert alice.connect("alice", username="alice", password="first").reason == 0
    rewrite_config(broker, auth__user__1__password="second")
    api.ok("POST", "/reload")
    assert connects("first") == 0x86
    assert connects("second") == 0
    alice.subscribe("still/here")  # the connection made with the old password lives on
    # A bad hash setting changes nothing: "second" still works.
    rewrite_config(broker, auth__user__password_hash="rot13")
    assert api.error("POST", "/reload")[0] == 400
    assert connects("second") == 0


# --- gateways ---------------------------------------------------------------------------------

def test_gateways_list_and_one(api, broker):
    gateways = {g["name"]: g for g in api.get("/gateways")}
    assert {"tcp", "mqtt-sn", "stomp"} <= set(gateways)
    assert gateways["tcp"]["status"] == "running" and gateways["tcp"]["clients"] == 0
    assert api.get("/gateways/tcp")["name"] == "tcp"
    assert api.error("GET", "/gateways/nope") == (404, 102)


def test_tcp_gateway_client_listed_and_kicked(api, broker):
    device = Device(broker.tcp_gateway_port)
    assert device.connect("dev-1")[0] == 0
    paho_like = mqtt_raw.RawClient(broker.port)
    paho_like.connect("not-a-device")
    [client] = api.get("/gateways/tcp/clients")
    assert client["clientid"] == "dev-1" and client["protocol"] == "tcp"
    assert [c["clientid"] for c in api.get("/clients?protocol=tcp")] == ["dev-1"]
    assert api.get("/gateways/tcp/clients/dev-1")[0]["connected"] is True
    assert [s["topic"] for s in api.get("/gateways/tcp/clients/dev-1/subscriptions")] == \
        ["tcp/dev-1/dn"]
    assert api.get("/gateways/tcp")["clients"] == 1
    # Not this gateway's client.
    assert api.error("GET", "/gateways/tcp/clients/not-a-device") == (404, 112)
    assert api.error("DELETE", "/gateways/stomp/clients/dev-1") == (404, 112)
    api.ok("DELETE", "/gateways/tcp/clients/dev-1")
    device.wait_closed()
    wait_until(lambda: api.get("/gateways/tcp/clients") == [])
    assert api.error("DELETE", "/gateways/tcp/clients/dev-1") == (404, 112)
    device.close()


def test_mqttsn_client_listed_and_kicked(api, sn):
    client = sn("sn-dev")
    [listed] = api.wait_for("/gateways/mqtt-sn/clients", lambda data: len(data) == 1)
    assert listed["clientid"] == "sn-dev" and listed["protocol"] == "mqtt-sn"
    assert api.get("/clients/sn-dev")[0]["protocol"] == "mqtt-sn"
    api.ok("DELETE", "/gateways/mqtt-sn/clients/sn-dev")
    assert client.expect("DISCONNECT") is not None
    wait_until(lambda: api.get("/gateways/mqtt-sn/clients") == [])


@pytest.mark.broker_config({"stomp.enable": "off"})
def test_plugins_are_the_compiled_in_gateways(api):
    [entry] = api.get("/plugins")
    assert entry["node"] == NODE
    plugins = {p["name"]: p for p in entry["plugins"]}
    assert plugins["emqx_tcp"]["active"] is True and plugins["emqx_sn"]["active"] is True
    assert plugins["emqx_stomp"]["active"] is False
    assert set(plugins["emqx_tcp"]) == {"name", "version", "description", "active", "type"}
    assert plugins["emqx_tcp"]["type"] == "protocol"
    assert api.get(f"/nodes/{NODE}/plugins", prefix="/api/v2") == entry["plugins"]
    assert "stomp" not in {g["name"] for g in api.get("/gateways")}


def test_sighup_does_the_same_reload(api, broker):
    rewrite_config(broker, log__level="error")
    broker.process.send_signal(signal.SIGHUP)
    api.wait_for("/log/level", lambda data: data == {"level": "error"})
    rewrite_config(broker, log__level="nonsense")
    broker.process.send_signal(signal.SIGHUP)
    wait_until(lambda: "SIGHUP: configuration not reloaded" in broker.log())
    assert api.get("/log/level") == {"level": "error"}


def test_trace_a_client_into_its_own_file(api, broker):
    path = broker.directory / "traced.log"
    trace = {"type": "client", "name": "traced-one", "file": str(path), "level": "debug"}
    assert api.ok("POST", "/trace", trace)["data"] == {"type": "client", "name": "traced-one",
                                                       "level": "debug",
                                                       "destination": str(path)}
    api.ok("POST", "/trace", {"type": "topic", "name": "tr/x", "file": str(path) + ".topic"})
    assert [t["name"] for t in api.get("/trace")] == ["traced-one", "tr/x"]
    traced, other = mqtt_raw.RawClient(broker.port), mqtt_raw.RawClient(broker.port)
    traced.connect("traced-one")
    other.connect("someone-else")
    api.ok("DELETE", "/clients/traced-one")
    traced.wait_closed()
    wait_until(lambda: path.exists() and "kicked" in path.read_text())
    assert "someone-else" not in path.read_text()
    api.ok("DELETE", "/trace/client/traced-one")
    api.ok("DELETE", "/trace/topic/tr/x")
    assert api.get("/trace") == []
    assert api.error("DELETE", "/trace/client/traced-one") == (404, 102)
    assert api.error("POST", "/trace", {"type": "node", "name": "n", "file": "f"}) == (400, 108)
    assert api.error("POST", "/trace", {"type": "client", "name": "n", "file": "f",
                                        "level": "loud"}) == (400, 108)
    assert api.error("POST", "/trace", {"type": "client", "file": "f"}) == (400, 107)
    # A directory is no file to write to.
    assert api.error("POST", "/trace", {"type": "client", "name": "n",
                                        "file": str(broker.directory)}) == (400, 102)
