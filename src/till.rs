//! The till service: one open sale, the rules of `domain`, the cache and
//! journal of `store`. The kiosk and `kasse replay` drive this same type.

use crate::domain::appcode::{self, AppCode, CodeError};
use crate::domain::barcode::{self, Barcode};
use crate::domain::receipt::{Payment, Receipt, TenderKind};
use crate::domain::sale::{self, CardCheck, Connection, CouponCheck, OfflineLimits};
use crate::domain::{Catalog, Line, Member, Money, Reason, Sale};
use crate::store::{
    CompletedSale, Intent, IntentState, JournalEntry, NewIntent, SaleKind, Store, StoreError, codes,
};
use crate::sync::{Reservation, Reserve};
use chrono::{DateTime, FixedOffset};
use ed25519_dalek::VerifyingKey;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Students serve themselves: bonus is offered before payment, no cash.
    SelfService,
    /// A cashier operates the till: cash and voids allowed.
    Cashier,
}

impl Mode {
    /// `self` or `cashier`, as config.toml and scenarios write it.
    pub fn parse(s: &str) -> Option<Mode> {
        match s {
            "self" => Some(Mode::SelfService),
            "cashier" => Some(Mode::Cashier),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Mode::SelfService => "self",
            Mode::Cashier => "cashier",
        }
    }
}

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

/// A provider's answer to a payment the till asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Approved (Vipps: captured) for `amount`; `transaction_id` is printed.
    Approved {
        transaction_id: Option<String>,
        amount: Money,
    },
    Failed {
        why: Failure,
        detail: String,
    },
}

/// Why a payment ended without money taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    Declined,
    Cancelled,
    TimedOut,
    /// Recovery: the provider has no such payment, or it failed there.
    Unknown,
}

impl Failure {
    fn journal_kind(self) -> &'static str {
        match self {
            Failure::Declined => "payment_declined",
            Failure::Cancelled => "payment_cancelled",
            Failure::TimedOut => "payment_timed_out",
            Failure::Unknown => "payment_failed",
        }
    }
}

/// A payment under way at a provider; the sale is frozen until it ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tendering {
    /// The intent id: the provider's reference and idempotency key.
    pub intent: String,
    pub tender: TenderKind,
    pub amount: Money,
}

/// The sale as it is committed when its payment is approved: written into
/// the payment intent before the provider is asked.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Frozen {
    sale_id: String,
    training: bool,
    mode: String,
    offline: bool,
    operator: Option<String>,
    sale: Sale,
    payment: Payment,
    bonus_earned: Money,
    bonus_balance: Option<Money>,
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
    pub last_sync: DateTime<FixedOffset>,
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
    /// The facts of the sale's member, read when the member is attached.
    member: Option<Member>,
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

/// Reserves stored value at the central ledger (spec/ledger-api.md).
pub trait Reserver: Send {
    fn reserve(&self, reservation: &Reservation) -> Reserve;
}

impl Reserver for crate::sync::LedgerClient {
    fn reserve(&self, reservation: &Reservation) -> Reserve {
        crate::sync::LedgerClient::reserve(self, reservation)
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
            member: None,
        })
    }

    pub fn sale(&self) -> &Sale {
        &self.sale
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// For reports and exports run at the till.
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

    /// Pays the open sale in one call: cash at once; card and Vipps as a
    /// provider that answers `req.approved` straight away (replay without
    /// `[payment]`, tests). Runs the same lifecycle as the kiosk.
    pub fn pay(
        &mut self,
        req: PayRequest,
        now: DateTime<FixedOffset>,
    ) -> Result<Outcome, TillError> {
        let outcome = self.begin_payment(req.tender, req.cash_given, "simulator", now)?;
        let Outcome::Tendering { intent, amount, .. } = outcome else {
            return Ok(outcome);
        };
        let answer = if req.approved {
            Answer::Approved {
                transaction_id: req.reference,
                amount,
            }
        } else {
            Answer::Failed {
                why: Failure::Declined,
                detail: "declined".into(),
            }
        };
        self.payment_answer(&intent, answer, now)
    }

    /// The payment under way, if any: the sale is frozen until it ends.
    pub fn tendering(&self) -> Option<&Tendering> {
        self.tendering.as_ref()
    }

    /// Anything that would change the sale is refused while a provider is
    /// taking its payment.
    fn frozen(&self) -> Option<Outcome> {
        self.tendering
            .as_ref()
            .map(|_| Outcome::Refused(Reason::PaymentInProgress))
    }

    /// Starts paying the open sale with `tender` (spec/payments.md): asks the
    /// bonus question first (self-service), reserves stored value online,
    /// then either completes at once (cash, or nothing left to pay) or writes
    /// a payment intent, freezes the sale and returns `Tendering`: the caller
    /// asks `provider` for the amount and reports its answer to
    /// `payment_answer`.
    pub fn begin_payment(
        &mut self,
        tender: TenderKind,
        cash_given: Option<Money>,
        provider: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<Outcome, TillError> {
        if let Some(busy) = self.frozen() {
            return Ok(busy);
        }
        if self.sale.lines.is_empty() {
            return Ok(Outcome::Refused(Reason::NoOpenSale));
        }
        let allowed = match tender {
            TenderKind::Bonus => false,
            TenderKind::Cash => self.mode == Mode::Cashier,
            TenderKind::Card | TenderKind::Vipps => true,
        };
        if !allowed {
            return Ok(Outcome::Refused(Reason::NotAllowedInMode));
        }
        if let Some((balance, amount)) = self.bonus_question(now)? {
            return Ok(Outcome::BonusOffered { balance, amount });
        }
        let frozen = match self.settle(tender, now)? {
            Ok(frozen) => frozen,
            Err(refused) => return Ok(refused),
        };
        let due = frozen.payment.due_now();
        if frozen.payment.tender.is_none() || tender == TenderKind::Cash {
            let mut change = None;
            if tender == TenderKind::Cash && frozen.payment.tender.is_some() {
                let given = cash_given.unwrap_or(due);
                if given < due {
                    return Ok(Outcome::Declined { tender });
                }
                change = given.checked_sub(due);
            }
            let receipt = self.commit(&frozen, None, now)?;
            return Ok(Outcome::Paid {
                receipt: Box::new(receipt),
                tender: frozen.payment.tender.as_ref().map(|t| t.kind),
                amount: due,
                change,
            });
        }
        let intent = uuid::Uuid::now_v7().simple().to_string();
        let snapshot = serde_json::to_string(&frozen)
            .map_err(|e| StoreError::Corrupt(format!("the frozen sale: {e}")))?;
        self.store
            .open_intent(&NewIntent {
                id: &intent,
                sale_id: &frozen.sale_id,
                tender,
                amount: due,
                provider,
                at: now,
                snapshot,
                operator: self.operator.clone(),
            })
            .map_err(|source| TillError::NotStarted {
                sale: frozen.sale_id.clone(),
                source,
            })?;
        self.tendering = Some(Tendering {
            intent: intent.clone(),
            tender,
            amount: due,
        });
        Ok(Outcome::Tendering {
            intent,
            tender,
            amount: due,
        })
    }

    /// The bonus question self-service asks before any payment choice, when
    /// it has not been answered yet: (balance, amount it would take off).
    pub fn bonus_question(
        &self,
        now: DateTime<FixedOffset>,
    ) -> Result<Option<(Money, Money)>, TillError> {
        if self.mode != Mode::SelfService || self.sale.bonus_answer.is_some() {
            return Ok(None);
        }
        self.bonus_offer(now)
    }

    /// Everything the amount due depends on, settled: bonus, reservation at
    /// the ledger (online), the payment plan and the bonus earned.
    fn settle(
        &mut self,
        tender: TenderKind,
        now: DateTime<FixedOffset>,
    ) -> Result<Result<Frozen, Outcome>, TillError> {
        let today = now.date_naive();
        let mut connection = self.connection(now);
        let member = self.member_facts()?;
        let student = !self.training && member.as_ref().is_some_and(|m| m.is_student_on(today));
        let balance = member.as_ref().map_or(Money::ZERO, |m| m.bonus);
        let total = self.sale.total();
        let (sale_now, training, limits) = (&self.sale, self.training, &self.limits);
        let bonus_for = |connection| {
            bonus_to_use(
                sale_now,
                training,
                limits,
                member.as_ref(),
                today,
                connection,
            )
        };
        let mut bonus_used = bonus_for(connection);
        let sale_id = self
            .sale_id
            .get_or_insert_with(|| uuid::Uuid::now_v7().simple().to_string())
            .clone();
        // Online, stored value is reserved at the ledger before any provider
        // is asked, so two tills cannot spend the same coupon or last clip.
        let spends = self.sale.coupons().next().is_some()
            || self.sale.clips().next().is_some()
            || bonus_used.is_positive();
        if spends
            && connection == Connection::Online
            && !self.training
            && let Some(reserver) = &self.reserver
        {
            let mut clips: Vec<(String, u32)> = Vec::new();
            for card in self.sale.clips() {
                match clips.iter_mut().find(|(c, _)| c == card) {
                    Some((_, n)) => *n = n.saturating_add(1),
                    None => clips.push((card.to_string(), 1)),
                }
            }
            let reservation = Reservation {
                id: sale_id.clone(),
                coupons: self.sale.coupons().map(str::to_string).collect(),
                clips,
                bonus: self
                    .sale
                    .member
                    .clone()
                    .filter(|_| bonus_used.is_positive())
                    .map(|m| (m, bonus_used)),
            };
            match reserver.reserve(&reservation) {
                Reserve::Ok => {}
                Reserve::Refused(reason) => {
                    return Ok(Err(Outcome::Refused(match reason.as_str() {
                        "coupon_used" => Reason::CouponUsed,
                        "card_empty" => Reason::CardEmpty,
                        _ => Reason::BonusNotAvailable,
                    })));
                }
                Reserve::Unreachable => {
                    // The ledger does not answer in time: decide offline.
                    self.link.online = false;
                    connection = self.connection(now);
                    if matches!(connection, Connection::Offline { too_long: true }) {
                        return Ok(Err(Outcome::Refused(Reason::OfflineTooLong)));
                    }
                    let mut cards: Vec<&str> = self.sale.clips().collect();
                    cards.sort_unstable();
                    if cards.windows(2).any(|w| w[0] == w[1]) {
                        return Ok(Err(Outcome::Refused(Reason::OfflineTooLong)));
                    }
                    bonus_used = bonus_for(connection);
                }
            }
        }
        let payment = Payment::plan(total, bonus_used, tender);
        let bonus_earned = if student {
            self.sale.bonus_earned(&self.catalog, today)
        } else {
            Money::ZERO
        };
        let bonus_balance = match &self.sale.member {
            None => None,
            Some(_) => Some(
                balance
                    .checked_sub(bonus_used)
                    .and_then(|b| b.checked_add(bonus_earned))
                    .ok_or(TillError::Overflow)?,
            ),
        };
        Ok(Ok(Frozen {
            sale_id,
            training: self.training,
            mode: self.mode.code().to_string(),
            offline: connection.is_offline(),
            operator: self.operator.clone(),
            sale: self.sale.clone(),
            payment,
            bonus_earned,
            bonus_balance,
        }))
    }

    /// Writes a frozen sale; with `paid`, as the sale of that intent.
    fn commit(
        &mut self,
        frozen: &Frozen,
        paid: Option<(&str, Option<&str>, Money)>,
        now: DateTime<FixedOffset>,
    ) -> Result<Receipt, TillError> {
        let mut payment = frozen.payment.clone();
        if let (Some(t), Some((_, Some(reference), _))) = (payment.tender.as_mut(), paid) {
            t.reference = Some(reference.to_string());
        }
        let done = CompletedSale {
            id: frozen.sale_id.clone(),
            kind: if frozen.training {
                SaleKind::Training
            } else {
                SaleKind::Sale
            },
            original_sale: None,
            at: now,
            mode: Mode::parse(&frozen.mode).unwrap_or(self.mode).code(),
            offline: frozen.offline,
            operator: frozen.operator.clone(),
            sale: &frozen.sale,
            payment: &payment,
            bonus_earned: frozen.bonus_earned,
            bonus_balance: frozen.bonus_balance,
        };
        let written = match paid {
            Some((intent, reference, amount)) => {
                self.store
                    .commit_intent(intent, &done, reference.unwrap_or(intent), amount)
            }
            None => self.store.commit_sale(&done),
        };
        let receipt = written.map_err(|source| TillError::NotSaved {
            sale: frozen.sale_id.clone(),
            source,
        })?;
        if self.sale_id.as_deref() == Some(frozen.sale_id.as_str()) {
            self.reset_sale();
        }
        Ok(receipt)
    }

    /// The provider's answer for payment `intent` (from the running payment,
    /// or from recovery after a restart). Approved for the amount asked →
    /// the frozen sale is committed with it, once. Approved for another
    /// amount → `AmountMismatch` (the caller reverses it at the provider and
    /// reports `payment_reversed`); the sale stays open. Failed → the intent
    /// is closed and the sale is open and unchanged. An answer for an intent
    /// already resolved changes nothing (`NoOpenSale`).
    pub fn payment_answer(
        &mut self,
        intent: &str,
        answer: Answer,
        now: DateTime<FixedOffset>,
    ) -> Result<Outcome, TillError> {
        let Some(stored) = self.store.intent(intent)? else {
            return Ok(Outcome::Refused(Reason::NoOpenSale));
        };
        if stored.state != IntentState::Open {
            return Ok(Outcome::Refused(Reason::NoOpenSale));
        }
        let current = self.tendering.as_ref().is_some_and(|t| t.intent == intent);
        let entry = |kind: &'static str, detail: serde_json::Value| JournalEntry {
            at: now,
            operator: self.operator.clone(),
            code: codes::OTHER,
            kind,
            sale_id: Some(stored.sale_id.clone()),
            detail,
        };
        match answer {
            Answer::Approved {
                transaction_id,
                amount,
            } if amount == stored.amount => {
                let frozen: Frozen = serde_json::from_str(&stored.snapshot)
                    .map_err(|e| StoreError::Corrupt(format!("payment {intent}: {e}")))?;
                let receipt = self.commit(
                    &frozen,
                    Some((intent, transaction_id.as_deref(), amount)),
                    now,
                )?;
                Ok(Outcome::Paid {
                    receipt: Box::new(receipt),
                    tender: Some(stored.tender),
                    amount,
                    change: None,
                })
            }
            Answer::Approved {
                transaction_id,
                amount,
            } => {
                let reference = transaction_id.unwrap_or_else(|| intent.to_string());
                self.store.close_intent(
                    intent,
                    IntentState::ReversalPending,
                    Some((&reference, amount)),
                    &entry(
                        "payment_amount_mismatch",
                        serde_json::json!({"intent": intent, "asked": stored.amount, "approved": amount, "transaction": reference}),
                    ),
                )?;
                if current {
                    self.tendering = None;
                }
                Ok(Outcome::AmountMismatch {
                    intent: intent.to_string(),
                    tender: stored.tender,
                    asked: stored.amount,
                    approved: amount,
                })
            }
            Answer::Failed { why, detail } => {
                self.store.close_intent(
                    intent,
                    IntentState::Failed,
                    None,
                    &entry(
                        why.journal_kind(),
                        serde_json::json!({"intent": intent, "tender": stored.tender.code(), "amount": stored.amount, "detail": detail}),
                    ),
                )?;
                if current {
                    self.tendering = None;
                }
                Ok(Outcome::Declined {
                    tender: stored.tender,
                })
            }
        }
    }

    /// The provider reversed payment `intent` after an amount mismatch.
    pub fn payment_reversed(
        &mut self,
        intent: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<bool, TillError> {
        Ok(self.store.close_intent(
            intent,
            IntentState::Reversed,
            None,
            &JournalEntry {
                at: now,
                operator: self.operator.clone(),
                code: codes::OTHER,
                kind: "payment_reversed",
                sale_id: None,
                detail: serde_json::json!({"intent": intent}),
            },
        )?)
    }

    /// Payment intents still waiting for their provider's answer or action
    /// (recovery resolves them at every start).
    pub fn unresolved_payments(&self) -> Result<Vec<Intent>, TillError> {
        Ok(self.store.intents(true)?)
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
        self.store.journal(&JournalEntry {
            at: now,
            operator: self.operator.clone(),
            code,
            kind,
            sale_id: None,
            detail,
        })?;
        Ok(())
    }

    pub fn operator(&self) -> Option<&str> {
        self.operator.as_deref()
    }

    pub fn is_training(&self) -> bool {
        self.training
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

    /// Cashier: a return of lines of an earlier sale, as its own transaction
    /// with negative amounts, paid back with `tender`.
    pub fn refund(
        &mut self,
        original: u64,
        lines: &[usize],
        tender: TenderKind,
        now: DateTime<FixedOffset>,
    ) -> Result<Receipt, TillError> {
        let (original_id, receipt) = self.store.receipt(SaleKind::Sale, original)?;
        let mut sale = Sale {
            member: receipt.member.clone(),
            ..Sale::default()
        };
        for &n in lines {
            let l = receipt
                .lines
                .get(n.wrapping_sub(1))
                .ok_or(StoreError::NoSuchReceipt {
                    kind: "line on receipt",
                    number: n as u64,
                })?;
            let vat = self.catalog.product(&l.sku).map_or(l.vat, |p| p.vat);
            sale.add_line(Line {
                sku: l.sku.clone(),
                name: self
                    .catalog
                    .product(&l.sku)
                    .map_or_else(|| l.sku.clone(), |p| p.name.clone()),
                qty: l.qty,
                grams: l.grams,
                unit_price: l.unit_price,
                vat,
                coffee: false,
                gross: -l.amount,
                discount: None,
            });
        }
        let total = sale.total();
        let (amount, rounding) = if tender == TenderKind::Cash {
            let cash = total.to_whole_krone();
            (cash, cash - total)
        } else {
            (total, Money::ZERO)
        };
        let payment = Payment {
            bonus_used: Money::ZERO,
            remainder: total,
            tender: (!amount.is_zero()).then_some(crate::domain::TenderRow {
                kind: tender,
                amount,
                reference: None,
            }),
            rounding,
        };
        let done = CompletedSale {
            id: uuid::Uuid::now_v7().simple().to_string(),
            kind: SaleKind::Return,
            original_sale: Some(original_id),
            at: now,
            mode: self.mode.code(),
            offline: self.connection(now).is_offline(),
            operator: self.operator.clone(),
            sale: &sale,
            payment: &payment,
            bonus_earned: Money::ZERO,
            bonus_balance: None,
        };
        Ok(self.store.commit_sale(&done)?)
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
        // A cashier, or staff called to a self-service till (logged in).
        if self.mode != Mode::Cashier && self.operator.is_none() {
            return Ok(Outcome::Refused(Reason::NotAllowedInMode));
        }
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
            code: codes::OTHER,
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
        Ok(Outcome::Cancelled)
    }
}
