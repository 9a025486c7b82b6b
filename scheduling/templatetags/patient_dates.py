"""Days in patients' emails and link pages: "Tue 8 Dec", with the year when not this year."""

from django import template

from scheduling.emails import patient_day

register = template.Library()


@register.filter
def short_day(value) -> str:
    """ "Tue 8 Dec" (this year) or "Tue 4 Jan 2028"."""
    return patient_day(value) if value else ""


@register.filter
def long_day(value) -> str:
    """ "Tuesday 8 December" (this year) or "Tuesday 4 January 2028"."""
    return patient_day(value, long=True) if value else ""
