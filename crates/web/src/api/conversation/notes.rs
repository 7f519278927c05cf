//! Meeting notes sealed under the circle's conversation key.

use crate::error::{ApiResult, Problem};
use crate::extract::{Caller, Json, Path};
use crate::state::AppState;
use app::circles::meetings::{self, Meeting};
use app::conversation::notes::{self, NewSealedNote};
use app::conversation::{self as conversation};
use axum::extract::State;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(seal_note))
}

/// Seal a meeting's note under the circle's epoch key (its leaders): the plain note, if
/// any, is deleted in the same step.
#[utoipa::path(put, path = "/meetings/{id}/note/sealed", tag = "conversation", security(("bearer" = []), ("browser_session" = [])), params(("id" = Uuid, Path)), request_body = NewSealedNote,
    responses((status = 200, body = Meeting), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn seal_note(
    State(s): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<NewSealedNote>,
) -> ApiResult<axum::Json<Meeting>> {
    let circle_id = meetings::circle_of(&s.ctx, id).await?;
    let conv = conversation::converse(&s.ctx, &actor, circle_id).await?;
    Ok(axum::Json(notes::seal_note(&s.ctx, &conv, id, body).await?))
}
