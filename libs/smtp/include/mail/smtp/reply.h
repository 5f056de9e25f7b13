// SPDX-License-Identifier: Apache-2.0
// SMTP reply formatting (RFC 5321 4.2, enhanced status codes RFC 2034/3463).
//
// Reply text may carry strings that came from elsewhere (an upstream error, a
// client's HELO name): control characters are replaced by spaces so a reply can
// never be split into two, and each line is cut to the 512-octet reply limit.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace mail::smtp {

/// One reply: code (200..599), enhanced status ("5.5.2", or empty) and text.
struct Reply {
  int code = 0;
  std::string enhanced;
  std::string text;

  /// The reply as wire text, ending in CRLF.
  std::string wire() const;
  bool operator==(const Reply&) const = default;
};

/// "250 2.1.0 Ok\r\n". `enhanced` may be empty; then it is left out.
std::string format_reply(int code, std::string_view enhanced, std::string_view text);

/// A multi-line reply: every line but the last is "code-", the last "code ";
/// the enhanced code (when given) is repeated on every line as RFC 2034 asks.
/// An empty `lines` gives one line with no text.
std::string format_reply(int code, std::string_view enhanced, const std::vector<std::string>& lines);

/// The EHLO reply: "250-<hostname> <greeting>" then one line per extension
/// keyword (with its parameters, e.g. "SIZE 26214400"), no enhanced codes.
std::string format_ehlo_reply(std::string_view hostname, std::string_view greeting,
                              const std::vector<std::string>& extensions);

}  // namespace mail::smtp
