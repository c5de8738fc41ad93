# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.fields import Command
from odoo.tests.common import TransactionCase
from odoo.tools import SQL

from odoo.addons.mail.tests.common import mail_new_test_user


class AccessGovernanceCommon(TransactionCase):
    """One user per governance role, plus governed fixture groups.

    - ``user_employee``: internal user (Access Governance / User by implication)
    - ``user_employee2``: another internal user
    - ``user_auditor``: Access Governance / Auditor
    - ``user_manager``: Access Governance / Manager
    - ``user_admin_gov``: Access Governance / Administrator (not Settings)
    - ``user_system``: Settings administrator
    - ``group_a`` implies ``group_a_base``; ``group_b``; ``group_c``: governed
      fixture groups; ``group_pref``: a preference group; ``group_tech``: a
      technical group.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.Claim = cls.env["access.governance.claim"]
        cls.Audit = cls.env["access.governance.audit"]
        Groups = cls.env["res.groups"]
        cls.group_a_base = Groups.create(
            {"name": "AG Test A Base", "governance_scope": "governed"}
        )
        cls.group_a = Groups.create(
            {
                "name": "AG Test A",
                "governance_scope": "governed",
                "governance_risk": "high",
                "implied_ids": [(4, cls.group_a_base.id)],
            }
        )
        cls.group_b = Groups.create(
            {"name": "AG Test B", "governance_scope": "governed"}
        )
        cls.group_c = Groups.create(
            {"name": "AG Test C", "governance_scope": "governed"}
        )
        cls.group_pref = cls.env.ref("mail.group_mail_notification_type_inbox")
        cls.group_tech = Groups.create(
            {"name": "AG Test Technical", "governance_scope": "technical"}
        )
        cls.user_employee = mail_new_test_user(
            cls.env, login="ag_employee", name="Emma Employee", groups="base.group_user"
        )
        cls.user_employee2 = mail_new_test_user(
            cls.env,
            login="ag_employee2",
            name="Eric Employee",
            groups="base.group_user",
        )
        cls.user_auditor = mail_new_test_user(
            cls.env,
            login="ag_auditor",
            name="Alice Auditor",
            groups="base.group_user,access_governance.group_governance_auditor",
        )
        cls.user_manager = mail_new_test_user(
            cls.env,
            login="ag_manager",
            name="Mark Manager",
            groups="base.group_user,access_governance.group_governance_manager",
        )
        cls.user_admin_gov = mail_new_test_user(
            cls.env,
            login="ag_admin",
            name="Ada Administrator",
            groups="base.group_user,access_governance.group_governance_admin",
        )
        cls.user_system = mail_new_test_user(
            cls.env,
            login="ag_system",
            name="Sam Settings",
            groups="base.group_user,base.group_system",
        )

    def run_detector(self, *finding_types):
        """Run detectors as their scheduled job does (outside a worker)."""
        return self.env["access.governance.detector"]._detectors_run(finding_types)

    def last_audit_sequence(self):
        """A mark of the audit trail's current end, for :meth:`audit_since`.

        The id of the last entry written: entries get their sequence number
        when sealed, which may be after the transaction that wrote them.
        """
        self.env.flush_all()
        self.env.cr.execute("SELECT COALESCE(MAX(id), 0) FROM access_governance_audit")
        return self.env.cr.fetchone()[0]

    def tamper(self, sql, params):
        """Run ``sql`` with the protection trigger disabled, as a DBA would."""
        cr = self.env.cr
        self.env.flush_all()
        cr.execute(
            "ALTER TABLE access_governance_audit "
            "DISABLE TRIGGER access_governance_audit_no_change"
        )
        cr.execute(sql, params)
        cr.execute(
            "ALTER TABLE access_governance_audit "
            "ENABLE TRIGGER access_governance_audit_no_change"
        )
        self.env.invalidate_all()

    def seal_audit(self):
        """Seal the entries this test wrote, as the sealer would once they
        committed, and return them.

        A test never commits, so the sealer (which seals only entries of
        finished transactions) never sees its entries, and the trigger refuses
        to seal them in the transaction that wrote them. This seals them in
        the test's transaction with the protection triggers disabled, as a
        database owner can, and enables them again; all of it is rolled back
        with the test. The chaining is the sealer's own code.
        """
        Audit = self.env["access.governance.audit"]
        self.env.flush_all()
        cr = self.env.cr
        triggers = [
            ("access_governance_audit", "access_governance_audit_no_change"),
            ("access_governance_audit_head", "access_governance_audit_head_guard"),
        ]
        for table, trigger in triggers:
            cr.execute(
                SQL(
                    "ALTER TABLE %s DISABLE TRIGGER %s",
                    SQL.identifier(table),
                    SQL.identifier(trigger),
                )
            )
        seals = Audit._audit_seal_compute(
            Audit._audit_head(),
            Audit._audit_seal_candidates(cr, finished_only=False),
        )
        Audit._audit_seal_write(cr, seals)
        if seals:
            cr.execute(
                "UPDATE access_governance_audit_head "
                "SET last_sequence = %s, last_hash = %s WHERE id = 1",
                [seals[-1][1], seals[-1][3]],
            )
        for table, trigger in triggers:
            cr.execute(
                SQL(
                    "ALTER TABLE %s ENABLE TRIGGER %s",
                    SQL.identifier(table),
                    SQL.identifier(trigger),
                )
            )
        self.env.invalidate_all()
        return Audit.sudo().browse([seal[0] for seal in seals])

    def audit_since(self, mark, event=None):
        """Audit entries written after ``mark``, oldest first."""
        domain = [("id", ">", mark)]
        if event:
            domain.append(("event", "=", event))
        return self.Audit.sudo().search(domain, order="id")

    def groups_of(self, user):
        """The groups a user holds, read from the database."""
        self.env.flush_all()
        user.invalidate_recordset(["groups_id"])
        return user.groups_id

    def give_baseline(self, user, groups, admin=None):
        """Give groups directly, as an administrator on the user form would."""
        user.with_user(admin or self.user_system).write(
            {"groups_id": [Command.link(group.id) for group in groups]}
        )

    def pending_changes(self, record):
        """Policy changes of ``record`` awaiting a second administrator."""
        return (
            self.env["access.governance.policy.change"]
            .sudo()
            .search(
                [
                    ("res_model", "=", record._name),
                    ("res_id", "=", record.id),
                    ("state", "=", "submitted"),
                ]
            )
        )

    def approve_pending(self, record, approver=None):
        """Approve (and so apply) the pending policy changes of ``record`` as
        a second Settings administrator (``base.user_admin`` by default)."""
        changes = self.pending_changes(record)
        self.assertTrue(changes, f"no pending policy change on {record.display_name}")
        changes.with_user(approver or self.env.ref("base.user_admin")).action_approve()
        return changes

    def active_claims(self, user, group=None):
        domain = [("user_id", "=", user.id), ("active", "=", True)]
        if group:
            domain.append(("group_id", "=", group.id))
        return self.Claim.sudo().search(domain)
