// SPDX-License-Identifier: Apache-2.0
// imap_session.h: the IMAP session class (see session.h for what it trusts).
// States (RFC 3501 §3): not authenticated → authenticated (→ selected, with
// the mailbox store) → logout. One row per command in kCommands
// (session.cpp): the parser of every command is libs/imap's
// parse_command(), its handler is the row's member function, in
//   session.cpp         CAPABILITY NOOP LOGOUT ID ENABLE NAMESPACE, framing
//   session_auth.cpp    STARTTLS LOGIN AUTHENTICATE
//   session_mailbox.cpp CREATE DELETE RENAME SUBSCRIBE UNSUBSCRIBE LIST LSUB STATUS
//   session_select.cpp  SELECT EXAMINE CLOSE UNSELECT CHECK
//   session_append.cpp  APPEND
//   session_quota.cpp   GETQUOTAROOT GETQUOTA SETQUOTA
//   session_view.cpp    the selected mailbox as the session sees it (sets, flags)
//   session_fetch.cpp   FETCH, UID FETCH
//   session_store.cpp   STORE, UID STORE
//   session_expunge.cpp EXPUNGE, UID EXPUNGE, COPY, MOVE and their UID forms
//   session_search.cpp  SEARCH, SORT and their UID forms (matching: search_match.h)
//   session_idle.cpp    IDLE
//   session_resync.cpp  other sessions' changes into the view (NOOP, CHECK, IDLE)
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "fetch_octets.h"
#include "mail/common/strings.h"
#include "mail/imap/command.h"
#include "mail/imap/framing.h"
#include "mail/net/command_table.h"
#include "mail/net/offload.h"
#include "mail/store/imap_index.h"
#include "session.h"

namespace mail::imapd::detail {

using Clock = std::chrono::steady_clock;

/// The store::Flag bit of a system flag ("\\Seen", any case); 0 for
/// \\Recent (which no client may set); -1 for one RFC 3501 does not define.
int system_flag_bit(std::string_view name);

/// The numbers of `known` that are not in `present` (ascending): what a
/// client knew of that is gone, once the store forgot the expunges
/// (store::Changes::present).
std::vector<uint32_t> missing_uids(const imap::ResolvedSet& known, const std::vector<int64_t>& present);

class Session : public net::Session {
 public:
  Session(const SessionDeps& deps, net::Connection& conn, std::string listener)
      : net::Session(conn, *deps.registry, engine_options(*deps.config)),
        d_(deps),
        cfg_(*deps.config),
        listener_(std::move(listener)),
        id_(common::random_hex(8)),
        started_(Clock::now()) {}

  enum class State { kNotAuthenticated, kAuthenticated, kSelected };

 protected:
  net::awaitable<void> start() override;
  net::awaitable<void> on_frame(std::string frame) override;
  void on_line_too_long() override;
  net::FrameParse parse_frame(std::string_view last_line) override;
  std::string continuation() override;
  void on_frame_too_long() override;
  std::string idle_goodbye() override;
  std::string drain_goodbye() override;
  std::string errors_goodbye(std::string last) override;
  void on_disconnect(net::Status st) override { end_reason_ = net::to_string(st); }
  net::awaitable<void> finish() override;

 private:
  static net::SessionOptions engine_options(const SessionConfig& c);

  using Handler = net::awaitable<void> (Session::*)(const imap::Command&);
  struct Row {
    Handler handle;
  };
  /// Keyed by the index of the command's type in imap::CommandBody.
  static const net::CommandTable<size_t, Row, 35> kCommands;

  // session.cpp
  net::awaitable<void> on_capability(const imap::Command& cmd);
  net::awaitable<void> on_noop(const imap::Command& cmd);
  net::awaitable<void> on_logout(const imap::Command& cmd);
  net::awaitable<void> on_id(const imap::Command& cmd);
  net::awaitable<void> on_enable(const imap::Command& cmd);
  net::awaitable<void> on_namespace(const imap::Command& cmd);
  // session_auth.cpp
  net::awaitable<void> on_starttls(const imap::Command& cmd);
  net::awaitable<void> on_login(const imap::Command& cmd);
  net::awaitable<void> on_authenticate(const imap::Command& cmd);
  /// Checks the password (throttle first, then the directory) and enters
  /// the authenticated state; queues the tagged reply either way.
  net::awaitable<void> login(const std::string& tag, const std::string& user, std::string& password);
  net::awaitable<void> auth_failed(const std::string& tag, const std::string& user);
  // session_mailbox.cpp
  net::awaitable<void> on_create(const imap::Command& cmd);
  net::awaitable<void> on_delete(const imap::Command& cmd);
  net::awaitable<void> on_rename(const imap::Command& cmd);
  net::awaitable<void> on_subscribe(const imap::Command& cmd);  ///< and UNSUBSCRIBE
  net::awaitable<void> on_list(const imap::Command& cmd);       ///< and LSUB
  net::awaitable<void> on_status(const imap::Command& cmd);
  /// A mailbox name from the wire (modified UTF-7, or UTF-8 after ENABLE
  /// UTF8=ACCEPT) as UTF-8; nullopt when it is not validly encoded.
  std::optional<std::string> mailbox_name(const std::string& wire) const;
  /// Queues NO for an undecodable name; true when it did.
  bool bad_name(const imap::Command& cmd, const std::optional<std::string>& name);
  /// The one mapping of the store's refusals to tagged NO [code]; with
  /// `trycreate` a missing mailbox is [TRYCREATE] (APPEND, COPY, MOVE).
  void store_refusal(const imap::Command& cmd, store::Error e, bool trycreate = false);
  /// NO [UNAVAILABLE] for a failed store call (logged).
  void unavailable(const imap::Command& cmd, const common::Error& e);
  /// One store call on the blocking pool, for `cmd`. `f` returns a
  /// common::Result (the infrastructure) of a store::Result (an expected
  /// refusal): on either failure the NO is queued here and nullopt comes
  /// back; otherwise the value.
  template <class F>
  auto ask_store(const imap::Command& cmd, F f, bool trycreate = false)
      -> net::awaitable<std::optional<std::remove_cvref_t<decltype(f().value().value())>>> {
    using T = std::remove_cvref_t<decltype(f().value().value())>;
    auto r = co_await net::offload(*d_.blocking, std::move(f));
    if (!r.ok()) {
      unavailable(cmd, r.error());
      co_return std::nullopt;
    }
    if (!r->ok()) {
      store_refusal(cmd, r->error(), trycreate);
      co_return std::nullopt;
    }
    co_return std::optional<T>(std::move(r->value()));
  }
  // session_select.cpp
  net::awaitable<void> on_select(const imap::Command& cmd);  ///< and EXAMINE
  net::awaitable<void> on_close(const imap::Command& cmd);
  net::awaitable<void> on_unselect(const imap::Command& cmd);
  net::awaitable<void> on_check(const imap::Command& cmd);
  void deselect();
  /// SELECT (QRESYNC (...)) with the mailbox's UIDVALIDITY: VANISHED
  /// (EARLIER) and FETCH for what changed since the client's MODSEQ; false
  /// after queuing the NO (and deselecting).
  net::awaitable<bool> qresync_select(const imap::Command& cmd, const imap::Qresync& q);
  // session_append.cpp
  net::awaitable<void> on_append(const imap::Command& cmd);
  // session_quota.cpp
  net::awaitable<void> on_getquotaroot(const imap::Command& cmd);
  net::awaitable<void> on_getquota(const imap::Command& cmd);
  net::awaitable<void> on_setquota(const imap::Command& cmd);
  // session_view.cpp: the session's view of the selected mailbox
  // (selected_->index; sequence number = position + 1).
  /// The sequence numbers `set` names in the view (a UID set: the messages
  /// of those UIDs present). nullopt after queuing BAD (a sequence number
  /// beyond EXISTS, "$" before SEARCH exists).
  std::optional<imap::ResolvedSet> resolve_view(const imap::Command& cmd, const imap::SequenceSet& set, bool uid);
  /// The sequence numbers a set names, without checks: clipped to the view
  /// ("$": the saved result).
  imap::ResolvedSet view_set(const imap::SequenceSet& set, bool uid) const;
  /// The FLAGS of the message at `pos`: system flags, \Recent, keywords.
  std::vector<std::string> view_flags(size_t pos) const;
  /// The view's position of `uid`, or nullopt.
  std::optional<size_t> view_position(int64_t uid) const;
  /// "* n FETCH (FLAGS (...))" for the message at `pos` as an unsolicited
  /// update: with UID under QRESYNC (or `uid`), and its `modseq` (the
  /// store's, with the flags the view took) under CONDSTORE.
  std::string flags_update(size_t pos, int64_t modseq, bool uid = false) const;
  /// Takes the store's state of the message at `pos` (read with its MODSEQ)
  /// into the view; true when its flags or keywords differ from the view's.
  bool view_refresh(size_t pos, const store::MessageMeta& meta);
  /// Takes a message's new flags and keywords from the store into the view;
  /// queues * FLAGS when a keyword is new to the mailbox.
  void view_update(size_t pos, const store::IndexEntry& e);
  // session_fetch.cpp
  net::awaitable<void> on_fetch(const imap::Command& cmd);
  enum class FetchRead { kDone, kGone, kFailed };
  /// Reads into m what `plan` needs of one message (fetch_octets.h), its
  /// stored tree being *stored (nullptr: not looked up or not found), its
  /// header section *header when the caller read it already (taken):
  /// kGone when the store no longer has it, kFailed after queuing NO.
  net::awaitable<FetchRead> read_for_fetch(const imap::Command& cmd, const FetchPlan& plan,
                                           const std::vector<imap::FetchItem>& items, const store::MessageMeta& meta,
                                           const std::optional<std::string>* stored, std::string* header,
                                           MessageOctets& m);
  /// One read of a message's octets into out: [offset, offset + length)
  /// when `range`, else its first `length` (SIZE_MAX: all of it).
  net::awaitable<FetchRead> read_octets(const imap::Command& cmd, int64_t message_id, uint64_t offset,
                                        uint64_t length, bool range, std::string& out);
  // session_store.cpp
  net::awaitable<void> on_store(const imap::Command& cmd);
  // session_expunge.cpp
  net::awaitable<void> on_expunge(const imap::Command& cmd);  ///< and UID EXPUNGE
  net::awaitable<void> on_copy(const imap::Command& cmd);     ///< COPY, MOVE and their UID forms
  /// The UIDs `set` names in the view; nullopt after queuing BAD.
  std::optional<std::vector<int64_t>> view_uids(const imap::Command& cmd, const imap::SequenceSet& set, bool uid);
  /// Announces `* n EXPUNGE` for those of `uids` (ascending) in the view and
  /// takes them out of it.
  void view_expunged(const std::vector<int64_t>& uids);
  /// Queues NO [READ-ONLY] after EXAMINE; true when it did.
  bool refuse_read_only(const imap::Command& cmd);
  /// After a commit that changed `mailbox_id` (now at `modseq`): tell the
  /// other sessions and replicas (a hint; they read the store).
  net::awaitable<void> announce(int64_t mailbox_id, int64_t modseq);
  // session_search.cpp
  net::awaitable<void> on_search(const imap::Command& cmd);  ///< SEARCH, UID SEARCH, ESEARCH, SAVE
  net::awaitable<void> on_sort(const imap::Command& cmd);    ///< SORT, UID SORT
  /// The view's sequence numbers (ascending) of the messages `key`
  /// matches; nullopt after queuing the NO. `modseq` gets the highest
  /// MODSEQ of the matches when the program has a MODSEQ key.
  net::awaitable<std::optional<std::vector<uint32_t>>> search_view(const imap::Command& cmd,
                                                                   const imap::SearchKey& key,
                                                                   const std::optional<std::string>& charset,
                                                                   std::optional<uint64_t>& modseq);
  // session_idle.cpp
  net::awaitable<void> on_idle(const imap::Command& cmd);
  // session_resync.cpp
  /// Untagged EXPUNGE / FETCH FLAGS / EXISTS for what changed in the
  /// selected mailbox since view_modseq_.
  net::awaitable<void> resync();

  std::vector<std::string> capabilities() const;
  bool plaintext_ok() const { return conn().tls() || cfg_.allow_plaintext_auth; }
  /// A tagged reply; counted by condition. BAD and NO for bad input count
  /// toward max_errors (error = true).
  void reply(const std::string& wire, std::string_view condition, bool error = false);
  void close_with(std::string reason) {
    end_reason_ = std::move(reason);
    close_after_flush();
  }

  SessionDeps d_;
  const SessionConfig& cfg_;
  std::string listener_;
  std::string id_;  ///< for logs
  Clock::time_point started_;

  State state_ = State::kNotAuthenticated;
  size_t auth_failures_ = 0;
  std::string end_reason_ = "eof";
  std::vector<std::string> enabled_;  ///< ENABLE'd capabilities
  /// RFC 7162: CONDSTORE is on once ENABLE'd or after a CONDSTORE-enabling
  /// command (SELECT (CONDSTORE), FETCH MODSEQ or CHANGEDSINCE, STORE
  /// UNCHANGEDSINCE, SEARCH MODSEQ): unsolicited FETCH then carries MODSEQ.
  /// QRESYNC (only by ENABLE) implies it: expunges are VANISHED, and
  /// unsolicited FETCH carries the UID.
  bool condstore_ = false;
  bool qresync_ = false;

  // Framing: the tag and kind of the frame being read, for a refusal of
  // an oversized literal (the engine does not hand that frame over).
  bool frame_start_ = true;
  std::optional<std::string> frame_tag_;
  imap::FrameInfo frame_literal_;

  // Authenticated.
  std::string user_;
  int64_t account_id_ = 0;
  bool userip_held_ = false;  ///< a UserIpLimit slot, released in finish()
  bool utf8_ = false;  ///< ENABLE UTF8=ACCEPT (RFC 6855): names in UTF-8 on the wire

  // Selected.
  std::optional<store::Selected> selected_;
  bool read_only_ = false;  ///< EXAMINE
  int64_t view_modseq_ = 0;  ///< the mailbox's MODSEQ the view reflects
  std::vector<int64_t> saved_uids_;  ///< RFC 5182 "$", ascending UIDs
};

}  // namespace mail::imapd::detail
