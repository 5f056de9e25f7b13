// SPDX-License-Identifier: Apache-2.0
// uid_map.h: an ascending list of UIDs kept as runs of consecutive UIDs,
// with positions (an IMAP sequence number is position + 1). A mailbox
// whose messages were never expunged is one run of 12 bytes, whatever its
// size; each expunge in the middle adds at most one run. Lookups either
// way are binary searches over the runs: uid at a position, position of a
// uid.
// Trusts: push_back() takes UIDs above the last (checked: anything else is
// ignored); UIDs fit 32 bits (RFC 3501 nz-number).
#pragma once
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <vector>

namespace mail::store {

class UidMap {
 public:
  UidMap() = default;
  UidMap(std::initializer_list<int64_t> uids) {
    for (int64_t u : uids) push_back(u);
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  /// The UID at position pos (< size()).
  int64_t operator[](size_t pos) const;
  int64_t back() const { return static_cast<int64_t>(runs_.back().first + runs_.back().count - 1); }
  /// The position of uid, or nullopt when it is not in the map.
  std::optional<size_t> find(int64_t uid) const;
  bool contains(int64_t uid) const { return find(uid).has_value(); }
  /// The position of the first UID >= uid (size() when there is none).
  size_t lower_bound(int64_t uid) const;
  /// Appends uid when it is above back() (true); else leaves the map.
  bool push_back(int64_t uid);
  /// Removes the UIDs at `positions` (ascending, each < size()).
  void erase_positions(const std::vector<size_t>& positions);
  /// Calls f(uid) for every UID, ascending.
  template <class F>
  void for_each(F&& f) const {
    for (const Run& r : runs_)
      for (uint32_t i = 0; i < r.count; ++i) f(static_cast<int64_t>(r.first + i));
  }
  std::vector<int64_t> to_vector() const;
  size_t runs() const { return runs_.size(); }
  void shrink_to_fit() { runs_.shrink_to_fit(); }
  bool operator==(const UidMap& o) const { return to_vector() == o.to_vector(); }

 private:
  struct Run {
    uint32_t first;  ///< its first UID
    uint32_t count;  ///< UIDs first, first + 1, ..., first + count - 1
    uint32_t pos;    ///< the position of `first`
  };
  /// The run holding position pos.
  const Run& run_at(size_t pos) const;
  std::vector<Run> runs_;
  size_t size_ = 0;
};

}  // namespace mail::store
