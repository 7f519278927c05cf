//! Live delivery of circle conversations (issue 12): the WebSocket, presence, notice emails,
//! retention jobs, and the two-instance harness they are tested with.

mod delivery;
mod instances;
mod jobs;
pub mod socket;
