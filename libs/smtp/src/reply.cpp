// SPDX-License-Identifier: Apache-2.0
// SMTP reply formatting. Codes and enhanced codes come from our own code (a bad
// one is a bug and asserts); the text may contain peer or upstream strings and
// is sanitised: control characters become spaces, lines are cut to 512 octets.
#include "mail/smtp/reply.h"

#include <cassert>

namespace mail::smtp {
namespace {

constexpr size_t kMaxReplyLine = 512;  // RFC 5321 4.5.3.1.5, CRLF included

[[maybe_unused]] bool enhanced_ok(int code, std::string_view e) {
  if (e.empty()) return true;
  // class "." subject "." detail, class equal to the reply's first digit.
  if (e.size() < 5 || e[0] != static_cast<char>('0' + code / 100) || e[1] != '.') return false;
  size_t dots = 0, run = 0;
  for (size_t i = 2; i < e.size(); ++i) {
    if (e[i] == '.') {
      if (run == 0) return false;
      ++dots;
      run = 0;
    } else if (e[i] >= '0' && e[i] <= '9') {
      if (++run > 3) return false;
    } else {
      return false;
    }
  }
  return dots == 1 && run > 0;
}

void append_line(std::string& out, int code, char sep, std::string_view enhanced, std::string_view text) {
  assert(code >= 200 && code <= 599);
  assert(enhanced_ok(code, enhanced));
  const size_t start = out.size();
  out += static_cast<char>('0' + code / 100);
  out += static_cast<char>('0' + code / 10 % 10);
  out += static_cast<char>('0' + code % 10);
  if (enhanced.empty() && text.empty()) {
    if (sep == '-') out += '-';
    out += "\r\n";
    return;
  }
  out += sep;
  if (!enhanced.empty()) {
    out += enhanced;
    if (!text.empty()) out += ' ';
  }
  size_t room = kMaxReplyLine - 2 - (out.size() - start);
  if (text.size() > room) {
    text = text.substr(0, room);
    // Do not leave half a UTF-8 sequence at the cut.
    size_t end = text.size();
    while (end > 0 && (static_cast<unsigned char>(text[end - 1]) & 0xc0) == 0x80) --end;
    if (end > 0 && static_cast<unsigned char>(text[end - 1]) >= 0xc0) text = text.substr(0, end - 1);
  }
  for (char ch : text) {
    unsigned char c = static_cast<unsigned char>(ch);
    out += (c < 0x20 || c == 0x7f) ? ' ' : ch;
  }
  out += "\r\n";
}

}  // namespace

std::string Reply::wire() const { return format_reply(code, enhanced, text); }

std::string format_reply(int code, std::string_view enhanced, std::string_view text) {
  std::string out;
  append_line(out, code, ' ', enhanced, text);
  return out;
}

std::string format_reply(int code, std::string_view enhanced, const std::vector<std::string>& lines) {
  std::string out;
  if (lines.empty()) {
    append_line(out, code, ' ', enhanced, {});
    return out;
  }
  for (size_t i = 0; i < lines.size(); ++i) append_line(out, code, i + 1 == lines.size() ? ' ' : '-', enhanced, lines[i]);
  return out;
}

std::string format_ehlo_reply(std::string_view hostname, std::string_view greeting,
                              const std::vector<std::string>& extensions) {
  std::vector<std::string> lines;
  lines.reserve(extensions.size() + 1);
  std::string first(hostname);
  if (!greeting.empty()) {
    first += ' ';
    first += greeting;
  }
  lines.push_back(std::move(first));
  lines.insert(lines.end(), extensions.begin(), extensions.end());
  return format_reply(250, "", lines);
}

}  // namespace mail::smtp
