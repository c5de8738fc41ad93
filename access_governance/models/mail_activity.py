# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Approval and review to-dos on access requests.

Marking an approver's to-do done *is* that approver's decision: it runs the
grant's gate (refused for the beneficiary and the requester) and records the
approval with the feedback as comment. Only the assigned approver and
governance managers may mark done, edit or cancel such a to-do; the grant's
``activity_update()`` (trusted code) keeps them in line with the state."""

from odoo import models
from odoo.exceptions import AccessError, UserError
from odoo.tools import html2plaintext

from .access_governance_guarded import is_trusted

GRANT_MODEL = "access.governance.grant"
ACTIVITY_APPROVAL = "access_governance.mail_activity_type_grant_approval"
ACTIVITY_REVIEW = "access_governance.mail_activity_type_grant_review"


class MailActivity(models.Model):
    _inherit = "mail.activity"

    def _governance_grant_activities(self, xmlids=(ACTIVITY_APPROVAL, ACTIVITY_REVIEW)):
        """The approval / review to-dos of access requests among ``self``."""
        types = self.env["mail.activity.type"]
        for xmlid in xmlids:
            types |= self.env.ref(xmlid, raise_if_not_found=False) or types
        if not types:
            return self.browse()
        # sudo: reading the model and type of activities the caller may not
        # read; only used to decide whether the guard applies.
        return (
            self.sudo()
            .filtered(
                lambda a: a.res_model == GRANT_MODEL and a.activity_type_id in types
            )
            .with_env(self.env)
        )

    def _check_access(self, operation):
        result = super()._check_access(operation)
        if operation not in ("write", "unlink") or not self or is_trusted():
            return result
        guarded = self._governance_grant_activities()
        if not guarded or self.env.user.has_group(
            "access_governance.group_governance_manager"
        ):
            return result
        forbidden = guarded.filtered(lambda a: a.sudo().user_id != self.env.user)
        if result:
            forbidden -= result[0]
        if not forbidden:
            return result
        if result:
            return (result[0] + forbidden, result[1])
        return (
            forbidden,
            lambda: AccessError(
                self.env._(
                    "Only the assigned approver or an Access Governance manager "
                    "may mark done, change or cancel this approval to-do."
                )
            ),
        )

    def _action_done(self, feedback=False, attachment_ids=None):
        if is_trusted():
            return super()._action_done(
                feedback=feedback, attachment_ids=attachment_ids
            )
        approvals = self._governance_grant_activities((ACTIVITY_APPROVAL,))
        reviews = self._governance_grant_activities((ACTIVITY_REVIEW,))
        if not approvals and not reviews:
            return super()._action_done(
                feedback=feedback, attachment_ids=attachment_ids
            )
        # The guard above (write access) first: nobody else's to-do.
        (approvals | reviews).check_access("write")
        comment = html2plaintext(feedback).strip() if feedback else None
        Grant = self.env[GRANT_MODEL]
        # Read before the grant's activity_update() removes the to-dos.
        todo = [
            (activity.sudo().res_id, activity in approvals)
            for activity in approvals | reviews
        ]
        for res_id, is_approval in todo:
            grant = Grant.browse(res_id)
            result = (
                grant.action_approve(comment=comment or None)
                if is_approval
                else grant.action_sign_off()
            )
            if isinstance(result, dict):
                # Critical access: the identity check needs the form.
                raise UserError(
                    self.env._(
                        "Approving %s asks for your password: open the request "
                        "and click Approve.",
                        grant.display_name,
                    )
                )
        rest = (self - approvals - reviews).exists()
        if rest:
            return super(MailActivity, rest)._action_done(
                feedback=feedback, attachment_ids=attachment_ids
            )
        return self.env["mail.message"], self.browse()
