//! Traces to tasks (issue 7).
