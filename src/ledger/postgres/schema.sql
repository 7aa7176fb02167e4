-- The ledger's first schema in PostgreSQL (migration 1; later ones follow
-- in src/ledger/postgres.rs). Same tables as the SQLite backend.
CREATE TABLE counter (
    id INT PRIMARY KEY CHECK (id = 1),
    last_no BIGINT NOT NULL
);
INSERT INTO counter (id, last_no) VALUES (1, 0);

CREATE TABLE till (
    id TEXT PRIMARY KEY,
    token_hash BYTEA NOT NULL UNIQUE,
    acked_through BIGINT NOT NULL DEFAULT 0,
    enrolled_at BIGINT NOT NULL
);

CREATE TABLE event (
    till TEXT NOT NULL REFERENCES till (id),
    seq BIGINT NOT NULL,
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    at TEXT NOT NULL,
    offline BOOLEAN NOT NULL,
    body TEXT NOT NULL,
    digest TEXT NOT NULL,
    flags TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (till, seq)
);

CREATE TABLE entity (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    change_no BIGINT NOT NULL UNIQUE,
    data TEXT,
    PRIMARY KEY (kind, id)
);

CREATE TABLE exception (
    id BIGSERIAL PRIMARY KEY,
    till TEXT NOT NULL,
    seq BIGINT NOT NULL,
    event_id TEXT NOT NULL,
    flag TEXT NOT NULL,
    at TEXT NOT NULL,
    recorded_at BIGINT NOT NULL
);

CREATE TABLE alarm (
    id BIGSERIAL PRIMARY KEY,
    till TEXT NOT NULL,
    seq BIGINT NOT NULL,
    detail TEXT NOT NULL,
    recorded_at BIGINT NOT NULL
);

CREATE TABLE reservation (
    till TEXT NOT NULL,
    id TEXT NOT NULL,
    digest TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    confirmed BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (till, id)
);

CREATE TABLE reservation_item (
    till TEXT NOT NULL,
    res_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    item_ref TEXT NOT NULL,
    n BIGINT NOT NULL,
    amount_ore BIGINT NOT NULL,
    FOREIGN KEY (till, res_id) REFERENCES reservation (till, id) ON DELETE CASCADE
);
CREATE INDEX reservation_item_ref ON reservation_item (kind, item_ref);
CREATE INDEX reservation_item_owner ON reservation_item (till, res_id);

-- What tills uploaded and what was flagged is evidence: never changed.
CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END
$$;
CREATE TRIGGER event_append_only BEFORE UPDATE OR DELETE ON event
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER exception_append_only BEFORE UPDATE OR DELETE ON exception
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
