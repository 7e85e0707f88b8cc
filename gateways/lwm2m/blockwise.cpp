#include "gateways/lwm2m/blockwise.hpp"

namespace gatemq::gateway::lwm2m {

std::optional<Block> parse_block(std::string_view value) {
  if (value.size() > 3) return std::nullopt;
  std::uint32_t raw = 0;
  for (const char byte : value) raw = (raw << 8) | static_cast<std::uint8_t>(byte);
  Block block;
  block.szx = static_cast<std::uint8_t>(raw & 0x07);
  block.more = (raw & 0x08) != 0;
  block.num = raw >> 4;
  if (block.szx > Block::kMaxSzx) return std::nullopt;
  return block;
}

std::string encode_block(const Block& block) {
  const std::uint32_t raw = (block.num << 4) | (block.more ? 0x08u : 0u) | (block.szx & 0x07u);
  std::string value;
  for (int shift = 16; shift >= 0; shift -= 8) {
    if (!value.empty() || (raw >> shift) != 0) value.push_back(static_cast<char>(raw >> shift));
  }
  return value;
}

std::uint8_t szx_for(std::size_t bytes) {
  std::uint8_t szx = 0;
  while (szx < Block::kMaxSzx && (std::size_t{16} << (szx + 1)) <= bytes) ++szx;
  return szx;
}

Assembly::Result Assembly::add(const Block& block, std::string_view data) {
  if (block.szx > Block::kMaxSzx || block.num > Block::kMaxNum) return Result::Malformed;
  if (block.offset() != body_.size()) return Result::OutOfOrder;
  if (data.size() > block.size() || (block.more && data.size() != block.size())) {
    return Result::Malformed;
  }
  if (data.size() > max_size_ - body_.size()) return Result::TooLarge;
  // A body that could only end past the cap is refused now rather than after one more block.
  if (block.more && body_.size() + data.size() >= max_size_) return Result::TooLarge;
  body_.append(data);
  szx_ = block.szx;
  return block.more ? Result::More : Result::Complete;
}

std::uint32_t Assembly::next_num() const {
  return static_cast<std::uint32_t>(body_.size() >> (4 + szx_));
}

Uploads::Result Uploads::add(const std::string& key, const Block& block, std::string_view data,
                             Clock::time_point now, std::string& out) {
  auto found = uploads_.find(key);
  if (block.num == 0) {
    // A new transfer replaces an unfinished one of the same request.
    if (found != uploads_.end()) {
      uploads_.erase(found);
      found = uploads_.end();
    }
    if (block.more) {
      if (uploads_.size() >= max_uploads_) return Result::Busy;
      found = uploads_.emplace(key, Upload{Assembly(max_body_), now + lifetime_}).first;
    }
  } else if (found == uploads_.end()) {
    return Result::Incomplete;
  }
  if (found == uploads_.end()) {
    // One block with M=0: the whole body at once.
    Assembly single(max_body_);
    switch (single.add(block, data)) {
      case Assembly::Result::Complete:
        out = single.take();
        return Result::Complete;
      case Assembly::Result::TooLarge:
        return Result::TooLarge;
      default:
        return Result::Malformed;
    }
  }
  auto& upload = found->second;
  const auto result = upload.assembly.add(block, data);
  switch (result) {
    case Assembly::Result::More:
      upload.expires = now + lifetime_;
      return Result::Continue;
    case Assembly::Result::Complete:
      out = upload.assembly.take();
      uploads_.erase(found);
      return Result::Complete;
    case Assembly::Result::OutOfOrder:
      uploads_.erase(found);
      return Result::Incomplete;
    case Assembly::Result::TooLarge:
      uploads_.erase(found);
      return Result::TooLarge;
    case Assembly::Result::Malformed:
      break;
  }
  uploads_.erase(found);
  return Result::Malformed;
}

void Uploads::expire(Clock::time_point now) {
  std::erase_if(uploads_, [&](const auto& entry) { return entry.second.expires <= now; });
}

}  // namespace gatemq::gateway::lwm2m
