//! `POST /api/{people,workers,agreements,streams,outcomes,relationships,visits,attendances,
//! purchases,repayments,earmarks}`: one record at a time, under the rules of its CSV file.
//!
//! The body is a JSON object whose fields are the file's columns (FORMATS.md), each a string (or
//! null, or left out, for an empty cell). One handler and one documented operation per kind are
//! made from the column lists, so the API cannot drift from the import.
use super::auth::Viewer;
use super::idempotent::{idempotency_key, reply_response};
use super::Problem;
use super::{ApiError, AppState, FieldError};
use crate::app::import::FileKind;
use crate::app::listing::{list_records, LISTED_KINDS};
use crate::app::receipts::Reply;
use crate::app::records::{
    change_visit, changes_costs, record_row, RecordInput, RecordedRow, VisitChange,
};
use axum::extract::rejection::JsonRejection;
use axum::extract::Path;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{post, MethodRouter};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// The path of a kind's collection: `/api/visits`.
pub fn path_of(kind: FileKind) -> String {
    format!("/api/{}", kind.file_name().trim_end_matches(".csv"))
}

/// The `POST` route that adds a record of `kind`.
pub fn route(kind: FileKind) -> MethodRouter<AppState> {
    post(
        move |State(state): State<AppState>,
              viewer: Viewer,
              headers: HeaderMap,
              body: Result<Json<Value>, JsonRejection>| async move {
            add(kind, state, viewer, headers, body).await
        },
    )
}

async fn add(
    kind: FileKind,
    state: AppState,
    viewer: Viewer,
    headers: HeaderMap,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let Json(body) = body?;
    let input = record_input(kind, body)?;
    let (now, _) = super::now_and_today();
    let (reply, replayed) = record_row(&state.db, &viewer.principal, &key, &input, now, render)
        .await?
        .into_parts();
    if !replayed && reply.status == StatusCode::CREATED.as_u16() && changes_costs(kind) {
        state.reconcile_soon();
    }
    reply_response(reply, replayed)
}

/// Reads the body's fields as text; an unknown field or a non-string value is an error.
fn record_input(kind: FileKind, body: Value) -> Result<RecordInput, ApiError> {
    let Value::Object(fields) = body else {
        return Err(ApiError::field("body", "must be a JSON object"));
    };
    let columns = kind.columns();
    let mut errors = Vec::new();
    let mut given = Vec::new();
    for (name, value) in fields {
        if !columns.contains(&name.as_str()) {
            errors.push(FieldError {
                reason: format!("unknown field: the fields are {}", columns.join(", ")),
                field: name,
            });
            continue;
        }
        match value {
            Value::Null => {}
            Value::String(text) => given.push((name, text)),
            other => errors.push(FieldError {
                reason: if other.is_number() {
                    "must be a string: money, hours and counts are sent as decimal strings such as \"35.00\"".to_owned()
                } else {
                    "must be a string".to_owned()
                },
                field: name,
            }),
        }
    }
    if errors.is_empty() {
        Ok(RecordInput {
            kind,
            fields: given,
        })
    } else {
        Err(ApiError::Validation {
            detail: format!("the {} has {} problem(s)", kind.record_name(), errors.len()),
            errors,
        })
    }
}

fn render(row: &RecordedRow) -> Reply {
    let input = &row.input;
    let record: Map<String, Value> = input
        .kind
        .columns()
        .iter()
        .map(|c| {
            let value = input.value(c);
            let value = if value.is_empty() {
                Value::Null
            } else {
                Value::String(value.to_owned())
            };
            ((*c).to_owned(), value)
        })
        .collect();
    let body = serde_json::json!({
        "kind": input.kind.record_name(),
        "subject": input.subject(),
        "created": row.created,
        "record": record,
    });
    Reply {
        status: if row.created {
            StatusCode::CREATED.as_u16()
        } else {
            StatusCode::OK.as_u16()
        },
        body: body.to_string(),
    }
}

/// A visit's cancellation: when and by whom (`visits.csv`'s `cancelled_at` and `cancelled_by`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"cancelled_at": "2026-03-24T16:30", "cancelled_by": "person"}))]
pub struct CancellationRequest {
    /// When the cancellation was made: a UTC instant, or a Europe/London local time.
    #[schema(example = "2026-03-24T16:30", max_length = 64)]
    cancelled_at: String,
    /// Who cancelled: `person` or `provider`. A person's cancellation at short notice is charged.
    #[schema(example = "person", max_length = 64)]
    cancelled_by: String,
}

/// The workers assigned to a visit.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"worker_refs": "W-DAN;W-EVE"}))]
pub struct AssignmentRequest {
    /// Worker refs separated by `;` (empty for none yet), at most `workers_required` of them.
    #[schema(example = "W-DAN;W-EVE", max_length = 2000)]
    worker_refs: String,
}

/// A visit as it stands after the change.
#[derive(Debug, Serialize, ToSchema)]
pub struct VisitChangedBody {
    #[schema(example = "visit")]
    kind: String,
    #[schema(example = "visit:V-A07")]
    subject: String,
    /// Whether this request changed the visit (false: it already stood so).
    created: bool,
    /// The visit's columns as in `visits.csv`; empty ones are null.
    #[schema(value_type = Object)]
    record: Value,
}

async fn change(
    state: AppState,
    viewer: Viewer,
    headers: HeaderMap,
    visit_ref: String,
    change: VisitChange,
) -> Result<Response, ApiError> {
    let key = idempotency_key(&headers)?;
    let visit_ref = super::path_ref("visit", &visit_ref)?;
    let (now, _) = super::now_and_today();
    let answer = change_visit(
        &state.db,
        &viewer.principal,
        &key,
        &visit_ref,
        &change,
        now,
        |row| {
            let mut reply = render(row);
            reply.status = StatusCode::OK.as_u16();
            reply
        },
    )
    .await?;
    let (reply, replayed) = answer.into_parts();
    if !replayed {
        state.reconcile_soon();
    }
    reply_response(reply, replayed)
}

/// Cancel a visit
///
/// Records who cancelled a visit and when; the audit log records who entered it. Checked by the
/// rules of `visits.csv`; a visit with an attendance was delivered and is not cancelled (422), a
/// visit already cancelled keeps its cancellation (409). Reconciliation then reverses any cost
/// posted for the visit and, for a person's cancellation at short notice, charges it.
#[utoipa::path(
    post,
    path = "/api/visits/{ref}/cancellation",
    operation_id = "cancel_visit",
    tag = "visits",
    params(
        ("ref" = String, Path, description = "The visit's ref", example = "V-A07"),
        ("Idempotency-Key" = String, Header, pattern = r"^[!-~]{1,200}$",
            description = "Chosen by the client, 1–200 visible ASCII characters"),
    ),
    request_body(content = CancellationRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The visit as it now stands", body = VisitChangedBody),
        (status = 400, description = "No usable Idempotency-Key, or a body that is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such visit", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already cancelled, or the key was used for another body", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than 1 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not sent as application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field breaks a rule; `errors` names each", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn cancel(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(visit_ref): Path<String>,
    body: Result<Json<CancellationRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body?;
    let asked = VisitChange::Cancel {
        cancelled_at: body.cancelled_at,
        cancelled_by: body.cancelled_by,
    };
    change(state, viewer, headers, visit_ref, asked).await
}

/// Assign a visit's workers
///
/// Replaces the workers assigned to a visit, checked by the rules of `visits.csv`: each worker
/// exists, is cleared by DBS on the visit's date, is not a restricted close relative of the person,
/// and is on no other visit at an overlapping time; no more than `workers_required` of them.
#[utoipa::path(
    post,
    path = "/api/visits/{ref}/assignment",
    operation_id = "assign_visit",
    tag = "visits",
    params(
        ("ref" = String, Path, description = "The visit's ref", example = "V-A07"),
        ("Idempotency-Key" = String, Header, pattern = r"^[!-~]{1,200}$",
            description = "Chosen by the client, 1–200 visible ASCII characters"),
    ),
    request_body(content = AssignmentRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The visit as it now stands", body = VisitChangedBody),
        (status = 400, description = "No usable Idempotency-Key, or a body that is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such visit", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The key was used for another body", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than 1 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not sent as application/json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A worker cannot be assigned; `errors` says why", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn assign(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(visit_ref): Path<String>,
    body: Result<Json<AssignmentRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body?;
    let asked = VisitChange::Assign {
        worker_refs: body.worker_refs,
    };
    change(state, viewer, headers, visit_ref, asked).await
}

/// The documented operations, one per kind (added to the OpenAPI document by `ApiDoc`).
pub struct Operations;

impl utoipa::Modify for Operations {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::{
            HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem,
        };
        use utoipa::openapi::request_body::RequestBodyBuilder;
        use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
        use utoipa::openapi::{
            ContentBuilder, Ref, RefOr, Required, ResponseBuilder, ResponsesBuilder,
        };
        let problem = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    super::error::PROBLEM_JSON,
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("Problem")))
                        .build(),
                )
                .build()
        };
        for kind in crate::app::records::API_KINDS {
            let name = kind.record_name();
            let columns = kind.columns();
            let text = || {
                ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
                        Type::String,
                        Type::Null,
                    ]))
                    .max_length(Some(2000))
            };
            let mut request = ObjectBuilder::new()
                .description(Some(format!(
                    "A row of `{}` (FORMATS.md): each field a string, null or left out for an empty cell.",
                    kind.file_name()
                )))
                .additional_properties(Some(
                    utoipa::openapi::schema::AdditionalProperties::FreeForm(false),
                ));
            for c in columns {
                request = request.property(*c, text());
            }
            let mut record = ObjectBuilder::new();
            for c in columns {
                record = record.property(*c, text()).required(*c);
            }
            let answer = ObjectBuilder::new()
                .property("kind", ObjectBuilder::new().schema_type(Type::String))
                .required("kind")
                .property("subject", ObjectBuilder::new().schema_type(Type::String))
                .required("subject")
                .property("created", ObjectBuilder::new().schema_type(Type::Boolean))
                .required("created")
                .property("record", record)
                .required("record");
            let answer = RefOr::T(Schema::Object(answer.build()));
            let json = |schema: RefOr<Schema>| ContentBuilder::new().schema(Some(schema)).build();
            let operation = OperationBuilder::new()
                .operation_id(Some(format!("add_{name}")))
                .tag(kind.file_name().trim_end_matches(".csv"))
                .summary(Some(format!("Add a {name}")))
                .description(Some(format!(
                    "Adds one {name} under exactly the rules of `{}`, checked against everything \
                     held. 201 with the record; 200 when the same record is already held, which \
                     changes nothing. A retry with the same `Idempotency-Key` and body gets the \
                     original answer with `Idempotent-Replayed: true`; the same key with another \
                     body is 409.",
                    kind.file_name()
                )))
                .parameter(
                    ParameterBuilder::new()
                        .name("Idempotency-Key")
                        .parameter_in(ParameterIn::Header)
                        .required(Required::True)
                        .description(Some("Chosen by the client, 1–200 visible ASCII characters"))
                        .schema(Some(
                            ObjectBuilder::new()
                                .schema_type(Type::String)
                                .pattern(Some(r"^[!-~]{1,200}$")),
                        )),
                )
                .request_body(Some(
                    RequestBodyBuilder::new()
                        .content(
                            "application/json",
                            json(RefOr::T(Schema::Object(request.build()))),
                        )
                        .required(Some(Required::True))
                        .build(),
                ))
                .responses(
                    ResponsesBuilder::new()
                        .response(
                            "201",
                            ResponseBuilder::new()
                                .description("Added")
                                .content("application/json", json(answer.clone()))
                                .build(),
                        )
                        .response(
                            "200",
                            ResponseBuilder::new()
                                .description("The same record was already held; nothing changed")
                                .content("application/json", json(answer))
                                .build(),
                        )
                        .response(
                            "400",
                            problem("No usable Idempotency-Key, or a body that is not JSON"),
                        )
                        .response("409", problem("The key was used for another body"))
                        .response("413", problem("The body is larger than 1 MiB"))
                        .response("415", problem("The body is not sent as application/json"))
                        .response(
                            "422",
                            problem("A field breaks a rule of the file; `errors` names each"),
                        )
                        .build(),
                )
                .build();
            add_operation(openapi, kind, PathItem::new(HttpMethod::Post, operation));
        }
        for kind in LISTED_KINDS {
            let text = || {
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .max_length(Some(2000))
            };
            let mut record = ObjectBuilder::new().description(Some(format!(
                "A held {}, as a row of `{}`: each column a string, an empty cell \"\".",
                kind.record_name(),
                kind.file_name()
            )));
            for c in kind.columns() {
                record = record.property(*c, text()).required(*c);
            }
            let page = ObjectBuilder::new()
                .property(
                    "items",
                    utoipa::openapi::schema::ArrayBuilder::new().items(record),
                )
                .required("items")
                .property(
                    "next_after",
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .description(Some(
                            "Pass as `after` for the next page; absent on the last page",
                        )),
                );
            let collection = kind.file_name().trim_end_matches(".csv");
            let operation = OperationBuilder::new()
                .operation_id(Some(format!("list_{collection}")))
                .tag(collection)
                .summary(Some(format!("List {collection}")))
                .description(Some(format!(
                    "Held {collection} in ref order, a page at a time, each as a row of `{}`, as \
                     far as the caller may see: {}. `agreement` keeps one agreement's; `from` and \
                     `to` keep those dated in the period{}.",
                    kind.file_name(),
                    match kind {
                        FileKind::Workers => "provider staff every worker, a care worker themselves",
                        FileKind::Attendances => "provider staff every attendance, a care worker their own, a budget holder or officer those of the agreements they see",
                        _ => "provider staff every one, a budget holder or officer those of the agreements they see; a care worker never",
                    },
                    match kind {
                        FileKind::Workers => " (a worker is kept when they are on a visit the filter keeps)",
                        FileKind::Attendances => " (by the local date of check-in)",
                        FileKind::Earmarks => " (an earmark in force on any day of it)",
                        _ => "",
                    }
                )))
                .parameters(Some(
                    <super::visits::VisitParams as utoipa::IntoParams>::into_params(|| {
                        Some(ParameterIn::Query)
                    }),
                ))
                .responses(
                    ResponsesBuilder::new()
                        .response(
                            "200",
                            ResponseBuilder::new()
                                .description("A page")
                                .content(
                                    "application/json",
                                    ContentBuilder::new()
                                        .schema(Some(RefOr::T(Schema::Object(page.build()))))
                                        .build(),
                                )
                                .build(),
                        )
                        .response("400", problem("An unknown query parameter"))
                        .response("403", problem("Your role may not list these"))
                        .response(
                            "422",
                            problem("A bad filter, `limit` or `after`, or `to` before `from`"),
                        )
                        .build(),
                )
                .build();
            add_operation(openapi, kind, PathItem::new(HttpMethod::Get, operation));
        }
    }
}

/// Adds `item`'s operation to the path of `kind`'s collection.
fn add_operation(
    openapi: &mut utoipa::openapi::OpenApi,
    kind: FileKind,
    item: utoipa::openapi::path::PathItem,
) {
    let path = path_of(kind);
    match openapi.paths.paths.get_mut(&path) {
        Some(existing) => existing.merge_operations(item),
        None => {
            openapi.paths.paths.insert(path, item);
        }
    }
}

/// The `GET` route that lists held records of `kind` (`app::listing`).
pub fn list_route(kind: FileKind) -> MethodRouter<AppState> {
    axum::routing::get(
        move |State(state): State<AppState>,
              viewer: Viewer,
              params: Result<
            axum::extract::Query<super::visits::VisitParams>,
            axum::extract::rejection::QueryRejection,
        >| async move {
            let axum::extract::Query(params) = params?;
            let (filter, after, limit) = params.parse()?;
            let page = list_records(
                &state.db,
                &viewer.principal,
                kind,
                &filter,
                after.as_deref(),
                limit,
            )
            .await?;
            let items: Vec<Value> = page
                .items
                .into_iter()
                .map(|r| {
                    Value::Object(
                        r.fields
                            .into_iter()
                            .map(|(c, v)| (c.to_owned(), Value::String(v)))
                            .collect(),
                    )
                })
                .collect();
            let mut body = Map::new();
            body.insert("items".to_owned(), Value::Array(items));
            if let Some(next) = page.next_after {
                body.insert("next_after".to_owned(), Value::String(next));
            }
            Ok::<_, ApiError>(Json(Value::Object(body)))
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_body_is_read_column_by_column() {
        let ok = record_input(
            FileKind::Attendances,
            json!({"attendance_ref": "AT-1", "visit_ref": null, "method": "ecm"}),
        )
        .unwrap();
        assert_eq!(ok.value("attendance_ref"), "AT-1");
        assert_eq!(ok.value("visit_ref"), "");
        for (body, field) in [
            (json!({"workers_required": 2}), "workers_required"),
            (json!({"visit_reff": "V-1"}), "visit_reff"),
            (json!({"worker_refs": ["W-1"]}), "worker_refs"),
            (json!("V-1"), "body"),
        ] {
            let Err(ApiError::Validation { errors, .. }) =
                record_input(FileKind::Visits, body.clone())
            else {
                panic!("case {body} should be refused");
            };
            assert_eq!(errors[0].field, field, "case {body}");
        }
    }

    #[test]
    fn every_kind_has_its_collection_path() {
        assert_eq!(path_of(FileKind::People), "/api/people");
        assert_eq!(path_of(FileKind::Attendances), "/api/attendances");
    }
}
