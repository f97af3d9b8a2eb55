//! Who may be rostered for whom: DBS checks and close relatives.
use super::model::{Relationship, Worker, WorkerRelationship};
use chrono::{Datelike, NaiveDate};

/// Why a worker may not be rostered on a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ineligible {
    NoDbs,
    DbsNotEnhancedWithBarredList,
    DbsIssuedAfter(NaiveDate),
    DbsLapsed(NaiveDate),
    RestrictedRelative(Relationship),
}

impl std::fmt::Display for Ineligible {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ineligible::NoDbs => write!(f, "has no DBS check on record"),
            Ineligible::DbsNotEnhancedWithBarredList => {
                write!(
                    f,
                    "has no enhanced DBS check including the adults' barred list"
                )
            }
            Ineligible::DbsIssuedAfter(d) => {
                write!(f, "has a DBS check issued only on {d}, after the visit")
            }
            Ineligible::DbsLapsed(d) => {
                write!(
                    f,
                    "has a DBS check that lapsed on {d} (three years, not on the update service)"
                )
            }
            Ineligible::RestrictedRelative(r) => write!(
                f,
                "is the person's {} (a close relative) and the commissioner has not authorised it",
                r.word().replace('_', " ")
            ),
        }
    }
}

/// The day a DBS check lapses: its third anniversary (an issue on 29 February lapses on 1 March).
pub fn dbs_lapses_on(issued_on: NaiveDate) -> NaiveDate {
    let year = issued_on.year() + 3;
    NaiveDate::from_ymd_opt(year, issued_on.month(), issued_on.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, 3, 1))
        .expect("1 March exists in every year")
}

/// Whether the worker's DBS record clears them for work on `date`.
pub fn dbs_clearance(worker: &Worker, date: NaiveDate) -> Result<(), Ineligible> {
    let issued_on = worker.dbs_issued_on.ok_or(Ineligible::NoDbs)?;
    if !worker.dbs_barred_list_checked {
        return Err(Ineligible::DbsNotEnhancedWithBarredList);
    }
    if issued_on > date {
        return Err(Ineligible::DbsIssuedAfter(issued_on));
    }
    let lapses_on = dbs_lapses_on(issued_on);
    if !worker.dbs_update_service && date >= lapses_on {
        return Err(Ineligible::DbsLapsed(lapses_on));
    }
    Ok(())
}

/// How long before a DBS check lapses the coordinator is warned.
pub const DBS_WARNING_DAYS: i64 = 30;

/// The day the worker's DBS check lapses when that is within `DBS_WARNING_DAYS` of `today` or has
/// passed: the coordinator must renew it before they are rostered. A check kept current on the
/// update service never lapses; a worker with no usable check is not warned here (they cannot be
/// rostered at all, and the roster says so).
pub fn dbs_lapse_warning(worker: &Worker, today: NaiveDate) -> Option<NaiveDate> {
    let issued_on = worker.dbs_issued_on?;
    if worker.dbs_update_service || !worker.dbs_barred_list_checked {
        return None;
    }
    let lapses_on = dbs_lapses_on(issued_on);
    (lapses_on <= today + chrono::Duration::days(DBS_WARNING_DAYS)).then_some(lapses_on)
}

/// Whether this relationship stops the worker being paid from the person's fund (the Direct
/// Payments Regulations' close relatives), absent the commissioner's authorisation.
pub fn is_restricted(relationship: &WorkerRelationship) -> bool {
    if relationship.commissioner_authorised {
        return false;
    }
    use Relationship::*;
    match relationship.relationship {
        Spouse | Partner | CivilPartner => true,
        Parent | ParentInLaw | Child | ChildInLaw | StepChild | Sibling | Aunt | Uncle
        | Grandparent | RelativePartner => relationship.same_household,
        Friend | Neighbour | Other => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn worker(issued: Option<&str>, barred: bool, update: bool) -> Worker {
        Worker {
            worker_ref: "W".into(),
            given_name: "W".into(),
            family_name: "W".into(),
            dbs_issued_on: issued.map(|d| d.parse().unwrap()),
            dbs_barred_list_checked: barred,
            dbs_update_service: update,
        }
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_dbs_check_lapses_on_its_third_anniversary_without_the_update_service() {
        let w = worker(Some("2022-11-14"), true, false);
        assert!(dbs_clearance(&w, d("2025-11-13")).is_ok());
        assert_eq!(
            dbs_clearance(&w, d("2025-11-14")),
            Err(Ineligible::DbsLapsed(d("2025-11-14")))
        );
    }

    #[test]
    fn a_dbs_check_issued_on_29_february_lapses_on_1_march() {
        assert_eq!(dbs_lapses_on(d("2024-02-29")), d("2027-03-01"));
    }

    #[test]
    fn the_update_service_keeps_an_old_check_valid() {
        assert!(dbs_clearance(&worker(Some("2021-05-20"), true, true), d("2026-03-19")).is_ok());
    }

    #[test]
    fn a_check_without_the_barred_list_or_issued_later_does_not_clear() {
        assert!(dbs_clearance(&worker(Some("2024-01-01"), false, true), d("2026-01-01")).is_err());
        assert!(dbs_clearance(&worker(Some("2026-02-01"), true, true), d("2026-01-01")).is_err());
        assert!(dbs_clearance(&worker(None, true, true), d("2026-01-01")).is_err());
    }

    #[test]
    fn spouses_are_restricted_anywhere_siblings_only_in_the_same_household_friends_never() {
        let rel = |relationship, same_household, commissioner_authorised| WorkerRelationship {
            worker_ref: "W".into(),
            person_ref: "P".into(),
            relationship,
            same_household,
            commissioner_authorised,
        };
        assert!(is_restricted(&rel(Relationship::Spouse, false, false)));
        assert!(!is_restricted(&rel(Relationship::Spouse, true, true)));
        assert!(is_restricted(&rel(Relationship::Sibling, true, false)));
        assert!(!is_restricted(&rel(Relationship::Sibling, false, false)));
        assert!(!is_restricted(&rel(Relationship::Friend, true, false)));
    }
}

#[cfg(test)]
mod dbs_warning_tests {
    use super::*;

    fn worker(issued: &str, update_service: bool) -> Worker {
        Worker {
            worker_ref: "W-1".to_owned(),
            given_name: "Dan".to_owned(),
            family_name: "Smith".to_owned(),
            dbs_issued_on: Some(issued.parse().unwrap()),
            dbs_barred_list_checked: true,
            dbs_update_service: update_service,
        }
    }

    #[test]
    fn a_dbs_check_is_warned_of_30_days_before_it_lapses_and_after() {
        let today: NaiveDate = "2026-11-22".parse().unwrap();
        assert_eq!(
            dbs_lapse_warning(&worker("2023-12-22", false), today),
            Some("2026-12-22".parse().unwrap())
        );
        assert_eq!(dbs_lapse_warning(&worker("2023-12-23", false), today), None);
        assert_eq!(
            dbs_lapse_warning(&worker("2023-01-05", false), today),
            Some("2026-01-05".parse().unwrap()),
            "already lapsed"
        );
        assert_eq!(
            dbs_lapse_warning(&worker("2023-01-05", true), today),
            None,
            "update service"
        );
    }
}
