//! Lists of held records by kind (`GET /api/{workers,attendances,receipts,purchases,repayments,
//! earmarks}`), each record as the columns of its CSV file — the shape a client posts — scoped to
//! the caller, filtered by agreement and period, a page at a time in ref order.
use super::import::FileKind;
use super::queries::{page, Page, QueryError, VisitFilter};
use crate::db;
use crate::domain::access::{Action, Principal, Role};
use crate::domain::calendar::local_date;
use crate::domain::world::World;
use chrono::NaiveDate;
use sea_orm::DatabaseConnection;

/// The kinds listed this way (people, agreements, visits and exceptions have lists of their own).
pub const LISTED_KINDS: [FileKind; 6] = [
    FileKind::Workers,
    FileKind::Attendances,
    FileKind::Receipts,
    FileKind::Purchases,
    FileKind::Repayments,
    FileKind::Earmarks,
];

/// One held record: its ref and its file's columns, in the file's order, empty cells as "".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedRecord {
    pub fields: Vec<(&'static str, String)>,
}

/// What a record is filtered on: its agreement and the dates it spans.
struct Facts<'w> {
    agreement_ref: Option<&'w str>,
    from: NaiveDate,
    to: NaiveDate,
}

impl Facts<'_> {
    fn on(agreement_ref: &str, date: NaiveDate) -> Facts<'_> {
        Facts {
            agreement_ref: Some(agreement_ref),
            from: date,
            to: date,
        }
    }

    fn kept(&self, filter: &VisitFilter) -> bool {
        filter
            .agreement_ref
            .as_deref()
            .is_none_or(|a| self.agreement_ref == Some(a))
            && filter.from.is_none_or(|f| self.to >= f)
            && filter.to.is_none_or(|t| self.from <= t)
    }
}

fn flag(value: bool) -> String {
    if value { "true" } else { "false" }.to_owned()
}

fn text(value: &Option<String>) -> String {
    value.clone().unwrap_or_default()
}

fn date(value: Option<NaiveDate>) -> String {
    value.map(|d| d.to_string()).unwrap_or_default()
}

/// Who may list `kind` at all: workers (their DBS checks) are provider staff's, and a care
/// worker's own record; money is for every role that may read money; attendances for everyone.
fn may_list(viewer: &Principal, kind: FileKind) -> Result<(), QueryError> {
    let allowed = match kind {
        FileKind::Workers => viewer.is_provider_staff() || viewer.role == Role::CareWorker,
        FileKind::Attendances => viewer.may(Action::ReadPeople).is_ok(),
        _ => viewer.may(Action::ReadMoney).is_ok(),
    };
    if allowed {
        Ok(())
    } else {
        Err(QueryError::Forbidden {
            role: viewer.role.word().to_owned(),
            what: match kind {
                FileKind::Workers => "see workers",
                _ => "see money",
            },
        })
    }
}

/// Records of `kind` the caller may see, kept by `filter`, by ref, a page after `after`.
pub async fn list_records(
    db: &DatabaseConnection,
    viewer: &Principal,
    kind: FileKind,
    filter: &VisitFilter,
    after: Option<&str>,
    limit: usize,
) -> Result<Page<ListedRecord>, QueryError> {
    may_list(viewer, kind)?;
    if let (Some(from), Some(to)) = (filter.from, filter.to) {
        if to < from {
            return Err(QueryError::BackwardsPeriod { from, to });
        }
    }
    let world = db::load_world(db).await?;
    let mut records = records_of(&world, viewer, kind, filter);
    records.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    Ok(page(
        records.iter().map(|(r, l)| (r.as_str(), l)),
        after,
        limit,
    ))
}

fn records_of(
    world: &World,
    viewer: &Principal,
    kind: FileKind,
    filter: &VisitFilter,
) -> Vec<(String, ListedRecord)> {
    let sees = |agreement_ref: &str| viewer.sees_agreement(world, agreement_ref);
    let mut out = Vec::new();
    let mut push = |key: &str, fields: Vec<(&'static str, String)>| {
        out.push((key.to_owned(), ListedRecord { fields }));
    };
    match kind {
        FileKind::Workers => {
            // Filtered, a worker is listed when they are on a visit the filter keeps.
            let filtered = filter != &VisitFilter::default();
            let on_visits: std::collections::HashSet<&str> = if filtered {
                world
                    .visits
                    .values()
                    .filter(|v| {
                        Facts::on(&v.agreement_ref, local_date(v.planned_start)).kept(filter)
                    })
                    .flat_map(|v| v.worker_refs.iter().map(String::as_str))
                    .collect()
            } else {
                Default::default()
            };
            for w in world.workers.values() {
                if (filtered && !on_visits.contains(w.worker_ref.as_str()))
                    || (viewer.role == Role::CareWorker
                        && viewer.worker_ref.as_deref() != Some(&w.worker_ref))
                {
                    continue;
                }
                push(
                    &w.worker_ref,
                    vec![
                        ("worker_ref", w.worker_ref.clone()),
                        ("given_name", w.given_name.clone()),
                        ("family_name", w.family_name.clone()),
                        ("dbs_issued_on", date(w.dbs_issued_on)),
                        ("dbs_barred_list_checked", flag(w.dbs_barred_list_checked)),
                        ("dbs_update_service", flag(w.dbs_update_service)),
                    ],
                );
            }
        }
        FileKind::Attendances => {
            for a in world.attendances.values() {
                let day = local_date(a.check_in);
                // A visit's attendance belongs to its agreement; an unplanned one to the
                // person's agreement live that day.
                let agreement = match &a.visit_ref {
                    Some(v) => world.visits.get(v).map(|v| v.agreement_ref.as_str()),
                    None => world
                        .live_agreement_of(&a.person_ref, day)
                        .map(|g| g.agreement_ref.as_str()),
                };
                let facts = Facts {
                    agreement_ref: agreement,
                    from: day,
                    to: day,
                };
                let visible = match viewer.role {
                    Role::CareWorker => viewer.worker_ref.as_deref() == Some(&a.worker_ref),
                    _ if viewer.is_provider_staff() => true,
                    _ => agreement.is_some_and(sees),
                };
                if !visible || !facts.kept(filter) {
                    continue;
                }
                push(
                    &a.attendance_ref,
                    vec![
                        ("attendance_ref", a.attendance_ref.clone()),
                        ("visit_ref", text(&a.visit_ref)),
                        ("person_ref", a.person_ref.clone()),
                        ("worker_ref", a.worker_ref.clone()),
                        ("check_in", a.check_in.to_rfc3339()),
                        ("check_out", a.check_out.to_rfc3339()),
                        ("method", a.method.word().to_owned()),
                        ("location_verified", flag(a.location_verified)),
                    ],
                );
            }
        }
        FileKind::Receipts => {
            for r in world.receipts.values() {
                if sees(&r.agreement_ref) && Facts::on(&r.agreement_ref, r.received_on).kept(filter)
                {
                    push(
                        &r.receipt_ref,
                        vec![
                            ("receipt_ref", r.receipt_ref.clone()),
                            ("received_on", r.received_on.to_string()),
                            ("payer", r.payer.word().to_owned()),
                            ("agreement_ref", r.agreement_ref.clone()),
                            ("stream_ref", r.stream_ref.clone()),
                            ("amount", r.amount.to_string()),
                        ],
                    );
                }
            }
        }
        FileKind::Purchases => {
            for p in world.purchases.values() {
                if sees(&p.agreement_ref) && Facts::on(&p.agreement_ref, p.paid_on).kept(filter) {
                    push(
                        &p.purchase_ref,
                        vec![
                            ("purchase_ref", p.purchase_ref.clone()),
                            ("paid_on", p.paid_on.to_string()),
                            ("agreement_ref", p.agreement_ref.clone()),
                            ("outcome_ref", p.outcome_ref.clone()),
                            ("category", p.category.clone()),
                            ("description", text(&p.description)),
                            ("supplier", text(&p.supplier)),
                            ("amount", p.amount.to_string()),
                        ],
                    );
                }
            }
        }
        FileKind::Repayments => {
            for r in world.repayments.values() {
                if sees(&r.agreement_ref) && Facts::on(&r.agreement_ref, r.paid_on).kept(filter) {
                    push(
                        &r.repayment_ref,
                        vec![
                            ("repayment_ref", r.repayment_ref.clone()),
                            ("paid_on", r.paid_on.to_string()),
                            ("agreement_ref", r.agreement_ref.clone()),
                            ("stream_ref", r.stream_ref.clone()),
                            ("payee", r.payee.word().to_owned()),
                            ("amount", r.amount.to_string()),
                        ],
                    );
                }
            }
        }
        FileKind::Earmarks => {
            for e in world.earmarks.values() {
                // Filtered by period, an earmark is listed when it is in force on a day of it.
                let facts = Facts {
                    agreement_ref: Some(&e.agreement_ref),
                    from: e.created_on,
                    to: e.expires_on,
                };
                if sees(&e.agreement_ref) && facts.kept(filter) {
                    push(
                        &e.earmark_ref,
                        vec![
                            ("earmark_ref", e.earmark_ref.clone()),
                            ("agreement_ref", e.agreement_ref.clone()),
                            ("stream_ref", e.stream_ref.clone()),
                            ("purpose", e.purpose.clone()),
                            ("amount", e.amount.to_string()),
                            ("created_on", e.created_on.to_string()),
                            ("expires_on", e.expires_on.to_string()),
                        ],
                    );
                }
            }
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listed_record_has_exactly_its_files_columns_in_order() {
        use crate::domain::model::*;
        use crate::domain::money::Pence;
        use chrono::{TimeZone, Utc};
        let d = |t: &str| t.parse::<NaiveDate>().unwrap();
        let mut world = World::default();
        world.workers.insert(
            "W-1".into(),
            Worker {
                worker_ref: "W-1".into(),
                given_name: "Dan".into(),
                family_name: "Price".into(),
                dbs_issued_on: None,
                dbs_barred_list_checked: true,
                dbs_update_service: false,
            },
        );
        let at = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        world.attendances.insert(
            "AT-1".into(),
            Attendance {
                attendance_ref: "AT-1".into(),
                visit_ref: None,
                person_ref: "P-1".into(),
                worker_ref: "W-1".into(),
                check_in: at,
                check_out: at,
                method: AttendanceMethod::Ecm,
                location_verified: true,
            },
        );
        world.receipts.insert(
            "R-1".into(),
            Receipt {
                receipt_ref: "R-1".into(),
                received_on: d("2026-03-02"),
                payer: Payer::Commissioner,
                agreement_ref: "AG".into(),
                stream_ref: "ASC".into(),
                amount: Pence::new(12345),
            },
        );
        world.purchases.insert(
            "PU-1".into(),
            Purchase {
                purchase_ref: "PU-1".into(),
                paid_on: d("2026-03-02"),
                agreement_ref: "AG".into(),
                outcome_ref: "O".into(),
                stream_ref: "ASC".into(),
                category: "activity".into(),
                description: None,
                supplier: Some("Pool".into()),
                amount: Pence::new(500),
            },
        );
        world.repayments.insert(
            "RP-1".into(),
            Repayment {
                repayment_ref: "RP-1".into(),
                paid_on: d("2026-03-02"),
                agreement_ref: "AG".into(),
                stream_ref: "ASC".into(),
                payee: Payer::Commissioner,
                amount: Pence::new(100),
            },
        );
        world.earmarks.insert(
            "E-1".into(),
            Earmark {
                earmark_ref: "E-1".into(),
                agreement_ref: "AG".into(),
                stream_ref: "ASC".into(),
                purpose: "holiday".into(),
                amount: Pence::new(100),
                created_on: d("2026-03-01"),
                expires_on: d("2026-06-01"),
            },
        );
        let staff = Principal {
            username: "c".into(),
            display_name: "C".into(),
            role: Role::Coordinator,
            worker_ref: None,
            commissioner_ref: None,
            agreement_refs: Default::default(),
        };
        for kind in LISTED_KINDS {
            let records = records_of(&world, &staff, kind, &VisitFilter::default());
            assert_eq!(records.len(), 1, "{kind:?}");
            for (_, r) in records {
                let names: Vec<&str> = r.fields.iter().map(|(n, _)| *n).collect();
                assert_eq!(names, kind.columns(), "{kind:?}");
            }
        }
    }

    #[test]
    fn an_earmark_is_kept_by_a_period_it_is_in_force_on() {
        let d = |t: &str| t.parse::<NaiveDate>().unwrap();
        let facts = Facts {
            agreement_ref: Some("AG"),
            from: d("2026-03-01"),
            to: d("2026-06-01"),
        };
        let period = |from: &str, to: &str| VisitFilter {
            agreement_ref: None,
            from: Some(d(from)),
            to: Some(d(to)),
        };
        assert!(facts.kept(&period("2026-05-01", "2026-05-31")));
        assert!(facts.kept(&period("2026-06-01", "2026-06-30")));
        assert!(!facts.kept(&period("2026-06-02", "2026-06-30")));
        assert!(!facts.kept(&VisitFilter {
            agreement_ref: Some("AG-OTHER".into()),
            ..VisitFilter::default()
        }));
    }
}
