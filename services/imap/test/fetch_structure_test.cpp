// SPDX-License-Identifier: Apache-2.0
// FETCH with stored MIME trees (fetch_octets.h) over real loopback
// connections with the fake store of session_fixture.h, which counts the
// octets each read returns: with the tree stored (as the mda and APPEND
// store it), ENVELOPE, BODY and BODYSTRUCTURE of a 2 MB message read no
// octets, a part or a partial reads only its range (nearby ranges in one
// read), BODY[HEADER...] the header section as before, BODY[] the whole;
// a message without a tree (stored before migration 004) is read and parsed
// once by the first FETCH that needs its tree, which saves it, and a stored
// tree that does not decode or describes another size is replaced; and
// every answer is the same byte for byte with the tree stored or not.
#include "mail/mime/envelope.h"
#include "mail/mime/structure.h"
#include "mail/store/message_structure.h"
#include "session_fixture.h"

namespace {

class FetchStructure : public ImapSession {
 protected:
  // INBOX's third message (UID 9, message id 900) becomes a 2 MB
  // multipart: a short text, a large base64 attachment, a forwarded message.
  void big_third_message() {
    std::string b64;
    while (b64.size() < 2 * 1024 * 1024) b64 += std::string(76, 'Q') + "\r\n";
    text_ = "short text";
    big_ = "From: Big <big@example.test>\r\nTo: demo@example.test\r\nSubject: Big one\r\nMIME-Version: 1.0\r\n"
           "Content-Type: multipart/mixed; boundary=\"zz\"\r\n\r\n--zz\r\nContent-Type: text/plain\r\n\r\n" +
           text_ +
           "\r\n--zz\r\nContent-Type: application/octet-stream; name=\"a.bin\"\r\n"
           "Content-Transfer-Encoding: base64\r\n\r\n" +
           b64 + "\r\n--zz\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\nFrom: x@y.test\r\n\r\ninner body\r\n"
           "--zz--\r\n";
    store_.messages[9] = big_;
    tree_ = mime::parse_structure(big_);
  }
  std::string big_, text_;
  mime::Part tree_;
};

void examine_inbox(Client& c) {
  const std::string r = c.cmd("s", "EXAMINE INBOX");
  EXPECT_NE(r.find("s OK"), std::string::npos) << r;
}

}  // namespace

TEST_F(FetchStructure, StoredTreeAnswersEnvelopeAndBodystructureWithoutOctets) {
  big_third_message();
  store_.store_structures();
  start(true);
  auto c = logged_in();
  examine_inbox(*c);
  EXPECT_EQ(c->cmd("a", "FETCH 3 (ENVELOPE BODY BODYSTRUCTURE)"),
            "* 3 FETCH (ENVELOPE " + mime::imap_envelope(*tree_.envelope) + " BODY " +
                mime::imap_body_structure(tree_, false) + " BODYSTRUCTURE " + mime::imap_body_structure(tree_, true) +
                ")\r\na OK FETCH completed\r\n");
  EXPECT_EQ(store_.reads, (std::vector<std::string>{}));
  EXPECT_EQ(store_.bytes_read.load(), 0u) << "a " << big_.size() << "-octet message, none of it read";
  EXPECT_EQ(store_.saved, (std::vector<int64_t>{})) << "nothing to compute";
  const std::string all = c->cmd("b", "FETCH 1:3 BODYSTRUCTURE");
  EXPECT_NE(all.find("b OK FETCH completed"), std::string::npos) << all;
  EXPECT_EQ(store_.bytes_read.load(), 0u) << "no message of the three read";
  EXPECT_EQ(store_.structure_calls.load(), 2) << "one lookup per batch";
}

TEST_F(FetchStructure, PartsAndPartialsReadOnlyTheirRanges) {
  big_third_message();
  store_.store_structures();
  start(true);
  auto c = logged_in();
  examine_inbox(*c);
  const mime::Part& one = tree_.children[0];
  const mime::Part& two = tree_.children[1];
  const mime::Part& three = tree_.children[2];
  EXPECT_EQ(c->cmd("a", "FETCH 3 BODY.PEEK[1]"),
            "* 3 FETCH (BODY[1] {10}\r\nshort text)\r\na OK FETCH completed\r\n");
  EXPECT_EQ(store_.reads, (std::vector<std::string>{"900[" + std::to_string(one.body_offset) + "+10]"}));
  EXPECT_EQ(store_.bytes_read.load(), 10u);
  store_.reads.clear();
  store_.bytes_read = 0;
  // A partial of the 2 MB part: 20 octets of it.
  EXPECT_EQ(c->cmd("b", "FETCH 3 BODY.PEEK[2]<1000.20>"),
            "* 3 FETCH (BODY[2]<1000> {20}\r\n" + big_.substr(two.body_offset + 1000, 20) + ")\r\nb OK FETCH completed\r\n");
  EXPECT_EQ(store_.bytes_read.load(), 20u);
  // A part's MIME header and body, and the message inside part 3: ranges
  // this close are read at once.
  store_.reads.clear();
  store_.bytes_read = 0;
  const mime::Part& inner = three.children[0];
  auto lit = [](const std::string& s) { return "{" + std::to_string(s.size()) + "}\r\n" + s; };
  EXPECT_EQ(c->cmd("c", "FETCH 3 (BODY.PEEK[1.MIME] BODY.PEEK[1] BODY.PEEK[3.HEADER] BODY.PEEK[3.TEXT])"),
            "* 3 FETCH (BODY[1.MIME] " + lit("Content-Type: text/plain\r\n\r\n") + " BODY[1] " + lit(text_) +
                " BODY[3.HEADER] " + lit("Subject: inner\r\nFrom: x@y.test\r\n\r\n") + " BODY[3.TEXT] " +
                lit("inner body") + ")\r\nc OK FETCH completed\r\n");
  EXPECT_EQ(store_.reads.size(), 2u) << "part 1's header and body in one read, part 3's in another";
  EXPECT_EQ(store_.bytes_read.load(), one.header_size + one.body_size + inner.header_size + inner.body_size);
  // BODY[]<partial> needs no tree; header items read the header section.
  store_.reads.clear();
  store_.bytes_read = 0;
  const int calls = store_.structure_calls.load();
  const int header_calls = store_.header_calls.load();
  EXPECT_EQ(c->cmd("d", "FETCH 3 BODY.PEEK[]<0.4>"), "* 3 FETCH (BODY[]<0> {4}\r\nFrom)\r\nd OK FETCH completed\r\n");
  EXPECT_EQ(store_.structure_calls.load(), calls);
  EXPECT_EQ(c->cmd("e", "FETCH 3 BODY.PEEK[HEADER.FIELDS (Subject)]"),
            "* 3 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {20}\r\nSubject: Big one\r\n\r\n)\r\ne OK FETCH completed\r\n");
  EXPECT_EQ(store_.reads, (std::vector<std::string>{"900[0+4]"})) << "the header section comes from read_headers";
  EXPECT_EQ(store_.header_calls.load(), header_calls + 1);
  EXPECT_EQ(store_.bytes_read.load(), 4u);
  EXPECT_EQ(store_.saved, (std::vector<int64_t>{}));
}

TEST_F(FetchStructure, MessageWithoutTreeIsParsedOnceAndItsTreeSaved) {
  big_third_message();
  start(true);
  auto c = logged_in();
  examine_inbox(*c);
  const std::string want = "* 3 FETCH (BODYSTRUCTURE " + mime::imap_body_structure(tree_, true) + ")\r\n";
  // Before: the whole message is read for its structure (as every FETCH
  // BODYSTRUCTURE did before migration 004)...
  EXPECT_EQ(c->cmd("a", "FETCH 3 BODYSTRUCTURE"), want + "a OK FETCH completed\r\n");
  EXPECT_EQ(store_.reads, (std::vector<std::string>{"900"}));
  EXPECT_EQ(store_.bytes_read.load(), big_.size());
  EXPECT_EQ(store_.saved, (std::vector<int64_t>{900}));
  EXPECT_EQ(store_.structures[900], store::message_structure(big_));
  // ... after: never again.
  EXPECT_EQ(c->cmd("b", "FETCH 3 BODYSTRUCTURE"), want + "b OK FETCH completed\r\n");
  EXPECT_EQ(store_.bytes_read.load(), big_.size());
  EXPECT_EQ(store_.saved.size(), 1u);
  // ENVELOPE alone needs only the header: it does not make a tree.
  EXPECT_EQ(c->cmd("c", "FETCH 1 ENVELOPE").substr(0, 22), "* 1 FETCH (ENVELOPE (\"");
  EXPECT_EQ(store_.reads.back(), "300<144>");
  EXPECT_EQ(store_.saved.size(), 1u);
}

TEST_F(FetchStructure, UnusableStoredTreesAreReplaced) {
  big_third_message();
  start(true);
  auto c = logged_in();
  examine_inbox(*c);
  const std::string want = "* 3 FETCH (BODY " + mime::imap_body_structure(tree_, false) + ")\r\n";
  for (const std::string& bad : {std::string("\x02 a later version"), std::string("\x01\x80"),
                                 store::message_structure(FakeStore::kPlain)}) {  // another message's size
    store_.structures[900] = bad;
    store_.saved.clear();
    EXPECT_EQ(c->cmd("a", "FETCH 3 BODY"), want + "a OK FETCH completed\r\n");
    EXPECT_EQ(store_.saved, (std::vector<int64_t>{900}));
    EXPECT_EQ(store_.structures[900], store::message_structure(big_)) << "replaced";
  }
}

// Every answer is the same whether the tree is stored or computed from the
// message as before (whose answers fetch_store_test.cpp pins byte for byte).
TEST_F(FetchStructure, SameAnswersWithAndWithoutStoredTrees) {
  start(true);
  auto c = logged_in();
  examine_inbox(*c);
  const std::vector<std::string> commands = {
      "FETCH 1:3 (ENVELOPE BODY BODYSTRUCTURE)",
      "FETCH 1:3 (BODY.PEEK[1] BODY.PEEK[1.MIME] BODY.PEEK[2] BODY.PEEK[TEXT]<2.9>)",
      "FETCH 2 (BODY.PEEK[2.HEADER] BODY.PEEK[1.TEXT] BODY.PEEK[3] BODY.PEEK[2.MIME]<3.7> BODY.PEEK[1.1])",
      "FETCH 1:3 (RFC822.HEADER RFC822.TEXT RFC822.SIZE)",
      "FETCH 1:3 (BODY.PEEK[HEADER.FIELDS (Subject)]<0.5> BODY.PEEK[]<10.20> ENVELOPE)",
      "FETCH 1:3 (RFC822 BODYSTRUCTURE)",
      "FETCH 2:3 (BODY.PEEK[] ENVELOPE BODY.PEEK[1]<1.3> BODY.PEEK[HEADER])",  // fewer lines than Client::until takes
      "FETCH 2 (BODY.PEEK[1]<100.5> BODY.PEEK[2]<0.1> BODY.PEEK[TEXT] BODY.PEEK[1.HEADER.FIELDS.NOT (X)])",
      "UID FETCH 1:* (FLAGS BODY.PEEK[1] INTERNALDATE)",
  };
  for (const auto& cmd : commands) {
    SCOPED_TRACE(cmd);
    store_.structures.clear();
    const uint64_t before = store_.bytes_read.load();
    const std::string computed = c->cmd("a", cmd);
    const uint64_t read_computing = store_.bytes_read.load() - before;
    store_.store_structures();
    const std::string stored = c->cmd("a", cmd);
    const uint64_t read_stored = store_.bytes_read.load() - before - read_computing;
    EXPECT_EQ(stored, computed);
    EXPECT_NE(computed.find("a OK"), std::string::npos) << computed;
    EXPECT_LE(read_stored, read_computing);
  }
}
