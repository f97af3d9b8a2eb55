//! `GET /api/agreements/{ref}/statements`: an agreement's statement for a period as JSON, and the
//! JSON form of a statement itself (`statement_json`), which `isf statement --format json`,
//! `isf statements` and `isf verify-statement` print and check through this same function, so the
//! API and the command line can never disagree.
//!
//! Issued JSON statements are verified byte for byte, so the document's bytes are part of its
//! contract: every object's keys are in alphabetical order (the order the document has always had),
//! which is why the fields below are declared alphabetically. A test proves it.
use super::auth::Viewer;
use super::commissioners::string_object;
use super::{
    examples, path_ref, required_period, ApiError, AppState, Problem, STATEMENT_PERIOD_DAYS_MAX,
};
use crate::app::queries;
use crate::app::reports::STATEMENT_COLUMNS;
use crate::app::statements::{FullStatement, Projection};
use crate::domain::money::format_2dp;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::Json;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::RefOr;
use utoipa::{IntoParams, PartialSchema, ToSchema};

/// A statement: the lines of `isf statement --format csv` as `rows`, the summary people need, and
/// the digest of the postings it covers. Every amount is a decimal string.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StatementBody {
    #[schema(example = "AG-ANN")]
    pub agreement_ref: String,
    /// The balance of all the agreement's funds at the end of `to`.
    #[schema(example = "2774.50")]
    pub closing_balance: String,
    /// `standard`, `large_print` or `easy_read`: the format of the person's page.
    #[schema(example = "standard")]
    pub communication_format: String,
    /// `self`, `lpa`, `deputy` or `best_interests`.
    #[schema(example = "self")]
    pub decision_maker: String,
    /// `sha256:` and the SHA-256 (hex) of every posting of the agreement dated up to `to`:
    /// `isf verify-statement` proves a statement matches the books with it.
    #[schema(example = "sha256:07e9d480cafb4fc13fef8e237de87ec5ebe624134277d632b12f11b42731e1bd")]
    pub digest: String,
    /// The first day of the period.
    #[schema(example = "2026-03-01", format = Date)]
    pub from: String,
    /// The balance of all the agreement's funds at the start of `from`.
    #[schema(example = "0.00")]
    pub opening_balance: String,
    #[schema(example = "P-ANN")]
    pub person_ref: String,
    /// Who makes decisions about the money when the person does not; null when they do.
    #[schema(required = true, example = json!(null))]
    pub representative_name: Option<String>,
    /// The lines in date order, from the opening balance to the closing balance.
    pub rows: Vec<StatementRowBody>,
    pub summary: StatementSummaryBody,
    /// The last day of the period.
    #[schema(example = "2026-03-31", format = Date)]
    pub to: String,
}

/// The totals and the notes of a statement.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StatementSummaryBody {
    /// Visits cancelled at short notice and charged.
    #[schema(example = "0.00")]
    pub cancellations: String,
    #[schema(example = "3080.00")]
    pub commissioner_receipts: String,
    /// The person's contributions due by `to` and not yet received.
    #[schema(example = "0.00")]
    pub contributions_outstanding: String,
    /// Earmarks in force at the end of the period, soonest to expire first.
    pub earmarks: Vec<EarmarkBody>,
    /// How the money left is shared when the agreement has ended by `to`; null while it runs.
    #[schema(required = true)]
    pub exit: Option<ExitBody>,
    #[schema(example = "26.18")]
    pub fees: String,
    pub missed_visits: Vec<MissedVisitBody>,
    pub outcomes: Vec<OutcomeBody>,
    /// The Mondays of weeks whose hours went beyond the plan and need sign-off.
    #[schema(example = json!([]))]
    pub over_plan_weeks: Vec<String>,
    #[schema(example = "140.00")]
    pub person_receipts: String,
    pub projection: ProjectionBody,
    #[schema(example = "0.00")]
    pub purchases: String,
    /// Money paid back to the commissioner or the person.
    #[schema(example = "0.00")]
    pub repayments: String,
    /// Money the commissioner could ask back under its contract terms.
    #[schema(example = "0.00")]
    pub returnable_surplus: String,
    /// Corrections to earlier periods, signed: a credit to the fund is positive.
    #[schema(example = "0.00")]
    pub reversals: String,
    #[schema(example = "314.02")]
    pub services: String,
}

/// One outcome's hours and spend over the period.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OutcomeBody {
    /// Hours, two decimals.
    #[schema(example = "14.12")]
    pub delivered_hours: String,
    #[schema(example = "O-WASH")]
    pub outcome_ref: String,
    /// Hours, two decimals.
    #[schema(example = "25.57")]
    pub planned_hours: String,
    /// Visits and purchases for the outcome.
    #[schema(example = "314.02")]
    pub spent: String,
    /// The support type in words.
    #[schema(example = "personal care")]
    pub support_type: String,
    #[schema(example = "I want to wash and dress in the morning")]
    pub title: String,
}

/// Money set aside for a purpose.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct EarmarkBody {
    #[schema(example = "150.00")]
    pub amount: String,
    #[schema(example = "2026-06-30", format = Date)]
    pub expires_on: String,
    #[schema(example = "Holiday to Llandudno in June")]
    pub purpose: String,
}

/// A visit that did not happen.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct MissedVisitBody {
    #[schema(example = "2026-03-12", format = Date)]
    pub date: String,
    /// The title of the outcome the visit was for.
    #[schema(example = "I want to wash and dress in the morning")]
    pub outcome: String,
}

/// The shares of the money left when an agreement ends.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ExitBody {
    #[schema(example = "120.00")]
    pub commissioner_share: String,
    #[schema(example = "30.00")]
    pub person_share: String,
    #[schema(example = "150.00")]
    pub unspent: String,
}

/// What the money is likely to do next at the period's pattern of spending.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ProjectionBody {
    /// `lasts_weeks` (spending more than comes in), `building_surplus` or `steady`.
    #[schema(example = "lasts_weeks")]
    pub kind: String,
    /// With `lasts_weeks` only: about how many more weeks the money lasts.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, example = 9)]
    pub weeks: Option<i64>,
}

/// One line of a statement: every column of the statement CSV (FORMATS.md), as the CSV writes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct StatementRowBody(Map<String, Value>);

impl PartialSchema for StatementRowBody {
    fn schema() -> RefOr<Schema> {
        string_object(
            &STATEMENT_COLUMNS,
            "One line of the statement, keyed by the CSV's column names. Every value is a string as \
             the CSV writes it; an empty string where the CSV cell is empty.",
        )
    }
}
impl ToSchema for StatementRowBody {}

/// The statement as JSON: the rows, the summary and the digest.
pub fn statement_json(full: &FullStatement) -> StatementBody {
    let s = &full.summary;
    let st = &full.statement;
    StatementBody {
        agreement_ref: st.agreement_ref.clone(),
        closing_balance: st.closing.to_string(),
        communication_format: s.person.communication_format.word().to_owned(),
        decision_maker: s.person.decision_maker.word().to_owned(),
        digest: format!("sha256:{}", full.digest),
        from: st.from.to_string(),
        opening_balance: st.opening.to_string(),
        person_ref: s.person.person_ref.clone(),
        representative_name: s.person.representative_name.clone(),
        rows: st
            .lines
            .iter()
            .map(|l| {
                StatementRowBody(
                    STATEMENT_COLUMNS
                        .iter()
                        .zip(l.cells())
                        .map(|(k, v)| ((*k).to_owned(), Value::String(v)))
                        .collect(),
                )
            })
            .collect(),
        summary: StatementSummaryBody {
            cancellations: s.cancellations.to_string(),
            commissioner_receipts: s.commissioner_receipts.to_string(),
            contributions_outstanding: s.contributions_outstanding.to_string(),
            earmarks: s
                .earmarks
                .iter()
                .map(|e| EarmarkBody {
                    amount: e.amount.to_string(),
                    expires_on: e.expires_on.to_string(),
                    purpose: e.purpose.clone(),
                })
                .collect(),
            exit: s.exit.as_ref().map(|x| ExitBody {
                commissioner_share: x.commissioner.to_string(),
                person_share: x.person.to_string(),
                unspent: x.unspent.to_string(),
            }),
            fees: s.fees.to_string(),
            missed_visits: s
                .missed_visits
                .iter()
                .map(|(date, outcome)| MissedVisitBody {
                    date: date.to_string(),
                    outcome: outcome.clone(),
                })
                .collect(),
            outcomes: s
                .outcomes
                .iter()
                .map(|o| OutcomeBody {
                    delivered_hours: format_2dp(o.delivered_hours),
                    outcome_ref: o.outcome_ref.clone(),
                    planned_hours: format_2dp(o.planned_hours),
                    spent: o.spent.to_string(),
                    support_type: o.support_type.clone(),
                    title: o.title.clone(),
                })
                .collect(),
            over_plan_weeks: s.over_plan_weeks.iter().map(|d| d.to_string()).collect(),
            person_receipts: s.person_receipts.to_string(),
            projection: match &s.projection {
                Projection::LastsWeeks(w) => ProjectionBody {
                    kind: "lasts_weeks".to_owned(),
                    weeks: Some(*w),
                },
                Projection::BuildingSurplus => ProjectionBody {
                    kind: "building_surplus".to_owned(),
                    weeks: None,
                },
                Projection::Steady => ProjectionBody {
                    kind: "steady".to_owned(),
                    weeks: None,
                },
            },
            purchases: s.purchases.to_string(),
            repayments: s.repayments.to_string(),
            returnable_surplus: s.returnable_surplus.to_string(),
            reversals: s.reversals.to_string(),
            services: s.services.to_string(),
        },
        to: st.to.to_string(),
    }
}

/// Checks that a statement period is the right way round and no longer than
/// `STATEMENT_PERIOD_DAYS_MAX`; says why not.
pub fn check_period(from: NaiveDate, to: NaiveDate) -> Result<(), String> {
    if to < from {
        return Err(format!("the period ends ({to}) before it starts ({from})"));
    }
    let days = (to - from).num_days() + 1;
    if days > STATEMENT_PERIOD_DAYS_MAX {
        return Err(format!(
            "the period is {days} days long: a statement covers at most \
             {STATEMENT_PERIOD_DAYS_MAX} days"
        ));
    }
    Ok(())
}

/// `?from=&to=` of a statement.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatementParams {
    /// The first day of the period, `YYYY-MM-DD`.
    #[param(value_type = String, format = Date, example = "2026-03-01")]
    from: Option<String>,
    /// The last day of the period, `YYYY-MM-DD`: not before `from`, and at most 366 days after
    /// it counting both.
    #[param(value_type = String, format = Date, example = "2026-03-31")]
    to: Option<String>,
}

/// An agreement's statement
///
/// The statement of one agreement for a period, with its summary and digest: the same document as
/// `isf statement --format json`, which `isf verify-statement` can check against the books. The
/// person's page is `GET /agreements/{ref}/statements/{period}` (HTML, not part of this API).
#[utoipa::path(
    get,
    path = "/api/agreements/{ref}/statements",
    operation_id = "agreement_statement",
    tag = "statements",
    params(
        ("ref" = String, Path, description = "The agreement's ref", example = "AG-ANN"),
        StatementParams,
    ),
    responses(
        (status = 200, description = "The statement", body = StatementBody),
        (status = 400, description = "An unknown query parameter", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "No such agreement", body = Problem,
            content_type = "application/problem+json",
            example = json!(examples::problem_not_found("agreement"))),
        (status = 422, description = "A missing or bad date, or a period that ends before it \
            starts or is longer than 366 days",
            body = Problem, content_type = "application/problem+json", example = json!({
                "type": "tag:isf-ledger,2026:problem/validation",
                "title": "The request is not valid",
                "status": 422,
                "detail": "the query has 1 problem(s)",
                "errors": [{"field": "to", "reason": "is required"}]
            })),
    )
)]
pub async fn statement(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(reference): Path<String>,
    params: Result<Query<StatementParams>, QueryRejection>,
) -> Result<Json<StatementBody>, ApiError> {
    let reference = path_ref("agreement", &reference)?;
    let Query(params) = params?;
    let (from, to) = required_period(params.from.as_deref(), params.to.as_deref())?;
    check_period(from, to).map_err(|reason| ApiError::field("to", reason))?;
    let full = queries::statement(&state.db, &viewer.principal, &reference, from, to).await?;
    Ok(Json(statement_json(&full)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(weeks: Option<i64>, exit: bool) -> StatementBody {
        let row = |kind: &str| {
            StatementRowBody(
                STATEMENT_COLUMNS
                    .iter()
                    .map(|c| ((*c).to_owned(), Value::String(format!("{kind}-{c}"))))
                    .collect(),
            )
        };
        StatementBody {
            agreement_ref: "AG-1".to_owned(),
            closing_balance: "1.00".to_owned(),
            communication_format: "easy_read".to_owned(),
            decision_maker: "lpa".to_owned(),
            digest: "sha256:00".to_owned(),
            from: "2026-03-01".to_owned(),
            opening_balance: "0.00".to_owned(),
            person_ref: "P-1".to_owned(),
            representative_name: exit.then(|| "Carol".to_owned()),
            rows: vec![row("opening"), row("closing")],
            summary: StatementSummaryBody {
                cancellations: "0.10".to_owned(),
                commissioner_receipts: "0.20".to_owned(),
                contributions_outstanding: "0.30".to_owned(),
                earmarks: vec![EarmarkBody {
                    amount: "1.00".to_owned(),
                    expires_on: "2026-06-30".to_owned(),
                    purpose: "Holiday".to_owned(),
                }],
                exit: exit.then(|| ExitBody {
                    commissioner_share: "1.00".to_owned(),
                    person_share: "2.00".to_owned(),
                    unspent: "3.00".to_owned(),
                }),
                fees: "0.40".to_owned(),
                missed_visits: vec![MissedVisitBody {
                    date: "2026-03-12".to_owned(),
                    outcome: "Washing".to_owned(),
                }],
                outcomes: vec![OutcomeBody {
                    delivered_hours: "1.00".to_owned(),
                    outcome_ref: "O-1".to_owned(),
                    planned_hours: "2.00".to_owned(),
                    spent: "3.00".to_owned(),
                    support_type: "personal care".to_owned(),
                    title: "Washing".to_owned(),
                }],
                over_plan_weeks: vec!["2026-03-02".to_owned()],
                person_receipts: "0.50".to_owned(),
                projection: ProjectionBody {
                    kind: if weeks.is_some() {
                        "lasts_weeks"
                    } else {
                        "steady"
                    }
                    .to_owned(),
                    weeks,
                },
                purchases: "0.60".to_owned(),
                repayments: "0.70".to_owned(),
                returnable_surplus: "0.80".to_owned(),
                reversals: "0.90".to_owned(),
                services: "1.10".to_owned(),
            },
            to: "2026-03-31".to_owned(),
        }
    }

    #[test]
    fn every_object_of_the_document_has_its_keys_in_alphabetical_order() {
        // A `serde_json::Value` keeps its keys sorted: if the struct's own order differs, the
        // bytes of statements issued before would no longer verify.
        for (weeks, exit) in [(Some(9), true), (None, false)] {
            let b = body(weeks, exit);
            let direct = serde_json::to_string_pretty(&b).unwrap();
            let sorted = serde_json::to_string_pretty(&serde_json::to_value(&b).unwrap()).unwrap();
            assert_eq!(direct, sorted, "case weeks {weeks:?}, exit {exit}");
        }
    }

    #[test]
    fn the_document_has_the_keys_it_always_had() {
        let doc = serde_json::to_value(body(Some(9), true)).unwrap();
        let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        assert_eq!(
            keys(&doc),
            [
                "agreement_ref",
                "closing_balance",
                "communication_format",
                "decision_maker",
                "digest",
                "from",
                "opening_balance",
                "person_ref",
                "representative_name",
                "rows",
                "summary",
                "to"
            ]
        );
        assert_eq!(
            keys(&doc["summary"]),
            [
                "cancellations",
                "commissioner_receipts",
                "contributions_outstanding",
                "earmarks",
                "exit",
                "fees",
                "missed_visits",
                "outcomes",
                "over_plan_weeks",
                "person_receipts",
                "projection",
                "purchases",
                "repayments",
                "returnable_surplus",
                "reversals",
                "services"
            ]
        );
        assert_eq!(
            doc["summary"]["projection"],
            serde_json::json!({"kind": "lasts_weeks", "weeks": 9})
        );
        let running = serde_json::to_value(body(None, false)).unwrap();
        assert_eq!(running["summary"]["exit"], Value::Null);
        assert_eq!(running["representative_name"], Value::Null);
        assert_eq!(
            running["summary"]["projection"],
            serde_json::json!({"kind": "steady"})
        );
    }

    #[test]
    fn a_period_runs_forwards_for_at_most_366_days() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        for (from, to, ok) in [
            ("2026-03-01", "2026-03-31", true),
            ("2026-03-01", "2026-03-01", true),
            ("2027-04-01", "2028-03-31", true),
            ("2028-01-01", "2028-12-31", true),
            ("2026-01-01", "2027-01-01", true),
            ("2026-01-01", "2027-01-02", false),
            ("2026-03-31", "2026-03-01", false),
        ] {
            assert_eq!(
                check_period(d(from), d(to)).is_ok(),
                ok,
                "case {from}..{to}"
            );
        }
    }
}
