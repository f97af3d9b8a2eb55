//! The read side: one function per question the API and the pages ask — commissioners, people,
//! agreements with their funds' balances, council returns, statements and exceptions. Each loads
//! what it needs through `db`, answers with domain values and writes nothing.
//!
//! Lists come a page at a time: at most `PAGE_ITEMS_MAX` items after a cursor (the last ref, or
//! for exceptions the last key, of the previous page), with the cursor of the next page when more
//! may follow. Exceptions are read as `isf reconcile` stored them, with their status; rows read
//! back are parsed again, so a status the domain does not know is an error, never passed on.
use super::reports::{council_return, ReportError, ReturnRow};
use super::statements::{full_statement, FullStatement};
use crate::db::{self, DbError};
use crate::domain::access::{Action, Denied, Principal};
use crate::domain::billing::ExceptionKind;
use crate::domain::model::{word_enum, Agreement, Commissioner, Person, Stream, Visit};
use crate::domain::money::Pence;
use chrono::NaiveDate;
use sea_orm::DatabaseConnection;

/// The most items one page of a list holds.
pub const PAGE_ITEMS_MAX: usize = 500;

/// Why a query had no answer.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("no {what} {reference}")]
    NotFound {
        what: &'static str,
        reference: String,
    },
    #[error("the period ends ({to}) before it starts ({from})")]
    BackwardsPeriod { from: NaiveDate, to: NaiveDate },
    /// A page cursor that names nothing this query lists.
    #[error("no {what} {after} is listed by this query: pass the next_after of a previous page")]
    UnknownCursor { what: &'static str, after: String },
    /// The caller's role may never ask this.
    #[error("your role ({role}) may not {what}")]
    Forbidden { role: String, what: &'static str },
    #[error(transparent)]
    Report(ReportError),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<ReportError> for QueryError {
    fn from(e: ReportError) -> QueryError {
        match e {
            ReportError::UnknownCommissioner(reference) => QueryError::NotFound {
                what: "commissioner",
                reference,
            },
            ReportError::UnknownAgreement(reference) => QueryError::NotFound {
                what: "agreement",
                reference,
            },
            ReportError::BackwardsPeriod { from, to } => QueryError::BackwardsPeriod { from, to },
            other => QueryError::Report(other),
        }
    }
}

/// The answer to a refused request: 403 for the role, or exactly the answer for a record that does
/// not exist when the record is outside the caller's scope.
fn refused(viewer: &Principal, denied: Denied, what: &'static str, reference: &str) -> QueryError {
    match denied {
        Denied::Forbidden => QueryError::Forbidden {
            role: viewer.role.word().to_owned(),
            what: match what {
                "commissioner" => "see commissioners or their returns",
                "exception" => "see exceptions",
                "agreement" => "see funds, balances or statements",
                _ => "see this",
            },
        },
        Denied::Hidden => QueryError::NotFound {
            what,
            reference: reference.to_owned(),
        },
    }
}

/// `may`, as a query answer.
fn permitted(viewer: &Principal, action: Action, what: &'static str) -> Result<(), QueryError> {
    viewer.may(action).map_err(|d| refused(viewer, d, what, ""))
}

/// One page of a list, and the cursor to ask `after` for the next page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The cursor of this page's last item when more may follow.
    pub next_after: Option<String>,
}

/// The first `limit` (capped at `PAGE_ITEMS_MAX`) of `items`, which already start after the
/// cursor; `cursor` names an item for the next page's `after`.
fn take_page<T>(
    items: impl IntoIterator<Item = T>,
    limit: usize,
    cursor: impl Fn(&T) -> String,
) -> Page<T> {
    let limit = limit.clamp(1, PAGE_ITEMS_MAX);
    let mut picked: Vec<T> = items.into_iter().take(limit + 1).collect();
    let more = picked.len() > limit;
    picked.truncate(limit);
    Page {
        next_after: if more {
            picked.last().map(cursor)
        } else {
            None
        },
        items: picked,
    }
}

/// Pages `items` (sorted by ref, compared as bytes): at most `limit` (capped at `PAGE_ITEMS_MAX`)
/// items whose ref is after `after`.
pub fn page<'a, T: Clone + 'a>(
    items: impl IntoIterator<Item = (&'a str, &'a T)>,
    after: Option<&str>,
    limit: usize,
) -> Page<T> {
    let picked = take_page(
        items
            .into_iter()
            .filter(|(r, _)| after.is_none_or(|a| *r > a)),
        limit,
        |(r, _)| (*r).to_owned(),
    );
    Page {
        items: picked.items.into_iter().map(|(_, t)| t.clone()).collect(),
        next_after: picked.next_after,
    }
}

/// Commissioners, by ref.
pub async fn list_commissioners(
    db: &DatabaseConnection,
    viewer: &Principal,
    after: Option<&str>,
    limit: usize,
) -> Result<Page<Commissioner>, QueryError> {
    permitted(viewer, Action::ReadCommissioners, "commissioner")?;
    let world = db::load_world(db).await?;
    Ok(page(
        world
            .commissioners
            .iter()
            .filter(|(r, _)| viewer.sees_commissioner(r))
            .map(|(r, c)| (r.as_str(), c)),
        after,
        limit,
    ))
}

/// One commissioner.
pub async fn find_commissioner(
    db: &DatabaseConnection,
    viewer: &Principal,
    commissioner_ref: &str,
) -> Result<Commissioner, QueryError> {
    permitted(viewer, Action::ReadCommissioners, "commissioner")?;
    if !viewer.sees_commissioner(commissioner_ref) {
        return Err(refused(
            viewer,
            Denied::Hidden,
            "commissioner",
            commissioner_ref,
        ));
    }
    let mut world = db::load_world(db).await?;
    world
        .commissioners
        .remove(commissioner_ref)
        .ok_or_else(|| QueryError::NotFound {
            what: "commissioner",
            reference: commissioner_ref.to_owned(),
        })
}

/// People, by ref.
pub async fn list_people(
    db: &DatabaseConnection,
    viewer: &Principal,
    after: Option<&str>,
    limit: usize,
) -> Result<Page<Person>, QueryError> {
    permitted(viewer, Action::ReadPeople, "person")?;
    let world = db::load_world(db).await?;
    let mut people: Vec<(&str, &Person)> = world
        .people
        .iter()
        .filter(|(r, _)| viewer.sees_person(&world, r))
        .map(|(r, p)| (r.as_str(), p))
        .collect();
    people.sort_unstable_by(|a, b| a.0.cmp(b.0));
    Ok(page(people, after, limit))
}

/// One person.
pub async fn find_person(
    db: &DatabaseConnection,
    viewer: &Principal,
    person_ref: &str,
) -> Result<Person, QueryError> {
    permitted(viewer, Action::ReadPeople, "person")?;
    let mut world = db::load_world(db).await?;
    if !viewer.sees_person(&world, person_ref) {
        return Err(refused(viewer, Denied::Hidden, "person", person_ref));
    }
    world
        .people
        .remove(person_ref)
        .ok_or_else(|| QueryError::NotFound {
            what: "person",
            reference: person_ref.to_owned(),
        })
}

/// A visit on the roster, with whether anyone has attended it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitItem {
    pub visit: Visit,
    pub attended: bool,
}

/// Which visits to list: of one agreement, dated (local date) from and to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VisitFilter {
    pub agreement_ref: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// Visits the caller may see (a care worker, their own), by ref.
pub async fn list_visits(
    db: &DatabaseConnection,
    viewer: &Principal,
    filter: &VisitFilter,
    after: Option<&str>,
    limit: usize,
) -> Result<Page<VisitItem>, QueryError> {
    permitted(viewer, Action::ReadPeople, "visit")?;
    if let (Some(from), Some(to)) = (filter.from, filter.to) {
        if to < from {
            return Err(QueryError::BackwardsPeriod { from, to });
        }
    }
    let world = db::load_world(db).await?;
    let mut visits: Vec<(&str, VisitItem)> = world
        .visits
        .iter()
        .filter(|(_, v)| {
            let date = crate::domain::calendar::local_date(v.planned_start);
            filter
                .agreement_ref
                .as_deref()
                .is_none_or(|a| v.agreement_ref == a)
                && filter.from.is_none_or(|f| date >= f)
                && filter.to.is_none_or(|t| date <= t)
        })
        .filter(|(_, v)| viewer.sees_visit(&world, v))
        .map(|(r, v)| {
            let item = VisitItem {
                visit: v.clone(),
                attended: !world.attendance_refs_of(r).is_empty(),
            };
            (r.as_str(), item)
        })
        .collect();
    visits.sort_unstable_by(|a, b| a.0.cmp(b.0));
    Ok(page(visits.iter().map(|(r, v)| (*r, v)), after, limit))
}

/// An agreement with its streams.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgreementStreams {
    pub agreement: Agreement,
    pub streams: Vec<Stream>,
}

/// Agreements, by ref, with their streams.
pub async fn list_agreements(
    db: &DatabaseConnection,
    viewer: &Principal,
    after: Option<&str>,
    limit: usize,
) -> Result<Page<AgreementStreams>, QueryError> {
    permitted(viewer, Action::ReadMoney, "agreement")?;
    let world = db::load_world(db).await?;
    let refs = page(
        world
            .agreements
            .iter()
            .filter(|(r, _)| viewer.sees_agreement(&world, r))
            .map(|(r, a)| (r.as_str(), a)),
        after,
        limit,
    );
    Ok(Page {
        items: refs
            .items
            .into_iter()
            .map(|agreement| AgreementStreams {
                streams: world
                    .streams_of(&agreement.agreement_ref)
                    .cloned()
                    .collect(),
                agreement,
            })
            .collect(),
        next_after: refs.next_after,
    })
}

/// One fund (a stream of an agreement) and its balance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FundBalance {
    pub stream: Stream,
    pub balance: Pence,
}

/// An agreement with its funds' balances at the end of `as_of`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgreementFunds {
    pub agreement: Agreement,
    pub funds: Vec<FundBalance>,
    pub as_of: NaiveDate,
}

/// One agreement with the balance of each of its funds at the end of `as_of`.
pub async fn agreement_funds(
    db: &DatabaseConnection,
    viewer: &Principal,
    agreement_ref: &str,
    as_of: NaiveDate,
) -> Result<AgreementFunds, QueryError> {
    permitted(viewer, Action::ReadMoney, "agreement")?;
    // Only this agreement and its funds' sums: a fund read must not load the whole provider.
    let not_found = || refused(viewer, Denied::Hidden, "agreement", agreement_ref);
    let Some((agreement, streams)) = db::load_agreement(db, agreement_ref).await? else {
        return Err(not_found());
    };
    if !viewer.sees_funds_of(agreement_ref, &streams) {
        return Err(not_found());
    }
    let balances = db::fund_balances(db, agreement_ref, as_of).await?;
    let funds = streams
        .into_iter()
        .map(|stream| FundBalance {
            balance: balances
                .get(&stream.stream_ref)
                .copied()
                .unwrap_or(Pence::ZERO),
            stream,
        })
        .collect();
    Ok(AgreementFunds {
        agreement,
        funds,
        as_of,
    })
}

/// A commissioner's council return for `from`–`to` (the rows of `reports::council_return`).
pub async fn commissioner_return(
    db: &DatabaseConnection,
    viewer: &Principal,
    commissioner_ref: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<ReturnRow>, QueryError> {
    permitted(viewer, Action::ReadReturns, "commissioner")?;
    if !viewer.sees_commissioner(commissioner_ref) {
        return Err(refused(
            viewer,
            Denied::Hidden,
            "commissioner",
            commissioner_ref,
        ));
    }
    let world = db::load_world(db).await?;
    let ledger = db::load_ledger_money(db).await?;
    Ok(council_return(&world, &ledger, commissioner_ref, from, to)?)
}

/// An agreement's statement for `from`–`to` with its summary and digest: the same
/// `statements::full_statement` the command line prints and verifies.
pub async fn statement(
    db: &DatabaseConnection,
    viewer: &Principal,
    agreement_ref: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<FullStatement, QueryError> {
    permitted(viewer, Action::ReadMoney, "agreement")?;
    let world = db::load_world(db).await?;
    if !world.agreements.contains_key(agreement_ref)
        || !viewer.sees_agreement(&world, agreement_ref)
    {
        return Err(QueryError::NotFound {
            what: "agreement",
            reference: agreement_ref.to_owned(),
        });
    }
    // With service lines: the summary's spend by outcome is read from them.
    let ledger = db::load_ledger(db).await?;
    Ok(full_statement(&world, &ledger, agreement_ref, from, to)?)
}

word_enum!(
    /// Where a stored exception stands: `open` until someone resolves it, `resolved` with their
    /// note, or `cleared` when a later reconciliation found it no longer applies.
    ExceptionStatus {
        Open = "open",
        Resolved = "resolved",
        Cleared = "cleared",
    }
);

/// A stored exception as the coordinator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExceptionItem {
    pub record: super::exceptions::ExceptionRecord,
    pub status: ExceptionStatus,
    /// Who resolved it and their note, once resolved.
    pub resolution: Option<(String, String)>,
}

impl ExceptionItem {
    /// A stored exception, its status parsed again.
    pub fn from_stored(e: db::StoredException) -> Result<ExceptionItem, DbError> {
        let status = ExceptionStatus::parse(&e.status).ok_or_else(|| {
            DbError::Corrupt(format!(
                "exception {} has the status {:?}",
                e.record.key, e.status
            ))
        })?;
        Ok(ExceptionItem {
            record: e.record,
            status,
            resolution: e.resolved_by.zip(e.resolved_note),
        })
    }
}

/// Which exceptions to list; every part is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExceptionFilter {
    pub kind: Option<ExceptionKind>,
    pub agreement_ref: Option<String>,
    /// The first date listed (the exception's date, inclusive).
    pub from: Option<NaiveDate>,
    /// The last date listed, inclusive.
    pub to: Option<NaiveDate>,
    pub status: Option<ExceptionStatus>,
}

/// Stored exceptions matching `filter`, by date then key (bytes), a page at a time; `after` is
/// the key of the previous page's last item.
///
/// Every part of an exception but its status is fixed once it is stored, so a cursor taken from an
/// earlier page still matches this filter's other parts even when its status has changed since;
/// the page resumes after its (date, key).
pub async fn list_exceptions(
    db: &DatabaseConnection,
    viewer: &Principal,
    filter: &ExceptionFilter,
    after: Option<&str>,
    limit: usize,
) -> Result<Page<ExceptionItem>, QueryError> {
    permitted(viewer, Action::ReadExceptions, "exception")?;
    // Provider staff see every exception; anyone else only those on agreements they see.
    let world = if viewer.is_provider_staff() {
        None
    } else {
        Some(db::load_world(db).await?)
    };
    if let (Some(from), Some(to)) = (filter.from, filter.to) {
        if to < from {
            return Err(QueryError::BackwardsPeriod { from, to });
        }
    }
    let stored = db::list_exceptions(
        db,
        filter.kind.map(ExceptionKind::word),
        filter.agreement_ref.as_deref(),
        filter.from,
        filter.to,
    )
    .await?;
    let items = stored
        .into_iter()
        .filter(|e| {
            world
                .as_ref()
                .is_none_or(|w| viewer.sees_agreement(w, &e.record.agreement_ref))
        })
        .map(ExceptionItem::from_stored)
        .collect::<Result<Vec<_>, DbError>>()?;
    let start = match after {
        None => 0,
        Some(key) => {
            let position = items.iter().position(|e| e.record.key == key);
            match position {
                Some(i) => i + 1,
                None => {
                    return Err(QueryError::UnknownCursor {
                        what: "exception",
                        after: key.to_owned(),
                    })
                }
            }
        }
    };
    Ok(take_page(
        items
            .into_iter()
            .skip(start)
            .filter(|e| filter.status.is_none_or(|s| e.status == s)),
        limit,
        |e| e.record.key.clone(),
    ))
}

/// One agreement's stored exceptions, as `list_exceptions`; an unknown agreement is not found
/// (where a filter on the list would simply match nothing).
pub async fn agreement_exceptions(
    db: &DatabaseConnection,
    viewer: &Principal,
    agreement_ref: &str,
    filter: &ExceptionFilter,
    after: Option<&str>,
    limit: usize,
) -> Result<Page<ExceptionItem>, QueryError> {
    permitted(viewer, Action::ReadExceptions, "exception")?;
    let world = db::load_world(db).await?;
    if !world.agreements.contains_key(agreement_ref)
        || !viewer.sees_agreement(&world, agreement_ref)
    {
        return Err(QueryError::NotFound {
            what: "agreement",
            reference: agreement_ref.to_owned(),
        });
    }
    let filter = ExceptionFilter {
        agreement_ref: Some(agreement_ref.to_owned()),
        ..filter.clone()
    };
    list_exceptions(db, viewer, &filter, after, limit).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_follow_the_cursor_and_say_when_more_follow() {
        let items: Vec<(String, u32)> = (0..5).map(|i| (format!("R-{i}"), i)).collect();
        let view = || items.iter().map(|(r, v)| (r.as_str(), v));
        let first = page(view(), None, 2);
        assert_eq!(first.items, vec![0, 1]);
        assert_eq!(first.next_after.as_deref(), Some("R-1"));
        let last = page(view(), Some("R-3"), 2);
        assert_eq!(last.items, vec![4]);
        assert_eq!(last.next_after, None);
        let exact = page(view(), Some("R-2"), 2);
        assert_eq!(exact.items, vec![3, 4]);
        assert_eq!(exact.next_after, None);
    }

    #[test]
    fn a_page_is_never_larger_than_the_cap_nor_empty_for_want_of_a_limit() {
        let items: Vec<(String, u32)> = (0..600).map(|i| (format!("R-{i:04}"), i)).collect();
        let view = || items.iter().map(|(r, v)| (r.as_str(), v));
        for (limit, expected) in [(0, 1), (1, 1), (500, 500), (10_000, PAGE_ITEMS_MAX)] {
            assert_eq!(
                page(view(), None, limit).items.len(),
                expected,
                "limit {limit}"
            );
        }
    }

    #[test]
    fn exception_statuses_are_the_three_words() {
        assert_eq!(ExceptionStatus::WORDS, ["open", "resolved", "cleared"]);
        for word in ExceptionStatus::WORDS {
            assert_eq!(ExceptionStatus::parse(word).map(|s| s.word()), Some(*word));
        }
        assert_eq!(ExceptionStatus::parse("Open"), None);
    }
}
