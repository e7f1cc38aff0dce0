//! What screens read and what they ask for: view models (plain data, ready to draw, built off
//! the UI thread by the backend) and commands (a tap turned into an intention), with the
//! backend's answer to each command.
//!
//! Screens never touch storage: they render these views and send [`Command`]s; the backend
//! (which owns the store) carries the commands out and sends fresh views back. Not for
//! formatting: views hold values, screens write them in the user's language.

use chrono::{NaiveDate, NaiveTime};

use crate::declare::InseminationRecord;
use crate::domain::{
    Act, ActId, AnimalId, AnomalyKind, BullId, Confirmation, DomainError, Ede, Farm,
    InseminationRank, PregnancyResult, Request, Species, Straw, Technician, Urgency, Visit,
    VisitId, VisitStatus,
};

use super::kit::UiPrefs;

/// One visit as a row of today's round.
#[derive(Debug, Clone, PartialEq)]
pub struct VisitRow {
    pub id: VisitId,
    pub farm: Ede,
    pub farm_name: String,
    pub village: Option<String>,
    pub requested: Vec<Request>,
    pub urgency: Urgency,
    pub window: Option<(NaiveTime, NaiveTime)>,
    pub status: VisitStatus,
    /// Acts recorded so far (corrections applied).
    pub acts: usize,
    /// When the plan has the technician arrive (done visits: when they did).
    pub arrival: Option<NaiveTime>,
    /// Seconds after the end of the farmer's window the plan arrives.
    pub late_seconds: u32,
    /// The arrival window the farmer was last told, as far as the server holds this
    /// tablet's windows (`tour::arrival::told_in_store`).
    pub told: Option<crate::domain::ArrivalWindow>,
}

impl VisitRow {
    pub fn build(
        visit: &Visit,
        farm: Option<&Farm>,
        acts: usize,
        confirmation: Option<&Confirmation>,
    ) -> VisitRow {
        VisitRow {
            id: visit.id.clone(),
            farm: visit.farm.clone(),
            farm_name: farm.map_or_else(|| visit.farm.to_string(), |f| f.name.clone()),
            village: farm.and_then(|f| f.village.clone()),
            requested: visit.requested.clone(),
            urgency: visit.urgency,
            window: visit.window,
            status: VisitStatus::of(visit, confirmation),
            acts,
            arrival: None,
            late_seconds: 0,
            told: None,
        }
    }
}

/// Today's round, in round order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TodayView {
    pub day: Option<NaiveDate>,
    pub visits: Vec<VisitRow>,
    /// Whether the store holds nothing at all (first start: offer demo data).
    pub store_empty: bool,
    /// The technician whose round this is; `None`: nobody is set up on this tablet yet.
    pub technician: Option<String>,
    /// Visits of the last weeks still waiting for the farmer's confirmation, newest first.
    pub awaiting: Vec<(NaiveDate, VisitRow)>,
    /// Visits the farmer disputes, newest first: the farmer's comment, and whether it was
    /// answered.
    pub disputes: Vec<Dispute>,
    /// Declarations late, and due within days.
    pub declarations_late: usize,
    pub declarations_due_soon: usize,
    /// The round's costs, map and proposals, when it could be planned.
    pub round: Option<RoundView>,
    /// Why the round is not shown though it was planned: an id of the planner that is not a
    /// visit id (named, not dropped).
    pub round_failed: Option<crate::domain::DomainError>,
    /// Follow-ups due today at farms not in the round: proposed visits.
    pub follow_ups: Vec<ProposedVisit>,
    /// Today is a Sunday or a public holiday.
    pub rest_day: Option<RestDay>,
}

/// A Sunday (`holiday: None`) or a public holiday; on the demo's data, its round is a
/// working day's all the same.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RestDay {
    pub holiday: Option<crate::worktime::holidays::Holiday>,
    pub demo: bool,
}

/// What the planned round costs, where it goes, and what the planner proposes.
#[derive(Debug, Clone, PartialEq)]
pub struct RoundView {
    pub km: f64,
    pub drive_seconds: u64,
    /// Back home.
    pub back_at: NaiveTime,
    /// Visits that do not fit in the working day.
    pub unplanned: Vec<VisitId>,
    /// The planner's best order when the one shown was set by hand: km, driving, lateness.
    pub best: Option<(f64, u64, u64)>,
    /// Lateness of the order shown, in seconds.
    pub late_seconds: u64,
    /// Calls not placed in the round yet, with where they fit best.
    pub new_calls: Vec<NewCall>,
    /// Home, then each stop in the order shown (new calls not in it).
    pub map: RoundMap,
    /// The planner is still looking for a better round in the background.
    pub improving: Option<Improving>,
    /// How much of that work is done, from 0 to 1 (0 when there is none).
    pub improving_done: f32,
}

/// What the planner's work in the background will do with a better round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Improving {
    /// Show it: the round shown is the planner's.
    Shows,
    /// Propose it beside the order recorded for the day (placed calls, moved by hand), which
    /// stays as the technician set it.
    Proposes,
}

/// A call not in the round yet.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCall {
    pub visit: VisitId,
    pub farm_name: String,
    /// The best places, best first.
    pub options: Vec<Placement>,
}

/// One place a new call could take, and what it costs.
#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    /// The farm it would follow; `None`: first.
    pub after: Option<String>,
    pub added_meters: i64,
    pub added_drive_seconds: i64,
    pub added_late_seconds: i64,
    pub fits_day: bool,
    /// The whole order with the call there.
    pub order: Vec<VisitId>,
}

/// Points of the round map: latitude and longitude.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RoundMap {
    pub home: (f64, f64),
    /// Each stop: where, and whether it is done.
    pub stops: Vec<(f64, f64, bool)>,
}

/// A follow-up visit the planner proposes for today.
#[derive(Debug, Clone, PartialEq)]
pub struct ProposedVisit {
    pub farm: Ede,
    pub farm_name: String,
    pub requested: Vec<Request>,
    /// Why (`pregnancy_check`, `synchronisation_step`).
    pub reason: &'static str,
}

/// A visit the farmer disputes.
#[derive(Debug, Clone, PartialEq)]
pub struct Dispute {
    pub day: NaiveDate,
    pub row: VisitRow,
    pub comment: String,
    pub answered: bool,
}

/// A bull the technician can inseminate with: its straw as received, and the doses in the
/// tank.
#[derive(Debug, Clone, PartialEq)]
pub struct BullChoice {
    pub straw: Straw,
    /// Doses left in the tank.
    pub left: i64,
    /// Doses used so far (most used first in the list).
    pub used: u32,
}

/// Whether a straw is of the species' semen, as far as its breed says: cattle breeds are
/// written as the two-digit codes of the arrêté of 7 May 2018 (`66`), goat and sheep breeds by
/// name. Only used to list the likely bulls first; any bull of the tank can be chosen.
pub fn straw_fits(breed: &str, species: Species) -> bool {
    let cattle_code = breed.len() == 2 && breed.bytes().all(|b| b.is_ascii_digit());
    cattle_code == (species == Species::Bovine)
}

/// One recorded act as the visit shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ActRow {
    pub act: Act,
    pub bull_name: Option<String>,
    /// The act's flat-rate time by the company grid (`None`: the grid cannot price it).
    pub forfait_seconds: Option<u32>,
}

/// An act that was corrected: what it was, why, and what replaced it.
#[derive(Debug, Clone, PartialEq)]
pub struct CorrectedAct {
    pub row: ActRow,
    pub reason: String,
    pub replaced_by: Option<ActId>,
}

/// A visit being done.
#[derive(Debug, Clone, PartialEq)]
pub struct VisitView {
    pub row: VisitRow,
    pub species: Vec<Species>,
    pub farm_note: Option<String>,
    pub acts: Vec<ActRow>,
    pub corrected: Vec<CorrectedAct>,
    pub bulls: Vec<BullChoice>,
    pub confirmation: Option<Confirmation>,
    pub anomalies: Vec<(AnomalyKind, String)>,
    /// The insemination records of the visit's current inseminations, or the first field each
    /// lacks: the certificate the farmer signs.
    pub records: Vec<Result<InseminationRecord, DomainError>>,
    /// Answers given to the farmer's dispute, oldest first.
    pub answers: Vec<String>,
    /// Who did what on this visit: planned, reassigned, confirmed... oldest first.
    pub history: Vec<HistoryLine>,
}

/// One line of a visit's history: when, which device's account, what.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryLine {
    pub at: chrono::DateTime<chrono::FixedOffset>,
    /// The key of what happened (`history.reassigned`...) and its arguments.
    pub what: &'static str,
    pub args: Vec<(&'static str, String)>,
}

impl VisitView {
    /// The visit's flat-rate time so far.
    pub fn forfait_seconds(&self) -> u64 {
        self.acts
            .iter()
            .filter_map(|a| a.forfait_seconds)
            .map(u64::from)
            .sum()
    }
}

/// A farm as the new-call search lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct FarmChoice {
    pub ede: Ede,
    pub name: String,
    pub village: Option<String>,
    pub species: Vec<Species>,
}

/// What the new-call screen needs: the farms to search.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CallView {
    pub farms: Vec<FarmChoice>,
}

/// One past visit of a farm.
#[derive(Debug, Clone, PartialEq)]
pub struct FarmVisit {
    pub id: VisitId,
    pub day: NaiveDate,
    pub status: VisitStatus,
    pub acts: Vec<ActRow>,
    pub anomalies: Vec<(AnomalyKind, String)>,
}

/// An insemination in a farm's history.
#[derive(Debug, Clone, PartialEq)]
pub struct InseminationLine {
    pub day: NaiveDate,
    pub animals: Vec<AnimalId>,
    pub count: u32,
    pub bull: Option<BullId>,
    pub bull_name: Option<String>,
    pub rank: Option<InseminationRank>,
}

/// A pregnancy check in a farm's history.
#[derive(Debug, Clone, PartialEq)]
pub struct PregnancyLine {
    pub day: NaiveDate,
    pub animals: Vec<AnimalId>,
    pub count: u32,
    pub kind: crate::domain::ActKind,
    pub result: Option<PregnancyResult>,
}

/// A farm's history, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct FarmView {
    pub farm: Farm,
    /// The hours the farm cannot receive the technician (milking), by start.
    pub closed: Vec<crate::domain::ClosedSpan>,
    pub visits: Vec<FarmVisit>,
    pub inseminations: Vec<InseminationLine>,
    pub pregnancy_checks: Vec<PregnancyLine>,
    pub anomalies: Vec<(NaiveDate, AnomalyKind, String)>,
    /// The herd's reproduction figures; `None` when no cow was ever inseminated there.
    pub fertility: Option<FarmFertility>,
}

/// A herd's reproduction figures over the last 12 months, month by month, and the females to
/// watch today (`advice`).
#[derive(Debug, Clone, PartialEq)]
pub struct FarmFertility {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub figures: crate::advice::Figures,
    pub by_month: Vec<crate::advice::MonthFigures>,
    pub watch: Vec<crate::advice::ToWatch>,
    /// The year of the farmer's yearly report (this year), and the advice written for the
    /// year after it.
    pub year: i32,
    pub advice: Option<String>,
    /// Where the report was last saved on this tablet, to hand to the farmer.
    pub report_file: Option<String>,
}

/// One bull's line in the tank.
#[derive(Debug, Clone, PartialEq)]
pub struct TankLine {
    pub bull: BullId,
    pub straw: Option<Straw>,
    pub received: u64,
    pub used: u64,
    pub corrected: i64,
    pub left: i64,
}

/// The technician's tank.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TankView {
    pub lines: Vec<TankLine>,
}

/// Doses at or below which a bull's line warns.
pub const LOW_STOCK: i64 = 5;

/// One act behind a day's flat-rate time.
#[derive(Debug, Clone, PartialEq)]
pub struct ActTime {
    pub kind: crate::domain::ActKind,
    pub count: u32,
    pub forfait_seconds: u64,
}

/// One visit of a day, with what it counts and why.
#[derive(Debug, Clone, PartialEq)]
pub struct VisitTime {
    pub farm_name: String,
    /// What the visit adds to the day under the company's method.
    pub counted_seconds: u64,
    /// Where that figure comes from (`forfait`, `recorded`...), see `worktime::Source`.
    pub source: &'static str,
    pub acts: Vec<ActTime>,
}

/// One day's figures on the "My time" screen, with what each is made of.
#[derive(Debug, Clone, PartialEq)]
pub struct DayTime {
    pub day: NaiveDate,
    pub acts: usize,
    pub forfait_seconds: u64,
    pub travel_seconds: u64,
    pub other_seconds: u64,
    pub total_seconds: u64,
    /// Stable flag names (`over_daily_max`...), see `worktime::Flag`.
    pub flags: Vec<&'static str>,
    /// First recorded arrival and last recorded departure.
    pub span: Option<(NaiveTime, NaiveTime)>,
    pub visits: Vec<VisitTime>,
    /// Counted travel legs: kilometres and seconds.
    pub travel: Vec<(f64, u64)>,
    /// Declared other time: what, and how long.
    pub declared: Vec<(crate::domain::OtherTimeKind, u64)>,
}

/// A supervisor's decision on a week, as both sides see it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewView {
    pub supervisor: String,
    pub decision: crate::domain::ReviewDecision,
}

/// One ISO week of a technician.
#[derive(Debug, Clone, PartialEq)]
pub struct WeekTime {
    pub week: crate::domain::Week,
    pub monday: NaiveDate,
    pub forfait_seconds: u64,
    pub travel_seconds: u64,
    pub other_seconds: u64,
    pub total_seconds: u64,
    /// Average over this week and the ones before it (12 weeks by default).
    pub average_seconds: u64,
    /// The week's own flags and its days' flags, each once.
    pub flags: Vec<&'static str>,
    pub review: Option<ReviewView>,
}

/// The modulation year's running counters.
#[derive(Debug, Clone, PartialEq)]
pub struct YearTime {
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub worked_seconds: u64,
    pub annual_ceiling_seconds: u64,
    pub overtime_seconds: u64,
    pub overtime_allowance_seconds: u64,
    pub sunday_holiday_seconds: u64,
    pub recovery_owed_seconds: u64,
}

/// The company's limits the charts draw.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ChartLimits {
    pub weekly_max_seconds: u64,
    pub average_max_seconds: u64,
    pub daily_max_seconds: u64,
}

/// The technician's work time: this week day by day, the weeks of the year, the year's
/// counters, from `worktime` (the same figures the supervisor and the statements see).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MyTimeView {
    /// Monday to today.
    pub days: Vec<DayTime>,
    pub week_forfait_seconds: u64,
    pub week_total_seconds: u64,
    /// The weeks of the modulation year up to this one, oldest first.
    pub weeks: Vec<WeekTime>,
    pub year: Option<YearTime>,
    pub limits: ChartLimits,
    /// Why the figures could not be computed (an act the grid cannot price...).
    pub error: Option<String>,
}

impl MyTimeView {
    pub fn today(&self) -> Option<&DayTime> {
        self.days.last()
    }

    /// This week, with its review.
    pub fn this_week(&self) -> Option<&WeekTime> {
        self.weeks.last()
    }
}

/// One visit of a team member's day, for reassignment.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamVisit {
    pub id: VisitId,
    pub farm_name: String,
    pub status: VisitStatus,
}

/// One technician of the team: the weeks under review, and the days ahead to reassign.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamMember {
    pub technician: crate::domain::TechnicianId,
    pub name: String,
    /// The weeks of the chart, oldest first; the last ones are the rows to review.
    pub weeks: Vec<WeekTime>,
    /// Today's and the next days' visits not done yet, by day.
    pub days: Vec<(NaiveDate, Vec<TeamVisit>)>,
    /// Why the figures could not be computed.
    pub error: Option<String>,
}

/// The supervisor's team: one row per technician and week.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TeamView {
    /// The supervisor this tablet is enrolled as; `None`: not a supervisor's tablet.
    pub supervisor: Option<String>,
    pub members: Vec<TeamMember>,
    pub limits: ChartLimits,
    /// The team's reproduction figures over the last 12 months.
    pub fertility: Option<TeamFertility>,
    /// Pushes the server refused of the team's tablets (as it told at the last sync).
    pub refused: Vec<TeamRefusal>,
}

/// A team member's tablet whose events the server refused: a forked chain (a copied store)
/// or an event the account may not write.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamRefusal {
    pub name: String,
    /// What the tablet called itself, and the first characters of its identity.
    pub label: String,
    pub device: String,
    /// A forked chain (409), else an event refused (403).
    pub forked: bool,
    pub reason: String,
    pub at: chrono::DateTime<chrono::Utc>,
}

/// The figures per technician and per bull, for a supervisor to follow both.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamFertility {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// (technician's name, figures of their services), in the team's order.
    pub technicians: Vec<(String, crate::advice::Figures)>,
    pub bulls: Vec<crate::advice::BullFigures>,
}

/// One insemination in the declaration queue.
#[derive(Debug, Clone, PartialEq)]
pub struct DeclarationRow {
    pub declaration: crate::declare::Declaration,
    pub farm_name: String,
    /// The technician's name (the supervisor sees the team's).
    pub technician: Option<String>,
    pub animals: Vec<AnimalId>,
    pub count: u32,
    pub bull_name: Option<String>,
    pub due_state: crate::declare::DueState,
}

/// The declarations still open, by deadline: to send, sent and unanswered, refused.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DeclarationsView {
    pub today: Option<NaiveDate>,
    pub rows: Vec<DeclarationRow>,
    /// Whether these are the team's (a supervisor's tablet).
    pub team: bool,
}

/// What the settings screen shows that lives in the store.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SettingsView {
    pub technician: Option<Technician>,
    pub company: Option<String>,
    pub data_dir: String,
}

/// A screen's view as the backend built it: one variant per kind of view. The visit and the
/// farmer's confirmation both draw a [`VisitView`]. Today's, the visit's and the farm's are
/// boxed: far larger than the others, they would make every view take their size.
#[derive(Debug, Clone, PartialEq)]
pub enum ScreenView {
    Today(Box<TodayView>),
    Call(CallView),
    Visit(Box<VisitView>),
    Tank(TankView),
    Farm(Box<FarmView>),
    MyTime(MyTimeView),
    Declarations(DeclarationsView),
    Team(TeamView),
    Settings(SettingsView),
}

/// Where sync stands, for the top bar: `sync::SyncStatus` as the screen says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SyncBadge {
    /// This tablet has no account on a server yet.
    #[default]
    NotEnrolled,
    /// Everything recorded here is on the server.
    UpToDate,
    /// Events recorded here the server has not acknowledged yet, and how many are acts.
    Waiting { events: u64, acts: u64 },
    /// The sync state does not read: why.
    Unknown,
}

/// Why enrolment or a sync did not go through, as the screens explain it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncProblem {
    /// No answer: no network, a wrong address, the server down. Sync tries again by itself.
    Unreachable(String),
    /// The enrolment token is unknown to the server or was already used.
    TokenRefused,
    /// This tablet is already enrolled with a server.
    AlreadyEnrolled,
    /// The server does not recognise this tablet (its account removed, a clock far off).
    NotRecognised(String),
    /// The server speaks a newer protocol: the app must be updated.
    TooOld,
    /// Something answers at this address, but not a Tournée server.
    NotTournee(String),
    /// The server holds other events under this tablet's numbers (409, a forked chain): a
    /// copy of the store on a second tablet. The tablet's events wait, readable and exportable.
    Forked(String),
    /// Some of this tablet's own events were lost (a damaged store, recovered) before the
    /// server received them: the events recorded after them wait, and go out only under a new
    /// identity (adopt), as for a fork.
    Gap(crate::log::Gap),
    /// The server refuses events this tablet pushed (403: not the author's to write); they wait,
    /// readable and exportable.
    EventsRefused(String),
    /// The server refused a request: its status and reason.
    Refused { status: u16, reason: String },
    /// The tablet's store failed.
    Storage(String),
    /// The server's answer does not fit what this tablet holds.
    Protocol(String),
}

/// Sync as the settings screen and the top bar tell it, beyond "N waiting": where the tablet
/// is enrolled, the last complete sync and the last failure.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SyncInfo {
    /// The server this tablet is enrolled with; `None`: not enrolled.
    pub server: Option<String>,
    /// The account it is enrolled as.
    pub account: Option<crate::sync::Role>,
    /// A sync is under way.
    pub syncing: bool,
    /// When the last complete sync ended (kept across restarts).
    pub last_success: Option<chrono::DateTime<chrono::Utc>>,
    /// What the last complete sync moved: events sent, events received.
    pub last_moved: Option<(u64, u64)>,
    /// The last attempt failed after the last success: when, and why.
    pub last_failure: Option<(chrono::DateTime<chrono::Utc>, SyncProblem)>,
    /// This tablet took a new identity and adopted a refused copy's events: what and where.
    pub adopted: Option<Adoption>,
}

/// A copy's refused events taken over by this tablet's new identity (`Command::Adopt`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Adoption {
    /// Events of the copy recorded again under the new identity.
    pub adopted: u64,
    /// Events of the copy the server already held.
    pub already_held: u64,
    /// The folder the copy was moved to, unchanged: readable and exportable there.
    pub copy: String,
}

/// A command's number, so the screen that sent it can find the backend's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Ticket(pub u64);

/// What a screen asks the backend to do. Times (arrival, act, signature) are stamped by the
/// backend when it carries the command out.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Loads the demo week and tank into an empty store.
    LoadDemo,
    /// Builds a new store from what is intact in the damaged one, sets the damaged folder
    /// aside unchanged, and opens the new one.
    RecoverStore,
    /// A farmer's call: a visit added to today's round.
    AddCall {
        farm: Ede,
        requested: Vec<Request>,
        urgency: Urgency,
    },
    /// Arrival at the farm.
    StartVisit(VisitId),
    /// Departure from the farm.
    FinishVisit(VisitId),
    /// Record an act at a visit (an insemination takes doses from the tank). The act's id is
    /// given by the backend. `reason`: why an animal inseminated less than three days ago is
    /// inseminated again (kept in the act's note).
    RecordAct { act: Act, reason: Option<String> },
    /// Correct an act: replace it, or withdraw it (`replacement: None`).
    CorrectAct {
        act: ActId,
        replacement: Option<Act>,
        reason: String,
    },
    NoteAnomaly {
        visit: VisitId,
        kind: AnomalyKind,
        note: String,
    },
    /// The farmer's signature, or "farmer absent, instructions left".
    Confirm {
        visit: VisitId,
        confirmation: Confirmation,
    },
    /// Straws put in the tank.
    ReceiveDoses { straw: Straw, count: u32 },
    /// The tank counted by hand: `counted` doses of this bull are really there.
    CountStock {
        bull: BullId,
        counted: u32,
        reason: String,
    },
    /// The technician's identity and home.
    SaveTechnician(Technician),
    /// Language, text size, contrast: kept in the settings file.
    SavePrefs(UiPrefs),
    /// The tag reader's port and speed: kept in the settings file.
    SaveReaderChoice(crate::eid::reader::ReaderChoice),
    /// Enrols this tablet with the cooperative's server (address, one-time token).
    Enroll { server: String, token: String },
    /// Sync now rather than at the next turn.
    SyncNow,
    /// The way out for a copied tablet whose events the server refuses as a forked chain:
    /// a new identity, enrolled with this new one-time token, adopts the copy's events the
    /// server does not hold; the copy's folder is kept aside, unchanged.
    Adopt { token: String },
    /// A supervisor approves a technician's week or sends it back with a comment.
    ReviewWeek {
        technician: crate::domain::TechnicianId,
        week: crate::domain::Week,
        decision: crate::domain::ReviewDecision,
    },
    /// A supervisor moves visits to another technician's round.
    Reassign {
        visits: Vec<VisitId>,
        to: crate::domain::TechnicianId,
    },
    /// The answer to a farmer's dispute of a visit.
    AnswerDispute { visit: VisitId, note: String },
    /// Today's round in this order (moved by hand, a visit pinned first, a call placed).
    OrderRound(Vec<VisitId>),
    /// Today's round as the planner orders it.
    PlanRound,
    /// A visit not started called off, with the reason.
    CancelVisit { visit: VisitId, reason: String },
    /// The technician's advice to a farm for the year after `year`, for the yearly report.
    WriteAdvice { farm: Ede, year: i32, text: String },
    /// Saves the farm's yearly report of `year` as PDF on the tablet, to hand to the farmer.
    SaveYearReport { farm: Ede, year: i32 },
    /// The farm's closed hours (milking), all of them (none: open all day); the planner keeps
    /// its visits out of them.
    SetClosedHours {
        farm: Ede,
        closed: Vec<crate::domain::ClosedSpan>,
    },
}

/// Why the backend did not carry a command out. Nothing was recorded.
#[derive(Debug, Clone, PartialEq)]
pub enum Refusal {
    /// A value refused: the field (`act.straw.centre`, `technician.licence`...), what it was
    /// and what was expected.
    Invalid(DomainError),
    /// The animal was inseminated less than three days ago: likely a wrong number; recorded
    /// only with a reason.
    RecentlyInseminated { animal: AnimalId, on: NaiveDate },
    /// No technician is set up on this tablet.
    NoTechnician,
    /// The disk or the store failed.
    Storage(String),
    /// Enrolment did not go through.
    Sync(SyncProblem),
}

impl Refusal {
    /// The field a refusal is about, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            Refusal::Invalid(e) => Some(&e.field),
            Refusal::RecentlyInseminated { .. } => Some("act.animals"),
            Refusal::Sync(_) => Some("server"),
            Refusal::NoTechnician | Refusal::Storage(_) => None,
        }
    }
}

/// The backend's answer to a command.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Recorded and on disk. For an act: its flat-rate time.
    Saved {
        forfait_seconds: Option<u32>,
    },
    Refused(Refusal),
}

/// A store that did not pass its check at open: what is intact, what is not. Nothing was
/// changed; the way out is [`Command::RecoverStore`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DamageView {
    /// The store's folder.
    pub folder: String,
    pub chains: Vec<DamagedChain>,
    /// Damage to the files rather than to one chain (technical detail, as the check says it).
    pub problems: Vec<String>,
    /// The last recovery failed: why.
    pub recovery_failed: Option<String>,
}

/// One device's chain in a damaged store.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DamagedChain {
    /// The first eight hexadecimal digits of the device id.
    pub device: String,
    /// This tablet's own acts and records.
    pub own: bool,
    /// Events that verify, and the last of them.
    pub intact: u64,
    pub last: u64,
    /// Events stored after the damage, kept but not vouched for.
    pub after_damage: u64,
    /// Where the damage starts (technical detail).
    pub damage: Option<String>,
}
