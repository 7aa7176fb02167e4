//! The till service: one open sale, the rules of `domain`, the cache and
//! journal of `store`. The kiosk and `kasse replay` drive this same type.
//! The payment lifecycle (spec/payments.md) is in `payment.rs`.

mod cash;
mod master;
mod payment;
mod returns;
mod returns_port;

pub use cash::{CashError, NOTE_MAX};
use payment::Pending;
pub use payment::{Answer, Failure, Reservation, Reserve, Reserver, Tendering};
pub use returns::{ReturnLine, ReturnPlan, ReturnRefusal, Returnable};
pub use returns_port::{Original, RemoteSale, ReturnHold};

// The mode is domain vocabulary; `till::Mode` stays the name the till's
// callers know it by.
pub use crate::domain::Mode;

use crate::domain::appcode::{self, AppCode, CodeError};
use crate::domain::barcode::{self, Barcode};
use crate::domain::receipt::{Payment, Receipt, TenderKind};
use crate::domain::sale::{self, CardCheck, Connection, CouponCheck, OfflineLimits};
use crate::domain::{Catalog, Line, Member, Money, Reason, Sale};
use crate::store::{JournalEntry, SaleKind, Store, StoreError, codes};
use chrono::{DateTime, FixedOffset};
use ed25519_dalek::VerifyingKey;

/// What one action at the till led to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Member {
        member: String,
    },
    Line {
        line: usize,
        sku: String,
        qty: u32,
        grams: Option<u32>,
        amount: Money,
    },
    Coupon {
        coupon: String,
        line: usize,
    },
    Clip {
        card: String,
        line: usize,
        clips_left: u32,
    },
    WeightRefused(Reason),
    BonusOffered {
        balance: Money,
        amount: Money,
    },
    BonusUsed {
        amount: Money,
    },
    BonusDeclined,
    Paid {
        receipt: Box<Receipt>,
        tender: Option<TenderKind>,
        amount: Money,
        change: Option<Money>,
    },
    Declined {
        tender: TenderKind,
    },
    Voided {
        line: usize,
        sku: String,
    },
    Cancelled,
    Refused(Reason),
    /// Stored value must be reserved at the ledger first: send `reservation`
    /// (off the UI thread) and report the answer to `reserved`. The sale is
    /// frozen meanwhile.
    Reserving {
        reservation: Reservation,
    },
    /// The sale is frozen and intent `intent` written: ask the provider for
    /// `amount` with `tender`, then report its answer (`payment_answer`).
    Tendering {
        intent: String,
        tender: TenderKind,
        amount: Money,
    },
    /// The provider approved another amount than asked: nothing was
    /// committed; reverse it at the provider (`payment_reversed`), staff alerted.
    AmountMismatch {
        intent: String,
        tender: TenderKind,
        asked: Money,
        approved: Money,
    },
}

/// How the payment step went at the terminal (or the cash drawer).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayRequest {
    pub tender: TenderKind,
    /// Cash handed over; `None` means exactly the amount due.
    pub cash_given: Option<Money>,
    /// The terminal or Vipps approved the payment.
    pub approved: bool,
    /// The terminal's or Vipps' transaction id, printed on the receipt.
    pub reference: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum TillError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("trusted QR key: {0}")]
    Key(#[from] appcode::KeyError),
    /// The sale could not be written; with a payment, it stays recorded in
    /// its intent and is committed by a retry or by recovery.
    #[error("sale {sale} was not saved: {source}")]
    NotSaved { sale: String, source: StoreError },
    /// The payment intent could not be written: no provider was asked,
    /// nothing was charged, the sale is open.
    #[error("the payment for sale {sale} was not started (nothing was charged): {source}")]
    NotStarted { sale: String, source: StoreError },
    #[error("an amount is too large to compute")]
    Overflow,
}

/// Whether the ledger answers, as far as the offline limits care.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Link {
    pub online: bool,
    /// The last successful sync; `Link::never()` for a till that has never
    /// synced, which counts as offline since forever.
    pub last_sync: DateTime<FixedOffset>,
}

impl Link {
    /// The last sync of a till that never synced: the Unix epoch.
    pub fn never() -> DateTime<FixedOffset> {
        DateTime::<chrono::Utc>::UNIX_EPOCH.fixed_offset()
    }
}

pub struct Till {
    store: Store,
    catalog: Catalog,
    keys: Vec<VerifyingKey>,
    mode: Mode,
    sale: Sale,
    link: Link,
    limits: OfflineLimits,
    operator: Option<String>,
    /// Training mode: receipts in their own series, no stored value used.
    training: bool,
    /// The open sale's id, fixed once stored value is reserved for it.
    sale_id: Option<String>,
    /// The ledger's reservation endpoint, when the till has one.
    reserver: Option<Box<dyn Reserver>>,
    /// The payment under way; the sale is frozen while it is.
    tendering: Option<Tendering>,
    /// The caller runs reservations off its own thread (the kiosk): a tender
    /// that needs one returns `Reserving` and waits for `reserved`.
    reserve_by_caller: bool,
    /// A tender waiting for its reservation's answer (frozen as well).
    pending: Option<Pending>,
    /// The facts of the sale's member, read when the member is attached.
    member: Option<Member>,
    /// Master data from the ledger (products, prices, campaigns, keys)
    /// written while a sale was open: the kinds, in effect when it ends.
    master_pending: Option<std::collections::BTreeSet<String>>,
    /// The keys the config trusts; the ledger's are added to them whenever
    /// its master data takes effect. None: the keys are set from outside.
    config_keys: Option<Vec<String>>,
}

/// The bonus an answered sale takes off, given the connection.
fn bonus_to_use(
    sale: &Sale,
    training: bool,
    limits: &OfflineLimits,
    member: Option<&Member>,
    today: chrono::NaiveDate,
    connection: Connection,
) -> Money {
    let student = !training && member.is_some_and(|m| m.is_student_on(today));
    match sale.bonus_answer {
        Some(true) if student && !matches!(connection, Connection::Offline { too_long: true }) => {
            let balance = member.map_or(Money::ZERO, |m| m.bonus);
            sale::bonus_usable(balance, sale.total(), connection, limits)
        }
        _ => Money::ZERO,
    }
}

impl Till {
    /// A till on `store`, with its cached catalog loaded.
    pub fn new(
        store: Store,
        mode: Mode,
        link: Link,
        limits: OfflineLimits,
    ) -> Result<Till, TillError> {
        let catalog = store.catalog()?;
        let keys = catalog
            .settings
            .trusted_keys
            .iter()
            .map(|k| appcode::parse_public_key(k))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Till {
            store,
            catalog,
            keys,
            mode,
            sale: Sale::default(),
            link,
            limits,
            operator: None,
            training: false,
            sale_id: None,
            reserver: None,
            tendering: None,
            reserve_by_caller: false,
            pending: None,
            member: None,
            master_pending: None,
            config_keys: None,
        })
    }

    /// Trusts exactly these QR keys from now on (the kiosk: its config's
    /// `[qr] trusted_keys` and the keys the ledger delivered).
    pub fn set_trusted_keys(&mut self, keys: &[String]) -> Result<(), TillError> {
        self.keys = keys
            .iter()
            .map(|k| appcode::parse_public_key(k))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(())
    }

    /// How many QR keys the till trusts.
    pub fn trusted_key_count(&self) -> usize {
        self.keys.len()
    }

    pub fn sale(&self) -> &Sale {
        &self.sale
    }

    /// For reports and exports run at the till.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The store back, the till closed (tests, tools).
    pub fn into_store(self) -> Store {
        self.store
    }

    pub fn store_mut(&mut self) -> &mut Store {
        &mut self.store
    }

    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Reserve stored value online through `reserver` before completing sales.
    pub fn set_reserver(&mut self, reserver: Box<dyn Reserver>) {
        self.reserver = Some(reserver);
    }

    pub fn set_link(&mut self, link: Link) {
        self.link = link;
    }

    fn connection(&self, now: DateTime<FixedOffset>) -> Connection {
        if self.link.online {
            return Connection::Online;
        }
        let max = chrono::Duration::hours(i64::from(self.limits.max_hours));
        Connection::Offline {
            too_long: now - self.link.last_sync > max,
        }
    }

    /// A code read by the camera or the barcode scanner.
    pub fn present_code(
        &mut self,
        text: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<Outcome, TillError> {
        let outcome = self.read_code(text, now)?;
        self.refresh_member()?;
        Ok(outcome)
    }

    /// The attached member's facts (name, bonus balance) as read when they
    /// were attached; None without a member.
    pub fn member(&self) -> Option<&Member> {
        self.member.as_ref()
    }

    /// Reads the member's facts when the sale's member changed.
    fn refresh_member(&mut self) -> Result<(), TillError> {
        let id = self.sale.member.as_deref();
        if id != self.member.as_ref().map(|m| m.id.as_str()) {
            self.member = match id {
                Some(id) => self.store.member(id)?,
                None => None,
            };
        }
        Ok(())
    }

    /// A new, empty sale.
    fn reset_sale(&mut self) {
        self.sale = Sale::default();
        self.sale_id = None;
        self.tendering = None;
        self.pending = None;
        self.member = None;
    }

    fn read_code(&mut self, text: &str, now: DateTime<FixedOffset>) -> Result<Outcome, TillError> {
        if let Some(busy) = self.frozen() {
            return Ok(busy);
        }
        if !appcode::is_app_code(text) {
            return Ok(self.product_code(text));
        }
        let code = match appcode::read(text, &self.keys, now.timestamp()) {
            Ok(code) => code,
            Err(e) => {
                return Ok(Outcome::Refused(match e {
                    CodeError::Malformed => Reason::Malformed,
                    CodeError::BadSignature => Reason::BadSignature,
                    CodeError::Expired => Reason::Expired,
                }));
            }
        };
        let today = now.date_naive();
        let connection = self.connection(now);
        if self.training && !matches!(code, AppCode::Member { .. }) {
            // Training must not use a student's real coupons or clips.
            return Ok(Outcome::Refused(Reason::NotAllowedInMode));
        }
        match code {
            AppCode::Member { member, .. } => Ok(match self.sale.attach_member(&member) {
                Ok(()) => Outcome::Member { member },
                Err(reason) => Outcome::Refused(reason),
            }),
            AppCode::Coupon {
                member,
                coupon,
                sku,
                ..
            } => {
                let facts = self.store.member(&member)?;
                let cached = self.store.coupon(&coupon)?;
                let check = CouponCheck {
                    code_member: &member,
                    coupon: &coupon,
                    member: facts.as_ref(),
                    cached: cached.as_ref(),
                    used_here: self.store.coupon_redeemed_here(&coupon)?,
                    today,
                    connection,
                };
                if let Err(reason) = sale::check_coupon(&self.sale, &check) {
                    return Ok(Outcome::Refused(reason));
                }
                let Some(product) = self.catalog.product(&sku) else {
                    return Ok(Outcome::Refused(Reason::UnknownSku));
                };
                Ok(match self.sale.apply_coupon(&coupon, product) {
                    Ok(line) => {
                        self.sale.member = Some(member);
                        Outcome::Coupon { coupon, line }
                    }
                    Err(reason) => Outcome::Refused(reason),
                })
            }
            AppCode::Card { member, card, .. } => {
                let facts = self.store.member(&member)?;
                let cached = self.store.card(&card)?;
                let check = CardCheck {
                    code_member: &member,
                    card: &card,
                    member: facts.as_ref(),
                    cached: cached.as_ref(),
                    today,
                    connection,
                };
                let clips_left = match sale::check_card(&self.sale, &check) {
                    Ok(left) => left,
                    Err(reason) => return Ok(Outcome::Refused(reason)),
                };
                let default = self
                    .catalog
                    .product(&self.catalog.settings.coffee_default_sku);
                Ok(match self.sale.apply_clip(&card, default) {
                    Ok(line) => {
                        self.sale.member = Some(member);
                        Outcome::Clip {
                            card,
                            line,
                            clips_left,
                        }
                    }
                    Err(reason) => Outcome::Refused(reason),
                })
            }
        }
    }

    /// A product barcode: GTIN (check digit verified), UPC-A, in-store
    /// price/weight code, or any other label text.
    fn product_code(&mut self, text: &str) -> Outcome {
        let code = match barcode::classify(text) {
            Ok(code) => code,
            Err(barcode::BarcodeError::BadCheckDigit) => {
                return Outcome::Refused(Reason::Malformed);
            }
        };
        let line = match code {
            Barcode::Plain(text) => {
                // UPC-A is an EAN-13 with a leading zero.
                let found = self.catalog.product_by_barcode(&text).or_else(|| {
                    (text.len() == 12)
                        .then(|| self.catalog.product_by_barcode(&format!("0{text}")))
                        .flatten()
                });
                match found {
                    // Food by weight is put on the scale, not scanned.
                    Some(p) if p.is_weighed() => return Outcome::Refused(Reason::BelowMinWeight),
                    Some(p) => Line::unit(p, 1),
                    None => return Outcome::Refused(Reason::UnknownCode),
                }
            }
            Barcode::InStore { item, value } => {
                let found = self
                    .catalog
                    .product_by_barcode(text)
                    .or_else(|| self.catalog.product_by_barcode(&item));
                match found {
                    // Weighed and labelled at a service scale: the code carries net grams.
                    Some(p) if p.is_weighed() => Line::weighed(p, value),
                    Some(p) => Line::at_label_price(p, Money::from_ore(i64::from(value))),
                    None => return Outcome::Refused(Reason::UnknownCode),
                }
            }
        };
        self.add(line)
    }

    /// A product button, `qty` units.
    pub fn tap(&mut self, sku: &str, qty: u32) -> Outcome {
        if let Some(busy) = self.frozen() {
            return busy;
        }
        match self.catalog.product(sku) {
            None => Outcome::Refused(Reason::UnknownSku),
            Some(p) if p.is_weighed() => Outcome::Refused(Reason::BelowMinWeight),
            Some(p) => {
                let line = Line::unit(p, qty.max(1));
                self.add(line)
            }
        }
    }

    /// Food on the scale for a product sold by weight; `grams` is gross.
    pub fn weigh(&mut self, sku: &str, grams: u32, stable: bool) -> Outcome {
        if let Some(busy) = self.frozen() {
            return busy;
        }
        let Some(p) = self.catalog.product(sku) else {
            return Outcome::Refused(Reason::UnknownSku);
        };
        let crate::domain::Pricing::Weighed { tare_g, .. } = p.pricing else {
            return Outcome::Refused(Reason::UnknownSku);
        };
        // A moving weight is never added.
        if !stable {
            return Outcome::WeightRefused(Reason::UnstableWeight);
        }
        let net = grams.saturating_sub(tare_g);
        if net < self.catalog.settings.min_grams {
            return Outcome::WeightRefused(Reason::BelowMinWeight);
        }
        let line = Line::weighed(p, net);
        self.add(line)
    }

    fn add(&mut self, line: Line) -> Outcome {
        let (sku, qty, grams, amount) = (line.sku.clone(), line.qty, line.grams, line.amount());
        let line = self.sale.add_line(line);
        Outcome::Line {
            line,
            sku,
            qty,
            grams,
            amount,
        }
    }

    fn member_facts(&self) -> Result<Option<Member>, TillError> {
        Ok(match &self.sale.member {
            Some(id) => self.store.member(id)?,
            None => None,
        })
    }

    /// The customer's answer to "use your bonus?".
    pub fn answer_bonus(
        &mut self,
        accept: bool,
        now: DateTime<FixedOffset>,
    ) -> Result<Outcome, TillError> {
        if let Some(busy) = self.frozen() {
            return Ok(busy);
        }
        if self.sale.is_empty() {
            return Ok(Outcome::Refused(Reason::NoOpenSale));
        }
        let member = self.member_facts()?;
        let offer = sale::bonus_offer(
            &self.sale,
            member.as_ref(),
            now.date_naive(),
            self.connection(now),
            &self.limits,
        );
        Ok(match offer {
            Err(reason) => Outcome::Refused(reason),
            Ok(amount) if accept => {
                self.sale.bonus_answer = Some(true);
                Outcome::BonusUsed { amount }
            }
            Ok(_) => {
                self.sale.bonus_answer = Some(false);
                Outcome::BonusDeclined
            }
        })
    }

    /// Back at the cart before paying: the bonus is asked again at the next
    /// Pay, so a customer may change their mind. Nothing while a payment
    /// runs.
    pub fn reconsider_bonus(&mut self) {
        if self.frozen().is_none() {
            self.sale.bonus_answer = None;
        }
    }

    /// The bonus question a self-checkout asks before payment: the member's
    /// balance and what it would take off; `None` when there is nothing to offer.
    pub fn bonus_offer(
        &self,
        now: DateTime<FixedOffset>,
    ) -> Result<Option<(Money, Money)>, TillError> {
        if self.sale.lines.is_empty() || self.training || self.tendering.is_some() {
            return Ok(None);
        }
        let member = self.member.as_ref();
        let offer = sale::bonus_offer(
            &self.sale,
            member,
            now.date_naive(),
            self.connection(now),
            &self.limits,
        );
        Ok(offer
            .ok()
            .map(|amount| (member.map_or(Money::ZERO, |m| m.bonus), amount)))
    }

    /// What paying with `tender` now would take (bonus as answered), without
    /// paying: the payment screen shows it before the terminal starts.
    pub fn quote(
        &self,
        tender: TenderKind,
        now: DateTime<FixedOffset>,
    ) -> Result<Payment, TillError> {
        let member = self.member_facts()?;
        let bonus = bonus_to_use(
            &self.sale,
            self.training,
            &self.limits,
            member.as_ref(),
            now.date_naive(),
            self.connection(now),
        );
        Ok(Payment::plan(self.sale.total(), bonus, tender))
    }

    /// Staff attach a member by number (a student without the app, or no
    /// camera): the same checks as a scanned member code.
    pub fn attach_member_by_staff(&mut self, member: &str) -> Result<Outcome, TillError> {
        if let Some(busy) = self.frozen() {
            return Ok(busy);
        }
        if self.store.member(member)?.is_none() {
            return Ok(Outcome::Refused(Reason::UnknownCode));
        }
        let outcome = match self.sale.attach_member(member) {
            Ok(()) => Outcome::Member {
                member: member.to_string(),
            },
            Err(reason) => Outcome::Refused(reason),
        };
        self.refresh_member()?;
        Ok(outcome)
    }

    fn journal(
        &mut self,
        now: DateTime<FixedOffset>,
        code: u32,
        kind: &'static str,
        detail: serde_json::Value,
    ) -> Result<(), TillError> {
        self.store.journal(&self.entry(now, code, kind, detail))?;
        Ok(())
    }

    /// A journal entry by the operator now logged in, of no sale.
    fn entry(
        &self,
        now: DateTime<FixedOffset>,
        code: u32,
        kind: &'static str,
        detail: serde_json::Value,
    ) -> JournalEntry {
        JournalEntry {
            at: now,
            operator: self.operator.clone(),
            code,
            kind,
            sale_id: None,
            detail,
        }
    }

    pub fn operator(&self) -> Option<&str> {
        self.operator.as_deref()
    }

    pub fn is_training(&self) -> bool {
        self.training
    }

    /// The till application started (13001), with the version that runs.
    pub fn started(&mut self, now: DateTime<FixedOffset>) -> Result<(), TillError> {
        let version = env!("CARGO_PKG_VERSION");
        let detail = serde_json::json!({"version": version, "mode": self.mode.code()});
        self.journal(now, codes::POS_START, "application_start", detail)
    }

    /// A cashier logs in (PIN checked by the caller); journaled.
    pub fn login(&mut self, operator: &str, now: DateTime<FixedOffset>) -> Result<(), TillError> {
        self.operator = Some(operator.to_string());
        self.journal(
            now,
            codes::LOGIN,
            "login",
            serde_json::json!({"operator": operator}),
        )
    }

    /// A wrong staff PIN: every failure is journaled, with its count.
    pub fn pin_failed(
        &mut self,
        failures: u32,
        now: DateTime<FixedOffset>,
    ) -> Result<(), TillError> {
        self.journal(
            now,
            codes::OTHER,
            "pin_failed",
            serde_json::json!({"failures": failures}),
        )
    }

    pub fn logout(&mut self, now: DateTime<FixedOffset>) -> Result<(), TillError> {
        self.journal(now, codes::LOGOUT, "logout", serde_json::json!({}))?;
        self.operator = None;
        Ok(())
    }

    /// Training mode on or off; its receipts are marked and numbered apart.
    pub fn set_training(&mut self, on: bool, now: DateTime<FixedOffset>) -> Result<(), TillError> {
        if on == self.training || self.tendering.is_some() {
            return Ok(());
        }
        let (code, kind) = if on {
            (codes::TRAINING_ON, "training_on")
        } else {
            (codes::TRAINING_OFF, "training_off")
        };
        self.journal(now, code, kind, serde_json::json!({}))?;
        self.training = on;
        Ok(())
    }

    /// The cash drawer opened without a sale.
    pub fn open_drawer(&mut self, now: DateTime<FixedOffset>) -> Result<(), TillError> {
        self.journal(
            now,
            codes::DRAWER_OPEN,
            "drawer_open",
            serde_json::json!({}),
        )
    }

    /// A price look-up (journaled, as the regulation asks).
    pub fn price_lookup(
        &mut self,
        sku: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<Option<Money>, TillError> {
        let price = self.catalog.product(sku).map(|p| p.unit_price());
        self.journal(
            now,
            codes::PRICE_LOOKUP,
            "price_lookup",
            serde_json::json!({"sku": sku, "price": price}),
        )?;
        Ok(price)
    }

    /// A provisional receipt of the open sale ("Foreløpig kvittering –
    /// IKKJE KVITTERING FOR KJØP"), journaled; the sale stays open.
    pub fn provisional_receipt(
        &mut self,
        now: DateTime<FixedOffset>,
    ) -> Result<Option<Receipt>, TillError> {
        if self.sale.lines.is_empty() {
            return Ok(None);
        }
        let total = self.sale.total();
        let payment = Payment::plan(total, Money::ZERO, TenderKind::Card);
        let receipt = self.sale.receipt(
            0,
            &Payment {
                tender: None,
                ..payment
            },
            Money::ZERO,
            None,
        );
        self.journal(
            now,
            codes::PROVISIONAL_RECEIPT,
            "provisional_receipt",
            serde_json::json!({"total": total}),
        )?;
        Ok(Some(receipt))
    }

    /// The customer's receipt choice left the completed sale `number` of
    /// series `kind` without a printed receipt (`how`: "none", "qr" or
    /// "screen"): journaled as 13030 against that sale.
    pub fn receipt_not_printed(
        &mut self,
        kind: SaleKind,
        number: u64,
        how: &'static str,
        now: DateTime<FixedOffset>,
    ) -> Result<(), TillError> {
        let (sale_id, _) = self.store.receipt(kind, number)?;
        self.store.journal(&JournalEntry {
            at: now,
            operator: self.operator.clone(),
            code: codes::SALE_WITHOUT_RECEIPT,
            kind: "sale_without_printed_receipt",
            sale_id: Some(sale_id),
            detail: serde_json::json!({"series": kind.code(), "number": number, "receipt": how}),
        })?;
        Ok(())
    }

    /// The one allowed copy of a receipt (marked KOPI when printed).
    pub fn copy_receipt(
        &mut self,
        kind: SaleKind,
        number: u64,
        now: DateTime<FixedOffset>,
    ) -> Result<Receipt, TillError> {
        Ok(self
            .store
            .record_copy(kind, number, now, self.operator.clone())?)
    }

    /// Cashier or staff: removes line `number` (1-based); later lines move up.
    pub fn void(
        &mut self,
        number: usize,
        now: DateTime<FixedOffset>,
    ) -> Result<Outcome, TillError> {
        if let Some(busy) = self.frozen() {
            return Ok(busy);
        }
        // A cashier, staff called by Help, or at a self-service till the
        // customer: their own lines, not yet paid (the sale is not frozen).
        if self.sale.lines.is_empty() {
            return Ok(Outcome::Refused(Reason::NoOpenSale));
        }
        let line = match self.sale.void(number) {
            Ok(line) => line,
            Err(reason) => return Ok(Outcome::Refused(reason)),
        };
        self.store.journal(&JournalEntry {
            at: now,
            operator: self.operator.clone(),
            code: codes::VOID,
            kind: "line_correction",
            sale_id: None,
            detail: serde_json::json!({"line": number, "sku": line.sku, "qty": line.qty, "amount": line.amount()}),
        })?;
        Ok(Outcome::Voided {
            line: number,
            sku: line.sku,
        })
    }

    /// Abandons the open sale; the journal keeps what it held.
    pub fn cancel(&mut self, now: DateTime<FixedOffset>) -> Result<Outcome, TillError> {
        if let Some(busy) = self.frozen() {
            return Ok(busy);
        }
        if self.sale.is_empty() {
            return Ok(Outcome::Refused(Reason::NoOpenSale));
        }
        self.store.journal(&JournalEntry {
            at: now,
            operator: self.operator.clone(),
            code: codes::VOID,
            kind: "sale_cancelled",
            sale_id: None,
            detail: serde_json::json!({
                "member": self.sale.member,
                "lines": self.sale.lines.len(),
                "total": self.sale.total(),
            }),
        })?;
        self.reset_sale();
        self.master_data_takes_effect(now)?;
        Ok(Outcome::Cancelled)
    }
}
