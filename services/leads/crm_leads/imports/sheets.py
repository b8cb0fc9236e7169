"""The leads import's sheet: the generic reader (`crm_shared.sheets`) with the columns of a customer
registration sheet (`columns.COLUMNS`); a sheet without a name and a phone column is refused."""

from __future__ import annotations

from crm_shared import sheets
from crm_shared.sheets import MAX_ROWS, Sheet, decode, text_of

from crm_leads.imports import columns

__all__ = ["MAX_ROWS", "Sheet", "decode", "read", "text_of"]


def read(data: bytes, filename: str = "") -> Sheet:
    """The sheet's header and rows; `Invalid` when the file as a whole cannot be imported."""
    return sheets.read(data, filename, columns.COLUMNS, MAX_ROWS)
