"""CSV downloads that open cleanly in a spreadsheet (Excel included).

UTF-8 with a byte-order mark, so Excel reads £ and accented names right; CRLF line
ends; text that a spreadsheet would run as a formula is prefixed with an apostrophe.
"""

import csv
import io
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from flask import Response

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> str:
    """One value as spreadsheet text: numbers as they are, dates in ISO 8601, yes/no for booleans."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    return str(value)


def csv_text(header: list[str], rows: Iterable[list]) -> str:
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([cell(v) for v in header])
    writer.writerows([cell(v) for v in row] for row in rows)
    return buffer.getvalue()


def content_disposition(filename: str) -> str:
    """An attachment header; a name outside ASCII also goes in RFC 6266's filename* form."""
    plain = filename.encode("ascii", "ignore").decode().replace("\\", "").replace('"', "")
    header = f'attachment; filename="{plain}"'
    if plain != filename:
        header += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return header


def csv_response(filename: str, header: list[str], rows: Iterable[list]) -> Response:
    """A text/csv attachment named `filename`."""
    response = Response(csv_text(header, rows).encode("utf-8"), mimetype="text/csv")
    response.headers["Content-Disposition"] = content_disposition(filename)
    response.headers["Cache-Control"] = "private, no-store"
    return response
