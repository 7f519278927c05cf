//! Small-group suppression: figures that people outside a circle see (organisation reports
//! for the Program Team, Leadership and Admins) never describe fewer than
//! [`MIN_GROUP`] people, so nobody can be picked out of them. A circle's own leaders see
//! their circle in full.

/// The fewest people a figure shown outside the circle may describe.
pub const MIN_GROUP: i64 = 5;

/// A count of people, or nothing when it is 1 to 4 (zero describes nobody).
pub fn count(n: i64) -> Option<i64> {
    (n == 0 || n >= MIN_GROUP).then_some(n)
}

/// A figure about a group of `people`, or nothing when the group is too small.
pub fn about<T>(people: i64, figure: T) -> Option<T> {
    (people >= MIN_GROUP).then_some(figure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_of_one_to_four_people_are_withheld() {
        assert_eq!(count(0), Some(0));
        for n in 1..MIN_GROUP {
            assert_eq!(count(n), None, "{n}");
        }
        assert_eq!(count(5), Some(5));
        assert_eq!(count(120), Some(120));
    }

    #[test]
    fn figures_about_small_groups_are_withheld() {
        assert_eq!(about(4, 0.75), None);
        assert_eq!(about(5, 0.75), Some(0.75));
    }
}
