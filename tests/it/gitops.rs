//! Placeholder until this capability lands.
