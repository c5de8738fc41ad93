# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The detectors together, as their scheduled jobs run them.

Each detector's own cases are in ``test_detector_<type>.py``.
"""

from datetime import timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo.tests import tagged

from ..models.detectors.base import ACCESS_DETECTORS
from .detector_common import DetectorCase

AUDIT_CRONS = (
    "access_governance.ir_cron_audit_stale_accounts",
    "access_governance.ir_cron_audit_sod",
    "access_governance.ir_cron_audit_access",
)


@tagged("post_install", "-at_install")
class TestAudits(DetectorCase):
    def run_all(self):
        self.run_detector("stale_account", "sod_conflict", *ACCESS_DETECTORS)

    def test_rerun_every_audit_no_duplicates(self):
        self.backdate(self.user_employee, 300)
        self.give_baseline(self.user_employee, self.group_a)
        self.device_log(self.user_employee2, "198.51.100.1", "sess-a", 50)
        self.device_log(self.user_employee2, "203.0.113.9", "sess-b", 20)
        self.run_all()
        live = self.Finding.search([("state", "in", ("open", "accepted"))])
        types = set(live.mapped("finding_type"))
        for expected in (
            "stale_account",
            "shared_account",
            "over_privileged",
            "admin_without_2fa",
            "unmapped_access",
        ):
            self.assertIn(expected, types)
        count = self.Finding.search_count([])
        sequence = self.last_audit_sequence()
        with freeze_time(self.now + timedelta(minutes=5)):
            self.run_all()
        self.assertEqual(self.Finding.search_count([]), count)
        self.assertFalse(self.audit_since(sequence, "finding_opened"))
        self.assertFalse(self.audit_since(sequence, "finding_resolved"))
        live.invalidate_recordset()
        # Every finding a detector re-examines was seen again (out-of-band
        # changes are events: each audit entry is read once).
        rechecked = live.filtered(
            lambda f: (
                f.finding_type != "out_of_band_change"
                and not f.subject.startswith("job:")
            )
        )
        self.assertTrue(rechecked)
        self.assertTrue(all(f.last_seen > f.first_seen for f in rechecked))
        # Fix one thing: exactly its finding is resolved.
        self.log_login(self.user_employee, 1)
        self.run_all()
        resolved = self.audit_since(sequence, "finding_resolved")
        self.assertEqual(len(resolved), 1)
        self.assertEqual(resolved.user_id, self.user_employee)
        self.assertFalse(self.findings("stale_account", self.user_employee))

    def test_cron_entry_points(self):
        Detector = self.env["access.governance.detector"]
        for xmlid in AUDIT_CRONS:
            cron = self.env.ref(xmlid)
            self.assertEqual(cron.model_id.model, "access.governance.detector")
            self.assertTrue(hasattr(Detector, cron.code.split(".")[1][:-2]))

    def test_run_manually_does_not_commit(self):
        """*Run Manually* runs inside an HTTP request: every job goes to the
        end in that transaction and never commits."""
        self.backdate(self.user_employee, 300)
        crons = [
            *AUDIT_CRONS,
            "access_governance.ir_cron_sync_roles",
            "access_governance.ir_cron_review_campaigns",
        ]
        with patch.object(type(self.env.cr), "commit", autospec=True) as commit:
            for xmlid in crons:
                self.env.ref(xmlid).method_direct_trigger()
        commit.assert_not_called()
        self.assertTrue(self.findings("stale_account", self.user_employee))
        for run in self.env["access.governance.detector.run"].search([]):
            self.assertEqual(run.state, "done", run.detector)

    def worker(self, xmlid):
        """The job's model as a scheduler worker calls it (ir_cron._run_job)."""
        cron = self.env.ref(xmlid)
        cron, progress = cron._add_progress()
        Detector = self.env["access.governance.detector"].with_context(
            cron.env.context, cron_id=cron.id
        )
        return Detector, progress

    def test_worker_one_batch_per_call_then_scheduler_reruns(self):
        users = self.env["res.users"]
        for index in range(5):
            users |= self.new_user(f"ag_batch{index}")
        self.backdate(users, 300)
        Stale = type(self.env["access.governance.detector.stale_account"])
        scope = len(
            self.env["access.governance.detector.stale_account"]._detect_scope()
        )
        calls = 0
        with (
            patch.object(Stale, "_batch_size", 2),
            patch.object(type(self.env.cr), "commit", autospec=True) as commit,
        ):
            while True:
                Detector, progress = self.worker(AUDIT_CRONS[0])
                Detector._cron_audit_stale_accounts()
                calls += 1
                self.assertGreater(progress.done, 0)
                if not progress.remaining:
                    break
                self.assertLess(calls, 50)
        # The job never commits: the scheduler does, between calls.
        commit.assert_not_called()
        self.assertEqual(calls, -(-scope // 2))
        self.assertEqual(self.findings("stale_account").user_id & users, users)

    def test_worker_runs_each_access_detector_once_per_cycle(self):
        """The access job runs several detectors: the scheduler's calls move
        from one to the next; none starts twice in a cycle."""
        self.backdate(self.user_employee, 300)
        self.give_baseline(self.user_employee | self.user_employee2, self.group_a)
        Run = self.env["access.governance.detector.run"]
        mark = Run.search([], limit=1).id or 0
        patches = [
            patch.object(
                type(self.env[f"access.governance.detector.{t}"]), "_batch_size", 2
            )
            for t in ACCESS_DETECTORS
        ]
        for active in patches:
            active.start()
        self.addCleanup(lambda: [active.stop() for active in patches])
        calls = 0
        with patch.object(
            type(self.env["access.governance.detector"]),
            "_detector_send_digest",
            autospec=True,
        ) as digest:
            while True:
                Detector, progress = self.worker(AUDIT_CRONS[2])
                Detector._cron_audit_access()
                calls += 1
                if not progress.remaining:
                    break
                self.assertLess(calls, 200)
            digest.assert_called_once()
        runs = Run.search([("id", ">", mark)])
        self.assertEqual(sorted(runs.mapped("finding_type")), sorted(ACCESS_DETECTORS))
        self.assertEqual(set(runs.mapped("state")), {"done"})
        self.assertGreater(calls, 1)
        self.assertTrue(self.findings("unmapped_access", self.user_employee))
        self.assertTrue(self.findings("over_privileged", self.user_system))

    def test_crash_and_resume_no_duplicates(self):
        """A batch that fails is rolled back with its cursor; the next call
        redoes it: nothing doubled, nothing seen earlier resolved."""
        early = self.new_user("ag_crash_early")
        self.backdate(early, 300)
        self.run_detector("stale_account")
        first = self.findings("stale_account", early)
        self.assertTrue(first)
        users = self.env["res.users"]
        for index in range(5):
            users |= self.new_user(f"ag_crash{index}")
        self.backdate(users, 300)
        Stale = type(self.env["access.governance.detector.stale_account"])
        Run = type(self.env["access.governance.detector.run"])
        write = Run.write
        crash = {"armed": False}

        def write_then_crash(run, vals):
            if crash["armed"] and "cursor" in vals:
                crash["armed"] = False
                raise RuntimeError("worker killed")
            return write(run, vals)

        with (
            patch.object(Stale, "_batch_size", 2),
            patch.object(Run, "write", write_then_crash),
        ):
            Detector, progress = self.worker(AUDIT_CRONS[0])
            Detector._cron_audit_stale_accounts()
            self.assertTrue(progress.remaining)
            # The second call crashes after reporting its batch; the
            # scheduler rolls the call back.
            crash["armed"] = True
            with self.assertRaises(RuntimeError), self.env.cr.savepoint():
                Detector, progress = self.worker(AUDIT_CRONS[0])
                Detector._cron_audit_stale_accounts()
            self.env.invalidate_all()
            for _call in range(50):
                Detector, progress = self.worker(AUDIT_CRONS[0])
                Detector._cron_audit_stale_accounts()
                if not progress.remaining:
                    break
        for user in early | users:
            self.assertEqual(
                self.Finding.search_count(
                    [("finding_type", "=", "stale_account"), ("user_id", "=", user.id)]
                ),
                1,
                user.login,
            )
        self.assertEqual(first.state, "open")
        self.assertEqual(self.findings("stale_account", early), first)
        runs = self.env["access.governance.detector.run"].search(
            [("detector", "=", "access.governance.detector.stale_account")]
        )
        self.assertEqual(set(runs.mapped("state")), {"done"})
