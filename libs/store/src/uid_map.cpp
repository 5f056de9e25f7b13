// SPDX-License-Identifier: Apache-2.0
// UidMap: runs of consecutive UIDs, each with the position of its first.
#include "mail/store/uid_map.h"

#include <algorithm>

namespace mail::store {

const UidMap::Run& UidMap::run_at(size_t pos) const {
  // The last run starting at or before pos.
  auto it = std::upper_bound(runs_.begin(), runs_.end(), pos, [](size_t p, const Run& r) { return p < r.pos; });
  return *(it - 1);
}

int64_t UidMap::operator[](size_t pos) const {
  const Run& r = run_at(pos);
  return static_cast<int64_t>(r.first) + static_cast<int64_t>(pos - r.pos);
}

size_t UidMap::lower_bound(int64_t uid) const {
  if (uid <= 0) return 0;
  // The first run whose last UID is >= uid.
  auto it = std::lower_bound(runs_.begin(), runs_.end(), uid, [](const Run& r, int64_t u) {
    return static_cast<int64_t>(r.first) + static_cast<int64_t>(r.count) - 1 < u;
  });
  if (it == runs_.end()) return size_;
  if (uid <= static_cast<int64_t>(it->first)) return it->pos;
  return it->pos + static_cast<size_t>(uid - static_cast<int64_t>(it->first));
}

std::optional<size_t> UidMap::find(int64_t uid) const {
  const size_t pos = lower_bound(uid);
  if (pos == size_ || (*this)[pos] != uid) return std::nullopt;
  return pos;
}

bool UidMap::push_back(int64_t uid) {
  if (uid <= 0 || uid > static_cast<int64_t>(UINT32_MAX)) return false;
  if (!runs_.empty() && uid <= back()) return false;
  const auto u = static_cast<uint32_t>(uid);
  if (!runs_.empty() && runs_.back().first + runs_.back().count == u) {
    ++runs_.back().count;
  } else {
    runs_.push_back({u, 1, static_cast<uint32_t>(size_)});
  }
  ++size_;
  return true;
}

void UidMap::erase_positions(const std::vector<size_t>& positions) {
  if (positions.empty()) return;
  // Rebuild run by run: each run loses the positions inside it, which
  // splits it into the pieces between them.
  std::vector<Run> out;
  out.reserve(runs_.size() + positions.size());
  size_t next = 0;  // into positions
  uint32_t removed = 0;
  auto emit = [&](uint32_t first, uint32_t count, uint32_t pos) {
    if (count == 0) return;
    if (!out.empty() && out.back().first + out.back().count == first) {
      out.back().count += count;
    } else {
      out.push_back({first, count, pos});
    }
  };
  for (const Run& r : runs_) {
    uint32_t start = 0;  // offset in r of the piece not yet emitted
    while (next < positions.size() && positions[next] < r.pos + r.count) {
      const auto off = static_cast<uint32_t>(positions[next] - r.pos);
      if (off < start) {  // a repeated position
        ++next;
        continue;
      }
      emit(r.first + start, off - start, r.pos + start - removed);
      removed += 1;
      start = off + 1;
      ++next;
    }
    emit(r.first + start, r.count - start, r.pos + start - removed);
  }
  runs_ = std::move(out);
  size_ -= removed;
}

std::vector<int64_t> UidMap::to_vector() const {
  std::vector<int64_t> out;
  out.reserve(size_);
  for_each([&](int64_t u) { out.push_back(u); });
  return out;
}

}  // namespace mail::store
