/** @odoo-module **/
// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import {registry} from "@web/core/registry";

registry.category("web_tour.tours").add("access_governance_audit_tour", {
    url: "/odoo/action-access_governance.access_governance_audit_action",
    steps: () => [
        {
            content: "The audit trail lists entries",
            trigger: ".o_list_view .o_data_row",
        },
        {
            content: "Entries cannot be created from the list",
            trigger: ".o_control_panel:not(:has(.o_list_button_add))",
        },
        {
            content: "Open the Audit menu",
            trigger: ".o_main_navbar .o_menu_sections button:contains(Audit)",
            run: "click",
        },
        {
            content: "Verify the integrity of the chain",
            trigger:
                ".dropdown-item[data-menu-xmlid='access_governance.access_governance_audit_verify_menu']",
            run: "click",
        },
        {
            content: "The chain is intact",
            trigger: ".modal .alert-success:contains(Intact)",
        },
        {
            content: "Close the result",
            trigger: ".modal .modal-footer button:contains(Close)",
            run: "click",
        },
        {
            content: "Back on the audit trail",
            trigger: "body:not(:has(.modal)) .o_list_view .o_data_row",
        },
    ],
});

registry.category("web_tour.tours").add("access_governance_approve_from_todo_tour", {
    url: "/odoo",
    steps: () => [
        {
            content: "Open the activities of the systray",
            trigger: ".o-mail-ActivityMenu-counter",
            run: "click",
        },
        {
            content: "Open the access requests waiting for me",
            trigger: ".o-mail-ActivityGroup:contains(Access Request)",
            run: "click",
        },
        {
            content: "Open Emma's request",
            trigger:
                ".o_data_row:contains(Emma Employee) .o_data_cell[name='name'], .o_kanban_record:contains(Emma Employee)",
            run: "click",
        },
        {
            content: "Mark my approval to-do done from the chatter",
            trigger:
                ".o-mail-Activity:contains(Approve access for Emma Employee) .o-mail-Activity-markDone",
            run: "click",
        },
        {
            content: "Write the feedback",
            trigger: ".o-mail-ActivityMarkAsDone textarea",
            run: "edit OK for one hour",
        },
        {
            content: "Done",
            trigger: ".o-mail-ActivityMarkAsDone button[aria-label='Done']",
            run: "click",
        },
        {
            content: "The feedback is in the chatter",
            trigger: ".o-mail-Message:contains(OK for one hour)",
        },
    ],
});

registry.category("web_tour.tours").add("access_governance_reject_with_reason_tour", {
    url: "/odoo/action-access_governance.access_governance_grant_action_to_approve",
    steps: () => [
        {
            content: "Open Emma's request",
            trigger: ".o_data_row:contains(Emma Employee) .o_data_cell[name='name']",
            run: "click",
        },
        {
            content: "Reject",
            trigger: ".o_form_view .o_form_statusbar button[name='action_reject']",
            run: "click",
        },
        {
            content: "A dialog asks the reason",
            trigger: ".modal .o_field_widget[name='reason'] textarea",
            run: "edit Use the shared report instead",
        },
        {
            content: "Confirm",
            trigger: ".modal-footer button:contains(Reject)",
            run: "click",
        },
        {
            content: "The request is rejected",
            trigger: "body:not(:has(.modal)) .o_statusbar_status .o_arrow_button_current:contains(Rejected)",
        },
    ],
});
