// SPDX-License-Identifier: Apache-2.0
// EHLO reply interpretation: splits each line into keyword and parameters and
// records the extensions the client acts on. Input is a reply from an
// untrusted server, already bounded by the reply parser; lines that are not
// valid ehlo-lines are skipped, never an error. No I/O, no logging.
#include "mail/smtp/ehlo.h"

#include <algorithm>

#include "mail/common/strings.h"
#include "syntax.h"

namespace mail::smtp {
namespace {

using detail::is_alnum;

// The line as the server sent it: the reply parser split off what looked
// like an enhanced status code, which an EHLO line never carries.
std::string raw_text(const ReplyLine& line) {
  if (line.enhanced.empty()) return line.text;
  return line.text.empty() ? line.enhanced : line.enhanced + " " + line.text;
}

std::vector<std::string_view> split_words(std::string_view s) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
    if (i > start) words.push_back(s.substr(start, i - start));
  }
  return words;
}

// ehlo-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
bool valid_keyword(std::string_view k) {
  if (k.empty() || !is_alnum(static_cast<unsigned char>(k[0]))) return false;
  return std::all_of(k.begin(), k.end(), [](char c) { return is_alnum(static_cast<unsigned char>(c)) || c == '-'; });
}

// sasl-mech = 1*20 (UPPER-ALPHA / DIGIT / "-" / "_"), compared upper-cased.
bool valid_mechanism(std::string_view m) {
  if (m.empty() || m.size() > 20) return false;
  return std::all_of(m.begin(), m.end(),
                     [](char c) { return is_alnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; });
}

void add_mechanisms(Capabilities& caps, const std::vector<std::string>& params) {
  for (const auto& p : params) {
    if (!valid_mechanism(p)) continue;
    std::string mech = common::ascii_upper(p);
    if (std::find(caps.auth.begin(), caps.auth.end(), mech) == caps.auth.end()) caps.auth.push_back(std::move(mech));
  }
}

void apply(Capabilities& caps, const Extension& ext) {
  const std::string& k = ext.keyword;
  if (k == "SIZE") {
    caps.size = true;
    unsigned long long n = 0;
    // "SIZE" alone or "SIZE 0": no fixed limit; a malformed number is
    // treated the same (the server will say so at MAIL or after DATA).
    caps.max_size = !ext.params.empty() && detail::parse_u64(ext.params[0], n) ? n : 0;
  } else if (k == "PIPELINING") {
    caps.pipelining = true;
  } else if (k == "8BITMIME") {
    caps.eightbitmime = true;
  } else if (k == "SMTPUTF8") {
    caps.smtputf8 = true;
  } else if (k == "STARTTLS") {
    caps.starttls = true;
  } else if (k == "ENHANCEDSTATUSCODES") {
    caps.enhanced_status_codes = true;
  } else if (k == "CHUNKING") {
    caps.chunking = true;
  } else if (k == "DSN") {
    caps.dsn = true;
  } else if (k == "AUTH") {
    add_mechanisms(caps, ext.params);
  }
}

}  // namespace

const Extension* Capabilities::find(std::string_view keyword) const {
  for (const auto& e : extensions)
    if (common::iequals(e.keyword, keyword)) return &e;
  return nullptr;
}

bool Capabilities::has_auth(std::string_view mechanism) const {
  return std::any_of(auth.begin(), auth.end(), [&](const std::string& m) { return common::iequals(m, mechanism); });
}

std::variant<Capabilities, EhloError> parse_ehlo(const ServerReply& reply) {
  if (reply.code != 250 || reply.lines.empty()) return EhloError::kNotOk;
  Capabilities caps;
  {
    const std::string first = raw_text(reply.lines.front());
    std::string_view rest = common::trim(first);
    const size_t space = rest.find_first_of(" \t");
    caps.domain.assign(rest.substr(0, space));
    if (space != std::string_view::npos) caps.greeting.assign(common::trim(rest.substr(space)));
  }
  for (size_t i = 1; i < reply.lines.size(); ++i) {
    const std::string line = raw_text(reply.lines[i]);
    auto words = split_words(line);
    if (words.empty()) continue;
    Extension ext;
    std::string_view keyword = words[0];
    // The pre-RFC 2554 form "AUTH=LOGIN PLAIN": the first mechanism is
    // glued to the keyword.
    if (keyword.size() > 5 && common::istarts_with(keyword, "AUTH=")) {
      ext.params.emplace_back(keyword.substr(5));
      keyword = keyword.substr(0, 4);
    }
    if (!valid_keyword(keyword)) continue;
    ext.keyword = common::ascii_upper(keyword);
    for (size_t w = 1; w < words.size(); ++w) ext.params.emplace_back(words[w]);
    apply(caps, ext);
    caps.extensions.push_back(std::move(ext));
  }
  return caps;
}

}  // namespace mail::smtp
