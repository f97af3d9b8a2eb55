//! Who may see and change what: the roles of the service and the scope of each, as pure rules over
//! the provider's records. The use-case layer asks these before it answers; handlers never decide.
//!
//! Two answers to "no": `Denied::Forbidden` when the caller's role may never make this kind of
//! request (a care worker asking for a fund, a budget holder recording a receipt): saying so reveals
//! nothing about any one record. `Denied::Hidden` when the role may make the request but this record
//! is not the caller's (another person's statement, another council's return): answered exactly as
//! a record that does not exist, so nobody learns what exists outside their scope.
use super::model::{word_enum, Stream};
use super::world::World;
use std::collections::BTreeSet;

word_enum!(
    /// What an account is for. Provider staff (`provider_admin`, `coordinator`, `finance`) see all
    /// of their provider; the others see only what they are linked to.
    Role {
        ProviderAdmin = "provider_admin",
        Coordinator = "coordinator",
        Finance = "finance",
        CareWorker = "care_worker",
        BudgetHolder = "budget_holder",
        CommissionerOfficer = "commissioner_officer",
    }
);

/// Why a request is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// The role never may: answer 403.
    Forbidden,
    /// Not the caller's: answer as if it did not exist (404).
    Hidden,
}

/// The kinds of request the rules distinguish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Funds, balances, ledger, statements, receipts: money.
    ReadMoney,
    /// People and their agreements without money (a care worker's view of the people they visit).
    ReadPeople,
    ReadCommissioners,
    ReadReturns,
    ReadExceptions,
    /// Say what was done about an exception.
    ResolveExceptions,
    RecordMoney,
    /// Import CSV files of records (visits, attendances, money …).
    ImportRecords,
    ReadAudit,
    ManageAccounts,
    /// Read a person's support plan: its versions, outcomes and the steps taken on them.
    ReadPlans,
    /// Submit a draft plan version (and make a change within budget).
    SubmitPlans,
    /// Approve or return a submitted plan version: the commissioner's decision.
    DecidePlans,
}

/// The signed-in caller: an account, its role and what it is linked to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// For a care worker: the worker they are.
    pub worker_ref: Option<String>,
    /// For a commissioner officer: the commissioner they work for.
    pub commissioner_ref: Option<String>,
    /// For a budget holder: the agreements they hold or represent.
    pub agreement_refs: BTreeSet<String>,
}

impl Principal {
    pub fn is_provider_staff(&self) -> bool {
        matches!(
            self.role,
            Role::ProviderAdmin | Role::Coordinator | Role::Finance
        )
    }

    /// Whether the role may make this kind of request at all.
    pub fn may(&self, action: Action) -> Result<(), Denied> {
        use Action::*;
        use Role::*;
        let allowed = match action {
            ReadMoney => self.role != CareWorker,
            ReadPeople => true,
            ReadCommissioners | ReadReturns => {
                self.is_provider_staff() || self.role == CommissionerOfficer
            }
            ReadExceptions => self.role != CareWorker,
            ResolveExceptions => matches!(self.role, ProviderAdmin | Coordinator),
            RecordMoney => matches!(self.role, ProviderAdmin | Finance),
            ImportRecords => self.is_provider_staff(),
            ReadAudit | ManageAccounts => self.role == ProviderAdmin,
            // A care worker reads the outcomes of the people they visit: that is what the visit
            // is for. Plans carry hours, not money.
            ReadPlans => true,
            SubmitPlans => matches!(self.role, ProviderAdmin | Coordinator),
            DecidePlans => self.role == CommissionerOfficer,
        };
        if allowed {
            Ok(())
        } else {
            Err(Denied::Forbidden)
        }
    }

    /// Whether the caller may see this agreement (and its funds, statements and exceptions, when
    /// `may(ReadMoney)` also holds).
    pub fn sees_agreement(&self, world: &World, agreement_ref: &str) -> bool {
        match self.role {
            Role::ProviderAdmin | Role::Coordinator | Role::Finance => true,
            Role::BudgetHolder => self.agreement_refs.contains(agreement_ref),
            Role::CommissionerOfficer => self.commissioner_ref.as_deref().is_some_and(|c| {
                world
                    .streams_of(agreement_ref)
                    .any(|s| s.commissioner_ref == c)
            }),
            Role::CareWorker => self.worker_ref.as_deref().is_some_and(|w| {
                world
                    .visit_refs_of(agreement_ref)
                    .iter()
                    .filter_map(|v| world.visits.get(v))
                    .any(|v| v.worker_refs.iter().any(|r| r == w))
            }),
        }
    }

    /// Whether the caller may see this visit (it carries no money): a care worker sees the visits
    /// they are on; everyone else the visits of the agreements they see.
    pub fn sees_visit(&self, world: &World, visit: &crate::domain::model::Visit) -> bool {
        match self.role {
            Role::CareWorker => self
                .worker_ref
                .as_deref()
                .is_some_and(|w| visit.worker_refs.iter().any(|r| r == w)),
            _ => self.sees_agreement(world, &visit.agreement_ref),
        }
    }

    /// `sees_agreement` for a money read that holds only the agreement's streams: the same answer
    /// for every role that may read money (a care worker may not, so visits are never needed).
    pub fn sees_funds_of(&self, agreement_ref: &str, streams: &[Stream]) -> bool {
        match self.role {
            Role::ProviderAdmin | Role::Coordinator | Role::Finance => true,
            Role::BudgetHolder => self.agreement_refs.contains(agreement_ref),
            Role::CommissionerOfficer => self
                .commissioner_ref
                .as_deref()
                .is_some_and(|c| streams.iter().any(|s| s.commissioner_ref == c)),
            Role::CareWorker => false,
        }
    }

    /// Whether the caller may see this person: someone with an agreement the caller sees.
    pub fn sees_person(&self, world: &World, person_ref: &str) -> bool {
        if self.is_provider_staff() {
            return world.people.contains_key(person_ref);
        }
        world
            .agreements_by_person
            .get(person_ref)
            .is_some_and(|agreements| agreements.iter().any(|a| self.sees_agreement(world, a)))
    }

    /// Whether the caller may see this commissioner and its returns.
    pub fn sees_commissioner(&self, commissioner_ref: &str) -> bool {
        self.is_provider_staff() || self.commissioner_ref.as_deref() == Some(commissioner_ref)
    }

    /// Checks both: the kind of request, then the agreement.
    pub fn check_agreement(
        &self,
        action: Action,
        world: &World,
        agreement_ref: &str,
    ) -> Result<(), Denied> {
        self.may(action)?;
        if self.sees_agreement(world, agreement_ref) {
            Ok(())
        } else {
            Err(Denied::Hidden)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::model::*;
    use crate::domain::money::Pence;
    use chrono::{NaiveDate, TimeZone, Utc};

    fn principal(role: Role) -> Principal {
        Principal {
            username: "someone".to_owned(),
            display_name: "Someone".to_owned(),
            role,
            worker_ref: None,
            commissioner_ref: None,
            agreement_refs: BTreeSet::new(),
        }
    }

    /// Two agreements: AG-A funded by NCC (visited by W-1), AG-B funded by ICB.
    fn world() -> World {
        let mut world = World::default();
        for (agreement, person, commissioner) in [("AG-A", "P-A", "NCC"), ("AG-B", "P-B", "ICB")] {
            world.people.insert(
                person.to_owned(),
                Person {
                    person_ref: person.to_owned(),
                    council_person_ref: None,
                    given_name: "Given".to_owned(),
                    family_name: None,
                    date_of_birth: None,
                    postcode: None,
                    communication_format: CommunicationFormat::Standard,
                    decision_maker: DecisionMaker::SelfDecides,
                    representative_name: None,
                },
            );
            world.add_agreement(Agreement {
                agreement_ref: agreement.to_owned(),
                person_ref: person.to_owned(),
                start_date: NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(),
                end_date: None,
                contribution_mode: ContributionMode::Gross,
                weekly_contribution: Pence::ZERO,
                fee: Fee::Fixed(Pence::ZERO),
                flex_window_weeks: 4,
            });
            world.streams.insert(
                (agreement.to_owned(), "S".to_owned()),
                Stream {
                    agreement_ref: agreement.to_owned(),
                    stream_ref: "S".to_owned(),
                    commissioner_ref: commissioner.to_owned(),
                    weekly_amount: Pence::new(10_000),
                    primary: true,
                },
            );
        }
        let start = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        world.visits.insert(
            "V-1".to_owned(),
            Visit {
                visit_ref: "V-1".to_owned(),
                agreement_ref: "AG-A".to_owned(),
                outcome_ref: "O".to_owned(),
                planned_start: start,
                planned_end: start + chrono::Duration::hours(1),
                workers_required: 1,
                worker_refs: vec!["W-1".to_owned()],
                cancellation: None,
            },
        );
        world
    }

    #[test]
    fn provider_staff_see_every_agreement_and_person() {
        let world = world();
        for role in [Role::ProviderAdmin, Role::Coordinator, Role::Finance] {
            let p = principal(role);
            assert!(p.sees_agreement(&world, "AG-A") && p.sees_agreement(&world, "AG-B"));
            assert!(p.sees_person(&world, "P-B"));
            assert!(p.sees_commissioner("ICB"));
        }
    }

    #[test]
    fn a_budget_holder_sees_only_their_own_agreements_and_never_another_persons() {
        let world = world();
        let mut p = principal(Role::BudgetHolder);
        p.agreement_refs.insert("AG-A".to_owned());
        assert_eq!(p.check_agreement(Action::ReadMoney, &world, "AG-A"), Ok(()));
        assert_eq!(
            p.check_agreement(Action::ReadMoney, &world, "AG-B"),
            Err(Denied::Hidden)
        );
        assert!(p.sees_person(&world, "P-A") && !p.sees_person(&world, "P-B"));
        assert_eq!(p.may(Action::ReadReturns), Err(Denied::Forbidden));
        assert_eq!(p.may(Action::RecordMoney), Err(Denied::Forbidden));
    }

    #[test]
    fn a_commissioner_officer_sees_only_what_their_commissioner_funds() {
        let world = world();
        let mut p = principal(Role::CommissionerOfficer);
        p.commissioner_ref = Some("NCC".to_owned());
        assert!(p.sees_agreement(&world, "AG-A") && !p.sees_agreement(&world, "AG-B"));
        assert!(p.sees_commissioner("NCC") && !p.sees_commissioner("ICB"));
        assert_eq!(p.may(Action::ReadReturns), Ok(()));
        assert_eq!(p.may(Action::RecordMoney), Err(Denied::Forbidden));
    }

    #[test]
    fn the_funds_only_answer_is_the_whole_worlds_answer_for_money_readers() {
        let world = world();
        let mut holder = principal(Role::BudgetHolder);
        holder.agreement_refs.insert("AG-A".to_owned());
        let mut officer = principal(Role::CommissionerOfficer);
        officer.commissioner_ref = Some("ICB".to_owned());
        for p in [principal(Role::Finance), holder, officer] {
            for a in ["AG-A", "AG-B"] {
                let streams: Vec<Stream> = world.streams_of(a).cloned().collect();
                assert_eq!(
                    p.sees_funds_of(a, &streams),
                    p.sees_agreement(&world, a),
                    "{} {a}",
                    p.role
                );
            }
        }
    }

    #[test]
    fn a_care_worker_sees_the_people_they_visit_but_never_money() {
        let world = world();
        let mut p = principal(Role::CareWorker);
        p.worker_ref = Some("W-1".to_owned());
        assert!(p.sees_person(&world, "P-A") && !p.sees_person(&world, "P-B"));
        assert_eq!(
            p.check_agreement(Action::ReadMoney, &world, "AG-A"),
            Err(Denied::Forbidden)
        );
        assert_eq!(p.may(Action::ReadExceptions), Err(Denied::Forbidden));
    }

    #[test]
    fn only_a_provider_admin_reads_the_audit_log_or_manages_accounts() {
        for role in Role::WORDS.iter().filter_map(|w| Role::parse(w)) {
            let allowed = role == Role::ProviderAdmin;
            assert_eq!(
                principal(role).may(Action::ReadAudit).is_ok(),
                allowed,
                "{role}"
            );
            assert_eq!(
                principal(role).may(Action::ManageAccounts).is_ok(),
                allowed,
                "{role}"
            );
        }
    }

    #[test]
    fn only_coordinators_and_the_admin_resolve_exceptions() {
        for role in Role::WORDS.iter().filter_map(|w| Role::parse(w)) {
            let allowed = matches!(role, Role::ProviderAdmin | Role::Coordinator);
            assert_eq!(
                principal(role).may(Action::ResolveExceptions).is_ok(),
                allowed,
                "{role}"
            );
        }
    }

    #[test]
    fn only_finance_and_the_admin_record_money() {
        for role in Role::WORDS.iter().filter_map(|w| Role::parse(w)) {
            let allowed = matches!(role, Role::ProviderAdmin | Role::Finance);
            assert_eq!(
                principal(role).may(Action::RecordMoney).is_ok(),
                allowed,
                "{role}"
            );
        }
    }
}
