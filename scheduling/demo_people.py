"""The demo clinic's people: its staff and forty patients, each name and address unique."""

import re

from scheduling.models import Role

# username, first name, last name, role; the first of each role is the one `make run` prints.
STAFF = [
    ("coordinator", "Sara", "Patel", Role.COORDINATOR),
    ("physician", "James", "Whitfield", Role.PHYSICIAN),
    ("physician2", "Aisha", "Rahman", Role.PHYSICIAN),
    ("lab", "Tom", "Hughes", Role.LAB),
    ("clinicadmin", "Helen", "Carter", Role.ADMIN),
]

FIRST_NAMES = [
    "Amelia", "Olivia", "Isla", "Emily", "Sophie", "Charlotte", "Hannah", "Lucy", "Grace",
    "Ellie", "Chloe", "Megan", "Holly", "Rebecca", "Laura", "Katie", "Rachel", "Gemma", "Priya",
    "Aisling", "Niamh", "Siobhan", "Fatima", "Zara", "Harriet", "Eleanor", "Imogen", "Freya",
    "Rhiannon", "Bethan", "Catrin", "Kirsty", "Fiona", "Morag", "Ayesha", "Nadia", "Leah",
    "Jasmine", "Naomi", "Abigail",
]  # fmt: skip
LAST_NAMES = [
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson",
    "Wright", "Thompson", "Evans", "Walker", "Roberts", "Green", "Hall", "Wood", "Jackson",
    "Clarke", "Khan", "Hughes", "Edwards", "Lewis", "Harris", "Morgan", "Murphy", "O'Brien",
    "Campbell", "Kaur", "Begum", "Ahmed", "Reid", "MacDonald", "Fraser", "Price", "Bennett",
    "Turner", "Okoye", "Mensah", "Nowak",
]  # fmt: skip


def patient_name(number: int) -> tuple[str, str]:
    """The `number`th patient's first and last name: every first name once, so no two repeat."""
    return FIRST_NAMES[number % len(FIRST_NAMES)], LAST_NAMES[(number * 7 + 3) % len(LAST_NAMES)]


def patient_email(first: str, last: str) -> str:
    local = re.sub(r"[^a-z.]", "", f"{first}.{last}".lower())
    return f"{local}@patients.example"
