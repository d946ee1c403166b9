"""How the API spells values, parsed in one place for query parameters and bodies alike.

One spelling each, in ASCII digits: a whole number is `-?[0-9]+` (no `+`, no `_`, no
full-width or Arabic-Indic digits), a decimal adds `.[0-9]+`, a month is `YYYY-MM`, a date
`YYYY-MM-DD`. Dates and months lie in the catalog's domain, EARLIEST to LATEST: a
smart-vehicle catalog has nothing to say about the year 1 or 9999, and bounding the range
keeps every series and every answer bounded.
"""

import datetime
import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

EARLIEST = datetime.date(1900, 1, 1)
LATEST = datetime.date(2099, 12, 31)
RANGE_TEXT = f"from {EARLIEST:%Y-%m-%d} to {LATEST:%Y-%m-%d}"
MONTH_RANGE_TEXT = f"from {EARLIEST:%Y-%m} to {LATEST:%Y-%m}"

INTEGER = re.compile(r"-?[0-9]+\Z")
DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?\Z")
MONTH = re.compile(r"([0-9]{4})-([0-9]{2})\Z")
DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})\Z")

# The patterns the OpenAPI document states, matching exactly what is parsed here.
MONTH_PATTERN = r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$"
DATE_PATTERN = r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"


def _text(value):
    return value if isinstance(value, str) else str(value)


def parse_integer(value):
    """A whole number written in ASCII digits, optionally negative."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = _text(value)
    if not INTEGER.match(text):
        raise ValidationError(
            gettext(
                "Enter a whole number in ASCII digits, e.g. 2021 (no sign, spaces or separators)."
            ),
            code="invalid",
        )
    return int(text)


def parse_decimal(value):
    """A decimal number written in ASCII digits with an optional `.` and fraction."""
    text = _text(value)
    if not DECIMAL.match(text):
        raise ValidationError(
            gettext(
                "Enter a number in ASCII digits, e.g. 254 or 7.5 (no sign +, exponent or "
                "separators)."
            ),
            code="invalid",
        )
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        raise ValidationError(gettext("Enter a number."), code="invalid") from None


def in_domain(day, text, kind):
    if not EARLIEST <= day <= LATEST:
        if kind == "month":
            message = gettext(
                "'%(value)s' is outside the catalog's range: give a month from %(earliest)s "
                "to %(latest)s."
            )
            span = {"earliest": f"{EARLIEST:%Y-%m}", "latest": f"{LATEST:%Y-%m}"}
        else:
            message = gettext(
                "'%(value)s' is outside the catalog's range: give a date from %(earliest)s "
                "to %(latest)s."
            )
            span = {"earliest": f"{EARLIEST:%Y-%m-%d}", "latest": f"{LATEST:%Y-%m-%d}"}
        raise ValidationError(message % {"value": text, **span}, code="out_of_range")
    return day


def parse_month(value):
    """A calendar month, `YYYY-MM`; returns the first day of that month."""
    if isinstance(value, datetime.date):
        return in_domain(value.replace(day=1), value.isoformat()[:7], "month")
    text = _text(value)
    match = MONTH.match(text)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValidationError(
            gettext(
                "Enter a month as YYYY-MM (four-digit year, two-digit month), e.g. 2025-03; "
                "got '%(value)s'."
            )
            % {"value": text[:20]},
            code="invalid",
        )
    # The year 0 has no date; it lies before the range as the year 1 does.
    year = max(int(match.group(1)), datetime.MINYEAR)
    return in_domain(datetime.date(year, int(match.group(2)), 1), text, "month")


def parse_date(value):
    """A calendar date, `YYYY-MM-DD`, that exists (2025-02-30 does not)."""
    if isinstance(value, datetime.datetime):
        raise ValidationError(
            gettext("Enter a date as YYYY-MM-DD, not a date-time."), code="invalid"
        )
    if isinstance(value, datetime.date):
        return in_domain(value, value.isoformat(), "date")
    text = _text(value)
    match = DATE.match(text)
    if not match:
        raise ValidationError(
            gettext("Enter a date as YYYY-MM-DD, e.g. 2025-06-30; got '%(value)s'.")
            % {"value": text[:20]},
            code="invalid",
        )
    try:
        day = datetime.date(*(int(part) for part in match.groups()))
    except ValueError:
        raise ValidationError(
            gettext("'%(value)s' is not a date: that day does not exist in the calendar.")
            % {"value": text},
            code="invalid_date",
        ) from None
    return in_domain(day, text, "date")


def format_month(day):
    """A month as the schema says: always four digits, a dash, two digits."""
    return f"{day.year:04d}-{day.month:02d}"
