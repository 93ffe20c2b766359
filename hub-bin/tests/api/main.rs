//! The hub's API tests: the real router on 127.0.0.1:0, against SQLite and PostgreSQL.
#![allow(unreachable_pub, missing_docs)]

mod helpers;

mod auth;
mod device_actions;
mod devices;
mod events;
mod health;
mod invites;
mod olts;
mod process;
mod queues;
mod routers;
mod smtp;
mod traccar;
mod vision;
mod webhooks;
