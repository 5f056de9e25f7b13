# SPDX-License-Identifier: Apache-2.0
"""Trust between services, end to end against the running test stack:
mailctl with and without the administrator's token; a changed password is
refused one second later by POP3 and by SMTP AUTH while both caches held the
old one; a deleted and re-created account works at once; passwords are bytes
(a non-UTF-8 password is an ordinary failure, and an account can have one);
the run folder keeps its secrets 0600 and its logs 0640.
Clients: poplib, smtplib, the mailctl binary, urllib for /metrics."""
import base64
import os
import poplib
import smtplib
import stat
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
import mailenv as env  # noqa: E402

SECRETS = os.path.join(env.RUN_DIR, "secrets")


def temp_file(data: bytes):
    fd, path = tempfile.mkstemp(prefix="e2e-trust-")
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return path


def refused_admin_calls():
    _, _, text = env.http_get(env.H_ADMIN, "/metrics")
    return env.metric_value(text, "mail_rpc_refused_total") or 0.0


def pop3_refused(user, pw: bytes):
    """True when POP3 USER/PASS with these password bytes is refused as wrong credentials."""
    p = poplib.POP3(env.HOST, env.P_POP3, timeout=env.TIMEOUT)
    p.stls(context=env.tls_context())
    p.encoding = "latin-1"  # send the password bytes exactly
    try:
        p.user(user)
        p.pass_(pw.decode("latin-1"))
    except poplib.error_proto as e:
        env.close_quietly(p)
        if b"[AUTH]" not in e.args[0]:
            raise AssertionError(f"POP3 refused for another reason: {e}")
        return True
    p.quit()
    return False


def smtp_auth_plain(user, pw: bytes):
    """The (code, text) answer to AUTH PLAIN with these password bytes on 587 after STARTTLS."""
    s = smtplib.SMTP(env.HOST, env.P_SUBMIT, timeout=env.TIMEOUT)
    try:
        s.ehlo("client.example")
        s.starttls(context=env.tls_context())
        s.ehlo("client.example")
        blob = base64.b64encode(b"\0" + user.encode() + b"\0" + pw).decode()
        return s.docmd("AUTH", "PLAIN " + blob)
    finally:
        s.close()


class Mailctl(unittest.TestCase):
    def run_with(self, *args, token_file=None, env_file=None):
        cmd = [env.MAILCTL, "--server", env.MAILCTL_SERVER]
        if token_file:
            cmd += ["--token-file", token_file]
        e = dict(os.environ)
        e.pop("MAILCTL_TOKEN_FILE", None)
        if env_file:
            e["MAILCTL_TOKEN_FILE"] = env_file
        import subprocess
        return subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=60, env=e,
                              cwd=tempfile.gettempdir())

    def test_without_the_right_token_nothing_changes(self):
        domain = f"evil-{env.token()}.test"
        before = refused_admin_calls()
        wrong = temp_file(os.urandom(24).hex().encode())
        try:
            r = self.run_with("domain", "add", domain, token_file=wrong)
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn("unauthenticated", r.stderr)
            r = self.run_with("domain", "add", domain, token_file=os.path.join(SECRETS, "msa.token"))
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn("permission denied", r.stderr)
            r = self.run_with("domain", "list", env_file="/nonexistent/admin.token")
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn("/nonexistent/admin.token", r.stderr)
        finally:
            os.unlink(wrong)
        self.assertGreaterEqual(refused_admin_calls() - before, 2, "refusals are counted")
        r = self.run_with("domain", "list", env_file=os.path.join(SECRETS, "admin.token"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn(domain, r.stdout, "the refused calls added nothing")
        r = self.run_with("domain", "list", token_file=os.path.join(SECRETS, "admin.token"))
        self.assertEqual(r.returncode, 0, r.stderr)


class CachesForgetChanges(unittest.TestCase):
    def test_changed_password_is_refused_a_second_later(self):
        user, old = env.new_account()
        # Both edges now hold the old password in their login caches (30 s TTL).
        env.pop3_login(user, old).quit()
        env.smtp_submit(user, old).quit()
        env.pop3_login(user, old, retry_in_use=5).quit()
        new = "new-" + env.token()
        env.mailctl_ok("account", "passwd", user, password=new)
        time.sleep(1.0)
        self.assertTrue(pop3_refused(user, old.encode()), "POP3 still takes the old password")
        code, text = smtp_auth_plain(user, old.encode())
        self.assertEqual(code, 535, text)
        env.pop3_login(user, new).quit()
        self.assertEqual(smtp_auth_plain(user, new.encode())[0], 235)

    def test_deleted_and_recreated_account_works_at_once(self):
        user, old = env.new_account()
        env.pop3_login(user, old).quit()
        env.smtp_submit(user, old).quit()
        env.mailctl_ok("account", "delete", user)
        new = "again-" + env.token()
        env.mailctl_ok("account", "add", user, password=new)
        p = env.pop3_login(user, new, retry_in_use=0)  # no [SYS/TEMP] from a stale account id
        self.assertEqual(p.stat()[0], 0, "the new account's mailbox is empty")
        p.quit()
        self.assertTrue(pop3_refused(user, old.encode()))
        self.assertEqual(smtp_auth_plain(user, new.encode())[0], 235)
        self.assertEqual(smtp_auth_plain(user, old.encode())[0], 535)


    def test_disabled_account_is_refused_a_second_later(self):
        user, pw = env.new_account()
        env.pop3_login(user, pw).quit()
        env.smtp_submit(user, pw).quit()
        env.mailctl_ok("account", "disable", user)
        self.assertIn("disabled", env.mailctl_ok("account", "show", user).stdout)
        time.sleep(1.0)
        self.assertTrue(pop3_refused(user, pw.encode()), "a disabled account still logs in on POP3")
        self.assertEqual(smtp_auth_plain(user, pw.encode())[0], 535)
        env.mailctl_ok("account", "enable", user)
        env.pop3_login(user, pw, retry_in_use=0).quit()


class PasswordsAreBytes(unittest.TestCase):
    def test_non_utf8_password_is_an_ordinary_failure(self):
        user, _ = env.new_account()
        latin1 = "gr\u00fc\u00df-m\u00e9".encode("latin-1")  # not UTF-8
        code, text = smtp_auth_plain(user, latin1)
        self.assertEqual(code, 535, f"wanted a plain wrong password, got {code} {text}")
        self.assertTrue(pop3_refused(user, latin1))

    def test_an_account_can_have_a_non_utf8_password(self):
        env.ensure_domain()
        user = f"bytes-{env.token()}@{env.DOMAIN}"
        pw = b"caf\xe9-\xff\xfe-" + env.token().encode()
        path = temp_file(pw)
        try:
            env.mailctl_ok("account", "add", user, "--password-file", path)
        finally:
            os.unlink(path)
        self.assertFalse(pop3_refused(user, pw), "POP3 refused the right bytes")
        self.assertEqual(smtp_auth_plain(user, pw)[0], 235)
        self.assertTrue(pop3_refused(user, pw[:-1]))


class FileModes(unittest.TestCase):
    def mode(self, path):
        return stat.S_IMODE(os.stat(path).st_mode)

    def test_secrets_0600_logs_0640(self):
        tokens = [f for f in os.listdir(SECRETS) if f.endswith(".token")]
        self.assertGreaterEqual(len(tokens), 5, tokens)
        self.assertEqual(self.mode(SECRETS), 0o700)
        for name in tokens:
            self.assertEqual(self.mode(os.path.join(SECRETS, name)), 0o600, name)
        for path in ("demo-password", "tls/key.pem"):
            self.assertEqual(self.mode(os.path.join(env.RUN_DIR, path)), 0o600, path)
        logs = os.path.join(env.RUN_DIR, "log")
        for name in os.listdir(logs):
            self.assertEqual(self.mode(os.path.join(logs, name)), 0o640, name)


if __name__ == "__main__":
    unittest.main(verbosity=2)
