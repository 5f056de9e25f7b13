// SPDX-License-Identifier: Apache-2.0
// The UIDL unique-id (see unique_id.h).
#include "unique_id.h"

#include <cstdio>


namespace mail::pop3d {

std::string unique_id(int64_t uidvalidity, int64_t uid) {
  auto v = static_cast<uint64_t>(uidvalidity);
  auto u = static_cast<uint64_t>(uid);
  char buf[40];
  if (v <= 0xffffffffu && u <= 0xffffffffu)
    std::snprintf(buf, sizeof buf, "%08llx%08llx", static_cast<unsigned long long>(v), static_cast<unsigned long long>(u));
  else
    std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(v), static_cast<unsigned long long>(u));
  return buf;
}

}  // namespace mail::pop3d
