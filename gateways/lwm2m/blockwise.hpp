// Block-wise transfers (RFC 7959), the pure part: the Block1/Block2 option value and the
// in-order reassembly of a body with a size cap. The gateway runs libcoap with its block mode
// off (see server.cpp), so server.cpp and server_blockwise.cpp drive transfers with these.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace gatemq::gateway::lwm2m {

// One Block1 / Block2 option value: NUM (20 bits), M, SZX (0..6; size 16 << SZX).
struct Block {
  std::uint32_t num = 0;
  bool more = false;
  std::uint8_t szx = 0;

  static constexpr std::uint32_t kMaxNum = (1u << 20) - 1;
  static constexpr std::uint8_t kMaxSzx = 6;  // 7 is reserved (RFC 7959 §2.2)

  std::size_t size() const { return std::size_t{16} << szx; }
  std::size_t offset() const { return std::size_t{num} * size(); }
  bool operator==(const Block&) const = default;
};

// The option value as it came (0-3 bytes, RFC 7959 §2.2); nullopt for a longer value or the
// reserved SZX 7.
std::optional<Block> parse_block(std::string_view value);
// The shortest encoding (NUM 0, M 0, SZX 0 is the empty value); `block` must be valid.
std::string encode_block(const Block& block);
// The largest SZX whose size is at most `bytes` (at least 0).
std::uint8_t szx_for(std::size_t bytes);

// A body arriving block by block, in order: each block must start where the body so far ends
// (so a peer may shrink the block size on the way), a block with M=1 must be full, and the
// whole stays under the cap.
class Assembly {
 public:
  enum class Result {
    More,        // taken, the next block is next_num()
    Complete,    // taken, M=0: body() is the whole
    OutOfOrder,  // NUM does not continue the body (a gap, a repeat, a restart)
    Malformed,   // a block with M=1 that is not of its full size, or bigger than its size
    TooLarge,    // the body would pass the cap
  };

  explicit Assembly(std::size_t max_size) : max_size_(max_size) {}

  // Nothing is taken unless the result is More or Complete.
  Result add(const Block& block, std::string_view data);
  const std::string& body() const { return body_; }
  std::string take() { return std::move(body_); }
  std::size_t max_size() const { return max_size_; }
  // The NUM of the next block at `szx`, the size the peer used last.
  std::uint32_t next_num() const;
  std::uint8_t szx() const { return szx_; }

 private:
  std::size_t max_size_;
  std::string body_;
  std::uint8_t szx_ = 0;
};

// Block1 uploads a server is receiving (RFC 7959 §2.5), one per key (peer and request URI),
// bounded in number and each expiring, so a peer that stops halfway leaves nothing behind.
class Uploads {
 public:
  using Clock = std::chrono::steady_clock;
  enum class Result {
    Continue,    // 2.31: send the next block
    Complete,    // the body is in `out`
    Incomplete,  // 4.08: a block that does not continue a known upload (dropped)
    TooLarge,    // 4.13 (dropped)
    Malformed,   // 4.00 (dropped)
    Busy,        // 5.03: too many uploads at once
  };

  Uploads(std::size_t max_body, std::size_t max_uploads, Clock::duration lifetime)
      : max_body_(max_body), max_uploads_(max_uploads), lifetime_(lifetime) {}

  // NUM 0 starts (or restarts) the upload of `key`.
  Result add(const std::string& key, const Block& block, std::string_view data,
             Clock::time_point now, std::string& out);
  void expire(Clock::time_point now);
  void clear() { uploads_.clear(); }
  std::size_t size() const { return uploads_.size(); }
  std::size_t max_body() const { return max_body_; }

 private:
  struct Upload {
    Assembly assembly;
    Clock::time_point expires;
  };
  std::size_t max_body_;
  std::size_t max_uploads_;
  Clock::duration lifetime_;
  std::map<std::string, Upload> uploads_;
};

}  // namespace gatemq::gateway::lwm2m
