//! The pure domain core: money, time, refs, the ledger and the rules of DOMAIN.md.
//!
//! No I/O, no clock, no randomness, no axum, sea-orm, csv or serde: callers pass `now` and data in.
pub mod access;
pub mod agreement_money;
pub mod billing;
pub mod calendar;
pub mod hours;
pub mod ledger;
pub mod model;
pub mod money;
pub mod plan;
pub mod plan_workflow;
pub mod refs;
pub mod roster;
pub mod world;
