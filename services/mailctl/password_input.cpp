// SPDX-License-Identifier: Apache-2.0
// Password input for mailctl. Reads at most a few KiB from the file or stdin.
#include "password_input.h"

#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>

namespace mail::mailctl {
namespace {

constexpr size_t kReadLimit = 4 * kMaxPasswordInput;

std::string read_bounded(std::istream& in) {
  std::string s;
  char c;
  while (s.size() < kReadLimit && in.get(c)) {
    s += c;
    if (c == '\n') break;
  }
  return s;
}

// One line from the terminal with echo off.
std::optional<std::string> prompt(const char* text) {
  std::fputs(text, stderr);
  std::fflush(stderr);
  termios old{};
  bool restore = tcgetattr(STDIN_FILENO, &old) == 0;
  if (restore) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::string line = read_bounded(std::cin);
  if (restore) tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
  std::fputs("\n", stderr);
  if (line.empty() && !std::cin) return std::nullopt;
  return line;
}

}  // namespace

PasswordRead first_line_password(const std::string& text, const std::string& source) {
  std::string line = text.substr(0, text.find('\n'));
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) return {std::nullopt, "empty password from " + source};
  if (line.size() > kMaxPasswordInput)
    return {std::nullopt, "password from " + source + " is longer than " + std::to_string(kMaxPasswordInput) + " bytes"};
  return {line, ""};
}

PasswordRead read_password(const Command& cmd) {
  if (cmd.password == PasswordSource::file) {
    std::ifstream in(cmd.password_file, std::ios::binary);
    if (!in) return {std::nullopt, "cannot read password file " + cmd.password_file};
    return first_line_password(read_bounded(in), "file " + cmd.password_file);
  }
  if (cmd.password == PasswordSource::standard_input) {
    if (!isatty(STDIN_FILENO)) return first_line_password(read_bounded(std::cin), "standard input");
    auto first = prompt("Password: ");
    if (!first) return {std::nullopt, "no password given"};
    auto got = first_line_password(*first, "the terminal");
    if (!got.password) return got;
    auto again = prompt("Retype password: ");
    if (!again || first_line_password(*again, "the terminal").password != got.password)
      return {std::nullopt, "the passwords do not match"};
    return got;
  }
  return {std::nullopt, "no password source"};
}

}  // namespace mail::mailctl
