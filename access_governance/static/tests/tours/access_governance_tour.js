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

registry.category("web_tour.tours").add("access_governance_my_access_tour", {
    url: "/odoo/action-access_governance.access_governance_overview_action",
    steps: () => [
        {
            content: "The overview shows the employee's own tiles",
            trigger: ".o_kanban_record:contains(My approvals to do)",
        },
        {
            content: "No auditor tile for an employee",
            trigger: ".o_kanban_view:not(:has(.o_kanban_record:contains(Audit trail integrity)))",
        },
        {
            content: "Open My access",
            trigger: ".o_kanban_record a:contains(My access)",
            run: "click",
        },
        {
            content: "Each group held is a card saying why",
            trigger: ".o_kanban_record:contains(AG Test B):contains(Baseline)",
        },
        {
            content: "Back to the overview",
            trigger: ".o_breadcrumb .o_back_button, .o_breadcrumb a:contains(Overview)",
            run: "click",
        },
        {
            content: "The overview again",
            trigger: ".o_kanban_record:contains(Requests waiting)",
        },
    ],
});

registry.category("web_tour.tours").add("access_governance_accept_finding_tour", {
    steps: () => [
        {
            content: "The finding is open",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains(Open)",
        },
        {
            content: "Say why the risk is accepted",
            trigger: "div[name=accept_reason] textarea",
            run: "edit Compensating control: monthly log review",
        },
        {
            content: "Accept the risk",
            trigger: ".o_statusbar_buttons button[name=action_accept]",
            run: "click",
        },
        {
            content: "The finding is accepted",
            trigger: ".o_statusbar_status button.o_arrow_button_current:contains(Accepted)",
        },
    ],
});

registry.category("web_tour.tours").add("access_governance_review_tour", {
    steps: () => [
        {
            content: "The reviewer sees the line to certify",
            trigger: ".o_form_view .o_field_widget[name=user_id]:contains(Emma Employee)",
        },
        {
            content: "Keep the access",
            trigger: ".o_statusbar_buttons button[name=action_keep]",
            run: "click",
        },
        {
            content: "The decision is recorded",
            trigger: ".o_field_widget[name=decision]:contains(Keep), .o_field_widget[name=decision] select:has(option:selected:contains(Keep))",
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

registry.category("web_tour.tours").add("access_governance_offboard_tour", {
    steps: () => [
        {
            content: "Offboard the leaver from the user form",
            trigger: ".o_form_view .o_statusbar_buttons button[name=action_governance_offboard]",
            run: "click",
        },
        {
            content: "Give the reason",
            trigger: ".modal div[name=reason] input, .modal div[name=reason] textarea",
            run: "edit Left the company on Friday",
        },
        {
            content: "Confirm",
            trigger: ".modal .modal-footer button[name=action_offboard]",
            run: "click",
        },
        {
            content: "The dialog closes on the result",
            trigger: "body:not(:has(.modal .modal-footer button[name=action_offboard]))",
        },
    ],
});
