//! What a supervisor may do to the team's records, checked the same way wherever it is asked
//! (the supervisor's tablet, the office page of `tournee-server`): review a technician's week,
//! move a visit to another technician. The server's rights check it again on push; these
//! checks say it first, in words the supervisor reads, and nothing is written when they fail.
//!
//! Not for who a device is (the caller knows its supervisor and team from its enrolment).

use super::{DomainError, ReviewDecision, TechnicianId, Visit, Week, check_text};

/// Days ahead (today included) whose visits a supervisor may give to another technician.
pub const REASSIGN_DAYS: i64 = 7;

/// Refuses a technician outside the team, naming `field`.
pub fn of_team(
    team: &[TechnicianId],
    technician: &TechnicianId,
    field: &str,
) -> Result<(), DomainError> {
    if team.contains(technician) {
        Ok(())
    } else {
        Err(DomainError::invalid(
            field,
            technician.as_str(),
            "a technician of your team",
        ))
    }
}

/// A week's review as it will be written: the technician of the team, a week that exists, a
/// send-back with its comment trimmed (one is required).
pub fn review(
    team: &[TechnicianId],
    technician: &TechnicianId,
    week: Week,
    decision: ReviewDecision,
) -> Result<ReviewDecision, DomainError> {
    of_team(team, technician, "technician")?;
    week.monday("week")?;
    let decision = match decision {
        ReviewDecision::SentBack { comment } => {
            let comment = comment.trim().to_owned();
            check_text("comment", &comment, 1)?;
            ReviewDecision::SentBack { comment }
        }
        approved => approved,
    };
    decision.validate("decision")?;
    Ok(decision)
}

/// A visit given to `to`: a technician of the team other than the visit's, and a visit of the
/// team (a supervisor moves nothing of another team's).
pub fn reassign(
    team: &[TechnicianId],
    visit: &Visit,
    to: &TechnicianId,
) -> Result<(), DomainError> {
    of_team(team, to, "to")?;
    if !team.contains(&visit.technician) {
        return Err(DomainError::invalid(
            "visit",
            visit.id.as_str(),
            "a visit of a technician of your team",
        ));
    }
    if &visit.technician == to {
        return Err(DomainError::invalid(
            "to",
            to.as_str(),
            "another technician than the visit's",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Ede, Urgency, VisitId};

    fn t(id: &str) -> TechnicianId {
        TechnicianId::parse("t", id).unwrap()
    }

    fn visit_of(technician: &str) -> Visit {
        Visit {
            id: VisitId::parse("v", "V1").unwrap(),
            technician: t(technician),
            farm: Ede::parse("f", "53161001").unwrap(),
            day: chrono::NaiveDate::from_ymd_opt(2026, 12, 8).unwrap(),
            requested: vec![],
            urgency: Urgency::Normal,
            window: None,
            arrived: None,
            left: None,
            travel_km: None,
            note: None,
        }
    }

    #[test]
    fn a_review_needs_a_technician_of_the_team_a_real_week_and_a_comment_to_send_back() {
        let team = [t("T01"), t("T02")];
        let week = Week {
            year: 2026,
            week: 49,
        };
        let sent_back = |comment: &str| ReviewDecision::SentBack {
            comment: comment.into(),
        };
        assert_eq!(
            review(&team, &t("T01"), week, sent_back("  trop de km  ")).unwrap(),
            sent_back("trop de km")
        );
        assert_eq!(
            review(&team, &t("T01"), week, sent_back("   "))
                .unwrap_err()
                .field,
            "comment"
        );
        let other = review(&team, &t("T03"), week, ReviewDecision::Approved).unwrap_err();
        assert_eq!(
            (other.field.as_str(), other.value.as_str()),
            ("technician", "T03")
        );
        let no_week = Week {
            year: 2026,
            week: 54,
        };
        assert_eq!(
            review(&team, &t("T01"), no_week, ReviewDecision::Approved)
                .unwrap_err()
                .field,
            "week"
        );
    }

    #[test]
    fn a_visit_moves_only_within_the_team_and_to_someone_else() {
        let team = [t("T01"), t("T02")];
        assert!(reassign(&team, &visit_of("T01"), &t("T02")).is_ok());
        assert_eq!(
            reassign(&team, &visit_of("T01"), &t("T01"))
                .unwrap_err()
                .field,
            "to"
        );
        assert_eq!(
            reassign(&team, &visit_of("T01"), &t("T03"))
                .unwrap_err()
                .value,
            "T03"
        );
        assert_eq!(
            reassign(&team, &visit_of("T03"), &t("T02"))
                .unwrap_err()
                .field,
            "visit"
        );
    }
}
