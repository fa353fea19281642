//! Who may talk to whom, and why: the engine behind `explain`, `reach` and `matrix`. Pure: it
//! reads an inventory and answers; the CLI loads and prints.

pub mod describe;
pub mod engine;
pub mod explain;
pub mod externals;
pub mod matrix;
pub mod namespaces;
pub mod reach;
pub mod target;

pub use crate::semantics::RuleRef;
pub use engine::{Answer, Engine, Member, Node, SideAnswer};
pub use target::Target;
