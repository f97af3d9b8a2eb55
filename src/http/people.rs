//! `/api/people`: budget holders.
use super::auth::Viewer;
use super::{examples, path_ref, ApiError, AppState, ListParams, Problem};
use crate::app::queries;
use crate::domain::model::Person;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

/// A person who holds an Individual Service Fund.
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonBody {
    #[schema(example = "P-ANN")]
    pub person_ref: String,
    /// The commissioner's own ref for the person (e.g. a Mosaic ID).
    #[schema(example = "MOS-104233")]
    pub council_person_ref: Option<String>,
    #[schema(example = "Ann")]
    pub given_name: String,
    #[schema(example = "Hughes")]
    pub family_name: Option<String>,
    #[schema(example = "1941-07-19", format = Date)]
    pub date_of_birth: Option<String>,
    #[schema(example = "NE23 6QW")]
    pub postcode: Option<String>,
    /// `standard`, `large_print` or `easy_read`.
    #[schema(example = "standard")]
    pub communication_format: String,
    /// `self`, `lpa`, `deputy` or `best_interests`.
    #[schema(example = "self")]
    pub decision_maker: String,
    /// The representative's name where the decision maker is not `self`.
    #[schema(example = json!(null))]
    pub representative_name: Option<String>,
}

impl From<Person> for PersonBody {
    fn from(p: Person) -> PersonBody {
        PersonBody {
            person_ref: p.person_ref,
            council_person_ref: p.council_person_ref,
            given_name: p.given_name,
            family_name: p.family_name,
            date_of_birth: p.date_of_birth.map(|d| d.to_string()),
            postcode: p.postcode,
            communication_format: p.communication_format.word().to_owned(),
            decision_maker: p.decision_maker.word().to_owned(),
            representative_name: p.representative_name,
        }
    }
}

/// A page of people.
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonPage {
    pub items: Vec<PersonBody>,
    /// Pass as `after` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "P-BOB")]
    pub next_after: Option<String>,
}

/// List people
///
/// People in ref order (compared as bytes), a page at a time.
#[utoipa::path(
    get,
    path = "/api/people",
    operation_id = "list_people",
    tag = "people",
    params(ListParams),
    responses(
        (status = 200, description = "A page of people", body = PersonPage),
        (status = 400, description = "An unknown query parameter", body = Problem,
            content_type = "application/problem+json"),
        (status = 422, description = "A bad `limit` or `after`", body = Problem,
            content_type = "application/problem+json", example = json!(examples::problem_query())),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<PersonPage>, ApiError> {
    let Query(params) = params?;
    let (after, limit) = params.parse()?;
    let page = queries::list_people(&state.db, &viewer.principal, after.as_deref(), limit).await?;
    Ok(Json(PersonPage {
        items: page.items.into_iter().map(Into::into).collect(),
        next_after: page.next_after,
    }))
}

/// Read a person
#[utoipa::path(
    get,
    path = "/api/people/{ref}",
    operation_id = "read_person",
    tag = "people",
    params(("ref" = String, Path, description = "The person's ref", example = "P-ANN")),
    responses(
        (status = 200, description = "The person", body = PersonBody),
        (status = 404, description = "No such person", body = Problem,
            content_type = "application/problem+json",
            example = json!(examples::problem_not_found("person"))),
    )
)]
pub async fn read(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(reference): Path<String>,
) -> Result<Json<PersonBody>, ApiError> {
    let reference = path_ref("person", &reference)?;
    let p = queries::find_person(&state.db, &viewer.principal, &reference).await?;
    Ok(Json(p.into()))
}
