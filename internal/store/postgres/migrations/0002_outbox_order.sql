-- Ordered, fair delivery of events (internal/notify), as in the SQLite dialect.
-- leased_until is set while a sender holds a delivery, so that deliveries in
-- flight to one receiver can be counted and capped; it is cleared when the
-- attempt's outcome is recorded, and a crashed sender's lease simply runs out.
ALTER TABLE outbox ADD COLUMN leased_until timestamptz;

-- The claim looks for an older undelivered event of the same export and receiver.
CREATE INDEX outbox_pending_event ON outbox (event_seq) WHERE state = 'pending';
CREATE INDEX outbox_leased ON outbox (leased_until) WHERE leased_until IS NOT NULL;
