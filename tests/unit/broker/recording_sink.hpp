// A SessionSink that records what the session sends, for session tests.
#pragma once

#include <vector>

#include "core/broker/delivery.hpp"

namespace gatemq::broker::testing {

class RecordingSink final : public SessionSink {
 public:
  void send(Outbound item) override { sent.push_back(std::move(item)); }
  bool accepts(const Delivery& delivery) const override {
    return max_payload == 0 || delivery.message->payload.size() <= max_payload;
  }
  void close_by_broker(std::uint8_t reason_code) override { closed_with.push_back(reason_code); }

  std::vector<OutboundPublish> publishes() const {
    std::vector<OutboundPublish> out;
    for (const auto& item : sent) {
      if (const auto* publish = std::get_if<OutboundPublish>(&item)) out.push_back(*publish);
    }
    return out;
  }

  std::vector<Outbound> sent;
  std::vector<std::uint8_t> closed_with;
  std::size_t max_payload = 0;
};

}  // namespace gatemq::broker::testing
