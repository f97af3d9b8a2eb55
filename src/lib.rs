//! ISF Ledger: Individual Service Funds held by home-care providers for the people they support.
pub mod app;
pub mod cli;
pub mod csv_io;
pub mod db;
pub mod domain;
pub mod startup;
pub mod web;
pub mod demo_data;
