// SPDX-License-Identifier: Apache-2.0
// parsers.h (internal): the per-verb argument parsers parse_command()
// dispatches to. Each starts right after the verb (it reads its own leading
// SP), leaves the lexer after its last argument, and on failure returns
// nullopt with the error recorded in the lexer.
#pragma once
#include <optional>

#include "lexer.h"
#include "mail/imap/command.h"

namespace mail::imap::detail {

using Body = std::optional<CommandBody>;

// parse_auth.cpp
Body parse_authenticate(Lexer& lx);
Body parse_login(Lexer& lx);
// parse_mailbox.cpp
Body parse_select(Lexer& lx, bool examine);
Body parse_create(Lexer& lx);
Body parse_delete(Lexer& lx);
Body parse_rename(Lexer& lx);
Body parse_subscribe(Lexer& lx, bool unsubscribe);
Body parse_status(Lexer& lx);
std::optional<std::vector<StatusItem>> parse_status_items(Lexer& lx);
// parse_list.cpp
Body parse_list(Lexer& lx);
Body parse_lsub(Lexer& lx);
// parse_append.cpp
Body parse_append(Lexer& lx);
// parse_fetch.cpp
Body parse_fetch(Lexer& lx, bool uid);
// parse_search.cpp
Body parse_search(Lexer& lx, bool uid);
Body parse_sort(Lexer& lx, bool uid);
// parse_store_copy.cpp
Body parse_store(Lexer& lx, bool uid);
Body parse_copy(Lexer& lx, bool uid, bool move);
Body parse_uid_expunge(Lexer& lx);
// parse_misc.cpp
Body parse_id(Lexer& lx);
Body parse_enable(Lexer& lx);
Body parse_getquota(Lexer& lx);
Body parse_getquotaroot(Lexer& lx);
Body parse_setquota(Lexer& lx);

}  // namespace mail::imap::detail
