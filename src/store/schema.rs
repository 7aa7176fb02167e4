//! Migrations, keyed by `PRAGMA user_version`. Each entry moves the schema
//! from version `i` to `i + 1`; all pending ones run in one transaction.

pub const MIGRATIONS: &[&str] = &[
    // 1: cache, sales, journal, outbox.
    r#"
    CREATE TABLE product (
        sku          TEXT PRIMARY KEY,
        name         TEXT NOT NULL,
        price        TEXT,            -- per unit, incl. VAT (exact decimal text)
        price_per_kg TEXT,            -- or per kg for food by weight
        vat          INTEGER NOT NULL,
        coffee       INTEGER NOT NULL DEFAULT 0,
        tare_g       INTEGER NOT NULL DEFAULT 0,
        CHECK ((price IS NULL) <> (price_per_kg IS NULL))
    ) STRICT;
    CREATE TABLE barcode (
        code TEXT PRIMARY KEY,
        sku  TEXT NOT NULL REFERENCES product(sku) ON DELETE CASCADE
    ) STRICT;
    CREATE TABLE campaign (
        id         TEXT PRIMARY KEY,  -- the ledger's id (a data file's: seed-N)
        skus       TEXT NOT NULL,     -- JSON array
        rate       TEXT NOT NULL,
        from_date  TEXT NOT NULL,
        until_date TEXT NOT NULL
    ) STRICT;
    CREATE TABLE member (
        id            TEXT PRIMARY KEY,
        name          TEXT NOT NULL,
        student       INTEGER NOT NULL,
        student_until TEXT,
        bonus         TEXT NOT NULL,  -- ledger balance ...
        as_of_seq     INTEGER NOT NULL DEFAULT 0  -- ... including this till's events up to here
    ) STRICT;
    CREATE TABLE coupon (
        id          TEXT PRIMARY KEY,
        member      TEXT NOT NULL,
        sku         TEXT NOT NULL,
        valid_until TEXT,
        used        INTEGER NOT NULL
    ) STRICT;
    CREATE TABLE card (
        id     TEXT PRIMARY KEY,
        member TEXT NOT NULL,
        clips  INTEGER NOT NULL CHECK (clips >= 0),
        as_of_seq INTEGER NOT NULL DEFAULT 0
    ) STRICT;
    CREATE TABLE setting (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) STRICT;
    CREATE TABLE sync_state (
        id            INTEGER PRIMARY KEY CHECK (id = 1),
        acked_through INTEGER NOT NULL DEFAULT 0,  -- outbox seq the ledger has applied
        cursor        INTEGER NOT NULL DEFAULT 0,  -- change feed position
        last_sync     TEXT
    ) STRICT;
    INSERT INTO sync_state (id) VALUES (1);

    -- One row per receipt: sales, returns and training receipts. `nr` is the
    -- SAF-T transaction number (gap-free per till, signed); `number` counts
    -- within the kind's own receipt series.
    CREATE TABLE sale (
        id            TEXT PRIMARY KEY,            -- uuid v7
        nr            INTEGER NOT NULL UNIQUE,
        kind          TEXT NOT NULL CHECK (kind IN ('sale', 'return', 'training')),
        number        INTEGER NOT NULL,
        seq           INTEGER UNIQUE REFERENCES outbox(seq) DEFERRABLE INITIALLY DEFERRED, -- NULL for training
        at            TEXT NOT NULL,
        till          TEXT NOT NULL,
        mode          TEXT NOT NULL,
        operator      TEXT,
        member        TEXT,
        total         TEXT NOT NULL,               -- incl. VAT, before cash rounding
        total_ex      TEXT NOT NULL,               -- excl. VAT
        rounding      TEXT NOT NULL,
        bonus_used    TEXT NOT NULL,
        bonus_earned  TEXT NOT NULL,
        offline       INTEGER NOT NULL,
        original_sale TEXT REFERENCES sale(id),    -- a return's sale
        signature     TEXT NOT NULL,               -- RSA-SHA1 chain (norway-compliance.md)
        key_version   TEXT NOT NULL,
        receipt       TEXT NOT NULL,               -- the receipt as printed (JSON), for copies
        UNIQUE (kind, number)
    ) STRICT;
    CREATE TRIGGER sale_nr_gap_free BEFORE INSERT ON sale
    WHEN NEW.nr <> (SELECT COALESCE(MAX(nr), 0) + 1 FROM sale)
    BEGIN SELECT RAISE(ABORT, 'sale nr must follow the last one without a gap'); END;
    -- At most one copy of a receipt (kassasystemforskrifta).
    CREATE TABLE receipt_copy (
        sale_id  TEXT PRIMARY KEY REFERENCES sale(id),
        at       TEXT NOT NULL,
        operator TEXT
    ) STRICT;
    -- Z reports: numbered, once per till per day; each closes a period.
    CREATE TABLE z_report (
        number       INTEGER PRIMARY KEY,
        day          TEXT NOT NULL UNIQUE,         -- local date
        at           TEXT NOT NULL,
        last_nr      INTEGER NOT NULL,             -- last sale nr in the period
        last_journal INTEGER NOT NULL,             -- last journal id in the period
        grand_sales  TEXT NOT NULL,                -- grand totals since installation
        grand_returns TEXT NOT NULL,
        report       TEXT NOT NULL                 -- the whole report, JSON
    ) STRICT;
    CREATE INDEX sale_member ON sale(member, seq);
    CREATE TABLE sale_line (
        sale_id       TEXT NOT NULL REFERENCES sale(id),
        line_no       INTEGER NOT NULL,
        sku           TEXT NOT NULL,
        name          TEXT NOT NULL,
        qty           INTEGER NOT NULL,
        grams         INTEGER,
        unit_price    TEXT NOT NULL,
        discount      TEXT NOT NULL,
        discount_kind TEXT,
        discount_ref  TEXT,
        amount        TEXT NOT NULL,
        vat           INTEGER NOT NULL,
        PRIMARY KEY (sale_id, line_no)
    ) STRICT;
    CREATE TABLE tender (
        sale_id   TEXT NOT NULL REFERENCES sale(id),
        pos       INTEGER NOT NULL,
        kind      TEXT NOT NULL,
        amount    TEXT NOT NULL,
        reference TEXT,
        PRIMARY KEY (sale_id, pos)
    ) STRICT;
    -- A coupon is redeemed at most once on this till: the key enforces it.
    CREATE TABLE coupon_use (
        coupon  TEXT PRIMARY KEY,
        sale_id TEXT NOT NULL REFERENCES sale(id)
    ) STRICT;
    CREATE TABLE clip_use (
        sale_id TEXT NOT NULL REFERENCES sale(id),
        card    TEXT NOT NULL,
        n       INTEGER NOT NULL CHECK (n > 0),
        PRIMARY KEY (sale_id, card)
    ) STRICT;
    CREATE INDEX clip_use_card ON clip_use(card);

    CREATE TABLE journal (
        id       INTEGER PRIMARY KEY AUTOINCREMENT,
        at       TEXT NOT NULL,
        till     TEXT NOT NULL,
        operator TEXT,
        code     INTEGER NOT NULL,   -- SAF-T PredefinedBasicID-13
        kind     TEXT NOT NULL,
        sale_id  TEXT,
        detail   TEXT NOT NULL       -- JSON
    ) STRICT;

    -- Transactional outbox for the ledger; seq is gap-free, allocated in the
    -- sale's own transaction.
    CREATE TABLE outbox (
        seq     INTEGER PRIMARY KEY,
        id      TEXT NOT NULL UNIQUE,
        kind    TEXT NOT NULL,
        at      TEXT NOT NULL,
        offline INTEGER NOT NULL,
        body    TEXT NOT NULL
    ) STRICT;
    CREATE TRIGGER outbox_gap_free BEFORE INSERT ON outbox
    WHEN NEW.seq <> (SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox)
    BEGIN SELECT RAISE(ABORT, 'outbox seq must follow the last one without a gap'); END;

    -- What happened cannot be changed (kassasystemforskrifta § 2-6).
    CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal
    BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
    CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal
    BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
    CREATE TRIGGER sale_no_update BEFORE UPDATE ON sale
    BEGIN SELECT RAISE(ABORT, 'a completed sale cannot be changed'); END;
    CREATE TRIGGER sale_no_delete BEFORE DELETE ON sale
    BEGIN SELECT RAISE(ABORT, 'a completed sale cannot be deleted'); END;
    CREATE TRIGGER sale_line_no_update BEFORE UPDATE ON sale_line
    BEGIN SELECT RAISE(ABORT, 'a completed sale cannot be changed'); END;
    CREATE TRIGGER sale_line_no_delete BEFORE DELETE ON sale_line
    BEGIN SELECT RAISE(ABORT, 'a completed sale cannot be deleted'); END;
    CREATE TRIGGER tender_no_update BEFORE UPDATE ON tender
    BEGIN SELECT RAISE(ABORT, 'a completed sale cannot be changed'); END;
    CREATE TRIGGER tender_no_delete BEFORE DELETE ON tender
    BEGIN SELECT RAISE(ABORT, 'a completed sale cannot be deleted'); END;
    CREATE TRIGGER receipt_copy_no_update BEFORE UPDATE ON receipt_copy
    BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
    CREATE TRIGGER receipt_copy_no_delete BEFORE DELETE ON receipt_copy
    BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
    CREATE TRIGGER z_report_no_update BEFORE UPDATE ON z_report
    BEGIN SELECT RAISE(ABORT, 'a Z report cannot be changed'); END;
    CREATE TRIGGER z_report_no_delete BEFORE DELETE ON z_report
    BEGIN SELECT RAISE(ABORT, 'a Z report cannot be deleted'); END;
    CREATE TRIGGER outbox_no_update BEFORE UPDATE ON outbox
    BEGIN SELECT RAISE(ABORT, 'outbox events cannot be changed'); END;
    CREATE TRIGGER outbox_no_delete BEFORE DELETE ON outbox
    BEGIN SELECT RAISE(ABORT, 'outbox events cannot be deleted'); END;
    "#,
    // 2: payment intents (spec/payments.md): written before a provider is
    // asked, closed when the sale commits or the payment fails.
    r#"
    CREATE TABLE payment_intent (
        id              TEXT PRIMARY KEY,          -- uuid v7: provider reference and idempotency key
        sale_id         TEXT NOT NULL,
        tender          TEXT NOT NULL,
        amount          TEXT NOT NULL,
        provider        TEXT NOT NULL,
        created_at      TEXT NOT NULL,
        snapshot        TEXT NOT NULL,             -- JSON: the frozen sale to commit on approval
        state           TEXT NOT NULL DEFAULT 'open'
                        CHECK (state IN ('open', 'committed', 'failed', 'reversal_pending', 'reversed')),
        transaction_id  TEXT,
        approved_amount TEXT,
        closed_at       TEXT,
        note            TEXT
    ) STRICT;
    CREATE INDEX payment_intent_open ON payment_intent(state) WHERE state IN ('open', 'reversal_pending');
    CREATE UNIQUE INDEX payment_intent_one_commit ON payment_intent(sale_id) WHERE state = 'committed';
    "#,
    // 3: VAT classes (spec/rules.md): a product or line may be exempt —
    // outside the VAT act, which no rate says. `vat` keeps the rate charged
    // (0 when exempt); `vat_class` names the class ('25' … '0', 'exempt').
    // Rows written before it have none: their class is their rate.
    r#"
    ALTER TABLE product ADD COLUMN vat_class TEXT
        CHECK (vat_class IN ('25', '15', '12', '0', 'exempt'));
    ALTER TABLE sale_line ADD COLUMN vat_class TEXT
        CHECK (vat_class IN ('25', '15', '12', '0', 'exempt'));
    "#,
    // 4: returns (issue 17): which units of which original sale each return
    // gave back, so a unit sold once is returned at most once. The original
    // may be another till's sale (looked up at the ledger): it is named by
    // till and sales receipt number, not by a key into `sale`.
    r#"
    CREATE TABLE return_line (
        return_id       TEXT NOT NULL REFERENCES sale(id),
        original_till   TEXT NOT NULL,
        original_number INTEGER NOT NULL,
        original_id     TEXT NOT NULL,
        line_no         INTEGER NOT NULL,
        qty             INTEGER NOT NULL CHECK (qty > 0),
        PRIMARY KEY (return_id, line_no)
    ) STRICT;
    CREATE INDEX return_line_original ON return_line(original_till, original_number);
    CREATE TRIGGER return_line_no_update BEFORE UPDATE ON return_line
    BEGIN SELECT RAISE(ABORT, 'returned units cannot be changed'); END;
    CREATE TRIGGER return_line_no_delete BEFORE DELETE ON return_line
    BEGIN SELECT RAISE(ABORT, 'returned units cannot be deleted'); END;
    "#,
];

pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;
