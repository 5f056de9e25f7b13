// SPDX-License-Identifier: Apache-2.0
// resolver.cpp: the c-ares channel behind mail::dns::Resolver, driven from
// Asio (see resolver.h for the contract).
//
// How it runs: everything that touches the channel runs on the Impl's
// strand. A lookup posts its query there; c-ares tells us through its
// socket-state callback which sockets to watch, and we keep one Watch per
// socket (a stream_descriptor over c-ares' own fd, released, never closed,
// when c-ares says it is done with it); readiness calls ares_process_fd; a
// steady_timer wakes c-ares for its retransmissions (ares_timeout). Each
// query also has a deadline timer of its own, since c-ares doubles its
// timeout every round. The answer is parsed inside c-ares' callback (the
// buffer lives only that long) and posted to the awaiting coroutine's
// executor, with outstanding work held on it meanwhile, as net::offload does.
//
// Lifetime: Resolver holds the only strong reference to its Impl; every
// handler holds a weak one and locks it first, so the Impl is destroyed
// either by ~Resolver while no handler of it runs, or at the end of its last
// running handler, never while the channel is in use on another thread.
// ~Impl releases the sockets, then ares_destroy() completes every query
// still pending (ARES_EDESTRUCTION: tempfail, "resolver shut down").
//
// Trusts: nothing from the network; c-ares parses, we bound and check.
// Diagnostics: Answer::error, one line per lookup; nothing is logged here.
#include "mail/dns/resolver.h"

#include <ares.h>
#include <netinet/in.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <vector>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <cstring>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <unordered_map>

#include "mail/common/config.h"
#include "mail/dns/mx_plan.h"

namespace mail::dns {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using Address = asio::ip::address;

constexpr int kClassIn = 1;
constexpr int kTypeA = 1;
constexpr int kTypeMx = 15;
constexpr int kTypeAaaa = 28;

const char* type_name(int type) {
  switch (type) {
    case kTypeA:
      return "A";
    case kTypeAaaa:
      return "AAAA";
    case kTypeMx:
      return "MX";
  }
  return "?";
}

void library_init() {
  static std::once_flag once;
  static int rc = ARES_SUCCESS;
  std::call_once(once, [] { rc = ares_library_init(ARES_LIB_INIT_ALL); });
  if (rc != ARES_SUCCESS) throw std::runtime_error(std::string("dns: c-ares library init: ") + ares_strerror(rc));
}

// "192.0.2.1", "192.0.2.1:5353", "[2001:db8::1]:53", "[::1]", "2001:db8::1".
ares_addr_port_node parse_server(const std::string& text) {
  auto bad = [&text](const char* why) {
    return common::ConfigError("dns server \"" + text + "\": " + why);
  };
  std::string host = text;
  std::string port;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string::npos) throw bad("unbalanced '['");
    host = text.substr(1, close - 1);
    const std::string rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') throw bad("expected ':port' after ']'");
      port = rest.substr(1);
      if (port.empty()) throw bad("empty port");
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    const size_t colon = text.find(':');
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (port.empty()) throw bad("empty port");
  }
  int port_number = 53;
  if (!port.empty()) {
    if (port.size() > 5 || !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }))
      throw bad("the port is not a number");
    port_number = std::stoi(port);
    if (port_number < 1 || port_number > 65535) throw bad("the port is not in 1..65535");
  }
  error_code ec;
  const Address address = asio::ip::make_address(host, ec);
  if (ec) throw bad("not an IP address (the resolver's servers cannot be host names)");
  ares_addr_port_node node{};
  if (address.is_v4()) {
    node.family = AF_INET;
    const auto bytes = address.to_v4().to_bytes();
    std::memcpy(&node.addr.addr4, bytes.data(), bytes.size());
  } else {
    if (address.to_v6().scope_id() != 0) throw bad("scoped IPv6 addresses are not supported");
    node.family = AF_INET6;
    const auto bytes = address.to_v6().to_bytes();
    std::memcpy(node.addr.addr6._S6_un._S6_u8, bytes.data(), bytes.size());
  }
  node.udp_port = port_number;
  node.tcp_port = port_number;
  return node;
}

// The Answer for a query that produced no records, from a c-ares status.
template <class T>
Answer<T> failure(const std::string& name, int type, int status, std::chrono::milliseconds deadline) {
  Answer<T> a;
  const std::string what = name + " " + type_name(type) + ": ";
  switch (status) {
    case ARES_ENODATA:
      a.status = Status::nodata;
      a.error = what + "no " + type_name(type) + " records";
      return a;
    case ARES_ENOTFOUND:
      a.status = Status::nxdomain;
      a.error = name + ": no such domain (NXDOMAIN)";
      return a;
    case ARES_EBADNAME:
      a.status = Status::nxdomain;
      a.error = name + ": not a valid domain name";
      return a;
    case ARES_ESERVFAIL:
      a.error = what + "SERVFAIL";
      break;
    case ARES_EREFUSED:
      a.error = what + "REFUSED";
      break;
    case ARES_ENOTIMP:
      a.error = what + "NOTIMP";
      break;
    case ARES_EFORMERR:
      a.error = what + "FORMERR";
      break;
    case ARES_ETIMEOUT:
      a.error = what + "timed out (no answer within " + std::to_string(deadline.count()) + " ms)";
      break;
    case ARES_ECONNREFUSED:
      // c-ares 1.18 moves on to the next server (and the next try) after
      // SERVFAIL, REFUSED or NOTIMP, and when all have failed it reports
      // this, without saying which; later versions report the rcode.
      a.error = what + "no usable answer from any server (SERVFAIL, REFUSED or unreachable)";
      break;
    case ARES_EBADRESP:
      a.error = what + "malformed reply";
      break;
    case ARES_ECANCELLED:
    case ARES_EDESTRUCTION:
      a.error = what + "resolver shut down";
      break;
    default:
      a.error = what + ares_strerror(status);
      break;
  }
  a.status = Status::tempfail;
  return a;
}

Answer<MxRecord> parse_mx(const std::string& name, int status, const unsigned char* abuf, int alen,
                          std::chrono::milliseconds deadline) {
  if (status != ARES_SUCCESS) return failure<MxRecord>(name, kTypeMx, status, deadline);
  ares_mx_reply* head = nullptr;
  const int rc = ares_parse_mx_reply(abuf, alen, &head);
  if (rc != ARES_SUCCESS) return failure<MxRecord>(name, kTypeMx, rc == ARES_EBADNAME ? ARES_EBADRESP : rc, deadline);
  std::unique_ptr<ares_mx_reply, void (*)(void*)> owner(head, &ares_free_data);
  Answer<MxRecord> a;
  size_t total = 0;
  size_t malformed = 0;
  for (const ares_mx_reply* r = head; r != nullptr; r = r->next) {
    ++total;
    if (a.records.size() >= kMaxMxRecords) continue;
    const std::string_view host = r->host != nullptr ? std::string_view(r->host) : std::string_view();
    if (host.empty() || host == ".") {
      a.records.push_back({r->priority, "."});
      continue;
    }
    std::string normalized = normalize_host_name(host);
    if (normalized.empty()) {
      ++malformed;
      continue;
    }
    a.records.push_back({r->priority, std::move(normalized)});
  }
  const std::string what = name + " MX: ";
  if (a.records.empty()) {
    if (total == 0) return failure<MxRecord>(name, kTypeMx, ARES_ENODATA, deadline);
    a.status = Status::tempfail;
    a.error = what + "no MX record with a valid host name";
    return a;
  }
  a.status = Status::ok;
  if (malformed > 0) a.error = what + "ignored " + std::to_string(malformed) + " record(s) with a malformed host name";
  if (total > kMaxMxRecords + malformed) {
    if (!a.error.empty()) a.error += "; ";
    else a.error = what;
    a.error += "kept the first " + std::to_string(kMaxMxRecords) + " of " + std::to_string(total) + " records";
  }
  return a;
}

Answer<Address> parse_addresses(const std::string& name, int type, int status, const unsigned char* abuf, int alen,
                                std::chrono::milliseconds deadline) {
  if (status != ARES_SUCCESS) return failure<Address>(name, type, status, deadline);
  Answer<Address> a;
  int n = static_cast<int>(kMaxAddresses);
  int rc = ARES_SUCCESS;
  if (type == kTypeA) {
    ares_addrttl ttls[kMaxAddresses];
    rc = ares_parse_a_reply(abuf, alen, nullptr, ttls, &n);
    for (int i = 0; rc == ARES_SUCCESS && i < n; ++i) {
      asio::ip::address_v4::bytes_type bytes;
      std::memcpy(bytes.data(), &ttls[i].ipaddr, bytes.size());
      a.records.emplace_back(asio::ip::address_v4(bytes));
    }
  } else {
    ares_addr6ttl ttls[kMaxAddresses];
    rc = ares_parse_aaaa_reply(abuf, alen, nullptr, ttls, &n);
    for (int i = 0; rc == ARES_SUCCESS && i < n; ++i) {
      asio::ip::address_v6::bytes_type bytes;
      std::memcpy(bytes.data(), ttls[i].ip6addr._S6_un._S6_u8, bytes.size());
      a.records.emplace_back(asio::ip::address_v6(bytes));
    }
  }
  if (rc == ARES_EBADNAME) rc = ARES_EBADRESP;  // a name in the reply, not ours
  if (rc == ARES_SUCCESS && a.records.empty()) rc = ARES_ENODATA;
  if (rc != ARES_SUCCESS) return failure<Address>(name, type, rc, deadline);
  a.status = Status::ok;
  return a;
}

// A and AAAA together (resolver.h, addresses()).
Answer<Address> combine(const std::string& name, Answer<Address> v4, Answer<Address> v6) {
  Answer<Address> out;
  if (v4.status == Status::ok || v6.status == Status::ok) {
    out.status = Status::ok;
    out.records = std::move(v4.records);
    out.records.insert(out.records.end(), v6.records.begin(), v6.records.end());
    for (const auto* half : {&v4, &v6})
      if (half->status == Status::tempfail) out.error = half->error;
    return out;
  }
  for (auto* half : {&v4, &v6})
    if (half->status == Status::tempfail) return std::move(*half);
  if (v4.status == Status::nxdomain && v6.status == Status::nxdomain) return v4;
  out.status = Status::nodata;
  out.error = name + ": no A or AAAA records";
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------

// What a query reports, once: a c-ares status and the reply (valid only
// during the call). Runs on the strand, or inside ~Impl.
using RawDone = std::function<void(int status, const unsigned char* abuf, int alen)>;

class Resolver::Impl : public std::enable_shared_from_this<Resolver::Impl> {
 public:
  Impl(net::Executor ex, const ResolverOptions& opts)
      : strand_(asio::make_strand(ex)), timer_(strand_) {
    if (opts.timeout.count() < 1) throw common::ConfigError("dns timeout must be at least 1 ms");
    if (opts.tries < 1) throw common::ConfigError("dns tries must be at least 1");
    std::vector<ares_addr_port_node> servers;
    for (const auto& s : opts.servers) servers.push_back(parse_server(s));
    library_init();

    ares_options o{};
    o.timeout = static_cast<int>(std::min<int64_t>(opts.timeout.count(), 3'600'000));
    o.tries = opts.tries;
    o.sock_state_cb = &Impl::on_sock_state;
    o.sock_state_cb_data = this;
    int mask = ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_SOCK_STATE_CB;
    // Servers of our own are tried in the order given, whatever "options
    // rotate" in resolv.conf says; the system's keep the system's rules.
    if (!servers.empty()) mask |= ARES_OPT_NOROTATE;
    int rc = ares_init_options(&channel_, &o, mask);
    if (rc != ARES_SUCCESS) throw std::runtime_error(std::string("dns: c-ares init: ") + ares_strerror(rc));
    if (!servers.empty()) {
      for (size_t i = 0; i + 1 < servers.size(); ++i) servers[i].next = &servers[i + 1];
      rc = ares_set_servers_ports(channel_, servers.data());
      if (rc != ARES_SUCCESS) {
        ares_destroy(channel_);
        throw std::runtime_error(std::string("dns: c-ares servers: ") + ares_strerror(rc));
      }
    }
    size_t count = 0;
    ares_addr_port_node* list = nullptr;
    if (ares_get_servers_ports(channel_, &list) == ARES_SUCCESS) {
      for (auto* n = list; n != nullptr; n = n->next) ++count;
      ares_free_data(list);
    }
    deadline_ = opts.timeout * opts.tries * static_cast<int64_t>(std::max<size_t>(count, 1));
  }

  ~Impl() {
    destroying_ = true;
    timer_.cancel();
    for (auto& [fd, w] : watches_) {
      w->closed = true;
      w->sd.release();  // cancels its waits; the fd stays c-ares' to close
    }
    watches_.clear();
    ares_destroy(channel_);  // completes every pending query: ARES_EDESTRUCTION
  }

  std::chrono::milliseconds deadline() const { return deadline_; }

  /// Starts one query from any thread; `done` is called exactly once
  /// (unless the io_context is destroyed first).
  void query(std::string name, int type, RawDone done) {
    asio::post(strand_, [weak = weak_from_this(), name = std::move(name), type, done = std::move(done)]() mutable {
      auto self = weak.lock();
      if (!self) {
        done(ARES_EDESTRUCTION, nullptr, 0);
        return;
      }
      self->start(name, type, std::move(done));
    });
  }

 private:
  // One socket c-ares asked us to watch. The descriptor does not own the fd.
  struct Watch {
    Watch(const asio::strand<net::Executor>& strand, int fd) : sd(strand), fd(fd) {
      error_code ec;
      sd.assign(fd, ec);  // on failure the waits fail and the deadline ends the query
    }
    asio::posix::stream_descriptor sd;
    int fd;
    bool want_read = false;
    bool want_write = false;
    bool reading = false;  // a read wait is pending
    bool writing = false;
    bool closed = false;  // c-ares closed the socket (or the resolver is going)
  };

  // One query in flight. Owned by c-ares (a heap shared_ptr passed as the
  // callback's argument) until its callback; the deadline may finish it first.
  struct Pending {
    Pending(RawDone d, const asio::strand<net::Executor>& strand) : done(std::move(d)), deadline(strand) {}
    void finish(int status, const unsigned char* abuf, int alen) {
      if (finished) return;
      finished = true;
      auto d = std::move(done);
      d(status, abuf, alen);
    }
    RawDone done;
    asio::steady_timer deadline;
    bool finished = false;
  };

  void start(const std::string& name, int type, RawDone done) {
    auto p = std::make_shared<Pending>(std::move(done), strand_);
    p->deadline.expires_after(deadline_);
    p->deadline.async_wait([weak = weak_from_this(), wp = std::weak_ptr<Pending>(p)](error_code ec) {
      if (ec) return;
      auto self = weak.lock();
      if (!self) return;
      // c-ares keeps the query until its own tries are over; its answer
      // then finds the Pending finished and is dropped.
      if (auto p = wp.lock()) p->finish(ARES_ETIMEOUT, nullptr, 0);
    });
    ares_query(channel_, name.c_str(), kClassIn, type, &Impl::on_answer, new std::shared_ptr<Pending>(std::move(p)));
    reschedule();
  }

  static void on_answer(void* arg, int status, int /*timeouts*/, unsigned char* abuf, int alen) {
    std::unique_ptr<std::shared_ptr<Pending>> owner(static_cast<std::shared_ptr<Pending>*>(arg));
    Pending& p = **owner;
    p.deadline.cancel();
    p.finish(status, abuf, alen);
  }

  static void on_sock_state(void* data, ares_socket_t fd, int readable, int writable) {
    auto* self = static_cast<Impl*>(data);
    if (self->destroying_) return;
    if (!readable && !writable) {
      auto it = self->watches_.find(fd);
      if (it == self->watches_.end()) return;
      auto w = std::move(it->second);
      self->watches_.erase(it);
      w->closed = true;
      w->sd.release();  // c-ares closes the fd right after this callback
      return;
    }
    auto& slot = self->watches_[fd];
    if (!slot) slot = std::make_shared<Watch>(self->strand_, fd);
    slot->want_read = readable != 0;
    slot->want_write = writable != 0;
    self->arm(slot);
  }

  void arm(const std::shared_ptr<Watch>& w) {
    if (w->want_read && !w->reading) {
      w->reading = true;
      w->sd.async_wait(asio::posix::descriptor_base::wait_read, [weak = weak_from_this(), w](error_code ec) {
        auto self = weak.lock();
        if (!self) return;
        w->reading = false;
        if (w->closed || ec == asio::error::operation_aborted) return;
        if (w->want_read) self->process(w->fd, ARES_SOCKET_BAD);
        if (!ec && !w->closed) self->arm(w);  // on an error c-ares sees it reading; the deadline is the backstop
      });
    }
    if (w->want_write && !w->writing) {
      w->writing = true;
      w->sd.async_wait(asio::posix::descriptor_base::wait_write, [weak = weak_from_this(), w](error_code ec) {
        auto self = weak.lock();
        if (!self) return;
        w->writing = false;
        if (w->closed || ec == asio::error::operation_aborted) return;
        if (w->want_write) self->process(ARES_SOCKET_BAD, w->fd);
        if (!ec && !w->closed) self->arm(w);
      });
    }
  }

  void process(ares_socket_t read_fd, ares_socket_t write_fd) {
    ares_process_fd(channel_, read_fd, write_fd);
    reschedule();
  }

  // Wakes c-ares when its next retransmission or timeout is due.
  void reschedule() {
    timeval buf{};
    const timeval* tv = ares_timeout(channel_, nullptr, &buf);
    if (tv == nullptr) {
      timer_.cancel();
      return;
    }
    timer_.expires_after(std::chrono::seconds(tv->tv_sec) + std::chrono::microseconds(tv->tv_usec));
    timer_.async_wait([weak = weak_from_this()](error_code ec) {
      if (ec) return;
      if (auto self = weak.lock()) self->process(ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    });
  }

  asio::strand<net::Executor> strand_;
  asio::steady_timer timer_;
  ares_channel channel_ = nullptr;
  std::unordered_map<int, std::shared_ptr<Watch>> watches_;
  std::chrono::milliseconds deadline_{0};
  bool destroying_ = false;
};

// ---------------------------------------------------------------------------

namespace {

// Runs the queries `types` for `name` at once and completes with
// combine(answers...) on the awaiting coroutine's executor. Parse turns one
// raw reply into an Answer<T> (inside c-ares' callback, where the reply lives).
template <class T, class Parse, class Combine>
net::awaitable<Answer<T>> lookup(Resolver::Impl& impl, std::string name, std::vector<int> types, Parse parse,
                                 Combine combine) {
  struct Gather {
    std::mutex mutex;
    std::vector<Answer<T>> parts;
    size_t left = 0;
  };
  return asio::async_initiate<decltype(net::use_awaitable), void(Answer<T>)>(
      [&impl, name = std::move(name), types = std::move(types), parse, combine](auto handler) mutable {
        using Handler = decltype(handler);
        auto home = asio::prefer(asio::get_associated_executor(handler), asio::execution::outstanding_work.tracked);
        auto h = std::make_shared<Handler>(std::move(handler));
        auto gather = std::make_shared<Gather>();
        gather->parts.resize(types.size());
        gather->left = types.size();
        for (size_t i = 0; i < types.size(); ++i) {
          const int type = types[i];
          impl.query(name, type,
                     [h, home, gather, i, type, name, parse, combine, deadline = impl.deadline()](
                         int status, const unsigned char* abuf, int alen) {
                       Answer<T> part = parse(name, type, status, abuf, alen, deadline);
                       std::unique_lock lock(gather->mutex);
                       gather->parts[i] = std::move(part);
                       if (--gather->left != 0) return;
                       lock.unlock();
                       Answer<T> result = combine(name, std::move(gather->parts));
                       asio::post(home, [h, result = std::move(result)]() mutable { (*h)(std::move(result)); });
                     });
        }
      },
      net::use_awaitable);
}

}  // namespace

Resolver::Resolver(net::Executor ex, ResolverOptions opts) : impl_(std::make_shared<Impl>(std::move(ex), opts)) {}

Resolver::~Resolver() = default;

std::chrono::milliseconds Resolver::deadline() const { return impl_->deadline(); }

net::awaitable<Answer<MxRecord>> Resolver::mx(std::string domain) {
  std::string name = normalize_host_name(domain);
  if (name.empty()) {
    Answer<MxRecord> a;
    a.status = Status::nxdomain;
    a.error = domain.substr(0, kMaxHostName) + ": not a valid domain name";
    co_return a;
  }
  // (A named vector: g++ 12 cannot keep a braced list across co_await.)
  std::vector<int> types = {kTypeMx};
  co_return co_await lookup<MxRecord>(
      *impl_, std::move(name), std::move(types),
      [](const std::string& n, int, int status, const unsigned char* abuf, int alen, std::chrono::milliseconds d) {
        return parse_mx(n, status, abuf, alen, d);
      },
      [](const std::string&, std::vector<Answer<MxRecord>> parts) { return std::move(parts.front()); });
}

net::awaitable<Answer<Address>> Resolver::addresses(std::string host) {
  std::string name = normalize_host_name(host);
  if (name.empty()) {
    Answer<Address> a;
    a.status = Status::nxdomain;
    a.error = host.substr(0, kMaxHostName) + ": not a valid host name";
    co_return a;
  }
  std::vector<int> types = {kTypeA, kTypeAaaa};
  co_return co_await lookup<Address>(
      *impl_, std::move(name), std::move(types), &parse_addresses,
      [](const std::string& n, std::vector<Answer<Address>> parts) {
        return combine(n, std::move(parts[0]), std::move(parts[1]));
      });
}

}  // namespace mail::dns
