"""Background re-plans of a whole clinic after a settings change, with their progress."""

from django.conf import settings
from django.db import models

from scheduling.models.clinics import Clinic


class ReplanRun(models.Model):
    """One settings change followed through: every affected course re-planned by a task."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="replan_runs")
    reason = models.CharField(max_length=200)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    needs_rebooking = models.PositiveIntegerField(default=0)
    refused = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Re-plan after {self.reason}"

    @property
    def summary(self) -> str:
        if self.finished_at is None:
            return f"Re-planning after {self.reason}: {self.done} of {self.total} courses."
        text = f"{self.done} course{'s' if self.done != 1 else ''} re-planned after {self.reason}"
        if self.needs_rebooking:
            text += f", {self.needs_rebooking} booked visit(s) need re-booking"
        if self.refused:
            text += f", {self.refused} course(s) cannot be planned (see needs attention)"
        return text + "."
