//! An in-process fake Frappe server.
