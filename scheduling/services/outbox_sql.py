"""The send path's raw statements (services/outbox.py), one each and written once: they run for
every reminder sent, where building them through the ORM would cost more than running them."""

from scheduling.models import Appointment, Reminder

_R = Reminder._meta.db_table
_A = Appointment._meta.db_table
# The token alone says the row is ours: the sweeper and a move clear it, a new claim replaces
# it. An expired lease is no reason to stop (the heartbeat renewed it at most half a lease ago).
# A send begun less than its grace ago is another copy of this task at work (Celery can hand a
# message out twice): not begun again.
BEGIN = f"""
UPDATE {_R} SET attempts = attempts + 1, send_started_at = %s, updated_at = %s
WHERE id = %s AND status = 'claimed' AND claim_token = %s
AND (send_started_at IS NULL OR send_started_at < %s)
AND (appointment_id IS NULL OR EXISTS (
    SELECT 1 FROM {_A} a WHERE a.id = {_R}.appointment_id
    AND a.version = {_R}.appointment_version AND a.status IN ('booked', 'confirmed')
    AND a.starts_at > %s AND a.starts_at = %s))
"""  # noqa: S608 - table names from the models, values as parameters
# Renewing a lease that has less than half of it left touches few rows: most tasks find none.
# RETURNING: the ids renewed, for the audit trail (SQLite 3.35+, PostgreSQL).
RENEW = f"""
UPDATE {_R} SET lease_expires_at = %s
WHERE status = 'claimed' AND claim_token >= %s AND lease_expires_at < %s
RETURNING id, clinic_id
"""  # noqa: S608
RENEW_SKIP_LOCKED = f"""
UPDATE {_R} SET lease_expires_at = %s WHERE id IN (
    SELECT id FROM {_R} WHERE status = 'claimed' AND claim_token >= %s AND lease_expires_at < %s
    FOR UPDATE SKIP LOCKED)
RETURNING id, clinic_id
"""  # noqa: S608
MARK_SENT = f"""
UPDATE {_R} SET status = 'sent', sent_at = %s, updated_at = %s, claim_token = '',
    last_error = ''
WHERE id = %s AND status = 'claimed' AND claim_token = %s
"""  # noqa: S608
