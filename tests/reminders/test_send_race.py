"""One send task running twice at once: a message Celery handed out again while the first copy
still ran (a broker reconnect restores unacknowledged messages; acks are late). The two copies
hold the same ids and token; between a row's SMTP conversation and the write that marks it
sent, the row is still claimed by that token. Each reminder must still reach the patient once.
"""

import pytest

from scheduling.services.outbox import reminders_claim, reminders_send
from tests.races import race, unexpected
from tests.reminders.helpers import due_reminders, smtp_on, status_counts

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]


def test_a_send_task_running_twice_at_once_sends_each_reminder_once(settings):
    with smtp_on(settings) as server:
        server.handler.delay = 0.005  # a conversation long enough for the copies to meet
        rows = due_reminders(60)
        claim = reminders_claim()

        def send():
            return reminders_send(ids=claim["ids"], token=claim["token"])

        results = race(send, send)
    assert unexpected(results) == []
    assert server.handler.ids() == {row.message_id: 1 for row in rows}
    assert sum(result["sent"] for result in results) == 60
    assert status_counts() == {"sent": 60}
