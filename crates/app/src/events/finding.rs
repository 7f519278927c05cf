//! Narrowing the event list by place: a city (in the event's location or its venue's name
//! or address) and online or in person.

use crate::circles::escape_like;
use crate::{Error, Result};
use db::main_db::{events, venues};
use db::sea_orm::sea_query::{Expr, Func, LikeExpr, Query};
use db::sea_orm::{ColumnTrait, Condition};

/// The longest city a filter takes.
const MAX_CITY: usize = 100;

/// `lower(table.column) LIKE %needle%` (needle already lower-case and escaped).
fn contains<E: db::sea_orm::EntityTrait, C: db::sea_orm::sea_query::IntoIden + 'static>(
    entity: E,
    column: C,
    pattern: &str,
) -> db::sea_orm::sea_query::SimpleExpr {
    Expr::expr(Func::lower(Expr::col((entity, column))))
        .like(LikeExpr::new(pattern.to_owned()).escape('\\'))
}

/// The condition for events in `city` (blank: any), online only (`Some(true)`) or in
/// person only (`Some(false)`).
pub(crate) fn place_condition(city: Option<&str>, online: Option<bool>) -> Result<Condition> {
    let mut all = Condition::all();
    if let Some(city) = city.map(str::trim).filter(|c| !c.is_empty()) {
        if city.chars().count() > MAX_CITY || city.chars().any(char::is_control) {
            return Err(Error::invalid(
                "city",
                format!("Give a city name of at most {MAX_CITY} characters."),
            ));
        }
        let pattern = format!("%{}%", escape_like(&city.to_lowercase()));
        let at_venue = Query::select()
            .column(venues::Column::Id)
            .from(venues::Entity)
            .cond_where(
                Condition::any()
                    .add(contains(venues::Entity, venues::Column::Name, &pattern))
                    .add(contains(venues::Entity, venues::Column::Address, &pattern)),
            )
            .to_owned();
        all = all.add(
            Condition::any()
                .add(contains(events::Entity, events::Column::Location, &pattern))
                .add(events::Column::VenueId.in_subquery(at_venue)),
        );
    }
    match online {
        Some(true) => all = all.add(events::Column::OnlineUrl.is_not_null()),
        Some(false) => all = all.add(events::Column::OnlineUrl.is_null()),
        None => {}
    }
    Ok(all)
}
