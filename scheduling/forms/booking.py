from django import forms

from scheduling.services import slots as slot_service


class BookingForm(forms.Form):
    """Pick a free slot of the step's allowed days, a room and a clinician."""

    slot = forms.ChoiceField(label="Free slot", help_text="Only the step's allowed days are shown.")
    room = forms.ModelChoiceField(queryset=None, empty_label=None)
    clinician = forms.ModelChoiceField(queryset=None, empty_label=None)

    def __init__(self, *args, clinic, kind: str, free_slots: list[slot_service.Slot], **kwargs):
        super().__init__(*args, **kwargs)
        self.free_slots = {slot.starts_at.isoformat(): slot for slot in free_slots}
        zone = clinic.zone
        by_day: dict[str, list[tuple[str, str]]] = {}
        for key, slot in self.free_slots.items():
            local = slot.starts_at.astimezone(zone)
            label = f"{local:%H:%M} to {slot.ends_at.astimezone(zone):%H:%M}"
            by_day.setdefault(f"{local:%A %-d %B %Y}", []).append((key, label))
        self.fields["slot"].choices = list(by_day.items())
        serving = [room.pk for room in slot_service.rooms_for(clinic, kind)]
        self.fields["room"].queryset = slot_service.clinic_rooms(clinic).filter(pk__in=serving)
        self.fields["clinician"].queryset = slot_service.clinic_clinicians(clinic)

    def clean(self):
        cleaned = super().clean()
        slot = self.free_slots.get(cleaned.get("slot", ""))
        room, clinician = cleaned.get("room"), cleaned.get("clinician")
        if slot is None or room is None or clinician is None:
            return cleaned
        if room.pk not in slot.room_ids:
            self.add_error("room", f"{room} is taken at that time; choose another room or slot.")
        if clinician.pk not in slot.clinician_ids:
            self.add_error("clinician", f"{clinician} is busy at that time.")
        cleaned["starts_at"] = slot.starts_at
        return cleaned


class CancelForm(forms.Form):
    """Cancelling a visit says why, and what happens to its step."""

    reason = forms.CharField(
        label="Reason", max_length=200, help_text="Kept in the visit's history."
    )
    then = forms.ChoiceField(
        label="Then",
        widget=forms.RadioSelect,
        choices=[
            ("plan-again", "Plan this step again (a new tentative visit is planned)"),
            ("drop", "Drop this step from the course"),
        ],
        initial="plan-again",
    )

    def __init__(self, *args, can_drop: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_drop:
            self.fields["then"].choices = self.fields["then"].choices[:1]


class ConfirmActionForm(forms.Form):
    """A destructive action the person confirms on its own page."""

    confirm = forms.BooleanField(label="Yes, I am sure", required=True)
