//! `kpreview lock`: resolve every `seed.snapshot.tags` selector through EC2 DescribeSnapshots to
//! the newest completed snapshot of this account and pin it in `preview.lock`, which `render`
//! reads so that rendering never touches the network.
//!
//! [`selectors`] reads the selectors from a spec and [`pin`] chooses and compares, both pure;
//! [`ec2`] is the one place that talks to AWS, [`resolve`] asks it for every selector, and
//! [`file`] writes the lock.

pub mod ec2;
pub mod error;
pub mod file;
pub mod pin;
pub mod resolve;
pub mod selectors;

pub use error::LockError;
