# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Evidence pack: built for a period, recorded in the trail, verified against
the database by the wizard and by scripts/verify_evidence_pack.py."""

import base64
import importlib.util
import io
import json
import logging
import os
import tempfile
import time
import zipfile
from datetime import datetime
from pathlib import Path

from odoo.exceptions import AccessError
from odoo.tests import tagged

from ..models import access_governance_audit
from ..tools import evidence_pack
from .test_evidence_reports import EvidenceReportCase

_logger = logging.getLogger(__name__)

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "verify_evidence_pack.py"


@tagged("post_install", "-at_install", "evidence_reports")
class TestEvidencePack(EvidenceReportCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.period = {
            "date_from": datetime(2026, 1, 1),
            "date_to": datetime(2026, 12, 31, 23, 59, 59),
        }

    def build_pack(self):
        wizard = (
            self.env["access.governance.evidence.pack"]
            .with_user(self.user_auditor)
            .create(self.period)
        )
        start = time.perf_counter()
        wizard.action_generate()
        _logger.info("evidence pack built in %.2f s", time.perf_counter() - start)
        return wizard, base64.b64decode(wizard.pack_file)

    def verify(self, data):
        wizard = (
            self.env["access.governance.evidence.pack.verify"]
            .with_user(self.user_auditor)
            .create({"pack_file": base64.b64encode(data), "pack_name": "pack.zip"})
        )
        wizard.action_verify()
        _logger.info("evidence pack verified in %.3f s", wizard.verify_seconds)
        return wizard

    def run_script(self, data):
        if not SCRIPT.exists():
            self.skipTest("scripts/ not beside the addon")
        spec = importlib.util.spec_from_file_location("ag_verify_script", SCRIPT)
        script = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(script)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "pack.zip")
            with open(path, "wb") as file:
                file.write(data)
            out = io.StringIO()
            status = script.run([path, "--db", self.env.cr.dbname], self.env.cr, out)
        return status, out.getvalue()

    def test_same_hash_as_the_trail(self):
        """The Odoo-free verifier hashes entries exactly as the trail does."""
        self.assertEqual(
            evidence_pack.HASHED_FIELDS, access_governance_audit.HASHED_FIELDS
        )
        self.assertEqual(evidence_pack.HASH_PREFIX, access_governance_audit.HASH_PREFIX)
        sealed = self.seal_audit()
        self.assertTrue(sealed)
        for entry in sealed[:5]:
            values = entry.read(list(evidence_pack.HASHED_FIELDS))[0]
            self.assertEqual(
                evidence_pack.entry_hash(entry.previous_hash, values), entry.hash
            )

    def test_pack_verifies_then_fails_naming_the_altered_entry(self):
        self.seal_audit()
        head_sequence, head_hash = self.Audit._audit_head()
        self.assertGreater(head_sequence, 3)
        mark = self.last_audit_sequence()
        wizard, data = self.build_pack()
        # The pack: PDFs, CSVs and a manifest of their SHA-256 and the head.
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            manifest = json.loads(archive.read("manifest.json"))
            for item in manifest["files"]:
                self.assertEqual(
                    evidence_pack.sha256_hex(archive.read(item["name"])),
                    item["sha256"],
                )
            audit_csv = archive.read("audit_trail.csv").decode()
        self.assertTrue(
            {
                "elevated_access.pdf",
                "elevated_access.csv",
                "sod.pdf",
                "sod_conflicts.csv",
                "sod_mitigations.csv",
                "leavers.pdf",
                "leavers.csv",
                "personal_data.pdf",
                "personal_data.csv",
                "review_lines.csv",
                "audit_trail.csv",
                "manifest.json",
            }
            <= names
        )
        self.assertEqual(
            manifest["audit_head"], {"sequence": head_sequence, "hash": head_hash}
        )
        self.assertIn(head_hash, audit_csv)
        self.assertEqual(wizard.head_sequence, head_sequence)
        self.assertEqual(wizard.pack_sha256, evidence_pack.sha256_hex(data))
        # Its SHA-256 is recorded in the trail.
        recorded = self.audit_since(mark, "evidence_pack")
        self.assertEqual(len(recorded), 1)
        self.assertIn(wizard.pack_sha256, recorded.details)
        self.assertIn(wizard.pack_sha256, recorded.description)

        # Untouched database: intact, by the wizard and by the script.
        check = self.verify(data)
        self.assertEqual(check.state, "intact", check.result)
        self.assertIn(f"every entry up to #{head_sequence}", check.result)
        self.assertIn("Yes", check.recorded_text)
        status, output = self.run_script(data)
        self.assertEqual(status, 0, output)
        self.assertIn("INTACT", output)

        # A file of the pack changed: named.
        buffer = io.BytesIO()
        with (
            zipfile.ZipFile(io.BytesIO(data)) as source,
            zipfile.ZipFile(buffer, "w") as target,
        ):
            for name in source.namelist():
                content = source.read(name)
                if name == "elevated_access.csv":
                    content += b"forged,row\n"
                target.writestr(name, content)
        check = self.verify(buffer.getvalue())
        self.assertEqual(check.state, "altered")
        self.assertIn("elevated_access.csv: its SHA-256 differs", check.result)

        # One audit entry altered with the trigger disabled: named.
        victim = self.Audit.sudo().search([("sequence", "=", head_sequence - 2)])
        self.tamper(
            "UPDATE access_governance_audit SET description = %s WHERE id = %s",
            ["nothing happened here", victim.id],
        )
        check = self.verify(data)
        self.assertEqual(check.state, "altered")
        self.assertEqual(check.first_altered_sequence, head_sequence - 2)
        self.assertIn(f"Entry #{head_sequence - 2} (id {victim.id}", check.result)
        self.assertIn("was altered", check.result)
        status, output = self.run_script(data)
        self.assertEqual(status, 1, output)
        self.assertIn(f"Entry #{head_sequence - 2}", output)
        self.assertIn("ALTERED", output)

    def test_deleted_entry_named(self):
        self.seal_audit()
        _wizard, data = self.build_pack()
        self.tamper("DELETE FROM access_governance_audit WHERE sequence = %s", [3])
        check = self.verify(data)
        self.assertEqual(check.state, "altered")
        self.assertIn("Entry #3 is missing", check.result)
        self.assertEqual(check.first_altered_sequence, 3)

    def test_pack_for_auditors_only(self):
        with self.assertRaises(AccessError):
            self.env["access.governance.evidence.pack"].with_user(
                self.user_employee
            ).create(self.period)
