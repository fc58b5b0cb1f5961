//! packread (skeleton; see its issue).
