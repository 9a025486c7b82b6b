"""A clinic's conventions for showing dates and times: locale, first day of the week, clock.

Every clinic follows en-GB today (24-hour times, Monday first, "Tue 1 Dec 2026"); the table is
where another clinic's conventions would go, and ``clinic_conventions`` is the one place that
picks them. Times are always the clinic's own (``Clinic.time_zone``), which the pages say.
"""

from dataclasses import dataclass

from scheduling.models import Clinic


@dataclass(frozen=True, slots=True)
class Conventions:
    locale: str  # BCP 47, as the browser's Intl and FullCalendar's locale files name it
    first_day: int  # of the week, 0 = Sunday (FullCalendar's numbering)
    hour12: bool

    @property
    def calendar_locale(self) -> str:
        """FullCalendar's code for the locale."""
        return self.locale.lower()

    @property
    def calendar_locale_script(self) -> str:
        """The static path of FullCalendar's locale file (from npm's @fullcalendar/core)."""
        return f"vendor/fullcalendar-locales/{self.calendar_locale}.global.min.js"


EN_GB = Conventions(locale="en-GB", first_day=1, hour12=False)
CONVENTIONS = {EN_GB.locale: EN_GB}
DEFAULT_LOCALE = EN_GB.locale


def clinic_conventions(clinic: Clinic) -> Conventions:
    return CONVENTIONS.get(getattr(clinic, "locale", DEFAULT_LOCALE), EN_GB)
