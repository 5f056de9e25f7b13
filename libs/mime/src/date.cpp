// SPDX-License-Identifier: Apache-2.0
// RFC 5322 date-time parsing (see date.h). A small tokenizer turns the value
// into words, numbers and the ":" / "+" / "-" signs (comments dropped), then
// the grammar is matched on the tokens, so folding, comments and odd
// spacing cost nothing extra. Trusts nothing; bounded by the value's length.
#include "mail/mime/date.h"

#include <array>
#include <cctype>
#include <string>
#include <vector>

#include "lex.h"
#include "mail/common/civil_date.h"

namespace mail::mime {

namespace {

struct Token {
  enum Kind { kWord, kNumber, kPunct } kind;
  std::string text;  ///< words lower-cased
  size_t digits = 0; ///< kNumber: how many digits were written
  long value = 0;    ///< kNumber
};

std::vector<Token> tokenize(std::string_view s) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < s.size() && out.size() < 32) {
    const char c = s[i];
    if (c == '(') {
      i = lex::skip_comment(s, i);
      continue;
    }
    if (std::isdigit(static_cast<unsigned char>(c))) {
      Token t{Token::kNumber, {}, 0, 0};
      while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
        if (t.digits < 9) t.value = t.value * 10 + (s[i] - '0');
        ++t.digits;
        ++i;
      }
      out.push_back(std::move(t));
      continue;
    }
    if (std::isalpha(static_cast<unsigned char>(c))) {
      Token t{Token::kWord, {}, 0, 0};
      while (i < s.size() && std::isalpha(static_cast<unsigned char>(s[i])))
        t.text.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(s[i++]))));
      out.push_back(std::move(t));
      continue;
    }
    if (c == ':' || c == '+' || c == '-') out.push_back({Token::kPunct, std::string(1, c), 0, 0});
    ++i;  // spaces, commas, dots and anything else separate tokens
  }
  return out;
}

int month_of(const std::string& w) {
  static constexpr std::array<const char*, 12> kMonths = {"jan", "feb", "mar", "apr", "may", "jun",
                                                          "jul", "aug", "sep", "oct", "nov", "dec"};
  if (w.size() < 3) return 0;
  for (size_t m = 0; m < kMonths.size(); ++m)
    if (w.compare(0, 3, kMonths[m]) == 0) return static_cast<int>(m) + 1;
  return 0;
}

bool is_weekday(const std::string& w) {
  static constexpr std::array<const char*, 7> kDays = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
  if (w.size() < 3) return false;
  for (const char* d : kDays)
    if (w.compare(0, 3, d) == 0) return true;
  return false;
}

// Named zones of RFC 5322 §4.3; military and unknown zones are +0000.
std::optional<int> named_zone(const std::string& w) {
  struct Z {
    const char* name;
    int minutes;
  };
  static constexpr Z kZones[] = {{"ut", 0},         {"utc", 0},        {"gmt", 0},        {"z", 0},
                                 {"est", -5 * 60},  {"edt", -4 * 60},  {"cst", -6 * 60},  {"cdt", -5 * 60},
                                 {"mst", -7 * 60},  {"mdt", -6 * 60},  {"pst", -8 * 60},  {"pdt", -7 * 60}};
  for (const auto& z : kZones)
    if (w == z.name) return z.minutes;
  if (w.size() == 1) return 0;  // military
  return std::nullopt;
}

}  // namespace

int64_t MessageDate::unix_time() const {
  return common::days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second -
         static_cast<int64_t>(zone_minutes) * 60;
}

std::optional<MessageDate> parse_message_date(std::string_view value) {
  const auto t = tokenize(value);
  size_t i = 0;
  auto word = [&](size_t k) { return k < t.size() && t[k].kind == Token::kWord; };
  auto number = [&](size_t k) { return k < t.size() && t[k].kind == Token::kNumber; };
  auto punct = [&](size_t k, char c) { return k < t.size() && t[k].kind == Token::kPunct && t[k].text[0] == c; };

  if (word(i) && is_weekday(t[i].text)) ++i;
  MessageDate d;
  // day month year ("1 Jul 2003", "1-Jul-2003"), or (seen in the wild)
  // month day year.
  const size_t m = punct(i + 1, '-') ? i + 2 : i + 1;
  if (number(i) && word(m) && month_of(t[m].text)) {
    d.day = static_cast<int>(t[i].value);
    d.month = month_of(t[m].text);
    i = m + 1;
  } else if (word(i) && month_of(t[i].text) && number(i + 1)) {
    d.month = month_of(t[i].text);
    d.day = static_cast<int>(t[i + 1].value);
    i += 2;
  } else {
    return std::nullopt;
  }
  if (punct(i, '-')) ++i;  // "1-Jul-2003" forms
  if (!number(i) || t[i].digits > 4) return std::nullopt;
  long year = t[i].value;
  if (t[i].digits <= 2) year += year < 50 ? 2000 : 1900;  // §4.3
  else if (t[i].digits == 3) year += 1900;
  d.year = static_cast<int>(year);
  ++i;
  if (d.year < 1000 || d.day < 1 || d.day > common::days_in_month(d.year, d.month)) return std::nullopt;

  if (!number(i) || !punct(i + 1, ':') || !number(i + 2)) return std::nullopt;
  d.hour = static_cast<int>(t[i].value);
  d.minute = static_cast<int>(t[i + 2].value);
  i += 3;
  if (punct(i, ':') && number(i + 1)) {
    d.second = static_cast<int>(t[i + 1].value);
    i += 2;
  }
  if (d.hour > 23 || d.minute > 59 || d.second > 60) return std::nullopt;

  if ((punct(i, '+') || punct(i, '-')) && number(i + 1) && t[i + 1].digits == 4) {
    const int hh = static_cast<int>(t[i + 1].value / 100), mm = static_cast<int>(t[i + 1].value % 100);
    if (hh > 23 || mm > 59) return std::nullopt;
    d.zone_minutes = (hh * 60 + mm) * (punct(i, '-') ? -1 : 1);
  } else if (word(i)) {
    d.zone_minutes = named_zone(t[i].text).value_or(0);
  }  // no zone: taken as +0000
  return d;
}

}  // namespace mail::mime
