# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""One run of a detector: where it is (the last id it examined), what it found.

A scheduled detector examines one batch per call and lets Odoo's scheduler
call it again while work remains (the scheduler commits between calls). The
run record is what makes that resumable: a crashed batch is rolled back with
everything it wrote, the cursor included, so the next call redoes exactly that
batch. Runs are written by the detectors only (as superuser); auditors read
them as evidence of when each audit last ran and what it saw.
"""

from odoo import fields, models

RUN_STATES = [("running", "Running"), ("done", "Done")]


class AccessGovernanceDetectorRun(models.Model):
    _name = "access.governance.detector.run"
    _description = "Detector Run"
    _order = "id desc"

    detector = fields.Char(
        required=True, readonly=True, index=True, help="The detector's model."
    )
    finding_type = fields.Char(readonly=True)
    state = fields.Selection(
        RUN_STATES, default="running", required=True, readonly=True, index=True
    )
    date_start = fields.Datetime(readonly=True, default=fields.Datetime.now)
    date_end = fields.Datetime(readonly=True)
    cursor = fields.Integer(
        readonly=True, help="The last id of the detector's scope examined."
    )
    done_count = fields.Integer(string="Examined", readonly=True)
    found_count = fields.Integer(string="Findings Reported", readonly=True)
    resolved_count = fields.Integer(string="Findings Resolved", readonly=True)
    batch_count = fields.Integer(string="Batches", readonly=True)

    def init(self):
        # One running run per detector: two workers cannot interleave.
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS
                access_governance_detector_run_running_uniq
            ON access_governance_detector_run (detector)
            WHERE state = 'running'
            """
        )
