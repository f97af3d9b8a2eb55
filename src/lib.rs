//! ISF Ledger: Individual Service Funds held by home-care providers for the people they support.
pub mod app;
pub mod cli;
pub mod csv_io;
pub mod db;
pub mod demo_data;
pub mod domain;
pub mod http;
pub mod startup;
pub mod telemetry;
pub mod web;
