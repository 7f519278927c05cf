//! OpenAPI schemas of the domain's types.
//!
//! `domain` knows nothing of OpenAPI, so the API edge declares them: each type here stands
//! for the domain type of the same name in `#[schema(value_type = …)]` and
//! `#[param(value_type = …)]`. An enum's schema lists the values its own serde form
//! produces, so the document cannot drift from what the API sends and accepts. They live in
//! `app` rather than `web` because the API's answer types (`EventView`, `Membership`, …)
//! are declared in `app`, and `web` builds on `app`.

use serde::Serialize;
use std::borrow::Cow;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{RefOr, Schema};

/// The schema of a string enum: the JSON forms of `values`, in order.
fn string_enum<T: Serialize>(values: &[T], description: Option<&str>) -> RefOr<Schema> {
    let names = values.iter().filter_map(|v| serde_json::to_value(v).ok());
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(names))
        .description(description)
        .into()
}

/// Declares `$name`, the schema of the domain enum `$domain` (which has `ALL`).
macro_rules! enum_schema {
    ($name:ident = $domain:ty, $description:expr) => {
        #[doc = concat!("The OpenAPI schema of `", stringify!($domain), "`.")]
        pub struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                string_enum(&<$domain>::ALL, $description)
            }
        }

        impl utoipa::ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }
        }
    };
}

enum_schema!(
    Role = domain::Role,
    Some(
        "A global role. A user may hold several; every user is at least a [`Role::Member`].\n\
         Standing inside one circle (facilitator of circle X) is a relationship, not a role."
    )
);
enum_schema!(Permission = domain::Permission, None);
enum_schema!(
    Classification = domain::audit::Classification,
    Some("Who may read an entry, and how much of it.")
);
enum_schema!(
    CircleStatus = domain::circle::CircleStatus,
    Some("Where a circle is in its life.")
);
enum_schema!(
    Visibility = domain::circle::Visibility,
    Some("Who may ask to join.")
);
enum_schema!(
    CircleRole = domain::circle::CircleRole,
    Some("A person's standing in one circle (a relationship, not a global role).")
);
enum_schema!(
    MembershipStatus = domain::circle::MembershipStatus,
    Some("Where a membership stands.")
);
enum_schema!(
    EventKind = domain::event::EventKind,
    Some("What sort of gathering an event is; it decides how long the event may run.")
);
enum_schema!(
    EventStatus = domain::event::EventStatus,
    Some("Where an event is in its life.")
);

/// The OpenAPI schema of `domain::Currency`: its three-letter code.
pub struct Currency;

impl utoipa::PartialSchema for Currency {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(
                "An ISO 4217 currency code: three letters, sent in upper case.",
            ))
            .examples(["EUR"])
            .into()
    }
}

impl utoipa::ToSchema for Currency {}

/// The OpenAPI schema of `domain::Money`: whole minor units and a currency.
pub struct Money;

impl utoipa::PartialSchema for Money {
    fn schema() -> RefOr<Schema> {
        let amount = ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Int64,
            )))
            .minimum(Some(0))
            .maximum(Some(domain::Money::MAX_MINOR))
            .description(Some("Minor units: cents for EUR, yen for JPY."));
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some(
                "An amount of money: whole minor units and a currency, never floating point.",
            ))
            .property("amount_minor", amount)
            .required("amount_minor")
            .property("currency", <Currency as utoipa::PartialSchema>::schema())
            .required("currency")
            .into()
    }
}

impl utoipa::ToSchema for Money {}

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::{PartialSchema, ToSchema};

    fn json<T: PartialSchema>() -> serde_json::Value {
        serde_json::to_value(T::schema()).unwrap()
    }

    #[test]
    fn enum_schemas_list_the_domain_values_by_their_domain_names() {
        let statuses = json::<EventStatus>();
        assert_eq!(statuses["type"], "string");
        assert_eq!(
            statuses["enum"],
            serde_json::json!(["draft", "published", "cancelled", "completed"])
        );
        assert_eq!(statuses["description"], "Where an event is in its life.");
        assert_eq!(EventStatus::name(), "EventStatus");
        let kinds = json::<EventKind>();
        assert!(kinds.to_string().contains("multi_day_retreat"), "{kinds}");
        let roles = json::<Role>()["enum"].as_array().unwrap().len();
        assert_eq!(roles, domain::Role::ALL.len());
        let permissions = json::<Permission>();
        assert!(permissions.get("description").is_none(), "{permissions}");
        assert_eq!(
            permissions["enum"].as_array().unwrap().len(),
            domain::Permission::ALL.len()
        );
        assert_eq!(
            json::<MembershipStatus>()["enum"][0],
            domain::circle::MembershipStatus::Requested.as_str()
        );
    }

    #[test]
    fn api_schemas_show_currency_as_a_string() {
        let currency = json::<Currency>();
        assert_eq!(currency["type"], "string", "{currency}");
        let money = json::<Money>();
        assert_eq!(
            money["properties"]["amount_minor"]["type"], "integer",
            "{money}"
        );
        assert_eq!(money["properties"]["currency"]["type"], "string", "{money}");
        assert_eq!(Money::name(), "Money");
    }
}
