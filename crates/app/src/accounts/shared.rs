//! The profile details a member shares beyond his display name — phone, city, bio and
//! photo — and with whom: the profile page promises them "only to the facilitators of
//! your circles and the organisers of events you join". The lists those readers use (a
//! circle's member list and join queue for its leaders, an event's door list for its
//! organisers) carry them; every other reader gets the lists without.

use super::photo_url;
use db::main_db::users;
use serde::Serialize;

/// What a member shares with his circles' leaders and his events' organisers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SharedProfile {
    pub phone: Option<String>,
    pub city: Option<String>,
    pub bio: Option<String>,
    /// Where the photo is served; absent without one.
    pub photo_url: Option<String>,
}

impl SharedProfile {
    /// The shared details of `user`.
    pub fn of(user: &users::Model) -> SharedProfile {
        SharedProfile {
            phone: user.phone.clone(),
            city: user.city.clone(),
            bio: user.bio.clone(),
            photo_url: photo_url(user),
        }
    }

    /// Whether he shares nothing at all (the page then says nothing either).
    pub fn is_empty(&self) -> bool {
        self.phone.is_none()
            && self.city.is_none()
            && self.bio.is_none()
            && self.photo_url.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_without_details_shares_nothing() {
        assert!(SharedProfile::default().is_empty());
        let some = SharedProfile {
            city: Some("Berlin".into()),
            ..SharedProfile::default()
        };
        assert!(!some.is_empty());
    }
}
