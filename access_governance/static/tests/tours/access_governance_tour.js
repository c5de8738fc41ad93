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
