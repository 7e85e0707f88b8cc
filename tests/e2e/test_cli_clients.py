"""The Mosquitto command-line clients against the broker."""
import subprocess

import pytest


def sub(broker, *args, count=1):
    return subprocess.Popen(
        ["mosquitto_sub", "-h", broker.host, "-p", str(broker.port), "-C", str(count), "-W", "10",
         "-v", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def pub(broker, *args):
    subprocess.run(["mosquitto_pub", "-h", broker.host, "-p", str(broker.port), *args],
                   check=True, timeout=10)


def publish_until_received(broker, subscriber, *args):
    """mosquitto_sub cannot tell when it has subscribed: publish until it has its message."""
    for _ in range(200):
        pub(broker, *args)
        try:
            return subscriber.communicate(timeout=0.1)
        except subprocess.TimeoutExpired:
            continue
    subscriber.kill()
    return subscriber.communicate()


@pytest.mark.parametrize("version", ["mqttv311", "mqttv5", "mqttv31"])
@pytest.mark.parametrize("qos", ["0", "1", "2"])
def test_round_trip(broker, version, qos):
    subscriber = sub(broker, "-t", "cli/+", "-q", qos, "-V", version, "-i", f"cli-sub-{version}")
    out, err = publish_until_received(broker, subscriber, "-t", "cli/data", "-m", "hello", "-q",
                                      qos, "-V", version)
    assert out.decode().splitlines() == ["cli/data hello"], err


@pytest.mark.parametrize("version", ["mqttv311", "mqttv5"])
def test_retained_with_r(broker, version):
    pub(broker, "-t", "cli/retained", "-m", "kept", "-r", "-q", "1", "-V", version)
    subscriber = sub(broker, "-t", "cli/retained", "-V", version)
    out, _ = subscriber.communicate(timeout=15)
    assert out.decode().strip() == "cli/retained kept"


def test_v5_user_property_with_D(broker):
    subscriber = subprocess.Popen(
        ["mosquitto_sub", "-h", broker.host, "-p", str(broker.port), "-C", "1", "-W", "10",
         "-V", "mqttv5", "-t", "cli/props", "-F", "%t %p %P"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = publish_until_received(broker, subscriber, "-t", "cli/props", "-m", "v", "-V",
                                      "mqttv5", "-D", "publish", "user-property", "color", "blue")
    assert "cli/props v" in out.decode() and "color:blue" in out.decode(), (out, err)


@pytest.mark.parametrize("version,extra", [("mqttv311", []), ("mqttv5", ["-x", "300"])])
def test_persistent_session_gets_offline_messages(broker, version, extra):
    args = ["-t", "cli/offline", "-q", "1", "-V", version, "-c", "-i", f"cli-persist-{version}",
            *extra]
    subscriber = sub(broker, *args)
    out, err = publish_until_received(broker, subscriber, "-t", "cli/offline", "-m", "online",
                                      "-q", "1", "-V", version)
    assert out.decode().splitlines()[0] == "cli/offline online", err
    for i in range(3):  # while the subscriber is away
        pub(broker, "-t", "cli/offline", "-m", f"queued{i}", "-q", "1", "-V", version)
    subscriber = sub(broker, *args, count=3)
    out, err = subscriber.communicate(timeout=15)
    assert out.decode().splitlines() == [f"cli/offline queued{i}" for i in range(3)], err


@pytest.mark.parametrize("version", ["mqttv311", "mqttv5"])
def test_retained_qos2_and_delete(broker, version):
    pub(broker, "-t", "cli/r2", "-m", "r2", "-r", "-q", "2", "-V", version)
    out, _ = sub(broker, "-t", "cli/r2", "-q", "2", "-V", version).communicate(timeout=15)
    assert out.decode().strip() == "cli/r2 r2"
    pub(broker, "-t", "cli/r2", "-n", "-r", "-q", "2", "-V", version)  # -n: empty: delete
    probe = sub(broker, "-t", "cli/r2", "-t", "cli/marker", "-V", version)
    out, _ = publish_until_received(broker, probe, "-t", "cli/marker", "-m", "m", "-V", version)
    assert out.decode().splitlines() == ["cli/marker m"]


def test_v5_properties_with_D(broker):
    subscriber = subprocess.Popen(
        ["mosquitto_sub", "-h", broker.host, "-p", str(broker.port), "-C", "1", "-W", "10",
         "-V", "mqttv5", "-t", "cli/p5", "-F", "%t|%p|%P|%C|%R|%E"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = publish_until_received(
        broker, subscriber, "-t", "cli/p5", "-m", "body", "-V", "mqttv5",
        "-D", "publish", "content-type", "text/plain",
        "-D", "publish", "response-topic", "cli/reply",
        "-D", "publish", "message-expiry-interval", "100",
        "-D", "publish", "user-property", "k1", "v1",
        "-D", "publish", "user-property", "k2", "v2")
    fields = out.decode().strip().split("|")
    assert fields[0:2] == ["cli/p5", "body"], (out, err)
    assert "k1:v1" in fields[2] and "k2:v2" in fields[2]
    assert fields[3] == "text/plain" and fields[4] == "cli/reply"
    assert 0 < int(fields[5]) <= 100
