// SPDX-License-Identifier: Apache-2.0
// IMAP ENVELOPE (RFC 3501 §7.4.2): the envelope fields of a message header
// and their wire form. Pure and bounded (Limits); any header gives an
// envelope. Values are unfolded and trimmed but otherwise raw: RFC 2047
// encoded-words are not decoded, as IMAP returns them as sent.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mail/mime/address.h"
#include "mail/mime/header.h"

namespace mail::mime {

/// nullopt / empty list is NIL. The first field of each name is used.
struct Envelope {
  std::optional<std::string> date;
  std::optional<std::string> subject;
  std::vector<Address> from;
  std::vector<Address> sender;    ///< From when Sender is absent or empty
  std::vector<Address> reply_to;  ///< From when Reply-To is absent or empty
  std::vector<Address> to;
  std::vector<Address> cc;
  std::vector<Address> bcc;
  std::optional<std::string> in_reply_to;
  std::optional<std::string> message_id;
  bool operator==(const Envelope&) const = default;
};

/// The envelope of parsed header fields (see parse_header()).
Envelope envelope_from_fields(const std::vector<Field>& fields, const Limits& limits = {});
/// The envelope of a header section or whole message. A header over the
/// limits gives the envelope of the fields before the limit.
Envelope parse_envelope(std::string_view message, const Limits& limits = {});

/// "(" date SP subject SP from SP sender SP reply-to SP to SP cc SP bcc SP
/// in-reply-to SP message-id ")".
std::string imap_envelope(const Envelope& envelope);
/// An address list as "(" 1*address ")", or NIL when empty.
void append_imap_address_list(std::string& out, const std::vector<Address>& list);
void append_imap_envelope(std::string& out, const Envelope& envelope);

}  // namespace mail::mime
