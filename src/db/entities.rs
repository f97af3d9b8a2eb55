//! sea-orm entities, one module per table (the migration crate owns the schema). ORM models never
//! leave the `db` layer: repositories turn them into domain values and back.

pub mod commissioners {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "commissioners")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub commissioner_ref: String,
        pub name: String,
        pub kind: String,
        pub billing_basis: String,
        pub tolerance_minutes: i64,
        pub rounding_minutes: i64,
        pub cancellation_notice_hours: String,
        pub surplus_cap_weeks: i64,
        pub surplus_age_weeks: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod rates {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "rates")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub commissioner_ref: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub support_type: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub effective_from: Date,
        pub unit: String,
        pub weekday_pence: i64,
        pub weekend_pence: i64,
        pub bank_holiday_pence: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod people {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "people")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub person_ref: String,
        pub council_person_ref: Option<String>,
        pub given_name: String,
        pub family_name: Option<String>,
        pub date_of_birth: Option<Date>,
        pub postcode: Option<String>,
        pub communication_format: String,
        pub decision_maker: String,
        pub representative_name: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod agreements {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "agreements")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub agreement_ref: String,
        pub agreement_key: String,
        pub person_ref: String,
        pub start_date: Date,
        pub end_date: Option<Date>,
        pub contribution_mode: String,
        pub weekly_contribution_pence: Option<i64>,
        pub fee_basis: String,
        pub fee_percent: Option<String>,
        pub fee_fixed_pence: Option<i64>,
        pub flex_window_weeks: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod streams {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "streams")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub agreement_ref: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub stream_ref: String,
        pub stream_key: String,
        pub commissioner_ref: String,
        pub weekly_amount_pence: i64,
        pub is_primary: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod outcomes {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "outcomes")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub agreement_ref: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub plan_version: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub outcome_ref: String,
        pub stream_ref: String,
        pub title: String,
        pub support_type: String,
        pub weekly_hours: String,
        pub short_visits_agreed: bool,
        pub approved_by: Option<String>,
        pub approved_on: Option<Date>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod workers {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "workers")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub worker_ref: String,
        pub given_name: String,
        pub family_name: String,
        pub dbs_issued_on: Option<Date>,
        pub dbs_barred_list_checked: bool,
        pub dbs_update_service: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod relationships {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "relationships")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub worker_ref: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub person_ref: String,
        pub relationship: String,
        pub same_household: bool,
        pub commissioner_authorised: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod visits {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "visits")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub visit_ref: String,
        pub agreement_ref: String,
        pub outcome_ref: String,
        pub planned_start: DateTimeUtc,
        pub planned_end: DateTimeUtc,
        pub workers_required: i64,
        pub worker_refs: String,
        pub cancelled_at: Option<DateTimeUtc>,
        pub cancelled_by: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod attendances {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "attendances")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub attendance_ref: String,
        pub visit_ref: Option<String>,
        pub person_ref: String,
        pub worker_ref: String,
        pub check_in: DateTimeUtc,
        pub check_out: DateTimeUtc,
        pub method: String,
        pub location_verified: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod receipts {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "receipts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub receipt_ref: String,
        pub received_on: Date,
        pub payer: String,
        pub agreement_ref: String,
        pub stream_ref: String,
        pub amount_pence: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod purchases {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "purchases")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub purchase_ref: String,
        pub paid_on: Date,
        pub agreement_ref: String,
        pub outcome_ref: String,
        pub stream_ref: String,
        pub category: String,
        pub description: Option<String>,
        pub supplier: Option<String>,
        pub amount_pence: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod repayments {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "repayments")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub repayment_ref: String,
        pub paid_on: Date,
        pub agreement_ref: String,
        pub stream_ref: String,
        pub payee: String,
        pub amount_pence: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod earmarks {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "earmarks")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub earmark_ref: String,
        pub agreement_ref: String,
        pub stream_ref: String,
        pub purpose: String,
        pub amount_pence: i64,
        pub created_on: Date,
        pub expires_on: Date,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod ledger_transactions {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "ledger_transactions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i64,
        pub idempotency_key: String,
        pub kind: String,
        pub txn_date: Date,
        pub agreement_ref: String,
        pub subject: String,
        pub reverses_id: Option<i64>,
        pub description: String,
        pub recorded_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod ledger_postings {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "ledger_postings")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub transaction_id: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub posting_no: i64,
        pub account: String,
        pub agreement_ref: Option<String>,
        pub stream_ref: Option<String>,
        pub amount_pence: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod service_lines {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "service_lines")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub transaction_id: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub line_no: i64,
        pub visit_ref: String,
        pub stream_ref: String,
        pub worker_ref: Option<String>,
        pub charge: String,
        pub planned_minutes: i64,
        pub billable_minutes: i64,
        pub rate_pence: i64,
        pub amount_pence: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod idempotency_keys {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "idempotency_keys")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub idempotency_key: String,
        pub request_hash: String,
        pub response_status: i64,
        pub response_body: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod unplanned_approvals {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "unplanned_approvals")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub attendance_ref: String,
        pub outcome_ref: String,
        pub approved_by: String,
        pub approved_at: DateTimeUtc,
        pub note: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod plan_decisions {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "plan_decisions")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub agreement_ref: String,
        pub plan_version: i64,
        pub step: String,
        pub route: Option<String>,
        pub decided_by: String,
        pub role: String,
        pub decided_on: Date,
        pub decided_at: DateTimeUtc,
        pub note: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod exceptions {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "exceptions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub exception_key: String,
        pub kind: String,
        pub agreement_ref: String,
        pub stream_ref: Option<String>,
        pub subject_ref: String,
        pub exception_date: Date,
        pub detail: String,
        pub status: String,
        pub raised_at: DateTimeUtc,
        pub resolved_by: Option<String>,
        pub resolved_note: Option<String>,
        pub resolved_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod accounts {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "accounts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub username: String,
        pub display_name: String,
        pub account_role: String,
        pub password_hash: String,
        pub worker_ref: Option<String>,
        pub commissioner_ref: Option<String>,
        pub created_at: DateTimeUtc,
        pub disabled_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod account_agreements {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "account_agreements")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub username: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub agreement_ref: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod api_tokens {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "api_tokens")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub token_id: String,
        pub username: String,
        pub secret_sha256: String,
        pub label: String,
        pub created_at: DateTimeUtc,
        pub expires_at: DateTimeUtc,
        pub revoked_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod web_sessions {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "web_sessions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub session_sha256: String,
        pub username: String,
        pub csrf_token: String,
        pub created_at: DateTimeUtc,
        pub expires_at: DateTimeUtc,
        pub ended_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod audit_log {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_log")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub at: DateTimeUtc,
        pub actor: String,
        pub action: String,
        pub subject: String,
        pub detail: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod import_jobs {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "import_jobs")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub job_id: String,
        pub requested_by: String,
        pub requested_at: DateTimeUtc,
        /// The file names, comma-separated, in dependency order.
        pub files: String,
        pub bytes: i64,
        pub status: String,
        pub rows_total: Option<i64>,
        pub rows_checked: i64,
        pub new_rows: Option<i64>,
        /// JSON: `[{"file", "rows", "new_rows"}]`.
        pub summaries: String,
        /// JSON: `[{"file", "line", "column", "reason"}]`, the first `IMPORT_ERRORS_KEPT_MAX`.
        pub errors: String,
        pub errors_total: i64,
        pub message: String,
        pub finished_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
