-- Alerts waiting to be delivered. Rows are written in the same transaction
-- that closes a run, so a run's alerts exist exactly when its results do;
-- delivered_at is set once the channel accepted the message, so a restart
-- does not send it again and an outage does not lose it.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    run_id          INTEGER NOT NULL REFERENCES runs(id),
    channel         TEXT    NOT NULL,   -- 'email' | 'webhook'
    subject         TEXT    NOT NULL,
    body            TEXT    NOT NULL,   -- plain text, as sent
    payload         TEXT    NOT NULL,   -- JSON, for the webhook
    created_at      TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT    NOT NULL,
    last_error      TEXT,
    delivered_at    TEXT
);
CREATE INDEX outbox_pending ON outbox (delivered_at, next_attempt_at);
