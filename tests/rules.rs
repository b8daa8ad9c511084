//! Fast tests of the pure rules.
