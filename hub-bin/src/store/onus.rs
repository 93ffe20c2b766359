//! Leases (one holder of a named job across hub instances) and the last state of every ONU the
//! OLT poller saw.

use serde_json::Value;
use sqlx::Row;

use super::{Store, StoreResult, now_ms};

/// The last state of one ONU.
#[derive(Debug, Clone, PartialEq)]
pub struct OnuState {
    /// The OLT's configured name.
    pub olt: String,
    /// The ONU's serial (`TPLG1A2B3C01`).
    pub serial: String,
    /// Its PON port (`0/1/3`).
    pub pon_port: String,
    /// Its id on the port.
    pub onu_id: i64,
    /// `online`, `offline`, `los`, `dyinggasp`, `unknown`.
    pub status: String,
    /// Whether its received level is below the weak threshold (with hysteresis).
    pub degraded: bool,
    /// The reading (`OpticalStatus` as JSON).
    pub reading: Value,
    /// When it was polled (ms since the epoch).
    pub polled_at: i64,
}

impl Store {
    /// Takes or renews the lease `name` for `holder` until `ttl_ms` from now: `true` when
    /// `holder` has it (it was free, expired, or already its own).
    pub async fn try_lease(&self, name: &str, holder: &str, ttl_ms: i64) -> StoreResult<bool> {
        let now = now_ms();
        let done = sqlx::query(
            "INSERT INTO leases (name, holder, until_ms) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until_ms = excluded.until_ms \
             WHERE leases.until_ms < $4 OR leases.holder = excluded.holder",
        )
        .bind(name)
        .bind(holder)
        .bind(now + ttl_ms)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Who holds the lease `name` now (`None` when free or expired).
    pub async fn lease_holder(&self, name: &str) -> StoreResult<Option<String>> {
        let row = sqlx::query("SELECT holder FROM leases WHERE name = $1 AND until_ms >= $2")
            .bind(name)
            .bind(now_ms())
            .fetch_optional(self.pool())
            .await?;
        Ok(row.map(|r| r.try_get("holder")).transpose()?)
    }

    /// Gives the lease back (when `holder` holds it).
    pub async fn release_lease(&self, name: &str, holder: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2")
            .bind(name)
            .bind(holder)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The last state of every ONU of `olt` (of one port with `port`), by port and id.
    pub async fn onu_states(&self, olt: &str, port: Option<&str>) -> StoreResult<Vec<OnuState>> {
        let rows = sqlx::query(
            "SELECT olt, serial, pon_port, onu_id, status, degraded, reading, polled_at \
             FROM onu_states WHERE olt = $1 AND ($2 IS NULL OR pon_port = $2) \
             ORDER BY pon_port, onu_id",
        )
        .bind(olt)
        .bind(port)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let reading: String = r.try_get("reading")?;
                Ok(OnuState {
                    olt: r.try_get("olt")?,
                    serial: r.try_get("serial")?,
                    pon_port: r.try_get("pon_port")?,
                    onu_id: r.try_get("onu_id")?,
                    status: r.try_get("status")?,
                    degraded: r.try_get::<i64, _>("degraded")? != 0,
                    reading: serde_json::from_str(&reading).unwrap_or(Value::Null),
                    polled_at: r.try_get("polled_at")?,
                })
            })
            .collect()
    }

    /// The OLT whose last poll saw the ONU with `serial` (the most recent, when several did).
    pub async fn onu_olt(&self, serial: &str) -> StoreResult<Option<String>> {
        sqlx::query("SELECT olt FROM onu_states WHERE serial = $1 ORDER BY polled_at DESC LIMIT 1")
            .bind(serial)
            .fetch_optional(self.pool())
            .await?
            .map(|r| r.try_get("olt"))
            .transpose()
            .map_err(Into::into)
    }

    /// Saves the states of one poll in one transaction (each replaces the ONU's last one).
    pub async fn save_onu_states(&self, states: &[OnuState]) -> StoreResult<()> {
        let mut tx = self.pool().begin().await?;
        for s in states {
            sqlx::query(
                "INSERT INTO onu_states (olt, serial, pon_port, onu_id, status, degraded, reading, polled_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (olt, serial) DO UPDATE SET pon_port = excluded.pon_port, \
                 onu_id = excluded.onu_id, status = excluded.status, degraded = excluded.degraded, \
                 reading = excluded.reading, polled_at = excluded.polled_at",
            )
            .bind(&s.olt)
            .bind(&s.serial)
            .bind(&s.pon_port)
            .bind(s.onu_id)
            .bind(&s.status)
            .bind(i64::from(s.degraded))
            .bind(s.reading.to_string())
            .bind(s.polled_at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
