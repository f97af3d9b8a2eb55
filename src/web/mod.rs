//! The web edge: HTML pages rendered with askama. Only this module knows templates.
use askama::Template;

#[derive(Template)]
#[template(path = "return.html")]
struct ReturnPage<'a> {
    commissioner_ref: &'a str,
    commissioner_name: &'a str,
    from: String,
    to: String,
    /// The CSV cells of each row, in `RETURN_COLUMNS` order.
    rows: Vec<Vec<String>>,
    /// Totals for columns 8 onwards (weekly amount to exceptions open).
    totals: Vec<String>,
}

/// The council return as a page a finance officer can read and print.
pub fn return_page(
    commissioner_ref: &str,
    commissioner_name: &str,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
    rows: Vec<Vec<String>>,
    totals: Vec<String>,
) -> Result<String, askama::Error> {
    ReturnPage {
        commissioner_ref,
        commissioner_name,
        from: from.to_string(),
        to: to.to_string(),
        rows,
        totals,
    }
    .render()
}

use crate::app::statements::{FullStatement, Projection};
use crate::domain::model::{CommunicationFormat, DecisionMaker};
use crate::domain::money::{format_2dp, Pence};

/// `£1,234.50`, with a minus sign in front when negative.
fn gbp(p: Pence) -> String {
    let plain = p.pence().unsigned_abs();
    let pounds = (plain / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in pounds.chars().enumerate() {
        if i > 0 && (pounds.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if p < Pence::ZERO { "−" } else { "" };
    format!("{sign}£{grouped}.{:02}", plain % 100)
}

struct LineView {
    date: String,
    description: String,
    planned: String,
    billable: String,
    rate: String,
    amount: String,
    money_in: String,
    money_out: String,
    balance: String,
}

struct OutcomeView {
    title: String,
    support_type: String,
    planned: String,
    delivered: String,
    spent: String,
    lines: Vec<LineView>,
}

struct StatementView {
    format_class: &'static str,
    easy_read: bool,
    title: String,
    period_text: String,
    decision_text: Option<String>,
    agreement_ref: String,
    from: String,
    to: String,
    opening: String,
    money_in: String,
    money_out: String,
    support_spend: String,
    paid_back: String,
    has_paid_back: bool,
    closing: String,
    money_rows: Vec<(String, String)>,
    outcomes: Vec<OutcomeView>,
    all_lines: Vec<LineView>,
    earmarks: Vec<(String, String, String)>,
    surplus: String,
    has_surplus: bool,
    contributions: String,
    owes_contribution: bool,
    missed: Vec<String>,
    over_plan: Vec<String>,
    projection: String,
    projection_easy: String,
    exit_text: Option<String>,
    digest: String,
}

#[derive(Template)]
#[template(path = "statement.html")]
struct StatementPage {
    v: StatementView,
}

/// The statement as an accessible page in the person's communication format.
pub fn statement_page(full: &FullStatement) -> Result<String, askama::Error> {
    let s = &full.summary;
    let st = &full.statement;
    let name = match &s.person.family_name {
        Some(family) => format!("{} {family}", s.person.given_name),
        None => s.person.given_name.clone(),
    };
    let (format_class, easy_read) = match s.person.communication_format {
        CommunicationFormat::Standard => ("standard", false),
        CommunicationFormat::LargePrint => ("large-print", false),
        CommunicationFormat::EasyRead => ("easy-read", true),
    };
    let representative = s
        .person
        .representative_name
        .clone()
        .unwrap_or_else(|| "their representative".to_owned());
    let decision_text = match s.person.decision_maker {
        DecisionMaker::SelfDecides => None,
        DecisionMaker::Lpa => Some(format!("{representative} makes decisions about this money for {} (lasting power of attorney).", s.person.given_name)),
        DecisionMaker::Deputy => Some(format!("{representative} makes decisions about this money for {} (deputy appointed by the Court of Protection).", s.person.given_name)),
        DecisionMaker::BestInterests => Some(format!("Decisions about this money are made in {}'s best interests by {representative}.", s.person.given_name)),
    };
    let money_in = s.commissioner_receipts + s.person_receipts + s.reversals.max(Pence::ZERO);
    let money_out = s.services
        + s.cancellations
        + s.purchases
        + s.fees
        + s.repayments
        + (-s.reversals).max(Pence::ZERO);
    let mut money_rows = vec![
        (
            "Money from the council or NHS".to_owned(),
            gbp(s.commissioner_receipts),
        ),
        ("Your own contributions".to_owned(), gbp(s.person_receipts)),
        ("Support visits".to_owned(), gbp(s.services)),
        (
            "Visits cancelled at short notice".to_owned(),
            gbp(s.cancellations),
        ),
        ("Things bought for you".to_owned(), gbp(s.purchases)),
        ("Management fee".to_owned(), gbp(s.fees)),
        ("Money paid back".to_owned(), gbp(s.repayments)),
    ];
    if !s.reversals.is_zero() {
        money_rows.push((
            "Corrections to earlier periods".to_owned(),
            gbp(s.reversals),
        ));
    }
    let line_view = |l: &crate::app::reports::StatementLine| LineView {
        date: l.date.format("%a %-d %b %Y").to_string(),
        description: l.description.clone(),
        planned: l.planned_minutes.map(|m| m.to_string()).unwrap_or_default(),
        billable: l
            .billable_minutes
            .map(|m| m.to_string())
            .unwrap_or_default(),
        rate: l.rate.map(gbp).unwrap_or_default(),
        amount: l.money_out.or(l.money_in).map(gbp).unwrap_or_default(),
        money_in: l.money_in.map(gbp).unwrap_or_default(),
        money_out: l.money_out.map(gbp).unwrap_or_default(),
        balance: gbp(l.balance),
    };
    let outcomes = s
        .outcomes
        .iter()
        .map(|o| OutcomeView {
            title: o.title.clone(),
            support_type: o.support_type.clone(),
            planned: format_2dp(o.planned_hours),
            delivered: format_2dp(o.delivered_hours),
            spent: gbp(o.spent),
            lines: st
                .lines
                .iter()
                .filter(|l| l.outcome_ref == o.outcome_ref)
                .map(line_view)
                .collect(),
        })
        .collect();
    let ended = s.exit.is_some();
    let projection = match &s.projection {
        _ if ended => "This agreement has ended.".to_owned(),
        Projection::LastsWeeks(w) => {
            format!("At this pattern of spending your fund lasts about {w} more weeks.")
        }
        Projection::BuildingSurplus => {
            "More money came in than was spent: you are building up a surplus.".to_owned()
        }
        Projection::Steady => "No money came in or went out in this period.".to_owned(),
    };
    let projection_easy = match &s.projection {
        _ if ended => "Your support from us has ended.".to_owned(),
        Projection::LastsWeeks(w) => {
            format!("If you keep spending like this, your money will last about {w} more weeks.")
        }
        Projection::BuildingSurplus => {
            "You are saving money. You are building up a surplus.".to_owned()
        }
        Projection::Steady => "Nothing changed this time.".to_owned(),
    };
    let exit_text = s.exit.as_ref().map(|x| {
        format!(
            "This agreement has ended. Money not spent: {}. Your share: {}. The commissioner's share: {}.",
            gbp(x.unspent),
            gbp(x.person),
            gbp(x.commissioner)
        )
    });
    let view = StatementView {
        format_class,
        easy_read,
        title: if easy_read {
            format!("{name}: your money")
        } else {
            format!("Statement for {name}")
        },
        period_text: format!(
            "From {} to {}",
            st.from.format("%-d %B %Y"),
            st.to.format("%-d %B %Y")
        ),
        decision_text,
        agreement_ref: st.agreement_ref.clone(),
        from: st.from.to_string(),
        to: st.to.to_string(),
        opening: gbp(st.opening),
        money_in: gbp(money_in),
        money_out: gbp(money_out),
        support_spend: gbp(s.services + s.cancellations + s.purchases + s.fees),
        paid_back: gbp(s.repayments),
        has_paid_back: !s.repayments.is_zero(),
        closing: gbp(st.closing),
        money_rows,
        outcomes,
        all_lines: st
            .lines
            .iter()
            .filter(|l| l.kind != "opening" && l.kind != "closing")
            .map(line_view)
            .collect(),
        earmarks: s
            .earmarks
            .iter()
            .map(|e| {
                (
                    e.purpose.clone(),
                    gbp(e.amount),
                    e.expires_on.format("%-d %B %Y").to_string(),
                )
            })
            .collect(),
        surplus: gbp(s.returnable_surplus),
        has_surplus: s.returnable_surplus > Pence::ZERO,
        contributions: gbp(s.contributions_outstanding),
        owes_contribution: s.contributions_outstanding > Pence::ZERO,
        missed: s
            .missed_visits
            .iter()
            .map(|(d, title)| format!("{}: “{title}”", d.format("%A %-d %B")))
            .collect(),
        over_plan: s
            .over_plan_weeks
            .iter()
            .map(|d| d.format("%-d %B %Y").to_string())
            .collect(),
        projection,
        projection_easy,
        exit_text,
        digest: full.digest.clone(),
    };
    StatementPage { v: view }.render()
}

/// One statement in a monthly run's index.
pub struct IndexEntry {
    pub agreement_ref: String,
    pub person: String,
    pub format: String,
    pub closing: String,
    pub file: String,
    pub pdf: Option<String>,
}

#[derive(Template)]
#[template(path = "statement_index.html")]
struct IndexPage<'a> {
    month: &'a str,
    entries: &'a [IndexEntry],
}

/// The index page of a monthly statement run.
pub fn statement_index(month: &str, entries: &[IndexEntry]) -> Result<String, askama::Error> {
    IndexPage { month, entries }.render()
}

/// One fund as the dashboard shows it.
struct FundView {
    agreement_ref: String,
    person_ref: String,
    person: String,
    stream_ref: String,
    commissioner_ref: String,
    balance: String,
    available: String,
    returnable: String,
    /// Words for what needs attention, empty when nothing does.
    alerts: Vec<&'static str>,
}

/// One exception in the queue, with its own resolve form.
struct ExceptionView {
    key: String,
    kind: String,
    agreement_ref: String,
    date: String,
    detail: String,
    /// A fresh idempotency key for this form, so a double submit resolves once.
    form_key: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage<'a> {
    who: &'a str,
    role: &'a str,
    csrf: &'a str,
    today: String,
    funds: Vec<FundView>,
    overspent: usize,
    returnable: usize,
    missed: Vec<ExceptionView>,
    dbs: Vec<(String, String, String, bool)>,
    reviews: Vec<(String, String, String, String)>,
    queue: Vec<ExceptionView>,
    open_total: usize,
    can_resolve: bool,
    notice: Option<&'a str>,
}

fn exception_view(e: &crate::app::queries::ExceptionItem) -> ExceptionView {
    ExceptionView {
        key: e.record.key.clone(),
        kind: e.record.kind.word().replace('_', " "),
        agreement_ref: e.record.agreement_ref.clone(),
        date: e.record.date.to_string(),
        detail: e.record.detail.clone(),
        form_key: uuid::Uuid::new_v4().to_string(),
    }
}

/// The coordinator's dashboard. `csrf` goes into every form; `notice` is a line of feedback from
/// the last form sent.
pub fn dashboard_page(
    d: &crate::app::workspace::Dashboard,
    who: &str,
    role: &str,
    csrf: &str,
    can_resolve: bool,
    notice: Option<&str>,
) -> Result<String, askama::Error> {
    let funds: Vec<FundView> = d.funds.iter().map(fund_view).collect();
    DashboardPage {
        who,
        role,
        csrf,
        today: d.today.format("%A %-d %B %Y").to_string(),
        overspent: d.funds.iter().filter(|f| f.overspent()).count(),
        returnable: d
            .funds
            .iter()
            .filter(|f| f.returnable > Pence::ZERO)
            .count(),
        funds,
        missed: d.missed_this_week.iter().map(exception_view).collect(),
        dbs: d
            .dbs
            .iter()
            .map(|w| {
                (
                    w.worker_ref.clone(),
                    w.name.clone(),
                    w.lapses_on.format("%-d %B %Y").to_string(),
                    w.lapsed,
                )
            })
            .collect(),
        reviews: d
            .reviews
            .iter()
            .map(|r| {
                (
                    r.agreement_ref.clone(),
                    r.person.clone(),
                    r.review.kind.to_owned(),
                    r.review.due_by.format("%-d %B %Y").to_string(),
                )
            })
            .collect(),
        queue: d.queue.iter().map(exception_view).collect(),
        open_total: d.open_total,
        can_resolve,
        notice,
    }
    .render()
}

#[derive(Template)]
#[template(path = "imports.html")]
struct ImportsPage<'a> {
    who: &'a str,
    role: &'a str,
    csrf: &'a str,
    names: String,
    problem: Option<&'a str>,
    errors: &'a [crate::csv_io::RowError],
    summaries: &'a [crate::app::import::FileSummary],
}

/// The upload page, with the last upload's problems (every row at fault) or what it imported.
/// One agreement on the person page, its money already in words.
struct AgreementPageView<'a> {
    agreement_ref: &'a str,
    live: bool,
    start_date: String,
    end_date: Option<String>,
    plan_version: Option<i64>,
    plan_pending: &'a [String],
    outcomes: &'a [crate::app::workspace::OutcomeRow],
    funds: Vec<FundView>,
    /// (date, kind, description, money in, money out)
    ledger: Vec<(String, String, String, String, String)>,
    visits: &'a [crate::app::workspace::VisitRow],
    statement_months: &'a [String],
}

#[derive(Template)]
#[template(path = "person.html")]
struct PersonPage<'a> {
    who: &'a str,
    role: &'a str,
    csrf: &'a str,
    today: String,
    window_from: String,
    window_to: String,
    p: &'a crate::app::workspace::PersonView,
    agreements: Vec<AgreementPageView<'a>>,
}

fn fund_view(f: &crate::app::workspace::FundRow) -> FundView {
    let mut alerts = Vec::new();
    if f.overspent() {
        alerts.push("Overspent");
    }
    if f.returnable > Pence::ZERO {
        alerts.push("Surplus to return");
    }
    FundView {
        agreement_ref: f.agreement_ref.clone(),
        person_ref: f.person_ref.clone(),
        person: f.person.clone(),
        stream_ref: f.stream_ref.clone(),
        commissioner_ref: f.commissioner_ref.clone(),
        balance: gbp(f.balance),
        available: gbp(f.available),
        returnable: gbp(f.returnable),
        alerts,
    }
}

/// The person page for provider staff.
pub fn person_page(
    p: &crate::app::workspace::PersonView,
    who: &str,
    role: &str,
    csrf: &str,
) -> Result<String, askama::Error> {
    let days = chrono::Duration::days(crate::app::workspace::PERSON_VISIT_DAYS);
    let agreements = p
        .agreements
        .iter()
        .map(|a| AgreementPageView {
            agreement_ref: &a.agreement_ref,
            live: a.live,
            start_date: a.start_date.to_string(),
            end_date: a.end_date.map(|d| d.to_string()),
            plan_version: a.plan_version,
            plan_pending: &a.plan_pending,
            outcomes: &a.outcomes,
            funds: a.funds.iter().map(fund_view).collect(),
            ledger: a
                .ledger
                .iter()
                .map(|l| {
                    let (money_in, money_out) = if l.amount < Pence::ZERO {
                        (String::new(), gbp(-l.amount))
                    } else {
                        (gbp(l.amount), String::new())
                    };
                    (
                        l.date.to_string(),
                        l.kind.clone(),
                        l.description.clone(),
                        money_in,
                        money_out,
                    )
                })
                .collect(),
            visits: &a.visits,
            statement_months: &a.statement_months,
        })
        .collect();
    PersonPage {
        who,
        role,
        csrf,
        today: p.today.format("%A %-d %B %Y").to_string(),
        window_from: (p.today - days).format("%-d %B").to_string(),
        window_to: (p.today + days).format("%-d %B").to_string(),
        p,
        agreements,
    }
    .render()
}

pub fn imports_page(
    who: &str,
    role: &str,
    csrf: &str,
    problem: Option<&str>,
    errors: &[crate::csv_io::RowError],
    summaries: &[crate::app::import::FileSummary],
) -> Result<String, askama::Error> {
    ImportsPage {
        who,
        role,
        csrf,
        names: crate::app::import::FileKind::ALL
            .map(|k| k.file_name())
            .join(", "),
        problem,
        errors,
        summaries,
    }
    .render()
}
