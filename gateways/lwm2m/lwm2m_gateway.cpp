#include "gateways/lwm2m/lwm2m_gateway.hpp"

#include <spdlog/spdlog.h>

#include "core/config/config.hpp"
#include "gateways/lwm2m/object_registry.hpp"
#include "gateways/lwm2m/server.hpp"

namespace gatemq::gateway::lwm2m {

namespace {

// The object definitions, loaded at start and on every reload: a bad file is reported and
// skipped, but a gateway without any definition could not type a single value, so that refuses
// to start (or the reload is refused and the definitions in force stay).
std::shared_ptr<const ObjectRegistry> load_definitions(const std::filesystem::path& directory) {
  auto load = ObjectRegistry::load(directory);
  for (const auto& problem : load.problems) {
    if (problem.is_error()) {
      spdlog::error("lwm2m gateway: {}", problem.describe());
    } else {
      spdlog::warn("lwm2m gateway: {}", problem.describe());
    }
  }
  if (load.registry->size() == 0) {
    throw config::ConfigError("lwm2m.xml_dir: no object definitions in '" + directory.string() +
                              "'");
  }
  spdlog::info("lwm2m gateway: {} object definitions from {}", load.registry->size(),
               directory.string());
  return load.registry;
}

}  // namespace

Lwm2mGateway::Lwm2mGateway(broker::Broker& broker, Lwm2mSettings settings,
                           std::shared_ptr<const ObjectRegistry> registry)
    : broker_(broker), registry_(std::make_shared<LiveValue<ObjectRegistry>>(std::move(registry))) {
  auto context = std::make_shared<const GatewayContext>(
      GatewayContext{broker, stats_, std::move(settings), registry_, "lwm2m-gateway:udp"});
  // One libcoap context, used only from this worker's thread.
  server_ = std::make_shared<Lwm2mServer>(context, broker.workers().next());
}

Lwm2mGateway::~Lwm2mGateway() = default;

void Lwm2mGateway::start() {
  server_->open();
  server_->start();
}

void Lwm2mGateway::stop() {
  server_->stop();
}

void Lwm2mGateway::close_connections(std::uint8_t) {
  server_->close_connections();
}

std::vector<std::string> Lwm2mGateway::apply_live(plugin::PluginConfig& config) {
  auto settings = read_settings(config, broker_.settings());
  if (!settings) return {};  // `enable` matters at start-up and load only
  auto fresh = load_definitions(settings->xml_dir);
  if (*fresh == *registry_->get()) return {};
  registry_->set(std::move(fresh));
  return {"lwm2m.xml_dir"};
}

std::vector<std::string> Lwm2mGateway::listener_descriptions() const {
  return {server_->description()};
}

plugin::Descriptor describe() {
  return plugin::Descriptor{
      "emqx_lwm2m",
      plugin::Kind::Gateway,
      "LwM2M 1.0/1.1 Gateway",
      "lwm2m.",
      {"lwm2m"},
      [](broker::Broker& broker, plugin::PluginConfig& config) -> std::unique_ptr<Gateway> {
        auto settings = read_settings(config, broker.settings());
        if (!settings) return nullptr;
        auto registry = load_definitions(settings->xml_dir);
        return std::make_unique<Lwm2mGateway>(broker, std::move(*settings), std::move(registry));
      }};
}

}  // namespace gatemq::gateway::lwm2m
