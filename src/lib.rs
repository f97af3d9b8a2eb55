//! ISF Ledger: Individual Service Funds held by home-care providers for the people they support.
pub mod domain;
