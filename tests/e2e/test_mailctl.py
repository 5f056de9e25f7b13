# SPDX-License-Identifier: Apache-2.0
"""mailctl, the admin service's command-line client, against the running admin
service: domains, accounts and aliases end to end, exit statuses (0 done,
1 refused, 2 usage, 3 unreachable), and a password change seen by POP3."""
import poplib
import re
import time
import unittest

import mailenv as env


def listed(name, text):
    return re.search(rf"(?m)(^|\s){re.escape(name)}($|\s)", text) is not None


class Mailctl(unittest.TestCase):
    def test_domain_add_list_delete(self):
        d = f"d-{env.token()}.test"
        env.mailctl_ok("domain", "add", d)
        self.assertTrue(listed(d, env.mailctl_ok("domain", "list").stdout), "new domain not listed")
        dup = env.mailctl("domain", "add", d)
        self.assertEqual(dup.returncode, 1, f"duplicate domain add: {dup.returncode} {dup.stdout}{dup.stderr}")
        self.assertTrue(re.search(r"(?i)exist|already", dup.stderr + dup.stdout),
                        f"duplicate domain add: unclear message {dup.stderr!r}")
        # Upper case is the same domain.
        self.assertEqual(env.mailctl("domain", "add", d.upper()).returncode, 1, "domain names not normalized")
        env.mailctl_ok("domain", "delete", d)
        self.assertFalse(listed(d, env.mailctl_ok("domain", "list").stdout), "deleted domain still listed")
        r = env.mailctl("domain", "delete", d)
        self.assertEqual(r.returncode, 1, f"deleting a missing domain: {r.returncode} {r.stderr!r}")

    def test_domain_with_accounts_not_deleted(self):
        d = f"d-{env.token()}.test"
        env.mailctl_ok("domain", "add", d)
        env.mailctl_ok("account", "add", f"u@{d}", password="pw-something-long")
        r = env.mailctl("domain", "delete", d)
        self.assertEqual(r.returncode, 1, f"domain with accounts deleted: {r.stdout}{r.stderr}")
        env.mailctl_ok("account", "delete", f"u@{d}")
        env.mailctl_ok("domain", "delete", d)

    def test_account_lifecycle(self):
        addr = f"acct-{env.token()}@{env.DOMAIN}"
        env.mailctl_ok("account", "add", addr, "--quota", "1G", password="first-password")
        self.assertTrue(listed(addr, env.mailctl_ok("account", "list", env.DOMAIN).stdout), "not in account list")
        self.assertTrue(listed(addr, env.mailctl_ok("account", "list").stdout), "not in account list (all)")
        show = env.mailctl_ok("account", "show", addr).stdout
        self.assertIn(addr, show)
        dup = env.mailctl("account", "add", addr, password="other-password")
        self.assertEqual(dup.returncode, 1, f"duplicate account add: {dup.returncode} {dup.stderr!r}")
        self.assertTrue(re.search(r"(?i)exist|already", dup.stderr + dup.stdout), f"unclear: {dup.stderr!r}")
        dup = env.mailctl("account", "add", addr.upper(), password="other-password")
        self.assertEqual(dup.returncode, 1, "addresses not normalized (upper-case duplicate accepted)")
        env.mailctl_ok("account", "quota", addr, "5M")
        show2 = env.mailctl_ok("account", "show", addr).stdout
        self.assertTrue(any(s in show2 for s in ("5M", "5 M", "5242880", "5.0M", "5 MiB", "5.0 MiB")),
                        f"quota 5M not shown: {show2!r}")
        env.mailctl_ok("account", "passwd", addr, password="second-password")
        env.mailctl_ok("account", "delete", addr)
        self.assertFalse(listed(addr, env.mailctl_ok("account", "list", env.DOMAIN).stdout), "deleted, still listed")
        r = env.mailctl("account", "show", addr)
        self.assertEqual(r.returncode, 1, f"show of a deleted account: {r.returncode} {r.stdout!r}")

    def test_account_in_unknown_domain_refused(self):
        r = env.mailctl("account", "add", f"x@nodomain-{env.token()}.test", password="pw-something-long")
        self.assertEqual(r.returncode, 1, f"{r.returncode} {r.stdout}{r.stderr}")
        self.assertTrue((r.stderr + r.stdout).strip(), "no message")

    def test_alias_add_list_delete(self):
        user, _ = env.new_account()
        user2, _ = env.new_account()
        alias = f"al-{env.token()}@{env.DOMAIN}"
        env.mailctl_ok("alias", "add", alias, user, user2)
        out = env.mailctl_ok("alias", "list", env.DOMAIN).stdout
        line = [l for l in out.splitlines() if alias in l]
        self.assertTrue(line, f"alias not listed: {out!r}")
        self.assertTrue(user in out and user2 in out, f"alias targets not listed: {out!r}")
        again = env.mailctl("alias", "add", alias, user)  # idempotent or refused, never an error of usage
        self.assertIn(again.returncode, (0, 1), f"repeated alias target: {again.returncode} {again.stderr!r}")
        env.mailctl_ok("alias", "delete", alias, user2)
        out = env.mailctl_ok("alias", "list", env.DOMAIN).stdout
        self.assertNotIn(user2, "\n".join(l for l in out.splitlines() if alias in l) or "", "target not removed")
        env.mailctl_ok("alias", "delete", alias)
        self.assertNotIn(alias, env.mailctl_ok("alias", "list", env.DOMAIN).stdout, "alias not deleted")

    def test_usage_errors_exit_2(self):
        for args in (["frobnicate"], ["domain"], ["domain", "frobnicate", "x"], ["account", "add"],
                     ["account", "add", f"x@{env.DOMAIN}", "--password", "secret"]):
            with self.subTest(args=args):
                r = env.mailctl(*args)
                self.assertEqual(r.returncode, 2, f"{args}: {r.returncode} {r.stdout}{r.stderr}")
                self.assertTrue(r.stderr.strip(), f"{args}: no message on stderr")

    def test_unreachable_exits_3(self):
        t0 = time.time()
        r = env.mailctl("domain", "list", server="127.0.0.1:1")
        self.assertEqual(r.returncode, 3, f"{r.returncode} {r.stdout}{r.stderr}")
        self.assertTrue(r.stderr.strip(), "no message")
        self.assertLess(time.time() - t0, 30, "took too long to give up")

    def test_password_change_seen_by_pop3(self):
        user, old = env.new_account()
        env.pop3_login(user, old).quit()
        new = "new-" + env.token()
        env.mailctl_ok("account", "passwd", user, password=new)
        # The edges cache successful logins briefly (pop3 directory.cache_ttl, 30 s by default),
        # so the old password may work a little longer; the new one must work at once.
        t0 = time.time()
        deadline = t0 + 45
        while True:
            try:
                env.pop3_login(user, new, retry_in_use=0).quit()
                new_ok = None
            except poplib.error_proto as e:
                new_ok = e
            try:
                env.pop3_login(user, old, retry_in_use=0).quit()
                old_fails = False
            except poplib.error_proto:
                old_fails = True
            if (new_ok is None and old_fails) or time.time() > deadline:
                break
            time.sleep(1)
        self.assertIsNone(new_ok, f"new password refused: {new_ok}")
        self.assertTrue(old_fails, "old password still accepted 45 s after the change")
        print(f"old password refused {time.time() - t0:.1f}s after the change")


if __name__ == "__main__":
    unittest.main(verbosity=2)
