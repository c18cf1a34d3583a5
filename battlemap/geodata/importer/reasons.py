"""Why a row was rejected: stable reason codes (for the summary and the rejects file).

The order is the order in which rows are checked; a row with several problems is counted
under the first and its detail lists them all.
"""

from __future__ import annotations

__all__ = ["REASONS", "reason_index"]

REASONS: dict[str, str] = {
    "malformed_row": "row does not have the header's number of fields",
    "missing_id": "missing household ID",
    "malformed_id": "malformed household ID",
    "too_long": "value too long",
    "missing_value": "required value missing",
    "unknown_village": "unknown village code",
    "bad_number": "not a number",
    "size_out_of_range": "household size out of range",
    "unknown_hh_type": "unknown household type",
    "unknown_cause": "unknown poverty cause",
    "unknown_status": "unknown status",
    "bad_flag": "yes/no value not understood",
    "year_out_of_range": "year out of range",
    "coordinates_out_of_range": "longitude/latitude out of range",
    "duplicate_in_store": "household ID already used in the store",
    "swapped_lon_lat": "longitude and latitude swapped",
    "outside_village": "point outside its village",
    "duplicate_in_file": "duplicate household ID in the file",
    "status_sequence": "impossible status sequence",
}
_INDEX = {code: i for i, code in enumerate(REASONS)}


def reason_index(code: str) -> int:
    """Position of a reason code in :data:`REASONS` (KeyError for an unknown code)."""
    return _INDEX[code]
