// SPDX-License-Identifier: Apache-2.0
// Hand-written messages shared by the structure and section tests, built
// from named pieces so that a test can compare a part's bytes with the piece
// it was made of (sizes are then not counted by hand).
#pragma once
#include <string>

namespace mail::mime::test {

// multipart/mixed: a multipart/alternative (text/plain, text/html), a
// message/rfc822 attachment, and a base64 application/pdf with every
// extension field; a preamble and an epilogue.
struct Composite {
  std::string header = "From: a@example.com\r\nSubject: test\r\nMIME-Version: 1.0\r\n"
                       "Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n";
  std::string alt_body = "--inner\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello\r\nWorld"
                         "\r\n--inner\r\nContent-Type: text/html\r\n\r\n<p>Hello</p>\r\n--inner--\r\n";
  std::string inner = "From: \"Doe, Jane\" <jane@example.org>\r\nSubject: inner\r\n"
                      "Message-ID: <m1@example.org>\r\n\r\nInner body\r\n";
  std::string pdf = "JVBERi0xLjQK\r\nJVBERi0xLjQK";
  std::string msg = header + "preamble\r\n--outer\r\nContent-Type: multipart/alternative; boundary=inner\r\n\r\n" +
                    alt_body +
                    "\r\n--outer\r\nContent-Type: message/rfc822\r\n"
                    "Content-Disposition: attachment; filename=fwd.eml\r\n\r\n" +
                    inner +
                    "\r\n--outer\r\nContent-Type: application/pdf; name=\"a.pdf\"\r\n"
                    "Content-Transfer-Encoding: base64\r\nContent-ID: <c1@x>\r\nContent-Description: A file\r\n"
                    "Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\r\nContent-Language: en, de\r\n"
                    "Content-Location: http://x/a.pdf\r\n\r\n" +
                    pdf + "\r\n--outer--\r\nepilogue\r\n";
};

}  // namespace mail::mime::test
