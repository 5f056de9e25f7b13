// SPDX-License-Identifier: Apache-2.0
// Reply parser tests on raw wire text: single and multi-line replies,
// enhanced codes, line ends, every error, limits, pipelined replies, and
// every input fed whole, split at every byte and one byte at a time.
#include <gtest/gtest.h>

#include "mail/smtp/reply_parser.h"

using namespace mail::smtp;

namespace {

std::string describe(const ServerReply& r) {
  std::string e = std::to_string(r.code);
  for (const auto& l : r.lines) e += "|" + l.enhanced + "|" + l.text;
  return e;
}

// Feeds the pieces in order and collects one string per event: each reply
// ("code|enhanced|text" per line), the first error ("!name"), and
// "<partial>" when the input ends inside a reply.
std::vector<std::string> run_pieces(const std::vector<std::string_view>& pieces, const ReplyLimits& limits = {}) {
  ReplyParser p(limits);
  std::vector<std::string> events;
  for (std::string_view in : pieces) {
    while (!in.empty()) {
      ReplyStep s = p.parse(in);
      if (auto* r = std::get_if<ServerReply>(&s)) {
        events.push_back(describe(*r));
      } else if (auto* err = std::get_if<ReplyError>(&s)) {
        events.push_back("!" + std::string(reply_error_name(*err)));
        return events;
      } else {
        EXPECT_TRUE(in.empty());  // NeedMore consumes everything
      }
    }
  }
  if (p.in_reply()) events.push_back("<partial>");
  return events;
}

// `wire` in pieces of `step` bytes (0: whole).
std::vector<std::string> run(std::string_view wire, size_t step, const ReplyLimits& limits = {}) {
  std::vector<std::string_view> pieces;
  for (size_t pos = 0; pos < wire.size(); pos += step == 0 ? wire.size() : step)
    pieces.push_back(wire.substr(pos, step == 0 ? wire.size() : step));
  return run_pieces(pieces, limits);
}

struct Case {
  std::string_view wire;
  std::vector<std::string> want;
};

const Case kCases[] = {
    {"220 mx.example ESMTP ready\r\n", {"220||mx.example ESMTP ready"}},
    {"250 2.1.0 Ok\r\n", {"250|2.1.0|Ok"}},
    {"250 2.1.0\r\n", {"250|2.1.0|"}},
    {"250\r\n", {"250||"}},
    {"250 \r\n", {"250||"}},
    {"250-\r\n250 x\r\n", {"250||||x"}},
    {"354 End data with <CR><LF>.<CR><LF>\r\n", {"354||End data with <CR><LF>.<CR><LF>"}},
    // The class must match the code's first digit; otherwise it is text.
    {"550 2.1.0 odd\r\n", {"550||2.1.0 odd"}},
    {"354 3.0.0 go\r\n", {"354||3.0.0 go"}},
    {"550 5.1.1x no\r\n", {"550||5.1.1x no"}},
    {"550 5.1234.1 no\r\n", {"550||5.1234.1 no"}},
    {"550 5..1 no\r\n", {"550||5..1 no"}},
    {"550 5.7.123 Denied\r\n", {"550|5.7.123|Denied"}},
    {"421 4.4.2  two spaces\r\n", {"421|4.4.2| two spaces"}},
    {"250-mx.example Hello\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250 8BITMIME\r\n",
     {"250||mx.example Hello||PIPELINING||SIZE 1000||8BITMIME"}},
    {"550-5.1.1 The email account that you tried to reach does not exist.\r\n"
     "550 5.1.1 Please try again.\r\n",
     {"550|5.1.1|The email account that you tried to reach does not exist.|5.1.1|Please try again."}},
    // Bare LF ends a line by default; bare CR and controls become spaces.
    {"250 ok\n", {"250||ok"}},
    {"250-a\n250 b\r\n", {"250||a||b"}},
    {"250 a\rb\r\n", {"250||a b"}},
    {"250 a\r\rb\r\n", {"250||a  b"}},
    {"250 a\r\r\n", {"250||a "}},
    {std::string_view("250 a\0b\x1b\tc\r\n", 12), {"250||a b \tc"}},
    {"250 caf\xc3\xa9\r\n", {"250||caf\xc3\xa9"}},
    // Pipelined replies come out one at a time.
    {"250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 go\r\n", {"250|2.1.0|Ok", "250|2.1.5|Ok", "354||go"}},
    // Incomplete.
    {"250 Ok", {"<partial>"}},
    {"250-one\r\n", {"<partial>"}},
    {"250 Ok\r", {"<partial>"}},
    // Errors.
    {"\r\n", {"!bad_code"}},
    {"abc\r\n", {"!bad_code"}},
    {"150 x\r\n", {"!bad_code"}},
    {"650 x\r\n", {"!bad_code"}},
    {"25 x\r\n", {"!bad_code"}},
    {"2500 x\r\n", {"!bad_line"}},
    {"250x\r\n", {"!bad_line"}},
    {"250-a\r\n251 b\r\n", {"!mixed_codes"}},
    {"250-a\r\n550 b\r\n", {"!mixed_codes"}},
    {"250-a\r\n\r\n", {"!bad_code"}},
    {"250 ok\r\n 250 next\r\n", {"250||ok", "!bad_code"}},
};

TEST(ReplyParser, TableWholeSplitAndByteAtATime) {
  for (const auto& c : kCases) {
    EXPECT_EQ(run(c.wire, 0), c.want) << c.wire;
    EXPECT_EQ(run(c.wire, 1), c.want) << c.wire;
    EXPECT_EQ(run(c.wire, 3), c.want) << c.wire;
    // Split in two at every position.
    for (size_t cut = 1; cut < c.wire.size(); ++cut)
      EXPECT_EQ(run_pieces({c.wire.substr(0, cut), c.wire.substr(cut)}), c.want) << "cut " << cut << ": " << c.wire;
  }
}

TEST(ReplyParser, StopsRightAfterTheReply) {
  ReplyParser p;
  std::string_view in = "220 Ready to start TLS\r\n250 injected\r\n";
  auto s = p.parse(in);
  ASSERT_TRUE(std::holds_alternative<ServerReply>(s));
  EXPECT_EQ(std::get<ServerReply>(s).code, 220);
  EXPECT_EQ(in, "250 injected\r\n");  // left for the caller to discard before TLS
  EXPECT_FALSE(p.in_reply());
}

TEST(ReplyParser, ReplyAccessors) {
  auto r = parse_reply("550-5.1.1 no such\r\n550 5.1.1 user\r\n");
  ASSERT_TRUE(std::holds_alternative<ServerReply>(r));
  const auto& reply = std::get<ServerReply>(r);
  EXPECT_EQ(reply.enhanced(), "5.1.1");
  EXPECT_EQ(reply.text(), "no such user");
  EXPECT_EQ(reply.summary(), "550 5.1.1 no such user");
  EXPECT_TRUE(reply.permanent());
  EXPECT_FALSE(reply.transient());
  EXPECT_FALSE(reply.positive());
  auto ok = std::get<ServerReply>(parse_reply("354 go\r\n"));
  EXPECT_TRUE(ok.positive());
  EXPECT_EQ(ok.summary(), "354 go");
  EXPECT_TRUE(std::get<ServerReply>(parse_reply("451 4.3.0 later\r\n")).transient());
  EXPECT_EQ(std::get<ServerReply>(parse_reply("250\r\n")).summary(), "250");
  // parse_reply wants exactly one reply.
  EXPECT_EQ(std::get<ReplyError>(parse_reply("250 a\r\n250 b\r\n")), ReplyError::kBadLine);
  EXPECT_EQ(std::get<ReplyError>(parse_reply("250 a")), ReplyError::kBadLine);
}

TEST(ReplyParser, LineLimit) {
  ReplyLimits limits;
  limits.max_line = 10;
  // Exactly the limit, line end not counted (also with a CR before LF).
  EXPECT_EQ(run("250 678901\r\n", 0, limits), std::vector<std::string>{"250||678901"});
  EXPECT_EQ(run("250 678901\n", 1, limits), std::vector<std::string>{"250||678901"});
  EXPECT_EQ(run("250 6789012\r\n", 0, limits), std::vector<std::string>{"!line_too_long"});
  EXPECT_EQ(run("250 67890\r1\r\n", 1, limits), std::vector<std::string>{"!line_too_long"});
  // Reported as soon as the line is too long, without waiting for its end.
  ReplyParser p(limits);
  std::string_view in = "250 6789012345678";
  auto s = p.parse(in);
  ASSERT_TRUE(std::holds_alternative<ReplyError>(s));
  EXPECT_EQ(std::get<ReplyError>(s), ReplyError::kLineTooLong);
  EXPECT_EQ(in, "345678");
  // Sticky until reset().
  std::string_view more = "250 ok\r\n";
  EXPECT_EQ(std::get<ReplyError>(p.parse(more)), ReplyError::kLineTooLong);
  EXPECT_EQ(more.size(), 8u);
  p.reset();
  EXPECT_TRUE(std::holds_alternative<ServerReply>(p.parse(more)));
}

TEST(ReplyParser, LineCountAndTotalLimits) {
  ReplyLimits limits;
  limits.max_lines = 3;
  EXPECT_EQ(run("250-a\r\n250-b\r\n250 c\r\n", 1, limits), std::vector<std::string>{"250||a||b||c"});
  EXPECT_EQ(run("250-a\r\n250-b\r\n250-c\r\n250 d\r\n", 1, limits), std::vector<std::string>{"!too_many_lines"});
  limits = {};
  limits.max_total = 20;
  EXPECT_EQ(run("250-abcdef\r\n250 xy\r\n", 1, limits), std::vector<std::string>{"250||abcdef||xy"});  // 20 octets
  EXPECT_EQ(run("250-abcdef\r\n250 xyz\r\n", 1, limits), std::vector<std::string>{"!too_big"});
  // The total is per reply: many small replies are fine.
  std::string many;
  for (int i = 0; i < 10; ++i) many += "250 0123456789\r\n";
  EXPECT_EQ(run(many, 7, limits).size(), 10u);
}

TEST(ReplyParser, StrictCrlf) {
  ReplyLimits limits;
  limits.strict_crlf = true;
  EXPECT_EQ(run("250 ok\r\n", 1, limits), std::vector<std::string>{"250||ok"});
  EXPECT_EQ(run("250 ok\n", 1, limits), std::vector<std::string>{"!bare_lf"});
  EXPECT_EQ(run("250\n", 1, limits), std::vector<std::string>{"!bare_lf"});
}

TEST(ReplyParser, ErrorNames) {
  for (auto e : {ReplyError::kBadCode, ReplyError::kBadLine, ReplyError::kMixedCodes, ReplyError::kLineTooLong,
                 ReplyError::kTooManyLines, ReplyError::kTooBig, ReplyError::kBareLf})
    EXPECT_NE(reply_error_name(e), "unknown");
}

}  // namespace
