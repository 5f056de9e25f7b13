// SPDX-License-Identifier: Apache-2.0
// decode.h: the decoding steps between stored bytes and searchable UTF-8
// text, for IMAP SEARCH (RFC 3501 §6.4.4) and SORT (RFC 5256): charset
// conversion (glibc iconv), RFC 2047 / RFC 2231 encoded words in header
// values, and the base64 / quoted-printable Content-Transfer-Encodings.
// Pure: no locale, no logging, no I/O of ours (iconv_open may load glibc's
// gconv modules). Trusts nothing: any bytes and any charset name in; the
// output is bounded by a small multiple of the input. Broken input is
// repaired (U+FFFD, ISO-8859-1, kept as written) as each function says,
// never an error.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace mail::mime {

/// Converts bytes in charset to UTF-8 with glibc iconv. Charset names are
/// case-insensitive, surrounding spaces ignored, aliases as iconv knows them
/// (us-ascii, utf-8, iso-8859-1..16, windows-1250..1258, koi8-r, koi8-u,
/// gbk, gb18030, big5, euc-jp, iso-2022-jp, euc-kr, utf-16, utf-32, ...),
/// plus the mail names iconv lacks or that mail uses for a superset:
/// ks_c_5601-1987 and euc-kr → CP949, gb2312 → GBK, shift_jis / x-sjis →
/// CP932, iso-8859-N-i → iso-8859-N, x-mac-roman → MACINTOSH,
/// unicode-1-1-utf-7 → UTF-7. Names with characters outside
/// [A-Za-z0-9._:+()-] (so no "//TRANSLIT" suffix) or over 64 bytes are
/// unknown.
///
/// - utf-8 (utf8), us-ascii (ascii, ansi_x3.4-1968, ...) and the empty
///   name (no charset given): valid UTF-8 sequences are kept (mail labelled
///   us-ascii often is UTF-8) and every other byte becomes U+FFFD, one per
///   byte. Never nullopt.
/// - a charset iconv knows: converted; an invalid sequence becomes one
///   U+FFFD and decoding resumes one code unit later (2 bytes for
///   UTF-16/UCS-2, 4 for UTF-32/UCS-4, else 1); a truncated sequence at the
///   end becomes one U+FFFD. Never nullopt.
/// - a charset iconv does not know: the bytes unchanged when they are valid
///   UTF-8 (so pure ASCII always converts), else nullopt.
/// The result is always valid UTF-8, at most about 4 bytes per input byte.
/// Use charset_known() to tell an unknown charset apart (SEARCH CHARSET →
/// NO [BADCHARSET]): to_utf8 succeeds for it on ASCII input.
std::optional<std::string> to_utf8(std::string_view bytes, std::string_view charset);

/// Whether to_utf8 really converts from charset (utf-8, us-ascii and their
/// aliases, the mail aliases above, and anything iconv opens). False for
/// "" and for names to_utf8 treats as unknown.
bool charset_known(std::string_view charset);

/// bytes as UTF-8 when they are: every valid UTF-8 sequence kept, every
/// other byte taken as ISO-8859-1. Always valid UTF-8, at most 2 bytes per
/// input byte. What decode_header_value does with raw 8-bit text and
/// body_text() with text in an unknown charset.
std::string utf8_or_latin1(std::string_view bytes);

/// Decodes the RFC 2047 encoded words of an unstructured header value (a
/// Field::value, folded or not) to UTF-8.
///
/// - Encoded words "=?charset?B|Q?text?=" are decoded wherever they occur
///   (also inside comments, quoted strings and next to other text, as
///   lenient readers do), with any charset to_utf8 knows and the RFC 2231
///   "charset*language" form (language dropped). Q: "_" is a space, "=XY"
///   a byte (hex digits in either case), an invalid "=" is kept. B: as
///   decode_base64().
/// - The bytes of adjacent encoded words of the same charset are joined
///   before conversion (senders split multi-byte characters across words).
/// - Whitespace between two adjacent encoded words is dropped when both
///   decode; words that cannot be decoded (charset unknown to to_utf8,
///   unknown encoding, no "?=", whitespace or control characters inside)
///   are left as written.
/// - Folding is unfolded: every CR and LF byte of the raw value is removed
///   (in a header value they only occur as folds); leading and trailing
///   spaces and tabs are removed. An encoded word may still decode to a
///   line end ("=0A"): it is kept.
/// - Other text: valid UTF-8 kept, other bytes taken as ISO-8859-1
///   (utf8_or_latin1).
/// The result is valid UTF-8 and at most 4 bytes per input byte. Linear.
std::string decode_header_value(std::string_view raw_value);

/// Content-Transfer-Encoding decoding of a part's body. `encoding` as
/// Part::encoding holds it (lowercased; compared case-insensitively here):
/// "base64" → decode_base64(), "quoted-printable" →
/// decode_quoted_printable(); anything else (7bit, 8bit, binary,
/// x-uuencode, unknown, nullopt) → the body unchanged. Never larger than
/// the body.
std::string decode_transfer(std::string_view body, const std::optional<std::string>& encoding);

/// Tolerant base64 (RFC 2045 §6.8): bytes outside the alphabet (line ends,
/// spaces, junk) are skipped, decoding stops at the first "="; a final
/// group of 2 or 3 characters gives 1 or 2 bytes, a lone one is dropped.
std::string decode_base64(std::string_view text);

/// Tolerant quoted-printable (RFC 2045 §6.7): "=XY" (either case) is a
/// byte; "=" then optional spaces/tabs then a line end (CRLF or LF), or the
/// end of input, is a soft line break; any other "=" is kept as written;
/// spaces and tabs before a line end or the end of input are dropped; line
/// ends are kept as they are.
std::string decode_quoted_printable(std::string_view text);

}  // namespace mail::mime
