"""The faster flattening of patient emails gives the bytes the standard library gives."""

from email import message_from_bytes, policy
from email.policy import compat32

from hypothesis import example, given, settings
from hypothesis import strategies as st

from scheduling.mime import POLICY, PatientMessage

HEADER_NAMES = st.sampled_from(["Subject", "To", "From", "Reply-To", "Message-ID", "X-Long-Header"])
# Printable ASCII, the whitespace `Header` treats specially, encoded-word lookalikes and
# non-ASCII text, up to twice the line length.
TOKENS = st.sampled_from(
    [*map(chr, range(32, 127)), "\t", "  ", "é", "ü", "=?", "?=", "=?utf-8?q?"]
)
WORDS = st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=12
)
HEADER_VALUES = st.one_of(
    st.lists(TOKENS, max_size=160).map("".join),
    # Words around the 78-character line, where folding starts.
    st.lists(WORDS, min_size=1, max_size=16).map(" ".join),
)


@settings(max_examples=500, deadline=None)
@given(name=HEADER_NAMES, value=HEADER_VALUES)
@example(name="Subject", value=" ".join(["word"] * 16))  # 79 characters: folds
@example(name="Subject", value="  spaces  around  ")
def test_a_header_folds_as_compat32_folds_it(name, value):
    for linesep in ("\n", "\r\n"):
        ours, theirs = POLICY.clone(linesep=linesep), compat32.clone(linesep=linesep)
        assert ours.fold(name, value) == theirs.fold(name, value)
        assert ours.fold_binary(name, value) == theirs.fold_binary(name, value)


def make_message(subject="Clinic: your appointment tomorrow, Thu 26 Nov", name="Bea"):
    message = PatientMessage(
        subject=subject,
        body=f"Hello {name},\n\nA reminder.\n",
        from_email="Endoplan <no-reply@clinic.example>",
        to=["bea@patients.example"],
        reply_to=["front-desk@clinic.example"],
        headers={"Message-ID": "<reminder-1@endoplan.local>"},
    )
    message.attach_alternative(f"<p>Hello {name},</p><p>A reminder.</p>", "text/html")
    message.attach("appointment.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar")
    return message


def test_a_whole_email_flattens_to_the_standard_bytes():
    for subject, name in [
        ("Clinic: your appointment tomorrow, Thu 26 Nov", "Bea"),
        ("Clinique Saint-Étienne : votre rendez-vous demain, jeu. 26 nov.", "Zoë"),
        ("A" * 200, "Name with  two spaces "),
    ]:
        built = make_message(subject, name).message()
        ours = built.as_bytes(linesep="\r\n")
        built.policy = compat32  # same tree and boundaries, the standard header folding
        assert ours == built.as_bytes(linesep="\r\n")
        parsed = message_from_bytes(ours, policy=policy.default)
        assert parsed["Subject"].strip() == subject  # a folded subject starts on a new line
        assert [part.get_content_type() for part in parsed.walk()] == [
            "multipart/mixed",
            "multipart/alternative",
            "text/plain",
            "text/html",
            "text/calendar",
        ]


def test_every_multipart_gets_its_own_unguessable_boundary():
    first, second = make_message().message(), make_message().message()
    boundaries = [
        part.get_boundary() for message in (first, second) for part in message.walk()
        if part.is_multipart()
    ]  # fmt: skip
    assert len(boundaries) == 4
    assert len(set(boundaries)) == 4
    assert all(len(boundary) >= 32 for boundary in boundaries)
