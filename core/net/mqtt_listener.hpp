// MQTT over TCP: a TcpListener whose connections are MqttChannels in the listener's zone.
#pragma once

#include <memory>

#include "core/broker/broker.hpp"
#include "core/config/settings.hpp"
#include "core/net/tcp_listener.hpp"

namespace gatemq::net {

std::shared_ptr<TcpListener> make_mqtt_listener(broker::Broker& broker,
                                                const config::ListenerSettings& settings);

}  // namespace gatemq::net
