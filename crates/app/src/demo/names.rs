//! The fixed vocabulary of the demo: the known accounts, the cities and the names that
//! generated people, circles and events are drawn from.

use chrono_tz::Tz;
use domain::Role;

/// The accounts a person signs in with, in the order they are printed; generated
/// facilitators and members follow them.
pub(super) const KNOWN: [(&str, Option<Role>); 6] = [
    ("admin", Some(Role::Admin)),
    ("ptm", Some(Role::ProgramTeamMember)),
    ("leadership", Some(Role::Leadership)),
    ("support", Some(Role::Support)),
    ("facilitator", Some(Role::Facilitator)),
    ("member", None),
];
pub(super) const ADMIN: usize = 0;
pub(super) const PTM: usize = 1;
pub(super) const MEMBER: usize = 5;

pub(super) struct City {
    pub(super) name: &'static str,
    pub(super) tz: Tz,
    pub(super) currency: &'static str,
    pub(super) districts: [&'static str; 3],
}

pub(super) const CITIES: [City; 8] = [
    City {
        name: "Berlin",
        tz: chrono_tz::Europe::Berlin,
        currency: "EUR",
        districts: ["Kreuzberg", "Prenzlauer Berg", "Neukölln"],
    },
    City {
        name: "Amsterdam",
        tz: chrono_tz::Europe::Amsterdam,
        currency: "EUR",
        districts: ["De Pijp", "Jordaan", "Oost"],
    },
    City {
        name: "Vienna",
        tz: chrono_tz::Europe::Vienna,
        currency: "EUR",
        districts: ["Neubau", "Leopoldstadt", "Wieden"],
    },
    City {
        name: "Zürich",
        tz: chrono_tz::Europe::Zurich,
        currency: "CHF",
        districts: ["Altstadt", "Wiedikon", "Oerlikon"],
    },
    City {
        name: "London",
        tz: chrono_tz::Europe::London,
        currency: "GBP",
        districts: ["Hackney", "Islington", "Brixton"],
    },
    City {
        name: "New York",
        tz: chrono_tz::America::New_York,
        currency: "USD",
        districts: ["Brooklyn", "Harlem", "Queens"],
    },
    City {
        name: "Chicago",
        tz: chrono_tz::America::Chicago,
        currency: "USD",
        districts: ["Logan Square", "Hyde Park", "Pilsen"],
    },
    City {
        name: "San Francisco",
        tz: chrono_tz::America::Los_Angeles,
        currency: "USD",
        districts: ["Mission", "Sunset", "Oakland"],
    },
];

pub(super) const FIRST: [&str; 40] = [
    "Adam", "Ben", "Carlos", "David", "Elias", "Felix", "Georg", "Hugo", "Ivan", "Jonas", "Karim",
    "Lars", "Marco", "Noah", "Oskar", "Paul", "Rafael", "Samuel", "Tom", "Umar", "Viktor",
    "William", "Yusuf", "Anton", "Bram", "Daan", "Emil", "Finn", "Henrik", "Jakob", "Leon", "Mats",
    "Niels", "Pieter", "Ruben", "Stefan", "Theo", "James", "Michael", "Daniel",
];
pub(super) const LAST: [&str; 40] = [
    "Becker",
    "Jansen",
    "Smith",
    "Müller",
    "Novak",
    "García",
    "Rossi",
    "Dubois",
    "Nowak",
    "Johansson",
    "Hansen",
    "de Vries",
    "Keller",
    "Wagner",
    "Brown",
    "Wilson",
    "Taylor",
    "Moore",
    "Martin",
    "Bauer",
    "Fischer",
    "Weber",
    "Schulz",
    "Hoffmann",
    "Visser",
    "Bakker",
    "Peeters",
    "Lambert",
    "Silva",
    "Costa",
    "Murphy",
    "Kelly",
    "O'Brien",
    "Walsh",
    "Andersson",
    "Nilsson",
    "Lindqvist",
    "Horvat",
    "Kovač",
    "Meyer",
];
pub(super) const TREES: [&str; 16] = [
    "Oak", "Birch", "Cedar", "Willow", "Alder", "Rowan", "Pine", "Maple", "Ash", "Elm", "Hazel",
    "Linden", "Juniper", "Spruce", "Yew", "Chestnut",
];
pub(super) const QUALITIES: [&str; 12] = [
    "Quiet", "Open", "Steady", "Honest", "Early", "Evening", "Deep", "Brave", "Warm", "Clear",
    "Still", "Rooted",
];
pub(super) const FILMS: [&str; 10] = [
    "Stand by Me",
    "Good Will Hunting",
    "The Straight Story",
    "Dead Poets Society",
    "Into the Wild",
    "Paterson",
    "Nebraska",
    "Manchester by the Sea",
    "The Station Agent",
    "Captain Fantastic",
];
pub(super) const TOPICS: [&str; 10] = [
    "Listening without fixing",
    "Fathers and sons",
    "Anger as information",
    "Grief and loss",
    "Friendship after forty",
    "Saying no",
    "Work and worth",
    "Facilitation basics",
    "Conflict in the circle",
    "Vulnerability at work",
];
