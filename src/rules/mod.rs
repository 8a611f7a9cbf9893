//! The rules, pure and in one place: how an exposure is scored (`risk`),
//! and how it compares between runs and what becomes of one a run did not
//! see (`change`). The closing of a run (audit/closing.rs), `report
//! --against` (report/json/against.rs) and `check-photo` call these;
//! none of them decides a score or a change itself. Each rule has unit
//! tests of its own beside it.

pub mod change;
pub mod risk;
