# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
# Pure-Python helpers, importable without Odoo (see evidence_pack.py).
