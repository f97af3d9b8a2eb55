//! The HTTP API, as a client of the service sees it.
