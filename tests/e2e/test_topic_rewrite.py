"""module.rewrite: the seed's rule form `<filter> <regex> <destination>` with $N groups, for
PUBLISH topics and SUBSCRIBE/UNSUBSCRIBE filters; pub.rule.N and sub.rule.N for one direction."""
import queue

import pytest

pytestmark = pytest.mark.gatemq_only

SEED_RULES = {
    "module.rewrite": "on",
    "module.rewrite.rule.1": "x/# ^x/y/(.+)$ z/y/$1",
    "module.rewrite.rule.2": "y/+/z/# ^y/(.+)/z/(.+)$ y/z/$2",
}


@pytest.mark.broker_config(SEED_RULES)
def test_published_topics_are_rewritten(broker, paho):
    subscriber = paho("subscriber")
    subscriber.subscribe("z/y/#", 1)
    subscriber.subscribe("y/z/#", 1)
    publisher = paho("publisher")
    publisher.publish("x/y/temperature", "21", qos=1)
    publisher.publish("y/a/z/b", "ab", qos=1)
    received = {subscriber.expect().topic for _ in range(2)}
    assert received == {"z/y/temperature", "y/z/b"}


@pytest.mark.broker_config(SEED_RULES)
def test_filter_matching_rule_whose_regex_fails_leaves_the_topic(broker, paho):
    subscriber = paho("subscriber")
    subscriber.subscribe("x/#", 1)
    paho("publisher").publish("x/other", "stays", qos=1)
    assert subscriber.expect().topic == "x/other"


@pytest.mark.broker_config(SEED_RULES)
def test_subscriptions_are_rewritten_and_unsubscribe_follows(broker, paho):
    subscriber = paho("subscriber")
    subscriber.subscribe("x/y/+", 1)  # becomes z/y/+
    publisher = paho("publisher")
    publisher.publish("z/y/a", "direct", qos=1)
    assert subscriber.expect().payload == b"direct"
    unsubscribed = queue.Queue()
    subscriber.client.on_unsubscribe = lambda *args: unsubscribed.put(args)
    subscriber.client.unsubscribe("x/y/+")
    unsubscribed.get(timeout=10)
    publisher.publish("z/y/b", "after unsubscribe", qos=1)
    with pytest.raises(queue.Empty):
        subscriber.expect(timeout=1.0)


@pytest.mark.broker_config({"module.rewrite": "on",
                            "module.rewrite.pub.rule.1": "legacy/# ^legacy/(.+)$ v2/$1",
                            "module.rewrite.sub.rule.1": "old/# ^old/(.+)$ new/$1"})
def test_direction_specific_rules(broker, paho):
    subscriber = paho("subscriber")
    subscriber.subscribe("legacy/#", 1)  # not a sub rule: stays legacy/#
    subscriber.subscribe("old/#", 1)     # becomes new/#
    publisher = paho("publisher")
    publisher.publish("legacy/a", "pub rule", qos=1)  # becomes v2/a: nobody listens
    publisher.publish("new/b", "to new", qos=1)
    message = subscriber.expect()
    assert (message.topic, message.payload) == ("new/b", b"to new")
    with pytest.raises(queue.Empty):
        subscriber.expect(timeout=1.0)


@pytest.mark.broker_config({"module.rewrite.rule.1": "x/# ^x/(.+)$ z/$1"})
def test_rules_do_nothing_while_the_module_is_off(broker, paho):
    subscriber = paho("subscriber")
    subscriber.subscribe("x/#", 1)
    paho("publisher").publish("x/1", "kept", qos=1)
    assert subscriber.expect().topic == "x/1"


def test_bad_regex_reported(tmp_path):
    import conftest
    instance = conftest.Broker(tmp_path, {"module.rewrite": "on",
                                          "module.rewrite.rule.1": "x/# ^x/(unclosed$ z/$1"})
    with pytest.raises(RuntimeError, match="exited at start-up"):
        instance.start()
    assert "module.rewrite.rule.1" in instance.log() and "bad regex" in instance.log()
