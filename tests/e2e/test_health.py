# SPDX-License-Identifier: Apache-2.0
"""Every service's HTTP side: /healthz and /readyz answer 200, /metrics is the
Prometheus text format with the metric families an operator needs. A message
goes through the whole path first so that counters and histograms have samples."""
import re
import unittest

import mailenv as env

SAMPLE = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? [-+]?([0-9.eE+-]+|Inf|NaN|inf|nan)( -?\d+)?$")

WANT = {
    "msa": [r"mail_msa_\w+"],
    "mta": [r"mail_mta_queue_depth"],
    "mda": [r"mail_mda_deliveries_total"],
    "pop3": [r"mail_pop3_\w+"],
    "imap": [r"mail_imap_connections_total", r"mail_imap_auth_attempts_total"],
    "admin": [r"mail_admin_\w+"],
}


class Health(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        user, pw = env.new_account()
        tag = env.token()
        with env.smtp_submit(user, pw) as s:
            s.sendmail(user, [user], env.make_message(user, user, f"health {tag}", "metrics\r\n"))
        env.wait_for_messages(user, pw, env.subject_is(tag))
        cls.metrics = {svc: env.http_get(port, "/metrics") for svc, port in env.HEALTH.items()}

    def test_healthz_and_readyz(self):
        for svc, port in env.HEALTH.items():
            for path in ("/healthz", "/readyz"):
                with self.subTest(service=svc, path=path):
                    status, _, text = env.http_get(port, path)
                    self.assertEqual(status, 200, f"{svc} {path}: {status} {text[:200]!r}")

    def test_unknown_path_404(self):
        for svc, port in env.HEALTH.items():
            with self.subTest(service=svc):
                self.assertEqual(env.http_get(port, "/no-such-page")[0], 404)

    def test_metrics_text_format(self):
        for svc, (status, ctype, text) in self.metrics.items():
            with self.subTest(service=svc):
                self.assertEqual(status, 200, f"{svc} /metrics: {status}")
                self.assertTrue(ctype.startswith("text/plain"), f"{svc} Content-Type {ctype!r}")
                self.assertIn("# TYPE ", text)
                bad = [l for l in text.splitlines() if l and not l.startswith("#") and not SAMPLE.match(l)]
                self.assertFalse(bad, f"{svc}: lines not in the text format: {bad[:5]}")

    def test_expected_families(self):
        for svc, pats in WANT.items():
            text = self.metrics[svc][2]
            for pat in pats:
                with self.subTest(service=svc, family=pat):
                    self.assertRegex(text, rf"(?m)^# TYPE {pat} ", f"{svc} lacks {pat}")

    def test_histograms_present(self):
        with_buckets = [svc for svc, (_, _, text) in self.metrics.items()
                        if re.search(r"(?m)^# TYPE \w+ histogram$", text) and re.search(r'(?m)^\w+_bucket\{.*le="', text)]
        self.assertTrue(with_buckets, "no service exposes a histogram with _bucket lines")
        for svc in ("msa", "mta", "mda"):
            with self.subTest(service=svc):
                self.assertIn(svc, with_buckets, f"{svc} exposes no duration histogram")

    def test_counters_moved(self):
        self.assertGreater(env.metric_value(self.metrics["mda"][2], "mail_mda_deliveries_total") or 0, 0,
                           "mail_mda_deliveries_total is 0 after a delivery")
        self.assertIsNotNone(env.metric_value(self.metrics["mta"][2], "mail_mta_queue_depth"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
