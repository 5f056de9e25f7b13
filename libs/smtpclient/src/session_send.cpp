// SPDX-License-Identifier: Apache-2.0
// session_send.cpp: one mail transaction as a client (RFC 5321 3.3, 4.1.1.2
// to 4.1.1.5; SIZE RFC 1870, 8BITMIME RFC 6152, SMTPUTF8 RFC 6531,
// PIPELINING RFC 2920): MAIL, the RCPTs, DATA, the body, the final reply;
// one outcome per recipient, in order.
//
// Rules:
// - Refused before anything is sent: a message over the server's SIZE
//   (permfail 5.3.4 for all), one that needs SMTPUTF8 from a server without
//   it (permfail 5.6.7 for all), a sender that cannot be formatted (5.1.7
//   for all), each recipient that cannot be (5.1.3 for it).
// - MAIL carries SIZE= when offered, BODY=8BITMIME for an 8-bit body when
//   8BITMIME is offered; without 8BITMIME an 8-bit body goes as it is
//   (Postfix's default; most servers take it) and a note says so.
// - With PIPELINING, MAIL and the RCPTs go out in groups of
//   pipeline_group commands, each group's replies read in order before the
//   next group; without it, one command and its reply at a time. DATA is
//   never pipelined: it is sent only once a recipient has been accepted, so
//   a server that answers 354 to a transaction without recipients never
//   sees our body.
// - A 5xx to MAIL is a permfail for all, a 4xx a tempfail for all (the
//   RCPT replies are still read, to stay in step). A refused RCPT gets its
//   reply; the accepted ones get the reply to DATA or the final reply.
// - Any connection failure, timeout, malformed reply, unexpected reply
//   code or 421: every recipient not yet finally answered gets a tempfail
//   (our words, or the 421), the connection is closed and the session is
//   no longer usable. A body source error does the same: the connection is
//   dropped rather than the message ended, so no truncated copy is ever
//   delivered.
// - A transaction that did not reach its final reply is reset with RSET
//   before the next one (not after it: a session that ends next needs none).
//
// Trusts: nothing from the server; the body's bytes are stuffed and their
// line ends made CRLF by DotStuffer, whatever they hold.
// Diagnostics: the outcomes' texts; notes().
#include "mail/smtp/client_command.h"
#include "mail/smtp/data.h"
#include "mail/smtpclient/session.h"
#include "wire.h"

namespace mail::smtp::client {

using detail::ReplyOrError;
using detail::WireError;
using detail::describe;
using detail::local_enhanced;
using detail::local_tempfail;
using detail::outcome_from;
using Kind = RecipientOutcome::Kind;

// The outcomes of one transaction and which of them are final.
struct ClientSession::Transaction {
  explicit Transaction(size_t n) : out(n), done(n, 0) {}
  void set(size_t i, RecipientOutcome o) {
    out[i] = std::move(o);
    done[i] = 1;
  }
  // Every recipient without a final outcome gets `o` (the final reply, or a failure).
  void answer_rest(const RecipientOutcome& o) {
    for (size_t i = 0; i < out.size(); ++i)
      if (!done[i]) set(i, o);
  }
  void fail_all(const RecipientOutcome& o) {
    for (size_t i = 0; i < out.size(); ++i) set(i, o);
  }
  std::vector<RecipientOutcome> out;
  std::vector<char> done;
  std::vector<size_t> accepted;  // indexes accepted at RCPT, waiting for the final reply
};

namespace {

RecipientOutcome permfail(std::string enhanced, std::string text) {
  return RecipientOutcome{Kind::permfail, 0, std::move(enhanced), std::move(text)};
}

// A reply the conversation does not allow here (a 3xx to MAIL, a 250 to DATA).
RecipientOutcome unexpected(const ServerReply& reply, std::string_view what) {
  return RecipientOutcome{Kind::tempfail, reply.code, "4.5.0",
                          "unexpected reply to " + std::string(what) + ": " + reply.summary()};
}

}  // namespace

net::awaitable<std::vector<RecipientOutcome>> ClientSession::send(const OutboundMessage& msg, BodySource& body) {
  notes_.resize(open_notes_);
  Transaction t(msg.recipients.size());
  if (msg.recipients.empty()) co_return std::move(t.out);
  if (!usable()) {
    t.fail_all(local_tempfail("4.4.2", "the connection to " + peer() + " is no longer usable"));
    co_return std::move(t.out);
  }
  if (caps_.size && caps_.max_size > 0 && msg.size > caps_.max_size) {
    t.fail_all(permfail("5.3.4", "message too big for the server: " + std::to_string(msg.size) +
                                     " bytes, it takes at most " + std::to_string(caps_.max_size) + " (SIZE)"));
    co_return std::move(t.out);
  }
  if (msg.smtputf8 && !caps_.smtputf8) {
    t.fail_all(permfail("5.6.7", "the message needs SMTPUTF8, which the server does not offer"));
    co_return std::move(t.out);
  }

  MailParams mp;
  if (caps_.size) mp.size = msg.size;
  if (msg.eightbit && caps_.eightbitmime) mp.body = BodyType::k8BitMime;
  if (msg.eightbit && !caps_.eightbitmime) notes_.push_back("8-bit body sent as it is: the server does not offer 8BITMIME");
  mp.smtputf8 = msg.smtputf8;
  Formatted mail = format_mail(msg.sender, mp);
  if (auto* e = std::get_if<FormatError>(&mail)) {
    t.fail_all(permfail("5.1.7", "the sender address cannot be sent: " + std::string(format_error_name(*e))));
    co_return std::move(t.out);
  }
  RcptParams rp;
  rp.smtputf8 = msg.smtputf8;
  std::vector<std::pair<size_t, std::string>> rcpts;  // recipient index, command line
  for (size_t i = 0; i < msg.recipients.size(); ++i) {
    Formatted line = format_rcpt(msg.recipients[i], rp);
    if (auto* e = std::get_if<FormatError>(&line))
      t.set(i, permfail("5.1.3", "the recipient address cannot be sent: " + std::string(format_error_name(*e))));
    else
      rcpts.emplace_back(i, std::move(std::get<std::string>(line)));
  }
  if (rcpts.empty()) co_return std::move(t.out);

  if (need_rset_) {
    const bool reset = co_await rset(t);
    if (!reset) co_return std::move(t.out);
  }
  co_await envelope(std::get<std::string>(mail), rcpts, t);
  const bool go_on = !t.accepted.empty() && !broken_;
  if (go_on) co_await data(body, t);
  co_return std::move(t.out);
}

net::awaitable<bool> ClientSession::rset(Transaction& t) {
  ReplyOrError got = co_await wire_->command(kRset, opts_.rset_timeout);
  if (auto* e = std::get_if<WireError>(&got)) {
    fail_connection();
    t.fail_all(local_tempfail(local_enhanced(*e), describe(*e, "RSET")));
    co_return false;
  }
  const ServerReply& reply = std::get<ServerReply>(got);
  if (reply.code / 100 == 2) {
    need_rset_ = false;
    co_return true;
  }
  // A server that will not reset cannot be trusted with the next message.
  fail_connection();
  t.fail_all(RecipientOutcome{Kind::tempfail, reply.code, "4.5.0", "RSET refused: " + reply.summary()});
  co_return false;
}

net::awaitable<void> ClientSession::envelope(const std::string& mail,
                                             const std::vector<std::pair<size_t, std::string>>& rcpts,
                                             Transaction& t) {
  const bool pipelining = caps_.pipelining;
  const size_t group = pipelining ? std::max<size_t>(1, opts_.pipeline_group) : 1;
  std::optional<ServerReply> mail_refused;
  bool mail_sent = false;
  size_t next = 0;  // the next RCPT to send
  std::string batch;
  need_rset_ = true;  // from the moment MAIL goes out until the final reply
  while (!mail_sent || next < rcpts.size()) {
    const bool with_mail = !mail_sent;
    const size_t first = next;
    batch.clear();
    if (with_mail) batch = mail;
    if (pipelining || !with_mail)
      while (next < rcpts.size() && next - first < group) batch += rcpts[next++].second;
    mail_sent = true;
    const char* const what = with_mail ? "MAIL" : "RCPT";
    const std::chrono::milliseconds write_timeout = with_mail ? opts_.mail_timeout : opts_.rcpt_timeout;
    std::optional<WireError> failed = co_await wire_->write(batch, write_timeout);
    if (failed) {
      fail_connection();
      t.answer_rest(local_tempfail(local_enhanced(*failed), describe(*failed, what)));
      co_return;
    }
    if (with_mail) {
      ReplyOrError got = co_await wire_->read_reply(opts_.mail_timeout);
      if (auto* e = std::get_if<WireError>(&got)) {
        fail_connection();
        t.answer_rest(local_tempfail(local_enhanced(*e), describe(*e, "MAIL")));
        co_return;
      }
      const ServerReply& reply = std::get<ServerReply>(got);
      if (reply.code == 421 || (reply.code / 100 != 2 && !reply.transient() && !reply.permanent())) {
        fail_connection();
        t.answer_rest(reply.code == 421 ? outcome_from(reply) : unexpected(reply, "MAIL"));
        co_return;
      }
      if (reply.code / 100 != 2) {
        mail_refused = reply;
        if (!pipelining) {  // nothing else was sent
          t.answer_rest(outcome_from(reply));
          co_return;
        }
      }
    }
    for (size_t k = first; k < next; ++k) {
      const size_t index = rcpts[k].first;
      ReplyOrError got = co_await wire_->read_reply(opts_.rcpt_timeout);
      if (auto* e = std::get_if<WireError>(&got)) {
        fail_connection();
        t.answer_rest(local_tempfail(local_enhanced(*e), describe(*e, "RCPT")));
        co_return;
      }
      const ServerReply& reply = std::get<ServerReply>(got);
      if (reply.code == 421) {
        fail_connection();
        t.answer_rest(mail_refused ? outcome_from(*mail_refused) : outcome_from(reply));
        co_return;
      }
      if (mail_refused) {
        t.set(index, outcome_from(*mail_refused));  // the RCPT reply (503) says nothing more
      } else if (reply.code / 100 == 2) {
        t.accepted.push_back(index);
      } else if (reply.transient() || reply.permanent()) {
        t.set(index, outcome_from(reply));
      } else {
        fail_connection();
        t.answer_rest(unexpected(reply, "RCPT"));
        co_return;
      }
    }
  }
  if (mail_refused) t.answer_rest(outcome_from(*mail_refused));
}

net::awaitable<void> ClientSession::data(BodySource& body, Transaction& t) {
  ReplyOrError got = co_await wire_->command(kData, opts_.data_init_timeout);
  if (auto* e = std::get_if<WireError>(&got)) {
    fail_connection();
    t.answer_rest(local_tempfail(local_enhanced(*e), describe(*e, "DATA")));
    co_return;
  }
  {
    const ServerReply& reply = std::get<ServerReply>(got);
    if (reply.code != 354) {
      if (reply.code == 421 || (!reply.transient() && !reply.permanent())) {
        fail_connection();
        t.answer_rest(reply.code == 421 ? outcome_from(reply) : unexpected(reply, "DATA"));
      } else {
        t.answer_rest(outcome_from(reply));
      }
      co_return;
    }
  }

  DotStuffer stuffer;
  std::string out;
  for (;;) {
    common::Result<std::string> chunk = co_await body.next();
    if (!chunk) {
      // Ending the data now would deliver a truncated message: drop the
      // connection instead, so the server discards the transaction.
      fail_connection();
      t.answer_rest(local_tempfail("4.3.0", "cannot read the message body: " + chunk.error().message));
      co_return;
    }
    if (chunk->empty()) break;
    out.clear();
    stuffer.feed(*chunk, out);
    std::optional<WireError> failed = co_await wire_->write(out, opts_.data_block_timeout);
    if (failed) {
      fail_connection();
      t.answer_rest(local_tempfail(local_enhanced(*failed), describe(*failed, "the message body")));
      co_return;
    }
  }
  out.clear();
  stuffer.finish(out);
  std::optional<WireError> failed = co_await wire_->write(out, opts_.data_block_timeout);
  if (failed) {
    fail_connection();
    t.answer_rest(local_tempfail(local_enhanced(*failed), describe(*failed, "the end of data")));
    co_return;
  }
  std::string().swap(out);

  ReplyOrError final_reply = co_await wire_->read_reply(opts_.data_end_timeout);
  if (auto* e = std::get_if<WireError>(&final_reply)) {
    // The server may have taken the message before it went silent: a retry
    // may deliver it twice, which is the at-least-once promise.
    fail_connection();
    t.answer_rest(local_tempfail(local_enhanced(*e), describe(*e, "end of data") + " (the message may have been delivered)"));
    co_return;
  }
  const ServerReply& reply = std::get<ServerReply>(final_reply);
  if (reply.code / 100 == 2 || reply.transient() || reply.permanent()) {
    need_rset_ = false;
    t.answer_rest(outcome_from(reply));
    if (reply.code == 421) fail_connection();
    co_return;
  }
  fail_connection();
  t.answer_rest(unexpected(reply, "end of data"));
}

}  // namespace mail::smtp::client
