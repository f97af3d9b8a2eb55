//! The command line, as a provider's finance officer or a script drives it.
use crate::helpers::*;

#[test]
fn the_acceptance_scenario_imports_and_reconciles() {
    let db = TestDb::new();
    let input = shared_dir().join("acceptance/basic/input");
    db.isf_ok(&["import", input.to_str().unwrap()]);
    db.isf_ok(&["reconcile", "--through", "2026-04-30"]);
    let out = db.isf_ok(&[
        "return",
        "--commissioner",
        "NCC",
        "--from",
        "2026-03-01",
        "--to",
        "2026-03-31",
    ]);
    assert!(out.contains("NCC,MOS-104233,P-ANN,AG-ANN,ASC,2026-03-01,2026-03-31,420.00,25.57,14.12,0.00,3080.00,140.00,314.02"), "{out}");
}

#[test]
fn the_database_refuses_to_update_or_delete_a_posting() {
    let db = TestDb::new();
    let input = shared_dir().join("acceptance/basic/input");
    db.isf_ok(&["import", input.to_str().unwrap()]);
    for statement in [
        "UPDATE ledger_postings SET amount_pence = amount_pence + 1",
        "DELETE FROM ledger_postings",
        "UPDATE ledger_transactions SET description = 'edited'",
        "DELETE FROM ledger_transactions",
    ] {
        let result = db.sql(statement);
        assert!(result.is_err(), "{statement} was allowed: {result:?}");
        assert!(result.unwrap_err().contains("append-only"), "{statement}");
    }
}
