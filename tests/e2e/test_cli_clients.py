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
