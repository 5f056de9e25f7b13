// SPDX-License-Identifier: Apache-2.0
// POP3 response writers. Every text that goes into a status or CAPA line is
// sanitised (CR, LF, NUL → space) so that a bug upstream cannot split a reply.
// The body writers trust nothing about the message bytes: any content,
// chunking or final line end is handled, with constant state.
#include "mail/pop3/response.h"

namespace mail::pop3 {
namespace {

void append_clean(std::string& out, std::string_view text) {
  for (char c : text) out.push_back(c == '\r' || c == '\n' || c == '\0' ? ' ' : c);
}

std::string status(std::string_view tag, std::string_view code, std::string_view text) {
  std::string out(tag);
  if (!code.empty()) {
    out += " [";
    append_clean(out, code);
    out += ']';
  }
  if (!text.empty()) {
    out += ' ';
    append_clean(out, text);
  }
  out += "\r\n";
  return out;
}

// A listing line is a data line: never starts with '.', so it needs no stuffing.
void append_line(std::string& out, std::string_view text) {
  append_clean(out, text);
  out += "\r\n";
}

}  // namespace

std::string ok(std::string_view text) { return status("+OK", {}, text); }

std::string err(std::string_view text, std::string_view code) { return status("-ERR", code, text); }

std::string err(const Error& error) { return err(error.text); }

std::string sasl_challenge(std::string_view base64) {
  std::string out = "+ ";
  append_clean(out, base64);
  out += "\r\n";
  return out;
}

std::string stat_reply(const Stat& stat) {
  return ok(std::to_string(stat.count) + ' ' + std::to_string(stat.octets));
}

std::string list_reply(const ListEntry& entry) {
  return ok(std::to_string(entry.number) + ' ' + std::to_string(entry.size));
}

std::string list_all_reply(const std::vector<ListEntry>& entries) {
  uint64_t octets = 0;
  for (const auto& e : entries) octets += e.size;
  std::string out = ok(std::to_string(entries.size()) + (entries.size() == 1 ? " message (" : " messages (") +
                       std::to_string(octets) + " octets)");
  for (const auto& e : entries) append_line(out, std::to_string(e.number) + ' ' + std::to_string(e.size));
  out += ".\r\n";
  return out;
}

std::string uidl_reply(const UidlEntry& entry) { return ok(std::to_string(entry.number) + ' ' + entry.uid); }

std::string uidl_all_reply(const std::vector<UidlEntry>& entries) {
  std::string out = ok();
  for (const auto& e : entries) append_line(out, std::to_string(e.number) + ' ' + e.uid);
  out += ".\r\n";
  return out;
}

std::string capa_reply(const CapaOptions& o) {
  std::vector<std::string> lines;
  if (o.top) lines.emplace_back("TOP");
  if (o.uidl) lines.emplace_back("UIDL");
  if (o.user) lines.emplace_back("USER");
  if (!o.sasl.empty()) {
    std::string sasl = "SASL";
    for (const auto& m : o.sasl) sasl += ' ' + m;
    lines.push_back(std::move(sasl));
  }
  if (o.resp_codes) lines.emplace_back("RESP-CODES");
  if (o.auth_resp_code) lines.emplace_back("AUTH-RESP-CODE");
  if (o.pipelining) lines.emplace_back("PIPELINING");
  if (o.stls) lines.emplace_back("STLS");
  if (o.utf8) lines.emplace_back("UTF8");
  if (!o.expire.empty()) lines.push_back("EXPIRE " + o.expire);
  if (o.login_delay) lines.push_back("LOGIN-DELAY " + std::to_string(*o.login_delay));
  if (!o.implementation.empty()) lines.push_back("IMPLEMENTATION " + o.implementation);
  return capa_reply(lines);
}

std::string capa_reply(const std::vector<std::string>& lines) {
  std::string out = ok("Capability list follows");
  DotStuffer stuffer;  // a capability never starts with '.', but be safe
  for (const auto& line : lines) {
    std::string clean;
    append_line(clean, line);
    stuffer.feed(clean, out);
  }
  stuffer.finish(out);
  return out;
}

bool TopWriter::feed(std::string_view chunk, std::string& out) {
  if (done_) return true;
  size_t cut = chunk.size();
  for (size_t i = 0; i < chunk.size(); ++i) {
    if (in_header_) {
      char c = chunk[i];
      if (c == '\n') {
        if (line_state_ != 2) {  // empty line: the header section ends here
          in_header_ = false;
          if (remaining_ == 0) {
            cut = i + 1;
            done_ = true;
            break;
          }
        }
        line_state_ = 0;
      } else if (c == '\r' && line_state_ == 0) {
        line_state_ = 1;
      } else {
        line_state_ = 2;
      }
    } else {
      size_t nl = chunk.find('\n', i);
      if (nl == std::string_view::npos) break;
      i = nl;
      if (--remaining_ == 0) {
        cut = nl + 1;
        done_ = true;
        break;
      }
    }
  }
  stuffer_.feed(chunk.substr(0, cut), out);
  return done_;
}

std::string top(std::string_view message, size_t body_lines) {
  std::string out;
  TopWriter w(body_lines);
  w.feed(message, out);
  w.finish(out);
  return out;
}

}  // namespace mail::pop3
