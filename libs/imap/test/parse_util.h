// SPDX-License-Identifier: Apache-2.0
// parse_util.h: shared helpers of the libs/imap parser tests: parse a frame
// and get the one verb struct it must yield, or the error it must give.
#pragma once
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "mail/imap/command.h"

namespace mail::imap::test {

/// The body of a frame that must parse as T (a default T after a failed check).
template <class T>
T parse_as(std::string_view frame, const Limits& limits = {}) {
  Result r = parse_command(frame, limits);
  if (auto* e = std::get_if<Error>(&r)) {
    ADD_FAILURE() << "frame " << testing::PrintToString(std::string(frame)) << " failed: " << e->text;
    return T{};
  }
  auto& c = std::get<Command>(r);
  if (auto* t = std::get_if<T>(&c.body)) return std::move(*t);
  ADD_FAILURE() << "frame " << testing::PrintToString(std::string(frame)) << " parsed as " << verb_name(c);
  return T{};
}

/// The error a frame must give.
inline Error parse_error(std::string_view frame, const Limits& limits = {}) {
  Result r = parse_command(frame, limits);
  if (auto* e = std::get_if<Error>(&r)) return *e;
  ADD_FAILURE() << "frame " << testing::PrintToString(std::string(frame)) << " parsed as "
                << verb_name(std::get<Command>(r));
  return Error{};
}

}  // namespace mail::imap::test
